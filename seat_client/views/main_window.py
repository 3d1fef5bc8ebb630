"""The seat workstation's main window: customer video large with the preview inset, call controls, snapshot strip;
the work panels (客户信息, 身份核验, 签名审核, 业务办理, 话后整理) in tabs that follow the call's current step; seat
state, call, 话术 and timeline on the right; seat state, waiting and connection in the status bar."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QByteArray, QCoreApplication, QSettings, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QColor, QKeySequence, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractButton,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from seat_client.i18n import translate_text
from seat_client.views.business_form_panel import BusinessFormPanel
from seat_client.views.call_panel import CallPanel
from seat_client.views.customer_panel import CustomerPanel
from seat_client.views.script_panel import ScriptPanel
from seat_client.views.seat_state_panel import SeatStatePanel, state_label
from seat_client.views.signature_panel import SignaturePanel
from seat_client.views.snapshot_strip import SnapshotStrip
from seat_client.views.timeline_panel import TimelinePanel
from seat_client.views.verification_panel import VerificationPanel
from seat_client.views.video_tile import VideoTile
from seat_client.views.wrap_up_panel import WrapUpPanel
from seat_client.workstation.texts import N_

CONNECTION_LABELS = {
    "disconnected": N_("MainWindow", "未连接"),
    "connecting": N_("MainWindow", "正在连接…"),
    "connected": N_("MainWindow", "已连接"),
    "reconnecting": N_("MainWindow", "连接中断,正在重连…"),
    "closed": N_("MainWindow", "已断开"),
}


def _click(button: QAbstractButton) -> None:
    """A shortcut does what the button does, only when the button is usable."""
    if button.isEnabled() and button.isVisible():
        button.click()


class _VideoStage(QWidget):
    """The customer's video filling the area, the teller's preview as a small inset bottom-right."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.remote = VideoTile(self.tr("等待客户视频…"), self.tr("客户"), self)
        self.local = VideoTile(self.tr("本地摄像头未开启"), self.tr("本人"), self, framed=True)
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
    """Lays out the workstation and forwards the teller's clicks; the controller and service drive what it shows."""

    closing = Signal()

    TABS = ("customer", "verification", "signature", "business", "wrap_up")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("VideoTeller 坐席工作台"))
        self.setObjectName("mainWindow")
        self.resize(1366, 768)
        self.stage = _VideoStage()
        self.remote_tile = self.stage.remote
        self.local_tile = self.stage.local
        self.state_panel = SeatStatePanel()
        self.call_panel = CallPanel()
        self.seat_name_label = QLabel("")
        self.customer_panel = CustomerPanel()
        self.verification_panel = VerificationPanel()
        self.signature_panel = SignaturePanel()
        self.business_panel = BusinessFormPanel()
        self.wrap_up_panel = WrapUpPanel()
        self.script_panel = ScriptPanel()
        self.timeline_panel = TimelinePanel()
        self.snapshot_strip = SnapshotStrip()

        self.recording_label = QLabel("")
        self.recording_label.setObjectName("recordingLabel")
        self.quality_label = QLabel(self.tr("网络:-"))
        self.quality_label.setObjectName("qualityLabel")
        info_bar = QHBoxLayout()
        info_bar.addWidget(self.recording_label)
        info_bar.addWidget(self.quality_label, 1)
        video = QWidget()
        video_layout = QVBoxLayout(video)
        video_layout.setContentsMargins(6, 6, 6, 6)
        video_layout.addWidget(self.stage, 1)
        video_layout.addLayout(info_bar)
        video_layout.addWidget(self.snapshot_strip)

        self.work_tabs = QTabWidget()
        self.work_tabs.setObjectName("workTabs")
        for panel, title in (
            (self.customer_panel, self.tr("客户信息")),
            (self.verification_panel, self.tr("身份核验")),
            (self.signature_panel, self.tr("签名审核")),
            (self.business_panel, self.tr("业务办理")),
            (self.wrap_up_panel, self.tr("话后整理")),
        ):
            scroll = QScrollArea()
            scroll.setWidgetResizable(True)
            scroll.setFrameShape(QFrame.Shape.NoFrame)
            scroll.setWidget(panel)
            self.work_tabs.addTab(scroll, title)

        side = QFrame()
        side.setObjectName("sidePanel")
        side.setMinimumWidth(280)
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(6, 6, 6, 6)
        side_layout.addWidget(self.seat_name_label)
        side_layout.addWidget(self.state_panel)
        side_layout.addWidget(self.call_panel)
        side_layout.addWidget(self.timeline_panel, 1)
        # the current step's panel (tabs) above the 话术 the teller reads from, both in the middle column
        self.side_splitter = QSplitter(Qt.Orientation.Vertical)
        self.side_splitter.setObjectName("workSplitter")
        self.side_splitter.addWidget(self.work_tabs)
        self.side_splitter.addWidget(self.script_panel)
        self.side_splitter.setStretchFactor(0, 3)
        self.side_splitter.setStretchFactor(1, 2)
        self.side_splitter.setSizes([420, 280])

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("mainSplitter")
        self.splitter.addWidget(video)
        self.splitter.addWidget(self.side_splitter)
        self.splitter.addWidget(side)
        self.splitter.setStretchFactor(0, 5)
        self.splitter.setStretchFactor(1, 4)
        self.splitter.setStretchFactor(2, 3)
        self.splitter.setSizes([580, 470, 316])
        self.setCentralWidget(self.splitter)

        self.status_state = QLabel()
        self.status_waiting = QLabel()
        self.status_connection = QLabel()
        for label in (self.status_state, self.status_waiting, self.status_connection):
            self.statusBar().addPermanentWidget(label)
        self.set_seat_state("offline")
        self.set_waiting(0)
        self.set_connection_status("disconnected")
        self.set_recording(False)
        self._build_actions()

    def _build_actions(self) -> None:
        """Keyboard shortcuts (work anywhere in the window) and the menu."""

        def action(text: str, shortcut: str, slot: Callable[[], None]) -> QAction:
            act = QAction(text, self)
            act.setShortcut(QKeySequence(shortcut))
            act.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            act.triggered.connect(slot)
            self.addAction(act)
            return act

        self.answer_action = action(self.tr("接听"), "F5", lambda: _click(self.call_panel.answer_button))
        self.hangup_action = action(self.tr("挂断"), "F6", lambda: _click(self.call_panel.hangup_button))
        self.snapshot_action = action(self.tr("抓拍"), "F8", lambda: _click(self.snapshot_strip.capture_button))
        self.next_step_action = action(self.tr("下一步话术"), "F9", lambda: _click(self.script_panel.next_button))
        self.settings_action = QAction(self.tr("设置…"), self)
        self.diagnostics_action = QAction(self.tr("复制诊断信息"), self)
        self.recordings_action = QAction(self.tr("录像查询…"), self)
        menu = self.menuBar().addMenu(self.tr("工作台"))
        for act in (self.answer_action, self.hangup_action, self.snapshot_action, self.next_step_action):
            menu.addAction(act)
        menu.addSeparator()
        menu.addAction(self.recordings_action)
        menu.addAction(self.settings_action)
        menu.addAction(self.diagnostics_action)

    def focus_panel(self, name: str) -> None:
        """Bring the current step's panel to the front (``customer``, ``verification``, ``signature``...)."""
        if name in self.TABS:
            index = self.TABS.index(name)
            self.work_tabs.setCurrentIndex(index)
            for i in range(self.work_tabs.count()):
                self.work_tabs.tabBar().setTabTextColor(i, QColor("#1f5fa8") if i == index else QColor("#333"))

    def set_recording(self, on: bool) -> None:
        """The 双录 indicator (driven by the recorder through the controller)."""
        self.recording_label.setText(self.tr("● 双录中") if on else self.tr("○ 未录制"))
        self.recording_label.setProperty("recording", on)
        self.recording_label.style().unpolish(self.recording_label)
        self.recording_label.style().polish(self.recording_label)

    def set_quality(self, text: str) -> None:
        """Link quality (RTT, loss, bitrate, frame rate)."""
        self.quality_label.setText(text)

    def save_layout(self, store: QSettings) -> None:
        """Remember window geometry and splitter positions."""
        store.setValue("window/geometry", self.saveGeometry())
        store.setValue("window/main_splitter", self.splitter.saveState())
        store.setValue("window/side_splitter", self.side_splitter.saveState())

    def restore_layout(self, store: QSettings) -> None:
        """Restore what :meth:`save_layout` remembered (nothing if there is nothing)."""
        for key, restore in (
            ("window/geometry", self.restoreGeometry),
            ("window/main_splitter", self.splitter.restoreState),
            ("window/side_splitter", self.side_splitter.restoreState),
        ):
            value = store.value(key)
            if isinstance(value, QByteArray | bytes):
                restore(QByteArray(value))

    def set_seat_name(self, seat_id: str, display_name: str) -> None:
        """Who is signed in."""
        self.seat_name_label.setText(self.tr("坐席:{name}({seat_id})").format(name=display_name, seat_id=seat_id))

    def set_seat_state(self, state: str, reason: str | None = None) -> None:
        """Reflect the server's seat state in the panel and the status bar."""
        self.state_panel.set_state(state, reason)
        self.status_state.setText(self.tr("状态:{state}").format(state=state_label(state, reason)))

    def set_waiting(self, waiting: int) -> None:
        """Customers waiting in the queue."""
        self.status_waiting.setText(self.tr("排队人数:{count}").format(count=waiting))

    def set_connection_status(self, status: str) -> None:
        """The link to the server."""
        label = (
            QCoreApplication.translate("MainWindow", CONNECTION_LABELS[status])
            if status in CONNECTION_LABELS
            else status
        )
        self.status_connection.setText(self.tr("服务器:{status}").format(status=label))

    def show_ringing(
        self, business_label: str, customer_name: str, waited_s: float, ring_timeout_s: float | None = None
    ) -> None:
        """Incoming call prompt."""
        self.call_panel.show_ringing(business_label, customer_name, waited_s, ring_timeout_s)
        self.activateWindow()

    def show_in_call(self, business_label: str, customer_name: str) -> None:
        """Connected call."""
        self.call_panel.show_in_call(business_label, customer_name)

    def show_idle(self, message: str | None = None) -> None:
        """Back to idle (``message``: how the last call ended); the customer's tile returns to its placeholder."""
        self.call_panel.show_idle(message)
        self.remote_tile.clear()

    def show_message(self, message: str, timeout_ms: int = 8000) -> None:
        """A transient notice or error in the status bar (known messages of the controller are translated)."""
        self.statusBar().showMessage(translate_text(message), timeout_ms)

    def closeEvent(self, event: QCloseEvent) -> None:
        """Tell the controller so it can sign out cleanly."""
        self.closing.emit()
        super().closeEvent(event)
