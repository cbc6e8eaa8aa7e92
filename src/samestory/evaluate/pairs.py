"""Pairs files and how pairs are scored.

Pairs files have one JSON object a line with `text1`, `text2` and optionally `pair_id`, `lang1`, `lang2`,
`title1`, `title2`; labelled files add the SemEval-2022 Task 8 scores (`Geography` .. `Overall`, 1 = very
similar .. 4 = very dissimilar). Translated copies name their `base_pair_id`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from samestory.article import Article, make_id
from samestory.compare.model import DIMENSIONS
from samestory.errors import InputError

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


def json_lines(path: str | Path) -> Iterator[tuple[int, str, Any]]:
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
    for number, where, row in json_lines(path):
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


def default_process() -> Callable[[Article], Article]:
    """samestory.pipeline.process (imported here: the models load only when pairs are processed)."""
    from samestory.pipeline import process

    return process


def process_pairs(records: Sequence[PairRecord]) -> list[tuple[Article, Article]]:
    """Clean and understand both articles of each pair (each article once, even when in many pairs)."""
    process = default_process()
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
