"""Overflow, preview, configuration validation, statistics and snapshot/restore of the routing engine."""

from __future__ import annotations

import json

import pytest

from server.routing import (
    DEFAULT_CONFIG_PATH,
    ConfigError,
    OfferCall,
    Overflowed,
    Queued,
    Rejected,
    RoutingEngine,
    SeatStateChanged,
    SessionEnded,
    Skill,
    load_config,
    parse_config,
    restore,
    server_restarted,
    snapshot,
)
from tests.server.routing.helpers import CORP, PR, make_config, of_type, offers, sid
from wire import EndReason, SeatState

INFO = "customer_info_maintenance"


def three_queues(**a_kw) -> RoutingEngine:
    """a -> [b, c]; b and c each take their own business too."""
    queues = [
        {"id": "a", "business_types": [PR], "wrap_up_s": 0, "overflow_to": ["b", "c"], **a_kw},
        {"id": "b", "business_types": [CORP], "wrap_up_s": 0, "max_waiting": 1},
        {"id": "c", "business_types": [INFO], "wrap_up_s": 0},
    ]
    return RoutingEngine(make_config(queues))


# --- overflow -----


def test_full_queue_overflows_in_chain_order_keeping_arrival_time():
    e = three_queues(max_waiting=2)
    for s, qid in (("sa", "a"), ("sb", "b"), ("sc", "c")):
        e.seat_login(s, [Skill(qid)], 0)
    e.customer_arrive(sid(1), PR, 1)
    e.customer_arrive(sid(2), PR, 2)
    d = e.customer_arrive(sid(3), PR, 3)  # a is full (2): goes to b
    assert of_type(d, Overflowed) == [Overflowed(sid(3), "a", "b", "full")]
    d = e.customer_arrive(sid(4), PR, 4)  # b is full too (1): goes to c
    assert of_type(d, Overflowed) == [Overflowed(sid(4), "a", "c", "full")]
    e.customer_arrive(sid(5), INFO, 5)
    assert e.queue_order("c") == [sid(4), sid(5)]
    d = e.seat_set_ready("sc", 6)
    assert [(o.session_id, o.arrival) for o in of_type(d, OfferCall)] == [(sid(4), 4)]
    stats = e.statistics(6)
    assert (stats["a"].overflowed_out, stats["b"].overflowed_in, stats["c"].overflowed_in) == (2, 1, 1)


def test_full_queue_with_no_taker_rejects_with_a_chinese_call_back_message():
    e = RoutingEngine(make_config([{"id": "a", "business_types": [PR], "max_waiting": 1}]))
    e.seat_login("s", [Skill("a")], 0)
    e.customer_arrive(sid(1), PR, 1)
    d = e.customer_arrive(sid(2), PR, 2)
    [rejected] = of_type(d, Rejected)
    assert rejected.reason == "full" and "预约" in rejected.message and "再拨" in rejected.message
    assert e.customer(sid(2)) is None and e.statistics(2)["a"].rejected == 1


def test_no_seat_logged_in_overflows_or_rejects():
    e = three_queues()
    e.seat_login("sc", [Skill("c")], 0)
    d = e.customer_arrive(sid(1), PR, 1)  # no seat for a, b has none either: c
    assert of_type(d, Overflowed) == [Overflowed(sid(1), "a", "c", "no_seat")]
    solo = RoutingEngine(make_config([{"id": "a", "business_types": [PR], "on_exhausted": "reject"}]))
    [rejected] = of_type(solo.customer_arrive(sid(1), PR, 1), Rejected)
    assert rejected.reason == "no_seat" and "暂无" in rejected.message
    stay = RoutingEngine(make_config([{"id": "a", "business_types": [PR], "on_exhausted": "stay"}]))
    assert of_type(stay.customer_arrive(sid(1), PR, 1), Queued)


def test_time_overflow_moves_customers_after_max_wait():
    e = three_queues(max_wait_s=60)
    e.seat_login("sa", [Skill("a")], 0)
    e.seat_login("sb", [Skill("b")], 0)
    e.customer_arrive(sid(1), PR, 10)
    e.customer_arrive(sid(2), PR, 20)
    assert e.next_deadline() == 70
    d = e.advance(75)
    assert of_type(d, Overflowed) == [Overflowed(sid(1), "a", "b", "timeout")]
    # b is now full (max 1): the second customer stays (on_exhausted=stay, c has no seat)
    assert e.queue_order("a") == [sid(2)] and e.queue_order("b") == [sid(1)]
    assert e.preview_overflow("a", "timeout") == ("stay", "a")


