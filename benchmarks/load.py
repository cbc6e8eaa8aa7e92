"""Concurrency check of the HTTP API: 20 clients posting and reading at once lose no article.

    .venv/bin/python benchmarks/load.py                       # 20 clients, 30 s
    .venv/bin/python benchmarks/load.py --clients 20 --seconds 30 --json out/load.json
    .venv/bin/python benchmarks/load.py --batch 25            # each POST a batch of 25 articles (JSON array)

Starts `samestory serve` in its own process on 127.0.0.1 (a free port, a fresh store in a temporary folder,
a token), then runs the clients in threads, each with its own connection. Each client loops until the time
is up (requests in flight then finish; nothing starts after): POST /articles (a distinct real article: the
texts of the SemEval-2022 Task 8 pairs, read from /work/shared/data at run time), GET /articles/{id} of what
it just posted, GET /stories (a page, every other time with a search word), and every fourth round
GET /stories/{id} of its article's story (a trace: compare() calls). With `--batch N` each POST carries N
articles (a JSON array: one transaction, the batched path `ingest` runs). `--workers` is passed to `serve`
(default: serve's own, cores - 1); `--readers N` adds clients that only GET /stories, every 0.1 s, for a
latency figure of the list under the writes.

Checks, after the clients stop: every article acknowledged (201) can be read back from the server; the
server, stopped (SIGTERM) and restarted on the same store, still has every one of them, and exactly as many
articles as were acknowledged; no request got a 5xx. Prints requests/s, latencies (p50/p95/max) by request
kind, and exits 1 when a check fails.

`--list N` times the story list (what GET /stories and the web list read) on a synthetic store of N articles.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

import httpx

PAIRS = Path("/work/shared/data/semeval2022-task8/pairs.jsonl")
ROOT = Path(__file__).resolve().parents[1]
TOKEN = "load-test-token"


def articles(limit: int) -> list[dict[str, object]]:
    """Distinct real articles (both sides of the SemEval pairs), as POST /articles bodies."""
    out: list[dict[str, object]] = []
    seen: set[str] = set()
    with PAIRS.open(encoding="utf-8") as lines:
        for line in lines:
            pair = json.loads(line)
            for side in ("1", "2"):
                text = (pair.get(f"text{side}") or "").strip()
                if len(text) < 200 or text[:200] in seen:
                    continue
                seen.add(text[:200])
                title, _, body = text.partition("  ")
                out.append(
                    {
                        "text": body.strip() or text,
                        "title": title[:200] if body else "",
                        "url": f"https://load-{len(out)}.example/{pair['pair_id']}/{side}",
                        "language": pair.get(f"lang{side}"),
                        "published": f"2020-04-{1 + len(out) % 28:02d}T{len(out) % 24:02d}:00:00+00:00",
                    }
                )
                if len(out) >= limit:
                    return out
    return out


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(db: Path, port: int, workers: int | None = None) -> subprocess.Popen[bytes]:
    env = {**os.environ, "SAMESTORY_EMBED_THREADS": os.environ.get("SAMESTORY_EMBED_THREADS", "1")}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "samestory.cli",
            "serve",
            "--db",
            str(db),
            "--port",
            str(port),
            "--token",
            TOKEN,
            "--create",
            *(["--workers", str(workers)] if workers is not None else []),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server exited: {server.stderr.read().decode() if server.stderr else ''}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/stories", timeout=2).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("the server did not start in 120 s")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(60)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


class Results:
    """What the clients saw, shared between their threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.status: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
        self.acknowledged: dict[str, int] = {}  # article id -> story id, for every 201
        self.failures: list[str] = []
        self.out_of_texts: list[float] = []  # when each client that posted all its texts did (monotonic)

    def record(self, kind: str, seconds: float, status: int) -> None:
        with self.lock:
            self.latency[kind].append(seconds)
            self.status[kind][status] += 1


