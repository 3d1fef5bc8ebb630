"""The 工作台 menu opens 录像查询 for a signed-in teller, and says why not before sign-in."""

from __future__ import annotations

from PySide6.QtWidgets import QMenu
from pytestqt.qtbot import QtBot

from seat_client.app import build_seat_app
from seat_client.settings import SeatSettings
from seat_client.workstation.binding import WorkstationBinder
from tests.seat_client.conftest import run_async


def _binder(seat) -> WorkstationBinder:  # type: ignore[no-untyped-def]
    binder = seat.workstation.findChild(WorkstationBinder)
    assert binder is not None
    return binder


def test_menu_has_the_action_and_refuses_before_sign_in(qtbot: QtBot, qasync_loop) -> None:  # type: ignore[no-untyped-def]
    seat = build_seat_app(SeatSettings(server_url="http://127.0.0.1:9", seat_id="T001", camera="fake-pattern"))
    qtbot.addWidget(seat.window)
    qtbot.addWidget(seat.login_dialog)
    menu = seat.window.menuBar().actions()[0].menu()
    assert isinstance(menu, QMenu)
    menu_texts = [a.text() for a in menu.actions()]
    assert "录像查询…" in menu_texts
    assert _binder(seat).open_recordings() is None
    run_async(qasync_loop, seat.controller.shutdown())


def test_signed_in_teller_gets_the_dialog(qtbot: QtBot, qasync_loop, live_server: str) -> None:  # type: ignore[no-untyped-def]
    settings = SeatSettings(server_url=live_server, seat_id="demo", camera="fake-pattern", microphone="fake-tone")
    seat = build_seat_app(settings)
    qtbot.addWidget(seat.window)
    qtbot.addWidget(seat.login_dialog)

    async def scenario() -> None:
        # all on the running loop, as in the program: the seat's background tasks (uploader…) never step outside it
        assert await seat.start("demo123")
        seat.window.recordings_action.trigger()
        dialog = _binder(seat).recordings_dialog
        assert dialog is not None
        qtbot.addWidget(dialog)
        assert dialog.isVisible()
        await seat.close()

    run_async(qasync_loop, scenario())
