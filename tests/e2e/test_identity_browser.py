"""Identity gates end to end: a customer in real headless Chromium uploads ID-card photos through the H5 page, passes
the pre-check, queues, is answered by a seat, and the seat has the server run 联网核查 and the three-way face
comparison against a frame of the customer's own camera. Chromium's fake camera plays a Y4M file made at test time
from a sandbox portrait: the matching face passes; a second customer whose face does not match is stopped.

The seat is a plain HTTP + WebSocket client (the seat client's identity panels are built elsewhere); the server is
``python -m server --dev`` in its own process with the sandbox bank.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import cv2
import httpx
import numpy as np
import websockets

from server.bank.sandbox import portrait_path
from server.devtools.browser import launch_customer_browser
from server.devtools.pagewait import wait_for_js
from server.devtools.sim_customer import SimulatedCustomer
from tests.e2e.conftest import LiveServer

WIDTH, HEIGHT = 640, 480


def write_y4m(portrait: Path, path: Path, frames: int = 10) -> Path:
    """A still portrait as a Y4M clip (4:2:0, 640x480) for ``--use-file-for-fake-video-capture``."""
    image = cv2.imread(str(portrait))
    assert image is not None, portrait
    scale = min(WIDTH / image.shape[1], HEIGHT / image.shape[0])
    resized = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    canvas = np.full((HEIGHT, WIDTH, 3), 128, dtype=np.uint8)
    y0, x0 = (HEIGHT - resized.shape[0]) // 2, (WIDTH - resized.shape[1]) // 2
    canvas[y0 : y0 + resized.shape[0], x0 : x0 + resized.shape[1]] = resized
    planes = cv2.cvtColor(canvas, cv2.COLOR_BGR2YUV_I420).tobytes()
    with path.open("wb") as handle:
        handle.write(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F15:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            handle.write(b"FRAME\n" + planes)
    return path


class Seat:
    """The teller's side as HTTP + WebSocket calls."""

    def __init__(self, server: LiveServer) -> None:
        self.server = server
        self.token = server.seat_token()
        self.http = httpx.AsyncClient(
            base_url=server.url, headers={"Authorization": f"Bearer {self.token}"}, timeout=60.0
        )
        self.ws: Any = None
        self.received: list[dict[str, Any]] = []

    async def connect(self) -> None:
        self.ws = await websockets.connect(self.server.url.replace("http://", "ws://") + f"/ws/seat?token={self.token}")
        await self.expect("welcome")

    async def expect(self, kind: str, timeout: float = 60.0) -> dict[str, Any]:
        async with asyncio.timeout(timeout):
            while True:
                message = json.loads(await self.ws.recv())
                self.received.append(message)
                if message["type"] == kind:
                    return message

    async def ready(self) -> None:
        await self.ws.send(json.dumps({"type": "set_state", "state": "ready"}))

    async def answer(self) -> str:
        offered = await self.expect("call_offered")
        await self.ws.send(json.dumps({"type": "answer_call", "session_id": offered["session_id"]}))
        await self.expect("call_answered")
        return str(offered["session_id"])

    async def gate(self, sid: str, name: str) -> httpx.Response:
        return await self.http.post(f"/api/sessions/{sid}/gates/{name}")

    async def close(self) -> None:
        await self.ws.close()
        await self.http.aclose()


@asynccontextmanager
async def customer_with_camera(server: LiveServer, video: Path) -> AsyncIterator[SimulatedCustomer]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await launch_customer_browser(playwright, fake_video=video)
        try:
            customer = SimulatedCustomer(browser, server.url + "/")
            await customer.open()
            yield customer
        finally:
            await browser.close()


async def test_browser_customer_passes_face_with_own_camera_and_a_stranger_is_stopped(
    live_server: LiveServer, tmp_path: Path
) -> None:
    seat = Seat(live_server)
    await seat.connect()
    try:
        # 1. the right face: 李明华 (pass_all) in front of the camera
        matching = write_y4m(portrait_path("obama3.jpg"), tmp_path / "matching.y4m")
        async with customer_with_camera(live_server, matching) as customer:
            await seat.ready()
            sid = await customer.join("password_reset")
            assert await customer.state() == "queued"
            assert await seat.answer() == sid
            await customer.wait_for_state("connected")
            check = await seat.gate(sid, "network-check")
            assert check.status_code == 200 and check.json()["status"] == "passed", check.text
            photo = await seat.http.get(check.json()["photo_url"])
            assert photo.status_code == 200 and photo.content[:2] == b"\xff\xd8"
            captures = 0
            for _ in range(5):  # a capture with no face in it (camera still starting) uses no attempt: retry
                face = await seat.gate(sid, "face")
                captures += 1
                if not (face.status_code == 409 and face.json()["code"] == "no_face_in_capture"):
                    break
            assert face.status_code == 200, face.text
            assert face.json()["status"] == "passed", face.json()
            scores = face.json()["snapshot"]["gates"][2]["scores"]
            assert min(scores.values()) >= 0.42
            page = customer.page
            assert page is not None
            await wait_for_js(page, "window.vt.gates.some(g => g.gate === 'face' && g.status === 'passed')")
            assert await page.evaluate("window.vt.capturesSent") == captures
            assert "人脸比对已通过" in await page.inner_text("#gate-status")
            await seat.ws.send(json.dumps({"type": "hangup", "session_id": sid}))
            await customer.wait_for_state("ended")

        # 2. someone else holding 李明华's card: the face does not match, three tries, then acceptance ends
        stranger = write_y4m(portrait_path("biden.jpg"), tmp_path / "stranger.y4m")
        async with customer_with_camera(live_server, stranger) as customer:
            await seat.ready()
            sid = await customer.join("password_reset")
            assert await seat.answer() == sid
            await customer.wait_for_state("connected")
            assert (await seat.gate(sid, "network-check")).json()["status"] == "passed"
            results = []
            for _ in range(3):
                res = await seat.gate(sid, "face")
                assert res.status_code == 200, res.text
                results.append(res.json())
            assert [r["status"] for r in results] == ["pending", "pending", "failed"]
            assert all(r["snapshot"]["gates"][2]["status"] != "passed" for r in results)
            await customer.wait_for_state("ended")
            page = customer.page
            assert page is not None
            assert await page.inner_text("#ended-text") == (
                "人脸比对未通过,本次业务无法继续办理,请携带本人有效身份证件到我行网点柜面办理"
            )
            business = await seat.http.post(f"/api/sessions/{sid}/business", json={"params": {}})
            assert business.status_code == 403  # the call is over
            record = live_server.session_record(sid)
            assert record["end_reason"] == "failed"
    finally:
        await seat.close()
