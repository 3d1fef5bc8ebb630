"""Connects a :class:`WorkstationService` to the main window's panels (one place, so both stay ignorant of each
other): state aspects to panel redraws, panel requests to service slots, focus, tray notifications."""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QSettings, Slot
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QSystemTrayIcon

from seat_client.i18n import DEFAULT_LANGUAGE, translate_text
from seat_client.resources import resource_path
from seat_client.settings import SettingsError, load_settings, save_settings
from seat_client.views.main_window import MainWindow
from seat_client.views.settings_dialog import SettingsDialog
from seat_client.workstation.diagnostics import current_log_file, diagnostics_text
from seat_client.workstation.face_monitor import LiveFaceStatus
from seat_client.workstation.ringer import RingSound
from seat_client.workstation.service import WorkstationService
from seat_client.workstation.state import Phase, WorkstationState, live_face_text

logger = logging.getLogger(__name__)


def saved_language(settings_path: Path | None) -> str:
    """The UI language chosen in 设置 (``layout.ini`` next to ``seat.json``), else Chinese."""
    if settings_path is None:
        return DEFAULT_LANGUAGE
    store = QSettings(str(settings_path.with_name("layout.ini")), QSettings.Format.IniFormat)
    return str(store.value("ui/language", DEFAULT_LANGUAGE))


def show_state_everywhere(window: MainWindow, state: WorkstationState) -> None:
    """Redraw every workstation panel from ``state`` and bring the current step's panel forward."""
    w = window
    for panel in (
        w.customer_panel,
        w.verification_panel,
        w.business_panel,
        w.signature_panel,
        w.snapshot_strip,
        w.script_panel,
        w.wrap_up_panel,
        w.timeline_panel,
    ):
        panel.show_state(state)
    w.focus_panel(state.focus_panel)
    w.set_recording(state.recording)
    show_live_face(w, state)


def show_live_face(window: MainWindow, state: WorkstationState) -> None:
    """The live face monitor's badge on the customer's video (green match, red warning, grey otherwise)."""
    view = state.live_face
    level = "info"
    if view is not None and view.warning:
        level = "warning"
    elif view is not None and view.status == LiveFaceStatus.MATCH:
        level = "ok"
    window.remote_tile.set_badge(translate_text(live_face_text(view)), level)


