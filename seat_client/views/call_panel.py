"""Call panel: idle, incoming-call prompt (接听/拒接) and in-call view (timer, 转接, 挂断)."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QElapsedTimer, Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QLabel, QPushButton, QStackedWidget, QVBoxLayout, QWidget

from seat_client.i18n import translate_text
from seat_client.views.transfer_dialog import TransferDialog


def format_duration(seconds: float) -> str:
    """``mm:ss`` (or ``h:mm:ss``) for the call timer."""
    total = max(0, int(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


class CallPanel(QGroupBox):
    """The call area of the side panel; three pages in a stack.

    Pages: ``idle`` (暂无来电 / the last call's end message), ``ringing`` (business, customer, wait time,
    接听 / 拒接), ``in_call`` (business, customer, 通话时长 timer, 转接, 挂断).

    转接 opens :class:`TransferDialog`; its choice comes out as ``transferRequested(kind, target_id)`` (the
    controller sends it). The button is enabled only on the ``in_call`` page.
    """

    answerRequested = Signal()
    declineRequested = Signal()
    hangupRequested = Signal()
    transferRequested = Signal(str, str)
    """kind (``queue`` or ``seat``), queue id or 工号."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("来电与通话"))
        self.stack = QStackedWidget()
        layout = QVBoxLayout(self)
        layout.addWidget(self.stack)

        idle = QWidget()
        self.idle_label = QLabel(self.tr("暂无来电"))
        self.idle_label.setWordWrap(True)
        self.idle_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        QVBoxLayout(idle).addWidget(self.idle_label)

        ringing = QWidget()
        self.ring_business = QLabel()
        self.ring_business.setObjectName("businessLabel")
        self.ring_customer = QLabel()
        self.ring_wait = QLabel()
        self.answer_button = QPushButton(self.tr("接听"))
        self.answer_button.setObjectName("answerButton")
        self.decline_button = QPushButton(self.tr("拒接"))
        self.decline_button.setObjectName("declineButton")
        buttons = QHBoxLayout()
        buttons.addWidget(self.answer_button)
        buttons.addWidget(self.decline_button)
        ring_layout = QVBoxLayout(ringing)
        self.ring_title = QLabel(self.tr("客户来电"))
        ring_layout.addWidget(self.ring_title)
        ring_layout.addWidget(self.ring_business)
        ring_layout.addWidget(self.ring_customer)
        ring_layout.addWidget(self.ring_wait)
        ring_layout.addLayout(buttons)

        in_call = QWidget()
        self.call_business = QLabel()
        self.call_business.setObjectName("businessLabel")
        self.call_customer = QLabel()
        self.timer_label = QLabel(self.tr("通话时长 {duration}").format(duration="00:00"))
        self.timer_label.setObjectName("timerLabel")
        self.stats_label = QLabel("")
        self.stats_label.setWordWrap(True)
        self.hangup_button = QPushButton(self.tr("挂断"))
        self.hangup_button.setObjectName("hangupButton")
        self.transfer_button = QPushButton(self.tr("转接"))
        self.transfer_button.setObjectName("transferButton")
        self.transfer_button.setToolTip(self.tr("将客户转至其他业务队列或指定坐席"))
        call_buttons = QHBoxLayout()
        call_buttons.addWidget(self.transfer_button)
        call_buttons.addWidget(self.hangup_button)
        call_layout = QVBoxLayout(in_call)
        call_layout.addWidget(self.call_business)
        call_layout.addWidget(self.call_customer)
        call_layout.addWidget(self.timer_label)
        call_layout.addWidget(self.stats_label)
        call_layout.addLayout(call_buttons)
        self._transfer_queues: list[tuple[str, str]] = []
        self.transfer_dialog: TransferDialog | None = None
        """The 转接 dialog while (or since) it was opened; created at the first click."""

        self.pages = {"idle": idle, "ringing": ringing, "in_call": in_call}
        for page in self.pages.values():
            self.stack.addWidget(page)

        self._elapsed = QElapsedTimer()
        self._ring: tuple[float, float | None] = (0.0, None)
        self._ticker = QTimer(self)
        self._ticker.setInterval(1000)
        self._ticker.timeout.connect(self._tick)
        self.answer_button.clicked.connect(self._answer)
        self.decline_button.clicked.connect(self._decline)
        self.hangup_button.clicked.connect(self._hangup)
        self.transfer_button.clicked.connect(self.open_transfer_dialog)
        self.show_idle()

    @property
    def page(self) -> str:
        """The page now shown: ``idle``, ``ringing`` or ``in_call``."""
        current = self.stack.currentWidget()
        return next(name for name, widget in self.pages.items() if widget is current)

    def show_idle(self, message: str | None = None) -> None:
        """No call; ``message`` may explain how the last one ended (translated when it is a known message)."""
        self._ticker.stop()
        self._close_transfer_dialog()
        self.idle_label.setText(translate_text(message) if message else self.tr("暂无来电"))
        self.stack.setCurrentWidget(self.pages["idle"])

    def show_ringing(
        self, business_label: str, customer_name: str, waited_s: float, ring_timeout_s: float | None = None
    ) -> None:
        """An offered call: show what the customer wants, how long they waited, and enable 接听 / 拒接.

        The wait time and the answer countdown (``ring_timeout_s``) tick every second.
        """
        self.ring_business.setText(self.tr("业务:{business}").format(business=translate_text(business_label)))
        self.ring_customer.setText(self.tr("客户:{customer}").format(customer=customer_name or self.tr("(未留姓名)")))
        self._ring = (waited_s, ring_timeout_s)
        self.answer_button.setEnabled(True)
        self.decline_button.setEnabled(True)
        self._close_transfer_dialog()
        self.stack.setCurrentWidget(self.pages["ringing"])
        self._elapsed.start()
        self._update_ring(0.0)
        self._ticker.start()

    def _update_ring(self, since_s: float) -> None:
        waited_s, timeout_s = self._ring
        text = self.tr("已等待 {duration}").format(duration=format_duration(waited_s + since_s))
        if timeout_s is not None:
            text += self.tr(" · 请在 {seconds} 秒内接听").format(seconds=max(0, round(timeout_s - since_s)))
        self.ring_wait.setText(text)

    def show_in_call(self, business_label: str, customer_name: str) -> None:
        """Connected: start the call timer and enable 挂断."""
        self.call_business.setText(self.tr("业务:{business}").format(business=translate_text(business_label)))
        self.call_customer.setText(self.tr("客户:{customer}").format(customer=customer_name or self.tr("(未留姓名)")))
        self.stats_label.setText("")
        self.hangup_button.setEnabled(True)
        self.transfer_button.setEnabled(True)
        self._elapsed.start()
        self.timer_label.setText(self.tr("通话时长 {duration}").format(duration="00:00"))
        self._ticker.start()
        self.stack.setCurrentWidget(self.pages["in_call"])

    def set_transfer_queues(self, queues: Sequence[tuple[str, str]]) -> None:
        """The business queues the 转接 dialog lists (``(queue_id, name)``); none: the queue id is typed."""
        self._transfer_queues = list(queues)
        if self.transfer_dialog is not None:
            self.transfer_dialog.set_queues(self._transfer_queues)

    @Slot()
    def open_transfer_dialog(self) -> None:
        """转接: show the dialog (window-modal, non-blocking) for the current call; nothing happens outside a call."""
        if self.page != "in_call" or not self.transfer_button.isEnabled():
            return
        if self.transfer_dialog is None:
            self.transfer_dialog = TransferDialog(self._transfer_queues, self)
            self.transfer_dialog.transferRequested.connect(self._transfer)
        else:
            self.transfer_dialog.reset()
        self.transfer_dialog.open()

    def _close_transfer_dialog(self) -> None:
        """The call this dialog was for is gone (ended, transferred): a late 确定 must not send anything."""
        self.transfer_button.setEnabled(False)
        if self.transfer_dialog is not None and self.transfer_dialog.isVisible():
            self.transfer_dialog.reject()

    @Slot(str, str)
    def _transfer(self, kind: str, target_id: str) -> None:
        if self.page == "in_call":
            self.transferRequested.emit(kind, target_id)

    def show_stats(self, text: str) -> None:
        """Link quality line under the timer."""
        self.stats_label.setText(text)

    @Slot()
    def _tick(self) -> None:
        since_s = self._elapsed.elapsed() / 1000
        if self.page == "ringing":
            self._update_ring(since_s)
        else:
            self.timer_label.setText(self.tr("通话时长 {duration}").format(duration=format_duration(since_s)))

    @Slot()
    def _answer(self) -> None:
        self.answer_button.setEnabled(False)
        self.decline_button.setEnabled(False)
        self.answerRequested.emit()

    @Slot()
    def _decline(self) -> None:
        self.answer_button.setEnabled(False)
        self.decline_button.setEnabled(False)
        self.declineRequested.emit()

    @Slot()
    def _hangup(self) -> None:
        self.hangup_button.setEnabled(False)
        self.transfer_button.setEnabled(False)
        self.hangupRequested.emit()
