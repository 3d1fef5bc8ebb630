"""Wrap-up (话后整理): countdown after a call and a notes field."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QGroupBox, QLabel, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget

from seat_client.workstation.state import WorkstationState


class WrapUpPanel(QGroupBox):
    """Shows the time left and collects notes; 完成整理 ends wrap-up early."""

    finishRequested = Signal(str)
    """The notes."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("话后整理"))
        self.countdown = QLabel("")
        self.countdown.setObjectName("timerLabel")
        self.notes = QPlainTextEdit()
        self.notes.setPlaceholderText("通话小结(可选):客户诉求、办理结果、需跟进事项")
        self.finish_button = QPushButton("完成整理")
        layout = QVBoxLayout(self)
        layout.addWidget(self.countdown)
        layout.addWidget(self.notes, 1)
        layout.addWidget(self.finish_button)
        self.finish_button.clicked.connect(lambda: self.finishRequested.emit(self.notes.toPlainText()))

    def show_state(self, state: WorkstationState) -> None:
        """Countdown text; usable only during wrap-up."""
        active = state.phase == "wrap_up"
        self.finish_button.setEnabled(active)
        self.notes.setEnabled(active)
        if active:
            self.countdown.setText(f"剩余 {round(state.wrap_up_left_s())} 秒后自动示闲")
        else:
            self.countdown.setText("")
            if state.call is None:
                self.notes.clear()
