"""The rings of recent events per channel that every broker keeps, and the in-process broker.

`Broker` holds one ring per channel in this process and lets streams read and wait on it by id;
a subclass decides where ids come from and how events reach the rings. `MemoryBroker` serves one
process; `RedisBroker` (redis_broker.py) fills the same rings from Redis for many.
"""
from __future__ import annotations

import sys
import threading
import time
from abc import ABC, abstractmethod
from collections import deque

from board.live.framing import Event, now_us

NEVER = sys.maxsize  # the floor of a ring that covers nothing yet


class _Ring:
    """Recent events of one channel; complete for every id above `floor`."""

    __slots__ = ("events", "floor", "wakeup")

    def __init__(self, size: int, floor: int) -> None:
        self.events: deque[Event] = deque(maxlen=size)
        self.floor = floor
        # Waiters share one Event per channel; publishing sets it and installs a fresh one, which
        # is cheaper than a queue per subscriber.
        self.wakeup = threading.Event()


class Broker(ABC):
    """Rings of recent events per channel, read by id; subclasses decide where ids come from."""

    def __init__(self, ring_size: int = 256) -> None:
        self._ring_size = max(1, ring_size)
        self._rings: dict[str, _Ring] = {}
        self._lock = threading.Lock()
        self._top = 0  # the highest id this process knows was issued
        self._floor = NEVER  # the floor of a ring created now
        self._listeners: dict[str, int] = {}  # open streams per channel in this process

    @abstractmethod
    def publish(self, channel: str, html: str, key: str | None = None) -> int | None:
        """Send `html` to every subscriber of `channel`; return its id."""

    @abstractmethod
    def latest_id(self) -> int:
        """Return the current position: the id of the newest event (or of the broker's start)."""

    def close(self) -> None:
        """Release connections and background work."""

    def alive(self) -> bool:
        """Whether events published now reach other processes' streams (/healthz)."""
        return True

    def version(self, channel: str) -> int | None:
        """The id of the newest event on `channel` (or of the broker's start), if every event of the
        channel passes through this process; None when other processes publish too (Redis)."""
        return None

    def listen(self, channel: str, opened: bool = True) -> None:
        """Count a stream on `channel` opening (or, with opened=False, closing)."""
        with self._lock:
            count = self._listeners.get(channel, 0) + (1 if opened else -1)
            if count > 0:
                self._listeners[channel] = count
            else:
                self._listeners.pop(channel, None)

    def listening(self, channel: str) -> bool:
        """Whether a stream anywhere may be following `channel`, so that an event must be rendered."""
        return channel in self._listeners

    def events_after(self, channel: str, last_id: int) -> list[Event] | None:
        """Return the events after `last_id` in order, or None if the broker no longer knows them."""
        with self._lock:
            return self._local_after(channel, last_id)

    def wait(self, channel: str, last_id: int, timeout: float) -> list[Event] | None:
        """Block until there are events after `last_id` (or None as above); [] on timeout."""
        deadline = time.monotonic() + timeout
        cursor = last_id  # events in (last_id, cursor] are known not to exist
        while True:
            with self._lock:
                found = self._local_after(channel, cursor)
                wakeup = self._ring(channel).wakeup  # taken under the lock, so no publish is missed
            if found is None:
                found, cursor = self._beyond_ring(channel, cursor)
            if found is None or found:
                return found
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not wakeup.wait(remaining):
                return []

    def _beyond_ring(self, channel: str, cursor: int) -> tuple[list[Event] | None, int]:
        return None, cursor

    def _ring(self, channel: str) -> _Ring:
        ring = self._rings.get(channel)
        if ring is None:
            ring = self._rings[channel] = _Ring(self._ring_size, self._floor)
        return ring

    def _local_after(self, channel: str, last_id: int) -> list[Event] | None:
        ring = self._rings.get(channel)
        floor = ring.floor if ring else self._floor
        # An id from the future (another clock, a lost Redis) is as unknown as a too old one.
        if last_id < floor or last_id > self._top:
            return None
        found = []
        for event in reversed(ring.events if ring else ()):
            if event.id <= last_id:
                break
            found.append(event)
        found.reverse()
        return found

    def _append(self, event: Event) -> threading.Event:
        """Add `event` to its ring (lock held); return the wakeup to set once the lock is released."""
        ring = self._ring(event.channel)
        if len(ring.events) == ring.events.maxlen:
            ring.floor = max(ring.floor, ring.events[0].id)
        ring.events.append(event)
        self._top = max(self._top, event.id)
        wakeup, ring.wakeup = ring.wakeup, threading.Event()
        return wakeup

    def _reset_rings(self, floor: int) -> None:
        """Forget every ring's events below a new floor and wake all waiters to look again."""
        with self._lock:
            self._floor = floor
            if floor != NEVER:
                self._top = max(self._top, floor)
            wakeups = []
            for ring in self._rings.values():
                ring.events.clear()
                ring.floor = floor
                wakeups.append(ring.wakeup)
                ring.wakeup = threading.Event()
        for wakeup in wakeups:
            wakeup.set()


class MemoryBroker(Broker):
    """Events within one process: right for one worker, and the default without REDIS_URL."""

    def __init__(self, ring_size: int = 256) -> None:
        super().__init__(ring_size)
        # Time-based ids carry on above the last run's, and the empty rings make every id from
        # before this boot "too old", so a reconnecting browser gets a snapshot after a restart.
        self._top = self._floor = now_us()

    def publish(self, channel: str, html: str | None, key: str | None = None) -> int:
        with self._lock:
            event = Event(max(self._top + 1, now_us()), channel, html, key)
            wakeup = self._append(event)
        wakeup.set()
        return event.id

    def latest_id(self) -> int:
        with self._lock:
            return self._top

    def version(self, channel: str) -> int | None:
        with self._lock:
            ring = self._rings.get(channel)
            if ring is None:
                return self._floor
            return ring.events[-1].id if ring.events else ring.floor
