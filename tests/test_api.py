"""The HTTP API against a real server on 127.0.0.1: ingest, list, story, compare, the token, size limits and
bad bodies (always a 4xx with a JSON error, never a 500)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from live_server import LiveServer, article_json, example_articles

from samestory.api import create_app
from samestory.api.service import Service
from samestory.article import Article
from samestory.store.sqlite import SQLiteStore

TOKEN = "test-token-5b1e"
LIMIT = 64_000  # bytes: the sample articles are 1-3 KB

pytestmark = pytest.mark.xdist_group("api")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    db = tmp_path_factory.mktemp("api") / "api.db"
    with LiveServer(create_app(db, token=TOKEN, max_body=LIMIT)) as live:
        yield live


@pytest.fixture(scope="module")
def writer(server: LiveServer) -> Iterator[httpx.Client]:
    with server.client(TOKEN) as client:
        yield client


@pytest.fixture(scope="module")
def reader(server: LiveServer) -> Iterator[httpx.Client]:
    with server.client() as client:
        yield client


@pytest.fixture(scope="module")
def ingested(writer: httpx.Client) -> dict[str, Any]:
    """The five Sheffield fire articles (English and French) and one unrelated article, posted one by one."""
    fire = example_articles("sheffield-recycling-fire")
    orchid = example_articles("unrelated/en-cornwall-orchid.txt")
    replies = {a.source: writer.post("/articles", json=article_json(a)) for a in [*fire, *orchid]}
    return {"fire": fire, "orchid": orchid[0], "replies": replies}


def _error(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["status"] == status and isinstance(body["error"], str) and body["error"]
    return str(body["error"])


# --- ingest and read -------------------------------------------------------------------------------------------


def test_ingest_puts_the_fire_articles_in_one_story(ingested: dict[str, Any]) -> None:
    replies = ingested["replies"]
    assert all(r.status_code == 201 for r in replies.values()), [r.text for r in replies.values()]
    fire_stories = {replies[a.source].json()["story_id"] for a in ingested["fire"]}
    assert len(fire_stories) == 1
    orchid = replies[ingested["orchid"].source].json()
    assert orchid["new_story"] is True and orchid["story_id"] not in fire_stories


def test_posting_again_adds_nothing(ingested: dict[str, Any], writer: httpx.Client) -> None:
    article = ingested["fire"][0]
    first = ingested["replies"][article.source].json()
    again = writer.post("/articles", json=article_json(article))
    assert again.status_code == 200
    assert again.json()["added"] is False and again.json()["id"] == first["id"]
    assert again.json()["story_id"] == first["story_id"]


def test_get_article(ingested: dict[str, Any], reader: httpx.Client) -> None:
    posted = ingested["replies"][ingested["orchid"].source].json()
    got = reader.get(posted["links"]["article"])
    assert got.status_code == 200
    body = got.json()
    assert body["id"] == posted["id"] and body["story_id"] == posted["story_id"]
    assert "ghost orchid" in body["text"].lower() and body["language"] == "en"
    assert body["published"].startswith("2025-07-18")
    assert "orchid" in _error(reader.get("/articles/no-such-article-orchid"), 404)


def test_list_stories_newest_first_with_search_and_paging(
    ingested: dict[str, Any], reader: httpx.Client
) -> None:
    listing = reader.get("/stories").json()
    assert listing["total"] == 2
    first, second = listing["stories"]
    assert first["headline"].startswith("Rare ghost orchid")  # July 2025, after the March fire
    assert second["size"] == 5 and second["languages"] == ["en", "fr"]
    found = reader.get("/stories", params={"q": "SHEFFIELD recycling"}).json()
    assert [s["id"] for s in found["stories"]] == [second["id"]]
    assert reader.get("/stories", params={"q": "quotidien-du-nord"}).json()["total"] == 1  # a source
    assert reader.get("/stories", params={"q": "volcano"}).json()["total"] == 0
    assert [s["id"] for s in reader.get("/stories", params={"since": "2025-06-01"}).json()["stories"]] == [
        first["id"]
    ]
    assert [
        s["id"] for s in reader.get("/stories", params={"until": "2025-03-14T12:00:00Z"}).json()["stories"]
    ] == [second["id"]]
    paged = reader.get("/stories", params={"limit": 1, "offset": 1}).json()
    assert paged["total"] == 2 and [s["id"] for s in paged["stories"]] == [second["id"]]


def test_the_list_kept_by_the_writer_is_the_list_read_whole(tmp_path: Path) -> None:
    """A writing server reads the story list once and updates the stories each write touches; after every
    batch it equals the list read whole from the store, as does a read-only server's over the same file."""
    db = str(tmp_path / "kept.db")
    articles = example_articles(".")
    writing, reading = Service(db, writable=True), None
    try:
        assert writing.stories("", None, None) == []  # read now: later batches update it
        reading = Service(db, writable=False)
        joined = 0
        for start in range(0, len(articles), 7):
            added = writing.add(articles[start : start + 7])
            joined += sum(a.assignment is not None and not a.assignment.new_story for a in added)
            with SQLiteStore(db) as store:
                whole = store.stories()
            assert writing.stories("", None, None) == whole
            assert reading.stories("", None, None) == whole
            assert writing.stories("sheffield", None, None) == reading.stories("sheffield", None, None)
        assert joined >= 10 and len(whole) < len(articles)  # most writes changed stories already listed
        # Two unrelated stories of one day, then a digest that reuses both texts: it merges them.
        orchid, library = pair = example_articles(
            "unrelated/en-cornwall-orchid.txt", "unrelated/en-bristol-library-reopens.txt"
        )
        day = datetime(2025, 9, 1, 8, tzinfo=UTC)
        two = [replace(a, id=f"m{i}", url=f"https://m{i}.example", published=day) for i, a in enumerate(pair)]
        text = f"{orchid.text}\n\n{library.text}"
        digest = Article(id="m2", text=text, url="https://m2.example/", language="en", published=day)
        writing.add(two)
        [merge] = writing.add([digest])
        assert merge.assignment is not None and merge.assignment.merged
        with SQLiteStore(db) as store:
            whole = store.stories()
        assert writing.stories("", None, None) == whole == reading.stories("", None, None)
    finally:
        writing.close()
        if reading is not None:
            reading.close()


