"""Property-based tests: random event sequences never break the routing invariants."""

from __future__ import annotations

import itertools
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server.routing import (
    CustomerState,
    OfferCall,
    OfferKind,
    Rejected,
    RoutingEngine,
    RoutingError,
    SessionEnded,
    Skill,
    parse_config,
    restore,
    snapshot,
)
from tests.server.routing.helpers import CORP, PR
from wire import SeatState

INFO = "customer_info_maintenance"
BUSINESS = (PR, CORP, INFO)
SEATS = ("s0", "s1", "s2", "s3", "s4")
SKILL_SETS = (("a",), ("b",), ("c",), ("a", "b"), ("a", "b", "c"), ("b", "c"))


def config(drop_policy: str) -> Any:
    return parse_config(
        {
            "reconnect_grace_s": 20,
            "transfer_hold_s": 12,
            "no_seat_grace_s": 15,
            "seat_drop_in_call": drop_policy,
            "defaults": {"w_age": 1.0, "ring_timeout_s": 10, "wrap_up_s": 5},
            "queue": [
                {"id": "a", "business_types": [PR], "w_star": 8, "max_waiting": 4, "overflow_to": ["b", "c"]},
                {
                    "id": "b",
                    "business_types": [CORP],
                    "w_star": 3,
                    "base_priority": 20,
                    "max_wait_s": 40,
                    "overflow_to": ["c"],
                    "seat_choice": "fewest_calls",
                },
                {
                    "id": "c",
                    "business_types": [INFO],
                    "w_star": 5,
                    "seat_choice": "proficiency",
                    "on_exhausted": "reject",
                },
            ],
        }
    )


_arrive = st.tuples(st.just("arrive"), st.sampled_from(BUSINESS), st.integers(0, 7))
_answer = st.tuples(st.just("answer"), st.integers(0, 50))
_hangup = st.tuples(st.just("hangup"), st.integers(0, 50))
_ready = st.tuples(st.just("ready"), st.sampled_from(SEATS))
_wait = st.tuples(st.just("wait"), st.floats(0, 4.9))
_answer_all = st.tuples(st.just("answer_all"))
_consult = st.tuples(st.just("consult"), st.integers(0, 50), st.sampled_from(["a", "b", "c"]))
op = st.one_of(
    _arrive,
    _arrive,
    _arrive,
    _arrive,
    _arrive,
    _answer,
    _answer,
    _answer_all,
    _answer_all,
    _hangup,
    _consult,
    _ready,
    _ready,
    _wait,
    _wait,
    st.tuples(st.just("leave"), st.integers(0, 50)),
    st.tuples(st.just("cust_drop"), st.integers(0, 50)),
    st.tuples(st.just("cust_back"), st.integers(0, 50)),
    st.tuples(st.just("login"), st.sampled_from(SEATS), st.sampled_from(SKILL_SETS), st.booleans()),
    st.tuples(st.just("not_ready"), st.sampled_from(SEATS), st.sampled_from(["break", "meeting", "training"])),
    st.tuples(st.just("logout"), st.sampled_from(SEATS)),
    st.tuples(st.just("seat_drop"), st.sampled_from(SEATS)),
    st.tuples(st.just("decline"), st.integers(0, 50)),
    st.tuples(st.just("transfer"), st.integers(0, 50), st.sampled_from(["a", "b", "c"])),
    st.tuples(st.just("transfer_seat"), st.integers(0, 50), st.sampled_from(SEATS)),
    st.tuples(st.just("transfer_seat"), st.integers(0, 50), st.sampled_from(SEATS)),
    st.tuples(st.just("transfer_seat"), st.integers(0, 50), st.sampled_from(SEATS)),
    st.tuples(st.just("consult"), st.integers(0, 50), st.sampled_from(["a", "b", "c"])),
    st.tuples(st.just("end_consult"), st.integers(0, 50)),
    st.tuples(st.just("restore")),
)
initial_skills = st.lists(
    st.tuples(st.sampled_from(SKILL_SETS), st.booleans()), min_size=len(SEATS), max_size=len(SEATS)
)


