"""Business form (业务办理): the session's business fields, validated, submitted to the server.

Disabled (with the reason in red) until every identity gate passed; the server enforces the same rule.
"""

from __future__ import annotations

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from seat_client.i18n import translate_text
from seat_client.workstation.forms import BusinessForm, form_for, form_params, validate_form
from seat_client.workstation.state import WorkstationState


class BusinessFormPanel(QGroupBox):
    """One form per business type, rebuilt when the call changes."""

    submitRequested = Signal(dict)
    """``params`` for ``POST /api/sessions/{id}/business``."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("业务办理"))
        self.block_label = QLabel(self.tr("暂无通话"))
        self.block_label.setObjectName("blockLabel")
        self.block_label.setWordWrap(True)
        self.form_host = QWidget()
        self.form_layout = QFormLayout(self.form_host)
        self.error_label = QLabel("")
        self.error_label.setObjectName("errorLabel")
        self.error_label.setWordWrap(True)
        self.result_label = QLabel("")
        self.result_label.setWordWrap(True)
        self.result_label.setObjectName("resultLabel")
        self.submit_button = QPushButton(self.tr("提交办理"))
        self.submit_button.setObjectName("submitButton")
        layout = QVBoxLayout(self)
        layout.addWidget(self.block_label)
        layout.addWidget(self.form_host)
        layout.addWidget(self.error_label)
        layout.addWidget(self.submit_button)
        layout.addWidget(self.result_label)
        layout.addStretch(1)
        self.form: BusinessForm | None = None
        self.inputs: dict[str, QWidget] = {}
        self._session: str | None = None
        self.submit_button.clicked.connect(self._submit)

    def _build(self, form: BusinessForm | None) -> None:
        while self.form_layout.rowCount():
            self.form_layout.removeRow(0)
        self.inputs = {}
        self.form = form
        if form is None:
            return
        for spec in form.fields:
            widget: QWidget
            if spec.kind == "choice":
                combo = QComboBox()
                combo.addItem(self.tr("请选择"), "")
                for value, label in spec.choices:
                    combo.addItem(translate_text(label), value)
                widget = combo
            elif spec.kind == "confirm":
                widget = QCheckBox(translate_text(spec.label))
            else:
                edit = QLineEdit()
                if spec.kind == "phone":
                    edit.setPlaceholderText(self.tr("11位手机号"))
                    edit.setMaxLength(11)
                widget = edit
            widget.setObjectName(f"field_{spec.name}")
            self.inputs[spec.name] = widget
            self.form_layout.addRow(
                "" if spec.kind == "confirm" else translate_text(spec.label) + ("*" if spec.required else ""), widget
            )

    def values(self) -> dict[str, str]:
        """What the teller entered, as strings (``yes`` for a ticked confirmation)."""
        out: dict[str, str] = {}
        for name, widget in self.inputs.items():
            if isinstance(widget, QComboBox):
                out[name] = str(widget.currentData() or "")
            elif isinstance(widget, QCheckBox):
                out[name] = "yes" if widget.isChecked() else ""
            elif isinstance(widget, QLineEdit):
                out[name] = widget.text()
        return out

    @Slot()
    def _submit(self) -> None:
        if self.form is None:
            return
        errors = validate_form(self.form, self.values())
        if errors:
            self.error_label.setText("\n".join(translate_text(e) for e in errors.values()))
            return
        self.error_label.setText("")
        self.submit_button.setEnabled(False)
        self.result_label.setText(self.tr("正在提交…"))
        self.submitRequested.emit(form_params(self.form, self.values()))

    def show_state(self, state: WorkstationState) -> None:
        """Rebuild for a new call; enable only when the gates allow it."""
        session = state.call.session_id if state.call else None
        if session != self._session:
            self._session = session
            self._build(form_for(state.call.business_type) if state.call else None)
            self.error_label.setText("")
            self.result_label.setText("")
        if state.call is not None and self.form is None:
            business = translate_text(state.call.business_label)
            self.block_label.setText(self.tr("暂不支持在工作台办理「{business}」").format(business=business))
        else:
            self.block_label.setText(translate_text(state.business_block_text) if state.call else self.tr("暂无通话"))
        blocked = not state.business_allowed
        self.block_label.setProperty("blocked", blocked and state.failed_gate is not None)
        self.block_label.style().unpolish(self.block_label)
        self.block_label.style().polish(self.block_label)
        self.block_label.setVisible(bool(self.block_label.text()))
        done = state.business_result is not None and state.business_result[0]
        self.form_host.setEnabled(not blocked and not done)
        self.submit_button.setEnabled(not blocked and not done and self.form is not None)
        if state.business_result is not None:
            ok, message = state.business_result
            line = self.tr("✔ 办理成功:{message}") if ok else self.tr("✘ 办理失败:{message}")
            self.result_label.setText(line.format(message=translate_text(message)))
            self.result_label.setProperty("ok", ok)
            self.result_label.style().unpolish(self.result_label)
            self.result_label.style().polish(self.result_label)
