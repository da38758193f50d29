"""What every repository of the Store shares: the database handle with its one transaction
convention, the clock, and inserts that resolve conflicts in the database (ON CONFLICT).

The convention: a write that belongs to a larger unit of work takes that unit's transaction
as its first argument (``with store.transaction() as tx: store.reports.add(tx, ...)``), so
the caller decides what commits together; a write that is a unit by itself (an outbox state
change, a run starting) opens its own ``transaction()``. Reads open a short read transaction
with ``read()``, or join the caller's when given one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, Table
from sqlalchemy.dialects import postgresql, sqlite

# Marks a connection as a writer: SQLite's BEGIN hook then takes the write lock up front.
WRITE = "ddor_write"


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def aware(value: dt.datetime | None) -> dt.datetime | None:
    """SQLite hands timestamps back without their zone; every one we write is UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=dt.UTC)


class Database:
    """An engine and the two ways into it."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A write transaction (``BEGIN IMMEDIATE`` on SQLite), committed on success."""
        with self.engine.connect() as connection:
            connection.info[WRITE] = True
            try:
                with connection.begin():
                    yield connection
            finally:
                connection.info.pop(WRITE, None)

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A short read transaction (deferred on SQLite: it never waits for a writer)."""
        with self.engine.connect() as connection:
            yield connection


class Repository:
    """One concern's tables, reached through the Store's :class:`Database`."""

    def __init__(self, database: Database) -> None:
        self.database = database


def _dialect_insert(connection: Connection, table: Table) -> sqlite.Insert | postgresql.Insert:
    # Both dialects spell ON CONFLICT the same way; SQLAlchemy's generic insert() has none.
    if connection.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def insert_new(connection: Connection, table: Table, conflict: Sequence[str], values: Mapping[str, Any]) -> bool:
    """Insert the row unless one with the same ``conflict`` columns exists (left as it is);
    True when it was inserted. One statement: two writers racing cannot both insert."""
    query = _dialect_insert(connection, table).values(**values).on_conflict_do_nothing(index_elements=list(conflict))
    # RETURNING, not rowcount: psycopg reports no rowcount for an INSERT through SQLAlchemy.
    return connection.execute(query.returning(table.c[conflict[0]])).first() is not None


def upsert(connection: Connection, table: Table, conflict: Sequence[str], values: Mapping[str, Any]) -> None:
    """Insert the row, or update the other columns of the one with the same ``conflict`` columns."""
    changes = {name: value for name, value in values.items() if name not in conflict}
    query = _dialect_insert(connection, table).values(**values)
    connection.execute(query.on_conflict_do_update(index_elements=list(conflict), set_=changes))
