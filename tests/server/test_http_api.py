"""HTTP API: seat login/logout and token expiry, business types, ticket validation, session records, health, page."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import pytest

from server.app import RedactTokens
from server.security import mask_digits
from server.settings import load_settings
from tests.server.conftest import LiveServer, ManualClock, ServerFactory


async def test_login_and_me(live: LiveServer) -> None:
    res = await live.http.post("/api/auth/login", json={"seat_id": "seat-a", "password": "pw-a-123"})
    assert res.status_code == 200
    body = res.json()
    assert body["seat_id"] == "seat-a" and body["display_name"] == "柜员甲"
    assert len(body["token"]) >= 40
    me = await live.http.get("/api/seats/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200
    assert me.json() == {"seat_id": "seat-a", "display_name": "柜员甲", "state": "offline"}


async def test_tokens_are_stored_hashed(live: LiveServer) -> None:
    token = await live.login("seat-a")
    rows = list(live.services.db.db.query("SELECT token_hash FROM seat_tokens"))
    assert rows and all(row["token_hash"] != token and len(row["token_hash"]) == 64 for row in rows)
    seat = live.services.db.get_seat("seat-a")
    assert seat.password_hash.startswith("$argon2id$")


@pytest.mark.parametrize(("seat_id", "password"), [("seat-a", "wrong"), ("nobody", "pw-a-123")])
async def test_bad_login_refused_in_chinese(live: LiveServer, seat_id: str, password: str) -> None:
    res = await live.http.post("/api/auth/login", json={"seat_id": seat_id, "password": password})
    assert res.status_code == 401
    assert res.json()["detail"] == "坐席号或密码错误"


async def test_login_body_validated(live: LiveServer) -> None:
    res = await live.http.post("/api/auth/login", json={"seat_id": "", "password": "x", "extra": 1})
    assert res.status_code == 422
    assert "请求参数有误" in res.json()["message"]


async def test_token_expires(server_factory: ServerFactory) -> None:
    clock = ManualClock()
    live = await server_factory(clock=clock, token_lifetime_s=3600)
    headers = await live.auth_headers("seat-a")
    assert (await live.http.get("/api/seats/me", headers=headers)).status_code == 200
    clock.advance(3599)
    assert (await live.http.get("/api/seats/me", headers=headers)).status_code == 200
    clock.advance(2)
    res = await live.http.get("/api/seats/me", headers=headers)
    assert res.status_code == 401
    assert "重新登录" in res.json()["detail"]
    # An expired token cannot open the seat WebSocket either.
    ws = await live.open_ws(f"/ws/seat?token={headers['Authorization'].split()[1]}")
    code, reason = await ws.closed()
    assert code == 4401 and reason


async def test_logout_revokes_token_and_closes_its_socket(live: LiveServer) -> None:
    token = await live.login("seat-a")
    ws = await live.open_ws(f"/ws/seat?token={token}")
    await ws.expect("welcome")
    headers = {"Authorization": f"Bearer {token}"}
    assert (await live.http.post("/api/auth/logout", headers=headers)).status_code == 204
    code, _ = await ws.closed()
    assert code == 4401
    assert (await live.http.get("/api/seats/me", headers=headers)).status_code == 401
    assert (await live.http.post("/api/auth/logout", headers=headers)).status_code == 401


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer not-a-token", "Basic abc"])
async def test_session_api_requires_a_seat(live: LiveServer, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    res = await live.http.get("/api/sessions", headers=headers)
    assert res.status_code == 401
    assert res.headers["www-authenticate"] == "Bearer"


async def test_business_types(live: LiveServer) -> None:
    res = await live.http.get("/api/business-types")
    assert res.status_code == 200
    types = {item["code"]: item["label"] for item in res.json()}
    assert types["password_reset"] == "密码重置"
    assert len(types) == 7


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"business_type": "buy_gold"}, "不支持的业务类型,请重新选择"),
        ({}, "不支持的业务类型,请重新选择"),
        (
            {"business_type": "password_reset", "precheck_id": "p" * 32, "customer_name": "名" * 33},
            "请求参数有误:customer_name",
        ),
        ({"business_type": "password_reset", "precheck_id": "p" * 32, "phone": "13800000000"}, "请求参数有误:phone"),
        ({"business_type": "password_reset"}, "请求参数有误:precheck_id"),
    ],
)
async def test_ticket_validation(live: LiveServer, body: dict[str, object], message: str) -> None:
    res = await live.http.post("/api/customer/tickets", json=body)
    assert res.status_code == 422
    assert res.json()["message"] == message
    assert "13800000000" not in res.text  # refused input is not echoed back


async def test_ticket_creates_a_waiting_session_record(live: LiveServer) -> None:
    ticket = await live.ticket("account_activation", "王五")  # the dormant demo customer 陈静
    assert ticket["websocket_path"] == f"/ws/customer/{ticket['session_id']}?token={ticket['customer_token']}"
    record = await live.record(ticket["session_id"])
    assert record["status"] == "waiting"
    assert record["business_type"] == "account_activation"
    assert record["customer_name"] == "陈*"  # masked, from the ID card (the name the client sent is ignored)
    assert record["answered_at"] is None and record["ended_at"] is None
    assert "customer_token" not in record and "customer_token_hash" not in record
    headers = await live.auth_headers()
    # a teller lists and reads only the calls it handled; nobody handled a waiting session yet
    assert (await live.http.get("/api/sessions?limit=5", headers=headers)).json() == []
    other = await live.http.get(f"/api/sessions/{ticket['session_id']}", headers=headers)
    assert other.status_code == 403 and "只能查看本坐席受理的会话" in other.json()["detail"]
    auditor = await live.auth_headers("audit")
    listed = (await live.http.get("/api/sessions?limit=5", headers=auditor)).json()
    assert [item["session_id"] for item in listed] == [ticket["session_id"]]
    waiting = (await live.http.get("/api/sessions?status=waiting", headers=auditor)).json()
    assert [item["session_id"] for item in waiting] == [ticket["session_id"]]
    assert (await live.http.get("/api/sessions?status=ended", headers=auditor)).json() == []
    # nobody handled a waiting session yet: its trail is for supervisors/auditors (tellers read only their own calls)
    refused = await live.http.get(f"/api/sessions/{ticket['session_id']}/events", headers=headers)
    assert refused.status_code == 403 and "只能查看本坐席受理的会话" in refused.json()["detail"]
    live.services.db.set_seat_role("seat-c", "supervisor")
    supervisor = await live.auth_headers("seat-c")
    events = (await live.http.get(f"/api/sessions/{ticket['session_id']}/events", headers=supervisor)).json()
    kinds = [event["kind"] for event in events]
    assert kinds[0] == "gate.ocr_read" and "gate.gate_passed" in kinds  # the pre-check's trail comes first
    assert kinds.index("queued") > kinds.index("gate.gate_passed")
    assert (await live.http.get("/api/sessions?limit=0", headers=headers)).status_code == 422
    missing = await live.http.get("/api/sessions/sNoSuchSession1", headers=headers)
    assert missing.status_code == 404 and missing.json()["detail"] == "会话不存在"


async def test_healthz(live: LiveServer) -> None:
    res = await live.http.get("/healthz")
    assert res.status_code == 200
    assert res.json()["status"] == "ok" and res.json()["db"] == "ok"


async def test_healthz_reports_a_broken_database(live: LiveServer) -> None:
    live.services.db.close()
    res = await live.http.get("/healthz")
    assert res.status_code == 503
    assert res.json()["db"] == "error"


async def test_customer_page_is_served_in_chinese(live: LiveServer) -> None:
    page = await live.http.get("/")
    assert page.status_code == 200
    assert "text/html" in page.headers["content-type"]
    assert "远程视频银行" in page.text and "取号排队" in page.text
    assert "http://" not in page.text and "https://" not in page.text  # nothing from the internet
    script = await live.http.get("/app.js")
    assert script.status_code == 200
    assert "iceServers: []" in script.text
    assert "无法使用摄像头/麦克风,请在浏览器设置中允许访问后重试" in script.text
    css = await live.http.get("/style.css")
    assert css.status_code == 200 and "44px" in css.text


async def test_login_upgrades_a_hash_made_with_other_parameters(server_factory: ServerFactory) -> None:
    fast = await server_factory()
    assert "m=1024" in fast.services.db.get_seat("seat-a").password_hash
    fast.server.should_exit = True
    await fast.task
    standard = await server_factory(password_hash_profile="standard")
    await standard.login("seat-a")
    assert "m=65536" in standard.services.db.get_seat("seat-a").password_hash
    await standard.login("seat-a")  # and the upgraded hash still verifies


async def test_oversized_body_refused_and_security_headers_set(live: LiveServer) -> None:
    res = await live.http.post(
        "/api/customer/tickets",
        content=b'{"business_type": "password_reset", "customer_name": "' + b"x" * 100_000 + b'"}',
        headers={"content-type": "application/json"},
    )
    assert res.status_code == 413
    assert res.json()["detail"] == "请求内容过大"

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(20):
            yield b" " * 8192

    streamed = await live.http.post("/api/customer/tickets", content=chunks())
    assert streamed.status_code == 413
    page = await live.http.get("/")
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["x-content-type-options"] == "nosniff"
    # No inline script, no eval, nothing from another origin (the page tests run under this policy, not around it).
    policy = dict(d.strip().split(" ", 1) for d in page.headers["content-security-policy"].split(";"))
    assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'" and policy["object-src"] == "'none'"
    assert "unsafe" not in page.headers["content-security-policy"]
    page_html = page.text
    assert "<script>" not in page_html and " style=" not in page_html and " onclick=" not in page_html


def test_tokens_and_long_numbers_are_masked_in_logs() -> None:
    record = logging.LogRecord(
        "uvicorn.error",
        logging.INFO,
        __file__,
        1,
        '%s - "WebSocket %s" [accepted]',
        ("1.2.3.4", "/ws/seat?token=abc"),
        None,
    )
    RedactTokens().filter(record)
    assert "abc" not in record.getMessage() and "token=***" in record.getMessage()
    assert mask_digits("seat 13812345678") == "seat 138****5678"
    assert mask_digits("id 11010519491231002X ok") == "id 110***********002X ok"


async def test_repeated_wrong_passwords_lock_the_seat_id_for_a_while(server_factory: ServerFactory) -> None:
    clock = ManualClock()
    live = await server_factory(clock=clock, login_max_failures=3, login_lockout_s=300)
    for _ in range(3):
        res = await live.http.post("/api/auth/login", json={"seat_id": "seat-a", "password": "guess"})
        assert res.status_code == 401
    locked = await live.http.post("/api/auth/login", json={"seat_id": "seat-a", "password": "pw-a-123"})
    assert locked.status_code == 429
    assert locked.json()["detail"] == "密码错误次数过多,请 5 分钟后再试"
    assert locked.headers["retry-after"] == "300"
    await live.login("seat-b")  # other seats are not affected
    clock.advance(300)
    await live.login("seat-a")  # the window has passed; a success clears the count
    res = await live.http.post("/api/auth/login", json={"seat_id": "seat-a", "password": "guess"})
    assert res.status_code == 401


async def test_customer_name_comes_from_the_card_masked(live: LiveServer) -> None:
    ticket = await live.ticket(name=" 张\n三\u200b<b>\x00 ")
    assert (await live.record(ticket["session_id"]))["customer_name"] == "李*华"


async def test_ticket_flood_from_one_client_is_refused(server_factory: ServerFactory) -> None:
    clock = ManualClock()
    live = await server_factory(clock=clock, tickets_per_minute_per_client=3)
    for _ in range(3):
        await live.ticket()
    body = {"business_type": "password_reset", "precheck_id": "p" * 32}
    res = await live.http.post("/api/customer/tickets", json=body)
    assert res.status_code == 429
    assert res.json()["detail"] == "取号过于频繁,请稍后再试"
    clock.advance(60)
    await live.ticket()


def test_ticket_limit_defaults() -> None:
    assert load_settings(environ={"VT_DEV_MODE": "1"}).ticket_rate_limit == 0
    production = load_settings(environ={"VT_SECRET_KEY": "k3vQ9w-Zr8pX2mLq7tYb4nHs6dFg1jUe0cVa5oRi"})
    assert production.ticket_rate_limit == 10
