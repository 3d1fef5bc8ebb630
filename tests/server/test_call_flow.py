"""A customer queues, a seat is offered the call, answers, signalling is relayed, and either side hangs up."""

from __future__ import annotations

import pytest

import wire
from tests.server.conftest import LiveServer, ServerFactory, WsClient, wait_for


async def test_offer_answer_relay_and_customer_hangup(live: LiveServer) -> None:
    customer, sid = await live.customer(name="张三")
    status = await customer.expect("queue_status")
    assert status["position"] == 1

    seat = await live.seat("seat-a")
    await seat.expect("seat_state", state="reserved")
    offered = await seat.expect("call_offered", session_id=sid)
    assert offered["business_label"] == "密码重置"
    assert offered["customer_name"] == "李*华"  # the masked name from the pre-checked ID card

    await seat.send({"type": "answer_call", "session_id": sid})
    await seat.expect("seat_state", state="in_call")
    await seat.expect("call_answered", session_id=sid)
    connected = await customer.expect("call_connected")
    assert connected["seat_id"] == "seat-a"
    assert connected["seat_name"] == "柜员甲"

    await seat.send({"type": "sdp", "session_id": sid, "sdp_type": "offer", "sdp": "v=0 offer"})
    sdp = await customer.expect("sdp")
    assert (sdp["sdp_type"], sdp["sdp"]) == ("offer", "v=0 offer")
    await customer.send({"type": "sdp", "sdp_type": "answer", "sdp": "v=0 answer"})
    answer = await seat.expect("sdp")
    assert (answer["sdp_type"], answer["sdp"], answer["session_id"]) == ("answer", "v=0 answer", sid)
    await customer.send({"type": "ice", "candidate": "candidate:1 1 udp 1 10.0.0.1 5000 typ host", "sdp_mid": "0"})
    ice = await seat.expect("ice")
    assert ice["session_id"] == sid and ice["sdp_mid"] == "0"
    await seat.send({"type": "ice", "session_id": sid, "candidate": None})
    assert (await customer.expect("ice"))["candidate"] is None

    await customer.send({"type": "hangup"})
    ended = await customer.expect("call_ended")
    assert ended["reason"] == "customer_hangup"
    seat_ended = await seat.expect("call_ended", session_id=sid)
    assert seat_ended["reason"] == "customer_hangup"
    assert "挂断" in seat_ended["message"]
    await seat.expect("seat_state", state="wrap_up")
    code, _ = await customer.closed()
    assert code == 1000

    record = await live.record(sid)
    assert record["status"] == "ended"
    assert record["end_reason"] == "customer_hangup"
    assert record["seat_id"] == "seat-a"
    assert record["queued_at"] <= record["answered_at"] <= record["ended_at"]
    kinds = [e["kind"] for e in live.services.db.events(sid)]
    kinds = kinds[kinds.index("queued") :]  # after the pre-check's gate.* entries
    for kind in ("customer_connected", "offered", "answered", "sdp", "ended"):
        assert kind in kinds
    assert kinds.index("offered") < kinds.index("answered") < kinds.index("ended")


async def test_seat_hangup_ends_for_both_and_seat_can_serve_again(live: LiveServer) -> None:
    customer, sid = await live.customer()
    seat = await live.seat("seat-a")
    await seat.expect("call_offered", session_id=sid)
    await seat.send({"type": "answer_call", "session_id": sid})
    await seat.expect("call_answered")
    await customer.expect("call_connected")
    await seat.send({"type": "hangup", "session_id": sid})
    ended = await seat.expect("call_ended", session_id=sid)
    assert ended["reason"] == "seat_hangup"
    await seat.expect("seat_state", state="wrap_up")
    customer_ended = await customer.expect("call_ended")
    assert customer_ended["reason"] == "seat_hangup" and customer_ended["message"] == "坐席已挂断,通话结束"
    record = await live.record(sid)
    assert (record["status"], record["end_reason"]) == ("ended", "seat_hangup")
    assert record["ended_at"] is not None

    # After-call work done: ready again, and the next customer is offered.
    await seat.send({"type": "set_state", "state": "ready"})
    await seat.expect("seat_state", state="ready")
    _, sid2 = await live.customer()
    await seat.expect("call_offered", session_id=sid2)


