"""When an HTML page was published, to the second and with its UTC offset, from the page's own markup.

The publisher states it in structured metadata; in this order of trust:
1. JSON-LD `datePublished` of the page's own article (the first object typed as an article or a web page;
   objects nested inside it, such as related articles, are not looked at);
2. a `<meta>` naming the publication time (`article:published_time`, `datePublished`, `pubdate`, Dublin
   Core's `date.issued`, ...); modified and updated dates are never taken;
3. a `<time datetime>` marked as the publication (`itemprop="datePublished"`, `pubdate`).

The value keeps the offset the page gives ("2020-12-25T01:59:50+02:00" stays +02:00), so the date part is the
publisher's local day. A page whose metadata gives none of these is left to htmldate (samestory.read.html).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

from lxml import etree
from lxml.html import HtmlElement

from samestory.read._fields import parse_date

log = logging.getLogger(__name__)

# schema.org types whose `datePublished` is the page's own (an article, a post, a page about one item).
_PAGE_TYPES = re.compile(
    r"(Article|BlogPosting|Posting|Report|WebPage|NewsArticle|LiveBlogPosting|Review|Recipe|Blog)$",
    re.IGNORECASE,
)
# <meta> names (property, name or itemprop, lower case) that give the publication time, most trusted first.
_META_NAMES = (
    "article:published_time",
    "og:article:published_time",
    "og:published_time",
    "datepublished",
    "article.published",
    "published_time",
    "publishdate",
    "publish-date",
    "publish_date",
    "pubdate",
    "parsely-pub-date",
    "sailthru.date",
    "dc.date.issued",
    "dcterms.issued",
    "dc.date.created",
    "dcterms.created",
    "dc.date",
    "dcterms.date",
    "date",
)
_META_RANK = {name: rank for rank, name in enumerate(_META_NAMES)}
_MARKED = "//*[@itemprop='datePublished' and (@datetime or @content)] | //time[@pubdate and @datetime]"
_HIDDEN = frozenset({"script", "style", "noscript"})  # elements whose text is not shown
# How far around the headline a written date is looked for (characters of visible text).
_BEFORE_HEADLINE_CHARS = 200
_AFTER_HEADLINE_CHARS = 600
# Labels of a modification date, which the date after them is (in the languages of DATE_LANGUAGES).
_MODIFIED = re.compile(
    r"updated|modified|last change|aktualisiert|geändert|änderung|mis à jour|modifié|actualizado|"
    r"modificado|atualizado|aggiornato|modificato|bijgewerkt|gewijzigd|güncellen|zaktualizowan",
    re.IGNORECASE,
)
# Labels of the publication date in visible text (DATE_LANGUAGES), the date right after them.
_PUBLISHED_LABEL = re.compile(
    r"\b(?:published(?: on)?|posted(?: on)?|erschienen am|veröffentlicht am|publié le|publicado(?: el| em)?|"
    r"pubblicato(?: il)?|gepubliceerd(?: op)?|yayınlanma tarihi|opublikowano)\s*:?\s*",
    re.IGNORECASE,
)
_JSON_LD = "//script[@type='application/ld+json' or @type='application/json+ld']"
_MAX_JSON_LD_CHARS = 200_000  # a JSON-LD block longer than this is a data dump, not the page's metadata


def page_published(tree: HtmlElement) -> datetime | None:
    """The publication time the page's metadata states (see the module docstring), or None. When the first
    source gives it in UTC and a later one gives the same instant with the publisher's offset (JSON-LD
    `02:11Z`, `<time datetime>` `21:11-05:00`), the latter: its date part is the publisher's local day."""
    stated = [parse_page_date(value) for value in (_json_ld_published(tree), _meta_published(tree),
                                                   _time_published(tree)) if value]
    found = [value for value in stated if value is not None]
    if not found:
        return None
    first = found[0]
    if first.utcoffset() == timedelta(0):
        return next((value for value in found[1:] if value == first and value.utcoffset()), first)
    return first


def parse_page_date(value: str) -> datetime | None:
    """A date as written in a page's metadata: ISO 8601 (offset kept), RFC 2822 ("Thu, 12 Mar 2020 10:00:00
    +0800"), else what `parse_date` reads."""
    text = value.strip()[:100]
    if not text:
        return None
    try:
        return parse_date(datetime.fromisoformat(text))
    except ValueError:
        pass
    try:
        return parse_date(parsedate_to_datetime(text))
    except (TypeError, ValueError, IndexError):
        pass
    return parse_date(text)


def _json_ld_published(tree: HtmlElement) -> str | None:
    for script in tree.xpath(_JSON_LD):
        text = (script.text or "").strip()
        if not text or len(text) > _MAX_JSON_LD_CHARS:
            continue
        try:
            data = json.loads(text.removeprefix("<!--").removesuffix("-->").strip().rstrip(";"))
        except ValueError:
            log.debug("unreadable JSON-LD block skipped")
            continue
        for item in _top_level(data):
            value = item.get("datePublished")
            if isinstance(value, list) and value:
                value = value[0]
            if isinstance(value, str) and value.strip() and _is_page_type(item.get("@type")):
                return value
    return None


