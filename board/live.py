"""Live updates: server-sent event streams per channel, fed by a broker that keeps recent events.

A service commits a change, then calls `publish(channel, html)` with the fragment it rendered once.
Every stream on that channel reads the event from one shared ring buffer by id, so a browser that
reconnects with `Last-Event-ID` gets exactly what it missed, or a fresh snapshot of the whole live
region when its id is older than what the broker keeps. `MemoryBroker` serves one process;
`RedisBroker` carries events between worker processes and hosts (one subscription per process).
"""
from __future__ import annotations

import contextlib
import logging
import os
import re
import sys
import threading
import time
from abc import ABC, abstractmethod
from collections import deque
from dataclasses import dataclass, field
from typing import Callable, Iterator, NamedTuple

import redis
from flask import Blueprint, Flask, Response, abort, current_app, request, stream_with_context
from redis.backoff import ExponentialBackoff, NoBackoff
from redis.retry import Retry
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import NotFound

from board import observability, shared
from board.extensions import db

log = logging.getLogger(__name__)
bp = Blueprint("live", __name__)

_NEVER = sys.maxsize  # the floor of a ring that covers nothing yet
_LINE_BREAK = re.compile(r"\r\n|\r|\n")  # the three line ends the SSE spec accepts


def now_us() -> int:
    """Microseconds since the Unix epoch: the clock that event ids follow."""
    return time.time_ns() // 1000


def sse_message(event_id: int | None, html: str | None = None, event: str | None = None) -> str:
    """Format one SSE message, one `data:` line per line of html (PITFALLS §2)."""
    lines = [] if event_id is None else [f"id: {event_id}"]
    if event:
        lines.append(f"event: {event}")
    if html is not None:
        lines.extend("data: " + line for line in _LINE_BREAK.split(html))
    return "\n".join(lines) + "\n\n"


# The html of a "pending" marker: a change of `key` is committed and acknowledged, and its rendered
# event follows from the background (publish_soon). Published in the request, so that a change
# whose render died with its process (SIGKILL between acknowledgement and render) still leaves a
# trace in Redis's log: a stream resuming past a pending marker without its render re-renders the
# region, and a stream following live re-renders when the render does not come within PENDING_SECONDS.
PENDING = "\x00pending"
PENDING_SECONDS = 10.0


@dataclass(slots=True)
class Event:
    """One published fragment; `wire` is its SSE encoding, made once for all subscribers."""

    id: int
    channel: str
    html: str | None  # None: a marker that the region changed unrendered; resuming past it re-renders
    key: str | None = None
    wire: bytes = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.wire = b"" if self.pending else sse_message(self.id, self.html).encode()

    @property
    def pending(self) -> bool:
        return self.html == PENDING


def collapse(events: list[Event]) -> list[Event]:
    """Keep every unkeyed event and only the newest event of each key, in id order."""
    newest = {e.key: e.id for e in events if e.key is not None}
    return [e for e in events if e.key is None or newest[e.key] == e.id]


def unresolved(events: list[Event]) -> list[Event]:
    """The pending markers in `events` that no rendered event of their key follows (yet)."""
    rendered = {e.key: e.id for e in events if not e.pending}
    return [e for e in events if e.pending and rendered.get(e.key, -1) < e.id]


def unrendered(events: list[Event]) -> bool:
    """Whether `events` hold a change that was published without html (nobody listened then), or
    one whose render has not followed its pending marker: a stream resuming past it re-renders."""
    return any(event.html is None for event in collapse(events)) or bool(unresolved(events))


class _Ring:
    """Recent events of one channel; complete for every id above `floor`."""

    __slots__ = ("events", "floor", "wakeup")

    def __init__(self, size: int, floor: int) -> None:
        self.events: deque[Event] = deque(maxlen=size)
        self.floor = floor
        # Waiters share one Event per channel; publishing sets it and installs a fresh one, which
        # is cheaper than a queue per subscriber (shared/floor/README.md).
        self.wakeup = threading.Event()


