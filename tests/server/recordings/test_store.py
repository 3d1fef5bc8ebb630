"""RecordingStore: durable offsets, checksums, whole-file verification, retention and legal hold."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from server.recordings.retention import DAY, RetentionPolicy
from server.recordings.store import RecordingStore, RetentionError, StoredSegment, UploadError
from wire.recording_format import RecordingKey, encrypt_segment


def segment_file(recording_id: str = "rec1", index: int = 0, size: int = 50_000) -> bytes:
    key = RecordingKey.generate(recording_id, X25519PrivateKey.generate().public_key())
    meta = {"session_id": "S1", "segment_index": index, "duration_s": 10.0}
    return encrypt_segment(os.urandom(size), key, index, meta, chunk_size=8192)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def upload(store: RecordingStore, data: bytes, rec: str = "rec1", index: int = 0, business: str = "password_reset"):
    state = store.create_upload("seat-1", rec, "S1", index, len(data), sha(data), business)
    offset = state.offset
    for i in range(offset, len(data), 20_000):
        piece = data[i : i + 20_000]
        offset = store.append_chunk(state.upload_id, "seat-1", i, piece, hashlib.sha256(piece).digest())
    return store.complete_upload(state.upload_id, "seat-1")


def test_upload_survives_restart_and_stores_identical_bytes(tmp_path: Path) -> None:
    data = segment_file()
    stored: list[StoredSegment] = []
    store = RecordingStore(tmp_path)
    state = store.create_upload("seat-1", "rec1", "S1", 0, len(data), sha(data), "password_reset")
    piece = data[:30_000]
    assert store.append_chunk(state.upload_id, "seat-1", 0, piece, hashlib.sha256(piece).digest()) == 30_000

    store2 = RecordingStore(tmp_path, on_segment_stored=stored.append)  # server restart
    again = store2.create_upload("seat-1", "rec1", "S1", 0, len(data), sha(data), "password_reset")
    assert again.upload_id == state.upload_id and again.offset == 30_000
    rest = data[30_000:]
    store2.append_chunk(state.upload_id, "seat-1", 30_000, rest, hashlib.sha256(rest).digest())
    seg = store2.complete_upload(state.upload_id, "seat-1")
    assert seg.path.read_bytes() == data
    assert seg.meta["duration_s"] == 10.0
    assert stored == [seg]
    assert store2.complete_upload(state.upload_id, "seat-1") == seg  # idempotent
    assert store2.segments_for_session("S1") == [seg]


def test_bad_chunk_checksum_and_offset_are_rejected(tmp_path: Path) -> None:
    data = segment_file()
    store = RecordingStore(tmp_path)
    state = store.create_upload("seat-1", "rec1", "S1", 0, len(data), sha(data))
    piece = data[:10_000]
    with pytest.raises(UploadError) as err:
        store.append_chunk(state.upload_id, "seat-1", 0, b"X" + piece[1:], hashlib.sha256(piece).digest())
    assert err.value.status == 460 and "校验失败" in err.value.message
    assert store.get_upload(state.upload_id, "seat-1").offset == 0
    store.append_chunk(state.upload_id, "seat-1", 0, piece, hashlib.sha256(piece).digest())
    with pytest.raises(UploadError) as err:
        store.append_chunk(state.upload_id, "seat-1", 5_000, piece, hashlib.sha256(piece).digest())
    assert err.value.status == 409 and err.value.offset == 10_000
    with pytest.raises(UploadError) as err:
        store.complete_upload(state.upload_id, "seat-1")
    assert err.value.status == 409
    with pytest.raises(UploadError) as err:
        store.get_upload(state.upload_id, "seat-2")
    assert err.value.status == 403


def test_partial_bytes_beyond_committed_offset_are_overwritten(tmp_path: Path) -> None:
    data = segment_file()
    store = RecordingStore(tmp_path)
    state = store.create_upload("seat-1", "rec1", "S1", 0, len(data), sha(data))
    # A crash after writing but before committing leaves junk after the committed offset.
    store._partial_path(state.upload_id).write_bytes(b"junk" * 1000)
    seg = upload(RecordingStore(tmp_path), data)
    assert seg.path.read_bytes() == data


def test_whole_file_mismatch_resets_the_upload(tmp_path: Path) -> None:
    data = segment_file()
    store = RecordingStore(tmp_path)
    state = store.create_upload("seat-1", "rec1", "S1", 0, len(data), sha(data[::-1]))
    store.append_chunk(state.upload_id, "seat-1", 0, data, hashlib.sha256(data).digest())
    with pytest.raises(UploadError) as err:
        store.complete_upload(state.upload_id, "seat-1")
    assert err.value.status == 422
    assert store.get_upload(state.upload_id, "seat-1").offset == 0


def test_non_segment_or_mislabelled_file_is_refused(tmp_path: Path) -> None:
    store = RecordingStore(tmp_path)
    junk = os.urandom(5000)
    with pytest.raises(UploadError) as err:
        upload(store, junk)
    assert err.value.code == "not_a_segment"
    with pytest.raises(UploadError) as err:
        upload(store, segment_file("rec2", 3), rec="rec2", index=4)
    assert err.value.code == "header_mismatch"


def test_stored_segment_is_never_overwritten(tmp_path: Path) -> None:
    store = RecordingStore(tmp_path)
    upload(store, segment_file())
    other = segment_file()
    with pytest.raises(UploadError) as err:
        store.create_upload("seat-1", "rec1", "S1", 0, len(other), sha(other))
    assert err.value.code == "segment_exists"


def test_retention_refuses_early_deletion_and_legal_hold_blocks(tmp_path: Path) -> None:
    clock = Clock()
    policy = RetentionPolicy({"password_reset": 30, "sms_signing": 10})
    store = RecordingStore(tmp_path, retention=policy, clock=clock)
    seg = upload(store, segment_file("recA"), rec="recA", business="password_reset")
    upload(store, segment_file("recB"), rec="recB", business="sms_signing")
    upload(store, segment_file("recC"), rec="recC", business="unknown_business")
    assert store.recording("recC").retain_until == clock.now + 30 * DAY  # unknown: longest period

    clock.now += 20 * DAY
    with pytest.raises(RetentionError, match="未到保存期限"):
        store.delete_recording("recA")
    assert seg.path.exists()
    assert store.purge_expired() == ["recB"]

    store.set_legal_hold("recA", True, "法院调取 (2026)京0101民初123号")
    clock.now += 100 * DAY
    with pytest.raises(RetentionError, match="法律保全"):
        store.delete_recording("recA")
    assert sorted(store.purge_expired()) == ["recC"]
    assert seg.path.exists()
    with pytest.raises(ValueError):
        store.set_legal_hold("recA", True, " ")
    store.set_legal_hold("recA", False)
    assert store.delete_recording("recA") == 1
    assert not seg.path.exists()
    assert store.recording("recA").deleted_at == clock.now


def test_seat_declared_business_type_is_overridden_by_server_records(tmp_path: Path) -> None:
    store = RecordingStore(
        tmp_path,
        retention=RetentionPolicy({"password_reset": 30, "remote_authorisation": 3650}),
        session_business_type=lambda session_id: "remote_authorisation",
    )
    upload(store, segment_file(), business="password_reset")
    assert store.recording("rec1").business_type == "remote_authorisation"


def test_crash_between_move_and_insert_is_completed_on_retry(tmp_path: Path) -> None:
    data = segment_file()
    store = RecordingStore(tmp_path)
    state = store.create_upload("seat-1", "rec1", "S1", 0, len(data), sha(data))
    store.append_chunk(state.upload_id, "seat-1", 0, data, hashlib.sha256(data).digest())
    # Simulate the crash: the file was moved into the store, the database never learned it.
    final = store.segment_path("rec1", 0)
    final.parent.mkdir(parents=True)
    store._partial_path(state.upload_id).replace(final)
    seg = RecordingStore(tmp_path).complete_upload(state.upload_id, "seat-1")
    assert seg.path == final and final.read_bytes() == data


def test_failing_store_callback_does_not_fail_the_upload(tmp_path: Path) -> None:
    def broken(_segment: StoredSegment) -> None:
        raise RuntimeError("evidence database unavailable")

    seg = upload(RecordingStore(tmp_path, on_segment_stored=broken), segment_file())
    assert seg.path.exists()
