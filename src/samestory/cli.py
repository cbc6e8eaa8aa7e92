"""The `samestory` command line: parses arguments, calls the library, draws progress. Nothing else lives here.

Each command is a pair of functions: `_args_NAME(parser)` adds its arguments, `_run_NAME(args)` runs it and
returns the exit code. `COMMANDS` lists them.
"""

from __future__ import annotations

import argparse
import itertools
import json
import logging
import os
import sys
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Self

from samestory.errors import SamestoryError

if TYPE_CHECKING:
    from samestory.read import Reader
    from samestory.store import SQLiteStore

log = logging.getLogger("samestory")


def _print_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, default=str) + "\n")


def _read_args(parser: argparse.ArgumentParser) -> None:
    """The input options shared by every command that reads articles."""
    parser.add_argument("paths", nargs="+", help="files or folders (recursively); '-' reads stdin")
    parser.add_argument("--strict", action="store_true", help="stop at the first bad record")
    parser.add_argument("--format", default=None, help="force a format: text, jsonl, json, csv, html, warc")
    parser.add_argument(
        "--field",
        action="append",
        default=[],
        metavar="NAME=FIELD",
        help="map an Article field to an input field, e.g. --field text=body --field published=date",
    )


def _reader(args: argparse.Namespace) -> Reader:
    from samestory.read import Reader

    bad = [item for item in args.field if "=" not in item]
    if bad:
        raise SamestoryError(f"--field {bad[0]!r}: expected NAME=FIELD, e.g. --field text=body")
    _check_paths(args.paths)
    fields = dict(item.split("=", 1) for item in args.field)
    return Reader(strict=args.strict, format=args.format, fields=fields)


def _check_paths(paths: list[str]) -> None:
    """A path that does not exist is an error before anything is read or written."""
    import os

    missing = [p for p in paths if p != "-" and not os.path.exists(p)]
    if missing:
        raise SamestoryError(f"{', '.join(missing)}: no such file or folder")


class _HeldBack(logging.Handler):
    """Holds back what a logger says (and stops it going further) until `pass_on()`."""

    def __init__(self, logger: logging.Logger) -> None:
        super().__init__()
        self.logger = logger
        self.records: list[logging.LogRecord] = []
        self.propagate = logger.propagate

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def __enter__(self) -> Self:
        self.logger.addHandler(self)
        self.logger.propagate = False
        return self

    def __exit__(self, *exc: object) -> None:
        self.logger.removeHandler(self)
        self.logger.propagate = self.propagate

    def pass_on(self) -> None:
        for record in self.records:
            self.logger.handle(record)


def _articles(reader: Any, paths: list[str], articles: Iterator[Any] | None = None) -> Iterator[Any]:
    """The reader's articles (or `articles`, read by it); a SamestoryError, before anything else happens,
    when there is none: one line, the warnings of the records skipped on the way held back into it."""
    articles = reader.read(paths) if articles is None else articles
    with _HeldBack(logging.getLogger("samestory.read")) as held:
        first = next(articles, None)
    if first is None:
        why = f" ({reader.skipped} bad record(s); the first: {reader.errors[0]})" if reader.errors else ""
        raise SamestoryError(f"no article could be read from {', '.join(paths)}{why}")
    held.pass_on()
    return itertools.chain([first], articles)


def _report_skipped(reader: Any) -> None:
    if reader.skipped:
        log.warning("skipped %d bad record(s); run with --strict to stop at the first", reader.skipped)


# --- read -----------------------------------------------------------------------------------------------


def _args_read(parser: argparse.ArgumentParser) -> None:
    _read_args(parser)
    parser.add_argument("--no-entities", action="store_true", help="skip entity recognition (faster)")
    parser.add_argument("--workers", type=int, default=None, help="processes that read HTML and WARC files "
                        "(default: one per core); the output order does not change")


def _run_read(args: argparse.Namespace) -> int:
    import os

    from samestory.pipeline import read_processed

    reader = _reader(args)
    workers = (os.cpu_count() or 1) if args.workers is None else args.workers
    processed = read_processed(reader, args.paths, entities=not args.no_entities, workers=workers)
    for article in _articles(reader, args.paths, processed):
        _print_json(article.to_dict())
    _report_skipped(reader)
    return 0


# --- compare --------------------------------------------------------------------------------------------