async def test_fifo_longest_waiting_customer_first(live: LiveServer) -> None:
    first, sid1 = await live.customer()
    second, sid2 = await live.customer("account_activation")
    assert (await second.expect("queue_status", position=2))["waiting"] == 2
    seat_a = await live.seat("seat-a")
    await seat_a.expect("call_offered", session_id=sid1)
    seat_b = await live.seat("seat-b")
    offered = await seat_b.expect("call_offered", session_id=sid2)
    assert offered["business_type"] == "account_activation"
    # The first customer is answered: the second moves up to the front.
    await seat_a.send({"type": "answer_call", "session_id": sid1})
    await seat_a.expect("call_answered")
    await first.expect("call_connected")
    status = await second.expect("queue_status", position=1)
    assert status["waiting"] == 1


async def test_two_seats_racing_to_answer_exactly_one_wins(live: LiveServer) -> None:
    customer, sid = await live.customer()
    seat_a = await live.seat("seat-a")
    await seat_a.expect("call_offered", session_id=sid)
    seat_b = await live.seat("seat-b")
    # Both send at once; only the offered seat can win, the other and any replay are refused in Chinese.
    await seat_b.send({"type": "answer_call", "session_id": sid})
    await seat_a.send({"type": "answer_call", "session_id": sid})
    await seat_a.send({"type": "answer_call", "session_id": sid})
    refused_b = await seat_b.expect("error")
    assert refused_b["code"] in {"not_offered", "call_taken"}
    assert refused_b["session_id"] == sid and "接听" in refused_b["message"]
    await seat_a.expect("call_answered", session_id=sid)
    replay = await seat_a.expect("error")
    assert replay["code"] == "already_answered" and "请勿重复" in replay["message"]
    await seat_b.send({"type": "answer_call", "session_id": sid})
    taken = await seat_b.expect("error")
    assert taken["code"] == "call_taken" and taken["message"] == "该来电已由其他坐席接听"
    assert (await customer.expect("call_connected"))["seat_id"] == "seat-a"
    assert [m["type"] for m in customer.received].count("call_connected") == 1
    record = await live.record(sid)
    assert record["seat_id"] == "seat-a" and record["status"] == "connected"


async def test_ring_timeout_reoffers_to_next_seat_keeping_the_place(server_factory: ServerFactory) -> None:
    live = await server_factory(ring_timeout_s=0.3)
    _first, sid1 = await live.customer()
    second, sid2 = await live.customer()
    await second.expect("queue_status", position=2)
    seat_a = await live.seat("seat-a")
    await seat_a.expect("call_offered", session_id=sid1)
    withdrawn = await seat_a.expect("call_withdrawn", session_id=sid1)
    assert withdrawn["reason"] == "no_answer" and "超时" in withdrawn["message"]
    state = await seat_a.expect("seat_state", state="not_ready")
    assert state["reason"] == "no_answer"
    seat_b = await live.seat("seat-b")
    # The first customer kept the front of the queue, so seat B gets them, not the second customer.
    await seat_b.expect("call_offered", session_id=sid1)
    assert live.services.coordinator.queue.position(sid2) == 2
    kinds = [e["kind"] for e in live.services.db.events(sid1)]
    assert kinds.count("offered") == 2 and "offer_timeout" in kinds


async def test_decline_reoffers_to_next_seat(live: LiveServer) -> None:
    _customer, sid = await live.customer()
    seat_a = await live.seat("seat-a")
    seat_b = await live.seat("seat-b")
    await seat_a.expect("call_offered", session_id=sid)
    await seat_a.send({"type": "decline_call", "session_id": sid})
    assert (await seat_a.expect("call_withdrawn", session_id=sid))["reason"] == "declined"
    assert (await seat_a.expect("seat_state", state="not_ready"))["reason"] == "declined"
    await seat_b.expect("call_offered", session_id=sid)
    # Declining a call that is not yours is refused.
    await seat_a.send({"type": "decline_call", "session_id": sid})
    assert (await seat_a.expect("error"))["code"] == "not_offered"


