"""One WebRTC call (one RTCPeerConnection per customer session); the seat makes the offer."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.contrib.media import MediaRelay
from aiortc.mediastreams import MediaStreamTrack
from aiortc.sdp import candidate_from_sdp
from pydantic import BaseModel

from seat_client.call import vp8
from wire import IceCandidate, SessionDescription

logger = logging.getLogger(__name__)
vp8.install()  # the teller's camera: aiortc's VP8 sender at about half the CPU (see seat_client/call/vp8.py)

VIDEO_START_BITRATE_KBPS = 1500
"""Bitrate the customer's browser starts its video at (``x-google-start-bitrate`` in the seat's offer).

Chromium starts a video sender at 300 kbit/s and picks its first resolution from that: a 1280x720 camera went out
as 640x360. aiortc's receiver-side estimate (REMB) then starts from what it receives and grows ~8 % a second, so
720p took ~20 s to arrive. At 1.5 Mbit/s VP8 sends 720p30 from the first frame; the estimate still lowers it at
once on a congested link (only the start is set: no minimum that would override congestion control)."""

_MEDIA_CODECS = {"vp8", "vp9", "h264", "av1"}
"""Video codecs that carry the bitrate hint (not rtx/red/ulpfec, which have no encoder of their own)."""

SendMessage = Callable[[BaseModel], Awaitable[None]]
TrackCallback = Callable[[MediaStreamTrack], None]
StateCallback = Callable[[str], None]


def with_video_start_bitrate(sdp: str, kbps: int = VIDEO_START_BITRATE_KBPS) -> str:
    """``sdp`` with ``x-google-start-bitrate=kbps`` on every video codec's ``a=fmtp`` line (added if missing).

    Chromium applies the ``x-google-*-bitrate`` parameters of the *remote* description to what it sends, so the
    seat's offer sets the customer's start bitrate. Other browsers ignore the unknown parameter (RFC 4566 fmtp
    parameters are codec-specific and unknown ones are skipped).
    """
    eol = "\r\n" if "\r\n" in sdp else "\n"
    lines = sdp.split(eol)
    out: list[str] = []
    in_video = False
    codec_lines: dict[str, int] = {}  # payload type -> index in out of its rtpmap line (current video section)
    fmtp_seen: set[str] = set()

    def close_section() -> None:
        # codecs of the finished video section that had no fmtp line: add one after their rtpmap
        for pt, index in sorted(codec_lines.items(), key=lambda kv: -kv[1]):
            if pt not in fmtp_seen:
                out.insert(index + 1, f"a=fmtp:{pt} x-google-start-bitrate={kbps}")
        codec_lines.clear()
        fmtp_seen.clear()

    for line in lines:
        if line.startswith("m="):
            if in_video:
                close_section()
            in_video = line.startswith("m=video")
        elif in_video and (match := re.match(r"a=rtpmap:(\d+) ([^/]+)/", line)):
            if match.group(2).lower() in _MEDIA_CODECS:
                codec_lines[match.group(1)] = len(out)
        elif in_video and (match := re.match(r"a=fmtp:(\d+) ", line)) and match.group(1) in codec_lines:
            fmtp_seen.add(match.group(1))
            if "x-google-start-bitrate" not in line:
                line = f"{line};x-google-start-bitrate={kbps}"
        out.append(line)
    if in_video:
        # the last section ends at the trailing empty string of the split: insert before it
        trailing = out.pop() if out and out[-1] == "" else None
        close_section()
        if trailing is not None:
            out.append(trailing)
    return eol.join(out)


@dataclass(frozen=True)
class CallStats:
    """Link quality of a call as the seat sees it (from ``getStats`` deltas).

    Attributes:
        rtt_ms: round-trip time reported by the customer's receiver reports, None before the first report.
        packets_lost: cumulative packets lost on what we receive.
        packets_received: cumulative packets received.
        loss_percent: lost / (lost + received) over the last interval, in percent.
        recv_kbps: received bitrate over the last interval (all media, transport level).
        send_kbps: sent bitrate over the last interval.
        recv_fps: remote video frames decoded per second over the last interval, None if no counter was given.
    """

    rtt_ms: float | None
    packets_lost: int
    packets_received: int
    loss_percent: float
    recv_kbps: float
    send_kbps: float
    recv_fps: float | None


class CallSession:
    """A seat-side WebRTC session for one customer call (视频通话).

    Lifecycle: :meth:`start` (creates the offer and sends it), then :meth:`handle_remote` for the customer's
    ``sdp`` answer and trickled ``ice``; remote tracks are handed to ``on_track``; :meth:`close` ends it.
    ICE servers are always empty: the bank network has no STUN/TURN and aiortc would otherwise call Google's.

    Args:
        session_id: the server's session id; in every log line.
        send: coroutine that sends a wire message to the server.
        video: the local camera track (shared through a MediaRelay, so the preview can consume it too).
        audio: the local microphone track, or None.
        on_track: called with each remote track (video and audio) as it arrives.
        on_state: called with the peer connection state (``connecting``, ``connected``, ``failed``, ``closed``).
        frames_decoded: optional callable returning the remote video frames decoded so far (for ``recv_fps``).
    """

    def __init__(
        self,
        session_id: str,
        send: SendMessage,
        video: MediaStreamTrack | None,
        audio: MediaStreamTrack | None,
        *,
        relay: MediaRelay | None = None,
        on_track: TrackCallback | None = None,
        on_state: StateCallback | None = None,
        frames_decoded: Callable[[], int] | None = None,
    ) -> None:
        self.session_id = session_id
        self._send = send
        self._video = video
        self._audio = audio
        self._relay = relay or MediaRelay()
        self._on_track = on_track
        self._on_state = on_state
        self._frames_decoded = frames_decoded
        self._pending_ice: list[IceCandidate] = []
        self._remote_set = False
        self._closed = False
        self._last_sample: tuple[float, int, int, int, int, int] | None = None
        self.remote_tracks: list[MediaStreamTrack] = []
        self._local_proxies: list[MediaStreamTrack] = []
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.pc.on("track", self._track_arrived)
        self.pc.on("connectionstatechange", self._state_changed)

    @property
    def connection_state(self) -> str:
        """The RTCPeerConnection's connection state."""
        return str(self.pc.connectionState)

    def _log(self, msg: str, *args: object, level: int = logging.INFO) -> None:
        logger.log(level, "[%s] " + msg, self.session_id, *args)

    def _track_arrived(self, track: MediaStreamTrack) -> None:
        self._log("remote %s track arrived", track.kind)
        self.remote_tracks.append(track)
        if self._on_track is not None:
            self._on_track(track)

    async def _state_changed(self) -> None:
        state = self.pc.connectionState
        self._log("peer connection %s", state)
        if self._on_state is not None:
            self._on_state(state)

    async def start(self) -> None:
        """Add the local tracks, create the offer (aiortc gathers all candidates first) and send it."""
        for kind, source in (("video", self._video), ("audio", self._audio)):
            if source is not None:
                proxy = self._relay.subscribe(source, buffered=False)
                self._local_proxies.append(proxy)
                self.pc.addTrack(proxy)
            else:
                self.pc.addTransceiver(kind, direction="recvonly")
        offer = await self.pc.createOffer()
        await self.pc.setLocalDescription(offer)
        sdp = with_video_start_bitrate(self.pc.localDescription.sdp)
        self._log("sending offer (%d bytes of SDP)", len(sdp))
        await self._send(SessionDescription(session_id=self.session_id, sdp_type="offer", sdp=sdp))

    async def handle_remote(self, message: SessionDescription | IceCandidate) -> None:
        """Apply the customer's answer or a trickled ICE candidate (candidates before the answer are held)."""
        if self._closed:
            return
        if isinstance(message, SessionDescription):
            if message.sdp_type != "answer":
                self._log("ignoring remote %s: the seat is the offerer", message.sdp_type, level=logging.WARNING)
                return
            await self.pc.setRemoteDescription(RTCSessionDescription(sdp=message.sdp, type="answer"))
            self._remote_set = True
            self._log("answer applied")
            pending, self._pending_ice = self._pending_ice, []
            for candidate in pending:
                await self._add_candidate(candidate)
        elif self._remote_set:
            await self._add_candidate(message)
        else:
            self._pending_ice.append(message)

    async def _add_candidate(self, message: IceCandidate) -> None:
        text = (message.candidate or "").strip()
        if not text:
            return  # end of candidates: aiortc needs nothing
        if text.startswith("candidate:"):
            text = text[len("candidate:") :]
        try:
            candidate = candidate_from_sdp(text)
        except (ValueError, IndexError):
            self._log("unparseable ICE candidate %r", text[:80], level=logging.WARNING)
            return
        candidate.sdpMid = message.sdp_mid
        candidate.sdpMLineIndex = message.sdp_mline_index
        if candidate.sdpMid is None and candidate.sdpMLineIndex is None:
            candidate.sdpMLineIndex = 0
        await self.pc.addIceCandidate(candidate)

    async def stats(self) -> CallStats:
        """Sample ``getStats`` and return the figures since the previous call."""
        report = await self.pc.getStats()
        rtt: float | None = None
        lost = received = 0
        bytes_in = bytes_out = 0
        for item in report.values():
            kind = getattr(item, "type", "")
            if kind == "inbound-rtp":
                lost += max(0, int(item.packetsLost))
                received += int(item.packetsReceived)
            elif kind == "remote-inbound-rtp" and item.roundTripTime is not None:
                rtt = max(rtt or 0.0, float(item.roundTripTime) * 1000)
            elif kind == "transport":
                bytes_in = max(bytes_in, int(item.bytesReceived))
                bytes_out = max(bytes_out, int(item.bytesSent))
        decoded = self._frames_decoded() if self._frames_decoded else 0
        now = time.monotonic()
        loss = recv_kbps = send_kbps = 0.0
        fps: float | None = None
        if self._last_sample is not None:
            t0, lost0, recv0, in0, out0, dec0 = self._last_sample
            dt = max(now - t0, 1e-6)
            d_lost, d_recv = lost - lost0, received - recv0
            loss = 100.0 * d_lost / (d_lost + d_recv) if d_lost + d_recv > 0 else 0.0
            recv_kbps = (bytes_in - in0) * 8 / dt / 1000
            send_kbps = (bytes_out - out0) * 8 / dt / 1000
            if self._frames_decoded is not None:
                fps = (decoded - dec0) / dt
        self._last_sample = (now, lost, received, bytes_in, bytes_out, decoded)
        return CallStats(rtt, lost, received, loss, recv_kbps, send_kbps, fps)

    async def close(self) -> None:
        """Close the peer connection and stop the remote tracks; safe to call twice."""
        if self._closed:
            return
        self._closed = True
        self._log("closing")
        try:
            await asyncio.wait_for(self.pc.close(), timeout=5)
        except TimeoutError:
            self._log("peer connection close timed out", level=logging.WARNING)
        for proxy in self._local_proxies:
            proxy.stop()  # unsubscribe from the relay; the camera itself stays on for the preview and the next call