class Broker(ABC):
    """Rings of recent events per channel, read by id; subclasses decide where ids come from."""

    def __init__(self, ring_size: int = 256) -> None:
        self._ring_size = max(1, ring_size)
        self._rings: dict[str, _Ring] = {}
        self._lock = threading.Lock()
        self._top = 0  # the highest id this process knows was issued
        self._floor = _NEVER  # the floor of a ring created now
        self._listeners: dict[str, int] = {}  # open streams per channel in this process

    @abstractmethod
    def publish(self, channel: str, html: str, key: str | None = None) -> int | None:
        """Send `html` to every subscriber of `channel`; return its id."""

    @abstractmethod
    def latest_id(self) -> int:
        """Return the current position: the id of the newest event (or of the broker's start)."""

    def close(self) -> None:
        """Release connections and background work."""

    def alive(self) -> bool:
        """Whether events published now reach other processes' streams (/healthz)."""
        return True

    def version(self, channel: str) -> int | None:
        """The id of the newest event on `channel` (or of the broker's start), if every event of the
        channel passes through this process; None when other processes publish too (Redis)."""
        return None

    def listen(self, channel: str, opened: bool = True) -> None:
        """Count a stream on `channel` opening (or, with opened=False, closing)."""
        with self._lock:
            count = self._listeners.get(channel, 0) + (1 if opened else -1)
            if count > 0:
                self._listeners[channel] = count
            else:
                self._listeners.pop(channel, None)

    def listening(self, channel: str) -> bool:
        """Whether a stream anywhere may be following `channel`, so that an event must be rendered."""
        return channel in self._listeners

    def events_after(self, channel: str, last_id: int) -> list[Event] | None:
        """Return the events after `last_id` in order, or None if the broker no longer knows them."""
        with self._lock:
            return self._local_after(channel, last_id)

    def wait(self, channel: str, last_id: int, timeout: float) -> list[Event] | None:
        """Block until there are events after `last_id` (or None as above); [] on timeout."""
        deadline = time.monotonic() + timeout
        cursor = last_id  # events in (last_id, cursor] are known not to exist
        while True:
            with self._lock:
                found = self._local_after(channel, cursor)
                wakeup = self._ring(channel).wakeup  # taken under the lock, so no publish is missed
            if found is None:
                found, cursor = self._beyond_ring(channel, cursor)
            if found is None or found:
                return found
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not wakeup.wait(remaining):
                return []

    def _beyond_ring(self, channel: str, cursor: int) -> tuple[list[Event] | None, int]:
        return None, cursor

    def _ring(self, channel: str) -> _Ring:
        ring = self._rings.get(channel)
        if ring is None:
            ring = self._rings[channel] = _Ring(self._ring_size, self._floor)
        return ring

    def _local_after(self, channel: str, last_id: int) -> list[Event] | None:
        ring = self._rings.get(channel)
        floor = ring.floor if ring else self._floor
        # An id from the future (another clock, a lost Redis) is as unknown as a too old one.
        if last_id < floor or last_id > self._top:
            return None
        found = []
        for event in reversed(ring.events if ring else ()):
            if event.id <= last_id:
                break
            found.append(event)
        found.reverse()
        return found

    def _append(self, event: Event) -> threading.Event:
        """Add `event` to its ring (lock held); return the wakeup to set once the lock is released."""
        ring = self._ring(event.channel)
        if len(ring.events) == ring.events.maxlen:
            ring.floor = max(ring.floor, ring.events[0].id)
        ring.events.append(event)
        self._top = max(self._top, event.id)
        wakeup, ring.wakeup = ring.wakeup, threading.Event()
        return wakeup

    def _reset_rings(self, floor: int) -> None:
        """Forget every ring's events below a new floor and wake all waiters to look again."""
        with self._lock:
            self._floor = floor
            if floor != _NEVER:
                self._top = max(self._top, floor)
            wakeups = []
            for ring in self._rings.values():
                ring.events.clear()
                ring.floor = floor
                wakeups.append(ring.wakeup)
                ring.wakeup = threading.Event()
        for wakeup in wakeups:
            wakeup.set()


