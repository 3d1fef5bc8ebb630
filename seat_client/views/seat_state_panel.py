"""Seat state control: 示闲 (ready) / 示忙 (not ready, with a reason) and the current state."""

from __future__ import annotations

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QComboBox, QGroupBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from wire import SeatState

STATE_LABELS: dict[str, str] = {
    SeatState.OFFLINE: "离线",
    SeatState.READY: "示闲(等待来电)",
    SeatState.NOT_READY: "示忙",
    SeatState.RESERVED: "振铃中",
    SeatState.IN_CALL: "通话中",
    SeatState.WRAP_UP: "话后整理",
}

NOT_READY_REASONS: list[tuple[str, str]] = [
    ("rest", "小休"),
    ("meal", "就餐"),
    ("meeting", "会议"),
    ("training", "培训"),
    ("after_call_work", "业务处理"),
]


def state_label(state: str, reason: str | None = None) -> str:
    """The Chinese label of a seat state (with the not-ready reason)."""
    text = STATE_LABELS.get(state, state)
    if state == SeatState.NOT_READY and reason:
        text += f" · {dict(NOT_READY_REASONS).get(reason, reason)}"
    return text


class SeatStatePanel(QGroupBox):
    """Shows the server's view of the seat state and asks for changes."""

    readyRequested = Signal()
    notReadyRequested = Signal(str)
    """Reason code."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("坐席状态", parent)
        self.state_label = QLabel(state_label(SeatState.OFFLINE))
        self.state_label.setObjectName("stateLabel")
        self.ready_button = QPushButton("示闲")
        self.ready_button.setObjectName("readyButton")
        self.not_ready_button = QPushButton("示忙")
        self.not_ready_button.setObjectName("notReadyButton")
        self.reason_combo = QComboBox()
        for code, label in NOT_READY_REASONS:
            self.reason_combo.addItem(label, code)
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
