"""Identity photos of a session (ID card sides, card portrait, 联网核查 photo, live captures), encrypted at rest.

Files live under ``<data_dir>/identity_photos/<session_id>/`` with owner-only permissions, each encrypted with
AES-256-GCM (:class:`~server.verification.crypto.DataCipher`, key in ``<data_dir>/keys``) and bound to its session and
kind. They are decrypted only to be compared by the server or served by the HTTP layer to the seat holding the
session; never to other seats or to the customer.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
from pathlib import Path

from server.verification.crypto import CipherError, DataCipher

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


def _associated(session_id: str, kind: str) -> bytes:
    return f"videoteller:identity-photo:{session_id}:{kind}".encode()


class PhotoStore:
    """Per-session identity photos on disk, encrypted (directories 0700, files 0600).

    Args:
        root: directory to keep them in (created if missing).
        cipher: the encryption key; by default the server's identity data key in ``<root>/../keys`` (``root`` is
            ``<data_dir>/identity_photos``, so the key sits in ``<data_dir>/keys`` with the server's other keys).
    """

    def __init__(self, root: Path, cipher: DataCipher | None = None) -> None:
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)
        os.chmod(self.root, 0o700)
        self.cipher = cipher or DataCipher.load_or_create(self.root.parent / "keys")

    def path(self, session_id: str, kind: str) -> Path:
        """Where one photo is kept (its bytes there are encrypted).

        Raises:
            ValueError: unknown kind or malformed session id.
        """
        if kind not in PHOTO_KINDS or not _SESSION_RE.match(session_id):
            raise ValueError(f"bad photo reference {kind!r}")
        return self.root / session_id / kind

    def _write(self, path: Path, blob: bytes) -> None:
        path.parent.mkdir(mode=0o700, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(blob)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)

    def put(self, session_id: str, kind: str, data: bytes) -> None:
        """Store (or replace) one photo, encrypted."""
        path = self.path(session_id, kind)
        self._write(path, self.cipher.encrypt(data, _associated(session_id, kind)))

    def get(self, session_id: str, kind: str) -> bytes | None:
        """One photo's bytes (decrypted), or None when there is none or it cannot be decrypted (logged)."""
        try:
            path = self.path(session_id, kind)
            blob = path.read_bytes()
        except (FileNotFoundError, ValueError):
            return None
        if not DataCipher.is_encrypted(blob) and image_media_type(blob) != "application/octet-stream":
            # Written by a version that stored photos in clear: encrypt it now, then serve it.
            logger.warning("session %s: photo %s was stored unencrypted; encrypting it", session_id, kind)
            self.put(session_id, kind, blob)
            return blob
        try:
            return self.cipher.decrypt(blob, _associated(session_id, kind))
        except CipherError as exc:
            logger.error("session %s: photo %s cannot be decrypted (%s)", session_id, kind, exc)
            return None

    def delete(self, session_id: str, kind: str) -> None:
        """Remove one photo if present."""
        with contextlib.suppress(FileNotFoundError, ValueError):
            self.path(session_id, kind).unlink()

    def kinds(self, session_id: str) -> list[str]:
        """The photos held for a session."""
        return [kind for kind in PHOTO_KINDS if self.path(session_id, kind).exists()]
