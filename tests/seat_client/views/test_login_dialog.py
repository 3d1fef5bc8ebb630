"""Login dialog: validation messages, the request signal, busy state and error display."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from seat_client.views.login_dialog import LoginDialog


@pytest.fixture
def dialog(qtbot: QtBot) -> LoginDialog:
    dlg = LoginDialog("http://127.0.0.1:8000", "")
    qtbot.addWidget(dlg)
    dlg.show()
    return dlg


@pytest.mark.parametrize(
    ("server", "seat", "password", "expected"),
    [
        ("", "1001", "pw", "请输入服务器地址"),
        ("ftp://x", "1001", "pw", "服务器地址必须以 http:// 或 https:// 开头"),
        ("http://x", "  ", "pw", "请输入工号"),
        ("http://x", "1001", "", "请输入密码"),
    ],
)
def test_invalid_input_is_refused_in_chinese(
    qtbot: QtBot, dialog: LoginDialog, server: str, seat: str, password: str, expected: str
) -> None:
    dialog.ui.serverEdit.setText(server)
    dialog.ui.seatIdEdit.setText(seat)
    dialog.ui.passwordEdit.setText(password)
    with qtbot.assertNotEmitted(dialog.loginRequested):
        qtbot.mouseClick(dialog.ui.loginButton, Qt.MouseButton.LeftButton)
    assert dialog.error_text == expected
    assert dialog.ui.loginButton.isEnabled()


def test_valid_input_emits_request_and_locks_form(qtbot: QtBot, dialog: LoginDialog) -> None:
    dialog.ui.serverEdit.setText("http://bank.example:8000/")
    dialog.ui.seatIdEdit.setText(" 1001 ")
    dialog.ui.passwordEdit.setText("s3cret pass")
    with qtbot.waitSignal(dialog.loginRequested) as blocker:
        qtbot.keyClick(dialog.ui.passwordEdit, Qt.Key.Key_Return)
    assert blocker.args == ["http://bank.example:8000", "1001", "s3cret pass"]
    assert not dialog.ui.loginButton.isEnabled()
    assert dialog.ui.loginButton.text() == "正在签入…"
    assert dialog.error_text == ""


def test_server_error_is_shown_and_form_unlocked(qtbot: QtBot, dialog: LoginDialog) -> None:
    dialog.ui.seatIdEdit.setText("1001")
    dialog.ui.passwordEdit.setText("wrong")
    with qtbot.waitSignal(dialog.loginRequested):
        dialog.ui.loginButton.click()
    dialog.show_error("工号或密码错误")
    assert dialog.error_text == "工号或密码错误"
    assert dialog.ui.loginButton.isEnabled() and dialog.ui.loginButton.text() == "签入"
    assert dialog.ui.passwordEdit.text() == ""  # never keep a rejected password around
    assert dialog.ui.seatIdEdit.text() == "1001"


def test_password_is_masked(dialog: LoginDialog) -> None:
    from PySide6.QtWidgets import QLineEdit

    assert dialog.ui.passwordEdit.echoMode() == QLineEdit.EchoMode.Password
    assert dialog.windowTitle().startswith("坐席签入")
