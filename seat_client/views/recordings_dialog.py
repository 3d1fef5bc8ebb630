"""录像查询 dialog: search form, paged results, playback with seek, the session trail beside the picture, and
证据包 export.

A view only: it emits what the teller asks for (``searchRequested``, ``sessionRequested``, ``exportRequested``) and
shows what the service hands back (``show_results``, ``show_session``, ``show_error``, ``show_export_*``). The media
player streams the part URLs the server signed for this seat; the dialog itself never calls the API.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QDate, QStandardPaths, Qt, QUrl, Signal, Slot
from PySide6.QtMultimedia import QAudioOutput, QMediaPlayer
from PySide6.QtMultimediaWidgets import QVideoWidget
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QProgressBar,
    QPushButton,
    QSlider,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from seat_client.i18n import translate_text
from seat_client.recording.query import SearchFilters
from seat_client.workstation.texts import N_

_CONTEXT = "RecordingsDialog"
COLUMNS = (
    N_("RecordingsDialog", "会话"),
    N_("RecordingsDialog", "坐席"),
    N_("RecordingsDialog", "业务"),
    N_("RecordingsDialog", "客户"),
    N_("RecordingsDialog", "排队时间"),
    N_("RecordingsDialog", "录像时长"),
    N_("RecordingsDialog", "状态"),
)
PAGE_SIZE = 20

EXPORT_PURPOSES = (
    N_("RecordingsDialog", "客户投诉"),
    N_("RecordingsDialog", "纠纷处理"),
    N_("RecordingsDialog", "监管检查"),
    N_("RecordingsDialog", "内部稽核"),
)
"""用途 offered for a 证据包 export (the teller may type another); the Chinese text is what the trail records."""

ExportFileChooser = Callable[[str, Callable[[str], None]], None]
"""``(suggested path, chosen)``: asks where to save, then calls ``chosen(path)`` (never when the teller cancels)."""

_TRAIL_LABELS = {
    "event": N_("RecordingsDialog", "事件"),
    "gate": N_("RecordingsDialog", "核验"),
    "segment": N_("RecordingsDialog", "录像分段"),
    "snapshot": N_("RecordingsDialog", "抓拍"),
    "signature": N_("RecordingsDialog", "签名"),
    "seal": N_("RecordingsDialog", "封存"),
    "access": N_("RecordingsDialog", "访问"),
}


def _tr(source: str) -> str:
    return QCoreApplication.translate(_CONTEXT, source)


def _fmt_s(seconds: float) -> str:
    seconds = max(0, int(seconds))
    return f"{seconds // 60:02d}:{seconds % 60:02d}"


def _fmt_bytes(size: float) -> str:
    for unit in ("B", "KB", "MB"):
        if size < 1024:
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.2f} GB"


def trail_line(entry: dict[str, Any]) -> str:
    """One trail entry as the teller reads it: ``#seq 时间 类别 内容``."""
    at = dt.datetime.fromtimestamp(float(entry["at"])).strftime("%H:%M:%S")
    payload = entry.get("payload", {})
    kind = entry.get("kind", "")
    if kind == "event":
        what = str(payload.get("event", ""))
    elif kind == "access":
        what = f"{payload.get('actor', '')} {payload.get('action', '')} {payload.get('result', '')}".strip()
    elif kind == "segment":
        what = f"#{payload.get('segment_index')} {float(payload.get('duration_s') or 0):.1f}s"
    elif kind == "gate":
        what = str(payload.get("gate", ""))
    elif kind in ("snapshot", "signature"):
        what = str(payload.get("name", ""))
    else:
        what = ""
    label = _tr(_TRAIL_LABELS[kind]) if kind in _TRAIL_LABELS else kind
    return f"#{entry.get('seq')} {at} {label} {what}"


