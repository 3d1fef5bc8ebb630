"""Choose the camera and microphone from the ``camera`` / ``microphone`` settings."""

from __future__ import annotations

import glob
import logging
import sys
from pathlib import Path

import av
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


def open_camera(spec: str, fps: float = 30.0) -> ThreadedVideoTrack:
    """Open the camera named by the ``camera`` setting.

    Args:
        spec: ``auto`` (device 0 if present, else :class:`FakeCameraPattern`), ``fake-pattern``, a device index,
            or a video file path.
        fps: the ``camera_fps`` setting: frames per second the track delivers.

    Raises:
        CameraUnavailableError: an explicitly requested device or file cannot be opened.
    """
    spec = spec.strip()
    if spec == FAKE_CAMERA:
        return FakeCameraPattern(fps=fps)
    if spec == "auto":
        if _camera_device_present():
            try:
                return OpenCVCameraTrack(0, fps=fps)
            except CameraUnavailableError:
                pass
        logger.warning("no camera found: using FakeCameraPattern (测试画面)")
        return FakeCameraPattern(fps=fps)
    if spec.isdigit():
        return OpenCVCameraTrack(int(spec), fps=fps)
    return OpenCVCameraTrack(spec, fps=fps)


# PyAV input-device formats a microphone spec may name as ``<format>:<device>``
AUDIO_DEVICE_FORMATS = ("alsa", "pulse", "oss", "dshow", "avfoundation")


class MicrophoneUnavailableError(RuntimeError):
    """The microphone could not be opened; ``message`` is Chinese."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _default_microphone_spec() -> str | None:
    if sys.platform.startswith("linux"):
        return "pulse:default" if "pulse" in av.formats_available else "alsa:default"
    if sys.platform == "win32":
        return None  # dshow needs the device's name: configure ``microphone = "dshow:audio=<name>"``
    if sys.platform == "darwin":
        return "avfoundation::0"
    return None


def open_microphone(spec: str) -> MediaStreamTrack | None:
    """Open the microphone named by the ``microphone`` setting.

    Args:
        spec: ``none`` (send no audio), ``fake-tone`` (:class:`FakeMicrophoneTone`), ``auto`` (the platform's default
            input, else the test tone with a warning), ``<format>:<device>`` for a PyAV input device
            (``alsa:default``, ``pulse:default``, ``dshow:audio=麦克风 (Realtek)``, ``avfoundation::0``), or an audio
            file played in a loop (demos).

    Devices and files are read by aiortc's ``MediaPlayer`` (a PyAV decode thread, paced in real time).

    Raises:
        MicrophoneUnavailableError: an explicitly named device or file cannot be opened.
    """
    spec = spec.strip()
    if spec == "none":
        return None
    if spec == FAKE_MICROPHONE:
        return FakeMicrophoneTone()
    if spec == "auto":
        default = _default_microphone_spec()
        if default is not None:
            try:
                return _open_player_audio(default)
            except MicrophoneUnavailableError as exc:
                logger.warning("%s", exc.message)
        logger.warning("no microphone found: using FakeMicrophoneTone (test tone)")
        return FakeMicrophoneTone()
    return _open_player_audio(spec)


def _open_player_audio(spec: str) -> MediaStreamTrack:
    from aiortc.contrib.media import MediaPlayer

    fmt, _, device = spec.partition(":")
    try:
        if fmt in AUDIO_DEVICE_FORMATS and device:
            player = MediaPlayer(device, format=fmt, options={"sample_rate": "48000", "channels": "1"})
        elif Path(spec).is_file():
            player = MediaPlayer(spec, loop=True)
        else:
            raise MicrophoneUnavailableError(f"麦克风设置无效或文件不存在:{spec}")
    except (av.FFmpegError, OSError) as exc:
        raise MicrophoneUnavailableError(f"无法打开麦克风 {spec}:{exc}") from exc
    if player.audio is None:
        raise MicrophoneUnavailableError(f"{spec} 没有音频")
    logger.info("microphone: %s", spec)
    return player.audio
