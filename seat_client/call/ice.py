"""Pin the host interfaces WebRTC gathers ICE candidates on (``ice_bind_addresses``).

aioice gathers host candidates on every interface but skips 127.0.0.1. Bank PCs are often multi-homed (office LAN,
VPN, a cash-machine network) and operations wants to choose; tests pin 127.0.0.1. This is the one place that
reaches into aioice: it wraps ``aioice.ice.get_host_addresses`` (a module-level function that
``Connection.gather_candidates`` looks up at call time), so the pin applies process-wide to every new peer
connection.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Callable, Sequence

import aioice.ice

logger = logging.getLogger(__name__)

_original: Callable[[bool, bool], list[str]] = aioice.ice.get_host_addresses
_pinned: list[str] | None = None


def _pinned_host_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
    if _pinned is None:
        return _original(use_ipv4, use_ipv6)
    chosen = []
    for address in _pinned:
        version = ipaddress.ip_address(address).version
        if (version == 4 and use_ipv4) or (version == 6 and use_ipv6):
            chosen.append(address)
    return chosen


def pin_ice_host_addresses(addresses: Sequence[str] | None) -> None:
    """Restrict ICE host candidates to ``addresses``; ``None`` or empty restores all interfaces.

    Raises:
        ValueError: an entry is not an IP address.
    """
    global _pinned
    if addresses:
        for address in addresses:
            ipaddress.ip_address(address)  # raises ValueError on garbage
        _pinned = list(addresses)
    else:
        _pinned = None
    aioice.ice.get_host_addresses = _pinned_host_addresses  # type: ignore[assignment]
    logger.info("ICE host addresses: %s", ", ".join(_pinned) if _pinned else "all interfaces")


def pinned_ice_host_addresses() -> list[str] | None:
    """The current pin, or None for all interfaces."""
    return None if _pinned is None else list(_pinned)
