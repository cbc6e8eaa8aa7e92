"""Stories on Spark: the embedded clustering's candidates and decision, then connected components.

    samestory spark stories articles.jsonl stories.parquet --master local[2]

1. mapPartitions: process each article as `samestory.stories.ingest` does (`samestory.pipeline.process`:
   clean + understand, entities included; the title+lead embedding), and sketch it for the near-duplicate
   index;
2. candidates, per time block: the articles are grouped by block of STORY_WINDOW_DAYS (each block with the
   one before it), and in each block every article finds its earlier neighbours inside the window as the
   embedded clusterer does: the STORY_KNN nearest title+lead vectors (exact, one numpy product a block) and
   the STORY_ENTITY_CANDIDATES articles sharing the most entities (the most recent STORY_ENTITY_POSTINGS of
   each entity); plus near-duplicates (the dedup stage's LSH join and decision), in Spark. Each pair is
   oriented later -> earlier in publication order, as ingest feeds them;
3. copies, in Spark: a pair of near-duplicates, reusing text (estimated word-shingle Jaccard of the two
   MinHash signatures >= STORY_REUSE_JACCARD) or at title+lead cosine >= STORY_ACCEPT_COSINE joins, and its
   later article (a copy) joins nothing else: its other pairs are dropped (`Clusterer.decide`, rule 1);
4. mapPartitions, the other pairs grouped by their later article: `Clusterer.decide` on all of its
   candidates at once, the most similar first, so the gate, STORY_MAX_COMPARES and the candidate order are
   the online clusterer's;
5. connected components of the joined pairs; a story is named by its earliest article.

What still differs from the online clusterer: its kNN is approximate (hnswlib) and looks at every earlier
article before the window filter, where a block looks at the window only; and "one match per story": stories
are only known at the end here, so each candidate counts as its own story (a second candidate of a story
already joined may use a compare() call that ingest would skip). Undated articles are in every article's
window, so they are matched against the whole corpus in one group (meant for a few). Output
(Parquet): id, story (the earliest article's id), published, size, and the evidence of the strongest pair
the article joined (null for a story's first article): joined (the earlier article's id), via
(near_duplicate, text_reuse, title_lead or compare), cosine (title+lead), relation and overall (compare()'s,
when it decided).
"""

from __future__ import annotations

import json
import logging
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from itertools import groupby, islice
from typing import Any

import numpy as np
from pyspark import RDD, StorageLevel
from pyspark.sql import DataFrame, SparkSession, Window
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
        T.StructField("article", T.StringType(), False),  # Article.to_dict() as JSON, for compare()
    ]
)


def _prepare(clean: bool) -> Any:
    def run(
        part: Iterable[tuple[int, Article]],
    ) -> Iterator[tuple[int, Article, bytes, list[str]]]:
        from samestory.index.entities import entity_keys
        from samestory.index.vectors import embed_leads
        from samestory.pipeline import process
        from samestory.understand import understand

        stream = iter(part)
        while chunk := list(islice(stream, config.STORY_BATCH)):
            done = [process(a) if clean else understand(a) for _, a in chunk]  # as ingest's default process
            vectors = embed_leads(done)
            for (order, _), article, vector in zip(chunk, done, vectors):
                yield order, article, vector.astype(np.float32).tobytes(), entity_keys(article)

    return run


def _jaccard(a: bytes | None, b: bytes | None) -> float | None:
    """The estimated Jaccard similarity of two MinHash signatures, rounded as the embedded candidates' are;
    None when either article has no words (no signature)."""
    if a is None or b is None:
        return None
    return round(float((np.frombuffer(a, np.uint16) == np.frombuffer(b, np.uint16)).mean()), 4)


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


def _decide(rows: Iterable[Any]) -> Iterator[tuple[int, int, float, str | None, float | None]]:
    """The pairs (later, earlier, cosine, compare()'s relation and Overall) joined by `Clusterer.decide` on
    each later article's candidates; `rows` are grouped by later article (src), its candidates in the
    clusterer's order."""
    from samestory.stories.cluster import Clusterer, Match

    for src, group in groupby(rows, key=lambda r: r.src):
        pairs = list(group)
        later = Article.from_dict(json.loads(pairs[0].l_article))
        earlier = {r.dst: Article.from_dict(json.loads(r.e_article)) for r in pairs}
        found = [Match(seq=r.dst, story_id=r.dst, cosine=r.cosine, shared_entities=r.shared) for r in pairs]
        Clusterer.decide(_Earlier(earlier), later, found)  # type: ignore[arg-type]
        yield from ((src, m.seq, m.cosine, m.relation, m.overall) for m in found if m.joined)


_UNDATED = -(2**62)  # the block of undated articles, which are in every article's window

_PAIR_SCHEMA = T.StructType(
    [
        T.StructField("src", T.LongType(), False),
        T.StructField("dst", T.LongType(), False),
        T.StructField("shared", T.LongType(), False),
        T.StructField("cosine", T.DoubleType(), False),
        T.StructField("near", T.BooleanType(), False),
    ]
)


