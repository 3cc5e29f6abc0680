"""Redis down: pages, answers and notes keep working, /healthz says the broker is down, and live
updates resume by themselves when Redis is back (issue 8). The real Redis of
scripts/test-services.sh is stopped and started; it keeps no data over the restart."""
import logging
import time

from .conftest import needs_redis
from .writes import PATHS

pytestmark = needs_redis


def test_with_redis_down_answers_and_notes_are_stored_and_healthz_says_the_broker_is_down(
        app, as_role, redis_stopped, caplog):
    answer = PATHS["answer"](app, as_role).prepare()
    note = PATHS["note"](app, as_role).prepare()
    answers, notes = answer.stored(), note.stored()
    assert app.test_client().get("/healthz").get_json()["broker"] == "redis"
    redis_stopped()

    health = app.test_client().get("/healthz")
    assert health.status_code == 503
    assert health.get_json() == {"status": "degraded", "db": "ok", "broker": "down"}
    code = answer.url.split("/")[2]
    assert answer.actor.get(f"/j/{code}").status_code == 200  # the page renders without Redis
    with caplog.at_level(logging.ERROR, logger="board.live"):
        assert answer.send().status_code == 200
        assert note.send().status_code == 200
        assert note.send(htmx=False).status_code == 303
    assert (answer.stored(), note.stored()) == (answers + 1, notes + 2)
    # The failed live publish is logged, not raised.
    assert any("could not publish" in r.getMessage() for r in caplog.records if r.name == "board.live")

    from .conftest import services

    services("start-redis")
    health = app.test_client().get("/healthz")
    assert health.status_code == 200 and health.get_json()["broker"] == "redis"


def _read_until(chunks, text: str, seconds: float) -> list[bytes]:
    """Read a stream until a message contains `text`; fail after `seconds` (keep-alives come each second)."""
    received, deadline = [], time.monotonic() + seconds
    for chunk in chunks:
        received.append(chunk)
        if text.encode() in chunk:
            return received
        assert time.monotonic() < deadline, f"{text!r} never arrived; last: {received[-3:]}"
    raise AssertionError(f"the stream ended before {text!r} arrived: {received[-3:]}")


def test_a_stream_open_through_a_redis_outage_catches_up_and_follows_again(app, as_role, redis_stopped):
    note = PATHS["note"](app, as_role).prepare()
    wall_id = note.url.split("/")[2]
    response = note.actor.client.get(f"/live/wall:{wall_id}", headers={"Accept": "text/event-stream"},
                                     buffered=False)
    assert response.status_code == 200
    chunks = response.iter_encoded()
    assert next(chunks).startswith(b": connected")
    # Wait for the process's Redis listener, so that the outage is one it has to notice.
    note.send(htmx=True)
    _read_until(chunks, "En lapp", 10)

    redis_stopped()
    during = note.data | {"text": "Skriven medan Redis var nere"}
    assert note.actor.post(note.url, during | {"csrf_token": note.token}, htmx=True, csrf=False).status_code == 200

    from .conftest import services

    services("start-redis")
    # The listener reconnects by itself; the event published during the outage is lost with
    # Redis, so the stream gets the whole board again, which holds the note.
    _read_until(chunks, "Skriven medan Redis var nere", 20)
    after = note.data | {"text": "Efter att Redis kom tillbaka"}
    assert note.actor.post(note.url, after | {"csrf_token": note.token}, htmx=True, csrf=False).status_code == 200
    _read_until(chunks, "Efter att Redis kom tillbaka", 10)  # and live events flow again
    response.close()
