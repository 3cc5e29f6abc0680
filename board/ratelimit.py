"""Rate limits on what anyone can send many of: logging in, joining, answering, posting, reacting,
moving. Sized for a real meeting, where a room of 300 phones shares ONE public address (NAT).

Each limited group of endpoints has two limits (numbers and reasoning: docs/architecture.md,
"Rate limits"; settings RATELIMIT_<GROUP> and RATELIMIT_<GROUP>_ADDRESS in board/config.py):

- per person: keyed by the logged-in account, else by the participant cookie. A request with
  neither (a phone's very first visit) has no per-person key and counts only against the ceiling.
- per address: a generous ceiling on everything the group receives from one address, which a
  room of 300 honest phones never reaches but a script hammering from one address does. A script
  that sends a new random cookie with every request escapes the per-person limit and meets this.

How it counts: one check per request covers all of the group's limits, and each limit is a
sliding-window counter - O(1) per key, however many requests it has seen. A key's window starts
with its first request; once a window is over, the next one starts where it ended and the count of
the window before is carried into it, weighted by how much of it still overlaps the last period
(so a burst right after a window ends is still cut). That is within a request or two of a true
moving window, and costs a dictionary lookup in memory or one round trip to Redis,
instead of a list of timestamps per key (flask-limiter's moving window, which cost the single
worker more than the answers themselves: docs/benchmarks.md).

Counters live in Redis when REDIS_URL is set (shared by every worker and host; one Lua script
checks and counts all of a request's keys atomically), else in the worker's memory. If Redis
fails, counting falls back to memory for a while instead of failing the request: an answer must
not be lost because the counter store is down.
"""
import hashlib
import logging
import math
import re
import time
from dataclasses import dataclass
from functools import lru_cache

from flask import Flask, current_app, request
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from werkzeug.exceptions import TooManyRequests

from board.participants import COOKIE

log = logging.getLogger(__name__)

# name: (methods limited, or None for all)
GROUPS = {
    "login": ["POST"],
    "join": None,
    "answer": ["POST"],
    "react": ["POST"],
    "post": ["POST"],
    "move": ["POST"],
}

clock = time.time  # tests stop it (tests/test_ratelimit.py, one_minute)


@dataclass(frozen=True)
class Rate:
    amount: int
    seconds: int


_UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
_ONE = re.compile(r"^\s*(\d+)\s*(?:/|per)\s*(\d+)?\s*(second|minute|hour|day)s?\s*$", re.IGNORECASE)


@lru_cache(maxsize=256)
def parse(text: str) -> tuple[Rate, ...]:
    """'10 per minute; 50 per hour' -> (Rate(10, 60), Rate(50, 3600)). Also '10/minute', '5 per 30 seconds'."""
    rates = []
    for part in re.split(r"[;,]", text or ""):
        if not part.strip():
            continue
        match = _ONE.match(part)
        if not match:
            raise ValueError(f"not a rate limit: {part.strip()!r} (write e.g. '60 per minute; 600 per hour')")
        amount, count, unit = match.groups()
        rates.append(Rate(int(amount), int(count or 1) * _UNITS[unit.lower()]))
    if not rates:
        raise ValueError(f"no rate limit in {text!r}")
    return tuple(rates)


def address_key() -> str:
    """The client's address (the proxy's X-Forwarded-For once TAVLAN_BEHIND_PROXY=1 turns on ProxyFix)."""
    return "addr:" + (request.remote_addr or "-")


def person_key() -> str:
    """The logged-in account, else the participant cookie (hashed: tokens never reach Redis)."""
    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    token = request.cookies.get(COOKIE)
    if token and len(token) <= 100:
        return "participant:" + hashlib.sha256(token.encode()).hexdigest()[:32]
    return ""


def account_key() -> str:
    """The account a login form names (normalised as login does) at the address sending it: never
    the account alone, or guesses from other addresses would lock its owner out (OWASP; the
    account-wide slowdown is board/auth/service.py's)."""
    email = (request.form.get("email") or "").strip().lower()[:254]
    return "account:" + hashlib.sha256(f"{email}|{request.remote_addr or '-'}".encode()).hexdigest()[:32]


def _wait(rate: Rate, start: float, count: int, previous: int, now: float) -> float:
    """Seconds until one more request fits under `rate`, for a key refused at `now`."""
    if count >= rate.amount:  # this window alone is full: wait for it to end and the carry to fade enough
        return start + rate.seconds * (2 - rate.amount / count) - now
    if previous:
        return start + rate.seconds * (1 - (rate.amount - count) / previous) - now
    return start + rate.seconds - now  # only a count of several at once (Limiter.add) overflows here


