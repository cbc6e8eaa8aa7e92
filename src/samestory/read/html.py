"""HTML pages: the main text and metadata found by trafilatura; the publication time from the page's own
metadata (samestory.read._published), else htmldate. The markup itself is not kept."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from samestory.article import Article
from samestory.config import (
    READ_FAST_RETRY_WORDS,
    READ_MAX_PAGE_BYTES,
    READ_MAX_PAGE_ELEMENTS,
    READ_MAX_TAG_ATTRIBUTES,
    READ_MIN_PAGE_WORDS,
)
from samestory.errors import InputError
from samestory.read._fields import build, domain, parse_date, parse_language
from samestory.read._published import choose_published, labelled_published, page_published, visible_published
from samestory.read._source import Source
from samestory.text import word_count

log = logging.getLogger(__name__)

_LANG = re.compile(rb"<html\b[^>]*?\blang\s*=\s*[\"']?([A-Za-z]{2,3})\b", re.IGNORECASE)
_META = ("author", "description", "sitename", "categories", "tags")
# The HTML tokenizer's view of the markup (what lxml sees): a comment, or a start tag up to its '>' (or the
# end of the page), where a quote opens a value only after '=' (a stray quote is part of a name) and a quoted
# value may hold '<' and '>'. Its attribute names once the quoted values are blanked out.
_TAG = re.compile(rb"<!--|<([A-Za-z][^\s/>]*)(?:[^>=]|=\s*\"[^\"]*\"|=\s*'[^']*'|=)*")
_QUOTED = re.compile(rb"=\s*\"[^\"]*\"|=\s*'[^']*'")
_ATTRIBUTE = re.compile(rb"[\s\"'/][^\s\"'=/>]")
# Elements whose content is raw text up to their end tag (libxml2's HTML parser: script and style).
_RAW_END = {b"script": re.compile(rb"</script", re.IGNORECASE), b"style": re.compile(rb"</style", re.IGNORECASE)}


def read_html(source: Source) -> Iterator[Article | InputError]:
    """The one article of an HTML file."""
    where = f"{source.name}:1"
    try:
        page = source.read(READ_MAX_PAGE_BYTES)
    except InputError as error:
        yield error
        return
    yield extract(page, where)


def markup_error(page: bytes) -> str | None:
    """Why a page is refused before lxml parses it (None: it is not): more than READ_MAX_PAGE_ELEMENTS start
    tags, or a tag with more than READ_MAX_TAG_ATTRIBUTES attributes. One pass over the bytes that tokenizes
    as the HTML parser does: comments and the content of scripts and styles hold no tags (a '<' in a script
    is not one); an unclosed comment, script or style is counted through, so the count is never below lxml's."""
    if b"\x00" in page:  # UTF-16/32 markup: its ASCII without the zero bytes
        page = page.replace(b"\x00", b"")
    shortest = 2 * READ_MAX_TAG_ATTRIBUTES  # a tag shorter than this can't hold more attributes
    count, at = 0, 0
    while (tag := _TAG.search(page, at)) is not None:
        at = tag.end()
        if tag[1] is None:  # a comment, skipped to its end
            end = page.find(b"-->", at)
            at = end + 3 if end >= 0 else at
            continue
        count += 1
        if count > READ_MAX_PAGE_ELEMENTS:
            return f"more than {READ_MAX_PAGE_ELEMENTS:,} HTML elements; not parsed"
        if tag.end() - tag.start() > shortest:
            attributes = len(_ATTRIBUTE.findall(_QUOTED.sub(b'=""', tag[0][1 + len(tag[1]) :])))
            if attributes > READ_MAX_TAG_ATTRIBUTES:
                return f"a tag with {attributes:,} attributes (at most {READ_MAX_TAG_ATTRIBUTES}); not parsed"
        raw_end = _RAW_END.get(tag[1].lower())
        if raw_end is not None and (end_tag := raw_end.search(page, at)) is not None:
            at = end_tag.end()
    return None