class MemoryBroker(Broker):
    """Events within one process: right for one worker, and the default without REDIS_URL."""

    def __init__(self, ring_size: int = 256) -> None:
        super().__init__(ring_size)
        # Time-based ids carry on above the last run's, and the empty rings make every id from
        # before this boot "too old", so a reconnecting browser gets a snapshot after a restart.
        self._top = self._floor = now_us()

    def publish(self, channel: str, html: str | None, key: str | None = None) -> int:
        with self._lock:
            event = Event(max(self._top + 1, now_us()), channel, html, key)
            wakeup = self._append(event)
        wakeup.set()
        return event.id

    def latest_id(self) -> int:
        with self._lock:
            return self._top

    def version(self, channel: str) -> int | None:
        with self._lock:
            ring = self._rings.get(channel)
            if ring is None:
                return self._floor
            return ring.events[-1].id if ring.events else ring.floor


# KEYS: last id, epoch, channel log, channel floor.
# ARGV: now_us, key, html, log length, ttl seconds, pub/sub channel.
_PUBLISH = """
redis.call('SET', KEYS[2], ARGV[1], 'NX')
local last = tonumber(redis.call('GET', KEYS[1]) or redis.call('GET', KEYS[2]))
local id = string.format('%d', math.max(last + 1, tonumber(ARGV[1])))
redis.call('SET', KEYS[1], id)
local entry = id .. '\\n' .. ARGV[2] .. '\\n' .. ARGV[3]
local n = redis.call('RPUSH', KEYS[3], entry)
local keep = tonumber(ARGV[4])
if n > keep then
  local gone = redis.call('LINDEX', KEYS[3], n - keep - 1)
  redis.call('LTRIM', KEYS[3], n - keep, -1)
  redis.call('SET', KEYS[4], string.match(gone, '^%d+'))
end
redis.call('EXPIRE', KEYS[3], ARGV[5])
redis.call('EXPIRE', KEYS[4], ARGV[5])
redis.call('PUBLISH', ARGV[6], entry)
return id
"""
# KEYS: last id, epoch, channel log, channel floor. ARGV: now_us, last_id, ttl seconds.
# Returns {1, position, entries after last_id...}, or {0, position} when last_id is unknown.
_READ = """
redis.call('SET', KEYS[2], ARGV[1], 'NX')
local epoch = redis.call('GET', KEYS[2])
local position = redis.call('GET', KEYS[1]) or epoch
local after = tonumber(ARGV[2])
local oldest = math.max(tonumber(epoch), tonumber(redis.call('GET', KEYS[4]) or 0),
                        tonumber(ARGV[1]) - tonumber(ARGV[3]) * 1000000)
if after < oldest or after > tonumber(position) then return {0, position} end
local out = {1, position}
for _, entry in ipairs(redis.call('LRANGE', KEYS[3], 0, -1)) do
  if tonumber(string.match(entry, '^%d+')) > after then out[#out + 1] = entry end
end
return out
"""
# KEYS: last id, epoch. ARGV: now_us.
_POSITION = """
redis.call('SET', KEYS[2], ARGV[1], 'NX')
return redis.call('GET', KEYS[1]) or redis.call('GET', KEYS[2])
"""


