"""Builds the seat workstation (views + controller) for ``python -m seat_client`` and for in-process tests."""

from __future__ import annotations

import asyncio
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QObject, QSettings, Slot

from seat_client.controller import SeatController
from seat_client.gc_guard import install_main_thread_gc
from seat_client.i18n import install_translator
from seat_client.screenshots import ScreenshotRecorder
from seat_client.settings import SeatSettings, SettingsError, load_settings, save_settings
from seat_client.views.login_dialog import LoginDialog
from seat_client.views.main_window import MainWindow
from seat_client.workstation.binding import WorkstationBinder, saved_language
from seat_client.workstation.service import WorkstationService

logger = logging.getLogger(__name__)


@dataclass
class SeatApp:
    """The assembled workstation.

    Attributes:
        controller: the SeatController (``controller.remote_pump.counters`` for frame counts).
        window: the MainWindow.
        login_dialog: the LoginDialog (shown with ``open()`` when no password was given).
        screenshots: the recorder when a screenshot directory was given.
    """

    controller: SeatController
    window: MainWindow
    login_dialog: LoginDialog
    screenshots: ScreenshotRecorder | None
    _binder: QObject
    LOGIN_RETRY_MAX_S = 15.0
    """Longest pause between auto-login attempts while the server is unreachable."""
    settings_path: Path | None = None
    workstation: WorkstationService | None = None
    """The workstation panels' service (话术, 抓拍, 签名, gates, business)."""
    """Where a successful sign-in from the dialog remembers the server URL and 工号 (None: not saved)."""

    async def start(self, password: str | None = None, *, retry_unreachable: bool = True) -> bool:
        """Sign in with ``password`` if given (auto-login), else open the login dialog; returns True if signed in.

        A seat PC often boots before the server is back (power cut, server restart): while the server is unreachable
        auto-login keeps trying, backing off to every :attr:`LOGIN_RETRY_MAX_S` seconds, with the login dialog open
        and saying so. It stops on any other failure (wrong password…), or once the teller signs in from the dialog.
        """
        if password is None:
            self.login_dialog.open()
            return False
        settings = self.controller.settings
        teller_took_over = False

        def took_over(*_args: object) -> None:
            nonlocal teller_took_over
            teller_took_over = True

        self.login_dialog.loginRequested.connect(took_over)
        try:
            delay = 1.0
            while True:
                if await self.controller.login(settings.server_url, settings.seat_id, password):
                    return True
                if not retry_unreachable or self.controller.last_login_error != "unreachable":
                    self.login_dialog.open()
                    return False
                self.login_dialog.open()
                self.login_dialog.show_error(f"无法连接服务器（{settings.server_url}），{delay:.0f} 秒后自动重试…")
                logger.info("server unreachable at sign-in; retrying in %.0f s", delay)
                await asyncio.sleep(delay)
                if teller_took_over:  # the teller signs in from the dialog: theirs is the attempt that counts
                    return self.controller.connection is not None
                delay = min(delay * 2, self.LOGIN_RETRY_MAX_S)
        finally:
            self.login_dialog.loginRequested.disconnect(took_over)

    def remember_login(self) -> None:
        """Persist the server URL and 工号 the teller just signed in with (never the password)."""
        if self.settings_path is None:
            return
        current = self.controller.settings
        try:
            # only these two fields: command-line and env overrides in ``current`` must not become permanent
            stored = load_settings(self.settings_path, environ={})
            stored.server_url, stored.seat_id = current.server_url, current.seat_id
            save_settings(stored, self.settings_path)
        except (OSError, SettingsError):
            logger.warning("could not save settings to %s", self.settings_path, exc_info=True)

    async def close(self) -> None:
        """Sign out and close the window."""
        if self.screenshots is not None:
            self.screenshots.stop()
        if self.workstation is not None:
            await self.workstation.aclose()
        await self.controller.shutdown()
        self.window.hide()


