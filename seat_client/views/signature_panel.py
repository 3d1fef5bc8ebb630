"""Signature review (签名审核): see and replay the customer's signature, accept it or send it back with a reason."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Signal, Slot
from PySide6.QtWidgets import QComboBox, QGroupBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from seat_client.i18n import translate_text
from seat_client.views.signature_canvas import SignatureCanvas
from seat_client.workstation.state import WorkstationState
from seat_client.workstation.texts import N_

REJECT_REASONS = (
    N_("SignaturePanel", "签名不完整,请签署全名"),
    N_("SignaturePanel", "签名潦草无法辨认,请工整签写"),
    N_("SignaturePanel", "签名与证件姓名不符"),
    N_("SignaturePanel", "请使用本人签名"),
)
"""Reasons the customer's page shows (in Chinese: the combo's data); the teller sees them in the UI language."""
STATE_TEXT = {
    "none": N_("SignaturePanel", "尚未请客户签名"),
    "requested": N_("SignaturePanel", "已请客户签名,等待客户提交…"),
    "submitted": N_("SignaturePanel", "客户已提交签名,请审核"),
    "accepted": N_("SignaturePanel", "✔ 签名已确认并存证"),
    "rejected": N_("SignaturePanel", "已退回,等待客户重签…"),
}


def _state_text(state: str) -> str:
    return QCoreApplication.translate("SignaturePanel", STATE_TEXT[state]) if state in STATE_TEXT else state


class SignaturePanel(QGroupBox):
    """Buttons: 请客户签名, 回放, 确认签名, 退回重签 (with a reason)."""

    requestRequested = Signal()
    acceptRequested = Signal()
    rejectRequested = Signal(str)
    """Reason shown to the customer."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("签名审核"))
        self.canvas = SignatureCanvas()
        self.status_label = QLabel(_state_text("none"))
        self.status_label.setWordWrap(True)
        self.warning_label = QLabel("")
        self.warning_label.setObjectName("errorLabel")
        self.warning_label.setWordWrap(True)
        self.request_button = QPushButton(self.tr("请客户签名"))
        self.replay_button = QPushButton(self.tr("回放笔迹"))
        self.accept_button = QPushButton(self.tr("确认签名"))
        self.accept_button.setObjectName("acceptButton")
        self.reject_button = QPushButton(self.tr("退回重签"))
        self.reason_combo = QComboBox()
        self.reason_combo.setEditable(True)
        for reason in REJECT_REASONS:
            self.reason_combo.addItem(QCoreApplication.translate("SignaturePanel", reason), reason)
        row1 = QHBoxLayout()
        row1.addWidget(self.request_button)
        row1.addWidget(self.replay_button)
        row2 = QHBoxLayout()
        row2.addWidget(self.accept_button)
        row2.addWidget(self.reject_button)
        row2.addWidget(self.reason_combo, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.status_label)
        layout.addWidget(self.canvas, 1)
        layout.addWidget(self.warning_label)
        layout.addLayout(row1)
        layout.addLayout(row2)
        self.request_button.clicked.connect(self.requestRequested)
        self.replay_button.clicked.connect(self.canvas.replay)
        self.accept_button.clicked.connect(self.acceptRequested)
        self.reject_button.clicked.connect(self._reject)
        self._state = "none"

    def reason(self) -> str:
        """The reason to send: a listed one in Chinese (the customer's page is Chinese), else what was typed."""
        typed = self.reason_combo.currentText().strip()
        index = self.reason_combo.findText(typed)
        data = self.reason_combo.itemData(index) if index >= 0 else None
        return str(data) if data else typed

    @Slot()
    def _reject(self) -> None:
        reason = self.reason()
        if not reason:
            self.warning_label.setText(self.tr("退回签名时请填写原因"))
            return
        self.rejectRequested.emit(reason)

    def set_requested(self) -> None:
        """The server confirmed the request to sign."""
        self._state = "requested"
        self.status_label.setText(_state_text("requested"))
        self.request_button.setEnabled(False)

    def show_state(self, state: WorkstationState) -> None:
        """Show the signature under review and what may be done with it."""
        sig = state.signature
        shown = sig.state if not (sig.state == "none" and self._state == "requested") else "requested"
        if state.call is None:
            self._state = "none"
            shown = "none"
        attempt = self.tr("(第{attempt}次)").format(attempt=sig.attempt) if sig.attempt else ""
        self.status_label.setText(_state_text(shown) + attempt)
        if sig.state == "rejected" and sig.reason:
            reason = QCoreApplication.translate("SignaturePanel", sig.reason)
            self.status_label.setText(
                self.tr("{state} 原因:{reason}").format(state=_state_text("rejected"), reason=reason)
            )
        if self.canvas.submission is not sig.submission:
            self.canvas.set_submission(sig.submission)
        warnings = sig.assessment.warnings if sig.assessment and sig.state == "submitted" else ()
        self.warning_label.setText("⚠ " + self.tr(";").join(translate_text(w) for w in warnings) if warnings else "")
        in_call = state.phase == "in_call"
        reviewing = in_call and sig.state == "submitted"
        self.request_button.setEnabled(in_call and shown in ("none",))
        self.replay_button.setEnabled(sig.submission is not None)
        self.accept_button.setEnabled(reviewing and not (sig.assessment and sig.assessment.empty))
        self.reject_button.setEnabled(reviewing)
        self.reason_combo.setEnabled(reviewing)
