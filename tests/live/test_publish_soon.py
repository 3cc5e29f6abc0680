import time

from board import live


def test_a_burst_of_changes_is_rendered_once_with_the_final_state(app):
    app.config["LIVE_THROTTLE_MS"] = 50
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
    assert state["renders"] == 2  # once per language: sv and en
    assert [e.html for e in events] == ["<p>50</p>"]


def test_changes_after_a_render_are_published_too(app):
    app.config["LIVE_THROTTLE_MS"] = 30
    state = {"value": "a"}
    start = live.latest_id()
    live.publish_soon("demo:2", lambda: f"<p>{state['value']}</p>", key="stage")
    time.sleep(0.15)
    state["value"] = "b"
    live.publish_soon("demo:2", lambda: f"<p>{state['value']}</p>", key="stage")
    time.sleep(0.15)
    assert [e.html for e in live.broker().events_after("demo:2@sv", start)] == ["<p>a</p>", "<p>b</p>"]
