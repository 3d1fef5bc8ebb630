"""Liveness and database check."""

from __future__ import annotations

import logging

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from server.deps import ServicesDep

logger = logging.getLogger(__name__)
router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz(services: ServicesDep) -> JSONResponse:
    """200 with ``{"status": "ok"}`` when the database answers, else 503."""
    try:
        ok = services.db.ping()
    except Exception as exc:
        logger.error("health check: database error: %s", exc)
        ok = False
    if not ok:
        return JSONResponse({"status": "error", "db": "error"}, status_code=503)
    return JSONResponse(
        {
            "status": "ok",
            "db": "ok",
            "seats_online": len(services.coordinator.seats),
            "waiting": len(services.coordinator.queue.entries()),
        }
    )
