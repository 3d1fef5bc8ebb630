"""The identity gates survive a crash of the real server process (SIGKILL) and its restart over the same data dir.

A customer passes the pre-check, queues, is answered, passes 联网核查; the seat's connection drops, so the customer is
re-queued at the front with that gate done; then the server process is killed. After the restart the customer's page
reconnects, a seat answers again, and the session resumes at face comparison: 联网核查 cannot be run again, and the
face comparison runs on the live frame the page sends. All through HTTP and WebSocket, as the page and seat do.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import cv2
import httpx
from websockets.asyncio.client import ClientConnection, connect

from server.bank.sandbox import demo_customer
from server.devtools.idcards import precheck_demo_customer
from tests.server_process import server_process

TIMEOUT = 30.0


class Socket:
    """A WebSocket that keeps what it received and waits for a message of one type."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.received: list[dict[str, Any]] = []

    async def next(self, kind: str, **fields: Any) -> dict[str, Any]:
        async with asyncio.timeout(TIMEOUT):
            while True:
                message = json.loads(await self.ws.recv())
                self.received.append(message)
                if message["type"] == kind and all(message.get(k) == v for k, v in fields.items()):
                    return dict(message)

    async def send(self, message: dict[str, Any]) -> None:
        await self.ws.send(json.dumps(message))


@contextlib.asynccontextmanager
async def socket(url: str, path: str) -> AsyncIterator[Socket]:
    async with connect(url.replace("http", "ws", 1) + path, max_size=4 * 1024 * 1024, open_timeout=TIMEOUT) as ws:
        yield Socket(ws)


async def seat_token(http: httpx.AsyncClient) -> str:
    res = await http.post("/api/auth/login", json={"seat_id": "demo", "password": "demo123"})
    res.raise_for_status()
    return str(res.json()["token"])


@contextlib.asynccontextmanager
async def answered(
    url: str, http: httpx.AsyncClient, customer: Socket, sid: str
) -> AsyncIterator[tuple[Socket, dict[str, str]]]:
    """Seat ``demo`` signs in, goes ready and answers the customer's call; its connection drops on exit."""
    token = await seat_token(http)
    async with socket(url, f"/ws/seat?token={token}") as seat:
        await seat.next("welcome")
        await seat.send({"type": "set_state", "state": "ready"})
        await seat.next("call_offered", session_id=sid)
        await seat.send({"type": "answer_call", "session_id": sid})
        await seat.next("call_answered")
        await customer.next("call_connected")
        yield seat, {"Authorization": f"Bearer {token}"}


def live_frame() -> bytes:
    """The demo customer in front of the camera, as the page's canvas posts it (JPEG, at most 640 px)."""
    image = cv2.imread(str(demo_customer("pass_all").live_sample))
    assert image is not None
    scale = min(1.0, 640 / max(image.shape[:2]))
    image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    return bytes(cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 85])[1].tobytes())


async def resume_at_face(
    http: httpx.AsyncClient, customer: Socket, sid: str, customer_token: str, headers: dict[str, str], data_dir: Path
) -> None:
    """The restored session: 联网核查 passed and final, its photo served (stored encrypted), face comparison next."""
    gates = (await http.get(f"/api/sessions/{sid}/gates", headers=headers)).json()
    assert gates["current_gate"] == "face", gates
    assert [g["status"] for g in gates["gates"][:2]] == ["passed", "passed"]
    again = await http.post(f"/api/sessions/{sid}/gates/network-check", headers=headers)
    assert again.status_code == 409 and "结果已记录" in again.json()["detail"]
    photo = await http.get(f"/api/sessions/{sid}/gates/photos/network_photo", headers=headers)
    registered = demo_customer("pass_all").registered_photo
    assert registered is not None
    assert photo.status_code == 200 and photo.content == registered.read_bytes()
    on_disk = (data_dir / "identity_photos" / sid / "network_photo").read_bytes()
    assert registered.read_bytes()[:64] not in on_disk  # stored encrypted

    async def page_answers_capture() -> None:
        request = await customer.next("capture_request")
        sent = await http.post(
            f"/api/customer/sessions/{sid}/frames",
            headers={"Authorization": f"Bearer {customer_token}"},
            data={"kind": "capture", "ref": request["request_id"]},
            files={"image": ("frame.jpg", live_frame(), "image/jpeg")},
        )
        assert sent.status_code == 200, sent.text

    page = asyncio.create_task(page_answers_capture())
    face = await http.post(f"/api/sessions/{sid}/gates/face", headers=headers)
    await asyncio.wait_for(page, TIMEOUT)
    assert face.status_code == 200 and face.json()["status"] == "passed", face.text
    assert face.json()["snapshot"]["current_gate"] == "liveness"


async def test_gates_survive_a_killed_server(tmp_path: Path) -> None:
    data_dir = tmp_path / "server-data"
    with server_process(data_dir, tmp_path / "first.log") as (url, proc):
        async with httpx.AsyncClient(base_url=url, timeout=60) as http:
            result = await precheck_demo_customer(http, "password_reset", "pass_all")
            assert result["passed"], result
            res = await http.post(
                "/api/customer/tickets", json={"business_type": "password_reset", "precheck_id": result["precheck_id"]}
            )
            assert res.status_code == 201, res.text
            ticket = res.json()
            sid, customer_token = ticket["session_id"], ticket["customer_token"]
            async with socket(url, ticket["websocket_path"]) as customer:
                await customer.next("queue_status")
                async with answered(url, http, customer, sid) as (_seat, headers):
                    checked = await http.post(f"/api/sessions/{sid}/gates/network-check", headers=headers)
                    assert checked.status_code == 200 and checked.json()["status"] == "passed", checked.text
                # the seat's connection dropped: the customer waits again, at the front
                await customer.next("notice", code="requeued")
                proc.kill()  # no shutdown: what is on disk now is all the next run gets
                proc.wait(timeout=10)

    with server_process(data_dir, tmp_path / "second.log") as (url, _proc):
        async with httpx.AsyncClient(base_url=url, timeout=60) as http:
            async with socket(url, f"/ws/customer/{sid}?token={customer_token}") as customer:
                await customer.next("queue_status")
                async with answered(url, http, customer, sid) as (_seat, headers):
                    await resume_at_face(http, customer, sid, customer_token, headers, data_dir)
            events = await http.get(f"/api/sessions/{sid}/events", headers=headers)
            assert events.status_code == 200, events.text
            kinds = [e["kind"] for e in events.json()]
            assert "requeued" in kinds and "gate.gates_restored" in kinds
