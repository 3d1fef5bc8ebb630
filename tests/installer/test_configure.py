"""``--configure`` (seat_client/configure.py): per-seat settings at install time, the CA certificate, first start."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from seat_client.configure import (
    CA_FILE_NAME,
    configure,
    configure_main,
    read_settings_file,
    seed_user_settings,
    tls_context,
)
from seat_client.settings import SettingsError, load_settings
from tests.installer.conftest import ROOT
from tests.installer.tls_fixtures import make_pki


def test_configure_writes_settings_and_copies_the_ca(tmp_path: Path) -> None:
    pki = make_pki(tmp_path / "pki")
    settings = tmp_path / "cfg" / "seat.json"
    written = configure(
        settings_path=settings,
        server="https://vt.bank.example:8443/",
        seat_id=" 1001 ",
        ca_cert=pki.ca_cert,
        camera="0",
        microphone="auto",
    )
    assert written == settings
    data = json.loads(settings.read_text(encoding="utf-8"))
    assert data == {
        "server_url": "https://vt.bank.example:8443",
        "seat_id": "1001",
        "camera": "0",
        "microphone": "auto",
        "ca_cert": str((settings.parent / CA_FILE_NAME).resolve()),
    }
    assert (settings.parent / CA_FILE_NAME).read_bytes() == pki.ca_cert.read_bytes()
    # the workstation reads what --configure wrote (the CA path is an extra key it ignores for now)
    loaded = load_settings(settings, environ={})
    assert (loaded.server_url, loaded.seat_id, loaded.camera) == ("https://vt.bank.example:8443", "1001", "0")


def test_configure_merges_and_keeps_unknown_keys(tmp_path: Path) -> None:
    settings = tmp_path / "seat.json"
    settings.write_text(json.dumps({"seat_id": "1001", "language": "zh_CN", "future_key": 7}), encoding="utf-8")
    configure(settings_path=settings, camera="fake-pattern")
    assert json.loads(settings.read_text(encoding="utf-8")) == {
        "seat_id": "1001",
        "language": "zh_CN",
        "future_key": 7,
        "camera": "fake-pattern",
    }


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"server": "ftp://x"}, "服务器地址必须以 http:// 或 https:// 开头"),
        ({"seat_id": "  "}, "工号不能为空"),
        ({"camera": "front-camera"}, "摄像头设置无效"),
        ({"microphone": "usb"}, "麦克风设置无效"),
    ],
)
def test_invalid_values_are_refused_in_chinese_and_nothing_is_written(
    tmp_path: Path, kwargs: dict[str, str], message: str
) -> None:
    settings = tmp_path / "seat.json"
    with pytest.raises(SettingsError) as err:
        configure(settings_path=settings, **kwargs)  # type: ignore[arg-type]
    assert message in err.value.message
    assert not settings.exists()


def test_bad_ca_files_are_refused(tmp_path: Path) -> None:
    settings = tmp_path / "cfg" / "seat.json"
    not_pem = tmp_path / "ca.pem"
    not_pem.write_text("hello", encoding="utf-8")
    with pytest.raises(SettingsError, match="不是有效的 PEM 证书"):
        configure(settings_path=settings, ca_cert=not_pem)
    with pytest.raises(SettingsError, match="CA 证书文件不存在"):
        configure(settings_path=settings, ca_cert=tmp_path / "missing.pem")
    expired = make_pki(tmp_path / "old", ca_days=-1)
    with pytest.raises(SettingsError, match="均已过期"):
        configure(settings_path=settings, ca_cert=expired.ca_cert)
    assert not settings.parent.exists()


def test_a_broken_settings_file_is_not_overwritten(tmp_path: Path) -> None:
    settings = tmp_path / "seat.json"
    settings.write_text("{not json", encoding="utf-8")
    with pytest.raises(SettingsError, match="无法读取或格式错误"):
        configure(settings_path=settings, seat_id="1001")
    assert settings.read_text(encoding="utf-8") == "{not json"


def test_tls_context_trusts_only_the_given_ca(tmp_path: Path) -> None:
    pki = make_pki(tmp_path)
    ctx = tls_context(pki.ca_cert)
    assert [c["subject"] for c in ctx.get_ca_certs()] == [
        ((("organizationName", "测试银行"),), (("commonName", "Test Bank Root CA"),))
    ]
    assert ctx.check_hostname
    with pytest.raises(SettingsError, match="无法使用"):
        tls_context(tmp_path / "missing.pem")


def test_first_start_copies_the_machine_wide_settings_once(tmp_path: Path) -> None:
    site = tmp_path / "etc" / "seat.json"
    user = tmp_path / "home" / "seat.json"
    assert not seed_user_settings(user, site)  # nothing machine-wide
    configure(settings_path=site, server="https://vt.bank.example", seat_id="2001")
    assert seed_user_settings(user, site)
    assert read_settings_file(user) == read_settings_file(site)
    configure(settings_path=user, seat_id="2002")
    assert not seed_user_settings(user, site)  # the user's own file wins from then on
    assert read_settings_file(user)["seat_id"] == "2002"


def test_configure_main_reports_in_chinese(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    settings = tmp_path / "seat.json"
    assert configure_main(["--configure", "--settings", str(settings), "--seat-id", "1001"]) == 0
    assert "已写入坐席配置" in capsys.readouterr().out
    assert configure_main(["--configure", "--settings", str(settings), "--server", "vt.bank"]) == 2
    assert "服务器地址必须以" in capsys.readouterr().err
    assert configure_main(["--configure", "--settings", str(settings), "--password", "x"]) == 2
    assert "不支持这些参数" in capsys.readouterr().err


def test_configure_command_line_writes_the_platform_settings_file(tmp_path: Path) -> None:
    """``python -m seat_client --configure`` as IT runs it (XDG dirs point into tmp_path)."""
    pki = make_pki(tmp_path / "pki")
    env = {k: v for k, v in os.environ.items() if not k.startswith("VT_SEAT_")}
    env.update(XDG_CONFIG_HOME=str(tmp_path / "config"), XDG_STATE_HOME=str(tmp_path / "state"))
    proc = subprocess.run(
        [sys.executable, "-m", "seat_client", "--configure", "--server", "https://vt.bank.example",
         "--seat-id", "3001", "--ca-cert", str(pki.ca_cert), "--camera", "fake-pattern"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    settings = tmp_path / "config" / "VideoTeller" / "seat.json"
    assert str(settings) in proc.stdout and "Test Bank Root CA" in proc.stdout
    data = json.loads(settings.read_text(encoding="utf-8"))
    assert data["seat_id"] == "3001" and data["ca_cert"].endswith(CA_FILE_NAME)
