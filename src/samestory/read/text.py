"""Plain text: one article a file, with an optional header and an optional title line.

date 2022-12-29            <- header: `key value` or `key: value` lines (date, title, url, lang,
url https://example.com/a     language, source, id), ended by a blank line

Putin and Xi to meet       <- when the header has no title, the next line is the title if it looks like
                              one (short, no final period) and text follows; the title repeated as
The Kremlin announced...      the first paragraph is dropped
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from samestory.article import Article
from samestory.config import READ_MAX_RECORD_BYTES, READ_TITLE_MAX_CHARS
from samestory.errors import InputError
from samestory.read._fields import build, parse_date, parse_language
from samestory.read._source import Source, guess_encoding

_HEADER = re.compile(
    r"^\s*(date|published|title|url|lang|language|source|id)\s*(?::\s*|\s+)(\S.*?)\s*$", re.IGNORECASE
)
_KEYS = {"date": "published", "lang": "language"}
# A title doesn't end like a sentence or a clause (it may end with ? ! or a quote).
_NOT_TITLE_END = (".", ",", ";", ":")


def read_text(source: Source, encoding: str) -> Iterator[Article | InputError]:
    """The one article of a plain-text file."""
    where = f"{source.name}:1"
    try:
        text = decode(source.read(READ_MAX_RECORD_BYTES), encoding, where)
    except InputError as error:
        yield error
        return
    yield parse_text(text, where)


def decode(data: bytes, encoding: str, where: str) -> str:
    """Bytes to text in the encoding sniffed from the first bytes, else the one charset-normalizer finds."""
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        best = guess_encoding(data)
        if best is None:
            raise InputError(where, f"not text in {encoding} nor any other encoding found") from None
        return str(best)


def parse_text(text: str, where: str) -> Article | InputError:
    """Header, title and body of a plain-text article."""
    lines = text.replace("\x00", "").splitlines()
    start = _skip_blank(lines, 0)
    header, start = _header(lines, start)
    title = header.get("title", "")
    if not title:
        title, start = _title(lines, start)
    body = "\n".join(lines[start:]).strip()
    if not body:
        return InputError(where, "no text" + (" after the header" if header else ""))
    return build(
        where,
        text=body,
        id=header.get("id"),
        url=header.get("url"),
        source=header.get("source"),
        title=title,
        language=header.get("language"),
        published=header.get("published"),
    )


def _skip_blank(lines: list[str], start: int) -> int:
    while start < len(lines) and not lines[start].strip():
        start += 1
    return start


def _header(lines: list[str], start: int) -> tuple[dict[str, Any], int]:
    """The header fields and the line after the header; no header when any line of the first block is
    not a `key value` line with a valid value (so a text starting "Date night..." stays text)."""
    header: dict[str, Any] = {}
    end = start
    while end < len(lines) and lines[end].strip():
        match = _HEADER.match(lines[end])
        if not match:
            return {}, start
        key, raw = _KEYS.get(match[1].lower(), match[1].lower()), match[2]
        value: Any = raw
        if key == "published":
            value = parse_date(raw)
        elif key == "language":
            value = parse_language(raw)
        elif (
            (key == "url"
            and not raw.lower().startswith(("http://", "https://")))
            or (key == "title"
            and not _looks_like_title(raw))
            or (key in ("id", "source")
            and (len(raw) > 100 or raw.endswith(_NOT_TITLE_END)))
        ):
            value = None
        if value is None:
            return {}, start
        header[key] = value
        end += 1
    return header, _skip_blank(lines, end)


def _looks_like_title(line: str) -> bool:
    return len(line) <= READ_TITLE_MAX_CHARS and not line.endswith(_NOT_TITLE_END)


def _title(lines: list[str], start: int) -> tuple[str, int]:
    """The title line and the line where the body starts, or ("", start) when the first line is not one."""
    if start >= len(lines):
        return "", start
    first = lines[start].strip()
    after = _skip_blank(lines, start + 1)
    if not _looks_like_title(first) or after >= len(lines):
        return "", start
    if lines[after].strip().casefold() == first.casefold():  # the title repeated as the first paragraph
        after = _skip_blank(lines, after + 1)
        if after >= len(lines):
            return "", start
    return first, after
