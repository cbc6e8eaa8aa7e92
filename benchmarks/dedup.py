"""Near-duplicate detection as a user runs it: `samestory dedup FILE.jsonl` against datasketch reading the same
file, each a process timed from its start to its last line; and the kernel alone, in one run.

    .venv/bin/python benchmarks/dedup.py --n 100000
    .venv/bin/python benchmarks/dedup.py --n 10000 --sqlite --threshold 0.5
    .venv/bin/python benchmarks/dedup.py --templated 400000      # templated records against distinct ones

The corpus: N articles. Originals are 12-20 sentences drawn at random from the texts of one language of the
SemEval-2022 Task 8 pairs (read from /work/shared/data at run time). Copies of an earlier original are
planted at known edits: verbatim; case, punctuation and spacing changed; boilerplate lines added; the last
tenth cut; 1% and 3% of the words deleted, inserted or replaced. Rewrites (30% of the words edited and the
sentences shuffled) are planted as hard negatives: same source, not near-duplicates. The corpus is written as
JSON Lines (id, title: the first 8 words, published: one minute apart, text) to a temporary folder.

A pair is a true pair when both articles are the original or copies of it. Each system's groups (connected
components of its matches) give its predicted pairs. Rows:
- `samestory dedup` (command): `python -m samestory.cli dedup FILE --json --threshold T` in a new process,
  from its start to its exit (import, reading, cleaning, sketching, indexing, grouping, output).
- datasketch (script): this file run with `--datasketch-on FILE` in a new process: json.loads each line,
  3-word shingles of samestory.text.normalize built in Python (as datasketch's users write them), MinHash
  and MinHashLSH (query, then insert) per article, groups = connected candidates, printed. Its loop alone
  (texts already read) is also printed, for the kernel ratio.
- samestory kernel: `find_duplicates` on the articles already in memory (not cleaned), in this process,
  after a warm-up run on 1,000 articles that loads the compiled kernels (`--sqlite`: also into a SQLite file).
Printed per row: seconds, articles/s, CPU seconds (user + system of the process), peak resident memory,
recall, precision, recall per copy kind; then the ratios.

`--templated N`: N records of one template ("<a shared sentence> Record i was filed from station i%13 in lane
i%97.") and N distinct articles of the corpus, each file deduplicated by the command: seconds per record and
peak memory of each.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
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
T0 = datetime(2024, 3, 1, tzinfo=UTC)


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
    out["clusters"] = [[m.id for m in g.members] for g in groups]
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


def datasketch_job(path: str, threshold: float, k: int, num_perm: int) -> None:
    """The datasketch script: read the file, group its articles, print one JSON line of ids per group (and
    the loop's own seconds on stderr)."""
    from datasketch import MinHash, MinHashLSH

    with open(path, encoding="utf-8") as f:
        records = [json.loads(line) for line in f if line.strip()]
    start = time.perf_counter()
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    parent = list(range(len(records)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for i, record in enumerate(records):
        words = normalize(record["text"]).split()
        shingles = {" ".join(words[j : j + k]).encode("utf-8") for j in range(max(1, len(words) - k + 1))}
        m = MinHash(num_perm=num_perm, seed=config.MINHASH_SEED)
        m.update_batch(shingles)
        for other in lsh.query(m):
            a, b = find(i), find(int(other))
            if a != b:
                parent[max(a, b)] = min(a, b)
        lsh.insert(str(i), m)
    clusters: dict[int, list[str]] = defaultdict(list)
    for i, record in enumerate(records):
        clusters[find(i)].append(record["id"])
    loop = time.perf_counter() - start
    for ids in clusters.values():
        if len(ids) > 1:
            sys.stdout.write(json.dumps(ids) + "\n")
    sys.stderr.write(json.dumps({"loop_seconds": loop, "bands_rows": [lsh.b, lsh.r]}) + "\n")


# Runs a command and reports its wall and CPU seconds and the peak resident memory of it and its children, from
# a small process: a child forked from this benchmark (which holds the corpus) would inherit this process's
# peak as its own (Linux keeps the old memory's high-water mark across exec), so measured from here it would
# read as large as the corpus.
_MEASURE = """
import json, resource, subprocess, sys, time
start = time.perf_counter()
code = subprocess.call(sys.argv[1:])
seconds = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"seconds": seconds, "cpu": usage.ru_utime + usage.ru_stime, "kib": usage.ru_maxrss}), file=sys.stderr)
sys.exit(code)
"""


def run_process(command: list[str], n: int) -> tuple[dict[str, object], str, str]:
    """Run a command from its start to its exit: wall and CPU seconds, peak resident memory (of the largest of
    its processes), its output."""
    process = subprocess.Popen(
        [sys.executable, "-c", _MEASURE, *command], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    out, err = (stream.decode() for stream in process.communicate())
    if process.returncode:
        raise SystemExit(f"{' '.join(command[:4])} failed ({process.returncode}): {err[-2000:]}")
    *err_lines, last = err.strip().splitlines()
    measured = json.loads(last)
    result: dict[str, object] = {
        "seconds": round(measured["seconds"], 2),
        "articles_per_s": round(n / measured["seconds"]),
        "cpu_seconds": round(measured["cpu"], 2),
        "peak_mib": round(measured["kib"] / 1024),
    }
    return result, out, "\n".join(err_lines)


def run_command(path: str, n: int, threshold: float) -> dict[str, object]:
    """`samestory dedup` on the file, as a user runs it."""
    result, out, _ = run_process(
        [sys.executable, "-m", "samestory.cli", "dedup", path, "--json", "--threshold", str(threshold)], n
    )
    result["clusters"] = [[m["id"] for m in json.loads(line)["members"]] for line in out.splitlines() if line]
    return result


def run_datasketch(path: str, n: int, threshold: float, k: int) -> dict[str, object]:
    """The datasketch script on the file (`datasketch_job` in a new process)."""
    result, out, err = run_process(
        [sys.executable, __file__, "--datasketch-on", path, "--threshold", str(threshold), "--shingle", str(k)], n
    )
    stats = json.loads(err.strip().splitlines()[-1])
    result["loop_seconds"] = round(stats["loop_seconds"], 2)
    result["loop_articles_per_s"] = round(n / stats["loop_seconds"])
    result["bands_rows"] = stats["bands_rows"]
    result["clusters"] = [json.loads(line) for line in out.splitlines() if line.strip()]
    return result


def write_jsonl(path: Path, articles: list[Article]) -> None:
    """The corpus as a user's file: id, title (the first 8 words), published (a minute apart), text."""
    with path.open("w", encoding="utf-8") as out:
        for i, a in enumerate(articles):
            published = (T0 + timedelta(minutes=i)).isoformat()
            record = {"id": a.id, "title": " ".join(a.text.split()[:8]), "published": published, "text": a.text}
            out.write(json.dumps(record, ensure_ascii=False) + "\n")


TEMPLATE = (
    "The regional transport authority published its daily freight bulletin for the northern corridor this"
    " morning, listing every consignment that crossed the border checkpoint."
)


def templated(n: int, pools: list[list[str]], seed: int, folder: Path, threshold: float) -> None:
    """The command on N templated records and on N distinct articles: seconds per record and peak memory."""
    files = {"distinct": folder / "distinct.jsonl", "templated": folder / "templated.jsonl"}
    articles, _, _ = corpus(n, seed, pools)
    write_jsonl(files["distinct"], articles)
    flood = [
        Article(id=f"t{i}", text=f"{TEMPLATE} Record {i} was filed from station {i % 13} in lane {i % 97}.")
        for i in range(n)
    ]
    write_jsonl(files["templated"], flood)
    for name, path in files.items():
        r = run_command(str(path), n, threshold)
        sizes = sorted((len(c) for c in r.pop("clusters")), reverse=True)  # type: ignore[arg-type]
        r["us_per_record"] = round(r["seconds"] / n * 1e6)  # type: ignore[operator]
        r["groups"], r["largest_groups"] = len(sizes), sizes[:3]
        print(f"{name}: {json.dumps(r)}")


def stages(path: Path, n: int, threshold: float, shingle: int) -> None:
    """CPU µs an article of each stage of the command, one after the other in this process: reading the
    file, cleaning (one core), the kernel on the cleaned articles (both of its threads), and the start-up
    imports (the compiled kernels' Unicode table included)."""
    from samestory.clean import clean_all
    from samestory.read import Reader

    used = time.process_time()
    articles = list(Reader().read([str(path)]))
    read = time.process_time() - used
    used = time.process_time()
    cleaned = list(clean_all(articles))
    cleaning = time.process_time() - used
    find_duplicates(cleaned[:1000], threshold=threshold, shingle=shingle)  # load the compiled kernels
    used = time.process_time()
    find_duplicates(cleaned, threshold=threshold, shingle=shingle)
    kernel = time.process_time() - used
    imports = subprocess.run(
        [sys.executable, "-c", ("import time; import samestory.cli, samestory.read, samestory.clean, "
                                "samestory.dedup; print(time.process_time())")],
        capture_output=True, text=True, check=True,
    ).stdout
    per = {"read": read, "clean": cleaning, "kernel (sketch + index + groups)": kernel}
    print("CPU µs an article: " + ", ".join(f"{k} {v / n * 1e6:.1f}" for k, v in per.items())
          + f"; start-up {float(imports):.2f} s CPU")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="articles in the corpus")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--threshold", type=float, default=config.DEDUP_THRESHOLD)
    parser.add_argument("--no-datasketch", action="store_true", help="run samestory only")
    parser.add_argument("--sqlite", action="store_true", help="also run the kernel into a SQLite file")
    parser.add_argument("--shingle", type=int, default=config.MINHASH_SHINGLE, help="words per shingle (both)")
    parser.add_argument("--templated", type=int, default=0, metavar="N", help="templated records against distinct")
    parser.add_argument("--stages", action="store_true", help="CPU an article of each stage, then stop")
    parser.add_argument("--datasketch-on", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.datasketch_on:
        datasketch_job(args.datasketch_on, args.threshold, args.shingle, config.MINHASH_NUM_PERM)
        return

    pools = load_sentences()
    with tempfile.TemporaryDirectory() as tmp:
        if args.templated:
            templated(args.templated, pools, args.seed, Path(tmp), args.threshold)
            return
        t = time.perf_counter()
        articles, family, kinds = corpus(args.n, args.seed, pools)
        path = Path(tmp) / "corpus.jsonl"
        write_jsonl(path, articles)
        words = sum(len(a.text.split()) for a in articles[:1000]) / min(1000, len(articles))
        print(
            f"corpus: {args.n} articles ({words:.0f} words on average, {len(pools)} languages), "
            f"{sum(k in COPY_KINDS for k in kinds)} copies, {kinds.count(NEGATIVE)} rewrites, "
            f"{path.stat().st_size / 2**20:.0f} MiB of JSON Lines, built in {time.perf_counter() - t:.1f} s"
        )
        if args.stages:
            stages(path, args.n, args.threshold, args.shingle)
            return
        index_of = {a.id: i for i, a in enumerate(articles)}
        results: dict[str, dict[str, object]] = {}
        results["samestory dedup (command)"] = run_command(str(path), args.n, args.threshold)
        if not args.no_datasketch:
            results["datasketch (script)"] = run_datasketch(str(path), args.n, args.threshold, args.shingle)
        results["samestory kernel"] = run_samestory(articles, args.threshold, None, args.shingle)
        results["samestory kernel"]["index_bytes_per_article"] = round(
            memory_index_bytes(articles, args.threshold, args.shingle)
        )
        if args.sqlite:
            results["samestory kernel, SQLite"] = run_samestory(
                articles, args.threshold, f"{tmp}/dedup.db", args.shingle
            )
    for name, r in results.items():
        clusters = [[index_of[i] for i in c] for c in r.pop("clusters")]  # type: ignore[attr-defined]
        r.update(score(clusters, family, kinds))
        print(f"{name}: {json.dumps(r)}")
    if "datasketch (script)" in results:
        ours, theirs = results["samestory dedup (command)"], results["datasketch (script)"]
        print(f"command / datasketch script, end to end: {theirs['seconds'] / ours['seconds']:.1f}x (wall), "  # type: ignore[operator]
              f"{theirs['cpu_seconds'] / ours['cpu_seconds']:.1f}x (CPU)")  # type: ignore[operator]
        kernel = results["samestory kernel"]
        print(f"kernel / datasketch loop: {theirs['loop_seconds'] / kernel['seconds']:.1f}x (wall)")  # type: ignore[operator]


if __name__ == "__main__":
    main()
