"""点播 without decrypting whole sessions: byte ranges of one continuous MP4 per recording, memory bounded."""

from __future__ import annotations

import hashlib
import io
import itertools
import tracemalloc
from pathlib import Path

import av
import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from server.evidence.export import write_recording_mp4
from server.recordings.playback import FragmentCache, PlaybackError, PlaybackService, RecordingPlayback
from server.recordings.store import RecordingStore, StoredSegment
from tests.server.recordings.segments import PlainSegment, long_recording, plaintexts, record_degraded_call


@pytest.fixture(scope="module")
def degraded(tmp_path_factory: pytest.TempPathFactory) -> tuple[X25519PrivateKey, list[PlainSegment]]:
    """Real segments of a call recorded at 30 fps, degraded to 15 fps under load, then back to 30 fps."""
    key = X25519PrivateKey.generate()
    _cfg, paths = record_degraded_call(tmp_path_factory.mktemp("degraded") / "spool", key)
    return key, plaintexts(paths, key)


def _video_times(path: Path) -> list[float]:
    with av.open(str(path), mode="r") as c:
        times = []
        for f in c.decode(c.streams.video[0]):
            assert f.pts is not None and f.time_base is not None
            times.append(float(f.pts * f.time_base))
        return times


def test_cache_keeps_within_its_byte_bound() -> None:
    cache = FragmentCache(limit_bytes=100)
    for i in range(10):
        cache.put(i, bytes(30))
        assert cache.bytes <= 100
    assert len(cache) == 3 and cache.peak_bytes == 90
    assert cache.peek(9) is not None and cache.peek(0) is None  # least recently used went first
    cache.put("big", bytes(101))  # larger than the bound: served by the caller, never kept
    assert cache.peek("big") is None and cache.bytes == 90
    built: list[int] = []

    def build() -> bytes:
        built.append(1)
        return bytes(10)

    assert cache.get("x", build) == bytes(10)
    assert cache.get("x", build) == bytes(10)
    assert built == [1] and cache.bytes <= 100


def _stream(service: PlaybackService, stored: list[StoredSegment]) -> tuple[RecordingPlayback, str, int]:
    """Lays the recording out, then reads it front to back in 256 KiB ranges as a player does.

    Returns the playback, the SHA-256 of the bytes served and the peak of Python memory while doing so.
    """
    limit = service.cache.limit_bytes
    tracemalloc.start()
    try:
        playback = service.recording(stored)
        assert service.cache.bytes <= limit
        digest = hashlib.sha256()
        position = 0
        while position < playback.size:
            end = min(playback.size, position + 256 * 1024) - 1
            for piece in service.iter_range(playback, position, end):
                digest.update(piece)
                position += len(piece)
            assert service.cache.bytes <= limit
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert position == playback.size
    return playback, digest.hexdigest(), peak


