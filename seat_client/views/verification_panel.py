"""Verification panel (身份核验): gate list, 联网核查 photo and attempts, face score bars, liveness, questions.

The server decides every gate; this panel shows its snapshot and asks for the next step. A failed gate is shown in
a red banner that names it.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from seat_client.workstation.state import FACE_PAIRS, WorkstationState

STATUS_MARKS = {
    "passed": "✔ 通过",
    "failed": "✘ 未通过",
    "running": "… 进行中",
    "pending": "○ 待核验",
    "not_required": "— 无需",
}
GATE_ACTIONS = (
    ("network_check", "联网核查"),
    ("face", "人脸比对"),
    ("liveness", "活体检测"),
    ("questions", "私密问题"),
)


class VerificationPanel(QGroupBox):
    """The identity gates of the call as the server reports them."""

    gateActionRequested = Signal(str)
    """Gate name (``network_check``, ``face``, ``liveness``, ``questions``)."""
    questionMarked = Signal(str, object)
    """question_id, choice index or None (the customer could not answer)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("身份核验"))
        self.banner = QLabel("")
        self.banner.setObjectName("gateFailedBanner")
        self.banner.setWordWrap(True)
        self.banner.hide()
        self.gate_list = QListWidget()
        self.gate_list.setObjectName("gateList")
        self.gate_list.setMaximumHeight(100)
        self.network_photo = QLabel("联网照片")
        self.network_photo.setFixedSize(72, 90)
        self.network_photo.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.network_photo.setObjectName("portraitLabel")
        self.network_label = QLabel("联网核查:未开始")
        self.network_label.setWordWrap(True)
        self.face_bars: dict[str, QProgressBar] = {}
        faces = QGridLayout()
        for row, (key, label) in enumerate(FACE_PAIRS):
            bar = QProgressBar()
            bar.setRange(0, 100)
            bar.setValue(0)
            bar.setFormat("-")
            bar.setObjectName("faceBar")
            self.face_bars[key] = bar
            faces.addWidget(QLabel(label), row, 0)
            faces.addWidget(bar, row, 1)
        self.threshold_label = QLabel("")
        faces.addWidget(self.threshold_label, len(FACE_PAIRS), 0, 1, 2)
        self.liveness_label = QLabel("活体检测:未开始")
        self.questions_list = QListWidget()
        self.questions_list.setMaximumHeight(90)
        self.answer_combo = QComboBox()
        self.answer_button = QPushButton("记录答案")
        self.answer_button.setEnabled(False)
        self.answer_combo.setEnabled(False)
        self._questions: dict[str, list[str]] = {}
        self._marks: dict[str, bool | None] = {}
        self.questions_list.currentRowChanged.connect(lambda _row: self._refresh_answer_row())
        self.answer_button.clicked.connect(self._answer)
        self.action_buttons: dict[str, QPushButton] = {}
        actions = QHBoxLayout()
        for gate, label in GATE_ACTIONS:
            button = QPushButton(label)
            button.setEnabled(False)
            button.clicked.connect(lambda _=False, g=gate: self.gateActionRequested.emit(g))
            self.action_buttons[gate] = button
            actions.addWidget(button)
        network = QHBoxLayout()
        network.addWidget(self.network_photo)
        network.addWidget(self.network_label, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.banner)
        layout.addWidget(self.gate_list)
        layout.addLayout(actions)
        layout.addLayout(network)
        layout.addLayout(faces)
        layout.addWidget(self.liveness_label)
        layout.addWidget(QLabel("私密问题"))
        layout.addWidget(self.questions_list)
        answer_row = QHBoxLayout()
        answer_row.addWidget(self.answer_combo, 1)
        answer_row.addWidget(self.answer_button)
        layout.addLayout(answer_row)

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
            self.answer_combo.addItem("客户无法回答", None)
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
            self.network_photo.setText("联网照片")
            return
        pixmap = QPixmap()
        pixmap.loadFromData(jpeg)
        self.network_photo.setPixmap(pixmap.scaled(self.network_photo.size(), Qt.AspectRatioMode.KeepAspectRatio))

    def show_state(self, state: WorkstationState) -> None:
        """Redraw from the gate snapshot."""
        self.gate_list.clear()
        for view in state.gates:
            attempts = f" {view.attempts}/{view.max_attempts}" if view.max_attempts else ""
            item = QListWidgetItem(f"{view.label}  {STATUS_MARKS.get(view.status, view.status)}{attempts}")
            if view.failed:
                item.setForeground(Qt.GlobalColor.red)
            elif view.done:
                item.setForeground(Qt.GlobalColor.darkGreen)
            self.gate_list.addItem(item)
        failed = state.failed_gate
        if failed is not None:
            detail = f":{failed.teller_message}" if failed.teller_message else ""
            self.banner.setText(f"✘ {failed.label}未通过(第{failed.attempts}/{failed.max_attempts}次){detail}")
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
            mark = STATUS_MARKS.get(network.status, network.status)
            text = f"联网核查:{mark} 第{network.attempts}/{network.max_attempts}次"
            self.network_label.setText(text + (f"\n结果:{outcome}" if outcome else ""))
        face = state.gate("face")
        self.threshold_label.setText(f"通过阈值 {state.face_threshold:.2f}(三组均需达到)")
        for key, bar in self.face_bars.items():
            score = face.scores.get(key) if face else None
            if score is None:
                bar.setValue(0)
                bar.setFormat("未检测到人脸" if face and key in face.scores else "-")
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
            self.liveness_label.setText(f"活体检测:{STATUS_MARKS.get(liveness.status, liveness.status)}")
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
