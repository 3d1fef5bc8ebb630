"""Fixtures for the seat client's tests: a qasync event loop, Qt-warning policy and a real server process."""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

# Re-exported: test modules import these helpers from their package's conftest.
from tests.qt_async import run_async as run_async
from tests.qt_async import wait_until as wait_until
from tests.server_process import server_process

if TYPE_CHECKING:
    from seat_client.settings import SeatSettings

ROOT = Path(__file__).resolve().parents[2]

# Qt messages that are environmental, not defects: Qt Multimedia probing for PipeWire on a machine without it,
# no PulseAudio server or audio device, and the offscreen platform plugin saying it cannot propagate size hints.
KNOWN_QT_NOISE = (
    r"symbolsresolver",
    r"pipewire",
    r"Couldn.t (load|resolve)",
    r"propagateSizeHints",
    r"PulseAudioService",
    r"No audio device detected",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Fail our Qt tests on unexpected Qt warnings (not the recording package's tests, which are not ours)."""
    for item in items:
        path = str(item.path)
        if "tests/seat_client" in path.replace(os.sep, "/") and "/recording/" not in path.replace(os.sep, "/"):
            item.add_marker(pytest.mark.qt_log_level_fail("WARNING"))
            item.add_marker(pytest.mark.qt_log_ignore(*KNOWN_QT_NOISE))


@pytest.fixture(autouse=True)
def _collect_garbage_on_main_thread() -> Iterator[None]:
    """A test's Qt objects in reference cycles are collected here, on the main thread, not later in a worker.

    ``build_seat_app`` moves collection to a main-thread timer for the process (as the real program wants); the
    previous setting is restored so test modules of other packages run as before.
    """
    was_enabled = gc.isenabled()
    yield
    gc.collect()
    if was_enabled:
        gc.enable()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real coordination server (``python -m server --dev``) on a free port; yields its base URL.

    Dev mode seeds the seat account ``demo`` / ``demo123``.
    """
    data_dir = tmp_path_factory.mktemp("server-data")
    with server_process(data_dir, data_dir.parent / f"{data_dir.name}.log") as (url, _proc):
        yield url


@pytest.fixture
def settings(live_server: str) -> SeatSettings:
    """Seat ``demo`` on the session's server, with the fake camera and microphone, ICE on loopback."""
    from seat_client.settings import SeatSettings

    return SeatSettings(
        server_url=live_server,
        seat_id="demo",
        camera="fake-pattern",
        microphone="fake-tone",
        ice_bind_addresses=["127.0.0.1"],
    )


async def sign_in_ready_and_ring(seat: Any, customer: Any) -> None:
    """Sign the seat in, press 示闲, let ``customer`` (a ``customer_sim`` customer) join, and wait for the ring."""
    window, controller = seat.window, seat.controller
    assert await seat.start("demo123")
    await wait_until(lambda: controller.seat_state != "offline", message="welcome")
    window.state_panel.ready_button.click()
    await wait_until(lambda: controller.seat_state == "ready", message="ready")
    await customer.start()
    await wait_until(lambda: window.call_panel.page == "ringing", message="ringing")


@pytest.fixture(autouse=True)
def _user_dirs_in_tmp(platformdirs_isolated: Path) -> Path:
    """The seat client's per-user directories (settings, 双录 spool) live under the test's tmp_path."""
    return platformdirs_isolated
