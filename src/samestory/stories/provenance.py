"""The likely original of a story, and what each other article took from it and added.

The likely original is the earliest source of the shared passages: among the earliest articles of the story
(STORY_ORIGIN_CANDIDATES), those that others copied, rewrote or translated (`compare()` says duplicate,
rewrite or translation); the earliest published of them. Articles published at the same time (or all
undated) are told apart by attribution: the outlet the others credit by name (or whose text carries a wire
dateline such as "PARIS (AFP) -" that the others dropped), then by how much of the others' text they cover,
never by input order; `why` says which decided. When nobody copied anybody (independent reports), the
earliest article is the original.

Each article is also checked for content-farm signs:
    author_bio          a generated author bio was removed by the cleaner
    unrelated_links     "See also" / related links (4 words or more) that share nothing with the story
    no_attribution      a copy (duplicate, rewrite, translation) of another outlet that names neither a wire
                        agency nor the original's outlet
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from samestory import config
from samestory.article import Article, timestamp
from samestory.compare import Comparison, compare
from samestory.compare.passages import Passage
from samestory.read._fields import domain
from samestory.store.base import Join
from samestory.text import headline, words

DERIVED = frozenset({"duplicate", "rewrite", "translation"})
# Wire agencies and their usual credits, in the languages of the sample stories.
WIRE_AGENCIES = re.compile(
    r"\b(AFP|Agence France[- ]Presse|Reuters|AP|Associated Press|dpa|Deutsche Presse-Agentur|EFE|Lusa|ANSA|"
    r"PA Media|Press Association|Belga|APA|Kyodo|Xinhua|Yonhap|Europa Press|Anadolu|UPI|ANP|TT|NTB|"
    r"Bloomberg|Interfax|TASS|RIA Novosti)\b"
)
# Cleaner rules (samestory.clean, Removal.rule) that mark a generated bio, and related-link lines.
_BIO_RULE = re.compile(r"author|bio", re.IGNORECASE)
_LINK_RULE = re.compile(r"related|see.?also|read.?(more|also)|also.?like|link", re.IGNORECASE)
# The label that starts a related-link line ("See also", "Read more:"): its words are not the link's topic.
_LINK_LABEL = re.compile(
    r"^\W*(?:see also|also read|read also|read more|related(?: articles?| stories| news)?|you may also like|"
    r"more on this|lire aussi|à lire aussi|voir aussi|lesen sie auch|mehr zum thema|leia também|"
    r"veja também|lee también|ver también|leggi anche)\W*",
    re.IGNORECASE,
)
# A wire dateline at the start of a text: "PARIS (AFP) -", "(Reuters) -", "BERLIN, 3 March (dpa) -".
_DATELINE = re.compile(r"^[^\n]{0,60}?\((?:" + WIRE_AGENCIES.pattern.removeprefix(r"\b(").removesuffix(r")\b") + r")\)\s*[-–—:]")


@dataclass(slots=True)
class Copy:
    """Another article of the story, measured against the original."""

    article: Article
    relation: str  # duplicate, rewrite, translation, same_event (or related / unrelated when loosely joined)
    coverage: float  # share of this article's text inside passages aligned with the original
    passages: list[Passage]
    added: list[str]  # its sentences the original doesn't have
    flags: list[str] = field(default_factory=list)
    join: Join | None = None  # why it is in the story (the clusterer's decision), when known


@dataclass(slots=True)
class Provenance:
    """A story traced: its likely original and the other articles."""

    story_id: int
    original: Article
    copies: list[Copy]
    original_flags: list[str] = field(default_factory=list)
    why: str = ""

    def to_dict(self) -> dict[str, Any]:
        def brief(article: Article) -> dict[str, Any]:
            return {
                "id": article.id,
                "title": headline_of(article),
                "source": outlet_of(article),
                "url": article.url,
                "language": article.language,
                "published": article.published.isoformat() if article.published else None,
            }

        return {
            "story_id": self.story_id,
            "original": {**brief(self.original), "flags": self.original_flags},
            "why": self.why,
            "copies": [
                {
                    **brief(c.article),
                    "relation": c.relation,
                    "coverage": c.coverage,
                    "flags": c.flags,
                    "passages": [
                        {"original": p.a_text, "copy": p.b_text, "similarity": p.similarity, "overlap": p.overlap}
                        for p in c.passages
                    ],
                    "added": c.added,
                    "joined": c.join.to_dict() if c.join else None,
                }
                for c in self.copies
            ],
        }


def headline_of(article: Article) -> str:
    """What heads an article: its title, else its first sentence (cut at READ_TITLE_MAX_CHARS)."""
    return headline(article.title, article.text, config.READ_TITLE_MAX_CHARS)


def outlet_of(article: Article) -> str | None:
    """Who published an article: its source, else its URL's host."""
    return article.source or domain(article.url)


