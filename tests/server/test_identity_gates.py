"""The identity gates through the real server API: pre-check before queueing, then seat-driven, server-decided gates.

Real parts: the server on uvicorn, the sandbox bank, OCR of a photographed synthetic ID card of a sandbox demo
customer, the face engine on the sandbox portraits and the liveness detector on frames the "page" posts. The
customer's page is played by a WebSocket client that answers capture requests with a camera-like JPEG (the demo
customer's live sample), exactly what the H5 page posts from its camera.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import pytest

from server.bank.sandbox import demo_customer
from server.devtools.idcards import demo_card_images
from server.identity.face import get_face_engine
from tests.server.conftest import LiveServer, ServerFactory, WsClient, wait_for
from tests.server.identity.liveness_frames import ActionVideo

BLACKLIST_MESSAGE = "您(名下账户)的信息在黑名单清单中,请到柜面办理业务!"

NO_LIVENESS = {"default": {"required": ["precheck", "network_check", "face", "questions"]}}
"""A gate configuration without the liveness gate, for tests that need the later gates (a still picture cannot do
the liveness actions)."""


@dataclass
class Call:
    """A connected call: the customer's socket, the seat's socket and the seat's auth headers."""

    live: LiveServer
    sid: str
    customer: WsClient
    seat: WsClient
    headers: dict[str, str]
    customer_token: str
    live_jpeg: bytes
    answering: asyncio.Task[None] | None = None

    async def post(self, path: str, **kwargs: Any) -> Any:
        return await self.live.http.post(f"/api/sessions/{self.sid}{path}", headers=self.headers, **kwargs)

    def answer_captures(self) -> None:
        """Play the page: answer every capture request with a camera frame (the live sample)."""

        async def run() -> None:
            seen = 0
            while True:
                await wait_for(lambda n=seen: len(self.customer.received) > n, timeout=60)  # type: ignore[misc]
                for message in self.customer.received[seen:]:
                    if message["type"] == "capture_request":
                        await self.frame("capture", message["request_id"], self.live_jpeg)
                seen = len(self.customer.received)

        self.answering = asyncio.create_task(self._pump_and(run()))

    async def _pump_and(self, coro: Any) -> None:
        async def pump() -> None:
            with contextlib.suppress(Exception):  # the socket closes at the end of the test
                while True:
                    await self.customer.recv(timeout=120)

        pumping = asyncio.create_task(pump())
        try:
            await coro
        except Exception:  # the socket closed at the end of the test
            pass
        finally:
            pumping.cancel()

    async def frame(self, kind: str, ref: str, data: bytes, token: str | None = None) -> Any:
        return await self.live.http.post(
            f"/api/customer/sessions/{self.sid}/frames",
            headers={"Authorization": f"Bearer {token or self.customer_token}"},
            data={"kind": kind, "ref": ref},
            files={"image": ("frame.jpg", data, "image/jpeg")},
        )

    async def message(self, kind: str) -> dict[str, Any]:
        """The customer's first message of this type (read by the capture-answering pump when it runs)."""
        if self.answering is not None and not self.answering.done():
            await wait_for(lambda: any(m["type"] == kind for m in self.customer.received), timeout=15)
        return await _message(self.customer, kind)

    async def ended(self) -> dict[str, Any]:
        """The customer's call_ended."""
        return await self.message("call_ended")

    async def seat_update(self, gate: str, *statuses: str) -> dict[str, Any]:
        async with asyncio.timeout(30):
            while True:
                message = await self.seat.recv(timeout=30)
                if message["type"] == "gate_update" and message["gate"] == gate and message["status"] in statuses:
                    return message


async def connect(live: LiveServer, key: str = "pass_all", business: str = "password_reset") -> Call:
    """Pre-check with the demo customer's card, queue, and have seat-a answer."""
    ticket = await live.ticket(business, key=key)
    customer = await live.open_ws(ticket["websocket_path"])
    seat = await live.seat("seat-a")
    sid = ticket["session_id"]
    await seat.expect("call_offered", session_id=sid)
    await seat.send({"type": "answer_call", "session_id": sid})
    await seat.expect("call_answered")
    await customer.expect("call_connected")
    live_jpeg = camera_frame(demo_customer(key).live_sample)
    return Call(live, sid, customer, seat, await live.auth_headers("seat-a"), ticket["customer_token"], live_jpeg)


