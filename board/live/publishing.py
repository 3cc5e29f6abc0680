"""Publishing after commit: `publish` renders once per interface language that a stream follows,
in a neutral request; `publish_soon` renders a burst of changes once per interval, in the background.
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Callable

from flask import current_app
from werkzeug.exceptions import NotFound

from board import observability, shared
from board.extensions import db
from board.live.framing import GONE, PENDING
from board.live.memory import Broker
from board.live.redis_broker import RedisBroker

log = logging.getLogger("board.live")  # one logger for the whole of live updates
SOON_SHARE = 0.2  # publish_soon renders may take at most this share of a worker's time
SOON_EXTENSION = "live.soon"


def broker() -> Broker:
    """Return the current app's broker."""
    return current_app.extensions["live"]


def latest_id() -> int:
    """Return the broker's position; a page embeds it (read before its queries) as the stream's start."""
    return broker().latest_id()


def broker_alive() -> bool:
    """Whether the broker answers (always true in memory; a PING with Redis)."""
    return broker().alive()


def backend_name() -> str:
    """"redis" or "memory", as /healthz reports it."""
    return "redis" if isinstance(broker(), RedisBroker) else "memory"


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


def end_channel(channel: str, render: Callable[[], str]) -> None:
    """Send a channel's final event (after its object was erased): open screens swap in what
    `render()` says, and every stream of the channel ends after delivering it."""
    publish(channel, render, key=GONE)


class Soon:
    """One app's renders due from publish_soon, per (channel, key) slot, and what they cost."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.due: set[tuple[str, str | None]] = set()
        self.cost: dict[tuple[str, str | None], float] = {}  # seconds the last render took
        self.started: dict[tuple[str, str | None], float] = {}  # when it started (time.monotonic)

    def forget_quiet(self, now: float) -> None:
        """One slot per wall note, say: past 10,000 slots, forget those quiet for a minute (lock held)."""
        if len(self.started) > 10_000:
            for quiet in [s for s, at in self.started.items() if at < now - 60 and s not in self.due]:
                self.started.pop(quiet, None)
                self.cost.pop(quiet, None)


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
    app = current_app._get_current_object()
    soon = app.extensions.get(SOON_EXTENSION) or app.extensions.setdefault(SOON_EXTENSION, Soon())
    slot = (channel, key)
    with soon.lock:
        if slot in soon.due:
            return  # a render is due that will see this change too (and its marker is published)
        soon.due.add(slot)
        interval = max(throttle, soon.cost.get(slot, 0.0) / SOON_SHARE)
        delay = max(0.0, soon.started.get(slot, -interval) + interval - time.monotonic())
    if isinstance(broker(), RedisBroker):
        # Before the request is acknowledged: the render below may die with this process, and the
        # streams resume from Redis's log (with the memory broker they get a whole region anyway).
        publish(channel, PENDING, key)

    def run() -> None:
        time.sleep(delay)
        with soon.lock:
            soon.due.discard(slot)
            now = soon.started[slot] = time.monotonic()
            soon.forget_quiet(now)
        started = time.perf_counter()
        # A neutral request: links on the public address, no visitor's cookies, user or language.
        with shared.neutral_request(app):
            try:
                publish(channel, render, key)
            finally:
                db.session.remove()
        with soon.lock:
            soon.cost[slot] = time.perf_counter() - started

    threading.Thread(target=run, name=f"publish-soon {channel}", daemon=True).start()
