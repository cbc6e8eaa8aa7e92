"""`samestory eval stories LABELLED`: the story clustering against gold story labels, beside a TF-IDF
average-link baseline scored on the same articles in the same run."""

from __future__ import annotations

import itertools
import json
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from samestory import config
from samestory.article import Article, make_id
from samestory.errors import InputError
from samestory.evaluate.metrics import adjusted_rand, bcubed, components, pairwise_scores
from samestory.evaluate.pairs import default_process, json_lines, read_pairs
from samestory.store import open_store
from samestory.stories.decision import StoryRules


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
        for name in self.__slots__:
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
    for _number, where, row in json_lines(path):
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
        ingest(articles, target, process=process or default_process(), rules=rules)
        with open_store(target) as store:
            final = store.assignments()
    seconds = time.perf_counter() - started
    mode = "articles" if gold is not None else "pairs"
    if gold is None:
        gold = components([a.id for a in articles], [(a, b) for a, b, same in pairs if same])
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
