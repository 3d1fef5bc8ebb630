"""The seat workstation's one stylesheet (bank blue, high-contrast call buttons) and its UI font.

Chinese text must use Simplified Chinese glyph shapes. Debian's ``fonts-noto-cjk`` puts every face of Noto Sans CJK
in one collection and fontconfig's default sans-serif picks "Noto Sans CJK JP" for Han characters, whose shapes
differ from the mainland standard (e.g. 直, 骨, 角). :func:`apply_theme` therefore makes the application font prefer
"Noto Sans CJK SC", then "WenQuanYi Zen Hei", then the font bundled with the installer
(:mod:`seat_client.fonts`), before the platform default.
"""

from __future__ import annotations

import logging

from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication

logger = logging.getLogger(__name__)

CJK_UI_FAMILIES = ("Noto Sans CJK SC", "WenQuanYi Zen Hei")
"""Installed Simplified Chinese families the UI font prefers, in order."""

ACCENT = "#1f5fa8"
DANGER = "#c0392b"
OK = "#1e8449"

STYLESHEET = f"""
QMainWindow, QDialog {{ background: #f4f6f9; }}
QLabel#titleLabel {{ font-size: 18px; font-weight: bold; color: {ACCENT}; padding: 8px; }}
QLabel#errorLabel {{ color: {DANGER}; font-weight: bold; }}
QLabel#counterLabel {{ color: #7b8794; }}
QLabel#counterLabel[over="true"] {{ color: {DANGER}; font-weight: bold; }}
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
QProgressBar[faceBar="true"] {{ border: 1px solid #c5cdd8; border-radius: 3px; text-align: center; background: #eef1f5;
    min-height: 16px; }}
QProgressBar[faceBar="true"]::chunk {{ background: #9aa3ad; }}
QProgressBar[faceBar="true"][verdict="pass"]::chunk {{ background: {OK}; }}
QProgressBar[faceBar="true"][verdict="fail"]::chunk {{ background: {DANGER}; }}
QPushButton#acceptButton, QPushButton#submitButton, QPushButton#snapshotButton {{ background: {ACCENT}; color: white;
    border: none; }}
QPushButton#acceptButton:disabled, QPushButton#submitButton:disabled, QPushButton#snapshotButton:disabled {{
    background: #c9d1db; color: #7b8794; }}
QTabWidget#workTabs::pane {{ border: 1px solid #d5dbe3; background: white; }}
QTabBar::tab {{ padding: 6px 10px; }}
QTabBar::tab:selected {{ font-weight: bold; border-bottom: 3px solid {ACCENT}; }}
"""


_bundled_families: list[str] | None = None


def _bundled_font_families() -> list[str]:
    """Families of the installer's bundled CJK font, registered once (empty when running from a checkout)."""
    global _bundled_families
    if _bundled_families is None:
        from seat_client.fonts import bundled_font_path, register_bundled_font

        _bundled_families = register_bundled_font() if bundled_font_path() is not None else []
    return _bundled_families


def ui_font_families(current: list[str] | None = None) -> list[str]:
    """The UI font's family list: the Simplified Chinese faces first, then ``current`` (the platform default)."""
    bundled = _bundled_font_families()
    # Of a bundled collection, the SC face first (a cut of Noto Sans CJK SC has only that one).
    bundled = sorted(bundled, key=lambda family: not family.endswith(" SC"))
    families: list[str] = []
    for family in (*CJK_UI_FAMILIES, *bundled, *(current or [])):
        if family not in families:
            families.append(family)
    return families


def apply_theme(app: QApplication) -> None:
    """Install the stylesheet and the UI font (Simplified Chinese faces first) on the application."""
    app.setStyleSheet(STYLESHEET)
    font = QFont(app.font())
    font.setFamilies(ui_font_families(list(font.families())))
    app.setFont(font)
    logger.info("UI font families: %s", ", ".join(font.families()))
