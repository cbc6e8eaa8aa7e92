"""Ingest a stream of articles into a store: skip what is stored, process, embed title+lead, cluster, commit.

    from samestory.stories import ingest
    stats = ingest(Reader().read(paths), "samestory.db", progress=lambda done, stats: ...)

Articles are taken in publication order within buffers of STORY_SORT_BUFFER (undated ones keep their reading
order, after the dated ones of their buffer). Each batch of STORY_BATCH articles is one transaction: a killed
process loses at most the batches in flight, and a rerun skips what was committed (idempotent by URL, or by
source and content hash).
"""

from __future__ import annotations

import itertools
import logging
import multiprocessing
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from samestory import config
from samestory.article import Article, timestamp
from samestory.embed import DIM, use_threads
from samestory.embed import threads as embed_threads
from samestory.errors import ConfigError
from samestory.index.vectors import embed_leads
from samestory.store.base import Store
from samestory.store.sqlite import SQLiteStore
from samestory.stories.cluster import Assignment, Clusterer
from samestory.stories.decision import StoryRules

log = logging.getLogger(__name__)


@dataclass(slots=True)
class IngestStats:
    """What an ingest run did."""

    read: int = 0
    added: int = 0
    skipped: int = 0  # already stored
    new_stories: int = 0
    merges: int = 0
    seconds: float = 0.0

    @property
    def rate(self) -> float:
        """Articles read per second."""
        return self.read / self.seconds if self.seconds else 0.0


Progress = Callable[[IngestStats], None]


def _sort_key(item: tuple[int, Article]) -> tuple[int, float, int]:
    index, article = item
    when = timestamp(article.published)
    return (1, 0.0, index) if when is None else (0, when, index)


def in_publication_order(articles: Iterable[Article], buffer: int | None = None) -> Iterator[Article]:
    """Articles sorted by publication date within consecutive buffers of `buffer` articles."""
    size = config.STORY_SORT_BUFFER if buffer is None else buffer
    stream = iter(articles)
    while chunk := list(itertools.islice(stream, size)):
        for _, article in sorted(enumerate(chunk), key=_sort_key):
            yield article


_process: Callable[[Article], Article] | None = None  # what prepare_in_worker runs (set in each worker)


def worker_init(process: Callable[[Article], Article]) -> None:
    """A worker process: one core of its own, so one BLAS thread for the encoder; it exits when the ingest
    process is gone (killed, it can't shut its pool down, and a forked worker would wait forever)."""
    global _process  # noqa: PLW0603 -- the pool initialiser is the one way to hand a worker its state
    _process = process
    use_threads(1)
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()


def _exit_with_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(1)


def prepare(batch: list[Article], process: Callable[[Article], Article]) -> tuple[list[Article], np.ndarray]:
    """Process a batch (clean, understand, entities) and embed the title+lead of each article."""
    processed = [process(a) for a in batch]
    return processed, embed_leads(processed) if processed else np.zeros((0, DIM), np.float32)


def prepare_in_worker(batch: list[Article]) -> tuple[list[Article], np.ndarray]:
    """`prepare` with the `process` a worker was started with (`worker_init`)."""
    if _process is None:
        raise RuntimeError("prepare_in_worker() runs in a worker started by worker_init()")
    return prepare(batch, _process)


def commit_batch(
    cluster: Clusterer,
    processed: list[Article],
    vectors: np.ndarray,
    stats: IngestStats,
    on_assign: Callable[[Assignment], None] | None = None,
) -> None:
    """Put a prepared batch in stories and commit it: one transaction. Whatever fails on the way (the store, an
    index, a model), the batch is rolled back whole, in the store and in the clusterer, and the error raised."""
    try:
        assigned, skipped = cluster.add_batch(processed, vectors)
        cluster.commit()
    except BaseException:
        cluster.rollback()
        raise
    stats.skipped += skipped
    stats.added += len(assigned)
    stats.new_stories += sum(a.new_story for a in assigned)
    stats.merges += sum(len(a.merged) for a in assigned)
    if on_assign is not None:
        for assignment in assigned:
            on_assign(assignment)


def _done(value: tuple[list[Article], np.ndarray]) -> Future[tuple[list[Article], np.ndarray]]:
    future: Future[tuple[list[Article], np.ndarray]] = Future()
    future.set_result(value)
    return future


def default_workers() -> int:
    """Worker processes for `ingest(workers=...)` on this machine: one per core but the one that clusters."""
    return max(0, (os.cpu_count() or 1) - 1)


def ingest(
    articles: Iterable[Article],
    store: Store | str | Path,
    *,
    process: Callable[[Article], Article] | None = None,
    progress: Progress | None = None,
    on_assign: Callable[[Assignment], None] | None = None,
    batch_size: int | None = None,
    clusterer: Clusterer | None = None,
    rules: StoryRules | None = None,
    workers: int = 0,
) -> IngestStats:
    """Add raw articles to a store and put each one in a story. Returns what was done.

    `process` (default `samestory.pipeline.process`: clean + understand, entities included) and the title+lead
    embedding run in `workers` processes (forked; 0: in this one), a batch ahead of the clustering, which
    stays in this process and in publication order: the stories are the same for any number of workers.
    `progress` is called after each committed batch; `on_assign` after each article. `rules`: the story
    decision's thresholds for a clusterer made here (default `StoryRules()`).
    """
    size = config.STORY_BATCH if batch_size is None else batch_size
    if size < 1 or workers < 0:
        raise ConfigError(f"need batch_size >= 1 and workers >= 0 (got {size} and {workers})")
    if process is None:
        from samestory.pipeline import process as default_process

        process = default_process
    own_store = isinstance(store, (str, Path))
    db: Store = SQLiteStore(store) if isinstance(store, (str, Path)) else store
    cluster = clusterer or Clusterer(db, rules=rules)
    stats = IngestStats()
    started = time.perf_counter()
    pool = None
    threads = embed_threads()
    if workers > 0:
        use_threads(1)  # this process shares the cores with the workers
        context = multiprocessing.get_context("fork")
        pool = ProcessPoolExecutor(workers, mp_context=context, initializer=worker_init, initargs=(process,))
    pending: deque[Future[tuple[list[Article], np.ndarray]]] = deque()

    def cluster_batch(processed: list[Article], vectors: np.ndarray) -> None:
        commit_batch(cluster, processed, vectors, stats, on_assign)
        stats.seconds = time.perf_counter() - started
        if progress is not None:
            progress(stats)

    try:
        stream = in_publication_order(articles)
        while batch := list(itertools.islice(stream, size)):
            stats.read += len(batch)
            fresh = [a for a in batch if not db.contains(a)]
            stats.skipped += len(batch) - len(fresh)
            pending.append(pool.submit(prepare_in_worker, fresh) if pool else _done(prepare(fresh, process)))
            if len(pending) > workers:  # keep every worker busy one batch ahead
                cluster_batch(*pending.popleft().result())
        while pending:
            cluster_batch(*pending.popleft().result())
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
            use_threads(threads)
        if clusterer is None:
            cluster.close()
        if own_store:
            db.close()
    stats.seconds = time.perf_counter() - started
    log.debug(
        "ingested %d article(s) (%d already stored) into %d new stor(ies) at %.0f articles/s",
        stats.added,
        stats.skipped,
        stats.new_stories,
        stats.rate,
    )
    return stats
