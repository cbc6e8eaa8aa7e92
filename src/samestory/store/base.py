"""The `Store` protocol: where ingested articles and their stories live.

The default is `samestory.store.sqlite.SQLiteStore` (one file, WAL mode, no server). A store keeps each
article once (by URL, or by source and content hash when there is no URL), the story it belongs to, and
answers the queries the stories stage and the CLI ask.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from unidecode import unidecode

from samestory.article import Article, timestamp, utc


@dataclass(slots=True)
class Join:
    """Why an article is in its story: the decision that put it there (`samestory.stories.decision`)."""

    via: str  # near_duplicate, text_reuse, title_lead, translation, average_link, or new (founded the story)
    joined: str | None = None  # id of the member it is most similar to, in the story it joined
    score: float | None = None  # average_link: mean similarity to the members compared; else the link's
    cosine: float | None = None  # title+lead cosine with `joined`
    terms: float | None = None  # TF-IDF cosine of the texts with `joined`
    jaccard: float | None = None  # estimated word-shingle Jaccard with `joined`
    members: int = 0  # members of the story the article was compared with

    def explain(self) -> str:
        """Why the article is in its story, as the end of "joined because it ..."."""
        if self.via == "new":
            return "is the first article of the story"
        if self.via == "average_link":
            return (
                f"is similar to the story as a whole: mean similarity {self.score:.2f} to its {self.members} "
                f"latest member(s), most to {self.joined} (TF-IDF {self.terms:.2f}, title+lead {self.cosine:.2f})"
            )
        reason = {
            "near_duplicate": "is a near-duplicate of",
            "text_reuse": f"reuses the text (word-shingle Jaccard {self.jaccard or 0:.2f}) of",
            "title_lead": f"has nearly the same title and lead (cosine {self.cosine or 0:.2f}) as",
            "translation": "is a translation, by compare(), of",
        }.get(self.via, self.via)
        return f"{reason} {self.joined}"

    def to_dict(self) -> dict[str, object]:
        return {
            "via": self.via,
            "joined": self.joined,
            "score": self.score,
            "cosine": self.cosine,
            "terms": self.terms,
            "jaccard": self.jaccard,
            "members": self.members,
            "why": self.explain(),
        }


@dataclass(slots=True)
class StoredArticle:
    """An article as the store keeps it: its sequence number (order of arrival), its story and why."""

    seq: int
    story_id: int
    article: Article
    join: Join | None = None


@dataclass(slots=True)
class StorySummary:
    """One line of `samestory stories`."""

    id: int
    headline: str
    first_seen: datetime | None
    last_seen: datetime | None
    size: int
    languages: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "headline": self.headline,
            "first_seen": self.first_seen.isoformat() if self.first_seen else None,
            "last_seen": self.last_seen.isoformat() if self.last_seen else None,
            "size": self.size,
            "languages": self.languages,
            "sources": self.sources,
        }


def story_order(summary: StorySummary) -> tuple[bool, float, int, int]:
    """The order of the story list: last seen latest first (undated last), then the larger, then the older."""
    last = timestamp(summary.last_seen)
    return (last is None, -(last or 0.0), -summary.size, summary.id)


def fold(text: str) -> str:
    """Case and accents folded, for search."""
    return unidecode(text).casefold()


def searchable(summary: StorySummary) -> str:
    """What a search looks in: the headline, sources and languages, case and accents folded."""
    return fold(" ".join([summary.headline, *summary.sources, *summary.languages]))


def matches(
    summary: StorySummary, haystack: str, words: list[str], since: datetime | None, until: datetime | None
) -> bool:
    """Whether a story fits a search: every word in its `searchable` text, and seen inside [since, until]
    (a story overlapping the range fits)."""
    if words and not all(w in haystack for w in words):
        return False
    if since is not None and (summary.last_seen is None or _utc_or_max(summary.last_seen) < since):
        return False
    return until is None or (summary.first_seen is not None and _utc_or_max(summary.first_seen) <= until)


def _utc_or_max(value: datetime) -> datetime:
    try:
        return utc(value)
    except OverflowError:  # a stored date UTC can't hold (read before dates were sanitised)
        return utc(datetime.max)


class Store(Protocol):
    """What the stories stage needs from a store. Writes are visible at once and durable after `commit`.

    The indexes (entities, terms, near-duplicates) keep their own tables on the store's `connection`, so that an
    article and its index entries are committed or rolled back together."""

    path: str
    connection: sqlite3.Connection

    def count(self) -> int:
        """How many articles are stored."""
        ...

    def published_times(self) -> Iterator[tuple[int, datetime | None]]:
        """(sequence number, published) of every stored article, in order of arrival."""
        ...

    def contains(self, article: Article) -> bool:
        """Whether this article (same URL, or same source and content hash) is already stored."""
        ...

    def add(self, article: Article, story_id: int | None = None, join: Join | None = None) -> int:
        """Store an article (and why it is in its story); return its sequence number. With no story, it
        founds its own (id = its seq)."""
        ...

    def members(self, story_id: int, limit: int) -> list[tuple[int, datetime | None]]:
        """The latest members of a story to arrive (sequence number, published), latest first."""
        ...

    def set_story(self, seq: int, story_id: int) -> None:
        """Put one article in a story."""
        ...

    def merge_stories(self, story_ids: Iterable[int]) -> int:
        """Merge stories into the oldest (smallest id); return that id."""
        ...

    def stories_of(self, seqs: Sequence[int]) -> dict[int, int]:
        """The story of each article, by sequence number."""
        ...

    def seqs_of(self, ids: Sequence[str]) -> dict[str, int]:
        """Article id -> sequence number, for the ids that are stored."""
        ...

    def ids_of(self, seqs: Sequence[int]) -> dict[int, str]:
        """Sequence number -> article id, for the sequence numbers that are stored."""
        ...

    def languages_of(self, seqs: Sequence[int]) -> dict[int, str | None]:
        """Sequence number -> language, for the sequence numbers that are stored."""
        ...

    def get(self, seqs: Sequence[int]) -> list[StoredArticle]:
        """Stored articles by sequence number (those that exist, in the order asked)."""
        ...

    def story(self, story_id: int) -> list[StoredArticle]:
        """The articles of a story, earliest published first."""
        ...

    def stories(
        self, since: datetime | None = None, *, ids: Sequence[int] | None = None
    ) -> list[StorySummary]:
        """Every story (last seen on or after `since`; only those of `ids` when given), in `story_order`."""
        ...

    def articles(self, after_seq: int = 0) -> Iterator[StoredArticle]:
        """Every stored article with a sequence number above `after_seq`, in order of arrival."""
        ...

    def assignments(self) -> dict[str, int]:
        """Article id -> story id, for every stored article."""
        ...

    def commit(self) -> None:
        """Make everything written so far durable."""
        ...

    def rollback(self) -> None:
        """Drop everything written since the last commit."""
        ...

    def close(self) -> None:
        ...
