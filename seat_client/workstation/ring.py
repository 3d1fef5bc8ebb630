"""The incoming-call ring (来电铃声): ``resources/sounds/ring.wav`` looped with QSoundEffect while an offer rings.

The WAV is generated, not downloaded: :func:`ring_wave` synthesises a soft two-tone trill (two bursts, then a pause;
one 2.4 s cycle that loops without a click) and ``python -m seat_client.workstation.ring [PATH]`` writes it (see
``resources/sounds/README.md``). A test checks that the shipped file is exactly what the generator makes.
"""

from __future__ import annotations

import io
import logging
import sys
import wave
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)

SAMPLE_RATE = 22050
TONES_HZ = (784.0, 988.0)
"""G5 and B5, a major third apart: the two tones of the trill."""
TRILL_STEP_S = 0.05
"""Each tone lasts 50 ms before the other takes over (a 10 Hz warble, like a desk phone's electronic ringer)."""
BURSTS_S = ((0.0, 0.6), (0.75, 1.35))
"""(start, end) of the two trill bursts within a cycle."""
CYCLE_S = 2.4
PEAK = 0.45
"""Peak amplitude (of full scale): audible over a headset without startling."""


def ring_wave() -> np.ndarray:
    """One cycle of the ring as int16 mono samples at :data:`SAMPLE_RATE` (deterministic)."""
    n = round(CYCLE_S * SAMPLE_RATE)
    t = np.arange(n) / SAMPLE_RATE
    step = np.floor(t / TRILL_STEP_S).astype(int)
    freq = np.where(step % 2 == 0, TONES_HZ[0], TONES_HZ[1])
    phase = 2 * np.pi * np.cumsum(freq) / SAMPLE_RATE  # continuous phase: no click at each tone change
    tone = np.sin(phase) + 0.25 * np.sin(2 * phase)  # a little second harmonic: warmer than a bare sine
    envelope = np.zeros(n)
    fade = round(0.012 * SAMPLE_RATE)
    for start_s, end_s in BURSTS_S:
        a, b = round(start_s * SAMPLE_RATE), round(end_s * SAMPLE_RATE)
        burst = np.ones(b - a)
        ramp = 0.5 - 0.5 * np.cos(np.linspace(0, np.pi, fade))
        burst[:fade] = ramp
        burst[-fade:] = ramp[::-1]
        envelope[a:b] = burst * np.exp(-1.2 * (t[a:b] - start_s))  # a gentle decay within each burst
    samples = tone * envelope
    samples *= PEAK / np.max(np.abs(samples))
    return np.asarray(np.round(samples * 32767), dtype="<i2")


def ring_wav_bytes() -> bytes:
    """The ring as a 16-bit PCM mono WAV file."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(ring_wave().tobytes())
    return buffer.getvalue()


def default_ring_path() -> Path:
    """``resources/sounds/ring.wav`` (from the source tree or the frozen bundle)."""
    from seat_client.resources import resource_path

    return Path(resource_path("sounds", "ring.wav"))


def main(argv: list[str] | None = None) -> int:
    """Write the ring WAV (to ``argv[0]``, default :func:`default_ring_path`)."""
    args = sys.argv[1:] if argv is None else argv
    path = Path(args[0]) if args else default_ring_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(ring_wav_bytes())
    print(f"wrote {path} ({CYCLE_S:.1f} s, {SAMPLE_RATE} Hz, tones {TONES_HZ[0]:.0f}/{TONES_HZ[1]:.0f} Hz)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
