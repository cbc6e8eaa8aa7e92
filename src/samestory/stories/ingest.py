"""Ingest a stream of articles into a store: skip what is stored, process, embed title+lead, cluster, commit.

    from samestory.stories import ingest
    stats = ingest(Reader().read(paths), "samestory.db", progress=lambda done, stats: ...)

Articles are taken in publication order within buffers of STORY_SORT_BUFFER (undated ones keep their reading
order, after the dated ones of their buffer). Each batch of STORY_BATCH articles is one transaction: a killed
process loses at most the batch in flight, and a rerun skips what was committed (idempotent by URL, or by
source and content hash).
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path

import numpy as np

from samestory import config
from samestory.article import Article
from samestory.embed import DIM
from samestory.index.vectors import embed_leads, lead_text
from samestory.store.sqlite import SQLiteStore
from samestory.stories.cluster import Assignment, Clusterer

log = logging.getLogger(__name__)


@dataclass(slots=True)
class IngestStats:
    """What an ingest run did."""

    read: int = 0
    added: int = 0
    skipped: int = 0  # already stored
    new_stories: int = 0
    merges: int = 0
    compares: int = 0
    entities_reused: int = 0  # near-duplicates that took an earlier article's entities (no NER run)
    seconds: float = 0.0

    @property
    def rate(self) -> float:
        """Articles read per second."""
        return self.read / self.seconds if self.seconds else 0.0


Progress = Callable[[IngestStats], None]


def _sort_key(item: tuple[int, Article]) -> tuple[int, float, int]:
    index, article = item
    if article.published is None:
        return (1, 0.0, index)
    published = article.published
    if published.tzinfo is None:
        published = published.replace(tzinfo=UTC)
    return (0, published.timestamp(), index)


def in_publication_order(articles: Iterable[Article], buffer: int | None = None) -> Iterator[Article]:
    """Articles sorted by publication date within consecutive buffers of `buffer` articles."""
    size = config.STORY_SORT_BUFFER if buffer is None else buffer
    stream = iter(articles)
    while chunk := list(itertools.islice(stream, size)):
        for _, article in sorted(enumerate(chunk), key=_sort_key):
            yield article


def _fill_entities(batch: list[Article], near: dict[str, list[str]], cluster: Clusterer) -> int:
    """Entities for a processed batch: copied from a near-duplicate seen before, else recognised. Returns
    how many were copied."""
    from samestory.understand import extract_entities

    seen: dict[str, Article] = {}
    copied = 0
    for article in batch:
        source = None
        for other_id in near.get(article.id, []):
            source = seen.get(other_id) or cluster.article_by_id(other_id)
            if source is not None:
                break
        if source is not None:
            article.entities = [dataclasses.replace(e) for e in source.entities]
            copied += 1
        else:
            article.entities = extract_entities(article.title, article.text, article.language)
        seen[article.id] = article
    return copied


def _lead_vectors(batch: list[Article], near: dict[str, list[str]], cluster: Clusterer) -> np.ndarray:
    """Title+lead vectors of a batch: a near-duplicate with the same title+lead as an earlier article takes its
    vector (syndicated copies), the others are embedded."""
    out = np.zeros((len(batch), DIM), np.float32)
    position = {a.id: i for i, a in enumerate(batch)}
    todo: list[int] = []
    for i, article in enumerate(batch):
        lead = lead_text(article)
        for other_id in near.get(article.id, []):
            j = position.get(other_id)
            if j is not None and j < i and j not in todo and lead_text(batch[j]) == lead:
                out[i] = out[j]
                break
            other = cluster.article_by_id(other_id) if j is None else None
            if other is not None and lead_text(other) == lead:
                out[i] = cluster.vector_of(other_id)
                break
        else:
            todo.append(i)
    if todo:
        out[todo] = embed_leads([batch[i] for i in todo])
    return out


def ingest(
    articles: Iterable[Article],
    store: SQLiteStore | str | Path,
    *,
    process: Callable[[Article], Article] | None = None,
    progress: Progress | None = None,
    on_assign: Callable[[Assignment], None] | None = None,
    batch_size: int | None = None,
    clusterer: Clusterer | None = None,
) -> IngestStats:
    """Add raw articles to a store and put each one in a story. Returns what was done.

    `process` defaults to `samestory.pipeline.process` (clean + understand) with entities found here: a
    near-duplicate of an earlier article takes that article's entities, the others run entity recognition
    (title+lead); a given `process` must fill the entities itself. `progress` is called after each committed
    batch; `on_assign` after each article.
    """
    fill_entities = process is None
    if process is None:
        from samestory.pipeline import process as pipeline_process

        def process(article: Article) -> Article:
            return pipeline_process(article, entities=False)
    own_store = not isinstance(store, SQLiteStore)
    db = SQLiteStore(store) if own_store else store  # type: ignore[arg-type]
    cluster = clusterer or Clusterer(db)
    size = config.STORY_BATCH if batch_size is None else batch_size
    stats = IngestStats()
    started = time.perf_counter()
    try:
        stream = in_publication_order(articles)
        while batch := list(itertools.islice(stream, size)):
            stats.read += len(batch)
            fresh = [a for a in batch if not db.contains(a)]
            stats.skipped += len(batch) - len(fresh)
            processed = [process(a) for a in fresh]
            unique: dict[str, Article] = {}
            for article in processed:
                unique.setdefault(article.id, article)
            stats.skipped += len(processed) - len(unique)  # the same article twice in one batch
            processed = list(unique.values())
            near = cluster.near_duplicates(processed)
            vectors = _lead_vectors(processed, near, cluster)
            if fill_entities:
                stats.entities_reused += _fill_entities(processed, near, cluster)
            for i, article in enumerate(processed):
                if db.contains(article):  # the same text at the same source twice in one batch
                    stats.skipped += 1
                    continue
                assignment = cluster.add(article, vectors[i], near.get(article.id, []))  # type: ignore[index]
                stats.added += 1
                stats.new_stories += assignment.new_story
                stats.merges += len(assignment.merged)
                stats.compares += assignment.compares
                if on_assign is not None:
                    on_assign(assignment)
            cluster.commit()
            stats.seconds = time.perf_counter() - started
            if progress is not None:
                progress(stats)
    finally:
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
