"""WebSocket messages between the server and its two kinds of peer, the seat client and the customer page.

Every message is one JSON object with a ``type`` field. Each direction has its own closed set of types, so a peer
cannot send what only the server may say. Parsing checks size first, then JSON, then the schema, and raises
:class:`wire.errors.ProtocolError` with a Chinese message that the server sends back in an ``error`` message.

Call flow (the seat makes the WebRTC offer, the customer page answers)::

    customer: POST /api/customer/precheck (ID card photos) -> POST /api/customer/tickets (precheck_id)
              -> ws /ws/customer/{session_id}?token=...
    server -> customer: queue_status (position) ... repeated on every change
    server -> seat:     call_offered
    seat -> server:     answer_call          (or decline_call)
    server -> seat:     call_answered        (the winner; any other seat gets an error)
    server -> customer: call_connected
    seat -> server -> customer: sdp(offer) ; customer -> server -> seat: sdp(answer) ; ice both ways
    either side: hangup -> server -> both: call_ended(reason)

Identity gates after connect (seat-driven, server-decided; see server/API.md)::

    seat: POST /api/sessions/{id}/gates/... -> server -> seat: gate_update (teller message + snapshot)
                                            -> server -> customer: gate_update (customer message only)
    face:     server -> customer: capture_request ; page POSTs a JPEG frame
    liveness: server -> customer: liveness_challenge, liveness_prompt ; page POSTs frames until decided
    a gate failed for good -> server -> both: call_ended(failed, Chinese message)
"""

from __future__ import annotations

import json
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator

from wire.errors import ProtocolError

MAX_MESSAGE_BYTES = 64 * 1024
"""Largest accepted WebSocket message; an SDP with all candidates is a few KiB."""

MAX_SDP_CHARS = 32 * 1024
SESSION_ID_PATTERN = r"^[A-Za-z0-9_-]{8,64}$"


class SeatState(StrEnum):
    """A seat's (坐席) state as the router sees it."""

    OFFLINE = "offline"
    READY = "ready"
    NOT_READY = "not_ready"
    RESERVED = "reserved"  # ringing: a call is offered and waits for answer
    IN_CALL = "in_call"
    WRAP_UP = "wrap_up"  # after-call work


class EndReason(StrEnum):
    """Why a session ended; stored in the session record."""

    CUSTOMER_HANGUP = "customer_hangup"
    SEAT_HANGUP = "seat_hangup"
    CUSTOMER_DISCONNECTED = "customer_disconnected"
    SEAT_DISCONNECTED = "seat_disconnected"
    CUSTOMER_LEFT_QUEUE = "customer_left_queue"
    NO_SEAT_AVAILABLE = "no_seat_available"
    SERVER_RESTART = "server_restart"
    FAILED = "failed"


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


SessionId = Annotated[str, Field(pattern=SESSION_ID_PATTERN)]


# --- WebRTC signalling, relayed unchanged except for the session id -------------------------------------------------


class SessionDescription(_Message):
    """An SDP offer or answer. From the seat it names the session; towards the customer the session is implicit."""

    type: Literal["sdp"] = "sdp"
    session_id: SessionId | None = None
    sdp_type: Literal["offer", "answer"]
    sdp: str = Field(min_length=1, max_length=MAX_SDP_CHARS)


class IceCandidate(_Message):
    """A trickled ICE candidate; ``candidate`` None (or empty) means end of candidates."""

    type: Literal["ice"] = "ice"
    session_id: SessionId | None = None
    candidate: str | None = Field(default=None, max_length=2048)
    sdp_mid: str | None = Field(default=None, max_length=64)
    sdp_mline_index: int | None = Field(default=None, ge=0, le=64)


# --- customer -> server ---


class CustomerHangup(_Message):
    """The customer ends the call (or leaves the queue if not yet connected)."""

    type: Literal["hangup"] = "hangup"


class LeaveQueue(_Message):
    """The customer gives up waiting."""

    type: Literal["leave_queue"] = "leave_queue"


CustomerMessage = Annotated[
    SessionDescription | IceCandidate | CustomerHangup | LeaveQueue, Field(discriminator="type")
]


# --- seat -> server ---


class SeatSetState(_Message):
    """The teller switches between ready (示闲) and not ready (示忙) with a reason code."""

    type: Literal["set_state"] = "set_state"
    state: Literal[SeatState.READY, SeatState.NOT_READY]
    reason: str | None = Field(default=None, max_length=32)


class SeatAnswerCall(_Message):
    """Answer an offered call."""

    type: Literal["answer_call"] = "answer_call"
    session_id: SessionId


class SeatDeclineCall(_Message):
    """Decline an offered call; the customer goes back to the queue keeping their place."""

    type: Literal["decline_call"] = "decline_call"
    session_id: SessionId


class SeatHangup(_Message):
    """The teller ends the call."""

    type: Literal["hangup"] = "hangup"
    session_id: SessionId


