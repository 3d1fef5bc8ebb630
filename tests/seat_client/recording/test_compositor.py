"""The recorder's direct-to-frame composition and cached watermark give exactly the pictures of the packed path."""

from __future__ import annotations

import av
import numpy as np
import pytest

from seat_client.media.convert import plane_views
from seat_client.recording.compositor import Compositor
from seat_client.recording.watermark import WatermarkPainter

from .helpers import pattern_frame


def packed(frame: av.VideoFrame) -> np.ndarray:
    """A yuv420p frame as one packed I420 array (h * 3 / 2, w)."""
    return np.asarray(frame.to_ndarray())


def noise_frame(width: int, height: int, seed: int) -> av.VideoFrame:
    rng = np.random.default_rng(seed)
    bgr = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
    return av.VideoFrame.from_ndarray(bgr, format="bgr24").reformat(format="yuv420p")


@pytest.mark.parametrize(
    ("customer", "teller"),
    [
        ((1280, 720), (640, 480)),  # the customer fills the canvas
        ((642, 482), (640, 480)),  # letterboxed and scaled; rows of the source planes are padded
        ((720, 1280), None),  # portrait phone video, no teller picture
        (None, (320, 240)),
        (None, None),
    ],
)
def test_compose_frame_matches_compose(customer: tuple[int, int] | None, teller: tuple[int, int] | None) -> None:
    comp = Compositor(1280, 720)
    cust = noise_frame(*customer, seed=1) if customer else None
    tel = pattern_frame(*teller, 3) if teller else None
    frame = comp.compose_frame(cust, tel)
    assert (frame.width, frame.height, frame.format.name) == (1280, 720, "yuv420p")
    assert np.array_equal(packed(frame), comp.compose(cust, tel))


def test_compose_frame_takes_bgr_arrays_and_leaves_sources_alone() -> None:
    comp = Compositor(640, 360)
    bgr = np.random.default_rng(2).integers(0, 256, (480, 640, 3), dtype=np.uint8)
    source = noise_frame(640, 360, seed=4)
    before = packed(source).copy()
    frame = comp.compose_frame(source, bgr)
    assert np.array_equal(packed(frame), comp.compose(source, bgr))
    assert np.array_equal(packed(source), before)  # composed from a shared decoded frame: only read


@pytest.mark.parametrize("identity", ["SEAT seat-07  SESSION S1  CUST 110***********1234", "X" * 400])
def test_cached_watermark_box_paints_what_paint_does(identity: str) -> None:
    """Including an identity line too long for the box (drawn in place then, like paint())."""
    painter = WatermarkPainter(1280, 720, identity)
    for seed, time_text in enumerate(["2026-11-21 13:09:27 +08:00", "2026-11-21 13:09:28 +08:00"]):
        frame = noise_frame(1280, 720, seed=seed)
        expected = packed(frame).copy()
        painter.paint(expected, time_text)
        y, u, v = plane_views(frame)
        painter.paint_planes(y, u, v, time_text)
        assert np.array_equal(packed(frame), expected)
    assert (painter.box_luma(time_text) is None) == (len(identity) == 400)
