"""Rate limits on what anyone can send many of: logging in, joining, answering, posting, reacting,
moving. Sized for a real meeting, where a room of 300 phones shares ONE public address (NAT).

Each limited group of endpoints has two limits (numbers and reasoning: docs/architecture.md,
"Rate limits"; settings RATELIMIT_<GROUP> and RATELIMIT_<GROUP>_ADDRESS in board/config.py):

- per person: keyed by the logged-in account, else by the participant cookie. A request with
  neither (a phone's very first visit) has no per-person key and counts only against the ceiling.
- per address: a generous ceiling on everything the group receives from one address, which a
  room of 300 honest phones never reaches but a script hammering from one address does. A script
  that sends a new random cookie with every request escapes the per-person limit and meets this.

Counters live in Redis when REDIS_URL is set (shared by every worker and host), else in memory.
If Redis fails, limits fall back to memory instead of failing the request: an answer must not be
lost because the counter store is down.
"""
import bisect
import hashlib
import threading
import time

from flask import Flask, current_app, request
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_limiter import Limiter
from flask_limiter.errors import RateLimitExceeded
from flask_login import current_user
from limits.storage import MemoryStorage

from board.participants import COOKIE

# name: (methods limited, or None for all)
GROUPS = {
    "login": ["POST"],
    "join": None,
    "answer": ["POST"],
    "react": ["POST"],
    "post": ["POST"],
    "move": ["POST"],
}


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


def _no_person() -> bool:
    return not person_key()


def account_key() -> str:
    """The account a login form names (normalised as login does), whoever sends it."""
    email = (request.form.get("email") or "").strip().lower()[:254]
    return "account:" + hashlib.sha256(email.encode()).hexdigest()[:32]


def _setting(name: str):
    return lambda: current_app.config[name]


class SweepingMemoryStorage(MemoryStorage):
    """limits' memory storage, swept once a minute in small steps instead of every 10 ms at once.

    MemoryStorage restarts a 10 ms timer after every hit, and each run walks every key (one per
    phone and group), bisects and copies its list, holding the worker meanwhile: with 1,000 phones
    answering, that took more of the worker than the answers themselves (bench/feedback.py: 12 ms
    of CPU per answer instead of 4). Here a key whose newest entry is past its window goes whole
    (one comparison), only long lists (the per-address ceilings) are trimmed, and the sweep lets
    requests in every few hundred keys. An entry older than its window never counts either way (the
    moving window compares times), so sweeping rarely only keeps old entries a little longer."""

    STORAGE_SCHEME = ["tavlan-memory"]
    SWEEP_SECONDS = 60.0
    TRIM_LONGER_THAN = 1000
    KEYS_PER_STEP = 300

    _sweep_due = 0.0

    def _MemoryStorage__schedule_expiry(self) -> None:  # replaces MemoryStorage's private 10 ms timer
        # Called on every hit: a float comparison, not Thread.is_alive() (a lock under gevent).
        now = time.monotonic()
        if now < self._sweep_due:
            return
        self._sweep_due = now + self.SWEEP_SECONDS
        self.timer = threading.Timer(self.SWEEP_SECONDS, self._MemoryStorage__expire_events)
        self.timer.daemon = True
        self.timer.start()

    def _MemoryStorage__expire_events(self) -> None:
        for n, key in enumerate(list(self.events)):
            if n % self.KEYS_PER_STEP == self.KEYS_PER_STEP - 1:
                time.sleep(0)  # a gevent worker serves waiting requests between steps
            with self.locks[key]:
                events = self.events.get(key)
                now = time.time()
                if not events or events[0].expiry <= now:  # newest first: all of them are over
                    self.events.pop(key, None)
                    self.locks.pop(key, None)
                elif len(events) > self.TRIM_LONGER_THAN:
                    live = bisect.bisect_left(events, -now, key=lambda event: -event.expiry)
                    self.events[key] = events[:live]
        now = time.time()
        for key in [key for key, at in self.expirations.items() if at <= now]:
            self.storage.pop(key, None)
            self.expirations.pop(key, None)
            self.locks.pop(key, None)


limiter = Limiter(key_func=address_key, strategy="moving-window", in_memory_fallback_enabled=True,
                  swallow_errors=True)


def limited(group: str):
    """Decorator for a view: the group's per-person (login: per-account) limit and per-address ceiling.

    Both are shared by all endpoints of the group (an answer and a question count together)."""
    name = f"RATELIMIT_{group.upper()}"
    methods = GROUPS[group]
    if group == "login":
        first = limiter.shared_limit(_setting(name), scope="login-account", key_func=account_key, methods=methods)
    else:
        first = limiter.shared_limit(_setting(name), scope=f"{group}-person", key_func=person_key,
                                     exempt_when=_no_person, methods=methods)
    ceiling = limiter.shared_limit(_setting(name + "_ADDRESS"), scope=f"{group}-address", key_func=address_key,
                                   methods=methods)

    def decorate(view):
        return ceiling(first(view))

    return decorate


def retry_after() -> int:
    """Seconds until the limit that was just hit lets a request through again (at least 1)."""
    hit = limiter.current_limit
    if hit is None:
        return 60
    try:
        return max(1, int(hit.reset_at - time.time()))
    except Exception:  # the store went away between the hit and now: a safe guess
        return 60


def handle_rate_limited(error: RateLimitExceeded):
    """A 429 in Swedish, as a fragment for htmx (the phone shows it where its answer status goes)
    or a page, with Retry-After so scripts and proxies know when to come back."""
    from board.web import _error

    seconds = retry_after()
    message = ngettext("Det kom för många förfrågningar på kort tid. Vänta %(num)d sekund och försök igen.",
                       "Det kom för många förfrågningar på kort tid. Vänta %(num)d sekunder och försök igen.",
                       seconds)
    response = current_app.make_response(_error(429, _("För många försök"), message))
    response.headers["Retry-After"] = str(seconds)
    return response


def init_app(app: Flask) -> None:
    """Bind the limiter: Redis storage when REDIS_URL is set, memory otherwise.

    Call it before CSRFProtect is bound, so that a flood is counted (and cut) before any other work."""
    app.register_error_handler(RateLimitExceeded, handle_rate_limited)
    if not app.config.get("RATELIMIT_ENABLED", True):
        # Not even bound: the limiter is one per process, and binding a disabled app would switch
        # it off for an enabled one in the same process (tests build many apps).
        return
    if not app.config.get("RATELIMIT_STORAGE_URI"):
        redis_url = app.config.get("REDIS_URL")
        app.config["RATELIMIT_STORAGE_URI"] = redis_url if redis_url else "tavlan-memory://"
    limiter.init_app(app)


@limiter.request_filter
def _disabled_for_this_app() -> bool:
    # The decorated views call the limiter whichever app serves them; an app built with
    # RATELIMIT_ENABLED false is never limited.
    return not current_app.config.get("RATELIMIT_ENABLED", True)
