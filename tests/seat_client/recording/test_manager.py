"""RecordingManager end to end: a recorded call is spooled, uploaded in the background and stored on the server."""

from __future__ import annotations

import asyncio
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from seat_client.recording.clock import FakeClock
from seat_client.recording.manager import RecordingManager
from seat_client.recording.recorder import MediaSource, RecorderConfig
from tests.server.recordings.apphelper import SEAT1
from wire.recording_format import decrypt_segment

from .helpers import pattern_frame, tone_frame
from .test_uploader import LiveServer


async def wait_until(condition, timeout: float = 20.0) -> bool:  # type: ignore[no-untyped-def]
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            return False
        await asyncio.sleep(0.01)
    return True


async def test_recorded_call_reaches_the_server(tmp_path: Path, server_key: X25519PrivateKey) -> None:
    live = LiveServer(tmp_path / "server")
    live.start()
    clock = FakeClock()
    manager = RecordingManager(tmp_path / "spool", live.url, SEAT1, server_key.public_key(), clock=clock)
    try:
        await manager.start()
        cfg = RecorderConfig(
            session_id="S77", seat_id="seat-1", width=320, height=180, segment_seconds=1.0, business_type="sms_signing"
        )
        recorder = manager.start_call(cfg)
        t0 = clock.now()
        for i in range(75):
            recorder.push_video(MediaSource.CUSTOMER, pattern_frame(320, 240, i), t0 + i / 30)
            recorder.push_audio(MediaSource.CUSTOMER, tone_frame(440, i * 1600, 1600), t0 + (i + 1) / 30)
            clock.advance(1 / 30)
            target = i - 6
            assert await wait_until(lambda t=target: recorder.stats.frames_encoded >= t)
        segments = await manager.stop_call()
        assert [s.frames for s in segments] == [30, 30, 15]
        assert live.store is not None
        store = live.store
        assert await wait_until(lambda: len(store.segments_for_session("S77")) == 3 and not manager.spool.pending())
        assert store.recording_complete(cfg.recording_id)
        for seg in store.segments_for_session("S77"):
            header, _plain = decrypt_segment(seg.path.read_bytes(), server_key)
            assert header.meta["session_id"] == "S77"
    finally:
        await manager.aclose()
        live.stop()
