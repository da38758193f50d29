"""The Store: every read and write the product makes, behind one small class.

SQLite is the default (WAL, busy timeout, ``BEGIN IMMEDIATE`` for writes, ``synchronous=FULL``
so a committed ``sent`` mark survives power loss); PostgreSQL is the same code by URL.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import (
    Connection,
    Engine,
    Table,
    and_,
    create_engine,
    delete,
    event,
    func,
    insert,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from parsers.jurisdictions import row_key
from parsers.models import Report
from storage import schema as t


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    """SQLite hands timestamps back without their zone; every one we write is UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=dt.UTC)


def _same(column: Any, value: Any) -> Any:
    """``column = value`` that also matches NULL to None."""
    return column.is_(None) if value is None else column == value


def _report_values(report: Report, status: str) -> dict[str, Any]:
    """The ``reports`` columns that come from a parse (shared by insert and re-parse)."""
    meta = report.report
    return {
        "kind": meta.kind,
        "title": meta.title,
        "period_start": meta.period_start,
        "period_end": meta.period_end,
        "pages": meta.pages,
        "detainers_issued": meta.detainers_issued,
        "status": status,
        "problems": json.dumps(list(report.problems)),
        "data": json.dumps(report.to_json()),
        "parsed_at": utcnow(),
    }


class StoreError(Exception):
    """The store could not be opened or is at an unexpected schema version."""


@dataclass(frozen=True)
class StoredReport:
    id: int
    sha256: str
    url: str
    kind: str
    period_start: str
    period_end: str
    status: str
    supersedes: int | None
    report: Report
    parsed_at: dt.datetime


@dataclass(frozen=True)
class OutboxAlert:
    id: int
    key: str
    kind: str
    audience: str
    payload: dict[str, Any]
    state: str
    attempts: int
    thread_key: str | None
    slack_ts: str | None
    channel: str | None
    last_error: str | None
    in_doubt: bool = False
    first_attempt_at: dt.datetime | None = None
    channel_id: str | None = None
    claimed_by: str | None = None
    created_at: dt.datetime | None = None


@dataclass(frozen=True)
class NewAlert:
    key: str
    kind: str
    audience: str
    payload: dict[str, Any]
    thread_key: str | None = None


_WRITE = "ddor_write"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Python's sqlite3 opens implicit DEFERRED transactions; we issue BEGIN ourselves.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_read_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # No journal_mode here: switching a file to WAL is a write, and a reader has no say in it.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    # A deferred transaction that reads then writes can fail with SQLITE_BUSY at once,
    # ignoring busy_timeout; IMMEDIATE takes the write lock up front. Reads stay deferred
    # so they never wait for a writer (WAL lets them read the last commit).
    connection.exec_driver_sql("BEGIN IMMEDIATE" if connection.info.get(_WRITE) else "BEGIN")


def create_store_engine(url: str, read_only: bool = False) -> Engine:
    """An engine for ``url``; ``read_only`` makes the database itself refuse writes (SQLite
    ``mode=ro``, PostgreSQL ``default_transaction_read_only``), so a read command cannot
    write by accident."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        file = sqlite_file(url)
        if read_only and file is not None:
            return _sqlite_read_engine(file, "mode=ro")
        engine = create_engine(url, connect_args={"timeout": 10})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        url = str(parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False))
    connect_args = {"options": "-c default_transaction_read_only=on"} if read_only else {}
    return create_engine(url, pool_pre_ping=True, connect_args=connect_args)


def _sqlite_read_engine(file: Path, flags: str) -> Engine:
    engine = create_engine(f"sqlite:///file:{quote(str(file))}?{flags}&uri=true", connect_args={"timeout": 10})
    event.listen(engine, "connect", _sqlite_read_pragmas)
    event.listen(engine, "begin", _sqlite_begin)
    return engine


def sqlite_file(url: str) -> Path | None:
    """The database file a ``sqlite:///PATH`` URL names; None for other backends, in-memory
    databases and URLs that already carry SQLite URI options."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    if parsed.database.startswith("file:") or parsed.query:
        return None
    return Path(parsed.database)


