"""Chinese resident ID numbers (居民身份证号码, GB 11643-1999) and masking of personal numbers for logs and screens."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

__all__ = [
    "PROVINCES",
    "IdNumberError",
    "ParsedIdNumber",
    "compute_check_digit",
    "has_valid_check_digit",
    "mask_card_number",
    "mask_id_number",
    "mask_name",
    "mask_phone",
    "parse_id_number",
]

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
"""2^(18-i) mod 11 for positions 1..17 (ISO 7064 MOD 11-2)."""

_CHECK_CHARS = "10X98765432"
"""Check character for (sum of weighted digits) mod 11 = 0..10."""

_SHAPE = re.compile(r"^\d{17}[\dX]$")

PROVINCES: dict[str, str] = {
    "11": "北京市",
    "12": "天津市",
    "13": "河北省",
    "14": "山西省",
    "15": "内蒙古自治区",
    "21": "辽宁省",
    "22": "吉林省",
    "23": "黑龙江省",
    "31": "上海市",
    "32": "江苏省",
    "33": "浙江省",
    "34": "安徽省",
    "35": "福建省",
    "36": "江西省",
    "37": "山东省",
    "41": "河南省",
    "42": "湖北省",
    "43": "湖南省",
    "44": "广东省",
    "45": "广西壮族自治区",
    "46": "海南省",
    "50": "重庆市",
    "51": "四川省",
    "52": "贵州省",
    "53": "云南省",
    "54": "西藏自治区",
    "61": "陕西省",
    "62": "甘肃省",
    "63": "青海省",
    "64": "宁夏回族自治区",
    "65": "新疆维吾尔自治区",
}
"""Province-level codes (first two digits) that appear on resident ID cards of the mainland."""


class IdNumberError(ValueError):
    """An ID number that is not a valid resident ID number.

    Attributes:
        code: machine-readable reason (``format``, ``check_digit``, ``region``, ``birth_date``, ``future_birth``,
            ``birth_mismatch``, ``sex_mismatch``).
        message: Chinese explanation for the customer or teller; never contains the full number.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass(frozen=True)
class ParsedIdNumber:
    """The fields encoded in a valid 18-digit ID number.

    Attributes:
        number: the normalised number (upper-case X).
        region_code: six-digit administrative division code of the place of first registration.
        province: province name from the first two digits.
        birth_date: date of birth.
        sequence: three-digit sequence code (positions 15-17).
        sex: "男" (odd sequence) or "女" (even sequence).
        check_digit: the 18th character.
    """

    number: str
    region_code: str
    province: str
    birth_date: date
    sequence: str
    sex: str
    check_digit: str

    @property
    def masked(self) -> str:
        """The number masked for logs and screens."""
        return mask_id_number(self.number)

    def age_on(self, day: date) -> int:
        """Age in whole years on ``day``."""
        years = day.year - self.birth_date.year
        if (day.month, day.day) < (self.birth_date.month, self.birth_date.day):
            years -= 1
        return years


