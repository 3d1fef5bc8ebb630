"""Unit tests of each routing rule: ordering, seat choice, offers, customer side, transfer and consult."""

from __future__ import annotations

import json

import pytest

from server.routing import (
    Audit,
    Connected,
    ConsultEnded,
    CustomerState,
    OfferCall,
    OfferKind,
    PositionsChanged,
    PositionUpdate,
    Queued,
    RoutingEngine,
    RoutingError,
    SeatStateChanged,
    SessionEnded,
    Skill,
    SkillRole,
    WithdrawOffer,
    restore,
    snapshot,
)
from tests.server.routing.helpers import CORP, PR, lose_deadlines, make_config, of_type, offers, sid
from wire import EndReason, SeatState


def engine(queues=None, **top) -> RoutingEngine:
    return RoutingEngine(make_config(queues, **top))


def q(qid: str = "a", **kw):
    business = {"a": [PR, "account_activation"], "b": [CORP]}.get(qid, [])
    return {"id": qid, "business_types": business, "wrap_up_s": 0, **kw}


def serve_all(e: RoutingEngine, seat: str, start: float, step: float = 1.0) -> list[str]:
    """Let one seat answer and finish calls until nothing is offered; the order of sessions served."""
    served: list[str] = []
    t = start
    decisions = e.seat_set_ready(seat, t)
    while True:
        offered = [o for o in offers(decisions) if o[1] == seat]
        if not offered:
            return served
        session = offered[0][0]
        served.append(session)
        e.seat_answer(seat, session, t)
        t += step
        decisions = e.end_call(session, t)


# --- ordering -----


def test_equal_stars_are_first_come_first_served():
    e = engine()
    e.seat_login("s1", [Skill("a")], 0)
    for i in range(5):
        e.customer_arrive(sid(i), PR, 1 + i)
    assert e.queue_order("a") == [sid(i) for i in range(5)]
    assert serve_all(e, "s1", 10) == [sid(i) for i in range(5)]


def test_vip_jumps_ahead_but_only_within_the_star_bound():
    # w_star=10, w_age=1: one star is worth 10 s of waiting; 7 stars = 70 s, the bound of the queue.
    e = engine([q("a", w_star=10, w_age=1), q("b")])
    assert e.config.queues["a"].star_bound_s == 70
    e.seat_login("s1", [Skill("a")], 0)
    e.customer_arrive(sid(1), PR, 0)  # ordinary
    e.customer_arrive(sid(2), PR, 30, star=7)  # VIP 30 s later: 70 > 30, jumps ahead
    e.customer_arrive(sid(3), PR, 71, star=7)  # VIP 71 s later: beyond the bound, stays behind
    e.customer_arrive(sid(4), PR, 72)
    assert e.queue_order("a") == [sid(2), sid(1), sid(3), sid(4)]
    assert serve_all(e, "s1", 100) == [sid(2), sid(1), sid(3), sid(4)]


def test_ties_are_broken_by_arrival_time():
    e = engine([q("a", w_star=5, w_age=1), q("b")])
    e.seat_login("s1", [Skill("a")], 0)
    e.customer_arrive(sid(1), PR, 0, star=1)  # key 5 - 0 = 5
    e.customer_arrive(sid(2), PR, 5, star=2)  # key 10 - 5 = 5: same score, later arrival
    assert e.live_score(sid(1), 9) == e.live_score(sid(2), 9)
    assert e.queue_order("a") == [sid(1), sid(2)]


def test_seat_with_two_queues_takes_the_higher_live_score():
    e = engine([q("a"), q("b", base_priority=100)])
    e.seat_login("s1", [Skill("a"), Skill("b")], 0)
    e.customer_arrive(sid(1), PR, 0)  # score at t: t
    e.customer_arrive(sid(2), CORP, 50)  # score at t: 100 + t - 50
    assert offers(e.seat_set_ready("s1", 60)) == [(sid(2), "s1")]
    e = engine([q("a"), q("b", base_priority=10)])
    e.seat_login("s1", [Skill("a"), Skill("b")], 0)
    e.customer_arrive(sid(1), PR, 0)
    e.customer_arrive(sid(2), CORP, 50)  # 10 + 10 < 60: the older customer of "a" wins
    assert offers(e.seat_set_ready("s1", 60)) == [(sid(1), "s1")]


