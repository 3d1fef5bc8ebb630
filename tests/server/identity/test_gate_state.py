"""Gate state persistence: a machine rebuilt from its stored state is the same machine, and never a more lenient one."""

from __future__ import annotations

import contextlib
import json
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from server.bank.adapters import BankTimeout, NetworkCheckResult, NetworkCheckVerdict
from server.identity.gates import (
    FaceScores,
    Gate,
    GateClosedError,
    GateConfig,
    GateError,
    GateMachine,
    GatePolicy,
    GatesNotPassedError,
    GateStateError,
    GateStatus,
    LivenessObservation,
    PrecheckEvidence,
    sha256_hex,
)
from server.identity.questions import PassRule, build_question_set
from tests.server.identity.test_gates_property import ACCOUNT, CARD, CUSTOMER, ITEMS, PHOTO, PORTRAIT, _do, ops

T0 = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def roundtrip(m: GateMachine, config: GateConfig | None = None, photo: bytes | None = PHOTO) -> GateMachine:
    """Store (as JSON, the way the server does) and restore."""
    stored = json.loads(json.dumps(m.to_state(), ensure_ascii=False))
    return GateMachine.from_state(stored, config=config or GateConfig(), network_photo=photo)


def passed_precheck(config: GateConfig | None = None) -> GateMachine:
    m = GateMachine("sess-state", "password_reset", now=T0, config=config or GateConfig())
    ev = PrecheckEvidence(CARD, CUSTOMER.phone, ACCOUNT.account_no, CUSTOMER, ACCOUNT)
    assert m.submit_precheck(ev, now=at(1)).passed
    return m


def passed_network(config: GateConfig | None = None) -> GateMachine:
    m = passed_precheck(config)
    m.start_network_check(now=at(2))
    assert m.record_network_check(NetworkCheckResult(NetworkCheckVerdict.MATCH, PHOTO), now=at(3)).passed
    return m


def face_scores(score: float = 0.9) -> FaceScores:
    return FaceScores(score, score, score, PORTRAIT, sha256_hex(PHOTO), sha256_hex(b"live"))


def test_restored_after_network_check_resumes_at_face() -> None:
    m = passed_network()
    r = roundtrip(m)
    assert r.snapshot() == m.snapshot()
    assert r.current_gate is Gate.FACE and r.network_photo == PHOTO
    assert r.customer == CUSTOMER and r.account == ACCOUNT
    with pytest.raises(GateClosedError) as info:
        r.start_network_check(now=at(4))  # a decided gate cannot be run again after a restart either
    assert info.value.code == "already_decided"
    assert r.submit_face(face_scores(), now=at(5)).passed
    req_free = roundtrip(r)
    assert req_free.current_gate is Gate.LIVENESS


def test_attempts_used_stay_used_and_the_last_one_ends_acceptance() -> None:
    m = passed_precheck()
    for i in range(2):
        m.start_network_check(now=at(2 + i))
        m.record_network_check_error(BankTimeout("超时"), now=at(2.5 + i))
    r = roundtrip(m)
    assert r.attempts(Gate.NETWORK_CHECK) == 2 and r.status(Gate.NETWORK_CHECK) is GateStatus.PENDING
    assert r.start_network_check(now=at(10)).attempt == 3
    update = r.record_network_check_error(BankTimeout("超时"), now=at(11))
    assert update.status is GateStatus.FAILED and r.terminated


def test_a_failed_session_stays_failed() -> None:
    m = passed_network()
    m.submit_face(face_scores(0.1), now=at(4))
    m.submit_face(face_scores(0.1), now=at(5))
    m.submit_face(face_scores(0.1), now=at(6))
    assert m.terminated
    r = roundtrip(m)
    assert r.terminated and r.snapshot() == m.snapshot()
    for call in (
        lambda: r.submit_face(face_scores(), now=at(7)),
        lambda: r.start_liveness(now=at(7), rng=random.Random(1)),
        lambda: r.start_network_check(now=at(7)),
    ):
        with pytest.raises(GateClosedError):
            call()
    with pytest.raises(GatesNotPassedError):
        r.require_all_passed()


def test_questions_asked_and_answers_marked_are_kept() -> None:
    m = passed_network(GateConfig(default=GatePolicy(required=frozenset(set(Gate) - {Gate.LIVENESS}))))
    m.submit_face(face_scores(), now=at(4))
    qs = build_question_set(ITEMS, PassRule(3, 2), random.Random(3))
    m.start_questions(qs, now=at(5))
    first = qs.questions[0]
    m.answer_question(first.question_id, (first.answer_index + 1) % len(first.choices), now=at(6))
    config = GateConfig(default=GatePolicy(required=frozenset(set(Gate) - {Gate.LIVENESS})))
    r = roundtrip(m, config)
    restored = r.question_set
    assert restored is not None and restored.public_view() == qs.public_view()
    assert (restored.answered, restored.correct) == (1, 0)
    with pytest.raises(GateError) as info:
        r.answer_question(first.question_id, first.answer_index, now=at(7))  # a marked answer cannot be redone
    assert info.value.code == "already_answered"
    second, third = qs.questions[1:]
    r.answer_question(second.question_id, second.answer_index, now=at(8))
    update = r.answer_question(third.question_id, third.answer_index, now=at(9))
    assert update.passed and r.all_passed


