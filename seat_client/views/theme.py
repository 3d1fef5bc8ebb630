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
QLabel#gateFailedBanner {{ background: {DANGER}; color: white; font-size: 15px; font-weight: bold; padding: 8px;
    border-radius: 4px; }}
QLabel#blockLabel {{ color: #7b8794; padding: 4px; }}
QLabel#blockLabel[blocked="true"] {{ background: #fdecea; color: {DANGER}; font-weight: bold;
    border: 1px solid {DANGER};
    border-radius: 4px; }}
QLabel#resultLabel[ok="true"] {{ color: {OK}; font-weight: bold; }}
QLabel#resultLabel[ok="false"] {{ color: {DANGER}; font-weight: bold; }}
QLabel#recordingLabel {{ color: #7b8794; font-weight: bold; padding: 2px 6px; }}
QLabel#recordingLabel[recording="true"] {{ color: white; background: {DANGER}; border-radius: 3px; }}
QLabel#qualityLabel {{ color: #3c4651; font-family: monospace; }}
QLabel#portraitLabel {{ background: #e3e8ef; border: 1px solid #c5cdd8; color: #7b8794; }}
QLabel#customerName {{ font-size: 16px; font-weight: bold; }}
QLabel#scriptTitle {{ font-weight: bold; color: {ACCENT}; }}
QProgressBar#faceBar {{ border: 1px solid #c5cdd8; border-radius: 3px; text-align: center; background: #eef1f5;
    min-height: 16px; }}
QProgressBar#faceBar::chunk {{ background: #9aa3ad; }}
QProgressBar#faceBar[verdict="pass"]::chunk {{ background: {OK}; }}
QProgressBar#faceBar[verdict="fail"]::chunk {{ background: {DANGER}; }}
QPushButton#acceptButton, QPushButton#submitButton, QPushButton#snapshotButton {{ background: {ACCENT}; color: white;
    border: none; }}
QPushButton#acceptButton:disabled, QPushButton#submitButton:disabled, QPushButton#snapshotButton:disabled {{
    background: #c9d1db; color: #7b8794; }}
QTabWidget#workTabs::pane {{ border: 1px solid #d5dbe3; background: white; }}
QTabBar::tab {{ padding: 6px 10px; }}
QTabBar::tab:selected {{ font-weight: bold; border-bottom: 3px solid {ACCENT}; }}
"""


def apply_theme(app: QApplication) -> None:
    """Install the stylesheet on the application."""
    app.setStyleSheet(STYLESHEET)