def camera_frame(path: Path) -> bytes:
    """The photo as the page's canvas would post it: at most 640 px, JPEG."""
    image = cv2.imread(str(path))
    assert image is not None, f"cannot read {path}"
    scale = min(1.0, 640 / max(image.shape[:2]))
    image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    return bytes(cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 85])[1].tobytes())


def trail(live: LiveServer, sid: str) -> list[dict[str, Any]]:
    return [e for e in live.services.db.events(sid) if e["kind"].startswith("gate.")]


# --- before queueing ------------------------------------------------------------------------------------------------


async def test_blacklisted_customer_is_stopped_before_queueing(live: LiveServer) -> None:
    result = await live.precheck("password_reset", "blacklisted_aml")
    assert result["passed"] is False and result["retry_allowed"] is False
    assert result["message"] == BLACKLIST_MESSAGE  # the customer is never told which list
    res = await live.http.post(
        "/api/customer/tickets", json={"business_type": "password_reset", "precheck_id": result["precheck_id"]}
    )
    assert res.status_code == 403 and res.json()["detail"] == "身份核验尚未通过,不能取号"
    retry = await live.precheck("password_reset", "blacklisted_aml")  # a fresh pre-check ends the same way
    assert retry["passed"] is False and retry["message"] == BLACKLIST_MESSAGE
    assert live.services.coordinator.sessions == {}


async def test_dormant_account_is_refused_for_password_reset(live: LiveServer) -> None:
    result = await live.precheck("password_reset", "dormant")
    assert (result["passed"], result["retry_allowed"]) == (False, False)
    assert "久悬" in result["message"] and "柜面" in result["message"]
    activation = await live.precheck("account_activation", "dormant")  # the same account suits 账户激活
    assert activation["passed"] is True


async def test_three_element_mismatch_allows_three_attempts(live: LiveServer) -> None:
    first = await live.precheck("password_reset", "pass_all", account_no=None)
    assert first["passed"]
    images = demo_card_images("pass_all")
    body = {"business_type": "password_reset", "phone": "13900001111", "account_no": images.account_for("x")}
    files = {"id_front": ("f.jpg", images.front, "image/jpeg"), "id_back": ("b.jpg", images.back, "image/jpeg")}
    precheck_id = ""
    answers = []
    for _ in range(3):
        res = await live.http.post("/api/customer/precheck", data={**body, "precheck_id": precheck_id}, files=files)
        assert res.status_code == 200, res.text
        answers.append(res.json())
        precheck_id = res.json()["precheck_id"]
    assert [a["passed"] for a in answers] == [False, False, False]
    assert answers[0]["message"].startswith("身份信息核验未通过,请核对后重试") and answers[0]["attempts_left"] == 2
    assert answers[2]["retry_allowed"] is False and answers[2]["attempts_left"] == 0
    assert "柜面" in answers[2]["message"]
    sid = live.services.identity.prechecks[precheck_id].session_id
    events = trail(live, sid)
    assert [e["kind"] for e in events].count("gate.gate_attempt_failed") == 2
    assert events[-1]["kind"] == "gate.acceptance_terminated"
    assert "13900001111" not in str(events) and "139****1111" in str(events)  # masked in the trail


async def test_unreadable_id_photo_is_explained(live: LiveServer) -> None:
    images = demo_card_images("pass_all")
    res = await live.http.post(
        "/api/customer/precheck",
        data={"business_type": "password_reset", "phone": images.phone, "account_no": images.account_for("x")},
        files={"id_front": ("f.jpg", images.back, "image/jpeg"), "id_back": ("b.jpg", images.back, "image/jpeg")},
    )
    assert res.status_code == 200
    assert res.json()["passed"] is False and res.json()["retry_allowed"] is True
    assert "国徽面" in res.json()["message"]  # the emblem side was given for the portrait side
    bad = await live.http.post(
        "/api/customer/precheck",
        data={"business_type": "password_reset", "phone": "123", "account_no": "1"},
        files={"id_front": ("f.jpg", images.front, "image/jpeg"), "id_back": ("b.jpg", images.back, "image/jpeg")},
    )
    assert bad.status_code == 422 and bad.json()["detail"] == "请输入正确的 11 位手机号码"


