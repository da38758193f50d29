"""Tables, and the schema version a database is at. The same SQLAlchemy Core schema serves
SQLite and PostgreSQL. Changes to it are Alembic revisions (storage/migrations, applied by
storage/migrate.py); the hand-written steps below are the ones released before Alembic, kept
to bring an older database up to the baseline, and frozen."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    DateTime,
    DefaultClause,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    inspect,
    select,
    text,
    update,
)

metadata = MetaData()

schema_version = Table(
    "schema_version",
    metadata,
    Column("version", Integer, primary_key=True),
    Column("applied_at", DateTime(timezone=True), nullable=False),
)
sources = Table(
    "sources",
    metadata,
    Column("url", String(2000), primary_key=True, comment="a URL we poll with conditional GET"),
    Column("etag", String(500)),
    Column("last_modified", String(100)),
    Column("checked_at", DateTime(timezone=True)),
    comment="HTTP validators per URL (listing page and report PDFs)",
)
documents = Table(
    "documents",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("url", String(2000), nullable=False),
    Column("sha256", String(64), nullable=False, comment="digest of the bytes; the archive file name"),
    Column("size", BigInteger, nullable=False),
    Column("link_text", Text),
    Column("date_line", String(200), comment="the date line above the link on the listing page"),
    Column("status", String(20), nullable=False, comment="report | alias | correction | quarantined"),
    Column("fetched_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("url", "sha256"),
    comment="every distinct (URL, bytes) the crawler downloaded",
)
reports = Table(
    "reports",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("sha256", String(64), nullable=False, unique=True),
    Column("url", String(2000), nullable=False),
    Column("kind", String(20), nullable=False, comment="weekly | quarterly"),
    Column("title", Text, nullable=False),
    Column("period_start", String(10), nullable=False),
    Column("period_end", String(10), nullable=False),
    Column("pages", Integer, nullable=False),
    Column("detainers_issued", BigInteger),
    Column("status", String(20), nullable=False, comment="good | suspect | superseded"),
    Column("problems", Text, nullable=False, comment="JSON list of failed self-checks"),
    Column("supersedes", Integer, ForeignKey("reports.id"), comment="the report this corrects"),
    Column("data", Text, nullable=False, comment="the full parse as report-json"),
    Column("parsed_at", DateTime(timezone=True), nullable=False),
    comment="one row per parsed report (a correction is a new row superseding the old)",
)
issued_rows = Table(
    "issued_rows",
    metadata,
    Column("report_id", Integer, ForeignKey("reports.id"), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("jurisdiction_key", String(200), nullable=False, comment="STATE:county, e.g. TX:travis; CA:* = whole state"),
    Column("county", Text, nullable=False),
    Column("state", String(2), nullable=False),
    Column("issued_detainers", BigInteger, nullable=False, comment="detainers ICE issued to it in the period"),
    Column("page", Integer, nullable=False, comment="PDF page (1-based) where the row starts"),
    comment="Section I: detainers issued to the top non-cooperative jurisdictions",
)
declined_rows = Table(
    "declined_rows",
    metadata,
    Column("report_id", Integer, ForeignKey("reports.id"), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("jurisdiction_key", String(200), nullable=False, comment="STATE:county, e.g. TX:travis; CA:* = whole state"),
    Column("state", String(2), nullable=False),
    Column("county", Text, nullable=False),
    Column("facility", Text, nullable=False, comment="jail or facility, as ICE's systems spell it"),
    Column("citizenship", Text, nullable=False),
    Column("criminal_activity", Text, nullable=False, comment="the offence, without the Convicted/Charged marker"),
    Column("conviction_status", String(10), comment="convicted | charged | NULL when not stated"),
    Column("detainer_issued", String(10), comment="ISO date the detainer was issued"),
    Column("detainer_declined", String(10), comment="ISO date it was recorded as declined"),
    Column("page", Integer, nullable=False, comment="PDF page (1-based) where the row starts"),
    comment="Section II: one row per person released despite a detainer",
)
policy_rows = Table(
    "policy_rows",
    metadata,
    Column("report_id", Integer, ForeignKey("reports.id"), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("jurisdiction_key", String(200), nullable=False, comment="STATE:county, e.g. TX:travis; CA:* = whole state"),
    Column("jurisdiction", Text, nullable=False),
    Column("state", String(2), nullable=False),
    Column("policy", Text, nullable=False),
    Column("criteria", Text, nullable=False),
    Column("date_enacted", String(40), nullable=False, comment="as printed (Jul-14 or an ISO date)"),
    Column("page", Integer, nullable=False, comment="PDF page (1-based) where the row starts"),
    comment="Section III: jurisdictions with policies restricting cooperation",
)
notes = Table(
    "notes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("digest", String(64), nullable=False, unique=True),
    Column("date_line", String(200)),
    Column("url", String(2000), comment="the report link the note sits under, if any"),
    Column("text", Text, nullable=False),
    Column("first_seen", DateTime(timezone=True), nullable=False),
    comment="'Note posted on ICE.gov' paragraphs from the listing page",
)
quarantine = Table(
    "quarantine",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("url", String(2000), nullable=False),
    Column("error_kind", String(40), nullable=False),
    Column("message", Text, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    comment="downloads that could not be parsed; retried only when their bytes change",
)
alerts = Table(
    "alerts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("key", String(200), nullable=False, unique=True, comment="deterministic: sha256 + kind + subject"),
    Column("kind", String(40), nullable=False),
    Column("audience", String(10), nullable=False, comment="content | ops"),
    Column("report_id", Integer, ForeignKey("reports.id")),
    Column("thread_key", String(200), comment="key of the alert this one replies to"),
    Column("payload", Text, nullable=False, comment="the alert as JSON; rendering happens at send time"),
    Column("state", String(10), nullable=False, comment="pending | sending | sent | dead"),
    Column("attempts", Integer, nullable=False),
    Column("last_error", Text),
    Column("channel", String(200)),
    Column("slack_ts", String(40)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("sent_at", DateTime(timezone=True)),
    # Migration 2: claims with a lease, doubt kept across drains, the give-up budget, backoff.
    Column("claimed_by", String(200), comment="the drainer (host:pid:token) holding a sending alert"),
    Column("lease_until", DateTime(timezone=True), comment="a sending alert's claim lapses after this"),
    Column(
        "in_doubt",
        Integer,
        nullable=False,
        server_default="0",
        comment="1 while Slack may hold a post we have not confirmed (checked before any re-post)",
    ),
    Column("first_attempt_at", DateTime(timezone=True), comment="start of slack.give_up_after_hours"),
    Column("next_attempt_at", DateTime(timezone=True), comment="not claimed again before this (backoff)"),
    Column("channel_id", String(40), comment="Slack's ID of the channel, for reading its history"),
    comment="the outbox: written with the data that caused it, drained in id order",
)
runs = Table(
    "runs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("run_id", String(40), nullable=False, unique=True),
    Column("trigger", String(20), nullable=False, comment="cli | daemon | catch-up | demo"),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Column("outcome", String(20), comment="ok | not_modified | failed | killed"),
    Column("stats", Text, comment="JSON crawl/parse counters"),
    Column("error", Text),
    comment="one row per monitoring cycle",
)
health = Table(
    "health",
    metadata,
    Column("check_name", String(40), primary_key=True, comment="crawl | parse | delivery"),
    Column("consecutive_failures", Integer, nullable=False),
    Column("alerting", Integer, nullable=False, comment="1 while an ops alert is open"),
    Column("last_error", Text),
    comment="consecutive failures per check, for ops alerts and their resolution",
)
withdrawn = Table(
    "withdrawn",
    metadata,
    Column("url", String(2000), primary_key=True, comment="a report link that left the listing page"),
    Column("acknowledged_at", DateTime(timezone=True), nullable=False, comment="when `ddor forget` was run"),
    comment="report links acknowledged as withdrawn: their absence from the page is not a crawl failure",
)


def datasette_metadata(database: str = "ddor") -> dict[str, object]:
    """Datasette's metadata (``datasette DB -m metadata.json``): the schema's table and column
    comments, since SQLite itself keeps no comments."""
    tables: dict[str, object] = {}
    for table in metadata.sorted_tables:
        if table.name == "schema_version":
            continue
        columns = {column.name: column.comment for column in table.columns if column.comment}
        tables[table.name] = {"description": table.comment or "", "columns": columns}
    return {"title": "ddor-watch: ICE Declined Detainer Outcome Reports", "databases": {database: {"tables": tables}}}


def _create_v1(connection: Connection) -> None:
    metadata.create_all(connection)


def _add_withdrawn_v2(connection: Connection) -> None:
    # checkfirst: a database created by v1 today already has every current table.
    withdrawn.create(connection, checkfirst=True)


# Counts are 64-bit: a count past 2**31 is refused by validation, but must never reach the
# database as an overflow that fails every later crawl.
_WIDENED = (("documents", "size"), ("reports", "detainers_issued"), ("issued_rows", "issued_detainers"))


def _widen_counts_v3(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":  # SQLite's INTEGER is already 64-bit
        for table, column in _WIDENED:
            connection.exec_driver_sql(f"ALTER TABLE {table} ALTER COLUMN {column} TYPE BIGINT")


# Exactly the columns v4 added: a column a later Alembic revision adds is that revision's job.
_OUTBOX_CLAIM_COLUMNS = ("claimed_by", "lease_until", "in_doubt", "first_attempt_at", "next_attempt_at", "channel_id")


def _outbox_claims_v4(connection: Connection) -> None:
    """The outbox columns for atomic claims and doubt (see the alerts table). A store created
    since has them from migration 1's create_all; an older one gets them here."""
    present = {column["name"] for column in inspect(connection).get_columns("alerts")}
    preparer = connection.dialect.identifier_preparer
    for column in alerts.columns:
        if column.name in present or column.name not in _OUTBOX_CLAIM_COLUMNS:
            continue
        kind = column.type.compile(dialect=connection.dialect)
        default = f" DEFAULT {column.server_default.arg}" if isinstance(column.server_default, DefaultClause) else ""
        required = "" if column.nullable else " NOT NULL"
        connection.exec_driver_sql(
            f"ALTER TABLE alerts ADD COLUMN {preparer.quote(column.name)} {kind}{default}{required}"
        )
        if column.name == "in_doubt":
            # A v1 row left in 'sending' is an attempt whose answer was never recorded.
            connection.execute(update(alerts).where(alerts.c.state == "sending").values(in_doubt=1))


# Released before Alembic: never edit, never append (a schema change is an Alembic revision).
MIGRATIONS: list[tuple[int, Callable[[Connection], None]]] = [
    (1, _create_v1),
    (2, _add_withdrawn_v2),
    (3, _widen_counts_v3),
    (4, _outbox_claims_v4),
]
# The schema version this ddor works with: the newest Alembic revision's number (its ID is the
# number zero-padded, e.g. "0004"; a test holds the two together). Read at call time, not
# copied, so a test can pretend to be a newer ddor.
LATEST = 4


def has_alembic_version(connection: Connection) -> bool:
    return inspect(connection).has_table("alembic_version")


def legacy_version(connection: Connection) -> int:
    """The version a database made before Alembic says it is at (0: none)."""
    if not inspect(connection).has_table("schema_version"):
        return 0
    version = connection.execute(
        select(schema_version.c.version).order_by(schema_version.c.version.desc()).limit(1)
    ).scalar()
    return int(version or 0)


def current_version(connection: Connection) -> int:
    """The schema version of the database: its Alembic revision, else the legacy table's
    version (a database made before Alembic), else 0 (no schema yet)."""
    if has_alembic_version(connection):
        revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        return int(revision) if revision else 0
    return legacy_version(connection)
