"""``python -m seat_client --self-test``: a loopback WebRTC call with the test pattern, for installers and CI.

Builds the Qt widgets offscreen-safe, then runs one CallSession against a plain aiortc peer in this process (ICE
pinned to 127.0.0.1) until 30 frames were decoded each way. Exit code 0 on success.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from pydantic import BaseModel

from seat_client.call.ice import pin_ice_host_addresses
from seat_client.call.session import CallSession
from seat_client.media.fake import FakeCameraPattern, FakeMicrophoneTone
from wire import SessionDescription

logger = logging.getLogger(__name__)

FRAMES_NEEDED = 30


async def loopback_call(timeout: float = 20.0) -> dict[str, int]:
    """Run the loopback call; returns the video frames each side decoded. Raises TimeoutError on failure."""
    pin_ice_host_addresses(["127.0.0.1"])
    counts = {"seat_received": 0, "peer_received": 0}
    tasks: list[asyncio.Task[None]] = []

    def counter(key: str):  # type: ignore[no-untyped-def]
        def on_track(track: MediaStreamTrack) -> None:
            if track.kind != "video":
                return

            async def run() -> None:
                with contextlib.suppress(MediaStreamError):
                    while True:
                        await track.recv()
                        counts[key] += 1

            tasks.append(asyncio.ensure_future(run()))

        return on_track

    peer = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    peer.on("track", counter("peer_received"))
    peer_camera = FakeCameraPattern(320, 240)
    seat_camera = FakeCameraPattern()
    session: CallSession

    async def relay_to_peer(message: BaseModel) -> None:
        assert isinstance(message, SessionDescription)
        await peer.setRemoteDescription(RTCSessionDescription(sdp=message.sdp, type="offer"))
        peer.addTrack(peer_camera)
        await peer.setLocalDescription(await peer.createAnswer())
        await session.handle_remote(SessionDescription(sdp_type="answer", sdp=peer.localDescription.sdp))

    session = CallSession(
        "self-test-0001", relay_to_peer, seat_camera, FakeMicrophoneTone(), on_track=counter("seat_received")
    )
    try:
        await session.start()
        async with asyncio.timeout(timeout):
            while min(counts.values()) < FRAMES_NEEDED:
                await asyncio.sleep(0.05)
    finally:
        await session.close()
        await peer.close()
        for task in tasks:
            task.cancel()
        seat_camera.stop()
        peer_camera.stop()
        pin_ice_host_addresses(None)
    return counts


def build_widgets() -> None:
    """Construct every window and dialog once (catches missing Qt plugins or generated UI modules)."""
    from seat_client.views.login_dialog import LoginDialog
    from seat_client.views.main_window import MainWindow

    for widget in (LoginDialog("http://127.0.0.1:8000", "demo"), MainWindow()):
        widget.grab()
        widget.deleteLater()
