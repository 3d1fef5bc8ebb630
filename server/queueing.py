"""The customer queue (排队) behind a small event-driven interface, with a first-in-first-out implementation.

The coordinator reports events (a customer arrived, left, lost or regained their page connection; a seat became ready
or unavailable; an offer failed or was accepted) and the queue answers each with the offers to make now. Nothing
polls. A routing engine with priorities, skills and overflow replaces :class:`FifoQueue` behind :class:`CallQueue`.

Rules every implementation keeps:
    * an offer pairs one waiting, present, not-yet-offered customer with one ready seat;
    * a seat in an offer leaves the ready pool until the coordinator reports it ready again;
    * a customer whose offer failed keeps their place (their original order);
    * positions count every waiting customer, present or not, offered or not.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol


@dataclass
class QueueEntry:
    """A customer waiting in the queue (排队客户).

    Attributes:
        session_id: the customer's session.
        business_type: the business they queue for (``wire.BusinessType`` value).
        queued_at: when they took their ticket; their place in the queue.
        customer_name: optional name they gave.
        present: their page is connected; only present customers are offered to seats.
        star: star level 0-7 (星级), resolved by the server from bank data; FIFO ignores it.
        queue_id: the routing queue they wait in (after an overflow or transfer); None: their business's queue.
        front: they wait ahead of ordinary customers (transferred, or re-queued after their seat dropped).
    """

    session_id: str
    business_type: str
    queued_at: datetime
    customer_name: str = ""
    present: bool = False
    star: int = 0
    queue_id: str | None = None
    front: bool = False


@dataclass(frozen=True)
class Offer:
    """A decision: offer this customer's call to this seat (振铃).

    ``kind`` is ``customer`` (a waiting customer), ``transfer`` (a named-seat transfer) or ``consult`` (the seat is
    invited as an expert into the session's running call); FIFO makes only ``customer`` offers.
    """

    session_id: str
    seat_id: str
    kind: str = field(default="customer", compare=False)


class CallQueue(Protocol):
    """Event-driven routing of waiting customers to ready seats."""

    def customer_arrived(self, entry: QueueEntry) -> list[Offer]:
        """A customer took a ticket (or is restored after a restart)."""
        ...

    def customer_presence(self, session_id: str, present: bool) -> list[Offer]:
        """The customer's page connected or lost its connection; an absent customer keeps their place."""
        ...

    def customer_left(self, session_id: str) -> list[Offer]:
        """The customer is gone for good (left, abandoned, or their session ended); any offer is void."""
        ...

    def seat_ready(self, seat_id: str) -> list[Offer]:
        """A seat can take a call now (示闲)."""
        ...

    def seat_unavailable(self, seat_id: str) -> list[Offer]:
        """A seat cannot take calls (示忙, logged out, disconnected)."""
        ...

    def offer_failed(self, session_id: str) -> list[Offer]:
        """An offer was declined, timed out or withdrawn: the customer waits again in their old place.

        The seat does not return to the ready pool; the coordinator reports ``seat_ready`` if it should.
        """
        ...

    def offer_accepted(self, session_id: str) -> list[Offer]:
        """The offered seat answered: the customer leaves the queue."""
        ...

    def position(self, session_id: str) -> int | None:
        """1-based place of a waiting customer, or None if not in the queue."""
        ...

    def entries(self) -> list[QueueEntry]:
        """Waiting customers in queue order."""
        ...

    def offered_seat(self, session_id: str) -> str | None:
        """The seat a customer is currently offered to, if any."""
        ...


@dataclass
class FifoQueue:
    """First come, first served: the longest-waiting present customer goes to the longest-ready seat."""

    _entries: list[QueueEntry] = field(default_factory=list)
    _ready: dict[str, None] = field(default_factory=dict)  # insertion-ordered set: longest ready first
    _offers: dict[str, str] = field(default_factory=dict)  # session_id -> seat_id

    def customer_arrived(self, entry: QueueEntry) -> list[Offer]:
        """See :meth:`CallQueue.customer_arrived`."""
        if any(e.session_id == entry.session_id for e in self._entries):
            raise ValueError(f"session {entry.session_id} is already queued")
        self._entries.append(entry)
        # Keep ticket order even when entries are restored out of order.
        self._entries.sort(key=lambda e: e.queued_at)
        return self._match()

    def customer_presence(self, session_id: str, present: bool) -> list[Offer]:
        """See :meth:`CallQueue.customer_presence`."""
        entry = self._find(session_id)
        if entry is None:
            return []
        entry.present = present
        return self._match()

    def customer_left(self, session_id: str) -> list[Offer]:
        """See :meth:`CallQueue.customer_left`."""
        self._entries = [e for e in self._entries if e.session_id != session_id]
        self._offers.pop(session_id, None)
        return self._match()

    def seat_ready(self, seat_id: str) -> list[Offer]:
        """See :meth:`CallQueue.seat_ready`."""
        if seat_id in self._offers.values():
            raise ValueError(f"seat {seat_id} still has an offer")
        self._ready.setdefault(seat_id, None)
        return self._match()

    def seat_unavailable(self, seat_id: str) -> list[Offer]:
        """See :meth:`CallQueue.seat_unavailable`."""
        self._ready.pop(seat_id, None)
        return self._match()

    def offer_failed(self, session_id: str) -> list[Offer]:
        """See :meth:`CallQueue.offer_failed`."""
        self._offers.pop(session_id, None)
        return self._match()

    def offer_accepted(self, session_id: str) -> list[Offer]:
        """See :meth:`CallQueue.offer_accepted`."""
        return self.customer_left(session_id)

    def position(self, session_id: str) -> int | None:
        """See :meth:`CallQueue.position`."""
        for index, entry in enumerate(self._entries):
            if entry.session_id == session_id:
                return index + 1
        return None

    def entries(self) -> list[QueueEntry]:
        """See :meth:`CallQueue.entries`."""
        return list(self._entries)

    def offered_seat(self, session_id: str) -> str | None:
        """See :meth:`CallQueue.offered_seat`."""
        return self._offers.get(session_id)

    def _find(self, session_id: str) -> QueueEntry | None:
        return next((e for e in self._entries if e.session_id == session_id), None)

    def _match(self) -> list[Offer]:
        offers: list[Offer] = []
        for entry in self._entries:
            if not self._ready:
                break
            if not entry.present or entry.session_id in self._offers:
                continue
            seat_id = next(iter(self._ready))
            del self._ready[seat_id]
            self._offers[entry.session_id] = seat_id
            offers.append(Offer(entry.session_id, seat_id))
        return offers
