"""「复制诊断信息」: one text block for support (versions, seat, call counters, log tail; no ID numbers)."""

from __future__ import annotations

import json
import logging
import platform
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from seat_client import __version__

TAIL_LINES = 60


def log_tail(path: Path, lines: int = TAIL_LINES) -> str:
    """The last ``lines`` lines of the rotating log ('' if there is none yet)."""
    try:
        with path.open("rb") as fp:
            fp.seek(0, 2)
            size = fp.tell()
            fp.seek(max(0, size - 64 * 1024))
            text = fp.read().decode("utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def current_log_file() -> Path | None:
    """The file of the root logger's rotating handler, if logging to a file."""
    for handler in logging.getLogger().handlers:
        name = getattr(handler, "baseFilename", None)
        if name:
            return Path(name)
    return None


def diagnostics_text(
    counters: Mapping[str, Any],
    state_summary: Mapping[str, Any],
    log_file: Path | None,
    *,
    title: str = "VideoTeller 坐席工作台 诊断信息",
) -> str:
    """The text copied to the clipboard (``title``: its first line, in the UI language)."""
    from PySide6 import __version__ as pyside_version

    head = {
        "videoteller_seat_client": __version__,
        "python": platform.python_version(),
        "pyside6": pyside_version,
        "platform": platform.platform(),
        "log_file": str(log_file) if log_file else None,
    }
    parts = [
        title,
        json.dumps(head, ensure_ascii=False, indent=2),
        "controller: " + json.dumps(dict(counters), ensure_ascii=False, default=str),
        "workstation: " + json.dumps(dict(state_summary), ensure_ascii=False, default=str),
    ]
    if log_file is not None:
        parts += ["--- log tail ---", log_tail(log_file)]
    return "\n".join(parts)
