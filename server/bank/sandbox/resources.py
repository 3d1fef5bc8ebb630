"""Where the sandbox bank's files (portraits, demo customers) live, from source and from a frozen bundle."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

__all__ = ["DemoCustomer", "demo_customer", "load_demo_customers", "portrait_path", "sandbox_resources_dir"]


def sandbox_resources_dir() -> Path:
    """``resources/sandbox`` of the source tree, or of the PyInstaller bundle when frozen."""
    bundle = getattr(sys, "_MEIPASS", None)
    root = Path(bundle) if bundle else Path(__file__).resolve().parents[3]
    return root / "resources" / "sandbox"


def portrait_path(file_name: str) -> Path:
    """Path of a portrait in ``resources/sandbox/faces`` (no path components allowed in the name)."""
    if Path(file_name).name != file_name:
        raise ValueError(f"照片文件名无效:{file_name!r}")
    return sandbox_resources_dir() / "faces" / file_name


@dataclass(frozen=True)
class DemoCustomer:
    """A named demo customer from ``resources/sandbox/demo_customers.json``.

    Attributes:
        key: stable key (``pass_all``, ``face_mismatch``, ``blacklisted_aml``, ``blacklisted_fraud``, ``dormant``,
            ``not_in_registry``, ``photo_missing``, ``network_timeout``, ``network_flaky``, ``name_mismatch``).
        raw: the JSON object as published (accounts, network_check, blacklist, portraits...).
    """

    key: str
    raw: dict[str, Any]

    @property
    def name(self) -> str:
        """Full name."""
        return str(self.raw["name"])

    @property
    def id_number(self) -> str:
        """ID number."""
        return str(self.raw["id_number"])

    @property
    def phone(self) -> str:
        """Registered mobile number."""
        return str(self.raw["phone"])

    @property
    def customer_id(self) -> str:
        """Customer number."""
        return str(self.raw["customer_id"])

    @property
    def birth_date(self) -> date:
        """Date of birth."""
        return date.fromisoformat(self.raw["birth_date"])

    @property
    def sex(self) -> str:
        """男/女."""
        return str(self.raw["sex"])

    @property
    def address(self) -> str:
        """Address as on the ID card."""
        return str(self.raw["address"])

    @property
    def first_account(self) -> str:
        """Number of the first listed account."""
        return str(self.raw["accounts"][0]["account_no"])

    def account(self, status: str) -> str:
        """Number of the first account in ``status``."""
        for acc in self.raw["accounts"]:
            if acc["status"] == status:
                return str(acc["account_no"])
        raise KeyError(status)

    @property
    def id_card_portrait(self) -> Path:
        """Portrait to print on the synthetic ID card."""
        return portrait_path(self.raw["id_card_portrait"])

    @property
    def live_sample(self) -> Path:
        """A photo standing for the live camera image in tests and demos."""
        return portrait_path(self.raw["live_sample"])

    @property
    def registered_photo(self) -> Path | None:
        """The network-check registered photo, or None when the registry has none."""
        name = self.raw["network_check"].get("registered_photo")
        return portrait_path(name) if name else None


@lru_cache(maxsize=1)
def _load() -> tuple[DemoCustomer, ...]:
    doc = json.loads((sandbox_resources_dir() / "demo_customers.json").read_text(encoding="utf-8"))
    return tuple(DemoCustomer(c["key"], c) for c in doc["customers"])


def load_demo_customers() -> list[DemoCustomer]:
    """All demo customers, in file order."""
    return list(_load())


def demo_customer(key: str) -> DemoCustomer:
    """One demo customer by key.

    Raises:
        KeyError: unknown key.
    """
    for customer in _load():
        if customer.key == key:
            return customer
    raise KeyError(key)
