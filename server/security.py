"""Secrets: seat password hashing (argon2), random bearer/customer tokens and their stored hashes, masking for logs."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
# Verified against when the seat does not exist, so a wrong seat id costs as much time as a wrong password.
_DUMMY_HASH = _hasher.hash("videoteller-no-such-seat")


def hash_password(password: str) -> str:
    """An argon2id hash of a seat password."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Check a password against a stored hash (or a dummy hash when the account does not exist)."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def password_needs_rehash(password_hash: str) -> bool:
    """True if the stored hash uses outdated argon2 parameters."""
    return _hasher.check_needs_rehash(password_hash)


def new_token() -> str:
    """A random bearer token: 32 bytes, URL-safe base64."""
    return secrets.token_urlsafe(32)


def new_session_id() -> str:
    """A random session id matching ``wire.messages.SESSION_ID_PATTERN``."""
    return "s" + secrets.token_urlsafe(15)


def hash_token(token: str) -> str:
    """The sha256 hex digest stored instead of a token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def token_matches(token: str, token_hash: str) -> bool:
    """Constant-time check of a token against a stored hash."""
    return hmac.compare_digest(hash_token(token), token_hash)


_LONG_DIGITS = re.compile(r"\d{7,}[\dXx]?")


def mask_digits(text: str) -> str:
    """Mask long digit runs (phone, ID-card, bank-card numbers) for logs: keep the first 3 and last 4 characters."""

    def _mask(match: re.Match[str]) -> str:
        value = match.group(0)
        return value[:3] + "*" * (len(value) - 7) + value[-4:]

    return _LONG_DIGITS.sub(_mask, text)
