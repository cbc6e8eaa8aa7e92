"""A near-duplicate index: MinHash over normalised word shingles, LSH banding, verification, in SQLite or memory.

    index = MinHashIndex("news.db", threshold=0.8)      # or a sqlite3.Connection, or None for memory
    matches = index.add(articles)                       # each new article against everything indexed before
    index.query(article); index.remove("id"); index.evict(before=cutoff); index.close()

How an article becomes a signature (compiled with numba, one call per batch, no per-word Python): words
are those of `samestory.text.words` (NFKC, case folded, split at anything that is not a letter, digit or
mark; unlike `words`, combining marks stay inside their word and "ß" is not "ss"), hashed by a polynomial
hash of their code points in one pass over the batch's UTF-32 code points and a fold table; only the texts
holding a character that NFKC could change (a few percent) are normalised and hashed again. k consecutive
word hashes make a shingle hash; 128 permutations (a·x + b) >> 32 of the 64-bit shingle hashes give the
MinHash signature, kept as its low 16 bits (b-bit MinHash: a spurious equal slot has probability 2**-16, a
negligible bias) so a signature costs 2 bytes per permutation. `MinHashIndex.add` sketches in a background
thread, a few batches ahead of the indexing: the compiled call releases the GIL, so both cores work.

Why compiled kernels and not numpy or rensa (100k benchmark articles, per article, one core): numpy
(a cumulative-sum polynomial hash, `take` from the fold table, NFKC on every text) spent ~24 µs on the words;
the kernel ~6 µs. rensa's MinHash is fast (~2 µs) but its signatures come back as Python lists (to_rows,
~6 µs); the numba MinHash writes 16-bit signatures in ~5 µs and, being one GIL-free call with the rest,
runs beside the indexing.
LSH bands (b bands of r rows) are chosen from the threshold (`lsh_params`): candidates are cheap to verify,
so missing a pair weighs more than a false candidate. Each band's r values hash to one 47-bit key (the
band number is mixed in, so one indexed column holds all bands; SQLite stores it in 6 bytes). A candidate
is kept when its Jaccard similarity is at least the threshold: the estimate from all the signature's
permutations, checked against the exact Jaccard of the two shingle sets when the estimate is within
MINHASH_VERIFY_MARGIN of the threshold and both sets are at hand (`keep_shingles=True`: the articles added
in this session). A new article is checked against at most MINHASH_MAX_CANDIDATES indexed ones per band
bucket (the most recent) and in all (those sharing the most buckets), so that templated records, which all
share the same buckets, cost what distinct ones do.

Tables in SQLite (prefix minhash_, WAL mode; they may share a file with the article store):
minhash_meta (parameters, checked on reopen), minhash_articles (row, id, published, inserted, signature),
minhash_bands (key, row), indexed by key.
"""

from __future__ import annotations

import bisect
import functools
import logging
import math
import sqlite3
import sys
import time
import unicodedata
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from pathlib import Path
from typing import Protocol, Self

import numba
import numpy as np

from samestory import config
from samestory.article import Article, timestamp
from samestory.errors import ConfigError, StoreError

log = logging.getLogger(__name__)

__all__ = ["Match", "MinHashIndex", "Sketches", "distinct", "jaccard", "lsh_params", "sketch", "word_hashes"]

_KEY_BITS = 47  # band keys fit SQLite's 6-byte integers
_SIG_DTYPE = np.uint16
_SKETCH_AHEAD = 2  # batches sketched ahead of the one being indexed


# --- words and shingles -----------------------------------------------------------------------------------

_NEEDS_NFKC = np.uint32(1 << 31)  # the flag bit of a _TABLE entry; bits 16-23 hold the combining class


def _composition_seconds() -> set[int]:
    """Code points that NFC may compose onto the character before them (NFKC_Quick_Check=Maybe)."""
    seconds = set(range(0x1161, 0x1176)) | set(range(0x11A8, 0x11C3))  # Hangul vowel and trailing jamo
    for code in range(0x10000):
        parts = unicodedata.decomposition(chr(code)).split()
        if len(parts) == 2 and not parts[0].startswith("<") and unicodedata.normalize("NFC", chr(code)) == chr(code):
            seconds.add(int(parts[1], 16))
    return seconds


def _char_table() -> np.ndarray:
    """For each code point: in the low 16 bits its case-folded form when it is a letter, digit or mark, else 0
    (a separator); in bits 16-23 its canonical combining class; the _NEEDS_NFKC bit where NFKC
    normalisation could change the words of a text holding it.

    Letters fold one code point to one ("ß" stays), so "ÉTÉ" and "été" are the same word. Characters
    beyond the BMP (mostly emoji) are separators. A character needs NFKC when its NFKC form holds a word
    character other than itself ("ﬁ", "Ａ", "²") or when it can compose onto the one before it; a separator
    that NFKC maps to separators (no-break space) does not. Combining marks out of canonical order are
    found from their classes (`_hash_words`).
    """
    table = np.zeros(sys.maxunicode + 1, dtype=np.uint32)
    for code in range(1, 0x10000):
        char = chr(code)
        if unicodedata.category(char)[0] in "LNM" or char == "_":
            folded = char.casefold()
            if len(folded) != 1:
                folded = char.lower()
            table[code] = ord(folded) if len(folded) == 1 else code
        table[code] |= unicodedata.combining(char) << 16
    table[0x131] = table[0x130] = ord("i")  # Turkish ı and İ: "I".lower() is "i", so ı == İ == I == i
    needs = _composition_seconds()
    for code in range(1, 0x30000):  # planes 3 and up hold no decompositions
        char = chr(code)
        if unicodedata.decomposition(char):
            nfkc = unicodedata.normalize("NFKC", char)
            if nfkc != char and any(table[ord(c)] & 0xFFFF for c in nfkc):
                needs.add(code)
    table[np.fromiter(needs, dtype=np.int64)] |= _NEEDS_NFKC
    return table


_TABLE = _char_table()


@numba.njit(nogil=True, cache=True, inline="always")
def _mix(x: np.uint64) -> np.uint64:  # pragma: no cover (compiled)
    """splitmix64's finaliser: spreads every input bit over the 64 output bits."""
    x ^= x >> np.uint64(30)
    x *= np.uint64(0xBF58476D1CE4E5B9)
    x ^= x >> np.uint64(27)
    x *= np.uint64(0x94D049BB133111EB)
    x ^= x >> np.uint64(31)
    return x