class MemoryCounters:
    """Sliding-window counters in this worker's memory: key -> [window start, count, previous count].

    No lock: a gevent worker never switches between the read and the write of a check (no I/O in
    between); threads could at worst miss a count. Keys idle for two windows are swept once a
    minute, a few hundred at a time, so the sweep never holds a worker for long."""

    SWEEP_SECONDS = 60.0
    KEYS_PER_STEP = 500

    def __init__(self) -> None:
        self.windows: dict[str, list] = {}
        self._sweep_due = 0.0

    def check(self, keys: list[tuple[str, Rate]], cost: int = 1) -> float:
        """Count `cost` for every key if all have room and return 0; else count nothing and return
        the seconds until the fullest key has room."""
        now = clock()
        if now >= self._sweep_due:
            self._sweep_due = now + self.SWEEP_SECONDS
            self.sweep(now)
        windows = self.windows
        states = []
        refused = None
        for key, rate in keys:
            state = windows.get(key)
            if state is None or now >= state[0] + 2 * rate.seconds:
                state = [now, 0, 0]
            elif now >= state[0] + rate.seconds:
                state = [state[0] + rate.seconds, 0, state[1]]
            start, count, previous = state
            carried = int(previous * (start + rate.seconds - now) / rate.seconds) if previous else 0
            if carried + count + cost > rate.amount:
                refused = max(refused or 0.0, _wait(rate, start, count, previous, now))
            states.append((key, state))
        if refused is not None:
            return max(refused, 1.0)
        for key, state in states:
            state[1] += cost
            windows[key] = state
        return 0.0

    def sweep(self, now: float) -> None:
        for n, key in enumerate(list(self.windows)):
            if n % self.KEYS_PER_STEP == self.KEYS_PER_STEP - 1:
                time.sleep(0)  # a gevent worker serves waiting requests between steps
            state = self.windows.get(key)
            # The key ends in its window's length (see Limiter._keys): idle for two, it counts nothing.
            if state is not None and now >= state[0] + 2 * int(key.rsplit(":", 1)[1]):
                del self.windows[key]


# KEYS: one hash per counter. ARGV: now, cost, then per key its amount and seconds.
# Returns 0 when counted, else the seconds (a string, for precision) until the fullest key has room.
_CHECK_SCRIPT = """
local now = tonumber(ARGV[1])
local cost = tonumber(ARGV[2])
local states = {}
local refused = nil
for i, key in ipairs(KEYS) do
  local amount = tonumber(ARGV[1 + 2 * i])
  local seconds = tonumber(ARGV[2 + 2 * i])
  local raw = redis.call('HMGET', key, 's', 'c', 'p')
  local start, count, previous = tonumber(raw[1]), tonumber(raw[2]) or 0, tonumber(raw[3]) or 0
  if start == nil or now >= start + 2 * seconds then
    start, count, previous = now, 0, 0
  elseif now >= start + seconds then
    start, count, previous = start + seconds, 0, count
  end
  local carried = 0
  if previous > 0 then carried = math.floor(previous * (start + seconds - now) / seconds) end
  if carried + count + cost > amount then
    local wait
    if count >= amount then
      wait = start + seconds * (2 - amount / count) - now
    elseif previous > 0 then
      wait = start + seconds * (1 - (amount - count) / previous) - now
    else
      wait = start + seconds - now
    end
    if refused == nil or wait > refused then refused = wait end
  end
  states[i] = {start, count, previous, seconds}
end
if refused ~= nil then return tostring(math.max(refused, 1)) end
for i, key in ipairs(KEYS) do
  local s = states[i]
  redis.call('HSET', key, 's', tostring(s[1]), 'c', s[2] + cost, 'p', s[3])
  redis.call('EXPIRE', key, 2 * s[4])
end
return 0
"""


class RedisCounters:
    """The same counters in Redis, shared by every worker and host: one script call per request.
    When Redis fails, this worker counts in memory and tries Redis again after RETRY_SECONDS."""

    RETRY_SECONDS = 10.0

    def __init__(self, url: str, prefix: str) -> None:
        import redis

        self.prefix = prefix
        self.client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1, health_check_interval=30)
        self.script = self.client.register_script(_CHECK_SCRIPT)
        self.fallback = MemoryCounters()
        self._down_until = 0.0

    def check(self, keys: list[tuple[str, Rate]], cost: int = 1) -> float:
        now = clock()
        if now >= self._down_until:
            args = [repr(now), cost]
            for _key, rate in keys:
                args += [rate.amount, rate.seconds]
            try:
                return float(self.script(keys=[k for k, _rate in keys], args=args))
            except Exception as error:  # redis.RedisError, OSError: count here instead, never fail the request
                log.warning("rate limits: Redis failed (%s); counting in this worker's memory for %d s",
                            error, self.RETRY_SECONDS)
                self._down_until = now + self.RETRY_SECONDS
        return self.fallback.check(keys, cost)


