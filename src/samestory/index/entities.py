"""An inverted index of entity canonical ids (people, organisations, places), in SQLite.

Postings are (canonical id, article sequence number); a query returns the recent articles that share at
least some entities with a new one. The table lives in the store's database so that it is committed with
the articles.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Iterable

from samestory import config
from samestory.article import Article

_SCHEMA = """
CREATE TABLE IF NOT EXISTS entity_postings (canonical TEXT NOT NULL, seq INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS entity_postings_key ON entity_postings(canonical, seq);
"""


def entity_keys(article: Article) -> list[str]:
    """The canonical ids an article is indexed under (each once)."""
    return sorted({e.canonical for e in article.entities if e.canonical})


class EntityIndex:
    """Entity canonical id -> articles, on a SQLite connection (the store's)."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection
        self.connection.executescript(_SCHEMA)

    def add(self, seq: int, keys: Iterable[str]) -> None:
        self.connection.executemany("INSERT INTO entity_postings VALUES (?, ?)", [(k, seq) for k in keys])

    def query(self, keys: Iterable[str], *, min_seq: int = 0, min_shared: int | None = None) -> list[tuple[int, int]]:
        """Articles (seq > min_seq) sharing at least `min_shared` of `keys`: (seq, shared count), most first.

        Each posting list is read from its most recent end, at most STORY_ENTITY_POSTINGS entries, so a
        very common entity (a country) costs no more than a rare one.
        """
        min_shared = config.STORY_ENTITY_MIN_SHARED if min_shared is None else min_shared
        shared: Counter[int] = Counter()
        for key in keys:
            rows = self.connection.execute(
                "SELECT seq FROM entity_postings WHERE canonical = ? AND seq > ? ORDER BY seq DESC LIMIT ?",
                (key, min_seq, config.STORY_ENTITY_POSTINGS),
            )
            shared.update(seq for (seq,) in rows)
        found = [(seq, n) for seq, n in shared.items() if n >= min_shared]
        found.sort(key=lambda item: (-item[1], -item[0]))
        return found
