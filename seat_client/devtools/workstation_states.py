"""Demo workstation states (idle, ringing, gates passed, gate failed, signature review, wrap-up) for screenshots.

Data is sandbox demo data (masked as the server would send it); the pictures are the sandbox face images.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np

from seat_client.resources import resource_path
from seat_client.workstation.face_monitor import LiveFaceAssessor, LiveFaceReading
from seat_client.workstation.scripts import load_script_file
from seat_client.workstation.snapshot import make_snapshot
from seat_client.workstation.state import CallInfo, WorkstationState
from wire.signature import SignatureSubmission

NOW = dt.datetime(2026, 11, 21, 6, 30, tzinfo=dt.UTC)
GATES = ("precheck", "network_check", "face", "liveness", "questions")


def _gate_snapshot(statuses: dict[str, str], *, face_scores: dict[str, float | None] | None = None) -> dict:
    gates = []
    for name in GATES:
        status = statuses.get(name, "pending")
        entry: dict = {"gate": name, "status": status, "attempts": 0 if status == "pending" else 1, "max_attempts": 3}
        if name == "network_check" and status != "pending":
            entry["results"] = [{"verdict_label": "一致" if status == "passed" else "姓名与身份证号不一致"}]
            if status == "failed":
                entry["attempts"] = 3
                entry["teller_message"] = "联网核查三次均返回不一致,受理终止"
        if name == "face" and face_scores:
            entry["scores"] = face_scores
        if name == "questions" and status == "passed":
            entry["results"] = [
                {"attempt": 1, "answered": 3, "correct": 2, "results": {"q1": True, "q2": True, "q3": False}}
            ]
        gates.append(entry)
    failed = "failed" in statuses.values()
    questions = [
        {
            "question_id": "q1",
            "kind": "branch",
            "prompt": "您的开户网点在哪个城市?",
            "choices": ["北京", "上海", "广州"],
        },
        {
            "question_id": "q2",
            "kind": "last_transfer",
            "prompt": "您最近一笔转账的金额区间?",
            "choices": ["1千以下", "1千-1万"],
        },
        {
            "question_id": "q3",
            "kind": "cards",
            "prompt": "您名下有几张本行借记卡?",
            "choices": ["1张", "2张", "3张及以上"],
        },
    ]
    return {
        "questions": questions if statuses.get("questions") == "passed" else None,
        "gates": gates,
        "terminated": failed,
        "all_passed": all(statuses.get(g) == "passed" for g in GATES),
        "face_threshold": 0.42,
    }


def _call() -> CallInfo:
    portrait = resource_path("sandbox", "faces", "obama.jpg").read_bytes()
    return CallInfo(
        "S20261121A7F3K9",
        "password_reset",
        "密码重置",
        "奥*马",
        NOW - dt.timedelta(minutes=3, seconds=12),
        star_level=4,
        accounts=("6222 **** **** 1234(借记卡·正常)", "6217 **** **** 5678(借记卡·锁定)"),
        ocr_fields=(
            ("性别", "男"),
            ("民族", "汉"),
            ("证件号", "110***********1234"),
            ("有效期", "2020.01.01-2040.01.01"),
        ),
        id_portrait_jpeg=portrait,
    )


def demo_signature() -> SignatureSubmission:
    """A handwriting-like wave (two strokes) with timestamps and pressure."""
    strokes = []
    t = 0.0
    for base_x, n in ((60, 70), (330, 60)):
        points = []
        for i in range(n):
            t += 14
            x = base_x + i * 3.4
            y = 120 + 45 * math.sin(i / 4.5) * math.cos(i / 11)
            points.append({"x": round(x, 1), "y": round(y, 1), "t": t, "p": 0.35 + 0.3 * abs(math.sin(i / 7))})
        strokes.append({"points": points, "pointer_type": "touch"})
        t += 300
    return SignatureSubmission.model_validate({"width": 600, "height": 240, "strokes": strokes})


def _live_face(state: WorkstationState, score: float) -> None:
    """The live face monitor's view after a few seconds of the customer on camera."""
    assessor = LiveFaceAssessor(state.face_threshold, mismatch_after_s=0.0)
    state.set_live_face(assessor.add(LiveFaceReading(0.0, 1, score, portrait_usable=True)))


def _in_call(state: WorkstationState, statuses: dict[str, str], scores: dict[str, float | None] | None) -> None:
    call = _call()
    state.ring(call)
    state.answered()
    state.set_recording(True)
    script = load_script_file(call.business_type)
    state.set_script(
        script, {"customer_name": call.customer_name, "business": "密码重置", "seat_name": "张三", "seat_id": "T001"}
    )
    state.next_step()
    state.next_step()
    state.apply_gate_snapshot(_gate_snapshot(statuses, face_scores=scores))


def _snapshot(state: WorkstationState, frame: np.ndarray) -> None:
    assert state.call is not None
    snap = make_snapshot(
        frame,
        snapshot_id=f"s{len(state.snapshots) + 1}",
        session_id=state.call.session_id,
        seat_id="T001",
        taken_at=NOW,
    )
    state.add_snapshot(snap)
    state.snapshot_uploaded(snap.snapshot_id)


PASSED = dict.fromkeys(GATES, "passed")
GOOD_SCORES: dict[str, float | None] = {"id_vs_live": 0.71, "network_vs_live": 0.66, "id_vs_network": 0.78}


def build_state(name: str, frame: np.ndarray) -> WorkstationState:
    """The named demo state: idle, ringing, gates_passed, gate_failed, signature_review, wrap_up."""
    state = WorkstationState("T001", "张三", clock=lambda: NOW)
    if name == "ringing":
        state.ring(_call())
    elif name == "gates_passed":
        _in_call(state, PASSED, GOOD_SCORES)
        _live_face(state, 0.69)
        _snapshot(state, frame)
    elif name == "gate_failed":
        _in_call(state, {"precheck": "passed", "network_check": "failed"}, None)
        _live_face(state, 0.31)
    elif name == "signature_review":
        _in_call(state, PASSED, GOOD_SCORES)
        _live_face(state, 0.69)
        _snapshot(state, frame)
        _snapshot(state, frame)
        state.signature_submitted(demo_signature(), 1)
    elif name == "wrap_up":
        _in_call(state, PASSED, GOOD_SCORES)
        state.signature_submitted(demo_signature(), 1)
        state.signature_decided(True)
        state.business_done(True, "密码重置成功(流水号 CB20261121000123)")
        state.ended("客户已挂断", wrap_up_s=30)
    elif name != "idle":
        raise ValueError(f"unknown state {name!r}")
    return state


STATES = ("idle", "ringing", "gates_passed", "gate_failed", "signature_review", "wrap_up")
