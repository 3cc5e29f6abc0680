"""Live updates: server-sent event streams per channel, fed by a broker that keeps recent events.

A service commits a change, then calls `publish(channel, html)` with the fragment it rendered once.
Every stream on that channel reads the event from one shared ring buffer by id, so a browser that
reconnects with `Last-Event-ID` gets exactly what it missed, or a fresh snapshot of the whole live
region when its id is older than what the broker keeps. `MemoryBroker` serves one process;
`RedisBroker` carries events between worker processes and hosts (one subscription per process).

The modules, in the order an event travels:
- framing.py: events, their SSE encoding, and how a run of them is read (collapse, unrendered);
- memory.py: the rings of recent events every broker keeps, and the in-process broker;
- redis_broker.py: the broker shared by workers and hosts through Redis;
- publishing.py: publish / publish_soon after commit, once per language, in a neutral request;
- channels.py: per app, the kinds of channels (who may follow, the whole region) and its cache;
- stream.py: the GET /live/<channel> view.

Callers use this package only: `from board import live; live.publish(...)`.
"""
from flask import Flask

from board.live.channels import Channels, Kind, channel_kind, channels, render_snapshot
from board.live.framing import GONE, PENDING, Event, collapse, now_us, sse_message, unrendered, unresolved
from board.live.memory import Broker, MemoryBroker
from board.live.publishing import (
    SOON_SHARE,
    backend_name,
    broker,
    broker_alive,
    end_channel,
    latest_id,
    publish,
    publish_soon,
)
from board.live.redis_broker import RedisBroker
from board.live.stream import bp

__all__ = [
    "GONE", "PENDING", "SOON_SHARE", "Broker", "Channels", "Event", "Kind", "MemoryBroker", "RedisBroker",
    "backend_name", "bp", "broker", "broker_alive", "channel_kind", "channels", "collapse", "end_channel",
    "init_app", "latest_id", "now_us", "publish", "publish_soon", "render_snapshot", "sse_message",
    "unrendered", "unresolved",
]


def init_app(app: Flask) -> None:
    """Choose the broker (Redis when REDIS_URL is set, for several workers; else in-process memory),
    give the app its own registry of channel kinds, and serve the streams."""
    size = int(app.config.get("LIVE_RING_SIZE", 256))
    url = app.config.get("REDIS_URL")
    app.extensions["live"] = (
        RedisBroker(url, ring_size=size, prefix=app.config.get("LIVE_REDIS_PREFIX", "tavlan"))
        if url else MemoryBroker(ring_size=size))
    channels(app)
    app.register_blueprint(bp)
