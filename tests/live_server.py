"""A real uvicorn server on 127.0.0.1 (a free port), in a thread, for the API and browser tests."""

from __future__ import annotations

import socket
import threading
from pathlib import Path
from typing import Any, Self

import httpx
import uvicorn

from samestory.read import Reader

ROOT = Path(__file__).resolve().parents[1]
ARTICLES = ROOT / "examples" / "articles"


class LiveServer:
    """`with LiveServer(app) as server:` serves `app` at `server.url` until the block ends."""

    def __init__(self, app: Any) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind(("127.0.0.1", 0))  # bound before the server starts: no race for the port
        self.url = f"http://127.0.0.1:{self._socket.getsockname()[1]}"
        self._server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )

    def __enter__(self) -> Self:
        self._thread.start()
        ready = threading.Event()
        for _ in range(600):
            if self._server.started or not self._thread.is_alive():
                break
            ready.wait(0.05)
        if not self._server.started:
            raise RuntimeError("the test server did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(60)
        self._socket.close()

    def client(self, token: str | None = None, **kwargs: Any) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=180, **kwargs)


def article_json(article: Any) -> dict[str, Any]:
    """An Article read from the examples, as the body of POST /articles."""
    return {
        "text": article.text,
        "title": article.title,
        "url": article.url,
        "source": article.source,
        "language": article.language,
        "published": article.published.isoformat() if article.published else None,
    }


def example_articles(*names: str) -> list[Any]:
    """The sample articles of these story folders (or files) under examples/articles."""
    return list(Reader(strict=True).read([str(ARTICLES / name) for name in names]))
