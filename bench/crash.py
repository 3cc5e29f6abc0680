"""Crash bench: a burst of answers and wall posts, the server killed with SIGKILL in the middle of it.

Not part of `make test`. Needs aiohttp (`.venv/bin/pip install aiohttp`). See bench/README.md.

    .venv/bin/python bench/crash.py                          # SQLite + memory broker, 1 worker (make run)
    .venv/bin/python bench/crash.py --postgres --redis -w 2  # throwaway PostgreSQL + Redis, 2 workers

--postgres / --redis start a throwaway server with scripts/test-services.sh (or give a URL:
--postgres postgresql+psycopg://..., --redis redis://...). What it does, in order:

1. starts Tavlan as `make run` does (migrate, seed, gunicorn -c python:board.serving -k gevent) on
   a free port; a feedback session shows one open question, and a wall is opened with a code;
2. N participants join (GET /j/CODE) and follow `join:<id>`; P posters enter the wall (/w/CODE) and
   follow `wall:<id>`. Every stream reconnects as hx-sse does (0.5 s doubling to 60 s, +-30 %
   jitter, with Last-Event-ID);
3. the burst: every participant answers once (participant p after p/N x --spread s) and every poster
   puts up --notes notes, each text unique. At --kill-at s into the burst the gunicorn master and
   its workers get SIGKILL, and the server is started again on the same port and database;
4. clients do what a browser does: a request that got no answer (connection refused or reset, a
   timeout, a 502/503/504) is sent again after a short backoff; an acknowledged one is never resent;
5. acked = answers and notes that got their 200; stored = those texts in the database; lost =
   acknowledged but not stored (must be 0). recover = per connected client, the time from the kill
   until its stream is back and shows the current state (a snapshot with the question on screen or
   the wall, or, with Redis, a replay from its Last-Event-ID that left nothing out).

The last line of output is one JSON object (see RESULT_KEYS); the lines before it are details.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from feedback import (  # noqa: E402  (bench/feedback.py: the server and helpers every bench shares)
    BIN,
    CSRF_HEADER,
    P_TITLE,
    ROOT,
    _flask,
    aiohttp,
    cookie_header,
    free_port,
    log,
    make_app,
    pct,
    quiet_gc,
    raise_nofile,
)

RESULT_KEYS = ("acked", "stored", "lost", "p95_recover_ms")
TITLE = "Krasch: vad tar du med dig?"
ANSWER = re.compile(r"^ca-(\d+)-x$")
NOTE = re.compile(r"cn-(\d+)-(\d+)-x")
EVENT_ID = re.compile(rb"^id: (\d+)", re.M)
RETRY_STATUS = {502, 503, 504}


# --- a server like `make run`, which can be killed and started again -------------------------

class Services:
    """Throwaway PostgreSQL and/or Redis from scripts/test-services.sh, stopped at the end."""

    def __init__(self) -> None:
        self.dir: str | None = None
        self.env: dict[str, str] = {}

    def start(self) -> dict[str, str]:
        self.dir = tempfile.mkdtemp(prefix="tavlan-crash.", dir="/tmp")
        subprocess.run([str(ROOT / "scripts" / "test-services.sh"), "start", self.dir], check=True,
                       stdout=sys.stderr)
        for line in Path(self.dir, "env").read_text().splitlines():
            if line.startswith("export "):
                name, _eq, value = line[len("export "):].partition("=")
                self.env[name] = value
        return self.env

    def stop(self) -> None:
        if self.dir:
            subprocess.run([str(ROOT / "scripts" / "test-services.sh"), "stop", self.dir], stdout=sys.stderr)
            self.dir = None


class Server:
    """gunicorn as in bench/feedback.py's serve(), on one port and database across restarts."""

    def __init__(self, workers: int, database_url: str | None, redis_url: str | None) -> None:
        self.home = Path(tempfile.mkdtemp(prefix="tavlan-crash-"))
        self.env = {**os.environ, "TAVLAN_INSTANCE": str(self.home), "SECRET_KEY": secrets.token_hex(32),
                    "DATABASE_URL": database_url or f"sqlite:///{self.home}/tavlan.db"}
        self.env.pop("REDIS_URL", None)
        if redis_url:
            self.env["REDIS_URL"] = redis_url
        for name in ("DATABASE_URL", "TAVLAN_INSTANCE", "SECRET_KEY"):
            os.environ[name] = self.env[name]  # create_app() in this process sees the same database
        if redis_url:
            os.environ["REDIS_URL"] = redis_url
        else:
            os.environ.pop("REDIS_URL", None)
        self.workers = workers
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        self.starts = 0
        _flask(self.env, "db", "upgrade")
        _flask(self.env, "seed-demo")

    def start(self) -> float:
        """Start gunicorn and wait until /healthz answers; return the seconds that took."""
        started = time.perf_counter()
        self.starts += 1
        log_file = open(self.home / "server.log", "a")
        self.process = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", "python:board.serving", "-k", "gevent", "-w", str(self.workers),
             "--worker-connections", "20000", "--graceful-timeout", "3", "--timeout", "60",
             "--no-control-socket", "-b", f"127.0.0.1:{self.port}", "wsgi:app"],
            cwd=ROOT, env=self.env, stdout=log_file, stderr=subprocess.STDOUT)
        log_file.close()
        while True:
            try:
                # A long timeout: while the worker boots, the connection waits in the listen
                # backlog, and a short one would count that wait as downtime several times over.
                with urllib.request.urlopen(self.url + "/healthz", timeout=10) as r:
                    if r.status == 200:
                        return time.perf_counter() - started
            except OSError:
                pass
            if self.process.poll() is not None:
                raise RuntimeError("server exited:\n" + (self.home / "server.log").read_text()[-3000:])
            if time.perf_counter() - started > 300:
                raise RuntimeError("server did not answer /healthz in 300 s")
            time.sleep(0.05)

    def pids(self) -> list[int]:
        master = self.process.pid
        try:
            children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        except OSError:
            children = []
        return [master, *map(int, children)]

    def kill(self) -> list[int]:
        """SIGKILL the master and every worker at once; return their pids."""
        pids = self.pids()
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.process.wait()
        return pids

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
        errors = [line for line in (self.home / "server.log").read_text().splitlines()
                  if "Traceback" in line or " ERROR " in line or "[ERROR]" in line]
        if errors:
            log(f"server log had {len(errors)} error line(s), first: {errors[0]}; "
                f"kept in {self.home / 'server.log'}")
            for path in self.home.glob("tavlan.db*"):
                path.unlink()
        else:
            shutil.rmtree(self.home, ignore_errors=True)


