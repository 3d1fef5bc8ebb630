"""Adapter-set registry: configuration names the bank adapters by name, so a bank plugs in its own.

Built in: ``sandbox`` (the sandbox bank on its own SQLite data) and ``http`` (the JSON contract of
docs/bank-adapters.md). A bank's own set is either registered in code with :func:`register_adapter_set` or named in
configuration as ``"package.module:factory"``; a factory takes the options mapping and returns :class:`BankAdapters`.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from server.bank.adapters import BankAdapters

__all__ = ["AdapterFactory", "available_adapter_sets", "create_bank_adapters", "register_adapter_set"]

logger = logging.getLogger(__name__)

AdapterFactory = Callable[[Mapping[str, Any]], BankAdapters]

_FACTORIES: dict[str, AdapterFactory] = {}


def register_adapter_set(name: str, factory: AdapterFactory, *, replace: bool = False) -> None:
    """Register an adapter-set factory under ``name``.

    Raises:
        ValueError: when the name is taken and ``replace`` is false.
    """
    if not name or ":" in name:
        raise ValueError(f"适配器名称无效:{name!r}")
    if name in _FACTORIES and not replace:
        raise ValueError(f"适配器 {name!r} 已注册")
    _FACTORIES[name] = factory


def available_adapter_sets() -> list[str]:
    """Names of the registered adapter sets."""
    return sorted(_FACTORIES)


def create_bank_adapters(name: str, options: Mapping[str, Any] | None = None) -> BankAdapters:
    """Build the adapter set configuration asks for.

    Args:
        name: a registered name (``sandbox``, ``http``) or ``"module:callable"``.
        options: factory options (for ``sandbox``: ``data_dir`` required, ``seed``, ``population``, ``latency_s``,
            ``timeout_rate``, ``transient_error_rate``; for ``http``: ``base_url`` required, ``token``,
            ``timeout_s``).

    Raises:
        ValueError: unknown name or missing option, with a Chinese message.
    """
    opts = dict(options or {})
    factory = _FACTORIES.get(name)
    if factory is None and ":" in name:
        module_name, _, attr = name.partition(":")
        try:
            factory = getattr(importlib.import_module(module_name), attr)
        except (ImportError, AttributeError) as exc:
            raise ValueError(f"无法加载银行适配器 {name!r}:{exc}") from exc
    if factory is None:
        raise ValueError(f"未知的银行适配器 {name!r},可用:{', '.join(available_adapter_sets())}")
    adapters = factory(opts)
    logger.info("bank adapters %r created (%s)", name, adapters.name)
    return adapters


def _sandbox_factory(options: Mapping[str, Any]) -> BankAdapters:
    from server.bank.sandbox import SandboxBank, SandboxFaults

    if "data_dir" not in options:
        raise ValueError("sandbox 适配器需要 data_dir 选项")
    bank = SandboxBank(
        Path(options["data_dir"]),
        seed=int(options.get("seed", 20261121)),
        population=int(options.get("population", 300)),
        latency_s=float(options.get("latency_s", 0.02)),
        faults=SandboxFaults(
            timeout_rate=float(options.get("timeout_rate", 0.0)),
            transient_error_rate=float(options.get("transient_error_rate", 0.0)),
        ),
    )
    return bank.adapters()


def _http_factory(options: Mapping[str, Any]) -> BankAdapters:
    from server.bank.http_adapter import create_http_adapters

    if "base_url" not in options:
        raise ValueError("http 适配器需要 base_url 选项")
    return create_http_adapters(
        str(options["base_url"]),
        token=options.get("token"),
        timeout_s=float(options.get("timeout_s", 5.0)),
    )


register_adapter_set("sandbox", _sandbox_factory)
register_adapter_set("http", _http_factory)
