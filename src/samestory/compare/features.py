"""Features of a pair of processed articles, for the learned pair model (samestory.compare.model).

Groups (each feature name starts with its group):

    emb_   cosines of multilingual sentence vectors: title, lead, head, tail, whole text (mean of sentences);
           with `e5`, emb_e5_lead: the cosine of the second encoder's title+lead vectors (samestory.compare.e5)
    aln_   best-aligned sentences: row-wise max cosines in both directions, shares above thresholds, coverage
    lex_   word, word-shingle and character n-gram overlap (Jaccard, containment, TF cosine)
    ent_   people, organisations, places (canonical ids from `understand`), capitalised words, numbers
    date_  gap between publication dates, overlap of mentioned dates
    lang_  same-language flag and the languages present
    len_   lengths in characters and sentences

Every feature is symmetric in the two articles (directional statistics come as min and max), so the scores of
(a, b) and (b, a) are the same. Missing values (an unknown publication date) are NaN.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter, OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from samestory import config
from samestory.article import Article
from samestory.compare.e5 import lead_vectors
from samestory.compare.passages import split
from samestory.embed import embed, mean_vector
from samestory.text import jaccard, normalize, sentences, shingles

# Bump when the features change: cached feature tables and the shipped model are keyed by it.
FEATURES_VERSION = 1

# Languages of the SemEval-2022 Task 8 data; other languages only set the shared flags.
LANGUAGES = ("en", "de", "es", "tr", "pl", "ar", "fr")
_THRESHOLDS = (0.5, 0.6, 0.7, 0.8)
_HEAD = 3  # sentences in the head and in the tail
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_CAPITALISED = re.compile(r"\b[^\W\d_][\w'’-]*", re.UNICODE)


@dataclass(slots=True)
class _View:
    """What the features need from one article, computed once per article in a batch."""

    sentences: list[str]
    vectors: np.ndarray  # (n, 512) sentence vectors (the whole text as one sentence when it has none)
    title: np.ndarray
    words: set[str]
    word_counts: Counter[str]
    shingles2: set[str]
    shingles3: set[str]
    chars: Counter[str]  # character 4-grams of the normalised text
    names: set[str]  # capitalised words not at the start of a sentence (a cheap, language-free NER)
    numbers: set[str]
    people: set[str]
    places: set[str]
    dates: set[str]
    language: str
    chars_len: int


def _containment(a: set[str], b: set[str]) -> float:
    return len(a & b) / min(len(a), len(b)) if a and b else 0.0


def _cosine_counts(a: Counter[str], b: Counter[str]) -> float:
    if not a or not b:
        return 0.0
    if len(a) > len(b):
        a, b = b, a
    dot = sum(math.log1p(v) * math.log1p(b[k]) for k, v in a.items() if k in b)
    na = math.sqrt(sum(math.log1p(v) ** 2 for v in a.values()))
    nb = math.sqrt(sum(math.log1p(v) ** 2 for v in b.values()))
    return dot / (na * nb)


def _names(text: str) -> set[str]:
    out: set[str] = set()
    for sentence in sentences(text):
        for i, match in enumerate(_CAPITALISED.finditer(sentence)):
            token = match.group()
            if i > 0 and token[0].isupper() and len(token) > 1:
                out.add(unicodedata.normalize("NFKC", token).casefold())
    return out


def _numbers(text: str) -> set[str]:
    return {re.sub(r"[.,]", "", m) for m in _NUMBER.findall(text)}


def _view(article: Article, sents: list[str], vectors: np.ndarray, title: np.ndarray) -> _View:
    text = f"{article.title}\n{article.text}" if article.title else article.text
    norm = normalize(text)
    tokens = norm.split()
    squeezed = norm.replace(" ", "_")
    return _View(
        sentences=sents,
        vectors=vectors,
        title=title,
        words=set(tokens),
        word_counts=Counter(tokens),
        shingles2=shingles(tokens, 2),
        shingles3=shingles(tokens, 3),
        chars=Counter(squeezed[i : i + 4] for i in range(len(squeezed) - 3)),
        names=_names(text),
        numbers=_numbers(text),
        people={e.canonical for e in article.entities if e.label != "LOC"},
        places={e.canonical for e in article.entities if e.label == "LOC"},
        dates={m.value.isoformat() for m in article.dates},
        language=(article.language or "").lower(),
        chars_len=len(text),
    )


def _sentences(article: Article) -> list[str]:
    """The sentences embedded: the title (when separate) is not one of them; a text with none is one."""
    sents = split(article.text)
    return sents or ([article.text.strip()] if article.text.strip() else [])


_view_cache: OrderedDict[tuple[object, ...], _View] = OrderedDict()


def _view_key(article: Article) -> tuple[object, ...]:
    """What a view is computed from: the text, and what understand() found in it."""
    return (
        article.content_hash,
        article.language,
        tuple((e.canonical, e.label) for e in article.entities),
        tuple(m.value for m in article.dates),
    )


def forget_views() -> None:
    """Empty the view cache (benchmarks time each stage from a cold cache)."""
    _view_cache.clear()


def _views(articles: Sequence[Article]) -> list[_View]:
    """The views of articles: the COMPARE_VIEW_CACHE most recent from a cache (a stream compares the same
    candidates again and again), the others built, every new sentence and title embedded in one call."""
    keys = [_view_key(a) for a in articles]
    todo = [i for i, key in enumerate(keys) if key not in _view_cache]
    for i, view in zip(todo, _build_views([articles[i] for i in todo])):
        _view_cache[keys[i]] = view
    out = []
    for key in keys:
        _view_cache.move_to_end(key)
        out.append(_view_cache[key])
    while len(_view_cache) > config.COMPARE_VIEW_CACHE:
        _view_cache.popitem(last=False)
    return out


def _build_views(articles: Sequence[Article]) -> list[_View]:
    """Embed every sentence and title of the articles in one call and build their views."""
    if not articles:
        return []
    per_article = [_sentences(a) for a in articles]
    titles = [a.title.strip() or (s[0] if s else "") for a, s in zip(articles, per_article)]
    unique: dict[str, int] = {}
    for text in [t for s in per_article for t in s] + titles:
        unique.setdefault(text, len(unique))
    matrix = embed(list(unique)) if unique else np.zeros((0, 512), np.float32)
    views = []
    for article, sents, title in zip(articles, per_article, titles):
        vectors = matrix[[unique[s] for s in sents]] if sents else np.zeros((0, matrix.shape[1]), np.float32)
        title_vector = matrix[unique[title]] if title else np.zeros(matrix.shape[1], np.float32)
        views.append(_view(article, sents, vectors, title_vector))
    return views


def _pair(a: _View, b: _View) -> dict[str, float]:
    f: dict[str, float] = {}
    # emb_: cosines of whole-text, title, lead, head and tail vectors
    va, vb = a.vectors, b.vectors
    empty = not len(va) or not len(vb)
    f["emb_text"] = float(mean_vector(va) @ mean_vector(vb)) if not empty else 0.0
    f["emb_title"] = float(a.title @ b.title)
    f["emb_lead"] = float(va[0] @ vb[0]) if not empty else 0.0
    f["emb_head"] = float(mean_vector(va[:_HEAD]) @ mean_vector(vb[:_HEAD])) if not empty else 0.0
    f["emb_tail"] = float(mean_vector(va[-_HEAD:]) @ mean_vector(vb[-_HEAD:])) if not empty else 0.0
    f["emb_title_text"] = float(
        max(a.title @ mean_vector(vb), b.title @ mean_vector(va)) if not empty else 0.0
    )
    # aln_: the sentence cosine matrix, row-wise best matches in both directions
    if empty:
        for key in ("max", "mean_min", "mean_max", "top3", "cov_min", "cov_max", "matrix_mean", "matrix_std"):
            f[f"aln_{key}"] = 0.0
        for t in _THRESHOLDS:
            f[f"aln_share{int(t * 100)}_min"] = f[f"aln_share{int(t * 100)}_max"] = 0.0
    else:
        sim = va @ vb.T
        rows, cols = sim.max(axis=1), sim.max(axis=0)
        flat = np.sort(sim, axis=None)[::-1]
        f["aln_max"] = float(flat[0])
        f["aln_top3"] = float(flat[:3].mean())
        f["aln_mean_min"] = float(min(rows.mean(), cols.mean()))
        f["aln_mean_max"] = float(max(rows.mean(), cols.mean()))
        f["aln_matrix_mean"] = float(sim.mean())
        f["aln_matrix_std"] = float(sim.std())
        for t in _THRESHOLDS:
            ra, rb = float((rows >= t).mean()), float((cols >= t).mean())
            f[f"aln_share{int(t * 100)}_min"] = min(ra, rb)
            f[f"aln_share{int(t * 100)}_max"] = max(ra, rb)
        la = np.array([len(s) for s in a.sentences], np.float64)
        lb = np.array([len(s) for s in b.sentences], np.float64)
        ca = float(la[rows >= _THRESHOLDS[1]].sum() / la.sum())
        cb = float(lb[cols >= _THRESHOLDS[1]].sum() / lb.sum())
        f["aln_cov_min"], f["aln_cov_max"] = min(ca, cb), max(ca, cb)
    # lex_: lexical overlap (mostly zero across languages, but names and numbers survive translation)
    f["lex_words"] = jaccard(a.words, b.words)
    f["lex_words_contain"] = _containment(a.words, b.words)
    f["lex_shingle2"] = jaccard(a.shingles2, b.shingles2)
    f["lex_shingle3"] = jaccard(a.shingles3, b.shingles3)
    f["lex_shingle3_contain"] = _containment(a.shingles3, b.shingles3)
    f["lex_chars"] = jaccard(set(a.chars), set(b.chars))
    f["lex_chars_cos"] = _cosine_counts(a.chars, b.chars)
    f["lex_words_cos"] = _cosine_counts(a.word_counts, b.word_counts)
    # ent_: named things and numbers
    f["ent_names"] = jaccard(a.names, b.names)
    f["ent_names_shared"] = float(len(a.names & b.names))
    f["ent_names_contain"] = _containment(a.names, b.names)
    f["ent_numbers"] = jaccard(a.numbers, b.numbers)
    f["ent_numbers_shared"] = float(len(a.numbers & b.numbers))
    f["ent_people"] = jaccard(a.people, b.people)
    f["ent_people_shared"] = float(len(a.people & b.people))
    f["ent_places"] = jaccard(a.places, b.places)
    f["ent_places_shared"] = float(len(a.places & b.places))
    f["ent_known"] = float(bool(a.people or a.places) + bool(b.people or b.places))
    # date_: mentioned dates (publication dates come in pair_features_batch, they live on the Article)
    f["date_mentions"] = jaccard(a.dates, b.dates)
    f["date_mentions_shared"] = float(len(a.dates & b.dates))
    # lang_ and len_
    f["lang_same"] = float(bool(a.language) and a.language == b.language)
    for code in LANGUAGES:
        f[f"lang_{code}"] = float((a.language == code) + (b.language == code))
    short, long_ = sorted((a.chars_len, b.chars_len))
    f["len_chars_min"], f["len_chars_max"] = float(short), float(long_)
    f["len_chars_ratio"] = short / long_ if long_ else 0.0
    f["len_sents_min"] = float(min(len(a.sentences), len(b.sentences)))
    f["len_sents_max"] = float(max(len(a.sentences), len(b.sentences)))
    return {k: round(v, 6) for k, v in f.items()}


def _date_gap(a: Article, b: Article) -> float:
    if a.published is None or b.published is None:
        return math.nan
    return round(abs((b.published - a.published).total_seconds()) / 86400, 4)


def pair_features_batch(pairs: Sequence[tuple[Article, Article]], *, e5: bool = False) -> list[dict[str, float]]:
    """Features of many pairs: every sentence of the batch is embedded in one call (the main cost); with `e5`,
    every article's title+lead by the second encoder too (the `e5` extra)."""
    articles: dict[int, Article] = {}
    for a, b in pairs:
        articles.setdefault(id(a), a)
        articles.setdefault(id(b), b)
    keys = list(articles)
    views = dict(zip(keys, _views([articles[k] for k in keys])))
    leads = dict(zip(keys, lead_vectors([articles[k] for k in keys]))) if e5 else {}
    out = []
    for a, b in pairs:
        f = _pair(views[id(a)], views[id(b)])
        if e5:
            f["emb_e5_lead"] = round(float(leads[id(a)] @ leads[id(b)]), 6)
        f["date_gap_days"] = _date_gap(a, b)
        out.append(f)
    return out


def pair_features(a: Article, b: Article, *, e5: bool = False) -> dict[str, float]:
    """All features of one pair of processed articles (see the module docstring for the groups)."""
    return pair_features_batch([(a, b)], e5=e5)[0]
