"""From a record (a JSON object, a CSV row, a text header) to an `Article`: field names, dates, languages."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from samestory.article import Article, make_id, sanitised
from samestory.config import READ_MAX_NESTING
from samestory.errors import ConfigError, InputError

log = logging.getLogger(__name__)

# The input field names tried, in order, for each Article field (case does not matter).
DEFAULT_NAMES: dict[str, tuple[str, ...]] = {
    "id": ("id", "_id", "uuid", "doc_id"),
    "url": ("url", "link", "uri", "source_url"),
    "source": ("source", "domain", "site", "sitename", "source_domain", "outlet", "publisher"),
    "title": ("title", "headline"),
    "text": ("text", "body", "content", "maintext", "article", "full_text", "fulltext"),
    "language": ("language", "lang"),
    "published": (
        "published",
        "date",
        "publish_date",
        "date_publish",
        "published_at",
        "publishedat",
        "pubdate",
        "datetime",
        "timestamp",
    ),
}
_ALIASES = {"date": "published", "lang": "language", "body": "text"}
# Epoch numbers above this are milliseconds (1e11 s is the year 5138).
_EPOCH_MS = 10**11
_YEARS = range(1800, 2200)


class Fields:
    """Which input field fills which Article field: the names given by the caller, else the defaults."""

    def __init__(self, mapping: Mapping[str, str] | None = None) -> None:
        given: dict[str, str] = {}
        for name, input_name in (mapping or {}).items():
            target = _ALIASES.get(name, name)
            if target not in DEFAULT_NAMES:
                raise ConfigError(
                    f"unknown Article field {name!r} in the field mapping; choose from {', '.join(DEFAULT_NAMES)}"
                )
            if not isinstance(input_name, str) or not input_name:
                raise ConfigError(
                    f"the input field for {name!r} must be a non-empty name, not {input_name!r}"
                )
            given[target] = input_name
        self.given = given

    def candidates(self, target: str) -> tuple[str, ...]:
        """The input names tried for an Article field."""
        return (self.given[target],) if target in self.given else DEFAULT_NAMES[target]

    def resolve(self, keys: tuple[str, ...]) -> dict[str, str]:
        """Article field -> the input key that fills it, among `keys` (exact name first, then any case)."""
        return _resolve(self, keys)

    def article(self, record: Any, where: str) -> Article | InputError:
        """The Article for one record, or the InputError saying why there is none."""
        if not isinstance(record, dict):
            return InputError(where, f"expected an object with a text field, got {_kind(record)}")
        if too_deep(record):
            return InputError(where, f"nested deeper than {READ_MAX_NESTING} levels of arrays and objects")
        keys = self.resolve(tuple(record))
        text_key = keys.get("text")
        text = _text(record.get(text_key)) if text_key else ""
        if not text:
            tried = ", ".join(repr(n) for n in self.candidates("text"))
            value = record.get(text_key) if text_key else None
            what = (
                f"no text field (looked for {tried})"
                if not text_key
                else f"field {text_key!r} is {_kind(value)}, not text"
                if not isinstance(value, str | list) or (isinstance(value, list) and not _text(value) and value)
                else f"field {text_key!r} is empty"
            )
            return InputError(where, f"{what}; name it with --field text=NAME")
        values = {target: record.get(key) for target, key in keys.items() if target != "text"}
        used = set(keys.values())
        meta = {k: v for k, v in record.items() if k not in used and v not in (None, "", [], {})}
        published = parse_date(values.get("published"))
        if published is None and values.get("published") not in (None, ""):
            log.warning("%s: can't read the date %r in field %r; published left empty (kept in meta)",
                        where, str(values["published"])[:60], keys["published"])
            meta[keys["published"]] = values["published"]
        language = parse_language(values.get("language"))
        if language is None and values.get("language") not in (None, ""):
            meta[keys["language"]] = values["language"]
        return build(
            where,
            text=text,
            id=_scalar(values.get("id")),
            url=_scalar(values.get("url")),
            source=_source_name(values.get("source")),
            title=_scalar(values.get("title")) or "",
            language=language,
            published=published,
            meta=meta,
        )


@lru_cache(maxsize=256)
def _resolve(fields: Fields, keys: tuple[str, ...]) -> dict[str, str]:
    lower: dict[str, str] = {}
    for given in keys:
        lower.setdefault(given.strip().lower(), given)
    out: dict[str, str] = {}
    for target in DEFAULT_NAMES:
        for name in fields.candidates(target):
            key = name if name in keys else lower.get(name.lower())
            if key is not None and key not in out.values():
                out[target] = key
                break
    return out


def too_deep(value: Any, limit: int = READ_MAX_NESTING) -> bool:
    """Whether a parsed JSON value nests more than `limit` levels of arrays and objects (walked without
    recursion, so any depth is safe to ask about)."""
    level: list[Any] = [value]
    for _ in range(limit):
        level = [
            child
            for item in level
            if isinstance(item, dict | list)
            for child in (item.values() if isinstance(item, dict) else item)
        ]
        if not level:
            return False
    return any(isinstance(item, dict | list) for item in level)


def build(
    where: str,
    *,
    text: str,
    id: str | None = None,
    url: str | None = None,
    source: str | None = None,
    title: str = "",
    language: str | None = None,
    published: datetime | None = None,
    meta: dict[str, Any] | None = None,
) -> Article:
    """An Article with its stable id (given, else from the url, else from where it was read and its text)
    and its source (given, else the domain of its url). Sanitised (`samestory.article.sanitised`): no lone
    surrogates, the date in UTC."""
    url = url.strip() if url else None
    return sanitised(Article(
        id=id.strip() if id and id.strip() else make_id(url) if url else make_id(where, text),
        text=text,
        title=title.strip(),
        url=url or None,
        source=source or domain(url),
        language=language,
        published=published,
        origin=where,
        meta=meta or {},
    ))


def _kind(value: Any) -> str:
    return {list: "an array", str: "a string", type(None): "null", bool: "a boolean", dict: "an object"}.get(
        type(value), "a number"
    )


def _text(value: Any) -> str:
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        value = "\n\n".join(v.strip() for v in value if v.strip())
    return value.strip() if isinstance(value, str) else ""


def _scalar(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def _source_name(value: Any) -> str | None:
    if isinstance(value, dict):  # e.g. NewsAPI: {"id": "bbc-news", "name": "BBC News"}
        value = value.get("name") or value.get("id")
    text = _scalar(value)
    return (text.strip() or None) if text else None


def domain(url: str | None) -> str | None:
    """The host of a URL without 'www.', or None."""
    if not url:
        return None
    try:
        host = urlsplit(url.strip()).hostname
    except ValueError:
        return None
    return host.removeprefix("www.") if host else None


def parse_date(value: Any) -> datetime | None:
    """A publication date as an aware datetime, with the offset it was written with (naive inputs are taken
    as UTC), or None when it can't be read.

    ISO 8601 first, then epoch seconds or milliseconds, then dateparser on absolute dates only (no "2 days
    ago", no missing year filled from today: the result must not depend on when it runs).
    """
    parsed: datetime | None = None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        try:
            parsed = datetime.fromtimestamp(value / 1000 if abs(value) > _EPOCH_MS else value, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    elif isinstance(value, str) and value.strip():
        parsed = _parse_date_text(value.strip()[:100])
    if parsed is None or parsed.year not in _YEARS:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed


def _parse_date_text(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    except ValueError:
        pass
    if text.isdigit():
        return parse_date(int(text)) if len(text) in (10, 13) else None
    import dateparser

    try:
        return dateparser.parse(
            text,
            settings={
                "PARSERS": ["custom-formats", "absolute-time"],
                "REQUIRE_PARTS": ["day", "month", "year"],
            },
        )
    except (ValueError, OverflowError, TypeError, AttributeError, IndexError) as exc:
        log.debug("can't parse the date %r: %s", text, exc)
        return None


def parse_language(value: Any) -> str | None:
    """An ISO 639-1 code from a code ('en', 'EN', 'en-US', 'eng') or a name ('English'), or None."""
    if not isinstance(value, str) or not value.strip():
        return None
    return _language(value.strip())


@lru_cache(maxsize=1024)
def _language(value: str) -> str | None:
    import pycountry

    code = value.replace("_", "-").split("-")[0].lower()
    try:
        if len(code) == 2:
            found = pycountry.languages.get(alpha_2=code)
        elif len(code) == 3:
            found = pycountry.languages.get(alpha_3=code) or pycountry.languages.get(bibliographic=code)
        else:
            found = pycountry.languages.lookup(value)
    except LookupError:
        return None
    return getattr(found, "alpha_2", None) if found is not None else None
