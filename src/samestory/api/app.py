"""The HTTP API and the web page: one FastAPI app over one store.

    app = create_app("samestory.db", token="s3cret")      # `samestory serve` runs it with uvicorn

API (JSON; OpenAPI docs at /docs):
    POST /articles        add an article (JSON, or an HTML page with ?url=); needs the token
    GET  /articles/{id}   a stored article, processed, with its story
    GET  /stories         stories, most recently seen first: ?q= words, ?since= ?until= ISO dates, ?limit ?offset
    GET  /stories/{id}    a story traced: its likely original, and each other article against it
    POST /compare         compare two texts (no store involved; no token needed)
Web page: /web (stories, search), /web/stories/{id} (timeline, copies side by side), /web/compare.

Writes need `Authorization: Bearer TOKEN`; an app built without a token is read-only (writes get 403).
Bodies over `max_body` bytes get 413. Every error is JSON `{"error": message, "status": code}`
(an HTML page under /web); bad input is a 4xx, never a 500.
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

from fastapi import Depends, FastAPI, Form, Query, Request
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
from samestory.api.service import Service
from samestory.api.views import PAIR_COLOURS, sides, timeline
from samestory.article import Article
from samestory.compare import Comparison, compare
from samestory.compare.passages import split
from samestory.errors import InputError, SamestoryError, StoreError
from samestory.store.base import StoredArticle
from samestory.stories import Provenance
from samestory.stories.provenance import headline_of, outlet_of

log = logging.getLogger(__name__)

HERE = Path(__file__).parent
_WHERE = "request body"
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
    return JSONResponse({"error": message, "status": status, **extra}, status_code=status)


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
                request, "error.html", {"status": status, "message": message}, status_code=status
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

    async def crash(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return reply(request, 500, f"internal error ({type(exc).__name__}); the server log has the details")

    app.add_exception_handler(HTTPException, http_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, invalid)  # type: ignore[arg-type]
    app.add_exception_handler(InputError, bad_input)  # type: ignore[arg-type]
    app.add_exception_handler(StoreError, store_error)
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


def _article_from_json(body: bytes) -> Article:
    from samestory.read._fields import build, parse_date, parse_language
    from samestory.read.html import extract

    try:
        record = json.loads(body)
    except UnicodeDecodeError:
        raise InputError(_WHERE, "the body is not UTF-8") from None
    except json.JSONDecodeError as exc:
        raise InputError(
            _WHERE, f"malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from None
    if not isinstance(record, dict):
        raise InputError(_WHERE, "expected a JSON object with `text` (or `html` and `url`)")
    try:
        given = ArticleIn.model_validate(record)
    except ValidationError as exc:
        raise RequestValidationError(exc.errors(include_url=False)) from None
    published = parse_date(given.published) if given.published else None
    if given.published and published is None:
        raise InputError(f"{_WHERE}: published", f"not a date: {given.published!r}")
    language = parse_language(given.language) if given.language else None
    if given.language and language is None:
        raise InputError(f"{_WHERE}: language", f"not a language code: {given.language!r}")
    if given.html is not None:
        if given.text is not None:
            raise InputError(_WHERE, "give `text` or `html`, not both")
        if not given.url:
            raise InputError(_WHERE, "`html` needs the `url` it was fetched from")
        return _from_html(given.html.encode("utf-8"), given.url, published, given.meta, extract)
    if not given.text or not given.text.strip():
        raise InputError(_WHERE, "`text` is missing or empty (or give `html` and `url`)")
    return build(
        _WHERE,
        text=given.text.strip(),
        id=given.id,
        url=given.url,
        source=given.source,
        title=given.title or "",
        language=language,
        published=published,
        meta=given.meta,
    )


def _from_html(
    page: bytes, url: str, published: datetime | None, meta: dict[str, Any] | None, extract: Any
) -> Article:
    found = extract(page, _WHERE, url=url, published=published, meta=meta)
    if isinstance(found, InputError):
        raise found
    return found


def _links(article_id: str, story_id: int) -> dict[str, str]:
    return {
        "article": f"/articles/{article_id}",
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


def create_app(db_path: str | Path, token: str | None = None, *, max_body: int | None = None) -> FastAPI:
    """The app over the store at `db_path` (created when missing). Without a `token` it is read-only."""
    token = token or None
    limit = config.API_MAX_BODY_BYTES if max_body is None else max_body
    if limit < 1:
        raise SamestoryError(f"max_body must be a positive number of bytes, not {limit}")
    service = Service(str(db_path), writable=token is not None)

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
    # the fallbacks for untitled and sourceless articles
    templates.env.globals.update(headline=headline_of, outlet=outlet_of)
    _install_error_handlers(app, templates)
    app.add_middleware(BodyLimit, limit=limit)  # type: ignore[arg-type]
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    try:
        from swagger_ui_bundle import swagger_ui_path  # type: ignore[import-untyped]

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
                },
            }
        },
        responses={
            200: {"description": "already stored (same URL, or same source and text): nothing added"},
            201: {"description": "added: its id, sequence number and story"},
        },
    )
    async def post_article(
        request: Request,
        url: Annotated[str | None, Query(description="with an HTML body: the page's URL")] = None,
    ) -> JSONResponse:
        body = await request.body()
        kind = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
        if kind in ("text/html", "application/xhtml+xml"):
            if not url:
                raise InputError("query", "an HTML body needs ?url= (where the page was fetched from)")
            from samestory.read.html import extract

            article = await run_in_threadpool(_from_html, body, url, None, None, extract)
        elif kind == "application/json":
            article = await run_in_threadpool(_article_from_json, body)
        else:
            raise HTTPException(415, f"send application/json or text/html, not {kind!r}")
        added = await run_in_threadpool(service.add, article)
        if added.assignment is None:
            found = await run_in_threadpool(service.stored, article.id)
            data: dict[str, Any] = {"id": article.id, "added": False, "reason": "already stored"}
            if found is not None:
                data.update(seq=found.seq, story_id=found.story_id, links=_links(article.id, found.story_id))
            return JSONResponse(data, status_code=200)
        a = added.assignment
        return JSONResponse(
            {
                "id": a.article_id,
                "added": True,
                "seq": a.seq,
                "story_id": a.story_id,
                "new_story": a.new_story,
                "merged": a.merged,
                "links": _links(a.article_id, a.story_id),
            },
            status_code=201,
        )

    @app.get(
        "/articles/{article_id}", tags=["articles"], summary="A stored article, processed, and its story"
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
    def get_story(story_id: int) -> dict[str, Any]:
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
                bounds.append(datetime.fromisoformat(value) if value.strip() else None)
            except ValueError:
                problems.append(f"{name}: {value!r} is not a date (e.g. 2024-03-14)")
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
    def web_story(request: Request, story_id: int) -> Response:
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
    def article(name: str, given: str | TextIn) -> Article:
        if isinstance(given, str):
            return Article(id=name, text=given.strip())
        from samestory.read._fields import parse_language

        language = parse_language(given.language) if given.language else None
        if given.language and language is None:
            raise InputError(f"{_WHERE}: {name}.language", f"not a language code: {given.language!r}")
        return Article(
            id=name,
            text=given.text.strip(),
            title=given.title.strip(),
            language=language,
            published=given.published,
        )

    return article("a", a), article("b", b)


def _compare(service: Service, a: Article, b: Article) -> Comparison:
    from samestory.pipeline import process

    for article in (a, b):
        if not article.text:
            raise InputError(f"{_WHERE}: {article.id}", "the text is empty")
    return service.exclusive(lambda: compare(process(a), process(b)))
