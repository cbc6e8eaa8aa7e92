"""The SQLite store: idempotent by URL and content hash, WAL mode, merges keep the oldest id, summaries."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from samestory.article import Article
from samestory.errors import StoreError
from samestory.store import SQLiteStore, open_store


def _article(i: int, *, url: str | None = "auto", source: str = "a.example", day: int = 1, lang: str = "en") -> Article:
    return Article(
        id=f"id{i}",
        title=f"Title {i}",
        text=f"Body of article {i}.",
        url=f"https://{source}/{i}" if url == "auto" else url,
        source=source,
        language=lang,
        published=datetime(2025, 3, day, 12, 0),
    )


def test_wal_mode_and_persistence(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    with open_store(path) as store:
        assert store.connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        seq = store.add(_article(1))
        store.commit()
    with open_store(path) as store:
        stored = store.get([seq])
        assert [s.article.title for s in stored] == ["Title 1"]
        assert stored[0].story_id == seq  # a lone article founds its own story


def test_contains_by_url_and_by_source_and_hash(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "s.db") as store:
        store.add(_article(1))
        store.add(_article(2, url=None))
        again = _article(1)
        again.id = "another-id"
        assert store.contains(again)  # same URL
        copy = _article(2, url=None)
        copy.id = "x"
        assert store.contains(copy)  # no URL, same source and content
        elsewhere = _article(2, url=None, source="b.example")
        elsewhere.id = "y"
        assert not store.contains(elsewhere)  # the same text at another outlet is another article
        assert not store.contains(_article(3))


def test_merge_keeps_the_oldest_story(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "s.db") as store:
        seqs = [store.add(_article(i, day=i)) for i in range(1, 5)]
        store.set_story(seqs[1], seqs[0])
        keep = store.merge_stories([seqs[2], seqs[0]])
        assert keep == seqs[0]
        assert store.stories_of(seqs) == {seqs[0]: seqs[0], seqs[1]: seqs[0], seqs[2]: seqs[0], seqs[3]: seqs[3]}
        assert [s.seq for s in store.story(seqs[0])] == seqs[:3]  # earliest published first


def test_story_summaries_and_since(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "s.db") as store:
        first = store.add(_article(1, day=1, source="wire.example"))
        store.add(_article(2, day=3, source="farm.example", lang="fr"), story_id=first)
        store.add(_article(3, day=2))
        summaries = store.stories()
        assert [s.size for s in summaries] == [2, 1]
        top = summaries[0]
        assert top.id == first and top.headline == "Title 1"
        assert top.languages == ["en", "fr"] and top.sources == ["farm.example", "wire.example"]
        assert top.first_seen == datetime(2025, 3, 1, 12) and top.last_seen == datetime(2025, 3, 3, 12)
        assert [s.id for s in store.stories(since=datetime(2025, 3, 2, 18))] == [first]
        assert store.assignments() == {"id1": first, "id2": first, "id3": first + 2}


def test_a_file_that_is_not_a_database_is_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.db"
    path.write_bytes(b"this is not a SQLite file" * 100)
    with pytest.raises(StoreError, match=r"bad\.db"):
        SQLiteStore(path)
