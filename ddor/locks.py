"""Process locks: one daemon per store, never two cycles at once.

SQLite stores use ``flock`` on files beside the archive (released by the kernel when the
holder dies, so a SIGKILL never leaves a stale lock). PostgreSQL stores use a session-level
advisory lock, which works across machines sharing the database.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ddor.config import Config
    from storage import Store


class LockBusy(Exception):
    """Another process holds the lock."""


class Lock:
    def __init__(self, config: Config, store: Store, name: str) -> None:
        self.name = name
        self.store = store
        self.path = config.archive_path.parent / f".ddor-{name}.lock"
        self._handle: Any = None
        self._pg: Any = None

    def _pg_key(self) -> int:
        return int.from_bytes(hashlib.sha256(f"ddor:{self.name}".encode()).digest()[:8], "big", signed=True)

    def acquire(self, wait: bool, timeout: float | None = None) -> None:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            if self._try():
                return
            if not wait or (deadline is not None and time.monotonic() > deadline):
                raise LockBusy(self.describe())
            time.sleep(0.2)

    def _try(self) -> bool:
        if not self.store.is_sqlite:
            from sqlalchemy import text  # PostgreSQL stores only: SQLite locks need no SQLAlchemy

            if self._pg is None:
                self._pg = self.store.engine.connect()
            got = bool(self._pg.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self._pg_key()}).scalar())
            self._pg.commit()
            return got
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+")  # noqa: SIM115 — held open for the lock's lifetime
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()} {time.time():.0f}\n")
        handle.flush()
        self._handle = handle
        return True

    def holder(self) -> tuple[int, float] | None:
        """(pid, since) of the holder, for ``ddor status`` (SQLite stores only)."""
        try:
            pid, since = self.path.read_text().split()
            return int(pid), float(since)
        except (OSError, ValueError):
            return None

    def is_held(self) -> bool:
        if self.store.is_sqlite:
            return self._file_is_held()
        if self._try():
            self.release()
            return False
        return True

    def _file_is_held(self) -> bool:
        # Asked by `ddor status`, which must work on a store it cannot write: probe with a
        # shared lock on the file opened for reading, and create nothing when it is absent
        # (whoever held the lock would have created it).
        try:
            handle = open(self.path, "rb")  # noqa: SIM115 — closed below, after the probe
        except FileNotFoundError:
            return False
        with handle:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
            return False

    def describe(self) -> str:
        holder = self.holder() if self.store.is_sqlite else None
        who = f" (pid {holder[0]})" if holder else ""
        return f"another ddor {self.name} is running on this store{who}"

    def release(self) -> None:
        if self._handle is not None:
            fcntl.flock(self._handle.fileno(), fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None
        if self._pg is not None:
            from sqlalchemy import text

            self._pg.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self._pg_key()})
            self._pg.commit()
            self._pg.close()
            self._pg = None
