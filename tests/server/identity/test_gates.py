"""Tests for the identity gate state machine, driven by the real sandbox bank and its demo customers."""

from __future__ import annotations

import inspect
import json
import logging
import random
from dataclasses import FrozenInstanceError, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from server.bank.adapters import (
    AccountStatus,
    BankAdapters,
    BankError,
    BankTimeout,
    BankUnavailable,
    NetworkCheckResult,
    NetworkCheckVerdict,
)
from server.bank.sandbox import DemoCustomer, SandboxBank, demo_customer, load_demo_customers
from server.identity.gates import (
    GATE_ORDER,
    FaceScores,
    Gate,
    GateClosedError,
    GateConfig,
    GateError,
    GateInputError,
    GateMachine,
    GateOrderError,
    GatePolicy,
    GatesNotPassedError,
    GateStatus,
    GateUpdate,
    IdCardFields,
    LivenessObservation,
    collect_precheck_evidence,
    execute_verified_business,
    sha256_hex,
)
from server.identity.questions import PassRule, build_question_set, draw_question_set

T0 = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
LIVE = sha256_hex(b"live frame")


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


@pytest.fixture(scope="module")
def bank(tmp_path_factory: pytest.TempPathFactory) -> SandboxBank:
    return SandboxBank(tmp_path_factory.mktemp("bank"), population=30, latency_s=0)


@pytest.fixture
def adapters(bank: SandboxBank) -> BankAdapters:
    return bank.adapters()


def card_of(demo: DemoCustomer, **changes: object) -> IdCardFields:
    card = IdCardFields(
        name=demo.name,
        id_number=demo.id_number,
        sex=demo.sex,
        birth_date=demo.birth_date,
        address=demo.address,
        valid_until=date(2036, 1, 1),
        portrait_sha256=sha256_hex(demo.id_card_portrait.read_bytes()),
        ethnicity="汉",
    )
    return replace(card, **changes)  # type: ignore[arg-type]


async def precheck(
    adapters: BankAdapters,
    key: str,
    *,
    business: str = "password_reset",
    account: str | None = None,
    phone: str | None = None,
    card: IdCardFields | None = None,
    machine: GateMachine | None = None,
) -> tuple[GateMachine, GateUpdate]:
    demo = demo_customer(key)
    m = machine or GateMachine("sess-0001", business, now=T0)
    evidence = await collect_precheck_evidence(
        adapters, card or card_of(demo), phone or demo.phone, account or demo.first_account
    )
    return m, m.submit_precheck(evidence, now=at(1))


async def through_network(adapters: BankAdapters, key: str = "pass_all") -> GateMachine:
    m, update = await precheck(adapters, key)
    assert update.passed, update
    req = m.start_network_check(now=at(2))
    update = m.record_network_check(await adapters.network_check.check(req.id_number, req.name), now=at(3))
    assert update.passed, update
    return m


def good_scores(m: GateMachine, key: str = "pass_all", **changes: object) -> FaceScores:
    demo = demo_customer(key)
    assert m.network_photo is not None
    scores = FaceScores(
        id_vs_live=0.71,
        network_vs_live=0.68,
        id_vs_network=0.74,
        id_portrait_sha256=sha256_hex(demo.id_card_portrait.read_bytes()),
        network_photo_sha256=sha256_hex(m.network_photo),
        live_sha256=LIVE,
    )
    return replace(scores, **changes)  # type: ignore[arg-type]


def pass_liveness(m: GateMachine, t: float = 10) -> GateUpdate:
    challenge = m.start_liveness(now=at(t), rng=random.Random(5))
    obs = LivenessObservation(challenge.challenge_id, challenge.actions, True, sha256_hex(b"frames"))
    return m.submit_liveness(obs, now=at(t + 5))


# --- the happy path ---