def test_long_recording_streams_range_by_range_with_bounded_memory(
    degraded: tuple[X25519PrivateKey, list[PlainSegment]], tmp_path: Path
) -> None:
    """Recordings of 20 and 60 segments (mixed 30/15 fps) are read front to back in ranges: the served bytes are
    exactly the exported MP4, the fragment cache never holds more than its bound, and the memory peak of the
    three times longer recording is no higher than the short one's but for one segment's worth."""
    key, pieces = degraded
    store = RecordingStore(tmp_path)
    long_count = 60
    short = long_recording(store, key.public_key(), pieces, 20, recording_id="recshort")
    stored = long_recording(store, key.public_key(), pieces, long_count)
    plain = [pieces[i % len(pieces)] for i in range(long_count)]
    total_plain = sum(len(p.mp4) for p in plain)
    biggest = max(len(p.mp4) for p in pieces)

    # The reference: the evidence export of the same recording (one continuous MP4 written to disk).
    reference = tmp_path / "export.mp4"
    write_recording_mp4(((p.mp4, None, p.meta["audio_samples"]) for p in plain), reference)
    times = _video_times(reference)
    assert len(times) == sum(int(p.meta["frames"]) for p in plain)
    assert all(b > a for a, b in itertools.pairwise(times))
    expected_s = sum(float(p.meta["duration_s"]) for p in plain)
    assert times[-1] < expected_s <= times[-1] + 0.1 + 1e-6

    limit = 4 * biggest
    assert limit * 5 < total_plain
    _short_playback, _short_digest, short_peak = _stream(PlaybackService(key, cache_bytes=limit), short)
    service = PlaybackService(key, cache_bytes=limit)
    playback, digest, peak = _stream(service, stored)
    assert playback.size == reference.stat().st_size
    assert digest == hashlib.sha256(reference.read_bytes()).hexdigest()
    assert playback.duration_s == pytest.approx(expected_s, abs=0.002)
    assert service.cache.peak_bytes <= limit
    # Segments were decrypted as the reads reached them and dropped again: far more builds than the cache holds.
    assert service.cache.builds >= long_count - len(service.cache) - 10
    # Bounded whatever the length: three times the recording costs at most about one segment more. (Not compared
    # with the recording's own size: these test segments are tiny, so a fresh process's one-off allocations, e.g.
    # PyAV's first demuxer, outweigh the whole recording.)
    assert peak <= short_peak + 2 * biggest + 64 * 1024, (peak, short_peak, biggest)

    # The layout is kept: asking again costs no decryption.
    builds = service.cache.builds
    assert service.recording(stored) is playback and service.cache.builds == builds

    # A seek into the middle decrypts only the segments the range covers.
    service.cache.clear()
    middle = playback.layout.starts[long_count // 2] + 10
    data = b"".join(service.iter_range(playback, middle, middle + 99))
    assert data == reference.read_bytes()[middle : middle + 100]
    assert service.cache.builds == builds + 1


def test_tampered_segment_is_refused_by_layout_and_by_range_reads(
    degraded: tuple[X25519PrivateKey, list[PlainSegment]], tmp_path: Path
) -> None:
    key, pieces = degraded
    store = RecordingStore(tmp_path)
    stored = long_recording(store, key.public_key(), pieces, 6)
    service = PlaybackService(key, cache_bytes=0)  # nothing cached: every read decrypts
    playback = service.recording(stored)
    raw = bytearray(stored[4].path.read_bytes())
    raw[len(raw) // 2] ^= 0x10
    stored[4].path.write_bytes(bytes(raw))
    start = playback.layout.starts[4]
    with pytest.raises(PlaybackError, match="无法解密"):
        b"".join(service.iter_range(playback, start, start + 10))
    assert b"".join(service.iter_range(playback, 0, 99))  # the untouched segments still play
    with pytest.raises(PlaybackError):
        PlaybackService(key).recording(stored)
    with pytest.raises(PlaybackError):
        PlaybackService(X25519PrivateKey.generate()).recording(stored[:2])  # wrong key


def test_session_with_two_recordings_plays_as_two_placed_parts(
    degraded: tuple[X25519PrivateKey, list[PlainSegment]], tmp_path: Path
) -> None:
    key, pieces = degraded
    store = RecordingStore(tmp_path)
    first = long_recording(store, key.public_key(), pieces, 3, session_id="S2", recording_id="reca")
    second = long_recording(store, key.public_key(), pieces[:2], 2, session_id="S2", recording_id="recb")
    # The second recording (a requeued call) started 100 s after the first.
    second = [
        type(s)(s.recording_id, s.session_id, s.seat_id, s.segment_index, s.sha256, s.size, s.path,
                {**s.meta, "started_at": s.meta["started_at"] + 100.0})
        for s in second
    ]  # fmt: skip
    parts = PlaybackService(key).session(second + first)
    assert [p.recording_id for p in parts] == ["reca", "recb"]
    assert parts[0].start_s == 0.0 and parts[1].start_s == pytest.approx(100.0)
    for part, segs in zip(parts, (first, second), strict=True):
        data = b"".join(PlaybackService(key).iter_range(part, 0, part.size - 1))
        with av.open(io.BytesIO(data), mode="r") as c:
            frames = sum(1 for _ in c.decode(c.streams.video[0]))
        assert frames == sum(int(s.meta["frames"]) for s in segs)
