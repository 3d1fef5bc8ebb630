"""Logging: a rotating file in the user's log directory, stderr, and Qt's own messages routed into ``logging``."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

import platformdirs
from PySide6.QtCore import QMessageLogContext, QtMsgType, qInstallMessageHandler

from seat_client import APP_AUTHOR, APP_NAME

qt_logger = logging.getLogger("qt")

_QT_LEVELS = {
    QtMsgType.QtDebugMsg: logging.DEBUG,
    QtMsgType.QtInfoMsg: logging.INFO,
    QtMsgType.QtWarningMsg: logging.WARNING,
    QtMsgType.QtCriticalMsg: logging.ERROR,
    QtMsgType.QtFatalMsg: logging.CRITICAL,
}


def _qt_message_handler(mode: QtMsgType, context: QMessageLogContext, message: str) -> None:
    category = context.category or "default"
    qt_logger.log(_QT_LEVELS.get(mode, logging.WARNING), "[%s] %s", category, message)


def default_log_dir() -> Path:
    """The per-user log directory."""
    return Path(platformdirs.user_log_dir(APP_NAME, APP_AUTHOR))


def setup_logging(level: int = logging.INFO, log_dir: Path | None = None) -> Path:
    """Configure root logging (stderr + rotating ``seat_client.log``) and route Qt messages; returns the file."""
    log_dir = log_dir or default_log_dir()
    log_dir.mkdir(parents=True, exist_ok=True)
    path = log_dir / "seat_client.log"
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    file_handler = logging.handlers.RotatingFileHandler(path, maxBytes=5 * 1024 * 1024, backupCount=5, encoding="utf-8")
    file_handler.setFormatter(fmt)
    stream = logging.StreamHandler()
    stream.setFormatter(fmt)
    root = logging.getLogger()
    root.setLevel(level)
    root.addHandler(file_handler)
    root.addHandler(stream)
    for noisy in ("aioice", "aiortc", "websockets", "httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
    qInstallMessageHandler(_qt_message_handler)
    return path
