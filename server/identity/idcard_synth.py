"""Synthetic second-generation resident ID cards (居民身份证) for tests and benchmarks.

Draws the portrait side (人像面) and the emblem side (国徽面) at the real card proportions (85.6 x 54 mm) with the
Debian Noto CJK font, fills them with random but *valid* people (ID number with a correct check digit, matching
birth date and sex), and can "photograph" a card: perspective warp onto a background, slight rotation, blur,
uneven lighting and JPEG noise. Everything is deterministic for a given seed.

These cards are obviously not real documents: no security features, no real emblem. They exist so that the OCR
pipeline can be tested field by field against a known truth.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import random
import shutil
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from server.identity.idnumber import compute_check_digit

logger = logging.getLogger(__name__)

CARD_W_MM = 85.6
CARD_H_MM = 54.0

_FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
)
# Index of the Simplified Chinese face inside NotoSansCJK-Regular.ttc (JP, KR, SC, TC, HK order).
_NOTO_SC_INDEX = 2

# (province, city, district, 6-digit administrative division code). Real codes, small sample.
_REGIONS: tuple[tuple[str, str, str, str], ...] = (
    ("北京市", "", "朝阳区", "110105"),
    ("北京市", "", "海淀区", "110108"),
    ("上海市", "", "浦东新区", "310115"),
    ("上海市", "", "徐汇区", "310104"),
    ("天津市", "", "和平区", "120101"),
    ("重庆市", "", "渝中区", "500103"),
    ("广东省", "广州市", "天河区", "440106"),
    ("广东省", "深圳市", "南山区", "440305"),
    ("浙江省", "杭州市", "西湖区", "330106"),
    ("江苏省", "南京市", "鼓楼区", "320106"),
    ("四川省", "成都市", "武侯区", "510107"),
    ("湖北省", "武汉市", "洪山区", "420111"),
    ("山东省", "济南市", "历下区", "370102"),
    ("河南省", "郑州市", "金水区", "410105"),
    ("陕西省", "西安市", "雁塔区", "610113"),
    ("湖南省", "长沙市", "岳麓区", "430104"),
    ("福建省", "福州市", "鼓楼区", "350102"),
    ("辽宁省", "沈阳市", "和平区", "210102"),
)
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
_COMPOUND_SURNAMES = ("欧阳", "司马", "诸葛", "上官")
_GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红文斌宇浩然子涵欣怡俊杰思远雨萱博文梓轩晨阳嘉怡"
_ETHNICITIES = ("汉",) * 12 + ("回", "满", "蒙古", "壮", "藏", "维吾尔", "苗", "彝", "土家", "朝鲜")
_STREETS = (
    "建设路",
    "人民路",
    "解放路",
    "中山路",
    "和平街",
    "长安街",
    "文化路",
    "新华路",
    "胜利街",
    "光明路",
    "青年路",
)
_COMMUNITIES = ("幸福里", "阳光花园", "锦绣家园", "翠苑", "金色家园", "东方小区", "绿地新城", "景秀苑")


class FontNotFoundError(RuntimeError):
    """No CJK font is installed (Debian package fonts-noto-cjk)."""


@dataclass(frozen=True)
class IdPerson:
    """The data printed on one synthetic ID card.

    Attributes:
        name: 姓名.
        sex: 性别, "男" or "女".
        ethnicity: 民族, e.g. "汉".
        birth: 出生 date.
        address: 住址, one string (wrapped when drawn).
        id_number: 公民身份号码, 18 characters with a valid check digit.
        authority: 签发机关.
        valid_from: first day of the validity period.
        valid_to: last day of the validity period, None for 长期 (no expiry).
    """

    name: str
    sex: str
    ethnicity: str
    birth: dt.date
    address: str
    id_number: str
    authority: str
    valid_from: dt.date
    valid_to: dt.date | None

    @property
    def validity_text(self) -> str:
        """有效期限 as printed, e.g. "2015.03.12-2035.03.12" or "2015.03.12-长期"."""
        end = "长期" if self.valid_to is None else _dotted(self.valid_to)
        return f"{_dotted(self.valid_from)}-{end}"


def _dotted(d: dt.date) -> str:
    return f"{d.year:04d}.{d.month:02d}.{d.day:02d}"


def _add_years(d: dt.date, years: int) -> dt.date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


def random_person(rng: random.Random, *, today: dt.date | None = None, expired: bool = False) -> IdPerson:
    """Draw a random, internally consistent person.

    Args:
        rng: source of randomness (seed it for determinism).
        today: reference date for ages and validity; defaults to 2026-01-01 so results never depend on the clock.
        expired: make the validity period end before ``today``.

    Returns:
        An :class:`IdPerson` whose ID number validates and agrees with birth date and sex.
    """
    today = today or dt.date(2026, 1, 1)
    province, city, district, code = rng.choice(_REGIONS)
    surname = rng.choice(_COMPOUND_SURNAMES) if rng.random() < 0.04 else rng.choice(_SURNAMES)
    given = "".join(rng.choice(_GIVEN) for _ in range(rng.choice((1, 2, 2))))
    name = surname + given
    sex = rng.choice(("男", "女"))
    age_days = rng.randint(18 * 365, 75 * 365)
    birth = today - dt.timedelta(days=age_days)
    seq = rng.randint(0, 99)
    parity = rng.choice((1, 3, 5, 7, 9)) if sex == "男" else rng.choice((0, 2, 4, 6, 8))
    first17 = f"{code}{birth:%Y%m%d}{seq:02d}{parity}"
    id_number = first17 + compute_check_digit(first17)

    street = rng.choice(_STREETS)
    if rng.random() < 0.5:
        tail = f"{rng.randint(1, 300)}号"
    else:
        building = f"{rng.randint(1, 30)}栋{rng.randint(1, 4)}单元{rng.randint(101, 2804)}室"
        tail = f"{rng.randint(1, 200)}号{rng.choice(_COMMUNITIES)}{building}"
    address = f"{province}{city}{district}{street}{tail}"
    authority = f"{(city or province)[:-1]}市公安局{district}分局"

    age = (today - birth).days // 365
    if expired:
        # An old card: issued long ago with a 10-year period that ended 1-1000 days before today.
        valid_to: dt.date | None = today - dt.timedelta(days=rng.randint(1, 1000))
        valid_from = _add_years(valid_to, -10)  # type: ignore[arg-type]
    else:
        years_ago = rng.randint(0, 9)
        valid_from = today - dt.timedelta(days=years_ago * 365 + rng.randint(0, 300))
        issue_age = age - years_ago
        if issue_age >= 46 and rng.random() < 0.7:
            valid_to = None
        else:
            period = 10 if issue_age < 26 else 20
            valid_to = _add_years(valid_from, period)
            if valid_to <= today:
                valid_to = _add_years(valid_from, 20)
    return IdPerson(
        name=name,
        sex=sex,
        ethnicity=rng.choice(_ETHNICITIES),
        birth=birth,
        address=address,
        id_number=id_number,
        authority=authority,
        valid_from=valid_from,
        valid_to=valid_to,
    )


@lru_cache(maxsize=1)
def find_cjk_font() -> Path:
    """Locate a CJK-capable font file.

    Returns:
        Path of the Noto Sans CJK collection (or another CJK font).

    Raises:
        FontNotFoundError: no CJK font is installed; install the Debian package ``fonts-noto-cjk``.
    """
    for cand in _FONT_CANDIDATES:
        if Path(cand).is_file():
            return Path(cand)
    if shutil.which("fc-match"):
        try:
            out = subprocess.run(
                ["fc-match", "-f", "%{file}", "Noto Sans CJK SC:lang=zh-cn"],
                capture_output=True,
                text=True,
                timeout=10,
                check=False,
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            out = ""
        if out and Path(out).is_file() and "cjk" in out.lower():
            return Path(out)
    raise FontNotFoundError("找不到中文字体: 请安装 Debian 软件包 fonts-noto-cjk (NotoSansCJK-Regular.ttc)")


@lru_cache(maxsize=32)
def _font(size_px: int) -> ImageFont.FreeTypeFont:
    path = find_cjk_font()
    index = _NOTO_SC_INDEX if path.name.startswith("NotoSansCJK") else 0
    return ImageFont.truetype(str(path), size_px, index=index)


class _Canvas:
    """A card canvas that takes millimetre coordinates."""

    def __init__(self, px_per_mm: float, rng: random.Random, tint: tuple[int, int, int]) -> None:
        self.s = px_per_mm
        self.w = round(CARD_W_MM * px_per_mm)
        self.h = round(CARD_H_MM * px_per_mm)
        self.img = Image.fromarray(_card_background(self.w, self.h, rng, tint))
        self.draw = ImageDraw.Draw(self.img)

    def text(self, x_mm: float, y_mm: float, text: str, size_mm: float, fill: tuple[int, int, int], spacing_mm=0.0):
        font = _font(max(8, round(size_mm * self.s)))
        if spacing_mm <= 0:
            self.draw.text((x_mm * self.s, y_mm * self.s), text, font=font, fill=fill)
            return x_mm + self.draw.textlength(text, font=font) / self.s
        x = x_mm
        for ch in text:
            self.draw.text((x * self.s, y_mm * self.s), ch, font=font, fill=fill)
            x += self.draw.textlength(ch, font=font) / self.s + spacing_mm
        return x

    def width_mm(self, text: str, size_mm: float) -> float:
        return self.draw.textlength(text, font=_font(max(8, round(size_mm * self.s)))) / self.s


def _card_background(w: int, h: int, rng: random.Random, tint: tuple[int, int, int]) -> np.ndarray:
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    base = np.empty((h, w, 3), np.float32)
    for c in range(3):
        base[..., c] = tint[c]
    # Faint guilloche-like waves, as on the real card's anti-counterfeit background.
    phase = rng.uniform(0, 6.28)
    waves = np.sin(xx / w * 40 + np.sin(yy / h * 6 + phase) * 3) * np.sin(yy / h * 25 + phase)
    base += waves[..., None] * np.array([3.0, 4.0, 6.0], np.float32)
    grad = (xx / w) * 10 - 5
    base += grad[..., None]
    return np.clip(base, 0, 255).astype(np.uint8)


# Layout of the portrait side, in mm from the top-left corner (measured off a specimen card).
LABEL_X = 6.5
VALUE_X = 17.5
ROW_Y = {"name": 6.0, "sex": 12.5, "birth": 19.0, "address": 25.5, "id": 44.5}
ADDRESS_LINE_MM = 4.6
ADDRESS_CHARS_PER_LINE = 11
PORTRAIT_BOX_MM = (54.0, 5.5, 82.0, 40.0)  # x0, y0, x1, y1
LABEL_COLOR = (30, 110, 170)
VALUE_COLOR = (20, 20, 20)


def _wrap(text: str, per_line: int) -> list[str]:
    return [text[i : i + per_line] for i in range(0, len(text), per_line)]


def _portrait_rgb(
    face: np.ndarray | None, w: int, h: int, rng: random.Random, face_box: tuple[int, int, int, int] | None
) -> Image.Image:
    """Fit a face photo (BGR ndarray) into the portrait box, centred on ``face_box`` (x, y, w, h) when given."""
    if face is None:
        img = Image.new("RGB", (w, h), (235, 238, 242))
        d = ImageDraw.Draw(img)
        d.ellipse((w * 0.3, h * 0.15, w * 0.7, h * 0.6), fill=(200, 170, 150))
        d.rectangle((w * 0.15, h * 0.65, w * 0.85, h), fill=(60, 60, 80))
        return img
    fh, fw = face.shape[:2]
    target = w / h
    if face_box is not None:
        # ID photos are head-and-shoulders: the face is about half the photo's width.
        bx, by, bw, bh = face_box
        cw_f = min(float(fw), bw * 2.0)
        ch_f = cw_f / target
        if ch_f > fh:
            ch_f = float(fh)
            cw_f = ch_f * target
        x0f = min(max(0.0, bx + bw / 2 - cw_f / 2), fw - cw_f)
        y0f = min(max(0.0, by + bh * 0.45 - ch_f * 0.45), fh - ch_f)
        crop = face[round(y0f) : round(y0f + ch_f), round(x0f) : round(x0f + cw_f)]
        rgb = cv2.cvtColor(cv2.resize(crop, (w, h), interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2RGB)
        return Image.fromarray(rgb)
    if fw / fh > target:  # too wide: crop the sides
        cw = round(fh * target)
        x0 = (fw - cw) // 2
        crop = face[:, x0 : x0 + cw]
    else:  # too tall: keep the top part (head), drop some chest
        ch = round(fw / target)
        y0 = min(fh - ch, round((fh - ch) * 0.3))
        crop = face[y0 : y0 + ch, :]
    rgb = cv2.cvtColor(cv2.resize(crop, (w, h), interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2RGB)
    return Image.fromarray(rgb)


def render_front(
    person: IdPerson,
    face_bgr: np.ndarray | None = None,
    *,
    face_box: tuple[int, int, int, int] | None = None,
    px_per_mm: float = 12.0,
    seed: int = 0,
) -> np.ndarray:
    """Draw the portrait side (人像面).

    Args:
        person: data to print.
        face_bgr: portrait photo as a BGR image, or None for a drawn placeholder silhouette.
        face_box: (x, y, w, h) of the face in ``face_bgr``; the portrait is then framed head-and-shoulders around it.
        px_per_mm: resolution; 12 gives a 1027 x 648 card.
        seed: seed for the background pattern.

    Returns:
        The card as a BGR uint8 image.
    """
    rng = random.Random(seed)
    cv = _Canvas(px_per_mm, rng, (238, 242, 246))
    lab, val = 2.5, 3.1
    cv.text(LABEL_X, ROW_Y["name"], "姓  名", lab, LABEL_COLOR)
    cv.text(VALUE_X, ROW_Y["name"] - 0.3, person.name, val, VALUE_COLOR)
    cv.text(LABEL_X, ROW_Y["sex"], "性  别", lab, LABEL_COLOR)
    cv.text(VALUE_X, ROW_Y["sex"] - 0.3, person.sex, val, VALUE_COLOR)
    cv.text(30.0, ROW_Y["sex"], "民  族", lab, LABEL_COLOR)
    cv.text(40.5, ROW_Y["sex"] - 0.3, person.ethnicity, val, VALUE_COLOR)
    cv.text(LABEL_X, ROW_Y["birth"], "出  生", lab, LABEL_COLOR)
    x = cv.text(VALUE_X, ROW_Y["birth"] - 0.3, f"{person.birth.year}", val, VALUE_COLOR)
    x = cv.text(x + 1.0, ROW_Y["birth"], "年", lab, LABEL_COLOR)
    x = cv.text(x + 1.0, ROW_Y["birth"] - 0.3, f"{person.birth.month}", val, VALUE_COLOR)
    x = cv.text(x + 1.0, ROW_Y["birth"], "月", lab, LABEL_COLOR)
    x = cv.text(x + 1.0, ROW_Y["birth"] - 0.3, f"{person.birth.day}", val, VALUE_COLOR)
    cv.text(x + 1.0, ROW_Y["birth"], "日", lab, LABEL_COLOR)
    cv.text(LABEL_X, ROW_Y["address"], "住  址", lab, LABEL_COLOR)
    for i, line in enumerate(_wrap(person.address, ADDRESS_CHARS_PER_LINE)[:4]):
        cv.text(VALUE_X, ROW_Y["address"] - 0.3 + i * ADDRESS_LINE_MM, line, val, VALUE_COLOR)
    cv.text(LABEL_X, ROW_Y["id"], "公民身份号码", lab, LABEL_COLOR)
    cv.text(28.5, ROW_Y["id"] - 0.4, person.id_number, 3.3, VALUE_COLOR, spacing_mm=0.45)
    x0, y0, x1, y1 = (round(v * px_per_mm) for v in PORTRAIT_BOX_MM)
    cv.img.paste(_portrait_rgb(face_bgr, x1 - x0, y1 - y0, rng, face_box), (x0, y0))
    return cv2.cvtColor(np.asarray(cv.img), cv2.COLOR_RGB2BGR)


def render_back(person: IdPerson, *, px_per_mm: float = 12.0, seed: int = 0) -> np.ndarray:
    """Draw the emblem side (国徽面) with 签发机关 and 有效期限.

    Args:
        person: data to print.
        px_per_mm: resolution.
        seed: seed for the background pattern.

    Returns:
        The card as a BGR uint8 image.
    """
    rng = random.Random(seed + 1)
    cv = _Canvas(px_per_mm, rng, (240, 240, 232))
    s = px_per_mm
    # A stylised red emblem (not the real one): ring plus a star.
    cx, cy, r = 13.0 * s, 13.5 * s, 8.0 * s
    cv.draw.ellipse((cx - r, cy - r, cx + r, cy + r), outline=(200, 30, 30), width=max(2, round(0.8 * s)))
    angles = [np.pi / 2 + k * 4 * np.pi / 5 for k in range(5)]
    star = [(cx + r * 0.55 * np.cos(a), cy - r * 0.55 * np.sin(a)) for a in angles]
    cv.draw.polygon(star, fill=(220, 180, 40))
    cv.text(27.0, 6.5, "中华人民共和国", 4.6, (20, 20, 20), spacing_mm=1.2)
    cv.text(27.0, 16.0, "居民身份证", 6.4, (20, 20, 20), spacing_mm=2.0)
    lab, val = 2.5, 3.0
    cv.text(17.0, 38.0, "签发机关", lab, (20, 20, 20))
    cv.text(31.0, 37.7, person.authority, val, (20, 20, 20))
    cv.text(17.0, 44.5, "有效期限", lab, (20, 20, 20))
    cv.text(31.0, 44.2, person.validity_text, val, (20, 20, 20))
    return cv2.cvtColor(np.asarray(cv.img), cv2.COLOR_RGB2BGR)


def photograph(card_bgr: np.ndarray, *, seed: int = 0, out_size: tuple[int, int] = (1280, 960)) -> np.ndarray:
    """Simulate a phone photo of a card lying on a table; see :func:`photograph_with_corners`."""
    return photograph_with_corners(card_bgr, seed=seed, out_size=out_size)[0]


def photograph_with_corners(
    card_bgr: np.ndarray, *, seed: int = 0, out_size: tuple[int, int] = (1280, 960)
) -> tuple[np.ndarray, np.ndarray]:
    """Simulate a phone photo of a card lying on a table, and tell where the card's corners ended up.

    Applies a random perspective warp (corners moved up to 6 % of the card size, rotation up to +-6 degrees),
    places the card on a textured table (dark, or light like a white desk) covering 55-75 % of the frame width,
    adds uneven lighting, a slight blur, sensor noise and JPEG compression (quality 60-85).

    Args:
        card_bgr: a flat card image from :func:`render_front` or :func:`render_back`.
        seed: seed for every random choice.
        out_size: (width, height) of the photo.

    Returns:
        (the "photo" as a BGR uint8 image, already JPEG-decoded; 4 x 2 corners TL, TR, BR, BL in photo pixels).
    """
    rng = np.random.default_rng(seed)
    ow, oh = out_size
    ch, cw = card_bgr.shape[:2]
    # Background: a table with wood-like streaks, from dark to nearly as light as the card.
    base = rng.uniform(40, 120, size=3) if rng.random() < 0.6 else rng.uniform(170, 225, size=3)
    yy, xx = np.mgrid[0:oh, 0:ow].astype(np.float32)
    streak = np.sin(yy / rng.uniform(6, 25) + np.sin(xx / rng.uniform(80, 200)) * 2) * rng.uniform(4, 14)
    bg = np.clip(base[None, None, :] + streak[..., None] + rng.normal(0, 4, (oh, ow, 3)), 0, 255).astype(np.uint8)

    width_frac = rng.uniform(0.55, 0.75)
    tw = ow * width_frac
    th = tw * ch / cw
    cx = ow / 2 + rng.uniform(-0.08, 0.08) * ow
    cy = oh / 2 + rng.uniform(-0.08, 0.08) * oh
    angle = np.deg2rad(rng.uniform(-6, 6))
    corners = np.array([[-tw / 2, -th / 2], [tw / 2, -th / 2], [tw / 2, th / 2], [-tw / 2, th / 2]])
    corners += rng.uniform(-0.06, 0.06, size=(4, 2)) * np.array([tw, th])
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    dst = (corners @ rot.T + np.array([cx, cy])).astype(np.float32)
    src = np.array([[0, 0], [cw - 1, 0], [cw - 1, ch - 1], [0, ch - 1]], np.float32)
    m = cv2.getPerspectiveTransform(src, dst)
    warped = cv2.warpPerspective(card_bgr, m, (ow, oh), flags=cv2.INTER_AREA)
    mask = cv2.warpPerspective(np.full((ch, cw), 255, np.uint8), m, (ow, oh), flags=cv2.INTER_LINEAR)
    # Soft shadow under the card.
    shadow = cv2.GaussianBlur(mask, (0, 0), 8).astype(np.float32) / 255.0
    shifted = np.roll(shadow, (6, 6), axis=(0, 1))
    img = bg.astype(np.float32) * (1 - 0.4 * shifted[..., None])
    a = (mask.astype(np.float32) / 255.0)[..., None]
    img = img * (1 - a) + warped.astype(np.float32) * a
    # Uneven lighting: a broad bright spot and a darker side.
    lx, ly = rng.uniform(0, ow), rng.uniform(0, oh)
    dist = np.sqrt((xx - lx) ** 2 + (yy - ly) ** 2) / max(ow, oh)
    light = 1.12 - rng.uniform(0.2, 0.35) * dist
    img *= light[..., None]
    img = np.clip(img, 0, 255).astype(np.uint8)
    img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.5, 1.1))
    img = np.clip(img.astype(np.int16) + rng.normal(0, 3, img.shape).astype(np.int16), 0, 255).astype(np.uint8)
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(60, 86))])
    if not ok:  # pragma: no cover - imencode of a valid uint8 image does not fail
        raise RuntimeError("JPEG encode failed")
    decoded = cv2.imdecode(buf, cv2.IMREAD_COLOR)
    if decoded is None:  # pragma: no cover
        raise RuntimeError("JPEG decode failed")
    return np.asarray(decoded, dtype=np.uint8), dst


@dataclass(frozen=True)
class SyntheticCard:
    """One generated card pair and its truth."""

    person: IdPerson
    front: np.ndarray
    back: np.ndarray


def make_card(
    seed: int,
    face_bgr: np.ndarray | None = None,
    *,
    face_box: tuple[int, int, int, int] | None = None,
    photographed: bool = False,
    expired: bool = False,
    today: dt.date | None = None,
    person: IdPerson | None = None,
) -> SyntheticCard:
    """Generate a random person and both sides of their card.

    Args:
        seed: everything derives from it.
        face_bgr: portrait photo (BGR), or None for a placeholder.
        face_box: (x, y, w, h) of the face in ``face_bgr`` to frame the portrait around.
        photographed: return "photographed" versions instead of flat scans.
        expired: make the card expired relative to ``today``.
        today: reference date (default 2026-01-01).
        person: use this person instead of a random one.

    Returns:
        A :class:`SyntheticCard`.
    """
    rng = random.Random(seed)
    person = person or random_person(rng, today=today, expired=expired)
    front = render_front(person, face_bgr, face_box=face_box, seed=seed)
    back = render_back(person, seed=seed)
    if photographed:
        front = photograph(front, seed=seed * 2 + 11)
        back = photograph(back, seed=seed * 2 + 12)
    return SyntheticCard(person=person, front=front, back=back)


def to_jpeg(img_bgr: np.ndarray, quality: int = 90) -> bytes:
    """Encode an image as JPEG bytes (what a browser upload looks like)."""
    buf = io.BytesIO()
    Image.fromarray(cv2.cvtColor(img_bgr, cv2.COLOR_BGR2RGB)).save(buf, format="JPEG", quality=quality)
    return buf.getvalue()
