"""The frozen seat client and its .deb, as CI builds them: self-test offscreen, configure, start-up, install/remove.

Slow (a PyInstaller build takes minutes): marked ``installer``, run with ``CI=true`` or ``VT_BUILD_INSTALLER=1``
(``VT_INSTALLER_REUSE=1`` reuses an existing build in ``VT_INSTALLER_OUT``, for local iteration).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.installer.conftest import ROOT
from tests.installer.tls_fixtures import healthz_server, make_pki

pytestmark = [pytest.mark.installer, pytest.mark.timeout(1500)]

APP = "videoteller-seat"
MUST_PASS = ("qt_platform", "font", "codecs", "ui_resources", "loopback", "models", "face", "face_mesh", "ocr")


@dataclass
class BuiltInstaller:
    """What scripts/build-installer produced."""

    out: Path
    bundle: Path
    exe: Path
    deb: Path


@pytest.fixture(scope="session")
def built() -> Iterator[BuiltInstaller]:
    out = Path(os.environ.get("VT_INSTALLER_OUT", ROOT / "build" / "installer"))
    exe = out / "dist" / APP / APP
    debs = sorted(out.glob(f"{APP}_*_amd64.deb"))
    if not (os.environ.get("VT_INSTALLER_REUSE") == "1" and exe.exists() and debs):
        proc = subprocess.run(
            [str(ROOT / "scripts" / "build-installer")],
            cwd=ROOT,
            env={**os.environ, "VT_INSTALLER_OUT": str(out)},
            capture_output=True,
            text=True,
            timeout=1200,
        )
        assert proc.returncode == 0, proc.stderr[-4000:]
        debs = sorted(out.glob(f"{APP}_*_amd64.deb"))
    assert exe.exists() and debs
    yield BuiltInstaller(out, exe.parent, exe, debs[-1])


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VT_SEAT_", "PYTHON"))}
    env.update(
        QT_QPA_PLATFORM="offscreen",
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_STATE_HOME=str(home / "state"),
        XDG_CACHE_HOME=str(home / "cache"),
    )
    return env


def _checks(report: str) -> dict[str, str]:
    """``{check name: status}`` from the self-test's ``[STATUS] name  title: detail`` lines."""
    found = {}
    for line in report.splitlines():
        if line.startswith("[") and "]" in line:
            status, rest = line[1:].split("]", 1)
            found[rest.split()[0]] = status.strip().lower()
    return found


async def _run(*cmd: str, env: dict[str, str], timeout: float = 300) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        *cmd, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


def _assert_self_test_passed(code: int, out: str, err: str, *, server: str) -> None:
    assert code == 0, out + err[-3000:]
    assert "SELF-TEST OK" in out
    assert "(frozen, build " in out  # the frozen program, with the spec's build-info.json
    checks = _checks(out)
    for name in MUST_PASS:
        assert checks.get(name) == "pass", out
    assert checks.get("devices") in ("pass", "warn"), out  # no camera here: a warning, not a failure
    assert checks.get("server") == server, out


async def test_frozen_configure_then_self_test_with_tls(built: BuiltInstaller, tmp_path: Path) -> None:
    """IT's sequence on a seat PC: --configure (server, seat id, bank CA, camera), then --self-test."""
    pki = make_pki(tmp_path / "pki")
    env = _env(tmp_path)
    async with healthz_server(pki) as url:
        code, out, err = await _run(
            str(built.exe), "--configure", "--server", url, "--seat-id", "1001",
            "--ca-cert", str(pki.ca_cert), "--camera", "fake-pattern", env=env, timeout=120,
        )  # fmt: skip
        assert code == 0, err
        settings = json.loads((tmp_path / "config" / "VideoTeller" / "seat.json").read_text(encoding="utf-8"))
        assert (settings["server_url"], settings["seat_id"], settings["camera"]) == (url, "1001", "fake-pattern")
        code, out, err = await _run(str(built.exe), "--self-test", env=env)
    _assert_self_test_passed(code, out, err, server="pass")
    assert "TLS chain valid" in out
    # logs go to the user's log directory (platformdirs user_log_dir under XDG_STATE_HOME)
    assert (tmp_path / "state" / "VideoTeller" / "log" / "seat_client.log").stat().st_size > 0


@pytest.mark.parametrize("platform", ["offscreen", "xcb"])
async def test_frozen_start_up_probe_reaches_the_login_window(
    built: BuiltInstaller, tmp_path: Path, platform: str
) -> None:
    """The login window opens offscreen and on a real X server (Xvfb: the bundled xcb platform plugin)."""
    env = {**_env(tmp_path), "VT_SEAT_STARTUP_PROBE": "1"}
    cmd = [str(built.exe)]
    if platform == "xcb":
        if not shutil.which("xvfb-run"):
            pytest.skip("xvfb-run not installed (Debian xvfb)")
        env["QT_QPA_PLATFORM"] = "xcb"
        cmd = ["xvfb-run", "-a", *cmd]
    code, out, err = await _run(*cmd, env=env, timeout=120)
    assert code == 0, err[-3000:]
    assert any(line.startswith("STARTUP-PROBE ") for line in out.splitlines())
    log = (tmp_path / "state" / "VideoTeller" / "log" / "seat_client.log").read_text(encoding="utf-8")
    assert "Could not load the Qt platform plugin" not in log