class RedisBroker(Broker):
    """Events shared by all workers through Redis: one ordered id sequence, one subscription per process."""

    PING_SECONDS = 15.0  # an idle subscription is checked this often, so a dead one is noticed

    def listening(self, channel: str) -> bool:
        return True  # the streams of other workers and hosts are not counted: render for all

    def __init__(self, url: str, ring_size: int = 256, prefix: str = "tavlan",
                 history: int = 500, ttl: int = 86400) -> None:
        super().__init__(ring_size)
        self._url, self._history, self._ttl = url, history, ttl
        self._ns = f"{prefix}:live:"
        # Fail fast when Redis is down: publish runs inside a user's request (one quick retry
        # covers a connection that Redis closed while idle).
        self._redis = redis.Redis.from_url(
            url, decode_responses=True, socket_connect_timeout=2, socket_timeout=5,
            retry=Retry(ExponentialBackoff(cap=0.1, base=0.02), 1))
        self._publish_script = self._redis.register_script(_PUBLISH)
        self._read_script = self._redis.register_script(_READ)
        self._position_script = self._redis.register_script(_POSITION)
        self._listener_pid: int | None = None
        self._listener: threading.Thread | None = None
        self._closed = threading.Event()

    def publish(self, channel: str, html: str, key: str | None = None) -> int | None:
        try:
            # A key is one line: it is stored between the id and the html, newline-separated.
            entry_key = (key or "").replace("\n", " ")
            return int(self._publish_script(
                keys=self._keys(channel),
                args=[now_us(), entry_key, html, self._history, self._ttl, self._ns + channel]))
        except redis.RedisError as exc:
            log.error("live: could not publish to %s: %s", channel, exc)
            return None

    def latest_id(self) -> int:
        try:
            return self._position()
        except redis.RedisError as exc:
            # Pages must still render without Redis; the local clock is the next best position.
            log.warning("live: Redis unavailable for latest_id: %s", exc)
            return max(self._top, now_us())

    def alive(self) -> bool:
        try:
            return bool(self._redis.ping())
        except redis.RedisError:
            return False

    def events_after(self, channel: str, last_id: int) -> list[Event] | None:
        found = super().events_after(channel, last_id)
        if found is None:  # always the case until the listener has started
            self._start_listener()
            try:
                found, _ = self._read(channel, last_id)
            except redis.RedisError as exc:
                log.warning("live: Redis unavailable for replay on %s: %s", channel, exc)
        return found

    def close(self) -> None:
        self._closed.set()
        if self._listener_pid == os.getpid():
            try:  # the listener is blocked reading its subscription: a message wakes it to stop
                self._redis.publish(self._ns, "")
            except redis.RedisError:
                pass
            if self._listener is not threading.current_thread():
                self._listener.join(timeout=2)
        self._redis.close()

    def _keys(self, channel: str) -> list[str]:
        ns = self._ns
        return [ns + "last", ns + "epoch", ns + "log:" + channel, ns + "floor:" + channel]

    def _position(self) -> int:
        return int(self._position_script(keys=self._keys("")[:2], args=[now_us()]))

    def _read(self, channel: str, last_id: int) -> tuple[list[Event] | None, int]:
        status, position, *entries = self._read_script(
            keys=self._keys(channel), args=[now_us(), last_id, self._ttl])
        if not status:
            return None, int(position)
        return [self._parse(channel, entry) for entry in entries], int(position)

    @staticmethod
    def _parse(channel: str, entry: str) -> Event:
        event_id, key, html = entry.split("\n", 2)
        return Event(int(event_id), channel, html, key or None)

    def _beyond_ring(self, channel: str, cursor: int) -> tuple[list[Event] | None, int]:
        # The local ring does not reach back to `cursor` (just started, or the subscription was
        # lost for a while): the Redis log does. If it holds nothing newer for this channel, the
        # cursor moves up to Redis's position, from where the local ring is complete again.
        self._start_listener()
        try:
            found, position = self._read(channel, cursor)
        except redis.RedisError as exc:
            log.warning("live: Redis unavailable for %s: %s", channel, exc)
            return [], cursor  # wait() sleeps until the listener is back and wakes everyone
        return found, (max(cursor, position) if found == [] else cursor)

    def _start_listener(self) -> None:
        # Started on first use in each process, not in __init__: a thread started before
        # gunicorn forks (preload) would not exist in the worker.
        if self._listener_pid == os.getpid() or self._closed.is_set():
            return
        with self._lock:
            if self._listener_pid == os.getpid():
                return
            self._listener_pid = os.getpid()
            self._listener = threading.Thread(target=self._listen, name="live-redis", daemon=True)
        self._listener.start()

    def _listen(self) -> None:
        """Relay every event from Redis into the local rings; reconnect with backoff when it goes away."""
        # No silent retries on this connection: a reconnect that re-subscribed quietly would
        # hide a gap in the events, so every error comes here and resets the rings.
        client = redis.Redis.from_url(self._url, decode_responses=True, socket_connect_timeout=2,
                                      socket_timeout=5, retry=Retry(NoBackoff(), 0))
        backoff = 0.1
        while not self._closed.is_set():
            pubsub = client.pubsub()
            try:
                pubsub.psubscribe(self._ns + "*")
                confirm = pubsub.get_message(timeout=5)
                if not confirm or confirm["type"] != "psubscribe":
                    raise redis.ConnectionError("PSUBSCRIBE was not confirmed")
                # Everything published after this position reaches us, so the rings are
                # complete from here on; older events come from the Redis log.
                self._reset_rings(self._position())
                backoff = 0.1
                pinged = False
                while not self._closed.is_set():
                    message = pubsub.get_message(timeout=self.PING_SECONDS)
                    if message is None:
                        if pinged:
                            raise redis.ConnectionError("no answer to PING")
                        pubsub.ping()
                        pinged = True
                        continue
                    pinged = False
                    if message["type"] == "pmessage":
                        self._receive(message["channel"], message["data"])
            except Exception as exc:  # noqa: BLE001 - the listener must outlive any failure
                if self._closed.is_set():
                    break
                log.warning("live: Redis subscription lost (%s); retrying in %.1f s", exc, backoff)
                self._reset_rings(_NEVER)  # until we are back, waiters read the Redis log
                self._closed.wait(backoff)
                backoff = min(backoff * 2, 5.0)
            finally:
                with contextlib.suppress(Exception):
                    pubsub.close()
        with contextlib.suppress(Exception):
            client.close()

    def _receive(self, pubsub_channel: str, entry: str) -> None:
        channel = pubsub_channel[len(self._ns):]
        if not channel:  # the wake-up sent by close()
            return
        event = self._parse(channel, entry)
        with self._lock:
            wakeup = self._append(event)
        wakeup.set()


