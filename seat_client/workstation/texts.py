"""Translatable texts of the Qt-free workstation core: Chinese source strings the views translate when they show them.

The core cannot call Qt's ``tr``, so it marks its strings instead and the views translate them at display time:

- ``N_("Workstation", "联网核查")`` marks a fixed string and returns it unchanged; a view shows it through
  :func:`seat_client.i18n.translate_text`.
- ``T("Workstation", "抓拍 {snapshot_id} 已存证").fmt(snapshot_id="s1")`` is a :class:`Text`: the source with its
  values, translated first and filled in after, so the English catalogue holds one entry per sentence, not per value.

``pyside6-lupdate`` reads both as ``QT_TRANSLATE_NOOP`` (``scripts/build-translations`` passes
``-tr-function-alias QT_TRANSLATE_NOOP+=N_,QT_TRANSLATE_NOOP+=T``), so they must be called with two string literals
(lupdate cannot read a variable): the context is always written out as ``"Workstation"`` (:data:`CONTEXT`). Text
that is not in the catalogue (server messages, customer data) passes through translation unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

CONTEXT = "Workstation"
"""The translation context of every string the Qt-free core marks."""

Translate = Callable[[str, str], str]
"""``(context, source) -> translation`` (``QCoreApplication.translate`` in the views)."""


def _untranslated(_context: str, source: str) -> str:
    return source


def N_(context: str, source: str) -> str:
    """Mark ``source`` for translation; returns it unchanged (the view translates it when it shows it)."""
    return source


@dataclass(frozen=True)
class Text:
    """A sentence with values: translated as a whole, then filled in with :meth:`str.format`.

    Attributes:
        source: the Chinese source with ``{name}`` fields.
        params: the values (strings among them are translated too when they are in the catalogue).
        context: the translation context.
    """

    source: str
    params: tuple[tuple[str, object], ...] = ()
    context: str = CONTEXT

    def fmt(self, **params: object) -> Text:
        """The same sentence with ``params`` filled in."""
        return replace(self, params=tuple(params.items()))

    def render(self, translate: Translate = _untranslated) -> str:
        """The text in the language ``translate`` gives (Chinese by default)."""
        template = translate(self.context, self.source)
        if not self.params:
            return template
        values = {key: render_value(value, translate) for key, value in self.params}
        try:
            return template.format(**values)
        except (KeyError, IndexError, ValueError):  # a broken translation must not hide the message
            return self.source.format(**values)

    def __str__(self) -> str:
        return self.render()


def render_value(value: object, translate: Translate = _untranslated) -> object:
    """A :class:`Text` rendered, a string looked up in the catalogue, anything else as is (for format specs)."""
    if isinstance(value, Text):
        return value.render(translate)
    if isinstance(value, str):
        return translate(CONTEXT, value) if value else value
    return value


def T(context: str, source: str) -> Text:
    """A translatable sentence; add its values with :meth:`Text.fmt`."""
    return Text(source, (), context)
