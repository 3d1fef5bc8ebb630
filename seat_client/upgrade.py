"""Client side of staged upgrades (灰度升级): read the server's version verdict at login and gate call starts. Qt-free.

The server decides (``server/versions.py``) and sends, in the login response, ``client_version_status``::

    {"status": "upgrade_available", "recommended": "0.2.0", "minimum": "0.1.0", "message": "坐席客户端有新版本…"}

:func:`check_upgrade` turns that into an :class:`UpgradeCheck`; the controller shows ``check.notice`` to the teller
(status bar / message box) and calls :func:`ensure_call_allowed` before going ready (示闲) or answering. The client
re-derives the status from ``recommended``/``minimum`` and its own version and keeps the stricter verdict, so an
older server that sends only the versions still gates correctly. The server enforces regardless (it refuses
``set_state ready`` below the minimum); this check gives the teller a clear message instead of a refused request.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from seat_client import __version__

logger = logging.getLogger(__name__)

# Same rules as server/versions.py (tests/installer/test_upgrade_check.py checks both agree).
_VERSION_RE = re.compile(r"^v?(\d+(?:\.\d+)*)(?:[-.]?(dev|a|b|rc)\.?(\d+))?$", re.IGNORECASE)
_PRE_RANK = {"dev": 0, "a": 1, "b": 2, "rc": 3}
_FINAL = 4


class UpgradeStatus(StrEnum):
    """The seat client's version verdict (mirrors ``server.versions.VersionStatus``)."""

    OK = "ok"
    UPGRADE_AVAILABLE = "upgrade_available"
    BELOW_MINIMUM = "below_minimum"


_SEVERITY = {UpgradeStatus.OK: 0, UpgradeStatus.UPGRADE_AVAILABLE: 1, UpgradeStatus.BELOW_MINIMUM: 2}


class CallBlockedError(RuntimeError):
    """The client is below the minimum version: no call may start. ``message`` is Chinese, for the teller."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def version_key(text: str) -> tuple[tuple[int, ...], int, int] | None:
    """Sortable key of a version string (``1.2`` == ``1.2.0``, ``1.2.0rc1`` < ``1.2.0``), None if unparseable."""
    match = _VERSION_RE.match(text.strip()) if isinstance(text, str) else None
    if match is None:
        return None
    release = [int(p) for p in match.group(1).split(".")]
    while len(release) > 1 and release[-1] == 0:
        release.pop()
    pre = match.group(2)
    if pre is None:
        return tuple(release), _FINAL, 0
    return tuple(release), _PRE_RANK[pre.lower()], int(match.group(3))


@dataclass(frozen=True)
class UpgradeCheck:
    """The client's version verdict after login.

    Attributes:
        status: ok / upgrade_available / below_minimum.
        current: this client's version.
        recommended: the version the server recommends for this seat's group.
        minimum: the oldest version allowed to take calls.
        message: Chinese text for the teller ("" when all is well).
    """

    status: UpgradeStatus
    current: str
    recommended: str | None = None
    minimum: str | None = None
    message: str = ""

    @property
    def may_start_call(self) -> bool:
        """False below the minimum version."""
        return self.status != UpgradeStatus.BELOW_MINIMUM

    @property
    def notice(self) -> str | None:
        """What to show the teller after login (None when up to date)."""
        if self.status == UpgradeStatus.OK:
            return None
        return self.message or None


def _local_status(current: str, recommended: str | None, minimum: str | None) -> UpgradeStatus:
    mine = version_key(current)
    for bound, status in ((minimum, UpgradeStatus.BELOW_MINIMUM), (recommended, UpgradeStatus.UPGRADE_AVAILABLE)):
        if not bound:
            continue
        theirs = version_key(bound)
        if theirs is None:
            logger.warning("server sent an unparseable version %r: ignored", bound)
            continue
        if mine is None or mine < theirs:
            return status
    return UpgradeStatus.OK


def _default_message(status: UpgradeStatus, current: str, recommended: str | None, minimum: str | None) -> str:
    if status == UpgradeStatus.BELOW_MINIMUM:
        return (
            f"坐席客户端版本 {current} 低于最低要求 {minimum},不能接听来电。"
            f"请联系运维升级到 {recommended or minimum} 后重新签入。"
        )
    if status == UpgradeStatus.UPGRADE_AVAILABLE:
        return f"坐席客户端有新版本 {recommended} 可用(当前 {current}),请在空闲时联系运维升级。"
    return ""


def check_upgrade(info: Mapping[str, Any] | None, current: str = __version__) -> UpgradeCheck:
    """Evaluate the login response's ``client_version_status``.

    Args:
        info: the ``client_version_status`` object of the login response, or None when the server sent none
            (a server without version gating: the client is considered up to date).
        current: this client's version.

    Returns:
        The stricter of the server's status and the one derived locally from ``recommended``/``minimum``; the
        server's message is used when it sent one for that status.
    """
    if not info:
        return UpgradeCheck(UpgradeStatus.OK, current)
    recommended = info.get("recommended") or None
    minimum = info.get("minimum") or None
    local = _local_status(current, recommended, minimum)
    try:
        remote = UpgradeStatus(str(info.get("status", "ok")))
    except ValueError:
        logger.warning("unknown client version status %r from the server", info.get("status"))
        remote = UpgradeStatus.OK
    status = max(local, remote, key=_SEVERITY.__getitem__)
    server_message = info.get("message") if status == remote else None
    message = str(server_message) if server_message else _default_message(status, current, recommended, minimum)
    if status != UpgradeStatus.OK:
        logger.warning("client version %s: %s (recommended %s, minimum %s)", current, status, recommended, minimum)
    return UpgradeCheck(status, current, recommended, minimum, message)


def ensure_call_allowed(check: UpgradeCheck | None) -> None:
    """Call before going ready (示闲) or answering a call.

    Raises:
        CallBlockedError: the client is below the minimum version (Chinese message for the teller).
    """
    if check is not None and not check.may_start_call:
        raise CallBlockedError(check.message)
