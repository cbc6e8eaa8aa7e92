"""The candidate indexes on their own: vectors (hnswlib), entities and terms (tables on a real SQLite file)."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from samestory import config
from samestory.article import Article, Entity
from samestory.errors import ConfigError
from samestory.index.entities import EntityIndex, entity_keys
from samestory.index.terms import TermIndex, term_vector
from samestory.index.vectors import VectorIndex, lead_text


def _unit(rng: np.random.Generator, n: int, dim: int) -> np.ndarray:
    x = rng.standard_normal((n, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_vector_index_finds_the_nearest_and_grows_past_its_capacity() -> None:
    rng = np.random.default_rng(1)
    vectors = _unit(rng, 40, 16)
    index = VectorIndex(dim=16, capacity=10)
    index.add(list(range(1, 41)), vectors)  # four times the capacity: resized
    assert len(index) == 40 and index.missing_after() == 40
    found = index.query(vectors[6], k=3)
    assert found[0] == (7, pytest.approx(1.0, abs=1e-3))
    assert [c for _, c in found] == sorted((c for _, c in found), reverse=True)
    assert len(index.query(vectors[0], k=100)) == 40  # k beyond the count: all of them
    assert index.query(np.zeros(16, np.float32), k=3) == []  # an empty text's vector matches nothing
    assert np.allclose(index.vectors([7]), vectors[6:7], atol=1e-6)


def test_vector_index_saves_atomically_and_rebuilds_from_an_unreadable_file(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "v.hnsw"
    vectors = _unit(np.random.default_rng(2), 5, 8)
    index = VectorIndex(path, dim=8)
    index.add([3, 4, 9, 10, 11], vectors)
    index.save()
    assert not path.with_name(path.name + ".tmp").exists()
    reopened = VectorIndex(path, dim=8)
    assert len(reopened) == 5 and reopened.missing_after() == 11  # the caller re-adds the store's seqs above
    assert reopened.query(vectors[2], k=1)[0][0] == 9
    path.write_bytes(path.read_bytes()[:100])  # cut short, as by a full disk
    with caplog.at_level(logging.WARNING):
        rebuilt = VectorIndex(path, dim=8)
    assert len(rebuilt) == 0 and rebuilt.missing_after() == 0 and "rebuilding" in caplog.text
    with pytest.raises(ConfigError):
        VectorIndex(dim=8, capacity=0)


def test_the_lead_is_the_title_and_whole_first_sentences() -> None:
    sentence = "A fire broke out at a recycling plant in the east of the city on Tuesday night. "
    article = Article(id="a", title="Fire in Sheffield", text=sentence * 10)
    lead = lead_text(article)
    assert lead.startswith("Fire in Sheffield\nA fire broke out")
    assert lead.endswith("night.") and len(lead) <= len(article.title) + 1 + config.STORY_LEAD_CHARS


def test_entity_index_counts_shared_entities_and_reads_only_recent_postings(tmp_path: Path) -> None:
    connection = sqlite3.connect(tmp_path / "s.db")
    index = EntityIndex(connection)
    index.add(1, ["person:a", "org:b", "city:c"])
    index.add(2, ["person:a", "org:b"])
    index.add(3, ["person:a", "org:b", "city:c", "country:d"])
    keys = ["person:a", "org:b", "city:c", "country:d"]
    assert index.query(keys, min_shared=2) == [(3, 4), (1, 3), (2, 2)]  # most shared first, then most recent
    assert index.query(keys, min_shared=3, min_seq=1) == [(3, 4)]
    common = config.STORY_ENTITY_POSTINGS + 10  # a country named by every article
    for seq in range(10, 10 + common):
        index.add(seq, ["country:x"])
    found = index.query(["country:x"], min_shared=1)
    assert len(found) == config.STORY_ENTITY_POSTINGS and min(s for s, _ in found) == 20  # the most recent only
    connection.rollback()  # the postings are in the caller's transaction: gone with it
    assert index.query(keys, min_shared=1) == []


def test_entity_keys_are_the_distinct_canonical_ids() -> None:
    article = Article(
        id="a",
        text="...",
        entities=[
            Entity("Putin", "PER", "vladimir putin"),
            Entity("Vladimir Putin", "PER", "vladimir putin"),
            Entity("Moscou", "LOC", "city:524901"),
            Entity("?", "ORG", ""),
        ],
    )
    assert entity_keys(article) == ["city:524901", "vladimir putin"]


def test_term_index_weights_rare_words_and_undoes_a_rolled_back_batch(tmp_path: Path) -> None:
    connection = sqlite3.connect(tmp_path / "s.db")
    terms = TermIndex(connection)
    texts = ["the fire in the city", "the flood in the city", "the fire at the plant", "the vote in the city"]
    vectors = [term_vector(Article(id=str(i), text=t), 2.0) for i, t in enumerate(texts)]
    for seq, vector in enumerate(vectors, start=1):
        terms.add(seq, vector)
    connection.commit()
    terms.commit()
    query = term_vector(Article(id="q", text="fire fire city"), 2.0)
    weights = terms.weights(query)
    assert np.isclose(float(weights @ weights), 1.0)
    fire, flood = terms.cosine(query, weights, vectors[0]), terms.cosine(query, weights, vectors[1])
    assert fire > flood > 0.0  # "fire" is rarer than "city": it weighs more
    assert terms.cosine(query, weights, term_vector(Article(id="z", text="nothing shared"), 2.0)) == 0.0
    df_before, documents_before = terms.df.copy(), terms.documents
    terms.add(5, term_vector(Article(id="5", text="fire fire fire"), 2.0))
    connection.rollback()
    terms.rollback()
    assert terms.documents == documents_before and np.array_equal(terms.df, df_before)
    reopened = TermIndex(connection)  # the counts on disk agree with those in memory
    assert reopened.documents == 4 and np.array_equal(reopened.df, terms.df)
    assert set(reopened.vectors([1, 2, 5])) == {1, 2}
    assert reopened.missing([1, 2, 3, 4, 6, 7]) == [6, 7]
    assert reopened.missing([1, 2, 3, 4]) == []
