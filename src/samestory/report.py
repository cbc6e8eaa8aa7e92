"""Readable terminal output for the CLI (rich): a comparison verdict."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.table import Table

from samestory.article import Article
from samestory.compare import Comparison


def _names(articles: Sequence[Article]) -> dict[str, str]:
    """Canonical id -> the surface form written most often (in the first article that has it)."""
    names: dict[str, str] = {}
    for article in articles:
        for entity in sorted(article.entities, key=lambda e: -e.count):
            names.setdefault(entity.canonical, entity.text)
    return names


def print_comparison(
    result: Comparison, console: Console | None = None, articles: Sequence[Article] = ()
) -> None:
    """Print the verdict, the scores, the evidence and the aligned passages. Shared entities and places are
    named as the `articles` (A and B) write them, not by their canonical ids ("Sheffield", not "city:2638077")."""
    console = console or Console()
    names = _names(articles)
    ev = result.evidence
    verdict = "the same story" if result.same_story else "not the same story"
    console.print(f"[bold]{result.relation}[/bold]: {verdict}  (overall {result.scores['overall']:.2f} on 1..4)")
    scores = Table(title="SemEval-2022 Task 8 scores (1 = very similar .. 4 = very dissimilar)")
    for name in result.scores:
        scores.add_column(name)
    scores.add_row(*(f"{v:.2f}" for v in result.scores.values()))
    console.print(scores)
    console.print(
        f"coverage A {result.coverage_a:.0%}, B {result.coverage_b:.0%}; text similarity {ev.text_similarity:.2f}; "
        f"shingle Jaccard {ev.shingle_jaccard:.2f}; copied wording in passages {ev.mean_passage_overlap:.2f}"
    )
    for label, values in (
        ("shared people and organisations", [names.get(v, v) for v in ev.shared_entities]),
        ("shared places", [names.get(v, v) for v in ev.shared_places]),
        ("shared dates", ev.shared_dates),
        ("shared numbers", ev.shared_numbers),
    ):
        if values:
            console.print(f"{label}: {', '.join(values)}")
    table = Table(title=f"{len(result.passages)} aligned passages", show_lines=True)
    table.add_column("sim", justify="right")
    table.add_column("A")
    table.add_column("B")
    for p in result.passages:
        table.add_row(f"{p.similarity:.2f}", p.a_text, p.b_text)
    console.print(table)
    if result.added:
        console.print(f"[bold]only in B[/bold] ({len(result.added)}): " + " | ".join(s[:80] for s in result.added))
