"""Play the customer's audio: ``QtAudioOutput`` (QAudioSink, 48 kHz s16 mono) or ``SilentAudioSink``.

This is a service, not a widget: the controller attaches the remote audio track; nothing here ever blocks (a full
device buffer means the 20 ms chunk is discarded and counted).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import av
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from PySide6.QtCore import QIODevice
from PySide6.QtMultimedia import QAudio, QAudioFormat, QAudioSink, QMediaDevices

logger = logging.getLogger(__name__)

SAMPLE_RATE = 48000


class RemoteAudioOutput:
    """Consumes a remote audio track on the event loop and hands PCM to :meth:`play`.

    Attributes:
        frames_received: audio frames taken from the track.
        frames_played: frames written to the device.
        frames_discarded: frames thrown away (no device, or its buffer was full).
    """

    def __init__(self) -> None:
        self.frames_received = 0
        self.frames_played = 0
        self.frames_discarded = 0
        self._task: asyncio.Task[None] | None = None
        self._resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
        self.on_frame: Callable[[av.AudioFrame], None] | None = None
        """Optional tap called on the event loop with every decoded frame (must not block)."""

    @property
    def description(self) -> str:
        """What the status bar shows."""
        return type(self).__name__

    def attach(self, track: MediaStreamTrack) -> None:
        """Start consuming ``track``."""
        self.detach()
        self._resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
        self._task = asyncio.get_running_loop().create_task(self._consume(track), name="remote-audio")

    def detach(self) -> None:
        """Stop consuming."""
        if self._task is not None:
            self._task.cancel()
            self._task = None

    async def _consume(self, track: MediaStreamTrack) -> None:
        try:
            while True:
                frame = await track.recv()
                assert isinstance(frame, av.AudioFrame)
                self.frames_received += 1
                if self.on_frame is not None:
                    self.on_frame(frame)
                for out in self._resampler.resample(frame):
                    self.play(bytes(out.planes[0])[: out.samples * 2])
        except MediaStreamError:
            logger.info("remote audio track ended")
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("remote audio failed")

    def play(self, pcm: bytes) -> None:
        """Output one chunk of s16 mono 48 kHz PCM without blocking."""
        self.frames_discarded += 1

    def close(self) -> None:
        """Release the device."""
        self.detach()


class SilentAudioSink(RemoteAudioOutput):
    """No audio output device: consumes the customer's audio and discards it (counted in ``frames_discarded``)."""

    @property
    def description(self) -> str:
        """What the status bar shows."""
        return "无音频输出设备(静音)"


class QtAudioOutput(RemoteAudioOutput):
    """Plays through Qt Multimedia's QAudioSink in push mode (48 kHz, mono, Int16)."""

    def __init__(self) -> None:
        super().__init__()
        fmt = QAudioFormat()
        fmt.setSampleRate(SAMPLE_RATE)
        fmt.setChannelCount(1)
        fmt.setSampleFormat(QAudioFormat.SampleFormat.Int16)
        self._device_info = QMediaDevices.defaultAudioOutput()
        self._sink = QAudioSink(self._device_info, fmt)
        self._sink.setBufferSize(SAMPLE_RATE * 2 // 5)  # 200 ms
        self._io: QIODevice | None = self._sink.start()

    @property
    def description(self) -> str:
        """What the status bar shows."""
        return self._device_info.description()

    def play(self, pcm: bytes) -> None:
        """Write if the device has room, else discard (never block)."""
        if self._io is None or self._sink.state() == QAudio.State.StoppedState or self._sink.bytesFree() < len(pcm):
            self.frames_discarded += 1
            return
        self._io.write(pcm)
        self.frames_played += 1

    def close(self) -> None:
        """Stop the sink."""
        super().close()
        self._sink.stop()
        self._io = None


def create_audio_output() -> RemoteAudioOutput:
    """A :class:`QtAudioOutput` when the system has an output device, else a :class:`SilentAudioSink`."""
    try:
        device = QMediaDevices.defaultAudioOutput()
        if not device.isNull():
            return QtAudioOutput()
    except Exception:
        logger.exception("audio output unavailable")
    logger.warning("no audio output device: the customer's audio is discarded (SilentAudioSink)")
    return SilentAudioSink()