def test_an_attempt_cut_off_by_the_restart_counts_as_failed() -> None:
    m = passed_precheck(GateConfig(default=GatePolicy(max_attempts={Gate.NETWORK_CHECK: 2})))
    m.start_network_check(now=at(2))
    m.record_network_check_error(BankTimeout("超时"), now=at(3))
    m.start_network_check(now=at(4))  # the server stops while waiting for the bank's answer
    r = roundtrip(m)
    assert r.status(Gate.NETWORK_CHECK) is GateStatus.RUNNING
    updates = r.interrupt_running(now=at(100))
    assert [u.status for u in updates] == [GateStatus.FAILED]
    assert r.terminated and r.snapshot()["gates"][1]["failure_code"] == "interrupted"
    assert r.interrupt_running(now=at(101)) == []


def test_an_open_liveness_challenge_is_void_after_a_restart() -> None:
    m = passed_network()
    m.submit_face(face_scores(), now=at(4))
    challenge = m.start_liveness(now=at(5), rng=random.Random(2))
    r = roundtrip(m)
    assert r.liveness_challenge == challenge  # kept as it was issued
    (update,) = r.interrupt_running(now=at(6))
    assert (update.status, update.retry_allowed, update.attempt) == (GateStatus.PENDING, True, 1)
    assert r.liveness_challenge is None
    with pytest.raises(GateError):  # its answer is no longer taken
        r.submit_liveness(LivenessObservation(challenge.challenge_id, challenge.actions, True, "0" * 64), now=at(7))
    assert r.start_liveness(now=at(8), rng=random.Random(3)).challenge_id != challenge.challenge_id
    assert r.attempts(Gate.LIVENESS) == 2


def test_restore_never_relaxes_the_policy() -> None:
    no_liveness = GateConfig(default=GatePolicy(required=frozenset(set(Gate) - {Gate.LIVENESS})))
    m = passed_network(no_liveness)
    assert m.status(Gate.LIVENESS) is GateStatus.NOT_REQUIRED
    r = roundtrip(m, GateConfig())  # liveness became required while the customer waited
    assert r.status(Gate.LIVENESS) is GateStatus.PENDING
    generous = GateConfig(default=GatePolicy(max_attempts={Gate.NETWORK_CHECK: 9}))
    assert roundtrip(passed_precheck(), generous).snapshot()["gates"][1]["max_attempts"] == 3


def test_a_state_that_does_not_hold_together_is_refused() -> None:
    m = passed_network()
    with pytest.raises(GateStateError):
        roundtrip(m, photo=None)  # the checked photo is gone
    with pytest.raises(GateStateError):
        roundtrip(m, photo=b"another photo")
    state = m.to_state()
    with pytest.raises(GateStateError):
        GateMachine.from_state({**state, "version": 99})
    forged = json.loads(json.dumps(state))
    forged["gates"][2]["status"] = "failed"  # a failure without the end of acceptance
    with pytest.raises(GateStateError):
        GateMachine.from_state(forged, network_photo=PHOTO)
    forged = json.loads(json.dumps(state))
    forged["card"] = None
    with pytest.raises(GateStateError):
        GateMachine.from_state(forged, network_photo=PHOTO)


def test_on_change_runs_after_each_change_only() -> None:
    m = GateMachine("sess-state", "password_reset", now=T0)
    seen: list[dict[str, Any]] = []
    m.on_change = lambda machine: seen.append(machine.snapshot())
    with pytest.raises(GateError):
        m.start_network_check(now=at(1))  # refused: nothing changed, nothing stored
    assert seen == []
    m.submit_precheck(PrecheckEvidence(CARD, CUSTOMER.phone, ACCOUNT.account_no, CUSTOMER, ACCOUNT), now=at(2))
    m.start_network_check(now=at(3))
    m.record_network_check(NetworkCheckResult(NetworkCheckVerdict.MATCH, PHOTO), now=at(4))
    assert [s["current_gate"] for s in seen] == ["network_check", "network_check", "face"]
    assert seen[1]["gates"][1]["status"] == "running" and seen[2]["gates"][1]["status"] == "passed"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops)
def test_a_restore_at_any_point_is_indistinguishable(sequence: list[tuple[str, bool, int]]) -> None:
    """Whatever happened before, the restored machine answers every later call exactly as the original does."""
    cut = len(sequence) // 2
    m = GateMachine("sess-prop", "password_reset", now=T0)
    ctx: dict[str, Any] = {}
    for i, (op, good, n) in enumerate(sequence[:cut]):
        with contextlib.suppress(GateError):
            _do(m, op, good, n, at(i), ctx)
    photo = m.network_photo if m.status(Gate.NETWORK_CHECK) is GateStatus.PASSED else None
    r = GateMachine.from_state(json.loads(json.dumps(m.to_state())), network_photo=photo)
    assert r.snapshot() == m.snapshot()
    ctx_r = dict(ctx)  # the test's own view (its question set may be one the machine refused): the same for both
    for i, (op, good, n) in enumerate(sequence[cut:], start=cut):
        outcomes: list[tuple[type[GateError], str] | None] = []
        for machine, context in ((m, ctx), (r, ctx_r)):
            try:
                _do(machine, op, good, n, at(i), context)
                outcomes.append(None)
            except GateError as exc:
                outcomes.append((type(exc), exc.code))
        assert outcomes[0] == outcomes[1]
        assert r.snapshot() == m.snapshot()
