"""An approximate nearest-neighbour index (hnswlib, cosine) of title+lead embeddings, persisted beside the DB.

Labels are the store's sequence numbers. The index file is written on `save()` (atomically: a temporary
file, then a rename); the store is the source of truth, so after a crash the caller re-adds the articles
stored after the last save (`missing_after()` says from where).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np

from samestory import config
from samestory.article import Article
from samestory.embed import DIM, embed
from samestory.errors import ConfigError

log = logging.getLogger(__name__)


def lead_text(article: Article) -> str:
    """The title and the first sentences of an article: what is embedded for candidate search."""
    lead = article.text[: config.STORY_LEAD_CHARS]
    cut = lead.rfind(". ")
    if cut > config.STORY_LEAD_CHARS // 2:
        lead = lead[: cut + 1]
    return f"{article.title}\n{lead}" if article.title else lead


def embed_leads(articles: list[Article]) -> np.ndarray:
    """Embed the title+lead of each article: an (n, 512) float32 array of unit vectors."""
    return embed([lead_text(a) for a in articles])


class VectorIndex:
    """Cosine kNN over unit vectors. `path` None keeps it in memory only."""

    def __init__(self, path: str | Path | None = None, *, dim: int = DIM, capacity: int = 10_000) -> None:
        import hnswlib

        if capacity < 1:
            raise ConfigError(f"VectorIndex capacity must be >= 1, got {capacity}")
        self.path = Path(path) if path else None
        self.dim = dim
        self._index = hnswlib.Index(space="ip", dim=dim)
        loaded = False
        if self.path and self.path.exists():
            try:
                self._index.load_index(str(self.path), max_elements=capacity)
                loaded = True
            except (RuntimeError, ValueError) as exc:  # a truncated or foreign file: rebuild from the store
                log.warning("%s: unreadable vector index (%s); rebuilding it", self.path, exc)
                self._index = hnswlib.Index(space="ip", dim=dim)
        if not loaded:
            self._index.init_index(
                max_elements=capacity, ef_construction=config.HNSW_EF_CONSTRUCTION, M=config.HNSW_M, random_seed=7
            )
        self._index.set_ef(config.HNSW_EF_SEARCH)
        self._index.set_num_threads(1)
        self._max_label = max(self._index.get_ids_list(), default=0)

    def __len__(self) -> int:
        return int(self._index.get_current_count())

    def missing_after(self) -> int:
        """The highest label in the index: labels above it must be re-added from the store."""
        return self._max_label

    def add(self, labels: list[int], vectors: np.ndarray) -> None:
        """Add unit vectors under integer labels."""
        if not labels:
            return
        needed = len(self) + len(labels)
        capacity = self._index.get_max_elements()
        if needed > capacity:
            self._index.resize_index(max(needed, capacity * 2))
        self._index.add_items(np.asarray(vectors, dtype=np.float32), np.asarray(labels, dtype=np.int64))
        self._max_label = max(self._max_label, *labels)

    def query(self, vector: np.ndarray, k: int) -> list[tuple[int, float]]:
        """The `k` nearest labels and their cosine similarity, most similar first."""
        count = len(self)
        if count == 0 or not np.any(vector):
            return []
        k = min(k, count)
        labels, distances = self._index.knn_query(np.asarray(vector, dtype=np.float32).reshape(1, -1), k=k)
        return [(int(label), round(1.0 - float(d), 4)) for label, d in zip(labels[0], distances[0])]

    def vectors(self, labels: list[int]) -> np.ndarray:
        """The stored vectors of some labels."""
        if not labels:
            return np.zeros((0, self.dim), np.float32)
        return np.asarray(self._index.get_items(labels), dtype=np.float32)

    def save(self) -> None:
        """Write the index beside the DB (atomically)."""
        if self.path is None:
            return
        tmp = self.path.with_name(self.path.name + ".tmp")
        self._index.save_index(str(tmp))
        os.replace(tmp, self.path)
