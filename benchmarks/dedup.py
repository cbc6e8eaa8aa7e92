"""Near-duplicate detection: samestory against datasketch's MinHashLSH on one planted corpus, in one run.

    .venv/bin/python benchmarks/dedup.py --n 10000
    .venv/bin/python benchmarks/dedup.py --n 1000000 --no-datasketch

The corpus: N articles. Originals are 12-20 sentences drawn at random from the texts of one language of the
SemEval-2022 Task 8 pairs (read from /work/shared/data at run time). Copies of an earlier original are
planted at known edits: verbatim; case, punctuation and spacing changed; boilerplate lines added; the last
tenth cut; 1% and 3% of the words deleted, inserted or replaced. Rewrites (30% of the words edited and the
sentences shuffled) are planted as hard negatives: same source, not near-duplicates.

A pair is a true pair when both articles are the original or copies of it. Each system's groups (connected
components of its matches) give its predicted pairs. Both systems see the same shingles (3 words of
samestory.text.normalize; datasketch shingles in Python, as its users do), 128 permutations, threshold 0.8.
Printed: articles/s of each and their ratio (and the ratio of their CPU seconds), recall and precision on the planted pairs, recall per copy
kind, peak memory above the corpus, index bytes per article. samestory's compiled kernels are loaded (compiled
on the very first run, then cached) by a run on the first 1,000 articles before the timed run; that
start-up is printed as warmup_seconds.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Self

from samestory import config
from samestory.article import Article
from samestory.dedup import find_duplicates
from samestory.text import normalize, sentences

PAIRS = Path("/work/shared/data/semeval2022-task8/pairs.jsonl")
BOILERPLATE = [
    "Advertisement",
    "Share this article on Facebook, Twitter and WhatsApp.",
    "Read more: the latest news from our newsroom.",
    "Subscribe to our newsletter for daily updates.",
    "© 2024 All rights reserved.",
    "Sign up for breaking news alerts.",
]
COPY_KINDS = ["verbatim", "format", "boilerplate", "cut10", "edit1", "edit3"]
NEGATIVE = "rewrite30"


# --- the corpus --------------------------------------------------------------------------------------------


def load_sentences() -> list[list[str]]:
    """Sentence pools, one per language, of the SemEval texts (sentences of 6 words or more)."""
    pools: dict[str, set[str]] = defaultdict(set)
    with PAIRS.open(encoding="utf-8") as f:
        for line in f:
            pair = json.loads(line)
            for side in ("1", "2"):
                for s in sentences(pair.get(f"text{side}") or ""):
                    if len(s.split()) >= 6:
                        pools[pair[f"lang{side}"]].add(s)
    return [sorted(p) for _, p in sorted(pools.items()) if len(p) >= 200]


def original(pools: list[list[str]], seed: int) -> list[str]:
    rng = random.Random(seed)
    pool = pools[rng.randrange(len(pools))]
    return [pool[rng.randrange(len(pool))] for _ in range(rng.randint(12, 20))]


def edit_words(text: str, rate: float, rng: random.Random) -> str:
    out: list[str] = []
    words = text.split(" ")
    for w in words:
        x = rng.random()
        if x < rate / 3:
            continue  # delete
        if x < 2 * rate / 3:
            out.append(words[rng.randrange(len(words))])  # replace
        elif x < rate:
            out.extend([w, words[rng.randrange(len(words))]])  # insert
        else:
            out.append(w)
    return " ".join(out)


def reformat(sents: list[str], rng: random.Random) -> str:
    out = []
    for s in sents:
        s = s.upper() if rng.random() < 0.3 else s.lower() if rng.random() < 0.3 else s
        s = s.replace(", ", " ").replace(". ", " . ").replace('"', "«")
        s = s.replace(" ", "  ") if rng.random() < 0.5 else s
        out.append(s + ("!!" if rng.random() < 0.2 else ""))
    return "\n\n".join(out)


def make_copy(sents: list[str], kind: str, rng: random.Random) -> str:
    text = " ".join(sents)
    if kind == "verbatim":
        return text
    if kind == "format":
        return reformat(sents, rng)
    if kind == "boilerplate":
        head, tail = rng.sample(BOILERPLATE, 2)
        return f"{head}\n\n{text}\n\n{tail}\n{rng.choice(BOILERPLATE)}"
    if kind == "cut10":
        return " ".join(sents[: max(1, round(len(sents) * 0.9))])
    if kind == "edit1":
        return edit_words(text, 0.01, rng)
    if kind == "edit3":
        return edit_words(text, 0.03, rng)
    if kind == NEGATIVE:
        shuffled = sents[:]
        rng.shuffle(shuffled)
        return edit_words(" ".join(shuffled), 0.3, rng)
    raise ValueError(kind)


def corpus(n: int, seed: int, pools: list[list[str]]) -> tuple[list[Article], list[int], list[str]]:
    """Articles, the family of each (true pairs share a family) and the kind of each."""
    rng = random.Random(seed)
    articles: list[Article] = []
    family: list[int] = []
    kinds: list[str] = []
    originals: list[int] = []
    for i in range(n):
        x = rng.random()
        if originals and x < 0.25:
            j = originals[rng.randrange(len(originals))]
            kind = COPY_KINDS[rng.randrange(len(COPY_KINDS))]
        elif originals and x < 0.30:
            j, kind = originals[rng.randrange(len(originals))], NEGATIVE
        else:
            j, kind = i, "original"
            originals.append(i)
        text = make_copy(
            original(pools, seed * 10_000_019 + j), "verbatim" if kind == "original" else kind, rng
        )
        articles.append(Article(id=f"a{i}", text=text))
        family.append(i if kind == NEGATIVE else j)
        kinds.append(kind)
    return articles, family, kinds


# --- scoring -----------------------------------------------------------------------------------------------


def pairs_of(clusters: list[list[int]]) -> set[tuple[int, int]]:
    out = set()
    for c in clusters:
        c = sorted(c)
        out.update((a, b) for i, a in enumerate(c) for b in c[i + 1 :])
    return out


def score(clusters: list[list[int]], family: list[int], kinds: list[str]) -> dict[str, object]:
    truth_clusters: dict[int, list[int]] = defaultdict(list)
    for i, f in enumerate(family):
        truth_clusters[f].append(i)
    truth = pairs_of(list(truth_clusters.values()))
    predicted = pairs_of(clusters)
    hit = len(truth & predicted)
    cluster_of = {i: k for k, c in enumerate(clusters) for i in c}
    per_kind: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for i, kind in enumerate(kinds):
        if kind == "original":
            continue
        src = family[i] if kind != NEGATIVE else None
        if kind == NEGATIVE:  # a rewrite grouped with anything is a false positive
            per_kind[kind][0] += i in cluster_of
        else:
            per_kind[kind][0] += i in cluster_of and cluster_of.get(src) == cluster_of[i]
        per_kind[kind][1] += 1
    return {
        "recall": hit / len(truth) if truth else 1.0,
        "precision": hit / len(predicted) if predicted else 1.0,
        "true_pairs": len(truth),
        "predicted_pairs": len(predicted),
        "found_by_kind": {k: f"{a}/{b}" for k, (a, b) in sorted(per_kind.items())},
    }


class PeakMemory:
    """Peak resident memory above the level at start, sampled every 20 ms from /proc."""

    def __enter__(self) -> Self:
        self.base = self.peak = self._rss()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._rss())

    @staticmethod
    def _rss() -> int:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

    def _watch(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, self._rss())

    @property
    def mib(self) -> float:
        return (self.peak - self.base) / 2**20


# --- the systems -------------------------------------------------------------------------------------------


def run_samestory(
    articles: list[Article], threshold: float, db: str | None, shingle: int
) -> dict[str, object]:
    index_of = {a.id: i for i, a in enumerate(articles)}
    start = time.perf_counter()  # load (or, the first time, compile) the kernels, outside the timed run
    find_duplicates(articles[:1000], threshold=threshold, shingle=shingle)
    warmup = time.perf_counter() - start
    gc.collect()
    with PeakMemory() as mem:
        start, cpu = time.perf_counter(), time.process_time()
        groups = find_duplicates(articles, threshold=threshold, shingle=shingle, db=db)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    out: dict[str, object] = {"seconds": round(seconds, 2), "articles_per_s": round(len(articles) / seconds)}
    out["warmup_seconds"] = round(warmup, 2)
    out["cpu_seconds"] = round(cpu, 2)  # both threads (sketching runs one batch ahead in a second one)
    out["peak_mib"] = round(mem.mib)
    clusters = [[index_of[m.id] for m in g.members] for g in groups]
    out["clusters"] = clusters
    if db:
        out["index_bytes_per_article"] = round(
            sum(p.stat().st_size for p in Path(db).parent.glob(Path(db).name + "*")) / len(articles)
        )
    return out


def memory_index_bytes(articles: list[Article], threshold: float, shingle: int) -> float:
    """Bytes per article of the in-memory index: band keys and rows, signatures."""
    from samestory.index.minhash import MinHashIndex

    with MinHashIndex(threshold=threshold, shingle=shingle) as index:
        index.add(articles)
        return index._store.nbytes / len(articles)


def run_datasketch(articles: list[Article], threshold: float, k: int, num_perm: int) -> dict[str, object]:
    import pickle

    from datasketch import MinHash, MinHashLSH

    gc.collect()
    with PeakMemory() as mem:
        start, cpu = time.perf_counter(), time.process_time()
        lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
        parent = list(range(len(articles)))

        def find(x: int) -> int:
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        shingle_s = 0.0
        for i, article in enumerate(articles):
            t = time.perf_counter()
            words = normalize(article.text).split()
            shingles = {" ".join(words[j : j + k]).encode("utf-8") for j in range(max(1, len(words) - k + 1))}
            shingle_s += time.perf_counter() - t
            m = MinHash(num_perm=num_perm, seed=config.MINHASH_SEED)
            m.update_batch(shingles)
            for other in lsh.query(m):
                a, b = find(i), find(int(other))
                if a != b:
                    parent[max(a, b)] = min(a, b)
            lsh.insert(str(i), m)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    clusters: dict[int, list[int]] = defaultdict(list)
    for i in range(len(articles)):
        clusters[find(i)].append(i)
    return {
        "seconds": round(seconds, 2),
        "articles_per_s": round(len(articles) / seconds),
        "articles_per_s_without_shingling": round(len(articles) / (seconds - shingle_s)),
        "cpu_seconds": round(cpu, 2),
        "peak_mib": round(mem.mib),
        "index_bytes_per_article": round(len(pickle.dumps(lsh)) / len(articles)),
        "bands_rows": [lsh.b, lsh.r],
        "clusters": [c for c in clusters.values() if len(c) > 1],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="articles in the corpus")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--threshold", type=float, default=config.DEDUP_THRESHOLD)
    parser.add_argument("--no-datasketch", action="store_true", help="run samestory only")
    parser.add_argument("--no-sqlite", action="store_true", help="skip the run into a SQLite file")
    parser.add_argument(
        "--shingle", type=int, default=config.MINHASH_SHINGLE, help="words per shingle (both)"
    )
    args = parser.parse_args()

    pools = load_sentences()
    t = time.perf_counter()
    articles, family, kinds = corpus(args.n, args.seed, pools)
    words = sum(len(a.text.split()) for a in articles[:1000]) / min(1000, len(articles))
    print(
        f"corpus: {args.n} articles ({words:.0f} words on average, {len(pools)} languages), "
        f"{sum(k in COPY_KINDS for k in kinds)} copies, {kinds.count(NEGATIVE)} rewrites, "
        f"built in {time.perf_counter() - t:.1f} s"
    )

    results: dict[str, dict[str, object]] = {}
    results["samestory"] = run_samestory(articles, args.threshold, None, args.shingle)
    results["samestory"]["index_bytes_per_article"] = round(
        memory_index_bytes(articles, args.threshold, args.shingle)
    )
    if not args.no_sqlite:
        with tempfile.TemporaryDirectory() as tmp:
            results["samestory+sqlite"] = run_samestory(
                articles, args.threshold, f"{tmp}/dedup.db", args.shingle
            )
    if not args.no_datasketch:
        results["datasketch"] = run_datasketch(
            articles, args.threshold, args.shingle, config.MINHASH_NUM_PERM
        )
    for name, r in results.items():
        r.update(score(r.pop("clusters"), family, kinds))  # type: ignore[arg-type]
        print(f"{name}: {json.dumps(r)}")
    if "datasketch" in results:
        ours, theirs = results["samestory"]["articles_per_s"], results["datasketch"]["articles_per_s"]
        print(f"ratio samestory / datasketch: {ours / theirs:.1f}x articles/s")  # type: ignore[operator]
        # CPU time moves less than wall time with other jobs on the machine (samestory's counts both threads)
        cpu_ours, cpu_theirs = results["samestory"]["cpu_seconds"], results["datasketch"]["cpu_seconds"]
        print(f"ratio of CPU seconds, datasketch / samestory: {cpu_theirs / cpu_ours:.1f}x")  # type: ignore[operator]


if __name__ == "__main__":
    main()
