"""Media sources: the fake camera/microphone produce well-formed frames; files and bad devices behave."""

from __future__ import annotations

import fractions
import threading
from pathlib import Path

import cv2
import numpy as np
import pytest

from seat_client.media.base import ThreadedVideoTrack
from seat_client.media.camera import CameraUnavailableError, OpenCVCameraTrack
from seat_client.media.factory import open_camera, open_microphone
from seat_client.media.fake import FakeCameraPattern, FakeMicrophoneTone


async def test_fake_camera_frames_have_pts_and_size() -> None:
    camera = FakeCameraPattern()
    try:
        frames = [await camera.recv() for _ in range(5)]
    finally:
        camera.stop()
    assert all((f.width, f.height) == (640, 480) for f in frames)
    assert all(f.time_base == fractions.Fraction(1, 90000) for f in frames)
    pts = [int(f.pts or 0) for f in frames]
    assert pts == sorted(pts) and len(set(pts)) == 5
    image = frames[-1].to_ndarray(format="rgb24")
    assert image.std() > 20  # a pattern, not a blank frame
    assert camera.frames_captured >= 1


async def test_camera_fps_paces_the_track_and_its_timestamps() -> None:
    """At 15 fps the track delivers one frame per 6000 ticks of the 90 kHz clock (aiortc's own pacing is 30 fps)."""
    camera = open_camera("fake-pattern", fps=15)
    assert isinstance(camera, FakeCameraPattern) and camera.fps == 15
    try:
        pts = [int((await camera.recv()).pts or 0) for _ in range(4)]
    finally:
        camera.stop()
    assert pts == [0, 6000, 12000, 18000]
    standard = FakeCameraPattern()
    try:
        pts = [int((await standard.recv()).pts or 0) for _ in range(3)]
    finally:
        standard.stop()
    assert pts == [0, 3000, 6000]


async def test_fake_camera_burns_in_the_test_label() -> None:
    camera = FakeCameraPattern()
    try:
        frame = camera.capture()
    finally:
        camera.stop()
    band = frame[20:60, 10:300]
    assert (band == 255).all(axis=2).sum() > 500  # white text pixels on the dark band


async def test_fake_microphone_is_48k_and_quiet() -> None:
    mic = FakeMicrophoneTone()
    try:
        first, second = await mic.recv(), await mic.recv()
    finally:
        mic.stop()
    assert first.sample_rate == 48000 and first.samples == 960
    assert first.pts is not None and second.pts is not None
    assert second.pts - first.pts == 960
    samples = second.to_ndarray()
    assert 0 < np.abs(samples).max() < 32767 * 0.1


async def test_video_file_source_is_resized(tmp_path: Path) -> None:
    path = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), 30, (320, 240))
    for i in range(10):
        writer.write(np.full((240, 320, 3), i * 20, dtype=np.uint8))
    writer.release()
    track = open_camera(str(path))
    assert isinstance(track, OpenCVCameraTrack)
    try:
        for _ in range(40):
            frame = await track.recv()
            if track.frames_captured:
                break
    finally:
        track.stop()
    assert (frame.width, frame.height) == (640, 480)
    assert track.frames_captured >= 1


def test_missing_sources() -> None:
    with pytest.raises(CameraUnavailableError, match="视频文件不存在"):
        open_camera("/nonexistent/clip.mp4")
    assert isinstance(open_camera("fake-pattern"), FakeCameraPattern)
    assert open_microphone("none") is None
    assert isinstance(open_microphone("fake-tone"), FakeMicrophoneTone)


async def test_microphone_from_audio_file(tmp_path: Path) -> None:
    """The device path (aiortc MediaPlayer over PyAV) exercised with a WAV file, as no capture device exists here."""
    import av

    path = tmp_path / "voice.wav"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("pcm_s16le", rate=48000, layout="mono")
        t = np.arange(48000) / 48000
        samples = (np.sin(2 * np.pi * 300 * t) * 8000).astype(np.int16).reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(samples, format="s16", layout="mono")
        frame.sample_rate = 48000
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    track = open_microphone(str(path))
    assert track is not None and track.kind == "audio"
    try:
        frames = [await track.recv() for _ in range(3)]
    finally:
        track.stop()
    assert all(isinstance(f, av.AudioFrame) and f.sample_rate == 48000 for f in frames)


def test_bad_microphone_specs() -> None:
    from seat_client.media.factory import MicrophoneUnavailableError

    with pytest.raises(MicrophoneUnavailableError, match="麦克风设置无效"):
        open_microphone("/nonexistent/voice.wav")
    with pytest.raises(MicrophoneUnavailableError, match="无法打开麦克风"):
        open_microphone("alsa:vt-no-such-device")
    auto = open_microphone("auto")  # no capture device on this machine: the test tone, with a warning
    assert auto is not None
    auto.stop()


class StillCamera(ThreadedVideoTrack):
    """A capture thread that delivers one image and then nothing (a camera that stalls)."""

    def __init__(self) -> None:
        super().__init__(322, 242)  # rows padded in the frame's planes
        self.delivered = threading.Event()

    def capture(self) -> np.ndarray | None:
        if self.delivered.is_set():
            self._stop_event.wait(0.05)
            return None
        self.delivered.set()
        return np.random.default_rng(5).integers(0, 256, (242, 322, 3), dtype=np.uint8)


async def test_a_stalled_camera_repeats_its_last_image_in_new_frames() -> None:
    camera = StillCamera()
    try:
        first = await camera.recv()
        while camera.frames_captured == 0:  # the first recv may come before the capture thread's image
            first = await camera.recv()
        repeats = [await camera.recv() for _ in range(3)]
    finally:
        camera.stop()
    objects = {id(first), *(id(f) for f in repeats)}
    assert len(objects) == 4  # each a frame of its own: consumers holding an earlier one keep its pts
    assert len({f.pts for f in [first, *repeats]}) == 4
    assert all(np.array_equal(f.to_ndarray(), first.to_ndarray()) for f in repeats)
