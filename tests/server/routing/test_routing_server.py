"""The routing engine through the real server: uvicorn on 127.0.0.1, real WebSocket and HTTP clients."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import connect

import wire
from server.security import new_session_id
from tests.server.conftest import (
    WAIT_S,
    LiveServer,
    ManualClock,
    ServerFactory,
    WsClient,
    stop_server,
    wait_for,
)


def _token_of(client: WsClient) -> str:
    """The token the client connected with (from its websocket handshake path)."""
    request = client.ws.request
    assert request is not None
    return request.path.split("token=")[1]


CONFIG = """
reconnect_grace_s = 60
[defaults]
w_star = 30.0
w_age = 1.0
wrap_up_s = 30
[[queue]]
id = "retail"
name = "个人业务"
business_types = ["account_activation", "password_reset", "loss_report_release", "customer_info_maintenance",
                  "sms_signing"]
max_waiting = 2
overflow_to = ["general"]
[[queue]]
id = "corporate"
name = "对公业务"
business_types = ["corporate_willingness_check", "remote_authorisation"]
[[queue]]
id = "general"
name = "综合坐席"
max_waiting = 1
on_exhausted = "reject"
"""


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    path = tmp_path / "queues.toml"
    path.write_text(CONFIG, encoding="utf-8")
    return path


async def _vip(
    live: LiveServer, star: int, business: wire.BusinessType = wire.BusinessType.PASSWORD_RESET
) -> tuple[WsClient, str]:
    """A ticket whose star level the server resolved (bank side); the page never says it."""
    ticket = live.services.coordinator.create_ticket(business, "贵宾", session_id=new_session_id(), star_level=star)
    return await live.open_ws(ticket.websocket_path), ticket.session_id


async def _position(client: WsClient, position: int) -> None:
    await client.expect("queue_status", position=position)


async def test_star_customer_jumps_ahead_but_not_past_the_bound(
    server_factory: ServerFactory, config_path: Path
) -> None:
    clock = ManualClock()
    live = await server_factory(clock=clock)  # default queues.toml: w_star 30, w_age 1
    plain, sid_plain = await live.customer()
    await _position(plain, 1)
    clock.advance(100)  # within 7 * 30 / 1 = 210 s: a 7-star customer goes ahead
    vip_early, sid_early = await _vip(live, 7)
    await _position(vip_early, 1)
    await _position(plain, 2)
    clock.advance(200)  # 300 s after the ordinary customer: beyond the bound, even 7 stars stay behind
    vip_late, sid_late = await _vip(live, 7)
    await _position(vip_late, 3)
    assert live.services.db.get_session(sid_early)["star_level"] == 7
    seat = await live.seat("seat-a")
    served = []
    for _ in range(3):
        offer = await seat.expect("call_offered")
        served.append(offer["session_id"])
        await seat.send({"type": "answer_call", "session_id": offer["session_id"]})
        await seat.expect("call_answered")
        await seat.send({"type": "hangup", "session_id": offer["session_id"]})
        await seat.expect("call_ended")
        await seat.expect("seat_state", state="wrap_up")
        await seat.send({"type": "set_state", "state": "ready"})
    assert served == [sid_early, sid_plain, sid_late]


async def test_a_seat_without_the_skill_is_never_offered(server_factory: ServerFactory, config_path: Path) -> None:
    live = await server_factory(routing_config_path=config_path)
    live.services.db.set_seat_skills("seat-b", [("corporate", 3, "primary")])
    corporate_seat = await live.seat("seat-b")
    _retail, sid_retail = await live.customer("password_reset")
    await wait_for(lambda: live.services.coordinator.sessions[sid_retail].peer is not None)
    _corp, sid_corp = await live.customer("corporate_willingness_check")
    offer = await corporate_seat.expect("call_offered")
    assert offer["session_id"] == sid_corp
    retail_seat = await live.seat("seat-a")
    assert (await retail_seat.expect("call_offered"))["session_id"] == sid_retail
    assert all(m.get("session_id") != sid_retail for m in corporate_seat.received if m["type"] == "call_offered")


async def test_overflow_to_another_queue_then_call_back_answer(
    server_factory: ServerFactory, config_path: Path
) -> None:
    live = await server_factory(routing_config_path=config_path)
    _first, _sid1 = await live.customer()
    second, _sid2 = await live.customer()
    await _position(second, 2)
    third, sid3 = await live.customer()  # retail holds 2: overflows to general
    await third.expect("queue_status", position=1, waiting=1)
    assert live.services.db.get_session(sid3)["routing_queue"] == "general"
    assert "overflowed" in [e["kind"] for e in live.services.db.events(sid3)]
    fourth, sid4 = await live.customer()  # retail full, general full: call back / book
    ended = await fourth.expect("call_ended")
    assert ended["reason"] == "no_seat_available"
    assert "预约" in ended["message"] or "稍后" in ended["message"]
    record = await live.record(sid4)
    assert (record["status"], record["end_reason"]) == ("ended", "no_seat_available")
    # test_routing_page.py shows the same answer in the real page (Chromium).


async def test_wrap_up_ends_by_itself_and_the_seat_takes_the_next_call(server_factory: ServerFactory) -> None:
    live = await server_factory(wrap_up_s=0.2)
    customer, sid = await live.customer()
    seat = await live.seat("seat-a")
    await seat.expect("call_offered", session_id=sid)
    await seat.send({"type": "answer_call", "session_id": sid})
    await seat.expect("call_answered")
    await customer.send({"type": "hangup"})
    await seat.expect("call_ended")
    await seat.expect("seat_state", state="wrap_up")
    _next, sid2 = await live.customer()
    await seat.expect("seat_state", state="ready")
    await seat.expect("call_offered", session_id=sid2)
    states = [row["state"] for row in live.services.db.seat_state_history("seat-a")]
    assert states[:6] == ["not_ready", "ready", "reserved", "in_call", "wrap_up", "ready"]
    assert all(row["at"] for row in live.services.db.seat_state_history("seat-a"))


async def test_not_ready_reason_codes_are_checked(live: LiveServer) -> None:
    seat = await live.seat("seat-a")
    await seat.send({"type": "set_state", "state": "not_ready", "reason": "meeting"})
    assert (await seat.expect("seat_state", state="not_ready"))["reason"] == "meeting"
    await seat.send({"type": "set_state", "state": "not_ready", "reason": "nap"})
    error = await seat.expect("error")
    assert error["code"] == "bad_reason" and "示忙原因" in error["message"]


async def _in_call(live: LiveServer, seat_id: str, business: str = "password_reset") -> tuple[WsClient, WsClient, str]:
    customer, sid = await live.customer(business)
    seat = await live.seat(seat_id)
    await seat.expect("call_offered", session_id=sid)
    await seat.send({"type": "answer_call", "session_id": sid})
    await seat.expect("call_answered")
    await customer.expect("call_connected")
    return customer, seat, sid


async def test_transfer_to_a_queue(server_factory: ServerFactory, config_path: Path) -> None:
    live = await server_factory(routing_config_path=config_path)
    live.services.db.set_seat_skills("seat-a", [("retail", 1, "primary")])
    live.services.db.set_seat_skills("seat-b", [("corporate", 1, "primary")])
    customer, seat_a, sid = await _in_call(live, "seat-a")
    await seat_a.send({"type": "transfer", "session_id": sid, "queue_id": "nowhere"})
    assert (await seat_a.expect("error"))["code"] == "unknown_queue"
    seat_b = await live.seat("seat-b")
    await seat_a.send({"type": "transfer", "session_id": sid, "queue_id": "corporate"})
    done = await seat_a.expect("call_transferred")
    assert done["queue_id"] == "corporate" and "对公业务" in done["message"]
    assert (await customer.expect("notice", code="transferred"))["message"].startswith("正在为您转接")
    await seat_b.expect("call_offered", session_id=sid)
    await seat_b.send({"type": "answer_call", "session_id": sid})
    await seat_b.expect("call_answered")
    connected = await customer.expect("call_connected")
    assert connected["seat_id"] == "seat-b"
    kinds = [e["kind"] for e in live.services.db.events(sid)]
    assert kinds.count("answered") == 2 and "transferred" in kinds


async def test_transfer_to_a_named_seat(live: LiveServer) -> None:
    customer, seat_a, sid = await _in_call(live, "seat-a")
    seat_c = await live.seat("seat-c")
    await seat_a.send({"type": "transfer", "session_id": sid, "seat_id": "seat-c"})
    await seat_a.expect("call_transferred")
    offer = await seat_c.expect("call_offered", session_id=sid)
    assert offer["offer_kind"] == "transfer"
    await seat_c.send({"type": "answer_call", "session_id": sid})
    await seat_c.expect("call_answered")
    assert (await customer.expect("call_connected"))["seat_id"] == "seat-c"


async def test_transfer_to_a_busy_named_seat_waits_for_it_ahead_of_its_queue(live: LiveServer) -> None:
    customer, seat_a, sid = await _in_call(live, "seat-a")
    _other, seat_c, sid_other = await _in_call(live, "seat-c")  # seat-c is talking to someone else
    waiting, sid_waiting = await live.customer()  # an ordinary customer waits in the queue
    await waiting.expect("queue_status", position=1)
    await seat_a.send({"type": "transfer", "session_id": sid, "seat_id": "seat-c"})
    done = await seat_a.expect("call_transferred")
    assert "正忙" in done["message"] and "转接等待" in done["message"] and "队首" in done["message"]
    told = await seat_c.expect("notice", code="transfer_waiting")
    assert "转接了一位客户" in told["message"] and "优先接入" in told["message"]
    notice = await customer.expect("notice", code="transferred")
    assert "正在为您转接至坐席" in notice["message"] and "暂时忙碌" in notice["message"]
    await customer.expect("queue_status", position=1, waiting=1)  # first in seat-c's line
    kinds = [e["kind"] for e in live.services.db.events(sid)]
    assert "transfer_held" in kinds
    # seat-c finishes its call: the transferred customer comes before the one waiting in the queue
    await seat_c.send({"type": "hangup", "session_id": sid_other})
    await seat_c.expect("call_ended")
    await seat_c.expect("seat_state", state="wrap_up")
    await seat_c.send({"type": "set_state", "state": "ready"})
    offer = await seat_c.expect("call_offered")
    assert (offer["session_id"], offer["offer_kind"]) == (sid, "transfer")
    await seat_c.send({"type": "answer_call", "session_id": sid})
    await seat_c.expect("call_answered")
    assert (await customer.expect("call_connected"))["seat_id"] == "seat-c"
    assert live.services.coordinator.sessions[sid_waiting].status == "waiting"  # still in the queue


async def test_a_transfer_hold_times_out_to_the_front_of_the_queue(
    server_factory: ServerFactory, tmp_path: Path
) -> None:
    path = tmp_path / "queues.toml"
    path.write_text("transfer_hold_s = 0.5\n" + CONFIG, encoding="utf-8")
    live = await server_factory(routing_config_path=path)
    customer, seat_a, sid = await _in_call(live, "seat-a")
    _other, seat_c, _sid_other = await _in_call(live, "seat-c")
    earlier, _sid_earlier = await live.customer()  # arrived before the transferred customer's turn comes back
    await earlier.expect("queue_status", position=1)
    await seat_a.send({"type": "transfer", "session_id": sid, "seat_id": "seat-c"})
    await seat_a.expect("call_transferred")
    await customer.expect("notice", code="transferred")
    back = await customer.expect("notice", code="transfer_returned")  # the hold timer (0.5 s) fired
    assert "暂时无法接听" in back["message"] and "原队列" in back["message"]
    assert "等待超时" in (await seat_c.expect("notice", code="transfer_returned"))["message"]
    await customer.expect("queue_status", position=1)  # the front of the queue, ahead of the earlier arrival
    assert "transfer_hold_ended" in [e["kind"] for e in live.services.db.events(sid)]
    seat_b = await live.seat("seat-b")
    offer = await seat_b.expect("call_offered")
    assert (offer["session_id"], offer["offer_kind"]) == (sid, "customer")


async def test_transfer_to_an_offline_seat_or_one_without_the_skill_is_refused(live: LiveServer) -> None:
    live.services.db.set_seat_skills("seat-b", [("corporate", 3, "primary")])
    _customer, seat_a, sid = await _in_call(live, "seat-a")
    await live.seat("seat-b")
    await seat_a.send({"type": "transfer", "session_id": sid, "seat_id": "seat-b"})
    error = await seat_a.expect("error")
    assert error["code"] == "no_skill" and "不具备" in error["message"] and "技能" in error["message"]
    await seat_a.send({"type": "transfer", "session_id": sid, "seat_id": "seat-c"})  # never signed in
    error = await seat_a.expect("error")
    assert error["code"] == "seat_offline" and "离线" in error["message"]
    assert live.services.coordinator.seats["seat-a"].state == wire.SeatState.IN_CALL  # the call goes on


async def test_transfer_is_refused_with_fifo(server_factory: ServerFactory) -> None:
    live = await server_factory(queue_impl="fifo")
    _customer, seat_a, sid = await _in_call(live, "seat-a")
    await seat_a.send({"type": "transfer", "session_id": sid, "queue_id": "retail"})
    assert (await seat_a.expect("error"))["code"] == "unsupported"
    # no queues to offer either
    res = await live.http.get("/api/routing/queues", headers=await live.auth_headers("seat-a"))
    assert res.status_code == 200 and res.json() == []


async def test_consult_invitation_routing_part(live: LiveServer) -> None:
    _customer, seat_a, sid = await _in_call(live, "seat-a")
    expert = await live.seat("seat-b")
    await seat_a.send({"type": "consult_invite", "session_id": sid, "seat_id": "seat-b"})
    offer = await expert.expect("call_offered", session_id=sid)
    assert (offer["offer_kind"], offer["invited_by"]) == ("consult", "seat-a")
    assert (await seat_a.expect("consult_status"))["status"] == "ringing"
    await expert.send({"type": "answer_call", "session_id": sid})
    assert (await expert.expect("consult_status"))["status"] == "joined"
    assert (await seat_a.expect("consult_status"))["status"] == "joined"
    await expert.send({"type": "hangup", "session_id": sid})
    assert (await seat_a.expect("consult_status"))["status"] == "ended"
    assert (await expert.expect("consult_status"))["status"] == "ended"
    await expert.expect("seat_state", state="ready")
    assert live.services.coordinator.seats["seat-a"].state == wire.SeatState.IN_CALL  # the call itself goes on


async def test_restart_keeps_order_including_stars(server_factory: ServerFactory, tmp_path: Path) -> None:
    first = await server_factory()
    plain_1, sid_1 = await first.customer()
    vip, sid_vip = await _vip(first, 5)
    plain_2, sid_2 = await first.customer()
    await _position(plain_2, 3)
    tokens = {sid: _token_of(c) for sid, c in ((sid_1, plain_1), (sid_vip, vip), (sid_2, plain_2))}
    await stop_server(first)
    second = await server_factory()
    clients = {}
    for sid in (sid_2, sid_1, sid_vip):  # reconnect in another order
        clients[sid] = await second.open_ws(f"/ws/customer/{sid}?token={tokens[sid]}")
    await wait_for(lambda: all(second.services.coordinator.sessions[s].peer is not None for s in clients))
    assert [e.session_id for e in second.services.coordinator.queue.entries()] == [sid_vip, sid_1, sid_2]
    seat = await second.seat("seat-a")
    assert (await seat.expect("call_offered"))["session_id"] == sid_vip


async def _supervisor(live: LiveServer, seat_id: str = "seat-c") -> dict[str, str]:
    live.services.db.set_seat_role(seat_id, "supervisor")
    return await live.auth_headers(seat_id)


async def test_transfer_queue_list_is_open_to_tellers(server_factory: ServerFactory, config_path: Path) -> None:
    """转接 lists the queues by name for any signed-in seat (the configuration itself is for supervisors)."""
    live = await server_factory(routing_config_path=config_path)
    assert (await live.http.get("/api/routing/queues")).status_code == 401
    teller = await live.auth_headers("seat-a")
    res = await live.http.get("/api/routing/queues", headers=teller)
    assert res.status_code == 200
    assert res.json() == [
        {"queue_id": "retail", "name": "个人业务"},
        {"queue_id": "corporate", "name": "对公业务"},
        {"queue_id": "general", "name": "综合坐席"},
    ]


async def test_admin_api_auth_and_validation(server_factory: ServerFactory, config_path: Path) -> None:
    live = await server_factory(routing_config_path=config_path)
    assert (await live.http.get("/api/routing/config")).status_code == 401
    teller = await live.auth_headers("seat-a")
    res = await live.http.get("/api/routing/config", headers=teller)
    assert res.status_code == 403 and "权限" in res.json()["detail"]
    boss = await _supervisor(live)
    res = await live.http.get("/api/routing/config", headers=boss)
    assert res.status_code == 200 and res.json()["version"] == 0
    assert res.json()["starvation_bound_s"] > 0 and res.json()["transfer_hold_s"] == 120.0
    cycle = CONFIG.replace(
        'id = "general"\nname = "综合坐席"', 'id = "general"\nname = "综合坐席"\noverflow_to = ["retail"]'
    )
    res = await live.http.put("/api/routing/config", headers=boss, json={"toml": cycle})
    assert res.status_code == 422
    problems = " ".join(res.json()["detail"]["problems"])
    assert "循环" in problems and "cycle" in problems
    unknown = CONFIG.replace('overflow_to = ["general"]', 'overflow_to = ["nowhere"]')
    res = await live.http.post("/api/routing/config/validate", headers=boss, json={"toml": unknown})
    assert res.status_code == 422 and "nowhere" in " ".join(res.json()["detail"]["problems"])
    res = await live.http.put("/api/routing/config", headers=boss, json={"toml": "not = [toml"})
    assert res.status_code == 422 and "TOML" in res.json()["detail"]["problems"][0]
    bigger = CONFIG.replace("max_waiting = 2", "max_waiting = 5")
    res = await live.http.put("/api/routing/config", headers=boss, json={"toml": bigger})
    assert res.status_code == 200 and res.json()["version"] == 1
    assert live.services.coordinator.routing.source_config.queues["retail"].max_waiting == 5
    res = await live.http.get("/api/routing/overflow-preview?queue_id=retail&trigger=timeout", headers=boss)
    assert res.status_code == 200, res.text
    assert (res.json()["overflow"]["outcome"], res.json()["overflow"]["target"]) == ("move", "general")
    res = await live.http.get("/api/routing/overflow-preview?queue_id=general&trigger=timeout", headers=boss)
    assert res.json()["overflow"]["outcome"] == "reject" and "预约" in res.json()["overflow"]["message"]
    res = await live.http.get("/api/routing/overflow-preview?queue_id=nowhere", headers=boss)
    assert res.status_code == 422 and "unknown queue" in res.json()["detail"]
    res = await live.http.get("/api/routing/overflow-preview?business_type=password_reset", headers=boss)
    assert res.json()["arrival"]["outcome"] == "queue" and res.json()["arrival"]["queue_id"] == "retail"
    assert (await live.http.get("/api/routing/overflow-preview?queue_id=general", headers=teller)).status_code == 403


async def test_stats_endpoint_and_wallboard_feed(live: LiveServer) -> None:
    boss = await _supervisor(live)
    token = boss["Authorization"].split()[1]
    teller_token = await live.login("seat-a")
    async with connect(f"{live.ws_base}/ws/wallboard?token={teller_token}") as refused:
        await refused.wait_closed()
        assert refused.close_code == 4403
    board = WsClient(await connect(f"{live.ws_base}/ws/wallboard?token={token}"))
    live.clients.append(board)
    first = await board.recv()
    assert first["type"] == "wallboard" and first["overall"]["waiting"] == 0
    customer, sid = await live.customer()
    await wait_for(lambda: live.services.coordinator.sessions[sid].peer is not None)

    async def until(check: Any) -> dict[str, Any]:
        while True:
            message = await board.recv(WAIT_S)
            if check(message):
                return message

    await until(lambda m: m["overall"]["waiting"] == 1)
    seat = await live.seat("seat-a")
    await seat.expect("call_offered", session_id=sid)
    await seat.send({"type": "answer_call", "session_id": sid})
    await seat.expect("call_answered")
    message = await until(lambda m: m["seats_by_state"].get("in_call") == 1)
    assert message["overall"]["answered"] == 1
    res = await live.http.get("/api/routing/stats", headers=boss)
    assert res.status_code == 200
    stats = res.json()
    assert stats["impl"] == "routing" and stats["queues"]["retail"]["answered"] == 1
    for key in (
        "waiting",
        "longest_wait_s",
        "service_level",
        "abandon_rate",
        "average_speed_of_answer_s",
        "average_handle_time_s",
    ):
        assert key in stats["overall"]
    assert stats["seats_by_state"] == {"in_call": 1}
    assert (await live.http.get("/api/routing/stats", headers=await live.auth_headers("seat-b"))).status_code == 403
    history = await live.http.get("/api/routing/seats/seat-a/history", headers=boss)
    assert [row["state"] for row in history.json()][-2:] == ["reserved", "in_call"]
    await customer.close()


async def test_the_page_cannot_claim_a_star_level(live: LiveServer) -> None:
    result = await live.precheck()
    res = await live.http.post(
        "/api/customer/tickets",
        json={
            "business_type": "password_reset",
            "customer_name": "",
            "precheck_id": result["precheck_id"],
            "star_level": 7,
        },
    )
    assert res.status_code == 422


def test_star_level_comes_from_the_matched_bank_account() -> None:
    from types import SimpleNamespace

    from server.routing.stars import star_for_precheck

    def precheck(card_type: str | None) -> object:
        account = None if card_type is None else SimpleNamespace(card_type=card_type)
        return SimpleNamespace(machine=SimpleNamespace(_account=account))

    assert star_for_precheck(precheck("借记卡(金卡)")) == 3
    assert star_for_precheck(precheck("借记卡(I类)")) == 0
    assert star_for_precheck(precheck(None)) == 0
    assert star_for_precheck(object()) == 0


async def test_the_sweeper_releases_a_seat_left_ringing(live: LiveServer) -> None:
    _customer, sid = await live.customer()
    seat_a = await live.seat("seat-a")
    await seat_a.expect("call_offered", session_id=sid)
    coordinator = live.services.coordinator
    link = coordinator.seats["seat-a"]
    link.ring_timer.cancel()
    link.ring_timer = None  # a lost timer: only the sweeper can free the seat now
    seat_b = await live.seat("seat-b")
    assert coordinator.sweep() == 1
    assert (await seat_a.expect("call_withdrawn"))["reason"] == "no_answer"
    await seat_b.expect("call_offered", session_id=sid)
    assert "swept" in [e["kind"] for e in live.services.db.events(sid)]
    assert coordinator.sweep() == 0


async def test_wrap_up_stays_when_configured(server_factory: ServerFactory) -> None:
    live = await server_factory(after_wrap_up="stay")
    customer, sid = await live.customer()
    seat = await live.seat("seat-a")
    await seat.expect("call_offered", session_id=sid)
    await seat.send({"type": "answer_call", "session_id": sid})
    await seat.expect("call_answered")
    await customer.send({"type": "hangup"})
    await seat.expect("call_ended")
    await seat.expect("seat_state", state="wrap_up")
    coordinator = live.services.coordinator
    assert "seat-a" not in coordinator._wrap_timers  # nothing will end it but the teller
    await seat.send({"type": "set_state", "state": "ready"})
    await seat.expect("seat_state", state="ready")


async def test_seat_drop_in_call_fails_the_call_when_configured(server_factory: ServerFactory, tmp_path: Path) -> None:
    path = tmp_path / "fail.toml"
    path.write_text('seat_drop_in_call = "fail"\n' + CONFIG, encoding="utf-8")
    live = await server_factory(routing_config_path=path)
    customer, seat, sid = await _in_call(live, "seat-a")
    seat.ws.transport.abort()
    ended = await customer.expect("call_ended")
    assert ended["reason"] == "seat_disconnected"
    assert not any(m["type"] == "notice" and m.get("code") == "requeued" for m in customer.received)
    record = await live.record(sid)
    assert (record["status"], record["end_reason"]) == ("ended", "seat_disconnected")
    assert sid not in live.services.coordinator.sessions


async def test_restart_keeps_a_transferred_customer_at_the_front(server_factory: ServerFactory) -> None:
    first = await server_factory()
    customer, seat_a, sid = await _in_call(first, "seat-a")
    waiting, sid_w = await first.customer()
    await waiting.expect("queue_status", position=1)
    await seat_a.send({"type": "transfer", "session_id": sid, "queue_id": "retail"})
    await seat_a.expect("call_transferred")
    await waiting.expect("queue_status", position=2)  # the transferred customer waits ahead of everyone
    token = _token_of(customer)
    token_w = _token_of(waiting)
    assert first.services.db.get_session(sid)["front_of_queue"] == 1
    await stop_server(first)
    second = await server_factory()
    await second.open_ws(f"/ws/customer/{sid_w}?token={token_w}")
    await second.open_ws(f"/ws/customer/{sid}?token={token}")
    await wait_for(lambda: all(second.services.coordinator.sessions[s].peer is not None for s in (sid, sid_w)))
    assert [e.session_id for e in second.services.coordinator.queue.entries()] == [sid, sid_w]
    seat = await second.seat("seat-b")
    assert (await seat.expect("call_offered"))["session_id"] == sid
