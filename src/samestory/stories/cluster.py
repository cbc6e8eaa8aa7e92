"""Online story clustering: each article joins a story as it arrives, in publication order.

After Miranda et al. 2018 ("Multilingual Clustering of Streaming News"), with cheaper candidates and a
stronger decision. For a new article:

1. candidates inside the time window (STORY_WINDOW_DAYS) from three indexes: near-duplicates (MinHash LSH,
   when `samestory.index.minhash` is installed), the nearest title+lead embeddings (hnswlib) and the
   articles sharing entities (inverted index);
2. a near-duplicate, a candidate it reuses the text of (estimated word-shingle Jaccard >= STORY_REUSE_JACCARD,
   from the MinHash signatures) or one at title+lead cosine >= STORY_ACCEPT_COSINE joins at once, and such a
   copy joins nothing else (its original was decided against the same candidates); candidates under
   STORY_MIN_COSINE sharing too few entities are dropped, and so are those the gate
   (`samestory.stories.gate`, four cheap features) finds plainly of another story; the rest are decided by
   `compare()` (same_story), the most similar first, at most STORY_MAX_COMPARES calls and one match per story;
3. the article joins the stories it matched; when it matches several (a bridging article), they merge into
   the oldest.

Every decision is kept in an `Assignment` (candidates, cosines, compare verdicts), so it can be explained.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from samestory import config
from samestory.article import Article
from samestory.compare import compare
from samestory.index.entities import EntityIndex, entity_keys
from samestory.index.vectors import VectorIndex, embed_leads
from samestory.store.sqlite import SQLiteStore
from samestory.stories.gate import Gate

log = logging.getLogger(__name__)


def vector_path(db_path: str) -> Path | None:
    """Where the vector index of a DB lives: beside it (`NAME.db.vectors`); None for an in-memory DB."""
    return None if db_path == ":memory:" else Path(db_path + ".vectors")


@dataclass(slots=True)
class Match:
    """One candidate the decision looked at."""

    seq: int
    story_id: int
    cosine: float
    shared_entities: int = 0
    near_duplicate: bool = False
    jaccard: float | None = None  # estimated word-shingle Jaccard similarity (None without the MinHash index)
    gate: float | None = None  # the gate's P(same story), when it was asked (samestory.stories.gate)
    relation: str | None = None  # compare()'s verdict, when it was asked
    overall: float | None = None  # compare()'s predicted SemEval Overall (1 similar .. 4), when asked
    joined: bool = False

    @property
    def reused(self) -> bool:
        """Whether the article reuses this candidate's text (or both a common source's)."""
        return self.jaccard is not None and self.jaccard >= config.STORY_REUSE_JACCARD


@dataclass(slots=True)
class Assignment:
    """Where an article went, and why."""

    seq: int
    article_id: str
    story_id: int
    new_story: bool
    merged: list[int] = field(default_factory=list)  # story ids merged into story_id
    candidates: list[Match] = field(default_factory=list)
    compares: int = 0


class Clusterer:
    """Assigns articles to stories in a store, online. One per store; not thread-safe."""

    def __init__(
        self,
        store: SQLiteStore,
        *,
        window_days: float | None = None,
        max_compares: int | None = None,
        use_minhash: bool = True,
    ) -> None:
        self.store = store
        self.window = 86400.0 * (config.STORY_WINDOW_DAYS if window_days is None else window_days)
        self.max_compares = config.STORY_MAX_COMPARES if max_compares is None else max_compares
        self.entities = EntityIndex(store.connection)
        self.minhash = _open_minhash(store) if use_minhash else None
        self.vectors = VectorIndex(vector_path(store.path), capacity=max(10_000, store.count() + 1000))
        self._times: dict[int, float | None] = {}
        self._cache: OrderedDict[int, Article] = OrderedDict()
        self._uncommitted: list[int] = []  # seqs added since the last commit
        self.compares = 0
        self._catch_up()

    def _catch_up(self) -> None:
        """Load publication times; re-add to the vector index what the store has beyond its last save."""
        after = self.vectors.missing_after()
        rows = self.store.connection.execute("SELECT seq, published FROM articles ORDER BY seq")
        for seq, published in rows:
            self._times[seq] = _timestamp(published)
        if after < max(self._times, default=0):
            missing = list(self.store.articles(after_seq=after))
            log.info("re-indexing %d article(s) stored after the last vector index save", len(missing))
            for start in range(0, len(missing), 256):
                chunk = missing[start : start + 256]
                self.vectors.add([s.seq for s in chunk], embed_leads([s.article for s in chunk]))

    # -- candidates --------------------------------------------------------------------------------------

    def _in_window(self, seq: int, when: float | None) -> bool:
        other = self._times.get(seq)
        return when is None or other is None or abs(when - other) <= self.window

    def near_duplicates(self, articles: list[Article]) -> dict[str, list[str]]:
        """Index a batch in the near-duplicate index; return each article's near-duplicates (article ids)
        among those indexed before it. Call before `add()`-ing the batch, in the same order."""
        if self.minhash is None or not articles:
            return {}
        known = self._near_indexed([a.id for a in articles])  # indexed by a run that was killed
        found: dict[str, list[str]] = {}
        for match in self.minhash.add(articles):
            found.setdefault(match.id, []).append(match.other)
        for article in articles:
            if article.id in known:
                found[article.id] = [m.other for m in self.minhash.query(article)]
        return found

    def _near_indexed(self, ids: list[str]) -> set[str]:
        """The ids already in the near-duplicate index (its documented table minhash_articles)."""
        marks = ",".join("?" * len(ids))
        rows = self.store.connection.execute(f"SELECT id FROM minhash_articles WHERE id IN ({marks})", ids)
        return {row[0] for row in rows}

    def candidates(self, article: Article, vector: np.ndarray, near: list[str] | None = None) -> list[Match]:
        """The candidates of an article inside the time window, most similar first."""
        when = article.published.timestamp() if article.published else None
        found: dict[int, Match] = {}
        for seq, cosine in self.vectors.query(vector, config.STORY_KNN):
            if self._in_window(seq, when):
                found[seq] = Match(seq, -1, cosine)
        keys = entity_keys(article)
        if keys:
            shared = [(s, n) for s, n in self.entities.query(keys) if self._in_window(s, when)]
            shared = shared[: config.STORY_ENTITY_CANDIDATES]
            fresh = [s for s, _ in shared if s not in found]
            cosines = self.vectors.vectors(fresh) @ vector if fresh else []
            for seq, cosine in zip(fresh, cosines):
                found[seq] = Match(seq, -1, round(float(cosine), 4))
            for seq, n in shared:
                found[seq].shared_entities = n
        if near:
            for seq in self.store.seqs_of(near).values():
                if self._in_window(seq, when):
                    if seq not in found:
                        found[seq] = Match(seq, -1, round(float(self.vectors.vectors([seq])[0] @ vector), 4))
                    found[seq].near_duplicate = True
        if self.minhash is not None and found:
            ids = self.store.ids_of(list(found))
            estimated = self.minhash.similarity(article.id, list(ids.values()))
            for seq, other in ids.items():
                if other in estimated:
                    found[seq].jaccard = round(estimated[other], 4)
        stories = self.store.stories_of(list(found))
        matches = [m for m in found.values() if m.seq in stories]
        for m in matches:
            m.story_id = stories[m.seq]
        matches.sort(key=lambda m: (-m.near_duplicate, -(m.cosine + config.STORY_ENTITY_BONUS * m.shared_entities), m.seq))
        return matches

    def _article(self, seq: int) -> Article | None:
        if seq in self._cache:
            self._cache.move_to_end(seq)
            return self._cache[seq]
        stored = self.store.get([seq])
        if not stored:
            return None
        self._remember(seq, stored[0].article)
        return stored[0].article

    def article_by_id(self, article_id: str) -> Article | None:
        """A stored article by its id (None when it is not stored)."""
        seq = self.store.seqs_of([article_id]).get(article_id)
        return None if seq is None else self._article(seq)

    def vector_of(self, article_id: str) -> np.ndarray:
        """The title+lead vector of a stored article."""
        seq = self.store.seqs_of([article_id])[article_id]
        return self.vectors.vectors([seq])[0]

    def _remember(self, seq: int, article: Article) -> None:
        self._cache[seq] = article
        if len(self._cache) > config.STORY_ARTICLE_CACHE:
            self._cache.popitem(last=False)

    # -- decision ----------------------------------------------------------------------------------------

    def decide(self, article: Article, matches: list[Match]) -> int:
        """Mark the matches the article joins; return the number of compare() calls made."""
        calls = 0
        joined_stories: set[int] = set()
        for m in matches:
            if m.near_duplicate or m.reused or m.cosine >= config.STORY_ACCEPT_COSINE:
                m.joined = True
                joined_stories.add(m.story_id)
        if joined_stories:  # a copy was decided with its original: what that one didn't join, it doesn't
            return 0
        for m in matches:
            if m.story_id in joined_stories or calls >= self.max_compares:
                continue
            if m.cosine < config.STORY_MIN_COSINE and (
                m.shared_entities < config.STORY_ENTITY_MIN_SHARED or m.cosine < config.STORY_ENTITY_MIN_COSINE
            ):
                continue
            other = self._article(m.seq)
            if other is None:
                continue
            m.gate = round(Gate.load().probability(other, article, m.cosine), 4)
            if m.gate < config.STORY_GATE_REJECT:
                continue
            calls += 1
            result = compare(other, article)
            m.relation = result.relation
            m.overall = result.scores["overall"]
            if result.same_story:
                m.joined = True
                joined_stories.add(m.story_id)
        return calls

    def add(
        self, article: Article, vector: np.ndarray | None = None, near: list[str] | None = None
    ) -> Assignment:
        """Store a processed article and put it in a story. The caller commits (`commit()`).

        `vector` (its title+lead embedding) and `near` (its near-duplicates, from `near_duplicates()`) are
        computed here when not given; batches are faster computed ahead for many articles at once.
        """
        if vector is None:
            vector = embed_leads([article])[0]
        if near is None:
            near = self.near_duplicates([article]).get(article.id, [])
        matches = self.candidates(article, vector, near)
        calls = self.decide(article, matches)
        self.compares += calls
        stories = sorted({m.story_id for m in matches if m.joined})
        story_id = self.store.merge_stories(stories) if stories else None
        seq = self.store.add(article, story_id)
        self.vectors.add([seq], vector.reshape(1, -1))
        self.entities.add(seq, entity_keys(article))
        self._times[seq] = article.published.timestamp() if article.published else None
        self._remember(seq, article)
        self._uncommitted.append(seq)
        return Assignment(
            seq=seq,
            article_id=article.id,
            story_id=story_id if story_id is not None else seq,
            new_story=story_id is None,
            merged=stories[1:],
            candidates=matches,
            compares=calls,
        )

    def commit(self) -> None:
        """Make the stored articles and their stories durable (the vector index is saved on `close()`)."""
        self.store.commit()
        self._uncommitted.clear()

    def rollback(self) -> None:
        """Undo every `add()` since the last commit: the store's transaction (articles, stories, entity postings,
        near-duplicate rows) and what this object remembers of them. A vector added under a rolled-back seq
        stays in the vector index: a label the store doesn't hold is never a candidate, and the store gives the
        same seq to the next article, whose vector replaces it."""
        self.store.rollback()
        for seq in self._uncommitted:
            self._times.pop(seq, None)
            self._cache.pop(seq, None)
        self._uncommitted.clear()

    def close(self) -> None:
        self.store.commit()
        self.vectors.save()


def _timestamp(value: str | None) -> float | None:
    if not value:
        return None
    from datetime import datetime

    return datetime.fromisoformat(value).timestamp()


def _open_minhash(store: SQLiteStore):  # type: ignore[no-untyped-def]
    """The near-duplicate index on the store's connection, when `samestory.index.minhash` is installed."""
    try:
        from samestory.index.minhash import MinHashIndex
    except ImportError:
        log.debug("samestory.index.minhash is not available: no near-duplicate candidates")
        return None
    return MinHashIndex(store.connection)
