"""Interop: CallSession's offer answered by real headless Chromium (the customer's browser), no server in between.

Chromium's answer arrives after its ICE gathering completes (as the customer page sends it); its fake camera and
microphone send media back. Checks codecs, ICE and decoding in both directions, and that Chromium's video sender
took the offer's start bitrate.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Iterator
from pathlib import Path

import av
import pytest
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from pydantic import BaseModel

from seat_client.call.ice import pin_ice_host_addresses
from seat_client.call.session import VIDEO_START_BITRATE_KBPS, CallSession
from seat_client.media.fake import FakeCameraPattern, FakeMicrophoneTone
from wire import SessionDescription

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium not installed")

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
]

ANSWER_JS = """
async (offer) => {
  const pc = new RTCPeerConnection({iceServers: []});
  window.vtPc = pc;
  window.vtFrames = 0;
  pc.ontrack = (ev) => {
    if (ev.track.kind !== 'video') return;
    const video = document.createElement('video');
    video.muted = true; video.autoplay = true; video.srcObject = new MediaStream([ev.track]);
    document.body.appendChild(video);
    const count = () => { window.vtFrames += 1; video.requestVideoFrameCallback(count); };
    video.requestVideoFrameCallback(count);
  };
  const media = await navigator.mediaDevices.getUserMedia({video: {width: 640, height: 480}, audio: true});
  await pc.setRemoteDescription({type: 'offer', sdp: offer});
  media.getTracks().forEach((t) => pc.addTrack(t, media));
  await pc.setLocalDescription(await pc.createAnswer());
  if (pc.iceGatheringState !== 'complete') {
    await new Promise((resolve) => {
      pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && resolve());
    });
  }
  return pc.localDescription.sdp;
}
"""

SEND_CODEC_FMTP_JS = """
async () => {
  const stats = await window.vtPc.getStats();
  let line = null;
  stats.forEach((r) => {
    if (r.type === 'outbound-rtp' && r.kind === 'video' && r.codecId) line = stats.get(r.codecId).sdpFmtpLine || '';
  });
  return line;
}
"""


@pytest.fixture(params=[None, ["127.0.0.1"]], ids=["all-interfaces", "pinned-loopback"])
def ice_pin(request: pytest.FixtureRequest) -> Iterator[None]:
    """Chromium gathers no loopback candidates; pinned to 127.0.0.1 the seat still connects (peer-reflexive)."""
    pin_ice_host_addresses(request.param)
    yield
    pin_ice_host_addresses(None)


@pytest.mark.usefixtures("ice_pin")
async def test_chromium_answers_and_media_flows_both_ways() -> None:
    from playwright.async_api import async_playwright

    seat_frames = {"video": 0, "audio": 0}
    tasks: list[asyncio.Task[None]] = []

    def consume(track: MediaStreamTrack) -> None:
        async def run() -> None:
            try:
                while True:
                    frame = await track.recv()
                    seat_frames[track.kind] += 1
                    if isinstance(frame, av.VideoFrame):
                        assert frame.width > 0
            except MediaStreamError:
                pass

        tasks.append(asyncio.ensure_future(run()))

    offers: list[str] = []

    async def send(message: BaseModel) -> None:
        assert isinstance(message, SessionDescription)
        offers.append(message.sdp)

    camera, mic = FakeCameraPattern(), FakeMicrophoneTone()
    session = CallSession("chromium-interop-1", send, camera, mic, on_track=consume)
    async with async_playwright() as pw:
        # launch() already uses a fresh temporary profile (it refuses --user-data-dir)
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page()
            # getUserMedia needs a secure context: serve a blank page as http://localhost/ (routed, no server)
            blank = "<html><body></body></html>"
            await page.route("http://localhost/", lambda route: route.fulfill(content_type="text/html", body=blank))
            await page.goto("http://localhost/")
            await session.start()
            answer = await page.evaluate(ANSWER_JS, offers[0])
            assert "a=candidate:" in answer
            await session.handle_remote(SessionDescription(sdp_type="answer", sdp=answer))
            async with asyncio.timeout(30):
                while seat_frames["video"] < 30 or await page.evaluate("window.vtFrames") < 30:
                    await asyncio.sleep(0.1)
            assert session.connection_state == "connected"
            assert seat_frames["audio"] > 0
            # the codec Chromium sends with carries the seat's start bitrate (it starts at 300 kbit/s otherwise)
            fmtp = await page.evaluate(SEND_CODEC_FMTP_JS)
            assert f"x-google-start-bitrate={VIDEO_START_BITRATE_KBPS}" in fmtp
        finally:
            await session.close()
            for task in tasks:
                task.cancel()
            camera.stop()
            mic.stop()
            await browser.close()