class Checker:
    """Drives the engine and checks the invariants after every event."""

    def __init__(self, drop_policy: str, skills: list[tuple[tuple[str, ...], bool]]) -> None:
        self.engine = RoutingEngine(config(drop_policy))
        self.cfg = self.engine.config
        self.now = 0.0
        self.arrivals: dict[str, float] = {}
        self.live: set[str] = set()
        self.ever_assigned: dict[str, list[str]] = {}
        self.n = 0
        self.bound = self.cfg.starvation_bound_s()
        self.before_held: dict[str, list[str]] = {}
        for seat, (skill_set, ready) in zip(SEATS, skills, strict=True):
            self.engine.seat_login(seat, [Skill(q) for q in skill_set], 0.0, ready=ready)

    def pick(self, index: int, states: tuple[CustomerState, ...]) -> str | None:
        candidates = sorted(c.session_id for c in self.engine.customers() if c.state in states)
        return candidates[index % len(candidates)] if candidates else None

    def run(self, step: tuple[Any, ...]) -> None:
        if step[0] == "answer_all":
            ringing = sorted(s.seat_id for s in self.engine.seats() if s.state is SeatState.RESERVED)
            for i in range(len(ringing)):
                self.run(("answer", i))
            return
        e = self.engine
        kind = step[0]
        self.now += 0.5
        before_waiting = {c.session_id for c in e.customers() if c.state is CustomerState.WAITING}
        self.before_held = {seat.seat_id: e.held_for(seat.seat_id) for seat in e.seats()}
        decisions: list[Any] = []
        try:
            if kind == "arrive":
                self.n += 1
                session = f"session{self.n:05d}"
                decisions = e.customer_arrive(session, step[1], self.now, star=step[2])
                self.arrivals[session] = self.now
                self.live.add(session)
            elif kind in ("leave", "cust_drop", "cust_back", "hangup", "transfer", "transfer_seat", "consult"):
                states = {
                    "leave": (
                        CustomerState.WAITING,
                        CustomerState.OFFERED,
                        CustomerState.DISCONNECTED,
                        CustomerState.HELD,
                    ),
                    "cust_drop": (
                        CustomerState.WAITING,
                        CustomerState.OFFERED,
                        CustomerState.CONNECTED,
                        CustomerState.HELD,
                    ),
                    "cust_back": (CustomerState.DISCONNECTED,),
                    "hangup": (CustomerState.CONNECTED,),
                    "transfer": (CustomerState.CONNECTED,),
                    "transfer_seat": (CustomerState.CONNECTED,),
                    "consult": (CustomerState.CONNECTED,),
                }[kind]
                picked = self.pick(step[1], states)
                if picked is None:
                    return
                session = picked
                if kind == "leave":
                    decisions = e.customer_leave(session, self.now)
                    self.live.discard(session)
                elif kind == "cust_drop":
                    decisions = e.customer_disconnected(session, self.now)
                elif kind == "cust_back":
                    decisions = e.customer_reconnected(session, self.now)
                elif kind == "hangup":
                    decisions = e.end_call(session, self.now)
                    self.live.discard(session)
                elif kind == "transfer":
                    decisions = e.transfer_to_queue(session, step[2], self.now)
                elif kind == "transfer_seat":
                    decisions = e.transfer_to_seat(session, step[2], self.now)
                else:
                    decisions = e.invite_consult(session, self.now, queue_id=step[2])
            elif kind == "end_consult":
                consulting = sorted(c.session_id for c in e.customers() if c.consult_seat_id is not None)
                if not consulting:
                    return
                decisions = e.end_consult(consulting[step[1] % len(consulting)], self.now)
            elif kind == "login":
                decisions = e.seat_login(
                    step[1], [Skill(q, proficiency=len(q) + i) for i, q in enumerate(step[2])], self.now, ready=step[3]
                )
            elif kind == "ready":
                decisions = e.seat_set_ready(step[1], self.now)
            elif kind == "not_ready":
                decisions = e.seat_set_not_ready(step[1], step[2], self.now)
            elif kind == "logout":
                decisions = e.seat_logout(step[1], self.now)
            elif kind == "seat_drop":
                decisions = e.seat_disconnected(step[1], self.now)
            elif kind in ("answer", "decline"):
                ringing = sorted(s.seat_id for s in e.seats() if s.state is SeatState.RESERVED)
                if not ringing:
                    return
                seat = e.seat(ringing[step[1] % len(ringing)])
                assert seat.session_id is not None
                if kind == "answer":
                    decisions = e.seat_answer(seat.seat_id, seat.session_id, self.now)
                else:
                    decisions = e.seat_decline(seat.seat_id, seat.session_id, self.now)
            elif kind == "restore":
                # snapshot to JSON and carry on with a rebuilt engine: nothing may change
                orders = {qid: e.queue_order(qid) for qid in self.cfg.queues}
                held = {seat.seat_id: e.held_for(seat.seat_id) for seat in e.seats()}
                self.engine = e = restore(self.cfg, json.loads(json.dumps(snapshot(e))))
                assert {qid: e.queue_order(qid) for qid in self.cfg.queues} == orders
                assert {seat.seat_id: e.held_for(seat.seat_id) for seat in e.seats()} == held
                decisions = e.advance(self.now)  # the restored engine catches up with the clock
            elif kind == "wait":
                self.now += step[1]
                decisions = e.advance(self.now)
        except RoutingError:
            return  # refused events (wrong state, unknown seat, no seat for a transfer) change nothing
        for d in decisions:
            if isinstance(d, Rejected | SessionEnded):
                self.live.discard(d.session_id)
        self.check(decisions, before_waiting)

    def rank(self, session: str) -> tuple[int, float]:
        c = self.engine.customer(session)
        assert c is not None
        return (c.tier, -c.key)

    def check(self, decisions: list[Any], before_waiting: set[str]) -> None:
        e = self.engine
        customers = {c.session_id: c for c in e.customers()}
        # no customer lost (nor invented)
        assert set(customers) == self.live
        # no customer assigned twice, no seat holding two customers
        holders: dict[str, str] = {}
        for seat in e.seats():
            if seat.state in (SeatState.RESERVED, SeatState.IN_CALL) and seat.offer_kind is not OfferKind.CONSULT:
                assert seat.session_id not in holders, f"{seat.session_id} held by two seats"
                holders[seat.session_id or ""] = seat.seat_id
                c = customers[seat.session_id or ""]
                assert c.seat_id == seat.seat_id
                expect = CustomerState.OFFERED if seat.state is SeatState.RESERVED else CustomerState.CONNECTED
                assert c.state is expect
                # nothing stays reserved past its ring timeout
                if seat.state is SeatState.RESERVED:
                    assert seat.since + self.cfg.queues[c.queue_id].ring_timeout_s > self.now
            elif seat.state in (SeatState.RESERVED, SeatState.IN_CALL):
                # an expert invited into a running call: that call exists and names this seat
                c = customers[seat.session_id or ""]
                assert c.state is CustomerState.CONNECTED and c.consult_seat_id == seat.seat_id
                assert c.seat_id != seat.seat_id
            else:
                assert seat.session_id is None
        for c in customers.values():
            if c.consult_seat_id is not None:
                expert = e.seat(c.consult_seat_id)
                assert expert.session_id == c.session_id and expert.offer_kind is OfferKind.CONSULT
            if c.state in (CustomerState.OFFERED, CustomerState.CONNECTED):
                assert holders.get(c.session_id) == c.seat_id
        # every waiting customer is in exactly one queue, counts agree
        orders = {qid: e.queue_order(qid) for qid in self.cfg.queues}
        flat = [s for order in orders.values() for s in order]
        waiting = {s for s, c in customers.items() if c.state is CustomerState.WAITING}
        assert sorted(flat) == sorted(waiting)
        for qid, order in orders.items():
            assert e.waiting_count(qid) == len(order)
            # arrival order kept among equals (overflow keeps the original arrival time)
            for x, y in itertools.pairwise(order):
                cx, cy = customers[x], customers[y]
                if (cx.tier, cx.star) == (cy.tier, cy.star):
                    assert cx.arrival <= cy.arrival
            # work-conserving: no ready seat skips a waiting customer it could take
            if order:
                for seat in e.seats():
                    if seat.state is SeatState.READY:
                        assert qid not in seat.skills, f"seat {seat.seat_id} ready while {qid} has {order}"
        # customers transferred to a busy named seat wait for it (in its line once, not in any queue), are offered
        # to it before anyone from its queues, and wait at most transfer_hold_s
        for seat in e.seats():
            line = e.held_for(seat.seat_id)
            assert len(set(line)) == len(line)
            if line:
                assert seat.state not in (SeatState.OFFLINE, SeatState.READY), f"{seat.seat_id} idle with {line}"
            for session in line:
                c = customers[session]
                assert c.state is CustomerState.HELD and c.held_for == seat.seat_id and c.queue_id in seat.skills
        for c in customers.values():
            if c.state is CustomerState.HELD:
                assert c.session_id in e.held_for(c.held_for or "")
                assert c.tier == 0 and c.seat_id is None and c.held_at is not None
                assert self.now - c.held_at < self.cfg.transfer_hold_s
            else:
                assert c.held_for is None
        for d in decisions:
            if isinstance(d, OfferCall) and d.kind is OfferKind.CUSTOMER:
                still = [
                    s
                    for s in self.before_held.get(d.seat_id, [])
                    if s in customers
                    and customers[s].state is CustomerState.HELD
                    and customers[s].held_for == d.seat_id
                ]
                assert not still, f"{d.seat_id} offered {d.session_id} while {still} wait for it by name"
        # a higher-scored eligible customer is never passed over; the starvation bound holds (a customer offered
        # earlier in the same event was not waiting then, even if a withdrawn offer put them back later)
        rung: set[str] = set()
        for d in decisions:
            if not isinstance(d, OfferCall) or d.kind is not OfferKind.CUSTOMER or d.session_id not in customers:
                if isinstance(d, OfferCall):
                    rung.add(d.session_id)
                continue
            assert d.arrival == self.arrivals[d.session_id]
            self.ever_assigned.setdefault(d.session_id, []).append(d.seat_id)
            offered = self.rank(d.session_id)
            seat = e.seat(d.seat_id)
            rung.add(d.session_id)
            for other in (waiting & before_waiting) - rung:
                if customers[other].queue_id in seat.skills:
                    assert self.rank(other) >= offered, f"{other} passed over by {d.session_id}"
                    if customers[d.session_id].tier == 1:
                        assert self.arrivals[d.session_id] - self.arrivals[other] <= self.bound


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(["requeue", "fail"]), initial_skills, st.lists(op, min_size=20, max_size=150))
def test_random_event_sequences_keep_the_invariants(drop_policy, skills, steps):
    checker = Checker(drop_policy, skills)
    for step in steps:
        checker.run(step)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 7), st.floats(0, 30)), min_size=2, max_size=40))
