"""Active liveness check (活体检测): blink and head-turn challenges judged from MediaPipe face-mesh landmarks.

No registry package ships a usable passive anti-spoofing model, so liveness is an *active* challenge: the customer
is asked, in a random order, to blink, turn the head left and turn it right. Each frame is reduced to three numbers
from the 478-point MediaPipe face mesh (``mediapipe.solutions.face_mesh``, models inside the 0.10.14 wheel):

* the eye aspect ratio (EAR, Soukupova & Cech 2016) of both eyes: a blink is open -> closed -> open again, with
  "closed" and "open" relative to the customer's own open-eye EAR measured during the step;
* a yaw index: where the nose tip sits between the two cheek contour points (0.5 = frontal); a head turn is a change
  of this index, relative to the value when the step began, in the asked direction.

A static photo (even jittered and re-encoded) never produces either change, so it times out and fails. What this
does NOT stop: a replayed video of the customer doing the same actions, a face-swap stream, or a printed photo that
is bent/rotated for the head-turn steps (the blink step defeats a plain print). See docs/identity-models.md.

Directions are the customer's own: "turn left" is their left. Frames are expected as the camera captured them
(not mirrored); pass ``mirrored=True`` for a selfie-preview (mirrored) stream. No clock reads: every frame comes
with its timestamp in seconds.
"""

from __future__ import annotations

import enum
import logging
import random
import statistics
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import cv2
import numpy as np

logger = logging.getLogger(__name__)

__all__ = [
    "ACTION_PROMPTS",
    "ChallengeAction",
    "FaceMeshLandmarker",
    "FaceObservation",
    "LivenessChallenge",
    "LivenessConfig",
    "LivenessProgress",
    "LivenessResult",
    "LivenessState",
    "StepEvidence",
    "observation_from_landmarks",
]

# MediaPipe face-mesh indices. EAR points: outer corner, upper lid x2, inner corner, lower lid x2.
RIGHT_EYE_EAR = (33, 160, 158, 133, 153, 144)  # the customer's right eye (image left when not mirrored)
LEFT_EYE_EAR = (362, 385, 387, 263, 373, 380)
RIGHT_EYE_CONTOUR = (33, 246, 161, 160, 159, 158, 157, 173, 133, 155, 154, 153, 145, 144, 163, 7)
LEFT_EYE_CONTOUR = (263, 466, 388, 387, 386, 385, 384, 398, 362, 382, 381, 380, 374, 373, 390, 249)
NOSE_TIP = 1
RIGHT_CHEEK = 234  # image left when not mirrored
LEFT_CHEEK = 454


class ChallengeAction(enum.StrEnum):
    """One requested action."""

    BLINK = "blink"
    TURN_LEFT = "turn_left"
    TURN_RIGHT = "turn_right"


ACTION_PROMPTS: dict[ChallengeAction, str] = {
    ChallengeAction.BLINK: "请眨眨眼",
    ChallengeAction.TURN_LEFT: "请缓慢向左转头",
    ChallengeAction.TURN_RIGHT: "请缓慢向右转头",
}
"""Chinese prompts shown to the customer."""


class LivenessState(enum.StrEnum):
    """Overall state of a challenge."""

    RUNNING = "running"
    PASSED = "passed"
    FAILED = "failed"


P_TIMEOUT = "动作超时,未完成{action}"
P_NO_FACE = "未检测到人脸"
P_MANY_FACES = "检测到多张人脸"
P_TOTAL_TIMEOUT = "活体检测超时"
P_CANCELLED = "活体检测已取消"


