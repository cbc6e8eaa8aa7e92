"""What the HTTP API does, apart from HTTP: the store readers, the one writer, and traced stories.

Reads open one SQLite connection per server thread (WAL: readers never wait for the writer); the story list is
read once and the writer updates the stories each write touches (`Listing`). Everything that
runs the language models in this process (compare, trace, the clusterer) goes through one lock, `ModelLock`:
the encoder and spaCy are not known to be thread-safe (the sentence-vector cache is not), the clusterer is
not, and this machine's cores are better used by one model call at a time than by several fighting over them.

Writers are not starved by anonymous work, three ways:
- the lock lets a waiting writer in before any waiting anonymous step, and anonymous work takes it a step at a
  time (a compare: each text processed, its sentences embedded API_COMPARE_STEP_SENTENCES at a time, then the
  comparison on the cached vectors; a trace: one pair at a time), each step bounded (API_MAX_COMPARE_SENTENCES),
  so a write waits at most one step;
- at most API_ANONYMOUS_JOBS anonymous jobs run at once; another waits API_ANONYMOUS_WAIT seconds for its
  turn, then gets 429 (`Busy`);
- posted articles are extracted, processed and embedded in `workers` processes (the same `prepare` as
  `ingest`), outside the lock and outside this process's GIL; only the clustering and the commit take the
  lock (`commit_batch`, the same as `ingest`: one transaction a request).
"""

from __future__ import annotations

import bisect
import logging
import multiprocessing
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any, TypeVar

from samestory import config
from samestory.article import Article, utc
from samestory.compare import Comparison, compare
from samestory.compare import warm_up as warm_up_compare
from samestory.compare.passages import split
from samestory.embed import embed, use_threads
from samestory.embed import threads as embed_threads
from samestory.errors import ConfigError, InputError, SamestoryError, StoreError
from samestory.store.base import Store, StoredArticle, StorySummary, fold, matches, searchable, story_order
from samestory.store.sqlite import SQLiteStore
from samestory.stories import Assignment, Clusterer, Provenance, in_publication_order, trace
from samestory.stories.ingest import IngestStats, commit_batch, prepare, prepare_in_worker, worker_init

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(slots=True)
class Added:
    """What POST /articles did: the article's story, or that it was already stored."""

    article: Article
    assignment: Assignment | None  # None: already stored (same URL, or same source and text)


class Busy(SamestoryError):
    """Anonymous work that could not start in time (the API answers 429 with Retry-After)."""


class WorkerLost(SamestoryError):
    """A worker process died while preparing a request (the API answers 503; the next request gets new ones)."""


