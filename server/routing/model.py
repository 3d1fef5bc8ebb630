"""Routing model: seats, skills, waiting customers, and the decisions the engine returns for every event."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from wire.messages import EndReason, SeatState


class RoutingError(ValueError):
    """An event the engine refuses (unknown seat, wrong state...); ``message`` is Chinese, for tellers/customers.

    Attributes:
        code: stable machine-readable code.
        message: Chinese explanation.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class SkillRole(StrEnum):
    """What a seat does for a queue."""

    PRIMARY = "primary"  # gets the queue's customers
    BACKUP = "backup"  # gets them only when no primary seat of the queue is ready
    EXPERT = "expert"  # is only invited to consult (专家协助), never routed customers


@dataclass(frozen=True, slots=True)
class Skill:
    """A seat's skill (技能组): a queue it serves, how well, and in which role."""

    queue_id: str
    proficiency: int = 1
    role: SkillRole = SkillRole.PRIMARY


class CustomerState(StrEnum):
    """Where a customer is in routing."""

    WAITING = "waiting"
    HELD = "held"  # transferred to a named seat that is busy: waits for that seat (转接等待), ahead of its queues
    OFFERED = "offered"  # a seat rings for them
    CONNECTED = "connected"
    DISCONNECTED = "disconnected"  # page dropped while waiting; keeps their place for the grace period
    ENDED = "ended"


class OfferKind(StrEnum):
    """Why a seat is reserved."""

    CUSTOMER = "customer"
    TRANSFER = "transfer"  # a named-seat transfer
    CONSULT = "consult"  # the seat is invited as an expert into a running session


@dataclass(slots=True, eq=False)
class Seat:
    """A teller seat (坐席) as the router holds it."""

    seat_id: str
    name: str
    skills: dict[str, Skill]
    state: SeatState = SeatState.OFFLINE
    reason: str | None = None
    since: float = 0.0
    ready_since: float = 0.0
    calls_today: int = 0
    session_id: str | None = None
    offer_kind: OfferKind | None = None
    pending_not_ready: str | None = None
    version: int = 0
    ready_token: int = 0
    wrap_queue: str | None = None
    ring_deadline: float = float("inf")  # while reserved: when the ring timeout falls due
    # customers transferred to this seat by name while it was busy, first come first served, as (token, customer);
    # an entry whose customer no longer waits for this seat with that token is dropped when it comes to the front
    held: deque[tuple[int, Customer]] | None = None
    history: deque[SeatStateChanged] = field(default_factory=lambda: deque(maxlen=1000))


@dataclass(slots=True, eq=False)
class Customer:
    """A customer session in routing (排队客户).

    ``key`` is the static part of the score in the current queue, ``base + w_star*star - w_age*arrival``; the live
    score is ``key + w_age*now``. ``tier`` 0 puts a customer ahead of every tier-1 customer (re-queued after a seat
    dropped mid-call, or transferred). ``path`` lists the queues they were routed through, first to current.
    """

    session_id: str
    business_type: str
    star: int
    arrival: float
    queue_id: str
    entered_at: float
    key: float
    order: int
    customer_name: str = ""
    path: tuple[str, ...] = ()
    tier: int = 1
    state: CustomerState = CustomerState.WAITING
    seat_id: str | None = None
    heap_token: int = 0
    state_token: int = 0
    offered_at: float | None = None
    answered_at: float | None = None
    disconnected_at: float | None = None
    consult_seat_id: str | None = None
    held_for: str | None = None  # HELD: the named seat they wait for
    held_at: float | None = None  # HELD: since when


# --- decisions (read-only: treat them as values) -----


@dataclass(slots=True)
class OfferCall:
    """Ring this seat for this session (振铃); for ``CONSULT`` the seat is invited into a running call."""

    session_id: str
    seat_id: str
    queue_id: str
    kind: OfferKind
    ring_timeout_s: float
    arrival: float


@dataclass(slots=True)
class WithdrawOffer:
    """The seat's ringing offer is void (customer left, ring timeout, seat dropped, swept)."""

    session_id: str
    seat_id: str
    reason: str
    message: str


@dataclass(slots=True)
class Connected:
    """The seat answered: connect the call (or the consulting expert)."""

    session_id: str
    seat_id: str
    kind: OfferKind


@dataclass(slots=True)
class Queued:
    """The customer waits in a queue (after arrival, re-queue, overflow, reconnect or transfer)."""

    session_id: str
    queue_id: str
    front: bool = False