@numba.njit(nogil=True, cache=True)
def _hash_words(units, table, check, hashes, counts, flagged):  # type: ignore[no-untyped-def]  # pragma: no cover
    """One pass over the code points of texts joined by 0: each word's hash into `hashes`, each text's
    number of words into `counts`, and (when `check`) whether a text holds a character needing NFKC into
    `flagged`. Returns the number of words."""
    poly, low = np.uint64(0x01000193), np.uint64(0xFFFFFFFF)
    words = text = first = 0
    h, power, inside = np.uint64(0), np.uint64(1), False
    previous_class = np.uint32(0)
    for i in range(len(units)):
        entry = table[units[i]]
        if check:
            combining_class = (entry >> np.uint32(16)) & np.uint32(0xFF)
            if entry & _NEEDS_NFKC or (combining_class and combining_class < previous_class):
                flagged[text] = True  # a character NFKC may change, or marks out of canonical order
            previous_class = combining_class
        c = entry & np.uint32(0xFFFF)
        if c:
            h += np.uint64(c) * power  # sum of c_j * poly**j modulo 2**32 (the low bits of the uint64)
            power *= poly
            inside = True
            continue
        if inside:
            hashes[words] = _mix(h & low)
            words += 1
            h, power, inside = np.uint64(0), np.uint64(1), False
        if units[i] == 0:
            counts[text] = words - first
            first = words
            text += 1
    if inside:
        hashes[words] = _mix(h & low)
        words += 1
    counts[text] = words - first
    return words


def _encode(texts: Sequence[str]) -> np.ndarray:
    """The code points of texts joined by 0 (a 0 inside a text becomes a space)."""
    joined = "\0".join(texts)
    if joined.count("\0") != max(len(texts) - 1, 0):
        joined = "\0".join([t.replace("\0", " ") for t in texts])
    return np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32)


