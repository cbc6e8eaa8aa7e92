"""`samestory eval semeval PAIRS.jsonl`: the pair model against the SemEval-2022 Task 8 labels.

The figures are Pearson correlations with a bootstrap 95% interval, for each dimension, each language pair and
overall, for the pair model and two plain baselines (TF-IDF cosine of the words; cosine of the mean sentence
vectors). With `cv` folds, models are trained afresh on each training fold and the figures are out-of-fold:
folds are grouped so that no article is in both training and test. Pairs given for training only
(`--train-also`, e.g. machine-translated copies naming their `base_pair_id`) join the training folds, never a
fold that holds their base pair or one of its articles, and are never scored.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from samestory import config
from samestory.compare.model import DIMENSIONS
from samestory.errors import InputError
from samestory.evaluate.metrics import Figure, figure
from samestory.evaluate.pairs import PairRecord, features_table

log = logging.getLogger(__name__)


def groups(records: Sequence[PairRecord]) -> list[int]:
    """The connected component of each pair, joining pairs that share an article, and a translated copy with
    the articles of its base pair (union-find on ids)."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for r in records:
        for other in (r.b.id, *r.base_pair_id.split("_")[:2]) if r.base_pair_id else (r.b.id,):
            ra, rb = find(r.a.id), find(other)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
    roots: dict[str, int] = {}
    return [roots.setdefault(find(r.a.id), len(roots)) for r in records]


def grouped_folds(records: Sequence[PairRecord], k: int, seed: int = config.SCORE_SEED) -> list[int]:
    """A fold number for each pair: whole groups, shuffled with `seed`, largest first into the smallest fold."""
    group_of = groups(records)
    sizes: dict[int, int] = defaultdict(int)
    for g in group_of:
        sizes[g] += 1
    order = np.random.default_rng(seed).permutation(len(sizes))
    ranked = sorted(range(len(sizes)), key=lambda g: (-sizes[g], int(order[g])))
    fold_of_group, load = {}, [0] * k
    for g in ranked:
        target = min(range(k), key=lambda f: (load[f], f))
        fold_of_group[g] = target
        load[target] += sizes[g]
    return [fold_of_group[g] for g in group_of]


def excluded_folds(records: Sequence[PairRecord], folds: Sequence[int], extra: Sequence[PairRecord]) -> list[set[int]]:
    """For each training-only pair, the folds whose models must not see it: those holding a pair of its group."""
    group_of = groups([*records, *extra])
    folds_of_group: dict[int, set[int]] = defaultdict(set)
    for g, fold in zip(group_of, folds):
        folds_of_group[g].add(fold)
    return [folds_of_group[g] for g in group_of[len(records) :]]


def tfidf_baseline(records: Sequence[PairRecord]) -> list[float]:
    """Plain baseline: 4 - 3 x TF-IDF cosine of the word counts (IDF from the file's own texts)."""
    try:
        from sklearn.feature_extraction.text import TfidfVectorizer
    except ImportError:
        from samestory.errors import missing_extra

        raise missing_extra("scikit-learn", "train") from None
    texts = [t for r in records for t in (f"{r.a.title}\n{r.a.text}", f"{r.b.title}\n{r.b.text}")]
    matrix = TfidfVectorizer(sublinear_tf=True).fit_transform(texts)
    cos = np.asarray(matrix[0::2].multiply(matrix[1::2]).sum(axis=1)).ravel()
    return [round(4 - 3 * float(c), 4) for c in cos]


def embedding_baseline(features: Sequence[dict[str, float]]) -> list[float]:
    """Plain baseline: 4 - 3 x cosine of the two mean sentence vectors (feature emb_text)."""
    return [round(4 - 3 * f["emb_text"], 4) for f in features]


def model_predictions(
    records: Sequence[PairRecord],
    features: Sequence[dict[str, float]],
    *,
    cv: int = 0,
    extra: Sequence[PairRecord] = (),
    extra_features: Sequence[dict[str, float]] = (),
    e5: bool = False,
) -> list[dict[str, float]]:
    """The shipped model's scores (with `e5`, the one reading the second encoder), or with `cv` > 1
    out-of-fold scores of models trained on the other folds and the `extra` training-only pairs."""
    from samestory.compare.model import ScoreModel

    if cv <= 1:
        return ScoreModel.load(e5=e5).predict(list(features))
    folds = grouped_folds(records, cv)
    barred = excluded_folds(records, folds, extra)
    out: list[dict[str, float]] = [{} for _ in records]
    for k in range(cv):
        train = [i for i, f in enumerate(folds) if f != k]
        test = [i for i, f in enumerate(folds) if f == k]
        also = [i for i, b in enumerate(barred) if k not in b]
        model = ScoreModel.train(
            [features[i] for i in train] + [extra_features[i] for i in also],
            [records[i].gold for i in train] + [extra[i].gold for i in also],
        )
        for i, scores in zip(test, model.predict([features[i] for i in test])):
            out[i] = scores
        log.info("fold %d/%d: trained on %d + %d pairs, scored %d", k + 1, cv, len(train), len(also), len(test))
    return out


