"""``RingSound``: loops the ring WAV with QtMultimedia's QSoundEffect while a call is offered (来电振铃)."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QObject, QUrl, Slot
from PySide6.QtMultimedia import QMediaDevices, QSoundEffect

from seat_client.workstation.ring import default_ring_path

logger = logging.getLogger(__name__)

RING_VOLUME = 0.8


def has_audio_output() -> bool:
    """Whether the system offers an audio output device (none on a headless test machine)."""
    return bool(QMediaDevices.audioOutputs())


class RingSound(QObject):
    """Starts and stops the ring; the binder calls :meth:`start` when an offer rings and :meth:`stop` on answer,
    decline, withdrawal or timeout.

    Without an audio output device the effect is not loaded (QSoundEffect would only report an error) and the call
    rings silently: the ringing prompt and the tray notification still show. :attr:`ringing` says whether a ring is
    due, whatever the device.

    Args:
        parent: the owning QObject.
        enabled: play at all (the ``ring_sound`` setting).
        source: the WAV (default ``resources/sounds/ring.wav``).
        require_device: load the sound only when an output device exists (tests on a headless machine pass False
            to inspect the effect).
    """

    def __init__(
        self,
        parent: QObject | None = None,
        *,
        enabled: bool = True,
        source: Path | None = None,
        require_device: bool = True,
    ) -> None:
        super().__init__(parent)
        self.enabled = enabled
        self.ringing = False
        self.effect = QSoundEffect(self)
        self.effect.setLoopCount(QSoundEffect.Loop.Infinite.value)
        self.effect.setVolume(RING_VOLUME)
        self.source_url = QUrl()
        try:
            self.source_url = QUrl.fromLocalFile(str(source or default_ring_path()))
        except FileNotFoundError:
            logger.warning("ring sound missing from the resources: incoming calls ring silently")
        self._require_device = require_device
        self._loaded = False
        self._load()
        QMediaDevices(self).audioOutputsChanged.connect(self._load)

    @Slot()
    def _load(self) -> None:
        """Give the effect its source once there is a device to play it on (and the file exists)."""
        if self._loaded or self.source_url.isEmpty():
            return
        if self._require_device and not has_audio_output():
            logger.info("no audio output device: incoming calls ring silently")
            return
        self.effect.setSource(self.source_url)
        self._loaded = True
        if self.ringing and self.enabled:
            self.effect.play()

    @property
    def playing(self) -> bool:
        """Whether the effect is producing sound now (False without a device)."""
        return self.effect.isPlaying()

    def set_enabled(self, enabled: bool) -> None:
        """Mute (False) or unmute; muting stops a ring in progress."""
        self.enabled = enabled
        if not enabled:
            self.effect.stop()
        elif self.ringing and self._loaded:
            self.effect.play()

    @Slot()
    def start(self) -> None:
        """An offer rings: loop the ring until :meth:`stop`."""
        if self.ringing:
            return
        self.ringing = True
        if self.enabled and self._loaded:
            self.effect.play()
        logger.debug("ring started (sound %s)", "on" if self.enabled and self._loaded else "off")

    @Slot()
    def stop(self) -> None:
        """Answered, declined, withdrawn or timed out: silence."""
        if not self.ringing:
            return
        self.ringing = False
        self.effect.stop()
        logger.debug("ring stopped")
