"""The workstation panels driven from a WorkstationState (no network): gates, form, signature, script, shortcuts."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from seat_client.devtools.workstation_states import PASSED, demo_signature
from seat_client.views.main_window import MainWindow
from seat_client.workstation.binding import show_state_everywhere
from seat_client.workstation.scripts import load_script_file
from seat_client.workstation.snapshot import make_snapshot
from seat_client.workstation.state import CallInfo, WorkstationState
from tests.seat_client.workstation.test_state import gate_snapshot
from wire.signature import SignatureSubmission

T0 = dt.datetime(2026, 11, 21, 6, 0, tzinfo=dt.UTC)


@pytest.fixture
def window(qtbot: QtBot) -> MainWindow:
    w = MainWindow()
    qtbot.addWidget(w)
    w.resize(1366, 768)
    return w


def in_call(business: str = "customer_info_maintenance") -> WorkstationState:
    state = WorkstationState("T001", "张三", clock=lambda: T0)
    state.ring(CallInfo("sess-000001", business, "客户信息维护", "李*华", queued_at=T0))
    state.answered()
    state.set_script(load_script_file(business), {"customer_name": "李*华", "business": "客户信息维护"})
    return state


def test_gate_failure_disables_business_form_and_is_unmistakable(window: MainWindow) -> None:
    state = in_call()
    state.apply_gate_snapshot(gate_snapshot(precheck="passed", network_check="failed"))
    show_state_everywhere(window, state)
    business = window.business_panel
    assert not business.submit_button.isEnabled()
    assert not business.form_host.isEnabled()
    assert business.block_label.text() == "联网核查未通过,不能办理业务"
    assert business.block_label.property("blocked") is True
    banner = window.verification_panel.banner
    assert not banner.isHidden() and "联网核查未通过" in banner.text()
    assert window.work_tabs.currentIndex() == MainWindow.TABS.index("verification")
    assert not any(b.isEnabled() for b in window.verification_panel.action_buttons.values())


def test_business_form_validates_then_submits_params(qtbot: QtBot, window: MainWindow) -> None:
    state = in_call()
    state.apply_gate_snapshot(gate_snapshot(**PASSED))
    show_state_everywhere(window, state)
    panel = window.business_panel
    assert panel.submit_button.isEnabled()
    assert window.work_tabs.currentIndex() == MainWindow.TABS.index("business")
    with qtbot.assertNotEmitted(panel.submitRequested):
        panel.submit_button.click()
    assert "请填写新手机号" in panel.error_label.text()
    panel.inputs["phone"].setText("13800138000")  # type: ignore[attr-defined]
    panel.inputs["identity_confirmed"].setChecked(True)  # type: ignore[attr-defined]
    with qtbot.waitSignal(panel.submitRequested) as sent:
        panel.submit_button.click()
    assert sent.args == [{"phone": "13800138000", "identity_confirmed": "yes"}]
    state.business_done(True, "客户信息已更新")
    panel.show_state(state)
    assert panel.result_label.text() == "✔ 办理成功:客户信息已更新"
    assert not panel.submit_button.isEnabled()  # done once


def test_face_scores_shown_as_bars_against_threshold(window: MainWindow) -> None:
    state = in_call()
    snap = gate_snapshot(precheck="passed", network_check="passed", face="passed")
    snap["gates"][2]["scores"] = {"id_vs_live": 0.71, "network_vs_live": 0.30, "id_vs_network": None}
    state.apply_gate_snapshot(snap)
    window.verification_panel.show_state(state)
    bars = window.verification_panel.face_bars
    assert bars["id_vs_live"].value() == 71 and bars["id_vs_live"].property("verdict") == "pass"
    assert bars["network_vs_live"].property("verdict") == "fail" and "<" in bars["network_vs_live"].format()
    assert bars["id_vs_network"].format() == "未检测到人脸"


def test_signature_review_accept_reject_and_trivial_flag(qtbot: QtBot, window: MainWindow) -> None:
    state = in_call()
    panel = window.signature_panel
    state.signature_submitted(demo_signature(), 1)
    panel.show_state(state)
    assert panel.accept_button.isEnabled() and panel.reject_button.isEnabled()
    assert panel.warning_label.text() == ""
    with qtbot.waitSignal(panel.acceptRequested):
        panel.accept_button.click()
    panel.reason_combo.setCurrentText("签名潦草无法辨认,请工整签写")
    with qtbot.waitSignal(panel.rejectRequested) as rejected:
        panel.reject_button.click()
    assert rejected.args == ["签名潦草无法辨认,请工整签写"]
    panel.reason_combo.setCurrentText("  ")
    with qtbot.assertNotEmitted(panel.rejectRequested):
        panel.reject_button.click()
    dot = SignatureSubmission.model_validate(
        {"width": 600, "height": 240, "strokes": [{"points": [{"x": 10, "y": 10, "t": 0}, {"x": 12, "y": 11, "t": 9}]}]}
    )
    state.signature_submitted(dot, 2)
    panel.show_state(state)
    assert "签名笔迹过少" in panel.warning_label.text()
    with qtbot.waitSignal(panel.canvas.replayFinished, timeout=3000):
        panel.replay_button.click()
        assert panel.canvas.replaying


def test_script_highlight_moves_and_ticks(window: MainWindow) -> None:
    state = in_call()
    panel = window.script_panel
    panel.show_state(state)
    assert panel.current_row() == 0 and "李*华" in panel.steps.item(0).text()
    state.next_step()
    panel.show_state(state)
    assert panel.current_row() == 1
    assert panel.steps.item(0).text().startswith("✔")


def test_snapshot_strip_shows_captures_and_upload_marks(qtbot: QtBot, window: MainWindow) -> None:
    state = in_call()
    strip = window.snapshot_strip
    snap = make_snapshot(
        np.zeros((720, 1280, 3), np.uint8), snapshot_id="s1", session_id="sess-000001", seat_id="T001", taken_at=T0
    )
    state.add_snapshot(snap)
    strip.show_state(state)
    assert strip.strip.count() == 1 and "上传中" in strip.strip.item(0).text()
    state.snapshot_uploaded("s1")
    strip.show_state(state)
    assert "已存证" in strip.strip.item(0).text()
    strip.strip.setCurrentRow(0)
    with qtbot.waitSignal(strip.useForFaceRequested) as used:
        strip.use_for_face.trigger()
    assert used.args == ["s1"]


def test_shortcuts_answer_hangup_snapshot_next_step(qtbot: QtBot, window: MainWindow) -> None:
    window.show()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)  # window shortcuts go to the active window
    window.show_ringing("客户信息维护", "李*华", 10, 30)
    with qtbot.waitSignal(window.call_panel.answerRequested):
        qtbot.keyClick(window, Qt.Key.Key_F5)
    window.show_in_call("客户信息维护", "李*华")
    state = in_call()
    show_state_everywhere(window, state)
    with qtbot.waitSignal(window.snapshot_strip.captureRequested):
        qtbot.keyClick(window, Qt.Key.Key_F8)
    with qtbot.waitSignal(window.script_panel.nextStepRequested):
        qtbot.keyClick(window, Qt.Key.Key_F9)
    with qtbot.waitSignal(window.call_panel.hangupRequested):
        qtbot.keyClick(window, Qt.Key.Key_F6)


def test_layout_is_remembered(qtbot: QtBot, window: MainWindow, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import QSettings

    store = QSettings(str(tmp_path / "layout.ini"), QSettings.Format.IniFormat)
    window.show()
    qtbot.waitExposed(window)
    window.splitter.setSizes([700, 400, 266])
    sizes = window.splitter.sizes()
    window.save_layout(store)
    store.sync()
    again = MainWindow()
    qtbot.addWidget(again)
    again.restore_layout(QSettings(str(tmp_path / "layout.ini"), QSettings.Format.IniFormat))
    again.resize(window.size())  # the offscreen screen is smaller than the window: geometry is clamped
    again.show()
    qtbot.waitExposed(again)
    assert all(abs(a - b) <= 4 for a, b in zip(again.splitter.sizes(), sizes, strict=True)), again.splitter.sizes()
    assert again.splitter.sizes() != [580, 470, 316]


def test_wrap_up_and_timeline(window: MainWindow) -> None:
    state = in_call()
    state.ended("客户已挂断", wrap_up_s=30)
    show_state_everywhere(window, state)
    assert window.wrap_up_panel.finish_button.isEnabled()
    assert window.wrap_up_panel.countdown.text() == "剩余 30 秒后自动示闲"
    assert window.work_tabs.currentIndex() == MainWindow.TABS.index("wrap_up")
    texts = [window.timeline_panel.events.item(i).text() for i in range(window.timeline_panel.events.count())]
    assert any("来电振铃" in t for t in texts) and any("客户已挂断" in t for t in texts)


def test_copy_diagnostics_puts_versions_counters_and_state_on_the_clipboard(qtbot: QtBot, qasync_loop) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QApplication

    from seat_client.app import build_seat_app
    from seat_client.settings import SeatSettings

    seat = build_seat_app(SeatSettings(server_url="http://127.0.0.1:9", seat_id="T001", camera="fake-pattern"))
    qtbot.addWidget(seat.window)
    qtbot.addWidget(seat.login_dialog)
    seat.window.diagnostics_action.trigger()
    text = QApplication.clipboard().text()
    assert text.startswith("VideoTeller 坐席工作台 诊断信息")
    assert '"seat_id": "T001"' in text and '"phase": "idle"' in text
    assert "已复制" in seat.window.statusBar().currentMessage()


def test_private_questions_marked_and_answer_recorded(qtbot: QtBot, window: MainWindow) -> None:
    state = in_call()
    snap = gate_snapshot(precheck="passed", network_check="passed", face="passed", liveness="passed")
    snap["gates"][4].update(status="running", results=[{"attempt": 1, "results": {"q1": True, "q2": None}}])
    snap["questions"] = [
        {"question_id": "q1", "prompt": "您的开户网点在哪个城市?", "choices": ["北京", "上海"]},
        {"question_id": "q2", "prompt": "您名下有几张本行借记卡?", "choices": ["1张", "2张"]},
    ]
    state.apply_gate_snapshot(snap)
    panel = window.verification_panel
    panel.show_state(state)
    assert panel.questions_list.item(0).text().startswith("✔ 您的开户网点")
    assert panel.questions_list.item(1).text().startswith("○ 您名下有几张")
    panel.questions_list.setCurrentRow(0)
    assert not panel.answer_button.isEnabled()  # already answered
    panel.questions_list.setCurrentRow(1)
    assert panel.answer_button.isEnabled() and panel.answer_combo.count() == 3  # two options + 无法回答
    panel.answer_combo.setCurrentIndex(1)
    with qtbot.waitSignal(panel.questionMarked) as marked:
        panel.answer_button.click()
    assert marked.args == ["q2", 1]
    panel.answer_combo.setCurrentIndex(2)
    with qtbot.waitSignal(panel.questionMarked) as unanswered:
        panel.answer_button.click()
    assert unanswered.args == ["q2", None]


def test_settings_dialog_validates_saves_and_tests_the_speaker(qtbot: QtBot, qasync_loop, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import QSettings

    from seat_client.app import build_seat_app
    from seat_client.settings import SeatSettings, load_settings
    from seat_client.workstation.binding import WorkstationBinder

    path = tmp_path / "seat.json"
    seat = build_seat_app(
        SeatSettings(server_url="http://127.0.0.1:9", seat_id="T001", camera="fake-pattern", microphone="fake-tone"),
        settings_path=path,
    )
    qtbot.addWidget(seat.window)
    qtbot.addWidget(seat.login_dialog)
    assert seat.workstation is not None
    binder = seat.workstation.findChild(WorkstationBinder)
    assert binder is not None
    dialog = binder.open_settings()
    qtbot.addWidget(dialog)
    assert dialog.isVisible() and dialog.server_edit.text() == "http://127.0.0.1:9"
    dialog.speaker_button.click()
    assert dialog.speaker_status.text().startswith("已播放测试音")
    dialog.server_edit.setText("bank-server:8000")
    with qtbot.assertNotEmitted(dialog.settingsAccepted):
        dialog._accept()
    assert "http://" in dialog.error_label.text()
    dialog.server_edit.setText("https://vt.bank.example:8443/")
    dialog.language_combo.setCurrentIndex(dialog.language_combo.findData("en"))
    assert dialog.camera_fps_combo.currentData() == "30"
    dialog.camera_fps_combo.setCurrentIndex(dialog.camera_fps_combo.findData("15"))
    with qtbot.waitSignal(dialog.settingsAccepted):
        dialog._accept()
    stored = load_settings(path, environ={})
    assert stored.server_url == "https://vt.bank.example:8443" and stored.camera == "fake-pattern"
    assert stored.camera_fps == 15 and seat.controller.settings.camera_fps == 15
    assert QSettings(str(tmp_path / "layout.ini"), QSettings.Format.IniFormat).value("ui/language") == "en"
    run_async_close = seat.controller.shutdown  # nothing was started; the controller shuts down cleanly
    qasync_loop.run_until_complete(run_async_close())
