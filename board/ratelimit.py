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


class RateLimited(TooManyRequests):
    def __init__(self, retry_after: float) -> None:
        super().__init__()
        self.retry_after = max(1, math.ceil(retry_after))


def _group_marker(group: str):
    """A stand-in callable per group: flask-limiter keys a route's limits by a callable's name."""

    def marker():  # pragma: no cover - never called, only named
        return None

    marker.__qualname__ = marker.__name__ = f"ratelimit_group_{group}"
    return marker


class Limiter:
    """An app's flask-limiter Limiter (sliding-window counters, storage of its own) and the groups'
    limits registered on it (app.extensions["ratelimit"])."""

    def __init__(self, app: Flask) -> None:
        from flask_limiter import Limiter as FlaskLimiter
        from flask_limiter.util import get_qualified_name

        self.config = app.config
        self.prefix = f"{app.config.get('RATELIMIT_KEY_PREFIX') or 'tavlan'}:rl"
        for group in GROUPS:  # a mistyped limit stops the start, not the first request of a meeting
            for suffix in ("", "_ADDRESS"):
                name = f"RATELIMIT_{group.upper()}{suffix}"
                try:
                    parse(app.config[name])
                except ValueError as error:
                    raise RuntimeError(f"{name}: {error}") from None
        url = app.config.get("RATELIMIT_STORAGE_URI") or app.config.get("REDIS_URL") or "memory://"
        if not url.startswith(("redis://", "rediss://", "unix://", "memory://")):
            raise RuntimeError(f"RATELIMIT_STORAGE_URI: use memory:// or a redis:// URL, not {url!r}")
        if url.startswith("unix://"):
            url = "redis+" + url
        options = {"socket_timeout": 1, "socket_connect_timeout": 1} if not url.startswith("memory://") else {}
        self.limiter = FlaskLimiter(address_key, storage_uri=url, storage_options=options,
                                    strategy="sliding-window-counter", key_prefix=self.prefix,
                                    headers_enabled=False, swallow_errors=True,
                                    in_memory_fallback_enabled=not url.startswith("memory://"))
        self.limiter.init_app(app)
        # Its own before_request checks application and default limits, of which there are none:
        # the groups are checked by _check_request, in the order board/requestlimits.py gives it.
        funcs = app.before_request_funcs.get(None, [])
        funcs[:] = [f for f in funcs if f != self.limiter._check_request_limit]
        self.names = {}
        for group, methods in GROUPS.items():
            marker = _group_marker(group)
            who = account_key if group == "login" else person_key
            self.limiter.shared_limit(self._setting(f"RATELIMIT_{group.upper()}_ADDRESS"), scope=f"{group}-address",
                                      key_func=address_key, methods=methods)(marker)
            self.limiter.shared_limit(self._setting(f"RATELIMIT_{group.upper()}"), scope=f"{group}-person",
                                      key_func=who, methods=methods, exempt_when=lambda who=who: not who())(marker)
            self.names[group] = get_qualified_name(marker)

    def _setting(self, name: str):
        config = self.config
        return lambda: config[name]

    def check(self, group: str) -> None:
        """Count this request against its group's limits, or raise RateLimited."""
        from flask_limiter import RateLimitExceeded

        try:
            self.limiter._check_request_limit(callable_name=self.names[group], in_middleware=False)
        except RateLimitExceeded:
            breached = self.limiter.current_limit
            raise RateLimited(breached.reset_at - time.time() if breached else 1) from None

    def add(self, group: str, scope: str, key: str, amount: int, seconds: int | None = None) -> None:
        """Count `amount` requests at once (as if they had been sent; tests and tools)."""
        from limits import parse_many

        name = f"RATELIMIT_{group.upper()}" + ("_ADDRESS" if scope == "address" else "")
        for item in parse_many(self.config[name]):
            if seconds is None or item.get_expiry() == seconds:
                assert self.limiter.limiter.hit(item, self.prefix, key, f"{group}-{scope}", cost=amount)


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
