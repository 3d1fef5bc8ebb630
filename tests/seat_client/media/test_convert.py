"""One frame converted by several threads at once gives each the right picture (no shared SwsContext)."""

from __future__ import annotations

import threading

import av
import numpy as np

from seat_client.media.convert import copy_yuv420p, frame_to_ndarray, plane_views


def _test_frame() -> av.VideoFrame:
    rng = np.random.default_rng(7)
    bgr = rng.integers(0, 255, size=(480, 640, 3), dtype=np.uint8)
    return av.VideoFrame.from_ndarray(bgr, format="bgr24").reformat(format="yuv420p")


def test_conversion_matches_pyav_and_scales() -> None:
    frame = _test_frame()
    rgb = frame_to_ndarray(frame, format="rgb24")
    assert rgb.shape == (480, 640, 3)
    assert np.array_equal(rgb, frame.to_ndarray(format="rgb24"))
    small = frame_to_ndarray(frame, format="yuv420p", width=320, height=240)
    assert small.shape == (360, 320)  # packed I420: h * 3 / 2 rows


def test_threads_converting_the_same_frame_each_get_the_right_result() -> None:
    frame = _test_frame()
    expected = {
        ("rgb24", None): frame_to_ndarray(frame, format="rgb24"),
        ("yuv420p", 320): frame_to_ndarray(frame, format="yuv420p", width=320, height=240),
    }
    mismatches: list[str] = []
    start = threading.Barrier(4)

    def work(kind: tuple[str, int | None]) -> None:
        start.wait()
        for _ in range(200):
            width = kind[1]
            out = frame_to_ndarray(frame, format=kind[0], width=width, height=240 if width else None)
            if not np.array_equal(out, expected[kind]):
                mismatches.append(str(kind))

    threads = [threading.Thread(target=work, args=(k,)) for k in list(expected) * 2]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert mismatches == []
    assert frame.format.name == "yuv420p"  # the shared source frame is untouched


def test_copy_is_a_new_frame_with_the_same_pixels_at_padded_widths() -> None:
    rng = np.random.default_rng(9)
    source = av.VideoFrame.from_ndarray(rng.integers(0, 255, (242, 322, 3), dtype=np.uint8), format="bgr24")
    source = source.reformat(format="yuv420p")
    copy = copy_yuv420p(source)
    assert copy is not source
    assert np.array_equal(copy.to_ndarray(), source.to_ndarray())
    plane_views(copy)[0][:] = 0  # writing the copy leaves the source alone
    assert source.to_ndarray()[:242].any()
