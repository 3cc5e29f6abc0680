"""Load bench for live feedback: N phones join a session, follow it and answer, against a running server.

Not part of `make test`. Needs aiohttp (`.venv/bin/pip install aiohttp`). See bench/README.md.

    .venv/bin/python bench/feedback.py --serve --participants 1000      # starts its own server
    .venv/bin/python bench/feedback.py --url http://127.0.0.1:5000      # against `make run`

Without --serve the bench creates its session, questions and facilitator by importing the app, so
it must see the server's database: run it from the same checkout with the same DATABASE_URL (and
TAVLAN_INSTANCE) as the server. What it does, in order:

1. the presenter (a fresh facilitator) logs in and follows `present:<id>`;
2. N participants join (GET /j/<code>, at most --join-concurrency at once) and follow `join:<id>`;
3. --changes question changes, --interval s apart (POST control action=show): per change, the time
   until the last of the N streams had it (or a later change);
4. --rounds answer rounds: a question is shown, every participant answers when it reaches them,
   participant p after p/N x --spread s; answer latency, then the time from the last
   acknowledged answer until the presenter's stream shows the round's final count;
5. answers stored in feedback_answer are counted; lost = acknowledged - stored.

The last line of output is one JSON object (see RESULT_KEYS); the lines before it are details.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import os
import re
import resource
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

try:
    import aiohttp
except ImportError:  # the bench's one extra dependency; bench/page_size.py imports this file without it
    if __name__ == "__main__":
        sys.exit("bench/feedback.py needs aiohttp: .venv/bin/pip install aiohttp")
    aiohttp = None

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
# A request that gets no answer in this time counts as failed, so that a server that accepts no
# more connections (gunicorn's --worker-connections reached) ends the run instead of hanging it.
REQUEST_TIMEOUT = 120
RESULT_KEYS = ("participants", "acked", "stored", "lost", "p50_answer_ms", "p95_answer_ms",
               "p95_final_count_ms", "p95_advance_ms")

CSRF_HEADER = re.compile(rb'"X-CSRFToken": "([^"]+)"')
CSRF_INPUT = re.compile(rb'name="csrf_token"[^>]*value="([^"]+)"')
P_TITLE = re.compile(rb'class="p-title">([^<]*)</h1>')
STAGE_TITLE = re.compile(rb'class="stage-title">([^<]*)</h1>')
COUNT_ANSWERS = re.compile(rb'class="count-answers">(\d+)')


def log(*parts) -> None:
    print(*parts, file=sys.stderr, flush=True)


def pct(xs, p):
    """The p-th percentile in ms, nearest-rank, as bench/floor computes it."""
    xs = sorted(xs)
    return round(xs[min(len(xs) - 1, int(p / 100 * len(xs)))] * 1000, 1) if xs else None


def raise_nofile() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


# --- a server like `make run` ----------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _flask(env: dict, *args: str) -> None:
    result = subprocess.run([str(BIN / "flask"), "--app", "wsgi", *args], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        raise RuntimeError(f"flask {' '.join(args)} failed:\n{result.stdout}{result.stderr}")


def worker_pid(master: int) -> int | None:
    """The gunicorn worker (the master's only child)."""
    with contextlib.suppress(OSError):
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        if children:
            return int(children[0])
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == master:
                return int(stat.parent.name)
    return None


def cpu_seconds(pid: int | None) -> float | None:
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def serve(worker_connections: int = 20000, extra_env: dict | None = None, wsgi: str = "wsgi:app",
          workers: int = 1):
    """Start Tavlan as `make run` does (migrate, seed, gunicorn with one gevent worker) on a free port.

    Uses DATABASE_URL from the environment if set, else a fresh SQLite file in a temporary folder.
    With workers > 1 (deployment mode 2: several workers, PostgreSQL and Redis), DATABASE_URL must
    name an empty PostgreSQL database and REDIS_URL a Redis, both from the environment.
    Sets DATABASE_URL, TAVLAN_INSTANCE and SECRET_KEY in os.environ too, so that `create_app()` in
    this process sees the server's database. Yields (base URL, gunicorn master pid).
    """
    raise_nofile()  # inherited by gunicorn: one file per open stream
    home = Path(tempfile.mkdtemp(prefix="tavlan-bench-"))
    env = {**os.environ, "TAVLAN_INSTANCE": str(home), "SECRET_KEY": secrets.token_hex(32), **(extra_env or {})}
    env.setdefault("DATABASE_URL", f"sqlite:///{home}/tavlan.db")
    # Rate limits stay on, so that their cost is measured, with the per-person limits as shipped;
    # only the per-address ceilings are lifted: thousands of simulated phones come from 127.0.0.1,
    # while a real room that size comes through more than one address (docs/architecture.md,
    # "Rate limits").
    for group in ("LOGIN", "JOIN", "ANSWER", "REACT", "POST", "MOVE"):
        env.setdefault(f"TAVLAN_RATELIMIT_{group}_ADDRESS", "1000000 per minute")
    # The same for open live streams (900 per address as shipped: 101 of 1,000 simulated phones got a
    # 429), and per person: the canvas bench's viewers share one account, and past 8 streams none
    # of them saw a move.
    env.setdefault("TAVLAN_LIVE_STREAMS_PER_ADDRESS", "1000000")
    env.setdefault("TAVLAN_LIVE_STREAMS_PER_PERSON", "1000000")
    if workers > 1:
        if not env["DATABASE_URL"].startswith("postgresql") or not env.get("REDIS_URL"):
            raise SystemExit("--workers > 1 needs DATABASE_URL (PostgreSQL) and REDIS_URL in the environment")
    else:
        env.pop("REDIS_URL", None)
        os.environ.pop("REDIS_URL", None)
    for name in ("DATABASE_URL", "TAVLAN_INSTANCE", "SECRET_KEY"):
        os.environ[name] = env[name]
    _flask(env, "db", "upgrade")
    _flask(env, "seed-demo")
    port = free_port()
    logfile = open(home / "server.log", "w")
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "-c", "python:board.serving", "-k", "gevent", "-w", str(workers),
         "--worker-connections", str(worker_connections),
         "--graceful-timeout", "3", "--timeout", "60", "--no-control-socket", "-b", f"127.0.0.1:{port}",
         wsgi], cwd=ROOT, env=env, stdout=logfile, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(url + "/healthz", timeout=1)
                break
            except OSError:
                if server.poll() is not None:
                    break
                time.sleep(0.1)
        else:
            raise RuntimeError("server did not start")
        if server.poll() is not None:
            raise RuntimeError("server exited:\n" + (home / "server.log").read_text())
        log(f"serving {url} (gunicorn pid {server.pid}, log {home / 'server.log'})")
        yield url, server.pid
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        logfile.close()
        errors = [line for line in (home / "server.log").read_text().splitlines()
                  if "Traceback" in line or " ERROR " in line or "[ERROR]" in line]
        if errors:
            log(f"server log had {len(errors)} error line(s), first: {errors[0]}; kept in {home / 'server.log'}")
        else:
            shutil.rmtree(home, ignore_errors=True)


