"""CallRecorder on synthetic frames with a fake clock: segments, playback, timing, watermark, bounds."""

from __future__ import annotations

import functools
import itertools
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from seat_client.recording.clock import FakeClock
from seat_client.recording.recorder import CallRecorder, MediaSource, RecorderConfig, RecorderState
from seat_client.recording.spool import SegmentSpool, SpoolLevel, SpoolStatus
from seat_client.recording.watermark import WatermarkPainter, mask_customer_id

from .helpers import DecodedSegment, SyntheticCall, decode_mp4, decrypt_file, pattern_frame, tone_energy, tone_frame

WALL0 = 1_800_000_000.4  # local wall clock at start (fake)


def encoded_at_least(rec: CallRecorder, frames: int) -> bool:
    """True once the recorder encoded ``frames`` frames."""
    return rec.stats.frames_encoded >= frames


def wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    """Waits for a condition set by another thread, polling every 5 ms."""
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while not condition():
        if time.monotonic() > deadline:
            return False
        pause.wait(0.005)
    return True


def make_recorder(
    tmp_path: Path, key: X25519PrivateKey, clock: FakeClock, **overrides: object
) -> tuple[CallRecorder, SegmentSpool]:
    spool = SegmentSpool(tmp_path / "spool")
    cfg = RecorderConfig(
        session_id="S20261121A",
        seat_id="seat-07",
        customer_id="110101199001011234",
        business_type="password_reset",
        width=640,
        height=360,
        segment_seconds=2.0,
        server_clock_offset_s=0.3,
    )
    for name, value in overrides.items():
        setattr(cfg, name, value)
    rec = CallRecorder(cfg, key.public_key(), spool, clock=clock, wall_clock=lambda: WALL0)
    return rec, spool


def check_segment(path: Path, key: X25519PrivateKey, fps: int = 30) -> tuple[dict, DecodedSegment]:
    meta, mp4 = decrypt_file(path, key)
    dec = decode_mp4(mp4)
    assert dec.video_pts == sorted(set(dec.video_pts)), "video pts must be strictly increasing"
    assert len(dec.video_pts) == meta["frames"]
    assert dec.duration_s == pytest.approx(meta["duration_s"], rel=0.01)
    assert dec.audio_duration_s == pytest.approx(meta["duration_s"], rel=0.01)
    # Decoded AAC may carry up to two frames of encoder padding beyond the fed samples.
    assert meta["audio_samples"] <= len(dec.audio) <= meta["audio_samples"] + 2048
    return meta, dec


def test_segments_play_on_their_own_and_cover_the_call(tmp_path: Path, server_key: X25519PrivateKey) -> None:
    clock = FakeClock()
    rec, _spool = make_recorder(tmp_path, server_key, clock)
    rec.start(threaded=False)
    SyntheticCall(rec, clock).run(5.0)
    segments = rec.stop()

    assert [s.segment_index for s in segments] == [0, 1, 2]
    assert [s.frames for s in segments] == [60, 60, 30]
    assert [s.start_s for s in segments] == pytest.approx([0.0, 2.0, 4.0])
    total = 0.0
    for seg in segments:
        meta, dec = check_segment(seg.path, server_key)
        assert (dec.width, dec.height) == (640, 360)
        assert meta["segment_index"] == seg.segment_index
        assert meta["session_id"] == "S20261121A"
        assert "110101199001011234" not in str(meta)
        total += dec.duration_s
        # Both sides of the call are audible in the mix.
        assert tone_energy(dec.audio, dec.audio_rate, 440.0) > 100
        assert tone_energy(dec.audio, dec.audio_rate, 1500.0) > 100
    assert total == pytest.approx(5.0, rel=0.01)
    assert [s.meta["final"] for s in segments] == [False, False, True]
    assert rec.state == RecorderState.STOPPED


def test_default_segments_are_ten_seconds(tmp_path: Path, server_key: X25519PrivateKey) -> None:
    clock = FakeClock()
    rec, _spool = make_recorder(tmp_path, server_key, clock, segment_seconds=10.0, width=320, height=180)
    rec.start(threaded=False)
    SyntheticCall(rec, clock, customer_size=(320, 240), teller_size=(160, 120)).run(21.0, step=1 / 30)
    segments = rec.stop()
    assert [round(s.duration_s, 3) for s in segments] == [10.0, 10.0, 1.0]
    for seg in segments:
        check_segment(seg.path, server_key)