@pytest.mark.parametrize(
    "params",
    [{"since": "last tuesday"}, {"limit": 0}, {"limit": 10_000}, {"offset": -1}, {"until": "2025-13-01"}],
)
def test_bad_story_queries_are_422(reader: httpx.Client, params: dict[str, Any]) -> None:
    message = _error(reader.get("/stories", params=params), 422)
    assert next(iter(params)) in message


def test_story_traces_the_original_and_its_copies(ingested: dict[str, Any], reader: httpx.Client) -> None:
    story_id = ingested["replies"][ingested["fire"][0].source].json()["story_id"]
    story = reader.get(f"/stories/{story_id}").json()
    assert story["id"] == story_id and story["size"] == 5 and len(story["articles"]) == 5
    assert story["original"]["source"] == "northwire.example"  # the wire dispatch, published first
    assert len(story["copies"]) == 4
    relations = {c["source"]: c["relation"] for c in story["copies"]}
    assert relations["quotidien-du-nord.example"] == "translation"
    copied = [c for c in story["copies"] if c["relation"] in ("duplicate", "rewrite", "translation")]
    assert copied
    for copy in copied:
        assert copy["passages"] and copy["coverage"] > 0.3
        passage = copy["passages"][0]
        assert {"original", "copy", "similarity", "original_index", "copy_index"} <= set(passage)
        assert isinstance(copy["dropped"], list) and isinstance(copy["added"], list)
    assert "99999" in _error(reader.get("/stories/99999"), 404)
    _error(reader.get("/stories/not-a-number"), 422)