@dataclass(frozen=True)
class LivenessConfig:
    """Thresholds and timeouts.

    Attributes:
        step_timeout_s: time allowed per action.
        total_timeout_s: time allowed for the whole challenge.
        face_lost_timeout_s: fail if no (single) face is seen for this long.
        blink_closed_ratio: eyes count as closed when EAR < this x the open-eye baseline.
        blink_open_ratio: eyes count as open again when EAR > this x the baseline.
        blink_max_closed_s: a "blink" longer than this is not a blink (eyes painted shut / covered).
        turn_delta: required change of the yaw index (0.5 = frontal; ~0.12 is about 18-20 degrees).
        baseline_frames: frames used at the start of a step to fix its baseline.
    """

    step_timeout_s: float = 8.0
    total_timeout_s: float = 30.0
    face_lost_timeout_s: float = 3.0
    blink_closed_ratio: float = 0.6
    blink_open_ratio: float = 0.8
    blink_max_closed_s: float = 1.5
    turn_delta: float = 0.12
    baseline_frames: int = 3


@dataclass(frozen=True)
class FaceObservation:
    """What one frame tells about the face.

    Attributes:
        face_count: faces in the frame.
        ear: mean eye aspect ratio of both eyes (of the largest face).
        yaw_index: nose position between the cheeks, 0..1, 0.5 frontal, larger = turned to the customer's left.
    """

    face_count: int
    ear: float = 0.0
    yaw_index: float = 0.5


class Landmarker(Protocol):
    """Anything that turns a frame into a :class:`FaceObservation`."""

    def observe(self, bgr: np.ndarray) -> FaceObservation:
        """Observe one frame."""
        ...


def _ear(p: np.ndarray, idx: Sequence[int]) -> float:
    p1, p2, p3, p4, p5, p6 = (p[i] for i in idx)
    width = float(np.linalg.norm(p1 - p4))
    if width <= 1e-6:
        return 0.0
    return float((np.linalg.norm(p2 - p6) + np.linalg.norm(p3 - p5)) / (2.0 * width))


def observation_from_landmarks(points: np.ndarray, face_count: int = 1, *, mirrored: bool = False) -> FaceObservation:
    """Reduce face-mesh landmarks (N x 2 pixels, N >= 468) to EAR and yaw index."""
    ear = (_ear(points, RIGHT_EYE_EAR) + _ear(points, LEFT_EYE_EAR)) / 2.0
    span = float(points[LEFT_CHEEK, 0] - points[RIGHT_CHEEK, 0])
    yaw = float((points[NOSE_TIP, 0] - points[RIGHT_CHEEK, 0]) / span) if abs(span) > 1e-6 else 0.5
    if mirrored:
        yaw = 1.0 - yaw
    return FaceObservation(face_count=face_count, ear=ear, yaw_index=yaw)


