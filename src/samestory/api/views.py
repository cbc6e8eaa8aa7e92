"""What the web page draws, computed from the library's results: texts split into highlighted segments
(aligned passages, added and dropped sentences) and the layout of a story's timeline plot."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit

from samestory import config
from samestory.article import Article, timestamp, utc
from samestory.compare.passages import Passage
from samestory.stories.provenance import outlet_of
from samestory.text import sentences

# Timeline plot size (SVG user units) and the number of pair colours the stylesheet defines (.p0 .. .p11).
_WIDTH, _ROW, _LEFT, _RIGHT, _TOP = 900, 28, 200, 30, 30
PAIR_COLOURS = 12


@dataclass(slots=True)
class Segment:
    """One sentence of a text as shown: `kind` is aligned (with `pair`), added, dropped or plain."""

    text: str
    kind: str = "plain"
    pair: int = -1


def segments(text: str, pairs: dict[int, int], unaligned: str) -> list[list[Segment]]:
    """The paragraphs of a text as segments. `pairs` maps the index of a compared sentence (those of at least
    PASSAGE_MIN_CHARS, the indexes `Passage.a_index` / `b_index` count) to its pair number; the other compared
    sentences get the kind `unaligned` ("added" or "dropped")."""
    out: list[list[Segment]] = []
    index = 0
    for line in text.splitlines():
        paragraph: list[Segment] = []
        for sentence in sentences(line):
            if len(sentence) < config.PASSAGE_MIN_CHARS:
                paragraph.append(Segment(sentence))
                continue
            pair = pairs.get(index)
            paragraph.append(
                Segment(sentence, "aligned", pair) if pair is not None else Segment(sentence, unaligned)
            )
            index += 1
        if paragraph:
            out.append(paragraph)
    return out


def sides(
    a_text: str, b_text: str, passages: Sequence[Passage]
) -> tuple[list[list[Segment]], list[list[Segment]]]:
    """Two texts side by side: aligned passages numbered in the order of text A (the same number on both
    sides), what B dropped marked on A, what B added marked on B."""
    ordered = sorted(passages, key=lambda p: p.a_index)
    a_pairs = {p.a_index: n for n, p in enumerate(ordered)}
    b_pairs = {p.b_index: n for n, p in enumerate(ordered)}
    return segments(a_text, a_pairs, "dropped"), segments(b_text, b_pairs, "added")


@dataclass(slots=True)
class Dot:
    """One article on the timeline."""

    x: float
    y: float
    article_id: str
    label: str  # tooltip: source, language, date, relation
    language: str
    relation: str  # "original" for the original
    anchor: str  # the id of its section on the story page


@dataclass(slots=True)
class Timeline:
    """The layout of a story's timeline plot: one row per source, time on x, dots coloured by language."""

    width: int
    height: int
    left: int  # where the plot starts (the source names end)
    rows: list[tuple[str, float]]  # (source, y)
    dots: list[Dot]
    ticks: list[tuple[float, str, str]]  # (x, label, text-anchor)
    languages: list[str] = field(default_factory=list)
    undated: bool = False


def http_url(url: str | None) -> str | None:
    """A URL the page may link to: http(s) only (a posted "javascript:..." is shown as text, never a link)."""
    if not url:
        return None
    try:
        scheme = urlsplit(url.strip()).scheme.lower()
    except ValueError:
        return None
    return url.strip() if scheme in ("http", "https") else None


def timeline(articles: Iterable[tuple[Article, str]]) -> Timeline:
    """Lay out (article, relation) pairs: sources in order of first publication, undated articles at the right."""
    items = list(articles)
    sources: list[str] = []
    for article, _ in items:
        name = outlet_of(article) or "unknown source"
        if name not in sources:
            sources.append(name)
    times = [t for a, _ in items if (t := timestamp(a.published)) is not None]
    undated = len(times) < len(items)
    first, last = (min(times), max(times)) if times else (0.0, 0.0)
    span = max(last - first, 1.0)
    plot_right = _WIDTH - _RIGHT - (60 if undated else 0)

    def x_of(article: Article) -> float:
        when = timestamp(article.published)
        if when is None:
            return float(_WIDTH - _RIGHT - 20)
        return round(_LEFT + (plot_right - _LEFT) * (when - first) / span, 1)

    rows = [(name, float(_TOP + _ROW * i)) for i, name in enumerate(sources)]
    y_of = dict(rows)
    dots = [
        Dot(
            x=x_of(a),
            y=y_of[outlet_of(a) or "unknown source"],
            article_id=a.id,
            label=f"{outlet_of(a) or 'unknown source'} · {a.language or '?'} · "
            f"{utc(a.published).strftime('%Y-%m-%d %H:%M') if a.published else 'undated'} · {relation}",
            language=a.language or "?",
            relation=relation,
            anchor=f"a-{a.id}",
        )
        for a, relation in items
    ]
    ticks: list[tuple[float, str, str]] = []
    if times:
        fmt = "%Y-%m-%d %H:%M" if span < 3 * 86400 else "%Y-%m-%d"
        for share, anchor in (
            ((0.0, "start"), (0.5, "middle"), (1.0, "end")) if last > first else ((0.0, "start"),)
        ):
            when = datetime.fromtimestamp(first + share * (last - first), UTC)
            ticks.append((round(_LEFT + (plot_right - _LEFT) * share, 1), when.strftime(fmt), anchor))
    return Timeline(
        width=_WIDTH,
        left=_LEFT,
        height=_TOP + _ROW * max(len(sources), 1) + 20,
        rows=rows,
        dots=dots,
        ticks=ticks,
        languages=sorted({d.language for d in dots}),
        undated=undated,
    )
