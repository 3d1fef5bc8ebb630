"""The engine's fast structures against plain references: timer lanes, and FIFO buckets per tier and star."""

from __future__ import annotations

import heapq

from hypothesis import given, settings
from hypothesis import strategies as st

from server.routing import OfferCall, RoutingEngine, Skill, parse_config
from server.routing.timers import Timers
from tests.server.routing.helpers import PR, sid


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(0, 5), st.sampled_from([1.0, 2.5, 10.0, None]), st.floats(-3, 0)),
        min_size=1,
        max_size=60,
    ),
    st.lists(st.floats(0, 3), min_size=1, max_size=20),
)
def test_timers_fire_in_deadline_then_arming_order(arms, steps):
    """Timers fire exactly as one heap over (deadline, arming order) would fire them, whichever lane they are in
    (including ones armed out of their lane's order: counted from an earlier base time, or without a lane)."""
    timers = Timers()
    reference: list[tuple[float, int]] = []  # one plain heap over (deadline, arming order)
    now = 0.0
    n = 0
    arm_iter = iter(arms)
    for step in [*steps, float("inf")]:
        for _ in range(3):  # arm a few timers, then let time pass
            nxt = next(arm_iter, None)
            if nxt is None:
                break
            start, span, skew = nxt
            base = min(now, 1e6) + skew  # a base time at or before now: most are in order, some are not
            at = base + (span if span is not None else start)
            timers.add(at, 0, None, n, span)
            heapq.heappush(reference, (at, n))
            n += 1
        now += step
        assert timers.due <= (reference[0][0] if reference else float("inf"))
        fired = []
        while (item := timers.pop_due(now)) is not None:
            fired.append((item[0], item[4]))
        expected = []
        while reference and reference[0][0] <= now:
            expected.append(heapq.heappop(reference))
        assert fired == expected
    assert len(timers) == 0 and timers.due == float("inf")


def _one_queue(**queue: object) -> RoutingEngine:
    return RoutingEngine(
        parse_config({"queue": [{"id": "a", "business_types": [PR], "w_star": 4, "wrap_up_s": 0, **queue}]})
    )


@settings(max_examples=120, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.tuples(st.just("arrive"), st.integers(0, 7), st.integers(0, 3)),
            st.tuples(st.just("leave"), st.integers(0, 200)),
            st.tuples(st.just("decline"), st.integers(0, 1)),
        ),
        min_size=5,
        max_size=120,
    )
)
def test_buckets_serve_in_the_same_order_as_a_full_sort(ops):
    """Arrivals (in order, with equal times, with earlier given arrival times), abandons and declined offers (the
    customer goes back with their old arrival time): every offer goes to the customer a full sort of the waiting
    customers puts first."""
    e = _one_queue()
    e.seat_login("s", [Skill("a")], 0)
    t = 10.0
    n = 0
    for op in ops:
        t += 0.5
        if op[0] == "arrive":
            n += 1
            back = float(op[2] * 3)  # a restored ticket: arrival given, earlier than now
            e.customer_arrive(sid(n), PR, t, star=op[1], arrival=t - back if op[2] else None)
        elif op[0] == "leave":
            order = e.queue_order("a")
            if order:
                e.customer_leave(order[op[1] % len(order)], t)
        else:
            expected = e.queue_order("a")
            d = e.seat_set_ready("s", t)
            offered = [x.session_id for x in d if isinstance(x, OfferCall)]
            assert offered == expected[:1]
            if offered:
                e.seat_decline("s", offered[0], t)  # back in place; the seat is not ready again
            else:
                e.seat_set_not_ready("s", "break", t)
    served = []
    expected_all = e.queue_order("a")
    t += 1
    d = e.seat_set_ready("s", t)
    while offered := [x.session_id for x in d if isinstance(x, OfferCall)]:
        served.append(offered[0])
        t += 1
        e.seat_answer("s", offered[0], t)
        d = e.end_call(offered[0], t)  # no wrap-up: the seat takes the next customer at once
    assert served == expected_all
    assert e.waiting_count("a") == 0


def test_dead_entries_are_compacted_away():
    """Customers who leave from the middle of their bucket leave dead entries; once they outnumber the waiting
    customers the queue drops them (memory stays bounded by the waiting count)."""
    e = _one_queue()
    for i in range(1, 401):
        e.customer_arrive(sid(i), PR, float(i))
    for i in range(1, 391):
        e.customer_leave(sid(i), 500.0)
    q = e._queues["a"]
    assert q.waiting == 10
    e.customer_arrive(sid(999), PR, 501.0)
    assert q.stored <= 2 * q.waiting + 64
    assert e.queue_order("a") == [sid(i) for i in range(391, 401)] + [sid(999)]
