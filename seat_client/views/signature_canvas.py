"""A read-only canvas that draws a customer's signature strokes, optionally only up to a replay time."""

from __future__ import annotations

from PySide6.QtCore import QElapsedTimer, QPointF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from seat_client.workstation.signature import replay_cut
from wire.signature import SignatureSubmission


class SignatureCanvas(QWidget):
    """Shows the strokes scaled to fit; :meth:`replay` animates them at the speed they were drawn."""

    replayFinished = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.submission: SignatureSubmission | None = None
        self.elapsed_ms: float | None = None  # None: draw everything
        self._clock = QElapsedTimer()
        self._timer = QTimer(self)
        self._timer.setInterval(30)
        self._timer.timeout.connect(self._tick)
        self.setMinimumSize(240, 100)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)

    def set_submission(self, submission: SignatureSubmission | None) -> None:
        """Show a signature in full."""
        self._timer.stop()
        self.submission = submission
        self.elapsed_ms = None
        self.update()

    @property
    def replaying(self) -> bool:
        """Whether the replay animation runs."""
        return self._timer.isActive()

    def replay(self) -> None:
        """Redraw the strokes in the order and at the pace they were drawn."""
        if self.submission is None:
            return
        self.elapsed_ms = 0.0
        self._clock.start()
        self._timer.start()
        self.update()

    def _duration(self) -> float:
        points = [p.t for s in (self.submission.strokes if self.submission else []) for p in s.points]
        return max(points) - min(points) if points else 0.0

    def _tick(self) -> None:
        self.elapsed_ms = float(self._clock.elapsed())
        if self.elapsed_ms >= self._duration():
            self._timer.stop()
            self.elapsed_ms = None
            self.replayFinished.emit()
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        """White paper, black ink, scaled into the widget keeping the aspect ratio."""
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), QColor("white"))
        painter.setPen(QColor("#c5cdd8"))
        painter.drawRect(self.rect().adjusted(0, 0, -1, -1))
        sub = self.submission
        if sub is None:
            painter.setPen(QColor("#9aa3ad"))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.tr("等待客户签名"))
            painter.end()
            return
        scale = min(self.width() / sub.width, self.height() / sub.height)
        ox = (self.width() - sub.width * scale) / 2
        oy = (self.height() - sub.height * scale) / 2
        strokes = replay_cut(sub, self.elapsed_ms if self.elapsed_ms is not None else float("inf"))
        pen = QPen(QColor("black"), max(1.5, 2.5 * scale))
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        painter.setPen(pen)
        for stroke in strokes:
            points = [QPointF(ox + x * scale, oy + y * scale) for x, y in stroke]
            if len(points) == 1:
                painter.drawPoint(points[0])
            else:
                painter.drawPolyline(points)
        painter.end()
