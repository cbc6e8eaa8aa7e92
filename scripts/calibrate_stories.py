"""Leave-one-set-out calibration of the story decision on the real labelled sets.

    .venv/bin/python scripts/calibrate_stories.py [--join 0.3 0.35 0.4 0.45] [--json out/calibration.json]

Every set is clustered with each candidate value of StoryRules.join (the other rules at their defaults);
for each set, the value chosen is the one with the best mean pairwise F1 on the *other* sets, and the figure
reported for the set is its F1 at that value: no set's figure comes from a value chosen on it. The sets: the
three article sets in shared/data/stories and the English SemEval-2022 Task 8 pairs (Overall <= 1.5 same
story, >= 3.5 different). Articles are processed once per set; the TF-IDF baseline is scored in the same run.
"""

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

from samestory.article import Article
from samestory.evaluate.pairs import default_process
from samestory.evaluate.stories import evaluate_stories, read_story_labels
from samestory.stories.decision import StoryRules

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
SETS = {
    "ecbplus-dev": (DATA / "stories" / "ecbplus-dev.jsonl", None),
    "allsides-dev": (DATA / "stories" / "allsides-dev.jsonl", None),
    "cstnews-pt": (DATA / "stories" / "cstnews-pt.jsonl", None),
    "semeval-en": (DATA / "semeval2022-task8" / "pairs.jsonl", {"en"}),
}


def _processed(done: dict[str, Article]):  # type: ignore[no-untyped-def]
    """A `process` that returns the article processed beforehand."""
    return lambda article: done[article.id]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--join", type=float, nargs="+", default=[0.3, 0.35, 0.4, 0.45, 0.5])
    parser.add_argument("--json", type=Path, help="write every figure to this file")
    args = parser.parse_args()
    process = default_process()
    f1: dict[str, dict[float, float]] = {}
    figures: dict[str, dict[str, object]] = {}
    for name, (path, languages) in SETS.items():
        articles, _, _ = read_story_labels(path, languages=languages)
        done: dict[str, Article] = {a.id: process(a) for a in articles}
        f1[name] = {}
        for join in args.join:
            report = evaluate_stories(path, languages=languages, rules=replace(StoryRules(), join=join),
                                      process=_processed(done))
            f1[name][join] = report.f1
            figures[f"{name} {join}"] = report.to_dict()
            base = report.baseline
            print(f"{name} join {join}: F1 {report.f1:.3f} (P {report.precision:.3f} R {report.recall:.3f}), "
                  f"B-cubed {report.bcubed_f1:.3f}; TF-IDF baseline F1 {base.f1 if base else 0:.3f}", flush=True)
    print("\nleave one set out:")
    chosen = {}
    for name in SETS:
        others = [n for n in SETS if n != name]
        join = max(args.join, key=lambda j: sum(f1[n][j] for n in others) / len(others))
        chosen[name] = join
        print(f"{name}: join {join} (best on {', '.join(others)}) -> F1 {f1[name][join]:.3f}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"f1": f1, "chosen": chosen, "reports": figures}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
