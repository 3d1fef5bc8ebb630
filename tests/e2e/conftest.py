"""Whole-system fixtures: the real server in its own process, the seat client in-process (offscreen Qt on a qasync
loop) and headless Chromium as the customer."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import time
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
T = TypeVar("T")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything here is an end-to-end run."""
    for item in items:
        if "tests/e2e/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.e2e)


@dataclass
class LiveServer:
    """A running ``python -m server --dev`` process."""

    url: str
    data_dir: Path
    process: subprocess.Popen[bytes]

    def seat_token(self, seat_id: str = "demo", password: str = "demo123") -> str:
        """Log a seat in over HTTP and return its bearer token (for reading session records)."""
        response = httpx.post(f"{self.url}/api/auth/login", json={"seat_id": seat_id, "password": password})
        response.raise_for_status()
        return str(response.json()["token"])

    def session_record(self, session_id: str) -> dict[str, Any]:
        """The persisted session record, as a seat sees it through the API."""
        headers = {"Authorization": f"Bearer {self.seat_token()}"}
        response = httpx.get(f"{self.url}/api/sessions/{session_id}", headers=headers)
        response.raise_for_status()
        return dict(response.json())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    """The coordination server in dev mode (seat ``demo``/``demo123``) on a free port, with a fresh database."""
    data_dir = tmp_path / "server-data"
    port = _free_port()
    log_path = tmp_path / "server.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "server", "--dev", "--port", str(port), "--data-dir", str(data_dir)],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("server did not start: " + log_path.read_text(errors="replace")[-2000:])
                time.sleep(0.1)  # readiness poll of a child process
            yield LiveServer(url, data_dir, proc)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


@pytest.fixture
def qasync_loop(qapp):  # type: ignore[no-untyped-def]
    """A qasync event loop on the test's QApplication, the same kind the seat client runs on."""
    from seat_client.qt_workarounds import new_event_loop

    loop = new_event_loop(qapp)
    asyncio.set_event_loop(loop)
    try:
        yield loop
    finally:
        pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
        for task in pending:
            task.cancel()
        if pending:
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        asyncio.set_event_loop(None)
        loop.close()


def run_async(loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, T], timeout: float = 120.0) -> T:
    """Run ``coro`` on the qasync loop; Qt events are processed meanwhile."""
    return loop.run_until_complete(asyncio.wait_for(coro, timeout))


async def wait_until(predicate: Any, timeout: float = 30.0, message: str = "") -> None:
    """Poll ``predicate`` on the loop until it is true; fail the test after ``timeout`` seconds."""
    try:
        async with asyncio.timeout(timeout):
            while not predicate():
                await asyncio.sleep(0.02)
    except TimeoutError:
        pytest.fail(f"condition not met within {timeout}s: {message or predicate}")


@pytest.fixture(autouse=True)
def _user_dirs_in_tmp(platformdirs_isolated: Path) -> Path:
    """The seat client's per-user directories (settings, 双录 spool) live under the test's tmp_path."""
    return platformdirs_isolated
