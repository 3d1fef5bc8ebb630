"""Customer signature (客户签名) relay between the H5 page and the seat, with the teller's review.

Seat: ``POST /api/sessions/{sid}/signature/request`` (ask the customer to sign), ``GET /api/sessions/{sid}/signature``
(status with the strokes), ``POST /api/sessions/{sid}/signature/review`` (accept, or reject with a reason).
Page (customer token): ``GET /api/customer/sessions/{sid}/signature`` (status, no strokes) and
``POST /api/customer/sessions/{sid}/signature`` (the strokes). The page polls its status; the seat is told of a
submission on its socket (``signature_update``) and then reads it, polling only slowly as a fallback.
An accepted signature is filed in the evidence ledger as the strokes (JSON) and a PNG the server renders from them.
"""

from __future__ import annotations

import itertools
import json
import logging
import threading
from dataclasses import dataclass

import cv2
import numpy as np
from fastapi import APIRouter, HTTPException, Request, status

from server.deps import SeatDep, ServicesDep
from server.routers.workstation_auth import customer_session, evidence_ledger, seat_session
from wire import SeatSignatureUpdate
from wire.signature import SignatureReview, SignatureStatus, SignatureSubmission

logger = logging.getLogger(__name__)
router = APIRouter(tags=["signature"])


@dataclass
class _SignatureDesk:
    status: SignatureStatus


class SignatureBook:
    """Signature status per live session (in memory: a restart ends calls, and accepted ones are in the ledger)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._desks: dict[str, _SignatureDesk] = {}

    def get(self, session_id: str) -> SignatureStatus:
        """Current status (``none`` when nothing was asked)."""
        with self._lock:
            desk = self._desks.get(session_id)
            return desk.status if desk else SignatureStatus(session_id=session_id, state="none", attempt=0)

    def put(self, status_: SignatureStatus) -> None:
        """Replace a session's status."""
        with self._lock:
            self._desks[status_.session_id] = _SignatureDesk(status_)


def _book(request: Request) -> SignatureBook:
    book: SignatureBook | None = getattr(request.app.state, "signatures", None)
    if book is None:
        book = request.app.state.signatures = SignatureBook()
    return book


def render_signature_png(sub: SignatureSubmission) -> bytes:
    """Draw the strokes black on white at the canvas size (pressure widens the line)."""
    canvas = np.full((sub.height, sub.width, 3), 255, np.uint8)
    for stroke in sub.strokes:
        pts = stroke.points
        if len(pts) == 1:
            cv2.circle(canvas, (round(pts[0].x), round(pts[0].y)), 2, (0, 0, 0), -1, cv2.LINE_AA)
        for a, b in itertools.pairwise(pts):
            width = max(1, round(1 + 4 * (a.p + b.p) / 2))
            cv2.line(canvas, (round(a.x), round(a.y)), (round(b.x), round(b.y)), (0, 0, 0), width, cv2.LINE_AA)
    ok, buf = cv2.imencode(".png", canvas)
    if not ok:
        raise HTTPException(status.HTTP_500_INTERNAL_SERVER_ERROR, "签名图片生成失败")
    return buf.tobytes()


@router.post("/api/sessions/{session_id}/signature/request", response_model=SignatureStatus)
async def request_signature(session_id: str, request: Request, auth: SeatDep, services: ServicesDep) -> SignatureStatus:
    """Ask the customer to sign (again)."""
    seat_session(services, auth, session_id)
    book = _book(request)
    current = book.get(session_id)
    if current.state == "accepted":
        raise HTTPException(status.HTTP_409_CONFLICT, "签名已确认,无需再签")
    new = current.model_copy(update={"state": "requested", "submission": None})
    book.put(new)
    services.db.append_event(session_id, services.clock(), "signature.requested", {"attempt": current.attempt + 1})
    return new


@router.get("/api/sessions/{session_id}/signature", response_model=SignatureStatus)
async def seat_signature(session_id: str, request: Request, auth: SeatDep, services: ServicesDep) -> SignatureStatus:
    """The status with the latest strokes (for review and replay)."""
    seat_session(services, auth, session_id, live=False)
    return _book(request).get(session_id)


@router.post("/api/sessions/{session_id}/signature/review", response_model=SignatureStatus)
async def review_signature(
    session_id: str, body: SignatureReview, request: Request, auth: SeatDep, services: ServicesDep
) -> SignatureStatus:
    """Accept (filed as evidence) or reject with a reason (the page asks the customer to sign again)."""
    seat_session(services, auth, session_id)
    book = _book(request)
    current = book.get(session_id)
    if current.state != "submitted" or current.submission is None:
        raise HTTPException(status.HTTP_409_CONFLICT, "客户尚未提交签名")
    now = services.clock()
    if body.decision == "reject":
        new = current.model_copy(update={"state": "rejected", "reason": body.reason.strip()})
        book.put(new)
        services.db.append_event(
            session_id, now, "signature.rejected", {"attempt": current.attempt, "reason": body.reason.strip()}
        )
        logger.info("[%s] signature %d rejected", session_id, current.attempt)
        return new
    sub = current.submission
    ledger = evidence_ledger(request, services)
    png = render_signature_png(sub)
    strokes = json.dumps(sub.model_dump(mode="json"), ensure_ascii=False, separators=(",", ":")).encode()
    extra = {"attempt": current.attempt, "seat_id": auth.seat.seat_id}
    image = ledger.add_blob(session_id, "signature", "customer_signature_png", png, "image/png", extra)
    trace = ledger.add_blob(session_id, "signature", "customer_signature_strokes", strokes, "application/json", extra)
    new = current.model_copy(update={"state": "accepted", "reason": None})
    book.put(new)
    services.db.append_event(
        session_id,
        now,
        "signature.accepted",
        {"attempt": current.attempt, "png_sha256": image.payload["sha256"], "strokes_sha256": trace.payload["sha256"]},
    )
    logger.info("[%s] signature %d accepted and filed", session_id, current.attempt)
    return new


@router.get("/api/customer/sessions/{session_id}/signature", response_model=SignatureStatus)
async def customer_signature(session_id: str, request: Request, services: ServicesDep) -> SignatureStatus:
    """What the page shows: asked to sign, waiting for review, accepted, or rejected with the reason."""
    customer_session(services, request, session_id)
    return _book(request).get(session_id).model_copy(update={"submission": None})


@router.post("/api/customer/sessions/{session_id}/signature", response_model=SignatureStatus)
async def submit_signature(
    session_id: str, body: SignatureSubmission, request: Request, services: ServicesDep
) -> SignatureStatus:
    """The customer's strokes; only when the teller asked for a signature."""
    customer_session(services, request, session_id)
    book = _book(request)
    current = book.get(session_id)
    if current.state not in ("requested", "rejected"):
        raise HTTPException(status.HTTP_409_CONFLICT, "当前无需签名")
    if not body.strokes:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "请先在签名区域签名")
    new = SignatureStatus(
        session_id=session_id,
        state="submitted",
        attempt=current.attempt + 1,
        submitted_at=services.clock(),
        submission=body,
    )
    book.put(new)
    points = sum(len(s.points) for s in body.strokes)
    services.db.append_event(
        session_id,
        services.clock(),
        "signature.submitted",
        {"attempt": new.attempt, "strokes": len(body.strokes), "points": points},
    )
    services.coordinator.send_to_seat(session_id, SeatSignatureUpdate(session_id=session_id, attempt=new.attempt))
    return new.model_copy(update={"submission": None})
