"""What travels on a live channel: events, their SSE encoding, and the rules for reading a run of them.

An event is one fragment rendered once for every stream of its channel; `wire` is its SSE message,
encoded once. A run of events is collapsed (only the newest of each key), and a run that holds a
change published without html, or a pending marker whose render has not followed, makes a
resuming stream render the whole region instead.
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

_LINE_BREAK = re.compile(r"\r\n|\r|\n")  # the three line ends the SSE spec accepts

# The html of a "pending" marker: a change of `key` is committed and acknowledged, and its rendered
# event follows from the background (publish_soon). Published in the request, so that a change
# whose render died with its process (SIGKILL between acknowledgement and render) still leaves a
# trace in Redis's log: a stream resuming past a pending marker without its render re-renders the
# region, and a stream following live re-renders when the render does not come in time (stream.py).
PENDING = "\x00pending"
GONE = "gone"  # the key of a channel's final event: its object was erased


def now_us() -> int:
    """Microseconds since the Unix epoch: the clock that event ids follow."""
    return time.time_ns() // 1000


def sse_message(event_id: int | None, html: str | None = None, event: str | None = None) -> str:
    """Format one SSE message, one `data:` line per line of html: a bare line break inside a `data:`
    line would end the field, and what follows would be lost or read as another field."""
    lines = [] if event_id is None else [f"id: {event_id}"]
    if event:
        lines.append(f"event: {event}")
    if html is not None:
        lines.extend("data: " + line for line in _LINE_BREAK.split(html))
    return "\n".join(lines) + "\n\n"


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


def encode(events: list[Event]) -> bytes:
    """The SSE bytes of a run of events, collapsed (a pending marker's wire is empty)."""
    return b"".join(event.wire for event in collapse(events))
