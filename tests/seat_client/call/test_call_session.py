"""A real aiortc-to-aiortc call through CallSession over loopback (ICE pinned to 127.0.0.1), no Qt."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import av
import pytest
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from pydantic import BaseModel

from seat_client.call.ice import pin_ice_host_addresses, pinned_ice_host_addresses
from seat_client.call.session import CallSession, with_video_start_bitrate
from seat_client.media.fake import FakeCameraPattern, FakeMicrophoneTone
from wire import IceCandidate, SessionDescription

SESSION_ID = "sess-test-0001"


@pytest.fixture(autouse=True)
def _pin_loopback() -> Iterator[None]:
    pin_ice_host_addresses(["127.0.0.1"])
    yield
    pin_ice_host_addresses(None)


class FrameCounter:
    """Consumes a track and counts what arrives (the customer side of the test)."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {"video": 0, "audio": 0}
        self.sizes: set[tuple[int, int]] = set()
        self.tasks: list[asyncio.Task[None]] = []

    def consume(self, track: MediaStreamTrack) -> None:
        self.tasks.append(asyncio.ensure_future(self._run(track)))

    async def _run(self, track: MediaStreamTrack) -> None:
        try:
            while True:
                frame = await track.recv()
                self.counts[track.kind] += 1
                if isinstance(frame, av.VideoFrame):
                    self.sizes.add((frame.width, frame.height))
        except MediaStreamError:
            pass


class CustomerPeer:
    """A plain aiortc peer standing in for the customer's browser: answers, trickles ICE, sends a pattern."""

    def __init__(self) -> None:
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.camera = FakeCameraPattern(320, 240)
        self.counter = FrameCounter()
        self.pc.on("track", self.counter.consume)
        self.session: CallSession | None = None

    async def on_seat_message(self, message: BaseModel) -> None:
        assert self.session is not None
        assert isinstance(message, SessionDescription)
        assert message.session_id == SESSION_ID and message.sdp_type == "offer"
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=message.sdp, type="offer"))
        self.pc.addTrack(self.camera)
        self.pc.addTrack(FakeMicrophoneTone(frequency=660))
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        sdp = self.pc.localDescription.sdp
        # trickle our candidates BEFORE the answer, as a browser may: the session must hold them
        mid: str | None = None
        for line in sdp.splitlines():
            if line.startswith("a=mid:"):
                mid = line[len("a=mid:") :]
            elif line.startswith("a=candidate:"):
                await self.session.handle_remote(IceCandidate(candidate=line[2:], sdp_mid=mid))
        await self.session.handle_remote(IceCandidate(candidate="", sdp_mid=mid))
        await self.session.handle_remote(SessionDescription(sdp_type="answer", sdp=sdp))


async def wait_until(predicate, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.05)


async def test_call_decodes_frames_both_ways() -> None:
    assert pinned_ice_host_addresses() == ["127.0.0.1"]
    customer = CustomerPeer()
    seat_received = FrameCounter()
    states: list[str] = []
    camera = FakeCameraPattern()
    session = CallSession(
        SESSION_ID,
        customer.on_seat_message,
        camera,
        FakeMicrophoneTone(),
        on_track=seat_received.consume,
        on_state=states.append,
        frames_decoded=lambda: seat_received.counts["video"],
    )
    customer.session = session
    try:
        await session.start()
        offer = session.pc.localDescription.sdp
        host_candidates = [ln for ln in offer.splitlines() if ln.startswith("a=candidate:") and "typ host" in ln]
        assert host_candidates and all(" 127.0.0.1 " in ln for ln in host_candidates)

        await wait_until(
            lambda: (
                seat_received.counts["video"] >= 30
                and customer.counter.counts["video"] >= 30
                and seat_received.counts["audio"] > 0
                and customer.counter.counts["audio"] > 0
            )
        )
        assert "connected" in states
        assert seat_received.sizes == {(320, 240)}
        assert customer.counter.sizes == {(640, 480)}

        await session.stats()
        await wait_until(lambda: seat_received.counts["video"] >= 45)
        stats = await session.stats()
        assert stats.packets_received > 0
        assert stats.recv_kbps > 0 and stats.send_kbps > 0
        assert stats.recv_fps is not None and stats.recv_fps > 0
    finally:
        await session.close()
        await customer.pc.close()
        proxies_ended = all(p.readyState == "ended" for p in session._local_proxies)
        camera_live = camera.readyState == "live"
        camera.stop()
        customer.camera.stop()
    assert session.connection_state == "closed"
    assert len(session._local_proxies) == 2 and proxies_ended  # unsubscribed from the relay
    assert camera_live  # the camera outlives the call (preview, next call)
    await session.close()  # idempotent


