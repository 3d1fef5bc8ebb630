"""Resumable upload against the real recordings router served by uvicorn on loopback."""

from __future__ import annotations

import asyncio
import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from seat_client.recording.spool import SegmentSpool, SpoolFullError, SpoolLevel, SpoolStatus
from seat_client.recording.uploader import SegmentUploader
from server.recordings.serving import ThreadedServer
from server.recordings.store import RecordingStore
from tests.server.recordings.apphelper import SEAT1, build_app
from wire.recording_format import RecordingKey, decrypt_segment, encrypt_segment

CHUNK = 64 * 1024


class LiveServer:
    """The recordings app over one data dir; restart() is a server restart on the same port."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.server: ThreadedServer | None = None
        self.store: RecordingStore | None = None
        self.port = 0

    def start(self) -> None:
        app, self.store = build_app(self.data_dir)
        self.server = ThreadedServer(app, self.port).start()
        self.port = self.server.port

    def stop(self) -> None:
        assert self.server is not None
        self.server.stop()

    def restart(self) -> None:
        self.stop()
        self.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveServer]:
    server = LiveServer(tmp_path / "server-data")
    server.start()
    yield server
    server.stop()


def spool_segments(spool: SegmentSpool, key: X25519PrivateKey, count: int, size: int) -> dict[str, bytes]:
    """Writes ``count`` encrypted segments of one recording into the spool; returns name -> file bytes."""
    rk = RecordingKey.generate("rec42", key.public_key())
    files = {}
    for i in range(count):
        data = encrypt_segment(os.urandom(size), rk, i, {"session_id": "S42", "business_type": "sms_signing"})
        name = f"rec42_{i:05d}.vtseg"
        spool.write(name, data)
        files[name] = data
    return files


def assert_stored_identical(live: LiveServer, files: dict[str, bytes], key: X25519PrivateKey) -> None:
    assert live.store is not None
    stored = live.store.segments_for_session("S42")
    assert len(stored) == len(files)
    for seg in stored:
        original = files[f"rec42_{seg.segment_index:05d}.vtseg"]
        assert seg.path.read_bytes() == original
        assert decrypt_segment(seg.path.read_bytes(), key)[0].segment_index == seg.segment_index


class FaultyTransport(httpx.AsyncBaseTransport):
    """Real HTTP over loopback, with network faults injected: cut the connection, or damage one chunk body."""

    def __init__(self, cut_after_patches: int | None = None, corrupt_patch: int | None = None) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.patches = 0
        self.cut_after_patches = cut_after_patches
        self.corrupt_patch = corrupt_patch

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "PATCH":
            self.patches += 1
            if self.cut_after_patches is not None and self.patches > self.cut_after_patches:
                raise httpx.ConnectError("network cable unplugged (simulated)")
            if self.patches == self.corrupt_patch:
                body = bytearray(request.read())
                body[len(body) // 2] ^= 0xFF
                request = httpx.Request(request.method, request.url, headers=request.headers, content=bytes(body))
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


async def no_sleep(_delay: float) -> None:
    await asyncio.sleep(0)


async def test_upload_resumes_after_cuts_and_server_restart(
    tmp_path: Path, live: LiveServer, server_key: X25519PrivateKey
) -> None:
    spool = SegmentSpool(tmp_path / "spool")
    files = spool_segments(spool, server_key, count=3, size=300_000)

    # 1. The network dies after a few chunks.
    cut = SegmentUploader(spool, live.url, SEAT1, CHUNK, transport=FaultyTransport(cut_after_patches=3), sleep=no_sleep)
    assert await cut.drain(max_attempts=2) == 0
    await cut.aclose()
    assert live.store is not None
    partial = next(iter(live.store.db.query("select * from uploads")))
    assert partial["offset"] == 3 * CHUNK

    # 2. The server restarts over the same data dir; 3. a new uploader resumes at the committed offset.
    live.restart()
    up = SegmentUploader(spool, live.url, SEAT1, CHUNK, sleep=no_sleep)
    assert await up.drain() == 3
    await up.aclose()
    sent_first = up.stats.bytes_sent
    assert sent_first == sum(len(d) for d in files.values()) - 3 * CHUNK
    assert spool.pending() == []
    assert_stored_identical(live, files, server_key)


async def test_client_killed_mid_stream_next_uploader_finishes(
    tmp_path: Path, live: LiveServer, server_key: X25519PrivateKey
) -> None:
    spool = SegmentSpool(tmp_path / "spool")
    files = spool_segments(spool, server_key, count=2, size=400_000)
    first = SegmentUploader(spool, live.url, SEAT1, CHUNK)
    stop = asyncio.Event()
    task = asyncio.create_task(first.run(stop))

    def some_bytes_committed() -> bool:
        assert live.store is not None
        return any(r["offset"] > 0 for r in live.store.db.query("select offset from uploads"))

    for _ in range(2000):
        if some_bytes_committed():
            break
        await asyncio.sleep(0.005)
    task.cancel()  # the seat client is killed: no cleanup, connections dropped
    with pytest.raises(asyncio.CancelledError):
        await task
    await first.aclose()
    assert spool.pending(), "nothing may be deleted before the server acknowledges"

    # Next start of the seat client: a new uploader over the same spool finds and finishes everything.
    second = SegmentUploader(SegmentSpool(tmp_path / "spool"), live.url, SEAT1, CHUNK)
    await second.drain()
    await second.aclose()
    assert spool.pending() == []
    assert_stored_identical(live, files, server_key)


async def test_corrupted_chunk_is_rejected_and_resent(
    tmp_path: Path, live: LiveServer, server_key: X25519PrivateKey
) -> None:
    spool = SegmentSpool(tmp_path / "spool")
    files = spool_segments(spool, server_key, count=1, size=300_000)
    up = SegmentUploader(spool, live.url, SEAT1, CHUNK, transport=FaultyTransport(corrupt_patch=2))
    assert await up.drain() == 1
    await up.aclose()
    assert up.stats.checksum_rejections == 1
    assert_stored_identical(live, files, server_key)


async def test_raw_protocol_errors_are_clear(live: LiveServer, server_key: X25519PrivateKey) -> None:
    rk = RecordingKey.generate("rec42", server_key.public_key())
    data = encrypt_segment(os.urandom(1000), rk, 0, {"session_id": "S42"})
    body = {
        "recording_id": "rec42",
        "session_id": "S42",
        "segment_index": 0,
        "length": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
    }
    async with httpx.AsyncClient(base_url=live.url) as client:
        assert (await client.post("/api/recordings/uploads", json=body)).status_code == 401
        created = await client.post("/api/recordings/uploads", json=body, headers=SEAT1)
        assert created.status_code == 201
        uid = created.json()["upload_id"]
        assert created.headers["Location"].endswith(uid)
        head = await client.head(f"/api/recordings/uploads/{uid}", headers=SEAT1)
        assert head.headers["Upload-Offset"] == "0" and head.headers["Upload-Length"] == str(len(data))
        wrong = await client.patch(
            f"/api/recordings/uploads/{uid}",
            content=data,
            headers={
                **SEAT1,
                "Upload-Offset": "0",
                "Upload-Checksum": "sha256 " + "A" * 43 + "=",
                "Content-Type": "application/offset+octet-stream",
            },
        )
        assert wrong.status_code == 460
        assert wrong.json()["detail"]["code"] == "checksum_mismatch"
        assert "重新发送" in wrong.json()["detail"]["message"]
        other = await client.get(f"/api/recordings/uploads/{uid}", headers={"Authorization": "Bearer tok-seat-2"})
        assert other.status_code == 403
        early = await client.post(f"/api/recordings/uploads/{uid}/complete", headers=SEAT1)
        assert early.status_code == 409 and early.json()["detail"]["offset"] == 0


async def test_spool_near_limit_warns_in_chinese(tmp_path: Path, server_key: X25519PrivateKey) -> None:
    statuses: list[SpoolStatus] = []
    spool = SegmentSpool(tmp_path / "spool", limit_bytes=1_000_000, warn_ratio=0.5, on_status=statuses.append)
    spool_segments(spool, server_key, count=2, size=300_000)
    assert statuses[-1].level == SpoolLevel.WARN
    assert "即将用满" in statuses[-1].message and "请勿关闭" in statuses[-1].message
    with pytest.raises(SpoolFullError, match="已满"):
        spool_segments(spool, server_key, count=4, size=300_000)
    assert spool.used_bytes() <= 1_000_000


async def test_conflicting_segment_is_quarantined_not_deleted(
    tmp_path: Path, live: LiveServer, server_key: X25519PrivateKey
) -> None:
    spool = SegmentSpool(tmp_path / "spool")
    spool_segments(spool, server_key, count=1, size=10_000)
    up = SegmentUploader(spool, live.url, SEAT1, CHUNK)
    assert await up.drain() == 1
    # Another file claiming to be the same segment (e.g. a restored backup of a different recording key).
    spool_segments(spool, server_key, count=1, size=10_000)
    assert await up.drain() == 0
    await up.aclose()
    assert up.stats.quarantined == 1
    assert spool.pending() == []
    assert [p.name for p in (spool.directory / "rejected").iterdir()] == ["rec42_00000.vtseg"]


class VanishingTransport(httpx.AsyncBaseTransport):
    """Real HTTP; when the first upload is created, its file leaves the spool (another uploader finished it)."""

    def __init__(self, path: Path) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.path = path

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if request.method == "POST" and request.url.path.endswith("/uploads") and self.path.exists():
            self.path.unlink()
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


async def test_a_segment_that_leaves_the_spool_mid_upload_is_skipped(
    tmp_path: Path, live: LiveServer, server_key: X25519PrivateKey
) -> None:
    spool = SegmentSpool(tmp_path / "spool")
    files = spool_segments(spool, server_key, count=2, size=200_000)
    first = spool.pending()[0]
    up = SegmentUploader(spool, live.url, SEAT1, CHUNK, transport=VanishingTransport(first), sleep=no_sleep)
    assert await up.drain() == 1  # the vanished one is skipped, the other still goes
    await up.aclose()
    assert spool.pending() == []
    assert live.store is not None
    stored = live.store.segments_for_session("S42")
    assert [s.segment_index for s in stored] == [1]
    assert stored[0].path.read_bytes() == files["rec42_00001.vtseg"]
