"""The seat client's asyncio loop: qasync's, with ``call_soon`` batched through one Qt timer.

qasync runs every ``call_soon`` callback from its own zero-interval Qt timer: one ``startTimer``, one timer event
and one ``killTimer`` per callback, plus an ``iscoroutinefunction`` check. In a video call aiortc schedules about
a thousand callbacks a second (every RTP packet, every frame, every future that completes), all on the UI thread.
Here ready callbacks go to a queue instead, and one single-shot zero timer runs the callbacks queued before it fired,
in order, the way asyncio's own loop runs its ready queue once per iteration; callbacks queued meanwhile wait for the
next pass, so Qt's events (painting, sockets) still get their turn between passes. Timed callbacks (``call_later``)
and everything else are qasync's.
"""

from __future__ import annotations

import asyncio
import collections
import contextvars
from collections.abc import Callable
from typing import Any

import qasync
from PySide6.QtCore import QCoreApplication, QTimer


class SeatEventLoop(qasync.QEventLoop):  # type: ignore[misc,name-defined]
    """:class:`qasync.QEventLoop` whose ``call_soon`` queues instead of starting a Qt timer per callback."""

    def __init__(self, app: QCoreApplication) -> None:
        self._ready_handles: collections.deque[asyncio.Handle] = collections.deque()
        self._drain_timer = QTimer()
        self._drain_timer.setSingleShot(True)
        self._drain_timer.setInterval(0)
        self._drain_timer.timeout.connect(self._run_ready)
        super().__init__(app)

    def call_soon(
        self, callback: Callable[..., Any], *args: Any, context: contextvars.Context | None = None
    ) -> asyncio.Handle:
        """Run ``callback(*args)`` on the next pass of the ready queue (FIFO, like asyncio's)."""
        if self.is_closed():
            raise RuntimeError("Event loop is closed")
        handle = asyncio.Handle(callback, args, self, context=context)
        self._ready_handles.append(handle)
        if not self._drain_timer.isActive():
            self._drain_timer.start()
        return handle

    def _run_ready(self) -> None:
        """Run the callbacks that were queued when this pass began (not those they queue)."""
        ready = self._ready_handles
        for _ in range(len(ready)):
            handle = ready.popleft()
            if not handle._cancelled:
                handle._run()  # Handle._run reports exceptions to the loop's exception handler
        if ready and not self._drain_timer.isActive():
            self._drain_timer.start()

    @property
    def pending_ready(self) -> int:
        """Callbacks waiting for the next pass (for tests and diagnostics)."""
        return len(self._ready_handles)

    def close(self) -> None:
        """Drop queued callbacks (as qasync stops its timers) and close."""
        if self.is_running():
            raise RuntimeError("Cannot close a running event loop")
        self._drain_timer.stop()
        self._ready_handles.clear()
        super().close()
