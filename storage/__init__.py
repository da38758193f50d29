"""Persistence: the file archive (raw PDFs by sha256) and the Store (SQLite or PostgreSQL)."""

from storage.archive import Archive
from storage.store import NewAlert, OutboxAlert, Store, StoredReport, StoreError

__all__ = ["Archive", "NewAlert", "OutboxAlert", "Store", "StoreError", "StoredReport"]
