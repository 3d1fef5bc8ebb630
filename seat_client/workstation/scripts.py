"""Call scripts (话术): ordered steps the teller reads, with the customer's details filled in."""

from __future__ import annotations

import json
import string
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seat_client.resources import resources_root
from seat_client.workstation.texts import N_, T, Text

MISSING = "____"
"""Shown for a placeholder with no value, so the teller sees what to ask."""


class ScriptError(ValueError):
    """A script file is malformed (message in Chinese; ``text`` translatable by the views)."""

    def __init__(self, text: Text | str) -> None:
        super().__init__(str(text))
        self.text = text


@dataclass(frozen=True)
class ScriptStep:
    """One step: a short title and the text to say."""

    title: str
    text: str


@dataclass(frozen=True)
class CallScript:
    """The 话术 of one business type."""

    business_type: str
    title: str
    version: int
    steps: tuple[ScriptStep, ...]

    @classmethod
    def from_dict(cls, data: Any) -> CallScript:
        """Validate a decoded script file (or server answer).

        Raises:
            ScriptError: missing or wrong fields.
        """
        if not isinstance(data, dict):
            raise ScriptError(N_("Workstation", "话术格式错误:应为 JSON 对象"))
        steps = data.get("steps")
        if not isinstance(steps, list) or not steps:
            raise ScriptError(N_("Workstation", "话术格式错误:缺少步骤(steps)"))
        parsed: list[ScriptStep] = []
        for i, step in enumerate(steps, 1):
            if not isinstance(step, dict) or not str(step.get("text", "")).strip():
                raise ScriptError(T("Workstation", "话术格式错误:第 {step} 步缺少内容(text)").fmt(step=i))
            parsed.append(ScriptStep(str(step.get("title") or f"第{i}步"), str(step["text"])))
        return cls(
            str(data.get("business_type", "")),
            str(data.get("title", "话术")),
            int(data.get("version", 1)),
            tuple(parsed),
        )


class _Blanks(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return MISSING


def render_text(template: str, values: dict[str, str]) -> str:
    """Fill ``{name}`` placeholders; unknown or empty ones become ``____``; stray braces are kept as typed."""
    filled = _Blanks({k: v for k, v in values.items() if v})
    out: list[str] = []
    try:
        for literal, field, _spec, _conv in string.Formatter().parse(template):
            out.append(literal)
            if field is not None:
                out.append(filled[field] if field.isidentifier() else "{" + field + "}")
    except ValueError:  # unbalanced braces in a bank-edited file: show it raw rather than fail the call
        return template
    return "".join(out)


def default_script_dir() -> Path:
    """``resources/scripts`` (the defaults shipped with the client and served by the server)."""
    return resources_root() / "scripts"


def load_script_file(business_type: str, directory: Path | None = None) -> CallScript:
    """The script of ``business_type`` from ``directory`` (``default.json`` when there is none for it).

    Raises:
        ScriptError: no file at all, or a malformed one.
    """
    base = directory or default_script_dir()
    if not business_type.replace("_", "").isalnum():
        raise ScriptError(N_("Workstation", "业务类型不正确"))
    for name in (business_type, "default"):
        path = base / f"{name}.json"
        if path.is_file():
            try:
                return CallScript.from_dict(json.loads(path.read_text(encoding="utf-8")))
            except json.JSONDecodeError as exc:
                raise ScriptError(
                    T("Workstation", "话术文件 {name} 不是有效的 JSON:{error}").fmt(name=path.name, error=exc.msg)
                ) from exc
    raise ScriptError(T("Workstation", "没有业务 {business} 的话术").fmt(business=business_type))
