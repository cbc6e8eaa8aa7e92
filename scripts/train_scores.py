"""Train the pair score models and write the files shipped in the package
(src/samestory/models/scores.json, scores-e5.json).

    SAMESTORY_EMBED_THREADS=1 .venv/bin/python scripts/train_scores.py [PAIRS] [--also COPIES]

scores.json learns from the labelled pairs (default ../shared/data/semeval2022-task8/pairs.jsonl);
scores-e5.json too, with the second encoder's feature (samestory.compare.e5; needs the `e5` extra, else the
file is left as it is, with a warning), and with the training pairs of --also (default: pairs-augmented.jsonl
beside DATA, machine-translated copies; only those whose base_pair_id is a pair of DATA, see
evaluate.pairs.read_copies: 161 of 696). They add languages the 989 pairs lack (it, ru, zh, es-en, zh-en,
pl-en, de-fr); in grouped 5-fold CV with e5, Overall 0.769 with them and 0.771 without, every language pair
at or above the USE model's with them (fr 0.616), not without (fr 0.563 < 0.566) (BENCHMARKS.md, "Scores").
--also '' trains on DATA alone.

The same command gives the same files, byte for byte: features are rounded, LightGBM runs with a fixed seed,
deterministic=True and one thread, the ridge is solved in closed form. It prints the SHA-256 of each file.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "semeval2022-task8" / "pairs.jsonl"
OUTPUT = ROOT / "src" / "samestory" / "models" / "scores.json"
E5_OUTPUT = OUTPUT.with_name("scores-e5.json")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="?", default=str(DEFAULT_DATA), help="labelled pairs (JSON lines)")
    parser.add_argument("--also", default=None, help="labelled pairs for scores-e5.json only, copies of "
                        "pairs of DATA (default: pairs-augmented.jsonl beside DATA when it is there)")
    parser.add_argument("--output", default=str(OUTPUT), help="where to write the model file")
    parser.add_argument("--e5-output", default=str(E5_OUTPUT), help="where to write the model file with e5")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="train_scores: %(message)s")

    from samestory.compare.model import DIMENSIONS, ScoreModel
    from samestory.errors import ConfigError
    from samestory.evaluate.pairs import features_table, read_copies, read_pairs

    records = read_pairs(args.data)
    also = Path(args.data).with_name("pairs-augmented.jsonl") if args.also is None else args.also
    extra = read_copies(also, records) if also and Path(also).exists() else []
    gold = [{d: r.gold[d] for d in DIMENSIONS} for r in [*records, *extra]]
    outputs = [
        (args.output, len(records), ScoreModel.train(features_table(records), gold[: len(records)])),
    ]
    try:
        features = features_table(records, e5=True) + (features_table(extra, e5=True) if extra else [])
        outputs.append((args.e5_output, len(gold), ScoreModel.train(features, gold)))
    except ConfigError as exc:
        logging.warning("%s not written: %s", args.e5_output, exc)
    for path, count, model in outputs:
        text = model.to_json() + "\n"
        Path(path).write_text(text, encoding="utf-8")
        digest = hashlib.sha256(text.encode()).hexdigest()
        sys.stdout.write(f"{path}: {count} pairs, {len(text) / 1024:.0f} KiB, sha256 {digest}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
