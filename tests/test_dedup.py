"""The near-duplicate index (samestory.index.minhash) and the dedup stage (samestory.dedup)."""

from __future__ import annotations

import json
import random
import sqlite3
import subprocess
import sys
import unicodedata
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from conftest import CliResult
from hypothesis import given, settings
from hypothesis import strategies as st

from samestory.article import Article
from samestory.dedup import find_duplicates
from samestory.errors import ConfigError
from samestory.index.minhash import MinHashIndex, distinct, jaccard, lsh_params, sketch, word_hashes
from samestory.text import words

VOCAB = [
    "government",
    "minister",
    "said",
    "on",
    "tuesday",
    "that",
    "the",
    "new",
    "policy",
    "would",
    "reduce",
    "prices",
    "for",
    "families",
    "across",
    "the",
    "country",
    "while",
    "critics",
    "argued",
    "it",
    "could",
    "harm",
    "small",
    "businesses",
    "in",
    "rural",
    "areas",
    "where",
    "unemployment",
    "remains",
    "high",
    "after",
    "the",
    "floods",
    "destroyed",
    "roads",
    "bridges",
    "and",
    "farms",
    "last",
    "spring",
    "officials",
    "promised",
    "help",
    "soon",
]
T0 = datetime(2024, 3, 1, tzinfo=UTC)


def story(seed: int, n_words: int = 300) -> str:
    """A deterministic pseudo-article: sentences of random words from a small vocabulary."""
    rng = random.Random(seed)
    sentences = []
    while sum(len(s.split()) for s in sentences) < n_words:
        sentence = " ".join(rng.choice(VOCAB) for _ in range(rng.randint(8, 16)))
        sentences.append(sentence[0].upper() + sentence[1:] + ".")
    return " ".join(sentences)


def edit(text: str, n: int, seed: int) -> str:
    """Replace n words at random positions."""
    rng = random.Random(seed)
    out = text.split(" ")
    for _ in range(n):
        out[rng.randrange(len(out))] = rng.choice(["bank", "storm", "court", "league"])
    return " ".join(out)


def corpus() -> tuple[list[Article], dict[str, str]]:
    """Five originals, their planted copies (id -> original id) and unrelated articles."""
    articles, planted = [], {}
    for k in range(5):
        base = story(k)
        articles.append(Article(id=f"o{k}", text=base, published=T0 + timedelta(days=k)))
        copies = {
            f"o{k}-case": base.upper(),
            f"o{k}-punct": base.replace(".", "").replace(" the ", " the, "),
            f"o{k}-space": base.replace(" ", "  \n "),
            f"o{k}-boiler": f"Advertisement\n\n{base}\n\nShare this article. Subscribe to our newsletter.",
            f"o{k}-edit": edit(base, 3, k),
        }
        for i, (cid, text) in enumerate(copies.items()):
            articles.append(Article(id=cid, text=text, published=T0 + timedelta(days=k, hours=i + 1)))
            planted[cid] = f"o{k}"
    articles.extend(Article(id=f"u{k}", text=story(100 + k), published=T0) for k in range(20))
    return articles, planted


def test_words_hash_like_text_words() -> None:
    """The vectorised word hashes follow samestory.text.words: case, punctuation and spacing don't count."""
    text = "Le Président  a dit: «Été 2024» — l'économie va BIEN! Straße; 東京 3,5%"
    flat, offsets = word_hashes([text, "le président a dit été 2024 l économie va bien straße 東京 3 5"])
    first, second = flat[offsets[0] : offsets[1]], flat[offsets[1] : offsets[2]]
    assert len(first) == len(words(text))
    assert np.array_equal(first, second)
    one_by_one = np.concatenate(
        [word_hashes([w])[0] for w in ["le", "président", "a", "dit", "été", "2024", "l", "économie"]]
    )
    assert np.array_equal(first[:8], one_by_one)  # a word hashes alike wherever it stands
    assert word_hashes(["dog god"])[0][0] != word_hashes(["dog god"])[0][1]
    turkish = word_hashes(["İSTANBUL", "istanbul", "ISTANBUL", "ıstanbul"])[0]
    assert len(set(turkish.tolist())) == 1
    assert len(word_hashes(["हिन्दी भाषा"])[0]) == 2  # combining vowel signs stay inside the word