async def test_all_gates_pass_for_the_demo_customer_and_the_trail_tells_it(adapters: BankAdapters) -> None:
    m, update = await precheck(adapters, "pass_all")
    trail = list(update.trail)
    assert update.passed and m.current_gate is Gate.NETWORK_CHECK
    assert m.customer is not None and m.customer.customer_id == "C9000000001"
    with pytest.raises(GatesNotPassedError) as info:
        m.require_all_passed()
    assert "联网核查" in info.value.message and "人脸比对" in info.value.message

    req = m.start_network_check(now=at(2))
    trail += req.trail
    assert (req.id_number, req.name, req.attempt) == (demo_customer("pass_all").id_number, "李明华", 1)
    result = await adapters.network_check.check(req.id_number, req.name)
    update = m.record_network_check(result, now=at(3))
    trail += update.trail
    assert update.passed
    registered = demo_customer("pass_all").registered_photo
    assert registered is not None and m.network_photo == registered.read_bytes()

    update = m.submit_face(good_scores(m), now=at(5))
    trail += update.trail
    assert update.passed
    challenge = m.start_liveness(now=at(10), rng=random.Random(5))
    trail += challenge.trail
    obs = LivenessObservation(challenge.challenge_id, challenge.actions, True, sha256_hex(b"frames"))
    update = m.submit_liveness(obs, now=at(15))
    trail += update.trail
    assert update.passed

    qs = await draw_question_set(adapters.questions, "C9000000001", PassRule(3, 2), random.Random(3))
    trail += m.start_questions(qs, now=at(20)).trail
    for q in qs.questions:
        update = m.answer_question(q.question_id, q.answer_index, now=at(21))
        trail += update.trail
        if update.passed:
            break
    assert update.passed
    assert m.all_passed and m.current_gate is None
    m.require_all_passed()  # does not raise

    events = [(e["gate"], e["event"]) for e in trail if e["event"] != "question_answered"]
    assert events == [(str(g), ev) for g in GATE_ORDER for ev in ("gate_started", "gate_passed")]
    assert all(e["session_id"] == "sess-0001" for e in trail)
    face_passed = next(e for e in trail if e["gate"] == "face" and e["event"] == "gate_passed")
    assert face_passed["scores"] == {"id_vs_live": 0.71, "network_vs_live": 0.68, "id_vs_network": 0.74}
    network_passed = next(e for e in trail if e["gate"] == "network_check" and e["event"] == "gate_passed")
    assert network_passed["verdict"] == "一致"
    assert network_passed["photo_sha256"] == sha256_hex(registered.read_bytes())
    snap = m.snapshot()
    assert snap["all_passed"] and [g["status"] for g in snap["gates"]] == ["passed"] * 5
    json.dumps(trail)  # JSON-safe
    json.dumps(snap)


# --- order, closure, no forcing ---


async def test_later_gates_refuse_to_run_first(adapters: BankAdapters) -> None:
    m = GateMachine("sess-0002", "password_reset", now=T0)
    with pytest.raises(GateOrderError) as info:
        m.start_network_check(now=at(1))
    assert "请先完成受理前核验" in info.value.message
    assert info.value.trail[-1]["event"] == "gate_refused"
    with pytest.raises(GateOrderError):
        m.start_liveness(now=at(1), rng=random.Random(1))
    items = await adapters.questions.questions_for("C9000000001")
    with pytest.raises(GateOrderError):
        m.start_questions(build_question_set(items, PassRule(), random.Random(1)), now=at(1))
    with pytest.raises(GateOrderError):
        m.answer_question("q1", 0, now=at(1))
    assert [m.status(g) for g in GATE_ORDER] == [GateStatus.PENDING] * 5

    m = await through_network(adapters)
    # face not done: liveness and questions still refused
    with pytest.raises(GateOrderError) as info:
        m.start_liveness(now=at(4), rng=random.Random(1))
    assert "人脸比对" in info.value.message
    with pytest.raises(GateClosedError):
        m.record_network_check(NetworkCheckResult(NetworkCheckVerdict.MATCH, b"other photo"), now=at(4))


def test_there_is_no_api_to_mark_a_gate_passed() -> None:
    public = [n for n, _ in inspect.getmembers(GateMachine) if not n.startswith("_")]
    forbidden = ("set", "force", "mark", "override", "skip", "manual", "pass_", "approve", "bypass")
    assert not [n for n in public if n.startswith(forbidden)], public
    # properties are read-only and updates are frozen
    m = GateMachine("sess-0003", "password_reset", now=T0)
    with pytest.raises(AttributeError):
        m.all_passed = True  # type: ignore[misc]
    update = GateUpdate(Gate.FACE, GateStatus.FAILED, 1, None, None, ())
    with pytest.raises(FrozenInstanceError):
        update.status = GateStatus.PASSED  # type: ignore[misc]
    # the snapshot is a copy: editing it changes nothing
    m.snapshot()["gates"][0]["status"] = "passed"
    assert m.status(Gate.PRECHECK) is GateStatus.PENDING