def extract(
    page: bytes,
    where: str,
    *,
    url: str | None = None,
    published: datetime | None = None,
    meta: dict[str, Any] | None = None,
) -> Article | InputError:
    """The article in an HTML page. `url` (where it was fetched) wins over the page's canonical URL;
    `published` is used when the page has no date. The page's `<html lang>` is kept in meta as
    `page_language`: the text's own language, found later, wins over it (templates mislabel pages). A page
    over the markup caps is refused unparsed."""
    too_much = markup_error(page)
    if too_much:
        return InputError(where, too_much)
    from htmldate import find_date
    from trafilatura.utils import load_html

    try:
        tree = load_html(page)
        if tree is None:
            return InputError(where, "could not parse the HTML (no document in it)")
        # (each signal only where choose_published looks at it)
        stated = page_published(tree)
        near_headline = visible_published(tree) if stated is not None else None
        disagree = near_headline is not None and stated is not None and near_headline != stated.date()
        labelled = labelled_published(tree) if stated is None or disagree else None
        # Precision over recall: boilerplate left in the text makes unrelated pages look alike. trafilatura's
        # fast mode (no backup extractors) first; a page where it finds little is read again with them, then
        # favouring recall (a short post, an unusual layout). trafilatura copies the tree it is given, and its
        # metadata doesn't depend on these settings: a retry only reads the text again.
        document = _document(tree, url, precision=True, fast=True)
        if _words(document) < READ_FAST_RETRY_WORDS:
            document = _text_again(document, tree, url, precision=True)
        if _words(document) < READ_MIN_PAGE_WORDS:
            document = _text_again(document, tree, url, precision=False)

        def found() -> datetime | None:
            # htmldate's full-text search is the last resort, when there is no crawl date either, as it may
            # take a copyright year for one.
            date = parse_date(document.date) if document is not None else None
            if date is None and published is None:
                date = parse_date(find_date(page, url=url, original_date=True, extensive_search=True))
            return date

        date = choose_published(stated, near_headline, labelled, found)
    # trafilatura and htmldate parse untrusted markup with lxml; whatever fails there is a bad page.
    except Exception as exc:
        log.debug("extraction failed at %s", where, exc_info=True)
        return InputError(where, f"could not parse the HTML ({type(exc).__name__}: {exc})")
    text = (document.text or "").strip() if document is not None else ""
    if document is None or word_count(text) < READ_MIN_PAGE_WORDS:
        only = f" (only {text[:60]!r})" if text else ""
        return InputError(where, f"no main text found in the HTML page{only}")
    title = (document.title or "").strip()
    first, _, rest = text.partition("\n")
    if title and first.strip().casefold() == title.casefold() and rest.strip():
        text = rest.strip()
    found_meta = {name: getattr(document, name) for name in _META}
    lang = _LANG.search(page[:4096])
    if lang:
        found_meta["page_language"] = parse_language(lang[1].decode("ascii"))
    url = url or document.url
    return build(
        where,
        text=text,
        url=url,
        source=domain(url) or document.hostname or document.sitename,
        title=title,
        published=date or published,
        meta={**{k: v for k, v in found_meta.items() if v}, **(meta or {})},
    )


def _words(document: Any) -> int:
    return word_count(document.text or "") if document is not None else 0


def _text_again(document: Any, tree: Any, url: str | None, *, precision: bool) -> Any:
    """`document` with the text of trafilatura's full extraction (its backup extractors on), favouring
    `precision` or recall; its metadata kept (read now when `document` is None). Unchanged when that finds no
    text either."""
    again = _document(tree, url, precision=precision, fast=False, metadata=document is None)
    if again is None or document is None:
        return again or document
    document.text = again.text
    return document


def _document(page: Any, url: str | None, *, precision: bool, fast: bool, metadata: bool = True) -> Any:
    """trafilatura's Document (text, and metadata unless not asked) of a page or parsed tree, or None when it
    finds no text."""
    from trafilatura import bare_extraction
    from trafilatura.settings import Document

    extracted = bare_extraction(
        page,
        url=url,
        with_metadata=metadata,
        include_comments=False,
        favor_precision=precision,
        favor_recall=not precision,
        fast=fast,
        date_extraction_params={"extensive_search": False, "original_date": True},
    )
    return extracted if isinstance(extracted, Document) else None  # a dict only when as_dict=True
