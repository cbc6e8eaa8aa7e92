"""Stories on Spark: the embedded clustering's candidates and decision, then connected components.

    samestory spark stories articles.jsonl stories.parquet --master local[2]

1. mapPartitions: process each article as `samestory.stories.ingest` does (`samestory.pipeline.process`:
   clean + understand, entities included; the title+lead embedding), and sketch it for the near-duplicate
   index;
2. candidates, in Spark: near-duplicates (the dedup stage's LSH join and decision), articles sharing an
   entity, and title+lead neighbours (signed random projections banded like MinHash: the LSH stand-in for
   the embedded kNN, see config.SPARK_COSINE_*), inside STORY_WINDOW_DAYS; each pair oriented later ->
   earlier in publication order, as ingest feeds them;
3. copies, in Spark: a pair of near-duplicates or at title+lead cosine >= STORY_ACCEPT_COSINE joins, and its
   later article (a copy) joins nothing else: its other pairs are dropped (`Clusterer.decide`, rule 1);
4. mapPartitions, the other pairs grouped by their later article: `Clusterer.decide` on all of its
   candidates at once, the most similar first, so the gate, STORY_MAX_COMPARES and the candidate order are
   the online clusterer's;
5. connected components of the joined pairs; a story is named by its earliest article.

What still differs from the online clusterer: the candidates (every pair in the window sharing an entity or
an LSH band, where ingest takes the STORY_KNN nearest and STORY_ENTITY_CANDIDATES sharing the most entities),
and "one match per story": stories are only known at the end here, so each candidate counts as its own story
(a second candidate of a story already joined may use a compare() call that ingest would skip). Output
(Parquet): id, story (the earliest article's id), published, size.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator
from itertools import groupby, islice
from typing import Any

import numpy as np
from pyspark import RDD, StorageLevel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from samestory import config
from samestory.article import Article
from samestory.spark.components import connected_components
from samestory.spark.dedup import matches, sketches
from samestory.spark.session import articles as read_articles

log = logging.getLogger(__name__)

__all__ = ["spark_stories"]

_INFO_SCHEMA = T.StructType(
    [
        T.StructField("order", T.LongType(), False),
        T.StructField("id", T.StringType(), False),
        T.StructField("published", T.DoubleType(), True),
        T.StructField("vector", T.BinaryType(), False),  # float32 unit title+lead vector
        T.StructField("entities", T.ArrayType(T.StringType(), False), False),
        T.StructField("cosine_keys", T.ArrayType(T.LongType(), False), False),
        T.StructField("article", T.StringType(), False),  # Article.to_dict() as JSON, for compare()
    ]
)


def _planes() -> np.ndarray:
    from samestory.embed import DIM

    rng = np.random.default_rng(config.SPARK_COSINE_SEED)
    return rng.standard_normal((config.SPARK_COSINE_BANDS * config.SPARK_COSINE_ROWS, DIM)).astype(np.float32)


def _cosine_keys(vectors: np.ndarray, planes: np.ndarray) -> np.ndarray:
    """(n, bands) keys: each band's projection signs as bits, with the band number above them."""
    bits = (vectors @ planes.T > 0).reshape(len(vectors), config.SPARK_COSINE_BANDS, config.SPARK_COSINE_ROWS)
    weights = 1 << np.arange(config.SPARK_COSINE_ROWS, dtype=np.int64)
    bands = np.arange(config.SPARK_COSINE_BANDS, dtype=np.int64) << config.SPARK_COSINE_ROWS
    return (bits * weights).sum(axis=2) + bands


def _prepare(clean: bool) -> Any:
    def run(
        part: Iterable[tuple[int, Article]],
    ) -> Iterator[tuple[int, Article, bytes, list[str], list[int]]]:
        from samestory.index.entities import entity_keys
        from samestory.index.vectors import embed_leads
        from samestory.pipeline import process
        from samestory.understand import understand

        planes = _planes()
        stream = iter(part)
        while chunk := list(islice(stream, config.STORY_BATCH)):
            done = [process(a) if clean else understand(a) for _, a in chunk]  # as ingest's default process
            vectors = embed_leads(done)
            keys = _cosine_keys(vectors, planes)
            for (order, _), article, vector, k in zip(chunk, done, vectors, keys):
                yield order, article, vector.astype(np.float32).tobytes(), entity_keys(article), k.tolist()

    return run


