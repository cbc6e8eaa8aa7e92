"""WARC and ARC archives (plain or gzipped, by warcio): each successful HTTP response with an HTML payload is
an article; other records (requests, metadata, redirects, images) are passed over."""

from __future__ import annotations

import logging
from collections.abc import Iterator

from samestory.article import Article
from samestory.config import READ_MAX_PAGE_BYTES
from samestory.errors import InputError
from samestory.read._fields import Fields, parse_date
from samestory.read._source import STREAM_ERRORS, Source, describe
from samestory.read.html import extract

log = logging.getLogger(__name__)


def read_warc(source: Source, fields: Fields) -> Iterator[Article | InputError]:
    """The HTML pages of an archive; `origin` is "path#N", N counting the archive's records from 1."""
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    number = 0
    with source.raw() as raw:
        try:
            for record in ArchiveIterator(raw, arc2warc=True):
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
                    yield InputError(where, f"HTML payload larger than {READ_MAX_PAGE_BYTES >> 20} MB; not read")
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
        except (*STREAM_ERRORS, ValueError) as exc:
            yield InputError(f"{source.name}#{number + 1}", describe(exc))