class SeatTransfer(_Message):
    """The teller transfers the customer (转接) to another queue (the customer waits at its front) or to a named
    seat (rung; no answer puts the customer at the front of their queue). Exactly one target."""

    type: Literal["transfer"] = "transfer"
    session_id: SessionId
    queue_id: str | None = Field(default=None, min_length=1, max_length=64)
    seat_id: str | None = Field(default=None, min_length=1, max_length=64)

    @model_validator(mode="after")
    def _one_target(self) -> SeatTransfer:
        if (self.queue_id is None) == (self.seat_id is None):
            raise ValueError("exactly one of queue_id and seat_id")
        return self


class SeatConsultInvite(_Message):
    """The teller invites an expert (专家协助/三方) into the running call: a named seat or the best of a queue."""

    type: Literal["consult_invite"] = "consult_invite"
    session_id: SessionId
    queue_id: str | None = Field(default=None, min_length=1, max_length=64)
    seat_id: str | None = Field(default=None, min_length=1, max_length=64)

    @model_validator(mode="after")
    def _one_target(self) -> SeatConsultInvite:
        if (self.queue_id is None) == (self.seat_id is None):
            raise ValueError("exactly one of queue_id and seat_id")
        return self


SeatMessage = Annotated[
    SessionDescription
    | IceCandidate
    | SeatSetState
    | SeatAnswerCall
    | SeatDeclineCall
    | SeatHangup
    | SeatTransfer
    | SeatConsultInvite,
    Field(discriminator="type"),
]


# --- server -> both ---


class ErrorMessage(_Message):
    """A request was refused; ``message`` is Chinese and shown to the person."""

    type: Literal["error"] = "error"
    code: str
    message: str
    session_id: str | None = None


class CallEnded(_Message):
    """The session is over; ``message`` explains it in Chinese."""

    type: Literal["call_ended"] = "call_ended"
    session_id: str
    reason: EndReason
    message: str


class Notice(_Message):
    """Something the person should know that is not an error (e.g. no seat online yet)."""

    type: Literal["notice"] = "notice"
    code: str
    message: str


# --- server -> customer ---


class QueueStatus(_Message):
    """The customer's live place in the queue (排队位置)."""

    type: Literal["queue_status"] = "queue_status"
    session_id: str
    position: int = Field(ge=1)
    waiting: int = Field(ge=0)
    estimated_wait_s: float | None = None


class CallConnected(_Message):
    """A seat answered; the seat's WebRTC offer follows."""

    type: Literal["call_connected"] = "call_connected"
    session_id: str
    seat_id: str
    seat_name: str


class CustomerGateUpdate(_Message):
    """An identity gate's outcome as the customer may see it: status and the customer message only (never the
    teller's message, which may name an AML list)."""

    type: Literal["gate_update"] = "gate_update"
    session_id: str
    gate: str
    status: str
    message: str | None = None


class CaptureRequest(_Message):
    """The server asks the customer's page for one camera frame (JPEG) for the face comparison (人脸比对).

    The page posts it to ``POST /api/customer/sessions/{session_id}/frames`` with ``kind=capture`` and
    ``ref=request_id``; a request id is good for one frame only.
    """

    type: Literal["capture_request"] = "capture_request"
    session_id: str
    request_id: str
    purpose: Literal["face"] = "face"


class LivenessChallengeMessage(_Message):
    """An active liveness challenge (活体检测): the page shows the prompts and streams camera frames
    (``kind=liveness``, ``ref=challenge_id``) until ``expires_at`` or a ``gate_update`` for ``liveness``."""

    type: Literal["liveness_challenge"] = "liveness_challenge"
    session_id: str
    challenge_id: str
    actions: list[str]
    prompts: list[str]
    expires_at: datetime


class LivenessPrompt(_Message):
    """The action the customer should do now (the server moved to the next step of the challenge)."""

    type: Literal["liveness_prompt"] = "liveness_prompt"
    session_id: str
    challenge_id: str
    step: int = Field(ge=0)
    prompt: str


ServerToCustomer = Annotated[
    QueueStatus
    | CallConnected
    | SessionDescription
    | IceCandidate
    | CallEnded
    | Notice
    | ErrorMessage
    | CustomerGateUpdate
    | CaptureRequest
    | LivenessChallengeMessage
    | LivenessPrompt,
    Field(discriminator="type"),
]


# --- server -> seat ---


class Welcome(_Message):
    """First message on a seat connection."""

    type: Literal["welcome"] = "welcome"
    seat_id: str
    display_name: str
    state: SeatState
    server_time: datetime


class SeatStateChanged(_Message):
    """The seat's state as the server now holds it (the server is the authority)."""

    type: Literal["seat_state"] = "seat_state"
    state: SeatState
    reason: str | None = None


class CallOffered(_Message):
    """A waiting customer is offered to this seat (振铃)."""

    type: Literal["call_offered"] = "call_offered"
    session_id: str
    business_type: str
    business_label: str
    customer_name: str = ""
    queued_at: datetime
    ring_timeout_s: float
    offer_kind: Literal["customer", "transfer", "consult"] = "customer"
    invited_by: str | None = None  # consult: the seat that invited this one


