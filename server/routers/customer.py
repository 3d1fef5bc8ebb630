"""The customer side over HTTP: business types and taking a ticket (取号)."""

from __future__ import annotations

import logging

from fastapi import APIRouter, HTTPException, Request, status
from pydantic import BaseModel

import wire
from server.deps import ServicesDep
from server.routing.stars import star_for_precheck
from server.verification.service import IdentityRefused

logger = logging.getLogger(__name__)
router = APIRouter(tags=["customer"])


class BusinessTypeInfo(BaseModel):
    """A business a customer can queue for."""

    code: str
    label: str


@router.get("/api/business-types", response_model=list[BusinessTypeInfo])
async def business_types() -> list[BusinessTypeInfo]:
    """The businesses offered, in display order."""
    return [BusinessTypeInfo(code=code.value, label=label) for code, label in wire.BUSINESS_TYPES.items()]


@router.post("/api/customer/tickets", response_model=wire.CreateTicketResponse, status_code=status.HTTP_201_CREATED)
async def create_ticket(
    body: wire.CreateTicketRequest, request: Request, services: ServicesDep
) -> wire.CreateTicketResponse:
    """Queue for a business with a passed pre-check; the page then opens ``websocket_path`` with the token.

    The pre-check (``precheck_id``) is used up; the teller sees the masked name read from the ID card.
    """
    limiter = services.ticket_limiter
    client = request.client.host if request.client else "-"
    if limiter is not None and not limiter.allow(client, services.clock()):
        logger.warning("ticket refused: too many tickets from one client address")
        raise HTTPException(status.HTTP_429_TOO_MANY_REQUESTS, "取号过于频繁,请稍后再试", headers={"Retry-After": "60"})
    if services.identity is None:
        raise IdentityRefused(503, "身份核验服务暂不可用,请稍后重试", "unavailable")
    precheck = services.identity.take_precheck(body.precheck_id, body.business_type)
    ticket = services.coordinator.create_ticket(
        body.business_type,
        precheck.customer_name,
        session_id=precheck.session_id,
        star_level=star_for_precheck(precheck),  # type: ignore[call-arg]  # RoutedCoordinator; 星级 from the bank
    )
    services.identity.bind_ticket(precheck)
    return ticket