def test_bad_star_and_unknown_business_are_refused_in_chinese():
    e = engine()
    with pytest.raises(RoutingError, match="星级"):
        e.customer_arrive(sid(1), PR, 0, star=8)
    with pytest.raises(RoutingError) as info:
        e.customer_arrive(sid(1), "remote_authorisation", 0)
    assert info.value.code == "unknown_business" and "暂不支持" in info.value.message
    e.seat_login("s1", [Skill("a")], 0)
    e.customer_arrive(sid(1), PR, 0)
    with pytest.raises(RoutingError, match="duplicate_session"):
        e.customer_arrive(sid(1), PR, 1)


# --- seat states -----


def test_seat_states_are_timestamped_and_kept():
    e = engine([q("a", wrap_up_s=20), q("b")])
    e.seat_login("s1", [Skill("a")], 0)
    e.seat_set_not_ready("s1", "meeting", 1)
    e.seat_set_ready("s1", 2)
    e.customer_arrive(sid(1), PR, 3)
    e.seat_answer("s1", sid(1), 4)
    e.end_call(sid(1), 10)
    assert e.next_deadline() == 30
    e.advance(30)
    history = [(h.at, h.state, h.reason) for h in e.seat("s1").history]
    assert history == [
        (0, SeatState.NOT_READY, "login"),
        (1, SeatState.NOT_READY, "meeting"),
        (2, SeatState.READY, None),
        (3, SeatState.RESERVED, None),
        (4, SeatState.IN_CALL, None),
        (10, SeatState.WRAP_UP, None),
        (30, SeatState.READY, None),
    ]


def test_not_ready_during_a_call_applies_after_it_and_set_ready_ends_wrap_up_early():
    e = engine([q("a", wrap_up_s=60), q("b")])
    e.seat_login("s1", [Skill("a")], 0, ready=True)
    e.customer_arrive(sid(1), PR, 1)
    e.seat_answer("s1", sid(1), 2)
    e.seat_set_not_ready("s1", "break", 3)
    assert e.seat("s1").state is SeatState.IN_CALL
    e.end_call(sid(1), 10)
    e.advance(70)
    assert (e.seat("s1").state, e.seat("s1").reason) == (SeatState.NOT_READY, "break")
    e.seat_set_ready("s1", 80)
    e.customer_arrive(sid(2), PR, 81)
    e.seat_answer("s1", sid(2), 82)
    e.end_call(sid(2), 90)
    assert e.seat("s1").state is SeatState.WRAP_UP
    e.customer_arrive(sid(3), PR, 91)
    assert offers(e.seat_set_ready("s1", 95)) == [(sid(3), "s1")]


def test_bad_not_ready_reason_and_logout_in_call_are_refused():
    e = engine()
    e.seat_login("s1", [Skill("a")], 0, ready=True)
    with pytest.raises(RoutingError, match="示忙原因"):
        e.seat_set_not_ready("s1", "nap", 1)
    e.customer_arrive(sid(1), PR, 1)
    e.seat_answer("s1", sid(1), 2)
    with pytest.raises(RoutingError, match="通话中不能签出"):
        e.seat_logout("s1", 3)
    with pytest.raises(RoutingError, match="already_logged_in"):
        e.seat_login("s1", [Skill("a")], 3)
    with pytest.raises(RoutingError, match="unknown_queue"):
        e.seat_login("s2", [Skill("nope")], 3)


# --- seat choice -----


def test_longest_idle_seat_is_chosen_by_default():
    e = engine()
    e.seat_login("s1", [Skill("a")], 0)
    e.seat_login("s2", [Skill("a")], 0)
    e.seat_set_ready("s2", 1)
    e.seat_set_ready("s1", 2)
    assert offers(e.customer_arrive(sid(1), PR, 3)) == [(sid(1), "s2")]


def test_fewest_calls_today():
    e = engine([q("a", seat_choice="fewest_calls"), q("b")])
    for s in ("s1", "s2"):
        e.seat_login(s, [Skill("a")], 0)
    e.seat_set_ready("s1", 1)
    e.customer_arrive(sid(1), PR, 2)
    e.seat_answer("s1", sid(1), 2)
    e.end_call(sid(1), 3)  # s1 ready again at 3 with one call
    e.seat_set_ready("s2", 4)  # s2 ready later, no calls
    assert offers(e.customer_arrive(sid(2), PR, 5)) == [(sid(2), "s2")]
    e.reset_daily_counters(6)
    assert e.seat("s1").calls_today == 0


