"""The routing engine behind the coordinator's :class:`server.queueing.CallQueue` interface (drop-in for FifoQueue).

The coordinator (server/calls.py) owns seat states and timers (ring timeout, customer grace, wrap-up) and asks the
queue only "who goes to which seat now". So this adapter runs the engine with its own ring timeout, wrap-up and
reconnect grace switched off (set very long) and mirrors the coordinator's calls onto engine events:

==========================  ====================================================================================
CallQueue call              engine event
==========================  ====================================================================================
customer_arrived(entry)     customer_arrive(arrival=entry.queued_at, present=entry.present)
customer_presence(s, True)  customer_reconnected            (an absent customer is offered again, same place)
customer_presence(s, False) customer_disconnected if waiting; if ringing, only remembered: the coordinator calls
                            offer_failed next
customer_left(s)            customer_leave                  (ends a call too: the seat goes to wrap-up; a ringing
                            seat leaves the ready pool until seat_ready, as the interface requires)
seat_ready(seat)            seat_login(ready=True) the first time, else seat_set_ready (ends wrap-up/not-ready)
seat_unavailable(seat)      seat_set_not_ready("other")     (while ringing or talking: applies after the call)
offer_failed(s)             seat_decline                    (the seat goes not-ready; the customer keeps their place)
offer_accepted(s)           seat_answer
==========================  ====================================================================================

Besides offers, the engine's other decisions that the coordinator must act on (a rejection with its Chinese
"call back / book an appointment" text, an overflow to another queue, a customer re-queued at the front or a failed
call after a seat dropped, consult ends) are kept as :class:`RoutingNotice` and collected with :meth:`take_notices`.

Offers returned are the engine's reservations that are new since the last call (intermediate offers the engine made
and withdrew within one call never reach the coordinator). Positions count waiting customers, present or not, offered
or not, in the order the engine would serve them now.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from server.queueing import Offer, QueueEntry
from server.routing.config import RoutingConfig, load_config
from server.routing.engine import RoutingEngine
from server.routing.model import (
    ConsultEnded,
    CustomerState,
    Decision,
    HeldForSeat,
    HoldEnded,
    Overflowed,
    PositionUpdate,
    Preview,
    Queued,
    QueueStatistics,
    Rejected,
    SessionEnded,
    Skill,
    SkillRole,
)
from wire.messages import SeatState

logger = logging.getLogger(__name__)

_FOREVER = 10.0 * 365 * 24 * 3600  # the coordinator's own timers act long before this


@dataclass(frozen=True)
class RoutingNotice:
    """An engine decision, other than an offer, that the coordinator carries out.

    Attributes:
        session_id: the customer's session.
        kind: ``rejected`` (end the session with ``message``), ``overflowed`` (now waits in ``queue_id``),
            ``requeued`` (their seat dropped mid-call: waiting again at the front), ``failed`` (their seat dropped
            mid-call and the call fails), ``consult_ended`` (the consulting expert ``seat_id`` left), ``held``
            (transferred to the busy seat ``seat_id``: waits for it; ``message`` for the customer, ``detail``
            ``position`` and ``hold_s``), ``hold_ended`` (stopped waiting for ``seat_id`` without being offered to it:
            back at the front of ``queue_id``; ``detail`` ``reason`` ``timeout`` or ``seat_offline``).
        message: Chinese text for the customer (rejections, failures).
        queue_id: the queue concerned.
        seat_id: the seat concerned.
        detail: extra facts for the session trail.
    """

    session_id: str
    kind: str
    message: str = ""
    queue_id: str | None = None
    seat_id: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)


def _all_queues(config: RoutingConfig) -> Callable[[str], list[Skill]]:
    def skills(seat_id: str) -> list[Skill]:
        return [Skill(qid, 1, SkillRole.PRIMARY) for qid in config.queues]

    return skills


class RoutingCallQueue:
    """A :class:`server.queueing.CallQueue` backed by :class:`RoutingEngine`.

    Args:
        config: routing configuration (default: resources/routing/queues.toml). Its ring timeout, wrap-up and
            reconnect grace are replaced by "never": the coordinator's timers rule. Waiting limits, time overflow
            and rejections stay as configured; overflow when no seat is signed in is off (customers wait for the
            first seat, and are told none is online).
        skills_for: a seat's skills, asked each time the seat signs in (default: every queue, primary).
        star_for: a customer's star level 0-7 (default: ``entry.star``).
        clock: seconds since the epoch (default ``time.time``), the same time base as ``QueueEntry.queued_at``.
    """

    def __init__(
        self,
        config: RoutingConfig | None = None,
        *,
        skills_for: Callable[[str], list[Skill]] | None = None,
        star_for: Callable[[QueueEntry], int] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.source_config = config or load_config()
        self.config = self._effective(self.source_config)
        self.engine = RoutingEngine(self.config)
        self._skills_for = skills_for or _all_queues(self.config)
        self._star_for = star_for or (lambda entry: entry.star)
        self._clock = clock
        self._entries: dict[str, QueueEntry] = {}
        self._connected: dict[str, QueueEntry] = {}
        self._reported: dict[str, str] = {}  # session -> seat, offers the coordinator knows about
        self._notices: list[RoutingNotice] = []
        self._signed_in: set[str] = set()
        self.placement_for: Callable[[QueueEntry], tuple[str | None, bool]] | None = None
        """Where a restored customer waits: (queue id or None, front of queue); set by the server."""

    def set_star_source(self, star_for: Callable[[QueueEntry], int]) -> None:
        """Resolve star levels with this function from now on (the server's bank-side resolver)."""
        self._star_for = star_for

    @staticmethod
    def _effective(config: RoutingConfig) -> RoutingConfig:
        queues = {
            qid: dataclasses.replace(q, ring_timeout_s=_FOREVER, wrap_up_s=_FOREVER, overflow_when_no_seat=False)
            for qid, q in config.queues.items()
        }
        return dataclasses.replace(config, queues=queues, reconnect_grace_s=_FOREVER)

    # --- CallQueue ----------------------------------------------------------------------------------------------

    def customer_arrived(self, entry: QueueEntry) -> list[Offer]:
        """See :meth:`server.queueing.CallQueue.customer_arrived` (``entry.queue_id``/``front`` after a restart)."""
        if entry.session_id in self._entries:
            raise ValueError(f"session {entry.session_id} is already queued")
        self._entries[entry.session_id] = entry
        if entry.queue_id is None and not entry.front and self.placement_for is not None:
            entry.queue_id, entry.front = self.placement_for(entry)
        queue_id = entry.queue_id if entry.queue_id in self.config.queues else None
        self._take(
            self.engine.customer_arrive(
                entry.session_id,
                entry.business_type,
                self._now(),
                star=self._star_for(entry),
                customer_name=entry.customer_name,
                queue_id=queue_id,
                arrival=entry.queued_at.timestamp(),
                present=entry.present and not entry.front,
            )
        )
        customer = self.engine.customer(entry.session_id)
        if customer is None:  # rejected
            self._entries.pop(entry.session_id, None)
        elif entry.front:
            customer.tier = 0
            if entry.present:
                self._take(self.engine.customer_reconnected(entry.session_id, self._now()))
        return self._new_offers()

    def customer_presence(self, session_id: str, present: bool) -> list[Offer]:
        """See :meth:`server.queueing.CallQueue.customer_presence`."""
        entry = self._entries.get(session_id)
        customer = self.engine.customer(session_id)
        if entry is None or customer is None:
            return []
        entry.present = present
        if present and customer.state is CustomerState.DISCONNECTED:
            self._take(self.engine.customer_reconnected(session_id, self._now()))
        elif not present and customer.state in (CustomerState.WAITING, CustomerState.HELD):
            self._take(self.engine.customer_disconnected(session_id, self._now()))
        return self._new_offers()

    def customer_left(self, session_id: str) -> list[Offer]:
        """See :meth:`server.queueing.CallQueue.customer_left`."""
        self._entries.pop(session_id, None)
        self._connected.pop(session_id, None)
        self._reported.pop(session_id, None)
        now = self._now()
        customer = self.engine.customer(session_id)
        if customer is not None and customer.state is CustomerState.OFFERED and customer.seat_id is not None:
            # the ringing seat leaves the ready pool until the coordinator reports it ready again
            self._take(self.engine.seat_decline(customer.seat_id, session_id, now))
        serving = customer.seat_id if customer is not None and customer.state is CustomerState.CONNECTED else None
        self._take(self.engine.customer_leave(session_id, now))
        self._hold_wrap_up(serving)
        return self._new_offers()

    def seat_ready(self, seat_id: str) -> list[Offer]:
        """See :meth:`server.queueing.CallQueue.seat_ready`."""
        now = self._now()
        known = self.engine.find_seat(seat_id)
        if known is None or known.state is SeatState.OFFLINE:
            self._take(self.engine.seat_login(seat_id, self._skills_for(seat_id), now, ready=True))
            self._signed_in.add(seat_id)
        elif known.state in (SeatState.NOT_READY, SeatState.WRAP_UP):
            self._take(self.engine.seat_set_ready(seat_id, now))
        elif known.state is SeatState.IN_CALL and known.session_id is not None:
            # The coordinator may report the seat ready before it reports the customer gone: the call is over.
            if known.offer_kind is not None and known.offer_kind.value == "consult":
                self._take(self.engine.end_consult(known.session_id, now))
            else:
                self._connected.pop(known.session_id, None)
                self._take(self.engine.end_call(known.session_id, now))
            self._take(self.engine.seat_set_ready(seat_id, now))
        return self._new_offers()

    def seat_unavailable(self, seat_id: str, reason: str = "other") -> list[Offer]:
        """See :meth:`server.queueing.CallQueue.seat_unavailable` (``reason``: a configured not-ready code)."""
        seat = self.engine.find_seat(seat_id)
        if reason not in self.config.not_ready_reasons:
            reason = "other"
        busy = seat is not None and seat.state is not SeatState.OFFLINE
        if busy and seat is not None and (seat.state is not SeatState.NOT_READY or seat.reason != reason):
            self._take(self.engine.seat_set_not_ready(seat_id, reason, self._now()))
        return self._new_offers()

    def seat_signed_in(self, seat_id: str, name: str = "") -> list[Offer]:
        """The seat connected (签入): it joins the engine not ready, with its skills as stored now; ``name`` is the
        teller's display name (the engine's Chinese messages name the seat with it)."""
        seat = self.engine.find_seat(seat_id)
        if seat is not None and seat.state is not SeatState.OFFLINE:
            self._take(self.engine.seat_disconnected(seat_id, self._now()))
        self._take(self.engine.seat_login(seat_id, self._skills_for(seat_id), self._now(), name=name))
        self._signed_in.add(seat_id)
        return self._new_offers()

    def seat_offline(self, seat_id: str) -> list[Offer]:
        """The seat signed out or its connection dropped: a ringing customer keeps their place; a customer in a call
        is re-queued at the front or the call fails (``seat_drop_in_call``), reported by :meth:`take_notices`."""
        self._signed_in.discard(seat_id)
        seat = self.engine.find_seat(seat_id)
        if seat is not None and seat.state is not SeatState.OFFLINE:
            sid = seat.session_id
            self._take(self.engine.seat_disconnected(seat_id, self._now()))
            if sid is not None and sid in self._connected:
                customer = self.engine.customer(sid)
                entry = self._connected.pop(sid)
                if customer is not None and customer.state is not CustomerState.CONNECTED:
                    entry.front = True
                    self._entries[sid] = entry
        return self._new_offers()

    def offer_failed(self, session_id: str) -> list[Offer]:
        """See :meth:`server.queueing.CallQueue.offer_failed`."""
        self._reported.pop(session_id, None)
        customer = self.engine.customer(session_id)
        if customer is None or customer.seat_id is None:
            return self._new_offers()
        seat = self.engine.find_seat(customer.seat_id)
        if customer.state is CustomerState.CONNECTED and customer.consult_seat_id is not None:
            expert = self.engine.find_seat(customer.consult_seat_id)
            if expert is not None and expert.state is SeatState.RESERVED:
                self._take(self.engine.seat_decline(expert.seat_id, session_id, self._now()))
            return self._new_offers()
        if customer.state is not CustomerState.OFFERED or seat is None:
            return self._new_offers()
        now = self._now()
        self._take(self.engine.seat_decline(customer.seat_id, session_id, now))
        entry = self._entries.get(session_id)
        if entry is not None and not entry.present:
            self._take(self.engine.customer_disconnected(session_id, now))
        return self._new_offers()

    def offer_accepted(self, session_id: str) -> list[Offer]:
        """See :meth:`server.queueing.CallQueue.offer_accepted`."""
        self._reported.pop(session_id, None)
        entry = self._entries.pop(session_id, None)
        if entry is not None:
            entry.front = False
            self._connected[session_id] = entry
        customer = self.engine.customer(session_id)
        if customer is not None and customer.state is CustomerState.OFFERED and customer.seat_id is not None:
            self._take(self.engine.seat_answer(customer.seat_id, session_id, self._now()))
        return self._new_offers()

    def position(self, session_id: str) -> int | None:
        """See :meth:`server.queueing.CallQueue.position`."""
        for index, entry in enumerate(self.entries()):
            if entry.session_id == session_id:
                return index + 1
        return None

    def entries(self) -> list[QueueEntry]:
        """See :meth:`server.queueing.CallQueue.entries`: waiting customers in the order the engine serves them."""
        now = self._now()
        engine = self.engine
        listed = []
        for sid, entry in self._entries.items():
            customer = engine.customer(sid)
            if customer is None or customer.state is CustomerState.CONNECTED:
                continue
            rank = (customer.tier, -engine.live_score(sid, now), customer.arrival, customer.order)
            listed.append((rank, entry))
        listed.sort(key=lambda item: item[0])
        return [entry for _, entry in listed]

    def offered_seat(self, session_id: str) -> str | None:
        """See :meth:`server.queueing.CallQueue.offered_seat`."""
        customer = self.engine.customer(session_id)
        if customer is not None and customer.state is CustomerState.OFFERED:
            return customer.seat_id
        return None

    # --- routing features beyond CallQueue ---------------------------------------------------------------------

    def take_notices(self) -> list[RoutingNotice]:
        """Non-offer decisions since the last call, oldest first."""
        notices, self._notices = self._notices, []
        return notices

    def queue_of(self, session_id: str) -> str | None:
        """The queue a customer waits (or is served) in."""
        customer = self.engine.customer(session_id)
        return customer.queue_id if customer is not None else None

    def queue_positions(self) -> dict[str, PositionUpdate]:
        """Every waiting customer's place within their own queue, counting customers present or not, offered or
        not (as :meth:`entries` orders them), with the engine's wait estimate for that place. A customer waiting for
        a named seat after a transfer gets their place in that seat's line instead (no estimate)."""
        by_queue: dict[str, list[str]] = {}
        result: dict[str, PositionUpdate] = {}
        for entry in self.entries():
            customer = self.engine.customer(entry.session_id)
            if customer is None:
                continue
            if customer.state is CustomerState.HELD:
                held = self.engine.position(entry.session_id)
                if held is not None:
                    result[entry.session_id] = held
            else:
                by_queue.setdefault(customer.queue_id, []).append(entry.session_id)
        for qid, sids in by_queue.items():
            state = self.engine._queues[qid]
            for index, sid in enumerate(sids):
                estimate = state.estimate_wait(index + 1)
                result[sid] = PositionUpdate(sid, qid, index + 1, len(sids), estimate)
        return result

    def wrap_up_s(self, session_id: str | None, business_type: str | None = None) -> float:
        """After-call work length of the queue that served the session (configured value)."""
        qid = self.queue_of(session_id) if session_id else None
        if qid is None and business_type is not None:
            qid = self.source_config.queue_for(business_type)
        q = self.source_config.queues.get(qid or "")
        return q.wrap_up_s if q is not None else 30.0

    def transfer_to_queue(self, session_id: str, queue_id: str) -> list[Offer]:
        """The serving seat hands the customer to another queue (front of it). Raises ``RoutingError``."""
        serving = self._serving_seat(session_id)
        self._take(self.engine.transfer_to_queue(session_id, queue_id, self._now()))
        self._hold_wrap_up(serving)
        self._requeue_connected(session_id)
        return self._new_offers()

    def transfer_to_seat(self, session_id: str, seat_id: str) -> list[Offer]:
        """The serving seat hands the customer to a named seat: rung if ready, else the customer waits for it (see
        :meth:`RoutingEngine.transfer_to_seat`; :meth:`held_seat` tells which). Raises ``RoutingError``."""
        serving = self._serving_seat(session_id)
        self._take(self.engine.transfer_to_seat(session_id, seat_id, self._now()))
        self._hold_wrap_up(serving)
        self._requeue_connected(session_id)
        return self._new_offers()

    def held_seat(self, session_id: str) -> str | None:
        """The named seat the customer waits for after a transfer (转接等待), or None."""
        customer = self.engine.customer(session_id)
        return customer.held_for if customer is not None and customer.state is CustomerState.HELD else None

    def invite_consult(self, session_id: str, seat_id: str | None, queue_id: str | None) -> list[Offer]:
        """Ring an expert (named seat or best seat of a queue) into the running call. Raises ``RoutingError``."""
        self._take(self.engine.invite_consult(session_id, self._now(), seat_id=seat_id, queue_id=queue_id))
        return self._new_offers()

    def consult_answered(self, session_id: str, seat_id: str) -> list[Offer]:
        """The invited expert answered."""
        self._reported.pop(session_id + "#consult", None)
        self._take(self.engine.seat_answer(seat_id, session_id, self._now()))
        return self._new_offers()

    def end_consult(self, session_id: str) -> list[Offer]:
        """The expert leaves (or the invitation is cancelled); the expert seat is free."""
        customer = self.engine.customer(session_id)
        if customer is not None and customer.consult_seat_id is not None:
            self._take(self.engine.end_consult(session_id, self._now()))
        return self._new_offers()

    def statistics(self) -> dict[str, QueueStatistics]:
        """Per-queue statistics and ``"*"`` overall."""
        return self.engine.statistics(self._now())

    def preview(self, business_type: str, star: int = 0) -> Preview:
        """What a customer arriving now would get (no change)."""
        return self.engine.preview(business_type, self._now(), star=star)

    def next_deadline(self) -> float | None:
        """When the engine has timed work (time overflow, no-seat re-routing): arm a timer and call :meth:`tick`."""
        return self.engine.next_deadline()

    def tick(self) -> list[Offer]:
        """Apply due timed rules (e.g. overflow after ``max_wait_s``)."""
        self._take(self.engine.advance(self._now()))
        return self._new_offers()

    def replace_config(self, config: RoutingConfig) -> None:
        """Swap the configuration at run time, keeping every seat and waiting customer (snapshot and restore)."""
        from server.routing.snapshot import restore, snapshot

        effective = self._effective(config)
        self.engine = restore(effective, snapshot(self.engine))
        self.source_config = config
        self.config = effective

    # --- internals ------------------------------------------------------------------------------------------------

    def _serving_seat(self, session_id: str) -> str | None:
        customer = self.engine.customer(session_id)
        return customer.seat_id if customer is not None and customer.state is CustomerState.CONNECTED else None

    def _hold_wrap_up(self, seat_id: str | None) -> None:
        """The coordinator times wrap-up (and may keep a seat in it): the engine holds the seat not-ready until the
        coordinator reports it ready, instead of freeing it by its own wrap-up timer. The handle time (talk plus the
        queue's wrap-up) is already recorded."""
        seat = self.engine.find_seat(seat_id) if seat_id else None
        if seat is not None and seat.state is SeatState.WRAP_UP:
            self._take(self.engine.seat_set_not_ready(seat.seat_id, "other", self._now()))

    def _requeue_connected(self, session_id: str) -> None:
        entry = self._connected.pop(session_id, None)
        if entry is not None and self.engine.customer(session_id) is not None:
            entry.front = True
            entry.present = True
            self._entries[session_id] = entry

    def _take(self, decisions: list[Decision]) -> None:
        for d in decisions:
            if isinstance(d, Rejected):
                self._notices.append(
                    RoutingNotice(d.session_id, "rejected", d.message, d.queue_id, None, {"reason": d.reason})
                )
            elif isinstance(d, Overflowed):
                self._notices.append(
                    RoutingNotice(
                        d.session_id, "overflowed", "", d.to_queue, None, {"from": d.from_queue, "reason": d.reason}
                    )
                )
            elif isinstance(d, SessionEnded):
                self._notices.append(
                    RoutingNotice(d.session_id, "failed", d.message, None, d.seat_id, {"reason": d.reason.value})
                )
            elif isinstance(d, Queued) and d.front and d.session_id in self._connected:
                self._notices.append(RoutingNotice(d.session_id, "requeued", "", d.queue_id))
            elif isinstance(d, HeldForSeat):
                self._notices.append(
                    RoutingNotice(
                        d.session_id,
                        "held",
                        d.message,
                        d.queue_id,
                        d.seat_id,
                        {"position": d.position, "hold_s": d.hold_s},
                    )
                )
            elif isinstance(d, HoldEnded):
                self._notices.append(
                    RoutingNotice(d.session_id, "hold_ended", d.message, d.queue_id, d.seat_id, {"reason": d.reason})
                )
            elif isinstance(d, ConsultEnded):
                self._notices.append(
                    RoutingNotice(d.session_id, "consult_ended", "", None, d.seat_id, {"reason": d.reason})
                )

    def _now(self) -> float:
        return self._clock()

    def _new_offers(self) -> list[Offer]:
        """Reservations held now that the coordinator has not been told about; forget ones that no longer hold."""
        held: dict[str, tuple[str, str]] = {}
        for s in self.engine.reserved_seats():
            if s.session_id is None:
                continue
            kind = s.offer_kind.value if s.offer_kind is not None else "customer"
            key = s.session_id + "#consult" if kind == "consult" else s.session_id
            held[key] = (s.seat_id, kind)
        for key in [k for k, seat in self._reported.items() if held.get(k, ("",))[0] != seat]:
            del self._reported[key]
        offers = []
        for key, (seat_id, kind) in held.items():
            if self._reported.get(key) != seat_id:
                self._reported[key] = seat_id
                offers.append(Offer(key.removesuffix("#consult"), seat_id, kind))
        return offers