def test_starvation_bound_within_one_queue(arrivals):
    """However stars are drawn, a customer is never served after one who arrived more than 7*w_star/w_age later."""
    e = RoutingEngine(parse_config({"queue": [{"id": "a", "business_types": [PR], "w_star": 8, "wrap_up_s": 0}]}))
    bound = e.config.queues["a"].star_bound_s
    e.seat_login("s", [Skill("a")], 0)
    t = 0.0
    arrived: dict[str, float] = {}
    for i, (star, gap) in enumerate(arrivals):
        t += gap
        session = f"session{i:05d}"
        e.customer_arrive(session, PR, t, star=star)
        arrived[session] = t
    served: list[str] = []
    decisions = e.seat_set_ready("s", t)
    while True:
        offered = [d for d in decisions if isinstance(d, OfferCall)]
        if not offered:
            break
        session = offered[0].session_id
        served.append(session)
        e.seat_answer("s", session, t)
        t += 1
        decisions = e.end_call(session, t)
    assert sorted(served) == sorted(arrived)
    for i, x in enumerate(served):
        for y in served[i + 1 :]:
            assert arrived[x] - arrived[y] <= bound  # x served before y: x arrived at most `bound` after y


_transfer_heavy = st.one_of(
    _arrive,
    _arrive,
    _answer_all,
    _answer_all,
    _hangup,
    _wait,
    st.tuples(st.just("transfer_seat"), st.integers(0, 50), st.sampled_from(SEATS)),
    st.tuples(st.just("transfer_seat"), st.integers(0, 50), st.sampled_from(SEATS)),
    st.tuples(st.just("transfer_seat"), st.integers(0, 50), st.sampled_from(SEATS)),
    st.tuples(st.just("not_ready"), st.sampled_from(SEATS), st.sampled_from(["break", "meeting"])),
    _ready,
    st.tuples(st.just("leave"), st.integers(0, 50)),
    st.tuples(st.just("cust_drop"), st.integers(0, 50)),
    st.tuples(st.just("cust_back"), st.integers(0, 50)),
    st.tuples(st.just("seat_drop"), st.sampled_from(SEATS)),
    st.tuples(st.just("login"), st.sampled_from(SEATS), st.sampled_from(SKILL_SETS), st.booleans()),
    st.tuples(st.just("decline"), st.integers(0, 50)),
    st.tuples(st.just("restore")),
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(["requeue", "fail"]),
    st.lists(st.tuples(st.just(("a", "b", "c")), st.booleans()), min_size=len(SEATS), max_size=len(SEATS)),
    st.lists(_transfer_heavy, min_size=30, max_size=150),
)
def test_named_transfers_keep_the_invariants(drop_policy, skills, steps):
    """Transfers to named seats that are busy, not ready, ringing or dropping, with hold timeouts, leaves, drops
    and restores in between: every invariant above, plus the named-seat line rules (checked in Checker.check)."""
    checker = Checker(drop_policy, skills)
    for step in steps:
        checker.run(step)
