"""Liveness challenge: state machine on observations, and MediaPipe on real-photo frames.

A real blink or head turn cannot be filmed here. The frame tests therefore use real photos and build the actions
from them (``tests/server/identity/liveness_frames.py``), and say so: a head turn is a cylindrical warp of the face
(nose moves, the far cheek compresses), a blink is the eye regions painted over with skin colour at the landmarks
MediaPipe found. The important anti-spoof
property is tested with real photos as they are: a static photo, however jittered and re-encoded, never passes.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.identity.face import FaceEngine
from server.identity.liveness import (
    ChallengeAction,
    FaceMeshLandmarker,
    FaceObservation,
    LivenessChallenge,
    LivenessConfig,
    LivenessState,
    observation_from_landmarks,
)
from tests.server.identity.liveness_frames import action_frames, close_eyes, selfie_frame, turn_head

DATA = Path(__file__).parent / "data"
BLINK, LEFT, RIGHT = ChallengeAction.BLINK, ChallengeAction.TURN_LEFT, ChallengeAction.TURN_RIGHT


# --------------------------------------------------------------------------------------------------------------------
# State machine on observations


def _obs(ear: float = 0.3, yaw: float = 0.5, faces: int = 1) -> FaceObservation:
    return FaceObservation(face_count=faces, ear=ear, yaw_index=yaw)


def _feed(ch: LivenessChallenge, seq: list[FaceObservation], t0: float = 0.0, dt: float = 0.1) -> float:
    t = t0
    for o in seq:
        ch.feed_observation(o, t)
        t += dt
    return t


def _blink_seq() -> list[FaceObservation]:
    return [_obs(0.3)] * 4 + [_obs(0.1)] * 2 + [_obs(0.3)] * 2


def _turn_seq(direction: int) -> list[FaceObservation]:
    ramp = [0.5 + direction * d for d in (0.03, 0.08, 0.13, 0.18)]
    return [_obs(yaw=0.5)] * 3 + [_obs(yaw=y) for y in ramp] + [_obs(yaw=0.5)] * 3


def test_default_order_is_a_seeded_permutation() -> None:
    orders = {tuple(LivenessChallenge(seed=s).actions) for s in range(30)}
    assert all(sorted(o) == sorted(ChallengeAction) for o in orders)
    assert len(orders) > 1
    assert LivenessChallenge(seed=5).actions == LivenessChallenge(seed=5).actions
    assert LivenessChallenge(rng=random.Random(5)).actions == LivenessChallenge(seed=5).actions


def test_blink_then_turns_pass_with_evidence() -> None:
    ch = LivenessChallenge([BLINK, LEFT, RIGHT])
    _feed(ch, _blink_seq() + _turn_seq(+1) + _turn_seq(-1))
    assert ch.state is LivenessState.PASSED
    res = ch.result
    assert res is not None and res.passed and not res.problems
    assert [s.action for s in res.steps] == [BLINK, LEFT, RIGHT]
    blink = res.steps[0]
    assert len(blink.frame_indices) == 3 and blink.frame_indices == sorted(blink.frame_indices)
    assert blink.frame_indices[1] in (4, 5)  # a closed-eye frame
    assert blink.baseline == pytest.approx(0.3)
    assert res.steps[1].peak is not None and res.steps[1].peak > 0.5 + 0.12
    assert all(s.completed_at is not None for s in res.steps)
    # It finishes on the frame that completed the last step; later frames are not judged.
    assert res.frames_seen == res.steps[-1].frame_indices[-1] + 1 < len(_blink_seq()) + 2 * len(_turn_seq(1))


def test_static_face_times_out() -> None:
    ch = LivenessChallenge([BLINK, LEFT, RIGHT], config=LivenessConfig(step_timeout_s=5.0))
    progress = None
    t = 0.0
    while ch.state is LivenessState.RUNNING and t < 60:
        progress = ch.feed_observation(_obs(), t)
        t += 0.1
    assert ch.state is LivenessState.FAILED
    assert progress is not None and progress.state is LivenessState.FAILED
    assert ch.result is not None and not ch.result.passed
    assert ch.result.problems == ["动作超时,未完成眨眨眼"]
    assert 5.0 < t < 5.3


def test_turn_in_wrong_direction_does_not_count() -> None:
    ch = LivenessChallenge([LEFT], config=LivenessConfig(step_timeout_s=3.0))
    _feed(ch, _turn_seq(-1) * 5)
    assert ch.state is LivenessState.FAILED
    assert ch.result is not None and "未完成缓慢向左转头" in ch.result.problems[0]


def test_returning_to_centre_is_not_a_turn() -> None:
    # After turning left, merely coming back to the resting pose must not satisfy "turn right".
    ch = LivenessChallenge([LEFT, RIGHT], config=LivenessConfig(step_timeout_s=3.0))
    seq = [_obs(yaw=0.5)] * 3 + [_obs(yaw=0.7)] * 2 + [_obs(yaw=0.5)] * 40
    _feed(ch, seq)
    assert ch.state is LivenessState.FAILED
    assert ch.result is not None and [s.completed_at is not None for s in ch.result.steps] == [True, False]


def test_long_eye_closure_is_not_a_blink() -> None:
    ch = LivenessChallenge([BLINK], config=LivenessConfig(step_timeout_s=3.0))
    _feed(ch, [_obs(0.3)] * 4 + [_obs(0.05)] * 25 + [_obs(0.3)] * 10)
    assert ch.state is LivenessState.FAILED


def test_second_face_restarts_the_step_and_lost_face_fails() -> None:
    ch = LivenessChallenge([BLINK])
    seq = [_obs(0.3)] * 4 + [_obs(0.1)] + [_obs(faces=2)] + [_obs(0.3)] * 3
    _feed(ch, seq)
    assert ch.state is LivenessState.RUNNING  # the closed eye before the second face does not count
    ch2 = LivenessChallenge([BLINK], config=LivenessConfig(face_lost_timeout_s=1.0))
    _feed(ch2, [_obs(0.3)] * 3 + [_obs(faces=0)] * 20)
    assert ch2.state is LivenessState.FAILED
    assert ch2.result is not None and ch2.result.problems == ["未检测到人脸"]
    ch3 = LivenessChallenge([BLINK], config=LivenessConfig(face_lost_timeout_s=1.0))
    _feed(ch3, [_obs(0.3)] * 3 + [_obs(faces=2)] * 20)
    assert ch3.result is not None and ch3.result.problems == ["检测到多张人脸"]


def test_timestamps_must_not_go_backwards_and_finished_challenge_is_inert() -> None:
    ch = LivenessChallenge([BLINK])
    ch.feed_observation(_obs(), 1.0)
    with pytest.raises(ValueError):
        ch.feed_observation(_obs(), 0.5)
    _feed(ch, _blink_seq(), t0=2.0)
    assert ch.state is LivenessState.PASSED
    p = ch.feed_observation(_obs(0.05), 10.0)
    assert p.state is LivenessState.PASSED and p.action is None and p.prompt == "活体检测通过"


def test_close_cancels_a_running_challenge() -> None:
    ch = LivenessChallenge([BLINK])
    ch.feed_observation(_obs(), 0.0)
    ch.close()
    assert ch.state is LivenessState.FAILED
    assert ch.result is not None and ch.result.problems == ["活体检测已取消"]
    ch.close()  # idempotent
    assert ch.feed_observation(_obs(), 1.0).state is LivenessState.FAILED


@settings(max_examples=60, deadline=None)
@given(
    ear=st.floats(0.15, 0.4),
    yaw=st.floats(0.3, 0.7),
    noise=st.floats(0.0, 0.04),
    seed=st.integers(0, 10_000),
)
def test_property_jittered_static_face_never_passes(ear: float, yaw: float, noise: float, seed: int) -> None:
    """Small frame-to-frame noise around a fixed pose (a held photo) never completes any step."""
    rng = np.random.default_rng(seed)
    ch = LivenessChallenge(seed=seed, config=LivenessConfig(step_timeout_s=4.0))
    t = 0.0
    while ch.state is LivenessState.RUNNING:
        o = _obs(ear * (1 + rng.uniform(-noise, noise)), yaw + rng.uniform(-noise, noise))
        ch.feed_observation(o, t)
        t += 0.1
    assert ch.state is LivenessState.FAILED
    assert ch.result is not None and all(s.completed_at is None for s in ch.result.steps)


# --------------------------------------------------------------------------------------------------------------------
# Real-photo frames through MediaPipe


def photo(name: str) -> np.ndarray:
    img = cv2.imread(str(DATA / f"{name}.jpg"))
    assert img is not None, name
    return np.asarray(img)


@pytest.fixture(scope="module")
def face_engine() -> FaceEngine:
    return FaceEngine()


@pytest.fixture(scope="module")
def static_mesh() -> Iterator[FaceMeshLandmarker]:
    lm = FaceMeshLandmarker(static_image_mode=True)
    yield lm
    lm.close()


def jitter(frame: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A handheld photo in front of a camera: small shift, rotation, noise and JPEG."""
    h, w = frame.shape[:2]
    m = np.asarray(cv2.getRotationMatrix2D((w / 2, h / 2), rng.uniform(-1.5, 1.5), rng.uniform(0.98, 1.02)), np.float64)
    m[:, 2] += rng.uniform(-4, 4, 2)
    warped = np.asarray(cv2.warpAffine(frame, m, (w, h), borderMode=cv2.BORDER_REPLICATE), dtype=np.int16)
    noisy = np.clip(warped + rng.normal(0, 3, warped.shape).astype(np.int16), 0, 255).astype(np.uint8)
    _, buf = cv2.imencode(".jpg", noisy, [cv2.IMWRITE_JPEG_QUALITY, 80])
    return np.asarray(cv2.imdecode(buf, cv2.IMREAD_COLOR))


