"""``WorkstationService``: the Qt service behind the workstation panels.

It listens to the :class:`~seat_client.controller.SeatController` (call offered/started/ended, stats) and to the
seat WebSocket (``gate_update``, ``signature_update``), keeps a :class:`WorkstationState`, and does the HTTP work
(话术, 抓拍 upload, 签名 relay, gates, business submit) through :class:`WorkstationApi`. Views bind to
:attr:`changed` and call its slots; they never touch the network or the media.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from pathlib import Path
from typing import Any

import av
import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal, Slot
from qasync import asyncSlot

from seat_client import APP_AUTHOR, APP_NAME
from seat_client.audio.output import RemoteAudioOutput, create_audio_output
from seat_client.controller import CUSTOMER, SeatController
from seat_client.i18n import translate_text
from seat_client.media.convert import frame_to_ndarray
from seat_client.workstation.api import WorkstationApi, WorkstationApiError
from seat_client.workstation.face_monitor import LiveFaceAssessor, LiveFaceMonitor, LiveFaceReading
from seat_client.workstation.scripts import ScriptError, load_script_file
from seat_client.workstation.snapshot import make_snapshot
from seat_client.workstation.state import CallInfo, Phase, WorkstationState
from seat_client.workstation.texts import N_, T, Text
from seat_client.workstation.wrap_up import OUTBOX_FILE_NAME, WrapUpOutbox, notes_length_problem
from wire.business import business_label
from wire.rest import LiveFaceObservation
from wire.signature import SignatureReview

logger = logging.getLogger(__name__)

WRAP_UP_S = 30.0
"""Default 话后整理 countdown (the server's routing may end it earlier by moving the seat)."""

NOTES_RETRY_S = (2.0, 60.0)
"""First and longest wait before sending 话后小结 again after a failure (doubling in between)."""

SIGNATURE_FALLBACK_POLL_MS = 5000
"""While the customer has been asked to sign, the signature status is also read this often, in case the socket's
``signature_update`` was lost (a reconnect at the wrong moment); otherwise nothing is polled."""


def _decode_jpeg(data: bytes) -> np.ndarray | None:
    """A JPEG/PNG as a BGR array (None when it cannot be decoded)."""
    import cv2

    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    return image if image is not None and image.size else None


def default_outbox_path() -> Path:
    """Where 话后小结 wait for the server: the user's data directory (next to the 双录 spool)."""
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME, APP_AUTHOR)) / OUTBOX_FILE_NAME


