"""话后小结 from the workstation to the real server: sent when wrap-up ends, kept and retried through an outage, kept
as refused when the server says no; the teller is told each time and the text is never lost."""

from __future__ import annotations

import asyncio
import json
import socket

import httpx
import websockets
from pytestqt.qtbot import QtBot

from seat_client.app import build_seat_app
from seat_client.settings import SeatSettings
from seat_client.workstation.api import WorkstationApi
from server.devtools.idcards import demo_ticket
from tests.seat_client.conftest import run_async, sign_in_ready_and_ring, wait_until
from tests.seat_client.customer_sim import SimulatedCustomer


def _closed_port() -> int:
    """A local port nothing listens on (connections are refused: a real outage, not a mock)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _left_the_queue(server_url: str) -> dict:
    """A customer takes a ticket and leaves the queue at once (nothing stays queued for later tests)."""
    async with httpx.AsyncClient(base_url=server_url, timeout=60) as anonymous:
        ticket = await demo_ticket(anonymous, "password_reset")
    async with websockets.connect("ws://" + server_url.removeprefix("http://") + ticket["websocket_path"]) as ws:
        await ws.send(json.dumps({"type": "leave_queue"}))
        async with asyncio.timeout(10):
            async for _raw in ws:  # the server closes the socket once the session ended
                pass
    return dict(ticket)


def test_notes_survive_an_outage_and_reach_the_session_record(  # type: ignore[no-untyped-def]
    qtbot: QtBot, qasync_loop, settings: SeatSettings
) -> None:
    seat = build_seat_app(settings)
    qtbot.addWidget(seat.window)
    qtbot.addWidget(seat.login_dialog)
    window, controller, service = seat.window, seat.controller, seat.workstation
    assert service is not None
    service.notes_retry_s = (0.2, 1.0)
    customer = SimulatedCustomer(settings.server_url, "password_reset")
    panel = window.wrap_up_panel
    messages: list[str] = []
    service.message.connect(messages.append)

    async def scenario() -> None:
        await sign_in_ready_and_ring(seat, customer)
        window.call_panel.answer_button.click()
        await wait_until(lambda: service.state.phase == "in_call", timeout=30, message="in call")
        assert not panel.notes.isEnabled()  # notes only once the call ended
        window.call_panel.hangup_button.click()
        await wait_until(lambda: service.state.phase == "wrap_up", message="wrap-up")
        assert window.work_tabs.currentIndex() == window.TABS.index("wrap_up") and panel.notes.isEnabled()

        # the server becomes unreachable for this seat; the teller finishes wrap-up anyway
        real_api = service.api
        assert real_api is not None and controller.connection is not None
        token = controller.connection.login_response.token  # type: ignore[union-attr]
        service.api = WorkstationApi(f"http://127.0.0.1:{_closed_port()}", token)
        text = "客户忘记登录密码,已在手机页面重置;提醒客户妥善保管。"
        panel.notes.setPlainText(text)
        assert panel.counter_label.text() == f"{len(text)}/2000"
        panel.finish_button.click()
        await wait_until(lambda: any("将自动重试" in m for m in messages), message="the teller is told")
        assert service.state.notes_pending == 1 and "待提交" in panel.outbox_label.text()
        kept = json.loads(service.outbox.path.read_text(encoding="utf-8"))
        assert [k["notes"] for k in kept] == [text] and kept[0]["session_id"] == customer.session_id
        await wait_until(lambda: controller.seat_state == "ready", message="wrap-up ended, seat ready")
        assert service.state.phase == "idle" and panel.notes.toPlainText() == ""

        # the server is back: the scheduled retry sends it (no click needed)
        outage_api = service.api
        service.api = real_api
        await outage_api.aclose()
        stored: list[tuple[str, int]] = []
        service.notesSent.connect(lambda sid, rev: stored.append((sid, rev)))
        await wait_until(lambda: stored == [(customer.session_id, 1)], timeout=20, message="retry stored it")
        assert service.state.notes_pending == 0 and service.outbox.items() == []
        assert "已提交" in panel.outbox_label.text()
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(base_url=settings.server_url, headers=headers) as http:
            record = (await http.get(f"/api/sessions/{customer.session_id}")).json()
            assert record["wrap_up"]["notes"] == text and record["wrap_up"]["seat_id"] == "demo"
            events = (await http.get(f"/api/sessions/{customer.session_id}/events")).json()
            assert [e["detail"]["notes"] for e in events if e["kind"] == "wrap_up.notes"] == [text]

            # notes for a session this seat never answered (a customer who left the queue): refused for good, kept
            # on disk, the teller told
            other = await _left_the_queue(settings.server_url)
            service.outbox.add(other["session_id"], "demo", "误填到别的会话")
            assert await service.send_pending_notes() == 0
            assert service.state.notes_refused == 1 and "未被服务器接受" in panel.outbox_label.text()
            assert any("未被服务器接受" in m and "不由本坐席受理" in m for m in messages)
            refused = json.loads(service.outbox.path.read_text(encoding="utf-8"))
            assert refused[0]["notes"] == "误填到别的会话" and refused[0]["refused"] is True
            other_record = (await http.get(f"/api/sessions/{other['session_id']}")).json()
            assert other_record["status"] == "ended" and other_record["wrap_up"] is None
        await customer.close()
        await seat.close()

    try:
        run_async(qasync_loop, scenario(), timeout=120)
    finally:
        run_async(qasync_loop, customer.close())
