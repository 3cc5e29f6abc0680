"""Flood bench: hostile bodies from one address, and how long /healthz takes meanwhile.

Not part of `make test`. Only the standard library (no aiohttp). See bench/README.md.

    .venv/bin/python bench/flood.py                 # every variant, 3 senders for 10 s each
    .venv/bin/python bench/flood.py --variant lang --seconds 10 --senders 3

It starts Tavlan as `make run` does (bench/feedback.py `serve`: migrate, seed, gunicorn with one
gevent worker; per-address rate-limit ceilings lifted, so every request of the flood reaches the
body guards: the worst case). Then, per variant, --senders threads each send one hostile POST
after another (a new connection each, `Connection: close`) for --seconds, while a probe asks
GET /healthz every 20 ms on its own connection. Variants:

- baseline: no flood, the probe alone;
- lang: `a&` x 950,000 (1.9 MB, url-encoded) to POST /lang/sv: the finding of issue 13;
- big: the same 1.9 MB body to other POST endpoints anyone can reach (login, an answer, a wall
  note, a canvas move, an accessibility report), in turn;
- fields: bodies just under each endpoint's body limit, made of empty fields (`a&` x 2,000 to
  /lang/sv, x 16,000 to /login and an answer): many fields, few bytes.

Per variant it prints the /healthz p50/p95/max in ms, the probes answered, and the flood's
requests by status. The last line is one JSON object: {variant: {p50_ms, p95_ms, ...}}.
The target (issue 13): /healthz p95 under 200 ms while any variant runs.
"""
from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
from feedback import log, pct, serve  # noqa: E402  (bench/feedback.py: the server every bench shares)

BIG = b"a&" * 950_000
VARIANTS = ("baseline", "lang", "big", "fields")


def targets(variant: str, code: str) -> list[tuple[str, bytes]]:
    if variant == "lang":
        return [("/lang/sv", BIG)]
    if variant == "big":
        return [(url, BIG) for url in ("/login", f"/j/{code}/items/1", "/walls/1/notes", "/canvases/1/move",
                                       "/tillganglighet")]
    if variant == "fields":
        return [("/lang/sv", b"a&" * 2_000), ("/login", b"a&" * 16_000), (f"/j/{code}/items/1", b"a&" * 16_000)]
    return []


def send(host: str, port: int, path: str, body: bytes) -> int | str:
    conn = http.client.HTTPConnection(host, port, timeout=30)
    try:
        conn.putrequest("POST", path)
        conn.putheader("Content-Type", "application/x-www-form-urlencoded")
        conn.putheader("Content-Length", str(len(body)))
        conn.putheader("Connection", "close")
        conn.endheaders()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            conn.send(body)  # the server may answer (and close) before the body is through
        response = conn.getresponse()
        response.read()
        return response.status
    except OSError as error:
        return type(error).__name__
    finally:
        conn.close()


def run(url: str, variant: str, senders: int, seconds: float, code: str) -> dict:
    parts = urlsplit(url)
    host, port = parts.hostname, parts.port
    stop = threading.Event()
    statuses: dict[str, int] = {}
    lock = threading.Lock()
    plan = targets(variant, code)

    def flood(n: int) -> None:
        i = n
        while not stop.is_set():
            path, body = plan[i % len(plan)]
            i += 1
            status = str(send(host, port, path, body))
            with lock:
                statuses[status] = statuses.get(status, 0) + 1

    threads = [threading.Thread(target=flood, args=(n,), daemon=True) for n in range(senders if plan else 0)]
    for thread in threads:
        thread.start()
    latencies, failed = [], 0
    probe = http.client.HTTPConnection(host, port, timeout=30)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        started = time.perf_counter()
        try:
            probe.request("GET", "/healthz")
            probe.getresponse().read()
            latencies.append(time.perf_counter() - started)
        except OSError:
            failed += 1
            probe.close()
            probe = http.client.HTTPConnection(host, port, timeout=30)
        time.sleep(0.02)
    stop.set()
    for thread in threads:
        thread.join(60)
    probe.close()
    result = {"p50_ms": pct(latencies, 50), "p95_ms": pct(latencies, 95),
              "max_ms": round(max(latencies) * 1000, 1) if latencies else None,
              "probes": len(latencies), "probes_failed": failed, "flood": statuses}
    log(f"{variant:9s} /healthz p50 {result['p50_ms']} ms  p95 {result['p95_ms']} ms  max {result['max_ms']} ms"
        f"  ({len(latencies)} probes)  flood: {statuses}")
    return result


def session_code() -> str:
    """A join code of the demo data (`seed-demo`), read from the server's database."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from sqlalchemy import select

    from board import create_app
    from board.extensions import db
    from board.feedback.models import FeedbackSession

    app = create_app()
    with app.app_context():
        return db.session.scalar(select(FeedbackSession.code).where(FeedbackSession.code.is_not(None))) or "ABCDEF"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variant", choices=VARIANTS, action="append", help="default: all, in order")
    parser.add_argument("--senders", type=int, default=3, help="hostile requests in flight at once (3)")
    parser.add_argument("--seconds", type=float, default=10.0, help="per variant (10)")
    args = parser.parse_args(argv)
    results = {}
    with serve() as (url, _pid):
        code = session_code()
        for variant in args.variant or VARIANTS:
            results[variant] = run(url, variant, args.senders, args.seconds, code)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
