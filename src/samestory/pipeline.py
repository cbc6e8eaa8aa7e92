"""The per-article stages in order: read -> clean -> understand."""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

from samestory.article import Article, sanitised
from samestory.clean import clean
from samestory.errors import InputError
from samestory.understand import understand

# Formats whose reading is most of the work (an HTML page takes ~30 ms to extract): read in worker processes.
_HEAVY_FORMATS = ("html", "warc")


def process(article: Article, *, entities: bool = True) -> Article:
    """Clean an article and fill in what `understand` finds (language, dates, entities, numbers). Lone
    surrogates in its strings become U+FFFD and a naive date UTC first (`samestory.article.sanitised`)."""
    return understand(clean(sanitised(article)), entities=entities)


def process_all(articles: Iterable[Article], *, entities: bool = True) -> Iterator[Article]:
    """`process` over a stream of articles."""
    for article in articles:
        yield process(article, entities=entities)


def read_processed(
    reader: Any, paths: Iterable[str], *, entities: bool = True, workers: int = 1
) -> Iterator[Article]:
    """`process` over `reader.read(paths)`, in the same order. With `workers` > 1, each HTML or WARC file is
    read and processed in one of that many processes (a few files ahead); other files, stdin and a
    `--strict` reader stay in this process. Bad records are counted and kept by `reader` as usual."""
    from samestory.read._source import detect_format, sources

    if workers <= 1 or reader.strict:
        yield from process_all(reader.read(paths), entities=entities)
        return
    options = (reader.format, reader.fields.given, entities)
    pending: deque[Future[tuple[list[Article], list[tuple[str, str]], int]]] = deque()
    pool: ProcessPoolExecutor | None = None
    try:

        def drain(keep: int) -> Iterator[Article]:
            while len(pending) > keep:
                articles, errors, skipped = pending.popleft().result()
                for where, message in errors:
                    reader.skip(InputError(where, message))
                reader.skipped += skipped - len(errors)  # beyond the errors a reader keeps
                yield from articles

        for path in paths:
            for source in sources(os.fspath(path)):
                if isinstance(source, InputError):
                    reader.skip(source)
                elif source.name != "<stdin>" and (reader.format or detect_format(source)) in _HEAVY_FORMATS:
                    if pool is None:  # at the first such file: what every worker loads, loaded once
                        warm_up(entities=entities)
                        pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))
                    pending.append(pool.submit(_read_file, source.name, options))
                    yield from drain(2 * workers)
                else:
                    yield from drain(0)
                    yield from process_all(reader.read_source(source), entities=entities)
        yield from drain(0)
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)


def warm_up(*, entities: bool = True) -> None:
    """Load what reading and understanding load on first use (the gazetteer, city populations, dateparser's
    language data, htmldate's, the date tables of every language, the spaCy pipelines shipped): worker
    processes forked afterwards share it instead of each loading it again (seconds each)."""
    from htmldate import find_date

    from samestory.read._fields import parse_date
    from samestory.understand.dates import DATE_LANGUAGES
    from samestory.understand.places import city_population

    parse_date("24. Januar 2022")  # dateparser, as for a page that writes its date in words
    # ... and a date no language reads (an offset and a zone name): dateparser tries, and so loads, every
    # language's data, which the first such date on a page would cost each worker (~2 s)
    parse_date("2022-01-24T10:00:00+02:00CET")
    find_date("<html><body><p>Posted on 24 January 2022</p></body></html>", extensive_search=True)
    city_population("city:0")
    for language in DATE_LANGUAGES:  # with entities, the spaCy pipelines (en, fr) load too
        text = "Emmanuel Macron met Olaf Scholz in Paris on 24 January 2022."
        understand(Article(id="", text=text, language=language), entities=entities)


def _read_file(
    path: str, options: tuple[str | None, dict[str, str], bool]
) -> tuple[list[Article], list[tuple[str, str]], int]:
    """A worker's job: one file read and processed; its bad records as (where, message), and their count."""
    from samestory.read import Reader

    format, fields, entities = options
    reader = Reader(format=format, fields=fields)
    articles = [process(a, entities=entities) for a in reader.read(path)]
    return articles, [(e.where, e.message) for e in reader.errors], reader.skipped
