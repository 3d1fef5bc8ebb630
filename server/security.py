"""Secrets: seat password hashing (argon2), random bearer/customer tokens and their stored hashes, masking for logs."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections import deque
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError


class SeatPasswords:
    """Argon2id hashing of seat passwords.

    Args:
        fast_insecure: cheap parameters (1 MiB, one pass) so test suites do not spend seconds per account; only
            allowed in dev mode (see ``Settings.password_hash_profile``). Verification always uses the parameters
            stored in each hash, and a login re-hashes a password stored with other parameters.
    """

    def __init__(self, fast_insecure: bool = False) -> None:
        if fast_insecure:
            self._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
        else:
            self._hasher = PasswordHasher()
        self._dummy: str | None = None

    def hash(self, password: str) -> str:
        """An argon2id hash of a seat password."""
        return self._hasher.hash(password)

    def verify(self, password_hash: str | None, password: str) -> bool:
        """Check a password; with no stored hash (unknown seat) a dummy is checked so timing does not tell."""
        if password_hash is None:
            if self._dummy is None:
                self._dummy = self._hasher.hash("videoteller-no-such-seat")
            password_hash = self._dummy
            known = False
        else:
            known = True
        try:
            return self._hasher.verify(password_hash, password) and known
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        """True if the stored hash uses other argon2 parameters than this hasher."""
        return self._hasher.check_needs_rehash(password_hash)


class LoginThrottle:
    """Locks a seat id out for a while after repeated wrong passwords (counts failures per seat id).

    Args:
        max_failures: wrong passwords allowed within ``window_s``; the next attempt is refused until the oldest
            failure leaves the window.
        window_s: the sliding window, in seconds.
    """

    def __init__(self, max_failures: int, window_s: float) -> None:
        self.max_failures = max_failures
        self.window = timedelta(seconds=window_s)
        self._failures: dict[str, deque[datetime]] = {}

    def retry_after(self, seat_id: str, now: datetime) -> float | None:
        """Seconds until this seat id may try again, or None if it may try now."""
        failures = self._failures.get(seat_id)
        if not failures:
            return None
        while failures and now - failures[0] >= self.window:
            failures.popleft()
        if not failures:
            del self._failures[seat_id]
            return None
        if len(failures) < self.max_failures:
            return None
        return (failures[0] + self.window - now).total_seconds()

    def failed(self, seat_id: str, now: datetime) -> None:
        """Record a wrong password."""
        if len(self._failures) > 10_000:  # bound memory against floods of made-up seat ids
            self._failures.clear()
        self._failures.setdefault(seat_id, deque()).append(now)

    def succeeded(self, seat_id: str) -> None:
        """Forget the failures of a seat id that logged in."""
        self._failures.pop(seat_id, None)


class RateLimiter:
    """At most ``limit`` events per key within a sliding ``window_s`` (e.g. tickets per client address)."""

    def __init__(self, limit: int, window_s: float) -> None:
        self.limit = limit
        self.window = timedelta(seconds=window_s)
        self._events: dict[str, deque[datetime]] = {}

    def allow(self, key: str, now: datetime) -> bool:
        """Record an event for ``key`` and say whether it is within the limit (refused events are not counted)."""
        events = self._events.setdefault(key, deque())
        while events and now - events[0] >= self.window:
            events.popleft()
        if len(events) >= self.limit:
            return False
        if len(self._events) > 10_000:  # bound memory; a flood from many addresses resets the books
            self._events = {key: events}
        events.append(now)
        return True


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