# --- fixtures in the server's database -------------------------------------------------------

class Fixture:
    """What the bench created: ids, titles and the facilitator's login."""

    def __init__(self, **values):
        self.__dict__.update(values)


def make_app():
    sys.path.insert(0, str(ROOT))
    from board import create_app

    return create_app()


def create_fixture(app, url: str, changes: int, rounds: int) -> Fixture:
    """A facilitator and a session with `changes` questions to step through and `rounds` to answer."""
    from board.auth import service as accounts
    from board.feedback import service

    email = f"bench-{secrets.token_hex(4)}@bench.example"
    password = secrets.token_urlsafe(18)
    # A request context, so that the live renders that saving publishes (in this process, to no
    # one) can build URLs.
    with app.test_request_context(base_url=url):
        user = accounts.create_user(email, password, role="facilitator", name="Bench Facilitator")
        session = service.create_session(f"Bench {time.strftime('%H:%M:%S')}", user=user)
        change_items, question_items = [], []
        for k in range(1, changes + 1):
            change_items.append(service.save_item(session, {
                "kind": "choice", "title": f"Bench change {k:02d}", "options": ["Ja", "Nej", "Vet inte"]}))
        for r in range(1, rounds + 1):
            # Results shown: the presenter's stage carries the live chart, as it would in a meeting.
            question_items.append(service.save_item(session, {
                "kind": "choice", "title": f"Bench question {r}", "options": ["A", "B", "C", "D"],
                "results_hidden": False}))
        return Fixture(
            email=email, password=password, user_id=user.id, session_id=session.id, code=session.code,
            changes=[(it.id, it.title) for it in change_items],
            questions=[(it.id, it.title, [o.id for o in it.options]) for it in question_items])


