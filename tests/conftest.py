"""Fixtures shared by every test package."""

from tests.qt_async import qasync_loop

__all__ = ["qasync_loop"]
