"""Trim a PyInstaller analysis of the seat client: drop unused Qt plugins and the libraries only they need.

Used by ``videoteller-seat.spec`` on Linux. PyInstaller collects every plugin of the Qt modules we import and then
every shared library those plugins link against:

* the GTK platform theme drags in GTK 3, GDK, cairo, pango and friends (~20 MB); the teller UI uses its own style;
* the virtual-keyboard input context drags in Qt Virtual Keyboard; teller PCs have a physical keyboard;
* Qt Multimedia's FFmpeg backend plugin drags in Qt's own FFmpeg build plus Qt Quick/QML (~37 MB). The seat client
  only uses ``QAudioSink`` and ``QMediaDevices`` for audio, which Qt Multimedia provides without a backend plugin
  ("No QtMultimedia backends found. Only QMediaDevices, QAudioDevice, QSoundEffect, QAudioSink, and QAudioSource are
  available."); cameras are read with OpenCV, video is decoded by PyAV;
* embedded-display platform plugins (eglfs, linuxfb, vnc, vkkhrdisplay, minimalegl): a teller PC runs X11/Wayland.

Those plugins are dropped, and a library (a system library copied to the bundle's top level, or a Qt library) is
kept only while something still in the bundle needs it (``DT_NEEDED`` closure). Symlinks to dropped files go too.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterable

TocEntry = tuple[str, str, str]
"""PyInstaller TOC entry: (name in the bundle, source path or symlink target, type code)."""

QT = "PySide6/Qt/"
UNUSED_QT_PLUGINS = (
    QT + "plugins/platformthemes/libqgtk3.so",
    QT + "plugins/imageformats/libqpdf.so",  # pulls in libQt6Pdf (4.5 MB); the seat shows no PDFs
    QT + "plugins/platforminputcontexts/libqtvirtualkeyboardplugin.so",
    QT + "plugins/multimedia/libffmpegmediaplugin.so",
    QT + "plugins/platforms/libqeglfs.so",
    QT + "plugins/platforms/libqlinuxfb.so",
    QT + "plugins/platforms/libqvnc.so",
    QT + "plugins/platforms/libqvkkhrdisplay.so",
    QT + "plugins/platforms/libqminimalegl.so",
    QT + "plugins/egldeviceintegrations/",
)


def _norm(name: str) -> str:
    return name.replace("\\", "/")


def _is_unused_plugin(name: str) -> bool:
    name = _norm(name)
    return any(name == p or (p.endswith("/") and name.startswith(p)) for p in UNUSED_QT_PLUGINS)


def _is_prunable_lib(name: str) -> bool:
    """A shared library kept only if needed: a system library at the top level (not libpython), a Qt library, or
    a library auditwheel vendored into a ``<package>.libs`` directory."""
    name = _norm(name)
    if name.startswith(QT + "lib/") or name.split("/")[0].endswith(".libs"):
        return ".so" in name
    return "/" not in name and name.startswith("lib") and ".so" in name and not name.startswith("libpython")


def prune_binaries(
    binaries: Iterable[TocEntry], needed: Callable[[str], Iterable[str]]
) -> tuple[list[TocEntry], list[str]]:
    """Drop the unused Qt plugins, then every prunable library nothing left in the bundle links against.

    Args:
        binaries: the analysis' binaries TOC.
        needed: returns the ``DT_NEEDED`` sonames of a file (PyInstaller's ``bindepend.get_imports``).

    Returns:
        The kept entries and the bundle names of the dropped ones.
    """
    entries = list(binaries)
    links = [e for e in entries if e[2] == "SYMLINK"]
    files = [e for e in entries if e[2] != "SYMLINK"]
    dropped = [e[0] for e in files if _is_unused_plugin(e[0])]
    kept = [e for e in files if not _is_unused_plugin(e[0])]
    pool = {posixpath.basename(_norm(e[0])): e for e in kept if _is_prunable_lib(e[0])}
    roots = [e for e in kept if not _is_prunable_lib(e[0])]
    reachable: set[str] = set()
    todo = [e[1] for e in roots]
    seen: set[str] = set()
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        for soname in needed(path):
            if soname in pool and soname not in reachable:
                reachable.add(soname)
                todo.append(pool[soname][1])
    unreachable = {pool[name][0] for name in pool if name not in reachable}
    dropped += sorted(unreachable)
    result = [e for e in kept if e[0] not in unreachable]
    gone = set(dropped)
    result += [link for link in links if _norm(link[1]) not in gone]
    dropped += [link[0] for link in links if _norm(link[1]) in gone]
    return result, dropped
