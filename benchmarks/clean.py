"""What the clean stage removes from real news text, and how fast: the SemEval-2022 Task 8 texts.

    .venv/bin/python benchmarks/clean.py
    .venv/bin/python benchmarks/clean.py --baseline 3b5a7d9     # beside clean.py as it was at that commit
    .venv/bin/python benchmarks/clean.py --show related_link --sample 20

Printed: articles/s of clean() over the 1,978 texts (about 1,000 characters each; de, en, es, tr, pl, ar, fr),
one core, the best of --rounds rounds, by wall clock and by CPU time (which moves less when other jobs share
the cores); with --baseline, the same for clean.py of that commit, in the same run, and the ratio; then the
share of texts touched and of characters removed, how often each rule fired, and optionally a random sample
of the pieces one rule removed, to read and check that they are boilerplate and not story.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from samestory.article import Article
from samestory.clean import clean

DEFAULT_PAIRS = Path(__file__).resolve().parents[1].parent / "shared/data/semeval2022-task8/pairs.jsonl"


def baseline_clean(commit: str) -> Callable[[Article], Article]:
    """`clean` of src/samestory/clean.py as it was at a commit."""
    source = subprocess.run(
        ["git", "show", f"{commit}:src/samestory/clean.py"], capture_output=True, text=True, check=True
    ).stdout
    path = Path(tempfile.mkdtemp()) / "clean_baseline.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("clean_baseline", path)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules["clean_baseline"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module.clean  # type: ignore[no-any-return]


def timed(run: Callable[[Article], Article], texts: list[tuple[str, str]], rounds: int) -> tuple[float, float]:
    """Best articles/s of `rounds` rounds, by wall clock and by CPU time."""
    wall = cpu = 0.0
    for _ in range(rounds):
        start, used = time.perf_counter(), time.process_time()
        for i, (lang, text) in enumerate(texts):
            run(Article(id=str(i), text=text, language=lang))
        wall = max(wall, len(texts) / (time.perf_counter() - start))
        cpu = max(cpu, len(texts) / (time.process_time() - used))
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=Path, default=DEFAULT_PAIRS)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--baseline", help="a commit whose clean.py runs beside this one")
    parser.add_argument("--show", help="print removed pieces of this rule ('all' for every rule)")
    parser.add_argument("--sample", type=int, default=15, help="how many pieces --show prints")
    args = parser.parse_args()

    texts = []
    for line in args.pairs.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        texts += [(row["lang1"], row["text1"]), (row["lang2"], row["text2"])]
    wall, cpu = timed(clean, texts, args.rounds)
    print(f"{len(texts)} texts: {wall:,.0f} articles/s (wall), {cpu:,.0f} articles/s (CPU), best of {args.rounds}")
    if args.baseline:
        old_wall, old_cpu = timed(baseline_clean(args.baseline), texts, args.rounds)
        print(f"clean.py at {args.baseline}: {old_wall:,.0f} articles/s (wall), {old_cpu:,.0f} (CPU);"
              f" ratio {wall / old_wall:.1f}x (wall), {cpu / old_cpu:.1f}x (CPU)")
    articles = [clean(Article(id=str(i), text=text, language=lang)) for i, (lang, text) in enumerate(texts)]
    raw = sum(len(a.raw_text or "") for a in articles)
    kept = sum(len(a.text) for a in articles)
    touched = sum(bool(a.removed) for a in articles)
    print(f"touched: {touched} ({touched / len(articles):.1%}); characters removed: {(raw - kept) / raw:.2%}")
    rules = Counter(r.rule for a in articles for r in a.removed)
    print("rules (pieces removed):", ", ".join(f"{rule} {count}" for rule, count in rules.most_common()))
    if args.show:
        pieces = [(a.language, r) for a in articles for r in a.removed if args.show in (r.rule, "all")]
        for language, removal in random.Random(0).sample(pieces, min(args.sample, len(pieces))):
            print(f"[{removal.rule}] {language} {removal.text[:160]!r}")


if __name__ == "__main__":
    main()
