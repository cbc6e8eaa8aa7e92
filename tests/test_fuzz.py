"""Hypothesis fuzz of the library's entry points: `process`, `compare` and the readers raise nothing but
SamestoryError on any input (lone surrogates, control characters, naive and aware dates at any offset, odd
bytes in any format)."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from samestory.article import Article
from samestory.compare import compare
from samestory.errors import SamestoryError
from samestory.pipeline import process
from samestory.read import FORMATS, Reader

# Any code point, lone surrogates included (what a JSON "\ud800" escape decodes to).
ANY_TEXT = st.text(st.characters(codec=None, exclude_categories=()), max_size=400)
WORDY = st.lists(
    st.one_of(st.sampled_from(["Sheffield", "fire", "council", "le", "die", "the", "2024", "12.5%", "\ud800"]), ANY_TEXT),
    max_size=60,
).map(" ".join)
OFFSETS = st.integers(-(23 * 60 + 59), 23 * 60 + 59).map(lambda m: timezone(timedelta(minutes=m)))
DATES = st.one_of(
    st.none(),
    st.datetimes(),  # naive
    st.datetimes(timezones=st.one_of(st.just(UTC), OFFSETS)),  # aware, year 1 to 9999, any offset
)


@st.composite
def articles(draw: st.DrawFn) -> Article:
    return Article(
        id=draw(ANY_TEXT),
        text=draw(st.one_of(WORDY, ANY_TEXT)),
        title=draw(ANY_TEXT),
        url=draw(st.one_of(st.none(), ANY_TEXT)),
        source=draw(st.one_of(st.none(), ANY_TEXT)),
        language=draw(st.one_of(st.none(), st.sampled_from(["en", "fr", "de", "xx", "\ud800"]))),
        published=draw(DATES),
        meta=draw(st.dictionaries(ANY_TEXT, st.one_of(ANY_TEXT, st.integers()), max_size=3)),
    )


FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(articles())
def test_process_raises_only_samestory_errors(article: Article) -> None:
    try:
        processed = process(article)
    except SamestoryError:
        return
    processed.to_dict()
    assert "\ud800" not in processed.text


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(articles(), articles())
def test_compare_raises_only_samestory_errors(a: Article, b: Article) -> None:
    try:
        result = compare(process(a), process(b))
    except SamestoryError:
        return
    result.to_dict()
    # raw articles (not processed) are compared too: the library sanitises at its edge
    try:
        compare(a, b)
    except SamestoryError:
        return


JSON_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), ANY_TEXT, WORDY),
    lambda children: st.one_of(st.lists(children, max_size=3), st.dictionaries(ANY_TEXT, children, max_size=3)),
    max_leaves=12,
)
RECORDS = st.lists(
    st.dictionaries(
        st.sampled_from(["text", "body", "title", "url", "published", "date", "id", "lang", "source", "meta"]),
        JSON_VALUES,
    ),
    max_size=4,
).map(lambda records: "\n".join(json.dumps(r) for r in records).encode())


@pytest.mark.parametrize("extension", [".txt", ".json", ".jsonl", ".csv", ".html", ".warc", ".gz", ""])
@FUZZ
@given(data=st.one_of(st.binary(max_size=2000), WORDY.map(lambda t: t.encode("utf-8", "surrogatepass")), RECORDS))
def test_readers_raise_only_samestory_errors(extension: str, data: bytes, tmp_path_factory: pytest.TempPathFactory) -> None:
    path = Path(tmp_path_factory.mktemp("fuzz")) / f"input{extension}"
    path.write_bytes(data)
    for format in (None, *FORMATS):
        reader = Reader(format=format)
        for article in reader.read([path]):
            article.to_dict()
        with contextlib.suppress(SamestoryError):
            list(Reader(strict=True, format=format).read([path]))