# --- compare ---------------------------------------------------------------------------------------------------

FIRE_EN = (
    "A large fire broke out at a recycling plant in Sheffield on Friday night. "
    "Around 400 homes were evacuated as thick smoke spread over the Attercliffe area. "
    "South Yorkshire Fire and Rescue said twelve engines were sent to the scene."
)
FIRE_REWRITE = (
    "Around 400 homes had to be evacuated as thick smoke spread over Attercliffe. "
    "A big fire broke out at a Sheffield recycling plant late on Friday. "
    "Residents were told to keep their windows closed until Saturday morning."
)


def test_compare_two_texts(reader: httpx.Client) -> None:
    result = reader.post(
        "/compare", json={"a": FIRE_EN, "b": {"text": FIRE_REWRITE, "title": "Fire in Sheffield"}}
    )
    assert result.status_code == 200, result.text
    body = result.json()
    assert body["same_story"] is True and body["relation"] in ("duplicate", "rewrite", "same_event")
    assert len(body["passages"]) >= 2
    assert any("Residents were told" in s for s in body["added"])
    assert any("twelve engines" in s for s in body["dropped"])
    assert set(body["scores"]) >= {"overall", "geography", "narrative"}


@pytest.mark.parametrize(
    "body",
    [
        {"a": FIRE_EN},
        {"a": "", "b": FIRE_EN},
        {"a": FIRE_EN, "b": {"text": ""}},
        {"a": 3, "b": FIRE_EN},
        [FIRE_EN],
        {"a": FIRE_EN, "b": FIRE_EN, "c": "extra"},
        {"a": FIRE_EN, "b": {"text": FIRE_EN, "language": "klingon"}},
    ],
)
def test_bad_compare_bodies_are_422(reader: httpx.Client, body: Any) -> None:
    _error(reader.post("/compare", json=body), 422)


# --- the token -------------------------------------------------------------------------------------------------


def test_writes_need_the_token(server: LiveServer) -> None:
    body = {"text": "A tram line opens in Leeds after ten years of work, the city council said on Monday."}
    with server.client() as anonymous:
        assert "Bearer" in _error(anonymous.post("/articles", json=body), 401)
    with server.client("wrong-token") as wrong:
        response = wrong.post("/articles", json=body)
        _error(response, 401)
        assert response.headers["www-authenticate"] == "Bearer"
    with server.client(TOKEN) as right:
        response = right.post("/articles", json=body)
        assert response.status_code == 201, response.text
        assert (
            right.get(response.json()["links"]["article"])
            .json()["text"]
            .startswith("A tram line opens in Leeds")
        )


def test_read_only_server_refuses_writes_and_serves_reads(tmp_path: Path) -> None:
    with LiveServer(create_app(tmp_path / "ro.db")) as live, live.client(TOKEN) as client:
        message = _error(client.post("/articles", json={"text": "anything at all"}), 403)
        assert "read-only" in message and "--token" in message
        assert client.get("/stories").json() == {"total": 0, "offset": 0, "limit": 20, "stories": []}
        assert client.post("/compare", json={"a": FIRE_EN, "b": FIRE_REWRITE}).status_code == 200


# --- HTML, limits and bad bodies -------------------------------------------------------------------------------

PAGE = """<!doctype html><html lang="en"><head><title>Bridge reopens in Bristol</title></head><body>
<nav><a href="/">Home</a> <a href="/news">News</a></nav>
<article><h1>Bridge reopens in Bristol</h1>
<p>The Avon footbridge in Bristol reopened on Tuesday after eighteen months of repairs, the city council said.</p>
<p>Engineers replaced the corroded steel deck and strengthened the supports on both banks of the river.</p>
<p>About 9,000 people crossed the bridge every day before it closed, according to the council's figures.</p>
<p>Local shops near the bridge said they hoped their trade would now return to what it was before the work.</p>
</article><footer>Copyright 2025 Bristol Daily</footer></body></html>"""


