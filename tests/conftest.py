"""Shared fixtures: paths to the repository, the shared data and the seeds."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("SAMESTORY_SHARED", ROOT.parent / "shared"))
SEEDS = SHARED / "seeds"
SEMEVAL = SHARED / "data" / "semeval2022-task8" / "pairs.jsonl"
EXAMPLES = ROOT / "examples"

# Boilerplate of the two seeds that the cleaned texts must not keep (the story itself stays).
SEED_BOILERPLATE = [
    "Also read",
    "See also",
    "Biden uses a shorter staircase",
    "You May Also Like",
    "About the Author",
    "Hermínio Guimarães",
    "Introvertido premiado",
    "Leave a Reply",
    "Your email address",
    "Required fields are marked",
    "read also",
    "date 2022-12-29",
    "redirected its deliveries to India",
]

os.environ.setdefault("SAMESTORY_EMBED_THREADS", "1")  # pytest -n 2 runs two workers on two cores


@pytest.fixture(scope="session")
def seed_paths() -> list[Path]:
    paths = sorted(SEEDS.glob("*.txt"))
    if len(paths) != 2:
        pytest.skip(f"the two seed articles are not in {SEEDS}")
    return paths


@pytest.fixture(scope="session")
def semeval_path() -> Path:
    if not SEMEVAL.exists():
        pytest.skip(f"the SemEval pairs are not in {SEMEVAL}")
    return SEMEVAL


@dataclass(frozen=True)
class CliResult:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., CliResult]:
    """The command line run in this process (no fresh interpreter, the models of earlier tests already loaded):
    its exit status and what it printed. Its log lines go to pytest's log capture (`caplog`), not to stderr:
    a test of what the process itself writes on stderr runs it in a subprocess."""
    from samestory.cli import main

    def run(*args: str) -> CliResult:
        capsys.readouterr()
        try:
            code = main(list(args))
        except SystemExit as exc:  # argparse's --help, --version and bad flags
            code = exc.code if isinstance(exc.code, int) else 2
        out = capsys.readouterr()
        return CliResult(code, out.out, out.err)

    return run
