"""GET /live/<channel> over a real HTTP server: what a browser's hx-sse connection receives.

The app here is a bare Flask app with only live updates and its own "demo" channel kind, so these
tests do not depend on the rest of Tavlan.
"""
import http.client
import threading
import time
import uuid

import pytest
from flask import Flask, abort
from sqlalchemy import text
from werkzeug.serving import make_server

from board import live
from board.extensions import db
from board.live import RedisBroker

from .test_broker import forget_prefix, redis_url  # noqa: F401 - redis_url is a fixture

RING = 8
HEARTBEAT = 0.3
SNAPSHOT = '<p id="snap">state</p>'


def authorize(key: str) -> None:
    db.session.execute(text("select 1"))  # access checks query the database, as real ones do
    if key == "secret":
        abort(403)
    if key == "missing":
        abort(404)


def snapshot(key: str) -> str:
    db.session.execute(text("select 1"))
    return SNAPSHOT


class Server:
    """The app under Werkzeug's threaded server on a free port, as `flask run` serves it."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.http = make_server("127.0.0.1", 0, app, threaded=True)
        self.port = self.http.server_port
        self.thread = threading.Thread(target=self.http.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def publish(self, channel: str, html: str, key: str | None = None) -> int:
        with self.app.app_context():
            return live.publish(channel, html, key)

    def latest_id(self) -> int:
        with self.app.app_context():
            return live.latest_id()

    def checked_out(self) -> int:
        with self.app.app_context():
            return db.engine.pool.checkedout()

    def stop(self) -> None:
        self.http.shutdown()
        self.http.server_close()
        self.app.extensions["live"].close()


def make_app(tmp_path, **config) -> Flask:
    app = Flask(__name__)
    app.config.update(
        TESTING=True, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'live.db'}",
        LIVE_RING_SIZE=RING, LIVE_HEARTBEAT_SECONDS=HEARTBEAT, LIVE_COALESCE_MS=100, **config)
    db.init_app(app)
    live.init_app(app)  # the broker, this app's registry of channel kinds, and the stream view
    live.channel_kind(app, "demo", authorize, snapshot)
    return app


@pytest.fixture
def server(tmp_path):
    running = Server(make_app(tmp_path))
    yield running
    running.stop()


class Stream:
    """A minimal SSE reader: raw chunks, and messages parsed the way hx-sse parses them."""

    def __init__(self, port: int, path: str, headers: dict | None = None) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        self.conn.request("GET", path, headers={"Accept": "text/html, text/event-stream", **(headers or {})})
        self.sock = self.conn.sock  # the connection lets go of it once the response has begun
        self.response = self.conn.getresponse()
        self.buffer = ""

    def chunk(self, timeout: float = 3) -> str:
        self.sock.settimeout(timeout)
        data = self.response.read1(65536).decode()
        self.buffer += data
        return data

    def message(self, timeout: float = 3, keep_alive: bool = False) -> dict:
        """The next message as {"id", "data", "event", "comments"}; keep-alives skipped unless asked."""
        deadline = time.monotonic() + timeout
        while True:
            while "\n\n" not in self.buffer:
                self.chunk(max(0.01, deadline - time.monotonic()))
            block, self.buffer = self.buffer.split("\n\n", 1)
            message = {"id": None, "data": None, "event": None, "comments": []}
            for line in block.split("\n"):
                field, _, value = line.partition(":")
                value = value[1:] if value.startswith(" ") else value
                if field == "":
                    message["comments"].append(value)
                elif field == "data":
                    message["data"] = value if message["data"] is None else message["data"] + "\n" + value
                else:
                    message[field] = value
            if keep_alive or message["comments"] != ["keep-alive"]:
                return message

    def until(self, event_id: int) -> list[dict]:
        """The messages up to and including the one that delivers `event_id`."""
        found = [self.message()]
        while (found[-1]["id"], found[-1]["data"] is None) != (str(event_id), False):
            found.append(self.message())
        return found

    def rest(self) -> list[dict]:
        """Whatever else arrives before the next keep-alive (nothing, when the stream is caught up)."""
        found = []
        while (message := self.message(HEARTBEAT * 4, keep_alive=True))["comments"] != ["keep-alive"]:
            found.append(message)
        return found

    def close(self) -> None:
        self.response.close()
        self.sock.close()
        self.conn.close()


@pytest.fixture
def connect(server):
    opened = []

    def connect(path: str = "/live/demo:1", **headers) -> Stream:
        stream = Stream(server.port, path, {k.replace("_", "-"): v for k, v in headers.items()})
        opened.append(stream)
        return stream

    yield connect
    for stream in opened:
        stream.close()


def test_stream_sends_its_position_at_once(server, connect):
    position = server.latest_id()
    started = time.monotonic()
    stream = connect()
    first = stream.chunk()

    assert time.monotonic() - started < HEARTBEAT / 2
    assert stream.response.status == 200
    assert stream.response.getheader("Content-Type").startswith("text/event-stream")
    assert stream.response.getheader("Cache-Control") == "no-cache"
    assert stream.response.getheader("X-Accel-Buffering") == "no"
    assert f"id: {position}\n" in first
    assert stream.message() == {"id": str(position), "data": None, "event": None, "comments": ["connected"]}


def test_published_fragment_arrives_whole(server, connect):
    stream = connect()
    stream.message()
    server.publish("demo:2", "<p>another channel</p>")
    html = '<ul id="notes">\n  <li>first</li>\n  <li>second</li>\n</ul>'
    event_id = server.publish("demo:1", html)

    assert [(m["id"], m["data"]) for m in stream.until(event_id)] == [(str(event_id), html)]
    assert stream.rest() == []


def test_each_line_of_html_is_its_own_data_line():
    assert live.sse_message(7, "<ul>\n<li>a</li>\r\n</ul>") == "id: 7\ndata: <ul>\ndata: <li>a</li>\ndata: </ul>\n\n"
    assert live.sse_message(None, "x", event="refresh") == "event: refresh\ndata: x\n\n"


def test_reconnect_with_last_event_id_replays_exactly_the_missed_events(server, connect):
    ids = [server.publish("demo:1", f"<p>{n}</p>") for n in range(4)]

    stream = connect(Last_Event_ID=str(ids[1]))
    assert [(m["id"], m["data"]) for m in stream.until(ids[3])] == [
        (str(ids[1]), None), (str(ids[2]), "<p>2</p>"), (str(ids[3]), "<p>3</p>")]
    assert stream.rest() == []


def test_since_gives_the_start_position_and_last_event_id_wins_over_it(server, connect):
    ids = [server.publish("demo:1", f"<p>{n}</p>") for n in range(3)]

    from_since = connect(f"/live/demo:1?since={ids[0]}")
    assert [m["id"] for m in from_since.until(ids[2])] == [str(ids[0]), str(ids[1]), str(ids[2])]
    both = connect(f"/live/demo:1?since={ids[0]}", Last_Event_ID=str(ids[1]))
    assert [m["id"] for m in both.until(ids[2])] == [str(ids[1]), str(ids[2])]


@pytest.mark.parametrize("which", ["before a restart", "overflowed", "from the future"])
def test_unknown_id_gets_the_whole_region(server, connect, which):
    ids = [server.publish("demo:1", f"<p>{n}</p>") for n in range(RING + 2)]
    last_id = {"before a restart": 1, "overflowed": ids[0], "from the future": ids[-1] + 10**9}[which]

    stream = connect(Last_Event_ID=str(last_id))
    assert [(m["id"], m["data"]) for m in stream.until(ids[-1])] == [(str(ids[-1]), None), (str(ids[-1]), SNAPSHOT)]
    later = server.publish("demo:1", "<p>later</p>")
    assert [m["data"] for m in stream.until(later)] == ["<p>later</p>"]


def test_burst_of_one_key_arrives_as_its_newest_event(server, connect):
    stream = connect()
    stream.message()
    unkeyed = server.publish("demo:1", "<p>unkeyed</p>")
    ids = []
    for n in range(4):  # a drag: positions a few ms apart, all within the coalescing window
        time.sleep(0.005)
        ids.append(server.publish("demo:1", f"<p>position {n}</p>", key="note:1"))

    assert [(m["id"], m["data"]) for m in stream.until(ids[-1])] == [
        (str(unkeyed), "<p>unkeyed</p>"), (str(ids[-1]), "<p>position 3</p>")]


def test_resuming_past_a_change_published_unrendered_gets_the_whole_region(server, connect):
    before = server.latest_id()
    with server.app.app_context():  # what live.publish sends when nobody followed the channel
        marker = live.broker().publish("demo:1", None, key="stage")

    stream = connect(Last_Event_ID=str(before))
    assert [(m["id"], m["data"]) for m in stream.until(marker)] == [(str(marker), None), (str(marker), SNAPSHOT)]


def test_a_following_stream_gets_the_whole_region_for_an_unrendered_change(server, connect):
    stream = connect()
    stream.message()
    with server.app.app_context():
        marker = live.broker().publish("demo:1", None)

    assert [(m["id"], m["data"]) for m in stream.until(marker)] == [(str(marker), SNAPSHOT)]


def test_the_broker_counts_the_streams_of_each_channel(server, connect):
    broker = server.app.extensions["live"]

    def becomes(expected: bool, timeout: float = 3) -> bool:
        deadline = time.monotonic() + timeout
        while broker.listening("demo:1") != expected and time.monotonic() < deadline:
            time.sleep(0.02)
        return broker.listening("demo:1") == expected

    assert becomes(False, 0)
    first, second = connect(), connect()
    first.message(), second.message()
    assert becomes(True) and not broker.listening("demo:2")
    first.close()
    time.sleep(HEARTBEAT * 3)  # the server notices a closed stream when it next writes to it
    assert broker.listening("demo:1")
    second.close()
    assert becomes(False, HEARTBEAT * 6)


@pytest.mark.parametrize("path, status", [
    ("/live/demo:secret", 403), ("/live/demo:missing", 404), ("/live/nokind:1", 404), ("/live/demo", 404)])
def test_refused_channel_gets_a_status_not_a_stream(connect, path, status):
    stream = connect(path)
    assert stream.response.status == status
    assert not stream.response.getheader("Content-Type").startswith("text/event-stream")


def test_idle_stream_sends_keep_alive_comments(connect):
    stream = connect()
    stream.message()
    started = time.monotonic()

    assert stream.message(HEARTBEAT * 3, keep_alive=True)["comments"] == ["keep-alive"]
    assert HEARTBEAT * 0.8 < time.monotonic() - started < HEARTBEAT * 3


def test_open_streams_hold_no_database_connection(server, connect):
    too_old = connect(Last_Event_ID="1")  # authorize and snapshot both query
    following = connect()
    position = server.latest_id()
    too_old.until(position)
    following.message()
    assert server.checked_out() == 0

    # A burst longer than the ring, while `following` waits for it to settle: it falls
    # behind and is sent the whole region again, rendered inside the stream loop.
    ids = [server.publish("demo:1", f"<p>{n}</p>") for n in range(RING + 2)]
    assert following.until(ids[-1])[-1]["data"] == SNAPSHOT
    assert server.checked_out() == 0


def test_stream_on_redis_replays_what_another_worker_published(tmp_path, redis_url):  # noqa: F811
    prefix = f"test-{uuid.uuid4().hex[:10]}"
    other_worker = RedisBroker(redis_url, prefix=prefix)
    running = Server(make_app(tmp_path, REDIS_URL=redis_url, LIVE_REDIS_PREFIX=prefix))
    try:
        start = running.latest_id()
        missed = other_worker.publish("demo:1", "<p>missed</p>")
        stream = Stream(running.port, "/live/demo:1", {"Last-Event-ID": str(start)})
        assert [(m["id"], m["data"]) for m in stream.until(missed)] == [
            (str(start), None), (str(missed), "<p>missed</p>")]
        new = other_worker.publish("demo:1", "<p>new</p>")
        assert [m["data"] for m in stream.until(new)] == ["<p>new</p>"]
        stream.close()
    finally:
        running.stop()
        other_worker.close()
        forget_prefix(redis_url, prefix)


# --- pending markers: a change acknowledged before its render (live.publish_soon with Redis) ---

def test_resuming_past_a_pending_change_whose_render_never_came_gets_the_whole_region(server, connect):
    """The process died between acknowledging a change and rendering it: the marker it left makes a
    resuming stream render the whole region, so the change is not missed."""
    before = server.latest_id()
    marker = server.publish("demo:1", live.PENDING, key="note:7")

    stream = connect(Last_Event_ID=str(before))
    assert [(m["id"], m["data"]) for m in stream.until(marker)] == [(str(marker), None), (str(marker), SNAPSHOT)]


def test_resuming_past_a_pending_change_and_its_render_replays_only_the_render(server, connect):
    before = server.latest_id()
    server.publish("demo:1", live.PENDING, key="note:7")
    render = server.publish("demo:1", "<p>note 7</p>", key="note:7")

    stream = connect(Last_Event_ID=str(before))
    assert [(m["id"], m["data"]) for m in stream.until(render)] == [(str(before), None), (str(render), "<p>note 7</p>")]


def test_a_following_stream_shows_nothing_for_a_pending_marker_and_then_the_render(server, connect):
    stream = connect()
    stream.message()
    server.publish("demo:1", live.PENDING, key="note:7")
    render = server.publish("demo:1", "<p>note 7</p>", key="note:7")

    assert [(m["id"], m["data"]) for m in stream.until(render)] == [(str(render), "<p>note 7</p>")]
    assert stream.rest() == []  # no snapshot later either: the render came


def test_a_following_stream_re_renders_when_a_pending_render_never_comes(server, connect, monkeypatch):
    monkeypatch.setattr(live.stream, "PENDING_SECONDS", 0.5)
    stream = connect()
    stream.message()
    started = time.monotonic()
    marker = server.publish("demo:1", live.PENDING, key="note:7")

    assert [(m["id"], m["data"]) for m in stream.until(marker)] == [(str(marker), SNAPSHOT)]
    assert 0.4 <= time.monotonic() - started < 3


def test_with_redis_publish_soon_leaves_its_marker_before_the_request_ends(tmp_path, redis_url):  # noqa: F811
    """The marker is in Redis's log when publish_soon returns (so before the user's acknowledgement),
    while the render still waits; once the render is published, a resume replays only the render."""
    prefix = f"test-{uuid.uuid4().hex[:10]}"
    other_worker = RedisBroker(redis_url, prefix=prefix)
    app = make_app(tmp_path, REDIS_URL=redis_url, LIVE_REDIS_PREFIX=prefix, LIVE_THROTTLE_MS=100)
    running = Server(app)
    gate = threading.Event()

    def render() -> str:
        gate.wait(5)
        return "<p>note 7</p>"

    try:
        start = running.latest_id()
        with app.test_request_context():
            live.publish_soon("demo:1", render, key="note:7")
        pending, _ = other_worker._read("demo:1", start)
        assert [(event.key, event.pending) for event in pending] == [("note:7", True)]
        assert live.unrendered(pending), "a stream resuming now renders the whole region"
        gate.set()
        deadline = time.monotonic() + 5
        while len(other_worker._read("demo:1", start)[0]) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        both, _ = other_worker._read("demo:1", start)
        assert [(event.key, event.html) for event in both] == [("note:7", live.PENDING), ("note:7", "<p>note 7</p>")]
        stream = Stream(running.port, "/live/demo:1", {"Last-Event-ID": str(start)})
        assert [(m["id"], m["data"]) for m in stream.until(both[-1].id)] == [
            (str(start), None), (str(both[-1].id), "<p>note 7</p>")]
        stream.close()
    finally:
        gate.set()
        running.stop()
        other_worker.close()
        forget_prefix(redis_url, prefix)