@pytest.mark.parametrize("name", ["obama", "biden", "astronaut"])
def test_static_real_photo_never_passes(name: str, face_engine: FaceEngine) -> None:
    """The anti-spoof property: a photo held to the camera (jittered) fails every step."""
    frame, _ = selfie_frame(photo(name), face_engine)
    rng = np.random.default_rng(1)
    ch = LivenessChallenge(seed=3, config=LivenessConfig(step_timeout_s=4.0))
    t, seen_face = 0.0, 0
    while ch.state is LivenessState.RUNNING:
        p = ch.feed(jitter(frame, rng), t)
        seen_face += p.face_ok
        t += 0.2
    assert seen_face >= 15  # MediaPipe saw the face: it failed for the right reason
    assert ch.result is not None and not ch.result.passed
    assert ch.result.problems[0].startswith("动作超时")
    assert all(s.completed_at is None for s in ch.result.steps)


@pytest.mark.parametrize("name", ["obama", "biden", "obama3"])
def test_detector_sees_synthetic_turns_and_blinks(
    name: str, face_engine: FaceEngine, static_mesh: FaceMeshLandmarker
) -> None:
    frame, geom = selfie_frame(photo(name), face_engine)
    pts = static_mesh.landmarks(frame)
    assert len(pts) == 1
    base = observation_from_landmarks(pts[0])
    left = static_mesh.observe(turn_head(frame, geom, 0.5))
    right = static_mesh.observe(turn_head(frame, geom, -0.5))
    assert left.face_count == 1 and right.face_count == 1
    assert left.yaw_index - base.yaw_index > 0.12
    assert base.yaw_index - right.yaw_index > 0.12
    mirrored = FaceMeshLandmarker(static_image_mode=True, mirrored=True)
    try:
        assert mirrored.observe(turn_head(frame, geom, 0.5)).yaw_index < 0.5
    finally:
        mirrored.close()
    closed = static_mesh.observe(close_eyes(frame, pts[0]))
    assert closed.face_count == 1
    assert closed.ear < 0.6 * base.ear