def test_policy_cannot_drop_precheck_or_face_without_network_check() -> None:
    with pytest.raises(ValueError):
        GatePolicy(required=frozenset({Gate.NETWORK_CHECK, Gate.FACE}))
    with pytest.raises(ValueError):
        GatePolicy(required=frozenset({Gate.PRECHECK, Gate.FACE}))


async def test_gates_not_required_by_the_business_are_marked_so_and_cannot_run(adapters: BankAdapters) -> None:
    light = GatePolicy(required=frozenset({Gate.PRECHECK, Gate.NETWORK_CHECK}))
    config = GateConfig(per_business={"sms_signing": light})
    m = GateMachine("sess-0004", "sms_signing", now=T0, config=config)
    assert m.status(Gate.FACE) is GateStatus.NOT_REQUIRED
    await precheck(adapters, "pass_all", business="sms_signing", machine=m)
    req = m.start_network_check(now=at(2))
    m.record_network_check(await adapters.network_check.check(req.id_number, req.name), now=at(3))
    assert m.all_passed
    m.require_all_passed()
    with pytest.raises(GateOrderError):
        m.submit_face(good_scores(m), now=at(4))


# --- PRECHECK failures ---


@pytest.mark.parametrize(("key", "teller_word"), [("blacklisted_aml", "反洗钱"), ("blacklisted_fraud", "电信网络诈骗")])
async def test_blacklist_hit_ends_acceptance_without_naming_the_list_to_the_customer(
    adapters: BankAdapters, key: str, teller_word: str
) -> None:
    m, update = await precheck(adapters, key)
    assert update.status is GateStatus.FAILED and not update.retry_allowed
    assert update.customer_message == "您(名下账户)的信息在黑名单清单中,请到柜面办理业务!"
    assert update.teller_message is not None and teller_word in update.teller_message
    assert "反洗钱" not in update.customer_message and "诈骗" not in update.customer_message
    assert m.terminated and [e["event"] for e in update.trail][-1] == "acceptance_terminated"
    with pytest.raises(GateClosedError):
        m.submit_precheck(await collect_precheck_evidence(adapters, card_of(demo_customer(key)), "x", None), now=at(2))
    with pytest.raises(GateClosedError):
        m.start_network_check(now=at(2))
    with pytest.raises(GatesNotPassedError) as info:
        m.require_all_passed()
    assert "受理已终止" in info.value.message


@pytest.mark.parametrize(
    ("key", "status", "message"),
    [
        ("dormant", "dormant", "账户状态异常(久悬),请携带身份证到柜面办理激活"),
        ("pass_all", "closed", "该账户已销户"),
        ("pass_all", "frozen", "账户状态异常(冻结)"),
        ("pass_all", "reported_lost", "账户已挂失"),
    ],
)
async def test_unusable_account_status_ends_acceptance(
    adapters: BankAdapters, key: str, status: str, message: str
) -> None:
    account = demo_customer(key).account(status)
    m, update = await precheck(adapters, key, account=account)
    assert update.status is GateStatus.FAILED
    assert update.customer_message is not None and update.customer_message.startswith(message)
    assert m.terminated


async def test_business_specific_statuses_are_allowed(adapters: BankAdapters) -> None:
    _, update = await precheck(adapters, "dormant", business="account_activation")
    assert update.passed
    lost = demo_customer("pass_all").account("reported_lost")
    _, update = await precheck(adapters, "pass_all", business="loss_report_release", account=lost)
    assert update.passed
    # loss-report release on a normal account makes no sense
    _, update = await precheck(adapters, "pass_all", business="loss_report_release")
    assert update.status is GateStatus.FAILED and update.customer_message == "账户状态正常,无需办理此业务"


async def test_three_element_mismatch_can_be_retried_until_the_attempts_are_used(adapters: BankAdapters) -> None:
    m = GateMachine("sess-0005", "password_reset", now=T0)
    for attempt in (1, 2):
        _, update = await precheck(adapters, "pass_all", phone="13800000000", machine=m)
        assert update.status is GateStatus.PENDING and update.retry_allowed and update.attempt == attempt
        assert update.customer_message == f"身份信息核验未通过,请核对后重试(还可尝试 {3 - attempt} 次)"
        assert update.trail[-1]["event"] == "gate_attempt_failed"
        assert update.trail[-1]["code"] == "three_elements_mismatch"
    _, update = await precheck(adapters, "pass_all", phone="13800000000", machine=m)
    assert update.status is GateStatus.FAILED and m.terminated and m.attempts(Gate.PRECHECK) == 3
    assert update.customer_message is not None and "受理终止" in update.customer_message


