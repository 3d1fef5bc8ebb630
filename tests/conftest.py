"""Fixtures and safety nets shared by every test package."""

from __future__ import annotations

import faulthandler
import sys
import time
from collections.abc import Generator

import pytest

from tests.qt_async import qasync_loop

__all__ = ["qasync_loop"]

HANG_GRACE_S = 120.0
"""How long past its pytest-timeout a test (set-up, call and teardown together) may run before the watchdog fires."""


def _terminal_fd(config: pytest.Config) -> int:
    """The run's real stderr: pytest's output capture has fd 2 pointing at a temporary file during a test."""
    capman = config.pluginmanager.getplugin("capturemanager")
    err = getattr(getattr(capman, "_global_capturing", None), "err", None)
    saved = getattr(err, "targetfd_save", None)
    return saved if isinstance(saved, int) else sys.__stderr__.fileno() if sys.__stderr__ else 2


_watchdog: tuple[float, int] | None = None
"""(deadline on time.monotonic(), fd) of the running test's watchdog."""


def _arm_watchdog() -> None:
    if _watchdog is not None:
        deadline, fd = _watchdog
        faulthandler.dump_traceback_later(max(1.0, deadline - time.monotonic()), exit=True, file=fd)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Generator[None, None, None]:
    """Last-resort hang watchdog: every thread's stack to the real stderr, then exit.

    pytest-timeout's signal method only fires once and only when the main thread runs Python code; a test stuck
    inside a C call (a Qt multimedia thread join, a blocked native read), or whose teardown hangs after the timeout
    already failed it, would otherwise hang the whole run until CI's own limit with nothing printed. This makes such
    a hang fail fast and say where it is.
    """
    global _watchdog
    marker = item.get_closest_marker("timeout")
    limit = float(marker.args[0]) if marker and marker.args else float(item.config.getini("timeout") or 300)
    _watchdog = (time.monotonic() + limit + HANG_GRACE_S, _terminal_fd(item.config))
    _arm_watchdog()
    try:
        yield
    finally:
        _watchdog = None
        faulthandler.cancel_dump_traceback_later()


@pytest.hookimpl(trylast=True)
def pytest_exception_interact() -> None:
    """pytest's faulthandler plugin cancels the timer on every failure report; the teardown still needs it."""
    _arm_watchdog()