@dataclass(slots=True)
class Report:
    """The figures of one evaluation run: system -> dimension -> language pair ("all" too) -> Figure."""

    figures: dict[str, dict[str, dict[str, Figure]]]
    pairs: int
    cv: int
    extra: int = 0  # training-only pairs
    e5: bool = False  # the model read the second encoder's feature

    def to_dict(self) -> dict[str, Any]:
        return {
            "pairs": self.pairs,
            "cv": self.cv,
            "extra": self.extra,
            "e5": self.e5,
            "figures": {
                system: {
                    dim: {lang: {"r": f.r, "low": f.low, "high": f.high, "n": f.n} for lang, f in langs.items()}
                    for dim, langs in dims.items()
                }
                for system, dims in self.figures.items()
            },
        }


def evaluate_semeval(
    records: Sequence[PairRecord], *, cv: int = 0, extra: Sequence[PairRecord] = (), e5: bool = False
) -> Report:
    """Score labelled pairs with the model (shipped, or out-of-fold with `cv`, also trained on the `extra`
    pairs) and the two baselines; `e5` adds the second encoder's feature."""
    for group in (records, extra):
        missing = [r.pair_id for r in group if set(r.gold) != set(DIMENSIONS)]
        if missing:
            where = str(group[0].a.origin or "pairs")
            raise InputError(where, f"{len(missing)} pair(s) lack gold scores, e.g. {missing[0]}")
    if extra and cv <= 1:
        raise InputError(str(extra[0].a.origin or "pairs"), "training-only pairs need cross-validation (--cv K)")
    features = features_table(records, e5=e5)
    extra_features = features_table(extra, e5=e5) if extra else []
    predictions = model_predictions(records, features, cv=cv, extra=extra, extra_features=extra_features, e5=e5)
    systems: dict[str, dict[str, list[float]]] = {
        "model": {d: [p[d] for p in predictions] for d in DIMENSIONS},
        "tfidf": {d: tfidf_baseline(records) for d in ("overall",)},
        "embedding": {d: embedding_baseline(features) for d in ("overall",)},
    }
    # The baselines predict one similarity; it is scored against every dimension.
    for name in ("tfidf", "embedding"):
        systems[name] = dict.fromkeys(DIMENSIONS, systems[name]["overall"])
    languages = sorted({r.languages for r in records}, key=lambda lang: (-sum(r.languages == lang for r in records), lang))
    figures: dict[str, dict[str, dict[str, Figure]]] = {}
    for system, by_dim in systems.items():
        figures[system] = {}
        for dim in DIMENSIONS:
            gold = [r.gold[dim] for r in records]
            row = {"all": figure(by_dim[dim], gold)}
            for lang in languages:
                idx = [i for i, r in enumerate(records) if r.languages == lang]
                row[lang] = figure([by_dim[dim][i] for i in idx], [gold[i] for i in idx])
            figures[system][dim] = row
    return Report(figures, len(records), cv, len(extra), e5)


def format_report(report: Report) -> str:
    """The figures as plain text: for each dimension, a row per language pair, a column per system."""
    systems = list(report.figures)
    how = (
        f"out-of-fold, grouped {report.cv}-fold cross-validation (fresh models per fold"
        + (f", also trained on {report.extra} training-only pairs)" if report.extra else ")")
        if report.cv > 1
        else "the shipped model, which was trained on the SemEval training pairs: on them these figures are "
        "optimistic; use --cv 5 for honest ones"
    )
    encoders = "USE + e5" if report.e5 else "USE"
    lines = [f"{report.pairs} pairs; Pearson r [bootstrap 95% interval]; model ({encoders}): {how}", ""]
    for dim in DIMENSIONS:
        lines.append(f"{dim:<10} {'pairs':>5}  " + "  ".join(f"{s:<22}" for s in systems))
        for lang, fig in report.figures[systems[0]][dim].items():
            cells = "  ".join(f"{report.figures[s][dim][lang]!s:<22}" for s in systems)
            lines.append(f"  {lang:<8} {fig.n:>5}  {cells}")
        lines.append("")
    return "\n".join(lines)