class RecordingsDialog(QDialog):
    """录像查询与回放."""

    searchRequested = Signal(object)
    """SearchFilters."""
    sessionRequested = Signal(str)
    """Session id to open for playback."""
    exportRequested = Signal(str, str, str)
    """``(session id, 用途, file path)``: download the session's 证据包 to the file."""
    exportCancelRequested = Signal()
    """Stop the running 证据包 download."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("recordingsDialog")
        self.setWindowTitle(self.tr("录像查询"))
        self.resize(1100, 700)
        self.page = 1
        self.total = 0
        self.parts: list[dict[str, Any]] = []
        self.current_part = -1
        self._pending_seek_ms: int | None = None
        self.session_duration_s = 0.0
        self.shown_session_id = ""
        self.export_session_id = ""
        self._export_estimate: int | None = None
        self.choose_export_file: ExportFileChooser = self._ask_export_file
        """Where to save a 证据包; a non-modal QFileDialog by default (tests may put their own chooser here)."""
        self.export_file_dialog: QFileDialog | None = None

        self.seat_edit = QLineEdit()
        self.seat_edit.setPlaceholderText(self.tr("工号（留空为全部）"))
        self.business_edit = QLineEdit()
        self.business_edit.setPlaceholderText(self.tr("业务类型代码，如 password_reset"))
        self.customer_edit = QLineEdit()
        self.customer_edit.setPlaceholderText(self.tr("客户姓名（部分即可）"))
        self.date_check = QCheckBox(self.tr("按日期"))
        self.date_from = QDateEdit(QDate.currentDate().addDays(-30))
        self.date_to = QDateEdit(QDate.currentDate())
        for edit in (self.date_from, self.date_to):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
        self.search_button = QPushButton(self.tr("查询"))
        self.search_button.clicked.connect(lambda: self.request_page(1))
        form = QFormLayout()
        form.addRow(self.tr("坐席"), self.seat_edit)
        form.addRow(self.tr("业务"), self.business_edit)
        form.addRow(self.tr("客户"), self.customer_edit)
        dates = QHBoxLayout()
        for widget in (self.date_check, self.date_from, QLabel(self.tr("至")), self.date_to):
            dates.addWidget(widget)
        form.addRow(self.tr("日期"), dates)
        form.addRow("", self.search_button)

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels([_tr(c) for c in COLUMNS])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.cellDoubleClicked.connect(self._open_row)
        self.prev_button = QPushButton(self.tr("上一页"))
        self.next_button = QPushButton(self.tr("下一页"))
        self.page_label = QLabel("")
        self.prev_button.clicked.connect(lambda: self.request_page(self.page - 1))
        self.next_button.clicked.connect(lambda: self.request_page(self.page + 1))
        self.open_button = QPushButton(self.tr("播放所选"))
        self.open_button.clicked.connect(lambda: self._open_row(self.table.currentRow(), 0))
        paging = QHBoxLayout()
        for button in (self.prev_button, self.page_label, self.next_button, self.open_button):
            paging.addWidget(button)

        # 证据包: shown to every seat (the sign-in does not say the seat's role); the server refuses tellers
        self.purpose_combo = QComboBox()
        self.purpose_combo.setEditable(True)
        for purpose in EXPORT_PURPOSES:
            self.purpose_combo.addItem(_tr(purpose), purpose)
        self.purpose_combo.setCurrentIndex(-1)
        purpose_edit = self.purpose_combo.lineEdit()
        if purpose_edit is not None:
            purpose_edit.setPlaceholderText(self.tr("必填，如客户投诉、纠纷处理"))
        self.export_button = QPushButton(self.tr("导出证据包…"))
        self.export_button.clicked.connect(self.request_export)
        self.export_cancel_button = QPushButton(self.tr("取消导出"))
        self.export_cancel_button.clicked.connect(self.exportCancelRequested)
        self.export_cancel_button.setVisible(False)
        self.export_progress = QProgressBar()
        self.export_progress.setVisible(False)
        self.export_label = QLabel("")
        self.export_label.setWordWrap(True)
        export_row = QHBoxLayout()
        export_row.addWidget(QLabel(self.tr("用途")))
        export_row.addWidget(self.purpose_combo, 1)
        export_row.addWidget(self.export_button)
        export_row.addWidget(self.export_cancel_button)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.addLayout(form)
        left_layout.addWidget(self.table, 1)
        left_layout.addLayout(paging)
        left_layout.addLayout(export_row)
        left_layout.addWidget(self.export_progress)
        left_layout.addWidget(self.export_label)

        self.video = QVideoWidget()
        self.video.setMinimumSize(480, 270)
        self.player = QMediaPlayer(self)
        self.audio = QAudioOutput(self)
        self.player.setAudioOutput(self.audio)
        self.player.setVideoOutput(self.video)
        self.player.positionChanged.connect(self._position)
        self.player.mediaStatusChanged.connect(self._media_status)
        self.player.errorOccurred.connect(
            lambda _e, text: self.show_error(self.tr("播放失败：{error}").format(error=text))
        )
        self.play_button = QPushButton(self.tr("播放"))
        self.play_button.clicked.connect(self.toggle_play)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.sliderReleased.connect(lambda: self.seek(self.slider.value() / 1000))
        self.time_label = QLabel("00:00 / 00:00")
        self.part_combo = QComboBox()
        self.part_combo.activated.connect(lambda i: self.load_part(i))
        controls = QHBoxLayout()
        for control in (self.play_button, self.slider, self.time_label, self.part_combo):
            controls.addWidget(control)
        self.session_label = QLabel(self.tr("双击查询结果播放录像"))
        self.session_label.setWordWrap(True)
        self.trail = QListWidget()
        self.error_label = QLabel("")
        self.error_label.setObjectName("errorLabel")
        self.error_label.setWordWrap(True)

        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.addWidget(self.session_label)
        right_layout.addWidget(self.video, 3)
        right_layout.addLayout(controls)
        right_layout.addWidget(QLabel(self.tr("会话轨迹（证据链）")))
        right_layout.addWidget(self.trail, 2)

        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(right)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.error_label)
        self._update_paging()

    # ---- requests ----

    def filters(self, page: int) -> SearchFilters:
        """The form as search filters for ``page``."""
        date_from = date_to = ""
        if self.date_check.isChecked():
            date_from = self.date_from.date().toString("yyyy-MM-dd")
            date_to = self.date_to.date().addDays(1).toString("yyyy-MM-dd")
        return SearchFilters(
            seat_id=self.seat_edit.text(),
            date_from=date_from,
            date_to=date_to,
            business_type=self.business_edit.text(),
            customer=self.customer_edit.text(),
            page=page,
            page_size=PAGE_SIZE,
        )

    def request_page(self, page: int) -> None:
        """Asks for a page of results."""
        if page < 1:
            return
        self.error_label.clear()
        self.search_button.setEnabled(False)
        self.searchRequested.emit(self.filters(page))

    def export_purpose(self) -> str:
        """The 用途 as the trail records it: an offered one in Chinese whatever the UI language, else as typed."""
        text = self.purpose_combo.currentText().strip()
        index = self.purpose_combo.findText(text)
        data = self.purpose_combo.itemData(index) if index >= 0 else None
        return str(data) if data else text

    def export_target(self) -> str:
        """The session to export: the selected result, else the one being played."""
        item = self.table.item(self.table.currentRow(), 0) if self.table.currentRow() >= 0 else None
        return item.text() if item is not None else self.shown_session_id

    def request_export(self) -> None:
        """导出证据包: checks a session and a 用途 are given, asks where to save, then emits ``exportRequested``."""
        session_id, purpose = self.export_target(), self.export_purpose()
        if not session_id:
            self.show_export_error(self.tr("请先在查询结果中选择要导出的会话"))
            return
        if not purpose:
            self.show_export_error(self.tr("请填写导出用途（必填），如客户投诉、纠纷处理"))
            self.purpose_combo.setFocus()
            return
        folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
        suggested = str(Path(folder or ".") / f"evidence_{session_id}.zip")
        self.choose_export_file(suggested, lambda path: self._start_export(session_id, purpose, path))

    def _ask_export_file(self, suggested: str, chosen: Callable[[str], None]) -> None:
        dialog = QFileDialog(self, self.tr("保存证据包"), suggested, self.tr("证据包 (*.zip)"))
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix("zip")
        dialog.setOption(QFileDialog.Option.DontUseNativeDialog)  # the same dialog everywhere (and offscreen)
        dialog.fileSelected.connect(chosen)
        dialog.finished.connect(dialog.deleteLater)
        self.export_file_dialog = dialog
        dialog.open()

    def _start_export(self, session_id: str, purpose: str, path: str) -> None:
        if not path:
            return
        self.export_session_id = session_id
        # The server does not announce the ZIP's length; the recordings' MP4 sizes (most of it) give an estimate.
        sizes = [int(p.get("size") or 0) for p in self.parts] if session_id == self.shown_session_id else []
        self._export_estimate = sum(sizes) if sizes and all(sizes) else None
        self.export_button.setEnabled(False)
        self.export_cancel_button.setVisible(True)
        self.export_progress.setRange(0, 0)  # busy until bytes arrive: the server verifies the evidence first
        self.export_progress.setVisible(True)
        self.export_label.setText(self.tr("正在核验证据并准备证据包…"))
        self.exportRequested.emit(session_id, purpose, path)

    def _export_ended(self) -> None:
        self.export_button.setEnabled(True)
        self.export_cancel_button.setVisible(False)
        self.export_progress.setVisible(False)

    @Slot(object, object)
    def show_export_progress(self, written: int, total: int | None) -> None:
        """Bytes of the 证据包 saved so far (of ``total``, or of the estimate, when known)."""
        if total:
            self.export_progress.setRange(0, 1000)
            self.export_progress.setValue(min(1000, int(written * 1000 / total)))
            text = self.tr("已下载 {done} / {total}").format(done=_fmt_bytes(written), total=_fmt_bytes(total))
        elif self._export_estimate:
            self.export_progress.setRange(0, 1000)
            self.export_progress.setValue(min(990, int(written * 1000 / self._export_estimate)))
            text = self.tr("已下载 {done} / 约 {total}").format(
                done=_fmt_bytes(written), total=_fmt_bytes(self._export_estimate)
            )
        else:
            text = self.tr("已下载 {done}").format(done=_fmt_bytes(written))
        self.export_label.setText(text)

    @Slot(object)
    def show_export_done(self, package: dict[str, Any]) -> None:
        """The 证据包 is saved: where, how big."""
        self._export_ended()
        self.export_label.setText(
            self.tr("证据包已保存：{path}（{size}，{count} 个文件）").format(
                path=package["path"], size=_fmt_bytes(int(package["size"])), count=len(package["entries"])
            )
        )

    @Slot(str)
    def show_export_error(self, message: str) -> None:
        """Why no 证据包 was saved (the service's or the server's Chinese message; known ones translated)."""
        self._export_ended()
        self.export_label.setText(translate_text(message))

    def _open_row(self, row: int, _column: int) -> None:
        item = self.table.item(row, 0)
        if item is not None:
            self.error_label.clear()
            self.sessionRequested.emit(item.text())

    # ---- results ----

    @Slot(object)
    def show_results(self, page: dict[str, Any]) -> None:
        """Fills the table with a :class:`SearchPage` (JSON)."""
        self.search_button.setEnabled(True)
        self.page = int(page["page"])
        self.total = int(page["total"])
        items = page["items"]
        self.table.setRowCount(len(items))
        for row, item in enumerate(items):
            duration = sum(float(r["duration_s"]) for r in item["recordings"])
            complete = all(r["complete"] for r in item["recordings"]) and bool(item["recordings"])
            state = (
                self.tr("已封存") if item["sealed"] else (self.tr("录像完整") if complete else self.tr("上传中/不完整"))
            )
            if not item["recordings"]:
                state = self.tr("无录像")
            cells = (item["session_id"], item.get("seat_id") or "", item["business_type"], item["customer"],
                     str(item["queued_at"])[:19].replace("T", " "), _fmt_s(duration), state)  # fmt: skip
            for column, text in enumerate(cells):
                self.table.setItem(row, column, QTableWidgetItem(text))
        self._update_paging()

    def _update_paging(self) -> None:
        pages = max(1, -(-self.total // PAGE_SIZE))
        self.page_label.setText(
            self.tr("第 {page}/{pages} 页，共 {total} 条").format(page=self.page, pages=pages, total=self.total)
        )
        self.prev_button.setEnabled(self.page > 1)
        self.next_button.setEnabled(self.page < pages)

    @Slot(object)
    def show_session(self, view: dict[str, Any]) -> None:
        """Shows a :class:`SessionView` (JSON): trail beside, first part loaded and ready to play."""
        session = view["session"]
        self.shown_session_id = str(session["session_id"])
        chain = (
            self.tr("证据链完整")
            if view["chain_ok"]
            else self.tr("证据链异常：{problems}").format(problems="；".join(view["chain_problems"]))
        )
        self.session_label.setText(
            self.tr("会话 {session_id} · 坐席 {seat_id} · {business} · 客户 {customer} · {chain}").format(
                session_id=session["session_id"],
                seat_id=session.get("seat_id") or "-",
                business=session["business_type"],
                customer=session["customer"],
                chain=chain,
            )
        )
        self.trail.clear()
        for entry in view["trail"]:
            self.trail.addItem(trail_line(entry))
        self.parts = list(view["parts"])
        self.session_duration_s = float(view["duration_s"])
        self.slider.setRange(0, int(self.session_duration_s * 1000))
        self.part_combo.clear()
        for part in self.parts:
            self.part_combo.addItem(
                self.tr("第 {index} 段 {start}").format(index=part["index"] + 1, start=_fmt_s(part["start_s"]))
            )
        self.current_part = -1
        if self.parts:
            self.load_part(0)
        else:
            self.show_error(self.tr("该会话没有可播放的录像"))

    @Slot(str)
    def show_error(self, message: str) -> None:
        """Shows an error under the dialog (the service's Chinese messages; known ones translated)."""
        self.search_button.setEnabled(True)
        self.error_label.setText(translate_text(message))

    # ---- playback ----

    def load_part(self, index: int, seek_ms: int | None = None) -> None:
        """Loads part ``index`` (optionally seeking to ``seek_ms`` inside it once loaded)."""
        if not 0 <= index < len(self.parts):
            return
        self._pending_seek_ms = seek_ms
        if index != self.current_part:
            self.current_part = index
            self.part_combo.setCurrentIndex(index)
            self.player.setSource(QUrl(self.parts[index]["url"]))
        elif seek_ms is not None:
            self.player.setPosition(seek_ms)
            self._pending_seek_ms = None

    def seek(self, session_s: float) -> None:
        """Seeks to a time on the session's timeline (switching part when needed)."""
        index = 0
        for i, part in enumerate(self.parts):
            if session_s >= float(part["start_s"]):
                index = i
        if self.parts:
            self.load_part(index, int((session_s - float(self.parts[index]["start_s"])) * 1000))

    def toggle_play(self) -> None:
        """播放/暂停."""
        if self.player.playbackState() == QMediaPlayer.PlaybackState.PlayingState:
            self.player.pause()
            self.play_button.setText(self.tr("播放"))
        else:
            self.player.play()
            self.play_button.setText(self.tr("暂停"))

    def session_position_s(self) -> float:
        """Where playback is on the session's timeline."""
        if not 0 <= self.current_part < len(self.parts):
            return 0.0
        return float(self.parts[self.current_part]["start_s"]) + self.player.position() / 1000

    def _position(self, _ms: int) -> None:
        now = self.session_position_s()
        if not self.slider.isSliderDown():
            self.slider.setValue(int(now * 1000))
        self.time_label.setText(f"{_fmt_s(now)} / {_fmt_s(self.session_duration_s)}")

    def _media_status(self, status: QMediaPlayer.MediaStatus) -> None:
        if status == QMediaPlayer.MediaStatus.LoadedMedia and self._pending_seek_ms is not None:
            self.player.setPosition(self._pending_seek_ms)
            self._pending_seek_ms = None
        elif status == QMediaPlayer.MediaStatus.EndOfMedia and self.current_part + 1 < len(self.parts):
            self.load_part(self.current_part + 1)
            self.player.play()

    def closeEvent(self, event: Any) -> None:
        """Stops playback when the dialog closes."""
        self.player.stop()
        super().closeEvent(event)
