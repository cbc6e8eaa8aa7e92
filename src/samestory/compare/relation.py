"""The relation between two articles, decided from the evidence and the predicted Overall score.

    duplicate    the same text, verbatim or nearly, perhaps cut (same language: word-shingle Jaccard >=
                 DUPLICATE_JACCARD, or taken passages copied word for word, overlap >= DUPLICATE_OVERLAP)
    rewrite      one source text edited: most passages aligned, with high word overlap
    translation  one source text in another language: most passages aligned, across languages
    same_event   independent reports of one event (predicted Overall <= SAME_EVENT_OVERALL)
    related      same topic, another event (predicted Overall <= RELATED_OVERALL)
                 (neither when the shorter text has under COMPARE_MIN_WORDS words: the predicted score of a
                 few words is lexical coincidence, "hello world one" against "hello world two")
    unrelated    everything else
"""

from __future__ import annotations

from typing import Literal

from samestory import config

Relation = Literal["duplicate", "rewrite", "translation", "same_event", "related", "unrelated"]
# The relations that mean "the same story".
SAME_STORY: frozenset[str] = frozenset({"duplicate", "rewrite", "translation", "same_event"})


def derived(coverage_a: float, coverage_b: float, passages: int, mean_similarity: float) -> bool:
    """Whether one text is taken from the other: much of the shorter one aligns, closely."""
    return (
        passages >= config.DERIVED_MIN_PASSAGES
        and max(coverage_a, coverage_b) >= config.DERIVED_COVERAGE
        and mean_similarity >= config.DERIVED_SIMILARITY
    )


def decide(
    *,
    same_language: bool,
    shingle_jaccard: float,
    coverage_a: float,
    coverage_b: float,
    passages: int,
    mean_similarity: float,
    mean_overlap: float,
    overall: float,
    shorter_words: int,
) -> Relation:
    """The relation, from the strongest evidence down. `shorter_words`: the words of the shorter text."""
    if same_language and shingle_jaccard >= config.DUPLICATE_JACCARD:
        return "duplicate"
    if derived(coverage_a, coverage_b, passages, mean_similarity):
        if not same_language:
            return "translation"
        if mean_overlap >= config.DUPLICATE_OVERLAP:
            return "duplicate"
        if mean_overlap >= config.REWRITE_OVERLAP:
            return "rewrite"
    if shorter_words < config.COMPARE_MIN_WORDS:
        return "unrelated"
    if overall <= config.SAME_EVENT_OVERALL:
        return "same_event"
    if overall <= config.RELATED_OVERALL:
        return "related"
    return "unrelated"
