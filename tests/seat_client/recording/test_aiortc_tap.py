"""Recording frames exactly as aiortc delivers them: a real loopback WebRTC call (VP8 + Opus) feeds the recorder."""

from __future__ import annotations

import asyncio
import fractions
import time
from pathlib import Path

import av
import numpy as np
from aiortc import RTCConfiguration, RTCPeerConnection, VideoStreamTrack
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from seat_client.recording.recorder import CallRecorder, MediaSource, RecorderConfig, RecorderState
from seat_client.recording.spool import SegmentSpool

from .helpers import decode_mp4, decrypt_file, pattern_frame, tone_energy


class FakeCameraPattern(VideoStreamTrack):
    """Stands in for the customer's phone camera: a moving bar at 320x240."""

    def __init__(self) -> None:
        super().__init__()
        self.index = 0

    async def recv(self) -> av.VideoFrame:
        pts, time_base = await self.next_timestamp()
        frame = pattern_frame(320, 240, self.index)
        self.index += 1
        frame.pts = pts
        frame.time_base = time_base
        return frame


class FakeMicrophoneTone(MediaStreamTrack):
    """Stands in for the customer's microphone: a 440 Hz tone in 20 ms frames, paced in real time."""

    kind = "audio"

    def __init__(self) -> None:
        super().__init__()
        self.samples = 0
        self.start: float | None = None

    async def recv(self) -> av.AudioFrame:
        if self.start is None:
            self.start = time.monotonic()
        else:
            delay = self.start + self.samples / 48000 - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)  # pacing like a sound card, not a test wait
        t = np.arange(self.samples, self.samples + 960) / 48000
        mono = (np.sin(2 * np.pi * 440 * t) * 8000).astype(np.int16).reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(mono, format="s16", layout="mono")
        frame.sample_rate = 48000
        frame.pts = self.samples
        frame.time_base = fractions.Fraction(1, 48000)
        self.samples += 960
        return frame


async def test_recorder_takes_aiortc_frames(tmp_path: Path, server_key: X25519PrivateKey) -> None:
    cfg = RecorderConfig(session_id="S-RTC", seat_id="seat-1", width=320, height=180, segment_seconds=1.0)
    rec = CallRecorder(cfg, server_key.public_key(), SegmentSpool(tmp_path))
    customer = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    seat = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    customer.addTrack(FakeCameraPattern())
    customer.addTrack(FakeMicrophoneTone())
    consumers: list[asyncio.Task[None]] = []
    kinds_seen: set[str] = set()

    async def consume(track: MediaStreamTrack) -> None:
        try:
            while True:
                frame = await track.recv()
                kinds_seen.add(track.kind)
                if isinstance(frame, av.VideoFrame):
                    rec.push_video(MediaSource.CUSTOMER, frame)
                elif isinstance(frame, av.AudioFrame):
                    rec.push_audio(MediaSource.CUSTOMER, frame)
        except MediaStreamError:
            return

    @seat.on("track")
    def on_track(track: MediaStreamTrack) -> None:
        consumers.append(asyncio.ensure_future(consume(track)))

    rec.start()
    try:
        await customer.setLocalDescription(await customer.createOffer())
        await seat.setRemoteDescription(customer.localDescription)
        await seat.setLocalDescription(await seat.createAnswer())
        await customer.setRemoteDescription(seat.localDescription)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 30
        while rec.stats.frames_encoded < 75 or kinds_seen != {"video", "audio"}:
            assert loop.time() < deadline, f"recorder got {rec.stats} from aiortc"
            rec.push_video(MediaSource.TELLER, pattern_frame(160, 120, rec.stats.frames_encoded, shade=40))
            await asyncio.sleep(1 / 30)
    finally:
        for task in consumers:
            task.cancel()
        await customer.close()
        await seat.close()
        segments = await asyncio.get_running_loop().run_in_executor(None, rec.stop)
    assert rec.state == RecorderState.STOPPED
    assert rec.stats.video_frames_in > 30 and rec.stats.audio_frames_in > 50
    assert len(segments) >= 2
    _meta, mp4 = decrypt_file(segments[1].path, server_key)
    dec = decode_mp4(mp4, keep_frames=True)
    assert len(dec.video_pts) == segments[1].frames
    assert tone_energy(dec.audio, dec.audio_rate, 440.0) > 100
    # The customer's moving bar (decoded VP8) is in the picture, not just black.
    assert dec.frames[-1][20:160, 40:280].max() > 150