def test_frame_drops_and_resolution_changes_keep_a_constant_rate(tmp_path: Path, server_key: X25519PrivateKey) -> None:
    clock = FakeClock()
    rec, _spool = make_recorder(tmp_path, server_key, clock)
    rec.start(threaded=False)
    # One second of customer video lost, then the customer rotates the phone twice.
    call = SyntheticCall(rec, clock, drop_video=lambda i: 30 <= i < 60)
    call.run(2.0)
    call.customer_size = (1280, 720)
    call.run(1.0)
    call.customer_size = (360, 640)
    call.run(1.0)
    segments = rec.stop()
    assert sum(s.frames for s in segments) == 120
    assert rec.stats.frames_repeated >= 29
    _last_meta, _dec = check_segment(segments[-1].path, server_key)
    _meta, mp4 = decrypt_file(segments[-1].path, server_key)
    dec = decode_mp4(mp4, keep_frames=True)
    assert (dec.width, dec.height) == (640, 360)
    # Portrait customer video is pillar-boxed: the left and right thirds of the last frame are black.
    last = dec.frames[-1].astype(int)
    assert last[100:250, 20:200].mean() < 25
    assert last[100:250, 270:370].mean() > 40
    for seg in segments:
        check_segment(seg.path, server_key)


@pytest.mark.parametrize("keep_due_time", [False, True])
def test_late_and_missing_audio_keep_timestamps_monotonic(
    tmp_path: Path, server_key: X25519PrivateKey, keep_due_time: bool
) -> None:
    clock = FakeClock()
    rec, _spool = make_recorder(tmp_path, server_key, clock)
    rec.start(threaded=False)
    # Customer audio frames 40..59 (0.4 s) and 120..169 (1 s) are held back and then delivered in one burst,
    # stamped either with their arrival time or with their original time (already recorded by then).
    hold = set(range(40, 60)) | set(range(120, 170))
    call = SyntheticCall(rec, clock, audio_hold=hold, held_keep_due_time=keep_due_time)
    call.run(4.0)
    segments = rec.stop()
    assert sum(s.audio_samples for s in segments) == 4 * 48000
    for seg in segments:
        _meta, dec = check_segment(seg.path, server_key)
        assert tone_energy(dec.audio, dec.audio_rate, 1500.0) > 100
    # The customer is heard again after the bursts, in sync (the last segment is after both holds).
    _meta, dec = check_segment(segments[-1].path, server_key)
    assert tone_energy(dec.audio, dec.audio_rate, 440.0) > 100
    if keep_due_time:
        assert rec._mixer.dropped_late_samples > 0
    else:
        assert rec._mixer.dropped_ahead_samples > 0


def test_watermark_time_changes_every_second(tmp_path: Path, server_key: X25519PrivateKey) -> None:
    clock = FakeClock()
    rec, _spool = make_recorder(tmp_path, server_key, clock, segment_seconds=4.0)
    rec.start(threaded=False)
    SyntheticCall(rec, clock).run(4.0)
    (seg,) = rec.stop()
    _meta, mp4 = decrypt_file(seg.path, server_key)
    dec = decode_mp4(mp4, keep_frames=True)
    painter = WatermarkPainter(640, 360, "x")
    x, y, w, h = painter.time_region()
    regions = [f[y : y + h, x : x + w].astype(int) for f in dec.frames]
    # Burned-in text is present: bright glyph pixels on the dark box.
    assert all((r > 180).sum() > 100 for r in regions)
    # Server time at frame i is WALL0 + 0.3 + i/30 = ...00.7 + i/30: the second flips after frames 9, 39, 69, 99.
    seconds = [int(WALL0 + 0.3 + i / 30) for i in range(len(regions))]
    for i in range(1, len(regions)):
        # Pixels that flipped between glyph and background (compression noise stays far below this).
        flipped = int((np.abs(regions[i] - regions[i - 1]) > 80).sum())
        if seconds[i] != seconds[i - 1]:
            assert flipped > 10, f"time text should change at frame {i} ({flipped} pixels)"
        else:
            assert flipped <= 2, f"time text should hold at frame {i} ({flipped} pixels)"
    assert sum(1 for i in range(1, len(seconds)) if seconds[i] != seconds[i - 1]) == 4


def test_no_plaintext_reaches_the_spool(tmp_path: Path, server_key: X25519PrivateKey) -> None:
    clock = FakeClock()
    rec, spool = make_recorder(tmp_path, server_key, clock)
    rec.start(threaded=False)
    SyntheticCall(rec, clock).run(2.5)
    rec.stop()
    files = list(spool.directory.iterdir())
    assert len(files) == 2
    for path in files:
        data = path.read_bytes()
        assert data[:4] == b"VTRS"
        for signature in (b"ftyp", b"moov", b"mdat", b"avc1", b"mp4a"):
            assert signature not in data