def count_stored(app, item_ids: list[int]) -> int:
    from sqlalchemy import func, select

    from board.extensions import db
    from board.feedback.models import Answer

    with app.app_context():
        db.session.remove()
        return db.session.scalar(select(func.count(Answer.id)).where(Answer.item_id.in_(item_ids)))


def delete_fixture(app, fx: Fixture) -> None:
    from board.auth.models import User
    from board.extensions import db
    from board.feedback.models import FeedbackSession

    with app.test_request_context():
        session = db.session.get(FeedbackSession, fx.session_id)
        session.current_item = None
        db.session.commit()
        db.session.delete(session)
        db.session.delete(db.session.get(User, fx.user_id))
        db.session.commit()


# --- streams ---------------------------------------------------------------------------------

def cookie_header(response, jar: dict) -> str:
    for name, morsel in response.cookies.items():
        jar[name] = morsel.value
    return "; ".join(f"{k}={v}" for k, v in jar.items())


async def follow(response, on_message) -> None:
    """Call on_message(bytes) for each complete SSE message of a streaming response."""
    buffer = b""
    async for chunk in response.content.iter_any():
        buffer += chunk
        if b"\n\n" not in buffer:
            continue
        *messages, buffer = buffer.split(b"\n\n")
        now = time.perf_counter()
        for message in messages:
            on_message(message, now)


