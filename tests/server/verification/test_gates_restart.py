"""Identity gates across a server restart, through the HTTP and WebSocket API of the real server.

The server is stopped and started again over the same data directory (database, keys, photos). A restart ends
calls in progress, so the sessions that carry gates over a restart are the queued ones: a customer waiting after a
passed pre-check, or one whose seat dropped mid-call and who was re-queued at the front with gates already done.
"""

from __future__ import annotations

import asyncio
from typing import Any

from server.bank.sandbox import demo_customer
from server.devtools.idcards import demo_card_images
from tests.server.conftest import LiveServer, ServerFactory, wait_for
from tests.server.test_identity_gates import NO_LIVENESS, Call, camera_frame, connect, trail

BLACKLIST_MESSAGE = "您(名下账户)的信息在黑名单清单中,请到柜面办理业务!"


async def restart(live: LiveServer, server_factory: ServerFactory, **overrides: Any) -> LiveServer:
    """Stop the server (as an operator would) and start it again over the same data directory."""
    live.server.should_exit = True
    await asyncio.wait_for(live.task, 15)
    return await server_factory(data_dir=live.settings.data_dir, **overrides)


async def seat_drops(call: Call) -> None:
    """The seat's connection breaks mid-call: the customer waits again at the front of the queue."""
    await call.seat.close()
    async with asyncio.timeout(10):
        while not any(m["type"] == "notice" and m.get("code") == "requeued" for m in call.customer.received):
            await call.customer.recv(timeout=10)
    await wait_for(lambda: call.live.services.coordinator.sessions[call.sid].status == "waiting")


async def reconnect(live: LiveServer, sid: str, customer_token: str, seat_id: str, key: str = "pass_all") -> Call:
    """After the restart: the customer's page reconnects with its token, a seat answers."""
    customer = await live.open_ws(f"/ws/customer/{sid}?token={customer_token}")
    await customer.expect("queue_status", timeout=10)
    seat = await live.seat(seat_id)
    await seat.expect("call_offered", session_id=sid, timeout=10)
    await seat.send({"type": "answer_call", "session_id": sid})
    await seat.expect("call_answered")
    await customer.expect("call_connected")
    headers = await live.auth_headers(seat_id)
    return Call(live, sid, customer, seat, headers, customer_token, camera_frame(demo_customer(key).live_sample))


async def snapshot(call: Call) -> dict[str, Any]:
    res = await call.live.http.get(f"/api/sessions/{call.sid}/gates", headers=call.headers)
    assert res.status_code == 200, res.text
    return dict(res.json())


async def test_a_queued_customer_keeps_the_passed_precheck(server_factory: ServerFactory) -> None:
    first = await server_factory(gates=NO_LIVENESS)
    ticket = await first.ticket("password_reset")
    waiting = await first.open_ws(ticket["websocket_path"])
    await waiting.expect("queue_status")
    sid = ticket["session_id"]

    second = await restart(first, server_factory, gates=NO_LIVENESS)
    again = await reconnect(second, sid, ticket["customer_token"], "seat-a")
    gates = await snapshot(again)
    assert gates["current_gate"] == "network_check" and gates["gates"][0]["status"] == "passed"
    assert {"id_front", "id_back", "id_portrait"} <= set(gates["photos"])
    assert (await again.post("/business", json={"params": {}})).status_code == 409  # still not verified
    res = await again.post("/gates/network-check")
    assert res.status_code == 200 and res.json()["status"] == "passed", res.text
    again.answer_captures()
    face = await again.post("/gates/face")
    assert face.status_code == 200 and face.json()["status"] == "passed", face.text
    await again.post("/gates/questions")
    asked = second.services.identity.sessions[sid].machine.question_set
    for q in asked.questions[:2]:
        res = await again.post(f"/gates/questions/{q.question_id}", json={"choice_index": q.answer_index})
    assert res.json()["status"] == "passed"
    done = await again.post("/business", json={"params": {}})
    assert done.status_code == 200 and done.json()["ok"] is True, done.text
    kinds = [e["kind"] for e in trail(second, sid)]
    assert kinds.index("gate.gates_restored") < kinds.index("gate.gate_passed", kinds.index("gate.gates_restored"))
    assert again.answering is not None
    again.answering.cancel()


async def test_a_requeued_session_resumes_at_face_comparison(server_factory: ServerFactory) -> None:
    first = await server_factory(gates=NO_LIVENESS)
    call = await connect(first)
    assert (await call.post("/gates/network-check")).json()["status"] == "passed"
    await seat_drops(call)

    second = await restart(first, server_factory, gates=NO_LIVENESS)
    again = await reconnect(second, call.sid, call.customer_token, "seat-b")
    gates = await snapshot(again)
    assert gates["current_gate"] == "face"
    assert [g["status"] for g in gates["gates"][:3]] == ["passed", "passed", "pending"]
    assert gates["gates"][1]["attempts"] == 1
    replay = await again.post("/gates/network-check")
    assert replay.status_code == 409 and "结果已记录" in replay.json()["detail"]
    photo = await second.http.get(f"/api/sessions/{call.sid}/gates/photos/network_photo", headers=again.headers)
    assert photo.status_code == 200
    assert photo.content == demo_customer("pass_all").registered_photo.read_bytes()  # type: ignore[union-attr]
    again.answer_captures()
    face = await again.post("/gates/face")
    assert face.status_code == 200 and face.json()["status"] == "passed", face.text
    assert face.json()["snapshot"]["current_gate"] == "questions"
    restored = [e for e in trail(second, call.sid) if e["kind"] == "gate.gates_restored"]
    assert len(restored) == 1 and restored[0]["detail"]["current_gate"] == "face"
    assert again.answering is not None
    again.answering.cancel()


