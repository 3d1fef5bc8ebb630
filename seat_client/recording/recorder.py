"""The call recorder (双录): composes, watermarks, encodes, encrypts and spools a call in short segments.

The caller (the call service on the Qt/asyncio thread) only hands frames over: :meth:`CallRecorder.push_video` and
:meth:`CallRecorder.push_audio` take a lock for a few microseconds and never wait for the encoder. All work happens
in the recorder's own worker thread, which emits a constant frame rate derived from the media clock (not from source
timestamps), so frame drops, late audio and resolution changes cannot break the timeline.
"""

from __future__ import annotations

import enum
import hashlib
import logging
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import av
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey

from seat_client.media.convert import plane_views
from seat_client.recording.audio_mixer import AudioMixer
from seat_client.recording.clock import MediaClock, SystemClock
from seat_client.recording.compositor import Compositor, VideoInput
from seat_client.recording.encoder import SegmentEncoder
from seat_client.recording.spool import SegmentSpool
from seat_client.recording.watermark import WatermarkPainter, format_watermark_time, mask_customer_id
from wire.recording_format import FILE_SUFFIX, RecordingKey, encrypt_segment

logger = logging.getLogger(__name__)


class MediaSource(enum.StrEnum):
    """Which side of the call a frame comes from."""

    CUSTOMER = "customer"
    TELLER = "teller"


class RecorderState(enum.StrEnum):
    """Life cycle of a recorder."""

    IDLE = "idle"
    RECORDING = "recording"
    STOPPED = "stopped"
    FAILED = "failed"


@dataclass
class RecorderConfig:
    """What to record and how.

    Attributes:
        session_id: the call session.
        seat_id: the recording seat.
        customer_id: the customer's identifier; only its masked form is ever drawn or logged.
        business_type: business code (drives server-side retention).
        recording_id: unique id of this recording (random by default).
        width: output width (even).
        height: output height (even).
        fps: output frame rate at full quality.
        segment_seconds: target segment length.
        preset: libx264 preset at full quality.
        crf: libx264 CRF at full quality.
        audio_rate: output sample rate (mono AAC).
        av_latency_s: how long a slot waits for its audio/video before being encoded.
        server_clock_offset_s: server time minus local wall time (the watermark shows server time).
        watermark_utc_offset_h: time zone of the watermark clock.
        adaptive: degrade (lower fps, faster preset) when the worker falls behind.
        degrade_lag_s: lag that triggers a degradation step (at once, by cutting the segment).
        max_lag_s: lag beyond which the timeline skips ahead (recorded as a gap in the next segment's metadata).
        audio_buffer_s: bound on raw audio held per source before the worker takes it.
        video_history: frames kept per source so a slot shows the frame current at its time (bounded).
    """

    session_id: str
    seat_id: str
    customer_id: str = ""
    business_type: str = ""
    recording_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    width: int = 1280
    height: int = 720
    fps: int = 30
    segment_seconds: float = 10.0
    preset: str = "ultrafast"
    crf: int = 26
    audio_rate: int = 48000
    av_latency_s: float = 0.2
    server_clock_offset_s: float = 0.0
    watermark_utc_offset_h: float = 8.0
    adaptive: bool = True
    degrade_lag_s: float = 0.5
    max_lag_s: float = 3.0
    audio_buffer_s: float = 2.0
    video_history: int = 8


@dataclass(frozen=True)
class SegmentInfo:
    """A segment that was encrypted and safely written to the spool."""

    recording_id: str
    segment_index: int
    path: Path
    start_s: float
    duration_s: float
    fps: int
    frames: int
    audio_samples: int
    ciphertext_sha256: str
    size: int
    gap_before_s: float
    meta: dict[str, Any]


@dataclass
class RecorderStats:
    """Counters for monitoring and tests."""

    frames_encoded: int = 0
    frames_repeated: int = 0
    video_frames_in: int = 0
    video_frames_skipped: int = 0
    audio_frames_in: int = 0
    audio_frames_dropped: int = 0
    segments: int = 0
    degrade_level: int = 0
    degradations: int = 0
    gaps: int = 0
    gap_seconds: float = 0.0


@dataclass
class _Level:
    fps: int
    preset: str
    crf: int