async def test_a_corrected_retry_passes(adapters: BankAdapters) -> None:
    m = GateMachine("sess-0006", "password_reset", now=T0)
    _, update = await precheck(adapters, "pass_all", phone="13800000000", machine=m)
    assert update.retry_allowed
    _, update = await precheck(adapters, "pass_all", machine=m)
    assert update.passed and m.attempts(Gate.PRECHECK) == 2


async def test_account_not_owned_and_card_problems(adapters: BankAdapters) -> None:
    other = demo_customer("dormant").first_account
    _, update = await precheck(adapters, "pass_all", account=other)
    assert update.trail[-1]["code"] == "account_not_owned"
    demo = demo_customer("pass_all")
    typo = demo.id_number[:-2] + ("0" if demo.id_number[-2] != "0" else "1") + demo.id_number[-1]
    _, update = await precheck(adapters, "pass_all", card=card_of(demo, id_number=typo))
    assert update.trail[-1]["code"] == "id_number_invalid" and "校验位" in (update.customer_message or "")
    _, update = await precheck(adapters, "pass_all", card=card_of(demo, sex="女"))
    assert update.trail[-1]["code"] == "id_number_invalid"
    _, update = await precheck(adapters, "pass_all", card=card_of(demo, valid_until=date(2026, 1, 1)))
    assert update.status is GateStatus.FAILED and update.trail[-2]["code"] == "id_card_expired"


async def test_tampered_precheck_evidence_does_not_pass(adapters: BankAdapters) -> None:
    """Evidence naming another customer than the one on the card, or an account not looked up, is refused."""
    real = await collect_precheck_evidence(
        adapters, card_of(demo_customer("pass_all")), "13812345678", demo_customer("pass_all").first_account
    )
    other = await adapters.core.get_customer("C9000000005")
    m = GateMachine("sess-0007", "password_reset", now=T0)
    update = m.submit_precheck(replace(real, customer=other), now=at(1))
    assert not update.passed and update.trail[-1]["code"] == "evidence_inconsistent"
    update = m.submit_precheck(replace(real, account_no="6230580000000000000"), now=at(2))
    assert not update.passed and update.trail[-1]["code"] == "account_not_found"


# --- NETWORK_CHECK failures ---


async def test_three_mismatches_end_acceptance_and_results_are_read_only(adapters: BankAdapters) -> None:
    m, update = await precheck(adapters, "name_mismatch")
    assert update.passed
    for attempt in (1, 2, 3):
        req = m.start_network_check(now=at(10 * attempt))
        assert req.attempt == attempt
        update = m.record_network_check(
            await adapters.network_check.check(req.id_number, req.name), now=at(10 * attempt + 1)
        )
        assert update.trail[-1 if attempt < 3 else -2]["verdict"] == "不一致"
    assert update.status is GateStatus.FAILED and m.terminated
    assert update.customer_message == "联网核查未通过,本次受理终止,请携带身份证到柜面办理"
    with pytest.raises(GateClosedError):
        m.start_network_check(now=at(50))
    snap = m.snapshot()["gates"][1]
    assert snap["attempts"] == 3 and [r["verdict_label"] for r in snap["results"]] == ["不一致"] * 3


async def test_timeouts_use_attempts(bank: SandboxBank, adapters: BankAdapters) -> None:
    m, _ = await precheck(adapters, "network_timeout")
    for attempt in (1, 2, 3):
        req = m.start_network_check(now=at(10 * attempt))
        with pytest.raises(BankTimeout) as info:
            await adapters.network_check.check(req.id_number, req.name)
        update = m.record_network_check_error(info.value, now=at(10 * attempt + 5))
    assert update.status is GateStatus.FAILED and m.terminated
    assert "超时" in (update.teller_message or "")


