"""The workstation service outlives its window: once the window is destroyed, its panels are never touched again."""

from __future__ import annotations

import shiboken6
from pytestqt.qtbot import QtBot

from seat_client.app import build_seat_app
from seat_client.settings import SeatSettings
from tests.seat_client.conftest import run_async


def test_service_updates_after_the_window_is_destroyed_touch_nothing(qtbot: QtBot, qasync_loop) -> None:  # type: ignore[no-untyped-def]
    seat = build_seat_app(SeatSettings(server_url="http://127.0.0.1:9", seat_id="T001", camera="fake-pattern"))
    qtbot.addWidget(seat.login_dialog)
    service = seat.workstation
    assert service is not None
    panel = seat.window.timeline_panel
    shiboken6.delete(seat.window)  # the C++ window and every panel in it are gone now
    assert not shiboken6.isValid(panel)
    # Before the fix each of these raised "Internal C++ object already deleted" inside a Qt slot, which pytest-qt
    # reports as an error of whichever test runs next.
    with qtbot.captureExceptions() as exceptions:
        for aspect in ("call", "phase", "gates", "business", "script", "snapshots", "signature", "timeline", "wrap_up"):
            service.changed.emit(aspect)
        seat.controller.recordingChanged.emit(True)
        service.notify.emit("标题", "内容")
    assert exceptions == []
    run_async(qasync_loop, seat.controller.shutdown())