class Bench:
    def __init__(self, url: str, n: int, fx: Fixture, spread: float, interval: float,
                 join_concurrency: int, server_pid: int | None, round_timeout: float = 900):
        self.round_timeout = round_timeout
        self.request_timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT)
        self.stream_timeout = aiohttp.ClientTimeout(total=None, sock_connect=60, sock_read=60)
        self.url, self.n, self.fx, self.spread, self.interval = url, n, fx, spread, interval
        self.join_limit = asyncio.Semaphore(join_concurrency)
        self.server_pid = server_pid
        # Titles on the participant's screen -> step number: changes 1..K, then question rounds.
        self.steps = {title.encode(): k for k, (_id, title) in enumerate(fx.changes, start=1)}
        self.steps.update({title.encode(): len(fx.changes) + r
                           for r, (_id, title, _o) in enumerate(fx.questions, start=1)})
        self.seen = [dict() for _ in range(n)]  # participant -> step -> first time seen
        self.live = [False] * n  # participant's stream is open
        self.join_latency: list[float] = []
        self.join_failed = self.stream_failed = 0
        self.connected = 0
        self.all_connected = asyncio.Event()
        self.settled = 0  # joins that ended (connected or failed)
        # Answers
        self.answer_latency: list[float] = []
        self.acks: dict[int, list[float]] = {}  # round -> ack times
        self.answer_errors: dict[str, int] = {}
        self.retries = 0
        self.round_done: dict[int, asyncio.Event] = {}
        self.round_finished: dict[int, int] = {}
        # Presenter stream: (time, stage title, answer count)
        self.stage: list[tuple[float, bytes, int | None]] = []
        self.stage_changed = asyncio.Event()
        self.tasks: list[asyncio.Task] = []
        self.cpu_marks: list[tuple[str, float | None]] = []

    def mark(self, phase: str) -> None:
        self.cpu_marks.append((phase, cpu_seconds(self.server_pid)))

    # --- participants ---

    async def participant(self, s, p: int) -> None:
        jar: dict[str, str] = {}
        code = self.fx.code
        try:
            async with self.join_limit:
                t = time.perf_counter()
                async with s.get(f"{self.url}/j/{code}", allow_redirects=False, timeout=self.request_timeout) as r:
                    body = await r.read()
                    if r.status != 200:
                        raise RuntimeError(f"join {r.status}")
                    cookies = cookie_header(r, jar)
                self.join_latency.append(time.perf_counter() - t)
                csrf = CSRF_HEADER.search(body).group(1).decode()
        except Exception as exc:  # noqa: BLE001 - counted and reported
            self.join_failed += 1
            self._settle()
            if self.join_failed <= 3:
                log(f"participant {p}: join failed: {exc!r}")
            return
        seen = self.seen[p]
        first = True

        def on_message(message: bytes, now: float) -> None:
            m = P_TITLE.search(message)
            step = m and self.steps.get(m.group(1))
            if step and step not in seen:
                seen[step] = now
                r = step - len(self.fx.changes)
                if r >= 1:
                    self.tasks.append(asyncio.create_task(self.answer(s, p, r, cookies, csrf)))

        try:
            async with s.get(f"{self.url}/live/join:{self.fx.session_id}", timeout=self.stream_timeout,
                             headers={"Accept": "text/event-stream", "Cookie": cookies}) as r:
                if r.status != 200:
                    raise RuntimeError(f"stream {r.status}")
                buffer = b""
                async for chunk in r.content.iter_any():
                    if first:
                        first = False
                        self.live[p] = True
                        self.connected += 1
                        self._settle()
                    buffer += chunk
                    if b"\n\n" not in buffer:
                        continue
                    *messages, buffer = buffer.split(b"\n\n")
                    now = time.perf_counter()
                    for message in messages:
                        on_message(message, now)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001
            self.stream_failed += 1
            if self.stream_failed <= 3:
                log(f"participant {p}: stream ended: {exc!r}")
        finally:
            if first:
                self._settle()

    def _settle(self) -> None:
        self.settled += 1
        if self.settled >= self.n:
            self.all_connected.set()

    async def answer(self, s, p: int, r: int, cookies: str, csrf: str) -> None:
        item_id, _title, options = self.fx.questions[r - 1]
        await asyncio.sleep(self.spread * p / self.n)
        data = {"option": str(options[p % len(options)]), "csrf_token": csrf}
        headers = {"HX-Request": "true", "Cookie": cookies}
        t = time.perf_counter()
        status = None
        try:
            for attempt in range(2):
                try:
                    async with s.post(f"{self.url}/j/{self.fx.code}/items/{item_id}", data=data,
                                      headers=headers, timeout=self.request_timeout) as resp:
                        await resp.read()
                        status = resp.status
                    break
                except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError):
                    # A kept-alive connection the server had just closed; the answer is an upsert,
                    # so sending it again is what a browser would do.
                    if attempt:
                        raise
                    self.retries += 1
        except Exception as exc:  # noqa: BLE001
            status = type(exc).__name__
            if sum(self.answer_errors.values()) < 3:
                log(f"participant {p}: answer failed: {exc!r}")
        done = time.perf_counter()
        if status == 200:
            self.answer_latency.append(done - t)
            self.acks.setdefault(r, []).append(done)
        else:
            self.answer_errors[str(status)] = self.answer_errors.get(str(status), 0) + 1
        self.round_finished[r] = self.round_finished.get(r, 0) + 1
        if self.round_finished[r] >= self.connected:
            self.round_done[r].set()

    # --- presenter ---

    async def login(self, s) -> str:
        async with s.get(f"{self.url}/login") as r:
            token = CSRF_INPUT.search(await r.read()).group(1).decode()
        form = {"email": self.fx.email, "password": self.fx.password, "csrf_token": token, "next": ""}
        async with s.post(f"{self.url}/login", data=form, allow_redirects=False) as r:
            await r.read()
            if r.status != 303:
                raise RuntimeError(f"login failed: HTTP {r.status}")
        async with s.get(f"{self.url}/sessions/{self.fx.session_id}/present") as r:
            body = await r.read()
            if r.status != 200:
                raise RuntimeError(f"present page: HTTP {r.status}")
        return CSRF_HEADER.search(body).group(1).decode()

    async def presenter_stream(self, s, ready: asyncio.Event) -> None:
        def on_message(message: bytes, now: float) -> None:
            title = STAGE_TITLE.search(message)
            if title is None:
                return
            count = COUNT_ANSWERS.search(message)
            self.stage.append((now, title.group(1), int(count.group(1)) if count else None))
            self.stage_changed.set()

        async with s.get(f"{self.url}/live/present:{self.fx.session_id}", timeout=self.stream_timeout,
                         headers={"Accept": "text/event-stream"}) as r:
            if r.status != 200:
                raise RuntimeError(f"presenter stream: HTTP {r.status}")
            ready.set()
            await follow(r, on_message)

    async def control(self, s, csrf: str, item_id: int) -> float:
        """Show `item_id` on every screen; returns when the POST was sent."""
        for attempt in range(2):
            t = time.perf_counter()
            try:
                async with s.post(f"{self.url}/sessions/{self.fx.session_id}/control",
                                  data={"action": "show", "item": str(item_id), "csrf_token": csrf},
                                  headers={"HX-Request": "true"}, timeout=self.request_timeout) as r:
                    await r.read()
                    if r.status != 200:
                        raise RuntimeError(f"control: HTTP {r.status}")
                return t
            except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError):
                if attempt:  # "show this item" can safely be sent twice
                    raise
                self.retries += 1
            except asyncio.TimeoutError:
                raise RuntimeError(f"the presenter's POST got no answer in {REQUEST_TIMEOUT} s; is the server "
                                   "out of connections (gunicorn --worker-connections)?") from None

    async def wait_stage(self, title: bytes, count: int, timeout: float) -> float | None:
        """The time of the first presenter message showing `title` with at least `count` answers."""
        deadline = time.perf_counter() + timeout
        checked = 0
        while True:
            for t, shown, n in self.stage[checked:]:
                if shown == title and n is not None and n >= count:
                    return t
            checked = len(self.stage)
            self.stage_changed.clear()
            left = deadline - time.perf_counter()
            if left <= 0:
                return None
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self.stage_changed.wait(), left)

    # --- the run ---

    async def run(self) -> dict:
        fx, n = self.fx, self.n
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=60)
        # Idle connections are dropped before gunicorn's 2 s keep-alive closes them, so that an
        # answer is not sent into a connection the server is closing at that moment.
        conn = aiohttp.TCPConnector(limit=0, keepalive_timeout=1.5)
        async with aiohttp.ClientSession(connector=conn, timeout=timeout,
                                         cookie_jar=aiohttp.DummyCookieJar()) as s, \
                aiohttp.ClientSession(timeout=timeout, cookie_jar=aiohttp.CookieJar(unsafe=True),
                                      connector=aiohttp.TCPConnector(keepalive_timeout=1.5)) as ps:
            csrf = await self.login(ps)
            presenter_ready = asyncio.Event()
            presenter = asyncio.create_task(self.presenter_stream(ps, presenter_ready))
            await asyncio.wait_for(presenter_ready.wait(), 30)

            self.mark("joins")
            t0 = time.perf_counter()
            streams = [asyncio.create_task(self.participant(s, p)) for p in range(n)]
            try:
                await asyncio.wait_for(self.all_connected.wait(), 120 + n / 20)
            except asyncio.TimeoutError:
                log(f"only {self.connected} of {n} streams connected in time")
            join_s = time.perf_counter() - t0
            log(f"joined: {self.connected} of {n} streams open in {join_s:.1f} s "
                f"(join p50 {pct(self.join_latency, 50)} ms, p95 {pct(self.join_latency, 95)} ms, "
                f"failed joins {self.join_failed})")
            self.mark("joined")
            await asyncio.sleep(1)

            # Question changes.
            self.mark("changes")
            sent = {}
            for k, (item_id, _title) in enumerate(fx.changes, start=1):
                sent[k] = await self.control(ps, csrf, item_id)
                await asyncio.sleep(self.interval)
            await asyncio.sleep(1.5)
            self.mark("changes done")
            last, deliveries, missing = [], [], 0
            streams_open = [seen for seen, live in zip(self.seen, self.live) if live]
            for k, t in sent.items():
                reached = []
                for seen in streams_open:
                    got = [when for step, when in seen.items() if step >= k]
                    if got:
                        reached.append(min(got) - t)
                        if k in seen:
                            deliveries.append(seen[k] - t)
                missing += len(streams_open) - sum(1 for seen in streams_open if k in seen)
                if len(reached) == len(streams_open):
                    last.append(max(reached))
            log(f"question changes: {len(last)} of {len(sent)} reached all {len(streams_open)} open streams; last stream "
                f"p50 {pct(last, 50)} ms, p95 {pct(last, 95)} ms, max {pct(last, 100)} ms; "
                f"per delivery p50 {pct(deliveries, 50)} ms, p95 {pct(deliveries, 95)} ms; "
                f"deliveries missing {missing} (a later change arrived instead, or none); "
                f"last stream per change (ms): {[round(x * 1000) for x in last]}")

            # Answer rounds.
            final, lags = [], []
            self.mark("answers")
            for r, (item_id, title, _options) in enumerate(fx.questions, start=1):
                self.round_done[r] = asyncio.Event()
                shown = await self.control(ps, csrf, item_id)
                try:
                    await asyncio.wait_for(self.round_done[r].wait(), self.spread + self.round_timeout)
                except asyncio.TimeoutError:
                    log(f"round {r}: only {self.round_finished.get(r, 0)} answers finished in time")
                acks = sorted(self.acks.get(r, []))
                if not acks:
                    continue
                at = await self.wait_stage(title.encode(), len(acks), 30)
                if at is None:
                    log(f"round {r}: the presenter never showed {len(acks)} answers")
                else:
                    final.append(max(0.0, at - acks[-1]))
                # Per answer: from its ack to the first stage showing at least as many answers as
                # had been acknowledged by then (so it includes this one).
                stage = [(t, cnt) for t, ttl, cnt in self.stage if ttl == title.encode() and cnt is not None]
                j = 0
                for rank, t in enumerate(acks, start=1):
                    while j < len(stage) and stage[j][1] < rank:
                        j += 1
                    if j < len(stage):
                        lags.append(max(0.0, stage[j][0] - t))
                reached = [seen[len(fx.changes) + r] - shown for seen in self.seen if len(fx.changes) + r in seen]
                log(f"round {r}: {len(acks)} acknowledged, {len(acks) / (acks[-1] - shown):.0f} a second; "
                    f"last ack {acks[-1] - shown:.2f} s after the "
                    f"question was shown (which reached the last stream after {pct(reached, 100)} ms); "
                    f"final count on the presenter {pct(final[-1:], 100) if at else None} ms after the last ack")
                await asyncio.sleep(1)
            self.mark("answers done")
            log(f"answers: p50 {pct(self.answer_latency, 50)} ms, p95 {pct(self.answer_latency, 95)} ms, "
                f"p99 {pct(self.answer_latency, 99)} ms, max {pct(self.answer_latency, 100)} ms; "
                f"errors {self.answer_errors or 0}, reconnect retries {self.retries}; "
                f"presenter count lag per answer p50 {pct(lags, 50)} ms, p95 {pct(lags, 95)} ms")

            presenter.cancel()
            for t in streams + self.tasks:
                t.cancel()
            await asyncio.gather(presenter, *streams, *self.tasks, return_exceptions=True)
        return {"acked": len(self.answer_latency), "final": final, "last": last}


