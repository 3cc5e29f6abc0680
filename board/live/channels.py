"""Kinds of live channels, per app: who may follow "<prefix>:<key>" and how its whole region renders.

A feature registers its kinds in its `init_app` (`live.channel_kind(app, ...)`); the stream view
looks the kind up in the current app, so two apps in one process (tests) never see each other's.
The whole region is rendered once for all streams that need it, in a neutral request
(board/shared.py), and kept while the channel has not changed.
"""
from __future__ import annotations

import threading
from typing import Callable, NamedTuple

from flask import Flask

from board import shared
from board.live.memory import Broker

EXTENSION = "live.channels"


class Kind(NamedTuple):
    authorize: Callable[[str], None]  # aborts (401, 403, 404) when the viewer may not follow the key
    snapshot: Callable[[str], str]  # the whole live region of the key, as html


class Channels:
    """One app's kinds of channels and the cache of their rendered regions."""

    MAX_CACHED = 1000

    def __init__(self) -> None:
        self.kinds: dict[str, Kind] = {}
        self._snapshots: dict[str, tuple[int, int, str]] = {}  # channel -> (its version, position, html)
        self._locks: dict[str, threading.Lock] = {}

    def add(self, prefix: str, authorize: Callable[[str], None], snapshot: Callable[[str], str]) -> None:
        if prefix in self.kinds:
            raise ValueError(f"the live channel kind {prefix!r} is registered twice")
        self.kinds[prefix] = Kind(authorize, snapshot)

    def kind_of(self, channel: str) -> tuple[Kind, str] | None:
        """The kind of "<prefix>:<key>" and its key, or None for a name no kind owns."""
        prefix, colon, key = channel.partition(":")
        kind = self.kinds.get(prefix) if colon else None
        return None if kind is None else (kind, key)

    def snapshot(self, live: Broker, kind: Kind, channel: str, key: str) -> tuple[int, str]:
        """Render the whole live region once for every stream that needs it: after a restart every
        browser reconnects with an id the new process does not know, and a thousand renders at once
        held every pooled connection for a minute (bench/crash.py). Reused while no event has been
        published on the channel since (the memory broker sees them all; with Redis, other processes
        publish too, and a reconnect is a replay anyway). Returns (position, html)."""
        if live.version(channel) is None:
            return live.latest_id(), render_snapshot(kind, channel, key)
        with self._locks.setdefault(channel, threading.Lock()):  # one render; the others wait for it
            version = live.version(channel)  # read before the position and the render (see stream.py)
            cached = self._snapshots.get(channel)
            if cached is not None and cached[0] == version:
                return cached[1], cached[2]
            position = live.latest_id()
            html = render_snapshot(kind, channel, key)
            if len(self._snapshots) > self.MAX_CACHED:
                self._snapshots.clear()
            self._snapshots[channel] = (version, position, html)
            return position, html


def channels(app: Flask) -> Channels:
    """The app's registry of channel kinds (made by live.init_app, or on first registration)."""
    registry = app.extensions.get(EXTENSION)
    return registry if registry is not None else app.extensions.setdefault(EXTENSION, Channels())


def channel_kind(app: Flask, prefix: str, authorize: Callable[[str], None],
                 snapshot: Callable[[str], str]) -> None:
    """Register channels named "<prefix>:<key>" on `app`: who may listen, and how to render the whole region."""
    channels(app).add(prefix, authorize, snapshot)


def render_snapshot(kind: Kind, channel: str, key: str) -> str:
    """The whole region, rendered for every stream of `channel` (shared and cached): in a neutral
    request, in the channel's language (the part after "@"), not in the visitor's request."""
    language = channel.rpartition("@")[2] if "@" in channel else None
    with shared.neutral_request():
        if not language:
            return kind.snapshot(key)
        from flask_babel import force_locale

        with force_locale(language):
            return kind.snapshot(key)
