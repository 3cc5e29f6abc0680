"""Nothing is acknowledged that is not committed, and a database outage is a clear 503 (issue 8).

Real failures only: SQLite locked by another connection; PostgreSQL whose connection is killed
at the moment of COMMIT, or which is stopped and started again (scripts/test-services.sh)."""
import contextlib
import os
import sqlite3
import time

import psycopg
import pytest
from sqlalchemy import event

from board import create_app, live
from board.extensions import db

from tests.conftest import make_config

from .conftest import LOCK_WAIT_MS, needs_postgres, services, sqlite_only
from .writes import PATHS

ACK = (200, 204)  # what an htmx POST gets when its change is stored (an upvote: 204)
OUTAGE = "Databasen svarar inte just nu. Ingenting har sparats."


def assert_outage_page(response, htmx: bool) -> None:
    body = response.get_data(as_text=True)
    assert response.status_code == 503, body[:300]
    assert response.headers["Retry-After"].isdigit()
    assert OUTAGE in body and "Tillfälligt avbrott" in body
    assert ("<html" in body) is (not htmx)  # htmx gets the fragment, a browser the whole page


@contextlib.contextmanager
def sqlite_locked():
    """Another connection holds SQLite's write lock, as a long import or backup would."""
    holder = sqlite3.connect(db.engine.url.database, isolation_level=None, timeout=5)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()


@contextlib.contextmanager
def connection_killed_at_commit():
    """PostgreSQL terminates the connection of the first transaction that commits from now on,
    just before its COMMIT reaches the server (a crash or restart at the worst moment)."""
    killed = []

    def terminate(conn) -> None:
        if killed:
            return
        pid = conn.connection.dbapi_connection.info.backend_pid
        with psycopg.connect(os.environ["TEST_PG_ADMIN_URL"], autocommit=True) as admin:
            assert admin.execute("SELECT pg_terminate_backend(%s, 5000)", [pid]).fetchone()[0]
        killed.append(pid)

    event.listen(db.engine, "commit", terminate)
    try:
        yield killed
    finally:
        event.remove(db.engine, "commit", terminate)


@sqlite_only
@pytest.mark.parametrize("path", PATHS)
def test_a_write_into_a_locked_sqlite_database_is_not_acknowledged(app, as_role, path):
    write = PATHS[path](app, as_role).prepare()
    before = write.stored()
    with sqlite_locked():
        for htmx in (True, False):
            assert_outage_page(write.send(htmx=htmx), htmx)
    assert write.stored() == before
    assert write.send().status_code in ACK  # the lock is gone: the same request is stored
    assert write.stored() == before + 1


@sqlite_only
def test_a_locked_sqlite_database_answers_within_its_lock_wait(app, as_role):
    write = PATHS["note"](app, as_role).prepare()
    with sqlite_locked():
        started = time.monotonic()
        assert write.send().status_code == 503
    assert time.monotonic() - started < LOCK_WAIT_MS / 1000 + 2


def test_when_no_pooled_connection_frees_up_in_time_the_answer_is_a_503(_schema, tmp_path, monkeypatch):
    """A reconnect storm after a restart can hold every pooled connection for a moment."""
    monkeypatch.setenv("TAVLAN_INSTANCE", str(tmp_path / "instance"))
    app = create_app(make_config(SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 1, "max_overflow": 0,
                                                            "pool_timeout": 0.2}))
    with app.app_context():
        busy = db.engine.connect()  # the only connection, held elsewhere
        try:
            assert_outage_page(app.test_client().get("/j/123456"), htmx=False)
            health = app.test_client().get("/healthz")
            assert health.status_code == 503 and health.get_json()["db"] == "down"
        finally:
            busy.close()
        assert app.test_client().get("/j/123456").status_code == 404  # unknown code, answered again
        app.extensions["live"].close()
        db.engine.dispose()


