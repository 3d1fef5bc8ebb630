"""installer/bundle_prune.py: unused Qt plugins go, and so do the libraries (and symlinks) only they needed."""

from __future__ import annotations

import sys

from tests.installer.conftest import ROOT

sys.path.insert(0, str(ROOT / "installer"))
from bundle_prune import prune_binaries

QT = "PySide6/Qt/"


def test_unused_plugins_and_their_libraries_are_dropped_shared_ones_kept() -> None:
    toc = [
        (QT + "plugins/platformthemes/libqgtk3.so", "/src/libqgtk3.so", "BINARY"),
        (QT + "plugins/multimedia/libffmpegmediaplugin.so", "/src/libffmpegmediaplugin.so", "BINARY"),
        (QT + "plugins/egldeviceintegrations/libqeglfs-kms-integration.so", "/src/kms.so", "BINARY"),
        (QT + "plugins/platforms/libqxcb.so", "/src/libqxcb.so", "BINARY"),
        (QT + "lib/libQt6Quick.so.6", "/src/libQt6Quick.so.6", "BINARY"),  # only via the ffmpeg plugin
        (QT + "lib/libQt6Gui.so.6", "/src/libQt6Gui.so.6", "BINARY"),  # via xcb and the ffmpeg plugin
        ("libQt6Quick.so.6", QT + "lib/libQt6Quick.so.6", "SYMLINK"),
        ("libQt6Gui.so.6", QT + "lib/libQt6Gui.so.6", "SYMLINK"),
        ("libgtk-3.so.0", "/lib/libgtk-3.so.0", "BINARY"),
        ("libcairo.so.2", "/lib/libcairo.so.2", "BINARY"),  # only via gtk
        ("libX11.so.6", "/lib/libX11.so.6", "BINARY"),  # via gtk and via xcb's libX11-xcb
        ("libX11-xcb.so.1", "/lib/libX11-xcb.so.1", "BINARY"),
        ("libpython3.11.so.1.0", "/lib/libpython3.11.so.1.0", "BINARY"),  # never pruned
        ("cv2/cv2.abi3.so", "/src/cv2.abi3.so", "EXTENSION"),
        ("pillow.libs/libavif-1.so.16", "/src/libavif-1.so.16", "BINARY"),  # its extension was excluded
        ("pillow.libs/libjpeg-2.so.62", "/src/libjpeg-2.so.62", "BINARY"),  # PIL._imaging needs it
        ("PIL/_imaging.so", "/src/_imaging.so", "EXTENSION"),
    ]
    graph = {
        "/src/libqgtk3.so": ["libgtk-3.so.0", "libX11.so.6"],
        "/lib/libgtk-3.so.0": ["libcairo.so.2", "libX11.so.6"],
        "/src/libffmpegmediaplugin.so": ["libQt6Quick.so.6", "libQt6Gui.so.6"],
        "/src/libqxcb.so": ["libX11-xcb.so.1", "libQt6Gui.so.6"],
        "/lib/libX11-xcb.so.1": ["libX11.so.6"],
        "/src/_imaging.so": ["libjpeg-2.so.62"],
    }
    kept, dropped = prune_binaries(toc, lambda path: graph.get(path, []))
    assert {e[0] for e in kept} == {
        QT + "plugins/platforms/libqxcb.so",
        QT + "lib/libQt6Gui.so.6",
        "libQt6Gui.so.6",
        "libX11.so.6",
        "libX11-xcb.so.1",
        "libpython3.11.so.1.0",
        "cv2/cv2.abi3.so",
        "pillow.libs/libjpeg-2.so.62",
        "PIL/_imaging.so",
    }
    assert set(dropped) == {
        "pillow.libs/libavif-1.so.16",
        QT + "plugins/platformthemes/libqgtk3.so",
        QT + "plugins/multimedia/libffmpegmediaplugin.so",
        QT + "plugins/egldeviceintegrations/libqeglfs-kms-integration.so",
        QT + "lib/libQt6Quick.so.6",
        "libQt6Quick.so.6",  # the symlink to a dropped library
        "libgtk-3.so.0",
        "libcairo.so.2",
    }


def test_nothing_is_dropped_when_everything_is_needed() -> None:
    toc = [("ext.so", "/src/ext.so", "EXTENSION"), ("libz.so.1", "/lib/libz.so.1", "BINARY")]
    kept, dropped = prune_binaries(toc, lambda path: ["libz.so.1"] if path == "/src/ext.so" else [])
    assert kept == toc
    assert dropped == []
