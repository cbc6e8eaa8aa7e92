"""Where ingested articles and their stories live: the `Store` protocol and its default, SQLite."""

from __future__ import annotations

from pathlib import Path

from samestory.store.base import Store, StoredArticle, StorySummary
from samestory.store.sqlite import SQLiteStore

__all__ = ["SQLiteStore", "Store", "StoredArticle", "StorySummary", "open_store"]


def open_store(path: str | Path) -> SQLiteStore:
    """Open (or create) the default store at `path`."""
    return SQLiteStore(path)
