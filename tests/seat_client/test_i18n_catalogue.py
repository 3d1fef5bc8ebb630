"""The English catalogue is complete and current: every marked string of the views, the workstation core and the
Designer forms is in ``resources/i18n/videoteller_en.ts`` with a finished translation that keeps the ``{fields}``; the
texts other parts send (business labels, end messages, controller and sign-in messages) are marked."""

from __future__ import annotations

import ast
import re
import shutil
import string
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from seat_client.call import connection
from seat_client.workstation import catalogue
from seat_client.workstation.texts import CONTEXT, T, Text
from server import calls
from server.routing import engine
from wire import BUSINESS_TYPES

ROOT = Path(__file__).resolve().parents[2]
TS = ROOT / "resources" / "i18n" / "videoteller_en.ts"
LUPDATE_ALIASES = "QT_TRANSLATE_NOOP+=N_,QT_TRANSLATE_NOOP+=T"
"""As in ``scripts/build-translations``."""

Key = tuple[str, str, str]


def _messages(path: Path) -> dict[Key, tuple[str, bool]]:
    """(context, source, comment) -> (translation, finished)."""
    out = {}
    for context in ET.parse(path).getroot():
        name = context.findtext("name") or ""
        for message in context.findall("message"):
            translation = message.find("translation")
            assert translation is not None
            key = (name, message.findtext("source") or "", message.findtext("comment") or "")
            out[key] = (translation.text or "", translation.get("type") not in ("unfinished", "vanished", "obsolete"))
    return out


def test_build_script_uses_the_same_lupdate_sources_and_aliases() -> None:
    script = (ROOT / "scripts" / "build-translations").read_text(encoding="utf-8")
    assert LUPDATE_ALIASES in script
    assert "seat_client/views/*.py seat_client/workstation/*.py ui/*.ui" in script


def test_every_marked_string_is_in_the_catalogue_and_translated(tmp_path: Path) -> None:
    lupdate = Path(sys.executable).with_name("pyside6-lupdate")
    assert lupdate.exists(), "pyside6-lupdate ships with PySide6 in the locked venv; its absence is a broken install"
    fresh = tmp_path / "videoteller_en.ts"
    shutil.copy(TS, fresh)
    sources = [str(p.relative_to(ROOT)) for p in sorted((ROOT / "seat_client" / "views").glob("*.py"))]
    sources += [str(p.relative_to(ROOT)) for p in sorted((ROOT / "seat_client" / "workstation").glob("*.py"))]
    sources += [str(p.relative_to(ROOT)) for p in sorted((ROOT / "ui").glob("*.ui"))]
    result = subprocess.run(
        [str(lupdate), *sources, "-tr-function-alias", LUPDATE_ALIASES, "-ts", str(fresh), "-no-obsolete"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    committed, current = _messages(TS), _messages(fresh)
    assert set(current) - set(committed) == set(), "new strings: run scripts/build-translations and translate them"
    assert set(committed) - set(current) == set(), "vanished strings: run scripts/build-translations"
    unfinished = [key for key, (text, finished) in committed.items() if not finished or not text.strip()]
    assert unfinished == []
    assert len(committed) > 300


def _fields(text: str) -> set[str]:
    try:
        return {field for _lit, field, _spec, _conv in string.Formatter().parse(text) if field is not None}
    except ValueError:
        return {"<unbalanced>"}


def test_translations_keep_the_placeholders_and_have_no_chinese() -> None:
    cjk = re.compile(r"[\u3400-\u9fff]")
    for (context, source, _comment), (translation, _finished) in _messages(TS).items():
        assert _fields(translation) == _fields(source), (context, source, translation)
        assert not cjk.search(translation), (context, source, translation)


def test_a_text_renders_translated_then_filled_and_survives_a_bad_translation() -> None:
    line = T("Workstation", "抓拍 {snapshot_id} 已存证").fmt(snapshot_id="s1")
    assert str(line) == "抓拍 s1 已存证"
    english = {"抓拍 {snapshot_id} 已存证": "Snapshot {snapshot_id} filed", "联网核查": "PBOC check"}
    assert line.render(lambda _c, s: english.get(s, s)) == "Snapshot s1 filed"
    nested = T("Workstation", "{gate}未通过").fmt(gate="联网核查")
    assert nested.render(lambda _c, s: {"{gate}未通过": "{gate} failed", **english}.get(s, s)) == "PBOC check failed"
    broken = T("Workstation", "第{attempt}次").fmt(attempt=2)
    assert broken.render(lambda _c, s: "attempt {count}") == "第2次"  # a wrong field falls back to the source
    assert isinstance(broken, Text) and broken.context == CONTEXT


def test_catalogue_lists_what_the_other_parts_send() -> None:
    assert set(catalogue.BUSINESS_LABELS) == set(BUSINESS_TYPES.values())
    ends = set(calls.END_MESSAGES.values()) | set(engine._WITHDRAW_MESSAGES.values())
    ends |= set(engine._END_MESSAGES.values())
    assert ends <= set(catalogue.CALL_END_MESSAGES)
    fixed_sign_in = {connection.MSG_BAD_CREDENTIALS, connection.MSG_UNREACHABLE, connection.MSG_REPLACED}
    assert fixed_sign_in <= set(catalogue.SIGN_IN_MESSAGES)
    controller = (ROOT / "seat_client" / "controller.py").read_text(encoding="utf-8")
    emitted = {
        node.args[0].value
        for node in ast.walk(ast.parse(controller))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "emit"
        and node.args
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
        and re.search(r"[\u4e00-\u9fff]", node.args[0].value)
    }
    assert emitted and emitted <= set(catalogue.CONTROLLER_MESSAGES), emitted - set(catalogue.CONTROLLER_MESSAGES)