async def test_flaky_network_check_passes_on_the_third_attempt(tmp_path: Path) -> None:
    adapters = SandboxBank(tmp_path, population=5, latency_s=0).adapters()
    m, _ = await precheck(adapters, "network_flaky")
    errors: list[type[BankError]] = []
    for attempt in (1, 2, 3):
        req = m.start_network_check(now=at(10 * attempt))
        try:
            result = await adapters.network_check.check(req.id_number, req.name)
        except BankError as exc:
            errors.append(type(exc))
            update = m.record_network_check_error(exc, now=at(10 * attempt + 1))
            assert update.retry_allowed
        else:
            update = m.record_network_check(result, now=at(10 * attempt + 1))
    assert errors == [BankTimeout, BankUnavailable]
    assert update.passed and m.attempts(Gate.NETWORK_CHECK) == 3
    with pytest.raises(GateClosedError) as info:
        m.record_network_check(NetworkCheckResult(NetworkCheckVerdict.MATCH, b"x"), now=at(40))
    assert "结果已记录" in info.value.message
    await adapters.aclose()


@pytest.mark.parametrize(
    ("key", "code", "message"),
    [
        ("not_in_registry", "not_in_registry", "联网核查结果为“库中无此号”,请携带身份证到柜面办理"),
        ("photo_missing", "photo_missing", "联网核查未返回身份证照片,无法进行人脸比对,请携带身份证到柜面办理"),
    ],
)
async def test_not_in_registry_and_photo_missing_end_acceptance_at_once(
    adapters: BankAdapters, key: str, code: str, message: str
) -> None:
    m, _ = await precheck(adapters, key)
    req = m.start_network_check(now=at(2))
    update = m.record_network_check(await adapters.network_check.check(req.id_number, req.name), now=at(3))
    assert update.status is GateStatus.FAILED and update.attempt == 1
    assert update.customer_message == message and update.trail[-2]["code"] == code


async def test_network_check_needs_a_started_attempt_and_only_one_at_a_time(adapters: BankAdapters) -> None:
    m, _ = await precheck(adapters, "pass_all")
    with pytest.raises(GateOrderError):
        m.record_network_check(NetworkCheckResult(NetworkCheckVerdict.MATCH, b"photo"), now=at(2))
    m.start_network_check(now=at(2))
    with pytest.raises(GateError) as info:
        m.start_network_check(now=at(3))
    assert info.value.code == "busy"


# --- FACE ---


@pytest.mark.parametrize("pair", ["id_vs_live", "network_vs_live", "id_vs_network"])
async def test_each_face_pair_below_threshold_fails(adapters: BankAdapters, pair: str) -> None:
    m = await through_network(adapters)
    for attempt in (1, 2, 3):
        low: dict[str, Any] = {pair: 0.21}
        update = m.submit_face(good_scores(m, **low), now=at(10 + attempt))
        assert update.trail[-1 if attempt < 3 else -2]["failed_pairs"] == [pair]
    assert update.status is GateStatus.FAILED
    assert update.customer_message == "人脸比对未通过,本次业务无法继续办理"
    assert m.snapshot()["gates"][2]["scores"][pair] == 0.21


async def test_face_retry_then_pass_and_missing_face(adapters: BankAdapters) -> None:
    m = await through_network(adapters)
    update = m.submit_face(good_scores(m, network_vs_live=None), now=at(10))
    assert update.retry_allowed and update.trail[-1]["code"] == "no_face"
    update = m.submit_face(good_scores(m, id_vs_live=0.42), now=at(11))  # exactly the threshold passes
    assert update.passed and m.attempts(Gate.FACE) == 2


async def test_face_scores_on_other_images_or_malformed_are_rejected(adapters: BankAdapters) -> None:
    m = await through_network(adapters)
    other = sha256_hex(b"someone else's photo")
    for bad in (
        good_scores(m, network_photo_sha256=other),
        good_scores(m, id_portrait_sha256=other),
        good_scores(m, live_sha256=""),
        good_scores(m, id_vs_live=float("nan")),
        good_scores(m, id_vs_live=7.0),
    ):
        with pytest.raises(GateInputError):
            m.submit_face(bad, now=at(10))
    assert m.status(Gate.FACE) is GateStatus.PENDING and m.attempts(Gate.FACE) == 0


