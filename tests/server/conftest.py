"""Fixtures: the real server (uvicorn on a free port in the test's event loop) and WebSocket/HTTP clients for it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from websockets.asyncio.client import ClientConnection, connect

from server.app import create_app
from server.calls import Clock
from server.devtools.idcards import precheck_demo_customer
from server.runner import uvicorn_config
from server.settings import SeedSeat, Settings

WAIT_S = 5.0
"""Upper bound for anything expected to happen promptly; tests wait for conditions, never for time."""

NOISE = frozenset({"queue_status", "queue_stats", "notice", "seat_state"})

SEEDS = [
    SeedSeat(seat_id="seat-a", display_name="柜员甲", password="pw-a-123"),
    SeedSeat(seat_id="seat-b", display_name="柜员乙", password="pw-b-123"),
    SeedSeat(seat_id="seat-c", display_name="柜员丙", password="pw-c-123"),
    SeedSeat(seat_id="audit", display_name="稽核员", password="pw-audit-1", role="auditor"),
]
PASSWORDS = {seed.seat_id: seed.password for seed in SEEDS}


def make_settings(data_dir: Path, **overrides: Any) -> Settings:
    """Dev-mode settings with three seed seats and test-sized timeouts."""
    values: dict[str, Any] = {
        "dev_mode": True,
        "data_dir": data_dir,
        "port": 0,
        "ring_timeout_s": 10.0,
        "customer_grace_s": 10.0,
        "dev_seed_seats": SEEDS,
        "log_level": "warning",
        "password_hash_profile": "dev_fast",
        "bank_options": {"population": 20, "latency_s": 0},
    }
    values.update(overrides)
    return Settings(**values)


@dataclass
class WsClient:
    """A WebSocket client that keeps every message and waits for the ones a test expects."""

    ws: ClientConnection
    received: list[dict[str, Any]] = field(default_factory=list)

    async def send(self, message: dict[str, Any] | str) -> None:
        await self.ws.send(message if isinstance(message, str) else json.dumps(message))

    async def recv(self, timeout: float = WAIT_S) -> dict[str, Any]:
        raw = await asyncio.wait_for(self.ws.recv(), timeout)
        message: dict[str, Any] = json.loads(raw)
        self.received.append(message)
        return message

    async def expect(self, kind: str, timeout: float = WAIT_S, **fields: Any) -> dict[str, Any]:
        """Next message of this type (with these field values), skipping status noise; fail on anything else."""
        async with asyncio.timeout(timeout):
            while True:
                message = await self.recv(timeout)
                if message["type"] == kind and all(message.get(k) == v for k, v in fields.items()):
                    return message
                if message["type"] not in NOISE:
                    raise AssertionError(f"expected {kind} {fields}, got {message}")

    async def closed(self, timeout: float = WAIT_S) -> tuple[int | None, str | None]:
        """Wait for the server to close; returns (code, reason). Messages before the close are kept."""
        async with asyncio.timeout(timeout):
            try:
                while True:
                    self.received.append(json.loads(await self.ws.recv()))
            except Exception:
                pass
        await self.ws.wait_closed()
        rcvd = self.ws.protocol.close_rcvd
        return (rcvd.code, rcvd.reason) if rcvd else (None, None)

    async def close(self) -> None:
        await self.ws.close()


@dataclass
class LiveServer:
    """A running server and helpers to talk to it like the seat client and the customer page do."""

    settings: Settings
    app: Any
    server: uvicorn.Server
    task: asyncio.Task[None]
    port: int
    http: httpx.AsyncClient
    clients: list[WsClient] = field(default_factory=list)

    @property
    def ws_base(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    @property
    def services(self) -> Any:
        return self.app.state.services

    async def login(self, seat_id: str, password: str | None = None) -> str:
        res = await self.http.post(
            "/api/auth/login", json={"seat_id": seat_id, "password": password or PASSWORDS[seat_id]}
        )
        assert res.status_code == 200, res.text
        return str(res.json()["token"])

    async def open_ws(self, path: str) -> WsClient:
        client = WsClient(await connect(self.ws_base + path, max_size=4 * 1024 * 1024))
        self.clients.append(client)
        return client

    async def seat(self, seat_id: str, ready: bool = True) -> WsClient:
        """Log a seat in, connect it, and (by default) make it ready (示闲)."""
        token = await self.login(seat_id)
        client = await self.open_ws(f"/ws/seat?token={token}")
        welcome = await client.expect("welcome")
        assert welcome["seat_id"] == seat_id
        if ready:
            await client.send({"type": "set_state", "state": "ready"})
            await client.expect("seat_state", state="ready")
        return client

    async def precheck(
        self, business_type: str = "password_reset", key: str | None = None, **kw: Any
    ) -> dict[str, Any]:
        """Upload a demo customer's ID-card photos to the pre-check (default: one who passes everything)."""
        return await precheck_demo_customer(self.http, business_type, key, **kw)

    async def ticket(
        self, business_type: str = "password_reset", name: str = "", key: str | None = None
    ) -> dict[str, Any]:
        """Pass the pre-check with a demo customer's card, then take a ticket (``name`` is sent and ignored)."""
        result = await self.precheck(business_type, key)
        assert result["passed"], result
        res = await self.http.post(
            "/api/customer/tickets",
            json={"business_type": business_type, "customer_name": name, "precheck_id": result["precheck_id"]},
        )
        assert res.status_code == 201, res.text
        return dict(res.json())

    async def customer(self, business_type: str = "password_reset", name: str = "") -> tuple[WsClient, str]:
        """Take a ticket and connect the customer's WebSocket; returns the client and the session id."""
        ticket = await self.ticket(business_type, name)
        client = await self.open_ws(ticket["websocket_path"])
        return client, str(ticket["session_id"])

    async def auth_headers(self, seat_id: str = "seat-a") -> dict[str, str]:
        return {"Authorization": f"Bearer {await self.login(seat_id)}"}

    async def record(self, session_id: str) -> dict[str, Any]:
        """The session record, read as an auditor (a teller may read only the calls it handled)."""
        res = await self.http.get(f"/api/sessions/{session_id}", headers=await self.auth_headers("audit"))
        assert res.status_code == 200, res.text
        return dict(res.json())


