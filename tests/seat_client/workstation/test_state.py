"""WorkstationState, scripts, forms, signature checks and snapshot burn-in (Qt-free)."""

from __future__ import annotations

import datetime as dt

import cv2
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from seat_client.workstation.forms import FORMS, form_for, form_params, validate_form
from seat_client.workstation.scripts import MISSING, CallScript, ScriptError, load_script_file, render_text
from seat_client.workstation.signature import assess_signature, replay_cut
from seat_client.workstation.snapshot import make_snapshot
from seat_client.workstation.state import CallInfo, Phase, WorkstationState
from wire.signature import SignatureSubmission

T0 = dt.datetime(2026, 11, 21, 6, 0, tzinfo=dt.UTC)


def gate_snapshot(**statuses: str) -> dict:
    order = ["precheck", "network_check", "face", "liveness", "questions"]
    gates = []
    for name in order:
        status = statuses.get(name, "pending")
        gates.append(
            {
                "gate": name,
                "status": status,
                "attempts": 1 if status != "pending" else 0,
                "max_attempts": 3,
                "scores": {"id_vs_live": 0.7} if name == "face" else {},
                "teller_message": "联网核查不一致" if status == "failed" else None,
            }
        )
    terminated = "failed" in statuses.values()
    all_passed = all(statuses.get(n) == "passed" for n in order)
    return {"gates": gates, "terminated": terminated, "all_passed": all_passed}


def in_call_state() -> WorkstationState:
    state = WorkstationState("T001", "张三", clock=lambda: T0)
    state.ring(CallInfo("sess-000001", "password_reset", "密码重置", "李*华", queued_at=T0))
    state.answered()
    return state


def test_gate_failure_blocks_business_and_is_named() -> None:
    state = in_call_state()
    aspects: list[str] = []
    state.subscribe(aspects.append)
    state.apply_gate_snapshot(gate_snapshot(precheck="passed", network_check="failed"))
    assert not state.business_allowed
    assert state.failed_gate is not None and state.failed_gate.gate == "network_check"
    assert state.business_block_reason == "联网核查未通过,不能办理业务"
    assert state.focus_panel == "verification"
    assert "business" in aspects and "gates" in aspects
    assert any("联网核查未通过" in e.text for e in state.timeline)


def test_all_gates_passed_allows_business() -> None:
    state = in_call_state()
    names = ["precheck", "network_check", "face", "liveness", "questions"]
    state.apply_gate_snapshot(gate_snapshot(**dict.fromkeys(names, "passed")))
    assert state.business_allowed and state.business_block_reason == ""
    assert state.focus_panel == "business"
    state.ended("客户已挂断", wrap_up_s=30)
    assert not state.business_allowed and state.phase == Phase.WRAP_UP
    assert state.wrap_up_left_s() == 30


def test_terminated_snapshot_never_allows_business() -> None:
    state = in_call_state()
    snap = gate_snapshot(**dict.fromkeys(["precheck", "network_check", "face", "liveness", "questions"], "passed"))
    snap["terminated"] = True
    state.apply_gate_snapshot(snap)
    assert not state.business_allowed


def test_script_steps_fill_tick_and_advance() -> None:
    state = in_call_state()
    script = load_script_file("password_reset")
    state.set_script(script, {"customer_name": "李*华", "business": "密码重置", "seat_name": "张三"})
    assert "李*华" in state.step_text(0) and "张三" in state.step_text(0)
    assert f"工号{MISSING}" in state.step_text(0)  # seat_id not given: the teller sees a blank
    for _ in range(len(script.steps) + 2):
        state.next_step()
    assert state.steps_done == set(range(len(script.steps)))
    assert state.step_index == len(script.steps) - 1


def test_every_default_script_loads_and_unknown_business_falls_back() -> None:
    for code in FORMS:
        assert load_script_file(code).business_type == code
    assert load_script_file("sms_signing").business_type == "default"
    with pytest.raises(ScriptError):
        load_script_file("../etc")
    with pytest.raises(ScriptError, match="第 1 步缺少内容"):
        CallScript.from_dict({"steps": [{"title": "x"}]})


@given(st.text(max_size=40))
def test_render_never_raises(template: str) -> None:
    assert isinstance(render_text(template, {"customer_name": "王五"}), str)


def test_forms_validate_in_chinese() -> None:
    form = form_for("customer_info_maintenance")
    assert form is not None
    errors = {name: str(error) for name, error in validate_form(form, {"phone": "12345"}).items()}
    assert errors["phone"] == "手机号应为11位数字,以1开头"
    assert errors["identity_confirmed"] == "请确认:已核对客户身份且客户本人意愿办理"
    ok = {"phone": "13800138000", "identity_confirmed": "yes", "address": ""}
    assert validate_form(form, ok) == {}
    assert form_params(form, ok) == {"phone": "13800138000", "identity_confirmed": "yes"}
    reset = form_for("password_reset")
    assert reset is not None
    refused = validate_form(reset, {"reset_channel": "bogus", "identity_confirmed": "yes"})
    assert {name: str(error) for name, error in refused.items()} == {
        "reset_channel": "重置方式的选项无效",
        "reason": "请选择重置原因",
    }


def _sig(points: list[tuple[float, float, float]]) -> SignatureSubmission:
    return SignatureSubmission.model_validate(
        {"width": 600, "height": 240, "strokes": [{"points": [{"x": x, "y": y, "t": t} for x, y, t in points]}]}
    )


def test_signature_assessment_flags_empty_and_trivial() -> None:
    empty = SignatureSubmission(width=600, height=240, strokes=[])
    assert assess_signature(empty).empty
    dot = _sig([(100, 100, 0), (101, 100, 10)])
    assert assess_signature(dot).trivial
    wave = _sig([(40 + i * 8, 120 + 60 * np.sin(i / 3), i * 12.0) for i in range(60)])
    good = assess_signature(wave)
    assert not good.flagged and good.points == 60 and good.duration_ms == 59 * 12
    assert len(replay_cut(wave, 120)[0]) == 11


def test_signature_state_flow() -> None:
    state = in_call_state()
    wave = _sig([(40 + i * 8, 120 + 60 * np.sin(i / 3), i * 12.0) for i in range(60)])
    state.signature_submitted(wave, 1)
    assert state.signature.state == "submitted"
    state.signature_decided(False, "签名不完整")
    assert state.signature.state == "rejected" and state.signature.reason == "签名不完整"


def test_snapshot_burn_in_keeps_resolution_and_marks_pixels() -> None:
    rgb = np.full((1080, 1920, 3), 200, np.uint8)
    snap = make_snapshot(rgb, snapshot_id="s1", session_id="sess-000001", seat_id="T001", taken_at=T0)
    assert (snap.width, snap.height) == (1920, 1080)
    decoded = cv2.imdecode(np.frombuffer(snap.jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert decoded is not None
    assert decoded.shape == (1080, 1920, 3)
    assert decoded[-5:, :].mean() < 150  # the darkened watermark bar at the bottom
    assert abs(int(decoded[10, 10].mean()) - 200) < 6  # the picture itself is untouched
    assert rgb.mean() == 200  # the input frame is not modified
