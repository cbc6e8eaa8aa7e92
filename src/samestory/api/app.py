"""The HTTP API and the web page: one FastAPI app over one store.

    app = create_app("samestory.db", token="s3cret")      # `samestory serve` runs it with uvicorn

API (JSON; OpenAPI docs at /docs):
    POST /articles        add an article (JSON, or an HTML page with ?url=), or a batch (a JSON array, or NDJSON:
                          one object a line; at most API_MAX_BATCH, one transaction); needs the token
    GET  /articles/{id}   a stored article, processed, with its story
    GET  /stories         stories, most recently seen first: ?q= words, ?since= ?until= ISO dates, ?limit ?offset
    GET  /stories/{id}    a story traced: its likely original, and each other article against it
    POST /compare         compare two texts (no store involved; no token needed)
Web page: /web (stories, search), /web/stories/{id} (timeline, copies side by side), /web/compare.

Writes need `Authorization: Bearer TOKEN`; an app built without a token is read-only (writes get 403).
Bodies over `max_body` bytes get 413. Every error is JSON `{"error": message, "status": code}`
(an HTML page under /web); bad input is a 4xx, never a 500. Limits on the work one request causes
(samestory.config): JSON nested deeper than READ_MAX_NESTING (422), an HTML page over READ_MAX_PAGE_ELEMENTS
elements or READ_MAX_TAG_ATTRIBUTES attributes on a tag (422, refused before it is parsed), a compared text over
API_MAX_COMPARE_SENTENCES sentences (413), a batch over API_MAX_BATCH articles (413); anonymous heavy work
(compare, a first trace) runs API_ANONYMOUS_JOBS at a time, else 429 (samestory.api.service says why).
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, FastAPI, Form, Query, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from samestory import __version__, config
from samestory.api.service import Added, Busy, Service, WorkerLost, search_bound
from samestory.api.views import PAIR_COLOURS, http_url, sides, timeline
from samestory.article import Article, clean_string, clean_value, sanitised
from samestory.compare import Comparison
from samestory.compare.passages import split
from samestory.errors import InputError, SamestoryError, StoreError
from samestory.store.base import StoredArticle
from samestory.stories import Provenance
from samestory.stories.provenance import headline_of, outlet_of
from samestory.text import sentences

log = logging.getLogger(__name__)

HERE = Path(__file__).parent
_WHERE = "request body"
_NDJSON = ("application/x-ndjson", "application/jsonl", "application/jsonlines", "application/ndjson")
# Story ids are SQLite integers: a larger number in a path is refused (422), not an overflow (500).
StoryId = Annotated[int, PathParam(ge=-(2**63), le=2**63 - 1)]
# The web page loads nothing from elsewhere; /docs (Swagger UI) needs its inline start-up script.
_CSP = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'"


# --- request bodies -----------------------------------------------------------------------------------------


class ArticleIn(BaseModel):
    """An article to add: its text, or an HTML page (with the URL it was fetched from)."""

    model_config = ConfigDict(extra="forbid")

    text: str | None = Field(None, description="the article's text (plain); or give `html` and `url`")
    html: str | None = Field(None, description="the page's HTML: the main text is extracted (trafilatura)")
    url: str | None = Field(None, description="where it was published; needed with `html`")
    title: str | None = None
    source: str | None = Field(None, description="the outlet; default: the URL's domain")
    language: str | None = Field(None, description="ISO 639-1; default: detected")
    published: str | None = Field(None, description="publication date, ISO 8601 or a common date format")
    id: str | None = Field(None, description="a stable id; default: from the URL, else from the text")
    meta: dict[str, Any] | None = None


class TextIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1)
    title: str = ""
    language: str | None = Field(None, description="ISO 639-1; default: detected")
    published: datetime | None = None


class CompareIn(BaseModel):
    """Two texts to compare: each a string, or an object with its text and optional title, language, date."""

    model_config = ConfigDict(extra="forbid")

    a: Annotated[str, Field(min_length=1)] | TextIn
    b: Annotated[str, Field(min_length=1)] | TextIn


# --- errors and limits --------------------------------------------------------------------------------------


def _error(status: int, message: str, **extra: Any) -> JSONResponse:
    # a message may quote the input (an unknown field's name), lone surrogates included: UTF-8 can't hold them
    return JSONResponse(clean_value({"error": message, "status": status, **extra}), status_code=status)


class BodyLimit:
    """Refuse request bodies over `limit` bytes with 413: at once when Content-Length says so, else when the
    streamed body grows past it."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None:
            if not declared.isdigit():
                await _error(400, "Content-Length is not a number")(scope, receive, send)
                return
            if int(declared) > self.limit:
                await _error(413, self._message())(scope, receive, send)
                return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise HTTPException(413, self._message())
            return message

        await self.app(scope, limited, send)

    def _message(self) -> str:
        return f"request body too large: the limit is {self.limit:,} bytes"