def _rank(order: int, published: float | None) -> tuple[bool, float, int]:
    """Publication order, as ingest sorts: dated first, by date, then input order."""
    return published is None, published or 0.0, order


def _rank_column(prefix: str = "") -> Any:
    """`_rank` as a Spark column, of the columns `{prefix}order` and `{prefix}published`."""
    return F.struct(
        F.col(f"{prefix}published").isNull().alias("undated"),
        F.coalesce(f"{prefix}published", F.lit(0.0)).alias("at"),
        F.col(f"{prefix}order").alias("order"),
    )


def _blocks(window: float, undated: bool) -> Any:
    """(block, (order, published, vector, entities, query)): each dated article is a query in its block of
    `window` seconds and an earlier neighbour in the next one; with undated articles, every article is also
    in the undated block."""

    def run(row: Any) -> Iterator[tuple[int, tuple[Any, ...]]]:
        values = (row.order, row.published, row.vector, row.entities)
        if row.published is None:
            yield _UNDATED, (*values, True)
            return
        block = int(row.published // window)
        yield block, (*values, True)
        yield block + 1, (*values, False)
        if undated:
            yield _UNDATED, (*values, False)

    return run


def _neighbours(window: float) -> Any:
    """The candidate pairs of one block: each query's earlier articles inside the window, as the clusterer's
    `candidates()` finds them (the STORY_KNN nearest; the STORY_ENTITY_CANDIDATES sharing the most entities,
    at least STORY_ENTITY_MIN_SHARED, counted on each entity's STORY_ENTITY_POSTINGS most recent articles)."""

    def run(item: tuple[int, Iterable[tuple[Any, ...]]]) -> Iterator[tuple[int, int, int, float, bool]]:
        rows = sorted(item[1], key=lambda r: _rank(r[0], r[1]))
        orders, published, vectors, entities, is_query = zip(*rows)
        at = np.array([np.nan if p is None else p for p in published])
        matrix = np.stack([np.frombuffer(v, np.float32) for v in vectors])
        postings: dict[str, list[int]] = {}
        for i, keys in enumerate(entities):
            for key in keys:
                postings.setdefault(key, []).append(i)
        queries = [i for i, query in enumerate(is_query) if query]
        for start in range(0, len(queries), 512):
            chunk = queries[start : start + 512]
            sims = matrix[chunk] @ matrix.T
            for q, sim in zip(chunk, sims):
                far = np.abs(at[:q] - at[q]) > window  # NaN (undated) compares False: in the window
                inside = np.flatnonzero(~far)
                if len(inside) > config.STORY_KNN:
                    inside = inside[np.argpartition(-sim[inside], config.STORY_KNN)[: config.STORY_KNN]]
                found = {int(j): [0, round(float(sim[j]), 4)] for j in inside}
                shared: dict[int, int] = {}
                for key in entities[q]:
                    earlier = postings[key][: bisect_left(postings[key], q)]
                    for j in earlier[-config.STORY_ENTITY_POSTINGS :]:
                        shared[j] = shared.get(j, 0) + 1
                best = sorted(
                    ((j, n) for j, n in shared.items() if n >= config.STORY_ENTITY_MIN_SHARED and not far[j]),
                    key=lambda jn: (-jn[1], -jn[0]),
                )[: config.STORY_ENTITY_CANDIDATES]
                for j, n in best:
                    found.setdefault(j, [0, round(float(sim[j]), 4)])[0] = n
                for j, (n, cosine) in found.items():
                    yield orders[q], orders[j], n, cosine, False

    return run


def candidates(info: DataFrame, near: DataFrame) -> DataFrame:
    """Candidate pairs (src later, dst earlier in publication order) inside the time window: the number of
    shared entities, whether they are near-duplicates, their title+lead cosine, and the earlier one's rank in
    publication order (`dst_rank`)."""
    spark = info.sparkSession
    window = config.STORY_WINDOW_DAYS * 86400.0
    undated = not info.where(F.col("published").isNull()).isEmpty()
    side = info.select("order", "published", "vector", "entities")
    blocks = side.rdd.flatMap(_blocks(window, undated)).groupByKey().flatMap(_neighbours(window))
    pairs = spark.createDataFrame(blocks, _PAIR_SCHEMA)

    ordered = near.select(F.least("src", "dst").alias("a"), F.greatest("src", "dst").alias("b"))
    a = side.select(*(F.col(c).alias(f"a_{c}") for c in side.columns))
    b = side.select(*(F.col(c).alias(f"b_{c}") for c in side.columns))
    near_pairs = ordered.join(a, ordered.a == a.a_order).join(b, ordered.b == b.b_order)
    near_pairs = near_pairs.where(
        F.col("a_published").isNull()
        | F.col("b_published").isNull()
        | (F.abs(F.col("a_published") - F.col("b_published")) <= window)
    )

    a_later = _rank_column("a_") > _rank_column("b_")
    near_pairs = near_pairs.select(
        F.when(a_later, F.col("a")).otherwise(F.col("b")).alias("src"),
        F.when(a_later, F.col("b")).otherwise(F.col("a")).alias("dst"),
        F.lit(0).cast("long").alias("shared"),
        F.udf(_cosine, T.DoubleType())("a_vector", "b_vector").alias("cosine"),
        F.lit(True).alias("near"),
    )
    merged = (
        pairs.unionByName(near_pairs)
        .groupBy("src", "dst")
        .agg(F.max("shared").alias("shared"), F.max("near").alias("near"), F.max("cosine").alias("cosine"))
    )
    dst = side.select(F.col("order").alias("dst"), _rank_column().alias("dst_rank"))
    return merged.join(dst, "dst").select("src", "dst", "shared", "near", "cosine", "dst_rank")


def with_reuse(pairs: DataFrame, sk: DataFrame) -> DataFrame:
    """The candidate pairs with `jaccard`, the estimated word-shingle Jaccard similarity of their MinHash
    signatures (`sk`: one sketch row per article), null where an article has none."""
    signature = sk.select("order", "signature")
    return (
        pairs.join(signature.toDF("src", "src_signature"), "src", "left")
        .join(signature.toDF("dst", "dst_signature"), "dst", "left")
        .withColumn("jaccard", F.udf(_jaccard, T.DoubleType())("src_signature", "dst_signature"))
        .drop("src_signature", "dst_signature")
    )


def joined_pairs(info: DataFrame, pairs: DataFrame) -> DataFrame:
    """The candidate pairs whose later article (src) joins the earlier's (dst) story, with the evidence: `via`
    (near_duplicate, text_reuse: a `jaccard` >= STORY_REUSE_JACCARD, title_lead: a cosine >=
    STORY_ACCEPT_COSINE, or compare), the title+lead `cosine`, and compare()'s `relation` and `overall` when it
    decided."""
    reused = F.coalesce(F.col("jaccard") >= config.STORY_REUSE_JACCARD, F.lit(False))
    copy = F.col("near") | reused | (F.col("cosine") >= config.STORY_ACCEPT_COSINE)
    copies = pairs.where(copy).select(
        "src",
        "dst",
        F.when(F.col("near"), "near_duplicate").when(reused, "text_reuse").otherwise("title_lead").alias("via"),
        "cosine",
        F.lit(None).cast("string").alias("relation"),
        F.lit(None).cast("double").alias("overall"),
    )
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
    decided = ranked.sparkSession.createDataFrame(
        ranked.rdd.mapPartitions(_decide), "src long, dst long, cosine double, relation string, overall double"
    )
    return copies.unionByName(decided.withColumn("via", F.lit("compare")))


def spark_stories(
    spark: SparkSession, source: str | RDD[tuple[int, Article]], output: str | None, *, clean: bool = True
) -> DataFrame:
    """Stories of the articles at `source` (a JSONL or Parquet path, or an RDD of (input order, Article)),
    written to `output` as Parquet when given; returns the DataFrame (id, story, published, size, the evidence
    of `joined_pairs` for the strongest pair it joined: joined (that earlier article's id), via, cosine,
    relation, overall; and order)."""
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
            json.dumps(x[1].to_dict(), ensure_ascii=False),
        )
    )
    info = spark.createDataFrame(info_rows, _INFO_SCHEMA)
    first = info.groupBy("id").agg(F.min("order").alias("order"))
    info = info.join(first, ["id", "order"], "left_semi").localCheckpoint()
    prepared.unpersist()
    joined = joined_pairs(info, with_reuse(candidates(info, near), sk))
    joined = joined.localCheckpoint()
    labels = connected_components(joined)
    meta = info.select("order", "id", "published")
    members = meta.join(labels, meta.order == labels.node, "left").select(
        "order", "id", "published", F.coalesce("component", "order").alias("component")
    )
    strongest = Window.partitionBy("src").orderBy(
        F.when(F.col("via") == "near_duplicate", 0)
        .when(F.col("via") == "text_reuse", 1)
        .when(F.col("via") == "title_lead", 2)
        .otherwise(3),
        F.col("cosine").desc(),
        "dst",
    )
    evidence = (
        joined.withColumn("n", F.row_number().over(strongest))
        .where(F.col("n") == 1)
        .join(meta.select(F.col("order").alias("dst"), F.col("id").alias("joined")), "dst")
        .select(F.col("src").alias("order"), "joined", "via", "cosine", "relation", "overall")
    )
    members = members.join(evidence, "order", "left")
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
        "id",
        "story",
        F.timestamp_seconds("published").alias("published"),
        "size",
        "joined",
        "via",
        "cosine",
        "relation",
        "overall",
        "order",
    )
    if output is not None:
        out.drop("order").write.mode("overwrite").parquet(output)
        log.info("stories written to %s", output)
    return out
