"""Out-of-sample check of story clustering on English: the pair model retrained without any English article.

    SAMESTORY_EMBED_THREADS=2 .venv/bin/python scripts/heldout_stories.py [--gate REJECT]

The shipped pair model saw every SemEval pair, so `samestory eval stories ... --lang en` is in-sample. This
trains the same model (same features, same settings) and the stories gate on the pairs that share no article
with an English pair and no English side, puts them behind compare() and the clusterer, and clusters the
English pairs and the sample stories.
"""

import argparse
import sys
from pathlib import Path

from samestory import config
from samestory.compare import model
from samestory.evaluate import evaluate_stories, features_table, read_pairs
from samestory.stories import gate

ROOT = Path(__file__).resolve().parents[1]
PAIRS = ROOT.parent / "shared" / "data" / "semeval2022-task8" / "pairs.jsonl"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gate", type=float, metavar="REJECT", help="the gate threshold to try "
                        f"(default {config.STORY_GATE_REJECT}; 0: no gate)")
    args = parser.parse_args()
    if args.gate is not None:
        config.STORY_GATE_REJECT = args.gate
    records = read_pairs(PAIRS)
    english = {i for r in records if r.languages == "en" for i in (r.a.id, r.b.id)}
    train = [r for r in records if r.a.id not in english and r.b.id not in english and "en" not in r.languages]
    gold = [{d: r.gold[d] for d in model.DIMENSIONS} for r in train]
    heldout = model.ScoreModel.train(features_table(train), gold)
    model.ScoreModel.load = classmethod(lambda cls, e5=False: heldout)  # type: ignore[method-assign]
    heldout_gate = gate.train_gate(train)
    gate.Gate.load = classmethod(lambda cls: heldout_gate)  # type: ignore[method-assign]
    print(f"{len(train)} of {len(records)} pairs for training, none with an English article")
    for name, path, languages in (("SemEval en", PAIRS, {"en"}), ("examples", ROOT / "examples" / "gold.jsonl", None)):
        r = evaluate_stories(path, languages=languages)
        print(
            f"{name}: pairwise P {r.precision:.3f} R {r.recall:.3f} F1 {r.f1:.3f}, B-cubed F1 {r.bcubed_f1:.3f}, "
            f"ARI {r.ari:.3f}, compare() calls {r.compares}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
