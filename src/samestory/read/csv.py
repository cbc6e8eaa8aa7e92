"""CSV and TSV with a header row: one article a row, columns named as in JSON (see `Fields`)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any

from samestory.article import Article
from samestory.config import READ_MAX_RECORD_BYTES
from samestory.errors import InputError
from samestory.read._fields import Fields
from samestory.read._source import Line, Source, csv_delimiter, lines


def read_csv(source: Source, fields: Fields, encoding: str) -> Iterator[Article | InputError]:
    """One article per row after the header; a row without text is skipped with an error."""
    # Allow a whole article in one cell (the default limit is 128 KB); lines are capped anyway.
    csv.field_size_limit(max(csv.field_size_limit(), READ_MAX_RECORD_BYTES))
    with source.open() as stream:
        problems: list[Line] = []

        def good_lines() -> Iterator[str]:
            """The lines for the csv module; a bad line becomes an empty one and its problem is kept."""
            for line in lines(stream, encoding, keep_ends=True):
                if line.problem:
                    problems.append(line)
                    yield "\n"
                else:
                    yield line.text

        feed = good_lines()
        header_line = next(feed, "")
        if problems or not header_line.strip():
            yield InputError(f"{source.name}:1", (problems[0].problem or "") if problems else "no header row")
            return
        delimiter = "\t" if source.extension == ".tsv" else csv_delimiter(header_line)
        try:
            header = next(csv.reader([header_line], delimiter=delimiter), [])
        except csv.Error as exc:
            yield InputError(f"{source.name}:1", f"malformed CSV header: {exc}")
            return
        keys = tuple(_unique([h.strip().lstrip("\ufeff") for h in header]))
        if "text" not in fields.resolve(keys):
            tried = ", ".join(repr(n) for n in fields.candidates("text"))
            yield InputError(
                f"{source.name}:1",
                f"no text column (looked for {tried} among {', '.join(keys)}); map one with --field text=NAME",
            )
            return
        rows = csv.reader(feed, delimiter=delimiter)
        start = 2
        while True:
            error: InputError | None = None
            try:
                row = next(rows, None)
            except csv.Error as exc:
                row, error = [], InputError(f"{source.name}:{start}", f"malformed CSV: {exc}")
            # Lines the csv module never saw are reported before the row they were in (or after).
            for line in problems:
                yield InputError(f"{source.name}:{line.number}", line.problem or "")
            problems.clear()
            if error is not None:
                yield error
            elif row is None:
                return
            elif any(cell.strip() for cell in row):
                record: dict[str, Any] = dict(zip(keys, row, strict=False))
                if len(row) > len(keys):
                    record["extra"] = [cell for cell in row[len(keys) :] if cell.strip()]
                yield fields.article(record, f"{source.name}:{start}")
            start = rows.line_num + 2


def _unique(names: list[str]) -> list[str]:
    """Header names made unique (a repeated or empty name gets a number)."""
    seen: dict[str, int] = {}
    out = []
    for index, name in enumerate(names):
        name = name or f"column{index + 1}"
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name}_{seen[name]}")
    return out