# --- what the bench creates and counts in the server's database ------------------------------

def create_fixture(app, url: str) -> dict:
    from board.feedback import service as feedback
    from board.walls import service as walls

    with app.test_request_context(base_url=url):
        session = feedback.create_session(f"Krasch {time.strftime('%H:%M:%S')}")
        item = feedback.save_item(session, {"kind": "open", "title": TITLE})
        feedback.go_to(session, item)
        wall = walls.create_wall(f"Krasch {time.strftime('%H:%M:%S')}", ["Krasch"])
        return {"session_id": session.id, "code": session.code, "item_id": item.id,
                "wall_id": wall.id, "wall_code": walls.open_with_code(wall)}


def stored_texts(app, fx: dict) -> tuple[set[int], set[tuple[int, int]]]:
    """The participants whose answer is stored, and the (poster, n) of the stored notes."""
    from sqlalchemy import select

    from board.extensions import db
    from board.feedback.models import Answer
    from board.walls.models import Note

    with app.app_context():
        db.session.remove()
        answers = {int(m.group(1)) for value in db.session.scalars(
            select(Answer.value).where(Answer.item_id == fx["item_id"]))
            if isinstance(value, str) and (m := ANSWER.match(value))}
        notes = {(int(m.group(1)), int(m.group(2))) for text in db.session.scalars(
            select(Note.text).where(Note.wall_id == fx["wall_id"])) if (m := NOTE.search(text))}
        db.session.remove()
        return answers, notes


def delete_fixture(app, fx: dict) -> None:
    from board.extensions import db
    from board.feedback.models import FeedbackSession
    from board.walls.models import Wall

    with app.test_request_context():
        session = db.session.get(FeedbackSession, fx["session_id"])
        session.current_item = None
        db.session.commit()
        db.session.delete(session)
        db.session.delete(db.session.get(Wall, fx["wall_id"]))
        db.session.commit()


# --- clients ---------------------------------------------------------------------------------

class Client:
    """One browser: its cookies and token, its stream, and when it showed the current state again."""

    def __init__(self, kind: str, n: int) -> None:
        self.kind, self.n = kind, n
        self.cookie = ""
        self.token = ""
        self.connected = False
        self.last_id: int | None = None
        self.recovered: float | None = None
        self.reconnects = 0
        self.seen_notes: set[tuple[int, int]] = set()


