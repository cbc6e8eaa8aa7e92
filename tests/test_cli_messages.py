"""The command line as a new user meets it: a missing path or nothing readable is one clear line and a
non-zero exit, nothing is created by mistake, and the output names things as the articles write them."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import EXAMPLES, ROOT, SHARED, CliResult

from samestory import __version__
from samestory.article import Article
from samestory.store.sqlite import SQLiteStore

FIRE = EXAMPLES / "articles" / "sheffield-recycling-fire"


def _cli(
    *args: str, stdin: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "samestory.cli", *args],
        check=False,
        capture_output=True,
        text=True,
        input=stdin,
        timeout=300,
        env={**os.environ, **(env or {})},
    )


def _one_error_line(out: subprocess.CompletedProcess[str], words: str) -> None:
    assert out.returncode == 2, out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in out.stderr and words in lines[0], out.stderr


@pytest.mark.parametrize("command", [["read"], ["dedup"], ["ingest", "--no-progress"]])
def test_a_missing_path_is_an_error_and_creates_nothing(tmp_path: Path, command: list[str]) -> None:
    db = tmp_path / "new.db"
    out = _cli(*command, str(tmp_path / "typo.jsonl"), *(["--db", str(db)] if command[0] == "ingest" else []))
    _one_error_line(out, "typo.jsonl: no such file or folder")
    assert not db.exists()


def test_nothing_readable_is_an_error_before_the_store_is_created(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "README.md").write_text(
        "# My articles\n\nThis folder holds the articles I collected.\n"
    )
    (tmp_path / "in" / "bad.jsonl").write_text('{"text": 12345}\n')
    db = tmp_path / "s.db"
    out = _cli("ingest", str(tmp_path / "in"), "--db", str(db), "--no-progress")
    assert out.returncode == 2 and not db.exists()
    assert "field 'text' is a number, not text" in out.stderr  # not "empty"
    assert "no article could be read" in out.stderr.strip().splitlines()[-1]


def test_a_folder_readme_is_not_an_article(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("# Notes\n\nThese are the articles of the fire in Sheffield.\n")
    (tmp_path / "a.txt").write_text((FIRE / "northwire.txt").read_text(encoding="utf-8"), encoding="utf-8")
    out = _cli("read", "--no-entities", str(tmp_path))
    assert out.returncode == 0, out.stderr
    assert [json.loads(line)["origin"] for line in out.stdout.splitlines()] == [f"{tmp_path / 'a.txt'}:1"]


def test_an_unreadable_date_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_text(
        json.dumps({"text": "The council met on Monday to vote the budget.", "date": "sometime soon"}) + "\n"
    )
    out = _cli("read", "--no-entities", str(path))
    assert out.returncode == 0 and json.loads(out.stdout)["published"] is None
    assert "can't read the date 'sometime soon'" in out.stderr


def test_a_page_without_text_is_one_line_without_library_warnings(tmp_path: Path) -> None:
    path = SHARED / "data" / "dates" / "pages" / "46a6f8b7639c.html.gz"  # a 204-byte redirect page
    if not path.exists():
        pytest.skip("the shared date pages are not there")
    (tmp_path / "empty.html").write_bytes(gzip.decompress(path.read_bytes()))
    (tmp_path / "ok.txt").write_text((FIRE / "northwire.txt").read_text(encoding="utf-8"), encoding="utf-8")
    out = _cli("read", "--no-entities", str(tmp_path))
    assert out.returncode == 0 and len(out.stdout.splitlines()) == 1
    assert "discarding data" not in out.stderr and "no main text found" in out.stderr


def test_serve_does_not_create_a_store_from_a_typo(tmp_path: Path) -> None:
    out = _cli("serve", "--db", str(tmp_path / "typo.db"))
    _one_error_line(out, "no such store")
    assert not (tmp_path / "typo.db").exists()


def test_version_and_a_help_for_users(cli: Callable[..., CliResult]) -> None:
    assert cli("--version").stdout.strip() == f"samestory {__version__}"
    text = cli("--help").stdout
    assert "examples:" in text and "samestory read" in text and "Nothing else lives here" not in text


def test_compare_names_places_as_written(cli: Callable[..., CliResult]) -> None:
    out = cli("compare", str(FIRE / "northwire.txt"), str(FIRE / "le-quotidien-du-nord.txt"))
    assert out.returncode == 0, out.stderr
    places = next(line for line in out.stdout.splitlines() if line.startswith("shared places"))
    assert "Sheffield" in places and "city:" not in places


def test_compare_keeps_a_coordinated_name_whole(cli: Callable[..., CliResult]) -> None:
    out = cli("compare", "--json", str(FIRE / "northwire.txt"), str(FIRE / "sheffield-daily.txt"))
    shared = json.loads(out.stdout)["evidence"]["shared_entities"]
    assert "south yorkshire fire and rescue" in shared and "rescue" not in shared  # not "Rescue" alone


def test_dedup_counts_articles_with_a_repeated_url(
    tmp_path: Path, cli: Callable[..., CliResult], caplog: pytest.LogCaptureFixture
) -> None:
    text = (FIRE / "northwire.txt").read_text(encoding="utf-8")
    rows = [
        {"url": "https://a.example/1", "text": text},
        {"url": "https://a.example/1", "text": text + " More."},
    ]
    (tmp_path / "a.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = cli("dedup", str(tmp_path / "a.jsonl"), "--json")
    assert out.returncode == 0 and "left out 1 article(s) with the same URL" in caplog.text


def test_stories_search_until_and_limit_like_the_api(tmp_path: Path, cli: Callable[..., CliResult]) -> None:
    db = tmp_path / "s.db"
    start = datetime(2025, 3, 1, 9, tzinfo=UTC)
    with SQLiteStore(db) as store:
        for day, title in enumerate(["Fire in Sheffield", "Flood in Dresden", "Fire in Lyon"]):
            store.add(
                Article(
                    id=title,
                    text=title,
                    title=title,
                    source="wire.example",
                    published=start + timedelta(days=day),
                )
            )
        store.commit()

    def listed(*args: str) -> list[str]:
        out = cli("stories", "--db", str(db), "--json", *args)
        assert out.returncode == 0, out.stderr
        return [json.loads(line)["headline"] for line in out.stdout.splitlines()]

    assert listed("--search", "fire") == ["Fire in Lyon", "Fire in Sheffield"]
    assert listed("--until", "2025-03-02T12:00") == ["Flood in Dresden", "Fire in Sheffield"]
    assert listed("--limit", "1") == ["Fire in Lyon"]


@pytest.mark.slow
def test_eval_stories_needs_no_scikit_learn(tmp_path: Path) -> None:
    labelled = tmp_path / "gold.jsonl"
    rows = [
        {"story": 1, "path": str(FIRE / "northwire.txt")},
        {"story": 1, "path": str(FIRE / "sheffield-daily.txt")},
        {"story": 2, "path": str(min((EXAMPLES / "articles" / "porto-greve-metro").iterdir()))},
    ]
    labelled.write_text("".join(json.dumps(r) + "\n" for r in rows))
    blocked = "import sys; sys.modules['sklearn'] = None; from samestory.cli import main; sys.exit(main())"
    out = subprocess.run(
        [sys.executable, "-c", blocked, "eval", "stories", str(labelled), "--json"],
        check=False,
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["ari"] == pytest.approx(1.0)


# Optional dependencies (extras ner, serve, spark, bench, train): blocked as if only `pip install .` ran.
_EXTRAS_ONLY = ("spacy", "sklearn", "fastapi", "uvicorn", "pyspark", "polars", "datasketch", "psutil")


@pytest.mark.slow
def test_the_core_commands_work_without_the_extras(tmp_path: Path) -> None:
    def core(*args: str) -> subprocess.CompletedProcess[str]:
        blocked = (
            f"import sys; sys.modules.update(dict.fromkeys({_EXTRAS_ONLY!r})); "
            "from samestory.cli import main; sys.exit(main())"
        )
        return subprocess.run(
            [sys.executable, "-c", blocked, *args], check=False, capture_output=True, text=True, timeout=600
        )

    db = str(tmp_path / "s.db")
    for args in (
        ["read", str(FIRE)],
        ["compare", str(FIRE / "northwire.txt"), str(FIRE / "sheffield-daily.txt")],
        ["dedup", str(FIRE)],
        ["ingest", str(FIRE), "--db", db, "--no-progress", "--workers", "0"],
        ["stories", "--db", db],
        ["story", "1", "--db", db],
    ):
        out = core(*args)
        assert out.returncode == 0 and "Traceback" not in out.stderr, (args, out.stderr)
    out = core("serve", "--db", db)
    _one_error_line(out, "pip install 'samestory[serve]'")
