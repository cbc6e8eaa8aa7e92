"""The read stage: every format, folders, stdin, field mapping, and bad input skipped, counted and named."""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import subprocess
import sys
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from samestory.article import Article, make_id
from samestory.errors import ConfigError, InputError
from samestory.read import Reader
from samestory.understand import understand

ROOT = Path(__file__).resolve().parents[1]
BODY = (
    "The Kremlin announced that Vladimir Putin and Xi Jinping will meet by videoconference on Friday.\n\n"
    "Moscow and Beijing present themselves as a counterweight to the United States and its allies."
)
PAGE = """<!DOCTYPE html><html lang="fr"><head><title>Putin et Xi | Le Monde</title>
<meta property="og:title" content="Putin et Xi se parlent vendredi">
<link rel="canonical" href="https://www.lemonde.example/international/putin-xi.html">
<meta property="article:published_time" content="2022-12-29T10:00:00+01:00"></head>
<body><nav><a href="/">Accueil</a> | <a href="/monde">Monde</a></nav><article><h1>Putin et Xi se parlent vendredi</h1>
<p>Le Kremlin a annoncé que les présidents russe et chinois se parleront vendredi par visioconférence, dans un
contexte de rapprochement accéléré entre Moscou et Pékin depuis l'offensive russe en Ukraine.</p>
<p>Moscou et Pékin se présentent comme un contrepoids géopolitique aux États-Unis et à leurs alliés, et ont
mené plusieurs exercices militaires conjoints ces derniers mois, dont des manœuvres navales cette semaine.</p>
</article><footer>© Le Monde 2022</footer></body></html>"""
EMPTY_PAGE = (
    "<!DOCTYPE html><html><head><title>Menu</title></head><body><nav><a href='/'>Home</a></nav></body></html>"
)


def read(*paths: Path | str, **options: object) -> tuple[list[Article], Reader]:
    reader = Reader(**options)  # type: ignore[arg-type]
    return list(reader.read([str(p) for p in paths])), reader


def write_jsonl(path: Path, records: list[object]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


# --- plain text -------------------------------------------------------------------------------------------


def test_seed_001_header_date(seed_paths: list[Path]) -> None:
    (article,), reader = read(seed_paths[1])
    assert reader.skipped == 0
    assert article.published == datetime(2022, 12, 29, tzinfo=UTC)
    assert article.title == ""  # its first paragraph is a long sentence, not a title
    assert article.text.startswith("Russia has been seeking in recent months")
    assert "date 2022-12-29" not in article.text
    assert article.origin == f"{seed_paths[1]}:1"
    assert article.id == make_id(f"{seed_paths[1]}:1", article.text)


def test_seed_000_title_line_and_its_repeat(seed_paths: list[Path]) -> None:
    (article,), _ = read(seed_paths[0])
    assert article.title == "Putin-Xi Jinping interview scheduled for Friday by videoconference"
    assert article.text.startswith("The Kremlin announced that Russian President Vladimir Putin")
    assert article.title not in article.text  # the repeated title line is not kept as the first paragraph
    assert article.published is None


def test_seed_folder_is_read_in_sorted_order(seed_paths: list[Path]) -> None:
    articles, reader = read(seed_paths[0].parent)
    assert [a.origin for a in articles] == [f"{p}:1" for p in seed_paths]
    assert reader.skipped == 0


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (" date 2022-12-29 \n", {"published": datetime(2022, 12, 29, tzinfo=UTC)}),
        ("Date: 29 December 2022\n", {"published": datetime(2022, 12, 29, tzinfo=UTC)}),
        ("title Putin and Xi to talk\nlang EN\n", {"title": "Putin and Xi to talk", "language": "en"}),
        (
            "url https://www.example.com/a/1\nsource Example Daily\nid abc-1\nlanguage French\n",
            {
                "url": "https://www.example.com/a/1",
                "source": "Example Daily",
                "id": "abc-1",
                "language": "fr",
            },
        ),
        ("date 2022-12-29T10:30:00+02:00\n", {"published": datetime(2022, 12, 29, 8, 30, tzinfo=UTC)}),
    ],
)
def test_text_header(tmp_path: Path, header: str, expected: dict[str, object]) -> None:
    path = tmp_path / "a.txt"
    path.write_text(f"{header}\n{BODY}\n", encoding="utf-8")
    (article,), _ = read(path)
    assert article.text == BODY
    for name, value in expected.items():
        assert getattr(article, name) == value


