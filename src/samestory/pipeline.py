"""The per-article stages in order: read -> clean -> understand."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from samestory.article import Article, sanitised
from samestory.clean import clean
from samestory.understand import understand


def process(article: Article, *, entities: bool = True) -> Article:
    """Clean an article and fill in what `understand` finds (language, dates, entities, numbers). Lone
    surrogates in its strings become U+FFFD and its date UTC first (`samestory.article.sanitised`)."""
    return understand(clean(sanitised(article)), entities=entities)


def process_all(articles: Iterable[Article], *, entities: bool = True) -> Iterator[Article]:
    """`process` over a stream of articles."""
    for article in articles:
        yield process(article, entities=entities)
