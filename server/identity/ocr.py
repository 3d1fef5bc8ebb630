"""ID-card OCR (身份证识别): find the card in a photo, read both sides with RapidOCR and check what was read.

The pipeline is synchronous and CPU-bound (~0.3-0.4 s per side on one core); the server runs it in an executor.
Steps: decode (EXIF-aware) -> locate the card and rectify it to 856 x 540 px (10 px/mm) -> OCR with the models
shipped inside the rapidocr wheel (never anything else: other versions would trigger a download) -> assign text to
fields by *layout* (position relative to the printed labels, or to the card geometry when a label was not read) ->
normalise and validate (check digit, birth date against the number, validity period against ``today``).
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np
from PIL import Image, ImageOps

from server.identity.idnumber import has_valid_check_digit, mask_id_number
from server.identity.models import verified_model_path

logger = logging.getLogger(__name__)

__all__ = [
    "CARD_SIZE",
    "CardLocation",
    "IdCardBackResult",
    "IdCardFrontResult",
    "IdCardImageError",
    "IdCardResult",
    "OcrBox",
    "OcrField",
    "decode_image",
    "find_card",
    "get_ocr_engine",
    "normalise_id_number",
    "read_back",
    "read_front",
    "read_id_card",
    "rectify_card",
]

CARD_SIZE = (856, 540)
"""Rectified card size in pixels (width, height): 10 px per mm of the 85.6 x 54 mm card."""

# Problems (shown to customers and tellers as they are).
P_NO_CARD_TEXT = "未识别到身份证内容,请将身份证平放、对准取景框并保持清晰"
P_BACK_GIVEN = "这是身份证国徽面,请拍摄人像面"
P_FRONT_GIVEN = "这是身份证人像面,请拍摄国徽面"
P_ID_FORMAT = "身份证号码格式错误"
P_ID_CHECK = "身份证号码校验位错误"
P_BIRTH_MISMATCH = "出生日期与身份证号不一致"
P_SEX_MISMATCH = "性别与身份证号不一致"
P_EXPIRED = "证件已过期"
P_NOT_YET_VALID = "证件尚未生效"
P_VALIDITY_FORMAT = "有效期限格式错误"
P_BIRTH_FORMAT = "出生日期格式错误"
P_NO_PORTRAIT = "未能截取证件人像"

FIELD_NAMES_CN = {
    "name": "姓名",
    "sex": "性别",
    "ethnicity": "民族",
    "birth": "出生",
    "address": "住址",
    "id_number": "公民身份号码",
    "authority": "签发机关",
    "validity": "有效期限",
}

# Label texts as OCR tends to return them (spaces removed), most specific first.
_FRONT_LABELS: tuple[tuple[str, str], ...] = (
    ("id_number", "公民身份号码"),
    ("id_number", "公民身份号"),
    ("id_number", "身份号码"),
    ("name", "姓名"),
    ("sex", "性别"),
    ("ethnicity", "民族"),
    ("birth", "出生"),
    ("address", "住址"),
)
_BACK_LABELS: tuple[tuple[str, str], ...] = (
    ("authority", "签发机关"),
    ("validity", "有效期限"),
    ("validity", "有效期"),
)
_BACK_TITLES = ("中华人民共和国", "居民身份证")

# Where things sit on the rectified card, as fractions of width/height (from the GB 14965 layout): used to place
# a label that OCR missed, to bound value columns, and to crop the portrait.
_FRONT_ROWS_V = {"name": 0.15, "sex": 0.27, "ethnicity": 0.27, "birth": 0.39, "address": 0.51, "id_number": 0.85}
_FRONT_LABEL_U = {"name": 0.075, "sex": 0.075, "ethnicity": 0.35, "birth": 0.075, "address": 0.075, "id_number": 0.075}
_FRONT_LABEL_U1 = {"name": 0.18, "sex": 0.18, "ethnicity": 0.46, "birth": 0.18, "address": 0.18, "id_number": 0.31}
_BACK_ROWS_V = {"authority": 0.74, "validity": 0.86}
_PORTRAIT_U0 = 0.605
_PORTRAIT_BOX = (0.615, 0.085, 0.97, 0.76)  # u0, v0, u1, v1 of the photo on the portrait side

# The card is printed in simplified characters, so a traditional form in the OCR output is a recognition slip
# (the recogniser was trained on both). A small table of frequent name/address characters; not a full converter.
_TRAD = (
    "強鮮國華東區陽龍維吳劉張陳楊黃趙孫馬韓馮鄧蕭葉蘇魏呂盧蔣許鄭謝羅郭錢湯賀廣蘭麗藝紅軍偉濤傑娟艷鳳嬌鵬"
    "飛輝剛順寶貴慶榮興長門問間開關號樓單層棟鎮鄉縣區園灣橋豐灣廈滬閩遼貢漢靜傳濱鐵礦業農會議發機車車歲陰"
    "陸雲"
)
_SIMP = (
    "强鲜国华东区阳龙维吴刘张陈杨黄赵孙马韩冯邓萧叶苏魏吕卢蒋许郑谢罗郭钱汤贺广兰丽艺红军伟涛杰娟艳凤娇鹏"
    "飞辉刚顺宝贵庆荣兴长门问间开关号楼单层栋镇乡县区园湾桥丰湾厦沪闽辽贡汉静传滨铁矿业农会议发机车车岁阴"
    "陆云"
)
_T2S = str.maketrans(_TRAD, _SIMP)

_OCR_CONFUSIONS = str.maketrans({"O": "0", "o": "0", "D": "0", "Q": "0", "I": "1", "l": "1", "|": "1", "i": "1"})


class IdCardImageError(ValueError):
    """The uploaded image cannot be decoded. ``str(exc)`` is a Chinese message for the customer."""


@dataclass(frozen=True)
class OcrBox:
    """One recognised text line (or a piece of one, after splitting at a label).

    Attributes:
        text: recognised text, spaces removed.
        score: recogniser confidence 0..1.
        x0, y0, x1, y1: axis-aligned bounds in rectified-card pixels.
    """

    text: str
    score: float
    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def cy(self) -> float:
        """Vertical centre."""
        return (self.y0 + self.y1) / 2

    @property
    def h(self) -> float:
        """Height."""
        return self.y1 - self.y0


@dataclass
class OcrField:
    """A field read from the card.

    Attributes:
        value: normalised text ("" when not read).
        confidence: mean OCR confidence of the text it came from (0 when not read).
        raw: the text as recognised, before normalisation.
    """

    value: str = ""
    confidence: float = 0.0
    raw: str = ""

    @property
    def found(self) -> bool:
        """Whether anything was read."""
        return bool(self.value)


@dataclass(frozen=True)
class CardLocation:
    """Where the card was found in the photo.

    Attributes:
        corners: 4 x 2 float array, top-left, top-right, bottom-right, bottom-left, in photo pixels.
        found: False when no card outline was found and the whole image was used as the card.
    """

    corners: np.ndarray
    found: bool


@dataclass
class IdCardFrontResult:
    """The portrait side (人像面).

    Attributes:
        name, sex, ethnicity, birth, address, id_number: the fields. ``birth.value`` is ISO ``YYYY-MM-DD``.
        birth_date: parsed birth date, if any.
        id_number_valid: the number has 18 characters and a correct check digit.
        portrait: BGR crop of the card photo, None if the card could not be read.
        card_found: a card outline was found in the photo (False: the whole image was treated as the card).
        problems: Chinese problems; empty means every field was read and is consistent.
    """

    name: OcrField = field(default_factory=OcrField)
    sex: OcrField = field(default_factory=OcrField)
    ethnicity: OcrField = field(default_factory=OcrField)
    birth: OcrField = field(default_factory=OcrField)
    address: OcrField = field(default_factory=OcrField)
    id_number: OcrField = field(default_factory=OcrField)
    birth_date: dt.date | None = None
    id_number_valid: bool = False
    portrait: np.ndarray | None = field(default=None, repr=False)
    card_found: bool = False
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """No problems."""
        return not self.problems

    def masked_summary(self) -> str:
        """One line for logs, with the ID number masked."""
        return f"front id={mask_id_number(self.id_number.value)} problems={self.problems}"


@dataclass
class IdCardBackResult:
    """The emblem side (国徽面).

    Attributes:
        authority: 签发机关.
        validity: 有效期限 normalised as ``YYYY.MM.DD-YYYY.MM.DD`` or ``YYYY.MM.DD-长期``.
        valid_from: first valid day.
        valid_to: last valid day; None if long-term or unread.
        long_term: 长期 (no expiry).
        expired: ``valid_to`` is before ``today``.
        card_found: a card outline was found in the photo.
        problems: Chinese problems.
    """

    authority: OcrField = field(default_factory=OcrField)
    validity: OcrField = field(default_factory=OcrField)
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    long_term: bool = False
    expired: bool = False
    card_found: bool = False
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """No problems."""
        return not self.problems


@dataclass
class IdCardResult:
    """Both sides together."""

    front: IdCardFrontResult
    back: IdCardBackResult

    @property
    def problems(self) -> list[str]:
        """All problems, front first, without duplicates."""
        out: list[str] = []
        for p in [*self.front.problems, *self.back.problems]:
            if p not in out:
                out.append(p)
        return out

    @property
    def ok(self) -> bool:
        """No problems on either side."""
        return not self.problems


# ---------------------------------------------------------------------------------------------------------------------
# Engine


_DET_MAX_SIDE = 640
_DET_LIMIT_TYPE = "max"
"""The text detector sees the card downscaled to 640 x 404 (~30 % less CPU than 856 x 540, no accuracy change on
the benchmark cards); recognition still crops the text lines from the full-resolution card."""

_engine: Any = None
_engine_lock = threading.Lock()
_run_lock = threading.Lock()


def get_ocr_engine() -> Any:
    """The process-wide RapidOCR engine, created on first use (thread-safe).

    Model paths are given explicitly (the files inside the rapidocr wheel) so that rapidocr never tries to
    download anything. Text-orientation classification is off: the card is rectified and its orientation decided
    here. One intra-op thread: the server runs several OCR jobs and face work side by side on a small machine.
    """
    global _engine
    if _engine is None:
        with _engine_lock:
            if _engine is None:
                from rapidocr import RapidOCR

                params = {
                    "Global.log_level": "warning",
                    "Global.use_cls": False,
                    "EngineConfig.onnxruntime.intra_op_num_threads": 1,
                    "EngineConfig.onnxruntime.inter_op_num_threads": 1,
                    "Det.model_path": str(verified_model_path("ocr_det")),
                    "Det.limit_side_len": _DET_MAX_SIDE,
                    "Det.limit_type": _DET_LIMIT_TYPE,
                    "Rec.model_path": str(verified_model_path("ocr_rec")),
                    # Batch 1 and a narrow minimum width: short labels are not padded to 320 px (~35 % faster).
                    "Rec.rec_img_shape": [3, 48, 96],
                    "Rec.rec_batch_num": 1,
                    "Cls.model_path": str(verified_model_path("ocr_cls")),
                }
                _engine = RapidOCR(params=params)
                logger.info("RapidOCR engine loaded (models from the rapidocr wheel, sha256 verified)")
    return _engine


def _run_ocr(card_bgr: np.ndarray) -> list[OcrBox]:
    engine = get_ocr_engine()
    with _run_lock:  # RapidOCR keeps per-call flags on the instance: serialise calls and always set them.
        out = engine(card_bgr, use_det=True, use_cls=False, use_rec=True)
    if out is None or getattr(out, "txts", None) is None or getattr(out, "boxes", None) is None:
        return []
    boxes = []
    for quad, text, score in zip(out.boxes, out.txts, out.scores, strict=False):
        q = np.asarray(quad, dtype=np.float32)
        t = re.sub(r"\s+", "", str(text))
        if t:
            boxes.append(
                OcrBox(
                    t,
                    float(score),
                    float(q[:, 0].min()),
                    float(q[:, 1].min()),
                    float(q[:, 0].max()),
                    float(q[:, 1].max()),
                )
            )
    return boxes


def _recognise_region(card_bgr: np.ndarray, x0: float, y0: float, x1: float, y1: float) -> OcrBox | None:
    """Recognition only (no detection) on one region: for a short value the detector missed (e.g. a lone "男")."""
    h, w = card_bgr.shape[:2]
    xi0, yi0 = max(0, round(x0)), max(0, round(y0))
    xi1, yi1 = min(w, round(x1)), min(h, round(y1))
    if xi1 - xi0 < 8 or yi1 - yi0 < 8:
        return None
    crop = card_bgr[yi0:yi1, xi0:xi1]
    engine = get_ocr_engine()
    with _run_lock:
        out = engine(crop, use_det=False, use_cls=False, use_rec=True)
    txts = getattr(out, "txts", None)
    if not txts:
        return None
    text = re.sub(r"\s+", "", str(txts[0]))
    score = float(out.scores[0]) if getattr(out, "scores", None) else 0.0
    if not text:
        return None
    return OcrBox(text, score, float(xi0), float(yi0), float(xi1), float(yi1))


# ---------------------------------------------------------------------------------------------------------------------
# Images and card geometry


def decode_image(image: bytes | bytearray | memoryview | np.ndarray) -> np.ndarray:
    """Turn JPEG/PNG bytes (EXIF rotation applied) or an ndarray into a BGR uint8 image.

    Raises:
        IdCardImageError: the bytes are not an image or the array has the wrong shape.
    """
    if isinstance(image, np.ndarray):
        arr = image
        if arr.dtype != np.uint8:
            raise IdCardImageError("图片格式不正确,请重新拍摄")
        if arr.ndim == 2:
            return cv2.cvtColor(arr, cv2.COLOR_GRAY2BGR)
        if arr.ndim == 3 and arr.shape[2] == 4:
            return cv2.cvtColor(arr, cv2.COLOR_BGRA2BGR)
        if arr.ndim == 3 and arr.shape[2] == 3:
            return arr
        raise IdCardImageError("图片格式不正确,请重新拍摄")
    try:
        with Image.open(io.BytesIO(bytes(image))) as opened:
            upright = ImageOps.exif_transpose(opened)
            rgb = np.asarray(upright.convert("RGB"))
    except Exception as exc:  # PIL raises many types for bad data
        raise IdCardImageError("无法读取图片,请上传 JPG 或 PNG 格式的身份证照片") from exc
    if rgb.shape[0] < 100 or rgb.shape[1] < 100:
        raise IdCardImageError("图片太小,请靠近身份证重新拍摄")
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)


def _order_corners(pts: np.ndarray) -> np.ndarray:
    """Order 4 points as TL, TR, BR, BL, with the long side horizontal."""
    pts = pts.reshape(4, 2).astype(np.float32)
    c = pts.mean(axis=0)
    ang = np.arctan2(pts[:, 1] - c[1], pts[:, 0] - c[0])
    pts = pts[np.argsort(ang)]  # clockwise in image coordinates, starting near "left-top"
    # start at the point with the smallest x+y
    start = int(np.argmin(pts.sum(axis=1)))
    pts = np.roll(pts, -start, axis=0)
    top = np.linalg.norm(pts[1] - pts[0])
    side = np.linalg.norm(pts[3] - pts[0])
    if side > top:  # card stands on its short edge: rotate the order so the long edge is the top
        pts = np.roll(pts, -1, axis=0)
    return pts


def _edge_support(quad: np.ndarray, edges: np.ndarray, samples: int = 40) -> float:
    """Fraction of points along the quad's sides (corners excluded) that lie on an edge pixel."""
    h, w = edges.shape
    hits = total = 0
    for k in range(4):
        p, q = quad[k], quad[(k + 1) % 4]
        for f in np.linspace(0.1, 0.9, samples):
            x, y = p + (q - p) * f
            xi, yi = round(float(x)), round(float(y))
            total += 1
            if 0 <= xi < w and 0 <= yi < h and edges[yi, xi]:
                hits += 1
    return hits / max(total, 1)


