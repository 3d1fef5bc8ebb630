"""Places two audio streams on the recording timeline by arrival time and mixes them to mono s16."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import av
import numpy as np

logger = logging.getLogger(__name__)


@dataclass
class _SourceTrack:
    resampler: av.AudioResampler
    write_pos: int | None = None
    pieces: list[tuple[int, np.ndarray]] = field(default_factory=list)


class AudioMixer:
    """Mixes audio sources into one mono track at ``rate`` Hz, with sample positions on the recording timeline.

    Each source's frames are laid end to end; a source that went silent (or whose frames were lost) is re-anchored
    to the frame's arrival time, leaving silence in the gap. Samples that arrive after their place on the timeline
    was already emitted (late audio) are dropped, so output timestamps only move forward.

    Args:
        rate: output sample rate.
        resync_s: re-anchor a source when its running position falls this far behind arrival time.
        max_ahead_s: drop frames that would land more than this ahead of their arrival time (a burst of audio
            that was held up somewhere): dropping them brings the source back in sync with the picture.
    """

    def __init__(self, rate: int = 48000, resync_s: float = 0.25, max_ahead_s: float = 0.06) -> None:
        self.rate = rate
        self.resync = int(resync_s * rate)
        self.max_ahead = int(max_ahead_s * rate)
        self._tracks: dict[str, _SourceTrack] = {}
        self.dropped_late_samples = 0
        self.dropped_ahead_samples = 0

    def add(self, source: str, frame: av.AudioFrame, arrival_s: float) -> None:
        """Adds one frame that arrived at ``arrival_s`` (seconds on the recording timeline)."""
        track = self._tracks.get(source)
        if track is None:
            track = _SourceTrack(av.AudioResampler(format="s16", layout="mono", rate=self.rate))
            self._tracks[source] = track
        frame.pts = None
        for out in track.resampler.resample(frame):
            samples = out.to_ndarray().reshape(-1).astype(np.int16, copy=False)
            self._place(track, samples, arrival_s)

    def _place(self, track: _SourceTrack, samples: np.ndarray, arrival_s: float) -> None:
        n = len(samples)
        if n == 0:
            return
        expected = round(arrival_s * self.rate) - n
        pos = track.write_pos
        if pos is None or pos < expected - self.resync:
            pos = max(0, expected)
        elif pos > expected + self.max_ahead:
            self.dropped_ahead_samples += n
            return
        track.pieces.append((pos, samples))
        track.write_pos = pos + n

    def mix(self, start: int, end: int) -> np.ndarray:
        """Returns mono s16 samples for timeline positions [start, end) and forgets everything before ``end``."""
        n = end - start
        acc = np.zeros(n, np.int32)
        for track in self._tracks.values():
            keep: list[tuple[int, np.ndarray]] = []
            for pos, samples in track.pieces:
                p_end = pos + len(samples)
                if p_end <= start:
                    self.dropped_late_samples += len(samples)
                    continue
                a, b = max(pos, start), min(p_end, end)
                if a < b:
                    acc[a - start : b - start] += samples[a - pos : b - pos]
                if p_end > end:
                    keep.append((pos, samples))
            track.pieces = keep
        return np.clip(acc, -32768, 32767).astype(np.int16)

    def buffered_samples(self) -> int:
        """Samples held across all sources (for the input bound)."""
        return sum(len(s) for t in self._tracks.values() for _p, s in t.pieces)
