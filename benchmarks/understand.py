"""Throughput of the understand stage on the SemEval-2022 Task 8 texts (about 1,000 characters each).

    .venv/bin/python benchmarks/understand.py
    .venv/bin/python benchmarks/understand.py --ner-chars 150 300 600 --dateparser 100
    .venv/bin/python benchmarks/understand.py --stages


Printed: articles/s of understand() with and without entities over all 1,978 texts (languages as in the
data: de, en, es, tr, pl, ar, fr), articles/s with entities by language, and optionally the same with other
`config.UNDERSTAND_NER_CHARS` values and dateparser's `search_dates` on the first N texts for comparison.
One process, one core; every run warms the models up first. `--stages` prints instead the CPU milliseconds
per article of each step (language given, one pass, so the caches start as cold as for new articles): CPU
time, not wall-clock, so that other jobs on the cores change the figures less.

Then how well the found entities, places and numbers tell pairs apart: the mean Jaccard similarity of the
two articles' canonical ids for same-story pairs (Overall <= 1.5) and different-story pairs (Overall >= 3.5),
by language pair. A pair of articles about one story should share ids, across languages too (de-en).
"""

from __future__ import annotations

import argparse
import json
import time
from collections import defaultdict
from datetime import datetime
from pathlib import Path

from samestory import config
from samestory.article import Article
from samestory.understand import (
    detect_language,
    extract_entities,
    extract_numbers,
    resolve_dates,
    understand,
)

DEFAULT_PAIRS = Path(__file__).resolve().parents[1].parent / "shared/data/semeval2022-task8/pairs.jsonl"
PUBLISHED = datetime(2020, 5, 1)


def load(path: Path) -> list[tuple[str, str]]:
    """(text, language) of both sides of every pair."""
    out = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            out += [(row["text1"], row["lang1"]), (row["text2"], row["lang2"])]
    return out


def rate(
    texts: list[tuple[str, str]], *, entities: bool, ner_chars: int = config.UNDERSTAND_NER_CHARS
) -> tuple[float, dict[str, float]]:
    """Articles/s overall and by language (the language is detected, not given)."""
    articles = [Article(id=str(i), text=text, published=PUBLISHED) for i, (text, _) in enumerate(texts)]
    spent: dict[str, list[float]] = defaultdict(list)
    start = time.perf_counter()
    for article, (_, language) in zip(articles, texts):
        t = time.perf_counter()
        understand(article, entities=entities, ner_chars=ner_chars)
        spent[language].append(time.perf_counter() - t)
    total = time.perf_counter() - start
    return len(articles) / total, {lang: len(v) / sum(v) for lang, v in spent.items()}


def stages(texts: list[tuple[str, str]]) -> None:
    """CPU ms per article of each step of understand(), one pass over the texts each."""
    articles = [
        Article(id=str(i), text=text, language=lang, published=PUBLISHED)
        for i, (text, lang) in enumerate(texts)
    ]
    steps = {
        "detect_language": lambda a: detect_language(a.text),
        "resolve_dates": lambda a: resolve_dates(a.text, PUBLISHED.date(), a.language, anchored=True),
        "extract_numbers": lambda a: extract_numbers(a.text, a.language),
        "extract_entities": lambda a: extract_entities(a.title, a.text, a.language),
    }
    for name, step in steps.items():
        start = time.process_time()
        for article in articles:
            step(article)
        print(f"{name:17s} {(time.process_time() - start) / len(articles) * 1000:.3f} ms/article (CPU)")


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a | b else 0.0


def agreement(path: Path) -> None:
    """Mean Jaccard of entity ids, place ids and numbers, same-story vs different-story pairs."""
    scores: dict[tuple[str, str], list[tuple[float, float, float]]] = defaultdict(list)
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            group = "same" if row["Overall"] <= 1.5 else "different" if row["Overall"] >= 3.5 else None
            if group is None:
                continue
            a, b = (understand(Article(id=k, text=row[f"text{k}"], language=row[f"lang{k}"])) for k in "12")
            places_a = {e.canonical for e in a.entities if e.label == "LOC"}
            places_b = {e.canonical for e in b.entities if e.label == "LOC"}
            triple = (
                _jaccard({e.canonical for e in a.entities}, {e.canonical for e in b.entities}),
                _jaccard(places_a, places_b),
                _jaccard(set(a.numbers), set(b.numbers)),
            )
            scores[("all", group)].append(triple)
            scores[(f"{row['lang1']}-{row['lang2']}", group)].append(triple)
    print("mean Jaccard (entities, places, numbers), same-story vs different-story pairs:")
    for pair in sorted({p for p, _ in scores}, key=lambda p: (p != "all", p)):
        cells = []
        for group in ("same", "different"):
            rows = scores.get((pair, group), [])
            means = [sum(r[i] for r in rows) / len(rows) for i in range(3)] if rows else [0.0] * 3
            cells.append(f"{group} (n={len(rows)}) " + " ".join(f"{m:.3f}" for m in means))
        print(f"  {pair:6s} " + "   ".join(cells))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=Path, default=DEFAULT_PAIRS)
    parser.add_argument("--ner-chars", type=int, nargs="*", default=[])
    parser.add_argument("--dateparser", type=int, default=0, help="texts to run dateparser.search_dates on")
    parser.add_argument("--stages", action="store_true", help="CPU ms per article of each step, then stop")
    args = parser.parse_args()
    texts = load(args.pairs)
    mean_chars = sum(len(t) for t, _ in texts) / len(texts)
    if args.stages:  # warmed up on other text, so that no step finds the timed texts in a cache
        for language in ("en", "fr", "de", "ar"):
            understand(Article(id="warm", text="Warm-up in Paris on 3 May 2020.", language=language))
        stages(texts)
        return
    for text, language in texts[:50]:  # load spaCy, the gazetteer and the date tables
        understand(Article(id="warm", text=text, language=language, published=PUBLISHED))
    print(f"{len(texts)} texts, {mean_chars:.0f} characters on average")
    without, _ = rate(texts, entities=False)
    print(f"understand(entities=False): {without:,.0f} articles/s")
    for chars in [config.UNDERSTAND_NER_CHARS, *args.ner_chars]:
        overall, by_language = rate(texts, entities=True, ner_chars=chars)
        langs = "  ".join(f"{lang} {r:,.0f}" for lang, r in sorted(by_language.items(), key=lambda kv: kv[1]))
        print(f"understand(entities=True), NER on {chars} chars: {overall:,.0f} articles/s  ({langs})")
    if args.dateparser:
        from dateparser.search import search_dates

        sample = texts[: args.dateparser]
        start = time.perf_counter()
        for text, language in sample:
            resolve_dates(text, PUBLISHED.date(), language)
        ours = len(sample) / (time.perf_counter() - start)
        start = time.perf_counter()
        for text, language in sample:
            search_dates(text, languages=[language], settings={"RELATIVE_BASE": PUBLISHED})
        theirs = len(sample) / (time.perf_counter() - start)
        print(
            f"dates on {len(sample)} texts: resolve_dates {ours:,.0f}/s, dateparser.search_dates {theirs:,.1f}/s"
        )
    agreement(args.pairs)


if __name__ == "__main__":
    main()
