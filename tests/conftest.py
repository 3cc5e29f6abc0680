"""Shared fixtures. The suite runs on SQLite and the in-process broker by default, and on
PostgreSQL and Redis when TEST_DATABASE_URL / TEST_REDIS_URL are set (scripts/run-tests.sh)."""
import atexit
import contextvars
import json
import os
import re
import shutil
import tempfile

import flask
import pytest
from flask_wtf.csrf import generate_csrf
from jinja2 import BytecodeCache
from sqlalchemy import text

from board import create_app
from board.extensions import db
from tests import factories

DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
REDIS_URL = os.environ.get("TEST_REDIS_URL")
_SQLITE_DIR = tempfile.mkdtemp(prefix="tavlan-tests-")
atexit.register(shutil.rmtree, _SQLITE_DIR, ignore_errors=True)


# What depends on the database or the broker: SQL that differs by dialect (upserts, row locks,
# the audit log's guard, sequences after a restore), transactions under concurrency, the brokers,
# restarts and migrations. Step 2 of scripts/run-tests.sh runs these (marker `backend`) on
# PostgreSQL and Redis, plus a smoke set; everything else is backend-neutral code already run on
# SQLite in step 1 (pages, forms, rendering, validation).
BACKEND = (
    "tests/live/", "tests/resilience/", "tests/test_multiprocess.py", "tests/test_migrations.py",
    "tests/test_ratelimit.py", "tests/test_backup.py", "tests/test_cli.py",
    "tests/audit/test_log.py", "tests/audit/test_migration.py",  # the audit log's guard (a trigger)
    "tests/archive/test_restore.py", "tests/archive/test_roundtrip.py", "tests/archive/test_erase.py",
    "tests/archive/test_real_size.py",  # sequences after a restore, cascades of an erase
    "tests/canvas/test_service.py", "tests/walls/test_service.py", "tests/walls/test_live.py",  # locks
    "tests/feedback/test_answer_walls.py", "tests/feedback/test_require_login.py",  # answer upserts
    "tests/feedback/test_qa_votes.py", "tests/auth/test_lockout.py", "tests/auth/test_sessions.py",
    "tests/gdpr/test_retention.py",  # time arithmetic in SQL
    # smoke: the shell and logging in, end to end through the app
    "tests/test_web.py", "tests/auth/test_login.py",
)


def pytest_collection_modifyitems(config, items):
    root = str(config.rootpath)
    for item in items:
        path = os.path.relpath(str(item.path), root).replace(os.sep, "/")
        if path.startswith(BACKEND):
            item.add_marker(pytest.mark.backend)


class _SharedTemplateCode(BytecodeCache):
    """Compiled templates kept for the whole run: every test makes a new app, and each new app
    compiled every template it rendered again (a third of the suite's time). Keyed by the
    template's name and the checksum of its source, so an edited template is compiled anew."""

    def __init__(self):
        self.code = {}

    def load_bytecode(self, bucket):
        if (code := self.code.get(bucket.key)) is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket):
        self.code[bucket.key] = bucket.bytecode_to_string()


TEMPLATE_CODE = _SharedTemplateCode()


def make_app(**overrides):
    app = create_app(make_config(**overrides))
    app.jinja_env.bytecode_cache = TEMPLATE_CODE
    return app


def make_config(**overrides) -> dict:
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": DATABASE_URL or f"sqlite:///{_SQLITE_DIR}/test.db",
        "REDIS_URL": REDIS_URL,
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",  # fast; production uses scrypt
        "LOGIN_SLOW_SECONDS": 0.01,
        "RATELIMIT_ENABLED": False,  # tests/test_ratelimit.py switches it on for itself
        "LIVE_HEARTBEAT_SECONDS": 1.0,
        "LIVE_THROTTLE_MS": 0,  # publish at once: no background renders outliving a test
        "TAVLAN_BASE_URL": "https://tavlan.test",  # the public address; never a request's Host
    }
    config.update(overrides)
    return config


