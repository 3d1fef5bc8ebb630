"""Server key material in the data directory: the Ed25519 seal key and the X25519 recording key."""

from __future__ import annotations

import base64
import hashlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

logger = logging.getLogger(__name__)

SEAL_KEY_FILE = "evidence_seal_ed25519.pem"
RECORDING_KEY_FILE = "recording_x25519.pem"


def _raw(key: Ed25519PublicKey | X25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _load_or_create(path: Path, generate: type[Ed25519PrivateKey] | type[X25519PrivateKey]) -> bytes:
    if path.exists():
        return path.read_bytes()
    key = generate.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fp:
        fp.write(pem)
    logger.warning("created new server key %s", path)
    return pem


@dataclass(frozen=True)
class ServerKeys:
    """The server's evidence seal key (Ed25519) and recording decryption key (X25519).

    In production the private keys belong in an HSM or at least a separately protected directory; here they are
    PEM files (mode 0600) under ``<data_dir>/keys``.
    """

    seal_key: Ed25519PrivateKey
    recording_key: X25519PrivateKey

    @classmethod
    def load_or_create(cls, data_dir: Path) -> ServerKeys:
        """Loads the keys from ``<data_dir>/keys``, creating any that are missing."""
        keys_dir = Path(data_dir) / "keys"
        seal = serialization.load_pem_private_key(_load_or_create(keys_dir / SEAL_KEY_FILE, Ed25519PrivateKey), None)
        rec = serialization.load_pem_private_key(_load_or_create(keys_dir / RECORDING_KEY_FILE, X25519PrivateKey), None)
        if not isinstance(seal, Ed25519PrivateKey) or not isinstance(rec, X25519PrivateKey):
            raise ValueError("server key files have the wrong key type")
        return cls(seal, rec)

    @classmethod
    def load(cls, data_dir: Path) -> ServerKeys:
        """Loads existing keys; never creates any (verification must not invent a key).

        Raises:
            FileNotFoundError: a key file is missing.
        """
        keys_dir = Path(data_dir) / "keys"
        for name in (SEAL_KEY_FILE, RECORDING_KEY_FILE):
            if not (keys_dir / name).exists():
                raise FileNotFoundError(f"服务器密钥文件不存在：{keys_dir / name}")
        return cls.load_or_create(data_dir)

    @property
    def seal_public_raw(self) -> bytes:
        """Raw Ed25519 public key (32 bytes)."""
        return _raw(self.seal_key.public_key())

    @property
    def seal_key_id(self) -> str:
        """Short identifier of the seal key (hex SHA-256 prefix)."""
        return hashlib.sha256(self.seal_public_raw).hexdigest()[:16]

    @property
    def recording_public_raw(self) -> bytes:
        """Raw X25519 public key (32 bytes) that seats wrap recording keys for."""
        return _raw(self.recording_key.public_key())

    def recording_public_b64(self) -> str:
        """The recording public key as base64 (what a seat configuration or endpoint hands out)."""
        return base64.b64encode(self.recording_public_raw).decode()
