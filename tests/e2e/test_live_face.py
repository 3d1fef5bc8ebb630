"""Live face monitor (实时人脸) in a real call: Chromium's camera plays a clip of the customer's face, the seat client
decodes it, its monitor compares the face with the ID portrait the server holds and the customer tile shows it; with
Chromium's own test pattern (no face) the teller is warned and the timeline says so."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from pytestqt.qtbot import QtBot

from seat_client.workstation.face_monitor import LiveFaceStatus
from server.bank.sandbox import portrait_path
from server.devtools.browser import launch_customer_browser
from server.devtools.sim_customer import SimulatedCustomer
from tests.e2e.conftest import LiveServer, run_async, wait_until
from tests.e2e.test_call import _browser_customer, _connect, _seat
from tests.e2e.test_identity_browser import write_y4m


@asynccontextmanager
async def _customer_on_camera(server: LiveServer, video: Path) -> AsyncIterator[SimulatedCustomer]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await launch_customer_browser(playwright, fake_video=video)
        try:
            customer = SimulatedCustomer(browser, server.url + "/")
            await customer.open()
            yield customer
        finally:
            await browser.close()


def test_customer_face_on_camera_matches_the_id_portrait(
    qtbot: QtBot, qasync_loop, live_server: LiveServer, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    seat = _seat(qtbot, live_server)
    service = seat.workstation
    assert service is not None and service.face_monitor is not None
    # 李明华, the sandbox customer the simulated card belongs to, in another photo than the one on the card
    clip = write_y4m(portrait_path("obama3.jpg"), tmp_path / "customer.y4m")

    async def scenario() -> None:
        async with _customer_on_camera(live_server, clip) as customer:
            await _connect(seat, customer)
            await wait_until(lambda: service.state.call is not None and service.state.call.id_portrait_jpeg, 20)

            def matched() -> bool:
                view = service.state.live_face
                return view is not None and view.status == LiveFaceStatus.MATCH

            await wait_until(matched, timeout=30, message="live face matches the ID portrait")
            view = service.state.live_face
            assert view is not None and view.faces == 1 and view.portrait_usable
            assert view.score is not None and view.score >= view.threshold
            tile = seat.window.remote_tile
            assert tile.badge.startswith("实时人脸 ✔") and tile.badge_level == "ok"
            assert service.face_monitor is not None and service.face_monitor.checks > 0
            await customer.hang_up()
            await wait_until(lambda: seat.window.call_panel.page != "in_call", message="call ended")
            assert service.state.live_face is None and tile.badge == ""
            assert not service.face_monitor.active
        await seat.close()

    run_async(qasync_loop, scenario())


def test_no_face_on_camera_warns_the_teller(qtbot: QtBot, qasync_loop, live_server: LiveServer) -> None:  # type: ignore[no-untyped-def]
    seat = _seat(qtbot, live_server)
    service = seat.workstation
    assert service is not None

    async def scenario() -> str:
        async with _browser_customer(live_server) as customer:  # Chromium's test pattern: no face in it
            await _connect(seat, customer)

            def warned() -> bool:
                view = service.state.live_face
                return view is not None and view.status == LiveFaceStatus.NO_FACE

            await wait_until(warned, timeout=30, message="no face warning")
            tile = seat.window.remote_tile
            assert tile.badge_level == "warning" and "没有人脸" in tile.badge
            lines = [str(e.text) for e in service.state.timeline if e.kind == "live_face"]
            assert lines == ["实时人脸:画面中没有人脸"]
            assert service.state.call is not None
            session_id = service.state.call.session_id
            await wait_until(lambda: bool(trailed(session_id)), message="the warning in the session trail")
            await customer.hang_up()
            await wait_until(lambda: seat.window.call_panel.page != "in_call", message="call ended")
        await seat.close()
        return session_id

    def trailed(session_id: str) -> list[dict[str, object]]:
        events = httpx.get(
            f"{live_server.url}/api/sessions/{session_id}/events",
            headers={"Authorization": f"Bearer {live_server.seat_token()}"},
        ).json()
        return [e["detail"] for e in events if e["kind"] == "live_face"]

    session_id = run_async(qasync_loop, scenario())
    assert trailed(session_id) == [
        {"status": "no_face", "faces": 0, "score": None, "threshold": 0.42, "seat_id": "demo"}
    ]
