"""Compare two processed articles: relation, the seven SemEval-2022 Task 8 scores, aligned passages, evidence.

    from samestory.compare import compare
    result = compare(process(a), process(b))
    result.relation, result.scores["overall"], result.passages, result.evidence
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from samestory.article import Article, sanitised
from samestory.compare.model import ScoreModel, score_pairs
from samestory.compare.passages import Alignment, Passage, align
from samestory.compare.relation import SAME_STORY, Relation, decide
from samestory.embed import mean_vector
from samestory.text import jaccard, normalize, shingles, words

__all__ = ["Comparison", "Evidence", "Passage", "compare", "warm_up"]


@dataclass(slots=True)
class Evidence:
    """What the verdict rests on."""

    same_language: bool
    shingle_jaccard: float  # word 3-shingles of the normalised texts
    text_similarity: float  # cosine of the mean sentence vectors
    mean_passage_similarity: float
    mean_passage_overlap: float  # word Jaccard inside aligned passages (copied wording)
    shared_entities: list[str] = field(default_factory=list)  # canonical ids of people and organisations
    shared_places: list[str] = field(default_factory=list)
    shared_dates: list[str] = field(default_factory=list)
    shared_numbers: list[str] = field(default_factory=list)
    date_gap_days: float | None = None  # publication dates, B minus A


@dataclass(slots=True)
class Comparison:
    """The result of comparing article A with article B."""

    a_id: str
    b_id: str
    relation: Relation
    scores: dict[str, float]  # geography, entities, time, narrative, style, tone, overall (1 similar .. 4)
    passages: list[Passage]
    coverage_a: float  # share of A inside aligned passages
    coverage_b: float
    added: list[str]  # sentences of B not in A
    dropped: list[str]  # sentences of A not in B
    evidence: Evidence

    @property
    def same_story(self) -> bool:
        return self.relation in SAME_STORY

    def to_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["same_story"] = self.same_story
        return out


def _shingles3(text: str) -> set[str]:
    return shingles(normalize(text).split(), 3)


def _date_values(article: Article, reference: Article) -> set[str]:
    """The dates mentioned in `article`; relative ones resolved against the partner's date when undated."""
    values = {m.value.isoformat() for m in article.dates}
    if article.published is None and reference.published is not None:
        from samestory.understand import resolve_dates

        mentions = resolve_dates(article.text, reference.published.date(), article.language or "en")
        values |= {m.value.isoformat() for m in mentions}
    return values


def evidence_for(a: Article, b: Article, alignment: Alignment) -> Evidence:
    """Collect the evidence for a pair from the processed articles and their alignment."""
    ents_a = {e.canonical for e in a.entities if e.label != "LOC"}
    ents_b = {e.canonical for e in b.entities if e.label != "LOC"}
    places_a = {e.canonical for e in a.entities if e.label == "LOC"}
    places_b = {e.canonical for e in b.entities if e.label == "LOC"}
    sims = [p.similarity for p in alignment.passages]
    overlaps = [p.overlap for p in alignment.passages]
    text_similarity = 0.0
    if len(alignment.a_vectors) and len(alignment.b_vectors):
        text_similarity = float(mean_vector(alignment.a_vectors) @ mean_vector(alignment.b_vectors))
    gap = None
    if a.published and b.published:
        gap = round((b.published - a.published).total_seconds() / 86400, 3)
    return Evidence(
        same_language=(a.language or "") == (b.language or ""),
        shingle_jaccard=round(jaccard(_shingles3(a.text), _shingles3(b.text)), 4),
        text_similarity=round(text_similarity, 4),
        mean_passage_similarity=round(float(np.mean(sims)), 4) if sims else 0.0,
        mean_passage_overlap=round(float(np.mean(overlaps)), 4) if overlaps else 0.0,
        shared_entities=sorted(ents_a & ents_b),
        shared_places=sorted(places_a & places_b),
        shared_dates=sorted(_date_values(a, b) & _date_values(b, a)),
        shared_numbers=sorted(set(a.numbers) & set(b.numbers)),
        date_gap_days=gap,
    )


def compare(a: Article, b: Article, *, model: ScoreModel | None = None) -> Comparison:
    """Compare two articles that have been through `samestory.pipeline.process`; their seven scores by
    `model` (default: the shipped pair model)."""
    a, b = sanitised(a), sanitised(b)
    alignment = align(a.text, b.text)
    evidence = evidence_for(a, b, alignment)
    scores = score_pairs([(a, b)], model=model)[0]
    relation = decide(
        same_language=evidence.same_language,
        shingle_jaccard=evidence.shingle_jaccard,
        coverage_a=alignment.coverage_a,
        coverage_b=alignment.coverage_b,
        passages=len(alignment.passages),
        mean_similarity=evidence.mean_passage_similarity,
        mean_overlap=evidence.mean_passage_overlap,
        overall=scores["overall"],
        shorter_words=min(len(words(a.text)), len(words(b.text))),
    )
    return Comparison(
        a_id=a.id,
        b_id=b.id,
        relation=relation,
        scores=scores,
        passages=alignment.passages,
        coverage_a=round(alignment.coverage_a, 4),
        coverage_b=round(alignment.coverage_b, 4),
        added=alignment.only_in_b,
        dropped=alignment.only_in_a,
        evidence=evidence,
    )


def warm_up() -> None:
    """Load what `compare` loads on first use (the sentence encoder, the score model: ~3 s), by comparing two
    short texts: a server does it at start rather than inside the first request that needs it."""
    english = "The council met on Monday. It voted to close the bridge."
    german = "Der Rat tagte am Montag. Er stimmte für die Schließung der Brücke."
    compare(
        Article(id="warm-up-en", text=english, language="en"),
        Article(id="warm-up-de", text=german, language="de"),
    )
