"""The cheap first look at a candidate pair: how likely two articles tell the same story, before compare().

    from samestory.stories.gate import Gate
    p = Gate.load().probability(earlier, later, cosine)   # 0 .. 1

compare() embeds every sentence of both texts (tens of milliseconds a pair); many candidates of a stream
are plainly another story. A logistic regression on four features the clusterer
already has (the title+lead cosine, the entities shared and their Jaccard, the Jaccard of the two texts'
word sets) drops those under STORY_GATE_REJECT; the others go to compare(). Trained by scripts/train_scores.py on the SemEval-2022
Task 8 pairs (label: Overall <= SAME_EVENT_OVERALL, compare()'s own join rule) and shipped as
samestory/models/gate.json.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING

import numpy as np

from samestory import config
from samestory.article import Article
from samestory.errors import ConfigError
from samestory.index.entities import entity_keys
from samestory.text import normalize, words

if TYPE_CHECKING:
    from samestory.evaluate import PairRecord

GATE_FILE = "gate.json"
FEATURES = ("cosine", "shared_entities", "entity_jaccard", "word_jaccard")


@lru_cache(maxsize=2048)  # as many as STORY_ARTICLE_CACHE: a word set of a long article is ~20 KB
def word_set(text: str) -> frozenset[str]:
    """The distinct normalised words of a text (cached: a stream compares recent articles again and again)."""
    return frozenset(words(normalize(text)))


def gate_features(a: Article, b: Article, cosine: float) -> list[float]:
    """FEATURES of a pair, `cosine` being their title+lead cosine."""
    ka, kb = set(entity_keys(a)), set(entity_keys(b))
    shared = len(ka & kb)
    wa, wb = word_set(a.text), word_set(b.text)
    union = len(wa | wb)
    return [
        round(float(cosine), 4),
        math.log1p(shared),
        round(shared / len(ka | kb), 4) if ka or kb else 0.0,
        round(len(wa & wb) / union, 4) if union else 0.0,
    ]


def pair_table(pairs: Sequence[tuple[Article, Article]]) -> np.ndarray:
    """The feature matrix of processed pairs (title+lead embedded here, each article once)."""
    from samestory.index.vectors import embed_leads

    unique = list({id(a): a for pair in pairs for a in pair}.values())
    vectors = dict(zip(map(id, unique), embed_leads(unique)))
    return np.array([gate_features(a, b, float(vectors[id(a)] @ vectors[id(b)])) for a, b in pairs])


def train_gate(records: Sequence[PairRecord]) -> Gate:
    """A gate trained on labelled pairs (same story: Overall <= SAME_EVENT_OVERALL, compare()'s join rule)."""
    from samestory.evaluate import process_pairs

    x = pair_table(process_pairs(records))
    same = [r.gold["overall"] <= config.SAME_EVENT_OVERALL for r in records]
    return Gate.train(x, same, trained_on=f"{len(records)} SemEval-2022 Task 8 pairs")


@dataclass(slots=True)
class Gate:
    """A logistic regression over FEATURES, standardised."""

    mean: list[float]
    scale: list[float]
    coef: list[float]
    intercept: float
    trained_on: str = ""

    def probability(self, a: Article, b: Article, cosine: float) -> float:
        """P(same story) of a pair, from its features."""
        return float(self.probabilities(np.array([gate_features(a, b, cosine)]))[0])

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        z = ((x - np.array(self.mean)) / np.array(self.scale)) @ np.array(self.coef) + self.intercept
        return 1.0 / (1.0 + np.exp(-z))

    @classmethod
    def train(cls, x: np.ndarray, same: Sequence[bool], trained_on: str = "") -> Gate:
        """Fit on a feature matrix and same-story labels (deterministic: lbfgs, fixed data order)."""
        from sklearn.linear_model import LogisticRegression

        mean, scale = x.mean(axis=0), x.std(axis=0)
        scale[scale == 0] = 1.0
        fit = LogisticRegression(C=1.0, max_iter=1000).fit((x - mean) / scale, np.asarray(same, dtype=bool))
        return cls(
            mean=[round(float(v), 6) for v in mean],
            scale=[round(float(v), 6) for v in scale],
            coef=[round(float(v), 6) for v in fit.coef_[0]],
            intercept=round(float(fit.intercept_[0]), 6),
            trained_on=trained_on,
        )

    def to_json(self) -> str:
        return json.dumps({"features": list(FEATURES), **asdict(self)}, indent=1)

    @classmethod
    @lru_cache(maxsize=1)
    def load(cls) -> Gate:
        """The shipped gate (samestory/models/gate.json)."""
        data = json.loads(resources.files("samestory.models").joinpath(GATE_FILE).read_text(encoding="utf-8"))
        if data.pop("features") != list(FEATURES):
            raise ConfigError(f"{GATE_FILE} was trained on other features than {FEATURES}")
        return cls(**data)