class Store:
    def __init__(self, url: str, read_only: bool = False, engine: Engine | None = None) -> None:
        self.url = url
        self.read_only = read_only
        # False for a read-only stand-in for a database that does not exist yet.
        self.created = True
        self.engine = engine or create_store_engine(url, read_only)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A write transaction (``BEGIN IMMEDIATE`` on SQLite), committed on success."""
        with self.engine.connect() as connection:
            connection.info[_WRITE] = True
            try:
                with connection.begin():
                    yield connection
            finally:
                connection.info.pop(_WRITE, None)

    # --- schema ---------------------------------------------------------------------------
    def schema_version(self) -> int:
        with self.engine.connect() as connection:
            return t.current_version(connection)

    def upgrade(self) -> list[int]:
        """Apply pending migrations; returns the versions applied."""
        applied = []
        with self.transaction() as connection:
            version = t.current_version(connection)
            if version > t.LATEST:
                raise StoreError(
                    f"{self.url_for_humans}: schema version {version} is newer than "
                    f"this ddor ({t.LATEST}); upgrade ddor-watch"
                )
            for number, migrate in t.MIGRATIONS:
                if number > version:
                    migrate(connection)
                    connection.execute(insert(t.schema_version).values(version=number, applied_at=utcnow()))
                    applied.append(number)
        return applied

    def check_writable(self) -> None:
        """Raise :class:`StoreError` now when the database refuses writes (a read-only file,
        directory or role), instead of in the middle of a run. The probe updates no row,
        but both SQLite and PostgreSQL refuse it on a store that cannot be written."""
        try:
            with self.transaction() as connection:
                connection.execute(text("UPDATE schema_version SET version = version WHERE 1 = 0"))
        except DBAPIError as exc:
            raise StoreError(f"{self.where}: cannot write: {_first_line(exc.orig)}") from exc

    @property
    def url_for_humans(self) -> str:
        return make_url(self.url).render_as_string(hide_password=True)

    @property
    def where(self) -> str:
        """The database file for SQLite (what a user can chmod), else the URL without password."""
        file = sqlite_file(self.url)
        return str(file) if file is not None else self.url_for_humans

    # --- validators and documents ---------------------------------------------------------
    def validators(self) -> dict[str, dict[str, str | None]]:
        with self.engine.connect() as connection:
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

    def set_validators(self, connection: Connection, url: str, etag: str | None, last_modified: str | None) -> None:
        values = {"etag": etag, "last_modified": last_modified, "checked_at": utcnow()}
        done = connection.execute(update(t.sources).where(t.sources.c.url == url).values(**values))
        if done.rowcount == 0:
            connection.execute(insert(t.sources).values(url=url, **values))

    def document(self, url: str, sha256: str) -> dict[str, Any] | None:
        with self.engine.connect() as connection:
            row = (
                connection.execute(select(t.documents).where(t.documents.c.url == url, t.documents.c.sha256 == sha256))
                .mappings()
                .first()
            )
            return dict(row) if row else None

    def documents_for_sha(self, sha256: str) -> list[dict[str, Any]]:
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(t.documents).where(t.documents.c.sha256 == sha256).order_by(t.documents.c.id)
            ).mappings()
            return [dict(r) for r in rows]

    def latest_document_for_url(self, url: str) -> dict[str, Any] | None:
        with self.engine.connect() as connection:
            row = (
                connection.execute(
                    select(t.documents)
                    .where(t.documents.c.url == url, t.documents.c.status != "alias")
                    .order_by(t.documents.c.id.desc())
                    .limit(1)
                )
                .mappings()
                .first()
            )
            return dict(row) if row else None

    def known_report_urls(self) -> list[str]:
        with self.engine.connect() as connection:
            return list(connection.execute(select(t.documents.c.url).distinct()).scalars())

    def withdrawn(self) -> dict[str, dt.datetime]:
        """Report URLs acknowledged as withdrawn from the page, and when."""
        with self.engine.connect() as connection:
            rows = connection.execute(select(t.withdrawn.c.url, t.withdrawn.c.acknowledged_at))
            return {url: at for url, at in rows}

    def acknowledge_withdrawn(self, url: str) -> bool:
        """Record ``url`` as withdrawn; False when it already was."""
        with self.transaction() as connection:
            if connection.execute(select(t.withdrawn.c.url).where(t.withdrawn.c.url == url)).first():
                return False
            connection.execute(insert(t.withdrawn).values(url=url, acknowledged_at=utcnow()))
        return True

    def reinstate(self, connection: Connection, urls: Sequence[str]) -> None:
        """Links back on the page are watched again: a second disappearance fails the crawl."""
        if urls:
            connection.execute(delete(t.withdrawn).where(t.withdrawn.c.url.in_(list(urls))))

    def record_document(
        self,
        connection: Connection,
        url: str,
        sha256: str,
        size: int,
        link_text: str | None,
        date_line: str | None,
        status: str,
    ) -> None:
        exists = connection.execute(
            select(t.documents.c.id).where(t.documents.c.url == url, t.documents.c.sha256 == sha256)
        ).first()
        if exists is None:
            connection.execute(
                insert(t.documents).values(
                    url=url,
                    sha256=sha256,
                    size=size,
                    link_text=link_text,
                    date_line=date_line,
                    status=status,
                    fetched_at=utcnow(),
                )
            )

    def quarantine(self, connection: Connection, sha256: str, url: str, kind: str, message: str) -> None:
        """Held bytes, never parsed again until they change (same transaction as its ops alert)."""
        if connection.execute(select(t.quarantine).where(t.quarantine.c.sha256 == sha256)).first():
            return
        connection.execute(
            insert(t.quarantine).values(sha256=sha256, url=url, error_kind=kind, message=message, at=utcnow())
        )

    def quarantined(self, sha256: str) -> dict[str, Any] | None:
        with self.engine.connect() as connection:
            row = connection.execute(select(t.quarantine).where(t.quarantine.c.sha256 == sha256)).mappings().first()
            return dict(row) if row else None

    # --- reports --------------------------------------------------------------------------
    def save_report(
        self, connection: Connection, report: Report, url: str, status: str, supersedes: int | None = None
    ) -> int:
        meta = report.report
        report_id = connection.execute(
            insert(t.reports)
            .values(sha256=meta.sha256, url=url, supersedes=supersedes, **_report_values(report, status))
            .returning(t.reports.c.id)
        ).scalar_one()
        if supersedes is not None:
            connection.execute(update(t.reports).where(t.reports.c.id == supersedes).values(status="superseded"))
        self._save_rows(connection, report_id, report)
        return int(report_id)

    def replace_report(self, connection: Connection, report_id: int, report: Report, status: str) -> None:
        """A re-parse of the same bytes: new data and rows for an existing report row."""
        connection.execute(
            update(t.reports).where(t.reports.c.id == report_id).values(**_report_values(report, status))
        )
        for table in (t.issued_rows, t.declined_rows, t.policy_rows):
            connection.execute(delete(table).where(table.c.report_id == report_id))
        self._save_rows(connection, report_id, report)

    def _save_rows(self, connection: Connection, report_id: int, report: Report) -> None:
        """Each section's rows; the columns are the record's fields plus the report and key."""

        sections: list[tuple[Table, list[tuple[Any, str]]]] = [
            (t.issued_rows, [(r, row_key(r.county, r.state, True)) for r in report.issued]),
            (t.declined_rows, [(r, row_key(r.county, r.state)) for r in report.declined]),
            (t.policy_rows, [(r, row_key(r.jurisdiction, r.state)) for r in report.policies]),
        ]
        for table, keyed_rows in sections:
            if keyed_rows:
                values = [
                    {**asdict(row), "report_id": report_id, "seq": seq, "jurisdiction_key": key}
                    for seq, (row, key) in enumerate(keyed_rows)
                ]
                connection.execute(insert(table), values)

    def _stored(self, row: Any) -> StoredReport:
        return StoredReport(
            id=row["id"],
            sha256=row["sha256"],
            url=row["url"],
            kind=row["kind"],
            period_start=row["period_start"],
            period_end=row["period_end"],
            status=row["status"],
            supersedes=row["supersedes"],
            report=Report.from_json(json.loads(row["data"])),
            parsed_at=row["parsed_at"],
        )

    def latest_good_arrival(self) -> tuple[str, str, dt.datetime] | None:
        """(kind, period_end, parsed_at) of the good report parsed last, without loading any
        report's data: every poll asks, including the many that find nothing new."""
        query = (
            select(t.reports.c.kind, t.reports.c.period_end, t.reports.c.parsed_at)
            .where(t.reports.c.status == "good")
            .order_by(t.reports.c.parsed_at.desc())
            .limit(1)
        )
        with self.engine.connect() as connection:
            row = connection.execute(query).first()
        if row is None:
            return None
        parsed_at = row.parsed_at if row.parsed_at.tzinfo else row.parsed_at.replace(tzinfo=dt.UTC)
        return row.kind, row.period_end, parsed_at

    def report_by_sha(self, sha256: str) -> StoredReport | None:
        with self.engine.connect() as connection:
            row = connection.execute(select(t.reports).where(t.reports.c.sha256 == sha256)).mappings().first()
            return self._stored(row) if row else None

    def report_by_id(self, report_id: int) -> StoredReport | None:
        with self.engine.connect() as connection:
            row = connection.execute(select(t.reports).where(t.reports.c.id == report_id)).mappings().first()
            return self._stored(row) if row else None

    def reports(self, kind: str | None = None, statuses: Sequence[str] | None = None) -> list[StoredReport]:
        """Reports in period order (then parse order)."""
        query = select(t.reports).order_by(t.reports.c.period_start, t.reports.c.id)
        if kind:
            query = query.where(t.reports.c.kind == kind)
        if statuses:
            query = query.where(t.reports.c.status.in_(list(statuses)))
        with self.engine.connect() as connection:
            return [self._stored(r) for r in connection.execute(query).mappings()]

    # --- notes ----------------------------------------------------------------------------
    def record_note(self, connection: Connection, text: str, date_line: str | None, url: str | None) -> bool:
        """True when the note is new (first time seen)."""
        digest = hashlib.sha256(" ".join(text.split()).encode()).hexdigest()
        if connection.execute(select(t.notes.c.id).where(t.notes.c.digest == digest)).first():
            return False
        connection.execute(
            insert(t.notes).values(digest=digest, date_line=date_line, url=url, text=text, first_seen=utcnow())
        )
        return True

    def notes(self) -> list[dict[str, Any]]:
        with self.engine.connect() as connection:
            return [dict(r) for r in connection.execute(select(t.notes).order_by(t.notes.c.id)).mappings()]

    # --- outbox ---------------------------------------------------------------------------
    def add_alerts(self, connection: Connection, new_alerts: Sequence[NewAlert], report_id: int | None = None) -> int:
        """Insert alerts whose key is new; returns how many were added."""
        added = 0
        for alert in new_alerts:
            if connection.execute(select(t.alerts.c.id).where(t.alerts.c.key == alert.key)).first():
                continue
            connection.execute(
                insert(t.alerts).values(
                    key=alert.key,
                    kind=alert.kind,
                    audience=alert.audience,
                    report_id=report_id,
                    thread_key=alert.thread_key,
                    payload=json.dumps(alert.payload),
                    state="pending",
                    attempts=0,
                    created_at=utcnow(),
                )
            )
            added += 1
        return added

    def _outbox(self, row: Any) -> OutboxAlert:
        return OutboxAlert(
            id=row["id"],
            key=row["key"],
            kind=row["kind"],
            audience=row["audience"],
            payload=json.loads(row["payload"]),
            state=row["state"],
            attempts=row["attempts"],
            thread_key=row["thread_key"],
            slack_ts=row["slack_ts"],
            channel=row["channel"],
            last_error=row["last_error"],
            in_doubt=bool(row["in_doubt"]),
            first_attempt_at=_aware(row["first_attempt_at"]),
            channel_id=row["channel_id"],
            claimed_by=row["claimed_by"],
            created_at=_aware(row["created_at"]),
        )

    def alerts(self, states: Sequence[str] | None = None) -> list[OutboxAlert]:
        query = select(t.alerts).order_by(t.alerts.c.id)
        if states:
            query = query.where(t.alerts.c.state.in_(list(states)))
        with self.engine.connect() as connection:
            return [self._outbox(r) for r in connection.execute(query).mappings()]

    def alert_by_key(self, key: str) -> OutboxAlert | None:
        with self.engine.connect() as connection:
            row = connection.execute(select(t.alerts).where(t.alerts.c.key == key)).mappings().first()
            return self._outbox(row) if row else None

    def _alert_by_id(self, alert_id: int) -> OutboxAlert:
        with self.engine.connect() as connection:
            return self._outbox(connection.execute(select(t.alerts).where(t.alerts.c.id == alert_id)).mappings().one())

    def _update_alert(self, alert_id: int, owner: str | None, **values: Any) -> bool:
        """One UPDATE of an alert, only while ``owner`` still holds its claim (None: any state);
        False when someone else holds it now."""
        query = update(t.alerts).where(t.alerts.c.id == alert_id)
        if owner is not None:
            query = query.where(t.alerts.c.state == "sending", t.alerts.c.claimed_by == owner)
        with self.transaction() as connection:
            return connection.execute(query.values(**values)).rowcount == 1

    def claim_alert(
        self, alert_id: int, channel: str | None = None, owner: str = "", lease_until: dt.datetime | None = None
    ) -> bool:
        """pending → sending, as one conditional UPDATE: True for the one caller that won."""
        values: dict[str, Any] = {"state": "sending", "claimed_by": owner or None, "lease_until": lease_until}
        if channel is not None:
            values["channel"] = channel
        query = update(t.alerts).where(t.alerts.c.id == alert_id, t.alerts.c.state == "pending")
        with self.transaction() as connection:
            return connection.execute(query.values(**values)).rowcount == 1

    def claim_next_alert(
        self, owner: str, now: dt.datetime, lease_seconds: float, owner_is_gone: Callable[[str], bool]
    ) -> OutboxAlert | None:
        """Claim the next deliverable alert for ``owner``, or None when there is none.

        Deliverable: sending under a claim that lapsed (its lease ran out, or ``owner_is_gone``
        says its drainer died) — those first, as their doubt is oldest — then the oldest pending
        alert past its backoff. Each claim is one conditional UPDATE naming the state (and the
        old claim) it expects, so when drainers race for a row exactly one UPDATE matches it;
        a loser looks again. Nothing is claimed from a list read before another claim."""
        alerts = t.alerts
        claim = {"state": "sending", "claimed_by": owner, "lease_until": now + dt.timedelta(seconds=lease_seconds)}
        with self.engine.connect() as connection:
            held = connection.execute(
                select(alerts.c.id, alerts.c.claimed_by, alerts.c.lease_until)
                .where(alerts.c.state == "sending")
                .order_by(alerts.c.id)
            ).all()
        for row in held:
            lease = _aware(row.lease_until)
            if not (lease is None or lease < now or (row.claimed_by and owner_is_gone(row.claimed_by))):
                continue
            # The old claim exactly as read: a drainer that renewed its lease since keeps it.
            take_over = (
                update(alerts)
                .where(
                    alerts.c.id == row.id,
                    alerts.c.state == "sending",
                    _same(alerts.c.claimed_by, row.claimed_by),
                    _same(alerts.c.lease_until, row.lease_until),
                )
                .values(**claim)
            )
            with self.transaction() as connection:
                if connection.execute(take_over).rowcount == 1:
                    return self._alert_by_id(row.id)
        due = and_(
            alerts.c.state == "pending", or_(alerts.c.next_attempt_at.is_(None), alerts.c.next_attempt_at <= now)
        )
        oldest_due = select(alerts.c.id).where(due).order_by(alerts.c.id).limit(1).scalar_subquery()
        take = update(alerts).where(alerts.c.id == oldest_due, due).values(**claim).returning(alerts.c.id)
        while True:
            with self.transaction() as connection:
                won = connection.execute(take).scalar()
                if won is None and connection.execute(select(alerts.c.id).where(due).limit(1)).first() is None:
                    return None
            if won is not None:
                return self._alert_by_id(int(won))
            # PostgreSQL: another drainer took the same row first (ours re-checked and
            # matched nothing); SQLite's write lock makes this branch unreachable there.

    def renew_claim(self, alert_id: int, owner: str, lease_until: dt.datetime) -> bool:
        return self._update_alert(alert_id, owner, lease_until=lease_until)

    def record_attempt(
        self, alert_id: int, owner: str, channel: str, now: dt.datetime, lease_until: dt.datetime
    ) -> bool:
        """Written *before* the post: from here until Slack's answer, the alert is in doubt.
        It renews the claim too (one commit fewer per post)."""
        return self._update_alert(
            alert_id,
            owner,
            lease_until=lease_until,
            attempts=t.alerts.c.attempts + 1,
            in_doubt=1,
            channel=channel,
            first_attempt_at=func.coalesce(t.alerts.c.first_attempt_at, now),
        )

    def set_in_doubt(self, alert_id: int, owner: str, in_doubt: bool, error: str | None = None) -> bool:
        values: dict[str, Any] = {"in_doubt": int(in_doubt)}
        if error is not None:
            values["last_error"] = error
        return self._update_alert(alert_id, owner, **values)

    def mark_sent(
        self, alert_id: int, slack_ts: str | None, channel_id: str | None = None, owner: str | None = None
    ) -> bool:
        return self._update_alert(
            alert_id,
            owner,
            state="sent",
            slack_ts=slack_ts,
            channel_id=channel_id or t.alerts.c.channel_id,
            sent_at=utcnow(),
            last_error=None,
            in_doubt=0,
            claimed_by=None,
            lease_until=None,
        )

    def release_alert(
        self,
        alert_id: int,
        owner: str,
        error: str | None,
        not_before: dt.datetime | None,
        channel_id: str | None = None,
    ) -> bool:
        """Back to pending for a later drain (its doubt, if any, is kept and resolved first)."""
        return self._update_alert(
            alert_id,
            owner,
            state="pending",
            last_error=error,
            next_attempt_at=not_before,
            channel_id=channel_id or t.alerts.c.channel_id,
            claimed_by=None,
            lease_until=None,
        )

    def mark_failed(
        self, alert_id: int, error: str, dead: bool, owner: str | None = None, in_doubt: bool | None = None
    ) -> bool:
        values: dict[str, Any] = {
            "state": "dead" if dead else "pending",
            "last_error": error,
            "claimed_by": None,
            "lease_until": None,
        }
        if in_doubt is not None:
            values["in_doubt"] = int(in_doubt)
        return self._update_alert(alert_id, owner, **values)

    def known_channel_id(self, channel: str) -> str | None:
        """The Slack ID a post to ``channel`` (a name) answered with before, if any."""
        query = (
            select(t.alerts.c.channel_id)
            .where(t.alerts.c.channel == channel, t.alerts.c.channel_id.is_not(None))
            .order_by(t.alerts.c.id.desc())
            .limit(1)
        )
        with self.engine.connect() as connection:
            value = connection.execute(query).scalar()
        return str(value) if value else None

    def requeue_dead(self, keys: Sequence[str] = ()) -> list[str]:
        """Dead alerts (all, or those keys) back to pending with a fresh time budget; returns
        the keys re-queued. Doubt is kept: an alert that died unsure whether Slack had it is
        looked up before it is posted again."""
        with self.transaction() as connection:
            query = select(t.alerts.c.key).where(t.alerts.c.state == "dead").order_by(t.alerts.c.id)
            if keys:
                query = query.where(t.alerts.c.key.in_(list(keys)))
            found = list(connection.execute(query).scalars())
            if found:
                connection.execute(
                    update(t.alerts)
                    .where(t.alerts.c.key.in_(found), t.alerts.c.state == "dead")
                    .values(state="pending", first_attempt_at=None, next_attempt_at=None, attempts=0)
                )
        return found

    def dead_alerts(self) -> list[OutboxAlert]:
        return self.alerts(states=("dead",))

    def alert_counts(self) -> dict[str, int]:
        with self.engine.connect() as connection:
            rows = connection.execute(select(t.alerts.c.state, func.count()).group_by(t.alerts.c.state))
            return {state: int(count) for state, count in rows}

    # --- runs and health --------------------------------------------------------------------
    def start_run(self, run_id: str, trigger: str) -> None:
        with self.transaction() as connection:
            connection.execute(insert(t.runs).values(run_id=run_id, trigger=trigger, started_at=utcnow()))

    def finish_run(self, run_id: str, outcome: str, stats: dict[str, Any], error: str | None = None) -> None:
        with self.transaction() as connection:
            connection.execute(
                update(t.runs)
                .where(t.runs.c.run_id == run_id)
                .values(finished_at=utcnow(), outcome=outcome, stats=json.dumps(stats), error=error)
            )

    def close_unfinished_runs(self, outcome: str, error: str) -> list[str]:
        """Mark every run still open as ended (a cycle killed before it could say so itself).
        Only call this holding the cycle lock, when no cycle can be running; returns their ids."""
        with self.transaction() as connection:
            open_runs = t.runs.c.finished_at.is_(None)
            ids = [row[0] for row in connection.execute(select(t.runs.c.run_id).where(open_runs))]
            ended = {"finished_at": utcnow(), "outcome": outcome, "error": error}
            connection.execute(update(t.runs).where(open_runs).values(**ended))
        return ids

    def last_runs(self, limit: int = 10) -> list[dict[str, Any]]:
        with self.engine.connect() as connection:
            rows = connection.execute(select(t.runs).order_by(t.runs.c.id.desc()).limit(limit)).mappings()
            return [dict(r) for r in rows]

    def last_success(self) -> dt.datetime | None:
        with self.engine.connect() as connection:
            value = connection.execute(
                select(func.max(t.runs.c.started_at)).where(t.runs.c.outcome.in_(["ok", "not_modified"]))
            ).scalar()
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value

    def health(self, check: str, connection: Connection | None = None) -> dict[str, Any]:
        if connection is None:
            with self.engine.connect() as own:
                return self.health(check, own)
        row = connection.execute(select(t.health).where(t.health.c.check_name == check)).mappings().first()
        return dict(row) if row else {"check_name": check, "consecutive_failures": 0, "alerting": 0, "last_error": None}

    def set_health(self, connection: Connection, check: str, failures: int, alerting: bool, error: str | None) -> None:
        values = {"consecutive_failures": failures, "alerting": int(alerting), "last_error": error}
        done = connection.execute(update(t.health).where(t.health.c.check_name == check).values(**values))
        if done.rowcount == 0:
            connection.execute(insert(t.health).values(check_name=check, **values))