async def test_face_threshold_comes_from_configuration(adapters: BankAdapters) -> None:
    strict = GateConfig(default=GatePolicy(face_threshold=0.8))
    m, _ = await precheck(
        adapters, "pass_all", machine=GateMachine("sess-0008", "password_reset", now=T0, config=strict)
    )
    req = m.start_network_check(now=at(2))
    m.record_network_check(await adapters.network_check.check(req.id_number, req.name), now=at(3))
    update = m.submit_face(good_scores(m), now=at(4))
    assert not update.passed and update.trail[-1]["threshold"] == 0.8


# --- LIVENESS ---


async def test_liveness_failures(adapters: BankAdapters) -> None:
    m = await through_network(adapters)
    m.submit_face(good_scores(m), now=at(5))
    challenge = m.start_liveness(now=at(10), rng=random.Random(2))
    assert len(challenge.actions) == 3 and all(p.startswith("请") for p in challenge.prompts)
    with pytest.raises(GateInputError):
        m.submit_liveness(LivenessObservation("forged", challenge.actions, True, LIVE), now=at(11))
    update = m.submit_liveness(
        LivenessObservation(challenge.challenge_id, tuple(reversed(challenge.actions)), True, LIVE), now=at(12)
    )
    assert update.retry_allowed and update.trail[-1]["code"] == "actions_mismatch"
    challenge = m.start_liveness(now=at(20), rng=random.Random(3))
    update = m.submit_liveness(LivenessObservation(challenge.challenge_id, challenge.actions, False, LIVE), now=at(21))
    assert update.trail[-1]["code"] == "face_changed"
    challenge = m.start_liveness(now=at(30), rng=random.Random(4))
    update = m.submit_liveness(
        LivenessObservation(challenge.challenge_id, challenge.actions, True, LIVE), now=at(30 + 31)
    )
    assert update.status is GateStatus.FAILED and update.customer_message == "活体检测未通过,本次业务无法继续办理"
    assert update.trail[-2]["code"] == "timeout"


async def test_liveness_pass_after_an_expired_challenge(adapters: BankAdapters) -> None:
    m = await through_network(adapters)
    m.submit_face(good_scores(m), now=at(5))
    m.start_liveness(now=at(10), rng=random.Random(2))
    with pytest.raises(GateError):
        m.start_liveness(now=at(11), rng=random.Random(2))  # still open
    update = pass_liveness(m, t=100)  # the first one expired: counted as a failed attempt
    assert update.passed and m.attempts(Gate.LIVENESS) == 2


# --- QUESTIONS ---


async def test_wrong_answers_fail_the_questions(adapters: BankAdapters) -> None:
    m = await through_network(adapters)
    m.submit_face(good_scores(m), now=at(5))
    pass_liveness(m)
    qs = await draw_question_set(adapters.questions, "C9000000001", PassRule(3, 2), random.Random(9))
    update = m.start_questions(qs, now=at(30))
    assert update.status is GateStatus.RUNNING
    q1, q2, q3 = qs.questions
    update = m.answer_question(q1.question_id, q1.answer_index, now=at(31))
    assert update.status is GateStatus.RUNNING and update.trail[0]["correct"] is True
    with pytest.raises(GateInputError):
        m.answer_question(q1.question_id, (q1.answer_index + 1) % len(q1.choices), now=at(32))  # no second try
    update = m.answer_question(q2.question_id, (q2.answer_index + 1) % len(q2.choices), now=at(32))
    assert update.status is GateStatus.RUNNING
    update = m.answer_question(q3.question_id, None, now=at(33))  # could not answer
    assert update.status is GateStatus.FAILED
    assert update.customer_message == "私密问题验证未通过,本次业务无法继续办理"
    assert "答对 1 题" in (update.teller_message or "")
    with pytest.raises(GatesNotPassedError):
        m.require_all_passed()


async def test_question_set_must_follow_the_configured_rule(adapters: BankAdapters) -> None:
    m = await through_network(adapters)
    m.submit_face(good_scores(m), now=at(5))
    pass_liveness(m)
    items = await adapters.questions.questions_for("C9000000001")
    with pytest.raises(GateInputError):
        m.start_questions(build_question_set(items, PassRule(1, 1), random.Random(1)), now=at(30))


# --- logs and trail never carry full numbers ---


