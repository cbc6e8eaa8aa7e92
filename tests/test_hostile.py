"""Hostile and careless input against a real server on 127.0.0.1 and the real CLI: every case gets its 4xx (or
is taken, sanitised) within a few seconds while GET /stories keeps answering; a write that fails half way
leaves nothing behind (a fault injected by a SQLite trigger); bad flags, FIFOs and deep JSON give one line and
a non-zero exit."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from live_server import ROOT, LiveServer, article_json, example_articles

from samestory import config
from samestory.api import create_app

TOKEN = "hostile-token-9c2d"
# Seconds a hostile request may take to be refused, and a GET /stories beside it to answer.
REFUSED_WITHIN = 5.0
LIST_WITHIN = 1.0

pytestmark = pytest.mark.xdist_group("api")


class Watch:
    """GET /stories in a loop on its own connection, its slowest answer kept, while the cases run."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.slowest = 0.0
        self.failures: list[str] = []
        self.count = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with httpx.Client(base_url=self.url, timeout=30) as http:
            while not self._stop.is_set():
                started = time.perf_counter()
                response = http.get("/stories", params={"limit": 5})
                self.slowest = max(self.slowest, time.perf_counter() - started)
                self.count += 1
                if response.status_code != 200:
                    self.failures.append(f"{response.status_code} {response.text[:100]}")
                self._stop.wait(0.05)

    def __enter__(self) -> Watch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(60)


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("hostile") / "hostile.db"


@pytest.fixture(scope="module")
def server(db: Path) -> Iterator[LiveServer]:
    with LiveServer(create_app(db, token=TOKEN)) as live:
        with live.client(TOKEN) as http:  # the models loaded, and a story to list
            fire = example_articles("sheffield-recycling-fire")[:2]
            assert http.post("/articles", json=[article_json(a) for a in fire]).status_code == 201
        yield live


@pytest.fixture(scope="module")
def http(server: LiveServer) -> Iterator[httpx.Client]:
    with server.client(TOKEN) as client:
        yield client


def _words(n: int) -> str:
    return " ".join(f"word{i}" for i in range(n))


def _sentences(n: int) -> str:
    return " ".join(f"Sentence number {i} says something about the council budget." for i in range(n))


_ATTRIBUTES = ("<html><body><p " + " ".join(f'a{i}="v"' for i in range(150_000)) + ">x</p></body></html>").encode()
_PARAGRAPHS = ("<html><body>" + "<p>w</p>" * config.READ_MAX_PAGE_ELEMENTS + "</body></html>").encode()
_DEEP = "[" * 2000 + "]" * 2000
_HUGE_ID = "99999999999999999999999999"

# (name, method, path, keyword arguments of the request, the status expected)
REFUSED: list[tuple[str, str, str, dict[str, Any], int]] = [
    ("150,000 attributes on a tag", "POST", "/articles?url=https://x.example/a",
     {"content": _ATTRIBUTES, "headers": {"content-type": "text/html"}}, 422),
    ("30,000 elements", "POST", "/articles?url=https://x.example/b",
     {"content": _PARAGRAPHS, "headers": {"content-type": "text/html"}}, 422),
    ("attributes in a JSON html field", "POST", "/articles",
     {"json": {"html": _ATTRIBUTES.decode(), "url": "https://x.example/c"}}, 422),
    ("3,000 sentences a side to compare", "POST", "/compare",
     {"json": {"a": _sentences(3000), "b": _sentences(3000)}}, 413),
    ("JSON 2,000 deep to /articles", "POST", "/articles",
     {"content": _DEEP, "headers": {"content-type": "application/json"}}, 422),
    ("JSON 2,000 deep to /compare", "POST", "/compare",
     {"content": _DEEP, "headers": {"content-type": "application/json"}}, 400),
    ("meta 40 deep", "POST", "/articles",
     {"json": {"text": _words(50), "meta": json.loads("[" * 40 + "]" * 40)}}, 422),
    ("a batch over the limit", "POST", "/articles",
     {"json": [{"text": "x"}] * (config.API_MAX_BATCH + 1)}, 413),
    ("a huge story id", "GET", f"/stories/{_HUGE_ID}", {}, 422),
    ("a huge story id on the page", "GET", f"/web/stories/{_HUGE_ID}", {}, 422),
    ("since past the end of time", "GET", "/stories", {"params": {"since": "9999-12-31T23:59:59-23:59"}}, 422),
    ("until before its start", "GET", "/stories", {"params": {"until": "0001-01-01T00:00:00+23:59"}}, 422),
    ("id '..'", "POST", "/articles", {"json": {"text": _words(50), "id": ".."}}, 422),
    ("a lone surrogate as an unknown field", "POST", "/articles",
     {"content": '{"text": "x", "\\ud800": 1}', "headers": {"content-type": "application/json"}}, 422),
    ("a lone surrogate as an unknown compare field", "POST", "/compare",
     {"content": '{"a": "x", "b": "y", "\\ud800": 1}', "headers": {"content-type": "application/json"}}, 422),
]


