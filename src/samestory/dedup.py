"""The dedup stage: groups of near-duplicate articles (verbatim or lightly edited copies) in a stream.

    groups = find_duplicates(articles, threshold=0.8)           # in memory
    groups = find_duplicates(articles, db="news.db")            # against, and into, a persistent index
    for group in groups: group.earliest, [(m.id, m.estimated, m.verified) for m in group.members]

Each group is a connected component of verified matches (see samestory.index.minhash); its members carry
their Jaccard similarity to the group's earliest article (earliest by publication date, then input order):
estimated from the MinHash signatures and verified exactly on the shingle sets. A member can sit below the
threshold against the earliest when it joined through another member.
"""

from __future__ import annotations

import logging
import math
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from samestory import config
from samestory.article import Article
from samestory.index.minhash import Match, MinHashIndex, distinct, jaccard

log = logging.getLogger(__name__)

__all__ = ["Group", "Member", "find_duplicates"]


@dataclass(frozen=True, slots=True)
class Member:
    """An article of a group and its Jaccard similarity to the group's earliest article."""

    id: str
    published: datetime | None
    estimated: float  # from the signatures
    verified: float | None  # exact, on the shingle sets; None for articles indexed in an earlier session


@dataclass(frozen=True, slots=True)
class Group:
    """Near-duplicate articles, the earliest first."""

    members: tuple[Member, ...]

    @property
    def earliest(self) -> Member:
        return self.members[0]

    def to_dict(self) -> dict[str, Any]:
        return {
            "earliest": self.earliest.id,
            "size": len(self.members),
            "members": [
                {
                    "id": m.id,
                    "published": m.published.isoformat() if m.published else None,
                    "estimated": m.estimated,
                    "verified": m.verified,
                }
                for m in self.members
            ],
        }


class _Components:
    """Union-find over article ids."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        root = self.parent.setdefault(x, x)
        while root != self.parent[root]:
            root = self.parent[root]
        while x != root:
            self.parent[x], x = root, self.parent[x]
        return root

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)

    def groups(self) -> list[list[str]]:
        out: dict[str, list[str]] = {}
        for x in self.parent:
            out.setdefault(self.find(x), []).append(x)
        return list(out.values())


def find_duplicates(
    articles: Iterable[Article],
    *,
    threshold: float = config.DEDUP_THRESHOLD,
    db: str | Path | sqlite3.Connection | None = None,
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[Group]:
    """Groups (two articles or more) of near-duplicates among `articles` and, with `db`, the articles
    indexed there before; the articles are added to that index. Groups come in the order of their earliest
    article. `progress(n)` is called with the number of articles read after each batch."""
    with MinHashIndex(db, threshold=threshold, keep_shingles=True, workers=workers) as index:
        matches = index.add(articles, progress=progress)
        return _groups(index, matches)


def _earliest_first(position: tuple[int, float]) -> tuple[bool, float, int]:
    """Sort key: dated articles first, by date, then by input order."""
    rank, published = position
    undated = math.isnan(published)
    return (undated, 0.0 if undated else published, rank)


def _groups(index: MinHashIndex, matches: list[Match]) -> list[Group]:
    components = _Components()
    for match in matches:
        components.union(match.id, match.other)
    groups: list[tuple[tuple[bool, float, int], Group]] = []
    for ids in components.groups():
        where = index.positions(ids)
        ordered = sorted(ids, key=lambda i: _earliest_first(where[i]))
        first_sig, first_set = index.signature_of(ordered[0]), index.shingles_of(ordered[0])
        if first_set is not None:
            first_set = distinct(first_set)
        members = []
        for i in ordered:
            sig, shingles = index.signature_of(i), index.shingles_of(i)
            verified = None
            if shingles is not None and first_set is not None:
                verified = round(jaccard(distinct(shingles), first_set, prepared=True), 4)
            published = where[i][1]
            members.append(
                Member(
                    id=i,
                    published=None if math.isnan(published) else datetime.fromtimestamp(published, timezone.utc),
                    estimated=round(float((sig == first_sig).mean()), 4),
                    verified=verified,
                )
            )
        groups.append((_earliest_first(where[ordered[0]]), Group(tuple(members))))
    log.debug("%d match(es) in %d group(s)", len(matches), len(groups))
    return [g for _, g in sorted(groups, key=lambda x: x[0])]
