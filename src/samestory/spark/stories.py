"""Stories on Spark (in progress)."""

from __future__ import annotations

from typing import Any


def spark_stories(spark: Any, source: Any, output: str | None, *, clean: bool = True) -> Any:
    """Stories of the articles at `source`."""
    raise NotImplementedError