class FaceMeshLandmarker:
    """MediaPipe face mesh (478 landmarks with iris refinement) in tracking mode, one per video stream.

    Args:
        mirrored: frames are mirrored (selfie preview), so left and right swap.
        static_image_mode: run detection on every frame instead of tracking (slower; for unrelated images).
    """

    def __init__(self, *, mirrored: bool = False, static_image_mode: bool = False) -> None:
        import mediapipe as mp

        from server.identity.models import verified_model_path

        # MediaPipe loads these itself from its package; verify they are the files we recorded.
        verified_model_path("face_mesh")
        verified_model_path("face_mesh_detector")
        self.mirrored = mirrored
        self._mesh: Any = mp.solutions.face_mesh.FaceMesh(
            static_image_mode=static_image_mode,
            max_num_faces=2,
            refine_landmarks=True,
            min_detection_confidence=0.5,
            min_tracking_confidence=0.5,
        )
        self._lock = threading.Lock()

    def landmarks(self, bgr: np.ndarray) -> list[np.ndarray]:
        """All faces' landmarks (N x 2 pixel arrays), largest face first."""
        h, w = bgr.shape[:2]
        with self._lock:
            res = self._mesh.process(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
        faces = []
        for lms in res.multi_face_landmarks or []:
            faces.append(np.array([[p.x * w, p.y * h] for p in lms.landmark], dtype=np.float64))
        faces.sort(key=lambda pts: -float(np.ptp(pts[:, 0]) * np.ptp(pts[:, 1])))
        return faces

    def observe(self, bgr: np.ndarray) -> FaceObservation:
        """Observe one frame."""
        faces = self.landmarks(bgr)
        if not faces:
            return FaceObservation(face_count=0)
        return observation_from_landmarks(faces[0], len(faces), mirrored=self.mirrored)

    def close(self) -> None:
        """Release MediaPipe's graph."""
        with self._lock:
            self._mesh.close()


@dataclass
class StepEvidence:
    """How one action was judged.

    Attributes:
        action: the action.
        started_at: timestamp the step began.
        completed_at: timestamp it was completed (None if not).
        frame_indices: frames that prove it (blink: last open, closed, open again; turn: least turned frame of the
            step, turned frame).
        timestamps: timestamps of those frames.
        baseline: open-eye EAR (blink) or resting yaw index (turn) the step was measured against.
        peak: lowest EAR / most-turned yaw index seen.
    """

    action: ChallengeAction
    started_at: float
    completed_at: float | None = None
    frame_indices: list[int] = field(default_factory=list)
    timestamps: list[float] = field(default_factory=list)
    baseline: float | None = None
    peak: float | None = None


@dataclass
class LivenessProgress:
    """What to show after a frame.

    Attributes:
        state: running, passed or failed.
        step_index: index of the current action (== len(actions) when done).
        action: current action, None when finished.
        prompt: Chinese prompt for the current action, or the final message.
        completed: actions done so far.
        face_ok: this frame had exactly one face.
    """

    state: LivenessState
    step_index: int
    action: ChallengeAction | None
    prompt: str
    completed: list[ChallengeAction]
    face_ok: bool


@dataclass
class LivenessResult:
    """Final outcome.

    Attributes:
        passed: every action was completed in time.
        actions: the requested actions in order.
        steps: evidence per action (completed or not).
        problems: Chinese reasons for failure.
        frames_seen: number of frames fed.
    """

    passed: bool
    actions: list[ChallengeAction]
    steps: list[StepEvidence]
    problems: list[str]
    frames_seen: int


class LivenessChallenge:
    """State machine for one active liveness check.

    Feed frames in order with :meth:`feed` (or observations with :meth:`feed_observation`); read
    :attr:`result` once :attr:`state` is no longer RUNNING. Nothing here reads a clock.

    Args:
        actions: actions in order; by default blink, turn left and turn right shuffled by ``rng``/``seed``.
        seed: seed for the order when ``rng`` is not given.
        rng: random source for the order.
        config: thresholds and timeouts.
        landmarker: frame -> observation; a :class:`FaceMeshLandmarker` is created lazily if not given.
    """

    def __init__(
        self,
        actions: Sequence[ChallengeAction] | None = None,
        *,
        seed: int | None = None,
        rng: random.Random | None = None,
        config: LivenessConfig | None = None,
        landmarker: Landmarker | None = None,
    ) -> None:
        if actions is None:
            r = rng or random.Random(seed)
            actions = r.sample(list(ChallengeAction), k=len(ChallengeAction))
        if not actions:
            raise ValueError("at least one action is required")
        self.actions = list(actions)
        self.config = config or LivenessConfig()
        self._landmarker = landmarker
        self._owns_landmarker = landmarker is None
        self._landmarker_closed = False
        self.state = LivenessState.RUNNING
        self._step = 0
        self._frame_index = -1
        self._t0: float | None = None
        self._last_face_t: float | None = None
        self._last_t: float | None = None
        self._steps: list[StepEvidence] = []
        self._problems: list[str] = []
        self._many_faces_frames = 0
        self._ref_vals: list[float] = []
        self._ref_last: tuple[int, float] | None = None
        self._ref_yaw: float | None = None
        self._reset_step_state()
        self.result: LivenessResult | None = None

    # -- public -------------------------------------------------------------------------------------------------------

    @property
    def current_action(self) -> ChallengeAction | None:
        """Action being asked for, None when finished."""
        return self.actions[self._step] if self.state is LivenessState.RUNNING else None

    def feed(self, frame_bgr: np.ndarray, t: float) -> LivenessProgress:
        """Judge one camera frame.

        Args:
            frame_bgr: the frame (BGR).
            t: its timestamp in seconds (monotonic within the challenge).

        Returns:
            Progress after this frame.
        """
        if self.state is not LivenessState.RUNNING:
            return self._progress(False)
        if self._landmarker is None:
            self._landmarker = FaceMeshLandmarker()
        return self.feed_observation(self._landmarker.observe(frame_bgr), t)

    def feed_observation(self, obs: FaceObservation, t: float) -> LivenessProgress:
        """Judge one frame already reduced to an observation (used by :meth:`feed`, and by tests).

        Args:
            obs: the observation.
            t: timestamp in seconds.

        Returns:
            Progress after this frame.
        """
        if self.state is not LivenessState.RUNNING:
            return self._progress(False)
        if self._last_t is not None and t < self._last_t:
            raise ValueError("frame timestamps must not go backwards")
        self._last_t = t
        self._frame_index += 1
        if self._t0 is None:
            self._t0 = t
            self._last_face_t = t
            self._begin_step(t)
        cfg = self.config
        face_ok = obs.face_count == 1
        if face_ok:
            self._last_face_t = t
            self._judge(obs, t)
        elif obs.face_count > 1:
            self._many_faces_frames += 1
            # Someone else in the frame must not be the one who performs the action: the step starts over.
            self._reset_step_state()
        if self.state is not LivenessState.RUNNING:
            return self._progress(face_ok)
        assert self._t0 is not None and self._last_face_t is not None
        step = self._steps[-1]
        if t - self._last_face_t > cfg.face_lost_timeout_s:
            self._fail(P_MANY_FACES if self._many_faces_frames else P_NO_FACE)
        elif t - step.started_at > cfg.step_timeout_s:
            self._fail(P_TIMEOUT.format(action=ACTION_PROMPTS[step.action].removeprefix("请")))
        elif t - self._t0 > cfg.total_timeout_s:
            self._fail(P_TOTAL_TIMEOUT)
        return self._progress(face_ok)

    def close(self) -> None:
        """End the challenge (failed as cancelled if still running) and release a landmarker it created itself."""
        if self.state is LivenessState.RUNNING:
            self._fail(P_CANCELLED)  # calls close() again via _finish
            return
        if self._owns_landmarker and isinstance(self._landmarker, FaceMeshLandmarker) and not self._landmarker_closed:
            self._landmarker_closed = True
            self._landmarker.close()

    # -- internals ----------------------------------------------------------------------------------------------------

    def _reset_step_state(self) -> None:
        self._base_vals: list[float] = []
        self._base_idx: list[tuple[int, float]] = []
        self._baseline: float | None = None
        self._closed_at: tuple[int, float] | None = None
        self._last_open: tuple[int, float] | None = None
        self._min_seen: float | None = None
        self._least_turned: tuple[float, int, float] | None = None

    def _begin_step(self, t: float) -> None:
        self._reset_step_state()
        self._steps.append(StepEvidence(action=self.actions[self._step], started_at=t))

    def _judge(self, obs: FaceObservation, t: float) -> None:
        step = self._steps[-1]
        cfg = self.config
        i = self._frame_index
        if self._ref_yaw is None:
            # The head's resting yaw at the start of the challenge: turns are measured from it, so "turn right"
            # right after "turn left" needs a real turn past the resting position, not just coming back.
            self._ref_vals.append(obs.yaw_index)
            self._ref_last = (i, t)
            if len(self._ref_vals) >= cfg.baseline_frames:
                self._ref_yaw = statistics.median(self._ref_vals)
        if step.action is not ChallengeAction.BLINK:
            if self._ref_yaw is not None:
                step.baseline = self._ref_yaw
                self._judge_turn(obs.yaw_index, i, t, step)
            return
        if self._baseline is None:
            self._base_vals.append(obs.ear)
            self._base_idx.append((i, t))
            if len(self._base_vals) >= cfg.baseline_frames:
                self._baseline = statistics.median(self._base_vals)
                step.baseline = self._baseline
                self._last_open = self._base_idx[-1]
            return
        self._judge_blink(obs.ear, i, t, step)

    def _judge_blink(self, ear: float, i: int, t: float, step: StepEvidence) -> None:
        cfg = self.config
        base = self._baseline
        assert base is not None
        self._min_seen = ear if self._min_seen is None else min(self._min_seen, ear)
        step.peak = self._min_seen
        if self._closed_at is None:
            if ear < cfg.blink_closed_ratio * base:
                self._closed_at = (i, t)
            elif ear >= cfg.blink_open_ratio * base:
                self._last_open = (i, t)
                # Track a slowly changing open-eye EAR (distance, lighting) but never let a half-closed eye
                # pull the baseline down.
                if ear > base:
                    self._baseline = base = 0.8 * base + 0.2 * ear
                    step.baseline = base
            return
        if ear > cfg.blink_open_ratio * base:
            if t - self._closed_at[1] > cfg.blink_max_closed_s:
                self._closed_at = None  # eyes covered or shut for long: not a blink, wait for a real one
                self._last_open = (i, t)
                return
            assert self._last_open is not None
            frames = [self._last_open, self._closed_at, (i, t)]
            self._complete(step, frames, t)

    def _judge_turn(self, yaw: float, i: int, t: float, step: StepEvidence) -> None:
        base = self._ref_yaw
        assert base is not None
        sign = 1.0 if step.action is ChallengeAction.TURN_LEFT else -1.0
        delta = (yaw - base) * sign
        if step.peak is None or delta > (step.peak - base) * sign:
            step.peak = yaw
        if self._least_turned is None or delta < self._least_turned[0]:
            self._least_turned = (delta, i, t)
        if delta >= self.config.turn_delta:
            frames = [(self._least_turned[1], self._least_turned[2]), (i, t)]
            self._complete(step, frames, t)

    def _complete(self, step: StepEvidence, frames: list[tuple[int, float]], t: float) -> None:
        step.completed_at = t
        step.frame_indices = [f[0] for f in frames]
        step.timestamps = [f[1] for f in frames]
        logger.info("liveness step %s done at %.2fs (frames %s)", step.action, t, step.frame_indices)
        self._step += 1
        if self._step >= len(self.actions):
            self.state = LivenessState.PASSED
            self._finish(True)
        else:
            self._begin_step(t)

    def _fail(self, problem: str) -> None:
        self._problems.append(problem)
        self.state = LivenessState.FAILED
        logger.info("liveness failed: %s", problem)
        self._finish(False)

    def _finish(self, passed: bool) -> None:
        self.result = LivenessResult(
            passed=passed,
            actions=list(self.actions),
            steps=list(self._steps),
            problems=list(self._problems),
            frames_seen=self._frame_index + 1,
        )
        self.close()

    def _progress(self, face_ok: bool) -> LivenessProgress:
        done = [s.action for s in self._steps if s.completed_at is not None]
        if self.state is LivenessState.RUNNING:
            action: ChallengeAction | None = self.actions[self._step]
            prompt = ACTION_PROMPTS[self.actions[self._step]]
        else:
            action = None
            prompt = "活体检测通过" if self.state is LivenessState.PASSED else ";".join(self._problems)
        return LivenessProgress(
            state=self.state,
            step_index=self._step,
            action=action,
            prompt=prompt,
            completed=done,
            face_ok=face_ok,
        )
