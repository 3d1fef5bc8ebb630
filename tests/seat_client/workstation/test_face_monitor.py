"""Live face monitor (实时人脸): the real face engine on video frames made from the sandbox photos, the assessor's
hold times, frame dropping, and the monitor's behaviour when the models cannot be loaded."""

from __future__ import annotations

import threading
import time
from typing import Any

import av
import cv2
import numpy as np
import pytest

from seat_client.resources import resource_path
from seat_client.workstation.face_monitor import (
    LiveFaceAssessor,
    LiveFaceMonitor,
    LiveFaceReading,
    LiveFaceStatus,
    default_engine,
)
from seat_client.workstation.state import Phase, WorkstationState, live_face_text


def face_photo(name: str) -> np.ndarray:
    image = cv2.imread(str(resource_path("sandbox", "faces", f"{name}.jpg")))
    assert image is not None, name
    return np.asarray(image)


def video_frame(*photos: np.ndarray, width: int = 1280, height: int = 720) -> av.VideoFrame:
    """A decoded-looking yuv420p frame with the photos side by side on a grey background."""
    canvas = np.full((height, width, 3), (70, 80, 90), np.uint8)
    if photos:
        slot = width // len(photos)
        for i, image in enumerate(photos):
            scale = 0.9 * min(slot / image.shape[1], height / image.shape[0])
            small = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
            h, w = small.shape[:2]
            x, y = i * slot + (slot - w) // 2, (height - h) // 2
            canvas[y : y + h, x : x + w] = small
    return av.VideoFrame.from_ndarray(canvas, format="bgr24").reformat(format="yuv420p")


@pytest.fixture(scope="module")
def engine() -> Any:
    return default_engine()


def checked(engine: Any, frame: av.VideoFrame, portrait: np.ndarray | None) -> LiveFaceReading:
    monitor = LiveFaceMonitor(lambda: None, lambda _r: None, engine_factory=lambda: engine)
    monitor.set_portrait(portrait)
    monitor._update_portrait(engine)
    return monitor.check(engine, frame)


def test_same_person_scores_above_the_threshold_and_another_below(engine: Any) -> None:
    portrait = face_photo("obama")
    same = checked(engine, video_frame(face_photo("obama2")), portrait)
    other = checked(engine, video_frame(face_photo("biden")), portrait)
    assert same.faces == 1 and other.faces == 1
    assert same.portrait_usable
    assert same.score is not None and same.score >= engine.threshold
    assert other.score is not None and other.score < engine.threshold
    assert same.check_ms > 0


def test_two_people_and_an_empty_picture_are_counted(engine: Any) -> None:
    portrait = face_photo("obama")
    two = checked(engine, video_frame(face_photo("obama2"), face_photo("biden")), portrait)
    none = checked(engine, video_frame(), portrait)
    assert two.faces == 2
    assert none.faces == 0 and none.score is None


def test_without_a_portrait_faces_are_counted_not_compared(engine: Any) -> None:
    reading = checked(engine, video_frame(face_photo("obama2")), None)
    assert reading.faces == 1 and reading.score is None and not reading.portrait_usable
    blank_portrait = np.full((200, 160, 3), 128, np.uint8)  # no face in it: nothing to compare with
    reading = checked(engine, video_frame(face_photo("obama2")), blank_portrait)
    assert reading.faces == 1 and reading.score is None and not reading.portrait_usable


def reading(at: float, faces: int, score: float | None = None) -> LiveFaceReading:
    return LiveFaceReading(at, faces, score, portrait_usable=score is not None)


def test_assessor_reports_a_match_at_once_and_warnings_only_after_their_hold_time() -> None:
    assessor = LiveFaceAssessor(0.42, no_face_after_s=2.0, multiple_after_s=1.0, mismatch_after_s=2.0)
    assert assessor.view.status == LiveFaceStatus.WAITING
    assert assessor.add(reading(0.0, 1, 0.7)).status == LiveFaceStatus.MATCH
    # one frame without a face does not flash a warning; the last score stays on show
    view = assessor.add(reading(0.2, 0))
    assert view.status == LiveFaceStatus.MATCH and view.score == 0.7
    assert assessor.add(reading(1.9, 0)).status == LiveFaceStatus.MATCH
    view = assessor.add(reading(2.2, 0))
    assert view.status == LiveFaceStatus.NO_FACE and view.warning
    assert assessor.add(reading(2.4, 1, 0.65)).status == LiveFaceStatus.MATCH  # back at once
    assert assessor.add(reading(3.0, 2, 0.65)).status == LiveFaceStatus.MATCH
    assert assessor.add(reading(4.0, 2, 0.65)).status == LiveFaceStatus.MULTIPLE_FACES
    assert assessor.add(reading(4.2, 1, 0.2)).status == LiveFaceStatus.MULTIPLE_FACES  # mismatch not held yet
    view = assessor.add(reading(6.3, 1, 0.25))
    assert view.status == LiveFaceStatus.MISMATCH and view.score == 0.25 and view.threshold == 0.42


