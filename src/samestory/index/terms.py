"""Term vectors of articles and document frequencies that follow the stream, in SQLite.

An article's terms are the normalised words of its title and text (the title's words counted
STORY_TITLE_WEIGHT more times), hashed into TERM_BUCKETS buckets, weighted by sublinear term frequency. Each
article indexed adds one to the document frequency of its terms, so TF-IDF weights are those of everything
seen so far (no corpus to fit beforehand, any language). Both tables live in the store's database and are
committed with the articles.
"""

from __future__ import annotations

import math
import sqlite3
from collections import OrderedDict, defaultdict
from collections.abc import Collection
from dataclasses import dataclass

import numpy as np
import xxhash

from samestory import config
from samestory.article import Article
from samestory.text import normalize, words

_SCHEMA = """
CREATE TABLE IF NOT EXISTS term_df (bucket INTEGER PRIMARY KEY, df INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS term_vectors (seq INTEGER PRIMARY KEY, ids BLOB NOT NULL, tf BLOB NOT NULL);
"""
_DOCUMENTS = -1  # the term_df row that counts the articles indexed


@dataclass(slots=True, frozen=True)
class TermVector:
    """An article's distinct term buckets (sorted) and their sublinear term frequencies."""

    ids: np.ndarray  # int64, sorted, unique
    tf: np.ndarray  # float32, 1 + log(count)


def term_vector(article: Article, title_weight: float) -> TermVector:
    """The term vector of an article's title and text."""
    counts: defaultdict[int, float] = defaultdict(float)
    for word in words(normalize(article.text)):
        counts[_bucket(word)] += 1
    for word in words(normalize(article.title)):
        counts[_bucket(word)] += 1 + title_weight
    if not counts:
        return TermVector(np.zeros(0, np.int64), np.zeros(0, np.float32))
    ids = np.fromiter(counts, np.int64, len(counts))
    order = np.argsort(ids)
    tf = np.fromiter((1.0 + math.log(c) for c in counts.values()), np.float32, len(counts))
    return TermVector(ids[order], tf[order])


def _bucket(word: str) -> int:
    return xxhash.xxh64_intdigest(word.encode("utf-8", "surrogatepass")) % config.TERM_BUCKETS


class TermIndex:
    """Document frequencies and term vectors of the indexed articles, on a SQLite connection (the store's)."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection
        connection.executescript(_SCHEMA)
        self.df = np.zeros(config.TERM_BUCKETS, np.int64)
        self.documents = 0
        for bucket, df in connection.execute("SELECT bucket, df FROM term_df"):
            if bucket == _DOCUMENTS:
                self.documents = df
            else:
                self.df[bucket] = df
        self._cache: OrderedDict[int, TermVector] = OrderedDict()
        self._pending: list[tuple[int, TermVector]] = []  # added since the last commit()

    def add(self, seq: int, vector: TermVector) -> None:
        """Count an article's terms and keep its vector (the caller commits the connection, then `commit()`)."""
        self.df[vector.ids] += 1
        self.documents += 1
        self._pending.append((seq, vector))
        rows = [(int(b), 1) for b in vector.ids] + [(_DOCUMENTS, 1)]
        self.connection.executemany(
            "INSERT INTO term_df (bucket, df) VALUES (?, ?) ON CONFLICT(bucket) DO UPDATE SET df = df + 1", rows
        )
        self.connection.execute(
            "INSERT OR REPLACE INTO term_vectors (seq, ids, tf) VALUES (?, ?, ?)",
            (seq, vector.ids.astype(np.int32).tobytes(), vector.tf.tobytes()),
        )
        self._remember(seq, vector)

    def missing(self, seqs: Collection[int]) -> list[int]:
        """Those of `seqs` (the stored articles) that have no term vector, in order."""
        if self.connection.execute("SELECT COUNT(*) FROM term_vectors").fetchone()[0] == len(seqs):
            return []
        have = {seq for (seq,) in self.connection.execute("SELECT seq FROM term_vectors")}
        return sorted(set(seqs) - have)

    def commit(self) -> None:
        """The connection has committed what was added: nothing left to undo."""
        self._pending.clear()

    def rollback(self) -> None:
        """The connection has rolled back: forget the counts and vectors added since the last commit()."""
        for seq, vector in self._pending:
            self.df[vector.ids] -= 1
            self.documents -= 1
            self._cache.pop(seq, None)
        self._pending.clear()

    def vectors(self, seqs: list[int]) -> dict[int, TermVector]:
        """The stored vectors of these articles (those that have one)."""
        out = {s: self._cache[s] for s in seqs if s in self._cache}
        missing = [s for s in seqs if s not in out]
        if missing:
            marks = ",".join("?" * len(missing))
            rows = self.connection.execute(f"SELECT seq, ids, tf FROM term_vectors WHERE seq IN ({marks})", missing)
            for seq, ids, tf in rows:
                vector = TermVector(np.frombuffer(ids, np.int32).astype(np.int64), np.frombuffer(tf, np.float32))
                out[seq] = vector
                self._remember(seq, vector)
        return out

    def weights(self, vector: TermVector) -> np.ndarray:
        """TF-IDF weights of a vector's terms, unit length (smoothed IDF over the articles indexed so far)."""
        idf = np.log((self.documents + 1.0) / (self.df[vector.ids] + 1.0)) + 1.0
        w = vector.tf * idf
        norm = float(np.sqrt(w @ w))
        return w / norm if norm else w

    def cosine(self, a: TermVector, a_weights: np.ndarray, b: TermVector) -> float:
        """TF-IDF cosine of `a` (its `weights()` given) and `b`."""
        _, ia, ib = np.intersect1d(a.ids, b.ids, assume_unique=True, return_indices=True)
        if not len(ia):
            return 0.0
        return float(a_weights[ia] @ self.weights(b)[ib])

    def _remember(self, seq: int, vector: TermVector) -> None:
        self._cache[seq] = vector
        self._cache.move_to_end(seq)
        if len(self._cache) > config.TERM_VECTOR_CACHE:
            self._cache.popitem(last=False)
