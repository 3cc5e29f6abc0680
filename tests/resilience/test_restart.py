"""Live streams survive a restart (issue 8): a real gunicorn is killed with SIGKILL and started
again on the same port and database, and a client reconnects with its Last-Event-ID as hx-sse does.

Memory broker: the new process does not know the old ids (they are time-based, so they keep
increasing), and the reconnecting client gets a snapshot of the current state. Redis broker: the
events published while a worker was down are replayed from Redis, by the restarted worker and by
any other worker."""
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from board.extensions import db
from board.portfolio.models import Initiative
from tests import factories

from .conftest import DATABASE_URL, REDIS_URL

ROOT = Path(__file__).resolve().parents[2]
CHANNEL = "initiative:physical-literacy"
PAGE = "/initiatives/physical-literacy"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gunicorn:
    """One gunicorn (one gevent worker) as `make run` starts it, which can be killed and restarted."""

    def __init__(self, app, tmp_path: Path, name: str, redis_url: str | None) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.logfile = tmp_path / f"{name}.log"
        self.env = {**os.environ, "DATABASE_URL": str(app.config["SQLALCHEMY_DATABASE_URI"]),
                    "SECRET_KEY": app.config["SECRET_KEY"], "TAVLAN_INSTANCE": str(tmp_path),
                    "TAVLAN_LIVE_HEARTBEAT": "1"}
        self.env.pop("REDIS_URL", None)
        if redis_url:
            self.env["REDIS_URL"] = redis_url
        self.process: subprocess.Popen | None = None

    def start(self) -> "Gunicorn":
        with open(self.logfile, "a") as log:
            self.process = subprocess.Popen(
                [str(Path(sys.executable).parent / "gunicorn"), "-c", "python:board.serving", "-k", "gevent",
                 "-w", "1", "--graceful-timeout", "1", "--no-control-socket", "-b", f"127.0.0.1:{self.port}",
                 "wsgi:app"], cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        for _ in range(200):
            try:
                if requests.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return self
            except OSError:
                pass
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        pytest.fail(f"gunicorn did not start:\n{self.logfile.read_text()[-3000:]}")

    def kill(self) -> None:
        """SIGKILL the master and its worker at once: nothing gets to clean up."""
        master = self.process.pid
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        for pid in [master, *map(int, children)]:
            os.kill(pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        for pid in map(int, children):  # the worker is reparented; wait until it is really gone
            for _ in range(100):
                if not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text():
                    break
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def servers(app, demo, tmp_path):
    """gunicorn(name, redis_url) starts one; all are stopped at the end."""
    factories.make_user(role="facilitator", email="fia@example.se")
    db.session.commit()
    started = []

    def start(name: str, redis_url: str | None = None) -> Gunicorn:
        server = Gunicorn(app, tmp_path, name, redis_url).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def _login(base: str) -> requests.Session:
    session = requests.Session()
    page = session.get(base + "/login").text
    token = re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)
    response = session.post(base + "/login", data={"email": "fia@example.se", "password": factories.PASSWORD,
                                                   "csrf_token": token}, allow_redirects=False)
    assert response.status_code == 303
    return session


def _messages(browser: requests.Session, base: str, last_event_id: int | None, count: int) -> list[dict]:
    """Open the stream (with Last-Event-ID if given) and return its first `count` messages that carry
    an id, each as {"id": int, "data": str}; keep-alive comments are skipped."""
    headers = {"Accept": "text/event-stream"}
    if last_event_id is not None:
        headers["Last-Event-ID"] = str(last_event_id)
    out, deadline = [], time.monotonic() + 15
    with browser.get(base + "/live/" + CHANNEL, stream=True, timeout=15, headers=headers) as stream:
        assert stream.status_code == 200
        lines, current = [], {}
        for line in stream.iter_lines(decode_unicode=True):
            if line.startswith("id: "):
                current["id"] = int(line[4:])
            elif line.startswith("data: "):
                current["data"] = current.get("data", "") + line[6:] + "\n"
            elif line == "" and current:
                out.append({"data": "", **current})
                current = {}
                if len(out) >= count:
                    break
            lines.append(line)
            assert time.monotonic() < deadline, f"only {out} in 15 s; last lines {lines[-5:]}"
    return out


def _rename(name: str) -> None:
    """Change the initiative in the database while no server runs (so no one could publish it)."""
    initiative = db.session.scalar(select(Initiative).where(Initiative.key == "physical-literacy"))
    initiative.name = name
    db.session.commit()


def test_a_stream_reconnecting_after_a_restart_gets_the_current_state_and_ids_keep_increasing(servers):
    server = servers("only")
    browser = _login(server.url)
    (connected,) = _messages(browser, server.url, None, 1)
    before = connected["id"]

    server.kill()
    _rename("Omdöpt medan servern låg nere")
    server.start()

    # The same browser (its login survives the restart), with the last id it had seen.
    head, snapshot = _messages(browser, server.url, before, 2)
    assert head["data"] == "" and head["id"] > before  # time-based: above everything the old process issued
    assert snapshot["id"] == head["id"] and "Omdöpt medan servern låg nere" in snapshot["data"]
    assert "Omdöpt medan servern låg nere" in browser.get(server.url + PAGE).text


@pytest.mark.multiprocess
@pytest.mark.skipif(not (DATABASE_URL and REDIS_URL), reason="needs TEST_DATABASE_URL (PostgreSQL) and TEST_REDIS_URL")
def test_with_redis_a_restarted_worker_and_another_worker_replay_what_was_missed(app, servers):
    a, b = servers("a", REDIS_URL), servers("b", REDIS_URL)
    editor, viewer = _login(a.url), _login(b.url)
    (connected,) = _messages(viewer, b.url, None, 1)
    seen = connected["id"]

    b.kill()
    broker = app.extensions["live"]  # this test process publishes through the same Redis
    first = broker.publish(CHANNEL + "@sv", "<p>Missad ett</p>")
    second = broker.publish(CHANNEL + "@sv", "<p>Missad två</p>")
    form = editor.get(a.url + PAGE + "/edit").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
    saved = editor.post(a.url + PAGE + "/edit", allow_redirects=False, data={
        "csrf_token": token, "name": "Ändrad via A", "status": "active",
        "municipalities": ["eskilstuna"], "aims": "Ett syfte", "notes": ""})
    assert saved.status_code == 303
    b.start()

    for base in (b.url, a.url):  # the restarted worker, and another one
        head, one, two, edit = _messages(viewer, base, seen, 4)
        assert head["data"] == "" and head["id"] == seen  # no snapshot: the client's id is still known
        assert (one["id"], two["id"]) == (first, second)
        assert "Missad ett" in one["data"] and "Missad två" in two["data"]
        assert edit["id"] > second and "Ändrad via A" in edit["data"]