def compute_check_digit(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character for the first 17 digits.

    Args:
        first17: exactly 17 decimal digits.

    Raises:
        ValueError: when ``first17`` is not 17 digits.
    """
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise ValueError("需要 17 位数字")
    total = sum(int(c) * w for c, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def has_valid_check_digit(number: str) -> bool:
    """Whether an 18-character number has the right shape and check character (lower-case x accepted)."""
    number = number.strip().upper()
    if not _SHAPE.match(number):
        return False
    return compute_check_digit(number[:17]) == number[17]


def parse_id_number(
    number: str,
    *,
    today: date,
    known_region: Callable[[str], bool] | None = None,
    expected_birth: date | None = None,
    expected_sex: str | None = None,
) -> ParsedIdNumber:
    """Validate an ID number and return its fields.

    Checks, in order: shape (17 digits + digit or X), check digit, province code (and the full region code when
    ``known_region`` is given), birth date (a real date, not after ``today``, not before 1900), and consistency with
    the birth date and sex printed on the card (``expected_birth``/``expected_sex``, e.g. from OCR).

    Args:
        number: the ID number; surrounding spaces and a lower-case ``x`` are accepted.
        today: the current date (explicit so that validation is deterministic).
        known_region: optional predicate telling whether a six-digit region code exists.
        expected_birth: the birth date read from the card, if any.
        expected_sex: "男" or "女" read from the card, if any.

    Raises:
        IdNumberError: with a Chinese message that never shows the full number.
    """
    normalised = number.strip().upper()
    if not _SHAPE.match(normalised):
        raise IdNumberError("format", "身份证号码格式不正确,应为 18 位(前 17 位为数字,最后一位为数字或 X)")
    if compute_check_digit(normalised[:17]) != normalised[17]:
        raise IdNumberError("check_digit", "身份证号码校验位不正确,请核对号码是否输入或识别有误")
    province = PROVINCES.get(normalised[:2])
    if province is None:
        raise IdNumberError("region", "身份证号码的地区码不存在,请核对号码")
    region_code = normalised[:6]
    if known_region is not None and not known_region(region_code):
        raise IdNumberError("region", "身份证号码的地区码不存在,请核对号码")
    try:
        birth = date(int(normalised[6:10]), int(normalised[10:12]), int(normalised[12:14]))
    except ValueError as exc:
        raise IdNumberError("birth_date", "身份证号码中的出生日期不是有效日期,请核对号码") from exc
    if birth > today:
        raise IdNumberError("future_birth", "身份证号码中的出生日期晚于今天,请核对号码")
    if birth.year < 1900:
        raise IdNumberError("birth_date", "身份证号码中的出生日期早于 1900 年,请核对号码")
    sequence = normalised[14:17]
    sex = "男" if int(sequence[2]) % 2 == 1 else "女"
    if expected_birth is not None and expected_birth != birth:
        raise IdNumberError("birth_mismatch", "身份证号码中的出生日期与证件上的出生日期不一致")
    if expected_sex is not None and expected_sex.strip() != sex:
        raise IdNumberError("sex_mismatch", "身份证号码中的性别与证件上的性别不一致")
    return ParsedIdNumber(
        number=normalised,
        region_code=region_code,
        province=province,
        birth_date=birth,
        sequence=sequence,
        sex=sex,
        check_digit=normalised[17],
    )


def mask_id_number(number: str | None) -> str:
    """Mask an ID number keeping the first 4 and last 4 characters: ``1101**********123X``.

    Anything shorter than 9 characters is fully masked so that no short value leaks whole.
    """
    if not number:
        return ""
    s = number.strip()
    if len(s) < 9:
        return "*" * len(s)
    return s[:4] + "*" * (len(s) - 8) + s[-4:]


def mask_phone(phone: str | None) -> str:
    """Mask a mobile number keeping the first 3 and last 4 digits: ``138****5678``."""
    if not phone:
        return ""
    s = phone.strip()
    if len(s) < 8:
        return "*" * len(s)
    return s[:3] + "*" * (len(s) - 7) + s[-4:]


def mask_card_number(card: str | None) -> str:
    """Mask a bank card or account number keeping the first and last 4 digits, grouped: ``6222 **** **** 1234``."""
    if not card:
        return ""
    s = "".join(card.split())
    if len(s) < 9:
        return "*" * len(s)
    middle = len(s) - 8
    groups = ["****"] * (middle // 4) + (["*" * (middle % 4)] if middle % 4 else [])
    return " ".join([s[:4], *groups, s[-4:]])


def mask_name(name: str | None) -> str:
    """Mask a Chinese name: two characters ``张*``, three or more keep first and last: ``张*三``."""
    if not name:
        return ""
    s = name.strip()
    if len(s) == 1:
        return "*"
    if len(s) == 2:
        return s[0] + "*"
    return s[0] + "*" * (len(s) - 2) + s[-1]
