"""ID-card OCR on generated cards (flat and "photographed"): every field, validation problems, portrait crop."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
import threading
from pathlib import Path

import cv2
import numpy as np
import pytest

from server.identity import ocr
from server.identity.face import FaceEngine, get_face_engine
from server.identity.idcard_synth import (
    CARD_H_MM,
    CARD_W_MM,
    IdPerson,
    find_cjk_font,
    make_card,
    photograph,
    photograph_with_corners,
    random_person,
    render_back,
    render_front,
    to_jpeg,
)
from server.identity.idnumber import has_valid_check_digit

DATA = Path(__file__).parent / "data"
TODAY = dt.date(2026, 1, 1)
PORTRAITS = ("obama", "biden", "astronaut")


@pytest.fixture(scope="module")
def faces() -> dict[str, tuple[np.ndarray, tuple[int, int, int, int]]]:
    engine: FaceEngine = get_face_engine()
    out = {}
    for name in PORTRAITS:
        img = cv2.imread(str(DATA / f"{name}.jpg"))
        assert img is not None
        f = engine.detect(img)[0]
        out[name] = (np.asarray(img), (int(f.x), int(f.y), int(f.w), int(f.h)))
    return out


def _check_all_fields(person: IdPerson, front: ocr.IdCardFrontResult, back: ocr.IdCardBackResult) -> None:
    assert front.problems == []
    assert back.problems == []
    assert front.name.value == person.name
    assert front.sex.value == person.sex
    assert front.ethnicity.value == person.ethnicity
    assert front.birth.value == person.birth.isoformat()
    assert front.birth_date == person.birth
    assert front.address.value == person.address
    assert front.id_number.value == person.id_number
    assert front.id_number_valid
    assert back.authority.value == person.authority
    assert back.validity.value == person.validity_text
    assert back.valid_from == person.valid_from
    assert back.valid_to == person.valid_to
    assert back.long_term == (person.valid_to is None)
    assert not back.expired
    for fld in (front.name, front.sex, front.ethnicity, front.birth, front.address, front.id_number):
        assert 0.5 < fld.confidence <= 1.0
    for fld in (back.authority, back.validity):
        assert 0.5 < fld.confidence <= 1.0


@pytest.mark.parametrize("seed", range(100, 105))
def test_clean_card_every_field(seed: int, faces) -> None:
    img, box = faces[PORTRAITS[seed % 3]]
    card = make_card(seed, img, face_box=box)
    front = ocr.read_front(card.front)
    back = ocr.read_back(to_jpeg(card.back), today=TODAY)  # bytes input, as uploaded
    _check_all_fields(card.person, front, back)


@pytest.mark.parametrize("seed", range(200, 208))
def test_photographed_card_every_field(seed: int, faces) -> None:
    img, box = faces[PORTRAITS[seed % 3]]
    card = make_card(seed, img, face_box=box, photographed=True)
    front = ocr.read_front(to_jpeg(card.front))
    back = ocr.read_back(card.back, today=TODAY)
    assert front.card_found and back.card_found  # the outline was found, not the whole photo used
    _check_all_fields(card.person, front, back)


def test_portrait_crop_holds_the_card_face(faces) -> None:
    img, box = faces["biden"]
    card = make_card(3, img, face_box=box, photographed=True)
    res = ocr.read_front(card.front)
    assert res.portrait is not None
    engine = get_face_engine()
    found = engine.detect(res.portrait)
    assert len(found) == 1
    ph, pw = res.portrait.shape[:2]
    # The face sits inside the crop, not cut by its edge.
    f = found[0]
    assert f.x > 0 and f.y > 0 and f.x + f.w < pw and f.y + f.h < ph
    assert engine.compare(res.portrait, img).passed


def test_expired_card_is_detected() -> None:
    card = make_card(31, expired=True)
    assert card.person.valid_to is not None and card.person.valid_to < TODAY
    back = ocr.read_back(card.back, today=TODAY)
    assert back.valid_to == card.person.valid_to
    assert back.expired
    assert back.problems == ["证件已过期"]
    # The same card read on its last valid day is fine.
    assert ocr.read_back(card.back, today=card.person.valid_to).problems == []


def test_long_term_card_never_expires() -> None:
    rng = random.Random(0)
    person = next(p for p in (random_person(rng) for _ in range(200)) if p.valid_to is None)
    back = ocr.read_back(render_back(person), today=dt.date(2090, 1, 1))
    assert back.long_term and back.valid_to is None and not back.expired
    assert back.validity.value.endswith("-长期")
    assert back.problems == []


def test_not_yet_valid_card() -> None:
    card = make_card(40)
    back = ocr.read_back(card.back, today=card.person.valid_from - dt.timedelta(days=1))
    assert "证件尚未生效" in back.problems


def _person(seed: int = 5) -> IdPerson:
    return random_person(random.Random(seed))


def test_wrong_check_digit_is_reported() -> None:
    p = _person()
    wrong_last = "0" if p.id_number[-1] != "0" else "1"
    bad = dataclasses.replace(p, id_number=p.id_number[:17] + wrong_last)
    res = ocr.read_front(render_front(bad))
    assert res.id_number.value == bad.id_number
    assert not res.id_number_valid
    assert res.problems == ["身份证号码校验位错误"]


def test_birth_date_mismatch_is_reported() -> None:
    p = _person()
    other = p.birth.replace(day=1 if p.birth.day != 1 else 2)
    res = ocr.read_front(render_front(dataclasses.replace(p, birth=other)))
    assert res.birth_date == other
    assert res.id_number_valid
    assert res.problems == ["出生日期与身份证号不一致"]


def test_sex_mismatch_is_reported() -> None:
    p = _person()
    res = ocr.read_front(render_front(dataclasses.replace(p, sex="女" if p.sex == "男" else "男")))
    assert res.problems == ["性别与身份证号不一致"]


def test_short_number_is_a_format_problem() -> None:
    p = _person()
    res = ocr.read_front(render_front(dataclasses.replace(p, id_number=p.id_number[:15])))
    assert "身份证号码格式错误" in res.problems


def test_upside_down_and_sideways_photos_are_read() -> None:
    p = _person(8)
    flipped = cv2.rotate(photograph(render_front(p), seed=3), cv2.ROTATE_180)
    res = ocr.read_front(flipped)
    assert (res.name.value, res.id_number.value, res.problems) == (p.name, p.id_number, [])
    sideways = cv2.rotate(photograph(render_back(p), seed=4), cv2.ROTATE_90_CLOCKWISE)
    back = ocr.read_back(sideways, today=TODAY)
    assert (back.authority.value, back.validity.value, back.problems) == (p.authority, p.validity_text, [])


def test_wrong_side_and_non_card_images() -> None:
    card = make_card(9)
    assert ocr.read_front(card.back).problems == ["这是身份证国徽面,请拍摄人像面"]
    assert ocr.read_back(card.front, today=TODAY).problems == ["这是身份证人像面,请拍摄国徽面"]
    blank = np.full((600, 900, 3), 200, np.uint8)
    assert ocr.read_front(blank).problems == ["未识别到身份证内容,请将身份证平放、对准取景框并保持清晰"]
    with pytest.raises(ocr.IdCardImageError, match="无法读取图片"):
        ocr.read_front(b"\x89PNG not really")
    with pytest.raises(ocr.IdCardImageError):
        ocr.read_front(np.zeros((10, 10, 3), np.float32))


def test_read_id_card_combines_both_sides() -> None:
    card = make_card(12, expired=True)
    res = ocr.read_id_card(card.front, card.back, today=TODAY)
    assert res.front.id_number.value == card.person.id_number
    assert res.problems == ["证件已过期"]
    assert not res.ok


@pytest.mark.parametrize(
    ("raw", "expected", "valid"),
    [
        ("11010519491231002X", "11010519491231002X", True),
        ("11010519491231002x", "11010519491231002X", True),  # x -> X
        ("11O1O519491231002X", "11010519491231002X", True),  # O -> 0 where it validates
        ("110105l949I231002X", "11010519491231002X", True),  # l, I -> 1
        ("1101 0519 4912 3100 2X", "11010519491231002X", True),  # spaces
        ("11O1O519491231002O", "11O1O519491231002O", False),  # O in the check position is not a digit guess
        ("110105194912310021", "110105194912310021", False),  # wrong check digit stays visible
        ("1101051949123100", "1101051949123100", False),
    ],
)
def test_id_number_normalisation_only_when_check_digit_validates(raw: str, expected: str, valid: bool) -> None:
    assert has_valid_check_digit("11010519491231002X")
    assert ocr.normalise_id_number(raw) == (expected, valid)


def test_find_card_on_a_photo_and_on_a_flat_scan() -> None:
    flat = render_front(_person(2))
    loc = ocr.find_card(flat)
    assert not loc.found  # the scan is the card
    card, _ = ocr.rectify_card(flat, loc)
    assert card.shape[:2] == (ocr.CARD_SIZE[1], ocr.CARD_SIZE[0])


@pytest.mark.parametrize("seed", range(12))
def test_find_card_corners_on_dark_and_light_tables(seed: int) -> None:
    p = _person(seed)
    flat = render_front(p) if seed % 2 else render_back(p)
    photo, truth = photograph_with_corners(flat, seed=seed)
    loc = ocr.find_card(photo)
    assert loc.found
    # Within 2 % of the photo width at every corner (corners ordered TL, TR, BR, BL like the truth).
    assert float(np.abs(loc.corners - truth).max()) < 0.02 * photo.shape[1]


def test_engine_is_a_thread_safe_singleton() -> None:
    got: list[object] = []
    threads = [threading.Thread(target=lambda: got.append(ocr.get_ocr_engine())) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(got) == 4 and all(g is got[0] for g in got)


def test_synth_cards_have_real_proportions_and_valid_people() -> None:
    assert find_cjk_font().is_file()
    card = make_card(1)
    h, w = card.front.shape[:2]
    assert abs(w / h - CARD_W_MM / CARD_H_MM) < 0.01
    assert card.back.shape == card.front.shape
    rng = random.Random(1)
    for _ in range(200):
        p = random_person(rng)
        assert has_valid_check_digit(p.id_number)
        assert p.id_number[6:14] == p.birth.strftime("%Y%m%d")
        assert (int(p.id_number[16]) % 2 == 1) == (p.sex == "男")
        assert p.valid_to is None or p.valid_to > TODAY
    assert make_card(4).person == make_card(4).person
    assert np.array_equal(make_card(4, photographed=True).front, make_card(4, photographed=True).front)