async def test_ticket_needs_a_passed_unused_precheck(live: LiveServer) -> None:
    forged = await live.http.post(
        "/api/customer/tickets", json={"business_type": "password_reset", "precheck_id": "x" * 40}
    )
    assert forged.status_code == 403 and "身份核验" in forged.json()["detail"]
    result = await live.precheck("password_reset")
    assert result["passed"] and result["customer_name"] == "李*华"
    other = await live.http.post(
        "/api/customer/tickets", json={"business_type": "sms_signing", "precheck_id": result["precheck_id"]}
    )
    assert other.status_code == 409  # a pre-check is for one business
    body = {"business_type": "password_reset", "precheck_id": result["precheck_id"]}
    assert (await live.http.post("/api/customer/tickets", json=body)).status_code == 201
    replay = await live.http.post("/api/customer/tickets", json=body)
    assert replay.status_code == 403  # used up


# --- after connect --------------------------------------------------------------------------------------------------


async def test_all_gates_pass_then_business_is_done(server_factory: ServerFactory) -> None:
    live = await server_factory(gates=NO_LIVENESS)
    call = await connect(live)
    refused = await call.post("/business", json={"params": {}})
    assert refused.status_code == 409 and "身份核验尚未全部通过" in refused.json()["detail"]

    res = await call.post("/gates/network-check")
    assert res.status_code == 200 and res.json()["status"] == "passed"
    assert res.json()["photo_url"].endswith("/gates/photos/network_photo")
    update = await call.seat_update("network_check", "passed")
    assert update["snapshot"]["gates"][1]["status"] == "passed"
    photo = await live.http.get(res.json()["photo_url"], headers=call.headers)
    assert photo.status_code == 200 and photo.headers["content-type"] == "image/jpeg"
    assert photo.content == demo_customer("pass_all").registered_photo.read_bytes()  # type: ignore[union-attr]

    call.answer_captures()
    face = await call.post("/gates/face")
    assert face.status_code == 200, face.text
    assert face.json()["status"] == "passed"
    scores = face.json()["snapshot"]["gates"][2]["scores"]
    assert set(scores) == {"id_vs_live", "network_vs_live", "id_vs_network"} and min(scores.values()) >= 0.42
    await wait_for(lambda: any(m["type"] == "gate_update" and m["gate"] == "face" for m in call.customer.received))

    questions = await call.post("/gates/questions")
    assert questions.status_code == 200
    shown = questions.json()["questions"]
    assert len(shown) == 3 and all("answer_index" not in q for q in shown)
    asked = live.services.identity.sessions[call.sid].machine.question_set
    for q in asked.questions[:2]:
        res = await call.post(f"/gates/questions/{q.question_id}", json={"choice_index": q.answer_index})
        assert res.status_code == 200
    assert res.json()["status"] == "passed"  # 2 of 3 right decides it

    done = await call.post("/business", json={"params": {}})
    assert done.status_code == 200 and done.json()["ok"] is True, done.text
    kinds = [e["kind"] for e in live.services.db.events(call.sid)]
    assert kinds.count("gate.gate_passed") == 4 and "business.executed" in kinds
    face_entry = next(
        e for e in trail(live, call.sid) if e["kind"] == "gate.gate_passed" and e["detail"]["gate"] == "face"
    )
    assert face_entry["detail"]["scores"] == scores
    started = next(
        e for e in trail(live, call.sid) if e["kind"] == "gate.gate_started" and e["detail"]["gate"] == "face"
    )
    assert len(started["detail"]["inputs"]["live_sha256"]) == 64
    assert call.answering is not None
    call.answering.cancel()