class Bench:
    def __init__(self, server: Server, fx: dict, args) -> None:
        self.server, self.fx, self.args = server, fx, args
        self.url = server.url
        self.participants = [Client("participant", p) for p in range(args.participants)]
        self.posters = [Client("poster", k) for k in range(args.posters)]
        self.acked_answers: set[int] = set()
        self.acked_notes: set[tuple[int, int]] = set()
        self.sent_notes: dict[tuple[int, int], int] = {}  # note -> times sent (a resend after a lost answer)
        self.failed: dict[str, int] = {}  # requests given up, by last status
        self.retries = 0
        self.kill_time: float | None = None
        self.back_time: float | None = None
        self.stop = asyncio.Event()

    # --- streams ---

    async def follow(self, http, client: Client, channel: str) -> None:
        """Follow a channel like hx-sse: reconnect with backoff and jitter, sending Last-Event-ID."""
        delay = 0.5
        while not self.stop.is_set():
            headers = {"Accept": "text/event-stream", "Cookie": client.cookie}
            sent_id = client.last_id
            if sent_id is not None:
                headers["Last-Event-ID"] = str(sent_id)
            after_kill = self.kill_time is not None
            try:
                async with http.get(f"{self.url}/live/{channel}", headers=headers,
                                    timeout=aiohttp.ClientTimeout(total=None, sock_connect=10, sock_read=60)) as r:
                    if r.status != 200:
                        raise RuntimeError(f"stream {r.status}")
                    delay = 0.5
                    client.connected = True
                    if after_kill:
                        client.reconnects += 1
                    buffer = b""
                    async for chunk in r.content.iter_any():
                        buffer += chunk
                        if b"\n\n" not in buffer:
                            continue
                        *messages, buffer = buffer.split(b"\n\n")
                        now = time.perf_counter()
                        for message in messages:
                            self.on_message(client, message, now, after_kill, sent_id)
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - the server went away: reconnect as a browser does
                pass
            client.connected = False
            if self.stop.is_set():
                break
            await asyncio.sleep(delay * random.uniform(0.7, 1.3))
            delay = min(delay * 2, 60.0)

    def on_message(self, client: Client, message: bytes, now: float, after_kill: bool, sent_id: int | None) -> None:
        match = EVENT_ID.search(message)
        has_data = b"\ndata: " in b"\n" + message
        if client.kind == "poster" and has_data:
            client.seen_notes.update((int(a), int(b)) for a, b in NOTE.findall(message.decode(errors="replace")))
        if match:
            event_id = int(match.group(1))
            client.last_id = event_id if client.last_id is None else max(client.last_id, event_id)
        if not after_kill or client.recovered is not None:
            return
        if match and not has_data and sent_id is not None and int(match.group(1)) == sent_id:
            # The server still knows the client's id (Redis): it replays what was missed right
            # after this, in the same write, so the screen is current from here.
            client.recovered = now
        elif has_data and (client.kind == "poster" or
                           (m := P_TITLE.search(message)) and m.group(1).decode() == TITLE):
            client.recovered = now  # a snapshot (or events) with the current state

    # --- requests ---

    async def send(self, http, client: Client, path: str, data: dict) -> bool:
        """POST like a browser whose user taps again until it is acknowledged; True once it is."""
        deadline = time.perf_counter() + self.args.request_deadline
        delay = 0.25
        status: object = None
        while time.perf_counter() < deadline:
            try:
                async with http.post(f"{self.url}{path}", data=data, timeout=aiohttp.ClientTimeout(total=30),
                                     headers={"Cookie": client.cookie, "X-CSRFToken": client.token,
                                              "HX-Request": "true", "HX-Request-Type": "partial"}) as r:
                    await r.read()
                    status = r.status
                if status == 200:
                    return True
                if status not in RETRY_STATUS:
                    break
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                status = type(exc).__name__
            self.retries += 1
            await asyncio.sleep(delay * random.uniform(0.7, 1.3))
            delay = min(delay * 2, 4.0)
        self.failed[str(status)] = self.failed.get(str(status), 0) + 1
        return False

    async def join(self, http, client: Client, limit: asyncio.Semaphore) -> None:
        jar: dict[str, str] = {}
        async with limit:
            if client.kind == "participant":
                async with http.get(f"{self.url}/j/{self.fx['code']}", allow_redirects=False) as r:
                    body = await r.read()
                    client.cookie = cookie_header(r, jar)
            else:
                async with http.get(f"{self.url}/w/{self.fx['wall_code']}", allow_redirects=False) as r:
                    client.cookie = cookie_header(r, jar)
                async with http.get(f"{self.url}/walls/{self.fx['wall_id']}", headers={"Cookie": client.cookie}) as r:
                    body = await r.read()
                    client.cookie = cookie_header(r, jar)
            client.token = CSRF_HEADER.search(body).group(1).decode()

    async def answer(self, http, client: Client, at: float) -> None:
        await asyncio.sleep(max(0.0, at - time.perf_counter()))
        if await self.send(http, client, f"/j/{self.fx['code']}/items/{self.fx['item_id']}",
                           {"text": f"ca-{client.n}-x"}):
            self.acked_answers.add(client.n)

    async def post(self, http, client: Client, j: int, at: float) -> None:
        await asyncio.sleep(max(0.0, at - time.perf_counter()))
        note = (client.n, j)
        if await self.send(http, client, f"/walls/{self.fx['wall_id']}/notes",
                           {"text": f"cn-{client.n}-{j}-x en lapp", "colour": "gul"}):
            self.acked_notes.add(note)

    async def crash(self, at: float) -> None:
        await asyncio.sleep(max(0.0, at - time.perf_counter()))
        self.kill_time = time.perf_counter()
        pids = self.server.kill()
        log(f"killed gunicorn (SIGKILL to {len(pids)} processes: master and workers) "
            f"{len(self.acked_answers)} answers and {len(self.acked_notes)} notes into the burst")
        boot = await asyncio.to_thread(self.server.start)
        self.back_time = time.perf_counter()
        log(f"started again on the same port: /healthz answered {boot:.1f} s after the start, "
            f"{self.back_time - self.kill_time:.1f} s after the kill")

    # --- the run ---

    async def run(self) -> None:
        args = self.args
        clients = self.participants + self.posters
        connector = aiohttp.TCPConnector(limit=0, keepalive_timeout=1.5)
        async with aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar(),
                                         timeout=aiohttp.ClientTimeout(total=None, sock_connect=30)) as http:
            limit = asyncio.Semaphore(args.join_concurrency)
            t = time.perf_counter()
            await asyncio.gather(*(self.join(http, c, limit) for c in clients))
            streams = [asyncio.ensure_future(self.follow(http, c, f"join:{self.fx['session_id']}"))
                       for c in self.participants]
            streams += [asyncio.ensure_future(self.follow(http, c, f"wall:{self.fx['wall_id']}"))
                        for c in self.posters]
            deadline = time.perf_counter() + 120 + len(clients) / 20
            while sum(c.connected for c in clients) < len(clients) and time.perf_counter() < deadline:
                await asyncio.sleep(0.1)
            connected = [c for c in clients if c.connected]
            log(f"{len(connected)} of {len(clients)} streams open ({len(self.participants)} participants, "
                f"{len(self.posters)} wall posters) after {time.perf_counter() - t:.1f} s")
            await asyncio.sleep(1)

            start = time.perf_counter()
            n, notes = len(self.participants), len(self.posters) * args.notes
            work = [self.answer(http, c, start + args.spread * c.n / max(1, n)) for c in self.participants]
            work += [self.post(http, c, j, start + args.spread * (j * len(self.posters) + c.n) / max(1, notes))
                     for c in self.posters for j in range(args.notes)]
            work.append(self.crash(start + args.kill_at))
            await asyncio.gather(*work)
            log(f"burst done in {time.perf_counter() - start:.1f} s: {len(self.acked_answers)} answers and "
                f"{len(self.acked_notes)} notes acknowledged; {self.retries} resends; given up: {self.failed or 0}")

            # Wait until every client that was connected before the kill shows the current state.
            deadline = time.perf_counter() + args.recover_timeout
            while time.perf_counter() < deadline and any(c.recovered is None for c in connected):
                await asyncio.sleep(0.1)
            await asyncio.sleep(args.grace)  # the last notes' events reach the wall's screens
            self.stop.set()
            for s in streams:
                s.cancel()
            await asyncio.gather(*streams, return_exceptions=True)
        self.connected_before = connected


