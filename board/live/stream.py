"""GET /live/<channel>: a channel's changes as server-sent events, resuming after the client's last id.

A stream first sends what the browser missed (a replay from the broker's ring, or the whole region
when its id is unknown), then follows the channel: each event as it comes, a keep-alive comment
per heartbeat, the whole region again when the stream fell behind or a render never came.
"""
from __future__ import annotations

import contextlib
import logging
import time
from typing import Iterator

from flask import Blueprint, Response, abort, current_app, request, stream_with_context
from sqlalchemy.exc import SQLAlchemyError

from board.extensions import db
from board.live.channels import Channels, Kind, channels
from board.live.framing import GONE, collapse, encode, sse_message, unrendered
from board.live.memory import Broker
from board.live.publishing import broker

log = logging.getLogger("board.live")  # one logger for the whole of live updates
bp = Blueprint("live", __name__)

PENDING_SECONDS = 10.0  # a following stream re-renders when a pending marker's render is this late


@bp.get("/live/<path:channel>")
def stream(channel: str) -> Response:
    """Stream a channel's changes as server-sent events, resuming after the client's last id.

    :raise 404: unknown kind of channel; the kind's authorize() may also abort (401, 403, 404).
    """
    registry = channels(current_app)
    found = registry.kind_of(channel)
    if found is None:
        abort(404)
    kind, key = found
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
        position, html = registry.snapshot(live, kind, channel, key)  # position taken before rendering
        head = sse_message(position, html).encode()
    else:
        head = encode(replay)
    # An id-only message is not swapped, but hx-sse keeps its id for Last-Event-ID.
    head = f": connected\nid: {position}\n\n".encode() + head
    position = replay[-1].id if replay else position
    db.session.remove()  # no pooled connection is held while the stream waits
    config = current_app.config
    body = ticket.hold(_follow(_Stream(live, registry, kind, channel, key), head, position,
                               float(config.get("LIVE_HEARTBEAT_SECONDS", 15.0)),
                               float(config.get("LIVE_COALESCE_MS", 0)) / 1000))
    return Response(stream_with_context(body), mimetype="text/event-stream",
                    headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


def _subscribed_channel(channel: str) -> str:
    """The broker channel a request listens on: the channel in the viewer's language."""
    if not current_app.config.get("LANGUAGES"):
        return channel
    from flask_babel import get_locale

    return f"{channel}@{get_locale()}"


def _resume_position() -> int | None:
    for raw in (request.headers.get("Last-Event-ID"), request.args.get("since")):
        try:
            return int(raw)
        except (TypeError, ValueError):
            continue
    return None


class _Stream:
    """What one open stream follows: its broker, its app's channel registry, kind, channel and key."""

    __slots__ = ("live", "registry", "kind", "channel", "key")

    def __init__(self, live: Broker, registry: Channels, kind: Kind, channel: str, key: str) -> None:
        self.live, self.registry, self.kind, self.channel, self.key = live, registry, kind, channel, key

    def snapshot(self) -> tuple[int, str]:
        return self.registry.snapshot(self.live, self.kind, self.channel, self.key)


def _follow(s: _Stream, head: bytes, last: int, heartbeat: float, coalesce: float) -> Iterator[bytes]:
    # gunicorn sends the headers with the first chunk, so the first yield comes at once.
    # When the client leaves, gunicorn closes the generator (GeneratorExit at a yield): only the
    # count of listeners needs undoing, since a stream only reads.
    yield head
    s.live.listen(s.channel)
    try:
        yield from _events(s, last, heartbeat, coalesce)
    finally:
        s.live.listen(s.channel, opened=False)


def _events(s: _Stream, last: int, heartbeat: float, coalesce: float) -> Iterator[bytes]:
    live, channel = s.live, s.channel
    waiting: dict[str | None, float] = {}  # key of a pending marker seen -> when its render is overdue
    while True:
        timeout = heartbeat
        if waiting:
            timeout = max(0.0, min(heartbeat, min(waiting.values()) - time.monotonic()))
        events = live.wait(channel, last, timeout)
        if events and any(event.key == GONE for event in events):
            # The object was erased: send its last word (if rendered) and end the stream.
            yield encode([event for event in events if event.key == GONE and event.html is not None])
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
                last, html = s.snapshot()
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
            chunk = encode(events)
            if chunk:  # only pending markers: nothing to show yet
                yield chunk
        else:
            yield b": keep-alive\n\n"
