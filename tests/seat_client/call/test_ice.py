"""ICE host-address pinning (ice_bind_addresses)."""

from __future__ import annotations

from collections.abc import Iterator

import aioice.ice
import pytest

from seat_client.call.ice import pin_ice_host_addresses, pinned_ice_host_addresses


@pytest.fixture(autouse=True)
def _restore() -> Iterator[None]:
    yield
    pin_ice_host_addresses(None)


def test_pin_loopback_and_filter_by_family() -> None:
    pin_ice_host_addresses(["127.0.0.1", "::1"])
    assert aioice.ice.get_host_addresses(use_ipv4=True, use_ipv6=False) == ["127.0.0.1"]
    assert aioice.ice.get_host_addresses(use_ipv4=True, use_ipv6=True) == ["127.0.0.1", "::1"]
    assert pinned_ice_host_addresses() == ["127.0.0.1", "::1"]


def test_default_is_every_interface_without_loopback() -> None:
    pin_ice_host_addresses(None)
    addresses = aioice.ice.get_host_addresses(use_ipv4=True, use_ipv6=False)
    assert "127.0.0.1" not in addresses  # aioice's own behaviour, unchanged
    assert pinned_ice_host_addresses() is None


def test_garbage_is_refused() -> None:
    with pytest.raises(ValueError):
        pin_ice_host_addresses(["not-an-ip"])
