"""The gates fed by the real pipelines: a synthetic ID card of a demo customer read by OCR, the sandbox bank,
the real face engine on the sandbox portraits, and the liveness detector on observation sequences."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import cv2
import pytest

from server.bank.adapters import (
    Account,
    AccountStatus,
    BankAdapters,
    Customer,
    NetworkCheckResult,
    NetworkCheckVerdict,
)
from server.bank.sandbox import DemoCustomer, SandboxBank, demo_customer
from server.identity.face import DEFAULT_THRESHOLD, FaceEngine
from server.identity.gates import (
    DEFAULT_GATE_CONFIG,
    LIVENESS_ACTIONS,
    FaceScores,
    Gate,
    GateMachine,
    GateStatus,
    IdCardFields,
    LivenessObservation,
    PrecheckEvidence,
    collect_precheck_evidence,
    sha256_hex,
)
from server.identity.idcard_synth import IdPerson, make_card
from server.identity.liveness import ChallengeAction, FaceObservation, LivenessChallenge
from server.identity.ocr import read_front

T0 = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


@pytest.fixture(scope="module")
def engine() -> FaceEngine:
    return FaceEngine()


@pytest.fixture(scope="module")
def adapters(tmp_path_factory: pytest.TempPathFactory) -> BankAdapters:
    return SandboxBank(tmp_path_factory.mktemp("bank"), population=10, latency_s=0).adapters()


def read_card_of(demo: DemoCustomer, engine: FaceEngine) -> tuple[IdCardFields, bytes]:
    """Print the demo customer's card with their card portrait, photograph it, read it back with OCR."""
    face = cv2.imread(str(demo.id_card_portrait))
    assert face is not None
    box = engine.detect(face)[0]
    person = IdPerson(
        name=demo.name,
        sex=demo.sex,
        ethnicity=demo.raw["ethnicity"],
        birth=demo.birth_date,
        address=demo.address,
        id_number=demo.id_number,
        authority="北京市公安局朝阳分局",
        valid_from=date(2020, 5, 1),
        valid_to=date(2040, 5, 1),
    )
    card = make_card(
        3, face, face_box=(int(box.x), int(box.y), int(box.w), int(box.h)), photographed=True, person=person
    )
    front = read_front(card.front)
    assert front.portrait is not None
    ok, encoded = cv2.imencode(".png", front.portrait)
    assert ok
    portrait = encoded.tobytes()
    assert front.birth_date is not None
    fields = IdCardFields(
        name=front.name.value,
        id_number=front.id_number.value,
        sex=front.sex.value,
        birth_date=front.birth_date,
        address=front.address.value,
        valid_until=person.valid_to,
        portrait_sha256=sha256_hex(portrait),
        ethnicity=front.ethnicity.value,
    )
    return fields, portrait


async def verify_to_face(key: str, engine: FaceEngine, adapters: BankAdapters) -> tuple[GateMachine, Gate, str]:
    demo = demo_customer(key)
    card, portrait = read_card_of(demo, engine)
    assert (card.name, card.id_number) == (demo.name, demo.id_number)  # OCR read the card right
    m = GateMachine(f"sess-pipe-{key}", "password_reset", now=T0)
    update = m.submit_precheck(
        await collect_precheck_evidence(adapters, card, demo.phone, demo.first_account), now=at(1)
    )
    assert update.passed, update.teller_message
    req = m.start_network_check(now=at(2))
    assert m.record_network_check(await adapters.network_check.check(req.id_number, req.name), now=at(3)).passed
    assert m.network_photo is not None
    live = demo.live_sample.read_bytes()
    three = engine.compare_three(portrait, m.network_photo, live)
    scores = FaceScores.from_three_way(three, id_portrait=portrait, network_photo=m.network_photo, live=live)
    update = m.submit_face(scores, now=at(4))
    return m, update.gate, str(update.trail[-1].get("failed_pairs"))