# ---- The Flask side ----------------------------------------------------------------------------

class _Kind(NamedTuple):
    authorize: Callable[[str], None]
    snapshot: Callable[[str], str]


_kinds: dict[str, _Kind] = {}


def init_app(app: Flask) -> None:
    """Choose the broker: Redis when REDIS_URL is set (several workers), else in-process memory."""
    size = int(app.config.get("LIVE_RING_SIZE", 256))
    url = app.config.get("REDIS_URL")
    app.extensions["live"] = (
        RedisBroker(url, ring_size=size, prefix=app.config.get("LIVE_REDIS_PREFIX", "tavlan"))
        if url else MemoryBroker(ring_size=size))
    if app.config.get("TEST_HOOKS"):
        # Browser tests need the server to end a stream (going offline in Playwright does not cut
        # an open one, PITFALLS §4). Never registered unless TAVLAN_TEST_HOOKS=1.
        from board.extensions import csrf

        app.add_url_rule("/_test/live/cut/<path:channel>", "live_test_cut", _test_cut, methods=["POST"])
        csrf.exempt("board.live._test_cut")


# Test hook: channel -> monotonic time; streams of that channel opened before it end at their
# next wake-up (at the latest one heartbeat later).
_cut: dict[str, float] = {}


def _test_cut(channel: str) -> Response:
    _cut[channel] = time.monotonic()
    return Response(status=204)


def broker() -> Broker:
    """Return the current app's broker."""
    return current_app.extensions["live"]


