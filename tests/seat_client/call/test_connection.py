"""SeatConnection: against the real server (login, welcome, set ready, Chinese errors) and, for the reconnect
rules, against a scripted WebSocket endpoint that drops or refuses the socket on purpose."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from websockets.asyncio.server import ServerConnection, serve

from seat_client.call.connection import ConnectionStatus, LoginError, SeatConnection
from wire import SeatSetState, SeatState, SeatStateChanged, Welcome


async def wait_for(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.02)


# --- the real server -----------------------------------------------------------------------------------------------


async def test_login_welcome_and_ready_on_real_server(live_server: str) -> None:
    connection = SeatConnection(live_server, "demo", "demo123")
    received: list[Any] = []
    statuses: list[ConnectionStatus] = []
    connection.add_listener(received.append)
    connection.add_status_listener(statuses.append)
    try:
        response = await connection.start()
        assert response.seat_id == "demo" and response.display_name == "演示坐席"
        await wait_for(lambda: any(isinstance(m, Welcome) for m in received))
        welcome = next(m for m in received if isinstance(m, Welcome))
        assert welcome.seat_id == "demo"
        assert connection.status == ConnectionStatus.CONNECTED
        await connection.send(SeatSetState(state=SeatState.READY))
        await wait_for(lambda: any(isinstance(m, SeatStateChanged) and m.state == "ready" for m in received))
        token = connection.login_response.token if connection.login_response else ""
    finally:
        await connection.close(logout=True)
    async with httpx.AsyncClient(base_url=live_server) as client:
        refused = await client.get("/api/seats/me", headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 401  # 签出 revoked the token
    assert statuses[0] == ConnectionStatus.CONNECTING
    assert ConnectionStatus.CONNECTED in statuses
    assert statuses[-1] == ConnectionStatus.CLOSED


async def test_bad_password_on_real_server(live_server: str) -> None:
    connection = SeatConnection(live_server, "demo", "not-the-password")
    with pytest.raises(LoginError) as caught:
        await connection.start()
    assert caught.value.code == "bad_credentials"
    assert caught.value.message == "工号或密码错误"


async def test_unreachable_server() -> None:
    connection = SeatConnection("http://127.0.0.1:9", "demo", "demo123")  # discard port: nothing listens
    with pytest.raises(LoginError) as caught:
        await connection.login()
    assert caught.value.code == "unreachable"
    assert caught.value.message.startswith("无法连接服务器")


# --- reconnect rules against a scripted endpoint ---------------------------------------------------------------------


class ScriptedServer:
    """Login over httpx.MockTransport; a real WebSocket server whose n-th connection follows ``script[n]``."""

    def __init__(self, script: list[str]) -> None:
        self.script = script
        self.connections = 0
        self.logins = 0
        self.tokens_seen: list[str] = []
        self.port = 0

    def login_transport(self) -> httpx.MockTransport:
        def handle(request: httpx.Request) -> httpx.Response:
            self.logins += 1
            return httpx.Response(
                200,
                json={
                    "token": f"token-{self.logins}",
                    "seat_id": "1001",
                    "display_name": "测试坐席",
                    "expires_at": (datetime.now(UTC) + timedelta(hours=1)).isoformat(),
                },
            )

        return httpx.MockTransport(handle)

    async def handler(self, ws: ServerConnection) -> None:
        step = self.script[min(self.connections, len(self.script) - 1)]
        self.connections += 1
        assert ws.request is not None
        self.tokens_seen.append(ws.request.path.split("token=")[-1])
        if step == "drop":
            await ws.close(1011, "boom")
        elif step == "bad_token":
            await ws.close(4401, "登录已失效,请重新登录")
        elif step == "replaced":
            await ws.close(4409, "该坐席已在其他地方登录")
        else:
            welcome = {
                "type": "welcome",
                "seat_id": "1001",
                "display_name": "测试坐席",
                "state": "not_ready",
                "server_time": datetime.now(UTC).isoformat(),
            }
            await ws.send(json.dumps(welcome))
            await ws.send("{not json")  # garbage is logged and skipped, not fatal
            await ws.wait_closed()


@pytest.fixture
async def scripted() -> AsyncIterator[Callable[[list[str]], Any]]:
    servers: list[Any] = []

    async def make(script: list[str]) -> tuple[ScriptedServer, SeatConnection]:
        fake = ScriptedServer(script)
        server = await serve(fake.handler, "127.0.0.1", 0)
        servers.append(server)
        fake.port = server.sockets[0].getsockname()[1]
        connection = SeatConnection(
            f"http://127.0.0.1:{fake.port}", "1001", "pw", backoff_initial=0.01, transport=fake.login_transport()
        )
        return fake, connection

    yield make
    for server in servers:
        server.close()
        await server.wait_closed()


async def test_reconnects_after_a_drop(scripted) -> None:  # type: ignore[no-untyped-def]
    fake, connection = await scripted(["drop", "drop", "ok"])
    welcomes: list[Any] = []
    statuses: list[ConnectionStatus] = []
    connection.add_listener(lambda m: welcomes.append(m) if isinstance(m, Welcome) else None)
    connection.add_status_listener(statuses.append)
    try:
        await connection.start()
        await wait_for(lambda: len(welcomes) == 1)
    finally:
        await connection.close()
    assert fake.connections == 3
    assert fake.logins == 1  # the token was still good
    assert statuses.count(ConnectionStatus.RECONNECTING) >= 2


async def test_refused_token_logs_in_again(scripted) -> None:  # type: ignore[no-untyped-def]
    fake, connection = await scripted(["bad_token", "ok"])
    welcomes: list[Any] = []
    connection.add_listener(lambda m: welcomes.append(m) if isinstance(m, Welcome) else None)
    try:
        await connection.start()
        await wait_for(lambda: len(welcomes) == 1)
    finally:
        await connection.close()
    assert fake.logins == 2
    assert fake.tokens_seen == ["token-1", "token-2"]


async def test_signed_in_elsewhere_stops_for_good(scripted) -> None:  # type: ignore[no-untyped-def]
    fake, connection = await scripted(["replaced", "ok"])
    try:
        await connection.start()
        await wait_for(lambda: connection.status == ConnectionStatus.CLOSED)
        assert connection.terminal_reason == "该坐席已在其他地方登录"
        # CLOSED is the reconnect loop's last act, so no further attempt can follow
        assert connection._task is not None and connection._task.done()
        assert fake.connections == 1
    finally:
        await connection.close()
