"""A video tile: paints the latest QImage from a frame pump, letterboxed, with a caption.

The tile tells its pump its size in device pixels, so images normally arrive already scaled for it and are only
copied onto the window; an image made for another size (just after a resize) is scaled here. A paint fills only the
letterbox bars around the picture and draws the caption from a laid-out ``QStaticText``: at 30 frames a second per
tile, filling the whole tile first and shaping the caption text again were a third of the paint's cost.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, Qt, Slot
from PySide6.QtGui import QColor, QImage, QPainter, QPaintEvent, QResizeEvent, QShowEvent, QStaticText
from PySide6.QtWidgets import QSizePolicy, QWidget

from seat_client.video.frame_pump import FIT_TAG, FramePump

BACKGROUND = QColor("#101418")
"""Letterbox and placeholder background."""

BADGE_COLOURS = {"ok": QColor(30, 120, 60, 210), "warning": QColor(190, 40, 30, 225), "info": QColor(40, 48, 60, 200)}
"""Background of the status badge by level (text is white)."""


def _letterbox(outer: QRect, inner: QRect) -> list[QRect]:
    """The parts of ``outer`` around ``inner`` (top, bottom, left, right bars; empty ones left out)."""
    inner = inner.intersected(outer)
    if inner.isEmpty():
        return [outer]
    bars = [
        QRect(outer.left(), outer.top(), outer.width(), inner.top() - outer.top()),
        QRect(outer.left(), inner.bottom() + 1, outer.width(), outer.bottom() - inner.bottom()),
        QRect(outer.left(), inner.top(), inner.left() - outer.left(), inner.height()),
        QRect(inner.right() + 1, inner.top(), outer.right() - inner.right(), inner.height()),
    ]
    return [bar for bar in bars if not bar.isEmpty()]


class VideoTile(QWidget):
    """Shows one video stream (the customer large, the teller's own preview small).

    Args:
        placeholder: text shown while there is no image (e.g. "等待客户视频…").
        caption: small label in the corner ("客户", "本人").
        framed: draw a light border (the inset preview over the customer's video).
    """

    def __init__(self, placeholder: str, caption: str = "", parent: QWidget | None = None, *, framed: bool = False):
        super().__init__(parent)
        self.placeholder = placeholder
        self.caption = caption
        self.framed = framed
        self._image: QImage | None = None
        self._pump: FramePump | None = None
        self._caption_text = QStaticText(caption)
        self._caption_text.setPerformanceHint(QStaticText.PerformanceHint.AggressiveCaching)
        self.badge = ""
        """A status line drawn top-right over the picture (the live face monitor's), empty for none."""
        self.badge_level = "info"
        self._badge_text = QStaticText()
        self._badge_text.setPerformanceHint(QStaticText.PerformanceHint.AggressiveCaching)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(160, 120)

    def bind(self, pump: FramePump) -> None:
        """Show the images ``pump`` delivers and report each painted frame back to it."""
        self._pump = pump
        pump.frameReady.connect(self.set_image)
        self._tell_pump_size()

    def _device_size(self) -> tuple[int, int, float]:
        ratio = self.devicePixelRatioF()
        return round(self.width() * ratio), round(self.height() * ratio), ratio

    def _tell_pump_size(self) -> None:
        if self._pump is not None:
            self._pump.set_display_size(*self._device_size())

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Frames from now on are scaled for the new size (on the pump's thread)."""
        super().resizeEvent(event)
        self._tell_pump_size()

    def showEvent(self, event: QShowEvent) -> None:
        """The screen (and so the device pixel ratio) is known once shown."""
        super().showEvent(event)
        self._tell_pump_size()

    @property
    def has_image(self) -> bool:
        """Whether a frame is being shown."""
        return self._image is not None

    @Slot(QImage)
    def set_image(self, image: QImage) -> None:
        """Replace the shown frame and schedule a repaint (Qt coalesces repaints)."""
        self._image = image
        self.update()

    def set_badge(self, text: str, level: str = "info") -> None:
        """Show ``text`` top-right over the picture on a ``level`` background (``ok``, ``warning``, ``info``);
        an empty text removes the badge."""
        if (text, level) != (self.badge, self.badge_level):
            self.badge, self.badge_level = text, level
            self._badge_text.setText(text)
            self.update()

    def clear(self) -> None:
        """Back to the placeholder."""
        self._image = None
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        """Draw the frame letterboxed, or the placeholder."""
        painter = QPainter(self)
        image = self._image
        if image is not None:
            width, height, _ = self._device_size()
            if image.text(FIT_TAG) == f"{width}x{height}":  # made for this size: a plain copy, centred
                size = image.deviceIndependentSize().toSize()
                target = QRect(
                    (self.width() - size.width()) // 2,
                    (self.height() - size.height()) // 2,
                    size.width(),
                    size.height(),
                )
                painter.drawImage(target.topLeft(), image)
            else:
                scaled = image.deviceIndependentSize().toSize().scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio)
                target = QRect(
                    (self.width() - scaled.width()) // 2,
                    (self.height() - scaled.height()) // 2,
                    scaled.width(),
                    scaled.height(),
                )
                painter.drawImage(target, image)
            for bar in _letterbox(self.rect(), target):  # the bars only, not under the picture again
                painter.fillRect(bar, BACKGROUND)
        else:
            painter.fillRect(self.rect(), BACKGROUND)
            painter.setPen(QColor("#9aa3ad"))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.placeholder)
        if self.caption:
            if self._caption_text.text() != self.caption:
                self._caption_text.setText(self.caption)
            painter.setPen(QColor("white"))
            painter.drawStaticText(QPoint(8, 6), self._caption_text)
        if self.badge:
            size = self._badge_text.size().toSize()
            box = QRect(self.width() - size.width() - 20, 6, size.width() + 12, size.height() + 6)
            painter.fillRect(box, BADGE_COLOURS.get(self.badge_level, BADGE_COLOURS["info"]))
            painter.setPen(QColor("white"))
            painter.drawStaticText(QPoint(box.left() + 6, box.top() + 3), self._badge_text)
        if self.framed:
            painter.setPen(QColor("#d5dbe3"))
            painter.drawRect(self.rect().adjusted(0, 0, -1, -1))
        painter.end()
        if image is not None and self._pump is not None:
            self._pump.note_drawn(image)
