"""samestory on Spark (samestory.spark): the same groups as the embedded pipeline, on pyspark in local mode."""

from __future__ import annotations

import copy
import itertools
import json
import random
import sqlite3
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from samestory.article import Article
from samestory.clean import clean
from samestory.dedup import find_duplicates
from samestory.read import Reader
from samestory.stories import ingest
from samestory.stories.ingest import default_workers

pyspark = pytest.importorskip("pyspark")

from samestory.spark import session, spark_dedup, spark_stories  # noqa: E402 -- after the pyspark check
from samestory.spark.components import connected_components  # noqa: E402

pytestmark = pytest.mark.xdist_group("spark")

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "articles"
T0 = datetime(2024, 3, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def spark():  # type: ignore[no-untyped-def]
    s = session("local[2]", shuffle_partitions=4)
    s.sparkContext.setLogLevel("ERROR")
    yield s
    s.stop()


def embedded(
    articles: list[Article], threshold: float, cleaned: bool
) -> set[tuple[str, str, float, float | None]]:
    """(group, member, estimated, verified) of find_duplicates, as the embedded `samestory dedup` runs it."""
    groups = find_duplicates(map(clean, articles) if cleaned else articles, threshold=threshold)
    return {(g.earliest.id, m.id, m.estimated, m.verified) for g in groups for m in g.members}


def rows(found: list) -> set[tuple[str, str, float, float | None]]:  # type: ignore[type-arg]
    return {(r["group"], r["id"], r["estimated"], r["verified"]) for r in found}


def corpus(n_stories: int, seed: int = 7) -> list[Article]:
    """Stories of random words with planted copies: light and heavy edits around the threshold, chains (a
    copy of a copy), undated articles, a repeated id and an empty text, in shuffled order."""
    rng = random.Random(seed)
    vocab = [f"w{i}" for i in range(3000)]
    out: list[Article] = []
    for s in range(n_stories):
        base = [rng.choice(vocab) for _ in range(rng.randint(60, 250))]
        when = T0 + timedelta(hours=rng.randint(0, 2000))
        out.append(Article(id=f"s{s}", text=" ".join(base), published=when))
        text = base
        for c in range(rng.choice([0, 0, 1, 2, 3])):
            edits = rng.choice([0.0, 0.02, 0.05, 0.08, 0.12, 0.2])
            text = [rng.choice(vocab) if rng.random() < edits else w for w in text]
            dated = rng.random() < 0.8
            out.append(
                Article(
                    id=f"s{s}c{c}",
                    text=" ".join(text),
                    published=when + timedelta(hours=rng.randint(-5, 50)) if dated else None,
                )
            )
    out.append(Article(id="s0", text="a repeated id is indexed once"))
    out.append(Article(id="empty", text="... !!!"))
    rng.shuffle(out)
    return out


def test_components_match_union_find(spark) -> None:  # type: ignore[no-untyped-def]
    edges = [(1, 2), (2, 3), (10, 11), (5, 3), (20, 21), (21, 22), (22, 23), (23, 24), (30, 31)]
    df = spark.createDataFrame(edges, "src long, dst long")
    got = {r.node: r.component for r in connected_components(df).collect()}
    assert got == {
        1: 1,
        2: 1,
        3: 1,
        5: 1,
        10: 10,
        11: 10,
        20: 20,
        21: 20,
        22: 20,
        23: 20,
        24: 20,
        30: 30,
        31: 30,
    }


def test_dedup_generated_corpus_equals_find_duplicates(spark) -> None:  # type: ignore[no-untyped-def]
    articles = corpus(1500)
    assert len(articles) > 2500
    rdd = spark.sparkContext.parallelize(list(enumerate(articles)), 4)
    found = spark_dedup(spark, rdd, None, threshold=0.8, clean=False).collect()
    expected = embedded(articles, 0.8, cleaned=False)
    assert len({g for g, *_ in expected}) > 300  # many groups, some of them chains
    assert rows(r.asDict() for r in found) == expected
    assert not any(r.id in ("empty",) for r in found)


@pytest.mark.parametrize("threshold", [0.2, 0.5])
def test_dedup_examples_from_jsonl_and_parquet(spark, tmp_path: Path, threshold: float) -> None:  # type: ignore[no-untyped-def]
    articles = list(Reader().read(EXAMPLES))
    expected = embedded(articles, threshold, cleaned=True)
    if threshold == 0.2:
        assert len(expected) >= 10
    jsonl = tmp_path / "articles.jsonl"
    with jsonl.open("w") as f:
        for a in articles:
            f.write(
                json.dumps(
                    {
                        "id": a.id,
                        "title": a.title,
                        "text": a.text,
                        "url": a.url,
                        "published": a.published.isoformat() if a.published else None,
                    }
                )
                + "\n"
            )
    spark_dedup(spark, str(jsonl), str(tmp_path / "from-jsonl"), threshold=threshold)
    assert rows(pl.read_parquet(tmp_path / "from-jsonl" / "*.parquet").to_dicts()) == expected
    as_parquet = spark.read.json(str(jsonl)).withColumn(
        "published", pyspark.sql.functions.to_timestamp("published")
    )
    as_parquet.write.parquet(str(tmp_path / "articles.parquet"))  # published as a Parquet timestamp
    spark_dedup(
        spark, str(tmp_path / "articles.parquet"), str(tmp_path / "from-parquet"), threshold=threshold
    )
    found = pl.read_parquet(tmp_path / "from-parquet" / "*.parquet").to_dicts()
    assert rows(found) == expected
    published = {a.id: a.published for a in articles}
    for r in found:  # the same instant, whatever the session's time zone
        assert r["published"].replace(tzinfo=r["published"].tzinfo or UTC) == published[r["id"]]


def test_cli_spark_dedup(tmp_path: Path) -> None:
    articles = corpus(40, seed=3)
    jsonl = tmp_path / "in.jsonl"
    jsonl.write_text(
        "".join(json.dumps({"id": a.id, "text": a.text}) + "\n" for a in articles) + "not json\n"
    )
    done = subprocess.run(
        [
            str(Path(sys.executable).parent / "samestory"),
            "spark",
            "dedup",
            str(jsonl),
            str(tmp_path / "out"),
            "--master",
            "local[1]",
            "--threshold",
            "0.7",
        ],
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    got = rows(pl.read_parquet(tmp_path / "out" / "*.parquet").to_dicts())
    undated = [Article(id=a.id, text=a.text) for a in articles]
    assert got == embedded(undated, 0.7, cleaned=True)
    assert got


def edited_copies(articles: list[Article], seed: int = 5) -> list[Article]:
    """1-4 copies of each article, 6% of the words dropped, published 1-60 hours later."""
    rng = random.Random(seed)
    out = []
    for a in articles:
        for c in range(rng.randint(1, 4)):
            kept = [w for w in a.text.replace("\n", " ").split(" ") if rng.random() > 0.06]
            when = a.published + timedelta(hours=rng.randint(1, 60)) if a.published else None
            out.append(Article(id=f"{a.id}-c{c}", title=a.title, text=" ".join(kept), published=when))
    return out


def agreement(a: dict[str, str], b: dict[str, object], ids: list[str]) -> float:
    """Pairwise agreement: the share of pairs of `ids` that both put together, or both apart."""
    pairs = list(itertools.combinations(sorted(ids), 2))
    return sum((a[x] == a[y]) == (b[x] == b[y]) for x, y in pairs) / len(pairs)


def test_stories_agree_with_embedded_ingest(spark, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    samples = list(Reader().read(EXAMPLES))
    articles = samples + edited_copies(samples)
    random.Random(1).shuffle(articles)
    assert len(articles) > 100
    db = tmp_path / "stories.db"
    ingest(articles, db)
    embedded_story = dict(sqlite3.connect(db).execute("SELECT id, story_id FROM articles"))
    rdd = spark.sparkContext.parallelize(list(enumerate(articles)), 2)
    rows = spark_stories(spark, rdd, None).collect()
    got = {r.id: r.story for r in rows}
    assert set(got) == set(embedded_story)
    assert 5 <= len(set(got.values())) < len(got) // 4  # several stories of several articles
    for r in rows:  # the evidence: the earlier article joined, in the same story, and how
        if r.id == r.story:
            assert r.joined is None
        elif r.joined is not None:
            vias = {"near_duplicate", "text_reuse", "title_lead", "translation", "average_link"}
            assert got[r.joined] == r.story and r.via in vias
            assert r.score is not None and r.cosine is not None and r.terms is not None
    assert {r.via for r in rows} >= {"near_duplicate", "average_link"}
    assert agreement(got, embedded_story, list(got)) >= 0.99
    assert agreement(got, embedded_story, [a.id for a in samples]) >= 0.99



def test_stories_agree_with_undated_articles(spark, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Undated articles are in every article's window: Spark matches them in a block of their own."""
    samples = list(Reader().read(EXAMPLES))
    articles = samples + edited_copies(samples)
    random.Random(2).shuffle(articles)
    for a in articles[::4]:
        a.published = None
    db = tmp_path / "stories.db"
    ingest([copy.deepcopy(a) for a in articles], db)
    embedded_story = dict(sqlite3.connect(db).execute("SELECT id, story_id FROM articles"))
    undated = {a.id for a in articles if a.published is None}
    joined = Counter(embedded_story.values())
    assert sum(joined[embedded_story[i]] > 1 for i in undated) > len(undated) // 2  # they join stories
    rdd = spark.sparkContext.parallelize(list(enumerate(articles)), 2)
    got = {r.id: r.story for r in spark_stories(spark, rdd, None).collect()}
    assert set(got) == set(embedded_story)
    assert agreement(got, embedded_story, list(got)) >= 0.99

BOILERPLATE = [
    "Read more: the latest news from our newsroom.",
    "Share this article on Facebook, Twitter and WhatsApp.",
    "Subscribe to our newsletter for daily updates.",
]
COPIES = ("verbatim", "boilerplate", "cut", "retitled", "rewrite")


def semeval_sentences(path: Path, language: str) -> list[str]:
    """The distinct sentences (6 words or more) of one language's SemEval texts."""
    from samestory.text import sentences

    pool: set[str] = set()
    for pair in map(json.loads, path.read_text(encoding="utf-8").splitlines()):
        for side in ("1", "2"):
            if pair[f"lang{side}"] == language:
                pool.update(s.strip() for s in sentences(pair[f"text{side}"]) if len(s.split()) >= 6)
    return sorted(pool)


def planted_stories(pool: list[str], n: int, seed: int = 11) -> list[Article]:
    """`n` articles: originals of 12-20 sentences drawn from `pool`, each with 0-5 copies at other outlets
    within two days (verbatim, with boilerplate lines, its last fifth cut, a new title, a rewrite: sentences
    reordered and one word in ten replaced); 500 articles a day, in shuffled order."""
    rng = random.Random(seed)
    out: list[Article] = []
    story = 0
    while len(out) < n:
        story += 1
        sents = rng.sample(pool, rng.randint(12, 20))
        words = " ".join(sents).split()
        title, body = sents[0].rstrip("."), sents[1:]
        when = T0 + timedelta(days=rng.uniform(0, n / 500))
        records = [("wire", title, body)]
        for kind in rng.sample(COPIES, rng.randint(0, len(COPIES))):
            if kind == "verbatim":
                records.append((kind, title, body))
            elif kind == "boilerplate":
                records.append(
                    (kind, title, [*body[:4], rng.choice(BOILERPLATE), *body[4:], *BOILERPLATE[:2]])
                )
            elif kind == "cut":
                records.append((kind, title, body[: max(3, len(body) * 4 // 5)]))
            elif kind == "retitled":
                records.append((kind, " ".join(rng.sample(words, 9)).capitalize(), body))
            else:
                head = body[:]
                rng.shuffle(head)
                edited = [
                    " ".join(rng.choice(words) if rng.random() < 0.1 else w for w in s.split())
                    for s in [title, *head]
                ]
                records.append((kind, edited[0], edited[1:]))
        for i, (kind, head, text) in enumerate(records[: n - len(out)]):
            out.append(
                Article(
                    id=f"{story}-{kind}",
                    title=head,
                    text="\n\n".join(text),
                    url=f"https://outlet{i}.example/{story}/{kind}",
                    source=f"outlet{i}.example",
                    published=when + timedelta(hours=0 if i == 0 else rng.uniform(0.5, 48)),
                )
            )
    rng.shuffle(out)
    return out


def test_stories_agree_on_planted_corpus(spark, semeval_path: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    articles = planted_stories(semeval_sentences(semeval_path, "en"), 2000)
    db = tmp_path / "stories.db"
    ingest([copy.deepcopy(a) for a in articles], db, workers=default_workers())
    embedded_story = dict(sqlite3.connect(db).execute("SELECT id, story_id FROM articles"))
    rdd = spark.sparkContext.parallelize(list(enumerate(articles)), 4)
    rows = spark_stories(spark, rdd, None).collect()
    got = {r.id: r.story for r in rows}
    assert set(got) == set(embedded_story) == {a.id for a in articles}
    assert {r.via for r in rows} >= {"near_duplicate", "text_reuse", "average_link"}  # rewrites join by text reuse
    sizes = Counter(got.values())
    assert sum(size >= 3 for size in sizes.values()) > 200  # real stories, not just pairs of copies
    assert agreement(got, embedded_story, list(got)) >= 0.99
