"""How many live streams one person and one address may hold open at once (live.stream).

A phone holds one or two streams (its page, a second tab); a facilitator a few (control, present
page, a wall). A room of 300 phones shares one address. So per person (account, else participant
cookie) LIVE_STREAMS_PER_PERSON, per address LIVE_STREAMS_PER_ADDRESS; past either, the stream is
a 429 (an event-stream comment body, see board/web.py _error) and the browser retries later.

Each open stream is a member of a sorted set per key, scored by when it lapses: the stream renews
its lease while it yields (keep-alives come every LIVE_HEARTBEAT_SECONDS, well inside LEASE) and
removes itself when it ends, the client leaving included (the WSGI server closes the generator).
A worker that dies leaves leases that lapse after LEASE seconds. In Redis (REDIS_URL) every worker
and host counts together; else each worker counts its own streams in memory.
"""
from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator

from flask import Flask, current_app

from board.config import DEFAULTS
from board.ratelimit import RateLimited, address_key, person_key

log = logging.getLogger(__name__)

LEASE = 60.0  # seconds a stream counts without renewing
RENEW = 20.0  # a stream renews its lease at most this often

# KEYS: the sets; ARGV: now, lapse, member, then one cap per key. 1 when taken, else 0.
_ACQUIRE = """
local now, lapse, member = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3]
for i, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
  if redis.call('ZCARD', key) >= tonumber(ARGV[3 + i]) then return 0 end
end
for _, key in ipairs(KEYS) do
  redis.call('ZADD', key, lapse, member)
  redis.call('EXPIRE', key, math.ceil(lapse - now) + 1)
end
return 1
"""


class MemoryLeases:
    def __init__(self) -> None:
        self.sets: dict[str, dict[str, float]] = {}

    def acquire(self, keys: list[tuple[str, int]], member: str, now: float) -> bool:
        for key, cap in keys:
            held = self.sets.get(key, {})
            for other in [m for m, lapse in held.items() if lapse <= now]:
                del held[other]
            if len(held) >= cap:
                return False
        for key, _cap in keys:
            self.sets.setdefault(key, {})[member] = now + LEASE
        return True

    def renew(self, keys: list[str], member: str, now: float) -> None:
        for key in keys:
            if member in self.sets.get(key, {}):
                self.sets[key][member] = now + LEASE

    def release(self, keys: list[str], member: str) -> None:
        for key in keys:
            held = self.sets.get(key)
            if held is not None:
                held.pop(member, None)
                if not held:
                    del self.sets[key]


class RedisLeases:
    """The same in Redis; if Redis fails, a stream is let through (live updates must not stop
    because the counter store is away) and counted in memory meanwhile."""

    def __init__(self, url: str) -> None:
        import redis

        self.client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
        self.script = self.client.register_script(_ACQUIRE)
        self.fallback = MemoryLeases()

    def acquire(self, keys: list[tuple[str, int]], member: str, now: float) -> bool:
        try:
            return bool(self.script(keys=[k for k, _c in keys],
                                    args=[repr(now), repr(now + LEASE), member, *[c for _k, c in keys]]))
        except Exception as error:  # redis.RedisError, OSError
            log.warning("stream caps: Redis failed (%s); counting in this worker's memory", error)
            return self.fallback.acquire(keys, member, now)

    def renew(self, keys: list[str], member: str, now: float) -> None:
        try:
            pipe = self.client.pipeline()
            for key in keys:
                pipe.zadd(key, {member: now + LEASE}, xx=True)
                pipe.expire(key, int(LEASE) + 1)
            pipe.execute()
        except Exception:  # the lease lapses on its own
            self.fallback.renew(keys, member, now)

    def release(self, keys: list[str], member: str) -> None:
        try:
            pipe = self.client.pipeline()
            for key in keys:
                pipe.zrem(key, member)
            pipe.execute()
        except Exception:
            pass
        self.fallback.release(keys, member)


def _leases(app: Flask):
    leases = app.extensions.get("streamcaps")
    if leases is None:
        url = app.config.get("REDIS_URL")
        leases = RedisLeases(url) if url and url.startswith(("redis://", "rediss://", "unix://")) else MemoryLeases()
        app.extensions["streamcaps"] = leases
    return leases


class Ticket:
    """One stream's place under the caps; `hold` wraps its body and gives the place back when the
    body is closed (the WSGI server closes it when the stream ends or the client leaves, even one
    that was never started) or runs out."""

    def __init__(self, leases, keys: list[str], member: str) -> None:
        self.leases, self.keys, self.member = leases, keys, member
        self.body: Iterator[bytes] | None = None
        self.renewed = time.time()
        self.released = False

    def hold(self, body: Iterator[bytes]) -> "Ticket":
        self.body = iter(body)
        return self

    def __iter__(self) -> "Ticket":
        return self

    def __next__(self) -> bytes:
        try:
            chunk = next(self.body)
        except BaseException:
            self.close()
            raise
        now = time.time()
        if now - self.renewed >= RENEW:
            self.renewed = now
            self.leases.renew(self.keys, self.member, now)
        return chunk

    def close(self) -> None:
        if self.released:
            return
        self.released = True
        try:
            close = getattr(self.body, "close", None)
            if close is not None:
                close()
        finally:
            self.leases.release(self.keys, self.member)


class _Unlimited:
    def hold(self, body: Iterator[bytes]) -> Iterator[bytes]:
        return body


def acquire() -> Ticket | _Unlimited:
    """Take a place for one more stream of this request's person and address, or raise a 429.
    With RATELIMIT_ENABLED false (the benches, most tests) streams are not counted either."""
    app = current_app
    config = app.config
    if not config.get("RATELIMIT_ENABLED", True):
        return _Unlimited()
    prefix = f"{config.get('RATELIMIT_KEY_PREFIX') or 'tavlan'}:streams:"
    keys = [(prefix + address_key(), int(config.get("LIVE_STREAMS_PER_ADDRESS", DEFAULTS["LIVE_STREAMS_PER_ADDRESS"])))]
    who = person_key() if hasattr(app, "login_manager") else ""
    if who:
        keys.append((prefix + who, int(config.get("LIVE_STREAMS_PER_PERSON", DEFAULTS["LIVE_STREAMS_PER_PERSON"]))))
    leases = _leases(app)
    member = os.urandom(8).hex()
    if not leases.acquire(keys, member, time.time()):
        raise RateLimited(5)
    return Ticket(leases, [k for k, _cap in keys], member)
