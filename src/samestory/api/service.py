"""What the HTTP API does, apart from HTTP: the store readers, the one writer, and traced stories.

Reads open one SQLite connection per server thread (WAL: readers never wait for the writer). Everything that
runs the language models (clean + understand, embeddings, compare, trace) and every write goes through one
lock: the encoder and spaCy are not known to be thread-safe, the clusterer is not, and this machine's cores
are better used by one model call at a time than by several fighting over them.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from samestory import config
from samestory.article import Article
from samestory.errors import ConfigError
from samestory.store.base import StoredArticle, StorySummary, fold, in_utc, matches, searchable
from samestory.store.sqlite import SQLiteStore
from samestory.stories import Assignment, Clusterer, Provenance, ingest, trace

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(slots=True)
class Added:
    """What POST /articles did: the article's story, or that it was already stored."""

    article: Article
    assignment: Assignment | None  # None: already stored (same URL, or same source and text)


class Service:
    """The store behind one app. `writable=False` opens no writer (a read-only server)."""

    def __init__(self, db_path: str, *, writable: bool) -> None:
        if db_path == ":memory:":
            raise ConfigError("the HTTP API needs a store file (each connection to ':memory:' is another DB)")
        self.db_path = db_path
        self._local = threading.local()
        self._readers: list[SQLiteStore] = []
        self._readers_lock = threading.Lock()
        self._work = threading.Lock()
        self._traces: OrderedDict[tuple[int, tuple[int, ...]], Provenance] = OrderedDict()
        # The story list with its search text, and the article count it was read at (a store only grows, and
        # stories change only when an article is added, so the count tells when to read it again).
        self._listing: tuple[int, list[tuple[StorySummary, str]]] = (-1, [])
        self._listing_lock = threading.Lock()
        self.clusterer = Clusterer(SQLiteStore(db_path)) if writable else None

    def reader(self) -> SQLiteStore:
        """This thread's read connection."""
        store = getattr(self._local, "store", None)
        if store is None:
            store = SQLiteStore(self.db_path)
            self._local.store = store
            with self._readers_lock:
                self._readers.append(store)
        return store

    def exclusive(self, job: Callable[[], T]) -> T:
        """Run a job that uses the language models, alone."""
        with self._work:
            return job()

    def add(self, article: Article) -> Added:
        """Process, store and cluster one raw article (committed on return)."""
        if self.clusterer is None:
            raise ConfigError("this server is read-only")
        assigned: list[Assignment] = []
        cluster = self.clusterer
        with self._work:
            ingest([article], cluster.store, clusterer=cluster, on_assign=assigned.append)
        return Added(article, assigned[0] if assigned else None)

    def stored(self, article_id: str) -> StoredArticle | None:
        store = self.reader()
        seq = store.seqs_of([article_id]).get(article_id)
        found = store.get([seq]) if seq is not None else []
        return found[0] if found else None

    def stories(self, query: str, since: datetime | None, until: datetime | None) -> list[StorySummary]:
        """The stories that fit a search, most recently seen first."""
        since = in_utc(since) if since else None
        until = in_utc(until) if until else None
        words = fold(query).split()
        return [s for s, text in self._summaries() if matches(s, text, words, since, until)]

    def _summaries(self) -> list[tuple[StorySummary, str]]:
        store = self.reader()
        count = store.count()
        with self._listing_lock:
            if self._listing[0] == count:
                return self._listing[1]
        listing = [(s, searchable(s)) for s in store.stories()]
        with self._listing_lock:
            self._listing = (count, listing)
        return listing

    def story(self, story_id: int) -> tuple[list[StoredArticle], Provenance] | None:
        """A story's articles and its trace (cached until the story changes); None when there is no such story."""
        stored = self.reader().story(story_id)
        if not stored:
            return None
        key = (story_id, tuple(s.seq for s in stored))
        with self._work:
            found = self._traces.get(key)
            if found is None:
                found = trace([s.article for s in stored], story_id=story_id)
                for stale in [k for k in self._traces if k[0] == story_id]:  # the story has changed since
                    del self._traces[stale]
                self._traces[key] = found
                if len(self._traces) > config.API_TRACE_CACHE:
                    self._traces.popitem(last=False)
            else:
                self._traces.move_to_end(key)
        return stored, found

    def close(self) -> None:
        with self._work:
            if self.clusterer is not None:
                self.clusterer.close()
                self.clusterer.store.close()
        with self._readers_lock:
            for store in self._readers:
                store.close()
            self._readers.clear()
