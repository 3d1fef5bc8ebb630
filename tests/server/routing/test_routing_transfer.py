"""Transfer to a named seat (转接至指定坐席): ready seats ring, busy seats keep the customer in their own line
(转接等待) ahead of their queues for at most ``transfer_hold_s``, offline seats and seats without the skill refuse."""

from __future__ import annotations

import json

import pytest

from server.routing import (
    ConfigError,
    Connected,
    CustomerState,
    HeldForSeat,
    HoldEnded,
    OfferCall,
    OfferKind,
    PositionUpdate,
    Queued,
    RoutingEngine,
    RoutingError,
    Skill,
    SkillRole,
    parse_config,
    restore,
    server_restarted,
    snapshot,
)
from tests.server.routing.helpers import CORP, PR, make_config, of_type, offers, sid
from wire import SeatState


def engine(hold_s: float = 60.0, ring_timeout_s: float = 15.0) -> RoutingEngine:
    return RoutingEngine(
        make_config(
            [
                {
                    "id": "a",
                    "name": "个人业务",
                    "business_types": [PR],
                    "wrap_up_s": 0,
                    "ring_timeout_s": ring_timeout_s,
                },
                {"id": "b", "name": "对公业务", "business_types": [CORP], "wrap_up_s": 0},
            ],
            transfer_hold_s=hold_s,
        )
    )


def talking(e: RoutingEngine, seat: str, session: str, at: float, business: str = PR) -> None:
    """``seat`` (ready, alone in its queues) answers a new customer ``session``."""
    assert offers(e.customer_arrive(session, business, at)) == [(session, seat)]
    e.seat_answer(seat, session, at)


def state(e: RoutingEngine, session: str) -> CustomerState:
    customer = e.customer(session)
    assert customer is not None
    return customer.state


def test_a_busy_seat_gets_the_customer_as_soon_as_it_is_free_ahead_of_its_queues():
    e = engine()
    e.seat_login("s2", [Skill("a"), Skill("b")], 0, ready=True)
    talking(e, "s2", sid(2), 1)  # s2 is busy
    e.seat_login("s1", [Skill("a")], 1, ready=True)
    talking(e, "s1", sid(1), 2)
    e.customer_arrive(sid(3), PR, 3, star=7)  # waiting in s2's queues, far ahead by score
    e.customer_arrive(sid(4), CORP, 3.5)
    d = e.transfer_to_seat(sid(1), "s2", 10)
    [held] = of_type(d, HeldForSeat)
    assert (held.session_id, held.seat_id, held.seat_name, held.queue_id, held.position, held.hold_s) == (
        sid(1),
        "s2",
        "s2",
        "a",
        1,
        60.0,
    )
    assert "正在为您转接至坐席 s2" in held.message and "暂时忙碌" in held.message
    assert offers(d) == [(sid(3), "s1")]  # the transferring seat is free and takes the queue's head
    assert state(e, sid(1)) is CustomerState.HELD and sid(1) not in e.queue_order("a")
    assert e.held_for("s2") == [sid(1)]
    assert e.position(sid(1)) == PositionUpdate(sid(1), "a", 1, 1, None)
    # s2 hangs up: the customer waiting for it by name comes first, although others wait in its queues
    d = e.end_call(sid(2), 20)
    assert [(o.session_id, o.seat_id, o.kind) for o in of_type(d, OfferCall)] == [(sid(1), "s2", OfferKind.TRANSFER)]
    assert e.held_for("s2") == []
    d = e.seat_answer("s2", sid(1), 21)
    assert of_type(d, Connected) and state(e, sid(1)) is CustomerState.CONNECTED
    assert e.queue_order("b") == [sid(4)]


def test_a_not_ready_seat_is_waited_for_and_offered_when_it_shows_ready():
    e = engine()
    e.seat_login("s1", [Skill("a")], 0, ready=True)
    e.seat_login("s2", [Skill("a")], 0)  # not ready (login)
    talking(e, "s1", sid(1), 1)
    e.seat_set_not_ready("s1", "break", 1.5)  # applies after the call: s1 will not take the customer back
    assert of_type(e.transfer_to_seat(sid(1), "s2", 2), HeldForSeat)
    assert offers(e.seat_set_ready("s2", 5)) == [(sid(1), "s2")]


