"""The brokers behind live updates: ordering, replay by id, "too old", waking, and Redis sharing.

Every test runs against MemoryBroker and RedisBroker. Redis comes from TEST_REDIS_URL, or from a
redis-server this module starts on a free loopback port.
"""
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
import uuid
from pathlib import Path

import pytest
import redis
from flask import Flask

from board import live
from board.live import MemoryBroker, RedisBroker, collapse

RING = 8  # small, so tests can overflow it


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    """A throwaway redis-server on a free loopback port."""

    def __init__(self, directory: Path) -> None:
        self.directory, self.port = directory, free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.pid = None

    def start(self) -> "RedisServer":
        pidfile = self.directory / "redis.pid"
        subprocess.run(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--daemonize", "yes", "--pidfile", str(pidfile),
             "--dir", str(self.directory), "--logfile", str(self.directory / "redis.log")], check=True)
        client = redis.Redis(port=self.port)
        deadline = time.monotonic() + 5
        while self.pid is None:
            try:
                client.ping()
                self.pid = int(pidfile.read_text())
            except (redis.ConnectionError, FileNotFoundError, ValueError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.01)
        client.close()
        return self

    def stop(self) -> None:
        """Kill it, as a crash would (SIGTERM takes Redis about 2 s), losing its data."""
        os.kill(self.pid, signal.SIGKILL)
        self.pid = None
        (self.directory / "redis.pid").unlink(missing_ok=True)
        # Daemonized, it may linger as a zombie nobody reaps: wait for its port to close instead.
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
            except OSError:
                return
            time.sleep(0.01)


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    if os.environ.get("TEST_REDIS_URL"):
        yield os.environ["TEST_REDIS_URL"]
        return
    if not shutil.which("redis-server"):
        pytest.skip("no Redis: set TEST_REDIS_URL or install redis-server")
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server.url
    server.stop()


def forget_prefix(url: str, prefix: str) -> None:
    """Delete a test's keys, as if Redis had restarted without its data."""
    client = redis.Redis.from_url(url)
    keys = list(client.scan_iter(f"{prefix}:*"))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture(params=["memory", "redis"])
def make_broker(request):
    """A factory of brokers of one kind; brokers made by one factory share one Redis namespace."""
    made = []
    url = request.getfixturevalue("redis_url") if request.param == "redis" else None
    prefix = f"test-{uuid.uuid4().hex[:10]}"

    def make():
        if url:
            broker = RedisBroker(url, ring_size=RING, prefix=prefix, history=RING)
        else:
            broker = MemoryBroker(ring_size=RING)
        made.append(broker)
        return broker

    make.kind = request.param
    make.lose_history = lambda: forget_prefix(url, prefix) if url else None
    yield make
    for broker in made:
        broker.close()
    if url:
        forget_prefix(url, prefix)


@pytest.fixture
def broker(make_broker):
    return make_broker()


def settled(broker, channel, last_id, newest):
    """events_after, giving a Redis listener a moment to receive what was just published."""
    deadline = time.monotonic() + 3
    while True:
        found = broker.events_after(channel, last_id)
        if found is None or (found and found[-1].id >= newest) or time.monotonic() > deadline:
            return found
        time.sleep(0.005)


def test_events_after_an_id_are_the_later_events_in_order(broker):
    start = broker.latest_id()
    ids = []
    for n in range(5):
        ids.append(broker.publish("wall:1", f"<p>{n}</p>"))
        broker.publish("wall:2", "<p>elsewhere</p>")

    assert ids == sorted(set(ids)) and ids[0] > start
    assert broker.latest_id() > ids[-1]  # wall:2 published last
    assert [e.id for e in settled(broker, "wall:1", start, ids[-1])] == ids
    after = settled(broker, "wall:1", ids[1], ids[-1])
    assert [(e.id, e.html) for e in after] == [(ids[n], f"<p>{n}</p>") for n in (2, 3, 4)]
    assert broker.events_after("wall:1", ids[-1]) == []


def test_reconnecting_subscriber_gets_exactly_what_it_missed(broker):
    start = broker.latest_id()
    published = []

    def publisher():
        for n in range(40):
            published.append(broker.publish("session:1", f"<p>{n}</p>"))
            time.sleep(0.004)

    thread = threading.Thread(target=publisher)
    thread.start()
    seen, last = [], start
    while len(seen) < 40:
        # Alternate between following the stream and "reconnecting" with the last id seen.
        events = broker.wait("session:1", last, 3) if len(seen) % 2 else broker.events_after("session:1", last)
        assert events is not None
        seen.extend(e.id for e in events)
        last = seen[-1] if seen else last
        if not events:
            time.sleep(0.002)
    thread.join()
    assert seen == published


def test_id_older_than_the_ring_is_too_old(broker):
    ids = [broker.publish("wall:1", f"<p>{n}</p>") for n in range(RING + 3)]
    settled(broker, "wall:1", ids[-2], ids[-1])

    assert broker.events_after("wall:1", ids[1]) is None
    assert broker.wait("wall:1", ids[0], 0.1) is None
    kept = broker.events_after("wall:1", ids[2])  # the ring still holds everything after ids[2]
    assert [e.id for e in kept] == ids[3:]


