"""A real camera (or a video file) read with OpenCV on the capture thread."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import cv2
import numpy as np

from seat_client.media.base import ThreadedVideoTrack

logger = logging.getLogger(__name__)


class CameraUnavailableError(RuntimeError):
    """The camera or file could not be opened; ``message`` is Chinese."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class OpenCVCameraTrack(ThreadedVideoTrack):
    """Frames from ``cv2.VideoCapture``: a device index or a video file (looped, paced at the file's fps).

    Args:
        source: device index or file path.
        width: requested (device) / resized (file) width.
        height: requested / resized height.
        fps: frames per second wanted; a faster device's extra frames are grabbed and dropped undecoded.
    """

    def __init__(self, source: int | str, width: int = 640, height: int = 480, fps: float = 30.0) -> None:
        super().__init__(width, height, fps)
        self.source = source
        self._is_file = isinstance(source, str)
        if self._is_file and not Path(str(source)).exists():
            raise CameraUnavailableError(f"视频文件不存在:{source}")
        self._capture = cv2.VideoCapture(source)
        if not self._capture.isOpened():
            raise CameraUnavailableError(f"无法打开摄像头 {source}")
        if not self._is_file:
            self._capture.set(cv2.CAP_PROP_FRAME_WIDTH, width)
            self._capture.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
            self._capture.set(cv2.CAP_PROP_FPS, fps)  # a hint: many devices keep their own rate
        source_fps = self._capture.get(cv2.CAP_PROP_FPS)
        source_period = 1.0 / source_fps if source_fps and 1 <= source_fps <= 120 else 1.0 / 30
        self._period = max(source_period, 1.0 / fps)
        self._next_due = 0.0

    @property
    def label(self) -> str:
        """Name shown in logs."""
        return f"camera:{self.source}"

    def capture(self) -> np.ndarray | None:
        """Read one image; files loop and are paced, devices block in ``grab()`` at their own rate and frames that
        come before the next one is due (a device faster than ``fps``) are dropped without being decoded."""
        if self._is_file:
            now = time.monotonic()
            if self._next_due > now:
                self._stop_event.wait(self._next_due - now)
            self._next_due = max(self._next_due, now) + self._period
            ok, image = self._capture.read()
        else:
            while True:
                if not self._capture.grab():
                    return None
                now = time.monotonic()
                if now >= self._next_due - 0.25 * self._period or self._stop_event.is_set():
                    break
            self._next_due = max(self._next_due + self._period, now)
            ok, image = self._capture.retrieve()
        if not ok:
            if self._is_file:
                self._capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
            return None
        if image.shape[1] != self.width or image.shape[0] != self.height:
            image = cv2.resize(image, (self.width, self.height), interpolation=cv2.INTER_AREA)
        return image  # type: ignore[no-any-return]

    def close_device(self) -> None:
        """Release the capture device."""
        self._capture.release()
