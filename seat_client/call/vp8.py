"""The teller's VP8 encoder: aiortc's, with settings that cost about half the CPU for the same picture.

aiortc 1.16 encodes with libvpx ``cpu-used -6`` and the temporal denoiser on (``noise-sensitivity 4``). On a seat PC
that is ~2.6 ms per 640x480 frame, about 8 % of a core at 30 fps, spent on the teller's own camera while the same
core also decodes the customer's 720p, records the call and runs face checks. Measured here on a moving face with
sensor-like noise at aiortc's 500 kbit/s start rate (``scripts/bench-call --workstation-720p`` gives the effect in a
whole call):

=====================  ============  =========================
settings               ms per frame  PSNR-Y against the source
=====================  ============  =========================
-6, denoiser 4 (aiortc)        2.58  40.5 dB (the denoiser removes noise, so it also scores lower)
-6, denoiser off               2.09  42.0 dB
-12, denoiser off              1.40  42.0 dB
-16, denoiser off              1.27  33.3 dB (too coarse)
=====================  ============  =========================

so the seat uses ``cpu-used -12`` without the denoiser: a bank office is lit, the camera's noise is low, and the
customer's picture (the one that matters as evidence) is not touched. Everything else (CBR at the bitrate aiortc's
congestion control asks for, one token partition, no lag, key frames on request, packetisation) is aiortc's.

:func:`install` makes aiortc's RTP senders use this encoder for VP8; other codecs are unchanged.
"""

from __future__ import annotations

import logging
import multiprocessing
from typing import Any

import av
from aiortc import rtcrtpsender
from aiortc.codecs import get_encoder as aiortc_get_encoder
from aiortc.codecs.base import Encoder
from aiortc.codecs.vpx import Vp8Encoder, number_of_threads
from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from av.frame import Frame
from av.video.frame import VideoFrame

logger = logging.getLogger(__name__)

CPU_USED = -12
"""libvpx speed for real-time encoding (negative: no adaptive speed-up; larger magnitude = faster, coarser)."""

NOISE_SENSITIVITY = 0
"""libvpx temporal denoiser strength (0 = off)."""


class SeatVp8Encoder(Vp8Encoder):
    """:class:`aiortc.codecs.vpx.Vp8Encoder` with :data:`CPU_USED` and :data:`NOISE_SENSITIVITY`.

    Attributes:
        options: the libvpx options the current codec was opened with (libvpx consumes them when it opens, so
            ``codec.options`` keeps only those it did not know).
    """

    options: dict[str, str] | None = None

    def encode(self, frame: Frame, force_keyframe: bool = False) -> tuple[list[bytes], int]:
        """Same contract as aiortc's: payloads for one frame and its RTP timestamp."""
        assert isinstance(frame, VideoFrame)
        if frame.format.name != "yuv420p":
            frame = frame.reformat(format="yuv420p")
        codec = self.codec
        if codec is not None and (
            frame.width != codec.width
            or frame.height != codec.height
            or abs(self.target_bitrate - (codec.bit_rate or 0)) > 0.1 * (codec.bit_rate or 0)  # aiortc: a 10 % change
        ):
            self.codec = None
        if self.codec is None:
            self.codec = self._open(frame.width, frame.height)
        return super().encode(frame, force_keyframe)  # finds the codec open: encodes and packetises as aiortc does

    def _open(self, width: int, height: int) -> Any:
        rate = self.target_bitrate
        codec: Any = av.CodecContext.create("libvpx", "w")
        codec.width = width
        codec.height = height
        codec.bit_rate = rate
        codec.pix_fmt = "yuv420p"
        codec.gop_size = 3000
        codec.qmin = 2
        codec.qmax = 56
        self.options = {
            "bufsize": str(rate),
            "cpu-used": str(CPU_USED),
            "deadline": "realtime",
            "lag-in-frames": "0",
            "minrate": str(rate),
            "maxrate": str(rate),
            "noise-sensitivity": str(NOISE_SENSITIVITY),
            "overshoot-pct": "15",
            "partitions": "0",
            "static-thresh": "1",
            "undershoot-pct": "100",
        }
        codec.options = dict(self.options)
        codec.thread_count = number_of_threads(width * height, multiprocessing.cpu_count())
        return codec


def get_encoder(codec: RTCRtpCodecParameters) -> Encoder:
    """aiortc's encoder factory, with :class:`SeatVp8Encoder` for VP8."""
    if codec.mimeType.lower() == "video/vp8":
        return SeatVp8Encoder()
    return aiortc_get_encoder(codec)


def install() -> None:
    """Make aiortc's RTP senders in this process use :func:`get_encoder` (idempotent)."""
    if rtcrtpsender.get_encoder is not get_encoder:
        rtcrtpsender.get_encoder = get_encoder
        logger.debug("VP8 sender: cpu-used %d, noise sensitivity %d", CPU_USED, NOISE_SENSITIVITY)
