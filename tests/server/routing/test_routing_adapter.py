"""The routing engine behind server.queueing.CallQueue: the same contract scenarios as the FIFO queue."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from server.queueing import CallQueue, FifoQueue, Offer, QueueEntry
from server.routing import Skill, parse_config
from server.routing.adapter import RoutingCallQueue

T0 = datetime(2026, 11, 21, 9, 0, tzinfo=UTC).timestamp()


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


def entry(n: int, clock: Clock, present: bool = False, business: str = "password_reset") -> QueueEntry:
    clock.now += 1
    return QueueEntry(f"session{n:05d}", business, datetime.fromtimestamp(clock.now, UTC), present=present)


def fifo(clock: Clock) -> CallQueue:
    return FifoQueue()


def routing(clock: Clock) -> CallQueue:
    return RoutingCallQueue(clock=clock)


@pytest.fixture(params=[fifo, routing], ids=["fifo", "routing"])
def make(request) -> Callable[[Clock], CallQueue]:
    return request.param


def test_only_present_customers_are_offered_in_ticket_order(make):
    clock = Clock()
    queue = make(clock)
    for n in range(3):
        assert queue.customer_arrived(entry(n, clock)) == []
    assert queue.seat_ready("s1") == []  # nobody present yet
    assert queue.customer_presence("session00001", True) == [Offer("session00001", "s1")]
    assert queue.customer_presence("session00000", True) == []  # s1 is taken
    assert queue.position("session00000") == 1 and queue.position("session00002") == 3  # offered ones count
    assert queue.offered_seat("session00001") == "s1"
    assert queue.seat_ready("s2") == [Offer("session00000", "s2")]


def test_failed_offer_keeps_the_place_and_the_seat_waits_for_seat_ready(make):
    clock = Clock()
    queue = make(clock)
    queue.customer_arrived(entry(0, clock, present=True))
    queue.customer_arrived(entry(1, clock, present=True))
    assert queue.seat_ready("s1") == [Offer("session00000", "s1")]
    assert queue.offer_failed("session00000") == []  # s1 is not back in the pool by itself
    assert [e.session_id for e in queue.entries()] == ["session00000", "session00001"]
    queue.seat_unavailable("s1")
    assert queue.seat_ready("s1") == [Offer("session00000", "s1")]
    assert queue.offer_accepted("session00000") == []
    assert [e.session_id for e in queue.entries()] == ["session00001"]


def test_customer_leaving_while_ringing_voids_the_offer(make):
    clock = Clock()
    queue = make(clock)
    queue.customer_arrived(entry(0, clock, present=True))
    queue.customer_arrived(entry(1, clock, present=True))
    queue.seat_ready("s1")
    assert queue.customer_left("session00000") == []
    assert queue.offered_seat("session00000") is None
    assert queue.seat_ready("s1") == [Offer("session00001", "s1")]


def test_absent_while_ringing_then_offer_failed_is_not_offered_again_until_back(make):
    clock = Clock()
    queue = make(clock)
    queue.customer_arrived(entry(0, clock, present=True))
    queue.seat_ready("s1")
    queue.seat_ready("s2")
    assert queue.customer_presence("session00000", False) == []
    assert queue.offered_seat("session00000") == "s1"  # the coordinator still needs it
    assert queue.offer_failed("session00000") == []  # s2 is ready but the customer is absent
    assert queue.position("session00000") == 1
    assert queue.customer_presence("session00000", True) == [Offer("session00000", "s2")]


def test_restored_entries_keep_their_ticket_order(make):
    clock = Clock()
    first = entry(0, clock, present=True)
    second = entry(1, clock, present=True)
    clock.now += 100
    queue = make(clock)
    queue.customer_arrived(second)
    queue.customer_arrived(first)
    assert [e.session_id for e in queue.entries()] == ["session00000", "session00001"]


def test_routing_adds_stars_and_skills():
    clock = Clock()
    config = parse_config(
        {
            "queue": [
                {"id": "retail", "business_types": ["password_reset"], "w_star": 60},
                {"id": "corp", "business_types": ["corporate_willingness_check"]},
            ]
        }
    )
    stars = {"session00001": 3}
    queue = RoutingCallQueue(
        config,
        clock=clock,
        star_for=lambda e: stars.get(e.session_id, 0),
        skills_for=lambda seat: [Skill("corp")] if seat == "corp_seat" else [Skill("retail")],
    )
    queue.customer_arrived(entry(0, clock, present=True))
    queue.customer_arrived(entry(1, clock, present=True))  # VIP, one second later
    queue.customer_arrived(entry(2, clock, present=True, business="corporate_willingness_check"))
    assert next(e.session_id for e in queue.entries()) == "session00001"
    assert queue.seat_ready("corp_seat") == [Offer("session00002", "corp_seat")]
    assert queue.seat_ready("retail_seat") == [Offer("session00001", "retail_seat")]


def _fifo_contract_tests() -> list[str]:
    import tests.server.test_queueing as fifo_tests

    return sorted(n for n in dir(fifo_tests) if n.startswith("test_") and callable(getattr(fifo_tests, n)))


@pytest.mark.parametrize("name", _fifo_contract_tests())
def test_the_fifo_queue_tests_pass_with_the_routing_adapter(name, monkeypatch):
    """server/queueing's own tests, run against RoutingCallQueue in place of FifoQueue (default config, stars 0)."""
    import tests.server.test_queueing as fifo_tests

    monkeypatch.setattr(fifo_tests, "FifoQueue", RoutingCallQueue)
    getattr(fifo_tests, name)()
