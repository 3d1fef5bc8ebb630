"""The customer H5 page in real Chromium against the real server, with an aiortc peer playing the teller's seat."""

from __future__ import annotations

import asyncio
import fractions
import json
import shutil
import time
from collections.abc import AsyncIterator
from pathlib import Path

import av
import numpy as np
import pytest
from aiortc import MediaStreamTrack, RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from playwright.async_api import BrowserContext, FilePayload, Page, async_playwright

from server.devtools.idcards import demo_card_images, demo_key_for
from server.devtools.pagewait import wait_for_js
from tests.server.conftest import LiveServer

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-fake-device-for-media-stream",
]
pytestmark = pytest.mark.skipif(shutil.which(CHROMIUM) is None, reason="Debian chromium is not installed")


class FakeCameraPattern(MediaStreamTrack):
    """A fake teller camera: moving colour bars at 15 fps (stands in for the seat's camera hardware)."""

    kind = "video"

    def __init__(self) -> None:
        super().__init__()
        self._count = 0
        self._start: float | None = None

    async def recv(self) -> av.VideoFrame:
        if self._start is None:
            self._start = time.monotonic()
        due = self._start + self._count / 15
        await asyncio.sleep(max(0.0, due - time.monotonic()))  # pacing a media source, not waiting in a test
        image = np.zeros((240, 320, 3), dtype=np.uint8)
        image[:, :, 1] = np.roll(np.arange(320, dtype=np.uint8), self._count * 4)[None, :]
        frame = av.VideoFrame.from_ndarray(image, format="rgb24")
        frame.pts = self._count
        frame.time_base = fractions.Fraction(1, 15)
        self._count += 1
        return frame


@pytest.fixture
async def browser(tmp_path: Path) -> AsyncIterator[BrowserContext]:
    async with async_playwright() as playwright:
        context = await playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),
            executable_path=CHROMIUM,
            headless=True,
            args=[*FLAGS, "--use-fake-ui-for-media-stream"],
        )
        yield context
        await context.close()


async def open_page(context: BrowserContext, live: LiveServer) -> Page:
    page = await context.new_page()
    await page.goto(f"http://127.0.0.1:{live.port}/")
    await page.wait_for_selector("#bt-password_reset")
    return page


async def take_ticket(page: Page, business: str = "password_reset") -> str:
    """Pre-check through the page (a demo customer's ID-card photos in the file inputs), then take the ticket."""
    images = demo_card_images(demo_key_for(business))
    await page.click(f"label[for=bt-{business}]")
    front: FilePayload = {"name": "f.jpg", "mimeType": "image/jpeg", "buffer": images.front}
    back: FilePayload = {"name": "b.jpg", "mimeType": "image/jpeg", "buffer": images.back}
    await page.set_input_files("#id-front", files=[front])
    await page.set_input_files("#id-back", files=[back])
    await page.fill("#phone", images.phone)
    if images.account_for(business):
        await page.fill("#account-no", images.account_for(business))
    await page.click("#submit-precheck")
    await wait_for_js(page, "window.vt.state === 'prechecked'", timeout=60_000)
    assert "身份核验通过" in await page.inner_text("#precheck-result")
    await page.click("#take-ticket")
    await wait_for_js(page, "window.vt.state === 'queued' && window.vt.position !== null")
    return str(await page.evaluate("window.vt.sessionId"))


