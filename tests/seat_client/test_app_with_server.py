"""The whole seat client (controller + main window, offscreen) against the real server and a simulated customer."""

from __future__ import annotations

import av
from pytestqt.qtbot import QtBot

from seat_client.app import build_seat_app
from seat_client.settings import SeatSettings
from tests.seat_client.conftest import run_async, sign_in_ready_and_ring, wait_until
from tests.seat_client.customer_sim import SimulatedCustomer


class CountingTap:
    """A media tap (the recorder's interface) that counts what it is given per (source, kind)."""

    def __init__(self) -> None:
        self.counts: dict[tuple[str, str], int] = {}

    def push_video(self, source: str, frame: av.VideoFrame) -> None:
        assert isinstance(frame, av.VideoFrame)
        self.counts[(source, "video")] = self.counts.get((source, "video"), 0) + 1

    def push_audio(self, source: str, frame: av.AudioFrame) -> None:
        assert isinstance(frame, av.AudioFrame)
        self.counts[(source, "audio")] = self.counts.get((source, "audio"), 0) + 1


def test_bad_password_shows_chinese_error(qtbot: QtBot, qasync_loop, settings: SeatSettings) -> None:  # type: ignore[no-untyped-def]
    seat = build_seat_app(settings)
    qtbot.addWidget(seat.window)
    qtbot.addWidget(seat.login_dialog)

    async def scenario() -> None:
        assert not await seat.start("wrong-password")
        assert seat.login_dialog.isVisible()
        assert seat.login_dialog.error_text == "工号或密码错误"
        assert not seat.window.isVisible()
        await seat.close()

    run_async(qasync_loop, scenario())


