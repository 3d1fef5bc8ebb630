"""HTTP request and response bodies shared by the server and the seat client."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from wire.business import BusinessType


class LoginRequest(BaseModel):
    """Seat login (坐席签入)."""

    model_config = ConfigDict(extra="forbid")

    seat_id: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)
    client_version: str | None = Field(default=None, max_length=32)


class LoginResponse(BaseModel):
    """A bearer token for the seat's HTTP calls and its WebSocket."""

    token: str
    seat_id: str
    display_name: str
    expires_at: datetime


class CreateTicketRequest(BaseModel):
    """The customer page asks to queue for a business (取号)."""

    model_config = ConfigDict(extra="forbid")

    business_type: BusinessType
    customer_name: str = Field(default="", max_length=32)


class CreateTicketResponse(BaseModel):
    """The customer's session id and the token that authenticates their WebSocket."""

    session_id: str
    customer_token: str
    websocket_path: str


class SessionRecord(BaseModel):
    """One customer session as persisted: who, what, and when it was queued, answered and ended."""

    session_id: str
    business_type: str
    customer_name: str = ""
    seat_id: str | None = None
    status: str
    queued_at: datetime
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    end_reason: str | None = None