@dataclass(slots=True)
class HeldForSeat:
    """A transfer to a named seat that is busy: the customer waits for that seat (转接等待), ahead of everyone in
    the seat's queues, for at most ``hold_s``; then they go back to the front of ``queue_id``.

    ``position`` is their place among the customers waiting for this seat; ``message`` is Chinese, for the customer.
    """

    session_id: str
    seat_id: str
    seat_name: str
    queue_id: str
    position: int
    hold_s: float
    message: str


@dataclass(slots=True)
class HoldEnded:
    """A customer stopped waiting for a named seat without being offered to it: ``reason`` ``timeout`` (the seat
    did not become free within the hold time) or ``seat_offline``. They are back at the front of ``queue_id``, keeping
    their arrival time (a ``Queued`` or an ``OfferCall`` follows). ``message`` is Chinese, for the customer."""

    session_id: str
    seat_id: str
    queue_id: str
    reason: str
    message: str


@dataclass(slots=True)
class Overflowed:
    """The customer moved to another queue, keeping their original arrival time."""

    session_id: str
    from_queue: str
    to_queue: str
    reason: str


@dataclass(slots=True)
class Rejected:
    """No queue can take the customer: tell them to call back or book an appointment (Chinese ``message``)."""

    session_id: str
    queue_id: str
    reason: str
    message: str


@dataclass(slots=True)
class SessionEnded:
    """The engine ended a session (abandon, grace expired, failed call, server restart)."""

    session_id: str
    reason: EndReason
    message: str
    seat_id: str | None = None


@dataclass(slots=True)
class ConsultEnded:
    """A consulting expert left the session (or never joined)."""

    session_id: str
    seat_id: str
    reason: str


@dataclass(slots=True)
class SeatStateChanged:
    """A seat's state changed (persist it; tell the seat); the same object is kept in the seat's history."""

    seat_id: str
    state: SeatState
    reason: str | None
    at: float
    session_id: str | None = None


StateChange = SeatStateChanged
"""One timestamped seat state change, as kept in :attr:`Seat.history` (the latest ``seat_history_limit``; the
complete record is the stream of :class:`SeatStateChanged` decisions, which the server persists)."""


@dataclass(frozen=True, slots=True)
class PositionsChanged:
    """Positions in this queue changed: send :meth:`RoutingEngine.queue_positions` to its customers."""

    queue_id: str


@dataclass(slots=True)
class PositionUpdate:
    """A customer's live place (排队位置) and estimated wait."""

    session_id: str
    queue_id: str
    position: int
    waiting: int
    estimated_wait_s: float | None


@dataclass(slots=True)
class Audit:
    """Something an operator should see in the audit trail (e.g. the sweeper released a stuck reservation)."""

    at: float
    kind: str
    message: str
    session_id: str | None = None
    seat_id: str | None = None


Decision = (
    OfferCall
    | WithdrawOffer
    | Connected
    | Queued
    | HeldForSeat
    | HoldEnded
    | Overflowed
    | Rejected
    | SessionEnded
    | ConsultEnded
    | SeatStateChanged
    | PositionsChanged
    | PositionUpdate
    | Audit
)


@dataclass(frozen=True, slots=True)
class Preview:
    """What would happen to a customer arriving now (no state is changed).

    Attributes:
        outcome: ``offer`` (a seat is ready), ``queue``, or ``reject``.
        queue_id: the queue they would end up in (after overflow), or the one rejecting them.
        path: queues tried, in order.
        seat_id: the seat that would ring, for ``offer``.
        position: their 1-based place, for ``queue``.
        estimated_wait_s: estimate for ``queue``.
        message: Chinese text for ``reject``.
    """

    outcome: str
    queue_id: str
    path: tuple[str, ...]
    seat_id: str | None = None
    position: int | None = None
    estimated_wait_s: float | None = None
    message: str | None = None


@dataclass(frozen=True, slots=True)
class QueueStatistics:
    """Statistics of one queue (or all queues when ``queue_id`` is ``"*"``)."""

    queue_id: str
    waiting: int
    longest_wait_s: float
    arrived: int
    answered: int
    answered_within_sl: int
    abandoned: int
    rejected: int
    overflowed_in: int
    overflowed_out: int
    service_level: float | None
    abandon_rate: float | None
    average_speed_of_answer_s: float | None
    average_handle_time_s: float | None
    seats_by_state: dict[str, int]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {f: getattr(self, f) for f in self.__dataclass_fields__}