async def test_three_failed_network_checks_end_the_call(server_factory: ServerFactory) -> None:
    live = await server_factory()
    call = await connect(live, "network_timeout")
    for attempt in (1, 2):
        res = await call.post("/gates/network-check")
        assert res.status_code == 200
        assert (res.json()["status"], res.json()["attempt"], res.json()["retry_allowed"]) == ("pending", attempt, True)
        assert "超时" in res.json()["teller_message"]
    last = await call.post("/gates/network-check")
    assert last.json()["status"] == "failed" and last.json()["terminated"] is True
    message = await _ended(call.customer)
    assert message["reason"] == "failed" and "柜面" in message["message"]
    seat_end = await _ended(call.seat)
    assert seat_end["message"] == message["message"]
    customer_updates = [m for m in call.customer.received if m["type"] == "gate_update"]
    assert customer_updates and all("teller_message" not in m for m in customer_updates)
    again = await call.post("/gates/network-check")
    assert again.status_code == 403  # the call is over; nothing more can be done on it
    assert (await live.record(call.sid))["end_reason"] == "failed"


async def _message(client: WsClient, kind: str) -> dict[str, Any]:
    """The first message of this type, received already or next."""
    for message in client.received:
        if message["type"] == kind:
            return message
    async with asyncio.timeout(10):
        while True:
            message = await client.recv(timeout=10)
            if message["type"] == kind:
                return message


async def _ended(client: WsClient) -> dict[str, Any]:
    return await _message(client, "call_ended")


async def test_face_below_threshold_cannot_be_passed(server_factory: ServerFactory) -> None:
    live = await server_factory(gates={"default": {"max_attempts": {"face": 2}}})
    call = await connect(live, "face_mismatch")
    assert (await call.post("/gates/network-check")).json()["status"] == "passed"
    call.answer_captures()
    first = await call.post("/gates/face")
    assert first.status_code == 200, first.text
    assert (first.json()["status"], first.json()["retry_allowed"]) == ("pending", True)
    assert "联网照片与现场人像" in first.json()["teller_message"]
    # nothing a client can send marks it passed: the business is refused, and the liveness gate is out of order
    assert (await call.post("/business", json={"params": {}})).status_code == 409
    assert (await call.post("/gates/liveness")).status_code == 409
    second = await call.post("/gates/face")
    assert second.json()["status"] == "failed"
    ended = await call.ended()
    assert ended["reason"] == "failed"
    assert ended["message"] == "人脸比对未通过,本次业务无法继续办理,请携带本人有效身份证件到我行网点柜面办理"


async def test_failed_liveness_ends_the_call(server_factory: ServerFactory) -> None:
    live = await server_factory(
        gates={"default": {"liveness_timeout_s": 2.0, "liveness_action_count": 1, "max_attempts": {"liveness": 1}}}
    )
    call = await connect(live)
    assert (await call.post("/gates/network-check")).json()["status"] == "passed"
    call.answer_captures()
    assert (await call.post("/gates/face")).json()["status"] == "passed"
    started = await call.post("/gates/liveness")
    assert started.status_code == 200 and started.json()["status"] == "running"
    challenge = await call.message("liveness_challenge")
    assert challenge["prompts"] == started.json()["prompts"] and challenge["prompts"][0].startswith("请")
    # a still picture of the right face: it never blinks or turns
    async with asyncio.timeout(20):
        while not any(m["type"] == "call_ended" for m in call.customer.received):
            res = await call.frame("liveness", challenge["challenge_id"], call.live_jpeg)
            if res.status_code != 200:
                break
    ended = await call.ended()
    assert ended["reason"] == "failed" and "活体检测" in ended["message"] and "柜面" in ended["message"]
    kinds = [e["kind"] for e in trail(live, call.sid)]
    assert "gate.liveness_frames" in kinds and "gate.acceptance_terminated" in kinds


