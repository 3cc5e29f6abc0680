import time

from board import live
from tests.waiting import wait_until


def shown(channel: str, start: int) -> list[str]:
    """What a viewer following `channel` sees since `start` (with Redis, pending markers precede
    each render: they show nothing, tests/live/test_stream.py)."""
    return [e.html for e in live.broker().events_after(channel, start) if not e.pending]


def test_a_burst_of_changes_is_rendered_at_once_and_then_once_more_with_the_final_state(app):
    app.config["LIVE_THROTTLE_MS"] = 150
    live.broker().listen("demo:1@sv")  # a viewer in Swedish, none in English
    per_publish = 1 if live.backend_name() == "memory" else 2  # with Redis: every language
    state = {"value": 1, "renders": 0}

    def render():
        state["renders"] += 1
        return f"<p>{state['value']}</p>"

    start = live.latest_id()
    live.publish_soon("demo:1", render, key="stage")  # after a quiet moment: rendered at once
    wait_until(lambda: shown("demo:1@sv", start) == ["<p>1</p>"])
    for value in range(2, 51):  # the rest of the burst waits for the interval to end
        state["value"] = value
        live.publish_soon("demo:1", render, key="stage")
    assert state["renders"] == per_publish
    wait_until(lambda: shown("demo:1@sv", start) == ["<p>1</p>", "<p>50</p>"])
    if live.backend_name() == "redis":  # one marker per render, published in the request
        assert [e.pending for e in live.broker().events_after("demo:1@sv", start)] == [True, False, True, False]
    assert state["renders"] == 2 * per_publish


def test_a_slow_render_spaces_out_the_next_ones(app):
    """Renders take at most a fifth of the worker: after one of 60 ms the next starts 300 ms later."""
    app.config["LIVE_THROTTLE_MS"] = 10
    live.broker().listen("demo:3@sv")
    per_publish = 1 if live.backend_name() == "memory" else 2  # Redis renders every language
    started = []

    def slow_render():
        started.append(time.monotonic())
        time.sleep(0.06)
        return "<p>slow</p>"

    start = live.latest_id()
    live.publish_soon("demo:3", slow_render, key="stage")
    languages = ["sv"] if per_publish == 1 else ["sv", "en"]  # Redis renders every language
    wait_until(lambda: all(shown(f"demo:3@{language}", start) for language in languages))  # all rendered
    assert len(started) == per_publish
    live.publish_soon("demo:3", slow_render, key="stage")
    time.sleep(0.05)  # a wait for something NOT to happen: a 10 ms throttle alone would have rendered by now
    assert len(started) == per_publish
    wait_until(lambda: len(started) >= 2 * per_publish)
    assert started[per_publish] - started[0] >= 0.06 * per_publish / live.SOON_SHARE


def test_changes_after_a_render_are_published_too(app):
    app.config["LIVE_THROTTLE_MS"] = 30
    live.broker().listen("demo:2@sv")
    state = {"value": "a"}
    start = live.latest_id()
    live.publish_soon("demo:2", lambda: f"<p>{state['value']}</p>", key="stage")
    wait_until(lambda: shown("demo:2@sv", start) == ["<p>a</p>"])
    state["value"] = "b"
    live.publish_soon("demo:2", lambda: f"<p>{state['value']}</p>", key="stage")
    wait_until(lambda: shown("demo:2@sv", start) == ["<p>a</p>", "<p>b</p>"])


def test_a_render_whose_object_was_erased_meanwhile_publishes_nothing_and_is_no_error(app, caplog):
    """A session erased while its results' render was due: no event, and no ERROR in the log."""
    from flask import abort

    live.broker().listen("demo:4@sv")
    start = live.latest_id()
    with caplog.at_level("INFO", logger="board.live"):
        assert live.publish("demo:4", lambda: abort(404), key="stage") is None
    assert live.broker().events_after("demo:4@sv", start) in ([], None)
    assert [r.levelname for r in caplog.records if r.name == "board.live"] == ["INFO"]
    assert "gone" in caplog.records[-1].getMessage()
