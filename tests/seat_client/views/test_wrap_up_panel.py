"""The wrap-up panel and service without a server: the countdown's end keeps what was typed, notes over the limit
keep wrap-up open with the reason shown (nothing is cut off), and the draft of an unfinished wrap-up is kept."""

from __future__ import annotations

import json

from pytestqt.qtbot import QtBot

from seat_client.app import build_seat_app
from seat_client.settings import SeatSettings
from seat_client.workstation.state import CallInfo
from tests.seat_client.conftest import run_async, wait_until
from wire.wrap_up import WRAP_UP_NOTES_MAX_CHARS


def _in_wrap_up(seat, wrap_up_s: float) -> None:  # type: ignore[no-untyped-def]
    service = seat.workstation
    service.wrap_up_s = wrap_up_s
    service.state.seat_id = "T001"
    service.state.ring(CallInfo("sess-wrap-1", "password_reset", "密码重置", "李*华"))
    service.state.answered()
    seat.controller.callEnded.emit("客户已挂断")


def test_countdown_end_sends_the_draft_and_too_long_notes_wait_for_the_teller(qtbot: QtBot, qasync_loop) -> None:  # type: ignore[no-untyped-def]
    seat = build_seat_app(SeatSettings(seat_id="T001", camera="fake-pattern", microphone="fake-tone"))
    qtbot.addWidget(seat.window)
    qtbot.addWidget(seat.login_dialog)
    service, panel = seat.workstation, seat.window.wrap_up_panel
    assert service is not None

    async def scenario() -> None:
        # 1. over the limit: red counter, the reason, no 完成整理; the countdown's end does not cut anything off
        _in_wrap_up(seat, 0.5)
        assert service.state.phase == "wrap_up" and panel.notes.isEnabled()
        long_text = "长" * (WRAP_UP_NOTES_MAX_CHARS + 3)
        panel.notes.setPlainText(long_text)
        assert panel.counter_label.property("over") is True
        assert panel.counter_label.text() == f"{WRAP_UP_NOTES_MAX_CHARS + 3}/{WRAP_UP_NOTES_MAX_CHARS}"
        assert "话后小结不能超过 2000 字(当前 2003 字)" in panel.error_label.text()
        assert not panel.finish_button.isEnabled()
        await wait_until(lambda: service.state.wrap_up_problem is not None, timeout=10, message="countdown ended")
        assert service.state.phase == "wrap_up" and service.outbox.items() == []
        assert "完成整理" in panel.countdown.text() and "不能超过" in panel.error_label.text()

        # 2. shortened: 完成整理 works; the notes are on disk (not signed in: they wait for the next sign-in)
        panel.notes.setPlainText(long_text[:100])
        assert panel.finish_button.isEnabled() and panel.counter_label.property("over") is False
        panel.finish_button.click()
        assert service.state.phase == "idle"
        kept = json.loads(service.outbox.path.read_text(encoding="utf-8"))
        assert [(k["session_id"], k["seat_id"], k["notes"]) for k in kept] == [("sess-wrap-1", "T001", "长" * 100)]
        assert service.state.notes_pending == 1 and "1 份话后小结待提交" in panel.outbox_label.text()
        assert panel.notes.toPlainText() == "" and not panel.notes.isEnabled()

        # 3. typed but never finished: the countdown's end sends the draft
        _in_wrap_up(seat, 0.5)
        panel.notes.setPlainText("客户要求下周回访")
        await wait_until(lambda: service.state.phase == "idle", timeout=10, message="countdown finished wrap-up")
        assert [i.notes for i in service.outbox.items()] == ["长" * 100, "客户要求下周回访"]

        # 4. the program closes during wrap-up: the draft is kept for the next sign-in
        _in_wrap_up(seat, 60)
        panel.notes.setPlainText("关闭前写的小结")
        await seat.close()
        assert [i.notes for i in service.outbox.items()][-1] == "关闭前写的小结"

    run_async(qasync_loop, scenario(), timeout=60)
