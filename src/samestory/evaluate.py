"""Evaluation on labelled data: `samestory eval semeval PAIRS.jsonl`.

Pairs files have one JSON object a line with `text1`, `text2` and optionally `pair_id`, `lang1`, `lang2`,
`title1`, `title2`; labelled files add the SemEval-2022 Task 8 scores (`Geography` .. `Overall`, 1 = very
similar .. 4 = very dissimilar). The figures are Pearson correlations with a bootstrap 95% interval, for each
dimension, each language pair and overall, for the pair model and two plain baselines (TF-IDF cosine of the
words; cosine of the mean sentence vectors). With `cv` folds, models are trained afresh on each training
fold and the figures are out-of-fold: folds are grouped so that no article is in both training and test.
Pairs given for training only (`--train-also`, e.g. machine-translated copies naming their `base_pair_id`)
join the training folds, never a fold that holds their base pair or one of its articles, and are never scored.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import math
import os
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from samestory import config
from samestory.article import Article, make_id
from samestory.compare.model import DIMENSIONS
from samestory.errors import InputError
from samestory.store import open_store
from samestory.stories.decision import StoryRules

log = logging.getLogger(__name__)

LABELS = {d: d.capitalize() for d in DIMENSIONS}  # our key -> the key in the SemEval files


@dataclass(slots=True)
class PairRecord:
    """One line of a pairs file: the two articles (not yet processed), the gold scores when labelled, and the
    pair it was made from (`base_pair_id`, "A_B": a translated copy of the pair of articles A and B)."""

    pair_id: str
    a: Article
    b: Article
    gold: dict[str, float] = field(default_factory=dict)
    base_pair_id: str = ""

    @property
    def languages(self) -> str:
        la, lb = self.a.language or "?", self.b.language or "?"
        return la if la == lb else f"{la}-{lb}"


def _json_lines(path: str | Path) -> Iterator[tuple[int, str, Any]]:
    """(line number, "path:line", parsed value) for each non-blank line; bad JSON raises InputError."""
    with open(path, encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            where = f"{path}:{number}"
            try:
                yield number, where, json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(where, f"not JSON: {exc.msg}") from None


def read_pairs(path: str | Path) -> list[PairRecord]:
    """Read a pairs file (JSON lines); a bad line raises InputError naming the file and line."""
    out = []
    for number, where, row in _json_lines(path):
        if not isinstance(row, dict) or not isinstance(row.get("text1"), str) or not isinstance(row.get("text2"), str):
            raise InputError(where, "a pair needs string fields text1 and text2")
        pair_id = str(row.get("pair_id") or number)
        ids = pair_id.split("_") if pair_id.count("_") == 1 else []
        articles = []
        for side in ("1", "2"):
            text = row[f"text{side}"]
            article_id = ids[int(side) - 1] if ids else make_id(text)
            articles.append(
                Article(
                    id=article_id,
                    text=text,
                    title=str(row.get(f"title{side}") or ""),
                    language=row.get(f"lang{side}") or None,
                    origin=where,
                )
            )
        gold = {}
        for key, label in LABELS.items():
            value = row.get(label, row.get(key))
            if value is not None:
                try:
                    gold[key] = float(value)
                except (TypeError, ValueError):
                    raise InputError(where, f"{label} is not a number: {value!r}") from None
        out.append(PairRecord(pair_id, articles[0], articles[1], gold, str(row.get("base_pair_id") or "")))
    return out


def read_copies(path: str | Path, records: Sequence[PairRecord]) -> list[PairRecord]:
    """The pairs of `path` for training only (translated copies), keeping only those whose `base_pair_id` is
    one of `records`: a copy of a pair left out of the training file (perhaps a pair kept aside to judge the
    model) would leak its labels. Says in the log how many were dropped."""
    ids = {r.pair_id for r in records}
    copies = read_pairs(path)
    kept = [c for c in copies if c.base_pair_id in ids]
    if len(kept) < len(copies):
        log.info("%s: %d of %d pairs not used: their base_pair_id is not a pair of the training file",
                 path, len(copies) - len(kept), len(copies))
    return kept


def _processor() -> Callable[[Article], Article]:
    """samestory.pipeline.process, or the identity while the clean/understand stages are not installed."""
    try:
        from samestory.pipeline import process
    except ImportError as exc:
        log.warning("articles are not processed (%s): entity and date features are empty", exc)
        return lambda article: article
    return process


def process_pairs(records: Sequence[PairRecord]) -> list[tuple[Article, Article]]:
    """Clean and understand both articles of each pair (each article once, even when in many pairs)."""
    process = _processor()
    done: dict[int, Article] = {}
    out = []
    for record in records:
        pair = []
        for article in (record.a, record.b):
            if id(article) not in done:
                done[id(article)] = process(article)
            pair.append(done[id(article)])
        out.append((pair[0], pair[1]))
    return out


def _score_chunk(chunk: Sequence[PairRecord]) -> list[dict[str, float]]:
    from samestory.compare.model import score_pairs

    return score_pairs(process_pairs(chunk))


def _one_thread() -> None:
    from samestory.embed import use_threads

    use_threads(1)


def score_records(records: Sequence[PairRecord], *, batch: int = 64, workers: int = 0) -> Iterator[dict[str, float]]:
    """The seven scores of each pair, in order: chunks of `batch` pairs processed and scored, in `workers`
    forked processes (0: this one)."""
    chunks = [records[i : i + batch] for i in range(0, len(records), batch)]
    if workers <= 0 or len(chunks) < 2:
        for chunk in chunks:
            yield from _score_chunk(chunk)
        return
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    with ProcessPoolExecutor(workers, mp_context=get_context("fork"), initializer=_one_thread) as pool:
        for scores in pool.map(_score_chunk, chunks):
            yield from scores


def _code_fingerprint() -> str:
    """A hash of the code the features depend on, so a cache never outlives a change to it."""
    import samestory

    root = Path(samestory.__file__).parent
    digest = hashlib.sha1()
    for pattern in ("compare/features.py", "compare/passages.py", "compare/e5.py", "text.py", "embed.py", "clean*.py",
                    "clean/*.py", "understand/*.py", "understand.py", "pipeline.py"):
        for source in sorted(root.glob(pattern)):
            digest.update(source.read_bytes())
    return digest.hexdigest()[:12]


def cache_dir() -> Path:
    """Where feature tables are cached: $SAMESTORY_CACHE, else ~/.cache/samestory."""
    return Path(os.environ.get("SAMESTORY_CACHE") or Path.home() / ".cache" / "samestory")


def features_table(
    records: Sequence[PairRecord], *, cache: bool = True, batch: int = 64, e5: bool = False
) -> list[dict[str, float]]:
    """The features of every pair (with `e5`, the second encoder's too), cached on disk keyed by the texts,
    the features version and the code."""
    from samestory.compare.features import FEATURES_VERSION, pair_features_batch

    digest = hashlib.sha1(f"v{FEATURES_VERSION}:{_code_fingerprint()}:e5={e5}".encode())
    for r in records:
        for a in (r.a, r.b):
            digest.update(f"\x1e{a.id}\x1f{a.language}\x1f{a.title}\x1f{a.text}".encode())
    path = cache_dir() / f"features-v{FEATURES_VERSION}-{digest.hexdigest()[:16]}.json"
    if cache and path.exists():
        log.info("features from the cache %s", path)
        return [{k: (math.nan if v is None else v) for k, v in row.items()} for row in json.loads(path.read_text())]
    pairs = process_pairs(records)
    rows: list[dict[str, float]] = []
    for start in range(0, len(pairs), batch):
        rows.extend(pair_features_batch(pairs[start : start + batch], e5=e5))
        log.debug("features: %d/%d pairs", len(rows), len(pairs))
    if cache:
        path.parent.mkdir(parents=True, exist_ok=True)
        clean = [{k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()} for row in rows]
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(clean))
        tmp.replace(path)
    return rows


# --- grouped folds -------------------------------------------------------------------------------------------


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


# --- figures -------------------------------------------------------------------------------------------------


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


# --- baselines and the model ---------------------------------------------------------------------------------


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
        systems[name] = {d: systems[name]["overall"] for d in DIMENSIONS}
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


# --- stories: `samestory eval stories LABELLED` ---------------------------------------------------------


@dataclass(slots=True)
class StoriesReport:
    """Clustering scored against gold labels.

    Pairwise figures count pairs of articles put in one story: over every pair of labelled articles (gold
    story ids), or over the labelled pairs only (pairs files: Overall <= STORY_EVAL_SAME same story, >=
    STORY_EVAL_DIFFERENT different, the pairs between left out). B-cubed and the adjusted Rand index compare
    the partitions; for pairs files the gold partition is the connected components of the same-story pairs.
    """

    mode: str  # "articles" or "pairs"
    articles: int
    pairs: int  # labelled pairs (positive + negative) scored
    precision: float
    recall: float
    f1: float
    bcubed_precision: float
    bcubed_recall: float
    bcubed_f1: float
    ari: float
    stories: int  # predicted stories
    gold_stories: int
    seconds: float = 0.0
    method: str = "samestory"
    baseline: StoriesReport | None = None  # the TF-IDF baseline on the same articles (tfidf_stories)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in self.__slots__:  # type: ignore[attr-defined]
            value = getattr(self, name)
            if isinstance(value, StoriesReport):
                value = value.to_dict()
            out[name] = round(value, 4) if isinstance(value, float) else value
        return out


def tfidf_stories(articles: Sequence[Article], *, threshold: float, window_days: float) -> dict[str, int]:
    """The baseline partition: TF-IDF (words, 1-2 grams, sublinear tf, smooth idf, fitted on the articles'
    title and text) cosine, 0 for two dated articles more than `window_days` apart, average-link
    agglomerative clustering cut at `threshold` (scipy). Article id -> cluster."""
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.sparse import csr_matrix
    from scipy.spatial.distance import squareform

    from samestory.article import timestamp
    from samestory.text import normalize, words

    if len(articles) < 2:
        return {a.id: 0 for a in articles}
    vocabulary: dict[str, int] = {}
    rows, cols, counts = [], [], []
    for i, article in enumerate(articles):
        tokens = words(normalize(f"{article.title}\n{article.text}"))
        grams: dict[int, int] = defaultdict(int)
        for gram in [*tokens, *(f"{a} {b}" for a, b in itertools.pairwise(tokens))]:
            grams[vocabulary.setdefault(gram, len(vocabulary))] += 1
        rows += [i] * len(grams)
        cols += list(grams)
        counts += list(grams.values())
    x = csr_matrix((1.0 + np.log(counts), (rows, cols)), shape=(len(articles), len(vocabulary)))
    df = np.bincount(x.indices, minlength=len(vocabulary))
    x = x.multiply(np.log((1 + len(articles)) / (1 + df)) + 1.0).tocsr()
    norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1))).ravel()
    x = csr_matrix(x.multiply(1.0 / np.maximum(norms, 1e-12)[:, None]))
    similarity = np.asarray((x @ x.T).todense())
    times = np.array([timestamp(a.published) or np.nan for a in articles])
    far = np.abs(times[:, None] - times[None, :]) > 86400.0 * window_days  # NaN (undated) compares False
    similarity[far] = 0.0
    distance = np.clip(1.0 - similarity, 0.0, None)
    np.fill_diagonal(distance, 0.0)
    labels = fcluster(linkage(squareform(distance, checks=False), "average"), 1.0 - threshold, "distance")
    return {a.id: int(label) for a, label in zip(articles, labels)}


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


def _components(items: Sequence[str], links: Sequence[tuple[str, str]]) -> dict[str, str]:
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


def read_story_labels(
    path: str | Path, *, languages: set[str] | None = None
) -> tuple[list[Article], dict[str, str] | None, list[tuple[str, str, bool]]]:
    """Read a labelled file: (articles, gold story by article id or None, labelled pairs).

    `languages` keeps only the pairs of those languages (e.g. {"en"}; "de-en" for a cross-lingual pair).
    Two kinds of JSON lines: articles with a gold story id (`story`, and either `path` to a readable file,
    resolved against the working directory then the labelled file's folders, or the Article fields `text`,
    `title`, `url`, `source`, `published`, `language`), or pairs (`text1`, `text2`, `Overall`, as in
    `read_pairs`).
    """
    from samestory.read import Reader

    path = Path(path)
    with open(path, encoding="utf-8") as fh:
        first = next((line for line in fh if line.strip()), "")
    if not first:
        raise InputError(str(path), "no labelled records")
    try:
        is_pairs = "text1" in json.loads(first)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}:1", f"not JSON: {exc.msg}") from None
    if is_pairs:
        articles: dict[str, Article] = {}
        pairs: list[tuple[str, str, bool]] = []
        for record in read_pairs(path):
            if languages and record.languages not in languages:
                continue
            for article in (record.a, record.b):
                article.source = article.source or article.id  # distinct outlets: nothing skipped as stored
                articles.setdefault(article.id, article)
            overall = record.gold.get("overall")
            if overall is None:
                raise InputError(str(record.a.origin), "a labelled pair needs an Overall score")
            if overall <= config.STORY_EVAL_SAME or overall >= config.STORY_EVAL_DIFFERENT:
                pairs.append((record.a.id, record.b.id, overall <= config.STORY_EVAL_SAME))
        used = {i for a, b, _ in pairs for i in (a, b)}
        ordered = sorted((a for a in articles.values() if a.id in used), key=lambda a: (len(a.id), a.id))
        return ordered, None, pairs
    reader = Reader(strict=True)
    out: list[Article] = []
    gold: dict[str, str] = {}
    for _number, where, row in _json_lines(path):
        if not isinstance(row, dict) or "story" not in row:
            raise InputError(where, "a labelled article needs a `story` field")
        if "path" in row:
            candidates = [Path(row["path"])] + [parent / row["path"] for parent in path.resolve().parents]
            found = next((c for c in candidates if c.exists()), None)
            if found is None:
                raise InputError(where, f"{row['path']} not found")
            article = next(iter(reader.read([str(found)])))
        elif isinstance(row.get("text"), str):
            fields = {k: row[k] for k in ("id", "text", "title", "url", "source", "published", "language") if k in row}
            fields.setdefault("id", make_id(row.get("url") or where, row["text"]))
            article = Article.from_dict(fields)
        else:
            raise InputError(where, "a labelled article needs `path` or `text`")
        out.append(article)
        gold[article.id] = str(row["story"])
    items = list(gold)
    pairs = [(a, b, gold[a] == gold[b]) for i, a in enumerate(items) for b in items[i + 1 :]]
    return out, gold, pairs


def evaluate_stories(
    path: str | Path,
    *,
    db: str | Path | None = None,
    languages: set[str] | None = None,
    rules: StoryRules | None = None,
    process: Callable[[Article], Article] | None = None,
) -> StoriesReport:
    """Cluster the labelled articles (into `db`, or a temporary store) with `rules`, score against the gold
    labels, and score the TF-IDF baseline (`tfidf_stories`) on the same articles (`report.baseline`)."""
    import tempfile
    import time

    from samestory.stories import ingest

    articles, gold, pairs = read_story_labels(path, languages=languages)
    rules = rules or StoryRules()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="samestory-eval-") as tmp:
        target = Path(db) if db else Path(tmp) / "eval.db"
        ingest(articles, target, process=process or _processor(), rules=rules)
        with open_store(target) as store:
            final = store.assignments()
    seconds = time.perf_counter() - started
    mode = "articles" if gold is not None else "pairs"
    if gold is None:
        gold = _components([a.id for a in articles], [(a, b) for a, b, same in pairs if same])
    predicted = {a.id: final.get(a.id, -1) for a in articles}
    report = _score_stories(predicted, gold, pairs, mode, seconds, "samestory")
    started = time.perf_counter()
    baseline = tfidf_stories(articles, threshold=config.STORY_EVAL_TFIDF_THRESHOLD, window_days=rules.window_days)
    report.baseline = _score_stories(baseline, gold, pairs, mode, time.perf_counter() - started, "tfidf")
    return report


def _score_stories(
    predicted: dict[str, Any],
    gold: dict[str, str],
    pairs: Sequence[tuple[str, str, bool]],
    mode: str,
    seconds: float,
    method: str,
) -> StoriesReport:
    p, r, f = pairwise_scores(predicted, pairs)
    bp, br, bf = bcubed(predicted, gold)
    items = list(gold)
    return StoriesReport(
        mode=mode,
        articles=len(items),
        pairs=len(pairs),
        precision=p,
        recall=r,
        f1=f,
        bcubed_precision=bp,
        bcubed_recall=br,
        bcubed_f1=bf,
        ari=adjusted_rand([gold[i] for i in items], [predicted[i] for i in items]),
        stories=len(set(predicted.values())),
        gold_stories=len(set(gold.values())),
        seconds=seconds,
        method=method,
    )


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
