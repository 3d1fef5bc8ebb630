"""Seat login and logout (坐席签入/签出) with argon2 password hashes and expiring, hashed bearer tokens."""

from __future__ import annotations

import asyncio
import logging
import math
from datetime import timedelta

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel

import wire
from server.deps import SeatDep, ServicesDep
from server.security import hash_token, mask_digits, new_token
from server.versions import decide

logger = logging.getLogger(__name__)
router = APIRouter(tags=["auth"])


class SeatInfo(BaseModel):
    """The logged-in seat."""

    seat_id: str
    display_name: str
    state: wire.SeatState


@router.post("/api/auth/login", response_model=wire.LoginResponse)
async def login(body: wire.LoginRequest, services: ServicesDep) -> wire.LoginResponse:
    """Exchange a seat id and password for a bearer token.

    The reply carries the verdict on the reported client version (灰度升级, ``client_version_status``); an outdated
    client still signs in (the teller must read why) but the coordinator refuses its ``set_state ready``.
    """
    throttle = services.login_throttle
    wait_s = throttle.retry_after(body.seat_id, services.clock())
    if wait_s is not None:
        minutes = max(1, math.ceil(wait_s / 60))
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            f"密码错误次数过多,请 {minutes} 分钟后再试",
            headers={"Retry-After": str(math.ceil(wait_s))},
        )
    seat = services.db.get_seat(body.seat_id)
    # argon2 is deliberately slow: keep it off the event loop that carries every call's signalling.
    ok = await asyncio.to_thread(services.passwords.verify, seat.password_hash if seat else None, body.password)
    if seat is None or not ok or not seat.enabled:
        throttle.failed(body.seat_id, services.clock())
        logger.info("login refused for seat %r", mask_digits(body.seat_id[:64]))
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "坐席号或密码错误")
    throttle.succeeded(body.seat_id)
    if services.passwords.needs_rehash(seat.password_hash):
        new_hash = await asyncio.to_thread(services.passwords.hash, body.password)
        services.db.set_seat_password_hash(seat.seat_id, new_hash)
    now = services.clock()
    expires_at = now + timedelta(seconds=services.settings.token_lifetime_s)
    token = new_token()
    services.db.add_token(hash_token(token), seat.seat_id, now, expires_at, client_version=body.client_version)
    decision = decide(services.settings.client_versions, seat.seat_id, body.client_version)
    logger.info(
        "seat %s logged in (client %s: %s, group %s)",
        seat.seat_id,
        body.client_version or "-",
        decision.status.value,
        decision.group,
    )
    return wire.LoginResponse(
        token=token,
        seat_id=seat.seat_id,
        display_name=seat.display_name,
        expires_at=expires_at,
        client_version_status=wire.ClientVersionStatus.model_validate(decision.to_wire()),
    )


@router.post("/api/auth/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(auth: SeatDep, services: ServicesDep) -> None:
    """Revoke the token used for this request and close the seat's connection that used it."""
    services.db.revoke_token(auth.token_hash, services.clock())
    services.coordinator.seat_logged_out(auth.seat.seat_id, auth.token_hash)
    logger.info("seat %s logged out", auth.seat.seat_id)


@router.get("/api/seats/me", response_model=SeatInfo)
async def me(auth: SeatDep, services: ServicesDep) -> SeatInfo:
    """Who the token belongs to, and the seat's state as the server holds it."""
    link = services.coordinator.seats.get(auth.seat.seat_id)
    state = link.state if link else wire.SeatState.OFFLINE
    return SeatInfo(seat_id=auth.seat.seat_id, display_name=auth.seat.display_name, state=state)
