"""Customer signature (客户签名) bodies shared by the H5 page, the server and the seat client.

The page posts a :class:`SignatureSubmission` (strokes from pointer events, with timestamps and pressure where the
device reports it; the server renders the evidence PNG from the strokes, so what is filed is what was drawn); the
teller replays the strokes and posts a :class:`SignatureReview` (accept, or reject with a reason that asks the
customer to sign again). Both sides poll :class:`SignatureStatus`; nothing here changes the WebSocket message sets.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

MAX_SIGNATURE_POINTS = 1500
"""All strokes together; a real signature has a few hundred points (the body stays under the server's 64 KiB)."""


class SignaturePoint(BaseModel):
    """One pointer sample: canvas pixels, milliseconds since the first point, pressure 0..1 (0.5 when unknown)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    x: float = Field(ge=-10, le=10000)
    y: float = Field(ge=-10, le=10000)
    t: float = Field(ge=0, le=3_600_000)
    p: float = Field(default=0.5, ge=0, le=1)


class SignatureStroke(BaseModel):
    """One pen-down to pen-up trace."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    points: list[SignaturePoint] = Field(min_length=1, max_length=MAX_SIGNATURE_POINTS)
    pointer_type: str = Field(default="mouse", max_length=16)


class SignatureSubmission(BaseModel):
    """What the customer page posts when the customer taps 确认签名."""

    model_config = ConfigDict(extra="forbid")

    width: int = Field(ge=50, le=4000)
    height: int = Field(ge=50, le=4000)
    strokes: list[SignatureStroke] = Field(max_length=200)

    @model_validator(mode="after")
    def _bounded(self) -> SignatureSubmission:
        if sum(len(s.points) for s in self.strokes) > MAX_SIGNATURE_POINTS:
            raise ValueError(f"签名点数超过上限 {MAX_SIGNATURE_POINTS}")
        return self


class SignatureReview(BaseModel):
    """The teller's decision on the latest signature; a rejection needs a reason the customer will read."""

    model_config = ConfigDict(extra="forbid")

    decision: Literal["accept", "reject"]
    reason: str = Field(default="", max_length=100)

    @model_validator(mode="after")
    def _reason_for_reject(self) -> SignatureReview:
        if self.decision == "reject" and not self.reason.strip():
            raise ValueError("退回签名时请填写原因")
        return self


SignatureState = Literal["none", "requested", "submitted", "accepted", "rejected"]


class SignatureStatus(BaseModel):
    """Where the session's signature stands (both the page and the seat poll it)."""

    session_id: str
    state: SignatureState
    attempt: int = Field(ge=0)
    reason: str | None = None
    """Why the teller rejected the last one (shown to the customer)."""
    submitted_at: datetime | None = None
    submission: SignatureSubmission | None = None
    """The latest signature (seat view only; the page gets None)."""
