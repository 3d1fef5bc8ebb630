"""One object for the seat's call service: spool + background uploader + a recorder per call (双录管理)."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import ssl
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey

from seat_client.recording.clock import MediaClock, SystemClock
from seat_client.recording.recorder import CallRecorder, RecorderConfig, SegmentInfo
from seat_client.recording.spool import SegmentSpool, SpoolStatus
from seat_client.recording.uploader import SegmentUploader

logger = logging.getLogger(__name__)


def clock_offset_from(server_time: dt.datetime, received_at: float | None = None) -> float:
    """Server time minus local wall time, from e.g. ``wire.Welcome.server_time`` (accurate to about half an RTT).

    Args:
        server_time: the server's timestamp (timezone-aware).
        received_at: local ``time.time()`` when it arrived (default: now).
    """
    local = time.time() if received_at is None else received_at
    return server_time.timestamp() - local


class RecordingManager:
    """Owns the spool and the uploader for the seat's lifetime and starts/stops one recorder per call.

    Call :meth:`start` once the event loop runs (it also uploads whatever a previous run left in the spool), then
    :meth:`start_call` when a call connects and :meth:`stop_call` when it ends. ``stop_call`` joins the recorder's
    worker (it finishes the last segment), so it runs in an executor thread and never blocks the loop.

    Args:
        spool_dir: the spool directory (e.g. under the user's data directory).
        server_url: the server base URL.
        auth_headers: the seat's bearer token headers, or a callable returning the current ones.
        server_public_key: the server's recording key (``GET /api/recordings/key``, pinned by key id).
        spool_limit_bytes: local disk bound for the spool.
        on_spool_status: receives spool warnings (Chinese text for the teller), from any thread.
        on_recording_error: receives recording failures (Chinese text), from the recorder thread.
        clock: media clock (inject a fake in tests).
    """

    def __init__(
        self,
        spool_dir: Path,
        server_url: str,
        auth_headers: Mapping[str, str] | Callable[[], Mapping[str, str]],
        server_public_key: X25519PublicKey,
        spool_limit_bytes: int = 4 * 1024**3,
        on_spool_status: Callable[[SpoolStatus], None] | None = None,
        on_recording_error: Callable[[str], None] | None = None,
        clock: MediaClock | None = None,
        verify: ssl.SSLContext | bool = True,
    ) -> None:
        self.spool = SegmentSpool(spool_dir, limit_bytes=spool_limit_bytes, on_status=on_spool_status)
        self.uploader = SegmentUploader(self.spool, server_url, auth_headers, verify=verify)
        self.server_public_key = server_public_key
        self.on_recording_error = on_recording_error
        self.clock = clock or SystemClock()
        self.recorder: CallRecorder | None = None
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Starts the background uploader (scans the spool first)."""
        if self._task is None:
            self._task = asyncio.create_task(self.uploader.run(self._stop), name="recording-uploader")

    def start_call(self, config: RecorderConfig) -> CallRecorder:
        """Starts recording a call; feed the returned recorder with ``push_video`` / ``push_audio``."""
        if self.recorder is not None:
            raise RuntimeError("a call is already being recorded")
        recorder = CallRecorder(
            config,
            self.server_public_key,
            self.spool,
            clock=self.clock,
            on_segment=self._segment_spooled,
            on_error=self.on_recording_error,
        )
        recorder.start()
        self.recorder = recorder
        return recorder

    def _segment_spooled(self, info: SegmentInfo) -> None:
        self.uploader.notify()

    async def stop_call(self) -> list[SegmentInfo]:
        """Stops the current recording (in an executor) and returns its segments."""
        recorder, self.recorder = self.recorder, None
        if recorder is None:
            return []
        return await asyncio.get_running_loop().run_in_executor(None, recorder.stop)

    async def aclose(self) -> None:
        """Stops recording and the uploader; what is not uploaded stays in the spool for the next start."""
        await self.stop_call()
        self._stop.set()
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                logger.debug("uploader stopped")
            self._task = None
        await self.uploader.aclose()
