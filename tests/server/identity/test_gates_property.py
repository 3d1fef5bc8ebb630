"""Property-based test: no sequence of calls with arbitrary raw inputs gets a session verified without real passes."""

from __future__ import annotations

import contextlib
import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from server.bank.adapters import (
    Account,
    AccountStatus,
    BankTimeout,
    Customer,
    NetworkCheckResult,
    NetworkCheckVerdict,
    QuestionItem,
)
from server.identity.gates import (
    GATE_ORDER,
    FaceScores,
    Gate,
    GateError,
    GateMachine,
    GateStatus,
    IdCardFields,
    LivenessObservation,
    PrecheckEvidence,
    sha256_hex,
)
from server.identity.questions import PassRule, build_question_set

T0 = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
PORTRAIT = sha256_hex(b"portrait")
PHOTO = b"registered photo"
CUSTOMER = Customer("C1", "李明华", "110105198506150313", "13812345678", "男", date(1985, 6, 15), "北京市朝阳区")
CARD = IdCardFields("李明华", "110105198506150313", "男", date(1985, 6, 15), "北京市朝阳区", None, PORTRAIT)
ACCOUNT = Account("6230580000000000013", "C1", AccountStatus.NORMAL, "借记卡(I类)", "北京朝阳支行", date(2012, 4, 20))
ITEMS = [QuestionItem(f"k{i}", f"问题{i}", "对", ("错1", "错2", "错3")) for i in range(5)]

OPS = ["precheck", "net_start", "net_result", "net_error", "face", "live_start", "live", "q_start", "answer"]
ops = st.lists(
    st.tuples(
        # mostly "next" (the call the current gate expects), sometimes any call
        st.integers(0, 99).map(lambda k: "next" if k < 60 else OPS[k % len(OPS)]),
        st.integers(0, 4).map(lambda k: k != 0),  # "good" input or not
        st.integers(0, 3),
    ),
    min_size=5,
    max_size=60,
)


def _next_op(m: GateMachine, ctx: dict[str, Any]) -> str:
    gate = m.current_gate
    running = gate is not None and m.status(gate) is GateStatus.RUNNING
    if gate is Gate.NETWORK_CHECK:
        return "net_result" if running else "net_start"
    if gate is Gate.LIVENESS:
        return "live" if running else "live_start"
    if gate is Gate.QUESTIONS:
        return "answer" if running else "q_start"
    return "face" if gate is Gate.FACE else "precheck"


def _do(m: GateMachine, op: str, good: bool, n: int, now: datetime, ctx: dict[str, Any]) -> None:
    if op == "next":
        op = _next_op(m, ctx)
        if op == "answer":
            n = ctx["answered"] = ctx.get("answered", -1) + 1
    if op == "precheck":
        ev = PrecheckEvidence(CARD, CUSTOMER.phone, ACCOUNT.account_no, CUSTOMER if good else None, ACCOUNT)
        m.submit_precheck(ev, now=now)
    elif op == "net_start":
        m.start_network_check(now=now)
    elif op == "net_result":
        verdict = (
            NetworkCheckVerdict.MATCH if good else [NetworkCheckVerdict.MISMATCH, NetworkCheckVerdict.NOT_FOUND][n % 2]
        )
        m.record_network_check(NetworkCheckResult(verdict, PHOTO if good or n == 3 else None), now=now)
    elif op == "net_error":
        m.record_network_check_error(BankTimeout("超时"), now=now)
    elif op == "face":
        score = 0.9 if good else 0.1
        hash_ok = good or n != 0
        m.submit_face(
            FaceScores(
                score, score, score, PORTRAIT, sha256_hex(PHOTO) if hash_ok else sha256_hex(b"x"), sha256_hex(b"l")
            ),
            now=now,
        )
    elif op == "live_start":
        ctx["challenge"] = m.start_liveness(now=now, rng=random.Random(n))
    elif op == "live":
        ch = ctx.get("challenge")
        if ch is None:
            return
        actions = ch.actions if good else tuple(reversed(ch.actions))
        m.submit_liveness(LivenessObservation(ch.challenge_id, actions, True, sha256_hex(b"f")), now=now)
    elif op == "q_start":
        ctx["qs"] = build_question_set(ITEMS, PassRule(3, 2), random.Random(n))
        m.start_questions(ctx["qs"], now=now)
    elif op == "answer":
        qs = ctx.get("qs")
        if qs is None:
            return
        q = qs.questions[n % 3]
        m.answer_question(q.question_id, q.answer_index if good else (q.answer_index + 1) % 4, now=now)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops)
def test_random_call_sequences_keep_the_invariants(sequence: list[tuple[str, bool, int]]) -> None:
    m = GateMachine("sess-prop", "password_reset", now=T0)
    ctx: dict[str, Any] = {}
    decided: dict[Gate, GateStatus] = {}
    for i, (op, good, n) in enumerate(sequence):
        with contextlib.suppress(GateError):  # refusals are fine; nothing else may escape
            _do(m, op, good, n, T0 + timedelta(seconds=i), ctx)
        # a decided gate never changes again
        for gate, status in decided.items():
            assert m.status(gate) is status
        for gate in GATE_ORDER:
            if m.status(gate) in (GateStatus.PASSED, GateStatus.FAILED):
                decided.setdefault(gate, m.status(gate))
        # gates pass only in order
        statuses = [m.status(g) for g in GATE_ORDER]
        passed_prefix = 0
        while passed_prefix < 5 and statuses[passed_prefix] is GateStatus.PASSED:
            passed_prefix += 1
        assert all(s is not GateStatus.PASSED for s in statuses[passed_prefix:])
        assert sum(s is GateStatus.FAILED for s in statuses) <= 1
        if m.terminated:
            assert not m.all_passed
        for gate in GATE_ORDER:
            assert m.attempts(gate) <= m.policy.attempts_for(gate)
    if m.all_passed:
        m.require_all_passed()
    event(f"furthest gate reached: {m.current_gate or ('done' if m.all_passed else 'terminated')}")