@pytest.mark.parametrize("name", [case[0] for case in REFUSED])
def test_hostile_input_is_refused_quickly_while_the_list_answers(
    name: str, server: LiveServer, http: httpx.Client
) -> None:
    _, method, path, kwargs, status = next(case for case in REFUSED if case[0] == name)
    with Watch(server.url) as watch:
        started = time.perf_counter()
        response = http.request(method, path, **kwargs)
        took = time.perf_counter() - started
        time.sleep(0.2)  # the watch gets at least a few answers in
    assert response.status_code == status, response.text[:300]
    if not path.startswith("/web"):
        assert response.json()["status"] == status and response.json()["error"]
    assert took < REFUSED_WITHIN, f"{name}: refused after {took:.1f} s"
    assert "close" not in response.headers.get("connection", ""), "the connection was dropped"
    assert watch.count and not watch.failures, watch.failures
    assert watch.slowest < LIST_WITHIN, f"GET /stories took {watch.slowest:.2f} s beside {name}"


def test_the_list_answers_beside_a_big_compare(server: LiveServer, http: httpx.Client) -> None:
    """The largest compare allowed runs while GET /stories keeps answering, and a writer gets in."""
    text = _sentences(config.API_MAX_COMPARE_SENTENCES)
    results: dict[str, Any] = {}

    def compare() -> None:
        with server.client() as anonymous:
            results["compare"] = anonymous.post("/compare", json={"a": text, "b": text[::-1]})

    with Watch(server.url) as watch:
        thread = threading.Thread(target=compare)
        thread.start()
        time.sleep(0.5)
        started = time.perf_counter()
        posted = http.post("/articles", json={"text": _sentences(12), "url": "https://w.example/writer"})
        results["write_s"] = time.perf_counter() - started
        thread.join(120)
    assert results["compare"].status_code == 200, results["compare"].text[:300]
    assert posted.status_code == 201, posted.text
    assert watch.slowest < LIST_WITHIN, f"GET /stories took {watch.slowest:.2f} s beside a compare"


def _surrogate_body(field: str) -> str:
    """A POST /articles body with an escaped lone surrogate in one field (json.dumps would not write one)."""
    body: dict[str, Any] = {"text": _words(40), "url": f"https://s.example/{field.replace(' ', '-')}"}
    if field == "meta key":
        body["meta"] = {"MARK": 1}
    else:
        body[field] = f"{body.get(field, field)} MARK"
    return json.dumps(body).replace("MARK", "\\ud800")