async def test_relay_only_between_the_right_pair(live: LiveServer) -> None:
    cust1, sid1 = await live.customer()
    cust2, sid2 = await live.customer()
    seat_a = await live.seat("seat-a")
    await seat_a.expect("call_offered", session_id=sid1)
    seat_b = await live.seat("seat-b")
    await seat_b.expect("call_offered", session_id=sid2)
    for seat, sid, cust in ((seat_a, sid1, cust1), (seat_b, sid2, cust2)):
        await seat.send({"type": "answer_call", "session_id": sid})
        await seat.expect("call_answered")
        await cust.expect("call_connected")

    await seat_a.send({"type": "sdp", "session_id": sid1, "sdp_type": "offer", "sdp": "offer-for-1"})
    await seat_b.send({"type": "sdp", "session_id": sid2, "sdp_type": "offer", "sdp": "offer-for-2"})
    assert (await cust1.expect("sdp"))["sdp"] == "offer-for-1"
    assert (await cust2.expect("sdp"))["sdp"] == "offer-for-2"
    await cust2.send({"type": "sdp", "sdp_type": "answer", "sdp": "answer-from-2"})
    await cust1.send({"type": "sdp", "sdp_type": "answer", "sdp": "answer-from-1"})
    assert (await seat_a.expect("sdp"))["sdp"] == "answer-from-1"
    assert (await seat_b.expect("sdp"))["sdp"] == "answer-from-2"

    # Seat B tries to talk into seat A's call: refused, and nothing reaches customer 1.
    await seat_b.send({"type": "sdp", "session_id": sid1, "sdp_type": "offer", "sdp": "hijack"})
    refused = await seat_b.expect("error")
    assert refused["code"] == "not_owner" and "不属于您" in refused["message"]
    await seat_b.send({"type": "ice", "session_id": sid1, "candidate": "candidate:x", "sdp_mid": "0"})
    assert (await seat_b.expect("error"))["code"] == "not_owner"
    await seat_b.send({"type": "hangup", "session_id": sid1})
    assert (await seat_b.expect("error"))["code"] == "not_owner"
    await seat_a.send({"type": "ice", "session_id": sid1, "candidate": "candidate:ok", "sdp_mid": "0"})
    assert (await cust1.expect("ice"))["candidate"] == "candidate:ok"  # the next thing customer 1 sees
    assert all(m.get("sdp") != "hijack" for m in cust1.received + cust2.received)
    assert "relay_refused" in [e["kind"] for e in live.services.db.events(sid1)]


async def test_seat_signalling_for_unknown_or_missing_session_refused(live: LiveServer) -> None:
    seat = await live.seat("seat-a")
    await seat.send({"type": "sdp", "session_id": "sNoSuchSession1", "sdp_type": "offer", "sdp": "x"})
    unknown = await seat.expect("error")
    assert unknown["code"] == "unknown_session" and unknown["message"] == "会话不存在"
    await seat.send({"type": "sdp", "sdp_type": "offer", "sdp": "x"})
    assert (await seat.expect("error"))["code"] == "missing_session_id"
    await seat.send({"type": "answer_call", "session_id": "sNoSuchSession1"})
    assert (await seat.expect("error"))["code"] == "unknown_session"