async def test_full_call_in_the_browser(browser: BrowserContext, live: LiveServer) -> None:
    page = await open_page(browser, live)
    sid = await take_ticket(page)
    assert "即将为您接通" in await page.inner_text("#queue-text")
    await wait_for_js(page, "window.vt.banners.includes('当前暂无坐席在线,请您稍候或稍后再来')")
    await wait_for_js(page, "document.getElementById('media-status').textContent.includes('已就绪')")

    seat = await live.seat("seat-a")
    offered = await seat.expect("call_offered", session_id=sid)
    assert offered["customer_name"] == "李*华"
    await seat.send({"type": "answer_call", "session_id": sid})
    await seat.expect("call_answered")
    await wait_for_js(page, "window.vt.state === 'connected'")
    assert await page.inner_text("#call-title") == "已接通 坐席 柜员甲"

    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    pc.addTrack(FakeCameraPattern())
    got_frame: asyncio.Future[av.VideoFrame] = asyncio.get_running_loop().create_future()

    pulls: list[asyncio.Task[None]] = []

    @pc.on("track")
    def on_track(track: MediaStreamTrack) -> None:
        async def pull() -> None:
            frame = await track.recv()
            if not got_frame.done() and isinstance(frame, av.VideoFrame):
                got_frame.set_result(frame)

        if track.kind == "video":
            pulls.append(asyncio.create_task(pull()))

    try:
        await pc.setLocalDescription(await pc.createOffer())
        await seat.send({"type": "sdp", "session_id": sid, "sdp_type": "offer", "sdp": pc.localDescription.sdp})
        answer = await seat.expect("sdp", timeout=15)
        assert answer["sdp_type"] == "answer" and "a=candidate" in answer["sdp"]  # complete, not trickled
        await pc.setRemoteDescription(RTCSessionDescription(sdp=answer["sdp"], type="answer"))
        frame = await asyncio.wait_for(got_frame, 20)  # the customer's camera reaches the teller
        assert frame.width > 0
        await wait_for_js(
            page,
            """async () => {
                const stats = await window.vt.pc.getStats();
                let decoded = 0;
                stats.forEach(r => {
                    if (r.type === 'inbound-rtp' && r.kind === 'video') decoded = r.framesDecoded || 0;
                });
                return decoded > 0;
            }""",
            timeout=20000,
        )  # the teller's video is decoded on the phone
        await seat.send({"type": "hangup", "session_id": sid})
        await seat.expect("call_ended", session_id=sid)
        await wait_for_js(page, "window.vt.state === 'ended'")
        assert await page.inner_text("#ended-text") == "坐席已挂断,通话结束"
        assert await page.evaluate("sessionStorage.length") == 0
    finally:
        await pc.close()
        for task in pulls:
            task.cancel()


async def test_hangup_button_and_reload_keep_place(browser: BrowserContext, live: LiveServer) -> None:
    first_customer, _sid1 = await live.customer()
    page = await open_page(browser, live)
    sid = await take_ticket(page, "sms_signing")
    assert "您前面还有 1 人" in await page.inner_text("#queue-text")
    await page.reload()  # the ticket survives a reload (sessionStorage) and the place is kept
    await wait_for_js(page, f"window.vt.sessionId === {json.dumps(sid)} && window.vt.position === 2")
    assert "您前面还有 1 人" in await page.inner_text("#queue-text")
    await first_customer.send({"type": "leave_queue"})
    await wait_for_js(page, "window.vt.position === 1")
    await page.click("#leave-queue")
    await wait_for_js(page, "window.vt.state === 'ended'")
    assert await page.inner_text("#ended-text") == "您已离开排队"
    assert (await live.record(sid))["end_reason"] == "customer_left_queue"


async def test_lost_connection_reconnects_with_the_same_ticket(browser: BrowserContext, live: LiveServer) -> None:
    page = await open_page(browser, live)
    sid = await take_ticket(page)
    coordinator = live.services.coordinator
    first_peer = coordinator.sessions[sid].peer
    first_peer.close(1011, "test: network lost")
    await wait_for_js(page, "window.vt.banners.includes('网络连接已断开,正在重连…')")
    await wait_for_js(page, "window.vt.messages.filter(m => m.type === 'queue_status').length >= 2", timeout=15000)
    assert coordinator.sessions[sid].peer is not None and coordinator.sessions[sid].peer is not first_peer
    assert await page.evaluate("window.vt.state") == "queued"


async def test_camera_denied_is_explained(tmp_path: Path, live: LiveServer) -> None:
    async with async_playwright() as playwright:
        context = await playwright.chromium.launch_persistent_context(
            str(tmp_path / "denied-profile"), executable_path=CHROMIUM, headless=True, args=FLAGS
        )
        try:
            page = await open_page(context, live)
            await take_ticket(page)
            await wait_for_js(
                page,
                "window.vt.banners.includes('无法使用摄像头/麦克风,请在浏览器设置中允许访问后重试')",
                timeout=15000,
            )
            assert await page.is_visible("#retry-media")
            assert await page.evaluate("window.vt.state") == "queued"  # the place in the queue is kept
        finally:
            await context.close()


async def test_bad_ticket_in_storage_is_cleared(browser: BrowserContext, live: LiveServer) -> None:
    page = await open_page(browser, live)
    await page.evaluate(
        "sessionStorage.setItem('videoteller.session', JSON.stringify({sessionId: 'sNoSuchSession1', token: 'x'}))"
    )
    await page.reload()
    await wait_for_js(page, "window.vt.state === 'ended'")
    assert "重新取号" in await page.inner_text("#ended-text")
    assert await page.evaluate("sessionStorage.length") == 0
