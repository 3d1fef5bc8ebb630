"""Seat state control: 示闲 (ready) / 示忙 (not ready, with a reason) and the current state."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Signal, Slot
from PySide6.QtWidgets import QComboBox, QGroupBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from seat_client.workstation.texts import N_
from wire import SeatState

_CONTEXT = "SeatStatePanel"

STATE_LABELS: dict[str, str] = {
    SeatState.OFFLINE: N_("SeatStatePanel", "离线"),
    SeatState.READY: N_("SeatStatePanel", "示闲(等待来电)"),
    SeatState.NOT_READY: N_("SeatStatePanel", "示忙"),
    SeatState.RESERVED: N_("SeatStatePanel", "振铃中"),
    SeatState.IN_CALL: N_("SeatStatePanel", "通话中"),
    SeatState.WRAP_UP: N_("SeatStatePanel", "话后整理"),
}

NOT_READY_REASONS: list[tuple[str, str]] = [
    ("rest", N_("SeatStatePanel", "小休")),
    ("meal", N_("SeatStatePanel", "就餐")),
    ("meeting", N_("SeatStatePanel", "会议")),
    ("training", N_("SeatStatePanel", "培训")),
    ("after_call_work", N_("SeatStatePanel", "业务处理")),
]


def _tr(source: str) -> str:
    return QCoreApplication.translate(_CONTEXT, source)


def state_label(state: str, reason: str | None = None) -> str:
    """The label of a seat state (with the not-ready reason) in the UI language (Chinese by default)."""
    text = _tr(STATE_LABELS[state]) if state in STATE_LABELS else state
    if state == SeatState.NOT_READY and reason:
        reasons = dict(NOT_READY_REASONS)
        text += " · " + (_tr(reasons[reason]) if reason in reasons else reason)
    return text


class SeatStatePanel(QGroupBox):
    """Shows the server's view of the seat state and asks for changes."""

    readyRequested = Signal()
    notReadyRequested = Signal(str)
    """Reason code."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("坐席状态"))
        self.state_label = QLabel(state_label(SeatState.OFFLINE))
        self.state_label.setObjectName("stateLabel")
        self.ready_button = QPushButton(self.tr("示闲"))
        self.ready_button.setObjectName("readyButton")
        self.not_ready_button = QPushButton(self.tr("示忙"))
        self.not_ready_button.setObjectName("notReadyButton")
        self.reason_combo = QComboBox()
        for code, label in NOT_READY_REASONS:
            self.reason_combo.addItem(_tr(label), code)
        row = QHBoxLayout()
        row.addWidget(self.ready_button)
        row.addWidget(self.not_ready_button)
        row.addWidget(self.reason_combo)
        layout = QVBoxLayout(self)
        layout.addWidget(self.state_label)
        layout.addLayout(row)
        self.ready_button.clicked.connect(self.readyRequested)
        self.not_ready_button.clicked.connect(self._not_ready)
        self.set_state(SeatState.OFFLINE)

    @Slot()
    def _not_ready(self) -> None:
        self.notReadyRequested.emit(str(self.reason_combo.currentData()))

    def set_state(self, state: str, reason: str | None = None) -> None:
        """Show ``state``; the buttons are usable only when switching makes sense."""
        self.state = state
        self.state_label.setText(state_label(state, reason))
        switchable = state in (SeatState.READY, SeatState.NOT_READY, SeatState.WRAP_UP)
        self.ready_button.setEnabled(switchable and state != SeatState.READY)
        self.not_ready_button.setEnabled(switchable and state != SeatState.NOT_READY)
        self.reason_combo.setEnabled(switchable)
