"""`samestory eval dates DIR`: the exact publication day of real web pages, samestory against htmldate and
trafilatura in the same run.

DIR holds `gold.jsonl` (one object a line: `id`, `published` as YYYY-MM-DD) and `pages/<id>.html.gz` (the
layout of the shared date pages, ../shared/data/dates). Every tool gets the page without its URL. The pages
are split in two halves by a hash of their id: the date rules (samestory.read._published) were chosen on
`dev` alone, so `held` is a fair figure; both are printed.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from samestory.errors import InputError, SamestoryError

log = logging.getLogger(__name__)

TOOLS = ("samestory", "htmldate", "trafilatura")


@dataclass(slots=True)
class DayScore:
    """How often one tool gives the gold day, over all pages and over each half."""

    correct: int = 0
    dated: int = 0
    halves: dict[str, list[int]] = field(default_factory=lambda: {"dev": [0, 0], "held": [0, 0]})

    def add(self, half: str, day: str | None, gold: str) -> None:
        self.dated += day is not None
        self.correct += day == gold
        self.halves[half][0] += day == gold
        self.halves[half][1] += 1


@dataclass(slots=True)
class DatesReport:
    """The figures of `evaluate_dates`."""

    pages: int
    scores: dict[str, DayScore]
    rejected: list[str]  # pages samestory read no article from, with why
    with_time: int  # samestory dates with a time of day (not midnight) or an offset other than UTC

    def accuracy(self, tool: str, half: str | None = None) -> float:
        score = self.scores[tool]
        correct, total = (score.correct, self.pages) if half is None else score.halves[half]
        return correct / total if total else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "pages": self.pages,
            "rejected": self.rejected,
            "with_time": self.with_time,
            "tools": {
                tool: {
                    "accuracy": self.accuracy(tool),
                    "dev": self.accuracy(tool, "dev"),
                    "held": self.accuracy(tool, "held"),
                    **asdict(self.scores[tool]),
                }
                for tool in TOOLS
            },
        }


def half_of(page_id: str) -> str:
    """'dev' or 'held': the half a page falls in, by a hash of its id."""
    return "dev" if int(hashlib.sha1(page_id.encode()).hexdigest(), 16) % 2 == 0 else "held"


def evaluate_dates(folder: str | Path, *, progress: Callable[[int], None] | None = None) -> DatesReport:
    """Score samestory's `published` (date part), htmldate's extensive search and trafilatura's metadata
    against the gold day of every page in `folder`."""
    from samestory.read.html import extract

    folder = Path(folder)
    gold = _gold(folder)
    scores = {tool: DayScore() for tool in TOOLS}
    rejected: list[str] = []
    with_time = 0
    for number, record in enumerate(gold, 1):
        page_id, day = record["id"], record["published"]
        half = half_of(page_id)
        path = folder / "pages" / f"{page_id}.html.gz"
        try:
            page = gzip.decompress(path.read_bytes())
        except (OSError, EOFError) as exc:
            raise SamestoryError(f"{path}: cannot read the page ({exc})") from None
        article = extract(page, f"{path}:1")
        if isinstance(article, InputError):
            rejected.append(str(article))
            ours = None
        else:
            published = article.published
            ours = published.date().isoformat() if published else None
            with_time += bool(
                published and (published.utcoffset() or published.time() != published.min.time())
            )
        scores["samestory"].add(half, ours, day)
        decoded = _decode(page)
        scores["htmldate"].add(half, _htmldate(decoded), day)
        scores["trafilatura"].add(half, _trafilatura(decoded), day)
        if progress is not None:
            progress(number)
    return DatesReport(len(gold), scores, rejected, with_time)


def _gold(folder: Path) -> list[dict[str, str]]:
    path = folder / "gold.jsonl"
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise SamestoryError(f"{path}: cannot read the gold dates ({exc.strerror or exc})") from None
    records = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            records.append({"id": str(record["id"]), "published": str(record["published"])[:10]})
        except (ValueError, KeyError, TypeError):
            raise SamestoryError(f"{path}:{number}: expected an object with `id` and `published`") from None
    if not records:
        raise SamestoryError(f"{path}: no gold dates in it")
    return records


def _decode(page: bytes) -> str | bytes:
    """The page as htmldate's own evaluation decodes it: UTF-8, else charset-normalizer's guess, else bytes."""
    try:
        return page.decode("utf-8")
    except UnicodeDecodeError:
        from samestory.read._source import guess_encoding

        best = guess_encoding(page)
        return str(best) if best is not None else page


def _htmldate(page: str | bytes) -> str | None:
    from htmldate import find_date

    try:
        found = find_date(page, extensive_search=True, original_date=True)
    except Exception:  # a third-party baseline failing on a page counts as no date
        log.debug("htmldate failed", exc_info=True)
        return None
    return found[:10] if found else None


def _trafilatura(page: str | bytes) -> str | None:
    from trafilatura import extract_metadata

    try:
        found = extract_metadata(page)
    except Exception:  # as above
        log.debug("trafilatura failed", exc_info=True)
        return None
    return found.date[:10] if found is not None and found.date else None


def format_dates_report(report: DatesReport) -> str:
    """The figures as a small table."""
    lines = [
        f"exact publication day on {report.pages} pages (dev / held: halves by id hash; rules chosen on dev)",
        f"{'tool':<12} {'all':>6} {'dev':>6} {'held':>6} {'dated':>6}",
    ]
    for tool in TOOLS:
        score = report.scores[tool]
        lines.append(
            f"{tool:<12} {report.accuracy(tool):>6.3f} {report.accuracy(tool, 'dev'):>6.3f} "
            f"{report.accuracy(tool, 'held'):>6.3f} {score.dated:>6}"
        )
    lines.append(
        f"samestory: {len(report.rejected)} page(s) rejected, {report.with_time} dated with a time of day"
    )
    lines.extend(f"  rejected: {why}" for why in report.rejected)
    return "\n".join(lines) + "\n"
