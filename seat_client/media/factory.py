"""Choose the camera and microphone from the ``camera`` / ``microphone`` settings."""

from __future__ import annotations

import glob
import logging
import sys

from aiortc.mediastreams import MediaStreamTrack

from seat_client.media.base import ThreadedVideoTrack
from seat_client.media.camera import CameraUnavailableError, OpenCVCameraTrack
from seat_client.media.fake import FakeCameraPattern, FakeMicrophoneTone

logger = logging.getLogger(__name__)

FAKE_CAMERA = "fake-pattern"
FAKE_MICROPHONE = "fake-tone"


def _camera_device_present() -> bool:
    if sys.platform.startswith("linux"):
        return bool(glob.glob("/dev/video*"))
    return True  # other platforms: let OpenCV try


def open_camera(spec: str) -> ThreadedVideoTrack:
    """Open the camera named by the ``camera`` setting.

    Args:
        spec: ``auto`` (device 0 if present, else :class:`FakeCameraPattern`), ``fake-pattern``, a device index,
            or a video file path.

    Raises:
        CameraUnavailableError: an explicitly requested device or file cannot be opened.
    """
    spec = spec.strip()
    if spec == FAKE_CAMERA:
        return FakeCameraPattern()
    if spec == "auto":
        if _camera_device_present():
            try:
                return OpenCVCameraTrack(0)
            except CameraUnavailableError:
                pass
        logger.warning("no camera found: using FakeCameraPattern (测试画面)")
        return FakeCameraPattern()
    if spec.isdigit():
        return OpenCVCameraTrack(int(spec))
    return OpenCVCameraTrack(spec)


def open_microphone(spec: str) -> MediaStreamTrack | None:
    """Open the microphone named by the ``microphone`` setting.

    Only the test tone is implemented: capturing a real microphone is not built yet, so ``auto`` falls back to
    :class:`FakeMicrophoneTone` with a warning. ``none`` sends no audio.
    """
    spec = spec.strip()
    if spec == "none":
        return None
    if spec != FAKE_MICROPHONE:
        logger.warning("real microphone capture is not implemented: using FakeMicrophoneTone (test tone)")
    return FakeMicrophoneTone()
