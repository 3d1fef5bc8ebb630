"""Synthetic media for recorder tests (no camera or microphone: these stand in for decoded WebRTC frames)."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

import av
import numpy as np
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from seat_client.recording.clock import FakeClock
from seat_client.recording.recorder import CallRecorder, MediaSource
from wire.recording_format import decrypt_segment


def pattern_frame(width: int, height: int, index: int, shade: int = 0) -> av.VideoFrame:
    """A yuv420p frame with a moving bright bar (changes every frame, so repeats are visible)."""
    arr = np.empty((height * 3 // 2, width), np.uint8)
    arr[:height] = 60 + shade
    x = (index * 8) % max(1, width - 16)
    arr[:height, x : x + 16] = 220
    arr[height:] = 128
    return av.VideoFrame.from_ndarray(arr, format="yuv420p")


def tone_frame(freq: float, first_sample: int, samples: int = 960, rate: int = 48000) -> av.AudioFrame:
    """A 20 ms s16 stereo frame of a sine tone, as aiortc delivers decoded Opus audio."""
    t = (np.arange(first_sample, first_sample + samples)) / rate
    mono = (np.sin(2 * np.pi * freq * t) * 6000).astype(np.int16)
    stereo = np.repeat(mono, 2).reshape(1, -1)
    frame = av.AudioFrame.from_ndarray(stereo, format="s16", layout="stereo")
    frame.sample_rate = rate
    return frame


@dataclass
class SyntheticCall:
    """Feeds a recorder like a live call: 30 fps video from both sides, 20 ms audio from both sides.

    Attributes:
        customer_size: customer video size (can be changed mid-call to simulate a resolution change).
        drop_video: predicate on the input frame index: True drops that customer frame.
        audio_delay_s: extra delay applied to customer audio arrival (late audio), per 20 ms frame index.
    """

    recorder: CallRecorder
    clock: FakeClock
    customer_size: tuple[int, int] = (640, 480)
    teller_size: tuple[int, int] = (320, 240)
    in_fps: int = 30
    customer_tone: float = 440.0
    teller_tone: float = 1500.0
    with_audio: bool = True
    drop_video: object = None
    audio_hold: set[int] = field(default_factory=set)
    held_keep_due_time: bool = False
    drive: bool = True
    _origin: float | None = None
    _video_i: int = 0
    _audio_i: int = 0
    _elapsed: float = 0.0
    _held: list[tuple[int, av.AudioFrame]] = field(default_factory=list)

    def run(self, seconds: float, step: float = 0.01) -> None:
        """Advances the fake clock in small steps, pushing due frames and letting the recorder work."""
        end = self._elapsed + seconds
        if self._origin is None:
            self._origin = self.clock.now()
        while self._elapsed < end - 1e-9:
            self.clock.advance(step)
            self._elapsed += step
            while self._video_i / self.in_fps <= self._elapsed + 1e-9:
                i = self._video_i
                self._video_i += 1
                if callable(self.drop_video) and self.drop_video(i):
                    continue
                due = self._origin + i / self.in_fps
                self.recorder.push_video(MediaSource.CUSTOMER, pattern_frame(*self.customer_size, i), due)
                self.recorder.push_video(MediaSource.TELLER, pattern_frame(*self.teller_size, i, shade=40), due)
            while self.with_audio and (self._audio_i + 1) * 0.02 <= self._elapsed + 1e-9:
                i = self._audio_i
                self._audio_i += 1
                cust = tone_frame(self.customer_tone, i * 960)
                if i in self.audio_hold:
                    self._held.append((i, cust))
                else:
                    for j, held in self._held:
                        stamp = self._origin + (j + 1) * 0.02 if self.held_keep_due_time else None
                        self.recorder.push_audio(MediaSource.CUSTOMER, held, stamp)
                    self._held.clear()
                    self.recorder.push_audio(MediaSource.CUSTOMER, cust, self._origin + (i + 1) * 0.02)
                due = self._origin + (i + 1) * 0.02
                self.recorder.push_audio(MediaSource.TELLER, tone_frame(self.teller_tone, i * 960), due)
            if self.drive:
                self.recorder.run_pending()


@dataclass
class DecodedSegment:
    """What a decrypted segment contains."""

    video_pts: list[int]
    video_time_base: float
    frames: list[np.ndarray]
    audio: np.ndarray
    audio_rate: int
    duration_s: float
    width: int
    height: int
    audio_duration_s: float


def decode_mp4(data: bytes, keep_frames: bool = False) -> DecodedSegment:
    """Decodes an MP4 held in memory."""
    with av.open(io.BytesIO(data), mode="r") as container:
        vs = container.streams.video[0]
        pts: list[int] = []
        frames: list[np.ndarray] = []
        width = height = 0
        for frame in container.decode(vs):
            assert frame.pts is not None
            pts.append(frame.pts)
            width, height = frame.width, frame.height
            if keep_frames:
                frames.append(frame.to_ndarray(format="gray"))
        tb = float(vs.time_base) if vs.time_base else 0.0
        duration = float(vs.duration * vs.time_base) if vs.duration and vs.time_base else 0.0
    with av.open(io.BytesIO(data), mode="r") as container:
        chunks = [f.to_ndarray().reshape(-1) for f in container.decode(container.streams.audio[0])]
        astream = container.streams.audio[0]
        rate = astream.rate
        audio_duration = float(astream.duration * astream.time_base) if astream.duration and astream.time_base else 0.0
    audio = np.concatenate(chunks).astype(np.float32) if chunks else np.zeros(0, np.float32)
    return DecodedSegment(pts, tb, frames, audio, rate, duration, width, height, audio_duration)


def decrypt_file(path: Path, key: X25519PrivateKey) -> tuple[dict, bytes]:
    """Decrypts a spooled segment; returns (header meta, MP4 bytes)."""
    header, plain = decrypt_segment(path.read_bytes(), key)
    return header.meta, plain


def tone_energy(audio: np.ndarray, rate: int, freq: float) -> float:
    """Relative spectral magnitude of ``freq`` in ``audio`` (peak around the bin / median magnitude)."""
    spectrum = np.abs(np.fft.rfft(audio * np.hanning(len(audio))))
    bin_ = round(freq * len(audio) / rate)
    return float(spectrum[bin_ - 3 : bin_ + 4].max() / (np.median(spectrum) + 1e-9))
