"""Frame conversion that is safe when one decoded frame is read by several threads at once.

One aiortc frame reaches up to three threads during a call: the frame pump (drawing), the 双录 recorder
(compositing) and a snapshot (抓拍). PyAV's ``VideoFrame.reformat()``/``to_ndarray(format=...)`` cache a
``VideoReformatter`` (an FFmpeg SwsContext) *on the frame* and reuse it, so two threads converting the same frame
race on that C state; we saw it abort the process ("none_dealloc: deallocating None") under load. Each thread here
uses its own reformatter instead and only reads the source frame.
"""

from __future__ import annotations

import threading

import av
import numpy as np
from av.video.reformatter import VideoReformatter

_local = threading.local()


def _reformatter() -> VideoReformatter:
    reformatter = getattr(_local, "reformatter", None)
    if reformatter is None:
        reformatter = _local.reformatter = VideoReformatter()
    return reformatter


def reformat_frame(
    frame: av.VideoFrame, *, format: str, width: int | None = None, height: int | None = None
) -> av.VideoFrame:
    """``frame`` converted (and optionally scaled) with this thread's reformatter, as a frame.

    When ``frame`` already has that format and size it is returned itself (no copy): treat the result as read-only.
    """
    # threads=1: FFmpeg's swscale would otherwise start its own pool of slice threads (one per CPU) for every
    # reformatter; our converters already run on their own worker threads and must not compete with the UI.
    return _reformatter().reformat(frame, width=width, height=height, format=format, threads=1)


def frame_to_ndarray(
    frame: av.VideoFrame, *, format: str, width: int | None = None, height: int | None = None
) -> np.ndarray:
    """``frame`` converted (and optionally scaled) to ``format`` as an ndarray, with this thread's reformatter.

    Args:
        frame: a decoded or captured frame that other threads may be reading too; it is not modified.
        format: PyAV pixel format name, e.g. ``rgb24`` or ``yuv420p``.
        width: output width, or the frame's own.
        height: output height, or the frame's own.
    """
    return reformat_frame(frame, width=width, height=height, format=format).to_ndarray()  # type: ignore[no-any-return]


def plane_views(frame: av.VideoFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Writable (h, w) numpy views of a yuv420p frame's Y, U and V planes (row padding excluded)."""
    views = []
    for plane in frame.planes:
        rows = np.frombuffer(plane, np.uint8).reshape(plane.height, plane.line_size)  # type: ignore[call-overload]
        views.append(rows[:, : plane.width])
    return views[0], views[1], views[2]


def copy_yuv420p(source: av.VideoFrame) -> av.VideoFrame:
    """A new yuv420p frame with the pixels of ``source`` (one copy per plane; ``source`` is only read)."""
    copy = av.VideoFrame(width=source.width, height=source.height, format="yuv420p")
    for src, dst in zip(plane_views(source), plane_views(copy), strict=True):
        dst[:] = src
    return copy