def _args_compare(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("a", help="the first article (any readable file; the first article in it)")
    parser.add_argument("b", help="the second article")
    parser.add_argument("--json", action="store_true", help="print one JSON object (fields in README.md)")


def _run_compare(args: argparse.Namespace) -> int:
    from samestory.compare import compare
    from samestory.pipeline import process
    from samestory.read import Reader

    _check_paths([args.a, args.b])
    reader = Reader(strict=True)
    pair = []
    for path in (args.a, args.b):
        first = next(iter(reader.read([path])), None)
        if first is None:
            raise SamestoryError(f"{path}: no article found")
        pair.append(process(first))
    result = compare(pair[0], pair[1])
    if args.json:
        _print_json(result.to_dict())
    else:
        from samestory.report import print_comparison

        print_comparison(result, articles=pair)
    return 0


# --- ingest, stories, story -------------------------------------------------------------------------------

DEFAULT_DB = "samestory.db"


def _args_ingest(parser: argparse.ArgumentParser) -> None:
    _read_args(parser)
    parser.add_argument("--db", default=DEFAULT_DB, help=f"the store (SQLite file, created; default {DEFAULT_DB})")
    parser.add_argument("--batch", type=int, default=None, help="articles per transaction (default 256)")
    parser.add_argument(
        "--workers", type=int, default=None, help="processes that clean, understand and embed (default: cores - 1)"
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def _run_ingest(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from samestory.stories import IngestStats, ingest
    from samestory.stories.ingest import default_workers

    reader = _reader(args)
    console = Console(stderr=True)
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
        disable=args.no_progress or not console.is_terminal,
        transient=True,
    ) as bar:
        task = bar.add_task("ingesting")

        def progress(stats: IngestStats) -> None:
            bar.update(
                task,
                description=f"{stats.read:,} articles read, {stats.added:,} added, "
                f"{stats.new_stories:,} new stories, {stats.rate:,.0f} articles/s",
            )

        workers = default_workers() if args.workers is None else args.workers
        stats = ingest(_articles(reader, args.paths), args.db, progress=progress, batch_size=args.batch, workers=workers)
    _report_skipped(reader)
    console.print(
        f"{stats.added:,} article(s) added ({stats.skipped:,} already stored), {stats.new_stories:,} new "
        f"stor{'y' if stats.new_stories == 1 else 'ies'}, {stats.merges:,} merge(s), "
        f"{stats.rate:,.0f} articles/s -> {args.db}"
    )
    return 0


def _open_db(path: str) -> SQLiteStore:
    from pathlib import Path

    from samestory.store import open_store

    if path != ":memory:" and not Path(path).exists():
        raise SamestoryError(f"{path}: no such store (run `samestory ingest PATH --db {path}` first)")
    return open_store(path)


def _args_stories(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", default=DEFAULT_DB, help=f"the store (default {DEFAULT_DB})")
    parser.add_argument("--search", default="", help="only stories with all these words in their headline, "
                        "sources or languages (case and accents ignored), like the API's q")
    parser.add_argument("--since", default=None, help="only stories seen on or after this date (ISO 8601)")
    parser.add_argument("--until", default=None, help="only stories first seen on or before this date "
                        "(ISO 8601)")
    parser.add_argument("--limit", type=int, default=None, help="at most this many stories (the most recent)")
    parser.add_argument("--json", action="store_true", help="one JSON line per story")


def _iso_date(flag: str, value: str | None) -> Any:
    from datetime import datetime

    from samestory.article import utc

    if value is None:
        return None
    try:
        return utc(datetime.fromisoformat(value))
    except ValueError:
        raise SamestoryError(f"{flag} {value!r}: not an ISO 8601 date (e.g. 2025-03-14)") from None


def _run_stories(args: argparse.Namespace) -> int:
    from samestory.store.base import fold, matches, searchable

    since, until = _iso_date("--since", args.since), _iso_date("--until", args.until)
    if args.limit is not None and args.limit < 1:
        raise SamestoryError(f"--limit {args.limit}: must be at least 1")
    words = fold(args.search).split()
    with _open_db(args.db) as store:
        summaries = [s for s in store.stories() if matches(s, searchable(s), words, since, until)]
    summaries = summaries[: args.limit]
    if args.json:
        for summary in summaries:
            _print_json(summary.to_dict())
    else:
        from samestory.stories.show import print_stories

        print_stories(summaries)
    return 0


def _args_story(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("id", type=int, help="the story id (from `samestory stories`)")
    parser.add_argument("--db", default=DEFAULT_DB, help=f"the store (default {DEFAULT_DB})")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def _run_story(args: argparse.Namespace) -> int:
    from samestory.stories import trace

    with _open_db(args.db) as store:
        stored = store.story(args.id)
    if not stored:
        raise SamestoryError(f"{args.db}: no story {args.id} (see `samestory stories --db {args.db}`)")
    joins = {s.article.id: s.join for s in stored if s.join}
    result = trace([s.article for s in stored], story_id=args.id, joins=joins)
    if args.json:
        _print_json(result.to_dict())
    else:
        from samestory.stories.show import print_story

        print_story(result)
    return 0


# --- eval -------------------------------------------------------------------------------------------------


def _args_eval(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="what", required=True, metavar="WHAT")
    stories = sub.add_parser("stories", help="score story clustering against gold labels")
    stories.add_argument("labelled", help="JSONL: articles with a gold `story` id, or SemEval-style labelled pairs")
    stories.add_argument("--lang", action="append", default=[], help="pairs of these languages only (en, de-en)")
    stories.add_argument("--db", default=None, help="keep the store here (default: a temporary one)")
    stories.add_argument("--json", action="store_true", help="print one JSON object")
    stories.set_defaults(run_eval=_run_eval_stories)
    semeval = sub.add_parser("semeval", help="Pearson of the seven pair scores on SemEval-2022 Task 8 labelled pairs")
    semeval.add_argument("pairs", help="JSONL: text1, text2, lang1, lang2, pair_id and the gold scores")
    semeval.add_argument("--cv", type=int, default=0, help="K-fold grouped cross-validation (fresh models per fold)")
    semeval.add_argument(
        "--train-also",
        metavar="COPIES",
        help="labelled pairs for training only, e.g. translated copies (with --cv); only those whose "
        "base_pair_id is the pair_id of one of the pairs are used",
    )
    semeval.add_argument("--json", action="store_true", help="print one JSON object")
    semeval.set_defaults(run_eval=_run_eval_semeval)
    dates = sub.add_parser("dates", help="exact publication day of web pages, with htmldate and trafilatura")
    dates.add_argument("folder", help="gold.jsonl (id, published), pages/ID.html.gz: ../shared/data/dates")
    dates.add_argument("--json", action="store_true", help="print one JSON object")
    dates.set_defaults(run_eval=_run_eval_dates)


def _run_eval(args: argparse.Namespace) -> int:
    _check_paths([getattr(args, name) for name in ("labelled", "pairs", "folder") if hasattr(args, name)])
    return int(args.run_eval(args))


def _run_eval_stories(args: argparse.Namespace) -> int:
    from samestory.evaluate.stories import evaluate_stories

    report = evaluate_stories(args.labelled, db=args.db, languages=set(args.lang) or None)
    if args.json:
        _print_json(report.to_dict())
    else:
        from samestory.stories.show import print_eval

        print_eval(report)
    return 0


def _run_eval_semeval(args: argparse.Namespace) -> int:
    from samestory.compare.e5 import enabled
    from samestory.evaluate.pairs import read_copies, read_pairs
    from samestory.evaluate.semeval import evaluate_semeval, format_report

    records = read_pairs(args.pairs)
    extra = read_copies(args.train_also, records) if args.train_also else []
    report = evaluate_semeval(records, cv=args.cv, extra=extra, e5=enabled())
    if args.json:
        _print_json(report.to_dict())
    else:
        sys.stdout.write(format_report(report))
    return 0


def _run_eval_dates(args: argparse.Namespace) -> int:
    from samestory.evaluate.dates import evaluate_dates, format_dates_report

    report = evaluate_dates(args.folder)
    if args.json:
        _print_json(report.to_dict())
    else:
        sys.stdout.write(format_dates_report(report))
    return 0


# --- score ------------------------------------------------------------------------------------------------


def _args_score(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("pairs", help="JSONL: text1, text2 (optional pair_id, lang1, lang2, title1, title2); '-' stdin")
    parser.add_argument("--batch", type=int, default=64, help="pairs embedded together")
    parser.add_argument("--workers", type=int, default=None, help="processes scoring batches (default: one per core)")


def _run_score(args: argparse.Namespace) -> int:
    import os

    from samestory.evaluate.pairs import read_pairs, score_records

    _check_paths([args.pairs])
    records = read_pairs("/dev/stdin" if args.pairs == "-" else args.pairs)
    workers = (os.cpu_count() or 1) if args.workers is None else args.workers
    for record, scores in zip(records, score_records(records, batch=args.batch, workers=workers)):
        _print_json({"pair_id": record.pair_id, **scores})
    return 0


# --- dedup ------------------------------------------------------------------------------------------------


def _args_dedup(parser: argparse.ArgumentParser) -> None:
    from samestory.config import DEDUP_THRESHOLD

    _read_args(parser)
    parser.add_argument("--threshold", type=float, default=DEDUP_THRESHOLD, help="Jaccard similarity of word "
                        f"shingles at which two articles are near-duplicates (default {DEDUP_THRESHOLD})")
    parser.add_argument("--json", action="store_true", help="one JSON line per group (the default when piped)")
    parser.add_argument("--db", default=None, help="a persistent near-duplicate index (SQLite file): matched "
                        "against, then added to; default: in memory")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="processes that clean the "
                        "articles while this one reads and indexes them (default: the number of cores; 0: none)")


def _run_dedup(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from samestory.clean import clean_all
    from samestory.dedup import find_duplicates
    reader = _reader(args)
    origins: dict[str, str | None] = {}  # where each article was read, to print beside its id
    repeated = 0  # articles whose id (from their URL) came before: the index keeps the first

    def noted(articles: Any) -> Any:
        nonlocal repeated
        for article in articles:
            if article.id in origins:
                repeated += 1
            else:
                origins[article.id] = article.origin
            yield article

    articles = noted(_articles(reader, args.paths))
    if clean_all is not None:
        articles = clean_all(articles, workers=args.workers)
    console = Console(stderr=True)
    as_json = args.json or not sys.stdout.isatty()
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
        console=console, disable=not console.is_terminal, transient=True,
    ) as bar:
        task = bar.add_task("deduplicating", total=None)
        read = 0

        def progress(n: int) -> None:
            nonlocal read
            read += n
            bar.update(task, description=f"{read:,} articles read")

        groups = find_duplicates(
            articles, threshold=args.threshold, db=args.db, progress=progress
        )
    _report_skipped(reader)
    if repeated:
        log.warning("left out %d article(s) with the same URL (id) as an earlier one", repeated)
    for number, group in enumerate(groups, 1):
        if as_json:
            out = group.to_dict()
            for member in out["members"]:
                member["origin"] = origins.get(member["id"])
            _print_json(out)
            continue
        sys.stdout.write(f"group {number}: {len(group.members)} articles, earliest {group.earliest.id}\n")
        for m in group.members:
            verified = "  -  " if m.verified is None else f"{m.verified:.3f}"
            date = m.published.date().isoformat() if m.published else "undated"
            where = origins.get(m.id) or "(indexed before)"
            sys.stdout.write(f"  {m.id}  {date}  estimated {m.estimated:.3f}  verified {verified}  {where}\n")
    return 0


# --- serve ------------------------------------------------------------------------------------------------


def _args_serve(parser: argparse.ArgumentParser) -> None:
    from samestory.config import API_MAX_BODY_BYTES

    parser.add_argument("--db", default=DEFAULT_DB, help=f"the store (SQLite file; default {DEFAULT_DB})")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    parser.add_argument("--token", default=None, help="the token writes need (Authorization: Bearer TOKEN); "
                        "default: $SAMESTORY_TOKEN; with neither, the server is read-only")
    parser.add_argument("--create", action="store_true", help="create the store when it does not exist (by "
                        "default a missing --db is an error: a typo would serve an empty store)")
    parser.add_argument("--max-body", type=int, default=API_MAX_BODY_BYTES,
                        help=f"largest request body in bytes (default {API_MAX_BODY_BYTES:,})")
    parser.add_argument("--workers", type=int, default=None, help="processes that extract, clean, understand "
                        "and embed posted articles (default: cores - 1 with a token, else 0)")


def _run_serve(args: argparse.Namespace) -> int:
    import os

    from samestory.errors import missing_extra

    try:
        import uvicorn

        from samestory.api import create_app
    except ImportError as exc:
        raise missing_extra(exc.name or "fastapi", "serve") from None
    from samestory.config import API_SWITCH_INTERVAL
    from samestory.stories.ingest import default_workers

    if not 0 <= args.port <= 65535:
        raise SamestoryError(f"--port {args.port}: a port is 0 to 65535")
    if args.workers is not None and args.workers < 0:
        raise SamestoryError(f"--workers {args.workers}: need 0 or more")
    if not args.create and not os.path.exists(args.db):
        raise SamestoryError(f"{args.db}: no such store (ingest into it first, or --create a new one)")
    token = args.token or os.environ.get("SAMESTORY_TOKEN") or None
    if not args.verbose:  # ingest logs a line per call, here one per POST /articles
        logging.getLogger("samestory.stories.ingest").setLevel(logging.WARNING)
    # The server's threads share one GIL with the clustering: a shorter switch interval lets a list request in
    # sooner (GET /stories p99 under writes: ~450 -> ~190 ms, BENCHMARKS.md "Hostile input and batch writes").
    sys.setswitchinterval(API_SWITCH_INTERVAL)
    workers = (default_workers() if token else 0) if args.workers is None else args.workers
    app = create_app(args.db, token=token, max_body=args.max_body, workers=workers)
    log.info(
        "serving %s on http://%s:%d/web (API docs: /docs), %s",
        args.db, args.host, args.port, "writes need the token" if token else "read-only (no token given)",
    )
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0


# --- spark ------------------------------------------------------------------------------------------------


def _args_spark(parser: argparse.ArgumentParser) -> None:
    from samestory.config import DEDUP_THRESHOLD

    parser.add_argument("job", choices=["dedup", "stories"], help="near-duplicate groups, or stories")
    parser.add_argument("input", help="articles: a JSONL file (or folder of them) or a Parquet dataset")
    parser.add_argument("output", help="where the Parquet output goes (overwritten)")
    parser.add_argument("--master", default=None, help="Spark master, e.g. local[2] (default: spark-submit's, "
                        "else local[*])")
    parser.add_argument("--threshold", type=float, default=DEDUP_THRESHOLD, help="dedup: Jaccard similarity of "
                        f"word shingles at which two articles are near-duplicates (default {DEDUP_THRESHOLD})")
    parser.add_argument("--no-clean", action="store_true", help="skip boilerplate removal")


def _run_spark(args: argparse.Namespace) -> int:
    from samestory.spark import session, spark_dedup, spark_stories

    spark = session(args.master)
    spark.sparkContext.setLogLevel("ERROR")
    try:
        if args.job == "dedup":
            spark_dedup(spark, args.input, args.output, threshold=args.threshold, clean=not args.no_clean)
        else:
            spark_stories(spark, args.input, args.output, clean=not args.no_clean)
    finally:
        spark.stop()
    return 0


COMMANDS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]] = {
    "read": ("print one JSON line per article, cleaned and understood", _args_read, _run_read),
    "compare": ("compare two articles: relation, scores, aligned passages", _args_compare, _run_compare),
    "ingest": ("add articles to the store and put each one in a story", _args_ingest, _run_ingest),
    "stories": ("list the stories in the store", _args_stories, _run_stories),
    "story": ("show one story: its likely original and what each copy took and added", _args_story, _run_story),
    "eval": ("score samestory on labelled data (stories: clustering; semeval: pair scores)", _args_eval, _run_eval),
    "score": ("the seven SemEval scores of each pair in a JSONL file", _args_score, _run_score),
    "dedup": ("print groups of near-duplicate articles (copies, lightly edited)", _args_dedup, _run_dedup),
    "serve": ("serve the HTTP API and the web page over a store", _args_serve, _run_serve),
    "spark": ("near-duplicate groups or stories on Apache Spark, to Parquet", _args_spark, _run_spark),
}


DESCRIPTION = """Tell which news articles tell the same story, which one is the original, and which are copies,
rewrites or translations of it. Reads text, JSON/JSONL, CSV, HTML and WARC files (or folders of them)."""
EPILOG = """examples:
  samestory read pages/ > articles.jsonl        # cleaned and understood articles, one JSON line each
  samestory compare a.html b.txt                # how two articles relate, passage by passage
  samestory ingest articles/ --db news.db       # group articles into stories
  samestory stories --db news.db --search fire  # list stories; `samestory story ID` traces one
  samestory serve --db news.db                  # the web page and the HTTP API

`samestory COMMAND --help` gives a command's options."""


def build_parser() -> argparse.ArgumentParser:
    from samestory import __version__

    parser = argparse.ArgumentParser(
        prog="samestory",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"samestory {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (help_text, add_args, run) in COMMANDS.items():
        command = sub.add_parser(name, help=help_text, description=help_text)
        add_args(command)
        command.set_defaults(run=run)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `samestory` console script."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO, format="samestory: %(levelname)s: %(message)s"
    )
    if not args.verbose:  # their warnings ("discarding data: None") say less than the skipped-page line
        for library in ("trafilatura", "htmldate", "readability", "justext"):
            logging.getLogger(library).setLevel(logging.ERROR)
    try:
        return int(args.run(args))
    except SamestoryError as exc:
        log.error("%s", exc)
        return 2
    except OSError as exc:  # a file or a port the system refused: its message, not a traceback
        log.error("%s", f"{exc.filename}: {exc.strerror}" if exc.filename and exc.strerror else exc)
        return 2
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