def _when(article: Article) -> float:
    when = timestamp(article.published)
    return float("inf") if when is None else when


def content_farm_flags(article: Article, story_words: set[str], relation: str | None, original: Article | None) -> list[str]:
    """The content-farm signs of an article (see the module docstring)."""
    flags: list[str] = []
    if any(_BIO_RULE.search(r.rule) for r in article.removed):
        flags.append("author_bio")
    links = [r.text for r in article.removed if _LINK_RULE.search(r.rule) and not _BIO_RULE.search(r.rule)]
    for text in links:
        link_words = {w for w in words(_LINK_LABEL.sub("", text)) if len(w) > 3}
        if len(link_words) >= 4 and len(link_words & story_words) / len(link_words) < config.STORY_LINK_OVERLAP:
            flags.append("unrelated_links")
            break
    if (
        relation in DERIVED
        and original is not None
        and article.source != original.source
        and not _credits(article, original)
    ):
        flags.append("no_attribution")
    return flags


def _credits(article: Article, original: Article) -> bool:
    """Whether an article names a wire agency or the original's outlet (its domain's name)."""
    return bool(WIRE_AGENCIES.search(f"{article.title}\n{article.text}")) or _names_outlet(article, original)


def _names_outlet(article: Article, other: Article) -> bool:
    """Whether an article names the outlet of `other` (its domain's name, "bostonherald" = "Boston Herald")."""
    outlet = _squash((other.source or "").removeprefix("www.").split(".")[0])
    return len(outlet) >= 4 and article.source != other.source and outlet in _squash(f"{article.title} {article.text}")


def _squash(text: str) -> str:
    return re.sub(r"[\W_]+", "", text).casefold()


def _attribution(candidate: Article, others: list[Article]) -> int:
    """How the others point at a candidate: each other article that names its outlet, and one more when its
    text opens with a wire dateline that some other article lacks (the others dropped it)."""
    credited = sum(1 for other in others if _names_outlet(other, candidate))
    dateline = bool(_DATELINE.search(candidate.text)) and any(not _DATELINE.search(o.text) for o in others)
    return credited + dateline


def trace(
    articles: list[Article],
    story_id: int = 0,
    *,
    joins: dict[str, Join] | None = None,
    judge: Callable[[Article, Article], Comparison] = compare,
) -> Provenance:
    """Find the likely original of a story's articles and measure every other article against it. `joins`
    (article id -> why it is in the story) are shown beside each copy's relation to the original; `judge`
    compares a pair (default `compare`; the API passes one that takes the models a pair at a time)."""
    if not articles:
        raise ValueError("trace() needs at least one article")
    ordered = sorted(articles, key=_when)[: config.STORY_TRACE_MAX]
    candidates = ordered[: config.STORY_ORIGIN_CANDIDATES]
    results: dict[str, dict[str, Comparison]] = {}
    # (no copies?, time, -attribution, -coverage, id, index): the id only makes the order independent of
    # the input's when nothing else tells two candidates apart.
    scored: list[tuple[int, float, int, float, str, int]] = []
    for index, candidate in enumerate(candidates):
        found = {other.id: judge(candidate, other) for other in ordered if other.id != candidate.id}
        results[candidate.id] = found
        copied = [c for c in found.values() if c.relation in DERIVED]
        others = [a for a in ordered if a.id != candidate.id]
        scored.append(
            (0 if copied else 1, _when(candidate), -_attribution(candidate, others),
             -round(sum(c.coverage_b for c in copied), 6), candidate.id, index)
        )
    scored.sort()
    best = scored[0]
    original = candidates[best[5]]
    why = (
        "the earliest article whose passages the others contain"
        if best[0] == 0
        else "the earliest article (no article copies another: independent reports)"
    )
    tied = [s for s in scored[1:] if s[:2] == best[:2]]
    if tied:
        when = "published at the same time as" if best[1] != float("inf") else "undated like"
        decided = (
            "the outlet the others credit (by name or by the wire dateline they dropped)"
            if best[2] < tied[0][2]
            else "the one covering most of the others' text"
            if best[3] < tied[0][3]
            else "nothing tells them apart; the first by id"
        )
        why += f"; {when} {len(tied)} other(s): {decided}"
    story_words = {w for a in ordered for w in words(f"{a.title} {a.text}") if len(w) > 3}
    copies: list[Copy] = []
    for other in ordered:
        if other.id == original.id:
            continue
        result = results[original.id][other.id] if original.id in results else judge(original, other)
        copies.append(
            Copy(
                article=other,
                relation=result.relation,
                coverage=result.coverage_b,
                passages=result.passages,
                added=result.added,
                flags=content_farm_flags(other, story_words, result.relation, original),
                join=(joins or {}).get(other.id),
            )
        )
    return Provenance(
        story_id=story_id,
        original=original,
        copies=copies,
        original_flags=content_farm_flags(original, story_words, None, None),
        why=why,
    )