def test_highest_proficiency_then_longest_idle():
    e = engine([q("a", seat_choice="proficiency"), q("b")])
    e.seat_login("s1", [Skill("a", proficiency=1)], 0, ready=True)
    e.seat_login("s2", [Skill("a", proficiency=3)], 1, ready=True)
    e.seat_login("s3", [Skill("a", proficiency=3)], 2, ready=True)
    assert offers(e.customer_arrive(sid(1), PR, 3)) == [(sid(1), "s2")]
    assert offers(e.customer_arrive(sid(2), PR, 4)) == [(sid(2), "s3")]
    assert offers(e.customer_arrive(sid(3), PR, 5)) == [(sid(3), "s1")]


def test_backup_seats_only_when_no_primary_is_ready_and_experts_never_routed():
    e = engine()
    e.seat_login("expert", [Skill("a", role=SkillRole.EXPERT)], 0, ready=True)
    e.seat_login("backup", [Skill("a", role=SkillRole.BACKUP)], 0, ready=True)
    e.seat_login("primary", [Skill("a")], 1, ready=True)
    assert offers(e.customer_arrive(sid(1), PR, 2)) == [(sid(1), "primary")]
    assert offers(e.customer_arrive(sid(2), PR, 3)) == [(sid(2), "backup")]
    d = e.customer_arrive(sid(3), PR, 4)
    assert offers(d) == [] and of_type(d, Queued)
    assert e.seat("expert").state is SeatState.READY


# --- offers -----


def test_ring_timeout_sets_no_answer_and_offers_next_seat_keeping_the_place():
    e = engine([q("a", ring_timeout_s=10), q("b")])
    e.seat_login("s1", [Skill("a")], 0, ready=True)
    e.customer_arrive(sid(1), PR, 1)
    e.customer_arrive(sid(2), PR, 2)
    assert e.next_deadline() == 11
    e.seat_login("s2", [Skill("a")], 3)
    d = e.seat_set_ready("s2", 4)
    assert offers(d) == [(sid(2), "s2")]
    d = e.advance(11)
    assert of_type(d, WithdrawOffer)[0].reason == "ring_timeout"
    assert (e.seat("s1").state, e.seat("s1").reason) == (SeatState.NOT_READY, "no_answer")
    e.customer_arrive(sid(3), PR, 12)
    assert e.queue_order("a") == [sid(1), sid(3)]  # still ahead of later arrivals
    e.seat_decline("s2", sid(2), 13)
    assert e.queue_order("a") == [sid(1), sid(2), sid(3)]
    assert e.seat("s2").reason == "declined"
    assert offers(e.seat_set_ready("s2", 14)) == [(sid(1), "s2")]


def test_answering_a_stale_offer_is_refused():
    e = engine([q("a", ring_timeout_s=10), q("b")])
    e.seat_login("s1", [Skill("a")], 0, ready=True)
    e.customer_arrive(sid(1), PR, 1)
    e.advance(20)
    with pytest.raises(RoutingError, match="不再振铃"):
        e.seat_answer("s1", sid(1), 21)


def test_seat_drop_while_reserved_requeues_in_place():
    e = engine()
    e.seat_login("s1", [Skill("a")], 0, ready=True)
    e.seat_login("s2", [Skill("a")], 0)
    e.customer_arrive(sid(1), PR, 1)
    e.customer_arrive(sid(2), PR, 2)
    d = e.seat_disconnected("s1", 3)
    assert of_type(d, WithdrawOffer)[0].reason == "seat_disconnected"
    assert e.queue_order("a") == [sid(1), sid(2)]
    assert e.seat("s1").state is SeatState.OFFLINE


