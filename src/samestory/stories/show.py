"""Readable output of the stories commands (rich tables), for the CLI."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

from samestory.store.base import StorySummary
from samestory.stories.provenance import Provenance, headline_of, outlet_of

if TYPE_CHECKING:
    from samestory.evaluate.stories import StoriesReport


def _when(value: object) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if hasattr(value, "strftime") else "-"


def print_stories(summaries: list[StorySummary], console: Console | None = None) -> None:
    """The stories, most recently seen first: id and headline, then size, languages, dates and sources."""
    console = console or Console()
    console.print(f"[bold]{len(summaries)} stor{'y' if len(summaries) == 1 else 'ies'}[/bold]")
    for s in summaries:
        console.print(f"[bold]{s.id:>6}[/bold]  {s.headline}", highlight=False)
        console.print(
            f"        [dim]{s.size} article{'s' if s.size != 1 else ''} · {', '.join(s.languages) or '?'} · "
            f"{_when(s.first_seen)} -> {_when(s.last_seen)} · {', '.join(s.sources) or '-'}[/dim]",
            highlight=False,
        )


def print_story(result: Provenance, console: Console | None = None) -> None:
    """A story: its likely original, then each other article against it."""
    console = console or Console()
    o = result.original
    console.print(f"[bold]Story {result.story_id}[/bold]: {len(result.copies) + 1} article(s)")
    console.print(f"[bold]Likely original[/bold] ({result.why}):")
    console.print(f"  {headline_of(o) or o.id}  [dim]{outlet_of(o) or '-'}, {o.language or '?'}, {_when(o.published)}[/dim]")
    if result.original_flags:
        console.print(f"  [red]flags: {', '.join(result.original_flags)}[/red]")
    for c in result.copies:
        a = c.article
        console.print()
        console.print(
            f"[bold]{c.relation}[/bold] {headline_of(a) or a.id}  [dim]{outlet_of(a) or '-'}, {a.language or '?'}, "
            f"{_when(a.published)}[/dim]"
        )
        console.print(f"  took {c.coverage:.0%} of its text from the original; {len(c.passages)} aligned passage(s)")
        if c.join is not None:
            console.print(f"  [dim]joined the story: {c.join.explain()}[/dim]", highlight=False)
        if c.flags:
            console.print(f"  [red]content-farm signs: {', '.join(c.flags)}[/red]")
        for p in c.passages[:3]:
            console.print(f"  [dim]{p.similarity:.2f}[/dim] {p.b_text[:110]}")
        if len(c.passages) > 3:
            console.print(f"  [dim]... and {len(c.passages) - 3} more[/dim]")
        for sentence in c.added[:2]:
            console.print(f"  [green]+ {sentence[:110]}[/green]")


def print_eval(report: StoriesReport, console: Console | None = None) -> None:
    """The clustering figures, samestory's beside the TF-IDF baseline's of the same run."""
    console = console or Console()
    reports = [report] + ([report.baseline] if report.baseline else [])
    table = Table(title=f"stories: {report.articles} articles, {report.pairs} labelled pairs ({report.mode})")
    table.add_column("figure")
    for r in reports:
        table.add_column(r.method, justify="right")
    for name in ("precision", "recall", "f1", "bcubed_precision", "bcubed_recall", "bcubed_f1", "ari"):
        table.add_row(name, *(f"{getattr(r, name):.3f}" for r in reports))
    table.add_row("stories (gold)", *(f"{r.stories} ({r.gold_stories})" for r in reports))
    table.add_row("seconds", *(f"{r.seconds:.1f}" for r in reports))
    console.print(table)
