"""Online story clustering: each article joins a story as it arrives, in publication order.

After Miranda et al. 2018 ("Multilingual Clustering of Streaming News"): an article is compared with
stories, not with one member. For a new article:

1. candidates inside the time window (StoryRules.window_days) from three indexes: near-duplicates (MinHash
   LSH), the nearest title+lead embeddings (hnswlib) and the articles sharing the most entities (inverted
   index); their stories are the candidate stories;
2. links: the article against the candidates and against the latest members of each candidate story (up to
   StoryRules.members): title+lead cosine, TF-IDF cosine of the texts (document frequencies of the stream so
   far, `samestory.index.terms`), estimated word-shingle Jaccard;
3. `samestory.stories.decision.decide`: a copy joins its original's story; otherwise the story with the best
   average link joins, when it is similar enough; else the article founds a story.

Every decision is kept in the store (`samestory.store.base.Join`) and in the `Assignment`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from samestory import config
from samestory.article import Article, timestamp
from samestory.compare import compare
from samestory.index.entities import EntityIndex, entity_keys
from samestory.index.minhash import MinHashIndex
from samestory.index.terms import TermIndex, TermVector, term_vector
from samestory.index.vectors import VectorIndex, embed_leads
from samestory.store.base import Join, Store
from samestory.stories.decision import Decision, Link, StoryRules, decide

log = logging.getLogger(__name__)


def vector_path(db_path: str) -> Path | None:
    """Where the vector index of a DB lives: beside it (`NAME.db.vectors`); None for an in-memory DB."""
    return None if db_path == ":memory:" else Path(db_path + ".vectors")


@dataclass(slots=True)
class Assignment:
    """Where an article went, and why."""

    seq: int
    article_id: str
    story_id: int
    new_story: bool
    decision: Decision
    merged: list[int] = field(default_factory=list)  # story ids merged into story_id
    links: list[Link] = field(default_factory=list)


Judge = Callable[[Article, Article], str]  # the relation of two articles (compare()'s)


def compare_relation(earlier: Article, later: Article) -> str:
    """compare()'s relation of two articles: the default judge of links across languages."""
    return compare(earlier, later).relation