@pytest.mark.parametrize("field", ["text", "title", "url", "id", "meta key"])
def test_lone_surrogates_are_replaced_and_leave_nothing_half_written(
    field: str, http: httpx.Client, db: Path
) -> None:
    body = _surrogate_body(field)
    assert "\\ud800" in body
    response = http.post("/articles", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 201, response.text
    stored = http.get(response.json()["links"]["article"])
    assert stored.status_code == 200
    assert "\ufffd" in json.dumps(stored.json(), ensure_ascii=False)
    with sqlite3.connect(db) as check:
        articles = check.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
        sketches = check.execute(
            "SELECT COUNT(*) FROM minhash_articles WHERE id NOT IN (SELECT id FROM articles)"
        ).fetchone()[0]
    assert articles > 0 and sketches == 0


def test_naive_and_aware_dates_compare(http: httpx.Client) -> None:
    text = _sentences(5)
    response = http.post(
        "/compare",
        json={
            "a": {"text": text, "published": "2024-03-01T10:00:00"},
            "b": {"text": text, "published": "2024-03-01T12:00:00+02:00"},
        },
    )
    assert response.status_code == 200, response.text
    assert response.json()["evidence"]["date_gap_days"] == 0.0  # naive = UTC


def test_short_texts_are_not_the_same_event(http: httpx.Client) -> None:
    response = http.post("/compare", json={"a": "hello world one", "b": "hello world two"})
    assert response.status_code == 200
    assert response.json()["relation"] not in ("same_event", "related")
    assert response.json()["same_story"] is False


def test_odd_ids_are_linked_percent_encoded(http: httpx.Client) -> None:
    for article_id in ("a/b", "%2e%2e", "q?x=1#y"):
        posted = http.post("/articles", json={"text": _words(30) + article_id, "id": article_id})
        assert posted.status_code == 201, posted.text
        link = posted.json()["links"]["article"]
        fetched = http.get(link)
        assert fetched.status_code == 200, link
        assert fetched.json()["id"] == article_id


def test_a_javascript_url_is_never_a_link(http: httpx.Client) -> None:
    posted = http.post(
        "/articles", json={"text": _sentences(8) + " Tulips.", "url": "javascript:alert(document.cookie)"}
    )
    assert posted.status_code == 201, posted.text
    page = http.get(posted.json()["links"]["page"])
    assert page.status_code == 200
    assert 'href="javascript:' not in page.text.lower()


def test_the_web_list_says_when_a_bound_is_out_of_range(http: httpx.Client) -> None:
    page = http.get("/web", params={"since": "9999-12-31T23:59:59-23:59"})
    assert page.status_code == 200 and "out of range" in page.text


# --- batches ------------------------------------------------------------------------------------------------


def test_a_batch_is_stored_whole_or_not_at_all(http: httpx.Client, db: Path) -> None:
    good = [{"text": _sentences(6) + f" Batch article {i}.", "url": f"https://b.example/{i}"} for i in range(3)]
    lines = [json.dumps(a) for a in good[:2]] + ['{"text": ""}']
    refused = http.post("/articles", content="\n".join(lines), headers={"content-type": "application/x-ndjson"})
    assert refused.status_code == 422 and "article 2" in refused.json()["error"]
    with sqlite3.connect(db) as check:
        assert not check.execute("SELECT 1 FROM articles WHERE url LIKE 'https://b.example/%'").fetchall()
    taken = http.post("/articles", content="\n".join(json.dumps(a) for a in good),
                      headers={"content-type": "application/x-ndjson"})
    assert taken.status_code == 201, taken.text
    reply = taken.json()
    assert reply["added"] == 3 and [a["added"] for a in reply["articles"]] == [True] * 3
    again = http.post("/articles", json=good)
    assert again.status_code == 200 and again.json()["already_stored"] == 3
    fresh = {"text": _sentences(6) + " Posted twice in one batch.", "url": "https://b.example/twice"}
    twice = http.post("/articles", json=[fresh, fresh])
    assert twice.status_code == 201 and twice.json()["added"] == 1
    assert twice.json()["articles"][0]["seq"] == twice.json()["articles"][1]["seq"]


def test_a_write_that_fails_half_way_leaves_nothing(http: httpx.Client, db: Path) -> None:
    """A SQLite trigger fails the second article of a batch after the first is written: the request gets a
    5xx-free error and neither the article, its sketch, nor its entity postings stay; the next write commits
    only itself."""
    with sqlite3.connect(db) as setup:
        setup.execute(
            "CREATE TRIGGER poison BEFORE INSERT ON articles WHEN NEW.url = 'https://f.example/poison' "
            "BEGIN SELECT RAISE(ABORT, 'injected fault'); END"
        )
    try:
        first = {"text": _sentences(7) + " Sheffield council met.", "url": "https://f.example/first"}
        poison = {"text": _sentences(7) + " Another one.", "url": "https://f.example/poison"}
        with sqlite3.connect(db) as check:
            before = [check.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
                      for t in ("articles", "minhash_articles", "minhash_bands", "entity_postings")]
        failed = http.post("/articles", json=[first, poison])
        assert failed.status_code == 503 and "injected fault" in failed.json()["error"]
        with sqlite3.connect(db) as check:
            after = [check.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
                     for t in ("articles", "minhash_articles", "minhash_bands", "entity_postings")]
        assert after == before
    finally:
        with sqlite3.connect(db) as setup:
            setup.execute("DROP TRIGGER poison")
    later = http.post("/articles", json={"text": _sentences(9) + " Later.", "url": "https://f.example/later"})
    assert later.status_code == 201
    with sqlite3.connect(db) as check:
        urls = {u for (u,) in check.execute("SELECT url FROM articles WHERE url LIKE 'https://f.example/%'")}
        orphans = check.execute(
            "SELECT COUNT(*) FROM minhash_articles WHERE id NOT IN (SELECT id FROM articles)"
        ).fetchone()[0]
    assert urls == {"https://f.example/later"} and orphans == 0


# --- the CLI ------------------------------------------------------------------------------------------------


def _cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    return subprocess.run(
        [sys.executable, "-m", "samestory.cli", *args],
        capture_output=True, text=True, timeout=timeout, env=env, cwd=ROOT, check=False,
    )


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("cli")
    deep = folder / "deep.jsonl"
    deep.write_text("[" * 100_000 + "]" * 100_000 + "\n", encoding="utf-8")
    fifo = folder / "fifo"
    os.mkfifo(fifo)
    store = folder / "empty.db"
    sqlite3.connect(store).close()
    text = folder / "a.txt"
    text.write_text("A title\n\n" + _sentences(5), encoding="utf-8")
    return {"deep": str(deep), "fifo": str(fifo), "store": str(store), "text": str(text), "folder": str(folder)}


CLI_CASES: list[tuple[str, tuple[str, ...]]] = [
    ("read a FIFO", ("read", "{fifo}")),
    ("read deep JSON", ("read", "{deep}")),
    ("compare deep JSON", ("compare", "{deep}", "{text}")),
    ("dedup deep JSON", ("dedup", "{deep}")),
    ("ingest deep JSON", ("ingest", "{deep}", "--db", "{folder}/deep.db", "--no-progress")),
    ("--field without =", ("read", "--field", "text", "{text}")),
    ("a huge story id", ("story", _HUGE_ID, "--db", "{store}")),
    ("--batch -5", ("ingest", "{text}", "--batch", "-5", "--db", "{folder}/b.db")),
    ("--batch 0", ("ingest", "{text}", "--batch", "0", "--db", "{folder}/b.db")),
    ("--db where no folder can be made", ("ingest", "{text}", "--db", "/proc/nope/x.db")),
    ("--port 99999", ("serve", "--port", "99999", "--db", "{folder}/s.db")),
]


@pytest.mark.parametrize("name", [case[0] for case in CLI_CASES])
def test_cli_gives_one_line_and_a_non_zero_exit(name: str, inputs: dict[str, str]) -> None:
    args = next(case[1] for case in CLI_CASES if case[0] == name)
    done = _cli(*(a.format(**inputs) for a in args))
    lines = done.stderr.strip().splitlines()
    assert done.returncode != 0, done.stderr
    assert len(lines) == 1 and lines[0].startswith("samestory: "), done.stderr
    assert "Traceback" not in done.stderr and not done.stdout
    if "batch" in name:
        assert not Path(inputs["folder"], "b.db").exists()  # refused before the store is made


def test_cli_reads_the_valid_line_after_a_deep_one(inputs: dict[str, str], tmp_path: Path) -> None:
    mixed = tmp_path / "mixed.jsonl"
    mixed.write_text(Path(inputs["deep"]).read_text() + json.dumps({"text": _sentences(3)}) + "\n")
    done = _cli("read", "--no-entities", str(mixed))
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.splitlines()) == 1 and "nested deeper than" in done.stderr


