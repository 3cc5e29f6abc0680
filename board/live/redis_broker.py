"""Live events shared by every worker process and host through Redis.

One Lua script issues ids from a single ordered sequence and appends each event to its channel's
capped log in Redis; every process holds one pattern subscription whose listener thread relays
events into the local rings (memory.py), and reads the log for what its rings do not reach.
"""
from __future__ import annotations

import contextlib
import logging
import os
import threading

import redis
from redis.backoff import ExponentialBackoff, NoBackoff
from redis.retry import Retry

from board.live.framing import Event, now_us
from board.live.memory import NEVER, Broker

log = logging.getLogger("board.live")  # one logger for the whole of live updates


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
                self._reset_rings(NEVER)  # until we are back, waiters read the Redis log
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
