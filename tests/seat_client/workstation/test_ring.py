"""The ring: the shipped WAV is the generator's two-tone trill, and QSoundEffect rings with the offer and stops on
answer, decline and timeout (offscreen there is no audio device: the effect's source and loop settings and the
ringing state are checked, not sound)."""

from __future__ import annotations

import io
import wave

import numpy as np
import pytest
from pytestqt.qtbot import QtBot

from seat_client.app import build_seat_app
from seat_client.settings import SeatSettings
from seat_client.workstation import ring
from seat_client.workstation.binding import WorkstationBinder
from seat_client.workstation.ringer import RingSound, has_audio_output
from seat_client.workstation.state import CallInfo
from tests.seat_client.conftest import KNOWN_QT_NOISE

NO_DEVICE = (*KNOWN_QT_NOISE, r"QSoundEffect: playback of this format is not supported", r"Couldn.t (load|resolve) va")
"""The seat tests' known noise plus what QtMultimedia says when a QSoundEffect gets a source on a machine without
an audio output device or VA-API (a marker on the test replaces the conftest's list, so it repeats it)."""


def test_shipped_wav_is_the_generated_two_tone_ring() -> None:
    shipped = ring.default_ring_path().read_bytes()
    assert shipped == ring.ring_wav_bytes(), "regenerate: python -m seat_client.workstation.ring"
    with wave.open(io.BytesIO(shipped)) as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, ring.SAMPLE_RATE)
        samples = np.frombuffer(wav.readframes(wav.getnframes()), "<i2").astype(float)
    assert len(samples) / ring.SAMPLE_RATE == pytest.approx(ring.CYCLE_S)
    assert samples[0] == samples[-1] == 0  # silent at both ends: the loop joins without a click
    first_burst = samples[: int(0.6 * ring.SAMPLE_RATE)]
    spectrum = np.abs(np.fft.rfft(first_burst))
    freqs = np.fft.rfftfreq(len(first_burst), 1 / ring.SAMPLE_RATE)
    strongest = sorted({round(float(freqs[i]) / 10) * 10 for i in np.argsort(spectrum)[-12:]})
    assert any(abs(f - 784) <= 20 for f in strongest) and any(abs(f - 988) <= 20 for f in strongest), strongest
    assert 0.4 < np.max(np.abs(samples)) / 32767 < 0.5


@pytest.fixture
def seat(qtbot: QtBot, qasync_loop, tmp_path):  # type: ignore[no-untyped-def]
    app = build_seat_app(SeatSettings(seat_id="T001", camera="fake-pattern", microphone="fake-tone"))
    qtbot.addWidget(app.window)
    qtbot.addWidget(app.login_dialog)
    yield app
    qasync_loop.run_until_complete(app.controller.shutdown())


def _binder(seat) -> WorkstationBinder:  # type: ignore[no-untyped-def]
    binder = seat.workstation.findChild(WorkstationBinder)
    assert binder is not None
    return binder


def _offer(seat) -> None:  # type: ignore[no-untyped-def]
    seat.workstation.state.ring(CallInfo("sess-ring-1", "password_reset", "密码重置", "李*华"))


@pytest.mark.qt_log_ignore(*NO_DEVICE)
def test_ring_starts_with_the_offer_and_stops_on_answer_decline_and_timeout(seat) -> None:  # type: ignore[no-untyped-def]
    binder = _binder(seat)
    binder.ring = RingSound(binder, require_device=False)  # load the source even without an audio device
    effect = binder.ring.effect
    assert effect.source().toLocalFile() == str(ring.default_ring_path())
    assert effect.loopCount() == -2  # QSoundEffect.Loop.Infinite: it rings until stopped
    assert 0 < effect.volume() <= 1
    state, panel = seat.workstation.state, seat.window.call_panel

    _offer(seat)
    assert binder.ring.ringing
    state.answered()  # the server confirmed the answer (callStarted)
    assert not binder.ring.ringing and not effect.isPlaying()

    _offer(seat)
    seat.window.show_ringing("密码重置", "李*华", 3, 30)
    assert binder.ring.ringing
    panel.decline_button.click()  # silent at the click, before the server confirms
    assert not binder.ring.ringing
    state.ended("已拒接来电")

    _offer(seat)
    assert binder.ring.ringing
    state.ended("来电超时未接听,已转给其他坐席")  # withdrawn: the ring timed out
    assert not binder.ring.ringing and state.phase == "idle"

    _offer(seat)
    seat.window.show_ringing("密码重置", "李*华", 3, 30)
    panel.answer_button.click()
    assert not binder.ring.ringing


@pytest.mark.qt_log_ignore(*NO_DEVICE)
def test_muted_ring_keeps_the_state_and_the_setting_applies_at_once(seat) -> None:  # type: ignore[no-untyped-def]
    binder = _binder(seat)
    binder.ring = RingSound(binder, enabled=False, require_device=False)
    _offer(seat)
    assert binder.ring.ringing and not binder.ring.playing
    values = {"server_url": "http://127.0.0.1:8000", "camera": "fake-pattern", "microphone": "fake-tone"}
    binder._save_settings({**values, "ring_sound": True})
    assert binder.ring.enabled and seat.controller.settings.ring_sound is True
    binder._save_settings({**values, "ring_sound": False})
    assert not binder.ring.enabled and seat.controller.settings.ring_sound is False


def test_without_an_audio_device_the_ring_is_silent_and_warns_nothing(seat) -> None:  # type: ignore[no-untyped-def]
    binder = _binder(seat)
    if has_audio_output():
        _offer(seat)
        assert binder.ring.ringing and binder.ring.playing
        seat.workstation.state.answered()
        assert not binder.ring.playing
        return
    assert binder.ring.effect.source().isEmpty()  # nothing loaded, so QSoundEffect reports no error
    _offer(seat)
    assert binder.ring.ringing and not binder.ring.playing
    seat.workstation.state.answered()
    assert not binder.ring.ringing