# --- anonymous work and worker processes ----------------------------------------------------------------------


def test_anonymous_work_beyond_its_slots_gets_429(tmp_path: Path) -> None:
    app = create_app(tmp_path / "busy.db", anonymous_wait=0.2)
    service = app.state.service
    with LiveServer(app) as live, live.client() as anonymous:
        with service.anonymous(), service.anonymous():  # every slot taken
            busy = anonymous.post("/compare", json={"a": _sentences(3), "b": _sentences(4)})
        free = anonymous.post("/compare", json={"a": _sentences(3), "b": _sentences(4)})
    assert busy.status_code == 429 and busy.headers["retry-after"] and "busy" in busy.json()["error"]
    assert free.status_code == 200


def test_a_server_with_a_worker_process_takes_batches_and_html(tmp_path: Path) -> None:
    """Articles prepared and pages extracted in a worker process (forkserver): the fire story in one story; a
    worker killed costs one request a 503, and the next is served by a new one."""
    fire = example_articles("sheffield-recycling-fire")
    app = create_app(tmp_path / "pool.db", token=TOKEN, workers=1)
    with LiveServer(app) as live, live.client(TOKEN) as client:
        posted = client.post("/articles", json=[article_json(a) for a in fire[:4]])
        refused = client.post(
            "/articles?url=https://x.example/p", content=_PARAGRAPHS, headers={"content-type": "text/html"}
        )
        for pid in list(app.state.service._pool._processes):  # the worker processes of this server
            os.kill(pid, signal.SIGKILL)
        lost = client.post("/articles", json=article_json(fire[4]))
        again = client.post("/articles", json=article_json(fire[4]))
    assert posted.status_code == 201, posted.text
    assert len({a["story_id"] for a in posted.json()["articles"]}) == 1
    assert refused.status_code == 422 and "elements" in refused.json()["error"]
    assert lost.status_code == 503 and "worker" in lost.json()["error"]
    assert again.status_code == 201 and again.json()["story_id"] == posted.json()["articles"][0]["story_id"]