@pytest.mark.parametrize("policy", ["requeue", "fail"])
def test_seat_drop_in_call_requeues_at_front_or_fails_never_both(policy):
    e = engine(seat_drop_in_call=policy)
    e.seat_login("s1", [Skill("a")], 0, ready=True)
    e.seat_login("s2", [Skill("a")], 0)
    e.customer_arrive(sid(1), PR, 1)
    e.seat_answer("s1", sid(1), 2)
    e.customer_arrive(sid(2), PR, 3)
    e.customer_arrive(sid(3), PR, 4, star=7)
    d = e.seat_disconnected("s1", 5)
    ended = of_type(d, SessionEnded)
    if policy == "requeue":
        assert not ended
        assert e.queue_order("a") == [sid(1), sid(3), sid(2)]
        assert of_type(d, Queued)[0].front
    else:
        assert [x.reason for x in ended] == [EndReason.SEAT_DISCONNECTED]
        assert e.customer(sid(1)) is None
        assert e.queue_order("a") == [sid(3), sid(2)]


def test_sweeper_releases_a_stuck_reservation_with_an_audit_entry():
    e = engine([q("a", ring_timeout_s=10), q("b")], sweep_slack_s=5)
    e.seat_login("s1", [Skill("a")], 0, ready=True)
    e.seat_login("s2", [Skill("a")], 0)
    e.customer_arrive(sid(1), PR, 1)
    lose_deadlines(e)  # simulate a lost ring-timeout deadline
    assert e.sweep(12) == []  # not yet past timeout + slack
    d = e.sweep(17)
    audits = of_type(d, Audit)
    assert audits and audits[0].kind == "sweeper" and audits[0].seat_id == "s1" and e.audit
    assert e.seat("s1").state is SeatState.NOT_READY
    assert e.queue_order("a") == [sid(1)]
    # the sweeper also runs on ordinary events once the sweep interval has passed
    e.seat_set_ready("s2", 18)
    lose_deadlines(e)
    e.advance(40)
    assert e.seat("s2").state is SeatState.NOT_READY and len(e.audit) == 2


# --- customer side -----


def test_positions_and_estimates_follow_measured_handle_times():
    e = engine([q("a", default_handle_time_s=50), q("b")])
    e.seat_login("s1", [Skill("a")], 0, ready=True)
    e.seat_login("s2", [Skill("a")], 0, ready=True)
    for i in range(2):  # two calls of 100 s
        e.customer_arrive(sid(i), PR, 0)
        e.seat_answer(["s1", "s2"][i], sid(i), 0)
    d = e.customer_arrive(sid(10), PR, 1)
    assert PositionsChanged("a") in d
    assert e.position(sid(10)) == PositionUpdate(sid(10), "a", 1, 1, 1 * 50 / 2)  # default AHT before data
    e.end_call(sid(0), 100)
    e.seat_answer("s1", sid(10), 100)
    e.end_call(sid(1), 100)
    e.seat_set_not_ready("s2", "break", 100)
    for i in range(3):
        e.customer_arrive(sid(20 + i), PR, 101 + i)
    positions = e.queue_positions("a")
    assert [p.position for p in positions] == [1, 2, 3] and positions[0].waiting == 3
    assert positions[2].estimated_wait_s == pytest.approx(3 * 100 / 1)  # one working seat, AHT 100 s
    d = e.customer_leave(sid(20), 110)
    assert PositionsChanged("a") in d
    update = e.position(sid(22))
    assert update is not None and update.position == 2


def test_expanded_position_updates_on_every_change():
    e = RoutingEngine(make_config(), expand_positions=True)
    e.seat_login("s1", [Skill("a")], 0)
    e.customer_arrive(sid(1), PR, 1)
    d = e.customer_arrive(sid(2), PR, 2)
    assert [(p.session_id, p.position) for p in of_type(d, PositionUpdate)] == [(sid(1), 1), (sid(2), 2)]
    d = e.customer_leave(sid(1), 3)
    assert [(p.session_id, p.position) for p in of_type(d, PositionUpdate)] == [(sid(2), 1)]


def test_abandon_while_ringing_frees_the_seat_for_the_next_customer():
    e = engine()
    e.seat_login("s1", [Skill("a")], 0, ready=True)
    e.customer_arrive(sid(1), PR, 1)
    e.customer_arrive(sid(2), PR, 2)
    d = e.customer_leave(sid(1), 3)
    assert of_type(d, WithdrawOffer)[0].reason == "customer_left"
    assert offers(d) == [(sid(2), "s1")]
    assert e.statistics(3)["a"].abandoned == 1