class RateLimited(TooManyRequests):
    def __init__(self, retry_after: float) -> None:
        super().__init__()
        self.retry_after = max(1, math.ceil(retry_after))


class Limiter:
    """An app's counters and the settings they are checked against (app.extensions["ratelimit"])."""

    def __init__(self, app: Flask) -> None:
        self.config = app.config
        self.prefix = f"{app.config.get('RATELIMIT_KEY_PREFIX') or 'tavlan'}:rl:"
        for group in GROUPS:  # a mistyped limit stops the start, not the first request of a meeting
            for suffix in ("", "_ADDRESS"):
                name = f"RATELIMIT_{group.upper()}{suffix}"
                try:
                    parse(app.config[name])
                except ValueError as error:
                    raise RuntimeError(f"{name}: {error}") from None
        url = app.config.get("RATELIMIT_STORAGE_URI") or app.config.get("REDIS_URL") or "memory://"
        if url.startswith(("redis://", "rediss://", "unix://")):
            self.counters: MemoryCounters | RedisCounters = RedisCounters(url, self.prefix)
        elif url.startswith("memory://"):
            self.counters = MemoryCounters()
        else:
            raise RuntimeError(f"RATELIMIT_STORAGE_URI: use memory:// or a redis:// URL, not {url!r}")

    def keys(self, group: str, scope: str, key: str) -> list[tuple[str, Rate]]:
        """The counters of one of a group's limits ('person' or 'address') for one key."""
        name = f"RATELIMIT_{group.upper()}" + ("_ADDRESS" if scope == "address" else "")
        return [(f"{self.prefix}{group}-{scope}:{key}:{rate.seconds}", rate) for rate in parse(self.config[name])]

    def check(self, group: str) -> None:
        """Count this request against its group's limits, or raise RateLimited."""
        who = account_key() if group == "login" else person_key()
        keys = self.keys(group, "address", address_key())
        if who:
            keys += self.keys(group, "person", who)
        wait = self.counters.check(keys)
        if wait:
            raise RateLimited(wait)

    def add(self, group: str, scope: str, key: str, amount: int) -> None:
        """Count `amount` requests at once (as if they had been sent; tests and tools)."""
        self.counters.check(self.keys(group, scope, key), cost=amount)


def limited(group: str):
    """Mark a view as one of `group`'s endpoints: its per-person (login: per account+address) limit and
    per-address ceiling apply, shared by all endpoints of the group (an answer and a question count
    together). Checked in a before_request handler, before CSRF and the view do any work."""
    if group not in GROUPS:
        raise ValueError(f"no rate-limit group {group!r}")

    def decorate(view):
        view.rate_limit_group = group
        return view

    return decorate


def _check_request():
    app = current_app
    if not app.config.get("RATELIMIT_ENABLED", True):
        return None
    group = getattr(app.view_functions.get(request.endpoint), "rate_limit_group", None)
    if group is None:
        return None
    methods = GROUPS[group]
    if methods is not None and request.method not in methods:
        return None
    app.extensions["ratelimit"].check(group)
    return None


def handle_rate_limited(error: RateLimited):
    """A 429 in Swedish, as a fragment for htmx (the phone shows it where its answer status goes)
    or a page, with Retry-After so scripts and proxies know when to come back."""
    from board.web import _error

    seconds = error.retry_after
    message = ngettext("Det kom för många förfrågningar på kort tid. Vänta %(num)d sekund och försök igen.",
                       "Det kom för många förfrågningar på kort tid. Vänta %(num)d sekunder och försök igen.",
                       seconds)
    response = current_app.make_response(_error(429, _("För många försök"), message))
    response.headers["Retry-After"] = str(seconds)
    return response


def init_app(app: Flask) -> None:
    """Bind the limits: counters in Redis when REDIS_URL is set (or RATELIMIT_STORAGE_URI says so),
    in memory otherwise. Call it before CSRFProtect is bound, so that a flood is counted (and cut)
    before any other work. RATELIMIT_ENABLED false (the test suite) skips every check."""
    app.extensions["ratelimit"] = Limiter(app)
    app.register_error_handler(RateLimited, handle_rate_limited)
    app.before_request(_check_request)
