"""转接 dialog: the teller picks a business queue or types a named seat's 工号; 确定 / 取消.

A view only: it never sends anything. ``transferRequested(kind, target_id)`` (``kind`` is ``"queue"`` or
``"seat"``) is emitted on 确定 and the controller sends the ``transfer`` message.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

QUEUE = "queue"
SEAT = "seat"
MAX_ID_LENGTH = 64
"""As the wire model's ``queue_id`` / ``seat_id``."""


class TransferDialog(QDialog):
    """Choose where the current customer goes.

    ``queues`` are ``(queue_id, name)`` pairs the client knows; with none, the queue id is typed instead.
    """

    transferRequested = Signal(str, str)
    """kind (``queue`` or ``seat``), queue id or 工号."""

    def __init__(self, queues: Sequence[tuple[str, str]] = (), parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("转接"))
        self.setObjectName("transferDialog")
        self.to_queue = QRadioButton(self.tr("转至业务队列"))
        self.to_seat = QRadioButton(self.tr("转至指定坐席"))
        self.queue_combo = QComboBox()
        self.queue_edit = QLineEdit()
        self.queue_edit.setMaxLength(MAX_ID_LENGTH)
        self.queue_edit.setPlaceholderText(self.tr("队列编号,如 retail"))
        self.seat_edit = QLineEdit()
        self.seat_edit.setMaxLength(MAX_ID_LENGTH)
        self.seat_edit.setPlaceholderText(self.tr("坐席工号"))
        self.hint = QLabel(self.tr("转接后本通话结束,客户将由目标坐席继续服务"))
        self.hint.setWordWrap(True)

        form = QFormLayout()
        form.addRow(self.to_queue)
        form.addRow(self.tr("队列"), self.queue_combo)
        form.addRow(self.tr("队列编号"), self.queue_edit)
        form.addRow(self.to_seat)
        form.addRow(self.tr("工号"), self.seat_edit)
        self.form = form

        self.buttons = QDialogButtonBox()
        self.ok_button: QPushButton = self.buttons.addButton(self.tr("确定"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok_button.setObjectName("transferOkButton")
        self.cancel_button: QPushButton = self.buttons.addButton(
            self.tr("取消"), QDialogButtonBox.ButtonRole.RejectRole
        )
        self.buttons.accepted.connect(self._confirm)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.hint)
        layout.addWidget(self.buttons)

        self.to_queue.toggled.connect(self._update)
        self.to_seat.toggled.connect(self._update)
        self.queue_edit.textChanged.connect(self._update)
        self.seat_edit.textChanged.connect(self._update)
        self.queue_combo.currentIndexChanged.connect(self._update)
        self.set_queues(queues)

    def set_queues(self, queues: Sequence[tuple[str, str]]) -> None:
        """The queues to offer; an empty list shows a text field for the queue id instead of the list."""
        self.queue_combo.clear()
        for queue_id, name in queues:
            self.queue_combo.addItem(f"{name} ({queue_id})" if name and name != queue_id else queue_id, queue_id)
        has_list = bool(queues)
        self.form.setRowVisible(self.queue_combo, has_list)
        self.form.setRowVisible(self.queue_edit, not has_list)
        self.reset()

    def reset(self) -> None:
        """Fresh state for a new transfer: 转至指定坐席 selected, fields empty."""
        self.seat_edit.clear()
        self.queue_edit.clear()
        self.to_seat.setChecked(True)
        self._update()

    @property
    def has_queue_list(self) -> bool:
        """True when queues are chosen from a list (the client knows some)."""
        return self.queue_combo.count() > 0

    def target(self) -> tuple[str, str] | None:
        """(kind, id) as now filled in, or None when nothing usable is entered."""
        if self.to_seat.isChecked():
            seat_id = self.seat_edit.text().strip()
            return (SEAT, seat_id) if seat_id else None
        if self.has_queue_list:
            queue_id = self.queue_combo.currentData()
            return (QUEUE, str(queue_id)) if queue_id else None
        queue_id = self.queue_edit.text().strip()
        return (QUEUE, queue_id) if queue_id else None

    @Slot()
    def _update(self) -> None:
        queue = self.to_queue.isChecked()
        self.queue_combo.setEnabled(queue)
        self.queue_edit.setEnabled(queue)
        self.seat_edit.setEnabled(not queue)
        self.ok_button.setEnabled(self.target() is not None)

    @Slot()
    def _confirm(self) -> None:
        target = self.target()
        if target is None:
            return
        self.accept()
        self.transferRequested.emit(*target)