def test_text_header_url_gives_id_and_source(tmp_path: Path) -> None:
    path = tmp_path / "a"
    path.write_text(f"url https://www.example.com/a/1\n\n{BODY}", encoding="utf-8")
    (article,), _ = read(path)
    assert article.id == make_id("https://www.example.com/a/1")
    assert article.source == "example.com"


@pytest.mark.parametrize(
    ("first", "title"),
    [
        ("Date night is back in fashion", "Date night is back in fashion"),  # 'date' + words that are no date
        ("url not-a-url", "url not-a-url"),  # 'url' + something that is no URL
        ("Title of the week goes to Moscow.", ""),  # ends with a period: a sentence, not a title
        ("x" * 250, ""),  # too long for a title
    ],
)
def test_text_without_header(tmp_path: Path, first: str, title: str) -> None:
    path = tmp_path / "a.txt"
    path.write_text(f"{first}\n\n{BODY}", encoding="utf-8")
    (article,), _ = read(path)
    assert article.published is None and article.url is None
    assert article.title == title
    assert article.text == (BODY if title else f"{first}\n\n{BODY}")


def test_single_line_text_is_text_not_title(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("Putin and Xi to talk on Friday\n", encoding="utf-8")
    (article,), _ = read(path)
    assert (article.title, article.text) == ("", "Putin and Xi to talk on Friday")


def test_text_encodings_and_bom(tmp_path: Path) -> None:
    text = "Le président français a annoncé une réforme très attendue des retraites à Besançon."
    (tmp_path / "1-latin1.txt").write_bytes((text + "\n" + text).encode("cp1252"))
    (tmp_path / "2-bom.txt").write_bytes(b"\xef\xbb\xbf" + f"date 2022-12-29\n\n{text}".encode())
    (tmp_path / "3-utf16.txt").write_text(text, encoding="utf-16")
    articles, reader = read(tmp_path)
    assert reader.skipped == 0
    assert [a.text.splitlines()[0] for a in articles] == [text, text, text]
    assert articles[1].published == datetime(2022, 12, 29, tzinfo=UTC)


# --- JSON, JSONL, CSV -------------------------------------------------------------------------------------


def test_jsonl_common_field_names(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "a.jsonl",
        [
            {
                "id": 7,
                "title": "One",
                "text": BODY,
                "url": "https://a.example/1",
                "date": "2022-12-29",
                "lang": "en",
            },
            {
                "headline": "Two",
                "body": "Second text.",
                "link": "https://www.b.example/2",
                "date_publish": "2022-12-30T08:00:00Z",
                "language": "fr-FR",
                "author": "AFP",
            },
            {
                "maintext": "Third text.",
                "publish_date": 1672358400000,
                "source": {"id": "x", "name": "Le Monde"},
            },
            {"content": ["Para one.", "Para two."], "published": "30 décembre 2022", "domain": "c.example"},
        ],
    )
    articles, reader = read(path)
    assert reader.skipped == 0
    one, two, three, four = articles
    assert (one.id, one.title, one.text, one.language) == ("7", "One", BODY, "en")
    assert one.published == datetime(2022, 12, 29, tzinfo=UTC)
    assert one.source == "a.example"
    assert (two.id, two.title, two.url, two.source) == (
        make_id("https://www.b.example/2"),
        "Two",
        two.url,
        "b.example",
    )
    assert two.published == datetime(2022, 12, 30, 8, tzinfo=UTC)
    assert two.language == "fr"
    assert two.meta == {"author": "AFP"}
    assert two.origin == f"{path}:2"
    assert three.published == datetime(2022, 12, 30, tzinfo=UTC)
    assert three.source == "Le Monde"
    assert three.id == make_id(f"{path}:3", "Third text.")
    assert four.text == "Para one.\n\nPara two."
    assert four.published == datetime(2022, 12, 30, tzinfo=UTC)
    assert four.source == "c.example"


def test_dates_that_cannot_be_read_stay_in_meta(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "a.jsonl",
        [
            {"text": "x", "date": "2 days ago"},
            {"text": "y", "date": "sometime"},
            {"text": "z", "lang": "klingon"},
        ],
    )
    articles, reader = read(path)
    assert reader.skipped == 0
    assert [a.published for a in articles] == [None, None, None]
    assert [a.meta for a in articles] == [{"date": "2 days ago"}, {"date": "sometime"}, {"lang": "klingon"}]


def test_field_mapping(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "a.jsonl",
        [{"story": BODY, "text": "not this one", "when": "2022-12-29", "name": "T", "ref": "r1"}],
    )
    (article,), _ = read(path, fields={"text": "story", "published": "when", "title": "name", "id": "ref"})
    assert (article.text, article.title, article.id) == (BODY, "T", "r1")
    assert article.published == datetime(2022, 12, 29, tzinfo=UTC)
    assert article.meta == {"text": "not this one"}
    _, reader = read(path, fields={"text": "missing"})
    assert reader.skipped == 1
    assert "no text field (looked for 'missing')" in str(reader.errors[0])


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"fields": {"txt": "body"}}, "unknown Article field 'txt'"),
        ({"format": "pdf"}, "unknown format 'pdf'"),
    ],
)
def test_bad_options_raise_config_error(options: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Reader(**options)  # type: ignore[arg-type]


def test_json_array_object_and_concatenated(tmp_path: Path) -> None:
    (tmp_path / "1.json").write_text(json.dumps([{"text": "a"}, {"text": "b"}], indent=2), encoding="utf-8")
    (tmp_path / "2.json").write_text(json.dumps({"text": "c", "title": "C"}, indent=2), encoding="utf-8")
    (tmp_path / "3").write_text(
        '{\n "text": "d"\n}\n{\n "text": "e"\n}\n[]\n[{"text": "f"}]', encoding="utf-8"
    )
    articles, reader = read(tmp_path)
    assert reader.skipped == 0
    assert [a.text for a in articles] == ["a", "b", "c", "d", "e", "f"]
    assert [a.origin for a in articles] == [
        f"{tmp_path}/1.json:2",
        f"{tmp_path}/1.json:5",
        f"{tmp_path}/2.json:1",
        f"{tmp_path}/3:1",
        f"{tmp_path}/3:4",
        f"{tmp_path}/3:8",
    ]


def test_json_array_element_without_text_is_skipped_and_the_rest_read(tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    path.write_text(json.dumps([{"text": "a"}, {"title": "no text"}, "oops", {"text": "b"}], indent=1))
    articles, reader = read(path)
    assert [a.text for a in articles] == ["a", "b"]
    assert [e.where for e in reader.errors] == [f"{path}:5", f"{path}:8"]
    assert "got a string" in str(reader.errors[1])


def test_malformed_json_document_stops_at_the_bad_value(tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    path.write_text('[\n{"text": "a"},\n{"text": "b",,}\n]', encoding="utf-8")
    articles, reader = read(path)
    assert [a.text for a in articles] == ["a"]
    assert reader.skipped == 1
    assert reader.errors[0].where == f"{path}:3" and "malformed JSON" in str(reader.errors[0])


def test_large_json_array_is_streamed(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    record = {"text": "x" * 1000, "title": "t"}
    with path.open("w") as out:
        out.write("[" + ",\n".join(json.dumps({**record, "id": i}) for i in range(20_000)) + "]")
    tracemalloc.start()
    count = sum(1 for _ in Reader().read([path]))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert count == 20_000
    assert peak < 12 * 2**20, f"peak {peak >> 20} MB for a {path.stat().st_size >> 20} MB array"


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_csv(tmp_path: Path, delimiter: str) -> None:
    path = tmp_path / ("a.tsv" if delimiter == "\t" else "a.csv")
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, delimiter=delimiter)
        writer.writerow(["Title", "Body", "Date", "URL", "section"])
        writer.writerow(
            ["One", 'First line;\nsecond, line with "quotes".', "2022-12-29", "https://a.example/1", "world"]
        )
        writer.writerow(["Two", "Second text.", "", "", ""])
    articles, reader = read(path, fields={"text": "Body"})
    assert reader.skipped == 0
    one, two = articles
    assert one.text == 'First line;\nsecond, line with "quotes".'
    assert (one.title, one.url, one.meta) == ("One", "https://a.example/1", {"section": "world"})
    assert one.published == datetime(2022, 12, 29, tzinfo=UTC)
    assert (one.origin, two.origin) == (f"{path}:2", f"{path}:4")  # the first row spans two lines
    assert two.published is None and two.meta == {}


def test_csv_sniffed_without_extension(tmp_path: Path) -> None:
    path = tmp_path / "export"
    path.write_text('id,title,text\n1,A,"Alpha, beta."\n2,B,Gamma\n', encoding="utf-8")
    articles, _ = read(path)
    assert [(a.id, a.text) for a in articles] == [("1", "Alpha, beta."), ("2", "Gamma")]


def test_csv_without_text_column(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("name,score\nA,1\n", encoding="utf-8")
    articles, reader = read(path)
    assert articles == [] and reader.skipped == 1
    assert reader.errors[0].where == f"{path}:1" and "no text column" in str(reader.errors[0])


# --- HTML and WARC ----------------------------------------------------------------------------------------


def test_html_main_text_and_metadata(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text(PAGE, encoding="utf-8")
    (article,), reader = read(path)
    assert reader.skipped == 0
    assert article.title == "Putin et Xi se parlent vendredi"
    assert article.text.startswith("Le Kremlin a annoncé")
    assert "manœuvres navales" in article.text
    assert "<" not in article.text and "Accueil" not in article.text and "©" not in article.text
    assert article.url == "https://www.lemonde.example/international/putin-xi.html"
    assert article.source == "lemonde.example"
    # <html lang> is a hint for the understand stage (the text decides), not the language itself
    assert article.language is None and article.meta["page_language"] == "fr"
    assert understand(article, entities=False).language == "fr"
    assert article.published is not None and article.published.date().isoformat() == "2022-12-29"


def test_html_is_sniffed_without_extension(tmp_path: Path) -> None:
    path = tmp_path / "page"
    path.write_text(PAGE, encoding="utf-8")
    (article,), _ = read(path)
    assert article.title == "Putin et Xi se parlent vendredi" and "<p>" not in article.text


def _warc(path: Path, *, gzipped: bool) -> Path:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    dated = PAGE.replace('<meta property="article:published_time" content="2022-12-29T10:00:00+01:00">', "")
    dated = dated.replace(
        '<link rel="canonical" href="https://www.lemonde.example/international/putin-xi.html">', ""
    )
    with path.open("wb") as out:
        writer = WARCWriter(out, gzip=gzipped)
        pages = [
            ("https://news.example/a", "text/html; charset=utf-8", "200 OK", PAGE.encode()),
            ("https://news.example/logo.png", "image/png", "200 OK", b"\x89PNG\r\n\x1a\n" + bytes(200)),
            ("https://news.example/old", "text/html", "301 Moved Permanently", b""),
            ("https://news.example/b", "text/html", "200 OK", dated.encode()),
            ("https://news.example/menu", "text/html", "200 OK", EMPTY_PAGE.encode()),
        ]
        for url, content_type, status, body in pages:
            headers = StatusAndHeaders(status, [("Content-Type", content_type)], protocol="HTTP/1.1")
            writer.write_record(
                writer.create_warc_record(
                    url,
                    "response",
                    payload=io.BytesIO(body),
                    http_headers=headers,
                    warc_headers_dict={"WARC-Date": "2023-01-02T03:04:05Z"},
                )
            )
            writer.write_record(
                writer.create_warc_record(url, "request", payload=io.BytesIO(b"GET / HTTP/1.1\r\n\r\n"))
            )
    return path


@pytest.mark.parametrize("gzipped", [False, True])
def test_warc(tmp_path: Path, gzipped: bool) -> None:
    path = _warc(tmp_path / ("crawl.warc.gz" if gzipped else "crawl.warc"), gzipped=gzipped)
    (a, b), reader = read(path)
    assert a.url == "https://news.example/a"  # the fetched URL wins over the canonical one
    assert a.published is not None and a.published.date().isoformat() == "2022-12-29"
    assert b.url == "https://news.example/b" and b.source == "news.example"
    assert b.published == datetime(2023, 1, 2, 3, 4, 5, tzinfo=UTC)  # no date in the page: the WARC-Date
    assert a.text.startswith("Le Kremlin") and "<p>" not in a.text
    assert [a.origin, b.origin] == [f"{path}#1", f"{path}#7"]
    assert a.meta["warc_record_id"].startswith("<urn:uuid:")
    assert reader.skipped == 1  # the page with no main text, not the image, the redirect or the requests
    assert reader.errors[0].where == f"{path}#9" and "no main text" in str(reader.errors[0])


def test_truncated_warc_gz_keeps_the_records_before(tmp_path: Path) -> None:
    path = _warc(tmp_path / "crawl.warc.gz", gzipped=True)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 40])  # inside the last record
    articles, reader = read(path)
    assert [a.url for a in articles] == ["https://news.example/a", "https://news.example/b"]
    assert [e.where for e in reader.errors] == [f"{path}#9", f"{path}#10"]  # the menu page, then the cut
    assert "truncated" in reader.errors[1].message


# --- folders, stdin, compression --------------------------------------------------------------------------


def test_folder_recursion_sorted_hidden_skipped(tmp_path: Path) -> None:
    (tmp_path / "b" / "deep").mkdir(parents=True)
    (tmp_path / ".git").mkdir()
    (tmp_path / "b" / "deep" / "z.txt").write_text("Deep text.", encoding="utf-8")
    (tmp_path / "b" / "a.json").write_text('{"text": "Json text."}', encoding="utf-8")
    (tmp_path / "a.txt").write_text("Top text.", encoding="utf-8")
    (tmp_path / ".hidden.txt").write_text("Hidden text.", encoding="utf-8")
    (tmp_path / ".git" / "x.txt").write_text("Git text.", encoding="utf-8")
    with gzip.open(tmp_path / "c.jsonl.gz", "wt", encoding="utf-8") as out:
        out.write('{"text": "Gzipped text."}\n')
    articles, reader = read(tmp_path)
    assert [a.text for a in articles] == ["Top text.", "Json text.", "Deep text.", "Gzipped text."]
    assert reader.skipped == 0


def test_single_path_string(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("Text.", encoding="utf-8")
    assert [a.text for a in Reader().read(str(path))] == ["Text."]


@pytest.mark.parametrize(
    ("data", "texts", "skipped"),
    [
        (b'{"text": "one"}\n{"text": "two"}\n', ["one", "two"], 0),
        (gzip.compress(b'{"text": "one"}\nnot json\n{"text": "two"}\n'), ["one", "two"], 1),
        (f"date 2022-12-29\n\n{BODY}".encode(), [BODY], 0),
        (PAGE.encode(), ["Le Kremlin a annoncé"], 0),
    ],
    ids=["jsonl", "jsonl.gz", "text", "html"],
)
def test_stdin(data: bytes, texts: list[str], skipped: int) -> None:
    code = (
        "import json; from samestory.read import Reader; r = Reader(); "
        "out = [a.to_dict() for a in r.read(['-'])]; print(json.dumps({'articles': out, 'skipped': r.skipped}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], input=data, capture_output=True, check=True, timeout=120
    )
    result = json.loads(done.stdout)
    got = [a["text"] for a in result["articles"]]
    assert len(got) == len(texts) and all(g.startswith(t) for g, t in zip(got, texts, strict=True))
    assert result["skipped"] == skipped
    assert all(a["origin"].startswith("<stdin>:") for a in result["articles"])
    if skipped:
        assert "<stdin>:2: malformed JSON" in done.stderr.decode()


def test_cli_read(tmp_path: Path) -> None:
    pytest.importorskip("samestory.clean")
    pytest.importorskip("samestory.understand")
    path = write_jsonl(tmp_path / "a.jsonl", [{"id": "a1", "title": "T", "text": BODY}, {"title": "no text"}])
    exe = ROOT / ".venv" / "bin" / "samestory"
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "samestory.cli"]
    env = {**os.environ, "SAMESTORY_EMBED_THREADS": "1"}
    done = subprocess.run(
        [*command, "read", "--no-entities", str(path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    (line,) = done.stdout.splitlines()
    assert json.loads(line)["id"] == "a1"
    assert f"{path}:2" in done.stderr and "skipped 1 bad record" in done.stderr
    strict = subprocess.run(
        [*command, "read", "--strict", "--no-entities", str(path)],
        check=False,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert strict.returncode == 2 and f"{path}:2" in strict.stderr and "Traceback" not in strict.stderr


# --- bad input --------------------------------------------------------------------------------------------

GOOD = [{"id": "g1", "text": "Good one."}, {"id": "g2", "text": "Good two."}]


def _bad_jsonl(tmp_path: Path, bad_line: bytes) -> tuple[Path, str]:
    path = tmp_path / "a.jsonl"
    lines = [json.dumps(GOOD[0]).encode(), bad_line, json.dumps(GOOD[1]).encode()]
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path, f"{path}:2"


def bad_binary(tmp_path: Path) -> tuple[list[Path], str, str]:
    path = tmp_path / "b.bin"
    path.write_bytes(bytes(range(256)) * 4)
    return [path], f"{path}:1", "binary file"


def bad_empty(tmp_path: Path) -> tuple[list[Path], str, str]:
    path = tmp_path / "b.txt"
    path.write_bytes(b"")
    return [path], f"{path}:1", "empty file"


def bad_truncated_gzip(tmp_path: Path) -> tuple[list[Path], str, str]:
    path = tmp_path / "b.jsonl.gz"
    data = gzip.compress(b"".join(json.dumps({"text": f"t{i}"}).encode() + b"\n" for i in range(20_000)))
    path.write_bytes(data[: len(data) // 2])
    return [path], f"{path}:", "truncated"


def bad_json_line(tmp_path: Path) -> tuple[list[Path], str, str]:
    path, where = _bad_jsonl(tmp_path, b'{"text": "unterminated')
    return [path], where, "malformed JSON"


def bad_nul_line(tmp_path: Path) -> tuple[list[Path], str, str]:
    """A NUL byte damages one line; the file is still text, not binary."""
    path, where = _bad_jsonl(tmp_path, b'{"text": "a\x00b"}')
    return [path], where, "malformed JSON at column 12: Invalid control character"


def bad_deep_json_line(tmp_path: Path) -> tuple[list[Path], str, str]:
    """100,000 nested arrays: refused at orjson's depth limit, not a stack overflow."""
    path, where = _bad_jsonl(tmp_path, b'{"text": ' + b"[" * 100_000 + b"]" * 100_000 + b"}")
    return [path], where, "nested deeper than 1024 levels"


def bad_encoding(tmp_path: Path) -> tuple[list[Path], str, str]:
    """A UTF-8 file with one line pasted from a Latin-1 one."""
    path = tmp_path / "a.jsonl"
    lines = [
        json.dumps({**GOOD[0], "title": "Café crème"}, ensure_ascii=False).encode(),
        '{"text": "caf\u00e9"}'.encode("latin-1"),
        json.dumps(GOOD[1]).encode(),
    ]
    path.write_bytes(b"\n".join(lines) + b"\n")
    return [path], f"{path}:2", "not valid utf-8: byte 0xe9 at column 14"


def bad_huge_line(tmp_path: Path) -> tuple[list[Path], str, str]:
    path = tmp_path / "a.jsonl"
    with path.open("wb") as out:
        out.write(json.dumps(GOOD[0]).encode() + b"\n" + b'{"text": "')
        chunk = b"a" * 2**20
        for _ in range(200):
            out.write(chunk)
        out.write(b'"}\n' + json.dumps(GOOD[1]).encode() + b"\n")
    return [path], f"{path}:2", "line longer than 5 MB"


def bad_csv_row(tmp_path: Path) -> tuple[list[Path], str, str]:
    path = tmp_path / "a.csv"
    path.write_text("id,title,text\ng1,A,Good one.\nb1,No text,\ng2,B,Good two.\n", encoding="utf-8")
    return [path], f"{path}:3", "field 'text' is empty"


def bad_html(tmp_path: Path) -> tuple[list[Path], str, str]:
    path = tmp_path / "b.html"
    path.write_text(EMPTY_PAGE, encoding="utf-8")
    return [path], f"{path}:1", "no main text"


def bad_missing_file(tmp_path: Path) -> tuple[list[Path], str, str]:
    return [tmp_path / "nope.txt"], f"{tmp_path / 'nope.txt'}", "cannot open"


BAD_CASES = [
    bad_binary,
    bad_empty,
    bad_truncated_gzip,
    bad_json_line,
    bad_nul_line,
    bad_deep_json_line,
    bad_encoding,
    bad_huge_line,
    bad_csv_row,
    bad_html,
    bad_missing_file,
]


@pytest.mark.parametrize("case", BAD_CASES, ids=lambda f: f.__name__)
def test_bad_input_is_skipped_counted_and_named(tmp_path: Path, case) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "in").mkdir()
    paths, where, message = case(tmp_path / "in")
    before, after = tmp_path / "0.txt", tmp_path / "9.txt"
    before.write_text("Before.", encoding="utf-8")
    after.write_text("After.", encoding="utf-8")
    tracemalloc.start()
    articles, reader = read(before, *paths, after)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    texts = [a.text for a in articles]
    assert texts[0] == "Before." and texts[-1] == "After."
    if case in (bad_json_line, bad_nul_line, bad_deep_json_line, bad_encoding, bad_huge_line, bad_csv_row):
        assert texts[1:-1] == ["Good one.", "Good two."]  # the good records on both sides of the bad one
    elif case is bad_truncated_gzip:  # the records before the cut
        assert len(texts) > 1000 and texts[1:-1] == [f"t{i}" for i in range(len(texts) - 2)]
    else:
        assert texts == ["Before.", "After."]
    assert reader.skipped == 1, reader.errors
    (error,) = reader.errors
    assert error.where.startswith(where) and message in error.message
    assert str(error).startswith(str(paths[0]))
    assert peak < 40 * 2**20  # a 200 MB line is never held whole
    with pytest.raises(InputError) as raised:
        read(before, *paths, after, strict=True)
    assert raised.value.where == error.where


def test_bad_records_are_logged(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    (paths, where, _) = bad_json_line(tmp_path)
    read(*paths)
    assert any(where in r.getMessage() and r.levelname == "WARNING" for r in caplog.records)


def test_forced_format_on_the_wrong_file(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("Just some text.", encoding="utf-8")
    for format in ("warc", "json", "jsonl", "csv"):
        articles, reader = read(path, format=format)
        assert articles == [] and reader.skipped == 1, format
        assert reader.errors[0].where.startswith(str(path))


# --- fuzzing ----------------------------------------------------------------------------------------------

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _read_all(path: Path, **options: object) -> list[Article]:
    return list(Reader(**options).read([path]))  # type: ignore[arg-type]


@FUZZ
@given(
    data=st.binary(max_size=2000),
    suffix=st.sampled_from(["", ".txt", ".json", ".jsonl", ".csv", ".html", ".warc", ".gz"]),
)
def test_fuzz_random_bytes(tmp_path: Path, data: bytes, suffix: str) -> None:
    path = tmp_path / f"fuzz{suffix}"
    path.write_bytes(data)
    for article in _read_all(path):
        assert article.text.strip() and article.origin and article.origin.startswith(str(path))
    try:
        _read_all(path, strict=True)
    except InputError as error:
        assert error.where.startswith(str(path))


@FUZZ
@given(data=st.binary(max_size=500))
def test_fuzz_random_gzip(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "fuzz.jsonl.gz"
    compressed = gzip.compress(data)
    path.write_bytes(compressed[: len(compressed) * 2 // 3])
    _read_all(path)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=10,
)
BAD_LINES = (
    st.text(max_size=80).filter(lambda s: "\n" not in s and "\r" not in s)
    | JSON_VALUES.map(json.dumps)
    | st.dictionaries(
        st.sampled_from(["text", "date", "lang", "url", "id", "title", "source"]), JSON_VALUES
    ).map(json.dumps)
)


@FUZZ
@given(bad=st.lists(BAD_LINES, min_size=1, max_size=5))
@example(bad=["\x1f", "\x0b", " \t"])  # the first two are blank to str.strip() but not to JSON: errors
def test_fuzz_jsonl_good_records_survive(tmp_path: Path, bad: list[str]) -> None:
    path = tmp_path / "fuzz.jsonl"
    good = [json.dumps({"id": f"good-{i}", "text": f"Good record {i}."}) for i in range(len(bad) + 1)]
    lines = [line for pair in zip(good, bad, strict=False) for line in pair] + [good[-1]]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    reader = Reader()
    ids = [a.id for a in reader.read([path])]
    assert [i for i in ids if i.startswith("good-")] == [f"good-{i}" for i in range(len(good))]
    # every line that is not blank (JSON's whitespace only) is either an article or a counted error
    assert len(ids) + reader.skipped == sum(1 for line in lines if line.strip(" \t\n\r"))
    assert all(error.where.startswith(f"{path}:") for error in reader.errors)


def _nonspace(text: str) -> str:
    return "".join(text.split())


@FUZZ
@given(text=st.text(st.characters(blacklist_categories=("Cs",)), max_size=400))
def test_fuzz_random_text(tmp_path: Path, text: str) -> None:
    path = tmp_path / "fuzz.txt"
    path.write_text(text, encoding="utf-8")
    reader = Reader()
    articles = list(reader.read([path]))
    assert len(articles) + reader.skipped == 1
    if articles:  # the body is the end of the file, header and title taken off its start
        assert articles[0].text.strip()
        assert _nonspace(text.replace("\x00", "")).endswith(_nonspace(articles[0].text))
