"""A customer in real headless Chromium reaches the teller's Qt workstation by two-way video through the real server.

Real on both ends: ``python -m server`` in its own process, the seat client's controller and main window in this
process on a qasync loop (offscreen Qt), and Chromium with its fake camera/microphone driving the real H5 page.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from pytestqt.qtbot import QtBot

from seat_client.app import SeatApp, build_seat_app
from seat_client.settings import SeatSettings
from server.devtools.browser import launch_customer_browser
from server.devtools.sim_customer import SimulatedCustomer
from tests.e2e.conftest import LiveServer, run_async, wait_until


def _seat(qtbot: QtBot, server: LiveServer, shots: Path | None = None) -> SeatApp:
    settings = SeatSettings(
        server_url=server.url,
        seat_id="demo",
        camera="fake-pattern",
        microphone="fake-tone",
        ice_bind_addresses=["127.0.0.1"],
    )
    seat = build_seat_app(settings, screenshot_dir=shots, screenshot_interval_ms=0)
    qtbot.addWidget(seat.window)
    qtbot.addWidget(seat.login_dialog)
    return seat


@asynccontextmanager
async def _browser_customer(server: LiveServer) -> AsyncIterator[SimulatedCustomer]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await launch_customer_browser(playwright)
        try:
            customer = SimulatedCustomer(browser, server.url + "/")
            await customer.open()
            yield customer
        finally:
            await browser.close()


async def _connect(seat: SeatApp, customer: SimulatedCustomer, business: str = "password_reset") -> str:
    """Seat signs in and goes ready; the customer queues; the seat answers; video flows both ways."""
    window, controller = seat.window, seat.controller
    assert await seat.start("demo123")
    await wait_until(lambda: controller.seat_state != "offline", message="seat welcomed")
    window.state_panel.ready_button.click()
    await wait_until(lambda: controller.seat_state == "ready", message="seat ready")

    session_id = await customer.join(business, "李四")
    assert await customer.state() == "queued"
    await wait_until(lambda: window.call_panel.page == "ringing", message="the seat is offered the call")
    assert "李*华" in window.call_panel.ring_customer.text()  # masked name from the pre-checked ID card
    window.call_panel.answer_button.click()
    await customer.wait_for_state("connected")

    counters = controller.remote_pump.counters
    await wait_until(lambda: counters.drawn >= 30, timeout=30, message="seat decodes and draws 30 browser frames")
    assert counters.decoded >= 30
    assert counters.max_queue_depth <= 1, "frames must be dropped, never queued"
    assert window.remote_tile.has_image
    browser_frames = await customer.wait_for_frames(31, timeout_s=30)
    assert browser_frames > 30
    return session_id


def test_browser_customer_and_seat_see_each_other_then_customer_hangs_up(
    qtbot: QtBot, qasync_loop, live_server: LiveServer, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    seat = _seat(qtbot, live_server, tmp_path / "shots")

    async def scenario() -> str:
        async with _browser_customer(live_server) as customer:
            session_id = await _connect(seat, customer)
            assert seat.controller.audio_output is not None
            await wait_until(lambda: seat.controller.audio_output.frames_received > 0, message="browser audio")
            await customer.hang_up()
            await customer.wait_for_state("ended")
            await wait_until(lambda: seat.window.call_panel.page == "idle", message="seat back to idle")
            report = await customer.report()
            assert report.end_reason == "customer_hangup"
        await seat.close()
        return session_id

    session_id = run_async(qasync_loop, scenario())
    record = live_server.session_record(session_id)
    assert record["seat_id"] == "demo"
    assert record["business_type"] == "password_reset"
    assert record["answered_at"] and record["ended_at"]
    assert record["queued_at"] <= record["answered_at"] <= record["ended_at"]
    assert record["end_reason"] == "customer_hangup"
    assert any(p.name.endswith(".png") for p in (tmp_path / "shots").iterdir())


def test_teller_hangs_up_and_customer_is_told(qtbot: QtBot, qasync_loop, live_server: LiveServer) -> None:  # type: ignore[no-untyped-def]
    seat = _seat(qtbot, live_server)

    async def scenario() -> tuple[str, str]:
        async with _browser_customer(live_server) as customer:
            session_id = await _connect(seat, customer, "loss_report_release")
            seat.window.call_panel.hangup_button.click()
            await customer.wait_for_state("ended")
            ended_text = await customer.page.inner_text("#ended-text")  # type: ignore[union-attr]
            report = await customer.report()
            assert report.end_reason == "seat_hangup"
        await seat.close()
        return session_id, ended_text

    session_id, ended_text = run_async(qasync_loop, scenario())
    assert ended_text.strip(), "the customer sees why the call ended"
    record = live_server.session_record(session_id)
    assert record["end_reason"] == "seat_hangup"
    assert record["ended_at"] is not None


def test_customer_vanishing_mid_call_closes_the_record(qtbot: QtBot, qasync_loop, live_server: LiveServer) -> None:  # type: ignore[no-untyped-def]
    seat = _seat(qtbot, live_server)

    async def scenario() -> str:
        async with _browser_customer(live_server) as customer:
            session_id = await _connect(seat, customer)
            await customer.page.context.close()  # type: ignore[union-attr]  # the phone's browser is gone
            await wait_until(lambda: seat.window.call_panel.page == "idle", message="seat told the customer left")
        await seat.close()
        return session_id

    session_id = run_async(qasync_loop, scenario())
    record = live_server.session_record(session_id)
    assert record["end_reason"] == "customer_disconnected"
    assert record["ended_at"] is not None
