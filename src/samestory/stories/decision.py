"""The story decision: which story a new article joins, from the links to its candidate stories' members.

    decision = decide(links, StoryRules())

One pure function, used by the embedded clusterer (`samestory.stories.cluster`) and so by `ingest`, the
HTTP service and Spark. An article joins a story, not a member:

1. a copy joins at once: a near-duplicate, a candidate whose text it reuses (estimated word-shingle Jaccard
   >= reuse_jaccard), one at title+lead cosine >= accept_cosine, or one in another language that compare()
   calls a translation (or a duplicate or rewrite) of it. Copies of articles of several stories merge those
   stories (evidence as strong as a copy);
2. otherwise each candidate story is scored by average link: the mean similarity of the article to the
   story's most recent members (up to `members`) in its language, a similarity being the TF-IDF cosine of the two texts plus
   `lead_weight` times their title+lead cosine. The best story joins when its score is at least `join`; one
   loose pair can't pull an article into a story whose other members it doesn't resemble, and two stories
   never merge on such evidence.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from samestory import config

_COPY_RELATIONS = frozenset({"duplicate", "rewrite", "translation"})


@dataclass(frozen=True, slots=True)
class StoryRules:
    """The thresholds of the story decision (defaults and their calibration: `samestory.config`)."""

    window_days: float = config.STORY_WINDOW_DAYS
    join: float = config.STORY_JOIN_SIMILARITY
    lead_weight: float = config.STORY_LEAD_WEIGHT
    title_weight: float = config.STORY_TITLE_WEIGHT
    members: int = config.STORY_LINK_MEMBERS
    reuse_jaccard: float = config.STORY_REUSE_JACCARD
    accept_cosine: float = config.STORY_ACCEPT_COSINE
    translation_cosine: float = config.STORY_TRANSLATION_COSINE
    max_compares: int = config.STORY_MAX_COMPARES


@dataclass(slots=True)
class Link:
    """The evidence between a new article and one earlier article of a candidate story."""

    seq: int
    story_id: int
    cosine: float  # title+lead embeddings
    terms: float = 0.0  # TF-IDF cosine of title and text
    shared_entities: int = 0
    near_duplicate: bool = False
    jaccard: float | None = None  # estimated word-shingle Jaccard (None when not indexed)
    relation: str | None = None  # compare()'s relation, when it was asked (another language)
    latest: bool = True  # one of the story's latest members (StoryRules.members)
    same_language: bool = True  # TF-IDF compares only texts of one language

    def similarity(self, rules: StoryRules) -> float:
        return self.terms + rules.lead_weight * self.cosine

    def copy_via(self, rules: StoryRules) -> str | None:
        """How the article copies this one ("near_duplicate", "text_reuse", "title_lead"), or None."""
        if self.near_duplicate:
            return "near_duplicate"
        if self.jaccard is not None and self.jaccard >= rules.reuse_jaccard:
            return "text_reuse"
        if self.cosine >= rules.accept_cosine:
            return "title_lead"
        if self.relation in _COPY_RELATIONS:
            return "translation"
        return None


@dataclass(slots=True)
class Decision:
    """Where an article goes and why. `story_id` None: it founds a story."""

    story_id: int | None
    via: str  # near_duplicate, text_reuse, title_lead, translation, average_link, or new
    link: Link | None = None  # the strongest link into the story joined
    score: float | None = None  # the story's average similarity (average_link), or the link's similarity
    members: int = 0  # members of the joined story the article was compared with
    merged: tuple[int, ...] = ()  # stories merged into story_id (by copies)


def _strength(link: Link, rules: StoryRules) -> tuple[float, int]:
    return (link.similarity(rules), -link.seq)


def decide(links: list[Link], rules: StoryRules) -> Decision:
    """The story an article joins, given its links to the members of its candidate stories."""
    copies = [(link, via) for link in links if (via := link.copy_via(rules)) is not None]
    if copies:
        link, via = max(copies, key=lambda c: _strength(c[0], rules))
        stories = sorted({c.story_id for c, _ in copies})
        return Decision(stories[0], via, link, round(link.similarity(rules), 4), 1, tuple(stories[1:]))
    by_story: dict[int, list[Link]] = defaultdict(list)
    for link in links:
        if link.latest and link.same_language:
            by_story[link.story_id].append(link)
    best: Decision | None = None
    for story_id, members in by_story.items():
        score = sum(m.similarity(rules) for m in members) / len(members)
        if score >= rules.join and (best is None or score > (best.score or 0.0)):
            strongest = max(members, key=lambda m: _strength(m, rules))
            best = Decision(story_id, "average_link", strongest, round(score, 4), len(members))
    return best or Decision(None, "new")
