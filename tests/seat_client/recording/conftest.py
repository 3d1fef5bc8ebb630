"""Fixtures for recording tests."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey


@pytest.fixture(scope="session")
def server_key() -> X25519PrivateKey:
    """The server's recording key pair (private half stays with the 'server' side of the test)."""
    return X25519PrivateKey.generate()
