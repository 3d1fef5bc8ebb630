"""Guards against defects in the Qt bindings that would crash a call, and the event-loop factory that applies them.

PySide6 6.12 under Python 3.11 drops a reference to ``None`` on every call to a method that returns nothing (and to
``True``/``False`` for methods returning bool). qasync makes such calls for every callback and socket event, about a
thousand a second in a video call, and when None's count reaches zero CPython aborts ("Fatal Python error:
none_dealloc") — within a minute or two of a call. Python 3.12+ makes these objects immortal, which hides the defect.
The project pins PySide6 6.11 (see pyproject.toml); this module refuses to start on bindings that have the defect, so
a wrong package on a seat PC fails at start-up and in ``--self-test`` rather than in the middle of a customer's call.
"""

from __future__ import annotations

import socket
import sys
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QObject, QSocketNotifier

if TYPE_CHECKING:
    import qasync

_PROBE_CALLS = 256


class QtBindingsDefect(RuntimeError):
    """The installed Qt bindings leak or drop references in a way that crashes long calls."""


def lost_references_per_call() -> dict[str, float]:
    """References to None/True/False lost per call of typical void and bool methods (0 on sound bindings)."""
    probe = QObject()
    left, right = socket.socketpair()
    try:
        notifier = QSocketNotifier(left.fileno(), QSocketNotifier.Type.Read)
        notifier.setEnabled(False)  # warm-up: first calls cache things that hold references
        notifier.isEnabled()
        probe.killTimer(probe.startTimer(60_000))
        before = (sys.getrefcount(None), sys.getrefcount(True), sys.getrefcount(False))
        for _ in range(_PROBE_CALLS):
            notifier.setEnabled(False)
            notifier.isEnabled()
        after = (sys.getrefcount(None), sys.getrefcount(True), sys.getrefcount(False))
    finally:
        left.close()
        right.close()
    lost = [max(0, b - a) / _PROBE_CALLS for b, a in zip(before, after, strict=True)]
    return {"None": lost[0], "True": lost[1], "False": lost[2]}


def check_bindings() -> None:
    """Raise :class:`QtBindingsDefect` when the bindings lose references on ordinary calls."""
    lost = lost_references_per_call()
    if any(v >= 0.5 for v in lost.values()):
        import PySide6

        raise QtBindingsDefect(
            f"PySide6 {PySide6.__version__} on Python {sys.version.split()[0]} loses references on every call "
            f"({lost}); a video call would crash within minutes. Install the PySide6 version in uv.lock (6.11)."
        )


def new_event_loop(app: QCoreApplication) -> qasync.QEventLoop:
    """The seat's qasync event loop for ``app`` (:class:`~seat_client.event_loop.SeatEventLoop`), after checking
    the Qt bindings are safe to run a call on."""
    from seat_client.event_loop import SeatEventLoop

    check_bindings()
    return SeatEventLoop(app)
