"""The whole main window in English: no Chinese left in its labels, buttons, tab and group titles, menus, combo
items and placeholders in the idle, ringing, in-call and wrap-up states (teller-facing data excepted: customer and
teller names, 话术, ID-card values, accounts, server verdicts); and in Chinese by default, no English left."""

from __future__ import annotations

import re
from collections.abc import Iterator

import numpy as np
import pytest
from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractButton,
    QComboBox,
    QGroupBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QTableWidget,
    QTabWidget,
    QWidget,
)
from pytestqt.qtbot import QtBot

from seat_client import i18n
from seat_client.devtools.workstation_states import build_state
from seat_client.views.main_window import MainWindow
from seat_client.views.video_tile import VideoTile
from seat_client.workstation.binding import show_state_everywhere
from seat_client.workstation.state import WorkstationState

CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
STATES = ("idle", "ringing", "gates_passed", "wrap_up")
SEAT = ("T001", "张三")


@pytest.fixture
def english(qapp, tmp_path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(i18n.platformdirs, "user_cache_dir", lambda *a, **k: str(tmp_path))
    translator = i18n.install_translator(qapp, "en")
    assert translator is not None, "the English translation did not load"
    try:
        yield
    finally:
        qapp.removeTranslator(translator)


def _window(qtbot: QtBot, name: str) -> tuple[MainWindow, WorkstationState]:
    """The main window showing demo state ``name`` the way the app drives it (seat, status bar, call panel)."""
    window = MainWindow()
    qtbot.addWidget(window)
    window.resize(1366, 768)
    state = build_state(name, np.full((360, 640, 3), 96, np.uint8))
    window.set_seat_name(*SEAT)
    window.set_connection_status("connected")
    window.set_waiting(2)
    seat_state = {"idle": "not_ready", "ringing": "reserved", "wrap_up": "wrap_up"}.get(name, "in_call")
    window.set_seat_state(seat_state, "rest" if name == "idle" else None)
    call = state.call
    if name == "ringing" and call is not None:
        window.show_ringing(call.business_label, call.customer_name, 75, 30)
    elif name != "idle" and call is not None:
        window.show_in_call(call.business_label, call.customer_name)
    if name == "wrap_up":
        window.show_idle("客户已挂断,通话结束")
    show_state_everywhere(window, state)
    return window, state


def _data(state: WorkstationState) -> list[str]:
    """Teller-facing data that stays as it is in every language (longest first, so parts do not hide wholes)."""
    values = [SEAT[1]]
    call = state.call
    if call is not None:
        values += [call.customer_name, *call.accounts, *(value for _caption, value in call.ocr_fields)]
    if state.script is not None:
        values.append(state.script.title)
    if state.business_result is not None:  # core banking's answer, relayed by the server
        values.append(str(state.business_result[1]))
    for gate in state.gates:
        values += [str(r.get("verdict_label") or "") for r in gate.results]
        values.append(gate.teller_message or "")
    return sorted((v for v in values if v), key=len, reverse=True)


def _texts(window: QWidget) -> list[tuple[str, str]]:
    """(where, text) for every label, button, group title, tab, combo item, placeholder, action and video caption."""
    out = [("window title", window.windowTitle())]
    for label in window.findChildren(QLabel):
        out.append((f"label {label.objectName() or type(label.parent()).__name__}", label.text()))
    for button in window.findChildren(QAbstractButton):
        out.append((f"button {button.objectName()}", button.text()))
    for box in window.findChildren(QGroupBox):
        out.append((f"group {type(box).__name__}", box.title()))
    for tabs in window.findChildren(QTabWidget):
        out += [(f"tab {i}", tabs.tabText(i)) for i in range(tabs.count())]
    for combo in window.findChildren(QComboBox):
        out += [(f"combo {type(combo.parent()).__name__}", combo.itemText(i)) for i in range(combo.count())]
    for edit in window.findChildren(QLineEdit):
        out.append(("placeholder", edit.placeholderText()))
    for action in window.findChildren(QAction):
        out.append(("action", action.text()))
    for tile in window.findChildren(VideoTile):
        out += [("video placeholder", tile.placeholder), ("video caption", tile.caption)]
    if isinstance(window, MainWindow):
        out += [("menu", menu_action.text()) for menu_action in window.menuBar().actions()]
        gates = window.verification_panel.gate_list
        out += [("gate list", gates.item(i).text()) for i in range(gates.count())]
        out.append(("snapshot strip", " ".join(s.text() for s in _items(window.snapshot_strip.strip))))
    for table in window.findChildren(QTableWidget):
        headers = (table.horizontalHeaderItem(i) for i in range(table.columnCount()))
        out += [("table header", header.text()) for header in headers if header is not None]
    return [(where, text) for where, text in out if text]


def _items(widget: QListWidget) -> list:  # type: ignore[type-arg]
    return [widget.item(i) for i in range(widget.count())]


@pytest.mark.parametrize("name", STATES)
def test_english_window_has_no_chinese_but_data(qtbot: QtBot, english: None, name: str) -> None:
    window, state = _window(qtbot, name)
    assert QCoreApplication.translate("MainWindow", "接听") == "Answer"
    data = _data(state)
    chinese = []
    for where, text in _texts(window):
        rest = text
        for value in data:
            rest = rest.replace(value, "")
        if CJK.search(rest):
            chinese.append(f"{where}: {text!r}")
    assert not chinese, "untranslated:\n" + "\n".join(chinese)
    assert window.work_tabs.tabText(1) == "Verification" and window.call_panel.title() == "Calls"


ENGLISH_WORD = re.compile(r"[A-Za-z]{3,}")
ALLOWED_LATIN = {"VideoTeller", "RTT", "kbps", "fps", "http", "https", "password_reset", "vs", "JSON"}


@pytest.mark.parametrize("name", STATES)
def test_chinese_window_by_default_has_no_english_left(qtbot: QtBot, name: str) -> None:
    window, _state = _window(qtbot, name)
    english = [
        f"{where}: {text!r}"
        for where, text in _texts(window)
        if {w for w in ENGLISH_WORD.findall(text)} - ALLOWED_LATIN
    ]
    assert not english, "English in the Chinese UI:\n" + "\n".join(english)
    titles = [window.work_tabs.tabText(i) for i in range(window.work_tabs.count())]
    titles += [box.title() for box in window.findChildren(QGroupBox)]
    titles += [b.text() for b in window.findChildren(QAbstractButton) if b.text()]
    assert all(CJK.search(t) for t in titles), titles


def test_english_dialogs_have_no_chinese_but_the_language_names(qtbot: QtBot, english: None) -> None:
    from seat_client.views.login_dialog import LoginDialog
    from seat_client.views.recordings_dialog import RecordingsDialog
    from seat_client.views.settings_dialog import SettingsDialog

    settings = SettingsDialog({"server_url": "http://127.0.0.1:8000", "camera": "auto", "microphone": "auto"})
    login = LoginDialog("http://127.0.0.1:8000", "T001")
    login.show_error("工号或密码错误")  # the sign-in's own message, translated through the catalogue
    recordings = RecordingsDialog()
    for dialog in (settings, login, recordings):
        qtbot.addWidget(dialog)
    language_names = set(i18n.LANGUAGES.values())  # each language is named in itself
    chinese = [
        f"{type(dialog).__name__} {where}: {text!r}"
        for dialog in (settings, login, recordings)
        for where, text in _texts(dialog)
        if CJK.search(text) and text not in language_names
    ]
    assert not chinese, "untranslated:\n" + "\n".join(chinese)
    assert login.error_text == "Wrong teller ID or password"
