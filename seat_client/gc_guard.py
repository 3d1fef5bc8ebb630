"""Run Python's cyclic garbage collector only on the Qt main thread.

Qt objects must be destroyed in the thread they live in. If the automatic collector happens to run in a worker
thread (a capture thread, aiortc's encoder executor, the frame pump) while a reference cycle holds a QObject, the
object is destroyed there: Qt warns "Timers cannot be stopped from another thread" or the process crashes.
Like qutebrowser's ``GarbageCollector``, we disable automatic collection and collect from a main-thread timer.
"""

from __future__ import annotations

import gc
import logging

from PySide6.QtCore import QCoreApplication, QObject, QTimer, Slot

logger = logging.getLogger(__name__)

_installed: MainThreadGarbageCollector | None = None


class MainThreadGarbageCollector(QObject):
    """Collects garbage generation by generation on a 1 s main-thread timer, as the automatic collector would."""

    def __init__(self, parent: QObject | None = None, interval_ms: int = 1000) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.check)
        gc.disable()
        self._timer.start()

    @Slot()
    def check(self) -> None:
        """Collect the generations whose thresholds are exceeded (cheap when nothing is due)."""
        counts = gc.get_count()
        thresholds = gc.get_threshold()
        for generation in (2, 1, 0):
            if counts[generation] > thresholds[generation]:
                gc.collect(generation)
                return


def install_main_thread_gc() -> MainThreadGarbageCollector:
    """Install the collector once per process (on the QApplication); returns it."""
    global _installed
    app = QCoreApplication.instance()
    if app is None:
        raise RuntimeError("create the QApplication first")
    if _installed is None:
        _installed = MainThreadGarbageCollector(app)
        logger.debug("cyclic garbage collection moved to the main thread")
    gc.disable()  # again, in case something re-enabled it
    return _installed
