"""Chinese UI font: use the system's CJK font, or register the Noto Sans CJK font shipped in the frozen bundle.

A bank PC with a stripped-down Linux image (or a Windows install without the Chinese language pack) may have no
font with Chinese glyphs, and every label would then render as tofu boxes. The installer bundles the Simplified
Chinese face of Noto Sans CJK (``NotoSansCJKsc-Regular.otf``, cut to the characters the UI needs) under
``resources/fonts/``; :func:`ensure_cjk_font` registers it with ``QFontDatabase`` at start when no installed font
covers Chinese.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtGui import QFont, QFontDatabase, QGuiApplication, QTextLayout

from seat_client.resources import resources_root

logger = logging.getLogger(__name__)

BUNDLED_CJK_FONT = ("fonts", "NotoSansCJKsc-Regular.otf")
"""Noto Sans CJK SC cut to the characters the UI needs (made by installer/videoteller-seat.spec)."""
PROBE_TEXT = "坐席工作台"
"""What the self-test renders (the window title's words)."""


def bundled_font_path() -> Path | None:
    """The CJK font shipped in the bundle (``resources/fonts/``), or None when running from a checkout without it."""
    path = resources_root().joinpath(*BUNDLED_CJK_FONT)
    return path if path.is_file() else None


def system_cjk_families() -> list[str]:
    """Installed font families that declare Simplified Chinese support."""
    return list(QFontDatabase.families(QFontDatabase.WritingSystem.SimplifiedChinese))


def register_bundled_font() -> list[str]:
    """Add the bundled CJK font to the application's font database; returns its family names (empty on failure)."""
    path = bundled_font_path()
    if path is None:
        return []
    font_id = QFontDatabase.addApplicationFont(str(path))
    if font_id < 0:
        logger.error("could not load the bundled CJK font %s", path)
        return []
    return list(QFontDatabase.applicationFontFamilies(font_id))


def ensure_cjk_font(app: QGuiApplication, *, force_bundled: bool = False) -> str:
    """Make sure Chinese text renders; call once right after the QApplication is created.

    Args:
        app: the application whose default font gets the CJK family as a fallback when the bundled font is used.
        force_bundled: register and prefer the bundled font even if the system has one (tests, diagnostics).

    Returns:
        ``"system"`` (an installed CJK font is used), ``"bundled:<family>"`` or ``"missing"``.
    """
    if not force_bundled and system_cjk_families():
        return "system"
    families = register_bundled_font()
    if not families:
        logger.warning("no font with Chinese glyphs found and none bundled: Chinese text will not render")
        return "missing"
    # Prefer the Simplified Chinese face of the collection (the .ttc holds SC, TC, HK, JP and KR faces).
    family = next((f for f in families if f.endswith(" SC")), families[0])
    font = QFont(app.font())
    font.setFamilies([family, *font.families()])
    app.setFont(font)
    logger.info("registered the bundled CJK font %s", family)
    return f"bundled:{family}"


@dataclass
class GlyphCoverage:
    """How a font renders a text (字形检查).

    Attributes:
        text: the text laid out.
        fonts: the font families Qt actually used (after fallback).
        missing: characters that came out as the missing-glyph box (tofu).
        ink_pixels: dark pixels when the text is painted into an image (0 means nothing visible was drawn).
        distinct_glyphs: distinct glyph images among the characters (tofu boxes all look alike).
    """

    text: str
    fonts: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    ink_pixels: int = 0
    distinct_glyphs: int = 0

    @property
    def ok(self) -> bool:
        """Every character has a real, visible and distinguishable glyph."""
        distinct_chars = len(set(self.text.replace(" ", "")))
        return not self.missing and self.ink_pixels > 0 and self.distinct_glyphs == distinct_chars


def glyph_coverage(font: QFont, text: str = PROBE_TEXT) -> GlyphCoverage:
    """Lay out and paint ``text`` with ``font`` (font fallback included) and check no character is tofu.

    Needs a QGuiApplication. Uses ``QTextLayout.glyphRuns()``: each run carries the raw font Qt picked for it; a
    character is missing when the run's font does not support it or its glyph index is 0 (``.notdef``).
    """
    from PySide6.QtGui import QColor, QImage, QPainter

    result = GlyphCoverage(text=text)
    layout = QTextLayout(text, font)
    layout.beginLayout()
    layout.createLine()
    layout.endLayout()
    for run in layout.glyphRuns():
        raw = run.rawFont()
        result.fonts.append(raw.familyName())
        if 0 in list(run.glyphIndexes()):
            result.missing.append(f"<glyph 0 in {raw.familyName()}>")
    for ch in text:
        if ch.isspace():
            continue
        if not any(run.rawFont().supportsCharacter(ch) for run in layout.glyphRuns()):
            result.missing.append(ch)

    images: set[bytes] = set()
    for ch in dict.fromkeys(text.replace(" ", "")):
        img = QImage(64, 64, QImage.Format.Format_Grayscale8)
        img.fill(QColor("white"))
        painter = QPainter(img)
        painter.setFont(QFont(font.families(), 40))
        painter.setPen(QColor("black"))
        painter.drawText(4, 52, ch)
        painter.end()
        data = bytes(img.constBits())  # type: ignore[call-overload]
        result.ink_pixels += sum(1 for b in data if b < 128)
        images.add(data)
    result.distinct_glyphs = len(images)
    return result
