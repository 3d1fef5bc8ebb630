"""Wrap-up (话后整理): countdown after a call and the 话后小结 the server keeps with the session.

The static layout is ``ui/wrap_up_panel.ui`` (compiled by ``scripts/build-ui``); this class fills it from the
:class:`WorkstationState` and forwards the teller's edits and 完成整理.
"""

from __future__ import annotations

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QGroupBox, QWidget

from seat_client.i18n import translate_text
from seat_client.ui_generated.ui_wrap_up_panel import Ui_WrapUpPanel
from seat_client.workstation.state import WorkstationState
from seat_client.workstation.wrap_up import notes_length_problem
from wire.wrap_up import WRAP_UP_NOTES_MAX_CHARS


class WrapUpPanel(QGroupBox):
    """Shows the time left, takes the notes (with a length counter) and says whether earlier notes reached the
    server; 完成整理 ends wrap-up early."""

    finishRequested = Signal(str)
    """The notes (sent when wrap-up ends)."""
    notesEdited = Signal(str)
    """The notes as typed (the service keeps the draft, so the countdown's end sends it too)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ui = Ui_WrapUpPanel()
        self.ui.setupUi(self)
        self.countdown = self.ui.timerLabel
        self.notes = self.ui.notesEdit
        self.finish_button = self.ui.finishButton
        self.error_label = self.ui.errorLabel
        self.counter_label = self.ui.counterLabel
        self.outbox_label = self.ui.outboxLabel
        self._problem = ""
        self._active = False
        self.notes.textChanged.connect(self._edited)
        self.finish_button.clicked.connect(self._finish)
        self._refresh()

    @Slot()
    def _edited(self) -> None:
        self._refresh()
        self.notesEdited.emit(self.notes.toPlainText())

    def _refresh(self) -> None:
        """Counter, error line and 完成整理 from the text as it is now (too long: red, and it cannot finish)."""
        text = self.notes.toPlainText()
        self.counter_label.setText(f"{len(text.strip())}/{WRAP_UP_NOTES_MAX_CHARS}")
        too_long = notes_length_problem(text)
        self.counter_label.setProperty("over", too_long is not None)
        self.counter_label.style().unpolish(self.counter_label)
        self.counter_label.style().polish(self.counter_label)
        self.error_label.setText(translate_text(too_long) if too_long is not None else self._problem)
        self.finish_button.setEnabled(self._active and too_long is None)

    @Slot()
    def _finish(self) -> None:
        self.finishRequested.emit(self.notes.toPlainText())

    def show_state(self, state: WorkstationState) -> None:
        """Countdown text, the notes' problem and outbox news; editable only during wrap-up."""
        self._active = state.phase == "wrap_up"
        self.notes.setEnabled(self._active)
        if self._active:
            left = round(state.wrap_up_left_s())
            self.countdown.setText(
                self.tr("剩余 {seconds} 秒后自动示闲").format(seconds=left)
                if state.wrap_up_problem is None and left > 0
                else self.tr("请完成话后小结后点击“完成整理”")
            )
        else:
            self.countdown.setText("")
            if state.call is None and self.notes.toPlainText():
                self.notes.clear()
        self._problem = translate_text(state.wrap_up_problem) if state.wrap_up_problem is not None else ""
        self._refresh()
        self.outbox_label.setText(self._outbox_text(state))

    def _outbox_text(self, state: WorkstationState) -> str:
        parts = []
        if state.notes_pending:
            parts.append(self.tr("{count} 份话后小结待提交(已保存在本机,自动重试)").format(count=state.notes_pending))
        if state.notes_refused:
            parts.append(self.tr("{count} 份话后小结未被服务器接受(已保存在本机)").format(count=state.notes_refused))
        if state.notes_status is not None:
            parts.append(translate_text(state.notes_status))
        return "\n".join(parts)
