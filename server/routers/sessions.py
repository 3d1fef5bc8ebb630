"""Session records for authenticated seats, and the seat's 话后小结 (wrap-up notes) after a call."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Query, Request, status
from fastapi.concurrency import run_in_threadpool

import wire
from server.deps import AuthenticatedSeat, SeatDep, Services, ServicesDep
from server.recordings.access import VIEW_ALL_ROLES
from server.routers.workstation_auth import seat_session
from server.wrap_up import WrapUpRefused, notes_from_trail, save_notes
from wire.wrap_up import WrapUpNotes, WrapUpNotesRequest

router = APIRouter(tags=["sessions"])


def _record(row: dict[str, Any], services: ServicesDep) -> wire.SessionRecord:
    record = wire.SessionRecord.model_validate({k: v for k, v in row.items() if k != "customer_token_hash"})
    if row.get("answered_at") is not None:  # notes exist only for answered calls: skip the trail read otherwise
        record.wrap_up = notes_from_trail(str(row["session_id"]), services.db.events(str(row["session_id"])))
    return record


@router.get("/api/sessions", response_model=list[wire.SessionRecord])
async def list_sessions(
    auth: SeatDep,
    services: ServicesDep,
    limit: int = Query(default=50, ge=1, le=500),
    status_filter: str | None = Query(default=None, alias="status", max_length=16),
) -> list[wire.SessionRecord]:
    """The most recently queued sessions first: a ``teller``'s own calls only (``sessions.seat_id``), every
    session for ``supervisor``/``admin``/``auditor`` (the recordings' rule, :mod:`server.recordings.access`)."""
    own = None if auth.seat.role in VIEW_ALL_ROLES else auth.seat.seat_id
    return [_record(row, services) for row in services.db.list_sessions(limit, status_filter, seat_id=own)]


@router.get("/api/sessions/{session_id}", response_model=wire.SessionRecord)
async def get_session(session_id: str, auth: SeatDep, services: ServicesDep) -> wire.SessionRecord:
    """One session record (with its newest wrap-up notes); a ``teller`` may read only the calls it handled.

    Raises:
        HTTPException: 404 unknown session; 403 another seat's (or a not yet answered) session for a teller.
    """
    row = services.db.get_session(session_id)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "会话不存在")
    if auth.seat.role not in VIEW_ALL_ROLES and row.get("seat_id") != auth.seat.seat_id:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "无权查看该会话,只能查看本坐席受理的会话")
    return _record(row, services)


TRAIL_ACCESS_ACTION = "trail"
"""``action`` of the ``access`` entry a trail read by another seat (or a refused one) leaves in the session's chain."""


def _read_trail(
    services: Services, ledger: Any, auth: AuthenticatedSeat, session_id: str, purpose: str
) -> list[dict[str, Any]]:
    """The trail under the recordings' rule (see :mod:`server.recordings.access`). Blocking (database, ledger)."""
    row = services.db.get_session(session_id)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "会话不存在")
    actor = auth.seat.seat_id
    if row.get("seat_id") == actor:
        return services.db.events(session_id)  # the seat's own call: no access entry, as for any own read
    if ledger is None:  # a read by someone else must be logged: refuse rather than read unlogged
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "服务正在启动,请稍后重试")
    if auth.seat.role not in VIEW_ALL_ROLES:
        ledger.log_access(session_id, actor, TRAIL_ACCESS_ACTION, purpose, "denied")
        raise HTTPException(status.HTTP_403_FORBIDDEN, "无权查看该会话的轨迹,只能查看本坐席受理的会话")
    events = services.db.events(session_id)
    ledger.log_access(session_id, actor, TRAIL_ACCESS_ACTION, purpose, f"granted: {len(events)} event(s)")
    return events


@router.get("/api/sessions/{session_id}/events")
async def session_events(
    session_id: str,
    request: Request,
    auth: SeatDep,
    services: ServicesDep,
    purpose: str = Query(default="", max_length=200),
) -> list[dict[str, Any]]:
    """A session's trail, oldest first: ``{event_id, session_id, at, kind, detail}``.

    Who may read it follows the recordings' rule: a ``teller`` only the sessions it handled (``sessions.seat_id``),
    ``supervisor``/``admin``/``auditor`` any. Every read by a seat other than the session's own, and every refusal,
    is an ``access`` entry (``action: trail``, with ``purpose``) in the session's evidence chain.

    Raises:
        HTTPException: 404 unknown session; 403 another seat's session for a teller (logged); 503 while the evidence
            ledger is not ready.
    """
    recordings = getattr(request.app.state, "recordings", None)
    ledger = getattr(recordings, "ledger", None)
    return await run_in_threadpool(_read_trail, services, ledger, auth, session_id[:128], purpose)


@router.put("/api/sessions/{session_id}/wrap-up", response_model=WrapUpNotes)
async def put_wrap_up(session_id: str, body: WrapUpNotesRequest, auth: SeatDep, services: ServicesDep) -> WrapUpNotes:
    """Store the seat's 话后小结 for a call it answered, once its part of the call is over.

    A repeated ``note_id`` (a retry) returns what was stored; a new one stores a new revision (the newest wins).
    Refusals: 404 unknown session, 403 not a call this seat answered, 409 the call is still connected (or too many
    revisions, or the note id was used for other text), 422 empty or too long (Chinese ``detail``).
    """
    row = services.db.get_session(session_id[:128])
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "会话不存在")
    try:
        notes, _created = save_notes(services.db, row, auth.seat.seat_id, body, services.clock())
    except WrapUpRefused as exc:
        raise HTTPException(exc.status, exc.message) from exc
    return notes


MAX_LIVE_FACE_EVENTS = 200
"""Live face observations one session's trail takes (a warning and its end are two; a seat gone wrong cannot flood
the trail)."""


@router.post("/api/sessions/{session_id}/live-face", status_code=status.HTTP_201_CREATED)
async def record_live_face(
    session_id: str, body: wire.LiveFaceObservation, auth: SeatDep, services: ServicesDep
) -> dict[str, int]:
    """A warning of the seat's live face monitor (实时人脸), or its end, into the session trail as ``live_face``.

    Advisory: no gate reads it. Only the seat holding the connected call may write one.

    Raises:
        HTTPException: 404/403/409 as for the call's other workstation resources; 429 past
            :data:`MAX_LIVE_FACE_EVENTS`.
    """
    seat_session(services, auth, session_id)
    trail = await run_in_threadpool(services.db.events, session_id)
    if sum(1 for event in trail if event["kind"] == "live_face") >= MAX_LIVE_FACE_EVENTS:
        raise HTTPException(status.HTTP_429_TOO_MANY_REQUESTS, "实时人脸记录过多,本次通话不再记录")
    detail = {**body.model_dump(), "seat_id": auth.seat.seat_id}
    event_id = services.db.append_event(session_id, services.clock(), "live_face", detail)
    return {"event_id": event_id}