def test_post_html_with_its_url(writer: httpx.Client) -> None:
    url = "https://bristol-daily.example/news/bridge-reopens"
    response = writer.post("/articles", json={"html": PAGE, "url": url})
    assert response.status_code == 201, response.text
    article = writer.get(response.json()["links"]["article"]).json()
    assert article["url"] == url and article["source"] == "bristol-daily.example"
    assert article["title"] == "Bridge reopens in Bristol" and "corroded steel deck" in article["text"]
    assert "Copyright" not in article["text"]
    raw = writer.post(
        "/articles",
        params={"url": url.replace("bridge", "footbridge")},
        content=PAGE.replace("Tuesday", "Monday"),
        headers={"content-type": "text/html; charset=utf-8"},
    )
    assert raw.status_code == 201, raw.text
    _error(writer.post("/articles", content=PAGE, headers={"content-type": "text/html"}), 422)  # no ?url=
    _error(writer.post("/articles", json={"html": PAGE}), 422)
    _error(
        writer.post(
            "/articles", json={"html": "<html><body><p>Too short.</p></body></html>", "url": url + "2"}
        ),
        422,
    )


def test_oversized_bodies_are_413(writer: httpx.Client) -> None:
    big = {"text": "word " * (LIMIT // 4)}
    assert "limit" in _error(writer.post("/articles", json=big), 413)
    assert "limit" in _error(writer.post("/compare", json={"a": big["text"], "b": "x"}), 413)
    huge = b'{"text": "' + b"a" * (200 * LIMIT) + b'"}'  # refused before it is read
    _error(writer.post("/articles", content=huge, headers={"content-type": "application/json"}), 413)

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit is counted as the body streams in
        yield b'{"text": "'
        for _ in range(LIMIT // 1000 + 2):
            yield b"a" * 1000
        yield b'"}'

    _error(writer.post("/articles", content=chunks(), headers={"content-type": "application/json"}), 413)
    _error(writer.post("/compare", content=chunks(), headers={"content-type": "application/json"}), 413)


@pytest.mark.parametrize(
    ("content", "content_type", "status"),
    [
        (b'{"text": "unfinished', "application/json", 422),
        (b"[1, 2, 3]", "application/json", 422),
        (b'"just a string"', "application/json", 422),
        (b'{"text": 12}', "application/json", 422),
        (b'{"text": "A fine text about a tram in Leeds.", "colour": "red"}', "application/json", 422),
        (b'{"text": "A text about trams.", "published": "the day after never"}', "application/json", 422),
        (b'{"text": "A text about trams.", "language": "elvish"}', "application/json", 422),
        (b'{"text": "   "}', "application/json", 422),
        (b'{"text": "A", "html": "<p>B</p>", "url": "https://x.example/"}', "application/json", 422),
        (b'{"text": "caf\xe9 au lait in Leeds"}', "application/json", 422),
        (b"text=hello", "application/x-www-form-urlencoded", 415),
    ],
)
def test_malformed_bodies_are_4xx_with_a_json_error(
    writer: httpx.Client, content: bytes, content_type: str, status: int
) -> None:
    _error(writer.post("/articles", content=content, headers={"content-type": content_type}), status)


def test_validation_errors_say_where(writer: httpx.Client) -> None:
    body = writer.post("/articles", json={"text": 12, "title": ["a"]}).json()
    places = {d["where"] for d in body["details"]}
    assert {"text", "title"} <= places and "text" in body["error"]


def test_store_failure_is_a_json_503(tmp_path: Path) -> None:
    """The exception handlers: a store that breaks under a running server gives a clear JSON error."""
    db = tmp_path / "broken.db"
    with LiveServer(create_app(db)) as live, live.client() as client:
        assert client.get("/stories").status_code == 200
        with sqlite3.connect(db) as connection:
            connection.execute("DROP TABLE articles")
        assert "store" in _error(client.get("/stories"), 503)
        assert "store" in _error(client.get("/articles/anything"), 503)
        page = client.get("/web")
        assert page.status_code == 503 and page.headers["content-type"].startswith("text/html")


def test_docs_and_openapi_load_nothing_from_elsewhere(reader: httpx.Client) -> None:
    docs = reader.get("/docs")
    assert docs.status_code == 200 and "/docs-assets/swagger-ui-bundle.js" in docs.text
    assert "http://" not in docs.text and "https://" not in docs.text
    assert reader.get("/docs-assets/swagger-ui-bundle.js").status_code == 200
    spec = reader.get("/openapi.json").json()
    assert {"/articles", "/articles/{article_id}", "/stories", "/stories/{story_id}", "/compare"} <= set(
        spec["paths"]
    )
    assert "text/html" in spec["paths"]["/articles"]["post"]["requestBody"]["content"]


# --- fuzzing ---------------------------------------------------------------------------------------------------

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
_fields = st.fixed_dictionaries(
    {},
    optional={
        "text": st.one_of(st.text(max_size=80), st.integers(), st.none()),
        "html": st.one_of(st.text(max_size=80), st.none()),
        "url": st.one_of(st.text(max_size=30), st.none()),
        "published": st.one_of(st.text(max_size=20), st.integers()),
        "language": st.text(max_size=5),
        "title": _json,
    },
)


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    db = tmp_path_factory.mktemp("fuzz") / "fuzz.db"
    with LiveServer(create_app(db, token=TOKEN, max_body=LIMIT)) as live, live.client(TOKEN) as client:
        yield client


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=st.one_of(
        st.binary(max_size=200),
        _json.map(lambda v: json.dumps(v).encode()),
        _fields.map(lambda v: json.dumps(v).encode()),
    ),
    path=st.sampled_from(["/articles", "/compare"]),
)
def test_no_body_gives_a_500(fuzz_server: httpx.Client, body: bytes, path: str) -> None:
    response = fuzz_server.post(path, content=body, headers={"content-type": "application/json"})
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert response.json()["error"]


# --- what the page draws ---------------------------------------------------------------------------------------


def test_side_by_side_pairs_match_across_texts() -> None:
    from samestory.api.views import sides
    from samestory.compare.passages import Passage

    a = "First sentence of the original text here.\nSecond sentence that the copy dropped entirely.\nOk."
    b = "A new opening sentence the copy added itself.\nFirst sentence of the original text, here."
    passages = [
        Passage(
            0,
            1,
            "First sentence of the original text here.",
            "First sentence of the original text, here.",
            0.95,
            0.8,
        )
    ]
    left, right = sides(a, b, passages)
    assert [[(s.kind, s.pair) for s in p] for p in left] == [
        [("aligned", 0)],
        [("dropped", -1)],
        [("plain", -1)],
    ]
    assert [[(s.kind, s.pair) for s in p] for p in right] == [[("added", -1)], [("aligned", 0)]]


def test_timeline_rows_by_source_and_original_first() -> None:
    from datetime import UTC, datetime

    from samestory.api.views import timeline
    from samestory.article import Article

    def art(i: str, source: str, hour: int | None, lang: str) -> Article:
        when = datetime(2025, 3, 14, hour, tzinfo=UTC) if hour is not None else None
        return Article(id=i, text="t", source=source, published=when, language=lang)

    plot = timeline(
        [
            (art("o", "wire", 7, "en"), "original"),
            (art("c", "farm", 19, "fr"), "translation"),
            (art("d", "wire", None, "en"), "duplicate"),
        ]
    )
    assert [name for name, _ in plot.rows] == ["wire", "farm"]
    xs = {d.article_id: d.x for d in plot.dots}
    assert xs["o"] < xs["c"] < xs["d"]  # undated at the right
    assert plot.undated and plot.languages == ["en", "fr"]
    assert plot.dots[0].relation == "original"
