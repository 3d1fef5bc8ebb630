"""Resource lookup from the source tree and from a (simulated) PyInstaller bundle."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from PySide6.QtGui import QIcon
from pytestqt.qtbot import QtBot

from seat_client.resources import resource_path, resources_root


def test_icon_resolves_and_loads(qtbot: QtBot) -> None:
    path = resource_path("icons", "videoteller.svg")
    assert path.is_file()
    assert not QIcon(str(path)).pixmap(32, 32).isNull()


def test_frozen_bundle_root(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert resources_root() == tmp_path / "resources"
    with pytest.raises(FileNotFoundError, match="resource missing"):
        resource_path("icons", "videoteller.svg")
