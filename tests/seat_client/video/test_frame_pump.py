"""The frame pump converts off the event loop, keeps only the latest frame and counts what it drops."""

from __future__ import annotations

import threading

import av
import numpy as np
import pytest
from PySide6.QtCore import QRect
from PySide6.QtGui import QColor, QImage
from pytestqt.qtbot import QtBot

from seat_client.video.frame_pump import (
    FIT_TAG,
    FramePump,
    array_to_qimage,
    fit_size,
    frame_to_rgb,
    frame_to_rgb32,
    rgb32_conversion_is_exact,
)
from seat_client.views.video_tile import BACKGROUND, VideoTile, _letterbox


def solid_frame(rgb: tuple[int, int, int], width: int = 64, height: int = 48) -> av.VideoFrame:
    image = np.zeros((height, width, 3), dtype=np.uint8)
    image[:, :] = rgb
    return av.VideoFrame.from_ndarray(image, format="rgb24").reformat(format="yuv420p")


@pytest.fixture
def gated_pump(qtbot: QtBot):  # type: ignore[no-untyped-def]
    """A pump whose conversion blocks until the test opens the gate: it is fed faster than it can draw."""
    gate = threading.Event()
    converting_threads: set[str] = set()

    def slow_convert(frame: av.VideoFrame, size: tuple[int, int] | None) -> np.ndarray:
        converting_threads.add(threading.current_thread().name)
        gate.wait(10)
        return frame_to_rgb(frame, size)

    pump = FramePump("test", converter=slow_convert)
    yield pump, gate, converting_threads
    gate.set()
    pump.stop()


def test_drops_instead_of_queueing(qtbot: QtBot, gated_pump) -> None:  # type: ignore[no-untyped-def]
    pump, gate, threads = gated_pump
    frames = [solid_frame((i, 0, 0)) for i in range(50)]
    for frame in frames:
        pump.submit(frame)
        assert pump.counters.max_queue_depth <= 1
    assert pump.counters.received == 50
    assert pump.counters.dropped >= 48  # at most one converting and one waiting survive
    with qtbot.waitSignal(pump.frameReady, timeout=5000) as blocker:
        gate.set()
    qtbot.waitUntil(lambda: pump.counters.decoded + pump.counters.dropped == 50, timeout=5000)
    assert pump.counters.decoded <= 2
    assert pump.counters.max_queue_depth == 1
    assert threads and threading.main_thread().name not in threads  # conversion never ran on the GUI/loop thread
    # the latest frame wins: the last image delivered is the last frame submitted
    qtbot.waitUntil(lambda: pump.counters.delivered >= 1)
    image = blocker.args[0]
    assert (image.width(), image.height()) == (64, 48)


def test_tile_draws_converted_frames(qtbot: QtBot) -> None:
    pump = FramePump("tile-test")
    tile = VideoTile("等待客户视频…", "客户")
    qtbot.addWidget(tile)
    tile.bind(pump)
    tile.resize(320, 240)
    tile.show()
    qtbot.waitExposed(tile)
    try:
        with qtbot.waitSignal(pump.frameReady) as blocker:
            pump.submit(solid_frame((255, 0, 0)))
        image = blocker.args[0]
        # the format the raster engine draws without converting again on the GUI thread
        assert image.format() == QImage.Format.Format_RGB32
        colour = image.pixelColor(10, 10)
        assert colour.red() > 200 and colour.green() < 60 and colour.blue() < 60  # RGB order kept
        qtbot.waitUntil(lambda: pump.counters.drawn == 1)
        with qtbot.waitSignal(pump.frameReady):
            pump.submit(solid_frame((0, 0, 255)))
        qtbot.waitUntil(lambda: pump.counters.drawn == 2)
        tile.repaint()  # repainting the same frame does not count it twice
        assert pump.counters.drawn == 2
        assert tile.grab().toImage().pixelColor(160, 120).blue() > 200
    finally:
        pump.stop()


@pytest.mark.parametrize("width", [64, 66, 68, 70, 426, 1280])
def test_rgb32_and_rgb24_conversions_give_the_same_picture(width: int) -> None:
    """Including the widths at which FFmpeg 8.1's swscale gets I420 -> BGRA wrong (2 or 4 over a multiple of 16)."""
    rng = np.random.default_rng(width)
    frame = av.VideoFrame.from_ndarray(rng.integers(0, 255, (48, width, 3), dtype=np.uint8), format="rgb24")
    frame = frame.reformat(format="yuv420p")
    rgb32, rgb24 = array_to_qimage(frame_to_rgb32(frame)), array_to_qimage(frame_to_rgb(frame))
    assert rgb32.format() == rgb24.format() == QImage.Format.Format_RGB32
    assert (rgb32.width(), rgb32.height()) == (width, 48)
    assert rgb32 == rgb24


