"""The default store: one SQLite file in WAL mode, no server.

Tables: `articles` (one row per article: sequence number, ids, metadata, story, the processed Article as
JSON) and `joins` (why each article is in its story: `samestory.store.base.Join`). Other SQLite-backed indexes (entities, near-duplicates) share the connection (`SQLiteStore.connection`)
so that an article, its story and its index entries are committed in one transaction.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self

from samestory.article import Article
from samestory.config import READ_TITLE_MAX_CHARS
from samestory.errors import StoreError
from samestory.store.base import Join, StoredArticle, StorySummary, story_order
from samestory.text import headline

log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    url TEXT,
    source TEXT,
    content_hash TEXT NOT NULL,
    published TEXT,
    language TEXT,
    title TEXT NOT NULL DEFAULT '',
    story_id INTEGER NOT NULL,
    data TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS articles_url ON articles(url) WHERE url IS NOT NULL;
CREATE INDEX IF NOT EXISTS articles_hash ON articles(content_hash);
CREATE INDEX IF NOT EXISTS articles_story ON articles(story_id, published);
CREATE INDEX IF NOT EXISTS articles_story_seq ON articles(story_id, seq);
CREATE TABLE IF NOT EXISTS joins (
    seq INTEGER PRIMARY KEY,
    via TEXT NOT NULL,
    joined_seq INTEGER,
    score REAL,
    cosine REAL,
    terms REAL,
    jaccard REAL,
    members INTEGER NOT NULL DEFAULT 0
);
"""


def _in_utc(when: datetime | None) -> str | None:
    """ISO 8601 in UTC when `when` has an offset (as given when naive), or None."""
    if when is None:
        return None
    return (when.astimezone(UTC) if when.tzinfo is not None else when).isoformat()


def headline_of_row(head: str | None) -> str:
    """The headline of a story from its row: the earliest title, else the first sentence of the earliest text."""
    title, text = json.loads(head) if head else ("", "")
    return headline(title or "", text or "", READ_TITLE_MAX_CHARS)


# An article with why it is in its story (StoredArticle): the columns SQLiteStore._stored reads.
_JOINED = """a.seq, a.story_id, a.data, j.via, o.id, j.score, j.cosine, j.terms, j.jaccard, j.members
FROM articles a LEFT JOIN joins j ON j.seq = a.seq LEFT JOIN articles o ON o.seq = j.joined_seq"""


def _parse_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _article_json(article: Article) -> str:
    data = article.to_dict()
    data.pop("raw_text", None)  # the cleaned text and the removals are enough to explain a decision
    return json.dumps(data, ensure_ascii=False)


