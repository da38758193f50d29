"""Databases as the release before Alembic left them, at its legacy schema versions 1 to 4:
the DDL and rows in data/ (made once by that release's code, see data/make_released_fixture.py),
taken back to an older version by undoing the released steps that version had not run."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, MetaData
from sqlalchemy.types import DateTime

from storage.store import create_store_engine

DATA = Path(__file__).parent / "data"
RELEASED_ROWS: dict[str, list[dict[str, Any]]] = json.loads((DATA / "released-v4.rows.json").read_text())
# What legacy migration 4 added to the outbox, and the counts migration 3 widened on PostgreSQL.
_V4_ALERT_COLUMNS = ("claimed_by", "lease_until", "in_doubt", "first_attempt_at", "next_attempt_at", "channel_id")
_V3_WIDENED = (("documents", "size"), ("reports", "detainers_issued"), ("issued_rows", "issued_detainers"))

Rows = dict[str, list[dict[str, Any]]]


def utc(value: Any) -> Any:
    """Timestamps compared as instants: SQLite hands them back without their zone (UTC)."""
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value


def reflected(connection: Connection) -> MetaData:
    tables = MetaData()
    tables.reflect(connection)
    return tables


def _undo_to(connection: Connection, version: int) -> None:
    if version < 4:
        for column in _V4_ALERT_COLUMNS:
            connection.exec_driver_sql(f"ALTER TABLE alerts DROP COLUMN {column}")
    if version < 3 and connection.dialect.name == "postgresql":
        for table, column in _V3_WIDENED:
            connection.exec_driver_sql(f"ALTER TABLE {table} ALTER COLUMN {column} TYPE INTEGER")
    if version < 2:
        connection.exec_driver_sql("DROP TABLE withdrawn")


def make_released_database(url: str, version: int = 4) -> Rows:
    """Create it at ``url`` (an empty database); returns the rows it holds, by table, with
    timestamps as datetimes."""
    engine = create_store_engine(url)
    dialect = engine.dialect.name
    ddl = (DATA / f"released-v4.{dialect}.sql").read_text()
    stored: Rows = {}
    with engine.begin() as connection:
        for statement in re.split(r";\n(?:\n|$)", ddl):
            if statement.strip():
                connection.exec_driver_sql(statement)
        _undo_to(connection, version)
        for table in reflected(connection).sorted_tables:
            dates = {c.name for c in table.columns if isinstance(c.type, DateTime)}
            rows = [
                {
                    k: utc(dt.datetime.fromisoformat(v)) if k in dates and v else v
                    for k, v in row.items()
                    if k in table.c
                }
                for row in RELEASED_ROWS[table.name]
                if table.name != "schema_version" or row["version"] <= version
            ]
            connection.execute(table.insert(), rows)
            stored[table.name] = rows
            if dialect == "postgresql" and "id" in table.c and table.name != "schema_version":
                # Rows went in with their ids: move each sequence past them, as the release's inserts did.
                connection.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), (SELECT max(id) FROM {table.name}))"
                )
    engine.dispose()
    return stored
