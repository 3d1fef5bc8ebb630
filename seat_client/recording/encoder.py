"""Encodes one recording segment (H.264 + AAC) into an in-memory MP4: the plaintext never touches disk."""

from __future__ import annotations

import contextlib
import io
from fractions import Fraction

import av
import numpy as np


class SegmentEncoder:
    """One self-contained MP4 segment, starting with a key frame, timestamps from zero.

    Args:
        width: picture width.
        height: picture height.
        fps: constant frame rate of this segment.
        preset: libx264 preset (``ultrafast`` keeps 720p30 well under a quarter core).
        crf: libx264 constant rate factor.
        audio_rate: AAC sample rate (mono).
        audio_bitrate: AAC bit rate.
    """

    def __init__(
        self,
        width: int,
        height: int,
        fps: int,
        preset: str = "ultrafast",
        crf: int = 26,
        audio_rate: int = 48000,
        audio_bitrate: int = 64000,
    ) -> None:
        self.fps = fps
        self.audio_rate = audio_rate
        self._buf = io.BytesIO()
        self._container = av.open(self._buf, mode="w", format="mp4")
        self._video = self._container.add_stream(
            "libx264",
            rate=fps,
            options={"preset": preset, "crf": str(crf), "g": str(2 * fps), "threads": "1"},
        )
        self._video.width = width
        self._video.height = height
        self._video.pix_fmt = "yuv420p"
        self._video_tb = Fraction(1, fps)
        self._audio = self._container.add_stream("aac", rate=audio_rate, layout="mono")
        self._audio.bit_rate = audio_bitrate
        self.frames = 0
        self.samples = 0

    def add_video(self, i420: np.ndarray) -> None:
        """Encodes the next picture (packed I420) at pts = frames so far."""
        self.add_frame(av.VideoFrame.from_ndarray(i420, format="yuv420p"))

    def add_frame(self, frame: av.VideoFrame) -> None:
        """Encodes the next picture (a yuv420p frame of the segment's size) at pts = frames so far.

        The encoder has taken its own copy when this returns: the same frame may be passed again (a repeated
        picture), but its pixels must not change in between (the caller makes a new frame for a new picture).
        """
        frame.pts = self.frames
        frame.time_base = self._video_tb
        self.frames += 1
        for packet in self._video.encode(frame):
            self._container.mux(packet)

    def add_audio(self, samples: np.ndarray) -> None:
        """Encodes the next mono s16 samples."""
        if len(samples) == 0:
            return
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = self.audio_rate
        frame.pts = self.samples
        self.samples += len(samples)
        for packet in self._audio.encode(frame):
            self._container.mux(packet)

    def finish(self) -> bytes:
        """Flushes both encoders and returns the complete MP4 bytes (in memory)."""
        for packet in self._video.encode(None):
            self._container.mux(packet)
        for packet in self._audio.encode(None):
            self._container.mux(packet)
        self._container.close()
        data = self._buf.getvalue()
        self._buf = io.BytesIO()
        return data

    def abort(self) -> None:
        """Drops the segment without producing output."""
        # Closing a half-written in-memory container may fail; there is nothing to save either way.
        with contextlib.suppress(Exception):
            self._container.close()
        self._buf = io.BytesIO()