class SQLiteStore:
    """A `Store` in one SQLite file (created when missing). Use as a context manager or call `close()`."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        try:
            if self.path != ":memory:":
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            self.connection = sqlite3.connect(self.path, isolation_level="DEFERRED", check_same_thread=False)
            self.connection.execute("PRAGMA journal_mode=WAL")
            # WAL + NORMAL: a committed transaction survives the process being killed (not a power cut).
            self.connection.execute("PRAGMA synchronous=NORMAL")
            self.connection.executescript(_SCHEMA)
            self.connection.commit()
        except (sqlite3.DatabaseError, OSError) as exc:
            raise StoreError(f"{self.path}: can't open the store ({exc})") from exc

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _execute(self, sql: str, params: Sequence[object] = ()) -> sqlite3.Cursor:
        try:
            return self.connection.execute(sql, params)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path}: {exc}") from exc

    def contains(self, article: Article) -> bool:
        if article.url and self._execute("SELECT 1 FROM articles WHERE url = ?", (article.url,)).fetchone():
            return True
        row = self._execute(
            "SELECT 1 FROM articles WHERE id = ? OR (content_hash = ? AND (url IS NULL OR ? IS NULL) "
            "AND source IS ?)",
            (article.id, article.content_hash, article.url, article.source),
        ).fetchone()
        return row is not None

    def add(self, article: Article, story_id: int | None = None, join: Join | None = None) -> int:
        cursor = self._execute(
            "INSERT INTO articles (id, url, source, content_hash, published, language, title, story_id, data) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                article.id,
                article.url,
                article.source,
                article.content_hash,
                # In UTC, so that the column sorts in time order whatever offsets the pages give.
                _in_utc(article.published),
                article.language,
                article.title,
                story_id if story_id is not None else -1,
                _article_json(article),
            ),
        )
        seq = int(cursor.lastrowid or 0)
        if story_id is None:
            self._execute("UPDATE articles SET story_id = seq WHERE seq = ?", (seq,))
        if join is not None:
            joined = self.seqs_of([join.joined]).get(join.joined) if join.joined else None
            self._execute(
                "INSERT INTO joins (seq, via, joined_seq, score, cosine, terms, jaccard, members) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (seq, join.via, joined, join.score, join.cosine, join.terms, join.jaccard, join.members),
            )
        return seq

    def members(self, story_id: int, limit: int) -> list[tuple[int, datetime | None]]:
        rows = self._execute(
            "SELECT seq, published FROM articles WHERE story_id = ? ORDER BY seq DESC LIMIT ?",
            (story_id, limit),
        )
        return [(seq, _parse_time(published)) for seq, published in rows]

    def set_story(self, seq: int, story_id: int) -> None:
        self._execute("UPDATE articles SET story_id = ? WHERE seq = ?", (story_id, seq))

    def merge_stories(self, story_ids: Iterable[int]) -> int:
        ids = sorted(set(story_ids))
        keep = ids[0]
        if len(ids) > 1:
            marks = ",".join("?" * (len(ids) - 1))
            self._execute(f"UPDATE articles SET story_id = ? WHERE story_id IN ({marks})", (keep, *ids[1:]))
        return keep

    def _map(self, key: str, value: str, keys: Sequence[Any]) -> dict[Any, Any]:
        """`key` -> `value` (two columns of articles) for the given keys that are stored."""
        out: dict[Any, Any] = {}
        for start in range(0, len(keys), 500):
            chunk = list(keys[start : start + 500])
            marks = ",".join("?" * len(chunk))
            out.update(self._execute(f"SELECT {key}, {value} FROM articles WHERE {key} IN ({marks})", chunk))
        return out

    def stories_of(self, seqs: Sequence[int]) -> dict[int, int]:
        """Sequence number -> story id, for the sequence numbers that are stored."""
        return self._map("seq", "story_id", seqs)

    def seqs_of(self, ids: Sequence[str]) -> dict[str, int]:
        """Article id -> sequence number, for the ids that are stored."""
        return self._map("id", "seq", ids)

    def ids_of(self, seqs: Sequence[int]) -> dict[int, str]:
        """Sequence number -> article id, for the sequence numbers that are stored."""
        return self._map("seq", "id", seqs)

    def languages_of(self, seqs: Sequence[int]) -> dict[int, str | None]:
        """Sequence number -> language, for the sequence numbers that are stored."""
        return self._map("seq", "language", seqs)

    def _stored(self, rows: Iterable[tuple[Any, ...]]) -> list[StoredArticle]:
        """Rows of (seq, story_id, data, *the joins columns of _JOINED) as StoredArticle."""
        out = []
        for seq, story, data, via, joined, *figures in rows:
            join = Join(via, joined, *figures) if via is not None else None
            out.append(StoredArticle(seq, story, Article.from_dict(json.loads(data)), join))
        return out

    def get(self, seqs: Sequence[int]) -> list[StoredArticle]:
        if not seqs:
            return []
        marks = ",".join("?" * len(seqs))
        found = {
            s.seq: s
            for s in self._stored(
                self._execute(f"SELECT {_JOINED} WHERE a.seq IN ({marks})", list(seqs))
            )
        }
        return [found[s] for s in seqs if s in found]

    def story(self, story_id: int) -> list[StoredArticle]:
        if not -(2**63) <= story_id < 2**63:  # no SQLite integer: no such story
            return []
        rows = self._execute(
            f"SELECT {_JOINED} WHERE a.story_id = ? ORDER BY a.published IS NULL, a.published, a.seq",
            (story_id,),
        )
        return self._stored(rows)

    def stories(
        self, since: datetime | None = None, *, ids: Sequence[int] | None = None
    ) -> list[StorySummary]:
        if ids is None:
            groups: list[list[int]] = [[]]  # every story
        else:  # those of `ids`, 500 at a time (SQLite's limit on variables)
            chosen = sorted(set(ids))
            groups = [chosen[start : start + 500] for start in range(0, len(chosen), 500)]
        rows: list[tuple[Any, ...]] = []
        for among in groups:
            rows += self._execute(
                f"""
                SELECT story_id, MIN(published), MAX(published), COUNT(*),
                       GROUP_CONCAT(DISTINCT language), GROUP_CONCAT(DISTINCT source),
                       (SELECT json_array(title, substr(json_extract(data, '$.text'), 1, ?)) FROM articles h
                        WHERE h.story_id = a.story_id
                        ORDER BY COALESCE(h.title, '') = '', h.published IS NULL, h.published, h.seq LIMIT 1)
                FROM articles a {f"WHERE story_id IN ({','.join('?' * len(among))})" if among else ""}
                GROUP BY story_id
                HAVING ? IS NULL OR MAX(published) >= ?
                """,
                (4 * READ_TITLE_MAX_CHARS, *among, *(_in_utc(since),) * 2),
            ).fetchall()
        summaries = [
            StorySummary(
                id=story_id,
                headline=headline_of_row(head),
                first_seen=_parse_time(first),
                last_seen=_parse_time(last),
                size=size,
                languages=sorted((languages or "").split(",")) if languages else [],
                sources=sorted((sources or "").split(",")) if sources else [],
            )
            for story_id, first, last, size, languages, sources, head in rows
        ]
        return sorted(summaries, key=story_order)

    def articles(self, after_seq: int = 0) -> Iterator[StoredArticle]:
        cursor = self.connection.cursor()
        cursor.execute(f"SELECT {_JOINED} WHERE a.seq > ? ORDER BY a.seq", (after_seq,))
        while batch := cursor.fetchmany(1000):
            yield from self._stored(batch)

    def assignments(self) -> dict[str, int]:
        return dict(self._execute("SELECT id, story_id FROM articles"))

    def published_times(self) -> Iterator[tuple[int, datetime | None]]:
        for seq, published in self._execute("SELECT seq, published FROM articles ORDER BY seq"):
            yield seq, _parse_time(published)

    def count(self) -> int:
        return int(self._execute("SELECT COUNT(*) FROM articles").fetchone()[0])

    def commit(self) -> None:
        try:
            self.connection.commit()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path}: can't commit ({exc})") from exc

    def rollback(self) -> None:
        """Drop everything written since the last commit (by this store or an index on its connection)."""
        try:
            self.connection.rollback()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path}: can't roll back ({exc})") from exc

    def close(self) -> None:
        self.connection.commit()
        self.connection.close()