def test_every_bundled_library_resolves(built: BuiltInstaller) -> None:
    """No ELF file in the bundle needs a library that is neither bundled nor a base system library (ldd)."""
    internal = built.bundle / "_internal"
    missing: dict[str, list[str]] = {}
    for path in sorted(internal.rglob("*.so*")):
        if path.is_symlink() or not path.is_file():
            continue
        proc = subprocess.run(
            ["ldd", str(path)], capture_output=True, text=True, env={"LD_LIBRARY_PATH": str(internal)}, timeout=60
        )
        gone = [line.split()[0] for line in proc.stdout.splitlines() if "not found" in line]
        if gone:
            missing[str(path.relative_to(internal))] = gone
    assert missing == {}


def test_bundle_contents(built: BuiltInstaller) -> None:
    internal = built.bundle / "_internal"
    info = json.loads((internal / "build-info.json").read_text(encoding="utf-8"))
    assert info["name"] == APP and info["version"] == built.deb.name.split("_")[1]
    assert set(info["models"]) >= {"yunet", "sface", "ocr_det", "ocr_rec", "face_mesh"}
    font = internal / "resources" / "fonts" / "NotoSansCJKsc-Regular.otf"  # the subset made by the spec
    assert 5_000_000 < font.stat().st_size < 15_000_000
    assert list((internal / "pillow.libs").glob("libavif*")) == []  # PIL._avif excluded, its library pruned
    qt = internal / "PySide6" / "Qt"
    assert (qt / "plugins" / "platforms" / "libqxcb.so").is_file()
    for unused in ("libQt6WebEngineCore.so.6", "libQt6Pdf.so.6", "libQt6Charts.so.6", "libQt6Quick3D.so.6"):
        assert not (qt / "lib" / unused).exists(), unused
    # pruned on Linux (installer/bundle_prune.py): GTK theme, virtual keyboard, Qt's FFmpeg backend and Qt Quick
    for pruned in (
        "plugins/platformthemes/libqgtk3.so",
        "plugins/multimedia/libffmpegmediaplugin.so",
        "lib/libQt6Quick.so.6",
        "lib/libQt6VirtualKeyboard.so.6",
    ):
        assert not (qt / pruned).exists(), pruned
    assert not (internal / "libgtk-3.so.0").exists()
    for dead in ("tkinter", "jax", "playwright", "server", "uvloop", "matplotlib/mpl-data/fonts"):
        assert not (internal / dead).exists(), dead
    # no symlink points at something that was pruned
    assert [str(p) for p in built.bundle.rglob("*") if p.is_symlink() and not p.exists()] == []


def _sudo() -> list[str]:
    if os.geteuid() == 0:
        return []
    if shutil.which("sudo") and subprocess.run(["sudo", "-n", "true"], capture_output=True).returncode == 0:
        return ["sudo", "-n"]
    pytest.skip("installing the .deb needs root or password-less sudo")


async def test_deb_installs_runs_and_removes_cleanly(built: BuiltInstaller, tmp_path: Path) -> None:
    sudo = _sudo()
    subprocess.run([*sudo, "dpkg", "-r", APP], capture_output=True)  # a leftover from an interrupted run
    proc = subprocess.run([*sudo, "dpkg", "-i", str(built.deb)], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    try:
        owned = subprocess.run(["dpkg", "-L", APP], capture_output=True, text=True, check=True).stdout.split("\n")
        owned_files = {p for p in owned if p and not Path(p).is_dir()}
        for path in (
            "/usr/bin/videoteller-seat",
            "/usr/share/applications/videoteller-seat.desktop",
            "/usr/share/icons/hicolor/scalable/apps/videoteller-seat.svg",
            "/opt/videoteller-seat/videoteller-seat",
        ):
            assert path in owned_files and Path(path).exists(), path
        code, out, err = await _run("/usr/bin/videoteller-seat", "--self-test", env=_env(tmp_path))
        _assert_self_test_passed(code, out, err, server="skip")
        # the program wrote nothing into its installation directory (so dpkg -r can remove everything)
        on_disk = {str(p) for p in Path("/opt/videoteller-seat").rglob("*") if not p.is_dir()}
        assert on_disk == {p for p in owned_files if p.startswith("/opt/videoteller-seat/")}
    finally:
        removed = subprocess.run([*sudo, "dpkg", "-r", APP], capture_output=True, text=True, timeout=600)
    assert removed.returncode == 0, removed.stderr
    # completely gone from dpkg's database too (not left in the "config-files" state)
    status = subprocess.run(["dpkg-query", "-W", "-f=${Status}", APP], capture_output=True, text=True).stdout
    assert status in ("", "unknown ok not-installed"), status
    assert not Path(f"/var/lib/dpkg/info/{APP}.list").exists()
    assert not Path("/opt/videoteller-seat").exists()
    assert not Path("/usr/bin/videoteller-seat").exists()
    assert not Path("/usr/share/applications/videoteller-seat.desktop").exists()
    assert not Path("/usr/share/icons/hicolor/scalable/apps/videoteller-seat.svg").exists()