@pytest.mark.parametrize(
    ("frame", "box"),
    [((1280, 720), (896, 504)), ((1280, 720), (330, 250)), ((640, 480), (241, 181)), ((320, 240), (1000, 700))],
)
def test_fit_size_fits_keeps_the_aspect_and_a_width_swscale_converts_exactly(
    frame: tuple[int, int], box: tuple[int, int]
) -> None:
    w, h = fit_size(*frame, *box)
    assert w <= box[0] and h <= box[1]
    assert w % 16 == 0 and rgb32_conversion_is_exact(w)
    # fills the box but for rounding the width down to a multiple of 16 (and the height with it)
    assert box[0] - w < 16 or box[1] - h <= 16 * frame[1] / frame[0] + 1
    assert abs(w / h - frame[0] / frame[1]) < 0.03


def test_pump_scales_frames_for_the_tile_and_follows_its_resizes(qtbot: QtBot) -> None:
    """The GUI thread gets images already the tile's size; after a resize, images for the new size."""
    pump = FramePump("fit-test")
    tile = VideoTile("等待客户视频…", "客户")
    qtbot.addWidget(tile)
    tile.resize(330, 250)
    tile.bind(pump)
    tile.show()
    qtbot.waitExposed(tile)
    ratio = tile.devicePixelRatioF()
    big = av.VideoFrame.from_ndarray(np.full((720, 1280, 3), (0, 200, 0), np.uint8), format="rgb24")
    try:
        with qtbot.waitSignal(pump.frameReady) as blocker:
            pump.submit(big.reformat(format="yuv420p"))
        image = blocker.args[0]
        box = (round(330 * ratio), round(250 * ratio))
        assert (image.width(), image.height()) == fit_size(1280, 720, *box)
        assert image.text(FIT_TAG) == f"{box[0]}x{box[1]}"
        qtbot.waitUntil(lambda: pump.counters.drawn == 1)
        shot = tile.grab().toImage()
        assert shot.pixelColor(165, 125).green() > 150
        # the letterbox bars (above the 16:9 picture, and the few pixels the width's rounding leaves at the sides)
        assert shot.pixelColor(165, 20) == BACKGROUND and shot.pixelColor(165, 245) == BACKGROUND
        assert shot.pixelColor(1, 125) == BACKGROUND and shot.pixelColor(328, 125) == BACKGROUND
        tile.resize(500, 400)
        qtbot.waitUntil(lambda: tile.width() == 500)
        with qtbot.waitSignal(pump.frameReady) as blocker:
            pump.submit(big.reformat(format="yuv420p"))
        image = blocker.args[0]
        assert (image.width(), image.height()) == fit_size(1280, 720, round(500 * ratio), round(400 * ratio))
    finally:
        pump.stop()


def test_an_image_made_for_another_size_is_still_scaled_to_fit(qtbot: QtBot) -> None:
    """Between a resize and the next frame the tile scales the old image itself: no blank, no overflow."""
    tile = VideoTile("等待客户视频…", "客户")
    qtbot.addWidget(tile)
    tile.resize(400, 300)
    tile.show()
    qtbot.waitExposed(tile)
    small = QImage(160, 120, QImage.Format.Format_RGB32)
    small.fill(QColor(200, 0, 0))
    small.setText(FIT_TAG, "160x120")
    tile.set_image(small)
    shot = tile.grab().toImage()
    assert shot.pixelColor(20, 20).red() > 150  # scaled up to fill the 400x300 tile, not drawn at 160x120
    assert shot.pixelColor(390, 290).red() > 150


@pytest.mark.parametrize(
    "inner",
    [QRect(5, 35, 320, 180), QRect(0, 0, 330, 250), QRect(0, 10, 330, 230), QRect(40, 0, 250, 250), QRect(0, 0, 0, 0)],
)
def test_letterbox_bars_and_the_picture_cover_the_tile_exactly_once(inner: QRect) -> None:
    outer = QRect(0, 0, 330, 250)
    pieces = [*_letterbox(outer, inner), inner.intersected(outer)]
    area = sum(r.width() * r.height() for r in pieces if not r.isEmpty())
    assert area == outer.width() * outer.height()
    covered = set()
    for r in pieces:
        for x in range(r.left(), r.left() + r.width()):
            for y in range(r.top(), r.top() + r.height()):
                assert (x, y) not in covered
                covered.add((x, y))