def _cosine(a: bytes, b: bytes) -> float:
    """The title+lead cosine of two float32 unit vectors, rounded as the embedded candidates are."""
    return round(float(np.frombuffer(a, np.float32) @ np.frombuffer(b, np.float32)), 4)


class _Earlier:
    """What `Clusterer.decide` reads of its clusterer: the earlier articles of one article's candidates."""

    max_compares = config.STORY_MAX_COMPARES

    def __init__(self, earlier: dict[int, Article]) -> None:
        self.earlier = earlier

    def _article(self, seq: int) -> Article | None:
        return self.earlier.get(seq)


def _decide(rows: Iterable[Any]) -> Iterator[tuple[int, int]]:
    """The pairs (later, earlier) joined by `Clusterer.decide` on each later article's candidates; `rows` are
    grouped by later article (src), its candidates in the clusterer's order."""
    from samestory.stories.cluster import Clusterer, Match

    for src, group in groupby(rows, key=lambda r: r.src):
        pairs = list(group)
        later = Article.from_dict(json.loads(pairs[0].l_article))
        earlier = {r.dst: Article.from_dict(json.loads(r.e_article)) for r in pairs}
        found = [Match(seq=r.dst, story_id=r.dst, cosine=r.cosine, shared_entities=r.shared) for r in pairs]
        Clusterer.decide(_Earlier(earlier), later, found)  # type: ignore[arg-type]
        yield from ((src, m.seq) for m in found if m.joined)


def _pairs(info: DataFrame, column: str) -> DataFrame:
    """(a, b, n): a < b, the articles sharing n values of an array column."""
    exploded = info.select("order", F.explode(column).alias("value"))
    x, y = exploded.alias("x"), exploded.alias("y")
    return (
        x.join(y, (F.col("x.value") == F.col("y.value")) & (F.col("x.order") < F.col("y.order")))
        .groupBy(F.col("x.order").alias("a"), F.col("y.order").alias("b"))
        .agg(F.count("*").alias("n"))
    )


def candidates(info: DataFrame, near: DataFrame) -> DataFrame:
    """Candidate pairs (src later, dst earlier in publication order) inside the time window: the number of
    shared entities, whether they are near-duplicates, their title+lead cosine, and the earlier one's rank in
    publication order (`dst_rank`)."""
    ordered = near.select(F.least("src", "dst").alias("a"), F.greatest("src", "dst").alias("b"))
    pairs = (
        _pairs(info, "entities")
        .withColumnRenamed("n", "shared")
        .join(_pairs(info, "cosine_keys").select("a", "b"), ["a", "b"], "full")
        .join(ordered.withColumn("near", F.lit(True)), ["a", "b"], "full")
        .select(
            "a",
            "b",
            F.coalesce("shared", F.lit(0)).alias("shared"),
            F.coalesce("near", F.lit(False)).alias("near"),
        )
    )
    side = info.select("order", "published", "vector")
    a = side.select(*(F.col(c).alias(f"a_{c}") for c in side.columns))
    b = side.select(*(F.col(c).alias(f"b_{c}") for c in side.columns))
    joined = pairs.join(a, pairs.a == a.a_order).join(b, pairs.b == b.b_order)
    window = config.STORY_WINDOW_DAYS * 86400.0
    joined = joined.where(
        F.col("a_published").isNull()
        | F.col("b_published").isNull()
        | (F.abs(F.col("a_published") - F.col("b_published")) <= window)
    )

    def rank(p: str) -> Any:  # publication order, as ingest sorts: dated first, by date, then input order
        return F.struct(
            F.col(f"{p}_published").isNull().alias("undated"),
            F.coalesce(f"{p}_published", F.lit(0.0)).alias("at"),
            F.col(f"{p}_order").alias("order"),
        )

    a_later = rank("a") > rank("b")
    return joined.select(
        F.when(a_later, F.col("a")).otherwise(F.col("b")).alias("src"),
        F.when(a_later, F.col("b")).otherwise(F.col("a")).alias("dst"),
        "shared",
        "near",
        F.udf(_cosine, T.DoubleType())("a_vector", "b_vector").alias("cosine"),
        F.when(a_later, rank("b")).otherwise(rank("a")).alias("dst_rank"),
    )