async def test_customer_signalling_before_connect_refused(live: LiveServer) -> None:
    customer, _sid = await live.customer()
    await customer.send({"type": "sdp", "sdp_type": "answer", "sdp": "too early"})
    refused = await customer.expect("error")
    assert refused["code"] == "not_connected" and "尚未接通" in refused["message"]


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("{not json", "malformed_json"),
        ('{"type": "dance"}', "invalid_message"),
        ('{"type": "set_state", "state": "ready", "mood": "happy"}', "invalid_message"),
        ('"just a string"', "invalid_message"),
        ("x" * (wire.MAX_MESSAGE_BYTES + 10), "too_large"),
    ],
)
async def test_bad_seat_messages_get_an_error_and_the_connection_survives(
    live: LiveServer, raw: str, code: str
) -> None:
    seat = await live.seat("seat-a", ready=False)
    await seat.send(raw)
    error = await seat.expect("error")
    assert error["code"] == code
    assert any("\u4e00" <= ch <= "\u9fff" for ch in error["message"])  # explained in Chinese
    await seat.send({"type": "set_state", "state": "ready"})
    await seat.expect("seat_state", state="ready")


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("{not json", "malformed_json"),
        ('{"type": "answer_call", "session_id": "abcdefgh12"}', "invalid_message"),
        ('{"type": "hangup", "extra": true}', "invalid_message"),
        (b"\xff\xfe binary", "malformed_json"),
        ("y" * (wire.MAX_MESSAGE_BYTES + 10), "too_large"),
    ],
)
async def test_bad_customer_messages_get_an_error_and_the_connection_survives(
    live: LiveServer, raw: str | bytes, code: str
) -> None:
    customer, sid = await live.customer()
    await customer.expect("queue_status")
    await customer.ws.send(raw)
    error = await customer.expect("error")
    assert error["code"] == code
    assert [e["kind"] for e in live.services.db.events(sid)].count("error") == 1
    await customer.send({"type": "leave_queue"})
    assert (await customer.expect("call_ended"))["reason"] == "customer_left_queue"


async def test_frames_beyond_the_transport_limit_close_only_that_connection(live: LiveServer) -> None:
    seat = await live.seat("seat-a", ready=False)
    await seat.send("z" * (live.settings.ws_max_size_bytes + 1))
    code, _ = await seat.closed()
    assert code == 1009  # message too big
    assert (await live.http.get("/healthz")).status_code == 200
    await live.seat("seat-a")


@pytest.mark.parametrize("which", ["unknown_session", "bad_token", "no_token"])
async def test_customer_socket_refused_for_unknown_session_or_bad_token(live: LiveServer, which: str) -> None:
    ticket = await live.ticket()
    path = {
        "unknown_session": f"/ws/customer/sNoSuchSession1?token={ticket['customer_token']}",
        "bad_token": f"/ws/customer/{ticket['session_id']}?token=forged",
        "no_token": f"/ws/customer/{ticket['session_id']}",
    }[which]
    client = await live.open_ws(path)
    code, reason = await client.closed()
    assert code == 4401
    assert reason and "重新取号" in reason


async def test_seat_socket_refused_with_bad_token(live: LiveServer) -> None:
    client = await live.open_ws("/ws/seat?token=forged")
    code, reason = await client.closed()
    assert code == 4401 and reason == "登录已失效,请重新登录"


async def test_customer_vanishing_mid_call(live: LiveServer) -> None:
    customer, sid = await live.customer()
    seat = await live.seat("seat-a")
    await seat.expect("call_offered", session_id=sid)
    await seat.send({"type": "answer_call", "session_id": sid})
    await seat.expect("call_answered")
    await customer.expect("call_connected")
    customer.ws.transport.abort()  # no close frame: a phone that lost its network
    ended = await seat.expect("call_ended", session_id=sid)
    assert ended["reason"] == "customer_disconnected"
    assert "断开" in ended["message"]
    await seat.expect("seat_state", state="wrap_up")
    record = await live.record(sid)
    assert record["status"] == "ended"
    assert record["end_reason"] == "customer_disconnected"
    assert record["ended_at"] is not None and record["answered_at"] is not None
    # The page reconnecting later learns the session is over.
    again = await live.open_ws(f"/ws/customer/{sid}?token={_token_of(customer)}")
    assert (await again.expect("call_ended"))["reason"] == "customer_disconnected"
    assert (await again.closed())[0] == 4410


