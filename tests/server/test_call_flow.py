"""A customer queues, a seat is offered the call, answers, signalling is relayed, and either side hangs up."""

from __future__ import annotations

from tests.server.conftest import LiveServer


async def test_offer_answer_relay_and_customer_hangup(live: LiveServer) -> None:
    customer, sid = await live.customer(name="张三")
    status = await customer.expect("queue_status")
    assert status["position"] == 1

    seat = await live.seat("seat-a")
    await seat.expect("seat_state", state="reserved")
    offered = await seat.expect("call_offered", session_id=sid)
    assert offered["business_label"] == "密码重置"
    assert offered["customer_name"] == "张三"

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
    assert kinds[0] == "queued"
    for kind in ("customer_connected", "offered", "answered", "sdp", "ended"):
        assert kind in kinds
    assert kinds.index("offered") < kinds.index("answered") < kinds.index("ended")
