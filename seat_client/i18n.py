"""UI language: Chinese (zh_CN, the source strings) by default, English from ``resources/i18n/videoteller_en``.

The ``.ts`` source is in the repository; the ``.qm`` is built by ``scripts/build-translations`` (pyside6-lupdate /
pyside6-lrelease from the venv) and is not committed, so a fresh clone builds it at first use from the ``.ts``
into the user cache directory (``pyside6-lrelease`` next to the running Python).
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import platformdirs
from PySide6.QtCore import QCoreApplication, QTranslator

from seat_client.resources import resources_root
from seat_client.workstation.texts import CONTEXT, Text

logger = logging.getLogger(__name__)

LANGUAGES = {"zh_CN": "简体中文", "en": "English"}
DEFAULT_LANGUAGE = "zh_CN"


def ts_path(language: str) -> Path:
    """The translation source of ``language``."""
    return resources_root() / "i18n" / f"videoteller_{language}.ts"


def _lrelease() -> str | None:
    local = Path(sys.executable).with_name("pyside6-lrelease")
    return str(local) if local.exists() else shutil.which("pyside6-lrelease")


def qm_path(language: str) -> Path | None:
    """A compiled translation: next to the ``.ts`` (bundled, or built by the script and not older than the ``.ts``),
    else built now into the cache under a name carrying the ``.ts`` content's hash, so a stale one is never used."""
    source = ts_path(language)
    built = source.with_suffix(".qm")
    if built.exists() and (not source.exists() or built.stat().st_mtime >= source.stat().st_mtime):
        return built
    tool = _lrelease()
    if not source.exists() or tool is None:
        return None
    digest = hashlib.sha256(source.read_bytes()).hexdigest()[:16]
    cached = Path(platformdirs.user_cache_dir("VideoTeller", "VideoTeller")) / "i18n" / f"{built.stem}-{digest}.qm"
    if not cached.exists():
        cached.parent.mkdir(parents=True, exist_ok=True)
        partial = cached.with_suffix(f".{os.getpid()}.part")
        result = subprocess.run([tool, str(source), "-qm", str(partial)], capture_output=True, text=True, check=False)
        if result.returncode != 0:
            logger.error("could not build %s: %s", cached.name, result.stderr.strip())
            return None
        partial.replace(cached)  # atomic: a second program starting at the same time never reads half a file
    return cached


def install_translator(app: QCoreApplication | None, language: str) -> QTranslator | None:
    """Translate the UI into ``language`` (None and Chinese when it is the default or unavailable)."""
    if app is None or language == DEFAULT_LANGUAGE:
        return None
    path = qm_path(language)
    translator = QTranslator(app)
    if path is None or not translator.load(str(path)):
        logger.warning("no translation for %r: the UI stays in Chinese", language)
        return None
    app.installTranslator(translator)
    logger.info("UI language %s from %s", language, path)
    return translator


def qt_translate(context: str, source: str) -> str:
    """``QCoreApplication.translate``: the installed translation of ``source``, or ``source`` itself."""
    return QCoreApplication.translate(context, source)


def translate_text(value: Text | str | None) -> str:
    """Show a text of the Qt-free workstation core in the UI language.

    A :class:`~seat_client.workstation.texts.Text` is translated and filled in; a plain string is looked up in the
    core's context (strings marked with ``N_``); anything not in the catalogue (server messages, customer data) is
    shown as it is.
    """
    if value is None:
        return ""
    if isinstance(value, Text):
        return value.render(qt_translate)
    return qt_translate(CONTEXT, value) if value else value
