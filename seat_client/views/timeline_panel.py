"""Session timeline (会话时间线): every event of the call as it happens."""

from __future__ import annotations

from PySide6.QtWidgets import QGroupBox, QListWidget, QVBoxLayout, QWidget

from seat_client.i18n import translate_text
from seat_client.workstation.state import WorkstationState


class TimelinePanel(QGroupBox):
    """A list that only grows during a call (cleared after wrap-up)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("会话时间线"))
        self.events = QListWidget()
        self.events.setObjectName("timeline")
        self.events.setWordWrap(True)
        QVBoxLayout(self).addWidget(self.events)

    def show_state(self, state: WorkstationState) -> None:
        """Append new events (or start over when the list was cleared)."""
        if self.events.count() > len(state.timeline):
            self.events.clear()
        for event in state.timeline[self.events.count() :]:
            self.events.addItem(f"{event.at.astimezone():%H:%M:%S}  {translate_text(event.message)}")
        self.events.scrollToBottom()