def test_id_from_before_a_restart_is_too_old(make_broker):
    """Memory: the process restarted. Redis: Redis restarted without its data."""
    old = make_broker()
    seen = old.publish("wall:1", "<p>before</p>")
    make_broker.lose_history()
    new = make_broker()
    new.publish("wall:1", "<p>after</p>")

    assert new.events_after("wall:1", seen) is None


def test_ids_keep_increasing_across_a_restart(make_broker):
    old = make_broker()
    before = [old.publish("wall:1", "<p>x</p>") for _ in range(20)]
    new = make_broker()

    assert new.latest_id() >= before[-1]
    assert new.publish("wall:1", "<p>y</p>") > before[-1]


def test_wait_wakes_when_another_thread_publishes(broker):
    last = broker.latest_id()
    broker.wait("wall:1", last, 0.01)  # let a Redis listener connect first
    published = []
    timer = threading.Timer(0.1, lambda: published.append(broker.publish("wall:1", "<p>new</p>")))
    started = time.monotonic()
    timer.start()
    events = broker.wait("wall:1", last, 5)
    timer.join()

    assert time.monotonic() - started < 1
    assert [e.id for e in events] == published


def test_wait_returns_nothing_after_its_timeout(broker):
    started = time.monotonic()
    assert broker.wait("wall:1", broker.latest_id(), 0.2) == []
    assert 0.15 < time.monotonic() - started < 1.5


def test_coalescing_keeps_the_newest_event_per_key(broker):
    start = broker.latest_id()
    sent = [("note:1", "a1"), (None, "x1"), ("note:1", "a2"), ("note:2", "b1"), (None, "x2"), ("note:1", "a3")]
    ids = [broker.publish("wall:1", html, key=key) for key, html in sent]
    events = settled(broker, "wall:1", start, ids[-1])

    kept = collapse(events)
    assert [e.html for e in kept] == ["x1", "b1", "x2", "a3"]
    assert kept[-1].id == ids[-1]


def test_publish_without_redis_returns_none_and_never_raises(caplog):
    unreachable = RedisBroker(f"redis://127.0.0.1:{free_port()}/0")
    app = Flask(__name__)
    app.extensions["live"] = unreachable
    started = time.monotonic()
    with app.app_context():
        assert live.publish("wall:1", "<p>x</p>") is None
    assert unreachable.publish("wall:1", "<p>x</p>", key="k") is None
    # The stream view can still start: a snapshot instead of a replay, a local position.
    assert unreachable.events_after("wall:1", 1) is None
    assert unreachable.latest_id() > 0
    unreachable.close()
    assert time.monotonic() - started < 5
    assert "could not publish" in caplog.text


def test_module_publish_never_raises_when_the_broker_fails(caplog):
    class Broken(MemoryBroker):
        def publish(self, channel, html, key=None):
            raise RuntimeError("boom")

    app = Flask(__name__)
    app.extensions["live"] = Broken()
    with app.app_context():
        assert live.publish("wall:1", "<p>x</p>") is None
    assert "boom" in caplog.text


def test_module_publish_never_raises_when_rendering_fails(caplog):
    app = Flask(__name__)
    app.extensions["live"] = MemoryBroker()
    with app.app_context():
        assert live.publish("wall:1", lambda: 1 / 0) is None
        assert live.publish("wall:1", lambda: "<p>rendered</p>") is not None
    assert "ZeroDivisionError" in caplog.text


def test_workers_on_one_redis_share_events(redis_url):
    prefix = f"test-{uuid.uuid4().hex[:10]}"
    a = RedisBroker(redis_url, ring_size=RING, prefix=prefix)
    start = a.latest_id()
    first = a.publish("wall:1", "<p>before b started</p>")
    b = RedisBroker(redis_url, ring_size=RING, prefix=prefix)
    try:
        # b's own ring never saw `first`; it replays it from Redis.
        assert [e.id for e in b.events_after("wall:1", start)] == [first]
        got = []
        waiter = threading.Thread(target=lambda: got.append(b.wait("wall:1", first, 5)))
        waiter.start()
        time.sleep(0.1)
        second = a.publish("wall:1", "<p>through a</p>")
        waiter.join()
        assert [(e.id, e.html) for e in got[0]] == [(second, "<p>through a</p>")]
    finally:
        a.close()
        b.close()
        forget_prefix(redis_url, prefix)


@pytest.mark.skipif(not shutil.which("redis-server"), reason="needs redis-server to restart")
def test_subscriber_recovers_after_redis_restarts(tmp_path):
    server = RedisServer(tmp_path).start()
    a = RedisBroker(server.url, ring_size=RING)
    b = RedisBroker(server.url, ring_size=RING)
    try:
        seen = a.publish("wall:1", "<p>before</p>")
        assert [e.id for e in settled(b, "wall:1", seen - 1, seen)] == [seen]
        server.stop()
        server.start()  # empty: the events before the restart are gone
        after = a.publish("wall:1", "<p>after</p>")

        assert after > seen
        # Redis lost the history, so b cannot prove nothing was missed: "too old", a snapshot.
        assert b.events_after("wall:1", seen) is None
        got = []
        waiter = threading.Thread(target=lambda: got.append(b.wait("wall:1", after, 5)))
        waiter.start()
        time.sleep(0.2)
        later = a.publish("wall:1", "<p>later</p>")
        waiter.join()
        # Only a reconnected subscription can wake this waiter.
        assert [e.id for e in got[0]] == [later]
    finally:
        a.close()
        b.close()
        if server.pid:
            server.stop()
