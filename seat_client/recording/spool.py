"""The seat's local spool of encrypted segments awaiting upload (录像上传缓存), with a disk-use bound."""

from __future__ import annotations

import enum
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from wire.recording_format import FILE_SUFFIX

logger = logging.getLogger(__name__)

PART_SUFFIX = ".part"


class SpoolLevel(enum.StrEnum):
    """How full the spool is."""

    OK = "ok"
    WARN = "warn"
    FULL = "full"


@dataclass(frozen=True)
class SpoolStatus:
    """Spool usage and, when not OK, a message for the teller (Chinese)."""

    level: SpoolLevel
    used_bytes: int
    limit_bytes: int
    message: str = ""


class SpoolFullError(RuntimeError):
    """Writing the segment would exceed the spool's disk limit."""


def _mb(n: int) -> str:
    return f"{n / 1_048_576:.0f} MB"


class SegmentSpool:
    """A directory of encrypted ``*.vtseg`` files; writes are atomic (temp file, fsync, rename).

    Args:
        directory: the spool directory (created if missing).
        limit_bytes: hard limit on the bytes held; a write that would exceed it raises :class:`SpoolFullError`.
        warn_ratio: above this fraction of the limit, :meth:`status` warns.
        on_status: called (from the writing thread) whenever the level changes.
    """

    def __init__(
        self,
        directory: Path,
        limit_bytes: int = 4 * 1024**3,
        warn_ratio: float = 0.8,
        on_status: Callable[[SpoolStatus], None] | None = None,
    ) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.limit_bytes = limit_bytes
        self.warn_ratio = warn_ratio
        self.on_status = on_status
        self._last_level = SpoolLevel.OK
        self._discard_partials()

    def _discard_partials(self) -> None:
        # A .part file is an encrypted segment whose write was interrupted (crash): it has no final chunk and
        # could never be verified, so it is removed. Its plaintext never existed on disk.
        for part in self.directory.glob(f"*{PART_SUFFIX}"):
            logger.warning("discarding interrupted spool write %s", part.name)
            part.unlink(missing_ok=True)

    def used_bytes(self) -> int:
        """Bytes currently held by segment files (including quarantined ones in ``rejected/``)."""
        total = 0
        for folder in (self.directory, self.directory / "rejected"):
            if not folder.is_dir():
                continue
            for entry in os.scandir(folder):
                if entry.is_file():
                    total += entry.stat().st_size
        return total

    def status(self, extra: int = 0) -> SpoolStatus:
        """Current usage level (counting ``extra`` bytes about to be written)."""
        used = self.used_bytes() + extra
        if used > self.limit_bytes:
            msg = (
                f"录像缓存空间已满（{_mb(used)} / 上限 {_mb(self.limit_bytes)}），无法继续保存录像。"
                "请检查网络并立即联系管理员，暂停办理需要双录的业务。"
            )
            return SpoolStatus(SpoolLevel.FULL, used, self.limit_bytes, msg)
        if used >= self.warn_ratio * self.limit_bytes:
            msg = (
                f"录像缓存空间即将用满（已用 {_mb(used)} / 上限 {_mb(self.limit_bytes)}）。"
                "录像正在等待上传，请检查网络连接，上传完成前请勿关闭坐席客户端。"
            )
            return SpoolStatus(SpoolLevel.WARN, used, self.limit_bytes, msg)
        return SpoolStatus(SpoolLevel.OK, used, self.limit_bytes)

    def _report(self, status: SpoolStatus) -> None:
        if status.level != self._last_level:
            self._last_level = status.level
            if status.level != SpoolLevel.OK:
                logger.warning("spool %s: %s", status.level, status.message)
            if self.on_status is not None:
                self.on_status(status)

    def write(self, name: str, data: bytes) -> Path:
        """Atomically stores an encrypted segment.

        Raises:
            SpoolFullError: the limit would be exceeded (the teller message is in the exception text).
        """
        if not name.endswith(FILE_SUFFIX) or "/" in name or name.startswith("."):
            raise ValueError(f"bad segment file name {name!r}")
        status = self.status(extra=len(data))
        self._report(status)
        if status.level == SpoolLevel.FULL:
            raise SpoolFullError(status.message)
        final = self.directory / name
        tmp = self.directory / (name + PART_SUFFIX)
        with open(tmp, "wb") as fp:
            fp.write(data)
            fp.flush()
            os.fsync(fp.fileno())
        os.replace(tmp, final)
        return final

    def pending(self) -> list[Path]:
        """Segment files awaiting upload, oldest name first."""
        return sorted(self.directory.glob(f"*{FILE_SUFFIX}"))

    def remove(self, path: Path) -> None:
        """Deletes an uploaded segment and re-evaluates the level."""
        Path(path).unlink(missing_ok=True)
        self._report(self.status())
