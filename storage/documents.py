"""What the crawler saw: HTTP validators per URL, downloaded documents, report links
acknowledged as withdrawn, quarantined bytes, and ICE's notes from the listing page."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, delete, select

from storage import schema as t
from storage.base import Repository, insert_new, upsert, utcnow


class Documents(Repository):
    # --- HTTP validators ---------------------------------------------------------------------
    def validators(self) -> dict[str, dict[str, str | None]]:
        with self.database.read() as connection:
            rows = connection.execute(select(t.sources)).mappings()
            return {
                r["url"]: {
                    "etag": r["etag"],
                    "last_modified": r["last_modified"],
                    # When the URL was last answered: the re-check schedule (source.recheck_hours).
                    "checked_at": r["checked_at"].isoformat() if r["checked_at"] else None,
                }
                for r in rows
            }

    def set_validators(self, tx: Connection, url: str, etag: str | None, last_modified: str | None) -> None:
        values = {"url": url, "etag": etag, "last_modified": last_modified, "checked_at": utcnow()}
        upsert(tx, t.sources, ["url"], values)

    # --- documents ------------------------------------------------------------------------------
    def get(self, url: str, sha256: str) -> dict[str, Any] | None:
        """The document downloaded from ``url`` with these bytes, if any."""
        query = select(t.documents).where(t.documents.c.url == url, t.documents.c.sha256 == sha256)
        with self.database.read() as connection:
            row = connection.execute(query).mappings().first()
            return dict(row) if row else None

    def for_sha(self, sha256: str) -> list[dict[str, Any]]:
        query = select(t.documents).where(t.documents.c.sha256 == sha256).order_by(t.documents.c.id)
        with self.database.read() as connection:
            return [dict(r) for r in connection.execute(query).mappings()]

    def latest_for_url(self, url: str) -> dict[str, Any] | None:
        query = (
            select(t.documents)
            .where(t.documents.c.url == url, t.documents.c.status != "alias")
            .order_by(t.documents.c.id.desc())
            .limit(1)
        )
        with self.database.read() as connection:
            row = connection.execute(query).mappings().first()
            return dict(row) if row else None

    def known_urls(self) -> list[str]:
        with self.database.read() as connection:
            return list(connection.execute(select(t.documents.c.url).distinct()).scalars())

    def record(
        self,
        tx: Connection,
        url: str,
        sha256: str,
        size: int,
        link_text: str | None,
        date_line: str | None,
        status: str,
    ) -> None:
        """The first sighting of these bytes at this URL (a later one changes nothing)."""
        values = {
            "url": url,
            "sha256": sha256,
            "size": size,
            "link_text": link_text,
            "date_line": date_line,
            "status": status,
            "fetched_at": utcnow(),
        }
        insert_new(tx, t.documents, ["url", "sha256"], values)

    # --- withdrawn links ------------------------------------------------------------------------
    def withdrawn(self) -> dict[str, dt.datetime]:
        """Report URLs acknowledged as withdrawn from the page, and when."""
        with self.database.read() as connection:
            rows = connection.execute(select(t.withdrawn.c.url, t.withdrawn.c.acknowledged_at))
            return {url: at for url, at in rows}

    def acknowledge_withdrawn(self, url: str) -> bool:
        """Record ``url`` as withdrawn; False when it already was."""
        with self.database.transaction() as tx:
            return insert_new(tx, t.withdrawn, ["url"], {"url": url, "acknowledged_at": utcnow()})

    def reinstate(self, tx: Connection, urls: Sequence[str]) -> None:
        """Links back on the page are watched again: a second disappearance fails the crawl."""
        if urls:
            tx.execute(delete(t.withdrawn).where(t.withdrawn.c.url.in_(list(urls))))

    # --- quarantine -----------------------------------------------------------------------------
    def quarantine(self, tx: Connection, sha256: str, url: str, kind: str, message: str) -> None:
        """Held bytes, never parsed again until they change (same transaction as its ops alert)."""
        values = {"sha256": sha256, "url": url, "error_kind": kind, "message": message, "at": utcnow()}
        insert_new(tx, t.quarantine, ["sha256"], values)

    def quarantined(self, sha256: str) -> dict[str, Any] | None:
        with self.database.read() as connection:
            row = connection.execute(select(t.quarantine).where(t.quarantine.c.sha256 == sha256)).mappings().first()
            return dict(row) if row else None

    # --- notes ----------------------------------------------------------------------------------
    def record_note(self, tx: Connection, text: str, date_line: str | None, url: str | None) -> bool:
        """True when the note is new (first time seen); notes are told apart by their words."""
        digest = hashlib.sha256(" ".join(text.split()).encode()).hexdigest()
        values = {"digest": digest, "date_line": date_line, "url": url, "text": text, "first_seen": utcnow()}
        return insert_new(tx, t.notes, ["digest"], values)

    def notes(self) -> list[dict[str, Any]]:
        with self.database.read() as connection:
            return [dict(r) for r in connection.execute(select(t.notes).order_by(t.notes.c.id)).mappings()]
