"""录像查询 dialog: search form, paged results, playback with seek, and the session trail beside the picture.

A view only: it emits what the teller asks for (``searchRequested``, ``sessionRequested``) and shows what the
service hands back (``show_results``, ``show_session``, ``show_error``). The media player streams the part URLs the
server signed for this seat; the dialog itself never calls the API.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import QCoreApplication, QDate, Qt, QUrl, Signal, Slot
from PySide6.QtMultimedia import QAudioOutput, QMediaPlayer
from PySide6.QtMultimediaWidgets import QVideoWidget
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
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

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.addLayout(form)
        left_layout.addWidget(self.table, 1)
        left_layout.addLayout(paging)

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
