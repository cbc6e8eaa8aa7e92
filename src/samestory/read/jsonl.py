"""JSON Lines (one object a line) and JSON (an object, an array of objects, or several of either).

Both are streamed: a JSONL file one line at a time, a JSON array one element at a time, each capped at
READ_MAX_RECORD_BYTES. A bad JSONL line is skipped and reading goes on at the next line; in a JSON document
there is no next line to resync on, so reading stops at the first malformed value.
"""

from __future__ import annotations

import codecs
import io
import json
import re
from collections.abc import Iterator
from typing import IO, Any, TextIO, cast

import orjson

from samestory.article import Article
from samestory.config import READ_MAX_RECORD_BYTES
from samestory.errors import InputError
from samestory.read._fields import Fields
from samestory.read._source import STREAM_ERRORS, Source, describe, lines, undecodable

_CHUNK = 2**20
_MAX_DEPTH = 1024  # orjson's limit on nested arrays and objects
_SPACE = re.compile(r"[ \t\n\r]*")
_BLANK = " \t\n\r"  # JSON's whitespace (RFC 8259): a line of nothing else is blank; "\x1f" is not


def read_jsonl(source: Source, fields: Fields, encoding: str) -> Iterator[Article | InputError]:
    """One article per line; blank lines are ignored. UTF-8 lines go to orjson undecoded."""
    utf8 = codecs.lookup(encoding).name == "utf-8"
    with source.open() as stream:
        for line in lines(stream, encoding, undecoded=utf8):
            where = f"{source.name}:{line.number}"
            if line.problem:
                yield InputError(where, line.problem)
            elif line.data.strip(_BLANK.encode()) if utf8 else line.text.strip(_BLANK):
                record, problem = _parse(line.data if utf8 else line.text, encoding)
                yield InputError(where, problem) if problem else fields.article(record, where)


def _parse(line: bytes | str, encoding: str) -> tuple[Any, str | None]:
    """One JSON value, or the problem with it. orjson first; where it fails, json says why in its own words
    (and takes what orjson refuses and json reads: NaN, lone surrogates), unless orjson stopped at its depth
    limit, where json would exhaust the stack."""
    try:
        return orjson.loads(line), None
    except orjson.JSONDecodeError as exc:
        if "recursion" in exc.msg or "depth" in exc.msg:  # orjson 3.11 says one, 3.13 the other
            return None, f"malformed JSON at column {exc.colno}: nested deeper than {_MAX_DEPTH} levels"
    text = line
    if isinstance(line, bytes):
        try:
            text = line.decode(encoding)
        except UnicodeDecodeError as exc:
            return None, undecodable(line, encoding, exc)
    try:
        return json.loads(text), None
    except json.JSONDecodeError as exc:
        return None, f"malformed JSON at column {exc.colno}: {exc.msg}"
    except RecursionError:
        return None, "malformed JSON: nested too deeply"


def read_json(source: Source, fields: Fields, encoding: str) -> Iterator[Article | InputError]:
    """One article per object, whether the objects stand alone or in top-level arrays."""
    with source.open() as stream:
        text = io.TextIOWrapper(cast(IO[bytes], stream), encoding=encoding, errors="replace")
        values = _Values(text)
        try:
            for line, value in values:
                yield fields.article(value, f"{source.name}:{line}")
        except _Malformed as exc:
            yield InputError(f"{source.name}:{exc.line}", exc.message)
        except RecursionError:
            yield InputError(f"{source.name}:{values.line}", "JSON nested too deeply to read")
        except STREAM_ERRORS as exc:
            yield InputError(f"{source.name}:{values.line}", describe(exc))


class _Malformed(Exception):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


class _Values:
    """The records of a JSON document with the line each starts on: top-level objects, and the elements of
    top-level arrays. Holds at most one record (plus a chunk) in memory."""

    def __init__(self, text: TextIO) -> None:
        self._text = text
        self._buffer = ""
        self._pos = 0
        self._line = 1  # the line of self._buffer[0]
        self._eof = False
        self._decoder = json.JSONDecoder()

    @property
    def line(self) -> int:
        """The line of the current position."""
        return self._line + self._buffer.count("\n", 0, self._pos)

    def __iter__(self) -> Iterator[tuple[int, Any]]:
        while (char := self._peek()) is not None:
            if char != "[":
                yield self.line, self._value()
                continue
            self._pos += 1
            if self._peek() == "]":
                self._pos += 1
                continue
            while True:
                yield self.line, self._value()
                char = self._peek()
                if char == "]":
                    self._pos += 1
                    break
                if char != ",":
                    found = "the end of the file" if char is None else repr(char)
                    raise _Malformed(
                        self.line, f"malformed JSON: expected ',' or ']' in the array, found {found}"
                    )
                self._pos += 1
                self._peek()

    def _fill(self) -> bool:
        """Read another chunk, dropping what was consumed; False at the end of the file."""
        if self._eof:
            return False
        chunk = self._text.read(_CHUNK)
        self._line += self._buffer.count("\n", 0, self._pos)
        self._buffer = self._buffer[self._pos :] + chunk
        self._pos = 0
        self._eof = not chunk
        return bool(chunk)

    def _peek(self) -> str | None:
        """The next character that is not white space (None at the end of the file), made current."""
        while True:
            self._pos = _SPACE.match(self._buffer, self._pos).end()  # type: ignore[union-attr]
            if self._pos < len(self._buffer):
                return self._buffer[self._pos]
            if not self._fill():
                return None

    def _value(self) -> Any:
        """The JSON value at the current position, reading more of the file while it is incomplete."""
        while True:
            if len(self._buffer) - self._pos < _CHUNK:
                self._fill()
            try:
                value, end = self._decoder.raw_decode(self._buffer, self._pos)
            except json.JSONDecodeError as exc:
                if len(self._buffer) - self._pos > READ_MAX_RECORD_BYTES:
                    raise _Malformed(
                        self.line, f"malformed JSON, or a value longer than {READ_MAX_RECORD_BYTES >> 20} MB"
                    ) from None
                if self._fill():
                    continue
                line = self._line + self._buffer.count("\n", 0, exc.pos)
                raise _Malformed(line, f"malformed JSON at column {exc.colno}: {exc.msg}") from None
            self._pos = end
            return value
