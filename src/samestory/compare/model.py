"""The learned pair model: the seven SemEval-2022 Task 8 scores from the pair features.

    from samestory.compare.model import ScoreModel
    scores = ScoreModel.load().predict([pair_features(a, b)])[0]   # {"overall": 1.4, ...}

For each dimension, the mean of a LightGBM regressor and a ridge regression on standardised features (the
average of the two beat either alone in grouped 5-fold CV: Overall 0.740 against 0.720 and 0.727), trained by
scripts/train_scores.py on the SemEval-2022 Task 8 training pairs (machine-translated copies did not help). The
shipped files (samestory/models/scores.json; scores-e5.json, with the second encoder's feature, used when
SAMESTORY_E5=1: samestory.compare.e5) hold each booster in LightGBM's text format, the ridge weights, the
feature names and how it was trained; they are read with importlib.resources, nothing is downloaded.
Scores run from 1 (very similar) to 4 (very dissimilar).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np

from samestory import config
from samestory.article import Article
from samestory.errors import ConfigError

log = logging.getLogger(__name__)

DIMENSIONS = ("geography", "entities", "time", "narrative", "style", "tone", "overall")
MODEL_FILE = "scores.json"
E5_MODEL_FILE = "scores-e5.json"  # the model with the feature emb_e5_lead (samestory.compare.e5)
LOW, HIGH = 1.0, 4.0


def _matrix(features: Sequence[Mapping[str, float]], names: Sequence[str]) -> np.ndarray:
    out = np.full((len(features), len(names)), np.nan, dtype=np.float64)
    for i, row in enumerate(features):
        for j, name in enumerate(names):
            value = row.get(name)
            if value is not None:
                out[i, j] = value
    return out


@dataclass(slots=True)
class Ridge:
    """A ridge regression on standardised features (NaN read as the training mean), signs as in `_direction`."""

    mean: list[float]
    scale: list[float]
    coef: list[float]
    intercept: float

    @classmethod
    def fit(cls, x: np.ndarray, y: np.ndarray, alpha: float, directions: Sequence[int]) -> Ridge:
        """Fit with the sign of each weight held to its direction (-1, +1; 0 is free), by non-negative least squares."""
        from scipy.optimize import nnls  # scipy comes with lightgbm

        known = np.maximum((~np.isnan(x)).sum(axis=0), 1)
        mean = np.nansum(x, axis=0) / known
        scale = np.sqrt(np.nansum((x - mean) ** 2, axis=0) / known)
        scale[scale == 0] = 1.0
        z = np.nan_to_num((x - mean) / scale)
        signs = [(j, d) for j, d in enumerate(directions) if d] + [
            (j, sign) for j, d in enumerate(directions) if not d for sign in (1, -1)
        ]
        design = np.vstack([z[:, [j for j, _ in signs]] * [d for _, d in signs], math.sqrt(alpha) * np.eye(len(signs))])
        target = np.concatenate([y - y.mean(), np.zeros(len(signs))])
        solution, _ = nnls(design, target, maxiter=50 * len(signs))
        coef = np.zeros(z.shape[1])
        for (j, d), c in zip(signs, solution):
            coef[j] += d * c
        return cls(mean.tolist(), scale.tolist(), coef.tolist(), float(y.mean()))

    def predict(self, x: np.ndarray) -> np.ndarray:
        z = np.nan_to_num((x - np.array(self.mean)) / np.array(self.scale))
        return z @ np.array(self.coef) + self.intercept


def _direction(name: str) -> int:
    """-1 for a similarity feature (more similar can only lower a score), +1 for the date gap, else 0.

    Without it the boosters learn an artefact of the SemEval pairs: their few near-verbatim pairs are pages of
    one site template around different articles, labelled dissimilar, so a real copy would score as unrelated.
    """
    if name == "date_gap_days":
        return 1
    if name.startswith(("emb_", "aln_", "lex_", "ent_", "date_")) and name not in ("aln_matrix_std", "ent_known"):
        return -1
    return 0


class ScoreModel:
    """Per dimension a LightGBM booster and a ridge, averaged; `predict` is deterministic, clipped to [1, 4]."""

    def __init__(
        self,
        boosters: Mapping[str, Any],
        ridges: Mapping[str, Ridge],
        feature_names: Sequence[str],
        meta: Mapping[str, Any],
    ) -> None:
        missing = [d for d in DIMENSIONS if d not in boosters or d not in ridges]
        if missing:
            raise ConfigError(f"score model lacks dimension(s) {missing}")
        self.boosters = dict(boosters)
        self.ridges = dict(ridges)
        self.feature_names = list(feature_names)
        self.meta = dict(meta)

    @classmethod
    def train(
        cls,
        features: Sequence[Mapping[str, float]],
        gold: Sequence[Mapping[str, float]],
        *,
        params: Mapping[str, Any] | None = None,
        rounds: int | None = None,
    ) -> ScoreModel:
        """Train on feature rows and their gold scores (deterministic: fixed seed, one thread)."""
        import lightgbm as lgb

        from samestory.compare.features import FEATURES_VERSION

        if len(features) != len(gold) or not features:
            raise ConfigError(f"training needs as many gold rows as feature rows, got {len(features)} and {len(gold)}")
        names = list(features[0])
        params = {**config.SCORE_LGBM, **(params or {}), "seed": config.SCORE_SEED}
        rounds = config.SCORE_ROUNDS if rounds is None else rounds
        x = _matrix(features, names)
        params["monotone_constraints"] = [_direction(n) for n in names]
        boosters, ridges = {}, {}
        for dim in DIMENSIONS:
            y = np.array([g[dim] for g in gold], dtype=np.float64)
            data = lgb.Dataset(x, y, feature_name=names, free_raw_data=False, params={"verbosity": -1})
            boosters[dim] = lgb.train(params, data, num_boost_round=rounds)
            ridges[dim] = Ridge.fit(x, y, config.SCORE_RIDGE_ALPHA, params["monotone_constraints"])
        meta = {
            "features_version": FEATURES_VERSION,
            "pairs": len(features),
            "params": params,
            "rounds": rounds,
            "ridge_alpha": config.SCORE_RIDGE_ALPHA,
        }
        return cls(boosters, ridges, names, meta)

    def predict(self, features: Sequence[Mapping[str, float]]) -> list[dict[str, float]]:
        """The seven scores of each feature row, rounded to 4 decimals and clipped to [1, 4]."""
        if not features:
            return []
        x = _matrix(features, self.feature_names)
        columns = {
            dim: (self.boosters[dim].predict(x, num_threads=1) + self.ridges[dim].predict(x)) / 2 for dim in DIMENSIONS
        }
        return [
            {dim: round(float(min(HIGH, max(LOW, columns[dim][i]))), 4) for dim in DIMENSIONS}
            for i in range(len(features))
        ]

    def to_json(self) -> str:
        """The model file: meta, feature names, each booster in LightGBM's text format and the ridge weights."""
        return json.dumps(
            {
                "meta": self.meta,
                "feature_names": self.feature_names,
                "boosters": {d: self.boosters[d].model_to_string(num_iteration=-1) for d in DIMENSIONS},
                "ridges": {d: dataclasses.asdict(self.ridges[d]) for d in DIMENSIONS},
            },
            indent=1,
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> ScoreModel:
        import lightgbm as lgb

        data = json.loads(text)
        boosters = {d: lgb.Booster(model_str=s) for d, s in data["boosters"].items()}
        ridges = {d: Ridge(**r) for d, r in data["ridges"].items()}
        return cls(boosters, ridges, data["feature_names"], data["meta"])

    @property
    def uses_e5(self) -> bool:
        """Whether the model reads the second encoder's feature (its features need `e5=True`)."""
        return "emb_e5_lead" in self.feature_names

    @classmethod
    def load(cls, *, e5: bool = False) -> ScoreModel:
        """The model shipped in the package (loaded once per process); with `e5`, the one that reads emb_e5_lead."""
        return _shipped(E5_MODEL_FILE if e5 else MODEL_FILE)


@lru_cache(maxsize=2)
def _shipped(name: str) -> ScoreModel:
    from samestory.compare.features import FEATURES_VERSION

    try:
        text = resources.files("samestory.models").joinpath(name).read_text(encoding="utf-8")
    except (FileNotFoundError, ModuleNotFoundError):
        raise ConfigError(f"the score model samestory/models/{name} is missing: run scripts/train_scores.py") from None
    model = ScoreModel.from_json(text)
    if model.meta.get("features_version") != FEATURES_VERSION:
        raise ConfigError(
            f"the score model was trained on features v{model.meta.get('features_version')}, the code computes "
            f"v{FEATURES_VERSION}: run scripts/train_scores.py"
        )
    return model


def score_pairs(
    pairs: Sequence[tuple[Article, Article]], *, e5: bool | None = None, model: ScoreModel | None = None
) -> list[dict[str, float]]:
    """The seven scores of each pair of processed articles, with `model` (default: the shipped one, what
    `compare` gives; `e5`, default SAMESTORY_E5=1, picks the one that also reads the second encoder)."""
    from samestory.compare import e5 as second
    from samestory.compare.features import pair_features_batch

    if model is None:
        model = ScoreModel.load(e5=second.enabled() if e5 is None else e5)
    return model.predict(pair_features_batch(pairs, e5=model.uses_e5))
