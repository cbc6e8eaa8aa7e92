"""The read stage: files, folders and stdin in any supported format, to `Article` records.

    reader = Reader(fields={"text": "body", "published": "date"})
    for article in reader.read(["articles.jsonl", "pages/", "-"]):
        ...
    reader.skipped, reader.errors   # bad records: counted, kept, logged, never fatal unless strict

Formats (one module each), chosen by `format=`, else by content and extension:
text (.txt, no extension), json, jsonl, csv/tsv, html, warc (and any of them gzip/bz2/xz-compressed).
`published` is always a UTC-aware datetime.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Iterator, Mapping

from samestory.article import Article
from samestory.config import READ_MAX_KEPT_ERRORS
from samestory.errors import ConfigError, InputError
from samestory.read._fields import Fields
from samestory.read._source import (
    FORMATS,
    STREAM_ERRORS,
    Source,
    describe,
    detect_encoding,
    detect_format,
    sources,
)
from samestory.read.csv import read_csv
from samestory.read.html import read_html
from samestory.read.jsonl import read_json, read_jsonl
from samestory.read.text import read_text
from samestory.read.warc import read_warc

__all__ = ["FORMATS", "Reader"]

log = logging.getLogger(__name__)

_Records = Iterator[Article | InputError]
_BY_FIELDS: dict[str, Callable[[Source, Fields, str], _Records]] = {
    "json": read_json,
    "jsonl": read_jsonl,
    "csv": read_csv,
}


class Reader:
    """Reads articles; a bad file, line or record is logged, counted in `skipped`, kept in `errors` (the
    first READ_MAX_KEPT_ERRORS) and passed over, or raised at once as an InputError when `strict`.

    `fields` maps Article fields to input field names (JSON keys, CSV columns), e.g. {"text": "body"};
    fields not mapped are looked for under common names.
    """

    def __init__(
        self, *, strict: bool = False, format: str | None = None, fields: Mapping[str, str] | None = None
    ) -> None:
        if format is not None and format not in FORMATS:
            raise ConfigError(f"unknown format {format!r}; choose from {', '.join(FORMATS)}")
        self.strict = strict
        self.format = format
        self.fields = Fields(fields)
        self.skipped = 0
        self.errors: list[InputError] = []

    def read(self, paths: Iterable[str | os.PathLike[str]] | str | os.PathLike[str]) -> Iterator[Article]:
        """The articles in `paths` (files, folders read recursively in sorted order, '-' for stdin), in order."""
        if isinstance(paths, str | os.PathLike):
            paths = [paths]
        for path in paths:
            for source in sources(os.fspath(path)):
                if isinstance(source, InputError):
                    self.skip(source)
                else:
                    yield from self.read_source(source)

    def read_source(self, source: Source) -> Iterator[Article]:
        """The articles of one input file (bad records skipped, counted and kept)."""
        try:
            for item in self._records(source):
                if isinstance(item, InputError):
                    self.skip(item)
                else:
                    yield item
        except STREAM_ERRORS as exc:  # a file that fails while being read: reported once, the next goes on
            self.skip(InputError(f"{source.name}:1", describe(exc)))

    def _records(self, source: Source) -> _Records:
        format = self.format or detect_format(source)
        if format == "warc":  # an archive holds binary payloads; warcio reads it
            return read_warc(source)
        encoding = detect_encoding(source.head)
        if encoding is None:
            return iter([InputError(f"{source.name}:1", "binary file (not text)")])
        if format == "html":  # trafilatura decodes the page itself (it reads <meta charset>)
            return read_html(source)
        if format == "text":
            return read_text(source, encoding)
        return _BY_FIELDS[format](source, self.fields, encoding)

    def skip(self, error: InputError) -> None:
        """Count and keep a bad record (raise it when strict)."""
        if self.strict:
            raise error
        log.warning("%s; skipped", error)
        self.skipped += 1
        if len(self.errors) < READ_MAX_KEPT_ERRORS:
            self.errors.append(error)