class WorkstationBinder(QObject):
    """Keeps the window's workstation panels in step with the service."""

    def __init__(self, service: WorkstationService, window: MainWindow, *, settings_path: Path | None = None) -> None:
        super().__init__(service)
        self.service = service
        self.window = window
        self.settings_path = settings_path
        self.settings_dialog: SettingsDialog | None = None
        w = window
        self._panels = {
            "call": (w.customer_panel, w.business_panel, w.signature_panel, w.snapshot_strip, w.verification_panel),
            "phase": (
                w.customer_panel,
                w.verification_panel,
                w.business_panel,
                w.signature_panel,
                w.snapshot_strip,
                w.script_panel,
                w.wrap_up_panel,
            ),
            "gates": (w.verification_panel,),
            "business": (w.business_panel,),
            "script": (w.script_panel,),
            "snapshots": (w.snapshot_strip,),
            "signature": (w.signature_panel,),
            "timeline": (w.timeline_panel,),
            "wrap_up": (w.wrap_up_panel,),
        }
        self.ring = RingSound(self, enabled=service.controller.settings.ring_sound)
        service.changed.connect(self._changed)
        service.changed.connect(self._ring_with_phase)
        w.call_panel.answerRequested.connect(self._silence)  # at the click, before the server confirms
        w.call_panel.declineRequested.connect(self._silence)
        service.controller.statsUpdated.connect(self._call_stats)
        service.focusChanged.connect(w.focus_panel)
        service.qualityChanged.connect(w.set_quality)
        service.networkPhotoReady.connect(w.verification_panel.set_network_photo)
        service.signatureRequested.connect(w.signature_panel.set_requested)
        service.transferQueuesChanged.connect(w.call_panel.set_transfer_queues)
        service.message.connect(w.show_message)
        service.notify.connect(self._notify)
        service.controller.recordingChanged.connect(self._recording)
        w.snapshot_strip.captureRequested.connect(service.capture_snapshot)
        w.snapshot_strip.useForFaceRequested.connect(service.use_for_face)
        w.script_panel.nextStepRequested.connect(service.next_step)
        w.script_panel.stepSelected.connect(service.go_to_step)
        w.verification_panel.gateActionRequested.connect(service.gate_action)
        w.verification_panel.questionMarked.connect(service.answer_question)
        w.signature_panel.requestRequested.connect(service.request_signature)
        w.signature_panel.acceptRequested.connect(service.accept_signature)
        w.signature_panel.rejectRequested.connect(service.reject_signature)
        w.business_panel.submitRequested.connect(service.submit_business)
        w.wrap_up_panel.finishRequested.connect(service.finish_wrap_up)
        w.wrap_up_panel.notesEdited.connect(service.set_wrap_up_draft)
        w.diagnostics_action.triggered.connect(self.copy_diagnostics)
        w.settings_action.triggered.connect(self.open_settings)
        w.recordings_action.triggered.connect(self.open_recordings)
        self.recordings_dialog: Any = None
        self.tray: QSystemTrayIcon | None = None
        if QSystemTrayIcon.isSystemTrayAvailable():
            self.tray = QSystemTrayIcon(QIcon(str(resource_path("icons", "videoteller.svg"))), w)
            self.tray.setToolTip(self.tr("VideoTeller 坐席工作台"))
            self.tray.show()
        for aspect in self._panels:
            self._changed(aspect)
        # The service and the controller outlive the window (a test's widgets, a window closed before sign-out):
        # once the window is gone nothing of it may be touched again.
        w.destroyed.connect(self._unbind)

    @Slot()
    def _unbind(self) -> None:
        self._panels = {}
        controller = self.service.controller
        for signal, slot in (
            (self.service.changed, self._changed),
            (self.service.changed, self._ring_with_phase),
            (self.service.notify, self._notify),
            (controller.statsUpdated, self._call_stats),
            (controller.recordingChanged, self._recording),
        ):
            with contextlib.suppress(RuntimeError, TypeError):  # already disconnected, or the sender is gone too
                signal.disconnect(slot)
        self.ring.stop()

    @Slot(str)
    def _changed(self, aspect: str) -> None:
        if aspect == "live_face":
            self._live_face()
            return
        for panel in self._panels.get(aspect, ()):
            panel.show_state(self.service.state)

    def _live_face(self) -> None:
        if self._panels:  # else the window is gone
            show_live_face(self.window, self.service.state)

    @Slot(str)
    def _ring_with_phase(self, aspect: str) -> None:
        """Ring while the call is offered; answer, decline, withdrawal and timeout all leave the ringing phase."""
        if aspect == "phase":
            if self.service.state.phase == Phase.RINGING:
                self.ring.start()
            else:
                self.ring.stop()

    @Slot()
    def _silence(self) -> None:
        self.ring.stop()

    @Slot(object)
    def _call_stats(self, stats: Any) -> None:
        """The call panel's link-quality lines, in the UI language."""
        if getattr(stats, "loss_percent", None) is None:
            return
        rtt = f"{stats.rtt_ms:.0f} ms" if getattr(stats, "rtt_ms", None) is not None else "-"
        fps = f"{stats.recv_fps:.0f}" if getattr(stats, "recv_fps", None) is not None else "-"
        self.window.call_panel.show_stats(
            self.tr("往返时延 {rtt} · 丢包 {loss:.1f}%\n接收 {kbps:.0f} kbps · {fps} 帧/秒").format(
                rtt=rtt, loss=stats.loss_percent, kbps=stats.recv_kbps, fps=fps
            )
        )

    @Slot()
    def open_recordings(self) -> Any:
        """The 录像查询 dialog (search, playback, trail); only when signed in, opened with ``open()``."""
        from seat_client.recordings_service import recordings_dialog_for

        try:
            dialog, _service = recordings_dialog_for(self.service.controller, self.window)
        except RuntimeError:
            self._notify(self.tr("录像查询"), self.tr("请先签入后再查询录像"))
            return None
        self.recordings_dialog = dialog
        dialog.open()
        return dialog

    @Slot()
    def open_settings(self) -> SettingsDialog:
        """The 设置 dialog (opened with ``open()``, never ``exec()``)."""
        settings = self.service.controller.settings
        values = {
            "server_url": settings.server_url,
            "camera": settings.camera,
            "camera_fps": settings.camera_fps,
            "microphone": settings.microphone,
            "language": saved_language(self.settings_path),
            "ring_sound": settings.ring_sound,
        }
        dialog = SettingsDialog(values, self.window)
        dialog.speakerTestRequested.connect(lambda: dialog.show_speaker_result(self.service.test_speaker()))
        dialog.settingsAccepted.connect(self._save_settings)
        self.settings_dialog = dialog
        dialog.open()
        return dialog

    @Slot(dict)
    def _save_settings(self, values: dict[str, Any]) -> None:
        settings = self.service.controller.settings
        settings.server_url, settings.camera, settings.microphone = (
            values["server_url"],
            values["camera"],
            values["microphone"],
        )
        settings.camera_fps = int(values.get("camera_fps", settings.camera_fps))
        settings.ring_sound = bool(values.get("ring_sound", True))
        self.ring.set_enabled(settings.ring_sound)  # the ring applies at once
        if self.settings_path is None:
            self.window.show_message(self.tr("设置已应用(本次运行)"))
            return
        try:
            stored = load_settings(self.settings_path, environ={})
            stored.server_url, stored.camera, stored.microphone, stored.ring_sound = (
                settings.server_url,
                settings.camera,
                settings.microphone,
                settings.ring_sound,
            )
            stored.camera_fps = settings.camera_fps
            save_settings(stored, self.settings_path)
        except (OSError, SettingsError) as exc:
            logger.warning("could not save settings: %s", exc)
            self.window.show_message(self.tr("设置保存失败"))
            return
        store = QSettings(str(self.settings_path.with_name("layout.ini")), QSettings.Format.IniFormat)
        store.setValue("ui/language", values["language"])
        store.sync()
        self.window.show_message(self.tr("设置已保存:服务器与设备在下次签入时生效,界面语言在重新启动后生效"))

    @Slot()
    def copy_diagnostics(self) -> str:
        """Put versions, counters, the call's state (masked) and the log tail on the clipboard; returns the text."""
        state = self.service.state
        summary = {
            "phase": state.phase,
            "session_id": state.call.session_id if state.call else None,
            "gates": {g.gate: g.status for g in state.gates},
            "snapshots": len(state.snapshots),
            "signature": state.signature.state,
            "timeline_events": len(state.timeline),
        }
        text = diagnostics_text(
            self.service.controller.snapshot(),
            summary,
            current_log_file(),
            title=self.tr("VideoTeller 坐席工作台 诊断信息"),
        )
        QApplication.clipboard().setText(text)
        self.window.show_message(self.tr("诊断信息已复制到剪贴板"))
        return text

    @Slot(bool)
    def _recording(self, on: bool) -> None:
        self.service.state.set_recording(on)
        self.window.set_recording(on)

    @Slot(str, str)
    def _notify(self, title: str, text: str) -> None:
        """A tray notification when the window is not in front (the ring itself is :attr:`ring`)."""
        if self.tray is not None and not self.window.isActiveWindow():
            self.tray.showMessage(title, text, QSystemTrayIcon.MessageIcon.Information, 10000)
