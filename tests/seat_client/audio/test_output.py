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


def test_qt_output_without_a_device_discards_instead_of_blocking(qapp) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtMultimedia import QMediaDevices

    from seat_client.audio.output import QtAudioOutput, create_audio_output

    output = QtAudioOutput()  # forced even though this machine has no output device
    try:
        for _ in range(5):
            output.play(b"\x00\x00" * 960)
        assert output.frames_played == 0 and output.frames_discarded == 5
    finally:
        output.close()
    chosen = create_audio_output()
    assert isinstance(chosen, SilentAudioSink) == QMediaDevices.defaultAudioOutput().isNull()
    chosen.close()