def client(
    number: int, base: str, bodies: list[dict[str, object]], stop_at: float, results: Results, batch: int = 0
) -> None:
    """One client: post (one article, or a batch of `batch`), read back, list, sometimes trace, until the time
    is up or its articles run out."""
    words = ["corona", "trump", "election", "police", "vaccine", "market"]
    with httpx.Client(base_url=base, timeout=300, headers={"Authorization": f"Bearer {TOKEN}"}) as http:

        def call(kind: str, method: str, url: str, **kwargs: object) -> httpx.Response | None:
            started = time.perf_counter()
            try:
                response = http.request(method, url, **kwargs)  # type: ignore[arg-type]
            except httpx.HTTPError as exc:
                with results.lock:
                    results.failures.append(f"client {number} {kind}: {type(exc).__name__}: {exc}")
                return None
            results.record(kind, time.perf_counter() - started, response.status_code)
            if response.status_code >= 500:
                with results.lock:
                    results.failures.append(
                        f"client {number} {kind}: {response.status_code} {response.text[:200]}"
                    )
            return response

        size = max(batch, 1)
        chunks = [bodies[i : i + size] for i in range(0, len(bodies), size)]
        for round_, chunk in enumerate(chunks):
            if time.monotonic() >= stop_at:
                return
            kind = "POST /articles" if not batch else f"POST /articles (batch of {batch})"
            posted = call(kind, "POST", "/articles", json=chunk if batch else chunk[0])
            if posted is None or posted.status_code not in (200, 201):
                continue
            replies = posted.json()["articles"] if batch else [posted.json()]
            with results.lock:
                for one in replies:
                    if one["added"]:
                        results.acknowledged[one["id"]] = one["story_id"]
            reply = replies[-1]
            read = call("GET /articles/{id}", "GET", f"/articles/{reply['id']}")
            if read is not None and read.status_code != 200:
                with results.lock:
                    results.failures.append(
                        f"client {number}: article {reply['id']} acknowledged but not readable"
                    )
            query = {"q": words[round_ % len(words)]} if round_ % 2 else {}
            call("GET /stories", "GET", "/stories", params={**query, "limit": 20})
            if round_ % 4 == 3:
                call("GET /stories/{id}", "GET", f"/stories/{reply.get('story_id', 0)}")
        with results.lock:
            results.out_of_texts.append(time.monotonic())


def reader(number: int, base: str, stop_at: float, results: Results) -> None:
    """A reader beside the writers: GET /stories (every other time with a search word) every 0.1 s."""
    words = ["corona", "trump", "election", "police", "vaccine", "market"]
    with httpx.Client(base_url=base, timeout=60) as http:
        round_ = 0
        while time.monotonic() < stop_at:
            query = {"q": words[round_ % len(words)]} if round_ % 2 else {}
            started = time.perf_counter()
            try:
                response = http.get("/stories", params={**query, "limit": 20})
            except httpx.HTTPError as exc:
                with results.lock:
                    results.failures.append(f"reader {number}: {type(exc).__name__}: {exc}")
                continue
            results.record("GET /stories (readers)", time.perf_counter() - started, response.status_code)
            if response.status_code >= 500:
                with results.lock:
                    results.failures.append(f"reader {number}: {response.status_code} {response.text[:200]}")
            round_ += 1
            time.sleep(0.1)


def percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "n": len(ordered),
        "p50_ms": round(1000 * statistics.median(ordered), 1),
        "p95_ms": round(1000 * ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 1),
        "p99_ms": round(1000 * ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))], 1),
        "max_ms": round(1000 * ordered[-1], 1),
    }


