"""What the input caps cost and what they prevent: the markup scan, trafilatura by page size, and how long a
writer waits behind the largest anonymous compare.

    .venv/bin/python benchmarks/hostile.py                 # all three
    .venv/bin/python benchmarks/hostile.py --json out/hostile.json

1. `markup_error` (the scan run before lxml) on the hostile pages of issue 18 and on an ordinary page;
2. `extract` (trafilatura, lxml) on pages of 2,000 .. 10,000 <p> (READ_MAX_PAGE_ELEMENTS), and trafilatura on
   one tag of 256 .. 6,000 attributes (READ_MAX_TAG_ATTRIBUTES; quadratic in them);
3. a `Service` over a fresh store: an anonymous compare of API_MAX_COMPARE_SENTENCES sentences a side in one
   thread, a one-article write started 0.3 s later in another; how long the write waited and took, against the
   same write alone.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import threading
import time
from pathlib import Path
from typing import Any


def _seconds(job: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    result = job()
    return round(time.perf_counter() - started, 3), result


def markup() -> dict[str, Any]:
    from trafilatura import bare_extraction

    from samestory.read.html import extract, markup_error

    pages = {
        "150,000 attributes on one tag (1.7 MB)": (
            "<html><body><p " + " ".join(f'a{i}="v"' for i in range(150_000)) + ">x</p></body></html>"
        ).encode(),
        "150,000 quoted '>' attributes": ("<p " + " ".join(f'a{i}=">"' for i in range(150_000)) + ">").encode(),
        "30,000 <p>": ("<html><body>" + "<p>w</p>" * 30_000 + "</body></html>").encode(),
        "an ordinary page (2,000 elements)": (
            "<html><body>"
            + '<div class="x" id="y"><a href="https://x.example/a?b=c&d=e">link</a> text text text</div>' * 1000
            + "</body></html>"
        ).encode(),
    }
    out: dict[str, Any] = {"scan": {}, "extract_p": {}, "trafilatura_attributes": {}}
    for name, page in pages.items():
        took, error = _seconds(lambda page=page: markup_error(page))
        out["scan"][name] = {"bytes": len(page), "seconds": took, "refused": error}
    for n in (2000, 5000, 9990):  # the cap counts <html> and <body> too
        page = ("<html><body>" + "".join(f"<p>word number {i} here and there.</p>" for i in range(n))).encode()
        out["extract_p"][n] = _seconds(lambda page=page: extract(page, "x", url="https://a.example/x"))[0]
    for n in (256, 1000, 3000, 6000):  # trafilatura without the scan (which refuses these over 256)
        page = ("<html><body><p " + " ".join(f'a{i}="v"' for i in range(n)) + ">" + "text words here. " * 50).encode()
        out["trafilatura_attributes"][n] = _seconds(lambda page=page: bare_extraction(page, with_metadata=True))[0]
    return out


def writer_wait() -> dict[str, Any]:
    from samestory import config
    from samestory.api.app import _pair
    from samestory.api.service import Service
    from samestory.read._fields import build

    def texts(start: int) -> Any:  # fresh sentences each time: nothing cached from the last compare
        n = config.API_MAX_COMPARE_SENTENCES
        return _pair(
            *(" ".join(f"Sentence {i} of text {side} says something about the budget." for i in range(start, start + n))
              for side in "ab")
        )

    def article(n: int) -> Any:
        return build("bench", text=f"The council of town {n} voted on its budget on Monday. " * 8,
                     url=f"https://w.example/{n}")

    out: dict[str, Any] = {"sentences_a_side": config.API_MAX_COMPARE_SENTENCES}
    with tempfile.TemporaryDirectory(prefix="samestory-hostile-") as folder:
        service = Service(str(Path(folder) / "w.db"), writable=True)
        try:
            service.add([article(0)])  # models loaded, the compare's too
            service.compare(*_pair("The council met on Monday to vote on the budget for next year.",
                                   "On Monday the council voted on next year's budget, officials said."))
            out["write_alone_s"] = _seconds(lambda: service.add([article(1)]))[0]
            out["compare_alone_s"] = _seconds(lambda: service.compare(*texts(0)))[0]
            done: dict[str, float] = {}

            def compare() -> None:
                done["compare_s"] = _seconds(lambda: service.compare(*texts(10_000)))[0]

            thread = threading.Thread(target=compare)
            thread.start()
            time.sleep(0.3)
            out["write_beside_compare_s"] = _seconds(lambda: service.add([article(2)]))[0]
            thread.join()
            out["compare_beside_write_s"] = done["compare_s"]
        finally:
            service.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--json", default=None, help="also write the figures to this file")
    args = parser.parse_args()
    report = {"markup": markup(), "writer": writer_wait()}
    print(json.dumps(report, indent=2))
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
