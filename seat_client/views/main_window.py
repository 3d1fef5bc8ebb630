"""The seat workstation's main window: customer video large, own preview inset, state and call panels."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QCloseEvent, QResizeEvent
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QMainWindow, QVBoxLayout, QWidget

from seat_client.views.call_panel import CallPanel
from seat_client.views.seat_state_panel import SeatStatePanel, state_label
from seat_client.views.video_tile import VideoTile

CONNECTION_LABELS = {
    "disconnected": "未连接",
    "connecting": "正在连接…",
    "connected": "已连接",
    "reconnecting": "连接中断,正在重连…",
    "closed": "已断开",
}


class _VideoStage(QWidget):
    """The customer's video filling the area, the teller's preview as a small inset bottom-right."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.remote = VideoTile("等待客户视频…", "客户", self)
        self.local = VideoTile("本地摄像头未开启", "本人", self, framed=True)
        self.local.setMinimumSize(120, 90)
        self.local.raise_()

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Keep the inset at a quarter of the width, 4:3, with a margin."""
        super().resizeEvent(event)
        self.remote.setGeometry(self.rect())
        width = max(160, self.width() // 4)
        height = width * 3 // 4
        self.local.setGeometry(self.width() - width - 12, self.height() - height - 12, width, height)


class MainWindow(QMainWindow):
    """Lays out the workstation and forwards the teller's clicks; the controller drives what it shows."""

    closing = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("VideoTeller 坐席工作台")
        self.resize(1100, 680)
        self.stage = _VideoStage()
        self.remote_tile = self.stage.remote
        self.local_tile = self.stage.local
        self.state_panel = SeatStatePanel()
        self.call_panel = CallPanel()
        self.seat_name_label = QLabel("")
        side = QFrame()
        side.setObjectName("sidePanel")
        side.setFixedWidth(320)
        side_layout = QVBoxLayout(side)
        side_layout.addWidget(self.seat_name_label)
        side_layout.addWidget(self.state_panel)
        side_layout.addWidget(self.call_panel)
        side_layout.addStretch(1)
        central = QWidget()
        layout = QHBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stage, 1)
        layout.addWidget(side)
        self.setCentralWidget(central)

        self.status_state = QLabel()
        self.status_waiting = QLabel()
        self.status_connection = QLabel()
        for label in (self.status_state, self.status_waiting, self.status_connection):
            self.statusBar().addPermanentWidget(label)
        self.set_seat_state("offline")
        self.set_waiting(0)
        self.set_connection_status("disconnected")

    def set_seat_name(self, seat_id: str, display_name: str) -> None:
        """Who is signed in."""
        self.seat_name_label.setText(f"坐席:{display_name}({seat_id})")

    def set_seat_state(self, state: str, reason: str | None = None) -> None:
        """Reflect the server's seat state in the panel and the status bar."""
        self.state_panel.set_state(state, reason)
        self.status_state.setText(f"状态:{state_label(state, reason)}")

    def set_waiting(self, waiting: int) -> None:
        """Customers waiting in the queue."""
        self.status_waiting.setText(f"排队人数:{waiting}")

    def set_connection_status(self, status: str) -> None:
        """The link to the server."""
        self.status_connection.setText(f"服务器:{CONNECTION_LABELS.get(status, status)}")

    def show_ringing(
        self, business_label: str, customer_name: str, waited_s: float, ring_timeout_s: float | None = None
    ) -> None:
        """Incoming call prompt."""
        self.call_panel.show_ringing(business_label, customer_name, waited_s, ring_timeout_s)
        self.activateWindow()

    def show_in_call(self, business_label: str, customer_name: str) -> None:
        """Connected call."""
        self.call_panel.show_in_call(business_label, customer_name)

    def show_idle(self, message: str = "暂无来电") -> None:
        """Back to idle; the customer's tile returns to its placeholder."""
        self.call_panel.show_idle(message)
        self.remote_tile.clear()

    def show_message(self, message: str, timeout_ms: int = 8000) -> None:
        """A transient notice or error in the status bar."""
        self.statusBar().showMessage(message, timeout_ms)

    def closeEvent(self, event: QCloseEvent) -> None:
        """Tell the controller so it can sign out cleanly."""
        self.closing.emit()
        super().closeEvent(event)