def test_assessor_without_a_portrait_says_one_face() -> None:
    assessor = LiveFaceAssessor(0.42)
    view = assessor.add(LiveFaceReading(0.0, 1, None, portrait_usable=False))
    assert view.status == LiveFaceStatus.ONE_FACE and not view.warning
    assert assessor.add(LiveFaceReading(0.5, 0, None)).status == LiveFaceStatus.ONE_FACE
    assert assessor.add(LiveFaceReading(2.6, 0, None)).status == LiveFaceStatus.NO_FACE


def test_a_warning_before_any_match_waits_for_its_hold_time() -> None:
    assessor = LiveFaceAssessor(0.42)
    assert assessor.add(reading(0.0, 0)).status == LiveFaceStatus.WAITING
    assert assessor.add(reading(2.5, 0)).status == LiveFaceStatus.NO_FACE


class CountingEngine:
    """Stands in for the face engine to count checks (the engine itself is tested above on real photos)."""

    threshold = 0.42

    def __init__(self, delay_s: float = 0.0) -> None:
        self.delay_s = delay_s
        self.detected: list[tuple[int, int]] = []

    def detect(self, bgr: np.ndarray, *, thorough: bool = False) -> list[Any]:
        time.sleep(self.delay_s)
        self.detected.append(bgr.shape[:2])
        return []

    def embed(self, bgr: np.ndarray, face: Any) -> np.ndarray:  # pragma: no cover - no face is ever found
        raise AssertionError("not reached")

    @staticmethod
    def cosine(a: np.ndarray, b: np.ndarray) -> float:  # pragma: no cover
        raise AssertionError("not reached")


def test_monitor_checks_only_new_frames_at_its_rate_on_a_640_copy() -> None:
    frames = [video_frame(width=1280, height=720)]
    readings: list[LiveFaceReading] = []
    engine = CountingEngine()
    monitor = LiveFaceMonitor(lambda: frames[-1], readings.append, hz=20, engine_factory=lambda: engine)
    monitor.start()
    deadline = time.monotonic() + 5
    while not readings and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.3)  # ~6 more ticks with the same frame: none of them checks it again
    assert len(readings) == 1
    frames.append(video_frame(width=1280, height=720))
    deadline = time.monotonic() + 5
    while len(readings) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    monitor.stop()
    assert len(readings) == 2
    assert engine.detected == [(360, 640), (360, 640)]
    assert not monitor.running


def test_a_slow_check_skips_ticks_instead_of_queueing_frames() -> None:
    pixels = np.full((240, 320, 3), 90, np.uint8)

    def latest() -> av.VideoFrame:  # a new frame at every tick, as a 30 fps stream gives
        return av.VideoFrame.from_ndarray(pixels, format="bgr24")

    readings: list[LiveFaceReading] = []
    monitor = LiveFaceMonitor(latest, readings.append, hz=50, engine_factory=lambda: CountingEngine(delay_s=0.06))
    monitor.start()
    time.sleep(0.7)
    monitor.stop()
    # 60 ms checks at a 20 ms period: ticks are skipped, never made up for later with a burst of checks
    assert len(readings) >= 2 and monitor.skipped_ticks >= len(readings) - 1
    assert len(readings) <= 0.7 / 0.06 + 1


def test_models_that_cannot_load_are_reported_once_and_the_thread_ends() -> None:
    reasons: list[str] = []
    done = threading.Event()

    def broken() -> Any:
        raise RuntimeError("model file face_recognition_sface has the wrong sha256")

    def unavailable(reason: str) -> None:
        reasons.append(reason)
        done.set()

    monitor = LiveFaceMonitor(lambda: None, lambda _r: None, on_unavailable=unavailable, engine_factory=broken)
    monitor.start()
    assert done.wait(5)
    monitor.stop()
    assert reasons == ["model file face_recognition_sface has the wrong sha256"]
    assessor = LiveFaceAssessor(0.42)
    assert assessor.unavailable().status == LiveFaceStatus.UNAVAILABLE


def test_state_logs_a_warning_once_and_its_end() -> None:
    state = WorkstationState("s1")
    state.phase = Phase.IN_CALL
    assessor = LiveFaceAssessor(0.42, multiple_after_s=0.5)
    state.set_live_face(assessor.add(reading(0.0, 1, 0.7)))
    state.set_live_face(assessor.add(reading(0.6, 2, 0.7)))
    state.set_live_face(assessor.add(reading(1.2, 2, 0.7)))  # still two faces: no second line
    state.set_live_face(assessor.add(reading(1.4, 1, 0.7)))
    lines = [str(e.text) for e in state.timeline if e.kind == "live_face"]
    assert lines == ["实时人脸:画面中有 2 张人脸", "实时人脸:恢复正常"]
    assert str(live_face_text(state.live_face)) == "实时人脸 ✔ 相似度 0.70"
    state.set_live_face(None)
    assert live_face_text(state.live_face) is None
