"""Bundled CJK font (seat_client/fonts.py): registered and used when asked to, and it renders Chinese."""

from __future__ import annotations

from pathlib import Path

import pytest

from seat_client import fonts

SYSTEM_FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")


@pytest.mark.skipif(not SYSTEM_FONT.is_file(), reason="needs Debian fonts-noto-cjk (scripts/_bootstrap.sh installs it)")
def test_bundled_font_is_registered_and_renders_chinese(qapp, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    # lay out a resources/ tree like the frozen bundle's, with the font the spec bundles
    (tmp_path / "fonts").mkdir()
    (tmp_path / "fonts").joinpath(fonts.BUNDLED_CJK_FONT[1]).symlink_to(SYSTEM_FONT)
    monkeypatch.setattr(fonts, "resources_root", lambda: tmp_path)
    before = qapp.font()
    try:
        used = fonts.ensure_cjk_font(qapp, force_bundled=True)
        assert used == "bundled:Noto Sans CJK SC"
        assert qapp.font().families()[0] == "Noto Sans CJK SC"
        coverage = fonts.glyph_coverage(qapp.font(), "坐席工作台")
        assert coverage.ok, coverage
        assert coverage.fonts == ["Noto Sans CJK SC"]
    finally:
        qapp.setFont(before)


def test_without_a_bundled_font_nothing_is_registered(qapp, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(fonts, "resources_root", lambda: tmp_path)
    assert fonts.bundled_font_path() is None
    assert fonts.register_bundled_font() == []
    # a source checkout uses the system's CJK font, or reports that there is none
    expected = "system" if fonts.system_cjk_families() else "missing"
    assert fonts.ensure_cjk_font(qapp) == expected