def test_time_overflow_with_reject_policy_tells_the_customer_to_call_back():
    e = RoutingEngine(make_config([{"id": "a", "business_types": [PR], "max_wait_s": 30, "on_exhausted": "reject"}]))
    e.seat_login("s", [Skill("a")], 0)
    e.customer_arrive(sid(1), PR, 0)
    [rejected] = of_type(e.advance(30), Rejected)
    assert rejected.reason == "timeout" and "预约" in rejected.message


def test_last_seat_logging_out_reroutes_waiting_customers_after_grace():
    e = three_queues()
    e.seat_login("sa", [Skill("a")], 0)
    e.seat_login("sc", [Skill("c")], 0)
    e.customer_arrive(sid(1), PR, 1)
    e.customer_arrive(sid(2), PR, 2)
    e.seat_logout("sa", 10)
    assert e.next_deadline() == 40  # no_seat_grace_s = 30
    e.seat_login("sa", [Skill("a")], 20)  # back in time: nothing moves
    assert of_type(e.advance(45), Overflowed) == []
    e.seat_logout("sa", 50)
    d = e.advance(80)
    assert [o.session_id for o in of_type(d, Overflowed)] == [sid(1), sid(2)]
    assert e.queue_order("c") == [sid(1), sid(2)]


def test_preview_says_what_would_happen_and_changes_nothing():
    e = three_queues(max_waiting=1)
    e.seat_login("sa", [Skill("a")], 0)
    e.seat_login("sb", [Skill("b")], 0)
    p = e.preview(PR, 1)
    assert (p.outcome, p.queue_id, p.position) == ("queue", "a", 1)
    e.customer_arrive(sid(1), PR, 1)
    p = e.preview(PR, 2)
    assert (p.outcome, p.queue_id, p.path) == ("queue", "b", ("a", "b"))
    e.seat_set_ready("sb", 3)
    p = e.preview(PR, 4)
    assert (p.outcome, p.seat_id) == ("offer", "sb")
    e.customer_arrive(sid(2), PR, 5)  # goes to b and is offered to sb
    p = e.preview(PR, 6)  # a full, b full? b has 0 waiting (offered): queue in b
    assert p.outcome == "queue" and p.queue_id == "b"
    solo = RoutingEngine(make_config([{"id": "a", "business_types": [PR], "on_exhausted": "reject"}]))
    p = solo.preview(PR, 0)
    assert p.outcome == "reject" and "坐席" in (p.message or "")
    assert solo.waiting_count() == 0 and solo.customers() == []


# --- configuration -----


def test_default_config_loads_and_states_its_bounds():
    config = load_config()
    assert DEFAULT_CONFIG_PATH.name == "queues.toml"
    assert {"retail", "corporate", "general"} <= set(config.queues)
    assert config.queues["retail"].star_bound_s == 7 * 30 / 1
    assert config.queue_for("password_reset") == "retail"
    assert config.starvation_bound_s() == (60 + 7 * 30 - 0) / 1


@pytest.mark.parametrize(
    ("queues", "needle"),
    [
        ([{"id": "a", "overflow_to": ["zzz"]}], "unknown queue in overflow chain"),
        (
            [{"id": "a", "overflow_to": ["b"]}, {"id": "b", "overflow_to": ["c"]}, {"id": "c", "overflow_to": ["a"]}],
            "overflow cycle): a -> b -> c -> a",
        ),
        ([{"id": "a", "overflow_to": ["a"]}], "overflows to itself"),
        ([{"id": "a", "business_types": [PR]}, {"id": "b", "business_types": [PR]}], "mapped twice"),
        ([{"id": "a", "business_types": ["mortgage"]}], "unknown business type"),
        ([{"id": "a", "w_age": 0}], "w_age"),
        ([{"id": "a", "seat_choice": "random"}], "seat_choice"),
        ([{"id": "a", "max_waiting": 0}], "max_waiting"),
        ([{"id": "a", "colour": "red"}], "unknown key"),
        ([{"id": "a"}, {"id": "a"}], "duplicate queue id"),
        ([], "at least one"),
    ],
)
def test_config_errors_are_clear(queues, needle):
    with pytest.raises(ConfigError) as info:
        parse_config({"queue": queues})
    assert needle in str(info.value)


def test_config_reports_every_problem_and_bad_toml(tmp_path):
    with pytest.raises(ConfigError) as info:
        parse_config({"queue": [{"id": "a", "w_star": "x", "overflow_to": ["q"]}], "seat_drop_in_call": "drop"})
    assert len(info.value.problems) == 3
    bad = tmp_path / "q.toml"
    bad.write_text("[[queue]\nid=", encoding="utf-8")
    with pytest.raises(ConfigError, match="TOML"):
        load_config(bad)
    with pytest.raises(ConfigError, match="无法读取"):
        load_config(tmp_path / "missing.toml")


# --- statistics -----


