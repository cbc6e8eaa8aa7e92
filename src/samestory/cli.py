"""The `samestory` command line: parses arguments, calls the library, draws progress. Nothing else lives here.

Each command is a pair of functions: `_args_NAME(parser)` adds its arguments, `_run_NAME(args)` runs it and
returns the exit code. `COMMANDS` lists them.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable
from typing import Any

from samestory.errors import SamestoryError

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


def _reader(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from samestory.read import Reader

    fields = dict(item.split("=", 1) for item in args.field)
    return Reader(strict=args.strict, format=args.format, fields=fields)


def _report_skipped(reader: Any) -> None:
    if reader.skipped:
        log.warning("skipped %d bad record(s); run with --strict to stop at the first", reader.skipped)


# --- read -----------------------------------------------------------------------------------------------


def _args_read(parser: argparse.ArgumentParser) -> None:
    _read_args(parser)
    parser.add_argument("--no-entities", action="store_true", help="skip entity recognition (faster)")


def _run_read(args: argparse.Namespace) -> int:
    from samestory.pipeline import process

    reader = _reader(args)
    for article in reader.read(args.paths):
        _print_json(process(article, entities=not args.no_entities).to_dict())
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

        print_comparison(result)
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


def _run_dedup(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from samestory.dedup import find_duplicates

    try:  # boilerplate removal, when the clean stage is installed
        from samestory.clean import clean
    except ImportError:
        clean = None
    reader = _reader(args)
    articles = reader.read(args.paths)
    if clean is not None:
        articles = map(clean, articles)
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

        groups = find_duplicates(articles, threshold=args.threshold, db=args.db, progress=progress)
    _report_skipped(reader)
    for number, group in enumerate(groups, 1):
        if as_json:
            _print_json(group.to_dict())
            continue
        sys.stdout.write(f"group {number}: {len(group.members)} articles, earliest {group.earliest.id}\n")
        for m in group.members:
            verified = "  -  " if m.verified is None else f"{m.verified:.3f}"
            date = m.published.date().isoformat() if m.published else "undated"
            sys.stdout.write(f"  {m.id}  {date}  estimated {m.estimated:.3f}  verified {verified}\n")
    return 0


COMMANDS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]] = {
    "read": ("print one JSON line per article, cleaned and understood", _args_read, _run_read),
    "compare": ("compare two articles: relation, scores, aligned passages", _args_compare, _run_compare),
    "dedup": ("print groups of near-duplicate articles (copies, lightly edited)", _args_dedup, _run_dedup),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="samestory", description=__doc__.splitlines()[0] if __doc__ else None)
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
    try:
        return int(args.run(args))
    except SamestoryError as exc:
        log.error("%s", exc)
        return 2
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
