"""Main window reflects the seat state and call lifecycle, and forwards the teller's clicks."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QColor, QImage
from pytestqt.qtbot import QtBot

from seat_client.views.call_panel import format_duration
from seat_client.views.main_window import MainWindow


@pytest.fixture
def window(qtbot: QtBot) -> MainWindow:
    win = MainWindow()
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    return win


def test_ready_and_not_ready(qtbot: QtBot, window: MainWindow) -> None:
    panel = window.state_panel
    assert not panel.ready_button.isEnabled()  # offline: nothing to switch
    window.set_seat_state("not_ready", "meal")
    assert panel.ready_button.isEnabled() and not panel.not_ready_button.isEnabled()
    assert window.status_state.text() == "状态:示忙 · 就餐"
    with qtbot.waitSignal(panel.readyRequested):
        panel.ready_button.click()

    window.set_seat_state("ready")
    assert not panel.ready_button.isEnabled() and panel.not_ready_button.isEnabled()
    assert "示闲" in window.status_state.text()
    panel.reason_combo.setCurrentIndex(panel.reason_combo.findText("会议"))
    with qtbot.waitSignal(panel.notReadyRequested) as blocker:
        panel.not_ready_button.click()
    assert blocker.args == ["meeting"]


def test_ringing_prompt_then_answer(qtbot: QtBot, window: MainWindow) -> None:
    window.set_seat_state("reserved")
    window.show_ringing("密码重置", "张三", 75, 30)
    calls = window.call_panel
    assert calls.page == "ringing"
    assert calls.ring_business.text() == "业务:密码重置"
    assert calls.ring_customer.text() == "客户:张三"
    assert calls.ring_wait.text() == "已等待 01:15 · 请在 30 秒内接听"
    assert calls._ticker.isActive()  # wait time and countdown tick
    assert calls.answer_button.isEnabled() and calls.decline_button.isEnabled()
    assert not window.state_panel.ready_button.isEnabled()
    with qtbot.waitSignal(calls.answerRequested):
        calls.answer_button.click()
    assert not calls.answer_button.isEnabled()  # no double answer


def test_decline(qtbot: QtBot, window: MainWindow) -> None:
    window.show_ringing("挂失解挂", "", 3)
    assert window.call_panel.ring_customer.text() == "客户:(未留姓名)"
    assert window.call_panel.ring_wait.text() == "已等待 00:03"  # no countdown when the timeout is unknown
    with qtbot.waitSignal(window.call_panel.declineRequested):
        window.call_panel.decline_button.click()


def test_in_call_shows_timer_and_hang_up_then_idle(qtbot: QtBot, window: MainWindow) -> None:
    window.show_in_call("账户激活", "李四")
    calls = window.call_panel
    assert calls.page == "in_call"
    assert calls.timer_label.text() == "通话时长 00:00"
    assert calls._ticker.isActive()
    assert calls.hangup_button.isEnabled()
    image = QImage(64, 48, QImage.Format.Format_RGB888)
    image.fill(QColor("red"))
    window.remote_tile.set_image(image)
    assert window.remote_tile.has_image
    with qtbot.waitSignal(calls.hangupRequested):
        calls.hangup_button.click()
    window.show_idle("客户已挂断")
    assert calls.page == "idle"
    assert calls.idle_label.text() == "客户已挂断"
    assert not calls._ticker.isActive()
    assert not window.remote_tile.has_image


def test_status_bar(window: MainWindow) -> None:
    window.set_waiting(7)
    window.set_connection_status("reconnecting")
    assert window.status_waiting.text() == "排队人数:7"
    assert window.status_connection.text() == "服务器:连接中断,正在重连…"


def test_preview_is_inset_in_the_customer_video(qtbot: QtBot, window: MainWindow) -> None:
    window.resize(1200, 700)
    qtbot.waitUntil(lambda: window.stage.width() > 0)
    remote, local = window.remote_tile.geometry(), window.local_tile.geometry()
    assert remote.contains(local)
    assert local.width() < remote.width() // 2


@pytest.mark.parametrize(("seconds", "text"), [(0, "00:00"), (59.9, "00:59"), (61, "01:01"), (3725, "1:02:05")])
def test_format_duration(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text
