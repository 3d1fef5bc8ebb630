"""Saves ``grab()`` PNGs of the main window on state changes and periodically (demos without a display)."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import shiboken6
from PySide6.QtCore import QObject, QTimer, Slot
from PySide6.QtWidgets import QWidget

logger = logging.getLogger(__name__)


class ScreenshotRecorder(QObject):
    """Writes ``NNNN-<tag>.png`` files into ``directory``.

    Args:
        widget: what to grab (the main window).
        directory: created if missing.
        interval_ms: periodic capture interval; 0 disables periodic captures.
    """

    def __init__(self, widget: QWidget, directory: Path, interval_ms: int = 5000, parent: QObject | None = None):
        super().__init__(parent if parent is not None else widget)  # dies with the window, and so do its timers
        self.widget = widget
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self.saved: list[Path] = []
        self._stopped = False
        self._timer = QTimer(self)
        if interval_ms > 0:
            self._timer.setInterval(interval_ms)
            self._timer.timeout.connect(self._periodic)
            self._timer.start()

    def capture(self, tag: str) -> Path | None:
        """Grab the widget now; returns the file written (None if the widget is not shown)."""
        if not shiboken6.isValid(self.widget) or not self.widget.isVisible():
            return None
        safe = re.sub(r"[^A-Za-z0-9_-]+", "_", tag)[:40] or "shot"
        path = self.directory / f"{len(self.saved):04d}-{safe}.png"
        if self.widget.grab().save(str(path), "PNG"):
            self.saved.append(path)
            logger.debug("screenshot %s", path)
            return path
        logger.warning("could not save screenshot %s", path)
        return None

    def capture_later(self, tag: str, delay_ms: int = 300) -> None:
        """Grab after the UI had time to repaint (e.g. after a state change)."""
        QTimer.singleShot(delay_ms, self, lambda: None if self._stopped else self.capture(tag))

    @Slot()
    def _periodic(self) -> None:
        self.capture("periodic")

    def stop(self) -> None:
        """Stop periodic captures and drop delayed ones (a slow shutdown must not add shots after ``exit``)."""
        self._stopped = True
        self._timer.stop()
