"""Scripted prompts (话术): the steps the teller reads, current one highlighted, done ones ticked."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import QGroupBox, QLabel, QListWidget, QListWidgetItem, QPushButton, QVBoxLayout, QWidget

from seat_client.workstation.state import WorkstationState


class ScriptPanel(QGroupBox):
    """The 话术 of the call's business type."""

    nextStepRequested = Signal()
    stepSelected = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("话术"))
        self.title_label = QLabel(self.tr("暂无通话"))
        self.title_label.setObjectName("scriptTitle")
        self.steps = QListWidget()
        self.steps.setObjectName("scriptSteps")
        self.steps.setWordWrap(True)
        self.steps.setSpacing(2)
        self.next_button = QPushButton(self.tr("下一步 (F9)"))
        self.next_button.setEnabled(False)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title_label)
        layout.addWidget(self.steps, 1)
        layout.addWidget(self.next_button)
        self.next_button.clicked.connect(self.nextStepRequested)
        self.steps.itemClicked.connect(lambda item: self.stepSelected.emit(self.steps.row(item)))

    def show_state(self, state: WorkstationState) -> None:
        """Redraw the steps with the customer's details filled in."""
        self.steps.clear()
        script = state.script
        if script is None:
            waiting = self.tr("接听后显示本业务话术") if state.phase == "ringing" else self.tr("正在加载话术…")
            self.title_label.setText(self.tr("暂无通话") if state.call is None else waiting)
            self.next_button.setEnabled(False)
            return
        self.title_label.setText(script.title)
        for i, step in enumerate(script.steps):
            done = i in state.steps_done
            mark = "✔" if done else f"{i + 1}."
            item = QListWidgetItem(f"{mark} {step.title}\n{state.step_text(i)}")
            if i == state.step_index:
                font = QFont(item.font())
                font.setBold(True)
                item.setFont(font)
                item.setBackground(QColor("#fff4c2"))
            elif done:
                item.setForeground(QColor("#6b7785"))
            self.steps.addItem(item)
        current = self.steps.item(state.step_index)
        if current is not None:
            self.steps.scrollToItem(current, QListWidget.ScrollHint.PositionAtCenter)
        self.next_button.setEnabled(state.phase == "in_call" and len(state.steps_done) < len(script.steps))

    def current_row(self) -> int:
        """The highlighted step (for tests and shortcuts)."""
        for row in range(self.steps.count()):
            if self.steps.item(row).font().bold():
                return row
        return -1
