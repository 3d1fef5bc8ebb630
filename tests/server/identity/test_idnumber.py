"""Tests for ID-number validation and masking."""

from __future__ import annotations

import logging
import random
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.identity.idnumber import (
    IdNumberError,
    compute_check_digit,
    has_valid_check_digit,
    mask_card_number,
    mask_id_number,
    mask_name,
    mask_phone,
    parse_id_number,
)

TODAY = date(2026, 11, 21)

# Valid numbers built from real region codes; the last one ends in X.
VALID = ["11010519491231002X", "440304199003071133", "310115198512250011", "510107200002290045"]


def _with_check(first17: str) -> str:
    return first17 + compute_check_digit(first17)


def test_known_numbers_are_valid() -> None:
    for number in VALID:
        assert has_valid_check_digit(number), number
    # the widely published GB 11643 example
    assert compute_check_digit("11010519491231002") == "X"


def test_every_single_substitution_is_caught() -> None:
    rng = random.Random(7)
    numbers = list(VALID) + [_with_check("".join(rng.choice("0123456789") for _ in range(17))) for _ in range(6)]
    checked = 0
    for number in numbers:
        assert has_valid_check_digit(number)
        for pos in range(18):
            for ch in "0123456789X":
                if ch == number[pos]:
                    continue
                typo = number[:pos] + ch + number[pos + 1 :]
                assert not has_valid_check_digit(typo), (number, pos, ch)
                checked += 1
    assert checked == len(numbers) * 18 * 10


def test_every_adjacent_transposition_of_distinct_characters_is_caught() -> None:
    rng = random.Random(11)
    numbers = list(VALID) + [_with_check("".join(rng.choice("0123456789") for _ in range(17))) for _ in range(20)]
    caught = 0
    for number in numbers:
        for pos in range(17):
            a, b = number[pos], number[pos + 1]
            if a == b:
                continue  # not an error at all
            swapped = number[:pos] + b + a + number[pos + 2 :]
            assert not has_valid_check_digit(swapped), (number, pos)
            caught += 1
    assert caught > 300


@given(st.text(alphabet="0123456789", min_size=17, max_size=17))
def test_computed_check_digit_always_validates(first17: str) -> None:
    assert has_valid_check_digit(first17 + compute_check_digit(first17))
    assert has_valid_check_digit((first17 + compute_check_digit(first17)).lower())


def test_parse_fields() -> None:
    parsed = parse_id_number("440304199003071133", today=TODAY)
    assert parsed.region_code == "440304"
    assert parsed.province == "广东省"
    assert parsed.birth_date == date(1990, 3, 7)
    assert parsed.sex == "男"  # 3rd sequence digit 3 is odd
    assert parsed.age_on(TODAY) == 36
    female = parse_id_number(" 11010519491231002x ", today=TODAY)
    assert female.number == "11010519491231002X"
    assert female.sex == "女"
    assert female.masked == "1101**********002X"


@pytest.mark.parametrize(
    ("first17", "code"),
    [
        ("99010519900101123", "region"),  # province 99 does not exist
        ("44030419900230123", "birth_date"),  # 30 February
        ("44030419001301123", "birth_date"),  # month 13
        ("44030420270101123", "future_birth"),
        ("44030418991231123", "birth_date"),
    ],
)
def test_parse_rejects_bad_fields(first17: str, code: str) -> None:
    with pytest.raises(IdNumberError) as info:
        parse_id_number(_with_check(first17), today=TODAY)
    assert info.value.code == code
    assert first17 not in info.value.message


def test_parse_rejects_format_and_check_digit() -> None:
    with pytest.raises(IdNumberError) as info:
        parse_id_number("44030419900307113", today=TODAY)
    assert info.value.code == "format"
    with pytest.raises(IdNumberError) as info:
        parse_id_number("440304199003071134", today=TODAY)
    assert info.value.code == "check_digit"
    assert "校验位" in info.value.message


def test_leap_day_and_birth_today_are_valid() -> None:
    assert parse_id_number(VALID[3], today=TODAY).birth_date == date(2000, 2, 29)
    born_today = _with_check("110105" + TODAY.strftime("%Y%m%d") + "001")
    assert parse_id_number(born_today, today=TODAY).birth_date == TODAY


def test_parse_checks_consistency_with_card_fields_and_region_table() -> None:
    number = "440304199003071133"
    assert parse_id_number(number, today=TODAY, expected_birth=date(1990, 3, 7), expected_sex="男")
    with pytest.raises(IdNumberError) as info:
        parse_id_number(number, today=TODAY, expected_birth=date(1990, 3, 8))
    assert info.value.code == "birth_mismatch"
    with pytest.raises(IdNumberError) as info:
        parse_id_number(number, today=TODAY, expected_sex="女")
    assert info.value.code == "sex_mismatch"
    with pytest.raises(IdNumberError) as info:
        parse_id_number(number, today=TODAY, known_region=lambda code: code == "110105")
    assert info.value.code == "region"


def test_masks() -> None:
    assert mask_id_number("11010519491231002X") == "1101**********002X"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_card_number("6222021234567891234") == "6222 **** **** *** 1234"
    assert mask_card_number("6222 0212 3456 1234") == "6222 **** **** 1234"
    assert mask_name("张三") == "张*"
    assert mask_name("张小三") == "张*三"
    assert mask_name("欧阳小明") == "欧**明"
    assert mask_name("") == ""
    assert mask_phone("1234") == "****"
    assert mask_id_number(None) == ""


def test_error_logging_never_contains_the_number(caplog: pytest.LogCaptureFixture) -> None:
    log = logging.getLogger("test.idnumber")
    number = "440304199003071134"  # wrong check digit
    with caplog.at_level(logging.INFO), pytest.raises(IdNumberError) as info:
        try:
            parse_id_number(number, today=TODAY)
        finally:
            log.info("checking %s", mask_id_number(number))
    log.warning("rejected: %s", info.value)
    assert "4403**********1134" in caplog.text
    assert number not in caplog.text
