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
def running_server(home: Path, **extra_env: str):
    """Yield the base URL of a seeded Tavlan with a facilitator and a member (see FACILITATOR, MEMBER)."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{home}/tavlan.db", "TAVLAN_INSTANCE": str(home),
           "SECRET_KEY": "e2e-secret", **extra_env}
    env.pop("REDIS_URL", None)
    flask(env, "db", "upgrade")
    flask(env, "seed-demo")
    flask(env, "users", "create", FACILITATOR[0], "--role", "facilitator", "--name", "Fia Facilitator",
          stdin=FACILITATOR[1] + "\n")
    flask(env, "users", "create", MEMBER[0], "--role", "member", "--name", "Mats Medlem",
          "--organisation", "eskilstuna", stdin=MEMBER[1] + "\n")
    with open(home / "server.log", "w") as log:
        server = subprocess.Popen(
            [str(BIN / "gunicorn"), "-k", "gevent", "-w", "1", "--graceful-timeout", "1", "--no-control-socket",
             "-b", f"127.0.0.1:{port}", "wsgi:app"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
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
