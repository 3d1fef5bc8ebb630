"""Live face monitor (实时人脸): face checks on the customer's video during a call, for the teller's eyes only.

The identity gates are decided by the server on the photos it holds (ID portrait, 联网核查 photo, a live capture);
nothing here passes or fails a gate. What the teller gets from this is continuous: whether the customer is still in
front of the camera, whether a second face has come into the picture (someone coaching the customer is a classic
sign of telecom fraud), and how close the face on camera is to the ID portrait, so that they know when to take the
live capture and notice when the person on camera changes.

:class:`LiveFaceMonitor` checks the newest decoded customer frame ``hz`` times a second on a worker thread; frames in
between are dropped, never queued, and a frame already checked is not checked again. One check: one swscale pass to
a 640 px wide BGR copy, the face engine's detection (``server.identity.face``: YuNet, coarse 320 px pass), and for
the largest face its SFace embedding and cosine against the ID portrait's embedding (computed once per call).
:class:`LiveFaceAssessor` turns the readings into a status that changes only when a condition has held for a
moment, so one missed detection does not flash a warning. Both are Qt-free.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)

DEFAULT_HZ = 5.0
"""Checks per second (the seat setting ``face_monitor_hz``; 0 turns the monitor off)."""

DETECT_WIDTH = 640
"""Width of the BGR copy a check works on (the detector's coarse pass then looks at 320 px)."""


class LiveFaceStatus(StrEnum):
    """What the monitor currently says about the customer's picture."""

    WAITING = "waiting"
    """No reading yet (no video, or the engine is still loading)."""
    MATCH = "match"
    """One face, similar to the ID portrait (score at or above the threshold)."""
    ONE_FACE = "one_face"
    """One face; there is no usable ID portrait to compare with."""
    MISMATCH = "mismatch"
    """One face, below the threshold for a while."""
    NO_FACE = "no_face"
    """No face for a while."""
    MULTIPLE_FACES = "multiple_faces"
    """More than one face for a while."""
    UNAVAILABLE = "unavailable"
    """The face models could not be loaded on this seat PC."""


WARNINGS = frozenset({LiveFaceStatus.MISMATCH, LiveFaceStatus.NO_FACE, LiveFaceStatus.MULTIPLE_FACES})
"""Statuses the teller is alerted to (timeline entry, amber/red badge)."""


@dataclass(frozen=True)
class LiveFaceReading:
    """One check of one frame.

    Attributes:
        at: ``time.monotonic()`` when the frame was checked.
        faces: faces found.
        score: cosine of the largest face against the ID portrait; None without a face or without a portrait.
        portrait_usable: whether an ID portrait embedding was there to compare with.
        check_ms: CPU time of the check on the worker thread.
    """

    at: float
    faces: int
    score: float | None
    portrait_usable: bool = False
    check_ms: float = 0.0


@dataclass(frozen=True)
class LiveFaceView:
    """The assessed state shown to the teller.

    Attributes:
        status: current status.
        faces: faces in the latest reading.
        score: latest score (None when there is none).
        threshold: the threshold ``score`` is compared with.
        portrait_usable: whether the ID portrait gave an embedding.
    """

    status: LiveFaceStatus
    faces: int = 0
    score: float | None = None
    threshold: float = 0.0
    portrait_usable: bool = False

    @property
    def warning(self) -> bool:
        """Whether the teller should look (the badge is not green)."""
        return self.status in WARNINGS


class LiveFaceAssessor:
    """Readings in, status out, with hold times so that a single odd frame does not change what the teller sees.

    A face that matches (or, without a portrait, a single face) is reported at once; a warning only once its
    condition has held for its hold time without interruption.

    Args:
        threshold: cosine at or above which a face is taken as the ID portrait's person.
        no_face_after_s: no face for this long -> :attr:`LiveFaceStatus.NO_FACE`.
        multiple_after_s: several faces for this long -> :attr:`LiveFaceStatus.MULTIPLE_FACES`.
        mismatch_after_s: below the threshold for this long -> :attr:`LiveFaceStatus.MISMATCH`.
    """

    def __init__(
        self,
        threshold: float,
        *,
        no_face_after_s: float = 2.0,
        multiple_after_s: float = 1.0,
        mismatch_after_s: float = 2.0,
    ) -> None:
        self.threshold = threshold
        self.hold_s = {
            LiveFaceStatus.NO_FACE: no_face_after_s,
            LiveFaceStatus.MULTIPLE_FACES: multiple_after_s,
            LiveFaceStatus.MISMATCH: mismatch_after_s,
        }
        self.view = LiveFaceView(LiveFaceStatus.WAITING, threshold=threshold)
        self._condition: LiveFaceStatus | None = None
        self._since = 0.0

    def _condition_of(self, reading: LiveFaceReading) -> LiveFaceStatus:
        if reading.faces == 0:
            return LiveFaceStatus.NO_FACE
        if reading.faces > 1:
            return LiveFaceStatus.MULTIPLE_FACES
        if reading.score is None:
            return LiveFaceStatus.ONE_FACE
        return LiveFaceStatus.MATCH if reading.score >= self.threshold else LiveFaceStatus.MISMATCH

    def add(self, reading: LiveFaceReading) -> LiveFaceView:
        """Take one reading; returns the (possibly unchanged) view."""
        condition = self._condition_of(reading)
        if condition != self._condition:
            self._condition, self._since = condition, reading.at
        status = self.view.status
        hold = self.hold_s.get(condition)
        if hold is None or reading.at - self._since >= hold:
            status = condition
        elif status in (LiveFaceStatus.WAITING, LiveFaceStatus.UNAVAILABLE):
            status = LiveFaceStatus.WAITING
        score = reading.score
        if score is None and status == self.view.status:  # a frame without a score: keep showing the last one
            score = self.view.score
        self.view = LiveFaceView(status, reading.faces, score, self.threshold, reading.portrait_usable)
        return self.view

    def unavailable(self) -> LiveFaceView:
        """The models could not be loaded."""
        self.view = LiveFaceView(LiveFaceStatus.UNAVAILABLE, threshold=self.threshold)
        return self.view


def default_engine() -> Any:
    """The process-wide face engine (``server.identity.face``; models verified against their recorded SHA-256).

    OpenCV is made single-threaded for the seat process first: its parallel workers would only spin on a two-core
    seat PC that is also decoding, encoding and recording a call (the checks are paced, not latency-bound).
    """
    import cv2

    from server.identity.face import get_face_engine

    cv2.setNumThreads(1)
    return get_face_engine()


class LiveFaceMonitor:
    """Face checks of the newest customer frame at a fixed rate on one worker thread.

    Args:
        latest: returns the newest decoded customer ``av.VideoFrame`` (or None); called on the worker thread, so
            it must only read a reference.
        on_reading: called on the worker thread with each :class:`LiveFaceReading`.
        on_unavailable: called on the worker thread, once, with the reason when the engine cannot be loaded.
        hz: checks per second.
        engine_factory: returns the face engine (``detect``, ``embed``, ``cosine``, ``detect(..., thorough=True)``).
    """

    def __init__(
        self,
        latest: Callable[[], Any],
        on_reading: Callable[[LiveFaceReading], None],
        *,
        on_unavailable: Callable[[str], None] | None = None,
        hz: float = DEFAULT_HZ,
        engine_factory: Callable[[], Any] = default_engine,
    ) -> None:
        if hz <= 0:
            raise ValueError("hz must be positive")
        self.latest = latest
        self.on_reading = on_reading
        self.on_unavailable = on_unavailable
        self.period = 1.0 / hz
        self.engine_factory = engine_factory
        self.checks = 0
        self.skipped_ticks = 0
        self.cpu_seconds = 0.0
        self._portrait: np.ndarray | None = None
        self._portrait_embedding: np.ndarray | None = None
        self._portrait_changed = False
        self._portrait_lock = threading.Lock()
        self._last_frame: Any = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        """Whether the worker thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    @property
    def active(self) -> bool:
        """Running and not asked to stop (readings are wanted)."""
        return self.running and not self._stop.is_set()

    def set_portrait(self, bgr: np.ndarray | None) -> None:
        """The ID portrait to compare with (None: none); embedded on the worker thread before the next check."""
        with self._portrait_lock:
            self._portrait = bgr
            self._portrait_changed = True

    def start(self) -> None:
        """Start checking (idempotent)."""
        if self.running and not self._stop.is_set():
            return
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(5.0)  # stopped without waiting: let it finish its last check
        self._stop.clear()
        self._last_frame = None
        self._thread = threading.Thread(target=self._run, name="face-monitor", daemon=True)
        self._thread.start()

    def stop(self, *, wait: bool = True, timeout: float = 5.0) -> None:
        """Stop the worker; with ``wait`` also wait for it (a check in progress finishes first, ~25 ms).

        The UI thread stops without waiting: no reading is delivered after this returns, and :meth:`start` waits
        for a worker that is still finishing.
        """
        self._stop.set()
        self._last_frame = None
        thread = self._thread
        if wait and thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def _update_portrait(self, engine: Any) -> None:
        with self._portrait_lock:
            if not self._portrait_changed:
                return
            portrait, self._portrait_changed = self._portrait, False
        self._portrait_embedding = None
        if portrait is not None:
            faces = engine.detect(portrait, thorough=True)
            if faces:
                self._portrait_embedding = engine.embed(portrait, faces[0])
            else:
                logger.info("live face monitor: no face in the ID portrait; faces are counted, not compared")

    def check(self, engine: Any, frame: Any) -> LiveFaceReading:
        """One check of ``frame`` (an ``av.VideoFrame``)."""
        from seat_client.media.convert import frame_to_ndarray

        started = time.thread_time()
        height = max(2, round(DETECT_WIDTH * frame.height / frame.width) & ~1)
        bgr = frame_to_ndarray(frame, format="bgr24", width=DETECT_WIDTH, height=height)
        faces = engine.detect(bgr)
        score = None
        if faces and self._portrait_embedding is not None:
            score = round(engine.cosine(self._portrait_embedding, engine.embed(bgr, faces[0])), 4)
        self.checks += 1
        spent = time.thread_time() - started
        self.cpu_seconds += spent
        usable = self._portrait_embedding is not None
        return LiveFaceReading(time.monotonic(), len(faces), score, usable, round(1000 * spent, 1))

    def _run(self) -> None:
        try:
            engine = self.engine_factory()
        except Exception as exc:  # a missing or altered model file: the call goes on without the monitor
            logger.warning("live face monitor unavailable: %s", exc)
            if self.on_unavailable is not None:
                self.on_unavailable(str(exc))
            return
        next_tick = time.perf_counter()
        while not self._stop.is_set():
            try:
                self._update_portrait(engine)
                frame = self.latest()
                if frame is not None and frame is not self._last_frame:  # an unchanged frame is not checked again
                    self._last_frame = frame
                    reading = self.check(engine, frame)
                    if not self._stop.is_set():
                        self.on_reading(reading)
            except Exception:
                logger.exception("live face check failed; the monitor goes on with the next frame")
            next_tick += self.period
            now = time.perf_counter()
            while next_tick < now:  # a check took longer than a period: skip the ticks it covered
                next_tick += self.period
                self.skipped_ticks += 1
            self._stop.wait(max(0.0, next_tick - now))