class WorkstationService(QObject):
    """Drives the workstation panels for one signed-in seat.

    Args:
        controller: the seat controller (owns the connection and media).
        wrap_up_s: wrap-up countdown after each call.
        outbox_path: file keeping 话后小结 until the server has them (default: :func:`default_outbox_path`).
        notes_retry_s: first and longest wait before a failed 话后小结 is sent again.
    """

    changed = Signal(str)
    """An aspect of :attr:`state` changed (``call``, ``gates``, ``script``, ``snapshots``, ``signature``...)."""
    focusChanged = Signal(str)
    """The panel the current step needs."""
    qualityChanged = Signal(str)
    """Link quality text (RTT, loss, bitrate, frame rate)."""
    networkPhotoReady = Signal(bytes)
    signatureRequested = Signal()
    transferQueuesChanged = Signal(list)
    """``[(queue_id, name)]``: the business queues the 转接 dialog offers (read at sign-in and at each call)."""
    notify = Signal(str, str)
    """title, text: for the tray when the window is not focused."""
    message = Signal(str)
    """Errors and notices for the status bar (Chinese)."""
    snapshotSent = Signal(str)
    """snapshot_id stored by the server."""
    notesSent = Signal(str, int)
    """session_id and revision of 话后小结 the server stored."""
    _liveFaceReading = Signal(object)
    """A :class:`LiveFaceReading` from the monitor's thread (queued to this object's thread)."""
    _liveFaceUnavailable = Signal(str)

    def __init__(
        self,
        controller: SeatController,
        *,
        wrap_up_s: float = WRAP_UP_S,
        outbox_path: Path | None = None,
        notes_retry_s: tuple[float, float] = NOTES_RETRY_S,
    ) -> None:
        super().__init__(controller)
        self.controller = controller
        self.state = WorkstationState(controller.settings.seat_id)
        self.wrap_up_s = wrap_up_s
        self.api: WorkstationApi | None = None
        self._latest_customer_frame: av.VideoFrame | None = None
        self._snapshot_seq = 0
        self._capture_busy = False
        self._test_output: RemoteAudioOutput | None = None
        self._focus = ""
        self._background: set[asyncio.Future[Any]] = set()
        self.state.subscribe(self._state_changed)
        self._poll = QTimer(self)
        self._poll.setInterval(SIGNATURE_FALLBACK_POLL_MS)
        self._poll.timeout.connect(self._poll_signature)
        self._wrap_timer = QTimer(self)
        self._wrap_timer.setInterval(1000)
        self._wrap_timer.timeout.connect(self._wrap_tick)
        self.outbox = WrapUpOutbox(outbox_path or default_outbox_path())
        self.notes_retry_s = notes_retry_s
        self._notes_delay_s = notes_retry_s[0]
        self._notes_sending = False
        self._notes_timer = QTimer(self)
        self._notes_timer.setSingleShot(True)
        self._notes_timer.timeout.connect(lambda: self._spawn(self.send_pending_notes()))
        controller.loginSucceeded.connect(self._logged_in)
        controller.callOffered.connect(self._offered)
        controller.callStarted.connect(self._started)
        controller.callEnded.connect(self._ended)
        controller.statsUpdated.connect(self._stats)
        controller.add_media_tap(self)
        self._face_assessor = LiveFaceAssessor(self.state.face_threshold)
        self.face_monitor: LiveFaceMonitor | None = None
        hz = controller.settings.face_monitor_hz
        if hz > 0:
            self.face_monitor = LiveFaceMonitor(
                lambda: self._latest_customer_frame,
                self._liveFaceReading.emit,
                on_unavailable=self._liveFaceUnavailable.emit,
                hz=hz,
            )
        self._liveFaceReading.connect(self._live_face_reading)
        self._liveFaceUnavailable.connect(self._live_face_unavailable)

    # --- media tap: keep only the latest customer frame (no copy, no work on the loop) ---

    def push_video(self, source: str, frame: av.VideoFrame) -> None:
        """Remember the customer's latest decoded frame for 抓拍."""
        if source == CUSTOMER:
            self._latest_customer_frame = frame

    def push_audio(self, source: str, frame: av.AudioFrame) -> None:
        """Audio is not used here."""

    # --- state -> signals ---

    def _state_changed(self, aspect: str) -> None:
        self.changed.emit(aspect)
        focus = self.state.focus_panel
        if focus != self._focus and aspect in ("phase", "gates", "signature", "business", "call"):
            self._focus = focus
            self.focusChanged.emit(focus)

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    # --- controller events ---

    @Slot(str, str)
    def _logged_in(self, seat_id: str, display_name: str) -> None:
        self.state.seat_id, self.state.seat_name = seat_id, display_name
        connection = self.controller.connection
        if connection is None or connection.login_response is None:
            return
        if self.api is not None:
            self._spawn(self.api.aclose())
        self.api = WorkstationApi(connection.server_url, connection.login_response.token, verify=connection.http_verify)
        connection.add_listener(self._on_message)
        self._show_outbox()
        self._spawn(self.send_pending_notes())  # notes left from an earlier run or a lost connection
        self._spawn(self.load_transfer_queues())

    async def _on_message(self, msg: Any) -> None:
        kind = getattr(msg, "type", None)
        if kind not in ("gate_update", "signature_update"):
            return
        call = self.state.call
        if call is None or getattr(msg, "session_id", None) != call.session_id:
            return
        if kind == "signature_update":
            await self._fetch_signature()
            return
        snapshot = getattr(msg, "snapshot", None)
        if isinstance(snapshot, dict):
            self.state.apply_gate_snapshot(snapshot, getattr(msg, "teller_message", None))
        if getattr(msg, "gate", "") == "network_check" and self.api is not None:
            photo = await self._quiet(self.api.photo(call.session_id, "network_photo"))
            if isinstance(photo, bytes):
                self.networkPhotoReady.emit(photo)

    async def _quiet(self, coro: Any) -> Any:
        try:
            return await coro
        except WorkstationApiError as exc:
            logger.info("workstation request failed: %s", exc.message)
            return None

    @Slot(str, str, float, float)
    def _offered(self, label: str, name: str, waited: float, _ring_s: float) -> None:
        offered = self.controller.offered
        if offered is None:
            return
        queued = offered.queued_at if offered.queued_at.tzinfo else offered.queued_at.replace(tzinfo=dt.UTC)
        self._wrap_timer.stop()
        self.state.ring(CallInfo(offered.session_id, offered.business_type, label, name, queued))
        self.notify.emit(
            self.tr("客户来电"),
            self.tr("{business} · {customer} · 已等待 {seconds} 秒").format(
                business=translate_text(label), customer=name or self.tr("客户"), seconds=round(waited)
            ),
        )

    @Slot(str, str)
    def _started(self, label: str, name: str) -> None:
        session = self.controller.session
        if session is None:
            return
        call = self.state.call
        if call is None or call.session_id != session.session_id:
            call = CallInfo(session.session_id, "", label, name)
        self._wrap_timer.stop()
        self.state.answered(call)
        self._latest_customer_frame = None
        self._start_face_monitor()
        self._poll.stop()
        self._spawn(self._load_call(call))
        self._spawn(self.load_transfer_queues())  # a supervisor may have changed the queues since sign-in

    async def _load_call(self, call: CallInfo) -> None:
        """话术, gate snapshot and ID portrait for the new call."""
        await self.load_script(call)
        if self.api is None:
            return
        snapshot = await self._quiet(self.api.gates(call.session_id))
        current = self.state.call
        if isinstance(snapshot, dict) and current is not None and current.session_id == call.session_id:
            self.state.apply_gate_snapshot(snapshot)
        portrait = await self._quiet(self.api.photo(call.session_id, "id_portrait"))
        if isinstance(portrait, bytes) and self.state.call is not None:
            self.state.update_call(id_portrait_jpeg=portrait)
            if self.face_monitor is not None:
                self.face_monitor.set_portrait(_decode_jpeg(portrait))
        await self._fetch_signature()  # a transferred call may already have a signature asked for or waiting

    async def load_transfer_queues(self) -> None:
        """Read the queues a call can be transferred to; on failure the dialog keeps what it had (or the typed id)."""
        if self.api is None:
            return
        queues = await self._quiet(self.api.transfer_queues())
        if isinstance(queues, list):
            self.transferQueuesChanged.emit(queues)

    async def load_script(self, call: CallInfo) -> None:
        """The server's 话术 for the business (the bundled default if the server has none or is unreachable)."""
        values = {
            "customer_name": call.customer_name,
            "business": call.business_label or business_label(call.business_type),
            "seat_name": self.state.seat_name,
            "seat_id": self.state.seat_id,
        }
        script = None
        if self.api is not None and call.business_type:
            try:
                script = await self.api.script(call.business_type)
            except WorkstationApiError as exc:
                logger.warning("[%s] script from server unavailable: %s", call.session_id, exc.message)
        if script is None:
            try:
                script = load_script_file(call.business_type or "default")
            except ScriptError as exc:
                self.message.emit(translate_text(exc.text))
                return
        if self.state.call is not None and self.state.call.session_id == call.session_id:
            self.state.set_script(script, values)

    # --- live face monitor (实时人脸): advisory, on a worker thread ---

    def _start_face_monitor(self) -> None:
        if self.face_monitor is None:
            return
        self._face_assessor = LiveFaceAssessor(self.state.face_threshold)
        self.face_monitor.set_portrait(None)  # the new call's portrait comes with _load_call
        self.face_monitor.start()
        self.state.set_live_face(self._face_assessor.view)

    def _stop_face_monitor(self) -> None:
        if self.face_monitor is not None:
            self.face_monitor.stop(wait=False)  # never block the UI on a check in progress
        self.state.set_live_face(None)

    @Slot(object)
    def _live_face_reading(self, reading: LiveFaceReading) -> None:
        if self.state.phase != Phase.IN_CALL or self.face_monitor is None or not self.face_monitor.active:
            return  # a reading that crossed the end of the call
        self._face_assessor.threshold = self.state.face_threshold  # the server's gate config may set it
        view = self._face_assessor.add(reading)
        call = self.state.call
        if self.state.set_live_face(view) and self.api is not None and call is not None:
            observation = LiveFaceObservation.model_validate(
                {"status": view.status.value, "faces": view.faces, "score": view.score, "threshold": view.threshold}
            )
            self._spawn(self._quiet(self.api.record_live_face(call.session_id, observation)))

    @Slot(str)
    def _live_face_unavailable(self, reason: str) -> None:
        logger.warning("live face monitor off for this call: %s", reason)
        if self.state.phase == Phase.IN_CALL:
            self.state.set_live_face(self._face_assessor.unavailable())

    @Slot(str)
    def _ended(self, message: str) -> None:
        self._poll.stop()
        self._latest_customer_frame = None
        self._stop_face_monitor()
        was_in_call = self.state.phase == Phase.IN_CALL
        self.state.ended(message, self.wrap_up_s if was_in_call else None)
        if was_in_call and self.wrap_up_s:
            self._wrap_timer.start()

    @Slot(object)
    def _stats(self, stats: Any) -> None:
        rtt = f"{stats.rtt_ms:.0f}ms" if getattr(stats, "rtt_ms", None) is not None else "-"
        fps = f"{stats.recv_fps:.0f}" if getattr(stats, "recv_fps", None) is not None else "-"
        self.qualityChanged.emit(
            self.tr("网络 RTT {rtt} · 丢包 {loss:.1f}% · {kbps:.0f} kbps · {fps} fps").format(
                rtt=rtt, loss=stats.loss_percent, kbps=stats.recv_kbps, fps=fps
            )
        )

    def test_speaker(self) -> str:
        """Play a one-second 440 Hz tone on the customer-audio output; returns what happened (Chinese)."""
        output = self.controller.audio_output
        if output is None:  # not signed in yet: a speaker of its own for the test
            if self._test_output is None:
                self._test_output = create_audio_output()
            output = self._test_output
        t = np.arange(48000) / 48000.0
        tone = (0.3 * 32767 * np.sin(2 * np.pi * 440 * t)).astype("<i2").tobytes()
        output.play(tone)
        return self.tr("已播放测试音({device})").format(device=output.description)

    # --- wrap-up ---

    @Slot()
    def _wrap_tick(self) -> None:
        self.changed.emit("phase")  # countdown text
        if self.state.wrap_up_left_s() <= 0:
            self.finish_wrap_up(None)

    @Slot(str)
    def set_wrap_up_draft(self, notes: str) -> None:
        """The teller edits the 话后小结 (kept so the countdown's end sends what was typed)."""
        self.state.set_wrap_up_draft(notes)

    @Slot(str)
    def finish_wrap_up(self, notes: str | None = None) -> bool:
        """End 话后整理 (button, or the countdown with ``None``: the draft is used).

        The notes are written to the outbox file first, then sent in the background (retried until the server has
        them); the seat goes ready at once. Notes over the length limit keep wrap-up open with the reason shown.

        Returns:
            Whether wrap-up ended.
        """
        if self.state.phase != Phase.WRAP_UP:
            self._wrap_timer.stop()
            return False
        text = (self.state.wrap_up_notes if notes is None else notes).strip()
        problem = notes_length_problem(text)
        if problem is not None:
            self._wrap_timer.stop()  # the teller shortens them and finishes with the button; nothing is cut off
            self.state.block_wrap_up(problem)
            self.message.emit(translate_text(problem))
            return False
        self._wrap_timer.stop()
        call = self.state.call
        if text and call is not None:
            self.outbox.add(call.session_id, self.state.seat_id, text)
            logger.info("[%s] wrap-up notes kept (%d chars), sending", call.session_id, len(text))
            self._show_outbox(N_("Workstation", "话后小结已保存在本机,正在提交…"))
            self._notes_delay_s = self.notes_retry_s[0]
            self._spawn(self.send_pending_notes())
        self.state.finish_wrap_up()
        if self.controller.seat_state in ("wrap_up", "not_ready") and self.controller.connection is not None:
            self.controller.set_ready()
        return True

    def _show_outbox(self, status: Text | str | None = None) -> None:
        seat = self.state.seat_id
        self.state.set_notes_outbox(len(self.outbox.pending(seat)), len(self.outbox.refused(seat)), status)

    async def send_pending_notes(self) -> int:
        """Send this seat's kept 话后小结, oldest first; returns how many the server stored now.

        A failure that may pass (no network, server busy, token expired) keeps the note and schedules another try
        (doubling waits, capped); a refusal for good keeps it in the outbox file marked refused. The teller is told
        either way.
        """
        if self.api is None or self._notes_sending:
            return 0
        self._notes_sending = True
        stored = 0
        retry = False
        tried: set[str] = set()
        try:
            while True:  # re-read each time: a note kept while this runs is sent in the same run
                item = next((i for i in self.outbox.pending(self.state.seat_id) if i.note_id not in tried), None)
                if item is None:
                    break
                tried.add(item.note_id)
                try:
                    saved = await self.api.save_wrap_up(item.session_id, item.note_id, item.notes)
                except WorkstationApiError as exc:
                    updated = self.outbox.failed(item.note_id, exc.message, exc.status)
                    error = translate_text(exc.text)
                    if updated is not None and updated.refused:
                        logger.error(
                            "[%s] wrap-up notes refused: %s (kept in %s)",
                            item.session_id,
                            exc.message,
                            self.outbox.path,
                        )
                        text = self.tr("话后小结未被服务器接受:{error}。内容已保存在本机 {path}").format(
                            error=error, path=self.outbox.path
                        )
                        self._show_outbox(text)
                        self.message.emit(text)
                        continue
                    logger.warning("[%s] wrap-up notes not sent: %s (retrying)", item.session_id, exc.message)
                    text = self.tr("话后小结提交失败:{error}。已保存在本机,将自动重试").format(error=error)
                    self._show_outbox(text)
                    self.message.emit(text)
                    retry = True
                    break  # the server is unreachable or busy: keep the order, try them all again later
                self.outbox.sent(item.note_id)
                stored += 1
                self.notesSent.emit(saved.session_id, saved.revision)
                note = self.tr("话后小结已提交(第 {revision} 版)").format(revision=saved.revision)
                if saved.masked:
                    note += self.tr(",其中的号码已按规定脱敏")
                self._show_outbox(note)
                self.message.emit(note)
        finally:
            self._notes_sending = False
        if retry:
            self._notes_timer.start(round(self._notes_delay_s * 1000))
            self._notes_delay_s = min(self._notes_delay_s * 2, self.notes_retry_s[1])
        else:
            self._notes_delay_s = self.notes_retry_s[0]
        return stored

    # --- 话术 ---

    @Slot()
    def next_step(self) -> None:
        """Tick the highlighted step."""
        self.state.next_step()

    @Slot(int)
    def go_to_step(self, index: int) -> None:
        """Highlight another step."""
        self.state.go_to_step(index)

    # --- 抓拍 ---

    @asyncSlot()
    async def capture_snapshot(self, purpose: str = "manual") -> str | None:
        """Capture the latest customer frame at full resolution, watermark it, show it, send it as evidence.

        Returns the snapshot id (None when there is no call or no customer frame yet).
        """
        call, frame = self.state.call, self._latest_customer_frame
        if call is None or self.state.phase != Phase.IN_CALL:
            return None
        if frame is None:
            self.message.emit(self.tr("尚未收到客户画面,无法抓拍"))
            return None
        if self._capture_busy:
            self.message.emit(self.tr("正在处理上一张抓拍"))
            return None
        self._capture_busy = True
        self._snapshot_seq += 1
        snapshot_id = f"s{self._snapshot_seq}"
        try:
            snapshot = await asyncio.get_running_loop().run_in_executor(
                None,
                lambda: make_snapshot(
                    frame_to_ndarray(frame, format="rgb24"),
                    snapshot_id=snapshot_id,
                    session_id=call.session_id,
                    seat_id=self.state.seat_id,
                    taken_at=dt.datetime.now(dt.UTC),
                ),
            )
        except ValueError as exc:
            self.message.emit(translate_text(str(exc)))
            return None
        finally:
            self._capture_busy = False
        logger.info("[%s] snapshot %s %dx%d", call.session_id, snapshot_id, snapshot.width, snapshot.height)
        self.state.add_snapshot(snapshot)
        await self._upload(snapshot_id, purpose)
        return snapshot_id

    async def _upload(self, snapshot_id: str, purpose: str) -> None:
        entry = next((e for e in self.state.snapshots if e.snapshot.snapshot_id == snapshot_id), None)
        if entry is None or self.api is None:
            return
        try:
            await self.api.upload_snapshot(entry.snapshot, purpose)
        except WorkstationApiError as exc:
            self.state.snapshot_uploaded(snapshot_id, exc.text)
            return
        self.state.snapshot_uploaded(snapshot_id)
        self.snapshotSent.emit(snapshot_id)

    @asyncSlot(str)
    async def use_for_face(self, snapshot_id: str) -> None:
        """File a capture as the live face and ask the server to run the face comparison.

        The server compares the frame the customer's page sends for the request (a seat cannot inject an image
        into a gate); the capture is kept as evidence of what the teller saw.
        """
        entry = next((e for e in self.state.snapshots if e.snapshot.snapshot_id == snapshot_id), None)
        if entry is None or self.api is None:
            return
        self.state.mark_used_for_face(snapshot_id)
        await self._upload(snapshot_id, "face")
        await self.gate_action("face")

    # --- gates ---

    @asyncSlot(str)
    async def gate_action(self, gate: str) -> None:
        """Start or retry a gate; the outcome arrives as ``gate_update`` (the snapshot is re-read too)."""
        call = self.state.call
        if call is None or self.api is None:
            return
        try:
            await self.api.gate_action(call.session_id, gate)
        except WorkstationApiError as exc:
            self.message.emit(translate_text(exc.text))
            self.state.log("gate", exc.text)
        snapshot = await self._quiet(self.api.gates(call.session_id))
        if isinstance(snapshot, dict) and self.state.call is call:
            self.state.apply_gate_snapshot(snapshot)

    @asyncSlot(str, object)
    async def answer_question(self, question_id: str, choice: object) -> None:
        """Record the option the customer chose for a private question (None: could not answer)."""
        call = self.state.call
        if call is None or self.api is None:
            return
        try:
            await self.api.answer_question(call.session_id, question_id, choice if isinstance(choice, int) else None)
        except WorkstationApiError as exc:
            self.message.emit(translate_text(exc.text))
        snapshot = await self._quiet(self.api.gates(call.session_id))
        if isinstance(snapshot, dict) and self.state.call is call:
            self.state.apply_gate_snapshot(snapshot)

    # --- 签名 ---

    @asyncSlot()
    async def request_signature(self) -> None:
        """Ask the customer's page for a signature."""
        call = self.state.call
        if call is None or self.api is None:
            return
        try:
            await self.api.request_signature(call.session_id)
        except WorkstationApiError as exc:
            self.message.emit(translate_text(exc.text))
            return
        self.state.log("signature", N_("Workstation", "已请客户签名"))
        self._poll.start()
        self.signatureRequested.emit()

    @asyncSlot()
    async def _poll_signature(self) -> None:
        await self._fetch_signature()

    async def _fetch_signature(self) -> None:
        """Read the signature status once: a submission goes to review; the fallback poll runs only while the
        customer is still to sign."""
        call = self.state.call
        if call is None or self.api is None or self.state.phase != Phase.IN_CALL:
            return
        status = await self._quiet(self.api.signature_status(call.session_id))
        if status is None or self.state.call is not call:
            return
        if status.state in ("requested", "rejected"):
            if not self._poll.isActive():
                self._poll.start()
            return
        self._poll.stop()
        if status.state == "submitted" and status.submission is not None:
            self.state.signature_submitted(status.submission, status.attempt)

    @asyncSlot()
    async def accept_signature(self) -> None:
        """Accept: the server files the strokes and image as evidence."""
        await self._review(SignatureReview(decision="accept"))

    @asyncSlot(str)
    async def reject_signature(self, reason: str) -> None:
        """Send it back; the page asks the customer to sign again with ``reason``."""
        await self._review(SignatureReview(decision="reject", reason=reason))

    async def _review(self, review: SignatureReview) -> None:
        call = self.state.call
        if call is None or self.api is None:
            return
        try:
            await self.api.review_signature(call.session_id, review)
        except WorkstationApiError as exc:
            self.message.emit(translate_text(exc.text))
            return
        self.state.signature_decided(review.decision == "accept", review.reason)
        if review.decision == "reject":
            self._poll.start()  # the customer signs again

    # --- business ---

    @asyncSlot(dict)
    async def submit_business(self, params: dict[str, str]) -> None:
        """Submit the form; the server checks the gates and calls core banking."""
        call = self.state.call
        if call is None or self.api is None:
            return
        self.state.log("business", N_("Workstation", "提交业务办理"))
        try:
            result = await self.api.submit_business(call.session_id, params)
        except WorkstationApiError as exc:
            self.state.business_done(False, exc.message)
            return
        ok = bool(result.get("ok"))
        message: Text | str = str(result.get("message") or "")
        if result.get("reference"):
            message = T("Workstation", "{message}(流水号 {reference})").fmt(
                message=message, reference=result["reference"]
            )
        self.state.business_done(ok, message)

    async def aclose(self) -> None:
        """Stop timers and close the HTTP client; a 话后小结 draft of an unfinished wrap-up is kept for next time."""
        self._poll.stop()
        self._wrap_timer.stop()
        self._notes_timer.stop()
        if self.face_monitor is not None:
            await asyncio.to_thread(self.face_monitor.stop)
        draft, call = self.state.wrap_up_notes.strip(), self.state.call
        if self.state.phase == Phase.WRAP_UP and draft and call is not None:
            self.outbox.add(call.session_id, self.state.seat_id, draft)
            logger.info("[%s] unfinished wrap-up: notes kept for the next sign-in", call.session_id)
            self.state.wrap_up_notes = ""
        self.controller.remove_media_tap(self)
        if self._test_output is not None:
            self._test_output.close()
            self._test_output = None
        if self.api is not None:
            await self.api.aclose()
            self.api = None