def test_login_ready_answer_call_and_hang_up(qtbot: QtBot, qasync_loop, settings: SeatSettings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    seat = build_seat_app(settings, screenshot_dir=tmp_path / "shots", screenshot_interval_ms=0)
    qtbot.addWidget(seat.window)
    qtbot.addWidget(seat.login_dialog)
    window, controller = seat.window, seat.controller
    customer = SimulatedCustomer(settings.server_url, "password_reset", "张三")
    tap = CountingTap()
    controller.add_media_tap(tap)

    async def scenario() -> None:
        assert await seat.start("demo123")
        assert window.isVisible()
        await wait_until(lambda: controller.seat_state != "offline", message="welcome")
        await wait_until(lambda: controller.local_pump.counters.drawn >= 3, message="own preview drawn")
        assert not tap.counts  # the preview is not tapped outside a call
        window.state_panel.ready_button.click()
        await wait_until(lambda: controller.seat_state == "ready", message="ready")
        assert "示闲" in window.status_state.text()
        assert "已连接" in window.status_connection.text()

        await customer.start()
        await wait_until(lambda: window.call_panel.page == "ringing", message="ringing prompt")
        assert "密码重置" in window.call_panel.ring_business.text()
        assert "李*华" in window.call_panel.ring_customer.text()  # masked name from the pre-checked ID card
        window.call_panel.answer_button.click()

        await wait_until(lambda: window.call_panel.page == "in_call", message="in call")
        counters = controller.remote_pump.counters
        await wait_until(
            lambda: counters.drawn >= 30 and customer.frames["video"] >= 30, timeout=30, message="30 frames both ways"
        )
        assert counters.decoded >= counters.drawn
        assert counters.max_queue_depth <= 1
        assert window.remote_tile.has_image
        assert controller.audio_output is not None and controller.audio_output.frames_received > 0
        await wait_until(lambda: len(tap.counts) == 4, message="all four media reach the tap")
        stats = window.call_panel.stats_label
        await wait_until(lambda: "帧/秒" in stats.text(), timeout=15, message="link quality shown")
        assert "往返时延" in stats.text() and "丢包" in stats.text()

        window.call_panel.hangup_button.click()
        await wait_until(lambda: window.call_panel.page == "idle", message="back to idle")
        after_call = dict(tap.counts)
        assert controller.calls_completed == 1
        assert controller.session is None
        assert not window.remote_tile.has_image
        preview = controller.local_pump.counters
        previewed = preview.received
        await wait_until(lambda: preview.received >= previewed + 5, message="preview runs on after the call")
        assert tap.counts == after_call  # but the tap gets nothing outside a call
        await customer.close()
        await seat.close()

    try:
        run_async(qasync_loop, scenario(), timeout=90)
    finally:
        run_async(qasync_loop, customer.close())
    assert seat.screenshots is not None
    names = [p.name for p in seat.screenshots.saved]
    assert any("ringing" in n for n in names) and any("in-call" in n for n in names)


def test_auto_answer_and_exit_after_calls(qtbot: QtBot, qasync_loop, settings: SeatSettings) -> None:  # type: ignore[no-untyped-def]
    """The demo/benchmark mode: ready by itself, answers by itself (call after call), exits after N calls."""
    settings.auto_answer = True
    seat = build_seat_app(settings, exit_after_calls=2)
    qtbot.addWidget(seat.window)
    qtbot.addWidget(seat.login_dialog)
    controller = seat.controller
    customers = [
        SimulatedCustomer(settings.server_url, "account_activation", "王五"),
        SimulatedCustomer(settings.server_url, "sms_signing", "孙八"),
    ]
    exits: list[bool] = []
    controller.exitRequested.connect(lambda: exits.append(True))

    async def scenario() -> None:
        assert await seat.start("demo123")
        await wait_until(lambda: controller.seat_state == "ready", message="auto-ready")
        counters = controller.remote_pump.counters
        for number, (customer, label) in enumerate(zip(customers, ["账户激活", "短信签约"], strict=True), 1):
            before = counters.drawn
            await customer.start()
            await wait_until(lambda d=before: counters.drawn >= d + 30, timeout=30, message=f"call {number} drawn")
            assert seat.window.call_panel.call_business.text() == f"业务:{label}"
            await wait_until(lambda c=customer: c.frames["video"] >= 30, timeout=30, message=f"call {number} sent")
            await customer.hangup()
            await wait_until(lambda n=number: controller.calls_completed == n, message=f"call {number} ended")
            assert bool(exits) == (number == 2)
            if number == 1:
                await wait_until(lambda: controller.seat_state == "ready", message="ready again after the call")
        assert seat.window.call_panel.page == "idle"
        await seat.close()

    try:
        run_async(qasync_loop, scenario(), timeout=120)
    finally:
        for customer in customers:
            run_async(qasync_loop, customer.close())


def test_decline_and_withdrawn_call_return_to_idle(qtbot: QtBot, qasync_loop, settings: SeatSettings) -> None:  # type: ignore[no-untyped-def]
    seat = build_seat_app(settings)
    qtbot.addWidget(seat.window)
    qtbot.addWidget(seat.login_dialog)
    window, controller = seat.window, seat.controller
    customer = SimulatedCustomer(settings.server_url, "loss_report_release", "钱七")

    async def scenario() -> None:
        await sign_in_ready_and_ring(seat, customer)
        window.call_panel.decline_button.click()
        await wait_until(lambda: window.call_panel.page == "idle", message="idle after decline")
        assert controller.session is None and controller.calls_completed == 0

        # the declined customer keeps their place; offered again once the seat is ready, then gives up waiting
        # (the server's answer to the decline decides: offered again at once, or the seat is made not-ready first)
        await wait_until(
            lambda: (
                window.call_panel.page == "ringing"
                or (controller.seat_state not in ("ready", "reserved") and window.state_panel.ready_button.isEnabled())
            ),
            message="offered again, or not ready after the decline",
        )
        if window.call_panel.page != "ringing":
            window.state_panel.ready_button.click()
        await wait_until(lambda: window.call_panel.page == "ringing", message="offered again")
        await customer.close()  # the customer leaves: the offer is withdrawn
        await wait_until(lambda: window.call_panel.page == "idle", message="idle after withdrawal")
        assert controller.offered is None and controller.session is None
        await seat.close()

    try:
        run_async(qasync_loop, scenario(), timeout=90)
    finally:
        run_async(qasync_loop, customer.close())


def test_dialog_login_remembers_server_and_seat_only(  # type: ignore[no-untyped-def]
    qtbot: QtBot, qasync_loop, settings: SeatSettings, tmp_path
) -> None:
    from seat_client.settings import load_settings

    path = tmp_path / "seat.json"
    seat = build_seat_app(settings, settings_path=path)
    qtbot.addWidget(seat.window)
    qtbot.addWidget(seat.login_dialog)
    dialog = seat.login_dialog

    async def scenario() -> None:
        assert not await seat.start()  # no password: the dialog opens
        assert dialog.isVisible()
        dialog.ui.passwordEdit.setText("wrong")
        dialog.ui.loginButton.click()
        await wait_until(lambda: dialog.error_text == "工号或密码错误", message="error shown")
        assert not path.exists()
        dialog.ui.passwordEdit.setText("demo123")
        dialog.ui.loginButton.click()
        await wait_until(lambda: seat.window.isVisible() and not dialog.isVisible(), message="main window")
        await seat.close()

    run_async(qasync_loop, scenario())
    stored = load_settings(path, environ={})
    assert stored.server_url == settings.server_url and stored.seat_id == "demo"
    assert stored.ice_bind_addresses is None and stored.camera == "auto"  # test overrides were not persisted
    assert "demo123" not in path.read_text(encoding="utf-8")


def test_unreachable_server_shows_chinese_error(qtbot: QtBot, qasync_loop) -> None:  # type: ignore[no-untyped-def]
    settings = SeatSettings(server_url="http://127.0.0.1:9", seat_id="demo", camera="fake-pattern")
    seat = build_seat_app(settings)
    qtbot.addWidget(seat.window)
    qtbot.addWidget(seat.login_dialog)
    dialog = seat.login_dialog

    async def scenario() -> None:
        assert not await seat.start()
        dialog.ui.passwordEdit.setText("demo123")
        dialog.ui.loginButton.click()
        await wait_until(lambda: dialog.error_text != "", message="error shown")
        await seat.close()

    run_async(qasync_loop, scenario())
    assert dialog.error_text == "无法连接服务器(http://127.0.0.1:9)"
    assert dialog.ui.loginButton.isEnabled()
    assert seat.controller.camera is None  # media opens only after a successful sign-in


def test_auto_login_keeps_retrying_until_the_server_is_reachable(qtbot: QtBot, qasync_loop, live_server: str) -> None:  # type: ignore[no-untyped-def]
    """A seat PC that boots before the server: auto-login says it will retry, and signs in once the server answers."""
    import asyncio

    from tests.server_process import free_port

    upstream_port = int(live_server.rsplit(":", 1)[1])
    port = free_port()
    settings = SeatSettings(server_url=f"http://127.0.0.1:{port}", seat_id="demo", camera="fake-pattern")
    seat = build_seat_app(settings)
    qtbot.addWidget(seat.window)
    qtbot.addWidget(seat.login_dialog)
    dialog = seat.login_dialog

    async def forward(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", upstream_port)

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            except ConnectionError:
                pass
            finally:
                dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    async def scenario() -> None:
        attempt = asyncio.ensure_future(seat.start("demo123"))
        await wait_until(lambda: "自动重试" in dialog.error_text, message="the dialog says it retries")
        assert not attempt.done() and seat.controller.last_login_error == "unreachable"
        server = await asyncio.start_server(forward, "127.0.0.1", port)  # the server comes back
        try:
            assert await asyncio.wait_for(attempt, 30)
            await wait_until(lambda: seat.window.isVisible() and not dialog.isVisible(), message="main window")
            assert seat.controller.last_login_error is None
            await seat.close()
        finally:
            server.close()

    run_async(qasync_loop, scenario())


def test_auto_login_stops_at_a_wrong_password(qtbot: QtBot, qasync_loop, live_server: str) -> None:  # type: ignore[no-untyped-def]
    settings = SeatSettings(server_url=live_server, seat_id="demo", camera="fake-pattern")
    seat = build_seat_app(settings)
    qtbot.addWidget(seat.window)
    qtbot.addWidget(seat.login_dialog)

    async def scenario() -> None:
        assert not await seat.start("wrong-password")  # returns at once: no retry loop on bad credentials
        await seat.close()

    run_async(qasync_loop, scenario(), timeout=20)
    assert seat.controller.last_login_error == "bad_credentials"
    assert "自动重试" not in seat.login_dialog.error_text and seat.login_dialog.error_text