def test_lsh_params_match_datasketch_at_equal_weights() -> None:
    assert lsh_params(0.8, 128, 0.5) == (9, 13)  # datasketch's _optimal_param(0.8, 128, 0.5, 0.5)
    bands, rows = lsh_params(0.8, 128, 0.99)
    assert bands * rows <= 128
    assert 1 - (1 - 0.8**rows) ** bands > 0.98  # a pair at the threshold is nearly always a candidate
    with pytest.raises(ConfigError):
        lsh_params(1.5, 128, 0.5)


def test_estimate_close_to_exact_jaccard() -> None:
    base = story(7, 600)
    texts = [base] + [edit(base, n, n) for n in (5, 20, 60)]
    sk = sketch(texts, shingle=3, num_perm=128, seed=1, keep_shingles=True)
    assert sk.shingles is not None
    for i in range(1, len(texts)):
        exact = jaccard(sk.shingles_of(0), sk.shingles_of(i))
        estimate = float((sk.signatures[0] == sk.signatures[i]).mean())
        assert abs(exact - estimate) < 0.15  # > 3 standard errors at 128 permutations
    assert jaccard(sk.shingles_of(0), sk.shingles_of(1)) > jaccard(sk.shingles_of(0), sk.shingles_of(3))


def test_planted_duplicates_found_and_unrelated_not_grouped() -> None:
    articles, planted = corpus()
    groups = find_duplicates(articles, threshold=0.8)
    group_of = {m.id: g.earliest.id for g in groups for m in g.members}
    for copy, original in planted.items():
        assert group_of.get(copy) == original, copy
    assert not any(a.id in group_of for a in articles if a.id.startswith("u"))
    assert len(groups) == 5
    for g in groups:
        assert g.earliest.id.startswith("o") and g.earliest.estimated == 1.0 and g.earliest.verified == 1.0
        for m in g.members[1:]:
            assert m.verified is not None and m.verified >= 0.8
            assert abs(m.estimated - m.verified) < 0.15


def test_earliest_is_by_publication_then_input_order() -> None:
    text = story(3)
    late = Article(id="late", text=text, published=T0 + timedelta(days=2))
    early = Article(id="early", text=text.upper(), published=T0)
    undated1, undated2 = Article(id="n1", text=text), Article(id="n2", text=text + " Advertisement")
    (group,) = find_duplicates([undated1, late, undated2, early])
    assert [m.id for m in group.members] == ["early", "late", "n1", "n2"]
    (group,) = find_duplicates([undated2, undated1])
    assert group.earliest.id == "n2"


def test_results_identical_across_runs_and_processes() -> None:
    articles, _ = corpus()
    first = [g.to_dict() for g in find_duplicates(articles)]
    assert first == [g.to_dict() for g in find_duplicates(list(reversed(articles))[::-1])]
    code = (
        "from samestory.index.minhash import sketch; import sys; "
        "sys.stdout.write(sketch([sys.argv[1]], shingle=3, num_perm=128, seed=1, keep_shingles=False)"
        ".signatures.tobytes().hex())"
    )
    text = story(11)
    here = sketch([text], shingle=3, num_perm=128, seed=1, keep_shingles=False).signatures.tobytes().hex()
    there = subprocess.run(
        [sys.executable, "-c", code, text], capture_output=True, text=True, check=True
    ).stdout
    assert here == there