@needs_postgres
@pytest.mark.parametrize("path", PATHS)
def test_a_write_whose_commit_fails_is_not_acknowledged_and_the_pool_recovers(app, as_role, path):
    write = PATHS[path](app, as_role).prepare()
    before = write.stored()
    with connection_killed_at_commit() as killed:
        response = write.send()
    assert killed, "no transaction committed"
    assert_outage_page(response, htmx=True)
    assert write.stored() == before  # the server never saw the COMMIT: nothing half-stored
    assert write.send().status_code in ACK  # a fresh connection from the pool, without a restart
    assert write.stored() == before + 1


@needs_postgres
def test_a_write_to_a_read_only_database_is_a_503_while_pages_still_show(app, as_role):
    write = PATHS["note"](app, as_role).prepare()
    before = write.stored()
    admin = psycopg.connect(os.environ["TEST_PG_ADMIN_URL"], autocommit=True)
    try:
        admin.execute("ALTER ROLE board SET default_transaction_read_only = on")
        db.engine.dispose()  # new connections get the setting, as after a failover to a replica
        assert write.actor.get(write.url.rsplit("/", 1)[0]).status_code == 200
        assert_outage_page(write.send(), htmx=True)
    finally:
        admin.execute("ALTER ROLE board RESET default_transaction_read_only")
        admin.close()
        db.engine.dispose()
    assert write.stored() == before
    assert write.send().status_code in ACK
    assert write.stored() == before + 1


@needs_postgres
def test_while_postgresql_is_down_requests_get_a_503_and_afterwards_everything_works(
        app, as_role, postgres_stopped):
    write = PATHS["answer"](app, as_role).prepare()
    member = as_role("member")
    code = write.url.split("/")[2]
    before = write.stored()
    postgres_stopped()

    assert_outage_page(write.send(htmx=True), htmx=True)
    assert_outage_page(write.send(htmx=False), htmx=False)
    assert_outage_page(write.actor.get(f"/j/{code}"), htmx=False)
    # A logged-in user's page: loading the user for the header must not turn the 503 into a 500.
    assert_outage_page(member.get("/walls"), htmx=False)
    assert_outage_page(member.get("/walls", headers={"HX-Request": "true", "HX-Request-Type": "partial"}),
                       htmx=True)
    health = member.client.get("/healthz")
    assert health.status_code == 503 and health.get_json()["db"] == "down"
    stream = write.actor.client.get(f"/live/{write.channel}", headers={"Accept": "text/event-stream"})
    assert stream.status_code == 503 and stream.mimetype == "text/event-stream"

    services("start-postgres")  # the pool is not reset: pre-ping finds the dead connections
    assert member.client.get("/healthz").status_code == 200
    assert member.get("/walls").status_code == 200
    assert write.send().status_code in ACK
    assert write.stored() == before + 1


@needs_postgres
def test_an_open_stream_ends_cleanly_when_it_needs_the_database_while_postgresql_is_down(
        memory_broker, app, as_role, postgres_stopped):
    # The memory broker's unrendered marker is the simplest way to make a stream re-render.
    write = PATHS["answer"](app, as_role).prepare()
    response = write.actor.client.get(f"/live/{write.channel}", headers={"Accept": "text/event-stream"},
                                      buffered=False)
    assert response.status_code == 200
    chunks = response.iter_encoded()
    assert next(chunks).startswith(b": connected")
    postgres_stopped()
    # A change nobody rendered: the stream must re-render the region, which needs the database.
    live.broker().publish(f"{write.channel}@sv", None)
    received, deadline = [], time.monotonic() + 10
    for chunk in chunks:  # keep-alives come every second, so this loop checks the deadline
        received.append(chunk)
        assert time.monotonic() < deadline, f"the stream did not end: {received[-3:]}"
    # It ended without an exception and without a half message; the browser will reconnect.
    assert all(chunk.startswith(b": keep-alive") for chunk in received), received
    response.close()
