"""Fixtures for failure tests: the real PostgreSQL and Redis of scripts/test-services.sh are
stopped and started (never mocked), and each test leaves them running as it found them."""
import os
import subprocess
from pathlib import Path

import pytest

from board import create_app
from board.extensions import db
from tests.conftest import _empty_tables, make_config

ROOT = Path(__file__).resolve().parents[2]
DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
REDIS_URL = os.environ.get("TEST_REDIS_URL")
LOCK_WAIT_MS = 300  # SQLite: a writer gives up after this long and the user gets a 503

needs_postgres = pytest.mark.skipif(not (DATABASE_URL and os.environ.get("TEST_PGDATA")),
                                    reason="needs PostgreSQL from scripts/test-services.sh (TEST_DATABASE_URL)")
needs_redis = pytest.mark.skipif(not (REDIS_URL and os.environ.get("TEST_PGDATA")),
                                 reason="needs Redis from scripts/test-services.sh (TEST_REDIS_URL)")
sqlite_only = pytest.mark.skipif(bool(DATABASE_URL), reason="SQLite's own locking")


def services(action: str) -> None:
    """Stop or start one of the test servers, keeping its port and data (scripts/test-services.sh)."""
    folder = Path(os.environ["TEST_PGDATA"]).parent
    subprocess.run([str(ROOT / "scripts" / "test-services.sh"), action, str(folder)], check=True, timeout=60)


@pytest.fixture
def app(_schema, tmp_path, monkeypatch, request):
    """The suite's app, with a short SQLite lock wait so that a locked database answers quickly.
    Tests that ask for `memory_broker` get the in-process broker even when TEST_REDIS_URL is set."""
    monkeypatch.setenv("TAVLAN_INSTANCE", str(tmp_path / "instance"))
    extra = {"REDIS_URL": None} if "memory_broker" in request.fixturenames else {}
    app = create_app(make_config(SQLITE_BUSY_TIMEOUT_MS=LOCK_WAIT_MS, **extra))
    with app.app_context():
        yield app
        db.session.remove()
        _empty_tables()
        db.session.remove()
        app.extensions["live"].close()
        db.engine.dispose()


@pytest.fixture
def memory_broker():
    """Asked for by a test that needs the in-process broker even when TEST_REDIS_URL is set."""


@pytest.fixture
def postgres_stopped():
    """Call it to stop PostgreSQL; it is started again when the test ends, whatever happened."""
    stopped = []

    def stop():
        services("stop-postgres")
        stopped.append(True)

    yield stop
    if stopped:
        services("start-postgres")


@pytest.fixture
def redis_stopped():
    """Call it to stop Redis; it is started again when the test ends, whatever happened."""
    stopped = []

    def stop():
        services("stop-redis")
        stopped.append(True)

    yield stop
    if stopped:
        services("start-redis")
