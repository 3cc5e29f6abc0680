"""Start Tavlan the way `make run` does (migrate, seed, gunicorn with a gevent worker) on a free
port with its own SQLite database. Used by the browser tests and by scripts/screenshots.py."""
import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
FACILITATOR = ("facilitator@e2e.example", "facilitator password")
MEMBER = ("member@e2e.example", "member password 123")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def flask(env: dict, *args: str, stdin: str | None = None) -> str:
    result = subprocess.run([str(BIN / "flask"), "--app", "wsgi", *args], cwd=ROOT, env=env, input=stdin,
                            capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise RuntimeError(f"flask {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


@contextlib.contextmanager
def running_server(home: Path, wsgi_app: str = "wsgi:app", **extra_env: str):
    """Yield the base URL of a seeded Tavlan with a facilitator and a member (see FACILITATOR, MEMBER),
    served by gunicorn from `wsgi_app` (tests/e2e/cut.py adds a way to end live streams)."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{home}/tavlan.db", "TAVLAN_INSTANCE": str(home),
           "SECRET_KEY": "e2e-secret",
           # Every browser test logs in from 127.0.0.1, often as the same account: rate limits
           # (tests/test_ratelimit.py tests them) would cut the suite, not an attacker.
           "TAVLAN_RATELIMIT_ENABLED": "0", "TAVLAN_BASE_URL": f"http://127.0.0.1:{port}", **extra_env}
    env.pop("REDIS_URL", None)
    flask(env, "db", "upgrade")
    flask(env, "seed-demo")
    flask(env, "users", "create", FACILITATOR[0], "--role", "facilitator", "--name", "Fia Facilitator",
          stdin=FACILITATOR[1] + "\n")
    flask(env, "users", "create", MEMBER[0], "--role", "member", "--name", "Mats Medlem",
          "--organisation", "eskilstuna", stdin=MEMBER[1] + "\n")
    with open(home / "server.log", "w") as log:
        server = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", "python:board.serving", "-k", "gevent", "-w", "1", "--graceful-timeout", "1",
             "--no-control-socket",
             "-b", f"127.0.0.1:{port}", wsgi_app], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            for _ in range(150):
                try:
                    urllib.request.urlopen(url + "/healthz", timeout=1)
                    break
                except OSError:
                    time.sleep(0.1)
            else:
                raise RuntimeError("server did not start: " + (home / "server.log").read_text())
            yield url
        finally:
            server.terminate()
            server.wait(timeout=10)


def facilitator_http(base: str):
    """A requests session logged in as the facilitator, sending its CSRF token on every request."""
    import re

    import requests

    http = requests.Session()
    token = re.search(r'"X-CSRFToken": "([^"]+)"', http.get(base + "/login").text).group(1)
    http.post(base + "/login", data={"email": FACILITATOR[0], "password": FACILITATOR[1], "csrf_token": token})
    http.headers["X-CSRFToken"] = re.search(r'"X-CSRFToken": "([^"]+)"', http.get(base + "/sessions").text).group(1)
    return http


MEETING = [("content", {"title": "Agenda", "body": "Kopplingar till styrande sammanhang"}),
           ("choice", {"title": "Vilka grupper måste vi främst fokusera på?",
                       "options": "Unga vuxna\nNyanlända\nFöräldrar", "results_hidden": "y"}),
           ("open", {"title": "Vad behöver initiativet tänka på framåt?"}),
           ("content", {"title": "Nästa steg", "body": "Möte i december"})]


def prepare_meeting(base: str, items=MEETING) -> dict:
    """Create the 2024-11-22 UVAS meeting through the facilitator's forms; returns id, code, http."""
    import re

    http = facilitator_http(base)
    created = http.post(base + "/sessions", data={"title": "Core Team 2024-11-22", "pacing": "presenter",
                                                 "held_on": "2024-11-22",
                                                 "initiative": "unga-vuxna-utan-arbete-eller-studier"},
                        allow_redirects=False)
    session_id = int(created.headers["Location"].rsplit("/", 1)[1])
    for kind, data in items:
        response = http.post(f"{base}/sessions/{session_id}/items/new?kind={kind}", data=data, allow_redirects=False)
        if response.status_code != 303:
            raise RuntimeError(response.text[:500])
    code = re.search(r"/j/(\d{6})", http.get(f"{base}/sessions/{session_id}").text).group(1)
    return {"id": session_id, "code": code, "http": http}