async def test_real_faces_pass_for_the_demo_customer(engine: FaceEngine, adapters: BankAdapters) -> None:
    m, _, _ = await verify_to_face("pass_all", engine, adapters)
    assert m.status(Gate.FACE) is GateStatus.PASSED
    snap = m.snapshot()["gates"][2]
    assert all(v is not None and v >= DEFAULT_THRESHOLD for v in snap["scores"].values()), snap


async def test_real_faces_fail_when_the_registered_photo_is_someone_else(
    engine: FaceEngine, adapters: BankAdapters
) -> None:
    m, _, failed = await verify_to_face("face_mismatch", engine, adapters)
    assert m.status(Gate.FACE) is GateStatus.PENDING and m.attempts(Gate.FACE) == 1
    assert "network_vs_live" in failed and "id_vs_network" in failed and "id_vs_live" not in failed


def _observations(actions: tuple[str, ...]) -> list[FaceObservation]:
    seq = [FaceObservation(1, 0.30, 0.5)] * 4
    for action in actions:
        if action == "blink":
            seq += [FaceObservation(1, 0.30, 0.5)] * 3 + [FaceObservation(1, 0.08, 0.5)] * 2
            seq += [FaceObservation(1, 0.30, 0.5)] * 2
        else:
            sign = 1 if action == "turn_left" else -1
            seq += [FaceObservation(1, 0.30, 0.5 + sign * d) for d in (0.05, 0.1, 0.18)]
            seq += [FaceObservation(1, 0.30, 0.5)] * 2
    return seq


@pytest.mark.parametrize("performed", ["as_asked", "reversed"])
def test_liveness_detector_result_feeds_the_gate(performed: str) -> None:
    assert set(LIVENESS_ACTIONS) == {a.value for a in ChallengeAction}
    assert DEFAULT_GATE_CONFIG.default.face_threshold == DEFAULT_THRESHOLD
    m = GateMachine("sess-pipe-live", "password_reset", now=T0, config=DEFAULT_GATE_CONFIG)
    walk_to_liveness(m)
    challenge = m.start_liveness(now=at(10), rng=random.Random(8))
    done = challenge.actions if performed == "as_asked" else tuple(reversed(challenge.actions))
    detector = LivenessChallenge([ChallengeAction(a) for a in challenge.actions])
    for i, obs in enumerate(_observations(done)):
        detector.feed_observation(obs, i * 0.1)
    # the detector may stop early on a wrong order; give it the rest of its step time
    t = len(_observations(done)) * 0.1
    while detector.result is None:
        t += 0.5
        detector.feed_observation(FaceObservation(1, 0.30, 0.5), t)
    observation = LivenessObservation.from_result(challenge.challenge_id, detector.result, frames_sha256="0" * 64)
    update = m.submit_liveness(observation, now=at(20))
    assert update.passed is (performed == "as_asked")


def walk_to_liveness(m: GateMachine) -> None:
    """Pass the first three gates with well-formed hand-made inputs (those gates are tested above)."""
    demo = demo_customer("pass_all")
    customer = Customer(
        demo.customer_id, demo.name, demo.id_number, demo.phone, demo.sex, demo.birth_date, demo.address
    )
    account = Account(
        demo.first_account, demo.customer_id, AccountStatus.NORMAL, "借记卡(I类)", "北京", date(2012, 1, 1)
    )
    portrait = sha256_hex(b"portrait")
    card = IdCardFields(demo.name, demo.id_number, demo.sex, demo.birth_date, demo.address, None, portrait)
    assert m.submit_precheck(
        PrecheckEvidence(card, demo.phone, demo.first_account, customer, account), now=at(1)
    ).passed
    m.start_network_check(now=at(2))
    m.record_network_check(NetworkCheckResult(NetworkCheckVerdict.MATCH, b"photo"), now=at(3))
    scores = FaceScores(0.8, 0.8, 0.8, portrait, sha256_hex(b"photo"), sha256_hex(b"live"))
    assert m.submit_face(scores, now=at(4)).passed
