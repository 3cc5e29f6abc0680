"""Full garbage collections between a room's bursts, not in the middle of them.

CPython's full (generation 2) collection stops the whole worker while it walks every tracked
object. With 1,000 phones following a session a served worker holds 170,000-260,000 objects, and
`bench/feedback.py` measured those collections at 100-230 ms, started by the allocations of a
room answering: every answer arriving during one waited for it, and they were the tail of the
answer latency. Paced, in a served worker (see board/serving.py):

- the objects built at start-up (modules, classes, the app) are frozen out of collection
  (`gc.freeze()`), so a full collection walks only what requests and streams created;
- automatic full collections are off; the young generations are collected as before (a few ms);
- a background thread runs the full collection once the worker has started no request for
  `quiet` seconds (a room between two questions), or after `longest` seconds whatever the load,
  so that cyclic garbage never piles up for long.

Reference counting still frees everything that is not in a cycle at once; only cycles wait.
"""
from __future__ import annotations

import gc
import threading
import time

NEVER = 2**31 - 1  # a generation-2 threshold that the count of young collections never reaches


class Pacer:
    """Runs full collections when the worker is quiet. `request_started()` is called per request."""

    def __init__(self, quiet: float = 1.0, longest: float = 300.0, check: float = 0.25, pending: int = 10):
        self.quiet, self.longest, self.check, self.pending = quiet, longest, check, pending
        self.last_request = self.last_collection = time.monotonic()
        self.collections = 0
        self._stop = threading.Event()
        self._saved_threshold = gc.get_threshold()

    def request_started(self) -> None:
        self.last_request = time.monotonic()

    def due(self, now: float) -> bool:
        """A full collection is due when young collections have promoted objects since the last
        one (the third count: as many as CPython itself waits for) and the worker is quiet, or when
        it was put off for `longest` seconds."""
        if gc.get_count()[2] < self.pending:
            return False
        return now - self.last_request >= self.quiet or now - self.last_collection >= self.longest

    def collect_if_due(self) -> bool:
        now = time.monotonic()
        if not self.due(now):
            return False
        gc.collect()
        self.last_collection = time.monotonic()
        self.collections += 1
        return True

    def start(self) -> "Pacer":
        gc.freeze()
        young, middle, _full = self._saved_threshold
        gc.set_threshold(young, middle, NEVER)
        threading.Thread(target=self._run, name="gc-pacer", daemon=True).start()
        return self

    def stop(self) -> None:
        """Back to CPython's own pacing (tests)."""
        self._stop.set()
        gc.set_threshold(*self._saved_threshold)
        gc.unfreeze()

    def _run(self) -> None:
        while not self._stop.wait(self.check):
            self.collect_if_due()