def test_threaded_worker_follows_the_clock(tmp_path: Path, server_key: X25519PrivateKey) -> None:
    clock = FakeClock()
    done = threading.Event()
    seen: list[int] = []

    def on_segment(info: object) -> None:
        seen.append(info.segment_index)  # type: ignore[attr-defined]
        done.set()

    rec, _spool = make_recorder(tmp_path, server_key, clock, segment_seconds=1.0)
    rec.on_segment = on_segment
    rec.start(threaded=True)
    t0 = clock.now()
    for i in range(45):
        rec.push_video(MediaSource.CUSTOMER, pattern_frame(320, 240, i), t0 + i / 30)
        rec.push_audio(MediaSource.TELLER, tone_frame(1500, i * 1600, 1600), t0 + (i + 1) / 30)
        clock.advance(1 / 30)
        # Real time is not faked: let the worker keep up with the fake clock (it has a 0.2 s = 6 frame latency).
        assert wait_for(functools.partial(encoded_at_least, rec, i - 6)), "worker should follow the clock"
    assert done.wait(10), "first segment should be written by the worker"
    segments = rec.stop()
    assert seen[0] == 0
    assert segments[0].frames == 30
    assert sum(s.frames for s in segments) == 45
    for seg in segments:
        check_segment(seg.path, server_key)


def test_falling_behind_degrades_then_skips(tmp_path: Path, server_key: X25519PrivateKey) -> None:
    clock = FakeClock()
    rec, _spool = make_recorder(tmp_path, server_key, clock, segment_seconds=10.0)
    rec.start(threaded=False)
    call = SyntheticCall(rec, clock)
    call.run(1.0)
    clock.advance(1.0)  # the worker was starved for a second: 0.8 s behind after the latency allowance
    rec.run_pending()
    assert rec.stats.degradations == 1
    call.run(1.0)
    clock.advance(6.0)  # hopelessly behind: the timeline skips ahead instead of stalling
    rec.run_pending()
    assert rec.stats.gaps == 1
    call.run(1.0)
    segments = rec.stop()
    assert [s.fps for s in segments[:2]] == [30, 15]
    assert segments[2].gap_before_s > 5.0
    starts = [s.start_s for s in segments]
    assert starts == sorted(starts)
    for prev, nxt in itertools.pairwise(segments):
        assert nxt.start_s >= prev.start_s + prev.duration_s - 1e-6
    for seg in segments:
        check_segment(seg.path, server_key, fps=seg.fps)


def test_inputs_are_bounded_and_push_never_waits(tmp_path: Path, server_key: X25519PrivateKey) -> None:
    clock = FakeClock()
    rec, _spool = make_recorder(tmp_path, server_key, clock)
    rec.start(threaded=False)
    frame = pattern_frame(320, 240, 0)
    for _ in range(500):
        rec.push_video(MediaSource.CUSTOMER, frame)
        rec.push_audio(MediaSource.CUSTOMER, tone_frame(440, 0))
    assert len(rec._video_in[MediaSource.CUSTOMER]) == rec.config.video_history
    assert rec._audio_in_samples <= 2 * 48000 * 2
    assert rec.stats.audio_frames_dropped == 500 - 200
    rec.stop()


def test_spool_limit_warns_in_chinese_and_fails_recording_cleanly(tmp_path: Path, server_key: X25519PrivateKey) -> None:
    statuses: list[SpoolStatus] = []
    errors: list[str] = []
    spool = SegmentSpool(tmp_path / "spool", limit_bytes=150_000, warn_ratio=0.3, on_status=statuses.append)
    clock = FakeClock()
    cfg = RecorderConfig(session_id="S1", seat_id="seat-1", width=320, height=180, segment_seconds=1.0)
    rec = CallRecorder(cfg, server_key.public_key(), spool, clock=clock, on_error=errors.append)
    rec.start(threaded=False)
    call = SyntheticCall(rec, clock, customer_size=(320, 240))
    for _ in range(20):
        if rec.state == RecorderState.FAILED:
            break
        call.run(1.0, step=1 / 30)
    rec.stop()
    assert any(s.level == SpoolLevel.WARN and "即将用满" in s.message for s in statuses)
    assert errors and "录像" in errors[0] and "已满" in errors[0]
    assert rec.state == RecorderState.FAILED
    assert spool.used_bytes() <= 150_000


def test_mask_customer_id() -> None:
    assert mask_customer_id("110101199001011234") == "110***********1234"
    assert mask_customer_id("13812345678") == "138****5678"
    assert "199001" not in mask_customer_id("110101199001011234")


def test_push_returns_while_the_worker_is_busy(tmp_path: Path, server_key: X25519PrivateKey) -> None:
    clock = FakeClock()
    rec, _spool = make_recorder(tmp_path, server_key, clock)
    rec.start(threaded=False)
    busy = threading.Event()
    release = threading.Event()

    def slow_encoder() -> None:
        # Stands in for an encoder stuck on a long frame: it holds the worker's lock.
        with rec._work_lock:
            busy.set()
            release.wait(10)

    worker = threading.Thread(target=slow_encoder)
    worker.start()
    assert busy.wait(5)
    try:
        for i in range(100):
            rec.push_video(MediaSource.CUSTOMER, pattern_frame(320, 240, i))
            rec.push_audio(MediaSource.TELLER, tone_frame(1500, i * 960))
        assert rec.stats.video_frames_in == 100 and rec.stats.audio_frames_in == 100
    finally:
        release.set()
        worker.join()
    rec.stop()
