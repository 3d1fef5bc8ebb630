"""One place that resolves resource files, both from a source checkout and from the PyInstaller bundle."""

from __future__ import annotations

import sys
from pathlib import Path


def resources_root() -> Path:
    """The ``resources/`` directory: ``sys._MEIPASS/resources`` when frozen, else the repository's."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def resource_path(*parts: str) -> Path:
    """Path of a resource, e.g. ``resource_path("icons", "videoteller.svg")``.

    Raises:
        FileNotFoundError: the resource is missing (a packaging error, better caught at start).
    """
    path = resources_root().joinpath(*parts)
    if not path.exists():
        raise FileNotFoundError(f"resource missing: {path}")
    return path
