"""compare() on real articles: the two seeds (one AFP dispatch, two outlets) and an unrelated article."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import EXAMPLES, SEED_BOILERPLATE, CliResult

from samestory.article import Article
from samestory.compare import compare
from samestory.compare.passages import align
from samestory.pipeline import process
from samestory.read import Reader


def _load(path: Path) -> Article:
    return process(next(iter(Reader(strict=True).read([str(path)]))))


@pytest.fixture(scope="module")
def seeds(seed_paths: list[Path]) -> tuple[Article, Article]:
    return _load(seed_paths[0]), _load(seed_paths[1])


@pytest.fixture(scope="module")
def seed_result(seeds: tuple[Article, Article]):  # type: ignore[no-untyped-def]
    return compare(*seeds)


def _canonical(article: Article, surface: str) -> str:
    found = [e.canonical for e in article.entities if surface.lower() in e.text.lower()]
    assert found, f"{surface} not found among {[e.text for e in article.entities]}"
    return found[0]


def test_seeds_are_the_same_story_from_one_dispatch(seed_result) -> None:  # type: ignore[no-untyped-def]
    assert seed_result.relation in {"rewrite", "translation"}
    assert seed_result.same_story
    assert seed_result.scores["overall"] <= 1.5


def test_seeds_have_at_least_eight_aligned_passages(seed_result) -> None:  # type: ignore[no-untyped-def]
    assert len(seed_result.passages) >= 8
    texts = " ".join(p.a_text + " " + p.b_text for p in seed_result.passages)
    assert "East China Sea" in texts and "Peskov" in texts
    assert all(0.6 <= p.similarity <= 1.0 for p in seed_result.passages)


def test_seeds_share_the_date_and_the_people(seeds, seed_result) -> None:  # type: ignore[no-untyped-def]
    assert "2022-12-30" in seed_result.evidence.shared_dates
    a, b = seeds
    for surface_a, surface_b in (("Putin", "Poutine"), ("Xi", "Xi"), ("Peskov", "Peskov")):
        assert _canonical(a, surface_a) == _canonical(b, surface_b)
        assert _canonical(a, surface_a) in seed_result.evidence.shared_entities


@pytest.mark.parametrize("index", [0, 1])
def test_no_boilerplate_left_in_the_seeds(seeds, index: int) -> None:  # type: ignore[no-untyped-def]
    text = seeds[index].text
    for phrase in SEED_BOILERPLATE:
        assert phrase.lower() not in text.lower(), phrase
    assert "East China Sea" in text  # the story itself stays


def test_seed_against_an_unrelated_article(seeds) -> None:  # type: ignore[no-untyped-def]
    unrelated = sorted((EXAMPLES / "articles" / "unrelated").glob("*.txt"))
    assert unrelated, "examples/articles/unrelated holds the unrelated sample articles"
    english = [a for a in map(_load, unrelated) if a.language == "en"]
    result = compare(seeds[0], english[0])
    assert result.relation == "unrelated"
    assert result.scores["overall"] >= 3.5


def test_comparison_is_symmetric_in_its_verdict(seeds) -> None:  # type: ignore[no-untyped-def]
    forward, backward = compare(*seeds), compare(seeds[1], seeds[0])
    assert forward.relation == backward.relation
    assert len(forward.passages) == len(backward.passages)


def test_translation_aligns_across_languages() -> None:
    english = "The central bank raised its key interest rate by half a point on Thursday. Inflation reached 7 percent in May."
    french = "La banque centrale a relevé jeudi son taux directeur d'un demi-point. L'inflation a atteint 7 % en mai."
    alignment = align(english, french)
    assert [(p.a_index, p.b_index) for p in alignment.passages] == [(0, 0), (1, 1)]
    assert alignment.coverage_a == pytest.approx(1.0)


def test_compare_scores_with_the_model_it_is_given(seeds) -> None:  # type: ignore[no-untyped-def]
    from samestory.compare.features import pair_features
    from samestory.compare.model import DIMENSIONS, ScoreModel

    features = [pair_features(*seeds), pair_features(seeds[1], seeds[0])] * 10
    dissimilar = ScoreModel.train(features, [dict.fromkeys(DIMENSIONS, 4.0)] * len(features), rounds=5)
    assert compare(*seeds).scores["overall"] < 2.5  # the shipped model: one dispatch
    assert compare(*seeds, model=dissimilar).scores["overall"] == pytest.approx(4.0, abs=0.05)


def test_compare_cli_json(seed_paths: list[Path], cli: Callable[..., CliResult]) -> None:
    out = cli("compare", "--json", *map(str, seed_paths))
    assert out.returncode == 0
    result = json.loads(out.stdout)
    assert result["same_story"] is True
    assert set(result["scores"]) == {"geography", "entities", "time", "narrative", "style", "tone", "overall"}
    assert len(result["passages"]) >= 8
    assert {"relation", "coverage_a", "coverage_b", "added", "dropped", "evidence"} <= set(result)


def _gold() -> list[dict[str, object]]:
    return [json.loads(line) for line in (EXAMPLES / "gold.jsonl").read_text().splitlines() if line.strip()]


def _copies() -> list[tuple[str, str, str]]:
    gold = _gold()
    originals = {g["story"]: g["path"] for g in gold if g["original"] and g["relation"] == "original"}
    return [
        (str(originals[g["story"]]), str(g["path"]), str(g["relation"]))
        for g in gold
        if not g["original"] and g["story"] in originals
    ]


@pytest.mark.parametrize(("original", "copy", "relation"), _copies(), ids=lambda v: Path(str(v)).stem)
def test_sample_copies_get_their_gold_relation(original: str, copy: str, relation: str) -> None:
    root = EXAMPLES.parent
    assert compare(_load(root / original), _load(root / copy)).relation == relation
