"""Load bench for a wall: V viewers follow one wall live while P posters put up notes for S seconds.

Not part of `make test`. Needs aiohttp (`.venv/bin/pip install aiohttp`). See bench/README.md.

    .venv/bin/python bench/wall.py --serve --viewers 300 --posters 50 --seconds 60   # its own server
    .venv/bin/python bench/wall.py --url http://127.0.0.1:5000                        # against `make run`

Without --serve the bench creates its wall by importing the app, so it must see the server's
database: run it with the server's DATABASE_URL (and TAVLAN_INSTANCE) in its environment.

1. a fresh wall is opened with its own code; every viewer and poster enters with /w/CODE (no
   account, as phones in a meeting do), and each viewer follows `wall:<id>`;
2. each poster puts up a note every --interval seconds (first one at a random moment in the
   first interval), each with a unique marker; post latency is the time to its 200;
3. each live event is an id and either one note's fragment (a new note, a reaction, a reply) or
   the whole board (a snapshot, a restructuring change); the bench reads the markers in an event
   once (all viewers get the same event) and notes when each viewer received it. A note is visible
   to all at the latest of the viewers' first event that contains it;
4. stored = the wall's notes with a marker in the database; lost = acknowledged notes that are not
   stored or that some viewer never saw (waiting --grace seconds after the last post).

The last line of output is one JSON object (see RESULT_KEYS); the lines before it are details.
"""
from __future__ import annotations

import argparse
import asyncio
import bisect
import json
import random
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from feedback import (  # noqa: E402  (bench/feedback.py: the server and helpers every bench shares)
    CSRF_HEADER,
    REQUEST_TIMEOUT,
    aiohttp,
    cookie_header,
    follow,
    log,
    make_app,
    pct,
    quiet_gc,
    raise_nofile,
    serve,
)

RESULT_KEYS = ("posted", "stored", "lost", "p95_post_ms", "p95_visible_ms")
MARKER = re.compile(rb"wb-(\d+)-(\d+)-x")
EVENT_ID = re.compile(rb"^id: (\d+)", re.M)


def create_wall(app, url: str) -> tuple[int, str]:
    """A free wall opened with its own code."""
    from board.walls import service

    with app.test_request_context(base_url=url):
        wall = service.create_wall(f"Bench {time.strftime('%H:%M:%S')}", ["Bench"])
        return wall.id, service.open_with_code(wall)


def count_stored(app, wall_id: int) -> set[bytes]:
    from sqlalchemy import select

    from board.extensions import db
    from board.walls.models import Note

    with app.app_context():
        db.session.remove()
        texts = db.session.scalars(select(Note.text).where(Note.wall_id == wall_id, Note.deleted_at.is_(None)))
        return {m.group(0) for t in texts if (m := MARKER.search(t.encode()))}


def delete_wall(app, wall_id: int) -> None:
    from board.extensions import db
    from board.walls.models import Wall

    with app.app_context():
        db.session.delete(db.session.get(Wall, wall_id))
        db.session.commit()


