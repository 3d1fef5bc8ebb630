"""Real recorded segments for playback tests, and long recordings made of them."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from seat_client.recording.clock import FakeClock
from seat_client.recording.recorder import CallRecorder, RecorderConfig
from seat_client.recording.spool import SegmentSpool
from server.recordings.store import RecordingStore, StoredSegment
from tests.seat_client.recording.helpers import SyntheticCall
from wire.recording_format import RecordingKey, decrypt_segment, encrypt_segment


@dataclass(frozen=True)
class PlainSegment:
    """A decrypted segment and the metadata the recorder gave it."""

    meta: dict[str, Any]
    mp4: bytes


def record_degraded_call(
    spool_dir: Path,
    server_key: X25519PrivateKey,
    session_id: str = "S-PLAY",
    seconds_before: float = 2.5,
    seconds_after: float = 3.0,
) -> tuple[RecorderConfig, list[Path]]:
    """Records a synthetic call that degrades to 15 fps mid-way (a starved worker) and recovers; 2 s segments.

    Returns the config and the encrypted segment files in the spool.
    """
    clock = FakeClock()
    cfg = RecorderConfig(
        session_id=session_id,
        seat_id="seat-a",
        width=320,
        height=180,
        segment_seconds=2.0,
        business_type="password_reset",
    )
    rec = CallRecorder(cfg, server_key.public_key(), SegmentSpool(spool_dir), clock=clock)
    rec.start(threaded=False)
    call = SyntheticCall(rec, clock, customer_size=(320, 240), teller_size=(160, 120))
    call.run(seconds_before)
    clock.advance(1.0)  # the worker was starved: the recorder cuts the segment and continues at 15 fps
    rec.run_pending()
    call.run(seconds_after)
    segments = rec.stop()
    assert {s.fps for s in segments} >= {30, 15}, [s.fps for s in segments]
    return cfg, [s.path for s in segments]


def plaintexts(paths: list[Path], server_key: X25519PrivateKey) -> list[PlainSegment]:
    """Decrypts spool files (tests only: the seat itself cannot)."""
    out = []
    for path in paths:
        header, plain = decrypt_segment(path.read_bytes(), server_key)
        out.append(PlainSegment(dict(header.meta), plain))
    return out


def upload(store: RecordingStore, seat_id: str, recording_id: str, session_id: str, index: int, data: bytes) -> Any:
    """Uploads one encrypted segment file into the store in one chunk."""
    digest = hashlib.sha256(data).hexdigest()
    state = store.create_upload(seat_id, recording_id, session_id, index, len(data), digest, "password_reset")
    store.append_chunk(state.upload_id, seat_id, 0, data, hashlib.sha256(data).digest())
    return store.complete_upload(state.upload_id, seat_id)


def long_recording(
    store: RecordingStore,
    server_public: X25519PublicKey,
    pieces: list[PlainSegment],
    count: int,
    session_id: str = "S-LONG",
    recording_id: str = "reclong",
) -> list[StoredSegment]:
    """A recording of ``count`` segments, cycling through ``pieces`` (real recorded MP4s, any frame rates), each
    placed right after the previous one, encrypted for the server and stored; returns the stored segments."""
    key = RecordingKey.generate(recording_id, server_public)
    stored = []
    start = 0.0
    for i in range(count):
        piece = pieces[i % len(pieces)]
        meta = dict(piece.meta)
        meta.update(
            recording_id=recording_id,
            session_id=session_id,
            segment_index=i,
            start_s=round(start, 6),
            started_at=round(1_800_000_000.0 + start, 3),
            final=i == count - 1,
            plaintext_sha256=hashlib.sha256(piece.mp4).hexdigest(),
        )
        data = encrypt_segment(piece.mp4, key, i, meta)
        stored.append(upload(store, "seat-a", recording_id, session_id, i, data))
        start += float(piece.meta["duration_s"])
    return stored