def test_reconnect_within_grace_keeps_the_place_and_after_grace_ends():
    e = engine(reconnect_grace_s=30)
    e.seat_login("s1", [Skill("a")], 0)
    for i in range(3):
        e.customer_arrive(sid(i), PR, i)
    e.customer_disconnected(sid(0), 5)
    e.customer_disconnected(sid(1), 5)
    assert e.queue_order("a") == [sid(2)]
    e.customer_reconnected(sid(0), 20)
    assert e.queue_order("a") == [sid(0), sid(2)]
    d = e.advance(35)
    assert [(x.session_id, x.reason) for x in of_type(d, SessionEnded)] == [(sid(1), EndReason.CUSTOMER_DISCONNECTED)]
    with pytest.raises(RoutingError, match="重新取号"):
        e.customer_reconnected(sid(1), 36)


def test_customer_disconnect_while_ringing_withdraws_and_reconnect_is_offered_again():
    e = engine()
    e.seat_login("s1", [Skill("a")], 0, ready=True)
    e.customer_arrive(sid(1), PR, 1)
    d = e.customer_disconnected(sid(1), 2)
    assert of_type(d, WithdrawOffer) and e.seat("s1").state is SeatState.READY
    assert offers(e.customer_reconnected(sid(1), 3)) == [(sid(1), "s1")]


def test_customer_disconnect_in_call_ends_the_call():
    e = engine()
    e.seat_login("s1", [Skill("a")], 0, ready=True)
    e.customer_arrive(sid(1), PR, 1)
    e.seat_answer("s1", sid(1), 2)
    d = e.customer_disconnected(sid(1), 3)
    assert of_type(d, SessionEnded)[0].reason == EndReason.CUSTOMER_DISCONNECTED
    assert e.seat("s1").state is SeatState.READY  # wrap-up 0 in this config


# --- transfer and consult -----


def test_transfer_to_queue_puts_the_customer_at_the_front():
    e = engine()
    e.seat_login("s1", [Skill("a")], 0, ready=True)
    e.seat_login("s2", [Skill("b")], 0)
    e.customer_arrive(sid(1), PR, 1)
    e.seat_answer("s1", sid(1), 2)
    e.customer_arrive(sid(2), CORP, 3, star=7)
    d = e.transfer_to_queue(sid(1), "b", 4)
    assert of_type(d, Queued)[0].front
    assert e.queue_order("b") == [sid(1), sid(2)]
    assert offers(e.seat_set_ready("s2", 5)) == [(sid(1), "s2")]
    e.seat_answer("s2", sid(1), 6)
    assert e.statistics(6)["*"].answered == 1  # the second leg is not a second answer


def test_transfer_to_named_seat_and_back_to_queue_front_on_no_answer():
    e = engine([q("a", ring_timeout_s=10), q("b")])
    e.seat_login("s1", [Skill("a")], 0, ready=True)
    e.seat_login("s2", [Skill("a", role=SkillRole.EXPERT)], 0)  # never routed customers of "a"
    e.customer_arrive(sid(1), PR, 1)
    e.seat_answer("s1", sid(1), 2)
    e.seat_set_ready("s2", 3)
    e.customer_arrive(sid(2), PR, 3.5)
    d = e.transfer_to_seat(sid(1), "s2", 4)
    assert [(o.session_id, o.seat_id, o.kind) for o in of_type(d, OfferCall)] == [
        (sid(2), "s1", OfferKind.CUSTOMER),  # s1 is free again and takes the waiting customer
        (sid(1), "s2", OfferKind.TRANSFER),
    ]
    e.advance(14)  # s2 did not answer
    customer = e.customer(sid(1))
    assert customer is not None and customer.state is CustomerState.WAITING and customer.tier == 0


def test_consult_invites_the_best_ready_expert_and_ends_with_the_call():
    e = engine()
    e.seat_login("s1", [Skill("a")], 0, ready=True)
    e.seat_login("exp", [Skill("a", role=SkillRole.EXPERT, proficiency=5)], 0, ready=True)
    e.customer_arrive(sid(1), PR, 1)
    e.seat_answer("s1", sid(1), 2)
    with pytest.raises(RoutingError, match="no_expert"):
        e.invite_consult(sid(1), 3, queue_id="b")
    d = e.invite_consult(sid(1), 3, queue_id="a")
    assert [x.kind for x in d if hasattr(x, "kind")] == [OfferKind.CONSULT]
    with pytest.raises(RoutingError, match="consult_busy"):
        e.invite_consult(sid(1), 3, seat_id="exp")
    d = e.seat_answer("exp", sid(1), 4)
    assert Connected(sid(1), "exp", OfferKind.CONSULT) in d
    d = e.end_call(sid(1), 10)
    assert [c.reason for c in of_type(d, ConsultEnded)] == ["call_ended"]
    assert e.seat("exp").state is SeatState.READY


