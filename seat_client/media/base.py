"""The video-source interface: a capture thread keeps only the latest frame; ``recv()`` never blocks the loop."""

from __future__ import annotations

import asyncio
import fractions
import logging
import threading
import time
from abc import abstractmethod

import av
import numpy as np
from aiortc import VideoStreamTrack
from aiortc.mediastreams import VIDEO_CLOCK_RATE, VIDEO_TIME_BASE, MediaStreamError

from seat_client.media.convert import copy_yuv420p, reformat_frame

logger = logging.getLogger(__name__)


class ThreadedVideoTrack(VideoStreamTrack):
    """An aiortc video track fed by a capture thread.

    Subclasses implement :meth:`capture`, which may block (a camera read, a pacing sleep); it runs on a daemon
    thread that converts each image to an ``av.VideoFrame`` and keeps only the newest one. ``recv()`` runs on the
    event loop at the track's clock (``fps``, 30 by default), stamps pts/time_base and returns the newest frame: a
    slow camera repeats its last frame, a fast one is sampled, and nothing ever queues. Everything downstream (the
    VP8 sender, the preview, the 双录 inset) works at ``fps``, so a lower rate is the seat's main CPU lever.

    Attributes:
        width: frame width in pixels.
        height: frame height in pixels.
        fps: frames per second ``recv()`` delivers.
        frames_captured: images produced by the capture thread.
        frames_sent: frames handed to consumers by ``recv()``.
    """

    kind = "video"

    def __init__(self, width: int = 640, height: int = 480, fps: float = 30.0) -> None:
        super().__init__()
        self.width = width
        self.height = height
        self.fps = fps
        self.frames_captured = 0
        self.frames_sent = 0
        self._latest: av.VideoFrame | None = None
        self._lock = threading.Lock()
        self._stop_event = threading.Event()
        self._thread: threading.Thread | None = None
        self._blank: av.VideoFrame | None = None
        self._clock_start: float | None = None
        self._clock_frames = 0

    @property
    def label(self) -> str:
        """A human-readable name of the source, for logs and the preview tile."""
        return type(self).__name__

    @abstractmethod
    def capture(self) -> np.ndarray | None:
        """Return the next BGR image (height x width x 3, uint8), blocking as long as needed; None to retry."""

    def close_device(self) -> None:
        """Release the device; runs on the capture thread when it stops."""

    def _ensure_thread(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=f"capture-{self.label}", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        try:
            while not self._stop_event.is_set():
                image = self.capture()
                if image is None:
                    self._stop_event.wait(0.01)
                    continue
                # this thread's reformatter: frame.reformat() would set up a new SwsContext for every frame
                frame = reformat_frame(av.VideoFrame.from_ndarray(image, format="bgr24"), format="yuv420p")
                with self._lock:
                    self._latest = frame
                    self.frames_captured += 1
        except Exception:
            logger.exception("capture thread of %s failed", self.label)
        finally:
            self.close_device()

    async def next_timestamp(self) -> tuple[int, fractions.Fraction]:
        """aiortc's pacing at ``fps`` instead of its fixed 30: waits until the next frame is due, returns its pts."""
        if self.readyState != "live":
            raise MediaStreamError
        if self._clock_start is None:
            self._clock_start = time.time()
            self._clock_frames = 0
        else:
            self._clock_frames += 1
            await asyncio.sleep(self._clock_start + self._clock_frames / self.fps - time.time())
        return round(self._clock_frames * VIDEO_CLOCK_RATE / self.fps), VIDEO_TIME_BASE

    async def recv(self) -> av.VideoFrame:  # type: ignore[override]
        """The newest captured frame, stamped with this track's 90 kHz pts."""
        if self.readyState != "live":
            raise MediaStreamError
        self._ensure_thread()
        pts, time_base = await self.next_timestamp()
        with self._lock:
            frame = self._latest
            self._latest = None
        if frame is None:
            # nothing new captured: repeat the last image in a fresh frame object, because consumers (the
            # encoder, the preview pump) may still hold the previous one and pts must not change under them
            frame = copy_yuv420p(self._last_or_blank())
        self._last_sent = frame
        frame.pts = pts
        frame.time_base = time_base
        self.frames_sent += 1
        return frame

    def _last_or_blank(self) -> av.VideoFrame:
        last = getattr(self, "_last_sent", None)
        if last is not None:
            return last  # type: ignore[no-any-return]
        if self._blank is None:
            self._blank = av.VideoFrame(width=self.width, height=self.height, format="yuv420p")
            for plane in self._blank.planes:
                plane.update(bytes(plane.buffer_size))
        return self._blank

    def stop(self) -> None:
        """Stop the track and its capture thread (waits briefly for the thread to release the device)."""
        super().stop()
        self._stop_event.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=1.0)
