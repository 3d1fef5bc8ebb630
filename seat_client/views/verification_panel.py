"""Verification panel (身份核验): gate list, 联网核查 photo and attempts, face score bars, liveness, questions.

The server decides every gate; this panel shows its snapshot and asks for the next step. A failed gate is shown in
a red banner that names it.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QGroupBox, QListWidgetItem, QProgressBar, QPushButton, QWidget

from seat_client.i18n import translate_text
from seat_client.ui_generated.ui_verification_panel import Ui_VerificationPanel
from seat_client.workstation.state import FACE_PAIRS, WorkstationState
from seat_client.workstation.texts import N_

_CONTEXT = "VerificationPanel"
STATUS_MARKS = {
    "passed": N_("VerificationPanel", "✔ 通过"),
    "failed": N_("VerificationPanel", "✘ 未通过"),
    "running": N_("VerificationPanel", "… 进行中"),
    "pending": N_("VerificationPanel", "○ 待核验"),
    "not_required": N_("VerificationPanel", "— 无需"),
}
GATE_ACTIONS = ("network_check", "face", "liveness", "questions")
"""The gates the teller starts or retries from the panel (the buttons of ``ui/verification_panel.ui``)."""


def status_mark(status: str) -> str:
    """A gate status as the panel shows it, in the UI language."""
    return QCoreApplication.translate(_CONTEXT, STATUS_MARKS[status]) if status in STATUS_MARKS else status


class VerificationPanel(QGroupBox):
    """The identity gates of the call as the server reports them.

    The static layout is ``ui/verification_panel.ui`` (compiled by ``scripts/build-ui``); the gate list, the bars'
    values and the questions are filled here from the :class:`WorkstationState`.
    """

    gateActionRequested = Signal(str)
    """Gate name (``network_check``, ``face``, ``liveness``, ``questions``)."""
    questionMarked = Signal(str, object)
    """question_id, choice index or None (the customer could not answer)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ui = ui = Ui_VerificationPanel()
        ui.setupUi(self)
        self.banner = ui.gateFailedBanner
        self.gate_list = ui.gateList
        self.network_photo = ui.portraitLabel
        self.network_label = ui.networkLabel
        self.face_bars: dict[str, QProgressBar] = {
            "id_vs_live": ui.idVsLiveBar,
            "network_vs_live": ui.networkVsLiveBar,
            "id_vs_network": ui.idVsNetworkBar,
        }
        assert set(self.face_bars) == {key for key, _label in FACE_PAIRS}
        self.threshold_label = ui.thresholdLabel
        self.liveness_label = ui.livenessLabel
        self.questions_list = ui.questionsList
        self.answer_combo = ui.answerCombo
        self.answer_button = ui.answerButton
        self.action_buttons: dict[str, QPushButton] = {
            "network_check": ui.networkCheckButton,
            "face": ui.faceButton,
            "liveness": ui.livenessButton,
            "questions": ui.questionsButton,
        }
        for gate, button in self.action_buttons.items():
            button.clicked.connect(lambda _=False, g=gate: self.gateActionRequested.emit(g))
        self._questions: dict[str, list[str]] = {}
        self._marks: dict[str, bool | None] = {}
        self.questions_list.currentRowChanged.connect(lambda _row: self._refresh_answer_row())
        self.answer_button.clicked.connect(self._answer)

    def _current_question(self) -> str | None:
        item = self.questions_list.currentItem()
        return str(item.data(Qt.ItemDataRole.UserRole)) if item is not None else None

    def _refresh_answer_row(self) -> None:
        """The selected question's options (and 无法回答) while it has no answer yet."""
        qid = self._current_question()
        open_question = qid is not None and qid in self._questions and self._marks.get(qid) is None
        self.answer_combo.clear()
        if open_question and qid is not None:
            for index, choice in enumerate(self._questions[qid]):
                self.answer_combo.addItem(choice, index)
            self.answer_combo.addItem(self.tr("客户无法回答"), None)
        self.answer_combo.setEnabled(open_question)
        self.answer_button.setEnabled(open_question)

    def _answer(self) -> None:
        qid = self._current_question()
        if qid is not None:
            self.questionMarked.emit(qid, self.answer_combo.currentData())

    def set_network_photo(self, jpeg: bytes | None) -> None:
        """The registered photo returned by 联网核查 (read-only)."""
        if not jpeg:
            self.network_photo.setPixmap(QPixmap())
            self.network_photo.setText(self.tr("联网照片"))
            return
        pixmap = QPixmap()
        pixmap.loadFromData(jpeg)
        self.network_photo.setPixmap(pixmap.scaled(self.network_photo.size(), Qt.AspectRatioMode.KeepAspectRatio))

    def show_state(self, state: WorkstationState) -> None:
        """Redraw from the gate snapshot."""
        self.gate_list.clear()
        for view in state.gates:
            attempts = f" {view.attempts}/{view.max_attempts}" if view.max_attempts else ""
            item = QListWidgetItem(f"{translate_text(view.label)}  {status_mark(view.status)}{attempts}")
            if view.failed:
                item.setForeground(Qt.GlobalColor.red)
            elif view.done:
                item.setForeground(Qt.GlobalColor.darkGreen)
            self.gate_list.addItem(item)
        failed = state.failed_gate
        if failed is not None:
            detail = self.tr(":{message}").format(message=translate_text(failed.teller_message))
            self.banner.setText(
                self.tr("✘ {gate}未通过(第{attempt}/{max_attempts}次)").format(
                    gate=translate_text(failed.label), attempt=failed.attempts, max_attempts=failed.max_attempts
                )
                + (detail if failed.teller_message else "")
            )
            self.banner.show()
        else:
            self.banner.hide()
        in_call = state.phase == "in_call"
        for name, button in self.action_buttons.items():
            gate_view = state.gate(name)
            button.setEnabled(
                in_call
                and failed is None
                and gate_view is not None
                and gate_view.status in ("pending", "running", "failed")
                and state.gates_terminated is False
            )
        network = state.gate("network_check")
        if network is not None:
            last = network.results[-1] if network.results else {}
            outcome = last.get("verdict_label") or last.get("outcome") or last.get("error") or ""
            text = self.tr("联网核查:{status} 第{attempt}/{max_attempts}次").format(
                status=status_mark(network.status), attempt=network.attempts, max_attempts=network.max_attempts
            )
            result = self.tr("\n结果:{outcome}").format(outcome=translate_text(str(outcome)))
            self.network_label.setText(text + (result if outcome else ""))
        face = state.gate("face")
        self.threshold_label.setText(
            self.tr("通过阈值 {threshold:.2f}(三组均需达到)").format(threshold=state.face_threshold)
        )
        for key, bar in self.face_bars.items():
            score = face.scores.get(key) if face else None
            if score is None:
                bar.setValue(0)
                bar.setFormat(self.tr("未检测到人脸") if face and key in face.scores else "-")
                bar.setProperty("verdict", "")
            else:
                bar.setValue(round(max(0.0, min(1.0, score)) * 100))
                ok = score >= state.face_threshold
                bar.setFormat(f"{score:.2f} {'≥' if ok else '<'} {state.face_threshold:.2f}")
                bar.setProperty("verdict", "pass" if ok else "fail")
            bar.style().unpolish(bar)
            bar.style().polish(bar)
        liveness = state.gate("liveness")
        if liveness is not None:
            self.liveness_label.setText(self.tr("活体检测:{status}").format(status=status_mark(liveness.status)))
        self.questions_list.clear()
        marks = state.question_marks()
        for q in state.questions:
            qid = str(q.get("question_id") or "")
            correct = marks.get(qid)
            mark = "✔" if correct is True else "✘" if correct is False else "○"
            choices = " / ".join(str(c) for c in q.get("choices") or [])
            item = QListWidgetItem(f"{mark} {q.get('prompt') or qid}" + (f"\n    {choices}" if choices else ""))
            item.setData(Qt.ItemDataRole.UserRole, qid)
            if correct is False:
                item.setForeground(Qt.GlobalColor.red)
            elif correct is True:
                item.setForeground(Qt.GlobalColor.darkGreen)
            self.questions_list.addItem(item)
        self._questions = {str(q.get("question_id")): list(q.get("choices") or []) for q in state.questions}
        self._marks = marks
        self._refresh_answer_row()
