"""The seat workstation's one stylesheet (bank blue, high-contrast call buttons)."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication

ACCENT = "#1f5fa8"
DANGER = "#c0392b"
OK = "#1e8449"

STYLESHEET = f"""
QMainWindow, QDialog {{ background: #f4f6f9; }}
QLabel#titleLabel {{ font-size: 18px; font-weight: bold; color: {ACCENT}; padding: 8px; }}
QLabel#errorLabel {{ color: {DANGER}; font-weight: bold; }}
QLabel#stateLabel {{ font-size: 16px; font-weight: bold; }}
QLabel#businessLabel {{ font-size: 20px; font-weight: bold; color: {ACCENT}; }}
QLabel#timerLabel {{ font-size: 20px; font-family: monospace; }}
QPushButton {{ padding: 6px 14px; border-radius: 4px; background: #e3e8ef; border: 1px solid #c5cdd8; }}
QPushButton:disabled {{ color: #9aa3ad; }}
QPushButton#loginButton, QPushButton#readyButton {{ background: {ACCENT}; color: white; border: none; }}
QPushButton#answerButton {{ background: {OK}; color: white; font-size: 16px; border: none; }}
QPushButton#declineButton, QPushButton#hangupButton {{ background: {DANGER}; color: white; font-size: 16px;
    border: none; }}
QPushButton#loginButton:disabled, QPushButton#readyButton:disabled, QPushButton#answerButton:disabled,
QPushButton#declineButton:disabled, QPushButton#hangupButton:disabled {{ background: #c9d1db; color: #7b8794; }}
QFrame#sidePanel {{ background: white; border-left: 1px solid #d5dbe3; }}
VideoTile {{ background: #101418; }}
"""


def apply_theme(app: QApplication) -> None:
    """Install the stylesheet on the application."""
    app.setStyleSheet(STYLESHEET)
