"""`samestory read` on real HTML pages against trafilatura's own command line on the same pages, same run.

    .venv/bin/python benchmarks/read_html.py                      # the 486 shared date pages
    .venv/bin/python benchmarks/read_html.py --pages DIR --repeat 3
    .venv/bin/python benchmarks/read_html.py --before /tmp/before/src   # also an older samestory's `read`

Each tool runs as a user runs it, one process from start to its last line of output, on the same folder of
pages (decompressed once into a temporary folder):
- `samestory read --workers 2` (and `--workers 1`, and `--no-entities`): main text, metadata, publication
  time, cleaning, language, dates, numbers and entities;
- `trafilatura --input-dir DIR --output-dir OUT --parallel 2 --json --with-metadata --precision`: its main
  text and metadata only;
- with `--before SRC`, `samestory read --workers 2` of another checkout's `src` folder (PYTHONPATH=SRC), e.g.
  `git archive COMMIT src | tar -x -C /tmp/before`.
Printed for each: pages/s (wall clock), CPU seconds per page (all its processes), and pages/s on two free
cores (2 / CPU seconds per page: what the wall clock shows when nothing else runs), and the ratio to
trafilatura. On a shared machine the wall clock depends on the others' load; the CPU figures much less.
"""

from __future__ import annotations

import argparse
import gzip
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DEFAULT_PAGES = Path(__file__).resolve().parents[1].parent / "shared/data/dates/pages"


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run(command: list[str], env: dict[str, str] | None = None) -> tuple[float, float, str]:
    """Wall seconds, CPU seconds (the command and its children) and stdout of one command."""
    cpu, start = _children_cpu(), time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=True, env=env)
    return time.perf_counter() - start, _children_cpu() - cpu, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--pages", type=Path, default=DEFAULT_PAGES, help="a folder of .html or .html.gz pages"
    )
    parser.add_argument("--repeat", type=int, default=1, help="runs of each tool (the best is kept)")
    parser.add_argument("--before", type=Path, help="the src folder of an older samestory, run the same way")
    args = parser.parse_args()
    bin_dir = Path(sys.executable).parent
    with tempfile.TemporaryDirectory(prefix="samestory-read-bench-") as tmp:
        pages = Path(tmp) / "pages"
        pages.mkdir()
        for path in sorted(args.pages.iterdir()):
            if path.name.endswith(".html.gz"):
                (pages / path.name.removesuffix(".gz")).write_bytes(gzip.decompress(path.read_bytes()))
            elif path.suffix == ".html":
                shutil.copy(path, pages / path.name)
        count = len(list(pages.iterdir()))
        out = Path(tmp) / "out"
        samestory = [sys.executable, "-m", "samestory.cli", "read"]
        tools = {
            "trafilatura --parallel 2": lambda: [
                str(bin_dir / "trafilatura"),
                "--input-dir",
                str(pages),
                "--output-dir",
                str(out),
                "--parallel",
                "2",
                "--json",
                "--with-metadata",
                "--precision",
                "--no-comments",
            ],
            "samestory read --workers 2": lambda: [*samestory, "--workers", "2", str(pages)],
            "samestory read --workers 1": lambda: [*samestory, "--workers", "1", str(pages)],
            "samestory read --no-entities --workers 2": lambda: [
                *samestory,
                "--no-entities",
                "--workers",
                "2",
                str(pages),
            ],
        }
        envs: dict[str, dict[str, str] | None] = dict.fromkeys(tools)
        if args.before is not None:
            name = "samestory read --workers 2 (before)"
            tools[name] = lambda: [*samestory, "--workers", "2", str(pages)]
            envs[name] = {**os.environ, "PYTHONPATH": str(args.before.resolve())}
        results: dict[str, tuple[float, float, int]] = {}
        for _ in range(args.repeat):
            for name, command in tools.items():
                shutil.rmtree(out, ignore_errors=True)
                wall, cpu, stdout = _run(command(), envs[name])
                made = (
                    len(list(out.iterdir())) if name.startswith("trafilatura") else len(stdout.splitlines())
                )
                best = results.get(name)
                if best is None or wall < best[0]:
                    results[name] = (wall, cpu, made)
    base_wall, base_cpu, _ = results["trafilatura --parallel 2"]
    print(f"{count} pages, {os.cpu_count()} cores on this machine (load average {os.getloadavg()[0]:.1f})")
    print(f"{'command':<42} {'out':>5} {'pages/s':>8} {'x traf':>7} {'CPU s/page':>11} {'2 free cores':>13}")
    for name, (wall, cpu, made) in results.items():
        print(
            f"{name:<42} {made:>5} {count / wall:>8.1f} {base_wall / wall:>7.2f} {cpu / count:>11.4f} "
            f"{2 * count / cpu:>9.1f} p/s  (CPU x traf {base_cpu / cpu:.2f})"
        )


if __name__ == "__main__":
    main()
