"""End-to-end ingestion: `samestory.stories.ingest` against a plain TF-IDF + threshold pipeline, in one run.

    .venv/bin/python benchmarks/ingest.py --n 100000
    .venv/bin/python benchmarks/ingest.py --n 10000 --json out/ingest.json
    .venv/bin/python benchmarks/ingest.py --n 10000 --stages      # CPU ms an article of each stage, one core

The stream: N articles in JSON lines, written to a temporary folder, then read back by each system (reading
is part of what is timed). Stories are planted: an original is 12-20 sentences drawn at random from the
texts of one language of the SemEval-2022 Task 8 pairs (read from /work/shared/data at run time), with a
title; then, within two days, copies at other outlets: verbatim, with boilerplate lines, its last fifth cut,
a new title, and a rewrite (sentences reordered, one word in ten replaced). Originals are spread evenly over
N / 500 days, so a 7-day window holds about 3,500 articles.

Each system runs in its own process (its peak memory is its own, corpus and models included):
- samestory: Reader -> clean -> understand (entities from the title+lead) -> title+lead embedding, in
  `default_workers()` worker processes (1 on 2 cores) -> MinHash, vector and entity indexes -> online
  clustering (copies join at once: near-duplicates, text reuse, title+lead cosine >= 0.9, translations; the
  others join the story with the best average link, `samestory.stories.decision`) -> SQLite.
- tfidf: Reader -> scikit-learn TfidfVectorizer over all texts -> in publication order, an article joins
  the story of every earlier article within the window with cosine >= 0.5 (union-find).
Printed: articles/s, peak memory, stories merged, pairwise precision / recall / F1 and adjusted Rand index
against the planted stories.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path

PAIRS = Path("/work/shared/data/semeval2022-task8/pairs.jsonl")
BOILERPLATE = [
    "Read more: the latest news from our newsroom.",
    "Share this article on Facebook, Twitter and WhatsApp.",
    "Subscribe to our newsletter for daily updates.",
    "Sign up for breaking news alerts.",
]
COPIES = ["verbatim", "boilerplate", "cut", "retitled", "rewrite"]
TFIDF_THRESHOLD = 0.5
WINDOW_DAYS = 7.0


def load_pools() -> dict[str, list[str]]:
    """Sentences (6 words or more) of the SemEval texts, by language."""
    from samestory.text import sentences

    pools: dict[str, set[str]] = defaultdict(set)
    with PAIRS.open(encoding="utf-8") as fh:
        for line in fh:
            pair = json.loads(line)
            for side in ("1", "2"):
                for s in sentences(pair[f"text{side}"]):
                    if len(s.split()) >= 6:
                        pools[pair[f"lang{side}"]].add(s.strip())
    return {lang: sorted(p) for lang, p in pools.items() if len(p) > 200}


def _rewrite(sents: list[str], rng: random.Random, vocabulary: list[str]) -> list[str]:
    out = sents[:]
    head = out[1:]
    rng.shuffle(head)
    out = out[:1] + head
    edited = []
    for s in out:
        tokens = s.split()
        for i in range(len(tokens)):
            if rng.random() < 0.1:
                tokens[i] = rng.choice(vocabulary)
        edited.append(" ".join(tokens))
    return edited


def generate(n: int, path: Path, seed: int = 7) -> None:
    """Write N planted articles (JSON lines, in no particular order) with their gold story ids."""
    rng = random.Random(seed)
    pools = load_pools()
    languages = sorted(pools)
    weights = [len(pools[lang]) for lang in languages]
    days = max(1.0, n / 500)
    start = datetime(2024, 1, 1)
    written = 0
    story = 0
    with path.open("w", encoding="utf-8") as fh:
        while written < n:
            story += 1
            lang = rng.choices(languages, weights)[0]
            sents = rng.sample(pools[lang], rng.randint(12, 20))
            vocabulary = " ".join(sents).split()
            title, body = sents[0].rstrip("."), sents[1:]
            when = start + timedelta(days=rng.uniform(0, days))
            records = [("wire", title, body)]
            for kind in rng.sample(COPIES, rng.randint(0, len(COPIES))):
                if kind == "verbatim":
                    records.append((kind, title, body))
                elif kind == "boilerplate":
                    records.append((kind, title, [*body[:4], rng.choice(BOILERPLATE), *body[4:], *BOILERPLATE[:2]]))
                elif kind == "cut":
                    records.append((kind, title, body[: max(3, len(body) * 4 // 5)]))
                elif kind == "retitled":
                    records.append((kind, " ".join(rng.sample(vocabulary, 9)).capitalize(), body))
                else:
                    rewritten = _rewrite([title, *body], rng, vocabulary)
                    records.append((kind, rewritten[0], rewritten[1:]))
            for i, (kind, head, text) in enumerate(records[: n - written]):
                published = when + timedelta(hours=0 if i == 0 else rng.uniform(0.5, 48))
                fh.write(json.dumps({
                    "url": f"https://outlet{rng.randrange(500)}.example/{story}/{kind}",
                    "source": f"outlet{i}-{story % 97}.example",
                    "title": head,
                    "text": "\n\n".join(text),
                    "date": published.isoformat(),
                    "lang": lang,
                    "story": story,
                }, ensure_ascii=False) + "\n")
                written += 1


def gold_of(path: Path) -> dict[str, int]:
    with path.open(encoding="utf-8") as fh:
        return {row["url"]: row["story"] for row in map(json.loads, fh)}


def scores(predicted: dict[str, object], gold: dict[str, int]) -> dict[str, float]:
    from sklearn.metrics import adjusted_rand_score
    from sklearn.metrics.cluster import pair_confusion_matrix

    keys = sorted(gold)
    labels_true = [gold[k] for k in keys]
    labels_pred = [str(predicted[k]) for k in keys]
    (_, fp), (fn, tp) = pair_confusion_matrix(labels_true, labels_pred)  # ordered pairs, both counted twice
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    return {
        "precision": round(float(p), 4),
        "recall": round(float(r), 4),
        "f1": round(float(2 * p * r / (p + r)) if p + r else 0.0, 4),
        "ari": round(float(adjusted_rand_score(labels_true, labels_pred)), 4),
    }


def run_samestory(stream: Path, workdir: Path) -> dict[str, object]:
    from samestory.read import Reader
    from samestory.store import open_store
    from samestory.stories import ingest
    from samestory.stories.ingest import default_workers

    db = workdir / "bench.db"
    workers = default_workers()
    started = time.perf_counter()
    stats = ingest(Reader().read([str(stream)]), db, workers=workers)
    seconds = time.perf_counter() - started
    with open_store(db) as store:
        by_id = store.assignments()
        urls = dict(store.connection.execute("SELECT id, url FROM articles"))
    predicted = {urls[i]: story for i, story in by_id.items()}
    return {
        "seconds": round(seconds, 1),
        "articles": stats.read,
        "added": stats.added,
        "new_stories": stats.new_stories,
        "merges": stats.merges,
        "workers": workers,
        "db_mb": round(sum(p.stat().st_size for p in workdir.glob("bench.db*")) / 2**20, 1),
        **scores(predicted, gold_of(stream)),
    }


def run_tfidf(stream: Path, workdir: Path) -> dict[str, object]:
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer

    from samestory.read import Reader

    started = time.perf_counter()
    articles = sorted(Reader().read([str(stream)]), key=lambda a: a.published or datetime.min)
    matrix = TfidfVectorizer(sublinear_tf=True, max_features=2**18).fit_transform(
        [f"{a.title}\n{a.text}" for a in articles]
    ).tocsr()
    times = np.array([a.published.timestamp() for a in articles])
    parent = list(range(len(articles)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    window = WINDOW_DAYS * 86400
    block = 512
    for lo in range(0, len(articles), block):
        hi = min(lo + block, len(articles))
        first = int(np.searchsorted(times, times[lo] - window))
        sims = (matrix[lo:hi] @ matrix[first:hi].T).tocoo()
        for i, j, v in zip(sims.row, sims.col, sims.data):
            a, b = lo + int(i), first + int(j)
            if b < a and v >= TFIDF_THRESHOLD:
                ra, rb = find(a), find(b)
                if ra != rb:
                    parent[max(ra, rb)] = min(ra, rb)
    seconds = time.perf_counter() - started
    predicted = {a.url: find(i) for i, a in enumerate(articles)}
    return {"seconds": round(seconds, 1), "articles": len(articles), **scores(predicted, gold_of(stream))}


def child(system: str, stream: Path, workdir: Path) -> None:
    os.environ.setdefault("SAMESTORY_EMBED_THREADS", "1")
    result = run_samestory(stream, workdir) if system == "samestory" else run_tfidf(stream, workdir)
    result["peak_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    result["articles_per_s"] = round(float(result["articles"]) / float(result["seconds"]), 1)  # type: ignore[arg-type]
    sys.stdout.write(json.dumps(result) + "\n")


def stages(stream: Path) -> dict[str, float]:
    """CPU milliseconds an article of each stage, on one core, in this process (`--stages`): what a worker
    does (clean, understand, entities, the title+lead embedding), then the whole ingest without workers; the
    clustering (indexes, candidates, decisions, the store) is the difference. Also the sentence
    encoder's own rate, which both sides spend most of their time in."""
    os.environ["SAMESTORY_EMBED_THREADS"] = "1"
    from samestory.clean import clean
    from samestory.compare.features import forget_views
    from samestory.embed import _model, clear_cache
    from samestory.index.vectors import embed_leads
    from samestory.read import Reader
    from samestory.stories import ingest
    from samestory.text import sentences
    from samestory.understand import understand
    from samestory.understand.entities import _spacy_mentions

    def cpu(step):  # type: ignore[no-untyped-def]
        clear_cache()  # each stage from cold caches, as a run meets the stream
        forget_views()
        _spacy_mentions.cache_clear()
        started = time.process_time()
        out = step()
        return out, (time.process_time() - started) * 1000 / len(articles)

    def fresh() -> list:  # type: ignore[type-arg]  # the stages may change the articles they are given
        return list(Reader().read([str(stream)]))

    articles = fresh()
    embed_leads([understand(clean(a)) for a in fresh()[:200]])  # models loaded, caches warm
    _, clean_ms = cpu(lambda: [clean(a) for a in articles])
    articles = fresh()
    _, dates_ms = cpu(lambda: [understand(clean(a), entities=False) for a in articles])
    articles = fresh()
    done, process_ms = cpu(lambda: [understand(clean(a)) for a in articles])
    _, leads_ms = cpu(lambda: [embed_leads(done[i : i + 256]) for i in range(0, len(done), 256)])
    with tempfile.TemporaryDirectory(prefix="samestory-stages-") as tmp:
        stats, total_ms = cpu(lambda: ingest(Reader().read([str(stream)]), Path(tmp) / "stages.db", workers=0))
    backend = _model()._model
    texts = [s for a in articles[:300] for s in sentences(a.text)][:3000]
    tokens = sum(len(backend.sp.encode(t, out_type=int)) + 2 for t in texts)
    started = time.process_time()
    backend.encode(texts)
    encode_s = time.process_time() - started
    prepare_ms = process_ms + leads_ms
    return {
        "articles": len(articles),
        "clean_ms": round(clean_ms, 3),
        "understand_without_entities_ms": round(dates_ms - clean_ms, 3),
        "entities_ms": round(process_ms - dates_ms, 3),
        "title_lead_embedding_ms": round(leads_ms, 3),
        "worker_ms": round(prepare_ms, 3),
        "ingest_ms": round(total_ms, 3),
        "clustering_ms": round(total_ms - prepare_ms, 3),
        "merges_per_article": round(stats.merges / len(articles), 3),
        "encoder_ms_per_sentence": round(encode_s * 1000 / len(texts), 3),
        "encoder_tokens_per_s": round(tokens / encode_s),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="articles in the stream")
    parser.add_argument("--json", default=None, help="also write the figures here")
    parser.add_argument("--stages", action="store_true", help="CPU ms per article of each stage, one core")
    parser.add_argument("--child", nargs=3, metavar=("SYSTEM", "STREAM", "WORKDIR"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]), Path(args.child[2]))
        return
    with tempfile.TemporaryDirectory(prefix="samestory-bench-") as tmp:
        stream = Path(tmp) / "stream.jsonl"
        generate(args.n, stream)
        if args.stages:
            print(json.dumps(stages(stream), indent=2))
            return
        results: dict[str, object] = {"n": args.n, "cores": os.cpu_count()}
        for system in ("samestory", "tfidf"):
            workdir = Path(tmp) / system
            workdir.mkdir()
            out = subprocess.run(
                [sys.executable, __file__, "--child", system, str(stream), str(workdir)],
                capture_output=True, text=True, check=False,
            )
            if out.returncode:
                sys.exit(f"{system} failed:\n{out.stderr[-3000:]}")
            results[system] = json.loads(out.stdout.strip().splitlines()[-1])
            print(system, results[system], flush=True)
        ours, theirs = results["samestory"], results["tfidf"]
        results["speed_ratio"] = round(ours["articles_per_s"] / theirs["articles_per_s"], 4)  # type: ignore[index]
        print(json.dumps(results, indent=2))
        if args.json:
            Path(args.json).parent.mkdir(parents=True, exist_ok=True)
            Path(args.json).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
