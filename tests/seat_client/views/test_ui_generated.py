"""``seat_client/ui_generated`` is what ``scripts/build-ui`` makes from ``ui/*.ui`` now (pyside6-uic), one module per
Designer form, and the forms built from them lay out the widgets the panels use."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from seat_client.views.verification_panel import VerificationPanel
from seat_client.views.wrap_up_panel import WrapUpPanel

ROOT = Path(__file__).resolve().parents[3]
UI_DIR = ROOT / "ui"
GENERATED = ROOT / "seat_client" / "ui_generated"


def _without_uic_version(text: str) -> list[str]:
    """The generated code, minus the header line naming the uic version that wrote it."""
    return [line for line in text.splitlines() if not line.startswith("## Created by: Qt User Interface Compiler")]


@pytest.mark.parametrize("form", sorted(p.stem for p in UI_DIR.glob("*.ui")))
def test_generated_module_matches_its_designer_form(form: str, tmp_path: Path) -> None:
    uic = Path(sys.executable).with_name("pyside6-uic")
    assert uic.exists(), "pyside6-uic ships with PySide6 in the locked venv; its absence is a broken install"
    out = tmp_path / f"ui_{form}.py"
    result = subprocess.run(
        [str(uic), "-o", str(out), str(UI_DIR / f"{form}.ui")], capture_output=True, text=True, check=False, timeout=60
    )
    assert result.returncode == 0, result.stderr
    committed = GENERATED / f"ui_{form}.py"
    assert committed.exists(), f"run scripts/build-ui: {committed.name} is missing"
    assert _without_uic_version(committed.read_text(encoding="utf-8")) == _without_uic_version(
        out.read_text(encoding="utf-8")
    ), f"{committed.name} is stale: run scripts/build-ui"


def test_no_generated_module_without_a_form() -> None:
    forms = {p.stem for p in UI_DIR.glob("*.ui")}
    generated = {p.stem.removeprefix("ui_") for p in GENERATED.glob("ui_*.py")}
    assert generated == forms
    assert {"login_dialog", "verification_panel", "wrap_up_panel"} <= forms


def test_panels_are_built_from_their_forms(qtbot: QtBot) -> None:
    verification, wrap_up = VerificationPanel(), WrapUpPanel()
    qtbot.addWidget(verification)
    qtbot.addWidget(wrap_up)
    assert type(verification.ui).__module__ == "seat_client.ui_generated.ui_verification_panel"
    assert verification.banner.objectName() == "gateFailedBanner" and verification.banner.isHidden()
    assert set(verification.action_buttons) == {"network_check", "face", "liveness", "questions"}
    assert not any(b.isEnabled() for b in verification.action_buttons.values())
    assert all(bar.property("faceBar") is True for bar in verification.face_bars.values())  # themed as face bars
    assert verification.title() == "身份核验" and verification.network_photo.text() == "联网照片"
    assert type(wrap_up.ui).__module__ == "seat_client.ui_generated.ui_wrap_up_panel"
    assert wrap_up.countdown.objectName() == "timerLabel" and wrap_up.title() == "话后整理"
    assert wrap_up.counter_label.text() == "0/2000" and not wrap_up.finish_button.isEnabled()
