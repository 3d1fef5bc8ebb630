"""ServerThread: the real server on a background thread, as other packages' tests and tools start it."""

from __future__ import annotations

from pathlib import Path

import httpx

from server.runner import ServerThread
from tests.server.conftest import make_settings


def test_server_thread_serves_and_stops(tmp_path: Path) -> None:
    with ServerThread(make_settings(tmp_path)) as server:
        assert server.port > 0
        assert server.ws_url == f"ws://127.0.0.1:{server.port}"
        health = httpx.get(server.base_url + "/healthz", timeout=5)
        assert health.status_code == 200 and health.json()["db"] == "ok"
        login = httpx.post(
            server.base_url + "/api/auth/login", json={"seat_id": "seat-a", "password": "pw-a-123"}, timeout=5
        )
        assert login.status_code == 200
    assert not server.server.started or server.server.should_exit
    assert (tmp_path / "videoteller.db").exists()