class Bench:
    def __init__(self, url: str, wall_id: int, code: str, args):
        self.url, self.wall_id, self.code, self.args = url, wall_id, code, args
        self.first_event: dict[bytes, int] = {}   # marker -> first event id that held it
        self.parsed: set[int] = set()              # event ids already read for markers
        self.received: list[list[tuple[int, float]]] = [[] for _ in range(args.viewers)]
        self.acked: dict[bytes, float] = {}       # marker -> time its post was acknowledged
        self.sent: dict[bytes, float] = {}
        self.post_latency: list[float] = []
        self.failed = 0
        self.connected = 0

    async def enter(self, http) -> dict:
        jar: dict = {}
        async with http.get(f"{self.url}/w/{self.code}", allow_redirects=False) as r:
            cookie_header(r, jar)
        return jar

    def on_event(self, viewer: int, message: bytes, now: float) -> None:
        match = EVENT_ID.search(message)
        if match is None or b"data:" not in message:
            return
        event = int(match.group(1))
        self.received[viewer].append((event, now))
        if event not in self.parsed:  # the same board for everyone: read it once
            self.parsed.add(event)
            for marker in MARKER.finditer(message):
                key = marker.group(0)
                if key not in self.first_event or event < self.first_event[key]:
                    self.first_event[key] = event

    async def viewer(self, http, n: int, stop: asyncio.Event) -> None:
        jar = await self.enter(http)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in jar.items()), "Accept": "text/event-stream"}
        async with http.get(f"{self.url}/live/wall:{self.wall_id}", headers=headers,
                            timeout=aiohttp.ClientTimeout(total=None, sock_read=None)) as response:
            if response.status != 200:
                raise RuntimeError(f"viewer {n}: stream answered {response.status}")
            self.connected += 1
            reader = asyncio.ensure_future(follow(response, lambda m, t: self.on_event(n, m, t)))
            await stop.wait()
            reader.cancel()

    async def poster(self, http, n: int, until: float) -> None:
        jar = await self.enter(http)
        cookie = "; ".join(f"{k}={v}" for k, v in jar.items())
        async with http.get(f"{self.url}/walls/{self.wall_id}", headers={"Cookie": cookie}) as r:
            cookie = cookie_header(r, jar)
            token = CSRF_HEADER.search(await r.read()).group(1).decode()
        headers = {"Cookie": cookie, "X-CSRFToken": token, "HX-Request": "true", "HX-Request-Type": "partial"}
        await asyncio.sleep(random.uniform(0, self.args.interval))
        seq = 0
        while time.perf_counter() < until:
            seq += 1
            marker = f"wb-{n}-{seq}-x"
            started = time.perf_counter()
            self.sent[marker.encode()] = started
            try:
                async with http.post(f"{self.url}/walls/{self.wall_id}/notes", headers=headers,
                                     data={"text": f"{marker} en lapp från bänken", "colour": "gul"}) as r:
                    await r.read()
                    ok = r.status == 200
            except (aiohttp.ClientError, asyncio.TimeoutError):
                ok = False
            done = time.perf_counter()
            if ok:
                self.acked[marker.encode()] = done
                self.post_latency.append(done - started)
            else:
                self.failed += 1
            await asyncio.sleep(max(0.0, self.args.interval - (done - started)))

    def visible_times(self) -> tuple[list[float], set[bytes]]:
        """Per acknowledged note: seconds from its post until the last viewer had it; and the notes
        some viewer never received."""
        times, unseen = [], set()
        ids = [[event for event, _t in got] for got in self.received]
        for marker in self.acked:
            first = self.first_event.get(marker)
            if first is None:
                unseen.add(marker)
                continue
            latest = 0.0
            for viewer, got in enumerate(self.received):
                i = bisect.bisect_left(ids[viewer], first)
                if i == len(got):
                    latest = None
                    break
                latest = max(latest, got[i][1])
            if latest is None:
                unseen.add(marker)
            else:
                times.append(max(0.0, latest - self.sent[marker]))
        return times, unseen

    async def run(self) -> None:
        connector = aiohttp.TCPConnector(limit=0, force_close=False)
        timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT)
        stop = asyncio.Event()
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
            viewers = [asyncio.ensure_future(self.viewer(http, n, stop)) for n in range(self.args.viewers)]
            for _ in range(600):
                if self.connected == self.args.viewers or any(v.done() for v in viewers):
                    break
                await asyncio.sleep(0.05)
            for v in viewers:
                if v.done() and v.exception():
                    raise v.exception()
            log(f"{self.connected} viewers connected")
            until = time.perf_counter() + self.args.seconds
            await asyncio.gather(*(self.poster(http, n, until) for n in range(self.args.posters)))
            log(f"posting done: {len(self.acked)} acknowledged, {self.failed} failed")
            deadline = time.perf_counter() + self.args.grace
            while time.perf_counter() < deadline and self.visible_times()[1]:
                await asyncio.sleep(0.25)
            stop.set()
            await asyncio.gather(*viewers, return_exceptions=True)


async def main_async(args, url: str) -> dict:
    app = make_app()
    wall_id, code = create_wall(app, url)
    log(f"wall {wall_id} (code {code}): {args.viewers} viewers, {args.posters} posters, {args.seconds} s, "
        f"a note per poster every {args.interval} s")
    bench = Bench(url, wall_id, code, args)
    try:
        await bench.run()
    finally:
        stored = count_stored(app, wall_id)
        if not args.keep:
            try:
                delete_wall(app, wall_id)
            except Exception as exc:  # noqa: BLE001 - the figures matter more than the cleanup
                log(f"could not delete the bench wall {wall_id}: {exc!r}")
    visible, unseen = bench.visible_times()
    missing = {marker for marker in bench.acked if marker not in stored}
    log(f"not stored: {len(missing)}; not seen by every viewer: {len(unseen)}; events: {len(bench.parsed)}; "
        f"p50 post {pct(bench.post_latency, 50)} ms; p50 visible {pct(visible, 50)} ms")
    lost = len(missing | unseen)
    return {"posted": len(bench.acked), "stored": len(stored), "lost": lost,
            "p95_post_ms": pct(bench.post_latency, 95), "p95_visible_ms": pct(visible, 95)}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:5000", help="the running server (ignored with --serve)")
    parser.add_argument("--viewers", type=int, default=300)
    parser.add_argument("--posters", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--interval", type=float, default=10.0, help="seconds between one poster's notes")
    parser.add_argument("--grace", type=float, default=10.0, help="seconds to wait for the last notes to reach everyone")
    parser.add_argument("--workers", type=int, default=1,
                        help="with --serve: gunicorn workers; over 1 needs DATABASE_URL (PostgreSQL) and REDIS_URL")
    parser.add_argument("--serve", action="store_true",
                        help="start a server like `make run` (temporary SQLite unless DATABASE_URL is set)")
    parser.add_argument("--keep", action="store_true", help="keep the bench's wall")
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    quiet_gc()
    raise_nofile()
    if args.serve:
        with serve(workers=args.workers) as (url, _master):
            result = asyncio.run(main_async(args, url))
    else:
        result = asyncio.run(main_async(args, args.url.rstrip("/")))
    print(json.dumps({key: result[key] for key in RESULT_KEYS}), flush=True)


if __name__ == "__main__":
    main()
