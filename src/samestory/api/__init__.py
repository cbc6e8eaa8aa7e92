"""The HTTP API and the web page (`samestory serve`): a FastAPI app over one store.

    from samestory.api import create_app
    app = create_app("samestory.db", token="s3cret")
"""

from __future__ import annotations

from samestory.api.app import create_app

__all__ = ["create_app"]
