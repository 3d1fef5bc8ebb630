"""The FIFO queue behind the CallQueue interface: order, presence, kept places, and no idle seat beside a waiter."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from server.queueing import CallQueue, FifoQueue, Offer, QueueEntry

T0 = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)


def entry(n: int, present: bool = True) -> QueueEntry:
    return QueueEntry(f"session-{n:04d}", "password_reset", T0 + timedelta(seconds=n), present=present)


def test_fifo_queue_satisfies_the_protocol() -> None:
    queue: CallQueue = FifoQueue()
    assert queue.entries() == []


def test_longest_waiting_customer_goes_to_longest_ready_seat() -> None:
    queue = FifoQueue()
    assert queue.customer_arrived(entry(2)) == []
    assert queue.customer_arrived(entry(1)) == []  # restored out of order: ticket time decides
    assert [e.session_id for e in queue.entries()] == ["session-0001", "session-0002"]
    assert queue.seat_ready("a") == [Offer("session-0001", "a")]
    assert queue.seat_ready("b") == [Offer("session-0002", "b")]
    assert queue.offered_seat("session-0002") == "b"
    assert queue.position("session-0002") == 2


def test_seats_queue_up_in_the_order_they_became_ready() -> None:
    queue = FifoQueue()
    queue.seat_ready("a")
    queue.seat_ready("b")
    queue.seat_unavailable("a")
    queue.seat_ready("c")
    assert queue.customer_arrived(entry(1)) == [Offer("session-0001", "b")]
    assert queue.customer_arrived(entry(2)) == [Offer("session-0002", "c")]


def test_absent_customer_keeps_place_but_is_skipped() -> None:
    queue = FifoQueue()
    queue.customer_arrived(entry(1, present=False))
    queue.customer_arrived(entry(2))
    assert queue.seat_ready("a") == [Offer("session-0002", "a")]
    assert queue.position("session-0001") == 1
    queue.seat_ready("b")
    assert queue.customer_presence("session-0001", True) == [Offer("session-0001", "b")]


def test_failed_offer_keeps_the_place_and_goes_to_the_next_seat() -> None:
    queue = FifoQueue()
    queue.customer_arrived(entry(1))
    queue.customer_arrived(entry(2))
    assert queue.seat_ready("a") == [Offer("session-0001", "a")]
    assert queue.offer_failed("session-0001") == []  # seat a is not ready again by itself
    assert queue.seat_ready("b") == [Offer("session-0001", "b")]
    assert queue.offer_accepted("session-0001") == []
    assert queue.position("session-0002") == 1
    assert queue.position("session-0001") is None


def test_duplicate_session_refused() -> None:
    queue = FifoQueue()
    queue.customer_arrived(entry(1))
    try:
        queue.customer_arrived(entry(1))
    except ValueError:
        return
    raise AssertionError("a duplicate session was accepted")


_ops = st.lists(
    st.one_of(
        st.tuples(st.just("arrive"), st.integers(0, 11), st.booleans()),
        st.tuples(st.just("presence"), st.integers(0, 11), st.booleans()),
        st.tuples(st.just("leave"), st.integers(0, 11), st.booleans()),
        st.tuples(st.just("ready"), st.integers(0, 3), st.booleans()),
        st.tuples(st.just("unavailable"), st.integers(0, 3), st.booleans()),
        st.tuples(st.just("fail"), st.integers(0, 11), st.booleans()),
        st.tuples(st.just("accept"), st.integers(0, 11), st.booleans()),
    ),
    max_size=60,
)


@settings(max_examples=300, deadline=None)
@given(_ops)
def test_fifo_invariants(ops: list[tuple[str, int, bool]]) -> None:
    queue = FifoQueue()
    arrived: set[int] = set()
    ready: set[str] = set()  # our model of the ready pool
    offers: dict[str, str] = {}
    for op, n, flag in ops:
        sid = f"session-{n:04d}"
        seat = f"seat-{n % 4}"
        if op == "arrive" and n not in arrived:
            arrived.add(n)
            made = queue.customer_arrived(entry(n, present=flag))
        elif op == "presence":
            made = queue.customer_presence(sid, flag)
        elif op == "leave" or (op == "accept" and sid in offers):
            made = queue.customer_left(sid) if op == "leave" else queue.offer_accepted(sid)
            if sid in offers:
                ready.discard(offers.pop(sid))  # the seat is not ready again by itself
        elif op == "ready" and seat not in offers.values():
            ready.add(seat)
            made = queue.seat_ready(seat)
        elif op == "unavailable":
            ready.discard(seat)
            made = queue.seat_unavailable(seat)
        elif op == "fail" and sid in offers:
            offers.pop(sid)
            made = queue.offer_failed(sid)
        else:
            continue
        entries = {e.session_id: e for e in queue.entries()}
        for offer in made:
            assert offer.seat_id in ready, "offered to a seat that is not ready"
            assert offer.session_id in entries and entries[offer.session_id].present, "offered an absent customer"
            assert offer.session_id not in offers, "offered the same customer twice"
            ready.discard(offer.seat_id)
            offers[offer.session_id] = offer.seat_id
        # Each seat rings for at most one customer.
        assert len(set(offers.values())) == len(offers)
        # Work-conserving: never a ready seat while a present customer waits un-offered.
        idle_waiters = [e for e in entries.values() if e.present and e.session_id not in offers]
        assert not (ready and idle_waiters)
        # FIFO: an un-offered present waiter is never ahead of an offered one that was offered in this step.
        order = [e.session_id for e in queue.entries()]
        for offer in made:
            ahead = order[: order.index(offer.session_id)]
            assert all(not entries[s].present or s in offers for s in ahead)
        assert [queue.position(s) for s in order] == list(range(1, len(order) + 1))
