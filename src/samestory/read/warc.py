"""WARC and ARC archives (plain or gzipped, by warcio): each successful HTTP response with an HTML payload is
an article; other records (requests, metadata, redirects, images) are passed over."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

from samestory.article import Article
from samestory.config import READ_MAX_PAGE_BYTES
from samestory.errors import InputError
from samestory.read._fields import parse_date
from samestory.read._source import STREAM_ERRORS, Source, describe
from samestory.read.html import extract

log = logging.getLogger(__name__)


def read_warc(source: Source) -> Iterator[Article | InputError]:
    """The HTML pages of an archive; `origin` is "path#N", N counting the archive's records from 1."""
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    number = 0
    # The decompressed stream, not warcio's own gzip reading: that one ends silently at a truncated member.
    with source.open() as stream:
        try:
            for record in ArchiveIterator(_Truncation(stream), arc2warc=True):
                number += 1
                where = f"{source.name}#{number}"
                if record.rec_type != "response" or record.http_headers is None:
                    continue
                status = record.http_headers.get_statuscode() or ""
                content_type = (record.http_headers.get_header("Content-Type") or "").lower()
                if not status.startswith("2") or (content_type and "html" not in content_type):
                    log.debug("%s: passed over (HTTP %s, %s)", where, status, content_type or "no type")
                    continue
                payload = record.content_stream().read(READ_MAX_PAGE_BYTES + 1)
                if len(payload) > READ_MAX_PAGE_BYTES:
                    yield InputError(
                        where, f"HTML payload larger than {READ_MAX_PAGE_BYTES >> 20} MB; not read"
                    )
                    continue
                headers = record.rec_headers
                yield extract(
                    payload,
                    where,
                    url=headers.get_header("WARC-Target-URI"),
                    published=parse_date(headers.get_header("WARC-Date")),
                    meta={"warc_record_id": headers.get_header("WARC-Record-ID")},
                )
        except ArchiveLoadFailed as exc:
            yield InputError(f"{source.name}#{number + 1}", f"not a valid WARC record ({exc.msg})")
        except _Truncated:
            yield InputError(f"{source.name}#{number + 1}", describe(EOFError()))
        except STREAM_ERRORS as exc:
            yield InputError(f"{source.name}#{number + 1}", describe(exc))
        # warcio fails in its own ways on damaged records (an AttributeError on a cut header, for one).
        except Exception as exc:
            log.debug("warcio failed at %s#%d", source.name, number + 1, exc_info=True)
            yield InputError(
                f"{source.name}#{number + 1}", f"damaged WARC record ({type(exc).__name__}: {exc})"
            )


class _Truncated(Exception):
    """Compressed data that ends early. Not an EOFError: warcio takes that for the end of the archive."""


class _Truncation(io.RawIOBase):
    """A stream that raises _Truncated where the one it wraps raises EOFError."""

    def __init__(self, stream: io.BufferedIOBase) -> None:
        self._stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        try:  # read1: what can be decompressed now, so the records before a cut are still read
            data = self._stream.read1(len(buffer))
        except EOFError as exc:
            raise _Truncated from exc
        buffer[: len(data)] = data
        return len(data)
