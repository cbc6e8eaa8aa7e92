"""What the clean stage removes from real news text, and how fast: the SemEval-2022 Task 8 texts.

    .venv/bin/python benchmarks/clean.py
    .venv/bin/python benchmarks/clean.py --show related_link --sample 20

Printed: articles/s (wall clock) and CPU ms per article of clean() over the 1,978 texts (about 1,000
characters each; de, en, es, tr, pl, ar, fr), the share of texts touched and of characters removed, how often
each rule fired, and optionally a random sample of the pieces one rule removed, to read and check that they
are boilerplate and not story.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections import Counter
from pathlib import Path

from samestory.article import Article
from samestory.clean import clean

DEFAULT_PAIRS = Path(__file__).resolve().parents[1].parent / "shared/data/semeval2022-task8/pairs.jsonl"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=Path, default=DEFAULT_PAIRS)
    parser.add_argument("--show", help="print removed pieces of this rule ('all' for every rule)")
    parser.add_argument("--sample", type=int, default=15, help="how many pieces --show prints")
    args = parser.parse_args()

    texts = []
    for line in args.pairs.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        texts += [(row["lang1"], row["text1"]), (row["lang2"], row["text2"])]
    start, cpu = time.perf_counter(), time.process_time()
    articles = [clean(Article(id=str(i), text=text, language=lang)) for i, (lang, text) in enumerate(texts)]
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu

    raw = sum(len(a.raw_text or "") for a in articles)
    kept = sum(len(a.text) for a in articles)
    touched = sum(bool(a.removed) for a in articles)
    print(
        f"{len(articles)} texts, {len(articles) / seconds:,.0f} articles/s, {cpu / len(articles) * 1000:.3f} ms/article (CPU)"
    )
    print(f"touched: {touched} ({touched / len(articles):.1%}); characters removed: {(raw - kept) / raw:.2%}")
    rules = Counter(r.rule for a in articles for r in a.removed)
    print("rules (pieces removed):", ", ".join(f"{rule} {count}" for rule, count in rules.most_common()))
    if args.show:
        pieces = [(a.language, r) for a in articles for r in a.removed if args.show in (r.rule, "all")]
        for language, removal in random.Random(0).sample(pieces, min(args.sample, len(pieces))):
            print(f"[{removal.rule}] {language} {removal.text[:160]!r}")


if __name__ == "__main__":
    main()
