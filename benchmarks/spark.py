"""Near-duplicate groups on Spark (local mode) against the embedded pipeline, on the same planted corpus.

    .venv/bin/python benchmarks/spark.py --n 10000 --master 'local[2]'
    .venv/bin/python benchmarks/spark.py --n 100000

The corpus is benchmarks/dedup.py's (SemEval sentences, planted copies and rewrites), written to a JSONL
file. Both runs read that file and skip the clean stage (so the figure is the dedup itself): the embedded one
with samestory.read.Reader + find_duplicates, in one process; the Spark one with `spark_dedup` (JSONL in,
Parquet out) on a session started and warmed up beforehand (JVM start-up is not counted). Printed:
articles/s of each, the ratio, and whether the groups are the same.

    SAMESTORY_EMBED_THREADS=1 .venv/bin/python benchmarks/spark.py --stories 4

    SAMESTORY_EMBED_THREADS=1 .venv/bin/python benchmarks/spark.py --planted-stories --n 10000

`--planted-stories`: stories on benchmarks/ingest.py's planted stream of N articles (SemEval sentences, copies
verbatim, with boilerplate, cut, retitled, rewritten), as JSONL; the embedded run is `samestory.stories.ingest`
(Reader in, `default_workers()` worker processes) into a fresh SQLite store, the Spark one `spark_stories` on
the same file, on a session warmed up on 50 articles; printed: articles/s of each, pairwise agreement.

`--stories K`: stories instead, on the sample articles (examples/articles) and 1..K copies of each with 6% of
the words dropped; the embedded run is `samestory.stories.ingest` into a fresh SQLite store, the Spark one
`spark_stories`; printed: articles/s of each and their pairwise agreement.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import sqlite3
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))

from dedup import corpus, load_sentences

from samestory import config
from samestory.article import Article
from samestory.dedup import find_duplicates
from samestory.read import Reader
from samestory.spark import session, spark_dedup, spark_stories
from samestory.stories import ingest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "articles"


def stories(copies: int, master: str, partitions: int) -> None:
    """Time and compare the stories of the sample articles and their edited copies, embedded and on Spark."""
    rng = random.Random(5)
    samples = list(Reader().read(EXAMPLES))
    articles = list(samples)
    for a in samples:
        for c in range(rng.randint(1, copies)):
            kept = [w for w in a.text.replace("\n", " ").split(" ") if rng.random() > 0.06]
            when = a.published + timedelta(hours=rng.randint(1, 60)) if a.published else None
            articles.append(Article(id=f"{a.id}-c{c}", title=a.title, text=" ".join(kept), published=when))
    rng.shuffle(articles)
    n = len(articles)
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        ingest(articles, Path(tmp) / "stories.db")
        embedded_s = time.perf_counter() - t
        embedded = dict(
            sqlite3.connect(Path(tmp) / "stories.db").execute("SELECT id, story_id FROM articles")
        )
    print(f"embedded ingest: {n} articles, {embedded_s:.1f} s, {n / embedded_s:.1f} articles/s")
    spark = session(master, shuffle_partitions=partitions)
    spark.sparkContext.setLogLevel("ERROR")
    t = time.perf_counter()
    rdd = spark.sparkContext.parallelize(list(enumerate(articles)), 2)
    got = {r.id: r.story for r in spark_stories(spark, rdd, None).collect()}
    spark_s = time.perf_counter() - t
    spark.stop()
    pairs = list(itertools.combinations(sorted(got), 2))
    agree = sum((got[a] == got[b]) == (embedded[a] == embedded[b]) for a, b in pairs) / len(pairs)
    print(
        f"spark {master}: {spark_s:.1f} s (session start included), {n / spark_s:.1f} articles/s; "
        f"{len(set(got.values()))} stories; pairwise agreement {agree:.4f}"
    )


def same_together(a: dict[str, object], b: dict[str, object]) -> float:
    """Pairwise agreement of two labelings of the same ids, from their contingency table (no pair loop)."""
    from collections import Counter

    def together(counts: Counter[object]) -> int:
        return sum(c * (c - 1) // 2 for c in counts.values())

    ids = list(a)
    both = together(Counter((a[i], b[i]) for i in ids))
    apart = together(Counter(a[i] for i in ids)) + together(Counter(b[i] for i in ids)) - 2 * both
    return 1 - apart / (len(ids) * (len(ids) - 1) // 2)


def planted_stories(n: int, master: str, partitions: int) -> None:
    """Time and compare the stories of benchmarks/ingest.py's planted stream, embedded and on Spark."""
    from ingest import generate

    from samestory.stories.ingest import default_workers

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "articles.jsonl"
        generate(n, path)
        t = time.perf_counter()
        stats = ingest(Reader().read([str(path)]), Path(tmp) / "stories.db", workers=default_workers())
        embedded_s = time.perf_counter() - t
        embedded = dict(
            sqlite3.connect(Path(tmp) / "stories.db").execute("SELECT id, story_id FROM articles")
        )
        print(
            f"embedded ingest ({default_workers()} workers): {n} articles, {embedded_s:.1f} s, "
            f"{n / embedded_s:.1f} articles/s, {stats.new_stories} stories"
        )
        spark = session(master, shuffle_partitions=partitions)
        spark.sparkContext.setLogLevel("ERROR")
        warm = Path(tmp) / "warm.jsonl"
        warm.write_text("".join(path.read_text(encoding="utf-8").splitlines(keepends=True)[:50]))
        spark_stories(spark, str(warm), None).count()
        t = time.perf_counter()
        spark_stories(spark, str(path), str(Path(tmp) / "out"))
        spark_s = time.perf_counter() - t
        spark.stop()
        found = pl.read_parquet(Path(tmp) / "out" / "*.parquet")
        got = dict(zip(found["id"].to_list(), found["story"].to_list()))
    agree = same_together(got, embedded) if set(got) == set(embedded) else float("nan")
    print(
        f"spark {master}: {spark_s:.1f} s, {n / spark_s:.1f} articles/s "
        f"({spark_s / embedded_s:.1f}x the embedded time); {len(set(got.values()))} stories "
        f"(embedded {len(set(embedded.values()))}); pairwise agreement {agree:.5f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="articles in the corpus")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--partitions", type=int, default=8, help="spark.sql.shuffle.partitions")
    parser.add_argument("--threshold", type=float, default=config.DEDUP_THRESHOLD)
    parser.add_argument(
        "--stories", type=int, default=0, help="stories of the sample articles with 1..K copies"
    )
    parser.add_argument("--planted-stories", action="store_true", help="stories of N planted articles")
    args = parser.parse_args()
    if args.planted_stories:
        planted_stories(args.n, args.master, args.partitions)
        return
    if args.stories:
        stories(args.stories, args.master, args.partitions)
        return

    articles, _, _ = corpus(args.n, args.seed, load_sentences())
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "articles.jsonl"
        with path.open("w", encoding="utf-8") as f:
            for a in articles:
                f.write(json.dumps({"id": a.id, "text": a.text}, ensure_ascii=False) + "\n")
        print(f"corpus: {args.n} articles, {path.stat().st_size / 1e6:.0f} MB of JSONL")

        t = time.perf_counter()
        groups = find_duplicates(Reader().read(path), threshold=args.threshold)
        embedded_s = time.perf_counter() - t
        expected = {(g.earliest.id, m.id) for g in groups for m in g.members}
        print(f"embedded: {embedded_s:.1f} s, {args.n / embedded_s:,.0f} articles/s, {len(groups)} groups")

        spark = session(args.master, shuffle_partitions=args.partitions)
        spark.sparkContext.setLogLevel("ERROR")
        warm = Path(tmp) / "warm.jsonl"
        warm.write_text("".join(json.dumps({"id": a.id, "text": a.text}) + "\n" for a in articles[:200]))
        spark_dedup(spark, str(warm), str(Path(tmp) / "warm-out"), threshold=args.threshold, clean=False)
        t = time.perf_counter()
        spark_dedup(spark, str(path), str(Path(tmp) / "out"), threshold=args.threshold, clean=False)
        spark_s = time.perf_counter() - t
        found = pl.read_parquet(Path(tmp) / "out" / "*.parquet")
        got = set(zip(found["group"].to_list(), found["id"].to_list()))
        spark.stop()
    print(
        f"spark {args.master}: {spark_s:.1f} s, {args.n / spark_s:,.0f} articles/s "
        f"({spark_s / embedded_s:.1f}x the embedded time); same groups: {got == expected}"
    )


if __name__ == "__main__":
    main()
