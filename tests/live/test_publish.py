"""live.publish in the app: one render per interface language that some stream follows."""
from board import live


def test_only_languages_that_a_stream_follows_are_rendered(app):
    renders = []

    def render():
        from flask_babel import get_locale

        renders.append(str(get_locale()))
        return f"<p>{get_locale()}</p>"

    start = live.latest_id()
    live.broker().listen("demo:7@en")
    live.publish("demo:7", render, key="stage")

    assert [e.html for e in live.broker().events_after("demo:7@en", start)] == ["<p>en</p>"]
    swedish = [e.html for e in live.broker().events_after("demo:7@sv", start)]
    if live.backend_name() == "memory":
        assert renders == ["en"]
        # Swedish got a marker instead, which sends a stream resuming from before it the whole region.
        assert swedish == [None]
    else:  # with Redis, streams of other workers are not counted: every language is rendered
        assert renders == ["sv", "en"] and swedish == ["<p>sv</p>"]


def test_plain_html_goes_to_every_language(app):
    start = live.latest_id()
    live.publish("demo:8", "<p>same</p>")
    for language in ("sv", "en"):
        assert [e.html for e in live.broker().events_after(f"demo:8@{language}", start)] == ["<p>same</p>"]
