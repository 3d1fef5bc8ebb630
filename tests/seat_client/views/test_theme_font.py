"""The UI font renders Chinese with Simplified Chinese glyph shapes (Noto Sans CJK SC), not the JP face."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtGui import QFont, QFontDatabase, QFontInfo, QTextLayout
from PySide6.QtWidgets import QApplication, QLabel
from pytestqt.qtbot import QtBot

from seat_client.views.theme import CJK_UI_FAMILIES, apply_theme, ui_font_families

SC = "Noto Sans CJK SC"
JP = "Noto Sans CJK JP"
TEXT = "坐席直骨角"
"""直, 骨 and 角 are drawn differently in the SC and JP faces of Noto Sans CJK."""


def glyph_runs(font: QFont, text: str = TEXT) -> list[tuple[str, list[int]]]:
    """(font family Qt actually used, glyph indexes) per glyph run."""
    layout = QTextLayout(text, font)
    layout.beginLayout()
    layout.createLine()
    layout.endLayout()
    return [(run.rawFont().familyName(), list(run.glyphIndexes())) for run in layout.glyphRuns()]


@pytest.fixture
def themed_app(qapp: QApplication) -> Iterator[QApplication]:
    """The test QApplication with the theme applied; its font and stylesheet are restored afterwards."""
    font, sheet = QFont(qapp.font()), qapp.styleSheet()
    apply_theme(qapp)
    yield qapp
    qapp.setFont(font)
    qapp.setStyleSheet(sheet)


def test_family_order_prefers_simplified_chinese() -> None:
    families = ui_font_families(["Sans Serif", SC])
    assert families[: len(CJK_UI_FAMILIES)] == list(CJK_UI_FAMILIES)
    assert families[-1] == "Sans Serif" and families.count(SC) == 1


def test_app_font_resolves_to_the_sc_face(themed_app: QApplication, qtbot: QtBot) -> None:
    if not {SC, JP} <= set(QFontDatabase.families()):
        pytest.skip("needs Debian fonts-noto-cjk (Noto Sans CJK SC and JP)")
    assert QFontInfo(themed_app.font()).family() == SC
    label = QLabel(TEXT)
    qtbot.addWidget(label)
    assert QFontInfo(label.font()).family() == SC
    runs = glyph_runs(label.font())
    assert {family for family, _ in runs} == {SC}
    # The shapes are the SC face's: its glyphs for these characters are not the JP face's.
    jp = glyph_runs(QFont(JP))
    assert {family for family, _ in jp} == {JP}
    assert runs[0][1] != jp[0][1]