@pytest.mark.parametrize("queue_impl", ["fifo", "routing"])
async def test_seat_vanishing_mid_call(server_factory: ServerFactory, queue_impl: str) -> None:
    """FIFO ends the call; the routing engine (``seat_drop_in_call = "requeue"``) puts the customer back at the front
    of the queue instead, and the next seat gets them. Never both."""
    live = await server_factory(queue_impl=queue_impl)
    customer, sid = await live.customer()
    seat = await live.seat("seat-a")
    await seat.expect("call_offered", session_id=sid)
    await seat.send({"type": "answer_call", "session_id": sid})
    await customer.expect("call_connected")
    seat.ws.transport.abort()
    if queue_impl == "fifo":
        ended = await customer.expect("call_ended")
        assert ended["reason"] == "seat_disconnected"
        assert (await live.record(sid))["end_reason"] == "seat_disconnected"
        return
    notice = await customer.expect("notice", code="requeued")
    assert "重新排队" in notice["message"]
    record = await live.record(sid)
    assert (record["status"], record["end_reason"]) == ("waiting", None)
    seat_b = await live.seat("seat-b")
    await seat_b.expect("call_offered", session_id=sid)
    assert not any(m["type"] == "call_ended" for m in customer.received)


async def test_seat_vanishing_while_ringing_passes_the_call_on(live: LiveServer) -> None:
    _customer, sid = await live.customer()
    seat_a = await live.seat("seat-a")
    await seat_a.expect("call_offered", session_id=sid)
    seat_b = await live.seat("seat-b")
    seat_a.ws.transport.abort()
    await seat_b.expect("call_offered", session_id=sid)


async def test_customer_leaving_while_ringing_frees_the_seat(live: LiveServer) -> None:
    customer, sid = await live.customer()
    seat = await live.seat("seat-a")
    await seat.expect("call_offered", session_id=sid)
    _other, sid2 = await live.customer()
    await customer.send({"type": "leave_queue"})
    assert (await customer.expect("call_ended"))["reason"] == "customer_left_queue"
    withdrawn = await seat.expect("call_withdrawn", session_id=sid)
    assert withdrawn["message"] == "客户已离开,来电已撤回"
    await seat.expect("seat_state", state="ready")
    await seat.expect("call_offered", session_id=sid2)
    record = await live.record(sid)
    assert (record["end_reason"], record["answered_at"]) == ("customer_left_queue", None)


async def test_waiting_customer_drop_keeps_place_within_grace(live: LiveServer) -> None:
    first, sid1 = await live.customer()
    second, sid2 = await live.customer()
    await second.expect("queue_status", position=2)
    token = _token_of(first)
    first.ws.transport.abort()
    await wait_for(lambda: live.services.coordinator.sessions[sid1].peer is None)
    back = await live.open_ws(f"/ws/customer/{sid1}?token={token}")
    assert (await back.expect("queue_status"))["position"] == 1
    # A seat now takes the first customer, even though they reconnected after the second one connected.
    seat = await live.seat("seat-a")
    await seat.expect("call_offered", session_id=sid1)
    assert live.services.coordinator.queue.position(sid2) == 2


async def test_absent_customer_is_not_offered_and_is_abandoned_after_grace(server_factory: ServerFactory) -> None:
    live = await server_factory(customer_grace_s=0.3)
    first, sid1 = await live.customer()
    second, sid2 = await live.customer()
    await second.expect("queue_status", position=2)
    await first.close()
    await second.expect("queue_status", position=1)  # the first customer's place is gone after the grace period
    record = await live.record(sid1)
    assert (record["status"], record["end_reason"]) == ("ended", "customer_left_queue")
    seat = await live.seat("seat-a")
    await seat.expect("call_offered", session_id=sid2)


async def test_ticket_without_page_connection_is_abandoned(server_factory: ServerFactory) -> None:
    live = await server_factory(customer_grace_s=0.3)
    ticket = await live.ticket()
    sid = ticket["session_id"]
    await wait_for(lambda: sid not in live.services.coordinator.sessions)
    assert (await live.record(sid))["end_reason"] == "customer_left_queue"


async def test_no_seat_online_notice_and_seat_online_notice(live: LiveServer) -> None:
    customer, _sid = await live.customer()
    notice = await customer.expect("notice", code="no_seat_online")
    assert notice["message"] == "当前暂无坐席在线,请您稍候或稍后再来"
    seat = await live.seat("seat-a", ready=False)
    assert (await customer.expect("notice"))["code"] == "seat_online"
    await seat.close()
    assert (await customer.expect("notice"))["code"] == "no_seat_online"


