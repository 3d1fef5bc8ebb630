"""Customer and ID panel (客户信息): OCR fields, ID portrait, star level, business, masked accounts, wait time."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QFormLayout, QGroupBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from seat_client.i18n import translate_text
from seat_client.views.call_panel import format_duration
from seat_client.workstation.state import WorkstationState


class CustomerPanel(QGroupBox):
    """Who the customer is, as the precheck established it (all identifiers masked by the server)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("客户信息"))
        self.portrait = QLabel(self.tr("证件照"))
        self.portrait.setObjectName("portraitLabel")
        self.portrait.setFixedSize(96, 120)
        self.portrait.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.name_label = QLabel("-")
        self.name_label.setObjectName("customerName")
        self.business_label = QLabel("-")
        self.star_label = QLabel("-")
        self.wait_label = QLabel("-")
        self.accounts_label = QLabel("-")
        self.accounts_label.setWordWrap(True)
        self.form = QFormLayout()
        self.form.addRow(self.tr("姓名"), self.name_label)
        self.form.addRow(self.tr("业务"), self.business_label)
        self.form.addRow(self.tr("星级"), self.star_label)
        self.form.addRow(self.tr("等待"), self.wait_label)
        self.form.addRow(self.tr("账户"), self.accounts_label)
        self.ocr_form = QFormLayout()
        top = QHBoxLayout()
        top.addWidget(self.portrait, 0, Qt.AlignmentFlag.AlignTop)
        top.addLayout(self.form, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(self.ocr_form)
        layout.addStretch(1)

    def show_state(self, state: WorkstationState) -> None:
        """Show the current call's customer (or blanks when there is none)."""
        call = state.call
        while self.ocr_form.rowCount():
            self.ocr_form.removeRow(0)
        if call is None:
            for label in (self.name_label, self.business_label, self.star_label, self.wait_label, self.accounts_label):
                label.setText("-")
            self.portrait.setPixmap(QPixmap())
            self.portrait.setText(self.tr("证件照"))
            return
        self.name_label.setText(call.customer_name or self.tr("(未识别)"))
        self.business_label.setText(translate_text(call.business_label))
        self.star_label.setText("★" * call.star_level if call.star_level else self.tr("普通客户"))
        if call.queued_at is not None:
            self.wait_label.setText(format_duration((state.clock() - call.queued_at).total_seconds()))
        self.accounts_label.setText("\n".join(call.accounts) or "-")
        for caption, value in call.ocr_fields:
            field = QLabel(value)
            field.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.ocr_form.addRow(translate_text(caption), field)
        if call.id_portrait_jpeg:
            pixmap = QPixmap()
            pixmap.loadFromData(call.id_portrait_jpeg)
            self.portrait.setPixmap(pixmap.scaled(self.portrait.size(), Qt.AspectRatioMode.KeepAspectRatio))