def test_statistics_service_level_abandon_asa_aht_and_seats():
    e = RoutingEngine(make_config([{"id": "a", "business_types": [PR], "wrap_up_s": 10, "service_level_s": 20}]))
    e.seat_login("s1", [Skill("a")], 0, ready=True)
    e.seat_login("s2", [Skill("a")], 0)
    e.customer_arrive(sid(1), PR, 0)
    e.seat_answer("s1", sid(1), 5)  # waited 5 s
    e.customer_arrive(sid(2), PR, 10)
    e.customer_arrive(sid(3), PR, 11)
    e.customer_leave(sid(3), 15)  # abandon
    e.end_call(sid(1), 65)  # talk 60 + wrap 10
    e.advance(75)
    e.seat_answer("s1", sid(2), 76)  # waited 66 s
    stats = e.statistics(80)
    a = stats["a"]
    assert (a.arrived, a.answered, a.answered_within_sl, a.abandoned) == (3, 2, 1, 1)
    assert a.service_level == pytest.approx(1 / 3)
    assert a.abandon_rate == pytest.approx(1 / 3)
    assert a.average_speed_of_answer_s == pytest.approx((5 + 66) / 2)
    assert a.average_handle_time_s == pytest.approx(70)
    assert a.seats_by_state["in_call"] == 1 and a.seats_by_state["not_ready"] == 1
    assert stats["*"].answered == 2 and stats["*"].seats_by_state["in_call"] == 1
    e.customer_arrive(sid(4), PR, 90)
    assert e.statistics(100)["a"].longest_wait_s == 10
    json.dumps(stats["*"].as_dict())


# --- durability -----


def test_snapshot_restore_keeps_order_and_restart_keeps_places_for_reconnecting_customers():
    config = make_config()
    e = RoutingEngine(config)
    e.seat_login("s1", [Skill("a")], 0, ready=True)
    e.seat_login("s2", [Skill("a")], 0)
    e.customer_arrive(sid(1), PR, 1)
    e.seat_answer("s1", sid(1), 2)  # in call at restart
    for i, star in ((2, 0), (3, 5), (4, 0)):
        e.customer_arrive(sid(i), PR, i, star=star)
    order = e.queue_order("a")
    data = json.loads(json.dumps(snapshot(e)))
    same = restore(config, data)
    assert same.queue_order("a") == order
    assert same.seat("s1").state is SeatState.IN_CALL
    assert same.statistics(5)["a"].answered == 1

    d = server_restarted(same, 100)
    assert [(x.session_id, x.reason) for x in of_type(d, SessionEnded)] == [(sid(1), EndReason.SERVER_RESTART)]
    assert all(s.state is SeatState.OFFLINE for s in same.seats())
    assert same.waiting_count() == 0
    for session in reversed(order):  # reconnect in the opposite order: places are kept anyway
        same.customer_reconnected(session, 110)
    assert same.queue_order("a") == order
    same.seat_login("s2", [Skill("a")], 120)
    assert offers(same.seat_set_ready("s2", 121)) == [(order[0], "s2")]
    d = same.advance(100 + 61)
    assert of_type(d, SessionEnded) == []  # everyone reconnected within grace


def test_restart_customers_who_do_not_come_back_are_ended_after_grace():
    config = make_config()
    e = RoutingEngine(config)
    e.seat_login("s1", [Skill("a")], 0)
    e.customer_arrive(sid(1), PR, 1)
    same = restore(config, snapshot(e))
    server_restarted(same, 10)
    d = same.advance(71)
    assert [x.session_id for x in of_type(d, SessionEnded)] == [sid(1)]


def test_seat_history_is_bounded_in_memory_but_every_change_is_a_decision():
    e = RoutingEngine(make_config(seat_history_limit=3))
    changes = of_type(e.seat_login("s", [Skill("a")], 0), SeatStateChanged)
    for i in range(5):
        changes += of_type(e.seat_set_ready("s", 1 + 2 * i), SeatStateChanged)
        changes += of_type(e.seat_set_not_ready("s", "break", 2 + 2 * i), SeatStateChanged)
    assert len(changes) == 11
    assert list(e.seat("s").history) == changes[-3:]
    same = restore(e.config, snapshot(e))
    assert list(same.seat("s").history) == changes[-3:]
    with pytest.raises(ConfigError, match="seat_history_limit"):
        make_config(seat_history_limit=0)


def test_no_seat_rerouting_survives_a_restore():
    e = three_queues()
    e.seat_login("sa", [Skill("a")], 0)
    e.seat_login("sc", [Skill("c")], 0)
    e.customer_arrive(sid(1), PR, 1)
    e.seat_logout("sa", 10)
    same = restore(e.config, snapshot(e))
    assert same.next_deadline() == 40
    d = same.advance(40)
    assert [o.session_id for o in of_type(d, Overflowed)] == [sid(1)]
