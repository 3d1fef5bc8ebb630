"""Installer tests: fast unit tests always run; ``@pytest.mark.installer`` ones build the bundle and the .deb.

The installer tests take minutes (a PyInstaller build, a frozen self-test, dpkg -i / -r): they run in CI
(``CI=true``) or when ``VT_BUILD_INSTALLER=1``; otherwise they are skipped with the reason.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def installer_tests_enabled() -> bool:
    """The slow installer tests run in CI or when asked for."""
    return os.environ.get("VT_BUILD_INSTALLER") == "1" or os.environ.get("CI", "").lower() == "true"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "installer: builds the PyInstaller bundle and the .deb (CI=true or VT_BUILD_INSTALLER=1)"
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if installer_tests_enabled():
        return
    skip = pytest.mark.skip(reason="slow installer build: runs when CI=true or VT_BUILD_INSTALLER=1")
    for item in items:
        if item.get_closest_marker("installer"):
            item.add_marker(skip)