class CallAnswered(_Message):
    """This seat won the call: create the peer connection and send the offer."""

    type: Literal["call_answered"] = "call_answered"
    session_id: str


class CallWithdrawn(_Message):
    """An offered call is no longer available (customer left, ring timeout, taken elsewhere)."""

    type: Literal["call_withdrawn"] = "call_withdrawn"
    session_id: str
    reason: str
    message: str


class CallTransferred(_Message):
    """This seat's transfer went through: the customer left this seat (which is now in wrap-up)."""

    type: Literal["call_transferred"] = "call_transferred"
    session_id: str
    queue_id: str | None = None
    seat_id: str | None = None
    message: str


class ConsultStatus(_Message):
    """Progress of an expert invitation (专家协助), to the inviting seat and the expert.

    ``status``: ``ringing`` (invited), ``joined`` (the expert answered), ``declined`` (declined, no answer or
    withdrawn), ``ended`` (the expert left, or the call ended). Three-party media is not carried yet.
    """

    type: Literal["consult_status"] = "consult_status"
    session_id: str
    status: Literal["ringing", "joined", "declined", "ended"]
    seat_id: str
    seat_name: str = ""
    message: str


class QueueStats(_Message):
    """Waiting counts for the seat's status bar."""

    type: Literal["queue_stats"] = "queue_stats"
    waiting: int = Field(ge=0)


class SeatGateUpdate(_Message):
    """An identity gate changed (身份核验): the teller's message and the full gate snapshot (masked, no images).

    ``snapshot`` is ``GET /api/sessions/{session_id}/gates`` (see server/API.md).
    """

    type: Literal["gate_update"] = "gate_update"
    session_id: str
    gate: str
    status: str
    attempt: int = Field(ge=0)
    teller_message: str | None = None
    retry_allowed: bool = False
    snapshot: dict[str, Any]


class SeatSignatureUpdate(_Message):
    """The customer submitted a signature for the seat's call (客户已签名): the seat reads it with
    ``GET /api/sessions/{session_id}/signature`` (the strokes are not pushed)."""

    type: Literal["signature_update"] = "signature_update"
    session_id: str
    state: Literal["submitted"] = "submitted"
    attempt: int = Field(ge=1)


ServerToSeat = Annotated[
    Welcome
    | SeatStateChanged
    | CallOffered
    | CallAnswered
    | CallWithdrawn
    | SessionDescription
    | IceCandidate
    | CallEnded
    | QueueStats
    | CallTransferred
    | ConsultStatus
    | SeatGateUpdate
    | SeatSignatureUpdate
    | Notice
    | ErrorMessage,
    Field(discriminator="type"),
]

_customer_adapter: TypeAdapter[Any] = TypeAdapter(CustomerMessage)
_seat_adapter: TypeAdapter[Any] = TypeAdapter(SeatMessage)
_to_customer_adapter: TypeAdapter[Any] = TypeAdapter(ServerToCustomer)
_to_seat_adapter: TypeAdapter[Any] = TypeAdapter(ServerToSeat)


def _parse(raw: str | bytes, adapter: TypeAdapter[Any]) -> Any:
    size = len(raw.encode("utf-8")) if isinstance(raw, str) else len(raw)
    if size > MAX_MESSAGE_BYTES:
        raise ProtocolError("too_large", f"消息过大({size} 字节),上限为 {MAX_MESSAGE_BYTES} 字节")
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ProtocolError("malformed_json", f"消息不是有效的 JSON:{exc.msg if hasattr(exc, 'msg') else exc}") from exc
    if not isinstance(data, dict) or "type" not in data:
        raise ProtocolError("invalid_message", "消息必须是带有 type 字段的 JSON 对象")
    try:
        return adapter.validate_python(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in tuple(first.get("loc", ()))[1:])
        raise ProtocolError(
            "invalid_message", f"消息格式错误(type={str(data.get('type'))[:32]!r},字段 {where or '-'}):{first['msg']}"
        ) from exc


def parse_customer_message(raw: str | bytes) -> CustomerHangup | LeaveQueue | SessionDescription | IceCandidate:
    """Parse a message the customer page sent; raises ProtocolError."""
    return _parse(raw, _customer_adapter)  # type: ignore[no-any-return]


def parse_seat_message(raw: str | bytes) -> Any:
    """Parse a message a seat client sent; raises ProtocolError."""
    return _parse(raw, _seat_adapter)


def parse_server_to_customer(raw: str | bytes) -> Any:
    """Parse a message the server sent to a customer (used by tests and the simulated customer)."""
    return _parse(raw, _to_customer_adapter)


def parse_server_to_seat(raw: str | bytes) -> Any:
    """Parse a message the server sent to a seat client."""
    return _parse(raw, _to_seat_adapter)


def dump_message(message: BaseModel) -> str:
    """Serialise a message to its JSON text (UTF-8, Chinese kept readable)."""
    return message.model_dump_json(exclude_none=False)