class _Binder(QObject):
    """Connects controller signals to the views (kept in one place so both stay ignorant of each other)."""

    def __init__(
        self, controller: SeatController, window: MainWindow, dialog: LoginDialog, shots: ScreenshotRecorder | None
    ) -> None:
        super().__init__(controller)
        self.controller = controller
        self.window = window
        self.dialog = dialog
        self.shots = shots
        window.remote_tile.bind(controller.remote_pump)
        window.local_tile.bind(controller.local_pump)
        dialog.loginRequested.connect(controller.on_login_requested)
        controller.loginFailed.connect(dialog.show_error)
        controller.loginSucceeded.connect(self._logged_in)
        controller.connectionChanged.connect(window.set_connection_status)
        controller.seatStateChanged.connect(self._state)
        controller.waitingChanged.connect(window.set_waiting)
        controller.callOffered.connect(self._offered)
        controller.callStarted.connect(self._started)
        controller.callEnded.connect(self._ended)
        controller.mediaConnected.connect(self._media)
        controller.message.connect(window.show_message)
        window.state_panel.readyRequested.connect(controller.set_ready)
        window.state_panel.notReadyRequested.connect(controller.set_not_ready)
        window.call_panel.answerRequested.connect(controller.answer)
        window.call_panel.declineRequested.connect(controller.decline)
        window.call_panel.hangupRequested.connect(controller.hangup)
        window.call_panel.transferRequested.connect(controller.transfer)

    def _shot(self, tag: str) -> None:
        if self.shots is not None:
            self.shots.capture_later(tag)

    @Slot(str, str)
    def _logged_in(self, seat_id: str, display_name: str) -> None:
        if self.dialog.isVisible():
            self.dialog.accept()  # signed in from the dialog (auto-login never opened it)
        self.window.set_seat_name(seat_id, display_name)
        self.window.show()
        self._shot("logged-in")

    @Slot(str, str)
    def _state(self, state: str, reason: str) -> None:
        self.window.set_seat_state(state, reason or None)
        self._shot(f"state-{state}")

    @Slot(str, str, float, float)
    def _offered(self, label: str, name: str, waited: float, ring_timeout_s: float) -> None:
        self.window.show_ringing(label, name, waited, ring_timeout_s)
        self._shot("ringing")

    @Slot(str, str)
    def _started(self, label: str, name: str) -> None:
        self.window.show_in_call(label, name)
        self._shot("in-call")

    @Slot()
    def _media(self) -> None:
        if self.shots is not None:
            self.shots.capture_later("media-connected", 2000)

    @Slot(str)
    def _ended(self, message: str) -> None:
        self._shot("call-ending")
        self.window.show_idle(message)
        self._shot("ended")


def build_seat_app(
    settings: SeatSettings,
    *,
    screenshot_dir: Path | None = None,
    exit_after_calls: int | None = None,
    screenshot_interval_ms: int = 5000,
    settings_path: Path | None = None,
) -> SeatApp:
    """Assemble the workstation; a QApplication and a running (or about to run) qasync loop must exist.

    Args:
        settings: effective settings (see :func:`seat_client.settings.load_settings`).
        screenshot_dir: save main-window PNGs there on state changes and every ``screenshot_interval_ms``.
        exit_after_calls: emit ``controller.exitRequested`` after this many completed calls.
        settings_path: remember server URL and 工号 there after a sign-in from the dialog.

    Returns:
        The SeatApp; ``await app.start(password)`` signs in.
    """
    install_main_thread_gc()
    install_translator(QCoreApplication.instance(), os.environ.get("VT_SEAT_LANGUAGE") or saved_language(settings_path))
    controller = SeatController(settings, exit_after_calls=exit_after_calls, settings_path=settings_path)
    window = MainWindow()
    dialog = LoginDialog(settings.server_url, settings.seat_id)
    shots = ScreenshotRecorder(window, screenshot_dir, screenshot_interval_ms) if screenshot_dir else None
    binder = _Binder(controller, window, dialog, shots)
    window.closing.connect(controller.request_shutdown)
    workstation = WorkstationService(controller)
    WorkstationBinder(workstation, window, settings_path=settings_path)
    if settings_path is not None:  # the real program: window layout remembered next to seat.json
        layout = QSettings(str(settings_path.with_name("layout.ini")), QSettings.Format.IniFormat)
        window.restore_layout(layout)
        window.closing.connect(lambda: window.save_layout(layout))
    seat = SeatApp(controller, window, dialog, shots, binder, settings_path, workstation)
    dialog.accepted.connect(seat.remember_login)
    return seat