async def test_attempts_used_before_a_restart_stay_used(server_factory: ServerFactory) -> None:
    first = await server_factory()
    call = await connect(first, "network_timeout")
    for attempt in (1, 2):
        res = await call.post("/gates/network-check")
        assert (res.json()["status"], res.json()["attempt"]) == ("pending", attempt), res.text
    await seat_drops(call)

    second = await restart(first, server_factory)
    again = await reconnect(second, call.sid, call.customer_token, "seat-b", "network_timeout")
    gates = await snapshot(again)
    assert gates["gates"][1]["attempts"] == 2 and gates["gates"][1]["max_attempts"] == 3
    last = await again.post("/gates/network-check")
    assert last.status_code == 200
    assert (last.json()["status"], last.json()["attempt"], last.json()["terminated"]) == ("failed", 3, True)
    ended = await again.ended()
    assert ended["reason"] == "failed" and "柜面" in ended["message"]
    assert (await second.record(call.sid))["end_reason"] == "failed"

    third = await restart(second, server_factory)  # and it stays failed
    stored = third.services.identity.store.load(call.sid)
    assert stored is not None and stored.ended_at is not None
    assert stored.state["terminated_by"] == "network_check"
    assert (await third.record(call.sid))["status"] == "ended"


async def test_a_failed_precheck_stays_failed_and_a_passed_one_stays_usable(server_factory: ServerFactory) -> None:
    first = await server_factory()
    blacklisted = await first.precheck("password_reset", "blacklisted_aml")
    assert blacklisted["passed"] is False and blacklisted["retry_allowed"] is False
    images = demo_card_images("pass_all")
    body = {"business_type": "password_reset", "phone": "13900001111", "account_no": images.account_for("x")}
    files = {"id_front": ("f.jpg", images.front, "image/jpeg"), "id_back": ("b.jpg", images.back, "image/jpeg")}
    precheck_id = ""
    for _ in range(2):  # two of the three tries at the three elements
        res = await first.http.post("/api/customer/precheck", data={**body, "precheck_id": precheck_id}, files=files)
        precheck_id = res.json()["precheck_id"]
    assert res.json()["attempts_left"] == 1
    passed = await first.precheck("password_reset")
    assert passed["passed"]

    second = await restart(first, server_factory)
    blacklisted_files = demo_card_images("blacklisted_aml")
    retry = await second.http.post(
        "/api/customer/precheck",
        data={
            "business_type": "password_reset",
            "phone": blacklisted_files.phone,
            "account_no": blacklisted_files.account_for("password_reset"),
            "precheck_id": blacklisted["precheck_id"],
        },
        files={
            "id_front": ("f.jpg", blacklisted_files.front, "image/jpeg"),
            "id_back": ("b.jpg", blacklisted_files.back, "image/jpeg"),
        },
    )
    assert retry.status_code == 200
    assert (retry.json()["passed"], retry.json()["retry_allowed"]) == (False, False)
    assert retry.json()["message"] == BLACKLIST_MESSAGE
    last = await second.http.post("/api/customer/precheck", data={**body, "precheck_id": precheck_id}, files=files)
    assert last.status_code == 200, last.text
    assert (last.json()["passed"], last.json()["attempts_left"], last.json()["retry_allowed"]) == (False, 0, False)
    assert "柜面" in last.json()["message"]
    ticket = await second.http.post(
        "/api/customer/tickets", json={"business_type": "password_reset", "precheck_id": passed["precheck_id"]}
    )
    assert ticket.status_code == 201, ticket.text
    replay = await second.http.post(
        "/api/customer/tickets", json={"business_type": "password_reset", "precheck_id": passed["precheck_id"]}
    )
    assert replay.status_code == 403

    third = await restart(second, server_factory)  # a used pre-check stays used
    again = await third.http.post(
        "/api/customer/tickets", json={"business_type": "password_reset", "precheck_id": passed["precheck_id"]}
    )
    assert again.status_code == 403


async def test_a_liveness_challenge_cut_off_by_the_restart_counts_as_a_failed_attempt(
    server_factory: ServerFactory,
) -> None:
    first = await server_factory()
    call = await connect(first)
    assert (await call.post("/gates/network-check")).json()["status"] == "passed"
    call.answer_captures()
    assert (await call.post("/gates/face")).json()["status"] == "passed"
    started = await call.post("/gates/liveness")
    assert started.json()["status"] == "running"
    assert call.answering is not None
    call.answering.cancel()
    await seat_drops(call)  # the challenge is open when the seat drops and the server restarts

    second = await restart(first, server_factory)
    again = await reconnect(second, call.sid, call.customer_token, "seat-b")
    liveness = (await snapshot(again))["gates"][3]
    assert (liveness["status"], liveness["attempts"], liveness["failure_code"]) == ("pending", 1, "interrupted")
    update = await again.seat_update("liveness", "pending")
    assert "服务重启" in update["teller_message"]
    events = [e for e in trail(second, call.sid) if e["detail"].get("gate") == "liveness"]
    assert events[-1]["kind"] == "gate.gate_attempt_failed" and events[-1]["detail"]["code"] == "interrupted"
    retry = await again.post("/gates/liveness")
    assert retry.status_code == 200 and retry.json()["attempt"] == 2
    assert retry.json()["challenge_id"] != started.json()["challenge_id"]
