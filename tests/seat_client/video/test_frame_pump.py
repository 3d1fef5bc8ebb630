"""The frame pump converts off the event loop, keeps only the latest frame and counts what it drops."""

from __future__ import annotations

import threading

import av
import numpy as np
import pytest
from PySide6.QtGui import QImage
from pytestqt.qtbot import QtBot

from seat_client.video.frame_pump import FramePump, array_to_qimage, frame_to_rgb, frame_to_rgb32
from seat_client.views.video_tile import VideoTile


def solid_frame(rgb: tuple[int, int, int], width: int = 64, height: int = 48) -> av.VideoFrame:
    image = np.zeros((height, width, 3), dtype=np.uint8)
    image[:, :] = rgb
    return av.VideoFrame.from_ndarray(image, format="rgb24").reformat(format="yuv420p")


@pytest.fixture
def gated_pump(qtbot: QtBot):  # type: ignore[no-untyped-def]
    """A pump whose conversion blocks until the test opens the gate: it is fed faster than it can draw."""
    gate = threading.Event()
    converting_threads: set[str] = set()

    def slow_convert(frame: av.VideoFrame) -> np.ndarray:
        converting_threads.add(threading.current_thread().name)
        gate.wait(10)
        return frame_to_rgb(frame)

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