def test_the_hold_ends_after_the_hold_time_at_the_front_of_the_queue_keeping_the_arrival_time():
    e = engine(hold_s=30)
    e.seat_login("s1", [Skill("a")], 0, ready=True)
    e.seat_login("s2", [Skill("a")], 0)
    talking(e, "s1", sid(1), 1)
    e.seat_set_not_ready("s1", "meeting", 1.5)
    e.customer_arrive(sid(2), PR, 2, star=7)  # waits in "a" (no seat ready)
    e.transfer_to_seat(sid(1), "s2", 5)
    assert e.next_deadline() == 35
    assert e.advance(34.9) == []
    d = e.advance(35)
    [ended] = of_type(d, HoldEnded)
    assert (ended.session_id, ended.seat_id, ended.queue_id, ended.reason) == (sid(1), "s2", "a", "timeout")
    assert "暂时无法接听" in ended.message and "原队列" in ended.message
    assert [(x.session_id, x.queue_id, x.front) for x in of_type(d, Queued)] == [(sid(1), "a", True)]
    customer = e.customer(sid(1))
    assert customer is not None and customer.state is CustomerState.WAITING and customer.tier == 0
    assert customer.arrival == 1 and customer.held_for is None
    assert e.queue_order("a") == [sid(1), sid(2)]  # ahead of a 7-star customer: the front of the queue
    assert e.held_for("s2") == []
    assert offers(e.seat_set_ready("s2", 40)) == [(sid(1), "s2")]  # now an ordinary offer from the queue
    assert of_type(e.seat_decline("s2", sid(1), 41), Queued)[0].front


def test_a_hold_ends_at_once_when_the_named_seat_goes_offline():
    e = engine()
    e.seat_login("s2", [Skill("a")], 0, ready=True)
    talking(e, "s2", sid(2), 1)
    e.seat_login("s1", [Skill("a")], 1, ready=True)
    talking(e, "s1", sid(1), 2)
    e.seat_set_not_ready("s1", "break", 2.5)
    e.transfer_to_seat(sid(1), "s2", 3)
    d = e.seat_disconnected("s2", 4)  # s2's own customer is re-queued at the front too (seat_drop_in_call)
    [ended] = of_type(d, HoldEnded)
    assert (ended.reason, ended.session_id) == ("seat_offline", sid(1)) and "已离线" in ended.message
    assert sorted(e.queue_order("a")) == [sid(1), sid(2)]
    assert all(e.customer(s).tier == 0 for s in (sid(1), sid(2)))  # type: ignore[union-attr]
    assert e.next_deadline() is None  # the hold timer is void


def test_several_customers_wait_for_one_seat_in_the_order_they_were_transferred():
    e = engine()
    e.seat_login("s3", [Skill("a")], 0, ready=True)
    talking(e, "s3", sid(9), 0.5)  # s3 is busy
    for n, seat in ((1, "s1"), (2, "s2")):
        e.seat_login(seat, [Skill("a")], n, ready=True)
        talking(e, seat, sid(n), n)
        e.seat_set_not_ready(seat, "break", n)
    assert of_type(e.transfer_to_seat(sid(2), "s3", 5), HeldForSeat)[0].position == 1  # sid(2) first
    assert of_type(e.transfer_to_seat(sid(1), "s3", 6), HeldForSeat)[0].position == 2
    assert e.held_for("s3") == [sid(2), sid(1)]
    assert e.position(sid(1)) == PositionUpdate(sid(1), "a", 2, 2, None)
    assert offers(e.end_call(sid(9), 7)) == [(sid(2), "s3")]
    assert e.position(sid(1)) == PositionUpdate(sid(1), "a", 1, 1, None)
    e.seat_answer("s3", sid(2), 8)
    assert offers(e.end_call(sid(2), 9)) == [(sid(1), "s3")]


def test_a_held_customer_who_leaves_or_drops_loses_the_named_seat_but_not_the_queue_front():
    e = engine()
    e.seat_login("s3", [Skill("a")], 0, ready=True)
    talking(e, "s3", sid(9), 0.5)
    for n, seat in ((1, "s1"), (2, "s2")):
        e.seat_login(seat, [Skill("a")], n, ready=True)
        talking(e, seat, sid(n), n)
        e.seat_set_not_ready(seat, "break", n)
        e.transfer_to_seat(sid(n), "s3", 5 + n)
    e.customer_leave(sid(1), 10)
    assert e.customer(sid(1)) is None and e.statistics(10)["a"].abandoned == 0  # answered before the transfer
    e.customer_disconnected(sid(2), 11)
    assert state(e, sid(2)) is CustomerState.DISCONNECTED and e.held_for("s3") == []
    d = e.end_call(sid(9), 12)
    assert offers(d) == [] and e.seat("s3").state is SeatState.READY
    d = e.customer_reconnected(sid(2), 13)  # within the grace period: the front of the queue
    assert offers(d) == [(sid(2), "s3")]


