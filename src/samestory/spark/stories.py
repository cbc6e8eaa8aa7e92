"""Stories on Spark: the per-article work on the executors, the online decision once, in publication order.

    samestory spark stories articles.jsonl stories.parquet --master local[2]

1. mapPartitions: process each article as `samestory.stories.ingest` does (`samestory.pipeline.process`:
   clean + understand, entities included) and embed its title+lead: most of the CPU time an article costs;
2. the prepared articles, sorted in publication order (undated last), stream to the driver
   (`toLocalIterator`), where the embedded `Clusterer` decides each one's story, in batches of STORY_BATCH,
   against an embedded store in a temporary folder: the same candidates, the same rules and the same
   decision (`samestory.stories.decision`) as `ingest`. An article joins a story as a whole, so the decision
   needs the stories as they stand when it arrives: it is sequential by nature, and cheap (no compare()).

Output (Parquet): id, story (the earliest article's id), published, size, and why it is in its story (null
for a story's first article): joined (the member it is most similar to), via (near_duplicate, text_reuse,
title_lead or average_link), score, cosine (title+lead), terms (TF-IDF), jaccard.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterable, Iterator
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np
from pyspark import RDD
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import types as T

from samestory import config
from samestory.article import Article, timestamp
from samestory.spark.session import articles as read_articles
from samestory.store.sqlite import SQLiteStore
from samestory.stories.cluster import Clusterer
from samestory.stories.decision import StoryRules

log = logging.getLogger(__name__)

__all__ = ["spark_stories"]

_SCHEMA = T.StructType(
    [
        T.StructField("id", T.StringType(), False),
        T.StructField("story", T.StringType(), False),
        T.StructField("published", T.TimestampType(), True),
        T.StructField("size", T.LongType(), False),
        T.StructField("joined", T.StringType(), True),
        T.StructField("via", T.StringType(), True),
        T.StructField("score", T.DoubleType(), True),
        T.StructField("cosine", T.DoubleType(), True),
        T.StructField("terms", T.DoubleType(), True),
        T.StructField("jaccard", T.DoubleType(), True),
    ]
)


def _prepare(clean: bool) -> Any:
    def run(part: Iterable[tuple[int, Article]]) -> Iterator[tuple[int, Article, bytes]]:
        from samestory.index.vectors import embed_leads
        from samestory.pipeline import process
        from samestory.understand import understand

        stream = iter(part)
        while chunk := list(islice(stream, config.STORY_BATCH)):
            done = [process(a) if clean else understand(a) for _, a in chunk]  # as ingest's default process
            for (order, _), article, vector in zip(chunk, done, embed_leads(done)):
                yield order, article, vector.astype(np.float32).tobytes()

    return run


def _publication_order(item: tuple[int, Article, bytes]) -> tuple[int, float, int]:
    """The order `ingest` feeds articles in: dated ones by time, then undated ones, each by input order."""
    when = timestamp(item[1].published)
    return (1, 0.0, item[0]) if when is None else (0, when, item[0])


def spark_stories(
    spark: SparkSession,
    source: str | RDD[tuple[int, Article]],
    output: str | None,
    *,
    clean: bool = True,
    rules: StoryRules | None = None,
) -> DataFrame:
    """Stories of the articles at `source` (a JSONL or Parquet path, or an RDD of (input order, Article)),
    written to `output` as Parquet when given; returns the DataFrame (columns: the module's docstring)."""
    rdd = read_articles(spark, source) if isinstance(source, str) else source
    prepared = rdd.mapPartitions(_prepare(clean)).sortBy(_publication_order)
    with tempfile.TemporaryDirectory(prefix="samestory-spark-") as tmp:
        store = SQLiteStore(Path(tmp) / "stories.db")
        clusterer = Clusterer(store, rules=rules)
        stream = prepared.toLocalIterator()
        while batch := list(islice(stream, config.STORY_BATCH)):
            clusterer.add_batch([a for _, a, _ in batch], np.stack([np.frombuffer(v, np.float32) for *_, v in batch]))
            clusterer.commit()
        rows = _rows(store)
        store.close()
    out = spark.createDataFrame(rows, _SCHEMA)
    if output is not None:
        out.write.mode("overwrite").parquet(output)
        log.info("stories written to %s", output)
    return out


def _rows(store: SQLiteStore) -> list[tuple[Any, ...]]:
    """One output row per stored article, stories named by their earliest article."""
    rows = []
    for summary in store.stories():
        members = store.story(summary.id)
        name = members[0].article.id
        for stored in members:
            a, join = stored.article, stored.join
            evidence = (None,) * 6 if join is None or join.via == "new" else (
                join.joined, join.via, join.score, join.cosine, join.terms, join.jaccard
            )
            rows.append((a.id, name, a.published, len(members), *evidence))
    return rows
