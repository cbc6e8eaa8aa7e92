"""Near-duplicate groups on Spark, equal to `samestory.dedup.find_duplicates` on the same articles.

    samestory spark dedup articles.jsonl groups.parquet --master local[2] --threshold 0.8

1. mapPartitions: read, clean and sketch each batch with `samestory.index.minhash.sketch` (the signatures,
   the LSH band keys of `lsh_params(threshold)`, the shingle hashes) - the embedded code, unchanged;
2. later copies of an id and articles without words are dropped (as MinHashIndex.add does);
3. Spark explodes the rows to (band, key, order) and self-joins them on key: the candidate pairs;
4. mapPartitions: the same decision as MinHashIndex (estimated Jaccard, checked exactly on the shingle sets
   within MINHASH_VERIFY_MARGIN of the threshold);
5. connected components of the kept pairs (`components.connected_components`);
6. each group's earliest article (dated before undated, then by date, then input order) and each member's
   estimated and verified Jaccard to it, as `find_duplicates` reports them.

Output (Parquet): id, group (the earliest article's id), estimated, verified, published, size, one row per
article in a group of two or more.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any

import numpy as np
from pyspark import RDD
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from samestory import config
from samestory.article import Article, timestamp
from samestory.index.minhash import AcceptRule, estimate, jaccard, lsh_params, sketch
from samestory.spark.components import connected_components
from samestory.spark.session import articles as read_articles
from samestory.spark.session import cleaner

log = logging.getLogger(__name__)

__all__ = ["candidates", "sketches", "spark_dedup"]

SKETCH_SCHEMA = T.StructType(
    [
        T.StructField("order", T.LongType(), False),
        T.StructField("id", T.StringType(), False),
        T.StructField("published", T.DoubleType(), True),  # seconds since the epoch, null when undated
        T.StructField("signature", T.BinaryType(), False),  # uint16 per permutation
        T.StructField("shingles", T.BinaryType(), False),  # sorted distinct uint32 shingle hashes
        T.StructField("keys", T.ArrayType(T.LongType(), False), False),  # one LSH key per band
    ]
)
_PAIR_SCHEMA = T.StructType(
    [
        T.StructField("src", T.LongType(), False),
        T.StructField("dst", T.LongType(), False),
        T.StructField("estimated", T.DoubleType(), False),
        T.StructField("verified", T.DoubleType(), True),
    ]
)


def sketches(
    rdd: RDD[tuple[int, Article]], spark: SparkSession, *, threshold: float, shingle: int, clean: bool = True
) -> DataFrame:
    """One SKETCH_SCHEMA row per article with words (cleaned first when `clean`), the first of each id in
    input order."""
    num_perm, seed, batch = config.MINHASH_NUM_PERM, config.MINHASH_SEED, config.MINHASH_BATCH
    lsh = lsh_params(threshold, num_perm, config.MINHASH_FN_WEIGHT)

    def run(part: Iterable[tuple[int, Article]]) -> Iterator[tuple[Any, ...]]:
        from samestory.index.minhash import distinct

        cleaning = cleaner() if clean else None
        stream = iter(part) if cleaning is None else ((o, cleaning(a)) for o, a in part)
        while chunk := list(islice(stream, batch)):
            sk = sketch(
                [a.text for _, a in chunk],
                shingle=shingle,
                num_perm=num_perm,
                seed=seed,
                keep_shingles=True,
                lsh=lsh,
            )
            assert sk.keys is not None and sk.shingles is not None
            for i, (order, article) in enumerate(chunk):
                if sk.empty[i]:
                    continue
                shingles = sk.shingles_of(i)
                published = timestamp(article.published)
                yield (
                    order,
                    article.id,
                    published,
                    sk.signatures[i].tobytes(),
                    distinct(shingles).tobytes(),
                    sk.keys[i].tolist(),
                )

    rows = spark.createDataFrame(rdd.mapPartitions(run), SKETCH_SCHEMA)
    first = rows.groupBy("id").agg(F.min("order").alias("order"))
    return rows.join(first, ["id", "order"], "left_semi")


def candidates(sk: DataFrame) -> DataFrame:
    """Distinct (src, dst) orders, src > dst, of the articles sharing at least one LSH band key."""
    bands = sk.select("order", F.posexplode("keys").alias("band", "key"))
    a, b = bands.alias("a"), bands.alias("b")
    return (
        a.join(b, (F.col("a.key") == F.col("b.key")) & (F.col("a.order") > F.col("b.order")))
        .select(F.col("a.order").alias("src"), F.col("b.order").alias("dst"))
        .distinct()
    )


def _with_sketches(pairs: DataFrame, sk: DataFrame, *extra: str) -> DataFrame:
    """Pairs (src, dst, extra...) with both articles' signatures and shingle sets."""
    side = sk.select("order", "signature", "shingles")
    s = side.select(*(F.col(c).alias(f"s_{c}") for c in side.columns))
    d = side.select(*(F.col(c).alias(f"d_{c}") for c in side.columns))
    return (
        pairs.join(s, pairs.src == s.s_order)
        .join(d, pairs.dst == d.d_order)
        .select("src", "dst", *extra, "s_signature", "s_shingles", "d_signature", "d_shingles")
    )


