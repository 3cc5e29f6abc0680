"""Load bench for the live canvas: editors drag items while viewers follow, against a running server.

Not part of `make test`. Needs aiohttp (`.venv/bin/pip install aiohttp`). See bench/README.md.

    .venv/bin/python bench/canvas.py --serve                                  # starts its own server
    .venv/bin/python bench/canvas.py --url http://127.0.0.1:5000              # against `make run`

Without --serve the bench creates its canvas and accounts by importing the app, so it must see the
server's database: run it from the same checkout with the same DATABASE_URL (and TAVLAN_INSTANCE).

1. a free custom canvas of parts, a member account per editor and one for the viewers;
2. --viewers streams follow `canvas:<id>`;
3. --editors editors each move their own part --rate times a second for --seconds (each waits
   for the answer before its next move: a drag is one request), with htmx's headers, as a browser;
   people are not in step, so editor n starts n/E of an interval after the first (evenly spread);
   --lockstep starts them all at once, so that 20 moves arrive together every interval (worst case);
4. per move: the answer's latency, and the time until every viewer's stream showed that move or a
   later one of the same item (a stream that falls behind gets bursts collapsed per item);
5. moves stored in canvas_move are counted: lost = acknowledged - stored.

The last line is one JSON object: {"sent", "stored", "lost", "p95_move_ms", "p95_visible_ms"}.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import feedback as bench  # noqa: E402  (bench/feedback.py: serve(), make_app(), log, pct)

aiohttp = bench.aiohttp
if aiohttp is None and __name__ == "__main__":
    sys.exit("bench/canvas.py needs aiohttp: .venv/bin/pip install aiohttp")

PASSWORD = "bench canvas password"
CSRF = re.compile(r'"X-CSRFToken": "([^"]+)"')
ITEM = re.compile(r'id="it-(p\d+)"[^>]*?data-x="([^"]+)" data-y="([^"]+)"')
HX = {"HX-Request": "true", "HX-Request-Type": "partial"}


def spot(i: int) -> tuple[float, float]:
    """The i-th move's place: unique per move of one item, so a viewer can tell which move it saw."""
    return round(0.05 + 0.001 * (i % 900), 4), round(0.1 + 0.001 * (i // 900), 4)


def create_fixture(app, editors: int) -> dict:
    """A free canvas of parts, editor accounts and a viewer account (cheap password hashes)."""
    from board.auth import service as accounts
    from board.canvas import service
    from board.canvas.items import items_of
    from board.extensions import db

    with app.app_context(), app.test_request_context():
        app.config["PASSWORD_HASH_METHOD"] = "pbkdf2:sha256:1000"
        stamp = str(int(time.time() * 1000))
        canvas = service.create_canvas("custom", f"Bench {stamp}", layout={
            "mode": "free", "x": ["Vänster", "Höger"], "y": ["Ned", "Upp"], "items": "parts"})
        keys = [item.key for item in items_of(canvas)]
        if len(keys) < editors:
            raise SystemExit(f"only {len(keys)} parts in the portfolio for {editors} editors")
        users = [accounts.create_user(f"editor{n}-{stamp}@bench.example", PASSWORD, name=f"Editor {n}").email
                 for n in range(editors)]
        viewer = accounts.create_user(f"viewer-{stamp}@bench.example", PASSWORD, name="Viewer").email
        result = {"canvas": canvas.id, "keys": keys[:editors], "editors": users, "viewer": viewer}
        db.session.remove()
        return result


def count_stored(app, canvas_id: int) -> int:
    from sqlalchemy import func, select

    from board.canvas.models import Move
    from board.extensions import db

    with app.app_context():
        n = db.session.scalar(select(func.count(Move.id)).where(Move.canvas_id == canvas_id))
        db.session.remove()
        return n


async def login(http, url: str, email: str) -> str:
    """Log in; return the CSRF token pages carry for htmx requests."""
    async with http.get(url + "/login") as r:
        token = CSRF.search(await r.text()).group(1)
    async with http.post(url + "/login", data={"email": email, "password": PASSWORD, "csrf_token": token},
                         allow_redirects=False) as r:
        if r.status != 303:
            raise RuntimeError(f"login failed for {email}: {r.status}")
    async with http.get(url + "/canvases") as r:
        return CSRF.search(await r.text()).group(1)


class Run:
    def __init__(self, keys: list[str], viewers: int):
        self.sent: dict[str, list[float]] = {k: [] for k in keys}   # item -> send time per move index
        self.acked = 0
        self.failed = 0
        self.move_latency: list[float] = []
        self.seen: list[dict[str, int]] = [dict() for _ in range(viewers)]  # viewer -> item -> newest move
        self.visible: dict[tuple[str, int], float] = {}          # (item, move) -> last viewer's arrival
        self.counts: dict[tuple[str, int], int] = {}
        self.index: dict[str, dict[tuple[float, float], int]] = {k: {} for k in keys}
        self.viewers = viewers
        self.connected = 0


async def viewer(n: int, http, url: str, canvas_id: int, run: Run, stop: asyncio.Event) -> None:
    async with http.get(f"{url}/live/canvas:{canvas_id}", headers={"Accept": "text/event-stream"},
                        timeout=aiohttp.ClientTimeout(total=None, sock_read=None)) as r:
        run.connected += 1
        buffer = b""
        async for chunk in r.content.iter_any():
            now = time.perf_counter()
            buffer += chunk
            while b"\n\n" in buffer:
                message, buffer = buffer.split(b"\n\n", 1)
                text = message.decode(errors="replace")
                for key, x, y in ITEM.findall(text):
                    index = run.index.get(key, {}).get((round(float(x), 4), round(float(y), 4)))
                    if index is None:
                        continue
                    before = run.seen[n].get(key, -1)
                    if index <= before:
                        continue
                    run.seen[n][key] = index
                    for i in range(before + 1, index + 1):  # a later move also shows the earlier ones done
                        count = run.counts.get((key, i), 0) + 1
                        run.counts[(key, i)] = count
                        if count == run.viewers:
                            run.visible[(key, i)] = now
            if stop.is_set():
                return


async def editor(http, url: str, canvas_id: int, key: str, token: str, rate: float, seconds: float,
                 run: Run, phase: float = 0.0) -> None:
    interval = 1 / rate
    start = time.perf_counter() + phase * interval
    i = 0
    while True:
        due = start + i * interval
        if due - start >= seconds:
            return
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        x, y = spot(i)
        run.index[key][(x, y)] = i
        t0 = time.perf_counter()
        run.sent[key].append(t0)
        try:
            async with http.post(f"{url}/canvases/{canvas_id}/move", headers={**HX, "X-CSRFToken": token},
                                 data={"item": key, "target": "point", "x": str(x), "y": str(y)}) as r:
                await r.read()
                if r.status == 200:
                    run.acked += 1
                    run.move_latency.append(time.perf_counter() - t0)
                else:
                    run.failed += 1
        except aiohttp.ClientError:
            run.failed += 1
        i += 1


async def main_async(args, url: str, fixture: dict) -> Run:
    run = Run(fixture["keys"], args.viewers)
    stop = asyncio.Event()
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=bench.REQUEST_TIMEOUT)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout,
                                     cookie_jar=aiohttp.CookieJar(unsafe=True)) as viewer_http:
        await login(viewer_http, url, fixture["viewer"])
        viewers = [asyncio.create_task(viewer(n, viewer_http, url, fixture["canvas"], run, stop))
                   for n in range(args.viewers)]
        while run.connected < args.viewers:
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)
        sessions = [aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0), timeout=timeout,
                                          cookie_jar=aiohttp.CookieJar(unsafe=True))
                    for _ in fixture["editors"]]
        try:
            tokens = await asyncio.gather(*(login(s, url, e) for s, e in zip(sessions, fixture["editors"])))
            bench.log(f"{args.viewers} viewers following canvas {fixture['canvas']}; {len(sessions)} editors moving")
            n = len(sessions)
            await asyncio.gather(*(editor(s, url, fixture["canvas"], key, token, args.rate, args.seconds, run,
                                          0.0 if args.lockstep else k / n)
                                   for k, (s, key, token) in enumerate(zip(sessions, fixture["keys"], tokens))))
            await asyncio.sleep(2)  # the last moves reach the streams
        finally:
            for s in sessions:
                await s.close()
        stop.set()
        for task in viewers:
            task.cancel()
        await asyncio.gather(*viewers, return_exceptions=True)
    return run


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", help="a running Tavlan (same DATABASE_URL in this environment)")
    parser.add_argument("--workers", type=int, default=1,
                        help="with --serve: gunicorn workers; over 1 needs DATABASE_URL (PostgreSQL) and REDIS_URL")
    parser.add_argument("--serve", action="store_true", help="start a server as `make run` does")
    parser.add_argument("--editors", type=int, default=20)
    parser.add_argument("--viewers", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--rate", type=float, default=5, help="moves per second per editor")
    parser.add_argument("--lockstep", action="store_true",
                        help="all editors move at the same instants (default: spread evenly over an interval)")
    args = parser.parse_args(argv)
    if not args.url and not args.serve:
        parser.error("give --url or --serve")
    return args


def report(args, run: Run, stored: int, elapsed: float) -> dict:
    sent = sum(len(v) for v in run.sent.values())
    visible = [run.visible[(k, i)] - t for k, times in run.sent.items() for i, t in enumerate(times)
               if (k, i) in run.visible]
    bench.log(f"moves: {sent} sent, {run.acked} acknowledged, {run.failed} failed, {stored} stored, "
              f"{sent and round(sent / elapsed)} per second")
    bench.log(f"move latency ms: p50 {bench.pct(run.move_latency, 50)}, p95 {bench.pct(run.move_latency, 95)}, "
              f"max {bench.pct(run.move_latency, 100)}")
    bench.log(f"visible to all {args.viewers} viewers: {len(visible)} of {sent} moves; ms p50 "
              f"{bench.pct(visible, 50)}, p95 {bench.pct(visible, 95)}, max {bench.pct(visible, 100)}")
    return {"sent": sent, "stored": stored, "lost": run.acked - stored,
            "p95_move_ms": bench.pct(run.move_latency, 95), "p95_visible_ms": bench.pct(visible, 95)}


def main(argv=None) -> None:
    args = parse_args(argv)
    bench.raise_nofile()
    bench.quiet_gc()

    def go(url: str) -> dict:
        app = bench.make_app()
        fixture = create_fixture(app, args.editors)
        started = time.perf_counter()
        run = asyncio.run(main_async(args, url, fixture))
        return report(args, run, count_stored(app, fixture["canvas"]), time.perf_counter() - started)

    if args.serve:
        with bench.serve(workers=args.workers) as (url, _pid):
            result = go(url)
    else:
        result = go(args.url.rstrip("/"))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
