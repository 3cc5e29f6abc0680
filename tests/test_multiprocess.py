"""Deployment mode 2/3: several app processes share PostgreSQL and Redis. An edit made through
process A must reach a browser streaming from process B."""
import contextlib
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests import factories

pytestmark = [
    pytest.mark.multiprocess,
    pytest.mark.skipif(not (os.environ.get("TEST_DATABASE_URL") and os.environ.get("TEST_REDIS_URL")),
                       reason="needs TEST_DATABASE_URL (PostgreSQL) and TEST_REDIS_URL"),
]
ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def gunicorn_pair(tmp_path: Path, env: dict, attempts: int = 300):
    """Two gunicorn processes (one gevent worker each) on free ports with `env`, started as `make run`
    starts one and each answering /healthz with the Redis broker; yields their base URLs. Logs go
    to tmp_path/a.log and b.log."""
    servers, urls = [], []
    try:
        for name in ("a", "b"):
            port = _free_port()
            log = open(tmp_path / f"{name}.log", "w")
            servers.append((subprocess.Popen(
                [str(Path(sys.executable).parent / "gunicorn"), "-c", "python:board.serving", "-k", "gevent",
                 "-w", "1", "--graceful-timeout", "1", "--no-control-socket", "-b", f"127.0.0.1:{port}", "wsgi:app"],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT), log))
            urls.append(f"http://127.0.0.1:{port}")
        for url in urls:
            for _ in range(attempts):
                try:
                    if requests.get(url + "/healthz", timeout=1).json()["broker"] == "redis":
                        break
                except (OSError, ValueError):
                    time.sleep(0.1)
            else:
                pytest.fail("server did not start: " + "".join((tmp_path / f"{n}.log").read_text() for n in "ab"))
        yield urls
    finally:
        for process, log in servers:
            process.terminate()
            process.wait(timeout=10)
            log.close()


@pytest.fixture
def two_servers(app, demo, tmp_path):
    """Two gunicorn processes (gevent workers) on different ports, sharing the test database and Redis."""
    factories.make_user(role="facilitator", email="fia@example.se")
    env = {**os.environ, "DATABASE_URL": os.environ["TEST_DATABASE_URL"], "REDIS_URL": os.environ["TEST_REDIS_URL"],
           "SECRET_KEY": app.config["SECRET_KEY"], "TAVLAN_INSTANCE": str(tmp_path)}
    with gunicorn_pair(tmp_path, env, attempts=100) as urls:
        yield urls


def _login(base: str) -> requests.Session:
    session = requests.Session()
    page = session.get(base + "/login").text
    token = re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)
    response = session.post(base + "/login", data={"email": "fia@example.se", "password": factories.PASSWORD,
                                                   "csrf_token": token}, allow_redirects=False)
    assert response.status_code == 303
    return session


def test_an_edit_through_process_a_reaches_a_stream_on_process_b(two_servers):
    url_a, url_b = two_servers
    editor, viewer = _login(url_a), _login(url_b)
    stream = viewer.get(url_b + "/live/initiative:physical-literacy", stream=True, timeout=15,
                        headers={"Accept": "text/event-stream"})
    assert stream.status_code == 200
    lines = stream.iter_lines(decode_unicode=True)
    assert next(lines).startswith(":")  # the stream opens at once

    form = editor.get(url_a + "/initiatives/physical-literacy/edit").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
    saved = editor.post(url_a + "/initiatives/physical-literacy/edit", allow_redirects=False, data={
        "csrf_token": token, "name": "Physical literacy via A", "status": "active",
        "municipalities": ["eskilstuna"], "aims": "Ett syfte", "notes": ""})
    assert saved.status_code == 303

    deadline = time.monotonic() + 10
    received = []
    for line in lines:
        received.append(line)
        if "Physical literacy via A" in line or time.monotonic() > deadline:
            break
    stream.close()
    assert any("Physical literacy via A" in line for line in received), received[-5:]
    assert any(line.startswith("id: ") for line in received)
