"""Staged upgrades (灰度升级) seen from the workstation, against the real server with a version policy.

Seat ``1001`` is in the pilot group, which is recommended a newer client than this one: the teller is told, work
goes on. Seat ``1002`` is in a group whose minimum is above this client: the teller is told, and 示闲/接听 are refused
by the controller (and, if a client skipped that check, by the server).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from pytestqt.qtbot import QtBot

from seat_client import __version__
from seat_client.app import build_seat_app
from seat_client.controller import SeatController
from seat_client.settings import SeatSettings
from seat_client.upgrade import UpgradeStatus
from server.runner import ServerThread
from server.settings import SeedSeat, Settings
from server.versions import GroupPolicy, VersionPolicy
from tests.seat_client.conftest import run_async, wait_until
from wire import CallOffered, SeatSetState, SeatState

NEWER = "9.9.0"
assert __version__ != NEWER


@pytest.fixture(scope="module")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    settings = Settings(
        dev_mode=True,
        data_dir=tmp_path_factory.mktemp("upgrade-server"),
        port=0,
        log_level="warning",
        password_hash_profile="dev_fast",
        dev_seed_seats=[
            SeedSeat(seat_id="1001", display_name="试点柜员", password="pw-1001"),
            SeedSeat(seat_id="1002", display_name="旧版柜员", password="pw-1002"),
        ],
        client_versions=VersionPolicy(
            default=GroupPolicy(recommended=__version__, minimum=__version__),
            groups={"pilot": GroupPolicy(recommended=NEWER), "locked": GroupPolicy(recommended=NEWER, minimum=NEWER)},
            seat_groups={"1001": "pilot", "1002": "locked"},
        ),
    )
    with ServerThread(settings) as server:
        yield server.base_url


def _settings(server_url: str, seat_id: str) -> SeatSettings:
    return SeatSettings(
        server_url=server_url,
        seat_id=seat_id,
        camera="fake-pattern",
        microphone="none",
        ice_bind_addresses=["127.0.0.1"],
    )


def test_upgrade_notice_is_shown_and_work_goes_on(
    server_url: str, qtbot: QtBot, qasync_loop: asyncio.AbstractEventLoop
) -> None:
    seat = build_seat_app(_settings(server_url, "1001"))
    qtbot.addWidget(seat.window)
    qtbot.addWidget(seat.login_dialog)
    controller = seat.controller
    messages: list[str] = []
    controller.message.connect(messages.append)

    async def scenario() -> None:
        try:
            assert await seat.start("pw-1001")
            assert controller.upgrade is not None
            assert controller.upgrade.status == UpgradeStatus.UPGRADE_AVAILABLE
            assert controller.upgrade.recommended == NEWER
            notice = controller.upgrade.notice
            assert notice is not None and NEWER in notice and "新版本" in notice
            assert notice in messages
            assert seat.window.statusBar().currentMessage() == notice  # what the teller sees
            await wait_until(lambda: controller.seat_state == "not_ready", message="welcome")
            seat.window.state_panel.ready_button.click()
            await wait_until(lambda: controller.seat_state == "ready", message="an upgrade notice does not block")
        finally:
            await seat.close()

    run_async(qasync_loop, scenario())


def test_below_minimum_the_controller_refuses_ready_and_answer(
    server_url: str, qtbot: QtBot, qasync_loop: asyncio.AbstractEventLoop
) -> None:
    seat = build_seat_app(_settings(server_url, "1002"))
    qtbot.addWidget(seat.window)
    qtbot.addWidget(seat.login_dialog)
    controller: SeatController = seat.controller
    messages: list[str] = []
    controller.message.connect(messages.append)
    sent: list[object] = []

    async def scenario() -> None:
        try:
            assert await seat.start("pw-1002")  # an outdated client still signs in: the teller must read why
            check = controller.upgrade
            assert check is not None and check.status == UpgradeStatus.BELOW_MINIMUM and not check.may_start_call
            assert check.notice is not None and f"低于最低要求 {NEWER}" in check.notice
            assert messages[0] == check.notice
            assert seat.window.statusBar().currentMessage() == check.notice
            await wait_until(lambda: controller.seat_state == "not_ready", message="welcome")
            connection = controller.connection
            assert connection is not None
            original_send = connection.send

            async def spy(message: object) -> None:
                sent.append(message)
                await original_send(message)  # type: ignore[arg-type]

            connection.send = spy  # type: ignore[method-assign]
            messages.clear()
            seat.window.state_panel.ready_button.click()
            await wait_until(lambda: bool(messages), message="refusal shown")
            assert "不能接听" in messages[0]
            assert not sent  # refused here, nothing went to the server
            assert controller.seat_state == "not_ready"

            # 接听 is refused the same way (an outdated seat is never offered a call by the server; this is the
            # controller's own guard).
            controller.offered = CallOffered(
                session_id="s" * 16,
                business_type="password_reset",
                business_label="密码重置",
                customer_name="李*华",
                queued_at=datetime.now(UTC),
                ring_timeout_s=10,
            )
            messages.clear()
            await controller.answer()
            assert messages and "不能接听" in messages[0]
            assert not sent
            controller.offered = None

            # A client that skipped its own check is refused by the server (client_outdated), in Chinese.
            messages.clear()
            await original_send(SeatSetState(state=SeatState.READY))
            await wait_until(lambda: bool(messages), message="server refusal")
            assert "低于最低要求" in messages[0]
            assert controller.seat_state == "not_ready"
        finally:
            await seat.close()

    run_async(qasync_loop, scenario())