class ModelLock:
    """One holder at a time; a waiting writer gets it before any waiting anonymous job."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._held = False
        self._writers = 0

    @contextmanager
    def hold(self, *, writer: bool) -> Iterator[None]:
        with self._condition:
            self._writers += writer
            try:
                self._condition.wait_for(lambda: not self._held and (writer or not self._writers))
            finally:
                self._writers -= writer
            self._held = True
        try:
            yield
        finally:
            with self._condition:
                self._held = False
                self._condition.notify_all()


@dataclass(frozen=True, slots=True)
class Listing:
    """The story list in `story_order`, each story with its search text (`searchable`); `count`: the store's
    article count it was read at (-1: kept up to date by this process's writer). Replaced, never changed:
    a request holding one reads it while the writer makes the next."""

    count: int
    keys: list[tuple[bool, float, int, int]]
    entries: list[tuple[StorySummary, str]]
    key_of: dict[int, tuple[bool, float, int, int]]

    @classmethod
    def of(cls, summaries: list[StorySummary], count: int) -> Listing:
        keys = [story_order(s) for s in summaries]
        entries = [(s, searchable(s)) for s in summaries]
        return cls(count, keys, entries, {s.id: key for s, key in zip(summaries, keys)})

    def updated(self, touched: Iterable[int], fresh: list[StorySummary]) -> Listing:
        """This list with the stories of `touched` as in `fresh` (those missing from it are gone: merged)."""
        keys, entries, key_of = list(self.keys), list(self.entries), dict(self.key_of)
        for story_id in touched:
            old = key_of.pop(story_id, None)
            if old is not None:
                at = bisect.bisect_left(keys, old)
                del keys[at], entries[at]
        for summary in fresh:
            key = story_order(summary)
            at = bisect.bisect_left(keys, key)
            keys.insert(at, key)
            entries.insert(at, (summary, searchable(summary)))
            key_of[summary.id] = key
        return Listing(self.count, keys, entries, key_of)


def search_bound(name: str, value: datetime | None) -> datetime | None:
    """A ?since= / ?until= date in UTC; an InputError (422) for one UTC can't hold."""
    if value is None:
        return None
    try:
        return utc(value)
    except OverflowError:
        raise InputError(f"query: {name}", f"{value.isoformat()} is out of range in UTC") from None


class Service:
    """The store behind one app. `writable=False` opens no writer (a read-only server); `workers` processes
    prepare posted articles (0: in the request's thread, under the model lock); anonymous work waits at most
    `anonymous_wait` seconds for a slot (default API_ANONYMOUS_WAIT)."""

    def __init__(
        self, db_path: str, *, writable: bool, workers: int = 0, anonymous_wait: float | None = None
    ) -> None:
        if db_path == ":memory:":
            raise ConfigError("the HTTP API needs a store file (each connection to ':memory:' is another DB)")
        self.db_path = db_path
        self._local = threading.local()
        self._readers: list[Store] = []
        self._readers_lock = threading.Lock()
        self.models = ModelLock()
        self._anonymous = threading.BoundedSemaphore(config.API_ANONYMOUS_JOBS)
        self.anonymous_wait = config.API_ANONYMOUS_WAIT if anonymous_wait is None else anonymous_wait
        self._traces: OrderedDict[tuple[int, tuple[int, ...]], Provenance] = OrderedDict()
        self._traces_lock = threading.Lock()
        # The story list, read once, then kept up to date by the writer (`_relist`); None until first read.
        self._listing: Listing | None = None
        self._listing_lock = threading.Lock()
        self.clusterer = Clusterer(SQLiteStore(db_path)) if writable else None
        if self.clusterer is not None:  # the clustering's judge loads its models now, not in the first write
            threading.Thread(target=self._warm_up, name="samestory-warm-up", daemon=True).start()
        self.workers = workers
        self._threads = embed_threads()
        if workers > 0:  # the workers take the other cores: one BLAS thread for the encoder here (as ingest)
            use_threads(1)
        self._pool = self._new_pool() if workers > 0 else None
        self._pool_lock = threading.Lock()

    def _new_pool(self) -> ProcessPoolExecutor:
        from samestory.pipeline import process

        # forkserver: workers start from a clean process, not a fork of this threaded server
        context = multiprocessing.get_context("forkserver")
        return ProcessPoolExecutor(self.workers, mp_context=context, initializer=worker_init, initargs=(process,))

    def _in_worker(self, job: Callable[..., T], *args: Any) -> T:
        """Run a job in a worker process; a worker that died (killed, out of memory, a crash in a parser) costs
        this request a `WorkerLost` (503) and the next ones a fresh pool, not the server."""
        pool = self._pool
        if pool is None:
            return job(*args)
        try:
            return pool.submit(job, *args).result()
        except BrokenProcessPool:
            with self._pool_lock:
                if self._pool is pool:
                    log.error("a worker process died; starting %d new one(s)", self.workers)
                    pool.shutdown(wait=False, cancel_futures=True)
                    self._pool = self._new_pool()
            raise WorkerLost("a worker process died while preparing this request; retry it") from None

    def reader(self) -> Store:
        """This thread's read connection."""
        store = getattr(self._local, "store", None)
        if store is None:
            store = SQLiteStore(self.db_path)
            self._local.store = store
            with self._readers_lock:
                self._readers.append(store)
        return store

    def offload(self, job: Callable[..., T], *args: Any) -> T:
        """Run a job that needs no model of this process (HTML extraction) in a worker when there are any."""
        return self._in_worker(job, *args)

    @contextmanager
    def anonymous(self) -> Iterator[None]:
        """A slot for anonymous heavy work (API_ANONYMOUS_JOBS at once); `Busy` after `anonymous_wait` s."""
        if not self._anonymous.acquire(timeout=self.anonymous_wait):
            raise Busy(
                f"the server is busy with {config.API_ANONYMOUS_JOBS} other comparisons; retry in a few seconds"
            )
        try:
            yield
        finally:
            self._anonymous.release()

    def step(self, job: Callable[[], T]) -> T:
        """Run one step of anonymous work on the models (writers waiting go first)."""
        with self.models.hold(writer=False):
            return job()

    def compare(self, a: Article, b: Article) -> Comparison:
        """Process two raw articles and compare them: anonymous work, a step at a time."""
        from samestory.pipeline import process

        with self.anonymous():
            first = self.step(lambda: process(a))
            second = self.step(lambda: process(b))
            for article in (first, second):  # the sentence vectors, a few at a time, into the encoder's cache
                compared = split(article.text)
                for start in range(0, len(compared), config.API_COMPARE_STEP_SENTENCES):
                    self.step(partial(embed, compared[start : start + config.API_COMPARE_STEP_SENTENCES]))
            return self.step(lambda: compare(first, second))

    def add(self, articles: list[Article]) -> list[Added]:
        """Process, store and cluster raw articles, as `ingest` does a batch: prepared (in a worker when there
        are any), then clustered in publication order and committed in one transaction; on any failure
        nothing of them is stored. Returns what happened to each, in the order given."""
        if self.clusterer is None:
            raise ConfigError("this server is read-only")
        from samestory.pipeline import process

        ordered = list(in_publication_order(articles, buffer=max(len(articles), 1)))
        reader = self.reader()
        fresh = [a for a in ordered if not reader.contains(a)]
        if self._pool is not None:
            processed, vectors = self._in_worker(prepare_in_worker, fresh)
        else:
            with self.models.hold(writer=True):
                processed, vectors = prepare(fresh, process)
        assigned: dict[str, Assignment] = {}

        def keep(assignment: Assignment) -> None:
            assigned[assignment.article_id] = assignment

        with self.models.hold(writer=True):
            commit_batch(self.clusterer, processed, vectors, IngestStats(), keep)
            self._relist(assigned.values())
        return [Added(a, assigned.pop(a.id, None)) for a in articles]  # an id posted twice: added once

    def _warm_up(self) -> None:
        with self.models.hold(writer=True):
            try:
                warm_up_compare()
            except SamestoryError as exc:  # the first write that needs the models will say it
                log.warning("could not load the models of compare(): %s", exc)

    def _relist(self, assigned: Iterable[Assignment]) -> None:
        """Put the stories a committed batch changed (joined, founded or merged away) in the story list."""
        touched = {story for a in assigned for story in (a.story_id, *a.merged)}
        if not touched or self.clusterer is None:
            return
        try:
            fresh = self.clusterer.store.stories(ids=list(touched))
        except StoreError as exc:  # the batch is committed: the next read reads the list whole
            log.warning("story list not updated after a write (%s); it will be read again", exc)
            with self._listing_lock:
                self._listing = None
            return
        with self._listing_lock:
            if self._listing is not None:  # else the first read will read it whole
                self._listing = self._listing.updated(touched, fresh)

    def stored(self, article_id: str) -> StoredArticle | None:
        store = self.reader()
        seq = store.seqs_of([article_id]).get(article_id)
        found = store.get([seq]) if seq is not None else []
        return found[0] if found else None

    def stories(self, query: str, since: datetime | None, until: datetime | None) -> list[StorySummary]:
        """The stories that fit a search, most recently seen first."""
        since = search_bound("since", since)
        until = search_bound("until", until)
        words = fold(query).split()
        return [s for s, text in self._summaries() if matches(s, text, words, since, until)]

    def _summaries(self) -> list[tuple[StorySummary, str]]:
        """The story list with each story's search text. A writable service reads it once and its writer keeps
        it up to date; a read-only one reads it again when the store has more articles (another process wrote:
        a store only grows, and stories change only when an article is added)."""
        count = self.reader().count() if self.clusterer is None else -1
        # One thread reads the list; the others wait for it and find it cached (each reading it would multiply
        # a read that takes ~1 s at 100,000 articles by the requests in flight).
        with self._listing_lock:
            if self._listing is None or self._listing.count != count:
                self._listing = Listing.of(self.reader().stories(), count)
            return self._listing.entries

    def story(self, story_id: int) -> tuple[list[StoredArticle], Provenance] | None:
        """A story's articles and its trace (cached until the story changes); None when there is no such story."""
        stored = self.reader().story(story_id)
        if not stored:
            return None
        key = (story_id, tuple(s.seq for s in stored))
        with self._traces_lock:
            found = self._traces.get(key)
            if found is not None:
                self._traces.move_to_end(key)
                return stored, found
        with self.anonymous():
            found = trace(
                [s.article for s in stored],
                story_id=story_id,
                joins={s.article.id: s.join for s in stored if s.join},
                judge=lambda a, b: self.step(lambda: compare(a, b)),
            )
        with self._traces_lock:
            for stale in [k for k in self._traces if k[0] == story_id]:  # the story has changed since
                del self._traces[stale]
            self._traces[key] = found
            if len(self._traces) > config.API_TRACE_CACHE:
                self._traces.popitem(last=False)
        return stored, found

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            use_threads(self._threads)
        with self.models.hold(writer=True):
            if self.clusterer is not None:
                self.clusterer.close()
                self.clusterer.store.close()
        with self._readers_lock:
            for store in self._readers:
                store.close()
            self._readers.clear()