class Clusterer:
    """Assigns articles to stories in a store, online. One per store; not thread-safe.

    `rules` are the decision's thresholds; `judge` tells the relation of two articles in different languages
    (default: compare()).
    """

    def __init__(self, store: Store, *, rules: StoryRules | None = None, judge: Judge | None = None) -> None:
        self.store = store
        self.rules = rules or StoryRules()
        self.judge = judge or compare_relation
        self.window = 86400.0 * self.rules.window_days
        self.entities = EntityIndex(store.connection)
        self.terms = TermIndex(store.connection)
        self.minhash = MinHashIndex(store.connection)
        self.vectors = VectorIndex(vector_path(store.path), capacity=max(10_000, store.count() + 1000))
        self._times: dict[int, float | None] = {}
        self._uncommitted: list[int] = []  # seqs added since the last commit
        self._catch_up()

    def _catch_up(self) -> None:
        """Load publication times; re-add to the vector index what the store has beyond its last save; give
        term vectors to articles stored without (by a version before the TF-IDF decision)."""
        after = self.vectors.missing_after()
        for seq, published in self.store.published_times():
            self._times[seq] = timestamp(published)
        if after < max(self._times, default=0):
            missing = list(self.store.articles(after_seq=after))
            log.info("re-indexing %d article(s) stored after the last vector index save", len(missing))
            for start in range(0, len(missing), 256):
                chunk = missing[start : start + 256]
                self.vectors.add([s.seq for s in chunk], embed_leads([s.article for s in chunk]))
        unindexed = self.terms.missing(self._times.keys())
        if unindexed:
            log.info("counting the terms of %d article(s) stored before term vectors were kept", len(unindexed))
            for start in range(0, len(unindexed), 1000):
                for stored in self.store.get(unindexed[start : start + 1000]):
                    self.terms.add(stored.seq, term_vector(stored.article, self.rules.title_weight))
            self.commit()

    # -- candidates --------------------------------------------------------------------------------------

    def _in_window(self, seq: int, when: float | None) -> bool:
        other = self._times.get(seq)
        return when is None or other is None or abs(when - other) <= self.window

    def near_duplicates(self, articles: list[Article]) -> dict[str, list[str]]:
        """Index a batch in the near-duplicate index; return each article's near-duplicates (article ids)
        among those indexed before it. Call before `add()`-ing the batch, in the same order."""
        if not articles:
            return {}
        known = self.minhash.indexed([a.id for a in articles])  # indexed by a run that was killed
        found: dict[str, list[str]] = {}
        for match in self.minhash.add(articles):
            found.setdefault(match.id, []).append(match.other)
        for article in articles:
            if article.id in known:
                found[article.id] = [m.other for m in self.minhash.query(article)]
        return found

    def candidates(self, article: Article, vector: np.ndarray, near: list[str] | None = None) -> dict[int, int]:
        """The candidates of an article inside the time window (near-duplicates, nearest title+leads, the
        articles sharing the most entities): sequence number -> entities shared."""
        when = timestamp(article.published)
        found: dict[int, int] = {}
        for seq, _ in self.vectors.query(vector, config.STORY_KNN):
            if self._in_window(seq, when):
                found[seq] = 0
        keys = entity_keys(article)
        if keys:
            shared = [(s, n) for s, n in self.entities.query(keys) if self._in_window(s, when)]
            found.update(shared[: config.STORY_ENTITY_CANDIDATES])
        if near:
            for seq in self.store.seqs_of(near).values():
                if self._in_window(seq, when):
                    found.setdefault(seq, 0)
        return found

    def links(self, article: Article, vector: np.ndarray, terms: TermVector, near: list[str]) -> list[Link]:
        """Links to the candidates and to the latest members of their stories (StoryRules.members), with
        every figure the decision reads."""
        shared = self.candidates(article, vector, near)
        stories = self.store.stories_of(list(shared))
        story_of = dict(stories)
        latest: set[int] = set()
        for story_id in sorted(set(stories.values())):
            for seq, _ in self.store.members(story_id, self.rules.members):
                latest.add(seq)
                story_of[seq] = story_id
        seqs = sorted(story_of)
        if not seqs:
            return []
        cosines = self.vectors.vectors(seqs) @ vector
        weights = self.terms.weights(terms)
        stored = self.terms.vectors(seqs)
        ids = self.store.ids_of(seqs)
        languages = self.store.languages_of(seqs)
        estimated = self.minhash.similarity(article.id, list(ids.values()))
        near_ids = set(near)
        links = []
        for seq, cosine in zip(seqs, cosines):
            other = stored.get(seq)
            jaccard = estimated.get(ids.get(seq, ""))
            links.append(
                Link(
                    seq=seq,
                    story_id=story_of[seq],
                    cosine=round(float(cosine), 4),
                    terms=round(self.terms.cosine(terms, weights, other), 4) if other is not None else 0.0,
                    shared_entities=shared.get(seq, 0),
                    near_duplicate=ids.get(seq) in near_ids,
                    jaccard=None if jaccard is None else round(jaccard, 4),
                    latest=seq in latest,
                    same_language=languages.get(seq) in (None, article.language) or article.language is None,
                )
            )
        self._judge_translations(article, links)
        return links

    def _judge_translations(self, article: Article, links: list[Link]) -> None:
        """Ask the judge about the closest links in another language (TF-IDF can't see across languages)."""
        foreign = [link for link in links if not link.same_language and link.cosine >= self.rules.translation_cosine]
        foreign.sort(key=lambda link: (-link.cosine, link.seq))
        for link in foreign[: self.rules.max_compares]:
            stored = self.store.get([link.seq])
            if stored:
                link.relation = self.judge(stored[0].article, article)

    def add(self, article: Article, vector: np.ndarray | None = None, near: list[str] | None = None) -> Assignment:
        """Store a processed article and put it in a story. The caller commits (`commit()`).

        `vector` (its title+lead embedding) and `near` (its near-duplicates, from `near_duplicates()`) are
        computed here when not given; batches are faster computed ahead for many articles at once.
        """
        if vector is None:
            vector = embed_leads([article])[0]
        if near is None:
            near = self.near_duplicates([article]).get(article.id, [])
        terms = term_vector(article, self.rules.title_weight)
        links = self.links(article, vector, terms, near)
        decision = decide(links, self.rules)
        story_id = None
        if decision.story_id is not None:
            story_id = self.store.merge_stories([decision.story_id, *decision.merged])
        seq = self.store.add(article, story_id, self._join(decision))
        self.vectors.add([seq], vector.reshape(1, -1))
        self.entities.add(seq, entity_keys(article))
        self.terms.add(seq, terms)
        self._times[seq] = timestamp(article.published)
        self._uncommitted.append(seq)
        return Assignment(
            seq=seq,
            article_id=article.id,
            story_id=story_id if story_id is not None else seq,
            new_story=story_id is None,
            decision=decision,
            merged=list(decision.merged),
            links=links,
        )

    def add_batch(self, articles: list[Article], vectors: np.ndarray) -> tuple[list[Assignment], int]:
        """Store and cluster a batch of processed articles in order (their title+lead `vectors` given);
        return the assignments and how many were skipped as already stored (or twice in the batch)."""
        first: dict[str, int] = {}
        for i, article in enumerate(articles):
            first.setdefault(article.id, i)
        chosen = list(first.values())
        batch = [articles[i] for i in chosen]
        near = self.near_duplicates(batch)
        done = []
        for article, vector in zip(batch, vectors[chosen]):
            if not self.store.contains(article):  # the same text at the same source twice in a row
                done.append(self.add(article, vector, near.get(article.id, [])))
        return done, len(articles) - len(done)

    def _join(self, decision: Decision) -> Join:
        link = decision.link
        if link is None:
            return Join(decision.via)
        return Join(
            via=decision.via,
            joined=self.store.ids_of([link.seq]).get(link.seq),
            score=decision.score,
            cosine=link.cosine,
            terms=link.terms,
            jaccard=link.jaccard,
            members=decision.members,
        )

    def commit(self) -> None:
        """Make the stored articles and their stories durable (the vector index is saved on `close()`)."""
        self.store.commit()
        self.terms.commit()
        self._uncommitted.clear()

    def rollback(self) -> None:
        """Undo every `add()` since the last commit: the store's transaction (articles, stories, entity postings,
        near-duplicate rows) and what this object remembers of them. A vector added under a rolled-back seq
        stays in the vector index: a label the store doesn't hold is never a candidate, and the store gives the
        same seq to the next article, whose vector replaces it."""
        self.store.rollback()
        self.terms.rollback()
        for seq in self._uncommitted:
            self._times.pop(seq, None)
        self._uncommitted.clear()

    def close(self) -> None:
        self.store.commit()
        self.vectors.save()