async def test_all_five_gates_pass_with_the_liveness_actions_done(server_factory: ServerFactory) -> None:
    """The liveness gate passes through the server when the frames show the asked actions, in the asked order.

    The frames are the demo customer's live photo with a head turn warped in and the eyes painted shut
    (``tests/server/identity/liveness_frames.py``); the server's own MediaPipe face mesh judges them.
    """
    live = await server_factory()
    call = await connect(live)
    assert (await call.post("/gates/network-check")).json()["status"] == "passed"
    call.answer_captures()
    assert (await call.post("/gates/face")).json()["status"] == "passed"
    photo = cv2.imread(str(demo_customer("pass_all").live_sample))
    assert photo is not None
    video = ActionVideo(photo, get_face_engine())
    started = await call.post("/gates/liveness")
    assert started.status_code == 200 and started.json()["status"] == "running"
    challenge = await call.message("liveness_challenge")
    assert sorted(challenge["actions"]) == ["blink", "turn_left", "turn_right"]  # all three, in a random order
    states = []
    for jpeg in video.jpegs(challenge["actions"]):
        res = await call.frame("liveness", challenge["challenge_id"], jpeg)
        assert res.status_code == 200 and res.json()["accepted"], res.text
        states.append(res.json().get("step", res.json()["state"]))
        if res.json()["state"] == "done":
            break
    assert states[-1] == "done" and sorted(set(states) - {"done"}) == [0, 1, 2], states
    update = await call.seat_update("liveness", "passed", "failed")
    assert update["status"] == "passed", update
    gate = update["snapshot"]["gates"][3]
    assert gate["results"][-1]["detected"] == challenge["actions"] == gate["results"][-1]["expected"]
    assert len(gate["inputs"]["frames_sha256"]) == 64  # the frames it used, as evidence
    prompts = [m for m in call.customer.received if m["type"] == "liveness_prompt"]
    assert [m["step"] for m in prompts] == [0, 1, 2]
    await call.post("/gates/questions")
    asked = live.services.identity.sessions[call.sid].machine.question_set
    for q in asked.questions[:2]:
        res = await call.post(f"/gates/questions/{q.question_id}", json={"choice_index": q.answer_index})
    assert res.json()["status"] == "passed"
    done = await call.post("/business", json={"params": {}})
    assert done.status_code == 200 and done.json()["ok"] is True, done.text
    passed = [e["detail"]["gate"] for e in trail(live, call.sid) if e["kind"] == "gate.gate_passed"]
    assert passed == ["precheck", "network_check", "face", "liveness", "questions"]
    frames = next(e for e in trail(live, call.sid) if e["kind"] == "gate.liveness_frames")
    assert frames["detail"]["frames"] == len(states) and frames["detail"]["problems"] == []
    assert call.answering is not None
    call.answering.cancel()


async def test_wrong_answers_end_the_call(server_factory: ServerFactory) -> None:
    live = await server_factory(gates=NO_LIVENESS)
    call = await connect(live)
    assert (await call.post("/gates/network-check")).json()["status"] == "passed"
    call.answer_captures()
    assert (await call.post("/gates/face")).json()["status"] == "passed"
    await call.post("/gates/questions")
    asked = live.services.identity.sessions[call.sid].machine.question_set
    wrong = [(q.answer_index + 1) % len(q.choices) for q in asked.questions]
    res = await call.post(f"/gates/questions/{asked.questions[0].question_id}", json={"choice_index": wrong[0]})
    assert res.json()["status"] == "running"
    res = await call.post(f"/gates/questions/{asked.questions[1].question_id}", json={"choice_index": None})
    assert res.json()["status"] == "failed"  # 0 of 2 with one left: 2 of 3 is out of reach
    ended = await call.ended()
    assert ended["reason"] == "failed" and "私密问题" in ended["message"] and "柜面" in ended["message"]


