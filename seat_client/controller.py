"""The seat controller: a QObject that connects the views to the Qt-free call services.

Views emit requests (示闲, 接听, 挂断...) which land in qasync async slots here; server messages from
:class:`~seat_client.call.connection.SeatConnection` become Qt signals the views bind to. The controller owns the
camera/microphone tracks, the frame pumps and the :class:`~seat_client.call.session.CallSession` of the current call.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import av
from aiortc.contrib.media import MediaRelay
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from PySide6.QtCore import QObject, QTimer, Signal, Slot
from qasync import asyncSlot

from seat_client import __version__
from seat_client.audio.output import RemoteAudioOutput, create_audio_output
from seat_client.call.connection import ConnectionStatus, LoginError, NotConnectedError, SeatConnection
from seat_client.call.ice import pin_ice_host_addresses
from seat_client.call.session import CallSession, CallStats
from seat_client.media.camera import CameraUnavailableError
from seat_client.media.factory import MicrophoneUnavailableError, open_camera, open_microphone
from seat_client.media.fake import FakeCameraPattern, FakeMicrophoneTone
from seat_client.recording.service import CallRecordingService
from seat_client.settings import SeatSettings, load_settings, save_settings
from seat_client.upgrade import CallBlockedError, UpgradeCheck, UpgradeStatus, check_upgrade, ensure_call_allowed
from seat_client.video.frame_pump import FramePump
from wire import (
    CallAnswered,
    CallEnded,
    CallOffered,
    CallTransferred,
    CallWithdrawn,
    ErrorMessage,
    IceCandidate,
    Notice,
    QueueStats,
    SeatAnswerCall,
    SeatDeclineCall,
    SeatHangup,
    SeatSetState,
    SeatState,
    SeatStateChanged,
    SeatTransfer,
    SessionDescription,
    Welcome,
)

logger = logging.getLogger(__name__)


class CallMediaTap(Protocol):
    """Receives the call's media while a call is up (e.g. the 双录 recorder, ``CallRecorder`` fits as is).

    Both methods are called on the event loop and must return at once (queue, drop, never encode inline).
    ``source`` is ``"customer"`` or ``"teller"``.
    """

    def push_video(self, source: str, frame: av.VideoFrame) -> None:
        """One decoded video frame."""

    def push_audio(self, source: str, frame: av.AudioFrame) -> None:
        """One audio frame."""


CUSTOMER = "customer"
TELLER = "teller"

REMOTE_VIDEO_STALL_S = 10.0
"""Seconds without a customer frame before the teller is warned."""


class SeatController(QObject):
    """Drives one signed-in seat.

    Attributes:
        remote_pump: frame pump of the customer's video; ``remote_pump.counters`` (received/decoded/delivered/
            drawn/dropped) accumulate over all calls of this run.
        local_pump: frame pump of the teller's own preview.
        audio_output: where the customer's audio goes (QtAudioOutput or SilentAudioSink).
        calls_completed: calls that reached ``call_ended`` after being answered, or were transferred away (转接).
        session: the current call's CallSession, or None.
        offered: the call now ringing, or None.
        seat_state: the server's last word on this seat's state.
        upgrade: the client-version verdict from sign-in (灰度升级); below the minimum no call may start.
    """

    loginSucceeded = Signal(str, str)
    """seat_id, display_name."""
    loginFailed = Signal(str)
    """Chinese message."""
    connectionChanged = Signal(str)
    seatStateChanged = Signal(str, str)
    """state, reason ('' if none)."""
    waitingChanged = Signal(int)
    callOffered = Signal(str, str, float, float)
    """business label, customer name, seconds waited, seconds left to answer."""
    callStarted = Signal(str, str)
    """business label, customer name (the seat won the call; media connects next)."""
    mediaConnected = Signal()
    callEnded = Signal(str)
    """Chinese message shown in the idle page."""
    statsUpdated = Signal(object)
    """CallStats."""
    message = Signal(str)
    """Notices and errors for the status bar (Chinese)."""
    exitRequested = Signal()
    """``exit_after_calls`` was reached."""
    recordingChanged = Signal(bool)
    """双录 started (True) or stopped (False); the recorder emits it, the workstation shows the indicator."""
    recordingStatus = Signal(str, str)
    """双录 indicator: state (``idle``/``recording``/``uploading``/``error``) and Chinese text (录像中...)."""
    transferFailed = Signal(str)
    """The server refused a 转接 (Chinese reason); the call goes on."""

    def __init__(
        self,
        settings: SeatSettings,
        *,
        exit_after_calls: int | None = None,
        parent: QObject | None = None,
        settings_path: Path | None = None,
    ) -> None:
        super().__init__(parent)
        self.settings = settings
        self.settings_path = settings_path
        """Where the pinned recording key id is remembered (None: not saved)."""
        self.recording: CallRecordingService | None = None
        """The 双录 service (created at sign-in)."""
        self._welcome_time: tuple[datetime, float] | None = None
        self.exit_after_calls = exit_after_calls
        self.connection: SeatConnection | None = None
        self.last_login_error: str | None = None
        """Why the last sign-in failed (LoginError.code: ``unreachable``, ``bad_credentials``…); None after success."""
        self.upgrade: UpgradeCheck | None = None
        self.remote_pump = FramePump("remote", parent=self)
        self.local_pump = FramePump("local", parent=self)
        self.audio_output: RemoteAudioOutput | None = None
        self.relay = MediaRelay()
        self.camera: MediaStreamTrack | None = None
        self.microphone: MediaStreamTrack | None = None
        self.session: CallSession | None = None
        self.offered: CallOffered | None = None
        self.seat_state: str = SeatState.OFFLINE
        self.display_name = ""
        self.calls_completed = 0
        self._call_info: tuple[str, str] = ("", "")
        self._background: set[asyncio.Future[Any]] = set()
        self._ready_after_call = False
        self._call_business_type = ""
        self.transfer_pending: str | None = None
        """Session id of a 转接 sent and not yet answered (``call_transferred`` or ``error``)."""
        self.recording_drain_timeout_s = 10.0
        """At sign-out, how long to wait for the last segments to upload (the rest goes at the next start)."""
        self._last_remote_count = 0
        self._last_remote_change = time.monotonic()
        self._stall_warned = False
        self.remote_video_stall_s = REMOTE_VIDEO_STALL_S
        self._shutdown: asyncio.Future[None] | None = None
        self.media_taps: list[CallMediaTap] = []
        """Receivers of the call's media (customer and teller, video and audio) while a call is up."""
        self._mic_tap_task: asyncio.Task[None] | None = None
        self.remote_pump.on_frame = lambda frame: self._tap_video(CUSTOMER, frame)
        self.local_pump.on_frame = lambda frame: self._tap_video(TELLER, frame)
        self._stats_timer = QTimer(self)
        self._stats_timer.setInterval(2000)
        self._stats_timer.timeout.connect(self._sample_stats)
        pin_ice_host_addresses(settings.ice_bind_addresses)

    # --- sign-in and media -------------------------------------------------------------------------------------------

    async def login(self, server_url: str, seat_id: str, password: str) -> bool:
        """Sign in and connect; emits loginSucceeded or loginFailed (Chinese). Returns success."""
        if self.connection is not None:
            await self.connection.close()
        self.settings.server_url = server_url
        self.settings.seat_id = seat_id
        connection = SeatConnection(server_url, seat_id, password, ca_cert=self.settings.ca_cert)
        connection.add_listener(self._on_message)
        connection.add_status_listener(self._on_status)
        try:
            response = await connection.start()
        except LoginError as exc:
            logger.warning("login failed for seat %s: %s", seat_id, exc.code)
            self.last_login_error = exc.code
            self.loginFailed.emit(exc.message)
            return False
        self.last_login_error = None
        self.connection = connection
        self.display_name = response.display_name
        status = response.client_version_status
        self.upgrade = check_upgrade(status.model_dump() if status is not None else None)
        self.open_media()
        self.loginSucceeded.emit(seat_id, response.display_name)
        if self.upgrade.notice:
            self.message.emit(self.upgrade.notice)  # 升级提示 (upgrade available, or below the minimum)
        await self._start_recording(connection)
        return True

    # --- 双录 ---------------------------------------------------------------------------------------------------------

    async def _start_recording(self, connection: SeatConnection) -> None:
        """Create the recording service (once) and start it: key fetch and pin, then upload of any leftovers."""
        if self.recording is None:
            spool_dir = Path(self.settings.recording_spool_dir) if self.settings.recording_spool_dir else None
            if spool_dir is None:
                import platformdirs

                from seat_client import APP_AUTHOR, APP_NAME

                spool_dir = Path(platformdirs.user_data_dir(APP_NAME, APP_AUTHOR)) / "recording-spool"
            self.recording = CallRecordingService(
                spool_dir,
                self.settings.recording_spool_limit_mb * 1024 * 1024,
                self._recording_status,
                pinned_key_id=self.settings.recording_key_id,
                on_key_pinned=self._pin_recording_key,
                segment_seconds=self.settings.recording_segment_seconds,
                width=self.settings.recording_width,
                height=self.settings.recording_height,
            )
            self.add_media_tap(self.recording)

        def headers() -> dict[str, str]:
            response = connection.login_response
            return {"Authorization": f"Bearer {response.token}"} if response is not None else {}

        if self._welcome_time is not None:
            self.recording.set_server_time(*self._welcome_time)
        await self.recording.start(self.settings.server_url, headers, verify=connection.http_verify)

    def _recording_status(self, state: str, text: str) -> None:
        self.recordingStatus.emit(state, text)
        if state == "error" and text:
            self.message.emit(text)

    def _pin_recording_key(self, key_id: str) -> None:
        self.settings.recording_key_id = key_id
        if self.settings_path is None:
            return
        try:
            stored = load_settings(self.settings_path, environ={})
            stored.recording_key_id = key_id
            save_settings(stored, self.settings_path)
        except Exception:
            logger.warning("could not remember the recording key id in %s", self.settings_path, exc_info=True)

    def _start_call_recording(self) -> None:
        session = self.session
        if session is None or self.recording is None or self.recording.recorder is not None:
            return
        business_type = self._call_business_type
        if self.recording.start_call(session.session_id, self.settings.seat_id, business_type):
            self.recordingChanged.emit(True)

    @asyncSlot(str, str, str)
    async def on_login_requested(self, server_url: str, seat_id: str, password: str) -> None:
        """Slot for the login dialog."""
        await self.login(server_url, seat_id, password)

    def open_media(self) -> None:
        """Open the camera (preview starts) and microphone, and the audio output."""
        if self.camera is None:
            try:
                self.camera = open_camera(self.settings.camera, self.settings.camera_fps)
            except CameraUnavailableError as exc:
                logger.error("camera %r unavailable: %s", self.settings.camera, exc.message)
                self.message.emit(f"{exc.message},已改用测试画面")
                self.camera = FakeCameraPattern(fps=self.settings.camera_fps)
            logger.info(
                "camera: %s at %d fps",
                getattr(self.camera, "label", type(self.camera).__name__),
                self.settings.camera_fps,
            )
            self.local_pump.attach(self.relay.subscribe(self.camera, buffered=False))
        if self.microphone is None and self.settings.microphone != "none":
            try:
                self.microphone = open_microphone(self.settings.microphone)
            except MicrophoneUnavailableError as exc:
                logger.error("microphone %r unavailable: %s", self.settings.microphone, exc.message)
                self.message.emit(f"{exc.message},已改用测试音")
                self.microphone = FakeMicrophoneTone()
        if self.audio_output is None:
            self.audio_output = create_audio_output()
            self.audio_output.on_frame = lambda frame: self._tap_audio(CUSTOMER, frame)
            logger.info("audio output: %s", self.audio_output.description)

    # --- requests from the views -------------------------------------------------------------------------------------

    async def _send(self, message: Any) -> bool:
        if self.connection is None:
            self.message.emit("尚未签入")
            return False
        try:
            await self.connection.send(message)
        except NotConnectedError:
            self.message.emit("与服务器的连接已中断,请稍候重试")
            return False
        return True

    def _call_allowed(self) -> bool:
        """False (and the teller is told why) when this client is below the minimum version."""
        try:
            ensure_call_allowed(self.upgrade)
        except CallBlockedError as exc:
            logger.warning("refused: client %s below the minimum version", __version__)
            self.message.emit(exc.message)
            return False
        return True

    def _server_says_outdated(self, text: str) -> bool:
        """The server refused this client's version (at connect or on 示闲): remember it; True if it is news."""
        if self.upgrade is not None and not self.upgrade.may_start_call and self.upgrade.message == text:
            return False
        current = self.upgrade.current if self.upgrade is not None else __version__
        minimum = self.upgrade.minimum if self.upgrade is not None else None
        recommended = self.upgrade.recommended if self.upgrade is not None else None
        self.upgrade = UpgradeCheck(UpgradeStatus.BELOW_MINIMUM, current, recommended, minimum, text)
        return True

    @asyncSlot()
    async def set_ready(self) -> None:
        """示闲 (refused here, with the reason, when the client is below the minimum version)."""
        if self._call_allowed():
            await self._send(SeatSetState(state=SeatState.READY))

    @asyncSlot(str)
    async def set_not_ready(self, reason: str) -> None:
        """示忙 with a reason code."""
        await self._send(SeatSetState(state=SeatState.NOT_READY, reason=reason or None))

    @asyncSlot()
    async def answer(self) -> None:
        """接听 the ringing call (refused below the minimum version)."""
        if self.offered is not None and self._call_allowed():
            await self._send(SeatAnswerCall(session_id=self.offered.session_id))

    @asyncSlot()
    async def decline(self) -> None:
        """拒接 the ringing call."""
        if self.offered is not None:
            offered, self.offered = self.offered, None
            await self._send(SeatDeclineCall(session_id=offered.session_id))
            self.callEnded.emit("已拒接来电")

    @asyncSlot()
    async def hangup(self) -> None:
        """挂断 the current call (the server confirms with call_ended)."""
        if self.session is not None:
            await self._send(SeatHangup(session_id=self.session.session_id))

    @asyncSlot(str, str)
    async def transfer(self, kind: str, target_id: str) -> None:
        """转接 the current call to a queue (``kind`` ``"queue"``) or a named seat (``"seat"``, its 工号).

        The server answers ``call_transferred`` (the call ends here, see :meth:`_call_transferred`) or ``error``
        (shown; the call goes on). A second request while one is unanswered is ignored.
        """
        session = self.session
        target_id = target_id.strip()
        if session is None or not target_id or kind not in ("queue", "seat"):
            logger.warning("transfer ignored: no call or no target (%s %r)", kind, target_id)
            return
        if self.transfer_pending == session.session_id:
            logger.info("[%s] transfer already requested; waiting for the server", session.session_id)
            return
        message = (
            SeatTransfer(session_id=session.session_id, queue_id=target_id)
            if kind == "queue"
            else SeatTransfer(session_id=session.session_id, seat_id=target_id)
        )
        logger.info("[%s] transfer to %s %s", session.session_id, kind, target_id)
        self.transfer_pending = session.session_id
        if not await self._send(message):
            self.transfer_pending = None

    async def _call_transferred(self, msg: CallTransferred) -> None:
        """Our 转接 went through: the call ends for this seat exactly as after a hang-up (media, 双录, wrap-up)."""
        if self.transfer_pending == msg.session_id:
            self.transfer_pending = None
        if self.session is None or self.session.session_id != msg.session_id:
            return
        logger.info("[%s] transferred to %s", msg.session_id, msg.queue_id or msg.seat_id)
        await self._call_finished(msg.message)

    async def _call_finished(self, message: str) -> None:
        """The current call is over for this seat (ended or transferred): tear down, count, auto-ready or exit."""
        await self._end_call(message)  # (stops the recording first: counted once it is all done)
        self.calls_completed += 1
        if self.exit_after_calls is not None and self.calls_completed >= self.exit_after_calls:
            logger.info("exit after %d calls", self.calls_completed)
            self.exitRequested.emit()
        else:
            self._ready_after_call = True
            if self.seat_state in (SeatState.NOT_READY, SeatState.WRAP_UP):
                await self._auto_ready()

    # --- server messages ---------------------------------------------------------------------------------------------

    async def _on_status(self, status: ConnectionStatus) -> None:
        self.connectionChanged.emit(str(status))
        if status == ConnectionStatus.CLOSED and self.connection is not None and self.connection.terminal_reason:
            self.message.emit(self.connection.terminal_reason)
            self._set_state(SeatState.OFFLINE, None)
        if status != ConnectionStatus.CONNECTED and self.session is not None:
            # the server ends a call whose seat dropped; do not keep a half-dead peer connection around
            await self._end_call("与服务器的连接中断,通话已结束")
        elif status != ConnectionStatus.CONNECTED and self.offered is not None:
            self.offered = None  # the server withdraws an offer from a seat that dropped
            self.callEnded.emit("与服务器的连接中断,来电已取消")

    async def _on_message(self, msg: Any) -> None:
        if isinstance(msg, Welcome):
            self.display_name = msg.display_name
            self._welcome_time = (msg.server_time, time.time())
            if self.recording is not None:
                self.recording.set_server_time(*self._welcome_time)
            self._set_state(msg.state, None)
            await self._auto_ready()
        elif isinstance(msg, SeatStateChanged):
            self._set_state(msg.state, msg.reason)
            if self._ready_after_call and msg.state in (SeatState.NOT_READY, SeatState.WRAP_UP):
                await self._auto_ready()
        elif isinstance(msg, QueueStats):
            self.waitingChanged.emit(msg.waiting)
        elif isinstance(msg, CallOffered):
            await self._call_offered(msg)
        elif isinstance(msg, CallAnswered):
            await self._call_answered(msg)
        elif isinstance(msg, CallWithdrawn):
            if self.offered is not None and self.offered.session_id == msg.session_id:
                self.offered = None
                self.callEnded.emit(msg.message)
        elif isinstance(msg, SessionDescription | IceCandidate):
            if self.session is not None and msg.session_id in (None, self.session.session_id):
                await self.session.handle_remote(msg)
        elif isinstance(msg, CallEnded):
            if self.session is not None and self.session.session_id == msg.session_id:
                await self._call_finished(msg.message)
            elif self.offered is not None and self.offered.session_id == msg.session_id:
                self.offered = None
                self.callEnded.emit(msg.message)
        elif isinstance(msg, CallTransferred):
            await self._call_transferred(msg)
        elif isinstance(msg, Notice):
            if msg.code != "client_outdated" or self._server_says_outdated(msg.message):
                self.message.emit(msg.message)
        elif isinstance(msg, ErrorMessage):
            logger.warning("server error %s: %s", msg.code, msg.message)
            if msg.code == "client_outdated":
                self._server_says_outdated(msg.message)
            self.message.emit(msg.message)
            if self.transfer_pending is not None and msg.session_id == self.transfer_pending:
                self.transfer_pending = None  # refused (seat_offline, no_skill, same_seat...): the call goes on
                self.transferFailed.emit(msg.message)
            offered = self.offered
            if offered is not None and msg.session_id == offered.session_id and msg.code != "already_answered":
                # the ringing call cannot be answered any more (taken elsewhere, ended...): back to idle
                self.offered = None
                self.callEnded.emit(msg.message)

    async def _auto_ready(self) -> None:
        """Demo/benchmark mode: go ready without a click (only right after sign-in and after a call)."""
        self._ready_after_call = False
        if (self.settings.auto_ready or self.settings.auto_answer) and self.seat_state in (
            SeatState.NOT_READY,
            SeatState.WRAP_UP,
        ):
            if not self._call_allowed():
                return
            logger.info("auto-ready: %s -> ready", self.seat_state)
            await self._send(SeatSetState(state=SeatState.READY))

    def _set_state(self, state: str, reason: str | None) -> None:
        self.seat_state = state
        self.seatStateChanged.emit(str(state), reason or "")

    async def _call_offered(self, msg: CallOffered) -> None:
        self.offered = msg
        queued = msg.queued_at if msg.queued_at.tzinfo else msg.queued_at.replace(tzinfo=UTC)
        waited = max(0.0, (datetime.now(UTC) - queued).total_seconds())
        logger.info("[%s] call offered: %s", msg.session_id, msg.business_type)
        self.callOffered.emit(msg.business_label, msg.customer_name, waited, msg.ring_timeout_s)
        if self.settings.auto_answer and self._call_allowed():
            await self._send(SeatAnswerCall(session_id=msg.session_id))

    async def _call_answered(self, msg: CallAnswered) -> None:
        offered = self.offered if self.offered and self.offered.session_id == msg.session_id else None
        self.offered = None
        self._call_info = (offered.business_label, offered.customer_name) if offered else ("", "")
        self._call_business_type = offered.business_type if offered else ""
        if self.session is not None:
            await self._end_call("")
        self.open_media()
        assert self.connection is not None
        connection = self.connection
        self.session = CallSession(
            msg.session_id,
            connection.send,
            self.camera,
            self.microphone,
            relay=self.relay,
            on_track=self._remote_track,
            on_state=self._peer_state,
            frames_decoded=lambda: self.remote_pump.counters.decoded,
        )
        self.callStarted.emit(*self._call_info)
        self._last_remote_count = self.remote_pump.counters.received
        self._last_remote_change = time.monotonic()
        self._stall_warned = False
        self._start_mic_tap()
        self._stats_timer.start()
        try:
            await self.session.start()
        except Exception:
            logger.exception("[%s] could not start the call", msg.session_id)
            self.message.emit("视频通话建立失败")
            await self._send(SeatHangup(session_id=msg.session_id))

    # --- media taps (双录) ------------------------------------------------------------------------------------------

    def add_media_tap(self, tap: CallMediaTap) -> None:
        """Start feeding ``tap`` with the call's media (from the next frame on)."""
        self.media_taps.append(tap)

    def remove_media_tap(self, tap: CallMediaTap) -> None:
        """Stop feeding ``tap``."""
        if tap in self.media_taps:
            self.media_taps.remove(tap)

    def _tap_video(self, source: str, frame: av.VideoFrame) -> None:
        if self.session is None:
            return  # the preview runs all day; only a call's media is tapped
        for tap in list(self.media_taps):
            try:
                tap.push_video(source, frame)
            except Exception:
                logger.exception("media tap %r failed", tap)

    def _tap_audio(self, source: str, frame: av.AudioFrame) -> None:
        if self.session is None:
            return
        for tap in list(self.media_taps):
            try:
                tap.push_audio(source, frame)
            except Exception:
                logger.exception("media tap %r failed", tap)

    def _start_mic_tap(self) -> None:
        """The teller's own microphone goes to the peer through the relay; taps get their own subscription."""
        if self.microphone is None:
            return
        track = self.relay.subscribe(self.microphone, buffered=False)

        async def run() -> None:
            try:
                while True:
                    frame = await track.recv()
                    if isinstance(frame, av.AudioFrame):
                        self._tap_audio(TELLER, frame)
            except MediaStreamError:
                pass
            finally:
                track.stop()

        self._mic_tap_task = asyncio.get_running_loop().create_task(run(), name="mic-tap")

    def _stop_mic_tap(self) -> None:
        if self._mic_tap_task is not None:
            self._mic_tap_task.cancel()
            self._mic_tap_task = None

    def _remote_track(self, track: MediaStreamTrack) -> None:
        if track.kind == "video":
            self.remote_pump.attach(track)
        elif track.kind == "audio" and self.audio_output is not None:
            self.audio_output.attach(track)

    def _peer_state(self, state: str) -> None:
        if state == "connected":
            self._start_call_recording()  # 双录 from the moment media flows until the call ends
            self.mediaConnected.emit()
        elif state == "failed" and self.session is not None:
            session_id = self.session.session_id
            logger.warning("[%s] media connection failed: hanging up", session_id)
            self.message.emit("视频连接失败,已挂断")
            self._background.add(task := asyncio.ensure_future(self._send(SeatHangup(session_id=session_id))))
            task.add_done_callback(self._background.discard)

    async def _end_call(self, message: str) -> None:
        self._stats_timer.stop()
        self.transfer_pending = None
        self._stop_mic_tap()
        session, self.session = self.session, None
        self.remote_pump.detach()
        if self.audio_output is not None:
            self.audio_output.detach()
        if session is not None:
            await session.close()
        if self.recording is not None and self.recording.recorder is not None:
            self.recording.begin_stop()  # the last segment is finished in the background (never delays the UI)
            self.recordingChanged.emit(False)
        self.callEnded.emit(message or "通话已结束")

    @asyncSlot()
    async def _sample_stats(self) -> None:
        if self.session is None:
            return
        self._check_remote_video()
        try:
            stats: CallStats = await self.session.stats()
        except Exception:
            logger.debug("stats unavailable", exc_info=True)
            return
        if stats.recv_fps is not None:  # the first sample has no interval to rate over
            self.statsUpdated.emit(stats)

    def _check_remote_video(self) -> None:
        """Warn the teller once when the customer's video stalls (aiortc itself needs ~30 s to notice a dead path)."""
        received = self.remote_pump.counters.received
        now = time.monotonic()
        if received != self._last_remote_count:
            self._last_remote_count, self._last_remote_change = received, now
            self._stall_warned = False
        elif (
            self.session is not None
            and self.session.connection_state == "connected"
            and now - self._last_remote_change > self.remote_video_stall_s
            and not self._stall_warned
        ):
            self._stall_warned = True
            logger.warning("[%s] no customer video for %.0f s", self.session.session_id, self.remote_video_stall_s)
            self.message.emit(f"客户画面已中断超过 {self.remote_video_stall_s:.0f} 秒,请确认客户网络")

    def snapshot(self) -> dict[str, Any]:
        """Counters for tests, demos and benchmarks (JSON-serialisable)."""
        audio = self.audio_output
        return {
            "seat_id": self.settings.seat_id,
            "seat_state": str(self.seat_state),
            "calls_completed": self.calls_completed,
            "remote_video": self.remote_pump.counters.as_dict(),
            "local_video": self.local_pump.counters.as_dict(),
            "remote_audio": {
                "output": audio.description if audio else None,
                "frames_received": audio.frames_received if audio else 0,
                "frames_played": audio.frames_played if audio else 0,
                "frames_discarded": audio.frames_discarded if audio else 0,
            },
        }

    # --- shutdown ----------------------------------------------------------------------------------------------------

    async def shutdown(self) -> None:
        """Hang up, sign out and release camera, microphone and audio; later calls wait for the first one."""
        if self._shutdown is None:
            self._shutdown = asyncio.ensure_future(self._shutdown_once())
        await asyncio.shield(self._shutdown)

    async def _shutdown_once(self) -> None:
        self._stats_timer.stop()
        if self.session is not None:
            with contextlib.suppress(Exception):
                await self._send(SeatHangup(session_id=self.session.session_id))
            await self._end_call("")
        if self.recording is not None:
            await self.recording.aclose(drain_timeout_s=self.recording_drain_timeout_s)
        if self.connection is not None:
            await self.connection.close(logout=True)
        self.local_pump.stop()
        self.remote_pump.stop()
        for track in (self.camera, self.microphone):
            if track is not None:
                track.stop()
        if self.audio_output is not None:
            self.audio_output.close()
            self.audio_output.on_frame = None
        # break the reference cycles through this controller so it never waits for the cyclic collector
        self.remote_pump.on_frame = None
        self.local_pump.on_frame = None
        self.media_taps.clear()

    @Slot()
    def request_shutdown(self) -> None:
        """Schedule :meth:`shutdown` (for Qt close events)."""
        self._background.add(task := asyncio.ensure_future(self.shutdown()))
        task.add_done_callback(self._background.discard)
