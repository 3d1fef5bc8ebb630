"""HTTP request and response bodies shared by the server and the seat client."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from wire.business import BusinessType
from wire.wrap_up import WrapUpNotes


class LoginRequest(BaseModel):
    """Seat login (坐席签入)."""

    model_config = ConfigDict(extra="forbid")

    seat_id: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)
    client_version: str | None = Field(default=None, max_length=32)


class ClientVersionStatus(BaseModel):
    """The server's verdict on the seat client's version (灰度升级), decided at login from ``client_version``.

    ``below_minimum``: the seat may sign in and read ``message`` but the server refuses ``set_state ready``
    (error ``client_outdated``) until the client is upgraded.
    """

    status: Literal["ok", "upgrade_available", "below_minimum"]
    recommended: str | None = None
    minimum: str | None = None
    message: str = ""


class LoginResponse(BaseModel):
    """A bearer token for the seat's HTTP calls and its WebSocket.

    ``client_version_status`` is optional (additive): None from a server without version gating.
    """

    token: str
    seat_id: str
    display_name: str
    expires_at: datetime
    client_version_status: ClientVersionStatus | None = None


class CreateTicketRequest(BaseModel):
    """The customer page asks to queue for a business (取号).

    ``precheck_id`` is the id of a passed pre-check (受理前核验, ``POST /api/customer/precheck``) for the same
    business; it can be used once. ``customer_name`` is ignored: the teller sees the masked name read from the ID card.
    """

    model_config = ConfigDict(extra="forbid")

    business_type: BusinessType
    precheck_id: str = Field(min_length=16, max_length=128)
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
    wrap_up: WrapUpNotes | None = None
    """The newest 话后小结 the seat wrote after the call (None until then)."""


class PrecheckResponse(BaseModel):
    """Outcome of a pre-check (受理前核验) before queueing: ID card OCR, three elements, account, blacklists.

    Attributes:
        precheck_id: quote it to retry (same id) or, once passed, to take a ticket.
        passed: every check passed; a ticket can be taken.
        message: Chinese text for the customer (what happened and what to do next).
        retry_allowed: the customer may correct the input and submit again.
        attempts_left: pre-check attempts left (OCR failures and bank outages do not use one).
        customer_name: the masked name read from the card (e.g. ``李*华``), once read.
    """

    precheck_id: str
    passed: bool
    message: str
    retry_allowed: bool
    attempts_left: int
    customer_name: str | None = None


class QuestionAnswerRequest(BaseModel):
    """The option the customer chose for one private question, as the teller marks it (None: could not answer)."""

    model_config = ConfigDict(extra="forbid")

    choice_index: int | None = Field(ge=0, le=16)


class BusinessSubmitRequest(BaseModel):
    """Carry out the session's business once every identity gate passed (e.g. ``{"phone": ...}`` for 客户信息维护)."""

    model_config = ConfigDict(extra="forbid")

    params: dict[str, str] = Field(default_factory=dict, max_length=16)


class LiveFaceObservation(BaseModel):
    """What the seat's live face monitor (实时人脸) saw, for the session trail: a warning that started, or the end of
    one (``status`` back to ``match``/``one_face``). Advisory: it never changes a gate.

    Attributes:
        status: the monitor's status (``seat_client.workstation.face_monitor.LiveFaceStatus`` values).
        faces: faces in the picture at that moment.
        score: similarity of the largest face to the ID portrait (None without a face or a portrait).
        threshold: the threshold the score was compared with.
    """

    model_config = ConfigDict(extra="forbid")

    status: Literal["match", "one_face", "mismatch", "no_face", "multiple_faces"]
    faces: int = Field(ge=0, le=64)
    score: float | None = Field(default=None, ge=-1.0, le=1.0)
    threshold: float = Field(ge=0.0, le=1.0)
