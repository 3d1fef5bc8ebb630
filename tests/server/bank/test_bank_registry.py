"""Tests for choosing the bank adapter set by name."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from server.bank.adapters import BankAdapters
from server.bank.registry import available_adapter_sets, create_bank_adapters, register_adapter_set
from server.bank.sandbox import SandboxBank, demo_customer


async def test_sandbox_by_name(tmp_path: Path) -> None:
    adapters = create_bank_adapters("sandbox", {"data_dir": str(tmp_path), "population": 5, "latency_s": 0})
    assert adapters.name == "sandbox"
    demo = demo_customer("pass_all")
    assert await adapters.core.find_customer(demo.name, demo.id_number, demo.phone) is not None
    assert (tmp_path / "sandbox_bank.db").exists()
    await adapters.aclose()


async def test_http_by_name_builds_a_client() -> None:
    adapters = create_bank_adapters("http", {"base_url": "http://bank-gateway.invalid", "timeout_s": 1})
    assert adapters.name == "http"
    await adapters.aclose()


def test_unknown_names_and_missing_options_are_explained() -> None:
    assert {"sandbox", "http"} <= set(available_adapter_sets())
    with pytest.raises(ValueError, match="未知的银行适配器"):
        create_bank_adapters("nosuchbank")
    with pytest.raises(ValueError, match="data_dir"):
        create_bank_adapters("sandbox", {})
    with pytest.raises(ValueError, match="base_url"):
        create_bank_adapters("http", {})
    with pytest.raises(ValueError, match="无法加载"):
        create_bank_adapters("no_such_module_xyz:factory")
    with pytest.raises(ValueError, match="已注册"):
        register_adapter_set("sandbox", lambda options: None)  # type: ignore[arg-type,return-value]


def _bank_plugin(options: Mapping[str, Any]) -> BankAdapters:
    """A bank's own factory, as configuration would name it ("module:callable")."""
    adapters = SandboxBank(Path(options["data_dir"]), population=3, latency_s=0).adapters()
    adapters.name = "mybank"
    return adapters


async def test_a_bank_plugs_in_its_own_set(tmp_path: Path) -> None:
    register_adapter_set("mybank-test", _bank_plugin, replace=True)
    adapters = create_bank_adapters("mybank-test", {"data_dir": str(tmp_path / "a")})
    assert adapters.name == "mybank"
    await adapters.aclose()
    adapters = create_bank_adapters(f"{__name__}:_bank_plugin", {"data_dir": str(tmp_path / "b")})
    assert adapters.name == "mybank"
    await adapters.aclose()