class CallRecorder:
    """Records one call into encrypted, self-contained MP4 segments in a spool directory.

    Args:
        config: what to record and how.
        server_public_key: the server's X25519 recording key; the per-recording key is wrapped for it.
        spool: where encrypted segments go.
        clock: media clock (inject :class:`~seat_client.recording.clock.FakeClock` in tests).
        wall_clock: local wall time in epoch seconds (the watermark adds the server offset).
        on_segment: called from the worker thread after each segment is safely spooled.
        on_error: called from the worker thread with a Chinese message if recording fails.
    """

    def __init__(
        self,
        config: RecorderConfig,
        server_public_key: X25519PublicKey,
        spool: SegmentSpool,
        clock: MediaClock | None = None,
        wall_clock: Callable[[], float] = time.time,
        on_segment: Callable[[SegmentInfo], None] | None = None,
        on_error: Callable[[str], None] | None = None,
    ) -> None:
        if config.width % 2 or config.height % 2:
            raise ValueError("output size must be even")
        self.config = config
        self.spool = spool
        self.clock = clock or SystemClock()
        self.wall_clock = wall_clock
        self.on_segment = on_segment
        self.on_error = on_error
        self.state = RecorderState.IDLE
        self.stats = RecorderStats()
        self.segments: list[SegmentInfo] = []
        self._key = RecordingKey.generate(config.recording_id, server_public_key)
        self._lock = threading.Lock()
        self._work_lock = threading.RLock()
        self._video_in: dict[MediaSource, deque[tuple[float, VideoInput]]] = {
            s: deque(maxlen=config.video_history) for s in MediaSource
        }
        self._audio_in: deque[tuple[MediaSource, float, av.AudioFrame]] = deque()
        self._audio_in_samples = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._compositor = Compositor(config.width, config.height)
        masked = mask_customer_id(config.customer_id)
        self._painter = WatermarkPainter(
            config.width,
            config.height,
            f"SEAT {config.seat_id}  SESSION {config.session_id}  CUST {masked or '-'}",
        )
        self._mixer = AudioMixer(config.audio_rate)
        self._levels = [
            _Level(config.fps, config.preset, config.crf),
            _Level(max(1, config.fps // 2), "ultrafast", config.crf + 3),
            _Level(max(1, config.fps // 3), "ultrafast", config.crf + 6),
        ]
        self._level = 0
        self._since_degrade = 1 << 30  # frames emitted since the last degradation (one step per second at most)
        self._t0 = 0.0
        self._wall0 = 0.0
        # Current segment.
        self._enc: SegmentEncoder | None = None
        self._seg_index = 0
        self._seg_start = 0.0
        self._seg_frames_done = 0
        self._seg_gap = 0.0
        self._seg_busy = 0.0
        self._audio_pos = 0
        # Composition cache: the latest input per source and the last picture encoded (watermark included).
        self._current: dict[MediaSource, VideoInput | None] = {s: None for s in MediaSource}
        self._final: av.VideoFrame | None = None
        self._final_second: int | None = None

    # ---- caller side (any thread, never blocks on encoding) ----

    def push_video(self, source: MediaSource | str, frame: VideoInput, media_time: float | None = None) -> None:
        """Hands over a decoded video frame (av.VideoFrame or BGR ndarray); older unused frames are dropped.

        Args:
            source: customer or teller.
            frame: the frame; it must not be modified afterwards.
            media_time: arrival time on the media clock (default: now).
        """
        if self.state != RecorderState.RECORDING:
            return
        t = self.clock.now() if media_time is None else media_time
        q = self._video_in[MediaSource(source)]
        with self._lock:
            if len(q) == q.maxlen:
                self.stats.video_frames_skipped += 1
            q.append((t - self._t0, frame))
            self.stats.video_frames_in += 1

    def push_audio(self, source: MediaSource | str, frame: av.AudioFrame, media_time: float | None = None) -> None:
        """Hands over a decoded audio frame; the oldest audio is dropped beyond the buffer bound.

        Args:
            source: customer or teller.
            frame: the frame (any format/rate/layout; resampled in the worker).
            media_time: arrival time on the media clock (default: now).
        """
        if self.state != RecorderState.RECORDING:
            return
        t = self.clock.now() if media_time is None else media_time
        bound = int(self.config.audio_buffer_s * frame.sample_rate * len(MediaSource))
        with self._lock:
            self._audio_in.append((MediaSource(source), t - self._t0, frame))
            self._audio_in_samples += frame.samples
            self.stats.audio_frames_in += 1
            while self._audio_in_samples > bound and len(self._audio_in) > 1:
                _s, _t, old = self._audio_in.popleft()
                self._audio_in_samples -= old.samples
                self.stats.audio_frames_dropped += 1

    # ---- life cycle ----

    def start(self, threaded: bool = True) -> None:
        """Starts recording at the clock's current time.

        Args:
            threaded: run the worker thread (production). ``False`` lets tests call :meth:`run_pending` themselves.
        """
        if self.state != RecorderState.IDLE:
            raise RuntimeError("recorder already started")
        self._t0 = self.clock.now()
        self._wall0 = self.wall_clock() + self.config.server_clock_offset_s
        self.state = RecorderState.RECORDING
        self._open_segment(0.0)
        logger.info(
            "session %s: recording %s started (%dx%d@%d, %.0fs segments)",
            self.config.session_id,
            self.config.recording_id,
            self.config.width,
            self.config.height,
            self.config.fps,
            self.config.segment_seconds,
        )
        if threaded:
            self._thread = threading.Thread(target=self._worker, name=f"recorder-{self.config.session_id}", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 30.0) -> list[SegmentInfo]:
        """Stops recording, closes the last (partial) segment and forgets the key; returns all segments."""
        if self.state == RecorderState.RECORDING:
            self._stop.set()
            if self._thread is not None:
                self._thread.join(timeout)
                if self._thread.is_alive():
                    logger.error("session %s: recorder worker did not stop in time", self.config.session_id)
            else:
                self._finish()
        self._key.destroy()
        return list(self.segments)

    def _worker(self) -> None:
        while not self._stop.is_set() and self.state == RecorderState.RECORDING:
            self.run_pending()
            deadline = self._t0 + self._slot_time() + self.config.av_latency_s
            self.clock.wait_until(deadline, self._stop)
        self._finish()

    def _fail(self, exc: Exception) -> None:
        self.state = RecorderState.FAILED
        logger.exception("session %s: recording failed", self.config.session_id)
        if self._enc is not None:
            self._enc.abort()
            self._enc = None
        if self.on_error is not None:
            self.on_error(f"录像失败：{exc}。请暂停办理需要双录的业务并联系管理员。")

    def _finish(self) -> None:
        with self._work_lock:
            if self.state != RecorderState.RECORDING:
                return
            self.run_pending(final=True)
            try:
                self._close_segment(final=True)
            except Exception as exc:
                self._fail(exc)
                return
            self.state = RecorderState.STOPPED
        logger.info(
            "session %s: recording %s stopped, %d segments",
            self.config.session_id,
            self.config.recording_id,
            len(self.segments),
        )

    # ---- worker side ----

    def _slot_time(self) -> float:
        return self._seg_start + self._seg_frames_done / self._levels[self._level].fps

    def run_pending(self, final: bool = False) -> None:
        """Encodes every output slot whose time has come (the worker calls this; tests may call it directly).

        Args:
            final: stopping: emit all slots up to now without waiting for late data.
        """
        with self._work_lock:
            if self.state != RecorderState.RECORDING:
                return
            try:
                self._run_pending(final)
            except Exception as exc:
                self._fail(exc)

    def _run_pending(self, final: bool) -> None:
        cfg = self.config
        now = self.clock.now() - self._t0
        self._drain_audio()
        while True:
            fps = self._levels[self._level].fps
            slot = self._slot_time()
            if final:
                if slot >= now - 1e-9:
                    break
            elif slot + cfg.av_latency_s > now + 1e-9:
                break
            if self._seg_frames_done >= round(cfg.segment_seconds * fps):
                # The segment is full and the next slot is due: close it now (lazily, so that the segment open at
                # stop time always holds the last frames and carries the "final" flag).
                self._close_segment()
                self._maybe_recover()
                self._open_segment(slot)
                continue
            lag = now - (slot + cfg.av_latency_s)
            if cfg.adaptive and not final and lag > cfg.max_lag_s:
                self._skip_to(now - cfg.av_latency_s)
                continue
            if (
                cfg.adaptive
                and not final
                and lag > cfg.degrade_lag_s
                and self._level < len(self._levels) - 1
                and self._since_degrade >= fps
            ):
                self._degrade(lag)
                continue
            began = time.perf_counter()
            self._emit_slot(slot, fps)
            self._since_degrade += 1
            self._seg_busy += time.perf_counter() - began

    def _drain_audio(self) -> None:
        with self._lock:
            items = list(self._audio_in)
            self._audio_in.clear()
            self._audio_in_samples = 0
        for source, t, frame in items:
            self._mixer.add(source.value, frame, t)

    def _pick_frames(self, slot: float) -> bool:
        changed = False
        with self._lock:
            for source, q in self._video_in.items():
                chosen = None
                while q and q[0][0] <= slot + 1e-9:
                    if chosen is not None:
                        self.stats.video_frames_skipped += 1
                    chosen = q.popleft()[1]
                if chosen is not None:
                    self._current[source] = chosen
                    changed = True
        return changed

    def _emit_slot(self, slot: float, fps: int) -> None:
        assert self._enc is not None
        second = int(self._wall0 + slot)
        new_picture = self._pick_frames(slot) or self._final is None
        if not new_picture:
            self.stats.frames_repeated += 1
        if new_picture or second != self._final_second:
            # composed straight into a new frame and watermarked in place; a frame given to the encoder is never
            # changed afterwards (the same picture in a new second is composed again, once a second at most)
            cur = self._current
            final = self._compositor.compose_frame(cur[MediaSource.CUSTOMER], cur[MediaSource.TELLER])
            y, u, v = plane_views(final)
            time_text = format_watermark_time(self._wall0 + slot, self.config.watermark_utc_offset_h)
            self._painter.paint_planes(y, u, v, time_text)
            self._final, self._final_second = final, second
        assert self._final is not None
        self._enc.add_frame(self._final)
        self._seg_frames_done += 1
        self.stats.frames_encoded += 1
        rate = self.config.audio_rate
        audio_end = round((self._seg_start + self._seg_frames_done / fps) * rate)
        if audio_end > self._audio_pos:
            self._enc.add_audio(self._mixer.mix(self._audio_pos, audio_end))
            self._audio_pos = audio_end

    def _open_segment(self, start: float, gap: float = 0.0) -> None:
        lvl = self._levels[self._level]
        self._enc = SegmentEncoder(
            self.config.width, self.config.height, lvl.fps, lvl.preset, lvl.crf, self.config.audio_rate
        )
        self._seg_start = start
        self._seg_frames_done = 0
        self._seg_gap = gap
        self._seg_busy = 0.0
        self._audio_pos = round(start * self.config.audio_rate)

    def _close_segment(self, final: bool = False) -> None:
        """Finishes, encrypts and spools the current segment; ``final`` marks the recording's last segment."""
        enc, self._enc = self._enc, None
        if enc is None:
            return
        if enc.frames == 0:
            enc.abort()
            return
        began = time.perf_counter()
        plaintext = enc.finish()
        cfg = self.config
        lvl = self._levels[self._level]
        duration = enc.frames / lvl.fps
        meta: dict[str, Any] = {
            "recording_id": cfg.recording_id,
            "session_id": cfg.session_id,
            "seat_id": cfg.seat_id,
            "business_type": cfg.business_type,
            "segment_index": self._seg_index,
            "start_s": round(self._seg_start, 6),
            "duration_s": round(duration, 6),
            "started_at": round(self._wall0 + self._seg_start, 3),
            "fps": lvl.fps,
            "frames": enc.frames,
            "audio_rate": cfg.audio_rate,
            "audio_samples": enc.samples,
            "width": cfg.width,
            "height": cfg.height,
            "gap_before_s": round(self._seg_gap, 6),
            "final": final,
            "plaintext_sha256": hashlib.sha256(plaintext).hexdigest(),
            "plaintext_size": len(plaintext),
            "container": "mp4",
            "video_codec": "h264",
            "audio_codec": "aac",
        }
        data = encrypt_segment(plaintext, self._key, self._seg_index, meta)
        del plaintext
        name = f"{cfg.recording_id}_{self._seg_index:05d}{FILE_SUFFIX}"
        path = self.spool.write(name, data)
        info = SegmentInfo(
            recording_id=cfg.recording_id,
            segment_index=self._seg_index,
            path=path,
            start_s=self._seg_start,
            duration_s=duration,
            fps=lvl.fps,
            frames=enc.frames,
            audio_samples=enc.samples,
            ciphertext_sha256=hashlib.sha256(data).hexdigest(),
            size=len(data),
            gap_before_s=self._seg_gap,
            meta=meta,
        )
        self._seg_busy += time.perf_counter() - began
        self.segments.append(info)
        self.stats.segments += 1
        self._seg_index += 1
        logger.info(
            "session %s: segment %d spooled (%.2fs, %d frames @%d, %d bytes)",
            cfg.session_id,
            info.segment_index,
            duration,
            info.frames,
            info.fps,
            info.size,
        )
        if self.on_segment is not None:
            self.on_segment(info)

    def _degrade(self, lag: float) -> None:
        """Cuts the segment here and continues at a lower frame rate so the worker catches up."""
        slot = self._slot_time()
        self._close_segment()
        self._level += 1
        self._since_degrade = 0
        self.stats.degrade_level = self._level
        self.stats.degradations += 1
        logger.warning(
            "session %s: recorder %.2fs behind, degrading to %d fps",
            self.config.session_id,
            lag,
            self._levels[self._level].fps,
        )
        self._open_segment(slot)

    def _skip_to(self, target: float) -> None:
        """Far behind: closes the segment and restarts the timeline at ``target`` (a gap recorded in metadata)."""
        slot = self._slot_time()
        self._close_segment()
        gap = max(0.0, target - slot)
        self.stats.gaps += 1
        self.stats.gap_seconds += gap
        if self._level < len(self._levels) - 1:
            self._level += 1
            self.stats.degrade_level = self._level
        logger.error("session %s: recorder skipped %.2fs of media to catch up", self.config.session_id, gap)
        self._open_segment(target, gap)

    def _maybe_recover(self) -> None:
        """Steps quality back up after a segment that used little of its real-time budget."""
        if self._level > 0 and self._seg_busy < 0.3 * self.config.segment_seconds:
            self._level -= 1
            self.stats.degrade_level = self._level
            logger.info("session %s: recorder back to %d fps", self.config.session_id, self._levels[self._level].fps)
