"""The seven SemEval-2022 Task 8 scores for a pair (1 = very similar .. 4 = very dissimilar)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from samestory.article import Article

if TYPE_CHECKING:
    from samestory.compare import Evidence
    from samestory.compare.passages import Alignment

DIMENSIONS = ("geography", "entities", "time", "narrative", "style", "tone", "overall")


def predict_scores(a: Article, b: Article, alignment: Alignment, evidence: Evidence) -> dict[str, float]:
    """First heuristic version: similarity from passage coverage and text similarity."""
    closeness = 0.6 * max(alignment.coverage_a, alignment.coverage_b) + 0.4 * min(
        1.0, max(0.0, (evidence.text_similarity - 0.3) / 0.6)
    )
    value = round(4.0 - 3.0 * closeness, 3)
    return {d: value for d in DIMENSIONS}
