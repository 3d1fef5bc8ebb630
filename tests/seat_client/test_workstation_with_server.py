"""The workstation against the real server: a snapshot lands in the strip and is filed; a rejected signature
sends the customer the retry request; an accepted one is filed; the 话术 comes from the server."""

from __future__ import annotations

import math

import httpx
from pytestqt.qtbot import QtBot

from seat_client.app import build_seat_app
from seat_client.settings import SeatSettings
from server.devtools.idcards import demo_ticket
from tests.seat_client.conftest import run_async, sign_in_ready_and_ring, wait_until
from tests.seat_client.customer_sim import SimulatedCustomer


class TicketKeepingCustomer(SimulatedCustomer):
    """The simulated customer, also keeping the ticket's token (the page's signature calls need it)."""

    token = ""

    async def start(self) -> None:
        import websockets

        async with httpx.AsyncClient(base_url=self.server_url, timeout=60.0) as client:
            ticket = await demo_ticket(client, self.business_type)
        self.session_id, self.token = ticket["session_id"], ticket["customer_token"]
        self._ws = await websockets.connect(
            "ws://" + self.server_url.removeprefix("http://") + ticket["websocket_path"]
        )
        import asyncio

        self._tasks.append(asyncio.create_task(self._read()))


def _strokes(n: int) -> dict:
    pts = [{"x": 40 + i * 8, "y": 120 + 50 * math.sin(i / 3), "t": i * 15, "p": 0.5} for i in range(n)]
    return {"width": 600, "height": 240, "strokes": [{"points": pts}]}


def test_snapshot_and_signature_review_with_the_server(qtbot: QtBot, qasync_loop, settings: SeatSettings) -> None:  # type: ignore[no-untyped-def]
    seat = build_seat_app(settings)
    qtbot.addWidget(seat.window)
    qtbot.addWidget(seat.login_dialog)
    window, controller, service = seat.window, seat.controller, seat.workstation
    assert service is not None
    customer = TicketKeepingCustomer(settings.server_url, "password_reset")

    async def scenario() -> None:
        await sign_in_ready_and_ring(seat, customer)
        assert service.state.call is not None and service.state.call.business_type == "password_reset"
        window.call_panel.answer_button.click()
        await wait_until(lambda: controller.remote_pump.counters.drawn >= 5, timeout=30, message="customer video")
        await wait_until(lambda: service.state.script is not None, message="话术 loaded")
        assert service.state.script is not None and service.state.script.title == "密码重置话术"
        assert window.script_panel.steps.count() == len(service.state.script.steps)

        # 抓拍: the button captures the customer's frame at full resolution, the strip shows it, the server files it
        sent: list[str] = []
        service.snapshotSent.connect(sent.append)
        window.snapshot_strip.capture_button.click()
        await wait_until(lambda: sent == ["s1"], timeout=20, message="snapshot filed by the server")
        assert window.snapshot_strip.strip.count() == 1 and "已存证" in window.snapshot_strip.strip.item(0).text()
        entry = service.state.snapshots[0]
        assert (entry.snapshot.width, entry.snapshot.height) == (320, 240)  # the customer camera's own size
        headers = {"Authorization": f"Bearer {controller.connection.login_response.token}"}  # type: ignore[union-attr]
        async with httpx.AsyncClient(base_url=settings.server_url, headers=headers) as http:
            events = (await http.get(f"/api/sessions/{customer.session_id}/events")).json()
        assert any(e["kind"] == "snapshot" and e["detail"]["sha256"] == entry.snapshot.sha256 for e in events)

        # 签名: request, the customer signs, the teller rejects with a reason, the customer is asked again
        # The seat polls nothing until it asks for a signature; then the server's socket push brings the submission
        # (the fallback poll is pushed out to an hour here, so only the push can deliver it in time).
        assert not service._poll.isActive()
        window.work_tabs.setCurrentIndex(2)
        window.signature_panel.request_button.click()
        page = f"/api/customer/sessions/{customer.session_id}/signature"
        cust = {"Authorization": f"Bearer {customer.token}"}
        async with httpx.AsyncClient(base_url=settings.server_url, headers=cust) as http:
            await wait_until_async_status(http, page, "requested")
            await wait_until(lambda: service._poll.isActive(), message="fallback poll while asked to sign")
            service._poll.setInterval(3_600_000)
            assert (await http.post(page, json=_strokes(40))).status_code == 200
            await wait_until(lambda: window.signature_panel.reject_button.isEnabled(), message="signature shown")
            assert window.signature_panel.canvas.submission is not None
            window.signature_panel.reason_combo.setCurrentText("签名不完整,请签署全名")
            window.signature_panel.reject_button.click()
            status = await wait_until_async_status(http, page, "rejected")
            assert status["reason"] == "签名不完整,请签署全名"
            await wait_until(lambda: service._poll.isActive(), message="fallback poll while asked to sign again")
            service._poll.setInterval(3_600_000)
            assert (await http.post(page, json=_strokes(70))).status_code == 200
            await wait_until(lambda: service.state.signature.attempt == 2, message="second signature shown")
            window.signature_panel.accept_button.click()
            await wait_until_async_status(http, page, "accepted")
        await wait_until(lambda: service.state.signature.state == "accepted", message="accepted on the seat")
        assert not service._poll.isActive()
        texts = [e.text for e in service.state.timeline]
        assert any("签名已退回" in t for t in texts) and any("签名已确认" in t for t in texts)
        assert any("抓拍 s1 已存证" in t for t in texts)

        window.call_panel.hangup_button.click()
        await wait_until(lambda: service.state.phase == "wrap_up", message="wrap-up")
        assert window.work_tabs.currentIndex() == window.TABS.index("wrap_up")
        window.wrap_up_panel.finish_button.click()
        await wait_until(lambda: controller.seat_state == "ready", message="ready after wrap-up")
        await customer.close()
        await seat.close()

    try:
        run_async(qasync_loop, scenario(), timeout=120)
    finally:
        run_async(qasync_loop, customer.close())


async def wait_until_async_status(http: httpx.AsyncClient, url: str, state: str, timeout: float = 15.0) -> dict:
    """Poll the page's signature status (as the page does) until it reaches ``state``."""
    import asyncio

    async with asyncio.timeout(timeout):
        while True:
            body = (await http.get(url)).json()
            if body.get("state") == state:
                return dict(body)
            await asyncio.sleep(0.1)
