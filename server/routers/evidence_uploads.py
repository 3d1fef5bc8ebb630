"""Snapshot evidence (抓拍) from the seat: ``POST /api/evidence/sessions/{session_id}/snapshots``.

The seat burns in the timestamp and watermark; the server checks it is a JPEG, files it in the evidence ledger
(hash-chained) and notes it in the session trail.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, HTTPException, Query, Request, status

from server.deps import SeatDep, ServicesDep
from server.routers.workstation_auth import evidence_ledger, seat_session

logger = logging.getLogger(__name__)
router = APIRouter(tags=["evidence"])

UPLOAD_PREFIX = "/api/evidence/"
"""Path prefix that gets :data:`MAX_SNAPSHOT_BYTES` instead of the general 64 KiB body limit."""
MAX_SNAPSHOT_BYTES = 4 * 1024 * 1024


@router.post(UPLOAD_PREFIX + "sessions/{session_id}/snapshots", status_code=status.HTTP_201_CREATED)
async def upload_snapshot(
    session_id: str,
    request: Request,
    auth: SeatDep,
    services: ServicesDep,
    snapshot_id: str = Query(pattern=r"^[A-Za-z0-9_-]{1,32}$"),
    purpose: str = Query(default="manual", pattern=r"^(manual|face)$"),
) -> dict[str, Any]:
    """Body: the JPEG (``Content-Type: image/jpeg``). Answer: ``{sha256, seq, size}``."""
    seat_session(services, auth, session_id)
    data = await request.body()
    if len(data) > MAX_SNAPSHOT_BYTES:
        raise HTTPException(status.HTTP_413_REQUEST_ENTITY_TOO_LARGE, "抓拍图片过大")
    if not data.startswith(b"\xff\xd8"):
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "抓拍图片不是 JPEG 格式")
    ledger = evidence_ledger(request, services)
    entry = ledger.add_blob(
        session_id,
        "snapshot",
        f"seat_snapshot_{snapshot_id}",
        data,
        "image/jpeg",
        {"snapshot_id": snapshot_id, "purpose": purpose, "seat_id": auth.seat.seat_id},
    )
    digest = entry.payload["sha256"]
    services.db.append_event(
        session_id, services.clock(), "snapshot", {"snapshot_id": snapshot_id, "sha256": digest, "purpose": purpose}
    )
    logger.info("[%s] snapshot %s filed (%d bytes)", session_id, snapshot_id, len(data))
    return {"sha256": digest, "seq": entry.seq, "size": len(data)}
