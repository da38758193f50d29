"""The Store: the database, reached through one repository per concern.

``store.reports`` (parsed reports and their rows), ``store.documents`` (validators,
downloads, withdrawn links, quarantine, ICE's notes), ``store.outbox`` (alerts and their
delivery states) and ``store.runs`` (cycles and health). Transactions follow one convention,
described in storage/base.py. Schema upgrades are storage/migrate.py's (Alembic).

SQLite is the default (WAL, busy timeout, ``BEGIN IMMEDIATE`` for writes, ``synchronous=FULL``
so a committed ``sent`` mark survives power loss); PostgreSQL is the same code by URL.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from storage import schema as t
from storage.base import WRITE, Database, utcnow
from storage.documents import Documents
from storage.outbox import NewAlert, Outbox, OutboxAlert
from storage.reports import Reports, StoredReport
from storage.runs import Runs

# Where callers have always found them.
__all__ = [
    "NewAlert",
    "OutboxAlert",
    "Store",
    "StoreError",
    "StoredReport",
    "open_for_reading",
    "open_for_writing",
    "utcnow",
]


class StoreError(Exception):
    """The store could not be opened or is at an unexpected schema version."""


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
    connection.exec_driver_sql("BEGIN IMMEDIATE" if connection.info.get(WRITE) else "BEGIN")


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


class Store(Database):
    def __init__(self, url: str, read_only: bool = False, engine: Engine | None = None) -> None:
        super().__init__(engine or create_store_engine(url, read_only))
        self.url = url
        self.read_only = read_only
        # False for a read-only stand-in for a database that does not exist yet.
        self.created = True
        # The schema versions open_for_writing applied (for `ddor db upgrade` to report).
        self.applied: list[int] = []
        self.reports = Reports(self)
        self.documents = Documents(self)
        self.outbox = Outbox(self)
        self.runs = Runs(self)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    def close(self) -> None:
        self.engine.dispose()

    # --- schema ---------------------------------------------------------------------------
    def schema_version(self) -> int:
        with self.read() as connection:
            return t.current_version(connection)

    def upgrade(self) -> list[int]:
        """Bring the schema to this ddor's (Alembic, see storage/migrate.py); returns the
        versions applied. An up-to-date store is one cheap look, without importing Alembic."""
        with self.transaction() as connection:
            version = t.current_version(connection)
            if version > t.LATEST:
                raise StoreError(
                    f"{self.url_for_humans}: schema version {version} is newer than "
                    f"this ddor ({t.LATEST}); upgrade ddor-watch"
                )
            if version == t.LATEST and t.has_alembic_version(connection):
                return []
            from storage import migrate

            return migrate.upgrade(connection)

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


def _first_line(error: object) -> str:
    lines = str(error).strip().splitlines()
    return lines[0][:200] if lines else type(error).__name__


def open_for_writing(url: str) -> Store:
    """The store for commands that write: migrations applied, writes proven possible.
    Raises :class:`StoreError` (one line naming the file) when the store is read-only."""
    store = Store(url)
    try:
        store.applied = store.upgrade()
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
    one that has not been created: reads answer "nothing yet" and create no file. The tables
    come straight from the declared schema (the Alembic head equals it, a test proves it),
    sparing a read command Alembic's start-up."""
    store = Store("sqlite://")
    with store.transaction() as connection:
        t.metadata.create_all(connection)
    store.url = url
    store.read_only = True
    store.created = False
    return store