@pytest.fixture(scope="session")
def _schema():
    """Create the tables once per run; each test then starts from empty tables."""
    os.environ.setdefault("TAVLAN_INSTANCE", os.path.join(_SQLITE_DIR, "instance"))
    app = create_app(make_config())
    with app.app_context():
        db.drop_all()
        db.create_all()
        db.engine.dispose()
    app.extensions["live"].close()
    yield


def _empty_tables() -> None:
    tables = [t.name for t in db.metadata.sorted_tables]
    if db.engine.dialect.name == "postgresql":
        quoted = ", ".join(f'"{t}"' for t in tables)
        db.session.execute(text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
    else:
        # The audit log refuses DELETE (board/audit/models.py); on SQLite no setting can switch a
        # trigger off, so the tests lift the guard around the wipe and put it back.
        from board.audit.models import SQLITE_GUARD, SQLITE_UNGUARD

        for statement in SQLITE_UNGUARD:
            db.session.execute(text(statement))
        for table in reversed(db.metadata.sorted_tables):
            db.session.execute(table.delete())
        for statement in SQLITE_GUARD:
            db.session.execute(text(statement))
    db.session.commit()


@pytest.fixture
def app(_schema, tmp_path, monkeypatch):
    monkeypatch.setenv("TAVLAN_INSTANCE", str(tmp_path / "instance"))
    app = make_app()
    with app.app_context():
        yield app
        db.session.remove()
        _empty_tables()
        db.session.remove()
        app.extensions["live"].close()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def demo(app):
    """The 2024 demo portfolio, imported."""
    from board.portfolio import importer

    with open(factories.DEMO_FILE, encoding="utf-8") as f:
        importer.import_portfolio(json.load(f))


class Actor:
    """A browser-like client: it logs in, and sends the CSRF token with every POST as a page would."""

    def __init__(self, app, user=None):
        self.app = app
        self.client = app.test_client()
        self.user = user

    def csrf(self) -> str:
        """The token a page of this browser carries, made as the app makes it for the page (from
        this browser's session secret, which it is given as a page would give it) instead of
        fetching a page before every POST: the app was rendering a page for every click."""
        with self.client.session_transaction() as browser:
            with self.app.app_context(), self.app.test_request_context():
                if "csrf_token" in browser:
                    flask.session["csrf_token"] = browser["csrf_token"]
                token = generate_csrf()
                browser["csrf_token"] = flask.session["csrf_token"]
        return token

    def _request(self, method, *args, **kw):
        # Each request gets its own app context, database session and `g`, as in production; the
        # test's own context (and its session) stays as it was. Committing around the request ends
        # the test's transaction, so the test then sees what the request committed.
        db.session.commit()
        response = contextvars.Context().run(getattr(self.client, method), *args, **kw)
        db.session.commit()
        return response

    def get(self, url: str, **kw):
        return self._request("get", url, **kw)

    def post(self, url: str, data=None, htmx=False, csrf=True, **kw):
        data = dict(data or {})
        headers = dict(kw.pop("headers", {}))
        if csrf:
            data.setdefault("csrf_token", self.csrf())
        if htmx:
            headers.update({"HX-Request": "true", "HX-Request-Type": "partial"})
        return self._request("post", url, data=data, headers=headers, **kw)

    def login(self, user, password=factories.PASSWORD):
        self.user = None
        response = self.post("/login", {"email": user.email, "password": password})
        assert response.status_code == 303, response.get_data(as_text=True)[:500]
        self.user = user
        return self


@pytest.fixture
def as_role(app):
    """`as_role("facilitator")` gives an Actor logged in with a fresh user of that role
    ("anonymous", "member", "arbetsgrupp:<initiative key>" and "facilitator")."""

    def make(role: str) -> Actor:
        if role == "anonymous":
            return Actor(app)
        if role.startswith("arbetsgrupp:"):
            user = factories.make_user(role="member")
            factories.add_to_arbetsgrupp(user, role.split(":", 1)[1])
        else:
            user = factories.make_user(role=role)
        return Actor(app).login(user)

    return make
