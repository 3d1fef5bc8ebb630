"""Seat sign-in dialog (坐席签入): server URL, 工号 and password, with Chinese validation and errors."""

from __future__ import annotations

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QDialog, QWidget

from seat_client.i18n import translate_text
from seat_client.ui_generated.ui_login_dialog import Ui_LoginDialog


class LoginDialog(QDialog):
    """Collects credentials and emits :attr:`loginRequested`; the controller reports back.

    The dialog never talks to the server: the controller calls :meth:`show_error` or :meth:`accept`.
    """

    loginRequested = Signal(str, str, str)
    """server_url, seat_id, password."""

    def __init__(self, server_url: str = "", seat_id: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ui = Ui_LoginDialog()
        self.ui.setupUi(self)
        self.ui.serverEdit.setText(server_url)
        self.ui.seatIdEdit.setText(seat_id)
        self.ui.errorLabel.hide()
        self.ui.loginButton.clicked.connect(self._submit)
        self.ui.cancelButton.clicked.connect(self.reject)
        self.ui.passwordEdit.returnPressed.connect(self._submit)
        (self.ui.passwordEdit if seat_id else self.ui.seatIdEdit).setFocus()

    def validate(self) -> str | None:
        """The first problem with the input, in Chinese, or None."""
        server = self.ui.serverEdit.text().strip()
        if not server:
            return self.tr("请输入服务器地址")
        if not server.startswith(("http://", "https://")):
            return self.tr("服务器地址必须以 http:// 或 https:// 开头")
        if not self.ui.seatIdEdit.text().strip():
            return self.tr("请输入工号")
        if not self.ui.passwordEdit.text():
            return self.tr("请输入密码")
        return None

    @Slot()
    def _submit(self) -> None:
        problem = self.validate()
        if problem:
            self.show_error(problem)
            return
        self.ui.errorLabel.hide()
        self.set_busy(True)
        self.loginRequested.emit(
            self.ui.serverEdit.text().strip().rstrip("/"),
            self.ui.seatIdEdit.text().strip(),
            self.ui.passwordEdit.text(),
        )

    def show_error(self, message: str) -> None:
        """Show a Chinese error under the form and re-enable it; the password is cleared."""
        self.set_busy(False)
        self.ui.errorLabel.setText(translate_text(message))
        self.ui.errorLabel.show()
        self.ui.passwordEdit.clear()
        self.ui.passwordEdit.setFocus()

    @property
    def error_text(self) -> str:
        """The error currently shown ('' when none)."""
        return self.ui.errorLabel.text() if not self.ui.errorLabel.isHidden() else ""

    def set_busy(self, busy: bool) -> None:
        """Disable the form while the controller is signing in."""
        for widget in (self.ui.serverEdit, self.ui.seatIdEdit, self.ui.passwordEdit, self.ui.loginButton):
            widget.setEnabled(not busy)
        self.ui.loginButton.setText(self.tr("正在签入…") if busy else self.tr("签入"))
