"""Figures: Pearson correlations with a bootstrap 95% interval; pairwise, B-cubed and adjusted Rand scores
of a clustering against gold labels."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from samestory import config


def pearson(x: Sequence[float], y: Sequence[float]) -> float:
    """The Pearson correlation; NaN when either side is constant or there are fewer than 3 values."""
    xa, ya = np.asarray(x, np.float64), np.asarray(y, np.float64)
    if len(xa) < 3 or xa.std() == 0 or ya.std() == 0:
        return math.nan
    return float(np.corrcoef(xa, ya)[0, 1])


def bootstrap_interval(
    x: Sequence[float], y: Sequence[float], *, samples: int = 1000, seed: int = config.SCORE_SEED
) -> tuple[float, float]:
    """The 95% percentile bootstrap interval of the Pearson correlation (pairs resampled with replacement)."""
    xa, ya = np.asarray(x, np.float64), np.asarray(y, np.float64)
    if len(xa) < 3:
        return math.nan, math.nan
    idx = np.random.default_rng(seed).integers(0, len(xa), size=(samples, len(xa)))
    xs, ys = xa[idx], ya[idx]
    xs = xs - xs.mean(axis=1, keepdims=True)
    ys = ys - ys.mean(axis=1, keepdims=True)
    denom = np.sqrt((xs**2).sum(axis=1) * (ys**2).sum(axis=1))
    r = np.divide((xs * ys).sum(axis=1), denom, out=np.full(samples, np.nan), where=denom > 0)
    r = r[~np.isnan(r)]
    if not len(r):
        return math.nan, math.nan
    low, high = np.percentile(r, [2.5, 97.5])
    return float(low), float(high)


@dataclass(slots=True)
class Figure:
    """A Pearson correlation with its bootstrap 95% interval, on `n` pairs."""

    r: float
    low: float
    high: float
    n: int

    def __str__(self) -> str:
        if math.isnan(self.r):
            return "   n/a"
        return f"{self.r:.3f} [{self.low:.3f}, {self.high:.3f}]"


def figure(predicted: Sequence[float], gold: Sequence[float]) -> Figure:
    low, high = bootstrap_interval(predicted, gold)
    return Figure(pearson(predicted, gold), low, high, len(gold))


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def pairwise_scores(predicted: dict[str, Any], pairs: Sequence[tuple[str, str, bool]]) -> tuple[float, float, float]:
    """Precision, recall and F1 of "same story" over labelled pairs (a, b, gold same story)."""
    tp = sum(1 for a, b, same in pairs if same and predicted[a] == predicted[b])
    fp = sum(1 for a, b, same in pairs if not same and predicted[a] == predicted[b])
    fn = sum(1 for a, b, same in pairs if same and predicted[a] != predicted[b])
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    return p, r, _f1(p, r)


def adjusted_rand(gold: Sequence[object], predicted: Sequence[object]) -> float:
    """The adjusted Rand index of two labellings (Hubert and Arabie 1985; scikit-learn's
    adjusted_rand_score, in numpy so that `eval stories` needs no extra)."""
    _, g = np.unique(np.asarray([str(x) for x in gold]), return_inverse=True)
    _, p = np.unique(np.asarray([str(x) for x in predicted]), return_inverse=True)
    table = np.zeros((g.max(initial=-1) + 1, p.max(initial=-1) + 1), dtype=np.int64)
    np.add.at(table, (g, p), 1)

    def pairs(counts: np.ndarray) -> float:
        return float((counts * (counts - 1) // 2).sum())

    n = len(g)
    index, rows, cols = pairs(table), pairs(table.sum(axis=1)), pairs(table.sum(axis=0))
    expected = rows * cols / (n * (n - 1) / 2) if n > 1 else 0.0
    maximum = (rows + cols) / 2
    return 1.0 if maximum == expected else (index - expected) / (maximum - expected)


def bcubed(predicted: dict[str, Any], gold: dict[str, Any]) -> tuple[float, float, float]:
    """B-cubed precision, recall and F1 (Bagga and Baldwin 1998) of two partitions of the same items."""
    by_pred: dict[Any, set[str]] = defaultdict(set)
    by_gold: dict[Any, set[str]] = defaultdict(set)
    for item in gold:
        by_pred[predicted[item]].add(item)
        by_gold[gold[item]].add(item)
    p = r = 0.0
    for item in gold:
        pc, gc = by_pred[predicted[item]], by_gold[gold[item]]
        both = len(pc & gc)
        p += both / len(pc)
        r += both / len(gc)
    n = len(gold) or 1
    return p / n, r / n, _f1(p / n, r / n)


def components(items: Sequence[str], links: Sequence[tuple[str, str]]) -> dict[str, str]:
    parent = {i: i for i in items}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in links:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return {i: find(i) for i in items}
