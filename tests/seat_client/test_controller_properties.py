"""Property test: whatever order the server's messages arrive in, the call panel shows what the controller holds."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pytestqt.qtbot import QtBot

from seat_client.app import build_seat_app
from seat_client.settings import SeatSettings
from tests.seat_client.conftest import run_async
from wire import (
    CallEnded,
    CallOffered,
    CallWithdrawn,
    EndReason,
    ErrorMessage,
    Notice,
    QueueStats,
    SeatState,
    SeatStateChanged,
    Welcome,
)

SESSIONS = ["session-aaaa", "session-bbbb"]
NOW = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)

session_ids = st.sampled_from(SESSIONS)
server_messages = st.one_of(
    st.builds(
        Welcome,
        seat_id=st.just("demo"),
        display_name=st.just("演示坐席"),
        state=st.sampled_from(list(SeatState)),
        server_time=st.just(NOW),
    ),
    st.builds(SeatStateChanged, state=st.sampled_from(list(SeatState)), reason=st.sampled_from([None, "rest"])),
    st.builds(
        CallOffered,
        session_id=session_ids,
        business_type=st.just("password_reset"),
        business_label=st.just("密码重置"),
        customer_name=st.sampled_from(["", "张三"]),
        queued_at=st.just(NOW),
        ring_timeout_s=st.just(30.0),
    ),
    st.builds(CallWithdrawn, session_id=session_ids, reason=st.just("timeout"), message=st.just("来电已超时")),
    st.builds(CallEnded, session_id=session_ids, reason=st.sampled_from(list(EndReason)), message=st.just("已结束")),
    st.builds(
        ErrorMessage,
        code=st.sampled_from(["call_taken", "already_answered", "in_call"]),
        message=st.just("错误"),
        session_id=st.one_of(st.none(), session_ids),
    ),
    st.builds(QueueStats, waiting=st.integers(0, 50)),
    st.builds(Notice, code=st.just("n"), message=st.just("提示")),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(messages=st.lists(server_messages, max_size=12))
def test_panel_follows_controller(qtbot: QtBot, qasync_loop, messages: list[Any]) -> None:  # type: ignore[no-untyped-def]
    seat = build_seat_app(SeatSettings(camera="fake-pattern", microphone="none"))
    window, controller = seat.window, seat.controller
    waiting: list[int] = []
    controller.waitingChanged.connect(waiting.append)

    async def feed() -> None:
        for message in messages:
            await controller._on_message(message)
            expected = "ringing" if controller.offered is not None else "idle"  # no call is ever answered here
            assert window.call_panel.page == expected, (message, expected)
            if isinstance(message, Welcome | SeatStateChanged):
                assert controller.seat_state == message.state
                assert window.state_panel.state == message.state

    try:
        run_async(qasync_loop, feed())
    finally:
        controller.remote_pump.stop()
        controller.local_pump.stop()
        window.deleteLater()
        seat.login_dialog.deleteLater()
    assert waiting == [m.waiting for m in messages if isinstance(m, QueueStats)]
    assert controller.session is None and controller.calls_completed == 0