def publish(channel: str, html: str | Callable[[], str], key: str | None = None) -> int | None:
    """Send committed `html` to every stream on `channel`; return the event id, or None on failure.

    `html` may be a function that renders it: it is then rendered once per interface language
    (never per subscriber), and each viewer's stream carries their own language. Never raises:
    the change is already committed, so a broken broker must not fail the request. Events with
    the same `key` sent in a burst are collapsed to the newest. A language that no stream follows
    is not rendered (the memory broker counts its streams; with Redis every language is rendered).
    A function is called in a neutral request (board/shared.py): what everyone receives depends on
    nothing of the request that caused the change (its host, cookies, user or language).
    """
    if callable(html) and not shared.in_neutral_request():
        with shared.neutral_request():
            return publish(channel, html, key)
    try:
        live = broker()
        if html != PENDING:
            observability.event_published(channel)
        languages = current_app.config.get("LANGUAGES") or ()
        if not languages:
            return live.publish(channel, html() if callable(html) else html, key)
        from flask_babel import force_locale

        last = None
        for language in languages:
            target = f"{channel}@{language}"
            if not callable(html):
                text = html
            elif live.listening(target):
                with force_locale(language):
                    text = html()
            else:
                # Nobody follows it in this language: no render, only a marker, so that a stream
                # resuming from before it gets the whole region instead of missing the change.
                text = None
            last = live.publish(target, text, key) or last
        return last
    except NotFound:
        # Its object was erased while a render was due (publish_soon): nobody is left to tell.
        log.info("live: %s is gone, nothing published", channel)
        return None
    except Exception:  # a template error counts too: the change is committed either way
        log.exception("live: publishing to %s failed", channel)
        return None


_soon: set[tuple[str, str | None]] = set()
_soon_cost: dict[tuple[str, str | None], float] = {}  # seconds the last publish_soon render took
_soon_started: dict[tuple[str, str | None], float] = {}  # when it started (time.monotonic)
_soon_lock = threading.Lock()
SOON_SHARE = 0.2  # publish_soon renders may take at most this share of a worker's time


def publish_soon(channel: str, render: Callable[[], str], key: str | None = None) -> None:
    """Publish `render()` at most once per LIVE_THROTTLE_MS for a burst of changes on (channel, key).

    A change after a quiet moment is rendered at once (in the background, not in the request); the
    changes that follow within the interval are rendered together when it ends. A wave of answers
    thus re-renders the presenter's results once per interval instead of once per answer, and a
    single note reaches the wall without waiting. The interval grows when a render is slow (to
    1/SOON_SHARE times its duration), so that renders never crowd out the requests that cause
    them. A render starts after the last change it has seen was committed, so the final state is
    always published. With LIVE_THROTTLE_MS = 0 it publishes in the request (tests).
    """
    throttle = float(current_app.config.get("LIVE_THROTTLE_MS", 100)) / 1000
    if throttle <= 0:
        publish(channel, render, key)
        return
    slot = (channel, key)
    with _soon_lock:
        if slot in _soon:
            return  # a render is due that will see this change too (and its marker is published)
        _soon.add(slot)
        interval = max(throttle, _soon_cost.get(slot, 0.0) / SOON_SHARE)
        delay = max(0.0, _soon_started.get(slot, -interval) + interval - time.monotonic())
    if isinstance(broker(), RedisBroker):
        # Before the request is acknowledged: the render below may die with this process, and the
        # streams resume from Redis's log (with the memory broker they get a whole region anyway).
        publish(channel, PENDING, key)
    app = current_app._get_current_object()

    def run() -> None:
        time.sleep(delay)
        with _soon_lock:
            _soon.discard(slot)
            now = _soon_started[slot] = time.monotonic()
            if len(_soon_started) > 10_000:  # one slot per wall note, say: forget the quiet ones
                for quiet in [s for s, at in _soon_started.items() if at < now - 60 and s not in _soon]:
                    _soon_started.pop(quiet, None)
                    _soon_cost.pop(quiet, None)
        started = time.perf_counter()
        # A neutral request: links on the public address, no visitor's cookies, user or language.
        with shared.neutral_request(app):
            try:
                publish(channel, render, key)
            finally:
                db.session.remove()
        with _soon_lock:
            _soon_cost[slot] = time.perf_counter() - started

    threading.Thread(target=run, name=f"publish-soon {channel}", daemon=True).start()