class TooLarge(InputError):
    """Input within the byte limit that would still cause too much work (413)."""


def _validation_message(errors: list[Any]) -> tuple[str, list[dict[str, str]]]:
    details = [
        {
            "where": ".".join(str(part) for part in e.get("loc", ())) or "body",
            "message": str(e.get("msg", "")),
        }
        for e in errors
    ]
    return "invalid request: " + "; ".join(f"{d['where']}: {d['message']}" for d in details[:5]), details


def _install_error_handlers(app: FastAPI, templates: Jinja2Templates) -> None:
    def reply(request: Request, status: int, message: str, **extra: Any) -> Response:
        if request.url.path.startswith("/web"):
            return templates.TemplateResponse(
                request, "error.html", {"status": status, "message": clean_string(message)}, status_code=status
            )
        return _error(status, message, **extra)

    async def http_error(request: Request, exc: HTTPException) -> Response:
        response = reply(request, exc.status_code, str(exc.detail))
        response.headers.update(exc.headers or {})
        return response

    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        message, details = _validation_message(list(exc.errors()))
        return reply(request, 422, message, details=details)

    async def bad_input(request: Request, exc: InputError) -> Response:
        return reply(request, 422, exc.message)

    async def store_error(request: Request, exc: Exception) -> Response:
        log.error("store error on %s %s: %s", request.method, request.url.path, exc)
        return reply(request, 503, f"the store can't be used: {exc}")

    async def samestory_error(request: Request, exc: Exception) -> Response:
        return reply(request, 400, str(exc))

    async def worker_lost(request: Request, exc: Exception) -> Response:
        log.error("%s %s: %s", request.method, request.url.path, exc)
        return reply(request, 503, str(exc))

    async def busy(request: Request, exc: Exception) -> Response:
        response = reply(request, 429, str(exc))
        response.headers["Retry-After"] = "2"
        return response

    async def too_large(request: Request, exc: TooLarge) -> Response:
        return reply(request, 413, exc.message)

    async def crash(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return reply(request, 500, f"internal error ({type(exc).__name__}); the server log has the details")

    app.add_exception_handler(HTTPException, http_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, invalid)  # type: ignore[arg-type]
    app.add_exception_handler(InputError, bad_input)  # type: ignore[arg-type]
    app.add_exception_handler(StoreError, store_error)
    app.add_exception_handler(Busy, busy)
    app.add_exception_handler(WorkerLost, worker_lost)
    app.add_exception_handler(TooLarge, too_large)  # type: ignore[arg-type]
    app.add_exception_handler(SamestoryError, samestory_error)
    app.add_exception_handler(Exception, crash)


# --- auth ---------------------------------------------------------------------------------------------------

_bearer = HTTPBearer(auto_error=False, description="the server's token (`serve --token` or SAMESTORY_TOKEN)")


def writer(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> None:
    """Let a write through only with the server's token (403 on a read-only server, 401 without the token)."""
    token: str | None = request.app.state.token
    if token is None:
        raise HTTPException(
            403, "this server is read-only: start it with --token (or SAMESTORY_TOKEN) to accept writes"
        )
    given = credentials.credentials if credentials is not None else ""
    if not secrets.compare_digest(given.encode(), token.encode()):
        raise HTTPException(
            401,
            "a write needs the header 'Authorization: Bearer TOKEN' with the server's token",
            headers={"WWW-Authenticate": "Bearer"},
        )


# --- conversions --------------------------------------------------------------------------------------------


def _parse_json(body: bytes) -> Any:
    """A request body as JSON, nested at most READ_MAX_NESTING levels."""
    from samestory.read._fields import too_deep

    try:
        value = json.loads(body)
    except UnicodeDecodeError:
        raise InputError(_WHERE, "the body is not UTF-8") from None
    except json.JSONDecodeError as exc:
        raise InputError(_WHERE, f"malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    except RecursionError:
        value = None
        deep = True
    else:
        deep = too_deep(value, config.READ_MAX_NESTING)
    if deep:
        raise InputError(_WHERE, f"JSON nested deeper than {config.READ_MAX_NESTING} levels")
    return value


def _records(body: bytes, kind: str) -> tuple[list[Any], bool]:
    """The records of a POST /articles body and whether it is a batch (a JSON array, or NDJSON)."""
    if kind in _NDJSON:
        lines = [line for line in body.split(b"\n") if line.strip()]
        if len(lines) > config.API_MAX_BATCH:
            raise TooLarge(_WHERE, f"{len(lines):,} articles in one batch; the limit is {config.API_MAX_BATCH:,}")
        records = []
        for number, line in enumerate(lines, 1):
            try:
                records.append(_parse_json(line))
            except InputError as exc:
                raise InputError(f"{_WHERE}: line {number}", exc.message) from None
        return records, True
    value = _parse_json(body)
    if isinstance(value, list):
        if len(value) > config.API_MAX_BATCH:
            raise TooLarge(_WHERE, f"{len(value):,} articles in one batch; the limit is {config.API_MAX_BATCH:,}")
        if not value:
            raise InputError(_WHERE, "an empty batch: post an array of article objects")
        return value, True
    return [value], False


FromHtml = Callable[[bytes, str, datetime | None, dict[str, Any] | None], Article]


def _article_from_record(record: Any, where: str, from_html: FromHtml) -> Article:
    """One posted JSON record as a raw Article (HTML extracted by `from_html`), or the InputError that says
    what is wrong."""
    from samestory.read._fields import build, parse_date, parse_language

    if not isinstance(record, dict):
        raise InputError(where, "expected a JSON object with `text` (or `html` and `url`)")
    try:
        given = ArticleIn.model_validate(record)
    except ValidationError as exc:
        if where == _WHERE:
            raise RequestValidationError(exc.errors(include_url=False)) from None
        message, _ = _validation_message(list(exc.errors(include_url=False)))
        raise InputError(where, message) from None
    published = parse_date(given.published) if given.published else None
    if given.published and published is None:
        raise InputError(f"{where}: published", f"not a date: {given.published!r}")
    language = parse_language(given.language) if given.language else None
    if given.language and language is None:
        raise InputError(f"{where}: language", f"not a language code: {given.language!r}")
    if given.html is not None:
        if given.text is not None:
            raise InputError(where, "give `text` or `html`, not both")
        if not given.url:
            raise InputError(where, "`html` needs the `url` it was fetched from")
        return from_html(given.html.encode("utf-8", "replace"), given.url, published, given.meta)
    if not given.text or not given.text.strip():
        raise InputError(where, "`text` is missing or empty (or give `html` and `url`)")
    if given.id is not None and given.id.strip() in (".", ".."):
        raise InputError(f"{where}: id", "'.' and '..' can't be ids (no link could reach them)")
    return build(
        where,
        text=given.text.strip(),
        id=given.id,
        url=given.url,
        source=given.source,
        title=given.title or "",
        language=language,
        published=published,
        meta=given.meta,
    )


def _articles_from_json(body: bytes, kind: str, from_html: FromHtml) -> tuple[list[Article], bool]:
    """The articles of a JSON / NDJSON body, every one checked before any is written; whether it is a batch."""
    records, batch = _records(body, kind)
    if not batch:
        return [_article_from_record(records[0], _WHERE, from_html)], False
    articles = []
    for i, record in enumerate(records):
        try:
            articles.append(_article_from_record(record, f"{_WHERE}: article {i}", from_html))
        except InputError as exc:  # the reply says which article (numbered from 0, as posted)
            raise type(exc)(exc.where, f"article {i}: {exc.message}") from None
    return articles, True


def _from_html(page: bytes, url: str, published: datetime | None, meta: dict[str, Any] | None) -> Article:
    """The article of a posted page (run in a worker process when the server has any)."""
    from samestory.read.html import extract

    found = extract(page, _WHERE, url=url, published=published, meta=meta)
    if isinstance(found, InputError):
        raise found
    return found


def _reply(service: Service, added: Added) -> dict[str, Any]:
    """What POST /articles says of one article: its story, or that it was already stored (and where)."""
    article, a = added.article, added.assignment
    if a is None:
        data: dict[str, Any] = {"id": article.id, "added": False, "reason": "already stored"}
        found = service.stored(article.id)
        if found is not None:
            data.update(seq=found.seq, story_id=found.story_id, links=_links(article.id, found.story_id))
        return data
    return {
        "id": a.article_id,
        "added": True,
        "seq": a.seq,
        "story_id": a.story_id,
        "new_story": a.new_story,
        "merged": a.merged,
        "links": _links(a.article_id, a.story_id),
    }


def _links(article_id: str, story_id: int) -> dict[str, str]:
    return {
        "article": f"/articles/{quote(article_id, safe='')}",
        "story": f"/stories/{story_id}",
        "page": f"/web/stories/{story_id}",
    }


def _brief(stored: StoredArticle) -> dict[str, Any]:
    a = stored.article
    return {
        "id": a.id,
        "seq": stored.seq,
        "title": a.title,
        "source": a.source,
        "url": a.url,
        "language": a.language,
        "published": a.published.isoformat() if a.published else None,
    }


def story_json(stored: list[StoredArticle], provenance: Provenance) -> dict[str, Any]:
    """A traced story as JSON: the provenance (README, `samestory story --json`) plus the articles and, for each
    copy, the sentence indexes of its passages and what it dropped from the original."""
    out = provenance.to_dict()
    original_sentences = split(provenance.original.text)
    for copy, data in zip(provenance.copies, out["copies"]):
        for passage, item in zip(copy.passages, data["passages"]):
            item["original_index"] = passage.a_index
            item["copy_index"] = passage.b_index
        used = {p.a_index for p in copy.passages}
        data["dropped"] = [s for i, s in enumerate(original_sentences) if i not in used]
    traced = 1 + len(provenance.copies)
    return {
        "id": provenance.story_id,
        "size": len(stored),
        "traced": traced,
        "articles": [_brief(s) for s in stored],
        **out,
    }


# --- the app ------------------------------------------------------------------------------------------------


def create_app(
    db_path: str | Path,
    token: str | None = None,
    *,
    max_body: int | None = None,
    workers: int = 0,
    anonymous_wait: float | None = None,
) -> FastAPI:
    """The app over the store at `db_path` (created when missing). Without a `token` it is read-only. `workers`
    processes extract, process and embed posted articles (0: the request's thread does); anonymous heavy work
    waits `anonymous_wait` seconds for a slot, then gets 429 (default API_ANONYMOUS_WAIT)."""
    token = token or None
    limit = config.API_MAX_BODY_BYTES if max_body is None else max_body
    if limit < 1:
        raise SamestoryError(f"max_body must be a positive number of bytes, not {limit}")
    if workers < 0:
        raise SamestoryError(f"workers must be 0 or more, not {workers}")
    service = Service(str(db_path), writable=token is not None, workers=workers, anonymous_wait=anonymous_wait)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        service.close()

    app = FastAPI(
        title="samestory",
        version=__version__,
        description="Which news articles tell the same story, which one is the original, and what each copy took.",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.service = service
    app.state.token = token
    templates = Jinja2Templates(directory=HERE / "templates")
    templates.env.globals["PAIR_COLOURS"] = PAIR_COLOURS
    templates.env.filters["http_url"] = http_url
    # the fallbacks for untitled and sourceless articles
    templates.env.globals.update(headline=headline_of, outlet=outlet_of)
    _install_error_handlers(app, templates)
    app.add_middleware(BodyLimit, limit=limit)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    try:
        from swagger_ui_bundle import swagger_ui_path

        app.mount("/docs-assets", StaticFiles(directory=swagger_ui_path), name="docs-assets")
        docs_js, docs_css = "/docs-assets/swagger-ui-bundle.js", "/docs-assets/swagger-ui.css"
    except ImportError:  # pragma: no cover - the serve extra installs it
        docs_js = docs_css = ""

    @app.middleware("http")
    async def security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        if request.url.path.startswith("/web"):
            response.headers.setdefault("Content-Security-Policy", _CSP)
        return response

    # -- API -----------------------------------------------------------------------------------------------

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        if not docs_js:
            raise HTTPException(404, "no docs: pip install 'samestory[serve]' (swagger-ui-bundle)")
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="samestory API",
            swagger_js_url=docs_js,
            swagger_css_url=docs_css,
            swagger_favicon_url="/static/favicon.svg",
        )

    @app.post(
        "/articles",
        status_code=201,
        dependencies=[Depends(writer)],
        tags=["articles"],
        summary="Add an article and put it in a story",
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": ArticleIn.model_json_schema()},
                    "text/html": {"schema": {"type": "string"}, "description": "a page; give ?url="},
                    "application/x-ndjson": {
                        "schema": {"type": "string"},
                        "description": f"a batch: one article object a line (at most {config.API_MAX_BATCH})",
                    },
                },
            }
        },
        responses={
            200: {"description": "already stored (same URL, or same source and text): nothing added"},
            201: {
                "description": "added: its id, sequence number and story; for a batch (a JSON array or "
                "NDJSON), `added`, `already_stored` and one such object an article, in the order posted"
            },
        },
    )
    async def post_article(
        request: Request,
        url: Annotated[str | None, Query(description="with an HTML body: the page's URL")] = None,
    ) -> JSONResponse:
        body = await request.body()
        kind = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()

        def from_html(
            page: bytes, page_url: str, published: datetime | None, meta: dict[str, Any] | None
        ) -> Article:
            return service.offload(_from_html, page, page_url, published, meta)

        if kind in ("text/html", "application/xhtml+xml"):
            if not url:
                raise InputError("query", "an HTML body needs ?url= (where the page was fetched from)")
            articles, batch = [await run_in_threadpool(from_html, body, url, None, None)], False
        elif kind == "application/json" or kind in _NDJSON:
            articles, batch = await run_in_threadpool(_articles_from_json, body, kind, from_html)
        else:
            raise HTTPException(415, f"send application/json, application/x-ndjson or text/html, not {kind!r}")
        added = await run_in_threadpool(service.add, articles)
        replies = await run_in_threadpool(lambda: [_reply(service, item) for item in added])
        if not batch:
            return JSONResponse(replies[0], status_code=201 if replies[0]["added"] else 200)
        count = sum(r["added"] for r in replies)
        return JSONResponse(
            {"added": count, "already_stored": len(replies) - count, "articles": replies},
            status_code=201 if count else 200,
        )

    @app.get(
        "/articles/{article_id:path}", tags=["articles"], summary="A stored article, processed, and its story"
    )
    def get_article(article_id: str) -> dict[str, Any]:
        found = service.stored(article_id)
        if found is None:
            raise HTTPException(404, f"no article {article_id!r}")
        return {
            "seq": found.seq,
            "story_id": found.story_id,
            **found.article.to_dict(),
            "links": _links(article_id, found.story_id),
        }

    @app.get("/stories", tags=["stories"], summary="Stories, most recently seen first")
    def get_stories(
        q: Annotated[
            str, Query(max_length=500, description="words in the headline, sources or languages")
        ] = "",
        since: Annotated[datetime | None, Query(description="seen on or after (ISO 8601)")] = None,
        until: Annotated[datetime | None, Query(description="seen on or before (ISO 8601)")] = None,
        limit: Annotated[int, Query(ge=1, le=config.API_MAX_PAGE_SIZE)] = config.API_PAGE_SIZE,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> dict[str, Any]:
        found = service.stories(q, since, until)
        page = found[offset : offset + limit]
        return {
            "total": len(found),
            "offset": offset,
            "limit": limit,
            "stories": [
                {**s.to_dict(), "links": {"story": f"/stories/{s.id}", "page": f"/web/stories/{s.id}"}}
                for s in page
            ],
        }

    @app.get(
        "/stories/{story_id}",
        tags=["stories"],
        summary="A story: its likely original and each copy against it",
    )
    def get_story(story_id: StoryId) -> dict[str, Any]:
        found = service.story(story_id)
        if found is None:
            raise HTTPException(404, f"no story {story_id}")
        return story_json(*found)

    @app.post("/compare", tags=["compare"], summary="Compare two texts: relation, scores, aligned passages")
    def post_compare(body: CompareIn) -> dict[str, Any]:
        a, b = _pair(body.a, body.b)
        return _compare(service, a, b).to_dict()

    # -- web page ------------------------------------------------------------------------------------------

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/web")

    @app.get("/web", include_in_schema=False)
    def web_stories(
        request: Request, q: str = "", since: str = "", until: str = "", page: int = 1
    ) -> Response:
        problems = []
        bounds: list[datetime | None] = []
        for name, value in (("since", since), ("until", until)):
            try:
                bounds.append(search_bound(name, datetime.fromisoformat(value)) if value.strip() else None)
            except ValueError:
                problems.append(f"{name}: {value!r} is not a date (e.g. 2024-03-14)")
                bounds.append(None)
            except InputError as exc:
                problems.append(f"{name}: {exc.message}")
                bounds.append(None)
        found = service.stories(q[:500], bounds[0], bounds[1])
        size = config.API_PAGE_SIZE
        pages = max(1, -(-len(found) // size))
        page = min(max(page, 1), pages)
        return templates.TemplateResponse(
            request,
            "stories.html",
            {
                "stories": found[(page - 1) * size : page * size],
                "total": len(found),
                "q": q,
                "since": since,
                "until": until,
                "page": page,
                "pages": pages,
                "problems": problems,
            },
        )

    @app.get("/web/stories/{story_id}", include_in_schema=False)
    def web_story(request: Request, story_id: StoryId) -> Response:
        found = service.story(story_id)
        if found is None:
            raise HTTPException(404, f"no story {story_id}")
        stored, provenance = found
        plot = timeline(
            [(provenance.original, "original"), *((c.article, c.relation) for c in provenance.copies)]
        )
        copies = [
            (c, *sides(provenance.original.text, c.article.text, c.passages)) for c in provenance.copies
        ]
        return templates.TemplateResponse(
            request,
            "story.html",
            {"story_id": story_id, "size": len(stored), "p": provenance, "plot": plot, "copies": copies},
        )

    @app.get("/web/compare", include_in_schema=False)
    def web_compare_form(request: Request) -> Response:
        return templates.TemplateResponse(request, "compare.html", {"a": "", "b": "", "result": None})

    @app.post("/web/compare", include_in_schema=False)
    def web_compare(
        request: Request, a: Annotated[str, Form()] = "", b: Annotated[str, Form()] = ""
    ) -> Response:
        if not a.strip() or not b.strip():
            raise HTTPException(422, "paste a text on both sides")
        first, second = _pair(a, b)
        result = _compare(service, first, second)
        left, right = sides(first.text, second.text, result.passages)
        return templates.TemplateResponse(
            request, "compare.html", {"a": a, "b": b, "result": result, "left": left, "right": right}
        )

    return app


def _pair(a: str | TextIn, b: str | TextIn) -> tuple[Article, Article]:
    """The two texts of a compare request as sanitised Articles (lone surrogates replaced, dates in UTC: a naive
    one is UTC), each within the limits of one compare."""

    def article(name: str, given: str | TextIn) -> Article:
        if isinstance(given, str):
            return _within_limits(sanitised(Article(id=name, text=given.strip())))
        from samestory.read._fields import parse_language

        language = parse_language(given.language) if given.language else None
        if given.language and language is None:
            raise InputError(f"{_WHERE}: {name}.language", f"not a language code: {given.language!r}")
        return _within_limits(
            sanitised(
                Article(
                    id=name,
                    text=given.text.strip(),
                    title=given.title.strip(),
                    language=language,
                    published=given.published,
                )
            )
        )

    return article("a", a), article("b", b)


def _within_limits(article: Article) -> Article:
    """The article, when one compare of it stays within API_MAX_COMPARE_CHARS and API_MAX_COMPARE_SENTENCES."""
    where = f"{_WHERE}: {article.id}"
    if not article.text:
        raise InputError(where, "the text is empty")
    if len(article.text) > config.API_MAX_COMPARE_CHARS:
        raise TooLarge(
            where, f"{len(article.text):,} characters; a compared text has at most {config.API_MAX_COMPARE_CHARS:,}"
        )
    count = sum(1 for line in article.text.splitlines() for _ in sentences(line))
    if count > config.API_MAX_COMPARE_SENTENCES:
        raise TooLarge(
            where, f"{count:,} sentences; a compared text has at most {config.API_MAX_COMPARE_SENTENCES:,}"
        )
    return article


def _compare(service: Service, a: Article, b: Article) -> Comparison:
    return service.compare(a, b)