def test_a_named_offer_that_is_not_answered_sends_the_customer_to_the_front_of_the_queue():
    e = engine(ring_timeout_s=10)
    e.seat_login("s2", [Skill("a")], 0, ready=True)
    talking(e, "s2", sid(2), 1)
    e.seat_login("s1", [Skill("a")], 1, ready=True)
    talking(e, "s1", sid(1), 2)
    e.seat_set_not_ready("s1", "break", 2)
    e.transfer_to_seat(sid(1), "s2", 3)
    assert offers(e.end_call(sid(2), 4)) == [(sid(1), "s2")]
    e.advance(14)  # s2 did not answer
    customer = e.customer(sid(1))
    assert customer is not None and customer.state is CustomerState.WAITING and customer.tier == 0
    assert e.seat("s2").state is SeatState.NOT_READY


def test_refusals_are_clear_and_change_nothing():
    e = engine()
    e.seat_login("s1", [Skill("a")], 0, ready=True)
    e.seat_login("corp", [Skill("b")], 0, ready=True)
    e.seat_login("gone", [Skill("a")], 0)
    e.seat_logout("gone", 0.5)
    talking(e, "s1", sid(1), 1)
    for seat, code, text in (
        ("gone", "seat_offline", "坐席 gone 未签入(离线)，无法转接"),
        ("nobody", "seat_offline", "坐席 nobody 未签入(离线)，无法转接"),
        ("corp", "no_skill", "坐席 corp 不具备「个人业务」技能，无法转接"),
        ("s1", "same_seat", "不能转接给自己"),
    ):
        with pytest.raises(RoutingError) as caught:
            e.transfer_to_seat(sid(1), seat, 2)
        assert caught.value.code == code and text in caught.value.message
    assert state(e, sid(1)) is CustomerState.CONNECTED and e.seat("s1").state is SeatState.IN_CALL


def test_an_expert_or_backup_skill_is_enough_for_a_named_transfer():
    e = engine()
    e.seat_login("s1", [Skill("a")], 0, ready=True)
    e.seat_login("x", [Skill("a", role=SkillRole.EXPERT)], 0, ready=True)
    talking(e, "s1", sid(1), 1)
    assert offers(e.transfer_to_seat(sid(1), "x", 2)) == [(sid(1), "x")]


def test_snapshot_and_restore_keep_the_hold_and_a_restart_keeps_the_queue_front():
    e = engine(hold_s=30)
    e.seat_login("s2", [Skill("a")], 0, ready=True)
    talking(e, "s2", sid(2), 1)
    e.seat_login("s1", [Skill("a")], 1, ready=True)
    talking(e, "s1", sid(1), 2)
    e.seat_set_not_ready("s1", "break", 2)
    e.transfer_to_seat(sid(1), "s2", 5)
    again = restore(e.config, json.loads(json.dumps(snapshot(e))))
    assert again.held_for("s2") == [sid(1)] and again.next_deadline() == 35
    assert offers(again.end_call(sid(2), 6)) == [(sid(1), "s2")]
    # a restart: seats are offline, so the hold cannot be kept; the customer keeps the front of the queue
    restarted = restore(e.config, json.loads(json.dumps(snapshot(e))))
    server_restarted(restarted, 7)
    customer = restarted.customer(sid(1))
    assert customer is not None and customer.state is CustomerState.DISCONNECTED and customer.tier == 0
    assert restarted.held_for("s2") == []
    restarted.seat_login("s3", [Skill("a")], 8)
    assert offers(restarted.customer_reconnected(sid(1), 9)) == []
    assert restarted.queue_order("a") == [sid(1)]


def test_the_hold_time_is_configurable_and_validated():
    base = {"queue": [{"id": "a", "business_types": [PR]}]}
    assert parse_config(base).transfer_hold_s == 120.0
    assert parse_config({**base, "transfer_hold_s": 45}).transfer_hold_s == 45.0
    for bad in (0, -5, "long"):
        with pytest.raises(ConfigError, match="transfer_hold_s"):
            parse_config({**base, "transfer_hold_s": bad})