@pytest.mark.parametrize("seed", [1, 2])
def test_synthetic_action_video_passes(seed: int, face_engine: FaceEngine, static_mesh: FaceMeshLandmarker) -> None:
    frame, geom = selfie_frame(photo("obama"), face_engine)
    pts = static_mesh.landmarks(frame)[0]
    ch = LivenessChallenge(seed=seed)
    t = 0.0
    frames = [frame] * 3
    for action in ch.actions:
        frames += action_frames(action, frame, geom, pts)
    for f in frames:
        ch.feed(f, t)
        t += 0.1
    assert ch.state is LivenessState.PASSED, ch.result
    assert ch.result is not None
    assert [s.action for s in ch.result.steps] == ch.actions
    stamps = [ts for s in ch.result.steps for ts in s.timestamps]
    assert stamps == sorted(stamps)


def test_actions_in_the_wrong_order_fail(face_engine: FaceEngine, static_mesh: FaceMeshLandmarker) -> None:
    """A pre-recorded clip with a fixed order (here: right, left, blink) fails a challenge asking left first."""
    frame, geom = selfie_frame(photo("obama"), face_engine)
    pts = static_mesh.landmarks(frame)[0]
    ch = LivenessChallenge([LEFT, BLINK, RIGHT], config=LivenessConfig(step_timeout_s=3.0))
    frames = [frame] * 3
    for action in (RIGHT, BLINK):
        frames += action_frames(action, frame, geom, pts)
    frames += [frame] * 30
    t = 0.0
    for f in frames:
        if ch.state is not LivenessState.RUNNING:
            break
        ch.feed(f, t)
        t += 0.1
    assert ch.state is LivenessState.FAILED
    assert ch.result is not None and ch.result.steps[0].completed_at is None
