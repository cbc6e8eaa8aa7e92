"""A SparkSession for samestory, and reading articles (JSONL or Parquet) into an RDD of (order, Article)."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from pyspark import RDD
from pyspark.sql import SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from samestory.article import Article
from samestory.errors import InputError
from samestory.read._fields import Fields

log = logging.getLogger(__name__)

__all__ = ["articles", "cleaner", "session"]


def session(master: str | None = None, *, shuffle_partitions: int | None = None) -> SparkSession:
    """The active SparkSession, or a new one on `master` (None: what spark-submit set, else local[*]).

    Executors run this interpreter when PYSPARK_PYTHON is unset (local mode, a shared environment)."""
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder.appName("samestory").config("spark.ui.showConsoleProgress", "false")
    if master is not None:
        builder = builder.master(master)
    if shuffle_partitions is not None:
        builder = builder.config("spark.sql.shuffle.partitions", str(shuffle_partitions))
    return builder.getOrCreate()


def _is_parquet(path: str) -> bool:
    p = Path(path)
    if p.suffix == ".parquet":
        return True
    return p.is_dir() and any(f.suffix == ".parquet" for f in p.iterdir())


def articles(spark: SparkSession, path: str) -> RDD[tuple[int, Article]]:
    """(input order, Article) for each record of a JSONL file (or folder of them) or a Parquet dataset, read
    with the same field names as `samestory.read` (id, text, title, url, published, ...). Bad records are logged and skipped, as the Reader does."""
    name = Path(path).name
    records: RDD[tuple[Any, int]]
    if _is_parquet(path):
        frame = spark.read.parquet(path)
        frame = frame.select(  # timestamps as ISO text with their offset: Python would get naive local times
            *(
                F.date_format(c.name, "yyyy-MM-dd'T'HH:mm:ss.SSSSSSXXX").alias(c.name)
                if isinstance(c.dataType, T.TimestampType)
                else F.col(c.name)
                for c in frame.schema.fields
            )
        )
        records = frame.rdd.map(lambda row: row.asDict(recursive=True)).zipWithIndex()
    else:
        records = spark.sparkContext.textFile(path).zipWithIndex()

    def parse(part: Iterable[tuple[Any, int]]) -> Iterator[tuple[int, Article]]:
        import json

        fields = Fields()
        for record, order in part:
            where = f"{name}:{order + 1}"
            if isinstance(record, str):
                if not record.strip():
                    continue
                try:
                    record = json.loads(record)
                except json.JSONDecodeError as exc:
                    log.warning("%s: malformed JSON at column %d: %s", where, exc.colno, exc.msg)
                    continue
            article = fields.article(record, where)
            if isinstance(article, InputError):
                log.warning("%s", article)
                continue
            yield order, article

    return records.mapPartitions(parse)


def cleaner() -> Any:
    """samestory.clean.clean when the clean stage is installed (as `samestory dedup` does), else None."""
    try:
        from samestory.clean import clean
    except ImportError:
        return None
    return clean
