"""Aligned passages: the sentences of two articles that say the same thing, across languages.

Sentences are embedded with the multilingual encoder (samestory.embed); pairs are matched one-to-one, most
similar first, above a threshold. Each pair also carries a lexical overlap (word Jaccard), which tells a
copied or machine-translated sentence from a sentence that only says something close.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from samestory import config
from samestory.embed import embed
from samestory.text import jaccard, sentences, words


@dataclass(slots=True)
class Passage:
    """One sentence of A aligned with one sentence of B."""

    a_index: int
    b_index: int
    a_text: str
    b_text: str
    similarity: float  # cosine of the sentence embeddings
    overlap: float  # Jaccard of the two sentences' word sets (0 across scripts and most translations)


@dataclass(slots=True)
class Alignment:
    """The aligned passages of two texts, and what each text has that the other lacks."""

    a_sentences: list[str]
    b_sentences: list[str]
    passages: list[Passage]
    coverage_a: float  # share of A's characters inside aligned sentences
    coverage_b: float
    a_vectors: np.ndarray  # sentence embeddings of A (len(a) x 512)
    b_vectors: np.ndarray

    @property
    def only_in_a(self) -> list[str]:
        """Sentences of A that B does not have (what B dropped)."""
        used = {p.a_index for p in self.passages}
        return [s for i, s in enumerate(self.a_sentences) if i not in used]

    @property
    def only_in_b(self) -> list[str]:
        """Sentences of B that A does not have (what B added)."""
        used = {p.b_index for p in self.passages}
        return [s for i, s in enumerate(self.b_sentences) if i not in used]


def split(text: str) -> list[str]:
    """The sentences compared: long enough to carry content."""
    return [s for s in sentences(text) if len(s) >= config.PASSAGE_MIN_CHARS]


def _coverage(sents: list[str], used: set[int]) -> float:
    total = sum(len(s) for s in sents)
    return sum(len(sents[i]) for i in used) / total if total else 0.0


def align(
    a_text: str,
    b_text: str,
    *,
    a_vectors: np.ndarray | None = None,
    b_vectors: np.ndarray | None = None,
    threshold: float | None = None,
) -> Alignment:
    """Align the sentences of two texts one-to-one, most similar first.

    Precomputed sentence vectors (from `embed(split(text))`) can be passed to avoid embedding twice.
    """
    threshold = config.PASSAGE_THRESHOLD if threshold is None else threshold
    a_sents, b_sents = split(a_text), split(b_text)
    if not a_sents or not b_sents:
        return Alignment(a_sents, b_sents, [], 0.0, 0.0, embed(a_sents), embed(b_sents))
    va = embed(a_sents) if a_vectors is None else a_vectors
    vb = embed(b_sents) if b_vectors is None else b_vectors
    sim = va @ vb.T
    order = np.argsort(-sim, axis=None, kind="stable")
    used_a: set[int] = set()
    used_b: set[int] = set()
    passages: list[Passage] = []
    for flat in order:
        i, j = divmod(int(flat), sim.shape[1])
        score = float(sim[i, j])
        if score < threshold:
            break
        if i in used_a or j in used_b:
            continue
        used_a.add(i)
        used_b.add(j)
        overlap = jaccard(set(words(a_sents[i])), set(words(b_sents[j])))
        passages.append(Passage(i, j, a_sents[i], b_sents[j], round(score, 4), round(overlap, 4)))
    passages.sort(key=lambda p: p.a_index)
    return Alignment(a_sents, b_sents, passages, _coverage(a_sents, used_a), _coverage(b_sents, used_b), va, vb)