def _decide(threshold: float, verify: bool) -> Any:
    """The mapPartitions function keeping the pairs MinHashIndex.add keeps, with its estimate and check
    (`verify`: as an index with keep_shingles=True, the dedup stage's; else on the estimate alone, as the
    stories' index)."""
    rule = AcceptRule(threshold)

    def run(rows: Iterable[Any]) -> Iterator[tuple[int, int, float, float | None]]:
        for r in rows:
            estimated = float(estimate(np.frombuffer(r.s_signature, np.uint16), np.frombuffer(r.d_signature, np.uint16)))
            if not rule.plausible(estimated):
                continue
            verified = None
            if verify and rule.needs_check(estimated):
                verified = jaccard(
                    np.frombuffer(r.s_shingles, np.uint32),
                    np.frombuffer(r.d_shingles, np.uint32),
                    prepared=True,
                )
            if rule.accepts(estimated, math.nan if verified is None else verified):
                yield r.src, r.dst, round(estimated, 4), None if verified is None else round(verified, 4)

    return run


def _to_earliest(rows: Iterable[Any]) -> Iterator[tuple[int, float, float]]:
    """Each member's estimated and exact Jaccard to its group's earliest article (as find_duplicates)."""
    for r in rows:
        if r.src == r.dst:
            yield r.src, 1.0, 1.0
            continue
        a, b = np.frombuffer(r.s_signature, np.uint16), np.frombuffer(r.d_signature, np.uint16)
        exact = jaccard(
            np.frombuffer(r.s_shingles, np.uint32), np.frombuffer(r.d_shingles, np.uint32), prepared=True
        )
        yield r.src, round(float(estimate(a, b)), 4), round(exact, 4)


def groups(spark: SparkSession, sk: DataFrame, labels: DataFrame) -> DataFrame:
    """Output rows (id, group, estimated, verified, published, size) from the components of `labels`
    (node, component): the group is named by its earliest member, as in find_duplicates."""
    meta = sk.select("order", "id", "published")
    members = labels.join(meta, labels.node == meta.order).select("order", "id", "published", "component")
    rank = F.struct(
        F.col("published").isNull().alias("undated"),
        F.coalesce("published", F.lit(0.0)).alias("when"),
        F.col("order").alias("order"),
    )
    earliest = members.groupBy("component").agg(
        F.min(rank).getField("order").alias("first"), F.count("*").alias("size")
    )
    pairs = members.join(earliest, "component").select(
        F.col("order").alias("src"), F.col("first").alias("dst")
    )
    scored = spark.createDataFrame(
        _with_sketches(pairs, sk).rdd.mapPartitions(_to_earliest),
        "order long, estimated double, verified double",
    )
    first_id = meta.select(F.col("order").alias("first"), F.col("id").alias("group"))
    return (
        members.join(earliest, "component")
        .join(first_id, "first")
        .join(scored, "order")
        .select(
            "id",
            "group",
            "estimated",
            "verified",
            F.timestamp_seconds("published").alias("published"),
            "size",
            "order",
        )
    )


def matches(spark: SparkSession, sk: DataFrame, threshold: float, *, verify: bool = True) -> DataFrame:
    """The kept pairs (src, dst, estimated, verified) among the candidates of `sk`."""
    pairs = _with_sketches(candidates(sk), sk)
    return spark.createDataFrame(pairs.rdd.mapPartitions(_decide(threshold, verify)), _PAIR_SCHEMA)


def spark_dedup(
    spark: SparkSession,
    source: str | RDD[tuple[int, Article]],
    output: str | None,
    *,
    threshold: float = config.DEDUP_THRESHOLD,
    shingle: int = config.MINHASH_SHINGLE,
    clean: bool = True,
) -> DataFrame:
    """Near-duplicate groups of the articles at `source` (a JSONL or Parquet path, or an RDD of (input order,
    Article)), written to `output` as Parquet when given; returns the groups DataFrame (with each member's input
    order)."""
    rdd = read_articles(spark, source) if isinstance(source, str) else source
    sk = sketches(rdd, spark, threshold=threshold, shingle=shingle, clean=clean).localCheckpoint()
    kept = matches(spark, sk, threshold).localCheckpoint()
    labels = connected_components(kept.select("src", "dst"))
    out = groups(spark, sk, labels)
    if output is not None:
        out.drop("order").write.mode("overwrite").parquet(output)
        log.info("near-duplicate groups written to %s", output)
    return out