def listing(n: int) -> dict[str, object]:
    """GET /stories at scale, without HTTP: a store of `n` synthetic articles (a story of three every three,
    300 sources) written directly, then the story list read cold (as a read-only server after another
    process's write), warm, and searched; and what a writing server does after a batch instead."""
    from datetime import UTC, datetime, timedelta

    from samestory.api.service import Listing, Service
    from samestory.article import Article
    from samestory.store.sqlite import SQLiteStore

    out: dict[str, object] = {"articles": n}
    with tempfile.TemporaryDirectory(prefix="samestory-list-") as folder:
        db = str(Path(folder) / "list.db")
        start = datetime(2024, 1, 1, tzinfo=UTC)
        with SQLiteStore(db) as store:
            for i in range(n):
                article = Article(
                    id=f"a{i}",
                    text=f"text {i}",
                    title=f"Headline {i} about topic {i % 500}",
                    url=f"https://s{i % 300}.example/{i}",
                    source=f"s{i % 300}.example",
                    language="en",
                    published=start + timedelta(minutes=7 * i),
                )
                store.add(article, None if i % 3 == 0 else i + 1 - i % 3)
            store.commit()
        service = Service(db, writable=False)
        try:
            for name, query in (
                ("cold", ""),
                ("warm", ""),
                ("search", "topic 42"),
                ("search_source", "s12.example"),
            ):
                started = time.perf_counter()
                found = service.stories(query, None, None)
                out[f"{name}_ms"] = round(1000 * (time.perf_counter() - started), 1)
                out[f"{name}_stories"] = len(found)
            started = time.perf_counter()
            service.stored(f"a{n // 2}")
            out["article_ms"] = round(1000 * (time.perf_counter() - started), 1)
        finally:
            service.close()
        # What a writing server does instead after a batch: read the stories it touched (25 here, spread over
        # the list) and put them in place in the list it keeps.
        with SQLiteStore(db) as store:
            whole = store.stories()
            kept = Listing.of(whole, -1)
            touched = [s.id for s in whole[:: max(1, len(whole) // 25)]][:25]
            started = time.perf_counter()
            kept = kept.updated(touched, store.stories(ids=touched))
            out["writer_update_25_ms"] = round(1000 * (time.perf_counter() - started), 1)
            if [summary for summary, _ in kept.entries] != whole:
                raise SystemExit("the list updated by the writer differs from the list read whole")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--json", default=None, help="also write the figures to this file")
    parser.add_argument("--batch", type=int, default=0, help="articles a POST (a JSON array); 0: one object")
    parser.add_argument("--workers", type=int, default=None, help="serve --workers (default: serve's)")
    parser.add_argument("--readers", type=int, default=0, help="clients that only GET /stories, every 0.1 s")
    parser.add_argument("--dump", default=None, metavar="PATH",
                        help="instead: write the articles the clients would post to a JSONL file (for `ingest`)")
    parser.add_argument(
        "--list",
        type=int,
        default=0,
        metavar="N",
        help="instead: time the story list on a synthetic store of N articles",
    )
    args = parser.parse_args()
    if args.list:
        print(json.dumps(listing(args.list), indent=2))
        return 0
    if not PAIRS.exists():
        raise SystemExit(f"{PAIRS} is missing: the load test posts those texts")
    per_client = 200 if not args.batch else max(200, 4 * args.batch)
    pool = articles(args.clients * per_client)
    # One article of each language first, out of the clients' shares: the models of every language (spaCy's
    # French tokenizer alone takes ~10 s to build) are loaded before the clock starts.
    first_of = {str(body["language"]): i for i, body in reversed(list(enumerate(pool)))}
    warmup = [pool[i] for i in sorted(first_of.values())]
    pool = [body for i, body in enumerate(pool) if i not in set(first_of.values())]
    if args.dump:
        Path(args.dump).write_text("".join(json.dumps(b, ensure_ascii=False) + "\n" for b in warmup + pool))
        return 0
    shares = [pool[i :: args.clients] for i in range(args.clients)]
    results = Results()
    with tempfile.TemporaryDirectory(prefix="samestory-load-") as folder:
        db = Path(folder) / "load.db"
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = start_server(db, port, args.workers)
        try:
            warm = httpx.post(
                f"{base}/articles", json=warmup, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=600
            )
            for one in warm.json()["articles"]:
                if one["added"]:
                    results.acknowledged[one["id"]] = one["story_id"]
            started = time.monotonic()
            stop_at = started + args.seconds
            threads = [
                threading.Thread(
                    target=client, args=(n, base, shares[n][: per_client - 1], stop_at, results, args.batch)
                )
                for n in range(args.clients)
            ]
            threads += [
                threading.Thread(target=reader, args=(n, base, stop_at, results)) for n in range(args.readers)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.monotonic() - started
            with httpx.Client(base_url=base, timeout=60) as http:
                unreadable = [
                    i for i in results.acknowledged if http.get(f"/articles/{i}").status_code != 200
                ]
        finally:
            stop_server(server)
        # A restart on the same store: everything acknowledged is still there, and nothing else.
        server = start_server(db, port)
        try:
            with httpx.Client(base_url=base, timeout=60) as http:
                lost = [i for i in results.acknowledged if http.get(f"/articles/{i}").status_code != 200]
                total_stories = http.get("/stories", params={"limit": 1}).json()["total"]
                stored = sum(
                    s["size"]
                    for offset in range(0, total_stories, 200)
                    for s in http.get("/stories", params={"limit": 200, "offset": offset}).json()["stories"]
                )
        finally:
            stop_server(server)
    requests = sum(len(v) for v in results.latency.values())
    report = {
        "clients": args.clients,
        "batch": args.batch,
        "readers": args.readers,
        "workers": args.workers,
        "seconds": round(elapsed, 1),
        "requests": requests,
        "requests_per_s": round(requests / elapsed, 1),
        "articles_acknowledged": len(results.acknowledged),
        "articles_per_s": round(len(results.acknowledged) / elapsed, 2),
        # Clients that posted all their texts before the time was up, and the first of them when (seconds):
        # with many, the end of the run was short of writers (the texts are 1,940: more is a lower bound).
        "clients_out_of_texts": len(results.out_of_texts),
        "first_out_of_texts_s": round(min(results.out_of_texts) - started, 1) if results.out_of_texts else None,
        "articles_stored_after_restart": stored,
        "stories": total_stories,
        "unreadable_before_restart": len(unreadable),
        "lost_after_restart": len(lost),
        "failures": results.failures[:20],
        "statuses": {k: dict(v) for k, v in results.status.items()},
        "latency": {k: percentiles(v) for k, v in results.latency.items()},
    }
    print(json.dumps(report, indent=2))
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    ok = not unreadable and not lost and not results.failures and stored == len(results.acknowledged)
    print("OK: no article lost" if ok else "FAILED: see unreadable / lost / failures above", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