async def test_logs_and_trail_are_masked(adapters: BankAdapters, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    trail: list[dict[str, object]] = []
    snapshots = []
    for demo in load_demo_customers():
        m, update = await precheck(adapters, demo.key)
        trail += update.trail
        if update.passed:
            req = m.start_network_check(now=at(2))
            try:
                trail += m.record_network_check(
                    await adapters.network_check.check(req.id_number, req.name), now=at(3)
                ).trail
            except BankError as exc:
                trail += m.record_network_check_error(exc, now=at(3)).trail
        snapshots.append(m.snapshot())
    text = caplog.text + json.dumps(trail, ensure_ascii=False) + json.dumps(snapshots, ensure_ascii=False)
    assert "1101**********0313" in text  # masked form is there...
    for demo in load_demo_customers():
        assert demo.id_number not in text  # ...never the full numbers
        assert demo.phone not in text
        for acc in demo.raw["accounts"]:
            assert acc["account_no"] not in text


# --- configuration and business execution ---


def test_gate_config_from_settings() -> None:
    config = GateConfig.from_mapping(
        {
            "default": {"face_threshold": 0.5, "max_attempts": {"face": 2}},
            "businesses": {
                "sms_signing": {
                    "required": ["precheck", "network_check"],
                    "question_rule": {"asked": 2, "required_correct": 2},
                },
            },
        }
    )
    assert config.default.face_threshold == 0.5 and config.default.attempts_for(Gate.FACE) == 2
    assert config.default.attempts_for(Gate.NETWORK_CHECK) == 3
    sms = config.policy_for("sms_signing")
    assert sms.required == {Gate.PRECHECK, Gate.NETWORK_CHECK} and sms.question_rule == PassRule(2, 2)
    activation = config.policy_for("account_activation")  # keeps its base statuses, takes the new default keys
    assert activation.allowed_account_statuses == {AccountStatus.DORMANT} and activation.face_threshold == 0.5
    bads: list[dict[str, Any]] = [
        {"defaults": {}},
        {"default": {"face_threshhold": 0.5}},
        {"default": {"required": ["precheck", "telepathy"]}},
        {"default": {"required": ["network_check", "face"]}},  # no precheck
        {"businesses": {"x": {"allowed_account_statuses": ["asleep"]}}},
    ]
    for bad in bads:
        with pytest.raises(ValueError):
            GateConfig.from_mapping(bad)


async def test_business_runs_only_after_every_gate_and_only_on_the_verified_account(tmp_path: Path) -> None:
    bank = SandboxBank(tmp_path, population=5, latency_s=0)
    adapters = bank.adapters()
    m, _ = await precheck(adapters, "dormant", business="account_activation")
    with pytest.raises(GatesNotPassedError):
        await execute_verified_business(m, adapters.core, request_id="req-0001")
    account = await adapters.core.get_account(demo_customer("dormant").first_account)
    assert account is not None and account.status is AccountStatus.DORMANT  # nothing reached the bank
    req = m.start_network_check(now=at(2))
    m.record_network_check(await adapters.network_check.check(req.id_number, req.name), now=at(3))
    m.submit_face(good_scores(m, "dormant"), now=at(5))
    pass_liveness(m)
    qs = await draw_question_set(
        adapters.questions, demo_customer("dormant").customer_id, PassRule(3, 2), random.Random(1)
    )
    m.start_questions(qs, now=at(30))
    for q in qs.questions[:2]:
        m.answer_question(q.question_id, q.answer_index, now=at(31))
    result = await execute_verified_business(m, adapters.core, request_id="req-0002")
    assert result.ok
    account = await adapters.core.get_account(demo_customer("dormant").first_account)
    assert account is not None and account.status is AccountStatus.NORMAL
    await adapters.aclose()


async def test_an_expired_challenge_that_uses_the_last_attempt_is_reported_in_the_refusal(
    adapters: BankAdapters,
) -> None:
    m = await through_network(adapters)
    m.submit_face(good_scores(m), now=at(5))
    for attempt in (1, 2):
        m.start_liveness(now=at(100 * attempt), rng=random.Random(attempt))
        m.record_liveness_timeout(now=at(100 * attempt + 40))
    m.start_liveness(now=at(300), rng=random.Random(3))
    with pytest.raises(GateClosedError) as info:
        m.start_liveness(now=at(400), rng=random.Random(4))
    assert [e["event"] for e in info.value.trail] == ["gate_failed", "acceptance_terminated"]
    assert m.terminated and m.attempts(Gate.LIVENESS) == 3