async def test_queue_stats_pushed_to_seats(live: LiveServer) -> None:
    seat = await live.seat("seat-a", ready=False)
    assert (await seat.expect("queue_stats"))["waiting"] == 0
    await live.customer()
    assert (await seat.expect("queue_stats"))["waiting"] == 1
    await live.customer()
    assert (await seat.expect("queue_stats"))["waiting"] == 2


async def test_seat_cannot_change_state_in_call_or_ready_while_ringing(live: LiveServer) -> None:
    _customer, sid = await live.customer()
    seat = await live.seat("seat-a")
    await seat.expect("call_offered", session_id=sid)
    await seat.send({"type": "set_state", "state": "ready"})
    assert (await seat.expect("error"))["code"] == "ringing"
    await seat.send({"type": "answer_call", "session_id": sid})
    await seat.expect("call_answered")
    await seat.send({"type": "set_state", "state": "not_ready", "reason": "break"})
    assert (await seat.expect("error"))["code"] == "in_call"


async def test_not_ready_while_ringing_passes_the_call_on(live: LiveServer) -> None:
    _customer, sid = await live.customer()
    seat_a = await live.seat("seat-a")
    await seat_a.expect("call_offered", session_id=sid)
    seat_b = await live.seat("seat-b")
    await seat_a.send({"type": "set_state", "state": "not_ready", "reason": "break"})
    assert (await seat_a.expect("call_withdrawn"))["reason"] == "not_ready"
    assert (await seat_a.expect("seat_state", state="not_ready"))["reason"] == "break"
    await seat_b.expect("call_offered", session_id=sid)


async def test_second_login_of_the_same_seat_replaces_the_first(live: LiveServer) -> None:
    _customer, sid = await live.customer()
    old = await live.seat("seat-a")
    await old.expect("call_offered", session_id=sid)
    new = await live.seat("seat-a")
    code, reason = await old.closed()
    assert code == 4409 and reason
    await new.expect("call_offered", session_id=sid)
    assert live.services.coordinator.seats["seat-a"].peer is not None


async def test_second_page_for_the_same_ticket_replaces_the_first(live: LiveServer) -> None:
    first, sid = await live.customer()
    await first.expect("queue_status")
    second = await live.open_ws(f"/ws/customer/{sid}?token={_token_of(first)}")
    assert (await second.expect("queue_status"))["position"] == 1
    assert (await first.closed())[0] == 4409
    assert sid in live.services.coordinator.sessions  # the replaced socket's close did not end the session


def _token_of(client: WsClient) -> str:
    path = client.ws.request.path if client.ws.request else ""
    return path.split("token=", 1)[1]


async def test_silent_network_loss_is_noticed_by_keepalive(server_factory: ServerFactory) -> None:
    live = await server_factory(ws_ping_interval_s=0.2, ws_ping_timeout_s=0.2)
    customer, sid = await live.customer()
    seat = await live.seat("seat-a")
    await seat.expect("call_offered", session_id=sid)
    await seat.send({"type": "answer_call", "session_id": sid})
    await seat.expect("call_answered")
    await customer.expect("call_connected")
    customer.ws.transport.pause_reading()  # the phone stops answering (no close, no pong): a dead network
    ended = await seat.expect("call_ended", session_id=sid)
    assert ended["reason"] == "customer_disconnected"
    assert (await live.record(sid))["end_reason"] == "customer_disconnected"
    customer.ws.transport.abort()


async def test_second_page_during_a_call_ends_it(live: LiveServer) -> None:
    customer, sid = await live.customer()
    seat = await live.seat("seat-a")
    await seat.expect("call_offered", session_id=sid)
    await seat.send({"type": "answer_call", "session_id": sid})
    await seat.expect("call_answered")
    await customer.expect("call_connected")
    second = await live.open_ws(f"/ws/customer/{sid}?token={_token_of(customer)}")
    assert (await second.expect("call_ended"))["reason"] == "customer_disconnected"
    assert (await second.closed())[0] == 4410
    assert (await seat.expect("call_ended", session_id=sid))["reason"] == "customer_disconnected"
    assert (await customer.expect("call_ended"))["reason"] == "customer_disconnected"
