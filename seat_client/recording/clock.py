"""Injectable time sources for the recorder: a monotonic media clock and a controllable fake for tests."""

from __future__ import annotations

import threading
import time
from typing import Protocol


class MediaClock(Protocol):
    """Monotonic media time in seconds (any origin); the recorder derives every timestamp from it."""

    def now(self) -> float:
        """Current media time in seconds."""
        ...

    def wait_until(self, deadline: float, stop: threading.Event) -> None:
        """Blocks until ``now() >= deadline`` or ``stop`` is set (may return early; callers re-check)."""
        ...


class SystemClock:
    """Media time from ``time.monotonic()``."""

    def now(self) -> float:
        """Current monotonic time in seconds."""
        return time.monotonic()

    def wait_until(self, deadline: float, stop: threading.Event) -> None:
        """Sleeps on ``stop`` until the deadline."""
        delay = deadline - time.monotonic()
        if delay > 0:
            stop.wait(delay)


class FakeClock:
    """A media clock that only moves when a test calls :meth:`advance` (deterministic tests).

    Args:
        start: initial media time in seconds.
    """

    def __init__(self, start: float = 1000.0) -> None:
        self._now = start
        self._cond = threading.Condition()

    def now(self) -> float:
        """Current fake media time."""
        with self._cond:
            return self._now

    def advance(self, seconds: float) -> float:
        """Moves time forward and wakes waiters; returns the new time."""
        if seconds < 0:
            raise ValueError("time only moves forward")
        with self._cond:
            self._now += seconds
            self._cond.notify_all()
            return self._now

    def wait_until(self, deadline: float, stop: threading.Event) -> None:
        """Waits for :meth:`advance` to reach the deadline (re-checks ``stop`` every 50 ms of real time)."""
        with self._cond:
            if self._now < deadline and not stop.is_set():
                self._cond.wait(0.05)
