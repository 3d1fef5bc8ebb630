"""The teller's VP8 encoder: aiortc's senders use it, it uses the cheaper settings, and its stream decodes."""

from __future__ import annotations

import itertools
from fractions import Fraction

import av
import numpy as np
from aiortc import rtcrtpsender
from aiortc.codecs.opus import OpusEncoder
from aiortc.codecs.vpx import Vp8Decoder, vp8_depayload
from aiortc.jitterbuffer import JitterFrame
from aiortc.rtcrtpparameters import RTCRtpCodecParameters

import seat_client.call.session  # noqa: F401  (installs the encoder, as the seat client does)
from seat_client.call import vp8

VP8 = RTCRtpCodecParameters(mimeType="video/VP8", clockRate=90000, payloadType=96)
OPUS = RTCRtpCodecParameters(mimeType="audio/opus", clockRate=48000, channels=2, payloadType=111)


def _frames(n: int, width: int = 640, height: int = 480) -> list[av.VideoFrame]:
    """A moving gradient with a little noise (the encoder has something to do in every frame)."""
    rng = np.random.default_rng(3)
    yy, xx = np.mgrid[0:height, 0:width]
    out = []
    for i in range(n):
        img = ((xx + 4 * i) % 256 + (yy // 2) % 64).astype(np.int16) + rng.integers(-3, 4, (height, width))
        rgb = np.repeat(np.clip(img, 0, 255).astype(np.uint8)[:, :, None], 3, axis=2)
        frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
        frame.pts = i * 3000
        frame.time_base = Fraction(1, 90000)
        out.append(frame)
    return out


def test_aiortc_senders_get_the_seat_encoder_for_vp8_only() -> None:
    assert rtcrtpsender.get_encoder is vp8.get_encoder
    assert isinstance(rtcrtpsender.get_encoder(VP8), vp8.SeatVp8Encoder)
    assert isinstance(rtcrtpsender.get_encoder(OPUS), OpusEncoder)
    vp8.install()  # idempotent
    assert rtcrtpsender.get_encoder is vp8.get_encoder


def test_encoder_uses_the_cheaper_settings_and_its_stream_decodes() -> None:
    encoder = vp8.SeatVp8Encoder()
    decoder = Vp8Decoder()
    decoded: list[av.VideoFrame] = []
    stamps: list[int] = []
    for i, frame in enumerate(_frames(20)):
        payloads, timestamp = encoder.encode(frame, force_keyframe=(i == 0))
        assert payloads
        stamps.append(timestamp)
        data = b"".join(vp8_depayload(p) for p in payloads)
        decoded += [
            f for f in decoder.decode(JitterFrame(data=data, timestamp=timestamp)) if isinstance(f, av.VideoFrame)
        ]
    assert encoder.codec is not None and encoder.options is not None
    assert encoder.options["cpu-used"] == str(vp8.CPU_USED) == "-12"
    assert encoder.options["noise-sensitivity"] == "0"
    # libvpx took both (what it does not know stays behind in codec.options)
    assert "cpu-used" not in encoder.codec.options and "noise-sensitivity" not in encoder.codec.options
    assert len(decoded) == 20
    assert all(abs((b - a) - 3000) <= 1 for a, b in itertools.pairwise(stamps))  # 30 fps at 90 kHz
    assert (decoded[-1].width, decoded[-1].height) == (640, 480)
    # the picture survives: mean luma error of the last frame is small
    src = _frames(20)[-1].to_ndarray(format="gray").astype(float)
    assert np.abs(decoded[-1].to_ndarray(format="gray").astype(float) - src).mean() < 6


def test_encoder_reopens_when_the_size_or_bitrate_changes() -> None:
    encoder = vp8.SeatVp8Encoder()
    encoder.encode(_frames(1)[0])
    first = encoder.codec
    encoder.encode(_frames(1)[0])
    assert encoder.codec is first
    encoder.encode(_frames(1, 320, 240)[0])
    assert encoder.codec is not None and encoder.codec is not first and encoder.codec.width == 320
    second = encoder.codec
    encoder.target_bitrate = 2 * encoder.target_bitrate
    encoder.encode(_frames(1, 320, 240)[0])
    assert encoder.codec is not second and encoder.options is not None
    assert encoder.options["minrate"] == str(encoder.target_bitrate)
