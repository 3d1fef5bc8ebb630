"""Identity photos of a session (ID card sides, card portrait, 联网核查 photo, live captures), stored access-controlled.

Files live under ``<data_dir>/identity_photos/<session_id>/`` with owner-only permissions; the HTTP layer serves
them only to the seat holding the session. They are never served to other seats or to the customer.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path

logger = logging.getLogger(__name__)

PHOTO_KINDS = ("id_front", "id_back", "id_portrait", "network_photo", "live")
"""What a session may hold; ``live`` is the capture used by the last face comparison."""

_SESSION_RE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


def image_media_type(data: bytes) -> str:
    """The media type of JPEG/PNG bytes (what the face and OCR pipelines accept)."""
    if data.startswith(b"\x89PNG"):
        return "image/png"
    if data.startswith(b"\xff\xd8"):
        return "image/jpeg"
    return "application/octet-stream"


class PhotoStore:
    """Per-session identity photos on disk (directories 0700, files 0600).

    Args:
        root: directory to keep them in (created if missing).
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)
        os.chmod(self.root, 0o700)

    def _path(self, session_id: str, kind: str) -> Path:
        if kind not in PHOTO_KINDS or not _SESSION_RE.match(session_id):
            raise ValueError(f"bad photo reference {kind!r}")
        return self.root / session_id / kind

    def put(self, session_id: str, kind: str, data: bytes) -> None:
        """Store (or replace) one photo."""
        path = self._path(session_id, kind)
        path.parent.mkdir(mode=0o700, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)

    def get(self, session_id: str, kind: str) -> bytes | None:
        """One photo's bytes, or None."""
        try:
            return self._path(session_id, kind).read_bytes()
        except (FileNotFoundError, ValueError):
            return None

    def kinds(self, session_id: str) -> list[str]:
        """The photos held for a session."""
        return [kind for kind in PHOTO_KINDS if self._path(session_id, kind).exists()]