def broker_alive() -> bool:
    """Whether the broker answers (always true in memory; a PING with Redis)."""
    return broker().alive()


def backend_name() -> str:
    """"redis" or "memory", as /healthz reports it."""
    return "redis" if isinstance(broker(), RedisBroker) else "memory"


def _subscribed_channel(channel: str) -> str:
    """The broker channel a request listens on: the channel in the viewer's language."""
    if not current_app.config.get("LANGUAGES"):
        return channel
    from flask_babel import get_locale

    return f"{channel}@{get_locale()}"


GONE = "gone"  # the key of a channel's final event: its object was erased


def end_channel(channel: str, render: Callable[[], str]) -> None:
    """Send a channel's final event (after its object was erased): open screens swap in what
    `render()` says, and every stream of the channel ends after delivering it."""
    publish(channel, render, key=GONE)


def latest_id() -> int:
    """Return the broker's position; a page embeds it (read before its queries) as the stream's start."""
    return broker().latest_id()


def channel_kind(prefix: str, authorize: Callable[[str], None], snapshot: Callable[[str], str]) -> None:
    """Register channels named "<prefix>:<key>": who may listen, and how to render the whole region."""
    _kinds[prefix] = _Kind(authorize, snapshot)


def _resume_position() -> int | None:
    for raw in (request.headers.get("Last-Event-ID"), request.args.get("since")):
        try:
            return int(raw)
        except (TypeError, ValueError):
            continue
    return None


_snapshots: dict[str, tuple[int, int, str]] = {}  # channel -> (its version, position, html)
_snapshot_locks: dict[str, threading.Lock] = {}


def _snapshot(live: Broker, kind: _Kind, channel: str, key: str) -> tuple[int, str]:
    """Render the whole live region once for every stream that needs it: after a restart every
    browser reconnects with an id the new process does not know, and a thousand renders at once
    held every pooled connection for a minute (bench/crash.py). Reused while no event has been
    published on the channel since (the memory broker sees them all; with Redis, other processes
    publish too, and a reconnect is a replay anyway). Returns (position, html)."""
    if live.version(channel) is None:
        return live.latest_id(), _render_snapshot(kind, channel, key)
    with _snapshot_locks.setdefault(channel, threading.Lock()):  # one render; the others wait for it
        version = live.version(channel)  # read before the position and the render (see stream())
        cached = _snapshots.get(channel)
        if cached is not None and cached[0] == version:
            return cached[1], cached[2]
        position = live.latest_id()
        html = _render_snapshot(kind, channel, key)
        if len(_snapshots) > 1000:
            _snapshots.clear()
        _snapshots[channel] = (version, position, html)
        return position, html


def _render_snapshot(kind: _Kind, channel: str, key: str) -> str:
    """The whole region, rendered for every stream of `channel` (shared and cached): in a neutral
    request, in the channel's language (the part after "@"), not in the visitor's request."""
    language = channel.rpartition("@")[2] if "@" in channel else None
    with shared.neutral_request():
        if not language:
            return kind.snapshot(key)
        from flask_babel import force_locale

        with force_locale(language):
            return kind.snapshot(key)


def _encode(events: list[Event]) -> bytes:
    return b"".join(event.wire for event in collapse(events))  # a pending marker's wire is empty


