"""Whole-system fixtures: the real server in its own process, the seat client in-process (offscreen Qt on a qasync
loop) and headless Chromium as the customer."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

# Re-exported: test modules import these helpers from their package's conftest.
from tests.qt_async import run_async as run_async
from tests.qt_async import wait_until as wait_until
from tests.server_process import server_process

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


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    """The coordination server in dev mode (seat ``demo``/``demo123``) on a free port, with a fresh database."""
    data_dir = tmp_path / "server-data"
    with server_process(data_dir, tmp_path / "server.log") as (url, proc):
        yield LiveServer(url, data_dir, proc)
