"""Remote audio output without a device: SilentAudioSink consumes and discards, never blocks."""

from __future__ import annotations

import asyncio

from seat_client.audio.output import SilentAudioSink
from seat_client.media.fake import FakeMicrophoneTone


async def test_silent_sink_consumes_and_discards() -> None:
    sink = SilentAudioSink()
    track = FakeMicrophoneTone()
    sink.attach(track)
    try:
        async with asyncio.timeout(10):
            while sink.frames_received < 5:
                await asyncio.sleep(0.02)
    finally:
        sink.close()
        track.stop()
    assert sink.frames_discarded >= 5
    assert sink.frames_played == 0
    assert "静音" in sink.description
