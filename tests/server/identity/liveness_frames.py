"""Camera frames of a customer doing the liveness actions, built from a real photo (a test helper, not a model fake).

A real blink or head turn cannot be filmed here, so the actions are made from a still photo and the real MediaPipe
face mesh judges them: a head turn is a cylindrical warp of the face (the nose moves, the far cheek compresses), a
blink is the eye regions painted over with the skin colour just below them, at the landmarks MediaPipe found.
"""

from __future__ import annotations

import cv2
import numpy as np

from server.identity.face import FaceEngine
from server.identity.liveness import LEFT_EYE_CONTOUR, RIGHT_EYE_CONTOUR, ChallengeAction, FaceMeshLandmarker

Geometry = tuple[float, float, float]
"""Centre x, centre y and radius of the head in a selfie frame."""


def selfie_frame(photo: np.ndarray, engine: FaceEngine) -> tuple[np.ndarray, Geometry]:
    """A 640 x 480 'webcam' frame with the photo's face large and centred, plus (cx, cy, head radius)."""
    f = engine.detect(photo)[0]
    cx, cy, side = f.x + f.w / 2, f.y + f.h * 0.5, f.w * 2.2
    s = 400 / side
    m = np.array([[s, 0, 200 - cx * s], [0, s, 200 - cy * s]], dtype=np.float32)
    face = cv2.warpAffine(photo, m, (400, 400), borderMode=cv2.BORDER_REPLICATE)
    frame = np.full((480, 640, 3), (70, 80, 90), np.uint8)
    frame[40:440, 120:520] = face
    return frame, (320.0, 240.0, f.w * s / 2 * 1.15)


def turn_head(frame: np.ndarray, geom: Geometry, theta: float) -> np.ndarray:
    """Simulate a yaw of ``theta`` radians: the head as a vertical cylinder, remapped column by column.

    Positive theta moves the nose towards image right, i.e. the person turns to their own left (unmirrored camera).
    """
    cx, _, r = geom
    h, w = frame.shape[:2]
    xs = np.arange(w, dtype=np.float32)
    u = np.clip((xs - cx) / r, -1.0, 1.0)
    src = cx + r * np.sin(np.clip(np.arcsin(u) - theta, -np.pi / 2, np.pi / 2))
    src = np.where(np.abs((xs - cx) / r) < 1.0, src, xs).astype(np.float32)
    mapx = np.tile(src, (h, 1))
    mapy = np.tile(np.arange(h, dtype=np.float32)[:, None], (1, w))
    return np.asarray(cv2.remap(frame, mapx, mapy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE))


def close_eyes(frame: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Paint both eyes shut: fill each eye contour with the skin colour just below it and draw a lash line."""
    out = frame.copy()
    for contour in (RIGHT_EYE_CONTOUR, LEFT_EYE_CONTOUR):
        poly = points[list(contour)].astype(np.int32)
        x, y, w, h = cv2.boundingRect(poly)
        below = frame[y + h + int(h * 0.8) : y + h + int(h * 0.8) + max(3, h), x : x + w].reshape(-1, 3)
        skin = np.median(below, axis=0).tolist()
        hull = cv2.convexHull(poly)
        cv2.fillPoly(out, [hull], skin)
        cv2.polylines(out, [hull], True, skin, 3)
        lower = points[[*contour[8:], contour[0]]].astype(np.int32)
        cv2.polylines(out, [lower], False, (np.array(skin) * 0.45).tolist(), 2)
    return out


def action_frames(action: ChallengeAction, frame: np.ndarray, geom: Geometry, points: np.ndarray) -> list[np.ndarray]:
    """Frames of one action, starting and ending facing the camera with the eyes open."""
    if action is ChallengeAction.BLINK:
        shut = close_eyes(frame, points)
        return [frame] * 4 + [shut] * 2 + [frame] * 3
    sign = 1 if action is ChallengeAction.TURN_LEFT else -1
    ramp = [0.1, 0.2, 0.3, 0.4, 0.5, 0.5, 0.3, 0.1, 0.0]
    return [turn_head(frame, geom, sign * th) for th in ramp]


class ActionVideo:
    """A customer (a real photo) who does what the liveness challenge asks.

    Args:
        photo: the customer's photo (BGR).
        engine: face detector used to frame the face.
    """

    def __init__(self, photo: np.ndarray, engine: FaceEngine) -> None:
        self.frame, self.geometry = selfie_frame(photo, engine)
        mesh = FaceMeshLandmarker(static_image_mode=True)
        try:
            faces = mesh.landmarks(self.frame)
        finally:
            mesh.close()
        assert len(faces) == 1, "the photo must show one face"
        self.points = faces[0]

    def frames(self, actions: list[ChallengeAction] | list[str]) -> list[np.ndarray]:
        """A few frames facing the camera, then each action in turn."""
        out = [self.frame] * 3
        for action in actions:
            out += action_frames(ChallengeAction(action), self.frame, self.geometry, self.points)
        return out

    def jpegs(self, actions: list[ChallengeAction] | list[str]) -> list[bytes]:
        """:meth:`frames` as the page's canvas posts them (JPEG)."""
        quality = [cv2.IMWRITE_JPEG_QUALITY, 85]
        return [bytes(cv2.imencode(".jpg", f, quality)[1].tobytes()) for f in self.frames(actions)]
