"""CallRecordingService: the recording key is fetched, pinned on first use, a change is reported, failures are clear."""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from fastapi import FastAPI

from seat_client.recording.service import ERROR, IDLE, CallRecordingService
from server.recordings.router import build_recordings_router
from server.recordings.serving import ThreadedServer
from server.recordings.store import RecordingStore
from tests.server.recordings.apphelper import SEAT1, authenticate_seat
from wire.recording_format import key_id_of

from .test_manager import wait_until


def _server(data_dir: Path, key: X25519PrivateKey) -> ThreadedServer:
    app = FastAPI()
    raw = key.public_key().public_bytes_raw()
    app.include_router(build_recordings_router(RecordingStore(data_dir), authenticate_seat, raw))
    return ThreadedServer(app).start()


async def test_key_is_pinned_on_first_use_and_a_change_is_reported(tmp_path: Path) -> None:
    key, other = X25519PrivateKey.generate(), X25519PrivateKey.generate()
    server = _server(tmp_path / "server", key)
    statuses: list[tuple[str, str]] = []
    pinned: list[str] = []
    first = CallRecordingService(tmp_path / "spool", 1 << 30, lambda *s: statuses.append(s), "", pinned.append)
    try:
        assert await first.start(server.url, lambda: SEAT1)
        assert pinned == [key_id_of(key.public_key()).hex()] == [first.key_id]
        assert statuses[-1][0] == IDLE and not first.error
    finally:
        await first.aclose()

    changed = CallRecordingService(
        tmp_path / "spool", 1 << 30, lambda *s: statuses.append(s), key_id_of(other.public_key()).hex(), pinned.append
    )
    try:
        assert await changed.start(server.url, lambda: SEAT1)
        assert statuses[-1][0] == ERROR and "录像密钥已变更" in statuses[-1][1]
        assert len(pinned) == 1  # the pin is not silently replaced
    finally:
        await changed.aclose()
        server.stop()


async def test_unreachable_server_or_refused_token_is_a_clear_error(tmp_path: Path) -> None:
    key = X25519PrivateKey.generate()
    server = _server(tmp_path / "server", key)
    url = server.url
    statuses: list[tuple[str, str]] = []
    service = CallRecordingService(tmp_path / "spool", 1 << 30, lambda *s: statuses.append(s))
    try:
        assert not await service.start(url, lambda: {"Authorization": "Bearer nope"})
        assert "HTTP 401" in service.error
        assert not service.start_call("S1", "seat-1", "password_reset")
        assert statuses[-1][0] == ERROR
    finally:
        server.stop()
    assert not await service.start(url, lambda: SEAT1)
    assert "无法从服务器获取录像密钥" in service.error
    await wait_until(lambda: statuses[-1][0] == ERROR)