@numba.njit(nogil=True, cache=True)
def _words_of(units, n_texts, table, check):  # type: ignore[no-untyped-def]  # pragma: no cover (compiled)
    """Word hashes of encoded texts, flat, their offsets, and which texts need NFKC (when `check`)."""
    hashes = np.empty(len(units) // 2 + 1, dtype=np.uint64)  # a word and a separator at least
    counts = np.zeros(n_texts, dtype=np.int64)
    flagged = np.zeros(n_texts, dtype=np.bool_)
    n = _hash_words(units, table, check, hashes, counts, flagged) if n_texts else 0
    offsets = np.zeros(n_texts + 1, dtype=np.int64)
    offsets[1:] = np.cumsum(counts)
    return hashes[:n], offsets, flagged


def _offsets_replacing(offsets: np.ndarray, at: np.ndarray, other_offsets: np.ndarray) -> np.ndarray:
    """The offsets of texts once the segments of texts `at` are replaced by those that `other_offsets` give."""
    counts = np.diff(offsets)
    counts[at] = np.diff(other_offsets)
    return np.r_[0, np.cumsum(counts)]


def _splice(
    flat: np.ndarray, offsets: np.ndarray, at: np.ndarray, other: np.ndarray, other_offsets: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Replace the segments of texts `at` (sorted) in a flat array by those of `other`; with the new offsets."""
    parts, start = [], 0
    for j, i in enumerate(at.tolist()):
        parts += [flat[offsets[start] : offsets[i]], other[other_offsets[j] : other_offsets[j + 1]]]
        start = i + 1
    parts.append(flat[offsets[start] :])
    return np.concatenate(parts), _offsets_replacing(offsets, at, other_offsets)


def word_hashes(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """The hashes of the NFKC-normalised words of each text (uint64, flat) and the offsets of each text's
    words.

    Case, punctuation and spacing do not change them: "Hello, WORLD!" and "hello world" hash alike. A word
    hash is a polynomial hash modulo 2**32 of its folded code points, spread to 64 bits (two words of a
    million-word vocabulary collide with probability ~1e-4: negligible for Jaccard). One compiled pass over
    the batch's code points; only the texts holding a character that NFKC could change are normalised
    (and hashed again).
    """
    hashes, offsets, flagged = _words_of(_encode(texts), len(texts), _TABLE, True)
    redo = np.flatnonzero(flagged)
    if len(redo):
        normalised = [unicodedata.normalize("NFKC", texts[i]) for i in redo.tolist()]
        fixed, fixed_offsets, _ = _words_of(_encode(normalised), len(redo), _TABLE, False)
        hashes, offsets = _splice(hashes, offsets, redo, fixed, fixed_offsets)
    return hashes, offsets


@numba.njit(nogil=True, cache=True)
def _shingle_words(hashes, offsets, k):  # type: ignore[no-untyped-def]  # pragma: no cover (compiled)
    """Hashes of k consecutive words within each text (a text of 1..k-1 words is one shingle), and offsets."""
    golden = np.uint64(0x9E3779B97F4A7C15)
    out = np.empty(len(hashes), dtype=np.uint64)
    out_offsets = np.empty(len(offsets), dtype=np.int64)
    n = 0
    for t in range(len(offsets) - 1):
        out_offsets[t] = n
        start, end = offsets[t], offsets[t + 1]
        if end == start:
            continue
        for i in range(start, max(start + 1, end - k + 1)):
            value = hashes[i]
            for j in range(i + 1, min(i + k, end)):
                value = _mix(value * golden + hashes[j])
            out[n] = value
            n += 1
    out_offsets[len(offsets) - 1] = n
    return out[:n], out_offsets


@numba.njit(nogil=True, cache=True)
def _min_hash(values, offsets, a, b, out):  # type: ignore[no-untyped-def]  # pragma: no cover (compiled)
    """For each text and permutation p: the least (a[p]·x + b[p]) >> 32 over its shingle hashes x (uint64
    arithmetic modulo 2**64), kept as its low 16 bits."""
    mins = np.empty(len(a), dtype=np.uint32)
    for t in range(len(offsets) - 1):
        mins[:] = np.uint32(0xFFFFFFFF)
        for i in range(offsets[t], offsets[t + 1]):
            x = values[i]
            for p in range(len(a)):  # vectorised by LLVM across permutations
                mins[p] = min(mins[p], np.uint32((a[p] * x + b[p]) >> np.uint64(32)))
        for p in range(len(a)):
            out[t, p] = np.uint16(mins[p] & np.uint32(0xFFFF))


@numba.njit(nogil=True, cache=True)
def _sketch_units(units, n_texts, table, check, k, a, b, bands, rows):  # type: ignore[no-untyped-def]  # pragma: no cover
    """Encoded texts to signatures, band keys, shingle hashes and their offsets, and the texts needing NFKC:
    one call, without the GIL, so a thread can sketch while another indexes."""
    hashes, offsets, flagged = _words_of(units, n_texts, table, check)
    shingles, shingle_offsets = _shingle_words(hashes, offsets, k)
    sigs = np.empty((n_texts, len(a)), dtype=np.uint16)
    _min_hash(shingles, shingle_offsets, a, b, sigs)
    keys = np.empty((n_texts, bands), dtype=np.int64)
    _hash_bands(sigs, bands, rows, keys)
    return sigs, keys, shingles, shingle_offsets, flagged


@functools.cache
def _permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The (a, b) of each permutation: a odd, both uniform over 64 bits."""
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 2**64, num_perm, dtype=np.uint64, endpoint=False) | np.uint64(1)
    return a, rng.integers(0, 2**64, num_perm, dtype=np.uint64, endpoint=False)


@dataclass(slots=True)
class Sketches:
    """Signatures of a batch of texts, their LSH band keys and, optionally, their shingle hashes."""

    signatures: np.ndarray  # (n, num_perm) uint16; rows of empty texts are meaningless (see `empty`)
    empty: np.ndarray  # (n,) bool: texts without a single word
    keys: np.ndarray | None  # (n, bands) int64 when bands were asked for
    shingles: np.ndarray | None  # low 32 bits of the shingle hashes, flat, as they come
    offsets: np.ndarray  # text i's shingles are shingles[offsets[i]:offsets[i + 1]]

    def shingles_of(self, i: int) -> np.ndarray:
        """The shingle hashes of text `i` (sketched with `keep_shingles`)."""
        if self.shingles is None:
            raise ValueError("sketched without keep_shingles")
        return self.shingles[self.offsets[i] : self.offsets[i + 1]]


@dataclass(frozen=True, slots=True)
class _Sketcher:
    """Sketches texts with one set of parameters, in two steps that a pipeline can run in two threads:
    `raw` (compiled, without the GIL) and `normalised` (redoes the few texts that NFKC changes)."""

    shingle: int
    num_perm: int
    seed: int
    keep_shingles: bool
    lsh: tuple[int, int] | None

    def raw(self, units: np.ndarray, n_texts: int, check: bool = True) -> tuple[Sketches, np.ndarray]:
        bands, rows = self.lsh or (0, 0)
        a, b = _permutations(self.num_perm, self.seed)
        sigs, keys, shingles, offsets, flagged = _sketch_units(
            units, n_texts, _TABLE, check, self.shingle, a, b, bands, rows
        )
        kept = shingles.astype(np.uint32) if self.keep_shingles else None
        return Sketches(sigs, np.diff(offsets) == 0, keys if self.lsh else None, kept, offsets), flagged

    def normalised(self, texts: Sequence[str], sk: Sketches, flagged: np.ndarray) -> Sketches:
        redo = np.flatnonzero(flagged)
        if not len(redo):
            return sk
        fixed, _ = self.raw(_encode([unicodedata.normalize("NFKC", texts[i]) for i in redo.tolist()]), len(redo), False)
        sk.signatures[redo], sk.empty[redo] = fixed.signatures, fixed.empty
        if sk.keys is not None:
            sk.keys[redo] = fixed.keys
        if sk.shingles is not None and fixed.shingles is not None:
            sk.shingles, sk.offsets = _splice(sk.shingles, sk.offsets, redo, fixed.shingles, fixed.offsets)
        else:
            sk.offsets = _offsets_replacing(sk.offsets, redo, fixed.offsets)
        return sk

    def __call__(self, texts: Sequence[str]) -> Sketches:
        return self.normalised(texts, *self.raw(_encode(texts), len(texts)))


def sketch(
    texts: Sequence[str],
    *,
    shingle: int,
    num_perm: int,
    seed: int,
    keep_shingles: bool,
    lsh: tuple[int, int] | None = None,
) -> Sketches:
    """MinHash signatures of texts (one compiled pass over the batch), with the band keys of `lsh` (bands,
    rows)."""
    return _Sketcher(shingle, num_perm, seed, keep_shingles, lsh)(texts)


# --- LSH ------------------------------------------------------------------------------------------------


def _s_curve(s: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """Probability that a pair of Jaccard similarity s shares at least one band."""
    return 1 - (1 - s**rows) ** bands


def _area(y: np.ndarray, x: np.ndarray) -> float:
    return float(np.sum((y[1:] + y[:-1]) * np.diff(x)) / 2)


def lsh_params(threshold: float, num_perm: int, fn_weight: float) -> tuple[int, int]:
    """Bands and rows per band minimising fp_weight·(false-positive area) + fn_weight·(false-negative area)
    of the LSH S-curve 1-(1-s**r)**b around the threshold (the criterion of datasketch's _optimal_param)."""
    if not 0.0 < threshold < 1.0:
        raise ConfigError(f"threshold must be between 0 and 1 (exclusive), got {threshold}")
    below, above = np.linspace(0.0, threshold, 201), np.linspace(threshold, 1.0, 201)
    best, best_cost = (1, num_perm), math.inf
    for bands in range(1, num_perm + 1):
        for rows in range(1, num_perm // bands + 1):
            fp = _area(_s_curve(below, bands, rows), below)
            fn = _area(1 - _s_curve(above, bands, rows), above)
            cost = (1 - fn_weight) * fp + fn_weight * fn
            if cost < best_cost:
                best, best_cost = (bands, rows), cost
    return best


@numba.njit(nogil=True, cache=True)
def _hash_bands(sigs, bands, rows, out):  # type: ignore[no-untyped-def]  # pragma: no cover (compiled)
    golden, seed = np.uint64(0x9E3779B97F4A7C15), np.uint64(0xD6E8FEB86659FD93)
    for n in range(sigs.shape[0]):
        for b in range(bands):
            h = np.uint64(b + 1) * seed
            for j in range(b * rows, (b + 1) * rows):
                h = _mix(h * golden + np.uint64(sigs[n, j]))
            out[n, b] = np.int64(h >> np.uint64(64 - _KEY_BITS))


def _band_keys(sigs: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """(n, bands) int64 keys: each band's rows hashed together with the band number, 47 bits."""
    out = np.empty((len(sigs), bands), dtype=np.int64)
    _hash_bands(np.ascontiguousarray(sigs), bands, rows, out)
    return out


# --- storage --------------------------------------------------------------------------------------------


class _Store(Protocol):
    """Where band keys and signatures live: rows are dense integers given by the index. `order` sorts the
    (flattened) band keys it comes with: the index sorts them once per batch for the store and itself."""

    next_row: int

    def __len__(self) -> int: ...
    def insert(
        self,
        rows: np.ndarray,
        ids: list[str],
        published: np.ndarray,
        inserted: float,
        sigs: np.ndarray,
        keys: np.ndarray,
        order: np.ndarray,
    ) -> None: ...
    def lookup(self, keys: np.ndarray, order: np.ndarray, cap: int) -> tuple[np.ndarray, np.ndarray]: ...
    def signatures(self, rows: np.ndarray) -> np.ndarray: ...
    def ids(self, rows: Iterable[int]) -> list[str]: ...
    def row_of(self, ids: list[str]) -> dict[str, int]: ...
    def rows_before(self, cutoff: float, column: str) -> np.ndarray: ...
    def published(self, rows: np.ndarray) -> np.ndarray: ...
    def delete(self, rows: np.ndarray, keys: np.ndarray) -> None: ...
    def close(self) -> None: ...


def _ranges(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """The positions start, start+1, ..., start+count-1 of each (start, count), concatenated."""
    return np.repeat(starts - np.cumsum(counts) + counts, counts) + np.arange(counts.sum())


class _SortedRun:
    """Band keys and their rows, sorted by key."""

    def __init__(self) -> None:
        self.keys = np.zeros(0, np.int64)
        self.rows = np.zeros(0, np.int32)

    def merge(self, keys: np.ndarray, rows: np.ndarray) -> None:
        """Merge keys sorted already (with their rows) in."""
        at = np.searchsorted(self.keys, keys, side="right")
        self.keys = np.insert(self.keys, at, keys)
        self.rows = np.insert(self.rows, at, rows)

    def lookup(self, keys: np.ndarray, order: np.ndarray, cap: int) -> tuple[np.ndarray, np.ndarray]:
        """For `keys` sorted (positions `order` in the query): (query positions, rows) of equal keys, the
        last `cap` rows of each key (the most recent: equal keys keep the order they were merged in)."""
        lo = np.searchsorted(self.keys, keys, side="left")  # sorted queries: numpy narrows from the last hit
        hit = (
            np.flatnonzero(self.keys[np.minimum(lo, len(self.keys) - 1)] == keys)
            if len(self.keys)
            else lo[:0]
        )
        hi, counts = lo.copy(), np.zeros(len(keys), np.int64)  # most keys miss: the right end is searched
        hi[hit] = np.searchsorted(self.keys, keys[hit], side="right")  # for hits only
        counts[hit] = np.minimum(hi[hit] - lo[hit], cap)
        return np.repeat(order, counts), self.rows[_ranges(hi - counts, counts)].astype(np.int64)

    def keep(self, mask: np.ndarray) -> None:
        self.keys, self.rows = self.keys[mask], self.rows[mask]


class _MemoryStore:
    """Band keys in two sorted runs: batches merge into the small one, which merges into the big one when it
    passes sqrt(big x 65536) keys (so 1M articles cost a few GB of copying, not a copy of everything per
    batch). Removed rows are tombstones until they are half of the index."""

    def __init__(self, num_perm: int) -> None:
        self.big, self.small = _SortedRun(), _SortedRun()
        self.sigs = np.zeros((0, num_perm), _SIG_DTYPE)
        self.alive = np.zeros(0, bool)
        self.published_at = np.zeros(0, np.float64)
        self.inserted = np.zeros(0, np.float64)
        self.id_list: list[str] = []
        self.id_row: dict[str, int] = {}
        self.next_row = 0
        self.dead = 0

    def __len__(self) -> int:
        return len(self.id_row)

    @property
    def nbytes(self) -> int:
        """Bytes held by band keys, signatures and dates."""
        used = self.next_row
        runs = sum(r.keys.nbytes + r.rows.nbytes for r in (self.big, self.small))
        return runs + self.sigs[:used].nbytes + used * (1 + 8 + 8)

    def _grow(self, need: int) -> None:
        if need <= len(self.alive):
            return
        size = max(need, 2 * len(self.alive), 1024)
        for name in ("sigs", "alive", "published_at", "inserted"):
            old = getattr(self, name)
            new = np.zeros((size, *old.shape[1:]), old.dtype)
            new[: len(old)] = old
            setattr(self, name, new)

    def insert(self, rows, ids, published, inserted, sigs, keys, order):  # type: ignore[no-untyped-def]
        self._grow(int(rows[-1]) + 1)
        self.sigs[rows] = sigs
        self.alive[rows] = True
        self.published_at[rows] = published
        self.inserted[rows] = inserted
        self.id_list.extend(ids)
        self.id_row.update(zip(ids, rows.tolist()))
        flat = keys.ravel()
        self.small.merge(flat[order], np.repeat(rows, keys.shape[1]).astype(np.int32)[order])
        if len(self.small.keys) ** 2 > len(self.big.keys) * 65536:
            self.big.merge(self.small.keys, self.small.rows)
            self.small = _SortedRun()
        self.next_row = int(rows[-1]) + 1

    def lookup(self, keys: np.ndarray, order: np.ndarray, cap: int) -> tuple[np.ndarray, np.ndarray]:
        ordered = keys[order]
        (q1, r1), (q2, r2) = self.big.lookup(ordered, order, cap), self.small.lookup(ordered, order, cap)
        query, rows = np.concatenate([q1, q2]), np.concatenate([r1, r2])
        live = self.alive[rows]
        return query[live], rows[live]

    def signatures(self, rows: np.ndarray) -> np.ndarray:
        return self.sigs[rows]

    def published(self, rows: np.ndarray) -> np.ndarray:
        return self.published_at[rows]

    def ids(self, rows: Iterable[int]) -> list[str]:
        return [self.id_list[r] for r in rows]

    def row_of(self, ids: list[str]) -> dict[str, int]:
        return {i: self.id_row[i] for i in ids if i in self.id_row}

    def rows_before(self, cutoff: float, column: str) -> np.ndarray:
        values = (self.published_at if column == "published" else self.inserted)[: self.next_row]
        return np.flatnonzero(self.alive[: self.next_row] & (values < cutoff))

    def delete(self, rows: np.ndarray, keys: np.ndarray) -> None:
        self.alive[rows] = False
        for r in rows.tolist():
            del self.id_row[self.id_list[r]]
        self.dead += len(rows)
        if self.dead * 2 > len(self.id_row):
            for run in (self.big, self.small):
                run.keep(self.alive[run.rows])
            self.dead = 0

    def close(self) -> None:
        return None


_SCHEMA = """
CREATE TABLE IF NOT EXISTS minhash_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS minhash_articles (
    row INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, published REAL, inserted REAL NOT NULL,
    signature BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS minhash_articles_published ON minhash_articles(published);
CREATE INDEX IF NOT EXISTS minhash_articles_inserted ON minhash_articles(inserted);
CREATE TABLE IF NOT EXISTS minhash_bands (
    key INTEGER NOT NULL, row INTEGER NOT NULL, PRIMARY KEY (key, row)) WITHOUT ROWID;
"""


class _SqliteStore:
    """The index in SQLite: a band-key table looked up through a temporary table join."""

    def __init__(self, db: sqlite3.Connection, num_perm: int, meta: dict[str, str], owned: bool) -> None:
        self.db, self.num_perm, self.owned = db, num_perm, owned
        try:
            db.executescript(_SCHEMA)
            db.execute(
                "CREATE TEMP TABLE IF NOT EXISTS minhash_query (key INTEGER NOT NULL, q INTEGER NOT NULL)"
            )
            stored = dict(db.execute("SELECT name, value FROM minhash_meta"))
            if not stored:
                db.executemany("INSERT INTO minhash_meta VALUES (?, ?)", meta.items())
                db.commit()
            elif stored != meta:
                changed = sorted(k for k in meta if stored.get(k) != meta[k])
                raise ConfigError(
                    f"the MinHash index in this database was built with other parameters ({', '.join(changed)}:"
                    f" {', '.join(f'{stored.get(k)} here, {meta[k]} asked' for k in changed)}); use the same"
                    " ones or a new database"
                )
            last = db.execute("SELECT MAX(row) FROM minhash_articles").fetchone()[0]
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the MinHash index: {exc}") from exc
        self.next_row = 0 if last is None else last + 1

    def __len__(self) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM minhash_articles").fetchone()[0])

    def insert(self, rows, ids, published, inserted, sigs, keys, order):  # type: ignore[no-untyped-def]
        pub = [None if math.isnan(p) else p for p in published.tolist()]
        try:
            self.db.executemany(
                "INSERT INTO minhash_articles (row, id, published, inserted, signature) VALUES (?, ?, ?, ?, ?)",
                zip(rows.tolist(), ids, pub, [inserted] * len(ids), (s.tobytes() for s in sigs)),
            )
            flat = keys.ravel()  # in key order: each B-tree page is visited once per batch
            self.db.executemany(
                "INSERT OR IGNORE INTO minhash_bands (key, row) VALUES (?, ?)",
                zip(flat[order].tolist(), np.repeat(rows, keys.shape[1])[order].tolist()),
            )
            if self.owned:  # on a caller's connection the caller commits: the rows go with its articles
                self.db.commit()
        except sqlite3.Error as exc:
            if self.owned:
                self.db.rollback()
            raise StoreError(f"cannot write the MinHash index: {exc}") from exc
        self.next_row = int(rows[-1]) + 1

    def lookup(self, keys: np.ndarray, order: np.ndarray, cap: int) -> tuple[np.ndarray, np.ndarray]:
        # queries in key order: the join walks the band index in order; of each key, the last `cap` rows
        self.db.execute("DELETE FROM minhash_query")
        self.db.executemany(
            "INSERT INTO minhash_query VALUES (?, ?)", zip(keys[order].tolist(), order.tolist())
        )
        found = self.db.execute(
            "SELECT q.q, b.row FROM minhash_query q JOIN minhash_bands b ON b.key = q.key AND b.row >= COALESCE("
            "(SELECT row FROM minhash_bands WHERE key = q.key ORDER BY row DESC LIMIT 1 OFFSET ?), 0)",
            (cap - 1,),
        ).fetchall()
        pairs = np.array(found, dtype=np.int64).reshape(-1, 2)
        return pairs[:, 0], pairs[:, 1]

    def _select(self, columns: str, key: str, values: list) -> list[tuple]:  # type: ignore[type-arg]
        out: list[tuple] = []  # type: ignore[type-arg]
        for start in range(0, len(values), 500):
            chunk = values[start : start + 500]
            out.extend(
                self.db.execute(
                    f"SELECT {columns} FROM minhash_articles WHERE {key} IN ({','.join('?' * len(chunk))})",
                    chunk,
                )
            )
        return out

    def signatures(self, rows: np.ndarray) -> np.ndarray:
        got = dict(self._select("row, signature", "row", np.unique(rows).tolist()))
        out = np.zeros((len(rows), self.num_perm), _SIG_DTYPE)
        for i, r in enumerate(rows.tolist()):
            out[i] = np.frombuffer(got[r], _SIG_DTYPE)
        return out

    def published(self, rows: np.ndarray) -> np.ndarray:
        got = dict(self._select("row, published", "row", np.unique(rows).tolist()))
        return np.array([math.nan if got[r] is None else got[r] for r in rows.tolist()], dtype=np.float64)

    def ids(self, rows: Iterable[int]) -> list[str]:
        rows = list(rows)
        got = dict(self._select("row, id", "row", sorted(set(rows))))
        return [got[r] for r in rows]

    def row_of(self, ids: list[str]) -> dict[str, int]:
        return dict(self._select("id, row", "id", ids))

    def rows_before(self, cutoff: float, column: str) -> np.ndarray:
        found = self.db.execute(f"SELECT row FROM minhash_articles WHERE {column} < ?", (cutoff,)).fetchall()
        return np.array([r for (r,) in found], dtype=np.int64)

    def delete(self, rows: np.ndarray, keys: np.ndarray) -> None:
        try:
            with self.db:
                self.db.executemany(
                    "DELETE FROM minhash_bands WHERE key = ? AND row = ?",
                    zip(keys.ravel().tolist(), np.repeat(rows, keys.shape[1]).tolist()),
                )
                self.db.executemany(
                    "DELETE FROM minhash_articles WHERE row = ?", ((r,) for r in rows.tolist())
                )
        except sqlite3.Error as exc:
            raise StoreError(f"cannot delete from the MinHash index: {exc}") from exc

    def close(self) -> None:
        self.db.execute("DROP TABLE IF EXISTS temp.minhash_query")
        if self.owned:
            self.db.close()


def _open_sqlite(path: str | Path) -> sqlite3.Connection:
    try:
        db = sqlite3.connect(str(path))
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("PRAGMA cache_size=-1048576")  # 1 GiB of page cache: the band table of 1M articles fits
        # checkpoint (write back into the file, fsync) every 256 MiB of WAL, not every 4 MiB: a batch's band
        # rows touch pages all over the table, and a page changed by many batches is then written back once
        db.execute("PRAGMA wal_autocheckpoint=65536")
    except sqlite3.Error as exc:
        raise StoreError(f"{path}: cannot open the database: {exc}") from exc
    return db


# --- the index ------------------------------------------------------------------------------------------


def estimate(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The Jaccard similarity estimated from MinHash signatures: the share of equal slots (row by row)."""
    return np.asarray((a == b).mean(axis=-1))


@dataclass(frozen=True, slots=True)
class AcceptRule:
    """When a candidate pair is a near-duplicate, for the index and for Spark's dedup alike: an estimate at or
    below threshold - margin is a false candidate; one within `margin` of the threshold is decided by the exact
    Jaccard of the shingle sets when both are at hand (`verify`); elsewhere the estimate decides."""

    threshold: float
    margin: float = config.MINHASH_VERIFY_MARGIN

    def plausible(self, estimated: np.ndarray | float) -> np.ndarray:
        """Estimates worth a look (the rest are false candidates)."""
        return np.asarray(estimated > self.threshold - self.margin)

    def needs_check(self, estimated: np.ndarray | float) -> np.ndarray:
        """Plausible estimates too close to the threshold to decide without the exact Jaccard."""
        return np.asarray(estimated < self.threshold + self.margin)

    def accepts(self, estimated: np.ndarray | float, verified: np.ndarray | float) -> np.ndarray:
        """The decision of plausible pairs, on the exact Jaccard where it was checked (NaN: not checked)."""
        return np.asarray(np.where(np.isnan(verified), estimated, verified) >= self.threshold)


@dataclass(frozen=True, slots=True)
class Match:
    """A new article (`id`) found similar to an indexed one (`other`)."""

    id: str
    other: str
    estimated: float  # Jaccard similarity estimated from the signatures
    verified: float | None  # exact Jaccard of the shingle sets; None when the other's set is not at hand


@dataclass(frozen=True, slots=True)
class _Found:
    """The matches of a batch: new rows, the rows they match, estimated and exact Jaccard (NaN: not checked)."""

    rows: np.ndarray
    others: np.ndarray
    estimated: np.ndarray
    verified: np.ndarray

    @classmethod
    def none(cls) -> _Found:
        empty = np.zeros(0, np.int64)
        return cls(empty, empty, empty.astype(float), empty.astype(float))


class _ShingleSets:
    """The shingle hashes of rows, kept batch by batch as flat arrays (4 bytes a shingle, 12 a row: no Python
    object per row, whose overhead would outweigh a short text's shingles). A row's segment is sorted and its
    repeats moved out in place the first time it is asked for (most rows never are), and stays so."""

    def __init__(self) -> None:
        self.first: list[int] = []  # the first row of each batch; a batch's rows are consecutive
        # of each batch: offsets, values, and each row's number of distinct values (-1: not sorted yet)
        self.batches: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self.dropped: set[int] = set()

    def add(self, first: int, values: np.ndarray, offsets: np.ndarray, which: np.ndarray) -> None:
        """The shingles of texts `which` of a sketched batch, as rows first, first + 1, ..."""
        counts = offsets[which + 1] - offsets[which]
        self.first.append(first)
        self.batches.append(
            (np.r_[0, np.cumsum(counts)], values[_ranges(offsets[which], counts)], np.full(len(which), -1, np.int32))
        )

    def get(self, row: int) -> np.ndarray | None:
        """The sorted distinct shingle hashes of a row (None when it was not added, or dropped)."""
        at = bisect.bisect_right(self.first, row) - 1
        if at < 0 or row in self.dropped:
            return None
        offsets, values, distinct_counts = self.batches[at]
        i = row - self.first[at]
        if i >= len(distinct_counts):
            return None
        if distinct_counts[i] < 0:
            segment = values[offsets[i] : offsets[i + 1]]
            segment.sort()
            distinct_counts[i] = _drop_repeats(segment)
        return values[offsets[i] : offsets[i] + distinct_counts[i]]

    def jaccards(self, rows: np.ndarray, others: np.ndarray) -> np.ndarray:
        """The exact Jaccard similarity of each pair of rows (NaN where a set is missing), in one compiled pass
        over the sets of the rows involved."""
        involved, at = np.unique(np.r_[rows, others], return_inverse=True)
        sets = [self.get(r) for r in involved.tolist()]
        missing = np.array([s is None for s in sets], dtype=bool)
        lengths = np.array([0 if s is None else len(s) for s in sets], dtype=np.int64)
        flat = np.concatenate([s for s in sets if s is not None] or [np.zeros(0, np.uint32)])
        out = _pair_jaccards(flat, np.r_[0, np.cumsum(lengths)], at[: len(rows)], at[len(rows) :])
        out[missing[at[: len(rows)]] | missing[at[len(rows) :]]] = np.nan
        return out

    def drop(self, rows: np.ndarray) -> None:
        self.dropped.update(rows.tolist())


class _Components:
    """Union-find over rows."""

    def __init__(self) -> None:
        self.parent: dict[int, int] = {}

    def find(self, x: int) -> int:
        root = self.parent.get(x, x)
        while root != self.parent.get(root, root):
            root = self.parent[root]
        while x != root:
            self.parent[x], x = root, self.parent.get(x, x)
        return root

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)
            self.parent.setdefault(min(ra, rb), min(ra, rb))

    def groups(self) -> list[np.ndarray]:
        """The components of two rows or more."""
        out: dict[int, list[int]] = {}
        for x in self.parent:
            out.setdefault(self.find(x), []).append(x)
        return [np.array(sorted(g), dtype=np.int64) for g in out.values() if len(g) > 1]


def _timestamp(value: datetime | None) -> float:
    when = timestamp(value)
    return math.nan if when is None else when


class MinHashIndex:
    """A near-duplicate index of articles that can grow, shrink and be reopened.

    `db` is a path (SQLite file, created when missing), an open sqlite3.Connection (the caller keeps
    ownership and commits: tables are prefixed minhash_) or None (in memory, not persisted). The parameters are stored
    with the index and must match when it is reopened.
    """

    def __init__(
        self,
        db: str | Path | sqlite3.Connection | None = None,
        *,
        threshold: float = config.DEDUP_THRESHOLD,
        shingle: int = config.MINHASH_SHINGLE,
        num_perm: int = config.MINHASH_NUM_PERM,
        seed: int = config.MINHASH_SEED,
        keep_shingles: bool = False,
        batch: int = config.MINHASH_BATCH,
        max_candidates: int = config.MINHASH_MAX_CANDIDATES,
    ) -> None:
        if not 0.0 < threshold < 1.0:
            raise ConfigError(f"threshold must be between 0 and 1 (exclusive), got {threshold}")
        if shingle < 1 or num_perm < 16 or batch < 1 or max_candidates < 1:
            raise ConfigError(
                f"need shingle >= 1, num_perm >= 16, batch >= 1, max_candidates >= 1 (got {shingle}, {num_perm},"
                f" {batch}, {max_candidates})"
            )
        self.threshold, self.shingle, self.num_perm, self.seed = threshold, shingle, num_perm, seed
        self.rule = AcceptRule(threshold)
        self.bands, self.rows = lsh_params(threshold, num_perm, config.MINHASH_FN_WEIGHT)
        self.keep_shingles, self.batch, self.max_candidates = keep_shingles, batch, max_candidates
        self._shingles = _ShingleSets()  # of the rows added in this session (keep_shingles=True)
        meta = {
            "shingle": str(shingle),
            "num_perm": str(num_perm),
            "seed": str(seed),
            "bands": str(self.bands),
            "rows": str(self.rows),
            "threshold": str(threshold),
            "words": "samestory.index.minhash/1",
            "minhash": "samestory.index.minhash/2",
        }
        self._store: _Store
        if db is None:
            self._store = _MemoryStore(num_perm)
        elif isinstance(db, sqlite3.Connection):
            self._store = _SqliteStore(db, num_perm, meta, owned=False)
        else:
            self._store = _SqliteStore(_open_sqlite(db), num_perm, meta, owned=True)
        log.debug("MinHash index: %d bands x %d rows of %d permutations", self.bands, self.rows, num_perm)

    def __len__(self) -> int:
        return len(self._store)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the database (when the index opened it)."""
        self._store.close()

    def _sketches(self, batches: Iterator[list[Article]]) -> Iterator[tuple[list[Article], Sketches]]:
        """Sketch batches a few ahead in a background thread: the compiled step releases the GIL, so the next
        batches are sketched on another core while the caller indexes this one."""
        sketcher = _Sketcher(self.shingle, self.num_perm, self.seed, self.keep_shingles, (self.bands, self.rows))
        with ThreadPoolExecutor(1, thread_name_prefix="minhash-sketch") as pool:
            pending: deque[tuple[list[Article], Future[tuple[Sketches, np.ndarray]]]] = deque()
            for batch in batches:
                pending.append((batch, pool.submit(sketcher.raw, _encode([a.text for a in batch]), len(batch))))
                if len(pending) > _SKETCH_AHEAD:
                    done, future = pending.popleft()
                    yield done, sketcher.normalised([a.text for a in done], *future.result())
            while pending:
                done, future = pending.popleft()
                yield done, sketcher.normalised([a.text for a in done], *future.result())

    def add(
        self, articles: Iterable[Article], *, progress: Callable[[int], None] | None = None
    ) -> list[Match]:
        """Index articles; return each one's matches among the articles indexed before it (this call included).

        Articles without words, and ids already indexed, are skipped. A new article is checked against at
        most `max_candidates` indexed ones (see config.MINHASH_MAX_CANDIDATES). `progress(n)` is called after
        each batch with the number of articles read.
        """
        matches: list[Match] = []
        for found in self._add_all(articles, progress):
            ids, other_ids = self._store.ids(found.rows.tolist()), self._store.ids(found.others.tolist())
            matches += [
                Match(i, o, round(e, 4), None if math.isnan(v) else round(v, 4))
                for i, o, e, v in zip(ids, other_ids, found.estimated.tolist(), found.verified.tolist())
            ]
        return matches

    def connected(
        self, articles: Iterable[Article], *, progress: Callable[[int], None] | None = None
    ) -> list[np.ndarray]:
        """Index articles like `add`; return the groups (rows, two or more) that their matches connect, with
        the articles indexed before. Holds no match once its batch is done, and checks a batch's candidates
        in one compiled pass: templated records, whose candidates are many and all near the threshold, cost
        about what distinct ones do in time and memory."""
        components = _Components()
        for _ in self._add_all(articles, progress, components):
            pass
        return components.groups()

    def _add_all(
        self,
        articles: Iterable[Article],
        progress: Callable[[int], None] | None,
        components: _Components | None = None,
    ) -> Iterator[_Found]:
        stream = iter(articles)
        batches = iter(lambda: list(islice(stream, self.batch)), [])
        for batch, sk in self._sketches(batches):
            yield self._add_batch(batch, sk, components)
            if progress is not None:
                progress(len(batch))

    def _add_batch(self, batch: list[Article], sk: Sketches, components: _Components | None = None) -> _Found:
        """Index a batch; its matches. With `components`, matches join them there."""
        keep = ~sk.empty
        seen: set[str] = set()
        known = self._store.row_of([a.id for a in batch])
        for i, article in enumerate(batch):
            if keep[i] and (article.id in known or article.id in seen):
                log.debug("%s: already indexed, skipped", article.id)
                keep[i] = False
            seen.add(article.id)
        index = np.flatnonzero(keep)
        if not len(index):
            return _Found.none()
        sigs = sk.signatures[index]
        keys = sk.keys[index] if sk.keys is not None else _band_keys(sigs, self.bands, self.rows)
        rows = self._store.next_row + np.arange(len(index), dtype=np.int64)
        order = np.argsort(keys.ravel(), kind="stable")  # the batch's band keys sorted, for the store and here
        cand = self._candidates(keys, order, rows)
        ids = [batch[i].id for i in index]
        published = np.array([_timestamp(batch[i].published) for i in index], dtype=np.float64)
        if sk.shingles is not None:
            self._shingles.add(int(rows[0]), sk.shingles, sk.offsets, index)
        found = _Found.none()
        if len(cand):
            in_batch = cand[:, 1] >= rows[0]
            other = np.empty((len(cand), self.num_perm), _SIG_DTYPE)
            other[in_batch] = sigs[cand[in_batch, 1] - rows[0]]
            if (~in_batch).any():
                other[~in_batch] = self._store.signatures(cand[~in_batch, 1])
            estimated = estimate(sigs[cand[:, 0]], other)
            close = self.rule.plausible(estimated)
            cand, estimated = cand[close], estimated[close]
            verified = np.full(len(cand), np.nan)
            near = np.flatnonzero(self.rule.needs_check(estimated))
            verified[near] = self._shingles.jaccards(rows[cand[near, 0]], cand[near, 1])
            match = self.rule.accepts(estimated, verified)
            found = _Found(rows[cand[match, 0]], cand[match, 1], estimated[match], verified[match])
            if components is not None:
                for new_row, other_row in zip(found.rows.tolist(), found.others.tolist()):
                    components.union(new_row, other_row)
        self._store.insert(rows, ids, published, time.time(), sigs, keys, order)
        return found

    def _candidates(self, keys: np.ndarray, order: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """(new article's position in the batch, row) pairs sharing a band bucket, among the indexed articles and
        the earlier ones of the batch: at most `max_candidates` per bucket (the most recent) and per article
        (those sharing the most buckets)."""
        flat = keys.ravel()
        q, found = self._store.lookup(flat, order, self.max_candidates)
        pairs = [np.stack([q // self.bands, found], axis=1)]
        # within the batch: equal keys, the later article against the latest earlier ones
        sorted_keys, owner = flat[order], (order // self.bands)
        repeat = np.flatnonzero(sorted_keys[1:] == sorted_keys[:-1]) + 1  # positions repeating a key
        if len(repeat):
            run_start = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
            first = run_start[np.searchsorted(run_start, repeat, side="right") - 1]
            counts = np.minimum(repeat - first, self.max_candidates)
            later, earlier = np.repeat(repeat, counts), _ranges(repeat - counts, counts)
            pairs.append(np.stack([owner[later], rows[owner[earlier]]], axis=1))
        cand, shared = _unique_pairs(np.concatenate(pairs))
        mine = cand[:, 1] != rows[cand[:, 0]]
        cand, shared = cand[mine], shared[mine]
        # the most shared buckets first within each article; keep the first max_candidates of each
        by = np.lexsort((-shared, cand[:, 0]))
        cand = cand[by]
        starts = np.flatnonzero(np.r_[True, cand[1:, 0] != cand[:-1, 0]]) if len(cand) else cand[:0, 0]
        rank = np.arange(len(cand)) - np.repeat(starts, np.diff(np.r_[starts, len(cand)]))
        cand = cand[rank < self.max_candidates]
        return cand[np.lexsort((cand[:, 1], cand[:, 0]))]  # by article, then row, as matches always came

    def query(self, article: Article) -> list[Match]:
        """The indexed articles (other than itself) similar to `article` (estimated Jaccard >= threshold),
        best first."""
        sk = sketch(
            [article.text], shingle=self.shingle, num_perm=self.num_perm, seed=self.seed, keep_shingles=False
        )
        if sk.empty[0]:
            return []
        keys = _band_keys(sk.signatures, self.bands, self.rows)
        _, found = self._store.lookup(keys.ravel(), np.argsort(keys.ravel()), self.max_candidates)
        found = np.array(sorted(set(found.tolist())), dtype=np.int64)
        if not len(found):
            return []
        estimated = estimate(self._store.signatures(found), sk.signatures[0])
        ids = self._store.ids(found.tolist())
        accepted = self.rule.accepts(estimated, math.nan)  # no shingle sets here: the estimate decides
        out = [
            Match(article.id, i, round(float(e), 4), None)
            for i, e, ok in zip(ids, estimated.tolist(), accepted.tolist())
            if ok and i != article.id
        ]
        return sorted(out, key=lambda m: (-m.estimated, m.other))

    def indexed(self, ids: list[str]) -> set[str]:
        """The ids among `ids` that are in the index."""
        return set(self._store.row_of(ids))

    def similarity(self, article_id: str, others: Sequence[str]) -> dict[str, float]:
        """The estimated Jaccard similarity of an indexed article to each indexed one of `others` (the share of
        equal signature slots); empty when `article_id` is not indexed."""
        found = self._store.row_of([article_id, *others])
        if article_id not in found:
            return {}
        indexed = [o for o in others if o in found]
        sigs = self._store.signatures(np.array([found[i] for i in [article_id, *indexed]], dtype=np.int64))
        return dict(zip(indexed, estimate(sigs[1:], sigs[0]).tolist()))

    def remove(self, *ids: str) -> int:
        """Remove articles by id; return how many were indexed."""
        rows = np.array(sorted(self._store.row_of(list(ids)).values()), dtype=np.int64)
        self._delete(rows)
        return len(rows)

    def evict(self, before: datetime, *, by: str = "published") -> int:
        """Remove every article published (by="published") or added (by="inserted") before `before`;
        articles without a publication date are kept by "published". Return how many were removed."""
        if by not in ("published", "inserted"):
            raise ConfigError(f"evict by 'published' or 'inserted', not {by!r}")
        rows = self._store.rows_before(before.timestamp(), by)
        self._delete(rows)
        return len(rows)

    def _delete(self, rows: np.ndarray) -> None:
        for start in range(0, len(rows), 10_000):
            chunk = rows[start : start + 10_000]
            keys = _band_keys(self._store.signatures(chunk), self.bands, self.rows)
            self._store.delete(chunk, keys)
            self._shingles.drop(chunk)

    def describe(self, rows: np.ndarray) -> tuple[list[str], np.ndarray, np.ndarray, list[np.ndarray | None]]:
        """For indexed rows: ids, publication timestamps (NaN when undated), signatures, and sorted distinct
        shingle hashes (None unless added in this session with keep_shingles=True)."""
        sets = [self._shingles.get(r) for r in rows.tolist()]
        return self._store.ids(rows.tolist()), self._store.published(rows), self._store.signatures(rows), sets


def _unique_pairs(pairs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct rows of an (n, 2) array of non-negative int64, sorted (np.unique(axis=0) is slow), and how many
    times each came."""
    packed = np.sort((pairs[:, 0] << 32) | pairs[:, 1])
    starts = np.flatnonzero(np.r_[True, packed[1:] != packed[:-1]]) if len(packed) else np.zeros(0, np.int64)
    counts = np.diff(np.r_[starts, len(packed)])
    packed = packed[starts]
    return np.stack([packed >> 32, packed & 0xFFFFFFFF], axis=1), counts


@numba.njit(nogil=True, cache=True)
def _drop_repeats(a):  # type: ignore[no-untyped-def]  # pragma: no cover (compiled)
    """The length of a sorted array's distinct prefix, after moving its distinct values there."""
    n = min(len(a), 1)
    for i in range(1, len(a)):
        if a[i] != a[n - 1]:
            a[n] = a[i]
            n += 1
    return n


def distinct(a: np.ndarray) -> np.ndarray:
    """The sorted distinct values of an array."""
    a = np.sort(a)
    return a[: _drop_repeats(a)]


@numba.njit(nogil=True, cache=True)
def _shared(a, b):  # type: ignore[no-untyped-def]  # pragma: no cover (compiled)
    """How many values two sorted arrays of distinct values share (one merge pass)."""
    i = j = shared = 0
    while i < len(a) and j < len(b):
        if a[i] < b[j]:
            i += 1
        elif a[i] > b[j]:
            j += 1
        else:
            shared += 1
            i += 1
            j += 1
    return shared


@numba.njit(nogil=True, cache=True)
def _pair_jaccards(flat, offsets, a, b):  # type: ignore[no-untyped-def]  # pragma: no cover (compiled)
    """`jaccard` of the sorted distinct sets flat[offsets[a[k]]:offsets[a[k] + 1]] and those of b[k], each k."""
    out = np.empty(len(a))
    for k in range(len(a)):
        x = flat[offsets[a[k]] : offsets[a[k] + 1]]
        y = flat[offsets[b[k]] : offsets[b[k] + 1]]
        if not len(x) and not len(y):
            out[k] = 1.0
            continue
        shared = _shared(x, y)
        out[k] = shared / (len(x) + len(y) - shared)
    return out


def jaccard(a: np.ndarray, b: np.ndarray, *, prepared: bool = False) -> float:
    """Exact Jaccard similarity of the sets of values of two arrays (`prepared`: both already `distinct`)."""
    if not prepared:
        a, b = distinct(a), distinct(b)
    if not len(a) and not len(b):
        return 1.0
    shared = _shared(a, b)
    return shared / (len(a) + len(b) - shared)
