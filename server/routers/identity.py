"""Identity verification over HTTP (身份核验): the customer's pre-check and frames, the seat's gate actions.

Seat endpoints only say "do the next gate" (or which option the customer chose); the server does the work and
decides. Only the seat in a connected call with the session may use them or see the session's photos.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response

import wire
from server.calls import CustomerAuth
from server.db import SessionStatus
from server.deps import SeatDep, Services, ServicesDep, bearer_token
from server.verification.photos import PHOTO_KINDS, image_media_type
from server.verification.service import IdentityRefused, IdentityService

logger = logging.getLogger(__name__)
router = APIRouter(tags=["identity"])

MAX_FRAME_BYTES = 512 * 1024
"""Largest camera frame the page may post (a 640x480 JPEG is 30-80 KiB)."""

PRECHECK_PATH = "/api/customer/precheck"
FRAMES_PATH_PREFIX = "/api/customer/sessions/"


def identity_of(services: Services) -> IdentityService:
    """The identity service, or 503 while it is not available."""
    if services.identity is None:
        raise IdentityRefused(503, "身份核验服务暂不可用,请稍后重试", "unavailable")
    service: IdentityService = services.identity
    return service


async def _read_image(upload: UploadFile, limit: int, what: str) -> bytes:
    data = await upload.read(limit + 1)
    if len(data) > limit:
        raise IdentityRefused(413, f"{what}过大,请压缩后重新上传", "too_large")
    if not data:
        raise IdentityRefused(422, f"请上传{what}", "missing_image")
    if image_media_type(data) == "application/octet-stream":
        raise IdentityRefused(422, f"{what}格式不支持,请上传 JPG 或 PNG 照片", "bad_image")
    return data


@router.post(PRECHECK_PATH, response_model=wire.PrecheckResponse)
async def precheck(
    services: ServicesDep,
    request: Request,
    business_type: Annotated[wire.BusinessType, Form()],
    phone: Annotated[str, Form(max_length=32)],
    id_front: Annotated[UploadFile, File()],
    id_back: Annotated[UploadFile, File()],
    account_no: Annotated[str, Form(max_length=40)] = "",
    precheck_id: Annotated[str, Form(max_length=128)] = "",
) -> wire.PrecheckResponse:
    """Pre-check before queueing (受理前核验): ID card photos (both sides), phone and account; Chinese result."""
    limiter = services.ticket_limiter
    client = request.client.host if request.client else "-"
    if limiter is not None and not limiter.allow("precheck:" + client, services.clock()):
        raise IdentityRefused(429, "提交过于频繁,请稍后再试", "rate_limited")
    service = identity_of(services)
    limit = services.settings.id_image_max_bytes
    front = await _read_image(id_front, limit, "身份证人像面照片")
    back = await _read_image(id_back, limit, "身份证国徽面照片")
    return await service.precheck(
        business_type=business_type,
        phone=phone,
        account_no=account_no,
        front=front,
        back=back,
        precheck_id=precheck_id or None,
    )


@router.post(FRAMES_PATH_PREFIX + "{session_id}/frames")
async def customer_frame(
    session_id: str,
    request: Request,
    services: ServicesDep,
    kind: Annotated[str, Form(pattern="^(capture|liveness)$")],
    ref: Annotated[str, Form(min_length=1, max_length=64)],
    image: Annotated[UploadFile, File()],
) -> dict[str, Any]:
    """A camera frame from the customer's page, answering ``capture_request`` or a ``liveness_challenge``.

    Authenticated with the ticket's customer token (``Authorization: Bearer <customer_token>``); only during the call.
    """
    service = identity_of(services)
    token = bearer_token(request) or ""
    coordinator = services.coordinator
    if coordinator.authenticate_customer(session_id[:128], token) != CustomerAuth.OK:
        raise IdentityRefused(401, "排队凭证无效或会话已结束", "bad_token")
    live = coordinator.sessions.get(session_id)
    if live is None or live.status != SessionStatus.CONNECTED:
        raise IdentityRefused(409, "通话尚未接通", "not_connected")
    data = await _read_image(image, MAX_FRAME_BYTES, "画面")
    if kind == "capture":
        service.deliver_capture(session_id, ref, data)
        return {"accepted": True}
    return await service.liveness_frame(session_id, ref, data)


@router.get("/api/sessions/{session_id}/gates")
async def gate_snapshot(session_id: str, auth: SeatDep, services: ServicesDep) -> dict[str, Any]:
    """The session's gates (teller view, masked, no images): only for the seat holding the session."""
    return identity_of(services).snapshot(session_id, auth.seat.seat_id)


@router.get("/api/sessions/{session_id}/gates/photos/{kind}")
async def gate_photo(session_id: str, kind: str, auth: SeatDep, services: ServicesDep) -> Response:
    """One identity photo (``id_front``, ``id_back``, ``id_portrait``, ``network_photo``, ``live``), read-only."""
    if kind not in PHOTO_KINDS:
        raise IdentityRefused(404, "暂无该照片", "no_photo")
    data = identity_of(services).photo(session_id, auth.seat.seat_id, kind)
    return Response(
        data, media_type=image_media_type(data), headers={"Cache-Control": "no-store", "X-Robots-Tag": "noindex"}
    )


@router.post("/api/sessions/{session_id}/gates/network-check")
async def gate_network_check(session_id: str, auth: SeatDep, services: ServicesDep) -> dict[str, Any]:
    """One 联网核查 attempt (at most 3); the server calls the bank with the pre-checked identity."""
    view = await identity_of(services).network_check(session_id, auth.seat.seat_id)
    if view["status"] == "passed":
        view["photo_url"] = f"/api/sessions/{session_id}/gates/photos/network_photo"
    return view


@router.post("/api/sessions/{session_id}/gates/face")
async def gate_face(session_id: str, auth: SeatDep, services: ServicesDep) -> dict[str, Any]:
    """Three-way face comparison with a frame the server asks the customer's page for."""
    return await identity_of(services).face(session_id, auth.seat.seat_id)


@router.post("/api/sessions/{session_id}/gates/liveness")
async def gate_liveness(session_id: str, auth: SeatDep, services: ServicesDep) -> dict[str, Any]:
    """Start an active liveness challenge; the result arrives as ``gate_update`` on the seat's WebSocket."""
    return await identity_of(services).start_liveness(session_id, auth.seat.seat_id)


@router.post("/api/sessions/{session_id}/gates/questions")
async def gate_questions(session_id: str, auth: SeatDep, services: ServicesDep) -> dict[str, Any]:
    """Draw the private questions (prompts and options; the answers stay on the server)."""
    return await identity_of(services).start_questions(session_id, auth.seat.seat_id)


@router.post("/api/sessions/{session_id}/gates/questions/{question_id}")
async def gate_answer(
    session_id: str, question_id: str, body: wire.QuestionAnswerRequest, auth: SeatDep, services: ServicesDep
) -> dict[str, Any]:
    """Record the option the customer chose for one question; the server judges."""
    return await identity_of(services).answer_question(session_id, auth.seat.seat_id, question_id, body.choice_index)


@router.post("/api/sessions/{session_id}/business")
async def business(
    session_id: str, body: wire.BusinessSubmitRequest, auth: SeatDep, services: ServicesDep
) -> dict[str, Any]:
    """Carry out the business in core banking; refused (409) until every required gate passed."""
    return await identity_of(services).submit_business(session_id, auth.seat.seat_id, body.params)
