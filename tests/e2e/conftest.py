"""Browser tests: a real gunicorn + gevent server (migrated with `flask db upgrade`, seeded with
the demo portfolio) driven by Playwright in Debian's Chromium."""
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
FACILITATOR = ("facilitator@e2e.example", "facilitator password")
MEMBER = ("member@e2e.example", "member password 123")


def pytest_collection_modifyitems(items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": "/usr/bin/chromium"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _flask(env, *args, stdin=None):
    result = subprocess.run([str(BIN / "flask"), "--app", "wsgi", *args], cwd=ROOT, env=env, input=stdin,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """Start Tavlan the way `make run` does, on a free port with its own SQLite database."""
    home = tmp_path_factory.mktemp("e2e")
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{home}/tavlan.db", "TAVLAN_INSTANCE": str(home),
           "SECRET_KEY": "e2e-secret", "TAVLAN_SSE_RECONNECT_MS": "200"}
    env.pop("REDIS_URL", None)
    _flask(env, "db", "upgrade")
    _flask(env, "seed-demo")
    _flask(env, "users", "create", FACILITATOR[0], "--role", "facilitator", "--name", "Fia Facilitator",
           stdin=FACILITATOR[1] + "\n")
    _flask(env, "users", "create", MEMBER[0], "--role", "member", "--name", "Mats Medlem",
           "--organisation", "eskilstuna", stdin=MEMBER[1] + "\n")
    log = open(home / "server.log", "w")
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "-k", "gevent", "-w", "1", "--graceful-timeout", "1", "--no-control-socket",
         "-b", f"127.0.0.1:{port}", "wsgi:app"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(url + "/healthz", timeout=1)
            break
        except OSError:
            time.sleep(0.1)
    else:
        server.kill()
        pytest.fail("server did not start: " + (home / "server.log").read_text())
    yield url
    server.terminate()
    server.wait(timeout=10)
    log.close()


@pytest.fixture
def login(live_server):
    def do(page, who=FACILITATOR):
        page.goto(live_server + "/login")
        page.get_by_label("E-postadress").fill(who[0])
        page.get_by_label("Lösenord").fill(who[1])
        page.get_by_role("button", name="Logga in").last.click()
        page.wait_for_url(live_server + "/portfolio")
        return page

    return do


@pytest.fixture
def axe_check():
    """Run axe-core on the page: no serious or critical WCAG 2.1 A/AA violations."""
    axe = Axe()

    def check(page):
        result = axe.run(page, options={"runOnly": {"type": "tag",
                                                    "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}})
        bad = [v for v in result.response["violations"] if v["impact"] in ("serious", "critical")]
        assert not bad, f"{page.url}\n" + result.generate_report()

    return check


@pytest.fixture
def console_errors(page):
    """Collect console errors and CSP violations; a test asserts the list stays empty."""
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return errors