def _first_line(error: object) -> str:
    lines = str(error).strip().splitlines()
    return lines[0][:200] if lines else type(error).__name__


def open_for_writing(url: str) -> Store:
    """The store for commands that write: migrations applied, writes proven possible.
    Raises :class:`StoreError` (one line naming the file) when the store is read-only."""
    store = Store(url)
    try:
        store.upgrade()
    except DBAPIError as exc:
        store.close()
        raise StoreError(f"{store.where}: cannot write: {_first_line(exc.orig)}") from exc
    except StoreError:
        store.close()
        raise
    try:
        store.check_writable()
    except StoreError:
        store.close()
        raise
    return store


def open_for_reading(url: str) -> Store:
    """The store for commands that only read: the database refuses writes and nothing is
    migrated. A database that does not exist yet (a fresh clone) reads as empty; a schema
    older than this ddor is a :class:`StoreError` asking for ``ddor db upgrade``."""
    file = sqlite_file(url)
    if file is not None and not file.is_file():
        return _empty_store(url)
    store = Store(url, read_only=True)
    try:
        version = store.schema_version()
    except DBAPIError:
        if file is None:
            raise
        # A WAL database in a directory we cannot write: mode=ro needs the -shm index that
        # readers share and SQLite cannot create it. immutable=1 reads the file alone, with
        # no locks and no -wal; that is sound because a live writer would have left -shm
        # in place (and mode=ro would have worked), and a writer's last close checkpoints
        # the -wal into the file before removing both.
        store.close()
        store = Store(url, read_only=True, engine=_sqlite_read_engine(file, "immutable=1"))
        version = store.schema_version()
    if version == 0:
        store.close()
        return _empty_store(url)
    if version != t.LATEST:
        store.close()
        if version > t.LATEST:
            raise StoreError(
                f"{store.where}: schema version {version} is newer than this ddor ({t.LATEST}); upgrade ddor-watch"
            )
        raise StoreError(
            f"{store.where}: schema version {version} is older than this ddor's ({t.LATEST}): run `ddor db upgrade`"
        )
    return store


def _empty_store(url: str) -> Store:
    """An in-memory store with the current schema and no rows, standing in (read-only) for
    one that has not been created: reads answer "nothing yet" and create no file."""
    store = Store("sqlite://")
    store.upgrade()
    store.url = url
    store.read_only = True
    store.created = False
    return store