@bp.get("/live/<path:channel>")
def stream(channel: str) -> Response:
    """Stream a channel's changes as server-sent events, resuming after the client's last id.

    :raise 404: unknown kind of channel; the kind's authorize() may also abort (401, 403, 404).
    """
    prefix, colon, key = channel.partition(":")
    kind = _kinds.get(prefix) if colon else None
    if kind is None:
        abort(404)
    kind.authorize(key)
    from board import streamcaps

    ticket = streamcaps.acquire()  # 429 past the streams one person or address may hold
    channel = _subscribed_channel(channel)
    live = broker()
    position = _resume_position()
    if position is None:
        position = live.latest_id()
    replay = live.events_after(channel, position)
    if replay is None or unrendered(replay):
        position, html = _snapshot(live, kind, channel, key)  # position taken before rendering
        head = sse_message(position, html).encode()
    else:
        head = _encode(replay)
    # An id-only message is not swapped, but hx-sse keeps its id for Last-Event-ID (PITFALLS §3).
    head = f": connected\nid: {position}\n\n".encode() + head
    position = replay[-1].id if replay else position
    db.session.remove()  # no pooled connection is held while the stream waits (PITFALLS §7)
    config = current_app.config
    body = ticket.hold(_follow(live, kind, channel, key, head, position,
                               float(config.get("LIVE_HEARTBEAT_SECONDS", 15.0)),
                               float(config.get("LIVE_COALESCE_MS", 0)) / 1000))
    return Response(stream_with_context(body), mimetype="text/event-stream",
                    headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


def _follow(live: Broker, kind: _Kind, channel: str, key: str, head: bytes, last: int,
            heartbeat: float, coalesce: float) -> Iterator[bytes]:
    # gunicorn sends the headers with the first chunk, so the first yield comes at once (PITFALLS §2).
    # When the client leaves, gunicorn closes the generator (GeneratorExit at a yield): only the
    # count of listeners needs undoing, since a stream only reads.
    yield head
    opened = time.monotonic()
    live.listen(channel)
    try:
        yield from _events(live, kind, channel, key, last, heartbeat, coalesce, opened)
    finally:
        live.listen(channel, opened=False)


def _events(live: Broker, kind: _Kind, channel: str, key: str, last: int, heartbeat: float,
            coalesce: float, opened: float) -> Iterator[bytes]:
    waiting: dict[str | None, float] = {}  # key of a pending marker seen -> when its render is overdue
    while True:
        timeout = heartbeat
        if waiting:
            timeout = max(0.0, min(heartbeat, min(waiting.values()) - time.monotonic()))
        events = live.wait(channel, last, timeout)
        if _cut.get(channel, 0) > opened:
            return
        if events and any(event.key == GONE for event in events):
            # The object was erased: send its last word (if rendered) and end the stream.
            yield _encode([event for event in events if event.key == GONE and event.html is not None])
            return
        if events and coalesce:
            # Let a burst (a drag, a wave of votes) settle, then send it collapsed, in one write.
            time.sleep(coalesce)
            more = live.events_after(channel, events[-1].id)
            events = None if more is None else events + more
        if events:
            for event in events:
                if event.pending:
                    waiting.setdefault(event.key, time.monotonic() + PENDING_SECONDS)
                else:
                    waiting.pop(event.key, None)
        overdue = any(at <= time.monotonic() for at in waiting.values())
        if events is None or overdue or any(event.html is None for event in collapse(events)):
            # This stream fell behind the ring, a change was published unrendered, or a change's
            # render never followed its pending marker (its process died): send the whole region
            # again, then free the connection the snapshot used (the only database work here).
            waiting.clear()
            try:
                last, html = _snapshot(live, kind, channel, key)
            except SQLAlchemyError as exc:
                # The database is away (a restart): end the stream cleanly. The browser reconnects
                # with its Last-Event-ID and gets the region once the database answers again.
                log.warning("live: snapshot of %s failed, ending the stream: %s", channel,
                            str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
                with contextlib.suppress(Exception):
                    db.session.rollback()
                db.session.remove()
                return
            db.session.remove()
            yield sse_message(last, html).encode()
        elif events:
            last = events[-1].id
            chunk = _encode(events)
            if chunk:  # only pending markers: nothing to show yet
                yield chunk
        else:
            yield b": keep-alive\n\n"