def test_consult_no_answer_and_explicit_end():
    e = engine([q("a", ring_timeout_s=5), q("b")])
    e.seat_login("s1", [Skill("a")], 0, ready=True)
    e.seat_login("exp", [Skill("b")], 0, ready=True)
    e.customer_arrive(sid(1), PR, 1)
    e.seat_answer("s1", sid(1), 2)
    e.invite_consult(sid(1), 3, seat_id="exp")
    d = e.advance(8)
    assert [c.reason for c in of_type(d, ConsultEnded)] == ["ring_timeout"]
    assert e.seat("exp").reason == "no_answer"
    e.seat_set_ready("exp", 9)
    e.invite_consult(sid(1), 9, seat_id="exp")
    e.seat_answer("exp", sid(1), 10)
    d = e.end_consult(sid(1), 20)
    assert of_type(d, ConsultEnded) and e.seat("exp").state is SeatState.READY
    customer = e.customer(sid(1))
    assert customer is not None and customer.state is CustomerState.CONNECTED


def test_seat_state_decisions_are_reported():
    e = engine()
    d = e.seat_login("s1", [Skill("a")], 0)
    assert d == [SeatStateChanged("s1", SeatState.NOT_READY, "login", 0)]


def test_decisions_due_before_a_refused_event_are_delivered_with_the_next_call():
    e = engine([q("a", ring_timeout_s=100), q("b")], reconnect_grace_s=10)
    e.seat_login("s1", [Skill("a")], 0, ready=True)
    e.customer_arrive(sid(1), PR, 0)  # rings s1
    e.customer_arrive(sid(2), PR, 0)
    e.customer_disconnected(sid(2), 1)
    with pytest.raises(RoutingError, match="not_offered"):
        e.seat_answer("s1", sid(2), 20)  # the grace period of sid(2) ended at 11, before the refusal
    assert e.customer(sid(2)) is None
    assert e.next_deadline() == 20
    # a snapshot taken now keeps the undelivered decision
    same = restore(e.config, json.loads(json.dumps(snapshot(e))))
    for engine_ in (e, same):
        d = engine_.advance(20)
        assert [(x.session_id, x.reason) for x in of_type(d, SessionEnded)] == [
            (sid(2), EndReason.CUSTOMER_DISCONNECTED)
        ]


def test_restored_arrival_keeps_its_ticket_time_and_absent_customers_wait_unoffered():
    e = engine(reconnect_grace_s=30)
    e.seat_login("s1", [Skill("a")], 0)
    e.customer_arrive(sid(1), PR, 100)
    e.customer_arrive(sid(2), PR, 101, arrival=50)  # restored: took the ticket at 50
    assert e.queue_order("a") == [sid(2), sid(1)]
    d = e.customer_arrive(sid(3), PR, 102, present=False)
    assert offers(d) == [] and sid(3) not in e.queue_order("a")
    e.seat_set_ready("s1", 103)  # offered sid(2); the absent customer is not offered
    assert [s.seat_id for s in e.reserved_seats()] == ["s1"] and e.find_seat("nope") is None
    e.customer_reconnected(sid(3), 110)
    assert e.queue_order("a") == [sid(1), sid(3)]


def test_next_deadline_for_a_lost_ring_deadline_is_served_by_advance():
    e = engine([q("a", ring_timeout_s=10), q("b")], sweep_slack_s=5, sweep_interval_s=60)
    e.seat_login("s1", [Skill("a")], 0, ready=True)
    e.customer_arrive(sid(1), PR, 1)
    lose_deadlines(e)  # simulate a lost ring-timeout deadline
    due = e.next_deadline()
    assert due == 16
    d = e.advance(due)  # a timer armed on next_deadline() releases the seat: no busy loop
    assert of_type(d, Audit) and e.seat("s1").state is SeatState.NOT_READY
    assert e.next_deadline() is None
