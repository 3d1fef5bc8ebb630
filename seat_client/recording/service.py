"""The seat's 双录 service: fetches and pins the server's recording key, records each call, uploads in the background.

Qt-free. The controller creates it at sign-in, adds it as a media tap, and calls :meth:`start_call` /
:meth:`stop_call` around each call. Status for the teller's indicator goes to ``on_status(state, text)``:

* ``idle`` (no call; nothing left to upload), ``recording`` (录像中), ``uploading`` (录像上传中 n 段),
* ``error`` (录像异常: key refused or changed, spool full, recorder failure) with a Chinese message.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime as dt
import logging
import ssl
from collections.abc import Callable, Mapping
from pathlib import Path

import av
import httpx

from seat_client.recording.manager import RecordingManager, clock_offset_from
from seat_client.recording.recorder import CallRecorder, MediaSource, RecorderConfig, SegmentInfo
from seat_client.recording.spool import SpoolLevel, SpoolStatus
from wire.recording_format import key_id_of, load_public_key

logger = logging.getLogger(__name__)

IDLE = "idle"
RECORDING = "recording"
UPLOADING = "uploading"
ERROR = "error"

_SOURCES = {"customer": MediaSource.CUSTOMER, "teller": MediaSource.TELLER}


class RecordingKeyError(Exception):
    """The server's recording key could not be fetched or is malformed (Chinese ``message``)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


async def fetch_recording_key(
    server_url: str,
    headers: Mapping[str, str],
    transport: httpx.AsyncBaseTransport | None = None,
    verify: ssl.SSLContext | bool = True,
) -> tuple[str, bytes]:
    """``GET /api/recordings/key``; returns ``(key_id hex, raw X25519 public key)`` after checking they match.

    ``verify``: TLS verification for https (the seat connection's ``http_verify``: the bank's CA when configured).
    """
    try:
        async with httpx.AsyncClient(base_url=server_url, timeout=10.0, transport=transport, verify=verify) as client:
            res = await client.get("/api/recordings/key", headers=dict(headers))
    except httpx.HTTPError as exc:
        raise RecordingKeyError("无法从服务器获取录像密钥，请检查网络连接") from exc
    if res.status_code != 200:
        raise RecordingKeyError(f"服务器拒绝提供录像密钥（HTTP {res.status_code}）")
    body = res.json()
    raw = base64.b64decode(body["public_key"])
    key_id = key_id_of(load_public_key(raw)).hex()
    if key_id != body.get("key_id"):
        raise RecordingKeyError("服务器返回的录像密钥与其编号不符，已拒绝使用")
    return key_id, raw