async def wait_for(condition: Callable[[], bool], timeout: float = WAIT_S) -> None:
    """Wait until a condition holds (checked on every loop turn), or fail."""
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)


async def start_server(settings: Settings, clock: Clock | None = None) -> LiveServer:
    """Start uvicorn with the app inside the current event loop."""
    app = create_app(settings, clock=clock) if clock else create_app(settings)
    server = uvicorn.Server(uvicorn_config(settings, app, port=0, log_level="warning"))
    task = asyncio.create_task(server.serve())
    await wait_for(lambda: server.started or task.done(), timeout=15)
    if task.done():
        task.result()
        raise RuntimeError("server stopped during start")
    port = server.servers[0].sockets[0].getsockname()[1]
    http = httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30.0)
    return LiveServer(settings, app, server, task, port, http)


async def stop_server(live: LiveServer) -> None:
    for client in live.clients:
        await client.ws.close()
    await live.http.aclose()
    live.server.should_exit = True
    await asyncio.wait_for(live.task, 15)


ServerFactory = Callable[..., Awaitable[LiveServer]]


@pytest.fixture
async def server_factory(tmp_path: Path) -> AsyncIterator[ServerFactory]:
    """Start servers over ``tmp_path`` (the same data dir each time, so a restart keeps the database)."""
    running: list[LiveServer] = []

    async def factory(data_dir: Path | None = None, clock: Clock | None = None, **overrides: Any) -> LiveServer:
        live = await start_server(make_settings(data_dir or tmp_path, **overrides), clock)
        running.append(live)
        return live

    yield factory
    for live in running:
        if not live.task.done():
            await stop_server(live)


class ManualClock:
    """A clock that moves only when told (for token expiry); timers still use the event loop's own time."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
async def live(server_factory: ServerFactory) -> LiveServer:
    """One running server with default test settings."""
    return await server_factory()