def joined_pairs(info: DataFrame, pairs: DataFrame) -> DataFrame:
    """(src, dst): the candidate pairs whose later article joins the earlier's story."""
    copy = F.col("near") | (F.col("cosine") >= config.STORY_ACCEPT_COSINE)
    copies = pairs.where(copy).select("src", "dst")
    rest = pairs.where(~copy).join(copies.select("src").distinct(), "src", "left_anti")
    # decide() drops these without reading the articles: drop them before the articles are joined on
    rest = rest.where(
        (F.col("cosine") >= config.STORY_MIN_COSINE)
        | (
            (F.col("shared") >= config.STORY_ENTITY_MIN_SHARED)
            & (F.col("cosine") >= config.STORY_ENTITY_MIN_COSINE)
        )
    )
    text = info.select("order", "article")
    rest = rest.join(text.toDF("src", "l_article"), "src").join(text.toDF("dst", "e_article"), "dst")
    ranked = rest.repartition("src").sortWithinPartitions(
        "src", (F.col("cosine") + config.STORY_ENTITY_BONUS * F.col("shared")).desc(), "dst_rank"
    )
    decided = ranked.sparkSession.createDataFrame(ranked.rdd.mapPartitions(_decide), "src long, dst long")
    return copies.union(decided)


def spark_stories(
    spark: SparkSession, source: str | RDD[tuple[int, Article]], output: str | None, *, clean: bool = True
) -> DataFrame:
    """Stories of the articles at `source` (a JSONL or Parquet path, or an RDD of (input order, Article)),
    written to `output` as Parquet when given; returns the DataFrame (id, story, published, size, order)."""
    rdd = read_articles(spark, source) if isinstance(source, str) else source
    prepared = rdd.mapPartitions(_prepare(clean)).persist(StorageLevel.MEMORY_AND_DISK)
    sk = sketches(
        prepared.map(lambda x: (x[0], x[1])),
        spark,
        threshold=config.DEDUP_THRESHOLD,
        shingle=config.MINHASH_SHINGLE,
        clean=False,
    ).localCheckpoint()
    near = matches(spark, sk, config.DEDUP_THRESHOLD, verify=False)
    info_rows = prepared.map(
        lambda x: (
            x[0],
            x[1].id,
            x[1].published.timestamp() if x[1].published else None,
            x[2],
            x[3],
            x[4],
            json.dumps(x[1].to_dict(), ensure_ascii=False),
        )
    )
    info = spark.createDataFrame(info_rows, _INFO_SCHEMA)
    first = info.groupBy("id").agg(F.min("order").alias("order"))
    info = info.join(first, ["id", "order"], "left_semi").localCheckpoint()
    prepared.unpersist()
    joined = joined_pairs(info, candidates(info, near))
    labels = connected_components(joined.localCheckpoint())
    meta = info.select("order", "id", "published")
    members = meta.join(labels, meta.order == labels.node, "left").select(
        "order", "id", "published", F.coalesce("component", "order").alias("component")
    )
    rank = F.struct(
        F.col("published").isNull(),
        F.coalesce("published", F.lit(0.0)),
        F.col("order"),
        F.col("id").alias("id"),
    )
    earliest = members.groupBy("component").agg(
        F.min(rank).getField("id").alias("story"), F.count("*").alias("size")
    )
    out = members.join(earliest, "component").select(
        "id", "story", F.timestamp_seconds("published").alias("published"), "size", "order"
    )
    if output is not None:
        out.drop("order").write.mode("overwrite").parquet(output)
        log.info("stories written to %s", output)
    return out
