"""Test media sources for machines without a camera or microphone. They say so in their name and on screen."""

from __future__ import annotations

import asyncio
import fractions
import logging
import math
import time
from datetime import datetime
from pathlib import Path

import av
import cv2
import numpy as np
from aiortc import AudioStreamTrack
from aiortc.mediastreams import MediaStreamError

from seat_client.media.base import ThreadedVideoTrack

logger = logging.getLogger(__name__)

TEST_SOURCE_TEXT = "测试画面 TEST SOURCE"
CJK_FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "C:/Windows/Fonts/msyh.ttc",
    "/System/Library/Fonts/PingFang.ttc",
)


def _render_label(text: str, height_px: int) -> np.ndarray:
    """Render ``text`` (Chinese included) to a white-on-transparent BGRA image with Pillow."""
    from PIL import Image, ImageDraw, ImageFont

    font: ImageFont.FreeTypeFont | ImageFont.ImageFont
    for candidate in CJK_FONT_CANDIDATES:
        if Path(candidate).exists():
            font = ImageFont.truetype(candidate, height_px)
            break
    else:  # no CJK font: keep the English half so the frame still says it is a test source
        logger.warning("no CJK font found; the test pattern shows only 'TEST SOURCE'")
        font = ImageFont.load_default()
        text = "TEST SOURCE"
    left, top, right, bottom = ImageDraw.Draw(Image.new("L", (1, 1))).textbbox((0, 0), text, font=font)
    image = Image.new("L", (int(right - left) + 16, int(bottom - top) + 16), 0)
    ImageDraw.Draw(image).text((8 - left, 8 - top), text, fill=255, font=font)
    return np.asarray(image, dtype=np.uint8)


class FakeCameraPattern(ThreadedVideoTrack):
    """A moving colour pattern with "测试画面 TEST SOURCE" and a clock burned in (not a camera).

    Used when the seat PC has no camera and in every test. 640x480 at 30 fps by default.
    """

    def __init__(self, width: int = 640, height: int = 480, fps: float = 30.0) -> None:
        super().__init__(width, height, fps)
        self._index = 0
        self._next_due = 0.0
        xs = np.linspace(0, 2 * math.pi, width, endpoint=False, dtype=np.float32)
        ys = np.linspace(0, 2 * math.pi, height, endpoint=False, dtype=np.float32)
        base = np.empty((height, width * 2, 3), dtype=np.uint8)
        wide = np.concatenate([xs, xs + 2 * math.pi])
        for channel, phase in enumerate((0.0, 2.1, 4.2)):
            base[:, :, channel] = (
                127 + 100 * np.sin(wide[None, :] + phase) + 25 * np.cos(ys[:, None] * 2 + phase)
            ).astype(np.uint8)
        self._background = base
        self._label = _render_label(TEST_SOURCE_TEXT, max(18, height // 14))

    @property
    def label(self) -> str:
        """Name shown in logs."""
        return "FakeCameraPattern"

    def capture(self) -> np.ndarray:
        """Render the next pattern frame, paced to ``fps`` (runs on the capture thread)."""
        now = time.monotonic()
        if self._next_due > now:
            self._stop_event.wait(self._next_due - now)
        self._next_due = max(self._next_due, now) + 1.0 / self.fps
        shift = (self._index * 4) % self.width
        self._index += 1
        image = np.ascontiguousarray(self._background[:, shift : shift + self.width])
        # a bright square that bounces, so motion is visible even in a still screenshot series
        side = self.height // 6
        x = int((self.width - side) * (0.5 + 0.5 * math.sin(self._index / 20)))
        y = int((self.height - side) * (0.5 + 0.5 * math.cos(self._index / 27)))
        image[y : y + side, x : x + side] = (255, 255, 255)
        label = self._label
        lh, lw = label.shape
        lw = min(lw, self.width - 20)
        region = image[20 : 20 + lh, 10 : 10 + lw]
        region[:] = region // 3  # dark band behind the text
        mask = label[:, :lw] > 128
        region[mask] = (255, 255, 255)
        clock = datetime.now().strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] + f"  #{self._index}"
        cv2.rectangle(image, (10, self.height - 44), (self.width - 10, self.height - 10), (0, 0, 0), -1)
        cv2.putText(
            image, clock, (20, self.height - 18), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (255, 255, 255), 2, cv2.LINE_AA
        )
        return image


class FakeMicrophoneTone(AudioStreamTrack):
    """A quiet 440 Hz sine tone (not a microphone), 48 kHz mono s16 in 20 ms frames."""

    kind = "audio"

    def __init__(self, frequency: float = 440.0, amplitude: float = 0.05, sample_rate: int = 48000) -> None:
        super().__init__()
        self.frequency = frequency
        self.amplitude = amplitude
        self.sample_rate = sample_rate
        self.samples_per_frame = sample_rate // 50
        self._timestamp = 0
        self._first_frame_at: float | None = None

    async def recv(self) -> av.AudioFrame:  # type: ignore[override]
        """The next 20 ms of tone, paced in real time."""
        if self.readyState != "live":
            raise MediaStreamError
        if self._first_frame_at is None:
            self._first_frame_at = time.monotonic()
        else:
            self._timestamp += self.samples_per_frame
            wait = self._first_frame_at + self._timestamp / self.sample_rate - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
        t = (np.arange(self.samples_per_frame) + self._timestamp) / self.sample_rate
        samples = (np.sin(2 * math.pi * self.frequency * t) * self.amplitude * 32767).astype(np.int16)
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = self.sample_rate
        frame.pts = self._timestamp
        frame.time_base = fractions.Fraction(1, self.sample_rate)
        return frame
