"""Signature bodies: bounds and the reject-needs-a-reason rule."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from wire.signature import MAX_SIGNATURE_POINTS, SignatureReview, SignatureStroke, SignatureSubmission


def _stroke(n: int) -> dict:
    return {"points": [{"x": i, "y": i / 2, "t": i * 8.0, "p": 0.4} for i in range(n)]}


def test_submission_round_trips() -> None:
    sub = SignatureSubmission(width=600, height=240, strokes=[SignatureStroke.model_validate(_stroke(5))])
    again = SignatureSubmission.model_validate_json(sub.model_dump_json())
    assert again == sub
    assert again.strokes[0].points[4].t == 32.0


def test_too_many_points_refused_in_chinese() -> None:
    per = MAX_SIGNATURE_POINTS // 2 + 1
    with pytest.raises(ValidationError, match="签名点数超过上限"):
        SignatureSubmission(width=600, height=240, strokes=[_stroke(per), _stroke(per)])  # type: ignore[list-item]


def test_pressure_out_of_range_refused() -> None:
    with pytest.raises(ValidationError):
        SignatureStroke.model_validate({"points": [{"x": 1, "y": 1, "t": 0, "p": 1.5}]})


def test_reject_needs_reason() -> None:
    with pytest.raises(ValidationError, match="退回签名时请填写原因"):
        SignatureReview(decision="reject", reason="  ")
    assert SignatureReview(decision="reject", reason="签名不完整").reason == "签名不完整"
    assert SignatureReview(decision="accept").reason == ""