def test_ingest_rolls_back_the_batch_that_fails(tmp_path: Path) -> None:
    """`ingest` on a real SQLite file with a fault in its second batch: the first batch stays, nothing of the
    second does (articles, near-duplicate rows, entity postings), and the error is a StoreError."""
    from samestory.errors import StoreError
    from samestory.store.sqlite import SQLiteStore
    from samestory.stories import ingest

    db = tmp_path / "ingest.db"
    SQLiteStore(db).close()
    articles = sorted(example_articles("dresden-elbe-hochwasser")[:4], key=lambda a: a.published)
    with sqlite3.connect(db) as setup:  # the last published: in the second batch of two
        setup.execute(
            f"CREATE TRIGGER poison BEFORE INSERT ON articles WHEN NEW.id = '{articles[-1].id}' "
            "BEGIN SELECT RAISE(ABORT, 'injected fault'); END"
        )
    with pytest.raises(StoreError, match="injected fault"):
        ingest(articles, db, batch_size=2)
    with sqlite3.connect(db) as check:
        ids = {i for (i,) in check.execute("SELECT id FROM articles")}
        sketched = {i for (i,) in check.execute("SELECT id FROM minhash_articles")}
        posted = {s for (s,) in check.execute("SELECT DISTINCT seq FROM entity_postings")}
        seqs = {s for (s,) in check.execute("SELECT seq FROM articles")}
    first_batch = {a.id for a in articles[:2]}
    assert ids == first_batch and sketched <= ids and posted <= seqs



def test_readers_skip_pages_over_the_markup_caps(tmp_path: Path) -> None:
    from samestory.read import Reader

    (tmp_path / "a-attributes.html").write_bytes(_ATTRIBUTES)
    (tmp_path / "b-paragraphs.html").write_bytes(_PARAGRAPHS)
    (tmp_path / "c-good.html").write_text(
        f"<html lang='en'><head><title>Budget</title></head><body><article><p>{_sentences(6)}</p></article>"
        "</body></html>",
        encoding="utf-8",
    )
    reader = Reader()
    started = time.perf_counter()
    found = list(reader.read([tmp_path]))
    assert time.perf_counter() - started < 2 * REFUSED_WITHIN
    assert [a.origin for a in found] == [f"{tmp_path / 'c-good.html'}:1"]
    messages = [str(e) for e in reader.errors]
    assert any("150,000 attributes" in m for m in messages)
    assert any(f"{config.READ_MAX_PAGE_ELEMENTS:,} HTML elements" in m for m in messages)


@pytest.mark.parametrize(
    ("page", "refused"),
    [
        (b"<html><body><script>if(a<b" + b" x" * 5000 + b"){}</script><p>text</p></body></html>", False),
        (b"<html><body><style>a<b" + b" x" * 5000 + b"</style><!-- <p" + b" x" * 5000 + b" --></body></html>", False),
        (b"<html><body><p" + b" x" * 5000 + b">text</p></body></html>", True),
        (b'<html><body><p class="a" " ' + b" x" * 5000 + b">text</p></body></html>", True),  # a stray quote
        (b"<html><body><script>if(a<b" + b" x" * 5000, True),  # a script never closed: counted through
        (b"<html><body><!-- <p" + b" x" * 5000, True),  # a comment never closed: counted through
    ],
)
def test_markup_caps_count_the_tags_the_parser_sees(page: bytes, refused: bool) -> None:
    from samestory.read.html import markup_error

    assert (markup_error(page) is not None) == refused
