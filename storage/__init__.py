"""Persistence: the file archive (raw PDFs by sha256) and the Store (SQLite or PostgreSQL).

Names are imported lazily: the crawl child needs only the archive, and SQLAlchemy alone
costs ~0.16 s of every poll's start-up."""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from storage.archive import Archive
    from storage.outbox import NewAlert, OutboxAlert
    from storage.reports import StoredReport
    from storage.store import Store, StoreError

_HOMES = {
    "Archive": "storage.archive",
    "NewAlert": "storage.outbox",
    "OutboxAlert": "storage.outbox",
    "Store": "storage.store",
    "StoredReport": "storage.reports",
    "StoreError": "storage.store",
}
__all__ = ["Archive", "NewAlert", "OutboxAlert", "Store", "StoreError", "StoredReport"]


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(import_module(_HOMES[name]), name)
    raise AttributeError(f"module 'storage' has no attribute {name!r}")