async def main_async(args, server: Server) -> dict:
    app = make_app()
    fx = create_fixture(app, server.url)
    log(f"session {fx['session_id']} (code {fx['code']}) and wall {fx['wall_id']} (code {fx['wall_code']}); "
        f"{args.participants} participants answer, {args.posters} posters put up {args.notes} notes each, "
        f"over {args.spread} s; SIGKILL at {args.kill_at} s")
    bench = Bench(server, fx, args)
    try:
        await bench.run()
    finally:
        answers, notes = stored_texts(app, fx)
        if not args.keep:
            try:
                delete_fixture(app, fx)
            except Exception as exc:  # noqa: BLE001 - the figures matter more than the cleanup
                log(f"could not delete the bench's session and wall: {exc!r}")
    lost_answers = bench.acked_answers - answers
    lost_notes = bench.acked_notes - notes
    connected = bench.connected_before
    recover = [c.recovered - bench.kill_time for c in connected if c.recovered is not None]
    stale = [c for c in connected if c.recovered is None]
    unseen = {note for note in bench.acked_notes for c in bench.posters if note not in c.seen_notes}
    log(f"answers: {len(bench.acked_answers)} acked, {len(answers)} stored, {len(lost_answers)} lost; "
        f"notes: {len(bench.acked_notes)} acked, {len(notes)} stored, {len(lost_notes)} lost")
    log(f"recovery after the kill: {len(recover)} of {len(connected)} clients show the current state again, "
        f"p50 {pct(recover, 50)} ms, p95 {pct(recover, 95)} ms, max {pct(recover, 100)} ms; "
        f"not recovered: {len(stale)}; acked notes some wall screen never showed: {len(unseen)}; "
        f"server down {bench.back_time - bench.kill_time:.1f} s")
    return {"acked": len(bench.acked_answers) + len(bench.acked_notes),
            "stored": len(answers & bench.acked_answers) + len(notes & bench.acked_notes),
            "lost": len(lost_answers) + len(lost_notes),
            "p95_recover_ms": pct(recover, 95) if not stale else None}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--participants", type=int, default=1000, help="participant streams; each answers once")
    parser.add_argument("--posters", type=int, default=50, help="wall posters, each following the wall")
    parser.add_argument("--notes", type=int, default=2, help="notes per poster during the burst")
    parser.add_argument("--spread", type=float, default=5.0, help="seconds over which the burst is sent")
    parser.add_argument("--kill-at", type=float, default=2.5, help="seconds into the burst of the SIGKILL")
    parser.add_argument("-w", "--workers", type=int, default=1, help="gunicorn workers")
    parser.add_argument("--postgres", nargs="?", const="throwaway",
                        help="PostgreSQL: a URL, or nothing to start a throwaway one (scripts/test-services.sh)")
    parser.add_argument("--redis", nargs="?", const="throwaway",
                        help="Redis: a URL, or nothing to start a throwaway one (scripts/test-services.sh)")
    parser.add_argument("--request-deadline", type=float, default=300,
                        help="seconds a client keeps resending one answer or note")
    parser.add_argument("--recover-timeout", type=float, default=300,
                        help="seconds to wait for every stream to show the current state again")
    parser.add_argument("--grace", type=float, default=3.0, help="seconds for the last events to arrive")
    parser.add_argument("--join-concurrency", type=int, default=100)
    parser.add_argument("--keep", action="store_true", help="keep the bench's session and wall")
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    quiet_gc()
    limit = raise_nofile()
    if limit < 2 * (args.participants + args.posters) + 100:
        log(f"warning: the open-files limit is {limit}; too low for {args.participants + args.posters} streams")
    services = Services()
    server = None
    try:
        database_url, redis_url = os.environ.get("DATABASE_URL"), None
        if "throwaway" in (args.postgres, args.redis):
            env = services.start()
            if args.postgres == "throwaway":
                database_url = env["TEST_DATABASE_URL"]
            if args.redis == "throwaway":
                redis_url = env["TEST_REDIS_URL"]
        if args.postgres and args.postgres != "throwaway":
            database_url = args.postgres
        if args.redis and args.redis != "throwaway":
            redis_url = args.redis
        server = Server(args.workers, database_url, redis_url)
        server.start()
        log(f"serving {server.url}: {args.workers} worker(s), "
            f"{'PostgreSQL' if server.env['DATABASE_URL'].startswith('postgres') else 'SQLite'}, "
            f"{'Redis' if redis_url else 'memory'} broker (log {server.home / 'server.log'})")
        result = asyncio.run(main_async(args, server))
    finally:
        if server is not None:
            server.stop()
        services.stop()
    print(json.dumps({key: result[key] for key in RESULT_KEYS}), flush=True)


if __name__ == "__main__":
    main()
