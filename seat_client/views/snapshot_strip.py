"""Snapshot strip (抓拍): the capture button and the call's snapshots as thumbnails."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QAction, QIcon, QPixmap
from PySide6.QtWidgets import QHBoxLayout, QListWidget, QListWidgetItem, QPushButton, QVBoxLayout, QWidget

from seat_client.i18n import translate_text
from seat_client.workstation.state import WorkstationState


class SnapshotStrip(QWidget):
    """A 抓拍 button and a horizontal strip; right-click a thumbnail to use it as the live face."""

    captureRequested = Signal()
    useForFaceRequested = Signal(str)
    """snapshot_id."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.capture_button = QPushButton(self.tr("抓拍 (F8)"))
        self.capture_button.setObjectName("snapshotButton")
        self.capture_button.setEnabled(False)
        self.strip = QListWidget()
        self.strip.setObjectName("snapshotStrip")
        self.strip.setViewMode(QListWidget.ViewMode.IconMode)
        self.strip.setFlow(QListWidget.Flow.LeftToRight)
        self.strip.setWrapping(False)
        self.strip.setIconSize(QSize(96, 54))
        self.strip.setFixedHeight(96)
        self.strip.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.use_for_face = QAction(self.tr("用作现场人脸"), self.strip)
        self.use_for_face.triggered.connect(self._use_for_face)
        self.strip.addAction(self.use_for_face)
        buttons = QVBoxLayout()
        buttons.addWidget(self.capture_button)
        buttons.addStretch(1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(buttons)
        layout.addWidget(self.strip, 1)
        self.capture_button.clicked.connect(self.captureRequested)
        self._ids: list[str] = []

    def _use_for_face(self) -> None:
        item = self.strip.currentItem()
        if item is not None:
            self.useForFaceRequested.emit(str(item.data(Qt.ItemDataRole.UserRole)))

    def show_state(self, state: WorkstationState) -> None:
        """Add new snapshots and refresh their upload marks."""
        self.capture_button.setEnabled(state.phase == "in_call")
        ids = [e.snapshot.snapshot_id for e in state.snapshots]
        if ids[: len(self._ids)] != self._ids:
            self.strip.clear()
            self._ids = []
        for entry in state.snapshots[len(self._ids) :]:
            pixmap = QPixmap()
            pixmap.loadFromData(entry.snapshot.jpeg)
            item = QListWidgetItem(QIcon(pixmap.scaled(192, 108, Qt.AspectRatioMode.KeepAspectRatio)), "")
            item.setData(Qt.ItemDataRole.UserRole, entry.snapshot.snapshot_id)
            self.strip.addItem(item)
            self._ids.append(entry.snapshot.snapshot_id)
        for row, entry in enumerate(state.snapshots):
            if entry.uploaded:
                mark = self.tr("✔已存证")
            elif entry.error:
                mark = "✘" + translate_text(entry.error)
            else:
                mark = self.tr("上传中")
            face = self.tr("·人脸") if entry.used_for_face else ""
            item = self.strip.item(row)
            local = entry.snapshot.taken_at.astimezone().strftime("%H:%M:%S")
            item.setText(f"{local} {mark}{face}")
            item.setToolTip(f"{entry.snapshot.snapshot_id} sha256 {entry.snapshot.sha256[:16]}…")
        self.strip.scrollToBottom()
