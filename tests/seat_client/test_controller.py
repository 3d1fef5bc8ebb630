"""Controller behaviour that needs no server: requests before sign-in, the stall warning, the snapshot."""

from __future__ import annotations

from types import SimpleNamespace

from pytestqt.qtbot import QtBot

from seat_client.controller import SeatController
from seat_client.settings import SeatSettings
from tests.seat_client.conftest import run_async


def test_requests_before_sign_in_are_refused_in_chinese(qtbot: QtBot, qasync_loop) -> None:  # type: ignore[no-untyped-def]
    controller = SeatController(SeatSettings(camera="fake-pattern", microphone="none"))
    messages: list[str] = []
    controller.message.connect(messages.append)

    async def scenario() -> None:
        await controller._send(object())
        await controller.shutdown()

    run_async(qasync_loop, scenario())
    assert messages == ["尚未签入"]


def test_remote_video_stall_warns_once(qtbot: QtBot) -> None:
    controller = SeatController(SeatSettings())
    controller.remote_video_stall_s = 0.0
    # a stand-in for a connected CallSession: only these two attributes are read
    controller.session = SimpleNamespace(session_id="stall-test-1", connection_state="connected")  # type: ignore[assignment]
    with qtbot.waitSignal(controller.message) as blocker:
        controller._check_remote_video()
    assert "客户画面已中断" in blocker.args[0]
    with qtbot.assertNotEmitted(controller.message):
        controller._check_remote_video()
    controller.remote_pump.counters.received += 1  # video resumes: the warning re-arms
    controller._check_remote_video()
    assert not controller._stall_warned
    controller.session = None
    controller.remote_pump.stop()
    controller.local_pump.stop()


def test_snapshot_is_json_ready(qtbot: QtBot) -> None:
    import json

    controller = SeatController(SeatSettings(seat_id="1001"))
    snap = json.loads(json.dumps(controller.snapshot()))
    assert snap["seat_id"] == "1001" and snap["calls_completed"] == 0
    assert set(snap["remote_video"]) == {"received", "decoded", "delivered", "drawn", "dropped", "max_queue_depth"}
    controller.remote_pump.stop()
    controller.local_pump.stop()


def test_shutdown_twice_at_once_is_safe(qtbot: QtBot, qasync_loop) -> None:  # type: ignore[no-untyped-def]
    import asyncio

    controller = SeatController(SeatSettings(camera="fake-pattern", microphone="fake-tone"))

    async def scenario() -> None:
        controller.open_media()
        await asyncio.gather(controller.shutdown(), controller.shutdown())
        await controller.shutdown()

    run_async(qasync_loop, scenario())
    assert controller.camera is not None and controller.camera.readyState == "ended"


def test_error_about_the_ringing_call_returns_to_idle(qtbot: QtBot, qasync_loop) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    from wire import CallOffered, ErrorMessage

    controller = SeatController(SeatSettings())
    offered: list[str] = []
    ended: list[str] = []
    controller.callOffered.connect(lambda label, name, waited, timeout: offered.append(label))
    controller.callEnded.connect(ended.append)
    offer = CallOffered(
        session_id="ring-test-0001",
        business_type="password_reset",
        business_label="密码重置",
        queued_at=datetime.now(UTC),
        ring_timeout_s=30,
    )

    async def scenario() -> None:
        await controller._on_message(offer)
        await controller._on_message(
            ErrorMessage(code="already_answered", message="您已接听该来电,请勿重复操作", session_id="ring-test-0001")
        )
        assert controller.offered is offer and not ended
        await controller._on_message(ErrorMessage(code="other", message="无关", session_id="other-session-1"))
        assert controller.offered is offer
        await controller._on_message(
            ErrorMessage(code="call_taken", message="该来电已由其他坐席接听", session_id="ring-test-0001")
        )

    run_async(qasync_loop, scenario())
    assert offered == ["密码重置"]
    assert ended == ["该来电已由其他坐席接听"] and controller.offered is None
    controller.remote_pump.stop()
    controller.local_pump.stop()


def test_unavailable_devices_fall_back_to_labelled_test_sources(qtbot: QtBot, qasync_loop) -> None:  # type: ignore[no-untyped-def]
    from seat_client.media.fake import FakeCameraPattern, FakeMicrophoneTone

    controller = SeatController(SeatSettings(camera="/nonexistent/cam.mp4", microphone="/nonexistent/mic.wav"))
    messages: list[str] = []
    controller.message.connect(messages.append)

    async def scenario() -> None:
        controller.open_media()
        await controller.shutdown()

    run_async(qasync_loop, scenario())
    assert isinstance(controller.camera, FakeCameraPattern)
    assert isinstance(controller.microphone, FakeMicrophoneTone)
    assert messages == [
        "视频文件不存在:/nonexistent/cam.mp4,已改用测试画面",
        "麦克风设置无效或文件不存在:/nonexistent/mic.wav,已改用测试音",
    ]
