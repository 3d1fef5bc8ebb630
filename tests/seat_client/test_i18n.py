"""English UI from the committed .ts (compiled at first use when no .qm was built), Chinese by default."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from seat_client import i18n
from seat_client.views.main_window import MainWindow


def test_english_translation_built_from_ts_at_first_use(
    qtbot: QtBot, qapp, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(i18n.platformdirs, "user_cache_dir", lambda *a, **k: str(tmp_path))
    monkeypatch.setattr(i18n, "ts_path", lambda lang: i18n.resources_root() / "i18n" / f"videoteller_{lang}.ts")
    built_next_to_ts = i18n.ts_path("en").with_suffix(".qm")
    if built_next_to_ts.exists():  # scripts/build-translations was run: use a copy of the .ts without it
        copy = tmp_path / "src" / "videoteller_en.ts"
        copy.parent.mkdir()
        copy.write_bytes(i18n.ts_path("en").read_bytes())
        monkeypatch.setattr(i18n, "ts_path", lambda lang: copy)
    translator = i18n.install_translator(qapp, "en")
    assert translator is not None
    assert len(list((tmp_path / "i18n").glob("videoteller_en-*.qm"))) == 1  # named by the .ts content hash
    try:
        window = MainWindow()
        qtbot.addWidget(window)
        assert window.windowTitle() == "VideoTeller Teller Workstation"
        assert window.work_tabs.tabText(1) == "Verification"
        assert window.verification_panel.title() == "Verification"
    finally:
        qapp.removeTranslator(translator)
    chinese = MainWindow()
    qtbot.addWidget(chinese)
    assert chinese.windowTitle() == "VideoTeller 坐席工作台"


def test_default_language_installs_nothing(qapp) -> None:  # type: ignore[no-untyped-def]
    assert i18n.install_translator(qapp, "zh_CN") is None
    assert set(i18n.LANGUAGES) == {"zh_CN", "en"}
