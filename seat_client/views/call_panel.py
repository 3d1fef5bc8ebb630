"""Call panel: idle, incoming-call prompt (接听/拒接) and in-call view (timer, 挂断)."""

from __future__ import annotations

from PySide6.QtCore import QElapsedTimer, Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QLabel, QPushButton, QStackedWidget, QVBoxLayout, QWidget


def format_duration(seconds: float) -> str:
    """``mm:ss`` (or ``h:mm:ss``) for the call timer."""
    total = max(0, int(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


class CallPanel(QGroupBox):
    """The call area of the side panel; three pages in a stack.

    Pages: ``idle`` (暂无来电 / the last call's end message), ``ringing`` (business, customer, wait time,
    接听 / 拒接), ``in_call`` (business, customer, 通话时长 timer, 挂断).
    """

    answerRequested = Signal()
    declineRequested = Signal()
    hangupRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("来电与通话", parent)
        self.stack = QStackedWidget()
        layout = QVBoxLayout(self)
        layout.addWidget(self.stack)

        idle = QWidget()
        self.idle_label = QLabel("暂无来电")
        self.idle_label.setWordWrap(True)
        self.idle_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        QVBoxLayout(idle).addWidget(self.idle_label)

        ringing = QWidget()
        self.ring_business = QLabel()
        self.ring_business.setObjectName("businessLabel")
        self.ring_customer = QLabel()
        self.ring_wait = QLabel()
        self.answer_button = QPushButton("接听")
        self.answer_button.setObjectName("answerButton")
        self.decline_button = QPushButton("拒接")
        self.decline_button.setObjectName("declineButton")
        buttons = QHBoxLayout()
        buttons.addWidget(self.answer_button)
        buttons.addWidget(self.decline_button)
        ring_layout = QVBoxLayout(ringing)
        ring_layout.addWidget(QLabel("客户来电"))
        ring_layout.addWidget(self.ring_business)
        ring_layout.addWidget(self.ring_customer)
        ring_layout.addWidget(self.ring_wait)
        ring_layout.addLayout(buttons)

        in_call = QWidget()
        self.call_business = QLabel()
        self.call_business.setObjectName("businessLabel")
        self.call_customer = QLabel()
        self.timer_label = QLabel("通话时长 00:00")
        self.timer_label.setObjectName("timerLabel")
        self.stats_label = QLabel("")
        self.stats_label.setWordWrap(True)
        self.hangup_button = QPushButton("挂断")
        self.hangup_button.setObjectName("hangupButton")
        call_layout = QVBoxLayout(in_call)
        call_layout.addWidget(self.call_business)
        call_layout.addWidget(self.call_customer)
        call_layout.addWidget(self.timer_label)
        call_layout.addWidget(self.stats_label)
        call_layout.addWidget(self.hangup_button)

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
        self.show_idle()

    @property
    def page(self) -> str:
        """The page now shown: ``idle``, ``ringing`` or ``in_call``."""
        current = self.stack.currentWidget()
        return next(name for name, widget in self.pages.items() if widget is current)

    def show_idle(self, message: str = "暂无来电") -> None:
        """No call; ``message`` may explain how the last one ended."""
        self._ticker.stop()
        self.idle_label.setText(message)
        self.stack.setCurrentWidget(self.pages["idle"])

    def show_ringing(
        self, business_label: str, customer_name: str, waited_s: float, ring_timeout_s: float | None = None
    ) -> None:
        """An offered call: show what the customer wants, how long they waited, and enable 接听 / 拒接.

        The wait time and the answer countdown (``ring_timeout_s``) tick every second.
        """
        self.ring_business.setText(f"业务:{business_label}")
        self.ring_customer.setText(f"客户:{customer_name or '(未留姓名)'}")
        self._ring = (waited_s, ring_timeout_s)
        self.answer_button.setEnabled(True)
        self.decline_button.setEnabled(True)
        self.stack.setCurrentWidget(self.pages["ringing"])
        self._elapsed.start()
        self._update_ring(0.0)
        self._ticker.start()

    def _update_ring(self, since_s: float) -> None:
        waited_s, timeout_s = self._ring
        text = f"已等待 {format_duration(waited_s + since_s)}"
        if timeout_s is not None:
            text += f" · 请在 {max(0, round(timeout_s - since_s))} 秒内接听"
        self.ring_wait.setText(text)

    def show_in_call(self, business_label: str, customer_name: str) -> None:
        """Connected: start the call timer and enable 挂断."""
        self.call_business.setText(f"业务:{business_label}")
        self.call_customer.setText(f"客户:{customer_name or '(未留姓名)'}")
        self.stats_label.setText("")
        self.hangup_button.setEnabled(True)
        self._elapsed.start()
        self.timer_label.setText("通话时长 00:00")
        self._ticker.start()
        self.stack.setCurrentWidget(self.pages["in_call"])

    def show_stats(self, text: str) -> None:
        """Link quality line under the timer."""
        self.stats_label.setText(text)

    @Slot()
    def _tick(self) -> None:
        since_s = self._elapsed.elapsed() / 1000
        if self.page == "ringing":
            self._update_ring(since_s)
        else:
            self.timer_label.setText(f"通话时长 {format_duration(since_s)}")

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
        self.hangupRequested.emit()
