"""The frame pump: aiortc frames -> RGB QImage on a worker thread -> a Qt signal, latest frame only.

Design (two single-frame slots, never a queue)::

    event loop            worker thread                 GUI thread
    track.recv() --put--> [pending: 1 frame] --convert--> [ready: 1 QImage] --signal--> tile.set_image()
                    ^ overwrite = dropped          ^ overwrite = dropped (GUI behind)

* ``received``: frames taken from the track (or :meth:`FramePump.submit`).
* ``decoded``: frames converted and wrapped in a QImage (on the worker thread).
* ``delivered``: QImages handed to the GUI via ``frameReady``.
* ``drawn``: frames actually painted by a :class:`~seat_client.views.video_tile.VideoTile` (it calls
  :meth:`FramePump.note_drawn`).
* ``dropped``: frames discarded because a newer one arrived first (before conversion or before delivery).

The worker posts at most one notification to the GUI thread at a time, so Qt's event queue never holds more than
one pending image either: latency that builds up never comes back, so we drop instead.

Images are ``QImage.Format_RGB32`` (one swscale pass from the decoder's I420): the raster paint engine draws that
format straight onto the window, whereas an ``RGB888`` image is converted again on the GUI thread at every paint
(measured here: 0.8 ms against 0.2 ms per 720p frame drawn into a 896x504 tile).

When the tile has told the pump its size (:meth:`FramePump.set_display_size`), that same swscale pass also scales
the frame to fit the tile, so the GUI thread only copies it onto the window instead of scaling 30 pictures a
second; a tile whose size changed since scales the (one or two) images made for the old size itself. The image is
tagged with the size it was made for (``vt-fit``) and carries the screen's device pixel ratio.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass

import av
import numpy as np
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtGui import QImage

from seat_client.media.convert import frame_to_ndarray, reformat_frame

logger = logging.getLogger(__name__)

Size = tuple[int, int]

Converter = Callable[[av.VideoFrame, Size | None], np.ndarray]
"""(frame, output size or None for the frame's own) -> (h, w, 3) RGB array, or (h, w, 4) in ``QImage.Format_RGB32``
byte order (see :func:`frame_to_rgb32`)."""

FIT_TAG = "vt-fit"
"""QImage text key: ``"<width>x<height>"``, the display size in device pixels the image was scaled to fit."""

RGB32_PIXEL_FORMAT = "bgra" if sys.byteorder == "little" else "argb"
"""The FFmpeg pixel format whose bytes are ``QImage.Format_RGB32`` (0xffRRGGBB in native byte order)."""


def frame_to_rgb(frame: av.VideoFrame, size: Size | None = None) -> np.ndarray:
    """Convert an aiortc/PyAV frame to an RGB (h, w, 3) uint8 array, scaled to ``size`` if given (worker thread)."""
    width, height = size if size is not None else (None, None)
    return frame_to_ndarray(frame, format="rgb24", width=width, height=height)


def fit_size(width: int, height: int, box_width: int, box_height: int) -> Size:
    """The size a ``width`` x ``height`` frame is scaled to for a ``box_width`` x ``box_height`` tile.

    The largest size with the frame's aspect ratio that fits, its width a multiple of 16 (swscale's RGB32 output is
    exact and fastest there; the tile's letterbox absorbs the few pixels), at least 16 x 2.
    """
    scale = min(box_width / width, box_height / height)
    out_w = max(16, int(width * scale) // 16 * 16)
    out_h = max(2, min(box_height, round(out_w * height / width)))
    return out_w, out_h


@functools.lru_cache(maxsize=64)
def rgb32_conversion_is_exact(width: int) -> bool:
    """Whether swscale's I420 -> RGB32 conversion is right for frames ``width`` pixels wide (checked once a width).

    FFmpeg 8.1's swscale (PyAV 18's wheel) writes wrong pixels at the end of each row in ``yuv420p -> bgra`` when
    the width is 2 or 4 more than a multiple of 16 (x86-64 here); ``rgb24`` is right at every width. Rather than
    trust a list of widths that depends on the FFmpeg build and the CPU, compare the two on a small random frame.
    """
    rng = np.random.default_rng(width)
    probe = av.VideoFrame.from_ndarray(rng.integers(0, 256, (8, width, 3), dtype=np.uint8), format="rgb24")
    probe = reformat_frame(probe, format="yuv420p")
    rgb32 = frame_to_ndarray(probe, format=RGB32_PIXEL_FORMAT)
    rgb = rgb32[..., 2::-1] if RGB32_PIXEL_FORMAT == "bgra" else rgb32[..., 1:]
    return bool(np.abs(rgb.astype(np.int16) - frame_to_rgb(probe)).max() <= 2)


def frame_to_rgb32(frame: av.VideoFrame, size: Size | None = None) -> np.ndarray:
    """The pump's default conversion: an (h, w, 4) array laid out as ``QImage.Format_RGB32`` in one swscale pass,
    scaled to ``size`` if given.

    At the widths where swscale gets that wrong (:func:`rgb32_conversion_is_exact`), (h, w, 3) RGB instead, which
    :func:`array_to_qimage` converts with Qt (still on the worker thread).
    """
    width, height = size if size is not None else (frame.width, frame.height)
    if rgb32_conversion_is_exact(width):
        return frame_to_ndarray(frame, format=RGB32_PIXEL_FORMAT, width=width, height=height)
    return frame_to_rgb(frame, size)


def array_to_qimage(pixels: np.ndarray) -> QImage:
    """A ``QImage.Format_RGB32`` image that owns its pixels, from (h, w, 4) RGB32-ordered or (h, w, 3) RGB."""
    pixels = np.ascontiguousarray(pixels)
    height, width, channels = pixels.shape
    if channels == 4:
        return QImage(pixels.data, width, height, 4 * width, QImage.Format.Format_RGB32).copy()
    rgb = QImage(pixels.data, width, height, 3 * width, QImage.Format.Format_RGB888)
    return rgb.convertToFormat(QImage.Format.Format_RGB32)  # a new image: no longer refers to ``pixels``


@dataclass
class FrameCounters:
    """Counters a test or benchmark reads; updated under the pump's lock, read as plain ints.

    Attributes:
        received: frames taken from the track.
        decoded: frames converted to QImage.
        delivered: QImages emitted to the GUI thread.
        drawn: frames painted by a tile.
        dropped: frames discarded for a newer one.
        max_queue_depth: the most frames ever waiting at one stage (stays <= 1 by design).
    """

    received: int = 0
    decoded: int = 0
    delivered: int = 0
    drawn: int = 0
    dropped: int = 0
    max_queue_depth: int = 0

    def as_dict(self) -> dict[str, int]:
        """A copy for logs and JSON."""
        return dict(self.__dict__)


class FramePump(QObject):
    """Feeds one video track to the GUI without ever blocking the event loop or queueing frames.

    Args:
        name: ``remote`` or ``local``, for logs and the worker thread's name.
        converter: frame -> pixel array (:data:`Converter`); replaceable in tests (e.g. to make conversion slow).
    """

    frameReady = Signal(QImage)
    """A new image for the tile (GUI thread)."""

    _imageAvailable = Signal()

    def __init__(self, name: str, converter: Converter = frame_to_rgb32, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self.counters = FrameCounters()
        self.on_frame: Callable[[av.VideoFrame], None] | None = None
        """Optional tap called on the event loop with every frame taken from the track (must not block)."""
        self._convert = converter
        self._cond = threading.Condition()
        self._pending: av.VideoFrame | None = None
        self._ready: QImage | None = None
        self._notify_in_flight = False
        self._stopping = False
        self._display: tuple[int, int, float] | None = None
        self._task: asyncio.Task[None] | None = None
        self._last_drawn_serial = -1
        self._serial = 0
        self._imageAvailable.connect(self._deliver, Qt.ConnectionType.QueuedConnection)
        self._thread = threading.Thread(target=self._work, name=f"frame-pump-{name}", daemon=True)
        self._thread.start()

    # --- event-loop side -------------------------------------------------------------------------------------------

    def attach(self, track: MediaStreamTrack) -> None:
        """Start consuming ``track`` (replacing any previous one) on the running event loop."""
        self.detach()
        self._task = asyncio.get_running_loop().create_task(self._consume(track), name=f"pump-{self.name}")

    def detach(self) -> None:
        """Stop consuming the current track (the last image stays on screen until :meth:`clear`)."""
        if self._task is not None:
            self._task.cancel()
            self._task = None

    @property
    def attached(self) -> bool:
        """Whether a track is being consumed."""
        return self._task is not None and not self._task.done()

    async def _consume(self, track: MediaStreamTrack) -> None:
        try:
            while True:
                frame = await track.recv()
                assert isinstance(frame, av.VideoFrame)
                if self.on_frame is not None:
                    self.on_frame(frame)
                self.submit(frame)
        except MediaStreamError:
            logger.info("%s video track ended", self.name)
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("%s video track failed", self.name)

    def submit(self, frame: av.VideoFrame) -> None:
        """Hand one frame to the worker; a frame still waiting is dropped. Never blocks."""
        with self._cond:
            self.counters.received += 1
            if self._pending is not None:
                self.counters.dropped += 1
            self._pending = frame
            self.counters.max_queue_depth = max(self.counters.max_queue_depth, 1)
            self._cond.notify()

    def set_display_size(self, width: int, height: int, device_pixel_ratio: float = 1.0) -> None:
        """Scale frames to fit a ``width`` x ``height`` (device pixels) tile from now on; 0 x 0: the frame's size.

        Called by the tile when it is bound and resized (any thread).
        """
        with self._cond:
            self._display = (width, height, device_pixel_ratio) if width > 0 and height > 0 else None

    # --- worker thread -----------------------------------------------------------------------------------------------

    def _work(self) -> None:
        while True:
            with self._cond:
                while self._pending is None and not self._stopping:
                    self._cond.wait()
                if self._stopping:
                    return
                frame, self._pending = self._pending, None
                display = self._display
            assert frame is not None
            try:
                if display is None:
                    image = array_to_qimage(self._convert(frame, None))
                else:
                    box_w, box_h, ratio = display
                    image = array_to_qimage(self._convert(frame, fit_size(frame.width, frame.height, box_w, box_h)))
                    image.setText(FIT_TAG, f"{box_w}x{box_h}")
                    image.setDevicePixelRatio(ratio)
            except Exception:
                logger.exception("%s frame conversion failed", self.name)
                continue
            with self._cond:
                self.counters.decoded += 1
                if self._ready is not None:
                    self.counters.dropped += 1  # the GUI has not taken the previous image yet
                self._ready = image
                if self._stopping:
                    return
                if not self._notify_in_flight:
                    self._notify_in_flight = True
                    # posted (queued) under the lock, so nothing is emitted once stop() has taken it
                    self._imageAvailable.emit()

    # --- GUI thread --------------------------------------------------------------------------------------------------

    @Slot()
    def _deliver(self) -> None:
        with self._cond:
            image, self._ready = self._ready, None
            self._notify_in_flight = False
            if image is None:
                return
            self.counters.delivered += 1
            self._serial += 1
        image.setText("vt-serial", str(self._serial))
        self.frameReady.emit(image)

    def note_drawn(self, image: QImage) -> None:
        """Called by the tile after painting ``image``; counts each delivered frame once."""
        serial = int(image.text("vt-serial") or -1)
        if serial != self._last_drawn_serial:
            self._last_drawn_serial = serial
            self.counters.drawn += 1

    def stop(self) -> None:
        """Detach and end the worker thread (the pump cannot be restarted)."""
        self.detach()
        with self._cond:
            self._stopping = True
            self._cond.notify()
        with contextlib.suppress(RuntimeError):
            self._thread.join(timeout=2)