def _top_level(data: Any) -> Iterator[dict[str, Any]]:
    """The objects of a JSON-LD block: the block itself, the items of a top-level list or `@graph`, and the
    `mainEntity` of a page; not the objects nested in their properties (related articles, authors)."""
    if isinstance(data, list):
        for item in data:
            yield from _top_level(item)
    elif isinstance(data, dict):
        yield data
        if "@graph" in data:
            yield from _top_level(data["@graph"])
        for key in ("mainEntity", "mainEntityOfPage"):
            if isinstance(data.get(key), dict):
                yield data[key]


def _is_page_type(kind: Any) -> bool:
    kinds = kind if isinstance(kind, list) else [kind]
    return any(isinstance(k, str) and _PAGE_TYPES.search(k) for k in kinds)


def _meta_published(tree: HtmlElement) -> str | None:
    best: tuple[int, str] | None = None
    for meta in tree.iter("meta"):
        content = meta.get("content")
        if not content:
            continue
        for attribute in ("property", "name", "itemprop"):
            rank = _META_RANK.get((meta.get(attribute) or "").strip().lower())
            if rank is not None and (best is None or rank < best[0]):
                best = (rank, content)
    return best[1] if best else None


def _time_published(tree: HtmlElement) -> str | None:
    """A `<time>` (or any element) marked as the publication: `itemprop="datePublished"` or `pubdate`."""
    for element in tree.xpath(_MARKED):
        value = element.get("datetime") or element.get("content")
        if value and value.strip():
            return value
    return None


def visible_published(tree: HtmlElement, language: str | None = None) -> date | None:
    """The first date written with its year near the page's headline (the `<h1>`): from just before it, where
    a byline's date sits, to a few lines after it; a date labelled as a modification ("Updated",
    "Letzte Änderung") is passed over. None when the page has no headline or no such date."""
    from samestory.understand.dates import resolve_dates

    heading = next(iter(tree.iter("h1")), None)
    if heading is None:
        return None
    nodes, at = _visible_text(tree, heading)
    if at is None:
        return None
    before = " ".join(" ".join(nodes[max(0, at - 30) : at]).split())[-_BEFORE_HEADLINE_CHARS:]
    after = " ".join(" ".join(nodes[at : at + 200]).split())[:_AFTER_HEADLINE_CHARS]
    window = f"{before} {after}"
    for mention in resolve_dates(window, None, language):
        if not _MODIFIED.search(window[max(0, mention.start - 40) : mention.start]):
            return mention.value
    return None


def _visible_text(tree: HtmlElement, mark: HtmlElement | None = None) -> tuple[list[str], int | None]:
    """The text pieces of the page's `<body>` in document order, without those of scripts, styles and
    noscripts; and the index of the first piece inside `mark` (its text, its descendants' or its tail), None
    when there is none."""
    texts: list[str] = []
    at: int | None = None
    body = next(iter(tree.iter("body")), None)
    if body is None:
        return texts, None
    walk = etree.iterwalk(body, events=("start", "end"))
    for event, element in walk:
        shown = isinstance(element.tag, str) and element.tag not in _HIDDEN
        if event == "start":
            if element is mark:
                at = len(texts)
            if not shown:
                walk.skip_subtree()
            elif element.text:
                texts.append(element.text)
        elif element is not body:
            if element.tail:
                texts.append(element.tail)
            if element is mark and at == len(texts):
                at = None
    return texts, at


def labelled_published(tree: HtmlElement, language: str | None = None) -> date | None:
    """A date written after a publication label anywhere in the visible text ("Published on", "Erschienen
    am", "Publié le"), or None."""
    from samestory.understand.dates import resolve_dates

    text = " ".join(" ".join(_visible_text(tree)[0]).split())
    for label in _PUBLISHED_LABEL.finditer(text):
        after = text[label.end() : label.end() + 40]
        mentions = resolve_dates(after, None, language)
        if mentions and mentions[0].start <= 3:
            return mentions[0].value
    return None


def choose_published(
    stated: datetime | None,
    near_headline: date | None,
    labelled: date | None,
    found: Callable[[], datetime | None],
) -> datetime | None:
    """The page's publication time from its signals: the `stated` metadata (`page_published`), unless the
    date written near the headline agrees on another day with a `labelled` date ("Published: ...") or with
    htmldate's date (`found`, called only when needed): a republished page's metadata, a UTC time past the
    publisher's midnight. Without stated metadata, a `labelled` date, else htmldate's. Chosen on one half of
    the shared date pages (split by id hash)."""
    if stated is not None:
        if near_headline is not None and near_headline != stated.date():
            if labelled == near_headline:
                return datetime(labelled.year, labelled.month, labelled.day, tzinfo=UTC)
            other = found()
            if other is not None and other.date() == near_headline:
                return other
        return stated
    if labelled is not None:
        return datetime(labelled.year, labelled.month, labelled.day, tzinfo=UTC)
    return found()