def report_cpu(bench: Bench) -> None:
    cpu = resource.getrusage(resource.RUSAGE_SELF)
    parts = [f"client CPU {cpu.ru_utime + cpu.ru_stime:.1f} s"]
    marks = [(name, c) for name, c in bench.cpu_marks if c is not None]
    for (a, ca), (b, cb) in zip(marks, marks[1:]):
        if b.endswith("done") or b == "joined":
            parts.append(f"server CPU {a}: {cb - ca:.1f} s")
    log("; ".join(parts))


async def main_async(args, url: str, server_pid: int | None) -> dict:
    app = make_app()
    fx = create_fixture(app, url, args.changes, args.rounds)
    log(f"session {fx.session_id} (code {fx.code}): {len(fx.changes)} changes, {len(fx.questions)} question(s); "
        f"{args.participants} participants")
    bench = Bench(url, args.participants, fx, args.spread, args.interval, args.join_concurrency, server_pid,
                  args.round_timeout)
    try:
        out = await bench.run()
    finally:
        stored = count_stored(app, [q[0] for q in fx.questions])
        report_cpu(bench)
        if not args.keep:
            try:
                delete_fixture(app, fx)
            except Exception as exc:  # noqa: BLE001 - the figures matter more than the cleanup
                log(f"could not delete the bench session {fx.session_id}: {exc!r}")
    return {"participants": args.participants, "acked": out["acked"], "stored": stored,
            "lost": out["acked"] - stored, "p50_answer_ms": pct(bench.answer_latency, 50),
            "p95_answer_ms": pct(bench.answer_latency, 95), "p95_final_count_ms": pct(out["final"], 95),
            "p95_advance_ms": pct(out["last"], 95)}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:5000", help="the running server (ignored with --serve)")
    parser.add_argument("--participants", type=int, default=1000)
    parser.add_argument("--serve", action="store_true",
                        help="start a server like `make run` (temporary SQLite unless DATABASE_URL is set)")
    parser.add_argument("--worker-connections", type=int, default=20000, help="with --serve")
    parser.add_argument("--workers", type=int, default=1,
                        help="with --serve: gunicorn workers; over 1 needs DATABASE_URL (PostgreSQL) and REDIS_URL")
    parser.add_argument("--wsgi", default="wsgi:app",
                        help="with --serve: the app gunicorn loads; to try settings, e.g. "
                             "'board:create_app({\"LIVE_COALESCE_MS\": 0})'")
    parser.add_argument("--changes", type=int, default=10, help="question changes to time")
    parser.add_argument("--interval", type=float, default=0.5, help="seconds between question changes")
    parser.add_argument("--rounds", type=int, default=3, help="questions everyone answers")
    parser.add_argument("--spread", type=float, default=5.0, help="seconds over which the answers arrive")
    parser.add_argument("--round-timeout", type=float, default=900,
                        help="seconds to wait, after the spread, for a round's answers to be acknowledged")
    parser.add_argument("--join-concurrency", type=int, default=100, help="participants joining at once")
    parser.add_argument("--server-pid", type=int, help="gunicorn worker pid, to report its CPU (without --serve)")
    parser.add_argument("--keep", action="store_true", help="keep the bench's session and facilitator")
    return parser.parse_args(argv)


def quiet_gc() -> None:
    """Keep the load client's own garbage collector out of the figures.

    With a thousand streams the client's heap is large, and a full collection stopped its event loop
    for 150-200 ms about once a run: every message then arrived "late", which showed up as one slow
    question change per run and as a tail on the answer latency (py-spy found the server idle at
    that moment). A thousand phones do not share one collector, so the client freezes what it has
    built and collects rarely; it holds little garbage anyway.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(100_000, 50, 100)


def main(argv=None) -> None:
    args = parse_args(argv)
    quiet_gc()
    limit = raise_nofile()
    if limit < 2 * args.participants + 100:
        log(f"warning: the open-files limit is {limit}; {args.participants} participants need about "
            f"{2 * args.participants} sockets")
    if args.serve:
        with serve(args.worker_connections, wsgi=args.wsgi, workers=args.workers) as (url, master):
            # CPU is reported for a single worker only (with several, it would be one of them).
            result = asyncio.run(main_async(args, url, worker_pid(master) if args.workers == 1 else None))
    else:
        result = asyncio.run(main_async(args, args.url.rstrip("/"), args.server_pid))
    print(json.dumps({key: result[key] for key in RESULT_KEYS}), flush=True)


if __name__ == "__main__":
    main()
