"""Train the pair score model and the stories gate, and write the files shipped in the package
(src/samestory/models/scores.json, src/samestory/models/gate.json).

    SAMESTORY_EMBED_THREADS=1 .venv/bin/python scripts/train_scores.py [../shared/data/semeval2022-task8/pairs.jsonl]

The same command gives the same file, byte for byte: features are rounded, LightGBM runs with a fixed seed,
deterministic=True and one thread, the ridge is solved in closed form. It prints the SHA-256 of the file.
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
GATE_OUTPUT = OUTPUT.with_name("gate.json")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="?", default=str(DEFAULT_DATA), help="labelled pairs (JSON lines)")
    parser.add_argument("--output", default=str(OUTPUT), help="where to write the model file")
    parser.add_argument("--gate-output", default=str(GATE_OUTPUT), help="where to write the gate file")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="train_scores: %(message)s")

    from samestory.compare.model import ScoreModel
    from samestory.evaluate import features_table, read_pairs
    from samestory.stories.gate import train_gate

    records = read_pairs(args.data)
    features = features_table(records)
    model = ScoreModel.train(features, [r.gold for r in records])
    for path, text in ((args.output, model.to_json() + "\n"), (args.gate_output, train_gate(records).to_json() + "\n")):
        Path(path).write_text(text, encoding="utf-8")
        digest = hashlib.sha256(text.encode()).hexdigest()
        sys.stdout.write(f"{path}: {len(records)} pairs, {len(text) / 1024:.0f} KiB, sha256 {digest}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
