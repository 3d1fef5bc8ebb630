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

Offers returned are the engine's reservations that are new since the last call (intermediate offers the engine made
and withdrew within one call never reach the coordinator). Positions count waiting customers, present or not, offered
or not, in the order the engine would serve them now.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable

from server.queueing import Offer, QueueEntry
from server.routing.config import RoutingConfig, load_config
from server.routing.engine import RoutingEngine
from server.routing.model import CustomerState, Skill, SkillRole
from wire.messages import SeatState

logger = logging.getLogger(__name__)

_FOREVER = 10.0 * 365 * 24 * 3600  # the coordinator's own timers act long before this


def _all_queues(config: RoutingConfig) -> Callable[[str], list[Skill]]:
    def skills(seat_id: str) -> list[Skill]:
        return [Skill(qid, 1, SkillRole.PRIMARY) for qid in config.queues]

    return skills


class RoutingCallQueue:
    """A :class:`server.queueing.CallQueue` backed by :class:`RoutingEngine`.

    Args:
        config: routing configuration (default: resources/routing/queues.toml). Its ring timeout, wrap-up and
            reconnect grace are replaced by "never": the coordinator's timers rule.
        skills_for: a seat's skills, asked when the seat is first seen ready (default: every queue, primary).
        star_for: a customer's star level 0-7 (default 0 for everyone).
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
        config = config or load_config()
        # The interface has no way to say "rejected": nobody is turned away here (no waiting limit, no overflow
        # when no seat is signed in, stay when an overflow chain is exhausted). Time overflow between queues stays.
        queues = {
            qid: dataclasses.replace(
                q,
                ring_timeout_s=_FOREVER,
                wrap_up_s=_FOREVER,
                max_waiting=None,
                overflow_when_no_seat=False,
                on_exhausted="stay",
            )
            for qid, q in config.queues.items()
        }
        self.config = dataclasses.replace(config, queues=queues, reconnect_grace_s=_FOREVER)
        self.engine = RoutingEngine(self.config)
        self._skills_for = skills_for or _all_queues(self.config)
        self._star_for = star_for or (lambda entry: 0)
        self._clock = clock
        self._entries: dict[str, QueueEntry] = {}
        self._reported: dict[str, str] = {}  # session -> seat, offers the coordinator knows about

    # --- CallQueue ----------------------------------------------------------------------------------------------

    def customer_arrived(self, entry: QueueEntry) -> list[Offer]:
        """See :meth:`server.queueing.CallQueue.customer_arrived`."""
        if entry.session_id in self._entries:
            raise ValueError(f"session {entry.session_id} is already queued")
        self._entries[entry.session_id] = entry
        self.engine.customer_arrive(
            entry.session_id,
            entry.business_type,
            self._now(),
            star=self._star_for(entry),
            customer_name=entry.customer_name,
            arrival=entry.queued_at.timestamp(),
            present=entry.present,
        )
        return self._new_offers()

    def customer_presence(self, session_id: str, present: bool) -> list[Offer]:
        """See :meth:`server.queueing.CallQueue.customer_presence`."""
        entry = self._entries.get(session_id)
        customer = self.engine.customer(session_id)
        if entry is None or customer is None:
            return []
        entry.present = present
        if present and customer.state is CustomerState.DISCONNECTED:
            self.engine.customer_reconnected(session_id, self._now())
        elif not present and customer.state is CustomerState.WAITING:
            self.engine.customer_disconnected(session_id, self._now())
        return self._new_offers()

    def customer_left(self, session_id: str) -> list[Offer]:
        """See :meth:`server.queueing.CallQueue.customer_left`."""
        self._entries.pop(session_id, None)
        self._reported.pop(session_id, None)
        now = self._now()
        customer = self.engine.customer(session_id)
        if customer is not None and customer.state is CustomerState.OFFERED and customer.seat_id is not None:
            # the ringing seat leaves the ready pool until the coordinator reports it ready again
            self.engine.seat_decline(customer.seat_id, session_id, now)
        self.engine.customer_leave(session_id, now)
        return self._new_offers()

    def seat_ready(self, seat_id: str) -> list[Offer]:
        """See :meth:`server.queueing.CallQueue.seat_ready`."""
        now = self._now()
        known = self.engine.find_seat(seat_id)
        if known is None or known.state is SeatState.OFFLINE:
            self.engine.seat_login(seat_id, self._skills_for(seat_id), now, ready=True)
        elif known.state in (SeatState.NOT_READY, SeatState.WRAP_UP):
            self.engine.seat_set_ready(seat_id, now)
        elif known.state is SeatState.IN_CALL and known.session_id is not None:
            # The coordinator may report the seat ready before it reports the customer gone: the call is over.
            self.engine.end_call(known.session_id, now)
            self.engine.seat_set_ready(seat_id, now)
        return self._new_offers()

    def seat_unavailable(self, seat_id: str) -> list[Offer]:
        """See :meth:`server.queueing.CallQueue.seat_unavailable`."""
        seat = self.engine.find_seat(seat_id)
        if seat is not None and seat.state is not SeatState.OFFLINE:
            self.engine.seat_set_not_ready(seat_id, "other", self._now())
        return self._new_offers()

    def offer_failed(self, session_id: str) -> list[Offer]:
        """See :meth:`server.queueing.CallQueue.offer_failed`."""
        self._reported.pop(session_id, None)
        customer = self.engine.customer(session_id)
        if customer is None or customer.state is not CustomerState.OFFERED or customer.seat_id is None:
            return self._new_offers()
        now = self._now()
        self.engine.seat_decline(customer.seat_id, session_id, now)
        entry = self._entries.get(session_id)
        if entry is not None and not entry.present:
            self.engine.customer_disconnected(session_id, now)
        return self._new_offers()

    def offer_accepted(self, session_id: str) -> list[Offer]:
        """See :meth:`server.queueing.CallQueue.offer_accepted`."""
        self._reported.pop(session_id, None)
        self._entries.pop(session_id, None)
        customer = self.engine.customer(session_id)
        if customer is not None and customer.state is CustomerState.OFFERED and customer.seat_id is not None:
            self.engine.seat_answer(customer.seat_id, session_id, self._now())
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

    # --- extras -------------------------------------------------------------------------------------------------

    def next_deadline(self) -> float | None:
        """When the engine has timed work (time overflow, no-seat re-routing): arm a timer and call :meth:`tick`."""
        return self.engine.next_deadline()

    def tick(self) -> list[Offer]:
        """Apply due timed rules (e.g. overflow after ``max_wait_s``)."""
        self.engine.advance(self._now())
        return self._new_offers()

    def _now(self) -> float:
        return self._clock()

    def _new_offers(self) -> list[Offer]:
        """Reservations held now that the coordinator has not been told about; forget ones that no longer hold."""
        held = {s.session_id: s.seat_id for s in self.engine.reserved_seats() if s.session_id is not None}
        for sid in [sid for sid, seat in self._reported.items() if held.get(sid) != seat]:
            del self._reported[sid]
        offers = []
        for sid, seat_id in held.items():
            if self._reported.get(sid) != seat_id:
                self._reported[sid] = seat_id
                offers.append(Offer(sid, seat_id))
        return offers
