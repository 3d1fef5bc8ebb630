"""Work-arounds for defects in the Qt bindings, each detected at run time and applied only where present.

PySide6 6.12 on Python 3.11: ``QObject.killTimer()`` returns None without taking a reference, so every call from
Python drops one reference to ``None``. qasync calls it once per scheduled callback (``call_soon``/``call_later``
run through ``_SimpleTimer``), about a thousand times a second in a video call, and when None's count reaches zero
CPython aborts the seat client ("Fatal Python error: none_dealloc"): in our measurements within a minute or two of a
call. Python 3.12+ makes None immortal, which hides the defect; on 3.11 we give the reference back.
"""

from __future__ import annotations

import ctypes
import logging
import sys
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QObject

if TYPE_CHECKING:
    import qasync

logger = logging.getLogger(__name__)

_PROBE_CALLS = 64
_installed: bool | None = None


def _give_back_none(count: int) -> None:
    for _ in range(count):
        ctypes.pythonapi.Py_IncRef(ctypes.py_object(None))


def kill_timer_drops_none() -> bool:
    """Whether ``QObject.killTimer`` loses a reference to None on this interpreter (probe; repairs its own loss)."""
    probe = QObject()
    probe.killTimer(probe.startTimer(60_000))  # warm-up: the first call caches things that hold references to None
    before = sys.getrefcount(None)
    for _ in range(_PROBE_CALLS):
        probe.killTimer(probe.startTimer(60_000))
    lost = before - sys.getrefcount(None)
    if lost > 0:
        _give_back_none(lost)
    return lost >= _PROBE_CALLS // 2


def install() -> bool:
    """Patch qasync's timer so each ``killTimer`` gives back the reference PySide6 dropped; idempotent.

    Returns:
        True when the defect is present and the patch is active.
    """
    global _installed
    if _installed is not None:
        return _installed
    import qasync

    _installed = kill_timer_drops_none()
    if _installed:

        def kill_timer(self: QObject, timer_id: int) -> None:
            QObject.killTimer(self, timer_id)
            ctypes.pythonapi.Py_IncRef(ctypes.py_object(None))

        qasync._SimpleTimer.killTimer = kill_timer  # type: ignore[attr-defined]
        logger.info("PySide6 killTimer drops a reference to None on this Python: compensating in qasync's timer")
    return _installed


def new_event_loop(app: QCoreApplication) -> qasync.QEventLoop:
    """The qasync event loop for ``app``, with the work-arounds above installed first."""
    import qasync

    install()
    return qasync.QEventLoop(app)
