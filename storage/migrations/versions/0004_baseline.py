"""Baseline: the schema ddor-watch released before Alembic (its legacy migration 4).

Spelled out table by table, never ``metadata.create_all``: later revisions ALTER this known
state, whatever the tables in storage/schema.py have become by then. A database made by that
release is brought to legacy version 4 by storage/schema.py's frozen steps and stamped with
this revision instead of running it.

Revision ID: 0004
Revises: none
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

TABLES = (
    "withdrawn",
    "health",
    "runs",
    "alerts",
    "quarantine",
    "notes",
    "policy_rows",
    "declined_rows",
    "issued_rows",
    "reports",
    "documents",
    "sources",
    "schema_version",
)


def upgrade() -> None:
    op.create_table(
        "documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False, comment="digest of the bytes; the archive file name"),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("link_text", sa.Text(), nullable=True),
        sa.Column(
            "date_line",
            sa.String(length=200),
            nullable=True,
            comment="the date line above the link on the listing page",
        ),
        sa.Column("status", sa.String(length=20), nullable=False, comment="report | alias | correction | quarantined"),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("url", "sha256"),
        comment="every distinct (URL, bytes) the crawler downloaded",
    )
    op.create_table(
        "health",
        sa.Column("check_name", sa.String(length=40), nullable=False, comment="crawl | parse | delivery"),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("alerting", sa.Integer(), nullable=False, comment="1 while an ops alert is open"),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("check_name"),
        comment="consecutive failures per check, for ops alerts and their resolution",
    )
    op.create_table(
        "notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("date_line", sa.String(length=200), nullable=True),
        sa.Column("url", sa.String(length=2000), nullable=True, comment="the report link the note sits under, if any"),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("digest"),
        comment="'Note posted on ICE.gov' paragraphs from the listing page",
    )
    op.create_table(
        "quarantine",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("error_kind", sa.String(length=40), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sha256"),
        comment="downloads that could not be parsed; retried only when their bytes change",
    )
    op.create_table(
        "reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False, comment="weekly | quarterly"),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("period_start", sa.String(length=10), nullable=False),
        sa.Column("period_end", sa.String(length=10), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("detainers_issued", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False, comment="good | suspect | superseded"),
        sa.Column("problems", sa.Text(), nullable=False, comment="JSON list of failed self-checks"),
        sa.Column("supersedes", sa.Integer(), nullable=True, comment="the report this corrects"),
        sa.Column("data", sa.Text(), nullable=False, comment="the full parse as report-json"),
        sa.Column("parsed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["supersedes"],
            ["reports.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("sha256"),
        comment="one row per parsed report (a correction is a new row superseding the old)",
    )
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.String(length=40), nullable=False),
        sa.Column("trigger", sa.String(length=20), nullable=False, comment="cli | daemon | catch-up | demo"),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=True, comment="ok | not_modified | failed | killed"),
        sa.Column("stats", sa.Text(), nullable=True, comment="JSON crawl/parse counters"),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("run_id"),
        comment="one row per monitoring cycle",
    )
    op.create_table(
        "schema_version",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("version"),
    )
    op.create_table(
        "sources",
        sa.Column("url", sa.String(length=2000), nullable=False, comment="a URL we poll with conditional GET"),
        sa.Column("etag", sa.String(length=500), nullable=True),
        sa.Column("last_modified", sa.String(length=100), nullable=True),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("url"),
        comment="HTTP validators per URL (listing page and report PDFs)",
    )
    op.create_table(
        "withdrawn",
        sa.Column("url", sa.String(length=2000), nullable=False, comment="a report link that left the listing page"),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=False, comment="when `ddor forget` was run"),
        sa.PrimaryKeyConstraint("url"),
        comment="report links acknowledged as withdrawn: their absence from the page is not a crawl failure",
    )
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False, comment="deterministic: sha256 + kind + subject"),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("audience", sa.String(length=10), nullable=False, comment="content | ops"),
        sa.Column("report_id", sa.Integer(), nullable=True),
        sa.Column("thread_key", sa.String(length=200), nullable=True, comment="key of the alert this one replies to"),
        sa.Column("payload", sa.Text(), nullable=False, comment="the alert as JSON; rendering happens at send time"),
        sa.Column("state", sa.String(length=10), nullable=False, comment="pending | sending | sent | dead"),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("channel", sa.String(length=200), nullable=True),
        sa.Column("slack_ts", sa.String(length=40), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "claimed_by",
            sa.String(length=200),
            nullable=True,
            comment="the drainer (host:pid:token) holding a sending alert",
        ),
        sa.Column(
            "lease_until",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="a sending alert's claim lapses after this",
        ),
        sa.Column(
            "in_doubt",
            sa.Integer(),
            server_default="0",
            nullable=False,
            comment="1 while Slack may hold a post we have not confirmed (checked before any re-post)",
        ),
        sa.Column(
            "first_attempt_at", sa.DateTime(timezone=True), nullable=True, comment="start of slack.give_up_after_hours"
        ),
        sa.Column(
            "next_attempt_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="not claimed again before this (backoff)",
        ),
        sa.Column(
            "channel_id",
            sa.String(length=40),
            nullable=True,
            comment="Slack's ID of the channel, for reading its history",
        ),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["reports.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
        comment="the outbox: written with the data that caused it, drained in id order",
    )
    op.create_table(
        "declined_rows",
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column(
            "jurisdiction_key",
            sa.String(length=200),
            nullable=False,
            comment="STATE:county, e.g. TX:travis; CA:* = whole state",
        ),
        sa.Column("state", sa.String(length=2), nullable=False),
        sa.Column("county", sa.Text(), nullable=False),
        sa.Column("facility", sa.Text(), nullable=False, comment="jail or facility, as ICE's systems spell it"),
        sa.Column("citizenship", sa.Text(), nullable=False),
        sa.Column(
            "criminal_activity", sa.Text(), nullable=False, comment="the offence, without the Convicted/Charged marker"
        ),
        sa.Column(
            "conviction_status",
            sa.String(length=10),
            nullable=True,
            comment="convicted | charged | NULL when not stated",
        ),
        sa.Column("detainer_issued", sa.String(length=10), nullable=True, comment="ISO date the detainer was issued"),
        sa.Column(
            "detainer_declined", sa.String(length=10), nullable=True, comment="ISO date it was recorded as declined"
        ),
        sa.Column("page", sa.Integer(), nullable=False, comment="PDF page (1-based) where the row starts"),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["reports.id"],
        ),
        sa.PrimaryKeyConstraint("report_id", "seq"),
        comment="Section II: one row per person released despite a detainer",
    )
    op.create_table(
        "issued_rows",
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column(
            "jurisdiction_key",
            sa.String(length=200),
            nullable=False,
            comment="STATE:county, e.g. TX:travis; CA:* = whole state",
        ),
        sa.Column("county", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=2), nullable=False),
        sa.Column(
            "issued_detainers", sa.BigInteger(), nullable=False, comment="detainers ICE issued to it in the period"
        ),
        sa.Column("page", sa.Integer(), nullable=False, comment="PDF page (1-based) where the row starts"),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["reports.id"],
        ),
        sa.PrimaryKeyConstraint("report_id", "seq"),
        comment="Section I: detainers issued to the top non-cooperative jurisdictions",
    )
    op.create_table(
        "policy_rows",
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column(
            "jurisdiction_key",
            sa.String(length=200),
            nullable=False,
            comment="STATE:county, e.g. TX:travis; CA:* = whole state",
        ),
        sa.Column("jurisdiction", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=2), nullable=False),
        sa.Column("policy", sa.Text(), nullable=False),
        sa.Column("criteria", sa.Text(), nullable=False),
        sa.Column("date_enacted", sa.String(length=40), nullable=False, comment="as printed (Jul-14 or an ISO date)"),
        sa.Column("page", sa.Integer(), nullable=False, comment="PDF page (1-based) where the row starts"),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["reports.id"],
        ),
        sa.PrimaryKeyConstraint("report_id", "seq"),
        comment="Section III: jurisdictions with policies restricting cooperation",
    )

    # The legacy version table says 4 too: a release from before Alembic opening this database
    # reads the schema it knows; each later revision records its number here as well, so such a
    # release refuses a schema newer than it instead of misreading it.
    version_table = sa.table(
        "schema_version", sa.column("version", sa.Integer), sa.column("applied_at", sa.DateTime(timezone=True))
    )
    op.bulk_insert(version_table, [{"version": 4, "applied_at": dt.datetime.now(dt.UTC)}])


def downgrade() -> None:
    for name in TABLES:
        op.drop_table(name)
