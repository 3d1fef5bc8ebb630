"""Signature checks for the teller's review (签名审核): flag empty or trivial signatures and time the replay."""

from __future__ import annotations

import math
from dataclasses import dataclass

from seat_client.workstation.texts import N_, T, Text
from wire.signature import SignatureSubmission

MIN_POINTS = 12
MIN_INK_FRACTION = 0.6
"""Total ink length relative to the canvas diagonal below which a signature is a dot or a dash."""
MIN_BOX_FRACTION = 0.12
"""The signature's bounding box, relative to the canvas width, below which it is a scribble in a corner."""


@dataclass(frozen=True)
class SignatureAssessment:
    """What the teller should know before accepting.

    Attributes:
        empty: no stroke at all.
        trivial: too short, too small or too few points to be a name.
        warnings: Chinese notes shown next to the signature.
        points: all samples.
        ink_length: total stroke length in canvas pixels.
        duration_ms: first to last sample.
    """

    empty: bool
    trivial: bool
    warnings: tuple[Text | str, ...]
    points: int
    ink_length: float
    duration_ms: float

    @property
    def flagged(self) -> bool:
        """Whether the teller is warned not to accept as is."""
        return self.empty or self.trivial


def assess_signature(sub: SignatureSubmission) -> SignatureAssessment:
    """Measure a signature and flag an empty or trivial one."""
    points = [p for s in sub.strokes for p in s.points]
    if not points:
        return SignatureAssessment(True, True, (N_("Workstation", "签名为空"),), 0, 0.0, 0.0)
    ink = 0.0
    for stroke in sub.strokes:
        for a, b in zip(stroke.points, stroke.points[1:], strict=False):
            ink += math.hypot(b.x - a.x, b.y - a.y)
    xs = [p.x for p in points]
    ys = [p.y for p in points]
    box = max(max(xs) - min(xs), max(ys) - min(ys))
    diagonal = math.hypot(sub.width, sub.height)
    warnings: list[Text | str] = []
    if len(points) < MIN_POINTS:
        warnings.append(T("Workstation", "签名笔迹过少(仅 {points} 个点)").fmt(points=len(points)))
    if ink < MIN_INK_FRACTION * diagonal:
        warnings.append(N_("Workstation", "签名笔画过短,可能不是完整姓名"))
    if box < MIN_BOX_FRACTION * sub.width:
        warnings.append(N_("Workstation", "签名范围过小"))
    duration = max(p.t for p in points) - min(p.t for p in points)
    return SignatureAssessment(False, bool(warnings), tuple(warnings), len(points), ink, duration)


def replay_cut(sub: SignatureSubmission, elapsed_ms: float) -> list[list[tuple[float, float]]]:
    """The strokes as drawn up to ``elapsed_ms`` after the first point (for the replay animation)."""
    points = [p for s in sub.strokes for p in s.points]
    if not points:
        return []
    start = min(p.t for p in points)
    out: list[list[tuple[float, float]]] = []
    for stroke in sub.strokes:
        drawn = [(p.x, p.y) for p in stroke.points if p.t - start <= elapsed_ms]
        if drawn:
            out.append(drawn)
    return out