def test_templated_flood_keeps_the_real_copies_and_the_bound() -> None:
    """3,000 records of one template (every band bucket holds them all) around planted copies: each new
    article is checked against at most max_candidates others, and every planted copy is still found; with no
    bound the groups of the planted articles are the same."""
    articles, planted = corpus()
    shared = "The regional transport authority published its daily freight bulletin for the northern corridor."
    flood = [Article(id=f"t{i}", text=f"{shared} Record {i} came from station {i % 13}.") for i in range(3000)]
    mixed = [x for pair in zip(flood[::3], flood[1::3], flood[2::3], strict=False) for x in pair][:600]
    stream = mixed[:300] + articles + mixed[300:] + flood[600:]
    groups = {}
    for bound in (8, 10**9):
        with MinHashIndex(threshold=0.8, keep_shingles=True, max_candidates=bound) as index:
            components = index.connected(stream)
            ids = [set(index.describe(c)[0]) for c in components]
        groups[bound] = sorted(sorted(g) for g in ids if not any(i.startswith("t") for i in g))
        group_of = {i: min(g) for g in ids for i in g}
        for copy, original in planted.items():
            assert group_of.get(copy) == group_of.get(original) is not None, (bound, copy)
    assert groups[8] == groups[10**9]


def test_connected_groups_are_those_of_the_matches() -> None:
    articles, _ = corpus()
    with MinHashIndex(keep_shingles=True) as index:
        matches = index.add(articles)
    with MinHashIndex(keep_shingles=True) as index:
        connected = {frozenset(index.describe(c)[0]) for c in index.connected(articles)}
    linked: dict[str, frozenset[str]] = {}
    for m in matches:
        merged = linked.get(m.id, frozenset([m.id])) | linked.get(m.other, frozenset([m.other]))
        linked.update((i, merged) for i in merged)
    assert matches and connected == set(linked.values())


def test_batches_sketched_ahead_give_the_same_matches() -> None:
    """Small batches, sketched in a background thread a few ahead of the indexing, match as one batch does."""
    articles, _ = corpus()
    with MinHashIndex(batch=7, keep_shingles=True) as small:
        batched = small.add(articles)
    with MinHashIndex(batch=len(articles), keep_shingles=True) as whole:
        alone = whole.add(articles)
    assert sorted(batched, key=repr) == sorted(alone, key=repr)
    assert len(alone) >= 25


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(max_size=40), min_size=1, max_size=6))
def test_sketches_are_those_of_the_nfkc_normalised_texts(texts: list[str]) -> None:
    """Only texts that NFKC could change are normalised: the others must already sketch as if they were."""
    params = {"shingle": 3, "num_perm": 32, "seed": 1, "keep_shingles": True, "lsh": (8, 4)}
    raw = sketch(texts, **params)
    normalised = sketch([unicodedata.normalize("NFKC", t) for t in texts], **params)
    for field in ("signatures", "empty", "keys", "shingles", "offsets"):
        assert np.array_equal(getattr(raw, field), getattr(normalised, field)), field
    assert np.array_equal(word_hashes(texts)[0], word_hashes([unicodedata.normalize("NFKC", t) for t in texts])[0])


def test_remove_and_evict() -> None:
    articles, _ = corpus()
    with MinHashIndex() as index:
        index.add(articles)
        probe = Article(id="probe", text=story(0).lower())
        assert {m.other for m in index.query(probe)} >= {"o0", "o0-case", "o0-edit"}
        assert index.remove("o0", "o0-case", "missing") == 2
        found = {m.other for m in index.query(probe)}
        assert "o0" not in found and "o0-case" not in found and "o0-edit" in found
        size = len(index)
        # every article of story 0 and the unrelated ones are published before T0 + 1 day
        evicted = index.evict(T0 + timedelta(days=1))
        assert evicted == 4 + 20 and len(index) == size - evicted
        assert index.query(probe) == []
        assert {m.other for m in index.query(Article(id="p1", text=story(1)))} >= {"o1", "o1-edit"}
        assert index.evict(datetime.now(UTC) + timedelta(seconds=5), by="inserted") == len(articles) - 26
        assert len(index) == 0