class CallRecordingService:
    """Records every call of this seat and keeps the upload going (a media tap for ``SeatController``).

    Args:
        spool_dir: spool directory.
        spool_limit_bytes: bound of the spool on disk.
        on_status: ``(state, text)`` for the recording indicator; called on the event loop thread.
        pinned_key_id: the key id pinned in settings ("" on first use).
        on_key_pinned: receives a key id to pin (first use).
        segment_seconds: segment length.
        width: recorded width.
        height: recorded height.
        poll_s: how often the number of segments still to upload is refreshed.
    """

    def __init__(
        self,
        spool_dir: Path,
        spool_limit_bytes: int,
        on_status: Callable[[str, str], None],
        pinned_key_id: str = "",
        on_key_pinned: Callable[[str], None] | None = None,
        segment_seconds: float = 10.0,
        width: int = 1280,
        height: int = 720,
        poll_s: float = 1.0,
    ) -> None:
        self.spool_dir = spool_dir
        self.spool_limit_bytes = spool_limit_bytes
        self.on_status = on_status
        self.pinned_key_id = pinned_key_id
        self.on_key_pinned = on_key_pinned
        self.segment_seconds = segment_seconds
        self.width = width
        self.height = height
        self.poll_s = poll_s
        self.manager: RecordingManager | None = None
        self.recorder: CallRecorder | None = None
        self.key_id = ""
        self.server_clock_offset_s = 0.0
        self.error = ""
        self.recorded_sessions: list[str] = []
        self.last_segments: list[SegmentInfo] = []
        """The segments of the last finished recording (media time: ``start_s``/``duration_s`` from its start)."""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._poller: asyncio.Task[None] | None = None
        self._last_status: tuple[str, str] | None = None
        self._spool_warning = ""
        self._stopping: asyncio.Future[None] | None = None

    # ---- lifecycle ----

    async def start(
        self,
        server_url: str,
        auth_headers: Callable[[], Mapping[str, str]],
        verify: ssl.SSLContext | bool = True,
    ) -> bool:
        """Fetches the key (pins/compares it) and starts the uploader, which first sends what a previous run left.

        ``verify`` is the TLS verification for https (the seat connection's ``http_verify``).

        Returns:
            False when recording cannot work (no key); the status then says why.
        """
        self._loop = asyncio.get_running_loop()
        try:
            key_id, raw = await fetch_recording_key(server_url, auth_headers(), verify=verify)
        except RecordingKeyError as exc:
            logger.error("recording key: %s", exc.message)
            self._set_error(exc.message + "，本次通话将无法双录")
            return False
        if not self.pinned_key_id:
            self.pinned_key_id = key_id
            logger.info("recording key %s pinned on first use", key_id)
            if self.on_key_pinned is not None:
                self.on_key_pinned(key_id)
        elif key_id != self.pinned_key_id:
            logger.warning("recording key changed: pinned %s, server now %s", self.pinned_key_id, key_id)
            self._set_error(f"服务器录像密钥已变更（原 {self.pinned_key_id}，现 {key_id}），请联系管理员确认")
        self.key_id = key_id
        if self.manager is None:
            self.manager = RecordingManager(
                self.spool_dir,
                server_url,
                auth_headers,
                load_public_key(raw),
                spool_limit_bytes=self.spool_limit_bytes,
                on_spool_status=self._spool_status,
                on_recording_error=self._recording_error,
                verify=verify,
            )
            await self.manager.start()
            self._poller = asyncio.create_task(self._poll(), name="recording-status")
        self._publish()
        return True

    def set_server_time(self, server_time: dt.datetime, received_at: float | None = None) -> None:
        """From ``welcome.server_time`` (``received_at``: local ``time.time()`` on arrival): the watermark shows
        server time."""
        self.server_clock_offset_s = clock_offset_from(server_time, received_at)

    def start_call(self, session_id: str, seat_id: str, business_type: str, customer_id: str = "") -> bool:
        """Starts recording a connected call; False (and an error status) when recording is unavailable."""
        if self.manager is None:
            self._set_error(self.error or "录像服务未就绪，本次通话未能双录")
            return False
        if self.recorder is not None:
            return True
        config = RecorderConfig(
            session_id=session_id,
            seat_id=seat_id,
            customer_id=customer_id,
            business_type=business_type,
            width=self.width,
            height=self.height,
            segment_seconds=self.segment_seconds,
            server_clock_offset_s=self.server_clock_offset_s,
        )
        try:
            self.recorder = self.manager.start_call(config)
        except Exception:
            logger.exception("[%s] recording could not start", session_id)
            self._set_error("录像启动失败，请联系管理员")
            return False
        self.recorded_sessions.append(session_id)
        logger.info("[%s] recording %s started", session_id, config.recording_id)
        self._publish()
        return True

    async def stop_call(self) -> None:
        """Stops the current recording (finishes the last segment); uploading continues in the background."""
        self.begin_stop()
        await self.wait_stopped()

    def begin_stop(self) -> asyncio.Future[None]:
        """Starts stopping the current recording without waiting (the call's end is not held up by the encoder
        finishing the last segment); :meth:`wait_stopped` / :attr:`stopping` follow it."""
        self.recorder = None
        if self._stopping is None or self._stopping.done():
            self._stopping = asyncio.ensure_future(self._stop_manager_call())
        return self._stopping

    async def _stop_manager_call(self) -> None:
        if self.manager is not None:
            segments = await self.manager.stop_call()
            if segments:
                self.last_segments = segments
                logger.info("recording stopped: %d segments spooled", len(segments))
        self._publish()

    @property
    def stopping(self) -> bool:
        """True while the last recording is still being finished."""
        return self._stopping is not None and not self._stopping.done()

    async def wait_stopped(self) -> None:
        """Waits until the last recording is finished and spooled."""
        if self._stopping is not None:
            await asyncio.shield(self._stopping)

    async def aclose(self, drain_timeout_s: float = 0.0) -> None:
        """Stops recording and uploading; what is not uploaded stays in the spool for the next start.

        Args:
            drain_timeout_s: first wait up to this long for the spool to empty (sign-out after the last call).
        """
        if self.recorder is not None:
            await self.stop_call()
        await self.wait_stopped()
        if self.manager is not None and drain_timeout_s > 0:
            self.manager.uploader.notify()
            loop = asyncio.get_running_loop()
            deadline = loop.time() + drain_timeout_s
            while self.pending_uploads() and loop.time() < deadline:
                await asyncio.sleep(0.1)
        self.recorder = None
        if self._poller is not None:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller
            self._poller = None
        if self.manager is not None:
            await self.manager.aclose()
            self.manager = None

    # ---- media tap ----

    def push_video(self, source: str, frame: av.VideoFrame) -> None:
        """Media tap: one decoded video frame (never blocks)."""
        recorder = self.recorder
        if recorder is not None:
            recorder.push_video(_SOURCES[source], frame)

    def push_audio(self, source: str, frame: av.AudioFrame) -> None:
        """Media tap: one audio frame (never blocks)."""
        recorder = self.recorder
        if recorder is not None:
            recorder.push_audio(_SOURCES[source], frame)

    # ---- status ----

    def pending_uploads(self) -> int:
        """Segments in the spool not yet acknowledged by the server."""
        return len(self.manager.spool.pending()) if self.manager is not None else 0

    def status(self) -> tuple[str, str]:
        """The indicator's current ``(state, text)``."""
        if self.error:
            return ERROR, self.error
        if self.recorder is not None:
            return RECORDING, "● 录像中"
        pending = self.pending_uploads()
        if pending:
            return UPLOADING, f"录像上传中（剩余 {pending} 段）"
        return IDLE, "录像已全部上传" if self.manager is not None else ""

    def _publish(self) -> None:
        status = self.status()
        if status != self._last_status:
            self._last_status = status
            self.on_status(*status)

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self.poll_s)
            try:
                self._publish()
            except Exception:
                logger.exception("recording status failed")

    def _set_error(self, message: str) -> None:
        self.error = message
        self._publish()

    def _from_any_thread(self, fn: Callable[[], None]) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            fn()
        else:
            loop.call_soon_threadsafe(fn)

    def _spool_status(self, status: SpoolStatus) -> None:
        if status.level != SpoolLevel.OK:
            logger.warning("spool: %s", status.message)
            self._spool_warning = status.message
            self._from_any_thread(lambda: self._set_error(status.message))
        elif self._spool_warning and self.error == self._spool_warning:
            self._spool_warning = ""
            self._from_any_thread(lambda: self._set_error(""))

    def _recording_error(self, message: str) -> None:
        logger.error("recording error: %s", message)
        self._from_any_thread(lambda: self._set_error(message))
