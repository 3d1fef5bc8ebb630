"""转接 from the seat client against the real server: seat A (``demo``) in a call transfers the customer to seat B
by 工号; a transfer to an offline seat is refused with the server's Chinese reason and the call goes on."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QMetaMethod
from pytestqt.qtbot import QtBot

from seat_client.app import SeatApp, build_seat_app
from seat_client.settings import SeatSettings
from tests.seat_client.conftest import ROOT, run_async, wait_until
from tests.seat_client.customer_sim import SimulatedCustomer
from tests.server_process import server_process

SEAT_B = "teller_b"
SEAT_B_NAME = "坐席乙"
SEAT_B_PASSWORD = "teller-b-123"
SERVER = [sys.executable, "-m", "server", "--dev"]


@pytest.fixture(scope="module")
def two_seat_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real server (dev mode: ``demo``/``demo123``) with a second seat account ``teller_b``."""
    data_dir = tmp_path_factory.mktemp("transfer-server")
    subprocess.run(
        [*SERVER, "--data-dir", str(data_dir), "add-seat", SEAT_B, "--name", SEAT_B_NAME],
        cwd=ROOT,
        input=SEAT_B_PASSWORD + "\n",
        text=True,
        check=True,
        capture_output=True,
        timeout=60,
    )
    with server_process(data_dir, data_dir.parent / f"{data_dir.name}.log") as (url, _proc):
        yield url


def _seat(url: str, seat_id: str, spool: Path, qtbot: QtBot) -> SeatApp:
    settings = SeatSettings(
        server_url=url,
        seat_id=seat_id,
        camera="fake-pattern",
        microphone="fake-tone",
        ice_bind_addresses=["127.0.0.1"],
        recording_spool_dir=str(spool),
    )
    seat = build_seat_app(settings)
    qtbot.addWidget(seat.window)
    qtbot.addWidget(seat.login_dialog)
    panel, controller = seat.window.call_panel, seat.controller
    if not panel.isSignalConnected(QMetaMethod.fromSignal(panel.transferRequested)):
        panel.transferRequested.connect(controller.transfer)  # as the app's binder does
    return seat


def _transfer_by_seat_id(seat: SeatApp, seat_id: str) -> None:
    """The teller clicks 转接, picks 转至指定坐席, types the 工号 and clicks 确定."""
    panel = seat.window.call_panel
    assert panel.transfer_button.isEnabled()
    panel.transfer_button.click()
    dialog = panel.transfer_dialog
    assert dialog is not None and dialog.isVisible()
    # the server's queues (resources/routing/queues.toml), read at sign-in, are offered as a list
    assert dialog.has_queue_list and not dialog.queue_edit.isVisibleTo(dialog)
    assert [dialog.queue_combo.itemData(i) for i in range(dialog.queue_combo.count())] == [
        "retail",
        "corporate",
        "general",
    ]
    assert dialog.queue_combo.itemText(0) == "个人业务 (retail)"
    dialog.to_seat.click()
    assert not dialog.ok_button.isEnabled()  # nothing typed yet
    dialog.seat_edit.setText(seat_id)
    assert dialog.ok_button.isEnabled()
    dialog.ok_button.click()
    assert not dialog.isVisible()


def test_transfer_to_named_seat_and_refusal_for_offline_seat(  # type: ignore[no-untyped-def]
    qtbot: QtBot, qasync_loop, two_seat_server: str, tmp_path: Path
) -> None:
    seat_a = _seat(two_seat_server, "demo", tmp_path / "spool-a", qtbot)
    seat_b = _seat(two_seat_server, SEAT_B, tmp_path / "spool-b", qtbot)
    a, b = seat_a.controller, seat_b.controller
    panel_a, panel_b = seat_a.window.call_panel, seat_b.window.call_panel
    customer = SimulatedCustomer(two_seat_server, "password_reset", "张三")
    recording: list[bool] = []
    a.recordingChanged.connect(recording.append)
    refusals: list[str] = []
    a.transferFailed.connect(refusals.append)

    async def scenario() -> None:
        assert await seat_a.start("demo123")
        assert await seat_b.start(SEAT_B_PASSWORD)
        await wait_until(lambda: a.seat_state != "offline" and b.seat_state != "offline", message="both welcomed")
        assert not panel_a.transfer_button.isEnabled()  # idle: nothing to transfer
        seat_a.window.state_panel.ready_button.click()
        await wait_until(lambda: a.seat_state == "ready", message="A ready")
        await customer.start()
        await wait_until(lambda: panel_a.page == "ringing", message="A rings")
        panel_a.answer_button.click()
        await wait_until(lambda: panel_a.page == "in_call", message="A in call")
        await wait_until(lambda: a.remote_pump.counters.drawn >= 5, timeout=30, message="customer video at A")
        await wait_until(lambda: recording == [True], message="双录 running")

        # an offline 工号: refused with the server's Chinese reason; the call goes on
        _transfer_by_seat_id(seat_a, "nobody_here")
        await wait_until(lambda: bool(refusals), message="refusal")
        assert "未签入" in refusals[0] and "nobody_here" in refusals[0]
        assert "未签入" in seat_a.window.statusBar().currentMessage()
        assert a.session is not None and panel_a.page == "in_call" and a.transfer_pending is None
        drawn = a.remote_pump.counters.drawn
        await wait_until(lambda: a.remote_pump.counters.drawn >= drawn + 5, message="media still flows")
        assert recording == [True]

        # B signs ready; A transfers to B by 工号
        seat_b.window.state_panel.ready_button.click()
        await wait_until(lambda: b.seat_state == "ready", message="B ready")
        _transfer_by_seat_id(seat_a, SEAT_B)
        await wait_until(lambda: panel_a.page == "idle", message="A back to idle")
        text = panel_a.idle_label.text()
        assert "已转接至" in text and SEAT_B_NAME in text, text
        assert a.session is None and a.transfer_pending is None
        assert not seat_a.window.remote_tile.has_image
        assert recording == [True, False]  # 双录 stopped the normal way
        assert not panel_a.transfer_button.isEnabled()
        await wait_until(lambda: a.seat_state == "wrap_up", message="A in wrap-up")

        await wait_until(lambda: panel_b.page == "ringing", message="B is offered the call")
        assert b.offered is not None and b.offered.offer_kind == "transfer"
        assert b.offered.session_id == customer.session_id
        assert "密码重置" in panel_b.ring_business.text()

        await customer.close()
        await wait_until(lambda: panel_b.page == "idle", message="B's offer withdrawn")
        await seat_a.close()
        await seat_b.close()

    try:
        run_async(qasync_loop, scenario(), timeout=120)
    finally:
        run_async(qasync_loop, customer.close())
