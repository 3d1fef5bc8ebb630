"""Session records for authenticated seats."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Query, status

import wire
from server.deps import SeatDep, ServicesDep

router = APIRouter(tags=["sessions"])


def _record(row: dict[str, Any]) -> wire.SessionRecord:
    return wire.SessionRecord.model_validate({k: v for k, v in row.items() if k != "customer_token_hash"})


@router.get("/api/sessions", response_model=list[wire.SessionRecord])
async def list_sessions(
    _auth: SeatDep,
    services: ServicesDep,
    limit: int = Query(default=50, ge=1, le=500),
    status_filter: str | None = Query(default=None, alias="status", max_length=16),
) -> list[wire.SessionRecord]:
    """The most recently queued sessions first."""
    return [_record(row) for row in services.db.list_sessions(limit, status_filter)]


@router.get("/api/sessions/{session_id}", response_model=wire.SessionRecord)
async def get_session(session_id: str, _auth: SeatDep, services: ServicesDep) -> wire.SessionRecord:
    """One session record."""
    row = services.db.get_session(session_id)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "会话不存在")
    return _record(row)


@router.get("/api/sessions/{session_id}/events")
async def session_events(session_id: str, _auth: SeatDep, services: ServicesDep) -> list[dict[str, Any]]:
    """A session's trail, oldest first: ``{event_id, session_id, at, kind, detail}``."""
    if services.db.get_session(session_id) is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "会话不存在")
    return services.db.events(session_id)