async def test_offer_without_local_media_is_receive_only() -> None:
    sent: list[BaseModel] = []

    async def send(message: BaseModel) -> None:
        sent.append(message)

    session = CallSession(SESSION_ID, send, None, None)
    try:
        await session.start()
    finally:
        await session.close()
    assert len(sent) == 1
    offer = sent[0]
    assert isinstance(offer, SessionDescription)
    assert offer.sdp.count("a=recvonly") == 2


async def test_unparseable_candidate_is_ignored() -> None:
    async def send(message: BaseModel) -> None:
        return None

    session = CallSession(SESSION_ID, send, None, None)
    try:
        await session.start()
        await session.handle_remote(SessionDescription(sdp_type="offer", sdp="v=0"))  # wrong direction: ignored
        await session.handle_remote(IceCandidate(candidate="candidate:garbage", sdp_mid="0"))
        assert session._pending_ice  # held until the answer arrives
    finally:
        await session.close()


def test_start_bitrate_goes_on_every_video_codec_and_nothing_else() -> None:
    offer = "\r\n".join(
        [
            "v=0",
            "m=video 9 UDP/TLS/RTP/SAVPF 97 98 99 100",
            "a=rtpmap:97 VP8/90000",
            "a=rtcp-fb:97 goog-remb",
            "a=rtpmap:98 rtx/90000",
            "a=fmtp:98 apt=97",
            "a=rtpmap:99 H264/90000",
            "a=fmtp:99 packetization-mode=1;profile-level-id=42001f",
            "a=rtpmap:100 rtx/90000",
            "a=fmtp:100 apt=99",
            "m=audio 9 UDP/TLS/RTP/SAVPF 96",
            "a=rtpmap:96 opus/48000/2",
            "a=fmtp:96 minptime=10",
            "",
        ]
    )
    munged = with_video_start_bitrate(offer, 1234)
    lines = munged.split("\r\n")
    assert lines[-1] == "" and "\n" not in munged.replace("\r\n", "")  # line endings kept
    assert lines[lines.index("a=rtpmap:97 VP8/90000") + 1] == "a=fmtp:97 x-google-start-bitrate=1234"
    assert "a=fmtp:99 packetization-mode=1;profile-level-id=42001f;x-google-start-bitrate=1234" in lines
    assert "a=fmtp:98 apt=97" in lines and "a=fmtp:100 apt=99" in lines  # retransmission codecs untouched
    assert "a=fmtp:96 minptime=10" in lines  # audio untouched
    assert munged.count("x-google-start-bitrate") == 2
    assert with_video_start_bitrate(munged, 1234) == munged  # applied once


def test_start_bitrate_added_when_video_is_the_last_section() -> None:
    offer = "v=0\nm=video 9 UDP/TLS/RTP/SAVPF 97\na=rtpmap:97 VP8/90000\n"
    assert with_video_start_bitrate(offer, 900) == (
        "v=0\nm=video 9 UDP/TLS/RTP/SAVPF 97\na=rtpmap:97 VP8/90000\na=fmtp:97 x-google-start-bitrate=900\n"
    )
