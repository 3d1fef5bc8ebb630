"""Encryption at rest of identity data (证件照、联网核查照片、现场抓拍、关卡状态): AES-256-GCM with a server-held key.

The key is 32 random bytes kept in ``<data_dir>/keys/identity_data_aes256.key`` (mode 0600, next to the evidence seal
and recording keys of :mod:`server.evidence.keys`, which are asymmetric and serve other purposes). Each blob is
``MAGIC | key id (8) | nonce (12) | ciphertext+tag`` and is bound to what it is (session and photo kind, or the gate
state of a session) by the associated data, so a blob copied onto another session's file does not decrypt.

In production the key belongs in an HSM or a separately protected directory; a bank that has one replaces
:meth:`DataCipher.load_or_create` with its own key source.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

logger = logging.getLogger(__name__)

KEY_FILE = "identity_data_aes256.key"
"""File name of the key under the keys directory."""

MAGIC = b"VTE1"
"""Leading bytes of every encrypted blob (VideoTeller Encrypted, format 1)."""

_KEY_ID_LEN = 8
_NONCE_LEN = 12
_HEADER_LEN = len(MAGIC) + _KEY_ID_LEN + _NONCE_LEN


class CipherError(Exception):
    """A blob cannot be decrypted: not encrypted, made with another key, or altered."""


class DataCipher:
    """AES-256-GCM with one server key.

    Args:
        key: 32 key bytes.
    """

    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise ValueError("AES-256 key must be 32 bytes")
        self._aead = AESGCM(key)
        self.key_id = hashlib.sha256(b"videoteller identity data key\0" + key).digest()[:_KEY_ID_LEN]

    @classmethod
    def load_or_create(cls, keys_dir: Path) -> DataCipher:
        """Load the key from ``keys_dir`` or create it (once; a concurrent creator's key wins).

        Raises:
            ValueError: the key file exists but does not hold a 32-byte key.
        """
        path = Path(keys_dir) / KEY_FILE
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                pass
            else:
                with os.fdopen(fd, "w", encoding="ascii") as handle:
                    handle.write(base64.b64encode(secrets.token_bytes(32)).decode() + "\n")
                logger.warning("created new identity data key %s", path)
        try:
            key = base64.b64decode(path.read_text(encoding="ascii").strip(), validate=True)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ValueError(f"identity data key {path} is not valid base64") from exc
        if len(key) != 32:
            raise ValueError(f"identity data key {path} does not hold 32 bytes")
        return cls(key)

    @staticmethod
    def is_encrypted(blob: bytes) -> bool:
        """Whether ``blob`` looks like one of ours (magic bytes and a full header)."""
        return len(blob) > _HEADER_LEN and blob.startswith(MAGIC)

    def encrypt(self, plaintext: bytes, associated: bytes) -> bytes:
        """Encrypt ``plaintext`` bound to ``associated`` (what the blob is)."""
        nonce = secrets.token_bytes(_NONCE_LEN)
        return MAGIC + self.key_id + nonce + self._aead.encrypt(nonce, plaintext, associated)

    def decrypt(self, blob: bytes, associated: bytes) -> bytes:
        """Decrypt a blob made by :meth:`encrypt` with the same ``associated`` data.

        Raises:
            CipherError: not encrypted, another key, other associated data, or altered.
        """
        if not self.is_encrypted(blob):
            raise CipherError("not an encrypted blob")
        key_id = blob[len(MAGIC) : len(MAGIC) + _KEY_ID_LEN]
        if key_id != self.key_id:
            raise CipherError("blob was encrypted with another key")
        nonce = blob[len(MAGIC) + _KEY_ID_LEN : _HEADER_LEN]
        try:
            return self._aead.decrypt(nonce, blob[_HEADER_LEN:], associated)
        except InvalidTag as exc:
            raise CipherError("blob was altered or belongs to something else") from exc
