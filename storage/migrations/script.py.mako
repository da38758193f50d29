"""${message}

Revision ID: ${up_revision}
Revises: ${down_revision | comma,n}
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op
${imports if imports else ""}
# Revision IDs are the schema version numbers, zero-padded ("0005"): `ddor status` shows the
# number, and storage/schema.py's LATEST must name the newest one.
revision = ${repr(up_revision)}
down_revision: str | None = ${repr(down_revision)}
branch_labels: str | None = ${repr(branch_labels)}
depends_on: str | None = ${repr(depends_on)}


def upgrade() -> None:
    ${upgrades if upgrades else "pass"}
    # A release from before Alembic reads this table: it must refuse a schema newer than it.
    version_table = sa.table("schema_version", sa.column("version", sa.Integer), sa.column("applied_at", sa.DateTime(timezone=True)))
    op.bulk_insert(version_table, [{"version": int(revision), "applied_at": dt.datetime.now(dt.UTC)}])


def downgrade() -> None:
    ${downgrades if downgrades else "pass"}
    op.execute(sa.text("DELETE FROM schema_version WHERE version = :v").bindparams(v=int(revision)))