def _quad_from_contour(cnt: np.ndarray) -> np.ndarray:
    hull = cv2.convexHull(cnt)
    peri = cv2.arcLength(hull, True)
    for eps in (0.02, 0.03, 0.045, 0.06):
        approx = cv2.approxPolyDP(hull, eps * peri, True)
        if len(approx) == 4:
            return np.asarray(approx, np.float32).reshape(4, 2)
    return np.asarray(cv2.boxPoints(cv2.minAreaRect(cnt)), np.float32)


def _quad_candidates(gray: np.ndarray) -> list[np.ndarray]:
    """Card-shaped quadrilaterals in a (small) grey image, best first."""
    h, w = gray.shape
    blur = cv2.GaussianBlur(gray, (5, 5), 0)
    _, otsu = cv2.threshold(blur, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    edges = cv2.Canny(blur, 20, 60)
    support_map = cv2.dilate(edges, np.ones((5, 5), np.uint8))
    closed = cv2.dilate(edges, np.ones((3, 3), np.uint8), iterations=2)
    filled = np.zeros_like(closed)
    cnts, _ = cv2.findContours(closed, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    cv2.drawContours(filled, cnts, -1, 255, thickness=cv2.FILLED)
    contours: list[np.ndarray] = []
    kernel = np.ones((7, 7), np.uint8)
    for m in (otsu, 255 - otsu, filled):
        m = cv2.morphologyEx(m, cv2.MORPH_OPEN, kernel)
        found, _ = cv2.findContours(m, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        contours += sorted(found, key=cv2.contourArea, reverse=True)[:3]
    # Closed edge loops inside other shapes (a light card on a light desk rarely separates by brightness).
    found, _ = cv2.findContours(closed, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    contours += sorted(found, key=cv2.contourArea, reverse=True)[:6]
    scored = []
    for cnt in contours:
        area = float(cv2.contourArea(cnt))
        if area < 0.12 * w * h or area > 0.97 * w * h:
            continue
        quad = _quad_from_contour(cnt)
        qa = float(cv2.contourArea(quad))
        if qa <= 0:
            continue
        fill = area / qa  # how well the quad explains the blob
        if fill < 0.8 or fill > 1.2:
            continue
        o = _order_corners(quad)
        wd = (np.linalg.norm(o[1] - o[0]) + np.linalg.norm(o[2] - o[3])) / 2
        ht = (np.linalg.norm(o[3] - o[0]) + np.linalg.norm(o[2] - o[1])) / 2
        aspect = float(wd) / max(float(ht), 1.0)
        if not 1.35 < aspect < 1.9:
            continue
        # The card's outline is an edge all the way round; a blob that leaked into the background is not.
        support = _edge_support(o, support_map)
        if support < 0.5:
            continue
        score = support + 0.3 * qa / (w * h) - 0.3 * abs(aspect - 1.585) - 0.5 * abs(1 - fill)
        scored.append((score, o))
    scored.sort(key=lambda s: -s[0])
    return [q for _, q in scored]


def find_card(bgr: np.ndarray) -> CardLocation:
    """Find the card outline in a photo.

    Tries a brightness (Otsu) mask, its inverse and a filled edge map, keeps blobs whose convex quadrilateral
    explains them and whose aspect ratio is card-like, and picks the largest/most card-shaped one. If nothing
    qualifies (e.g. a flat scan where the card *is* the image), the whole image is the card.

    Args:
        bgr: the photo.

    Returns:
        A :class:`CardLocation` in the photo's pixel coordinates.
    """
    h, w = bgr.shape[:2]
    scale = 640.0 / max(h, w) if max(h, w) > 640 else 1.0
    small = cv2.resize(bgr, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA) if scale < 1 else bgr
    gray = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
    quads = _quad_candidates(gray)
    if quads:
        q = quads[0]
        # An image that already has the card's shape is most likely a cropped scan: a small card-shaped blob inside
        # it is then a part of the card (the photo, a text block), not the card.
        if not (1.45 < w / h < 1.75 and cv2.contourArea(q) < 0.5 * gray.shape[0] * gray.shape[1]):
            return CardLocation(corners=q / scale, found=True)
    whole = np.array([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]], np.float32)
    return CardLocation(corners=whole, found=False)


def rectify_card(bgr: np.ndarray, location: CardLocation | None = None) -> tuple[np.ndarray, CardLocation]:
    """Warp the card to :data:`CARD_SIZE`.

    Args:
        bgr: the photo.
        location: a known location, else :func:`find_card` is called.

    Returns:
        (rectified card, location used).
    """
    loc = location or find_card(bgr)
    cw, ch = CARD_SIZE
    if not loc.found:
        h, w = bgr.shape[:2]
        if h > w:  # a portrait-orientation image of a flat card: turn it
            bgr = cv2.rotate(bgr, cv2.ROTATE_90_CLOCKWISE)
        return cv2.resize(bgr, (cw, ch), interpolation=cv2.INTER_AREA), loc
    dst = np.array([[0, 0], [cw - 1, 0], [cw - 1, ch - 1], [0, ch - 1]], np.float32)
    m = cv2.getPerspectiveTransform(loc.corners.astype(np.float32), dst)
    return cv2.warpPerspective(bgr, m, (cw, ch), flags=cv2.INTER_AREA), loc


# ---------------------------------------------------------------------------------------------------------------------
# Layout


def _split_at_labels(
    boxes: Sequence[OcrBox], labels: Sequence[tuple[str, str]]
) -> tuple[dict[str, OcrBox], list[OcrBox]]:
    """Split boxes like "性别男民族汉" into label and value pieces (x estimated from character proportions).

    Returns:
        (label key -> label box, value pieces).
    """
    found: dict[str, OcrBox] = {}
    values: list[OcrBox] = []
    for b in boxes:
        text = b.text
        hits: list[tuple[int, int, str]] = []
        pos = 0
        while pos < len(text):
            for key, lab in labels:
                if text.startswith(lab, pos) and key not in found and all(k != key for _, _, k in hits):
                    hits.append((pos, pos + len(lab), key))
                    pos += len(lab)
                    break
            else:
                pos += 1
        if not hits:
            values.append(b)
            continue
        n = max(len(text), 1)
        per = (b.x1 - b.x0) / n

        def piece(a: int, z: int, bb: OcrBox = b, per_char: float = per) -> OcrBox:
            return OcrBox(bb.text[a:z], bb.score, bb.x0 + a * per_char, bb.y0, bb.x0 + z * per_char, bb.y1)

        if hits[0][0] > 0:
            values.append(piece(0, hits[0][0]))
        for i, (a, z, key) in enumerate(hits):
            found[key] = piece(a, z)
            end = hits[i + 1][0] if i + 1 < len(hits) else len(text)
            if end > z:
                values.append(piece(z, end))
    return found, values


def _label_box(key: str, found: dict[str, OcrBox], w: float, h: float, rows_v: dict[str, float]) -> OcrBox | None:
    if key in found:
        return found[key]
    if key not in rows_v:
        return None
    # Not read: place it where the card layout puts it.
    v = rows_v[key]
    u0 = _FRONT_LABEL_U.get(key, 0.2)
    u1 = _FRONT_LABEL_U1.get(key, 0.35)
    return OcrBox("", 0.0, u0 * w, (v - 0.035) * h, u1 * w, (v + 0.035) * h)


def _row_values(values: Sequence[OcrBox], label: OcrBox, x_max: float, tol: float = 0.6) -> list[OcrBox]:
    band = max(label.h, 1.0) * tol
    # A value's centre is right of the label (a lone character's box can be wide and reach back over the label).
    out = [b for b in values if abs(b.cy - label.cy) <= band and (b.x0 + b.x1) / 2 > label.x1 and b.x0 < x_max]
    return sorted(out, key=lambda b: b.x0)


def _row_or_region(
    values: Sequence[OcrBox], label: OcrBox, x_max: float, card: np.ndarray, *, tol: float = 0.6
) -> list[OcrBox]:
    """Values in the label's row; if none was detected, recognise the region where the value must be."""
    found = _row_values(values, label, x_max, tol)
    if found or not label.text:  # no fallback when the label itself was only placed by geometry
        return found
    pad = 0.35 * label.h
    box = _recognise_region(card, label.x1 + pad, label.y0 - pad, x_max - pad, label.y1 + pad)
    return [box] if box is not None else []


def _join(boxes: Sequence[OcrBox]) -> OcrField:
    if not boxes:
        return OcrField()
    text = "".join(b.text for b in boxes)
    conf = float(np.mean([b.score for b in boxes]))
    return OcrField(value=text, confidence=conf, raw=text)


def normalise_id_number(raw: str) -> tuple[str, bool]:
    """Clean an OCR'd ID number and fix common confusions only where the check digit then validates.

    "O"/"D"/"Q" -> "0", "I"/"l"/"|" -> "1" in the 17 digit positions and "x" -> "X" at the end are applied as a
    candidate; the candidate is used only if it has a valid check digit (otherwise the cleaned raw text is kept so
    that the error is visible).

    Args:
        raw: text recognised next to the 公民身份号码 label.

    Returns:
        (number, valid) where valid means 18 characters with a correct check digit.
    """
    s = re.sub(r"[\s\-_.·,]", "", raw)
    if has_valid_check_digit(s) and s[-1] != "x":
        return s, True
    if len(s) == 18:
        cand = s[:17].translate(_OCR_CONFUSIONS) + s[17:].translate(_OCR_CONFUSIONS).replace("x", "X")
        if has_valid_check_digit(cand):
            return cand, True
    return s, False


_BIRTH_RE = re.compile(r"(\d{4})\D{0,2}?(\d{1,2})\D{0,2}?(\d{1,2})")
_DATE_RE = r"(\d{4})[.\-/·,]?(\d{1,2})[.\-/·,]?(\d{1,2})"
_VALIDITY_RE = re.compile(_DATE_RE + r"[-—~至一_]+(长期|" + _DATE_RE + r")")


def _parse_birth(text: str) -> dt.date | None:
    m = _BIRTH_RE.search(text.replace("年", " ").replace("月", " ").replace("日", " ").replace(" ", "-"))
    if not m:
        return None
    try:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def _cjk(text: str) -> str:
    return "".join(ch for ch in text if "\u4e00" <= ch <= "\u9fff" or ch == "·").translate(_T2S)


def _parse_front(boxes: list[OcrBox], card: np.ndarray) -> IdCardFrontResult:
    h, w = card.shape[:2]
    res = IdCardFrontResult()
    portrait_x = _PORTRAIT_U0 * w
    # Text inside the photo area is not card text (a printed T-shirt, a background sign).
    boxes = [b for b in boxes if not (b.x0 >= portrait_x and b.cy < 0.78 * h)]
    found, values = _split_at_labels(boxes, _FRONT_LABELS)

    name_l = _label_box("name", found, w, h, _FRONT_ROWS_V)
    sex_l = _label_box("sex", found, w, h, _FRONT_ROWS_V)
    eth_l = _label_box("ethnicity", found, w, h, _FRONT_ROWS_V)
    birth_l = _label_box("birth", found, w, h, _FRONT_ROWS_V)
    addr_l = _label_box("address", found, w, h, _FRONT_ROWS_V)
    id_l = _label_box("id_number", found, w, h, _FRONT_ROWS_V)
    assert name_l and sex_l and eth_l and birth_l and addr_l and id_l

    used: set[int] = set()

    def take(bs: list[OcrBox]) -> list[OcrBox]:
        out = [b for b in bs if id(b) not in used]
        used.update(id(b) for b in out)
        return out

    name = _join(take(_row_or_region(values, name_l, portrait_x, card)))
    res.name = OcrField(_cjk(name.value), name.confidence, name.raw)
    eth_x = eth_l.x0 if "ethnicity" in found else _FRONT_LABEL_U["ethnicity"] * w
    sex = _join(take(_row_or_region(values, sex_l, eth_x - 2, card)))
    sex_v = "男" if "男" in sex.value else ("女" if "女" in sex.value else "")
    res.sex = OcrField(sex_v, sex.confidence, sex.raw)
    eth = _join(take(_row_or_region(values, eth_l, portrait_x, card)))
    res.ethnicity = OcrField(_cjk(eth.value), eth.confidence, eth.raw)

    birth = _join(take(_row_or_region(values, birth_l, portrait_x, card)))
    res.birth_date = _parse_birth(birth.raw)
    res.birth = OcrField(res.birth_date.isoformat() if res.birth_date else "", birth.confidence, birth.raw)

    # Address: right of the label, from its row down to above the ID-number row; rows top to bottom.
    top = addr_l.y0 - 0.4 * addr_l.h
    bottom = id_l.y0 - 0.3 * id_l.h
    addr_boxes = [
        b
        for b in values
        if id(b) not in used and top <= b.cy <= bottom and b.x0 >= addr_l.x1 - 0.5 * addr_l.h and b.x0 < portrait_x
    ]
    addr_boxes.sort(key=lambda b: (round(b.cy / max(addr_l.h, 1.0)), b.x0))
    addr = _join(take(addr_boxes))
    res.address = OcrField(
        re.sub(r"[^\w\u4e00-\u9fff·\-()()]", "", addr.value).translate(_T2S), addr.confidence, addr.raw
    )

    idv = _join(take(_row_or_region(values, id_l, float(w), card, tol=0.9)))
    raw_id = idv.raw
    if not re.search(r"[0-9A-Za-z]{15,}", raw_id):
        # Fall back to any 18-character token on the card (the label may have been misread).
        for b in values:
            if re.fullmatch(r"[0-9OoDQIl|iXx]{18}", b.text):
                raw_id, idv = b.text, OcrField(b.text, b.score, b.text)
                break
    number, valid = normalise_id_number(raw_id)
    res.id_number = OcrField(number, idv.confidence, raw_id)
    res.id_number_valid = valid
    return res


def _check_front(res: IdCardFrontResult) -> None:
    for key in ("name", "sex", "ethnicity", "birth", "address", "id_number"):
        if not getattr(res, key).found:
            res.problems.append(f"未能识别{FIELD_NAMES_CN[key]}")
    if res.birth.raw and res.birth_date is None:
        res.problems.append(P_BIRTH_FORMAT)
    num = res.id_number.value
    if not num:
        return
    if not re.fullmatch(r"\d{17}[\dX]", num):
        res.problems.append(P_ID_FORMAT)
        return
    if not res.id_number_valid:
        res.problems.append(P_ID_CHECK)
    try:
        id_birth: dt.date | None = dt.date(int(num[6:10]), int(num[10:12]), int(num[12:14]))
    except ValueError:
        id_birth = None
    if res.birth_date is not None and id_birth != res.birth_date:
        res.problems.append(P_BIRTH_MISMATCH)
    if res.sex.value:
        id_sex = "男" if int(num[16]) % 2 == 1 else "女"
        if id_sex != res.sex.value:
            res.problems.append(P_SEX_MISMATCH)


def _parse_back(boxes: list[OcrBox], card: np.ndarray, today: dt.date) -> IdCardBackResult:
    h, w = card.shape[:2]
    res = IdCardBackResult()
    found, values = _split_at_labels(boxes, _BACK_LABELS)
    auth_l = _label_box("authority", found, w, h, _BACK_ROWS_V) or OcrBox("", 0, 0.2 * w, 0.7 * h, 0.36 * w, 0.78 * h)
    val_l = _label_box("validity", found, w, h, _BACK_ROWS_V) or OcrBox("", 0, 0.2 * w, 0.82 * h, 0.36 * w, 0.9 * h)
    auth = _join(_row_or_region(values, auth_l, float(w), card))
    res.authority = OcrField(_cjk(auth.value), auth.confidence, auth.raw)
    val = _join(_row_or_region(values, val_l, float(w), card))
    m = _VALIDITY_RE.search(val.raw.replace("长朗", "长期"))
    if m:
        try:
            res.valid_from = dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            if m.group(4) == "长期":
                res.long_term = True
            else:
                res.valid_to = dt.date(int(m.group(5)), int(m.group(6)), int(m.group(7)))
        except ValueError:
            res.valid_from = res.valid_to = None
            res.long_term = False
    if res.valid_from is not None and (res.long_term or res.valid_to is not None):
        end = "长期" if res.long_term else res.valid_to.strftime("%Y.%m.%d")  # type: ignore[union-attr]
        res.validity = OcrField(f"{res.valid_from:%Y.%m.%d}-{end}", val.confidence, val.raw)
    else:
        res.validity = OcrField("", val.confidence, val.raw)
    for key in ("authority", "validity"):
        if not getattr(res, key).found and not (key == "validity" and val.raw):
            res.problems.append(f"未能识别{FIELD_NAMES_CN[key]}")
    if val.raw and not res.validity.found:
        res.problems.append(P_VALIDITY_FORMAT)
    if res.valid_to is not None and res.valid_to < today:
        res.expired = True
        res.problems.append(P_EXPIRED)
    if res.valid_from is not None and res.valid_from > today:
        res.problems.append(P_NOT_YET_VALID)
    if res.valid_from and res.valid_to and res.valid_to <= res.valid_from:
        res.problems.append(P_VALIDITY_FORMAT)
    return res


def _side_scores(boxes: Sequence[OcrBox]) -> tuple[int, int]:
    texts = "".join(b.text for b in boxes)
    front = sum(1 for _, lab in _FRONT_LABELS[2:] if lab in texts) + (1 if "身份号" in texts else 0)
    back = sum(1 for lab in ("签发机关", "有效期", *_BACK_TITLES) if lab in texts)
    return front, back


def _read_card(image: bytes | bytearray | memoryview | np.ndarray) -> tuple[np.ndarray, CardLocation, list[OcrBox]]:
    """Decode, rectify, OCR; retry upside down when no label was read."""
    bgr = decode_image(image)
    card, loc = rectify_card(bgr)
    boxes = _run_ocr(card)
    if max(_side_scores(boxes)) < 2:
        flipped = cv2.rotate(card, cv2.ROTATE_180)
        boxes2 = _run_ocr(flipped)
        if max(_side_scores(boxes2)) > max(_side_scores(boxes)):
            return flipped, loc, boxes2
    return card, loc, boxes


def _crop_portrait(card: np.ndarray) -> np.ndarray:
    h, w = card.shape[:2]
    u0, v0, u1, v1 = _PORTRAIT_BOX
    return card[round(v0 * h) : round(v1 * h), round(u0 * w) : round(u1 * w)].copy()


def read_front(image: bytes | bytearray | memoryview | np.ndarray) -> IdCardFrontResult:
    """Read the portrait side (人像面) of an ID card.

    Args:
        image: JPEG/PNG bytes or a BGR ndarray: a flat scan or a photo of the card.

    Returns:
        An :class:`IdCardFrontResult` with fields, per-field confidence, the portrait crop and Chinese problems.

    Raises:
        IdCardImageError: the image cannot be decoded.
    """
    card, loc, boxes = _read_card(image)
    f_score, b_score = _side_scores(boxes)
    if f_score == 0 and b_score >= 2:
        return IdCardFrontResult(card_found=loc.found, problems=[P_BACK_GIVEN])
    if not boxes or (f_score == 0 and not any(re.search(r"\d{15,}", b.text) for b in boxes)):
        return IdCardFrontResult(card_found=loc.found, problems=[P_NO_CARD_TEXT])
    res = _parse_front(boxes, card)
    res.card_found = loc.found
    res.portrait = _crop_portrait(card)
    _check_front(res)
    logger.info("ID card front read: %s", res.masked_summary())
    return res


def read_back(image: bytes | bytearray | memoryview | np.ndarray, *, today: dt.date) -> IdCardBackResult:
    """Read the emblem side (国徽面): issuing authority and validity period.

    Args:
        image: JPEG/PNG bytes or a BGR ndarray.
        today: the date the validity is checked against (explicit; no clock reads here).

    Returns:
        An :class:`IdCardBackResult`.

    Raises:
        IdCardImageError: the image cannot be decoded.
    """
    card, loc, boxes = _read_card(image)
    f_score, b_score = _side_scores(boxes)
    if b_score == 0 and f_score >= 2:
        return IdCardBackResult(card_found=loc.found, problems=[P_FRONT_GIVEN])
    if not boxes or b_score == 0:
        return IdCardBackResult(card_found=loc.found, problems=[P_NO_CARD_TEXT])
    res = _parse_back(boxes, card, today)
    res.card_found = loc.found
    logger.info("ID card back read: validity=%s problems=%s", res.validity.value, res.problems)
    return res


def read_id_card(
    front: bytes | bytearray | memoryview | np.ndarray,
    back: bytes | bytearray | memoryview | np.ndarray,
    *,
    today: dt.date,
) -> IdCardResult:
    """Read both sides. See :func:`read_front` and :func:`read_back`."""
    return IdCardResult(front=read_front(front), back=read_back(back, today=today))
