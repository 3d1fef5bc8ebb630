"""Chunks received as a stream: nothing counts before its checksum and fsync, one chunk at a time per upload, the
whole-file hash kept running (and recomputed from disk after a restart), one transaction at completion."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

from server.recordings.store import RecordingStore, UploadError
from tests.server.recordings.test_store import segment_file, sha


def _pieces(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


def test_streamed_chunks_store_identical_bytes(tmp_path: Path) -> None:
    data = segment_file(size=300_000)
    store = RecordingStore(tmp_path)
    state = store.create_upload("seat-1", "rec1", "S1", 0, len(data), sha(data))
    offset = 0
    for chunk in _pieces(data, 120_000):
        writer = store.begin_chunk(state.upload_id, "seat-1", offset, hashlib.sha256(chunk).digest())
        try:
            for piece in _pieces(chunk, 7_000):  # as the body arrives
                writer.write(piece)
            offset = writer.commit()
        finally:
            writer.close()
    assert offset == len(data)
    seg = store.complete_upload(state.upload_id, "seat-1")
    assert seg.path.read_bytes() == data


def test_chunk_in_progress_blocks_a_second_one_and_a_broken_off_chunk_counts_for_nothing(tmp_path: Path) -> None:
    data = segment_file(size=200_000)
    store = RecordingStore(tmp_path)
    state = store.create_upload("seat-1", "rec1", "S1", 0, len(data), sha(data))
    first = data[:100_000]
    writer = store.begin_chunk(state.upload_id, "seat-1", 0, hashlib.sha256(first).digest())
    writer.write(first[:60_000])
    with pytest.raises(UploadError) as err:  # a retry racing the chunk still arriving
        store.begin_chunk(state.upload_id, "seat-1", 0, hashlib.sha256(first).digest())
    assert err.value.status == 409 and err.value.code == "upload_busy"
    writer.close()  # the seat went away mid-chunk
    assert store.get_upload(state.upload_id, "seat-1").offset == 0
    # The next attempt starts at the committed offset and overwrites what the broken chunk left.
    assert store.append_chunk(state.upload_id, "seat-1", 0, first, hashlib.sha256(first).digest()) == 100_000
    rest = data[100_000:]
    store.append_chunk(state.upload_id, "seat-1", 100_000, rest, hashlib.sha256(rest).digest())
    assert store.complete_upload(state.upload_id, "seat-1").path.read_bytes() == data


def test_corrupted_chunk_is_discarded_and_the_resent_one_completes_the_file(tmp_path: Path) -> None:
    data = segment_file(size=200_000)
    store = RecordingStore(tmp_path)
    state = store.create_upload("seat-1", "rec1", "S1", 0, len(data), sha(data))
    head, tail = data[:50_000], data[50_000:]
    store.append_chunk(state.upload_id, "seat-1", 0, head, hashlib.sha256(head).digest())
    bad = bytearray(tail)
    bad[1234] ^= 0xFF
    with pytest.raises(UploadError) as err:
        store.append_chunk(state.upload_id, "seat-1", 50_000, bytes(bad), hashlib.sha256(tail).digest())
    assert err.value.status == 460
    assert store.get_upload(state.upload_id, "seat-1").offset == 50_000
    store.append_chunk(state.upload_id, "seat-1", 50_000, tail, hashlib.sha256(tail).digest())
    assert store.complete_upload(state.upload_id, "seat-1").path.read_bytes() == data


def test_chunk_past_the_declared_length_is_refused(tmp_path: Path) -> None:
    data = segment_file(size=20_000)
    store = RecordingStore(tmp_path)
    state = store.create_upload("seat-1", "rec1", "S1", 0, len(data), sha(data))
    longer = data + b"x"
    with pytest.raises(UploadError) as err:
        store.append_chunk(state.upload_id, "seat-1", 0, longer, hashlib.sha256(longer).digest())
    assert err.value.status == 413
    writer = store.begin_chunk(state.upload_id, "seat-1", 0, hashlib.sha256(longer).digest())  # length unknown
    try:
        with pytest.raises(UploadError) as err:
            writer.write(longer)
        assert err.value.code == "beyond_length"
    finally:
        writer.close()
    assert store.get_upload(state.upload_id, "seat-1").offset == 0


def test_restart_mid_upload_verifies_the_whole_file_from_disk(tmp_path: Path) -> None:
    data = segment_file(size=200_000)
    store = RecordingStore(tmp_path)
    state = store.create_upload("seat-1", "rec1", "S1", 0, len(data), sha(data))
    head, tail = data[:80_000], data[80_000:]
    store.append_chunk(state.upload_id, "seat-1", 0, head, hashlib.sha256(head).digest())
    restarted = RecordingStore(tmp_path)  # the running hash is gone with the old process
    restarted.append_chunk(state.upload_id, "seat-1", 80_000, tail, hashlib.sha256(tail).digest())
    # Someone flips a byte of the first chunk on disk: only the read-back hash can notice.
    path = restarted._partial_path(state.upload_id)
    raw = bytearray(path.read_bytes())
    raw[10] ^= 1
    path.write_bytes(bytes(raw))
    with pytest.raises(UploadError) as err:
        restarted.complete_upload(state.upload_id, "seat-1")
    assert err.value.status == 422 and restarted.get_upload(state.upload_id, "seat-1").offset == 0


def test_completion_is_one_transaction(tmp_path: Path) -> None:
    """A failure while recording the completion leaves no half-stored segment; the retry stores it."""
    data = segment_file()
    calls = {"n": 0}

    def business_type(_session: str) -> str:
        calls["n"] += 1
        if calls["n"] == 1:
            raise sqlite3.OperationalError("database is locked")
        return "password_reset"

    store = RecordingStore(tmp_path, session_business_type=business_type)
    state = store.create_upload("seat-1", "rec1", "S1", 0, len(data), sha(data))
    store.append_chunk(state.upload_id, "seat-1", 0, data, hashlib.sha256(data).digest())
    with pytest.raises(sqlite3.OperationalError):
        store.complete_upload(state.upload_id, "seat-1")
    assert store.segments_for_session("S1") == [] and store.recordings_for_session("S1") == []
    assert not store.get_upload(state.upload_id, "seat-1").complete
    seg = store.complete_upload(state.upload_id, "seat-1")
    assert seg.path.read_bytes() == data and store.recording("rec1").business_type == "password_reset"