def test_index_survives_reopen(tmp_path) -> None:  # type: ignore[no-untyped-def]
    articles, _ = corpus()
    path = tmp_path / "dedup.db"
    first_half = [a for a in articles if not a.id.endswith("-edit")]
    with MinHashIndex(path) as index:
        index.add(first_half)
        assert len(index) == len(first_half)
    with MinHashIndex(path) as index:
        assert len(index) == len(first_half)
        assert {m.other for m in index.query(Article(id="q", text=story(2)))} >= {"o2", "o2-case"}
        matches = index.add([a for a in articles if a.id.endswith("-edit")])
        assert {(m.id, m.other) for m in matches} >= {(f"o{k}-edit", f"o{k}") for k in range(5)}
        assert index.remove("o2") == 1
    with MinHashIndex(path) as index:
        assert len(index) == len(articles) - 1
        assert "o2" not in {m.other for m in index.query(Article(id="q", text=story(2)))}
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    bands = db.execute("SELECT COUNT(DISTINCT row) FROM minhash_bands").fetchone()[0]
    assert bands == len(articles) - 1  # the removed article's band keys are gone too
    db.close()
    with pytest.raises(ConfigError, match="shingle"):
        MinHashIndex(path, shingle=5)


def test_shared_connection_and_groups_across_sessions(tmp_path) -> None:  # type: ignore[no-untyped-def]
    db = sqlite3.connect(tmp_path / "store.db")
    db.execute("CREATE TABLE articles (id TEXT)")  # someone else's table in the same file
    base = story(4)
    find_duplicates([Article(id="wire", text=base, published=T0)], db=db)
    (group,) = find_duplicates(
        [Article(id="copy", text=base.lower(), published=T0 + timedelta(hours=1))], db=db
    )
    assert [m.id for m in group.members] == ["wire", "copy"]
    assert group.members[1].estimated == 1.0 and group.members[1].verified is None  # wire's shingles are gone
    assert db.execute("SELECT COUNT(*) FROM articles").fetchone()[0] == 0  # the connection is still usable


def test_empty_and_repeated_articles() -> None:
    base = story(5)
    groups = find_duplicates(
        [
            Article(id="e1", text=""),
            Article(id="e2", text=" ... "),
            Article(id="a", text=base),
            Article(id="a", text=base),
            Article(id="b", text=base),
        ]
    )
    assert [[m.id for m in g.members] for g in groups] == [["a", "b"]]


def test_cli_dedup_json(tmp_path: Path, cli: Callable[..., CliResult]) -> None:
    articles, planted = corpus()
    path = tmp_path / "articles.jsonl"
    path.write_text(
        "\n".join(
            json.dumps({"id": a.id, "text": a.text, "published": a.published.isoformat()}) for a in articles
        ),
        encoding="utf-8",
    )
    run = cli("dedup", str(path), "--threshold", "0.8")
    assert run.returncode == 0
    out = run.stdout
    groups = [json.loads(line) for line in out.splitlines()]
    assert len(groups) == 5
    for g in groups:
        assert g["earliest"] == g["members"][0]["id"]
        assert {m["id"] for m in g["members"][1:]} == {c for c, o in planted.items() if o == g["earliest"]}
        assert all(m["verified"] >= 0.8 for m in g["members"])


def test_shingle_sets_follow_their_rows_across_skipped_articles_and_removal() -> None:
    """Each indexed row's set (sorted, distinct) is its own text's, whatever was skipped around it."""
    texts = [story(i) for i in range(6)]
    articles = [
        Article(id="s0", text=texts[0]),
        Article(id="empty", text=" ... "),
        Article(id="s1", text=texts[1]),
        Article(id="s0", text=texts[2]),  # a repeated id: skipped
        Article(id="s2", text=texts[3]),
        Article(id="s3", text=texts[4]),
        Article(id="s4", text=texts[5]),
    ]
    with MinHashIndex(keep_shingles=True, batch=3) as index:
        index.add(articles)
        rows = np.array(sorted(index._store.row_of(["s0", "s1", "s2", "s3", "s4"]).values()), dtype=np.int64)
        ids, _, _, sets = index.describe(rows)
        assert ids == ["s0", "s1", "s2", "s3", "s4"]
        for text, got in zip([texts[0], texts[1], texts[3], texts[4], texts[5]], sets):
            own = sketch([text], shingle=3, num_perm=128, seed=1, keep_shingles=True).shingles
            assert got is not None and own is not None and np.array_equal(got, distinct(own))
        index.remove("s1")
        assert index.describe(rows[1:2])[3] == [None]