async def test_tampered_clients_cannot_skip_reorder_or_borrow(server_factory: ServerFactory) -> None:
    live = await server_factory()
    call = await connect(live)
    # out of order: face (and everything later) before 联网核查
    for path in ("/gates/face", "/gates/liveness", "/gates/questions"):
        res = await call.post(path)
        assert res.status_code == 409 and "请先完成联网核查" in res.json()["detail"], (path, res.text)
    assert (await call.post("/business", json={"params": {}})).status_code == 409
    # another seat cannot act on, look at, or fetch photos of this session
    other = await live.auth_headers("seat-b")
    for method, path in (
        ("post", "/gates/network-check"),
        ("get", "/gates"),
        ("get", "/gates/photos/id_portrait"),
        ("post", "/business"),
    ):
        kwargs: dict[str, Any] = {"json": {"params": {}}} if path == "/business" else {}
        res = await getattr(live.http, method)(f"/api/sessions/{call.sid}{path}", headers=other, **kwargs)
        assert res.status_code == 403, (path, res.text)
    assert any(e["kind"] == "gate.access_refused" for e in trail(live, call.sid))
    # no seat token at all
    assert (await live.http.post(f"/api/sessions/{call.sid}/gates/network-check")).status_code == 401
    # a result cannot be posted: the endpoints take none
    forged = await call.post("/gates/questions/q1", json={"choice_index": 0, "correct": True})
    assert forged.status_code == 422
    # the holder's own snapshot and photos
    snap = await live.http.get(f"/api/sessions/{call.sid}/gates", headers=call.headers)
    assert snap.status_code == 200 and snap.json()["current_gate"] == "network_check"
    assert {"id_front", "id_back", "id_portrait"} <= set(snap.json()["photos"])
    assert "110105198506150313" not in snap.text
    # replay: a decided gate cannot be run again, and a capture can be answered only once
    assert (await call.post("/gates/network-check")).json()["status"] == "passed"
    replay = await call.post("/gates/network-check")
    assert replay.status_code == 409 and "结果已记录" in replay.json()["detail"]
    stale = await call.frame("capture", "no-such-request", call.live_jpeg)
    assert stale.status_code == 409
    assert (await call.frame("capture", "x", call.live_jpeg, token="wrong-token")).status_code == 401
    # the customer's page cannot read the teller's view or photos with its own token
    res = await live.http.get(
        f"/api/sessions/{call.sid}/gates/photos/network_photo",
        headers={"Authorization": f"Bearer {call.customer_token}"},
    )
    assert res.status_code == 401


@pytest.mark.parametrize("business", ["sms_signing", "customer_info_maintenance"])
async def test_precheck_is_per_business(live: LiveServer, business: str) -> None:
    result = await live.precheck(business)  # 客户信息维护 concerns no account: none is entered
    assert result["passed"], result
    sid = live.services.identity.prechecks[result["precheck_id"]].session_id
    stored = live.settings.data_dir / "identity_photos" / sid
    assert sorted(p.name for p in stored.iterdir()) == ["id_back", "id_front", "id_portrait"]
    assert stored.stat().st_mode & 0o077 == 0 and (stored / "id_front").stat().st_mode & 0o077 == 0
    res = await live.http.post(
        "/api/customer/tickets", json={"business_type": "password_reset", "precheck_id": result["precheck_id"]}
    )
    assert res.status_code == 409


async def test_a_live_frame_without_a_face_uses_no_attempt(server_factory: ServerFactory) -> None:
    """A black or turned-away capture is a failed capture, not a comparison: refused, logged, no attempt used; the
    next capture with the customer's face passes."""
    import cv2
    import numpy as np

    live = await server_factory(gates={"default": {"max_attempts": {"face": 1}}})
    call = await connect(live)
    assert (await call.post("/gates/network-check")).json()["status"] == "passed"
    face_jpeg = call.live_jpeg
    ok, empty = cv2.imencode(".jpg", np.full((480, 640, 3), 40, np.uint8))  # a dark frame: the camera starting up
    assert ok
    call.live_jpeg = empty.tobytes()
    call.answer_captures()
    for _ in range(2):  # more than max_attempts (1): none of these counts
        refused = await call.post("/gates/face")
        assert refused.status_code == 409, refused.text
        assert refused.json()["code"] == "no_face_in_capture"
        assert "未计入比对次数" in refused.json()["detail"]
    snapshot = (await live.http.get(f"/api/sessions/{call.sid}/gates", headers=call.headers)).json()
    face_gate = next(g for g in snapshot["gates"] if g["gate"] == "face")
    assert face_gate["attempts"] == 0 and face_gate["status"] != "failed"
    assert len([e for e in trail(live, call.sid) if e["kind"] == "gate.capture_no_face"]) == 2
    call.live_jpeg = face_jpeg
    passed = await call.post("/gates/face")
    assert passed.status_code == 200 and passed.json()["status"] == "passed", passed.text
