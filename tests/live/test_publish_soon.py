import time

from board import live


def test_a_burst_of_changes_is_rendered_once_with_the_final_state(app):
    app.config["LIVE_THROTTLE_MS"] = 50
    live.broker().listen("demo:1@sv")  # a viewer in Swedish, none in English
    state = {"value": 0, "renders": 0}

    def render():
        state["renders"] += 1
        return f"<p>{state['value']}</p>"

    start = live.latest_id()
    for value in range(1, 51):
        state["value"] = value
        live.publish_soon("demo:1", render, key="stage")
    time.sleep(0.4)
    events = live.broker().events_after("demo:1@sv", start)
    assert state["renders"] == 1  # once, in the one language a stream follows
    assert [e.html for e in events] == ["<p>50</p>"]
    assert [e.html for e in live.broker().events_after("demo:1@en", start)] == [None]


def test_a_slow_render_spaces_out_the_next_ones(app):
    """Renders take at most a fifth of the worker: after one of 60 ms the next waits about 300 ms."""
    app.config["LIVE_THROTTLE_MS"] = 10
    live.broker().listen("demo:3@sv")
    published = []

    def slow_render():
        time.sleep(0.06)
        published.append(time.monotonic())
        return "<p>slow</p>"

    live.publish_soon("demo:3", slow_render, key="stage")
    time.sleep(0.2)
    assert len(published) == 1
    asked = time.monotonic()
    live.publish_soon("demo:3", slow_render, key="stage")
    time.sleep(0.15)
    assert len(published) == 1  # a 10 ms throttle alone would have rendered it by now
    time.sleep(0.4)
    assert len(published) == 2
    assert published[1] - asked >= 0.06 / live.SOON_SHARE


def test_changes_after_a_render_are_published_too(app):
    app.config["LIVE_THROTTLE_MS"] = 30
    live.broker().listen("demo:2@sv")
    state = {"value": "a"}
    start = live.latest_id()
    live.publish_soon("demo:2", lambda: f"<p>{state['value']}</p>", key="stage")
    time.sleep(0.15)
    state["value"] = "b"
    live.publish_soon("demo:2", lambda: f"<p>{state['value']}</p>", key="stage")
    time.sleep(0.15)
    assert [e.html for e in live.broker().events_after("demo:2@sv", start)] == ["<p>a</p>", "<p>b</p>"]
