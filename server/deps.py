"""Shared request dependencies: the app's services and the authenticated seat."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, HTTPException, Request, status
from starlette.requests import HTTPConnection

from server.calls import CallCoordinator, Clock
from server.db import Database, SeatRow
from server.security import LoginThrottle, RateLimiter, SeatPasswords, hash_token
from server.settings import Settings

if TYPE_CHECKING:
    from server.verification.service import IdentityService


@dataclass
class Services:
    """What the routers use; built in the app's lifespan."""

    settings: Settings
    db: Database
    coordinator: CallCoordinator
    clock: Clock
    passwords: SeatPasswords
    login_throttle: LoginThrottle
    ticket_limiter: RateLimiter | None
    identity: IdentityService | None = None


def get_services(connection: HTTPConnection) -> Services:
    """The running app's services (HTTP requests and WebSockets alike)."""
    services: Services | None = getattr(connection.app.state, "services", None)
    if services is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "服务正在启动,请稍后重试")
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


@dataclass(frozen=True)
class AuthenticatedSeat:
    """The seat behind a valid bearer token."""

    seat: SeatRow
    token_hash: str


def bearer_token(request: Request) -> str | None:
    """The token of an ``Authorization: Bearer ...`` header."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def current_seat(request: Request, services: ServicesDep) -> AuthenticatedSeat:
    """Require a valid seat token."""
    token = bearer_token(request)
    unauthorized = HTTPException(
        status.HTTP_401_UNAUTHORIZED, "登录已失效或未登录,请重新登录", headers={"WWW-Authenticate": "Bearer"}
    )
    if token is None:
        raise unauthorized
    token_hash = hash_token(token)
    seat_id = services.db.seat_for_token(token_hash, services.clock())
    seat = services.db.get_seat(seat_id) if seat_id else None
    if seat is None:
        raise unauthorized
    return AuthenticatedSeat(seat, token_hash)


SeatDep = Annotated[AuthenticatedSeat, Depends(current_seat)]
