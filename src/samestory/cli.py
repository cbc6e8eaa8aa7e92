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


COMMANDS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]] = {
    "read": ("print one JSON line per article, cleaned and understood", _args_read, _run_read),
    "compare": ("compare two articles: relation, scores, aligned passages", _args_compare, _run_compare),
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
