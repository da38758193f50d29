"""The Store: every read and write the product makes, behind one small class.

SQLite is the default (WAL, busy timeout, ``BEGIN IMMEDIATE`` for writes, ``synchronous=FULL``
so a committed ``sent`` mark survives power loss); PostgreSQL is the same code by URL.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Connection, Engine, Table, create_engine, delete, event, func, insert, select, update
from sqlalchemy.engine import make_url

from parsers.jurisdictions import jurisdiction_key
from parsers.models import Report
from storage import schema as t


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


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


def _sqlite_begin(connection: Connection) -> None:
    # A deferred transaction that reads then writes can fail with SQLITE_BUSY at once,
    # ignoring busy_timeout; IMMEDIATE takes the write lock up front. Reads stay deferred
    # so they never wait for a writer (WAL lets them read the last commit).
    connection.exec_driver_sql("BEGIN IMMEDIATE" if connection.info.get(_WRITE) else "BEGIN")


def create_store_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"timeout": 10})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        url = str(parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False))
    return create_engine(url, pool_pre_ping=True)


class Store:
    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = create_store_engine(url)

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

    @property
    def url_for_humans(self) -> str:
        return make_url(self.url).render_as_string(hide_password=True)

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

        def key(county: str, state: str, bare_county: bool = False) -> str:
            try:
                return jurisdiction_key(county, state, bare_county)
            except ValueError:
                return f"?:{county}"

        sections: list[tuple[Table, list[tuple[Any, str]]]] = [
            (t.issued_rows, [(r, key(r.county, r.state, True)) for r in report.issued]),
            (t.declined_rows, [(r, key(r.county, r.state)) for r in report.declined]),
            (t.policy_rows, [(r, key(r.jurisdiction, r.state)) for r in report.policies]),
        ]
        for table, keyed_rows in sections:
            if keyed_rows:
                values = [
                    {**asdict(row), "report_id": report_id, "seq": seq, "jurisdiction_key": row_key}
                    for seq, (row, row_key) in enumerate(keyed_rows)
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

    def claim_alert(self, alert_id: int, channel: str) -> None:
        """Record the attempt *before* the call, so a crash leaves evidence to reconcile."""
        with self.transaction() as connection:
            connection.execute(
                update(t.alerts)
                .where(t.alerts.c.id == alert_id)
                .values(state="sending", attempts=t.alerts.c.attempts + 1, channel=channel)
            )

    def mark_sent(self, alert_id: int, slack_ts: str | None) -> None:
        with self.transaction() as connection:
            connection.execute(
                update(t.alerts)
                .where(t.alerts.c.id == alert_id)
                .values(state="sent", slack_ts=slack_ts, sent_at=utcnow(), last_error=None)
            )

    def mark_failed(self, alert_id: int, error: str, dead: bool) -> None:
        with self.transaction() as connection:
            connection.execute(
                update(t.alerts)
                .where(t.alerts.c.id == alert_id)
                .values(state="dead" if dead else "pending", last_error=error)
            )

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
