"""Settings: defaults < file < env (VT_SEAT_*) < CLI, with Chinese errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from seat_client.settings import SeatSettings, SettingsError, load_settings, save_settings


def test_precedence_file_env_cli(tmp_path: Path) -> None:
    path = tmp_path / "seat.json"
    path.write_text(json.dumps({"server_url": "http://file:1", "seat_id": "file", "camera": "1"}), encoding="utf-8")
    env = {"VT_SEAT_SEAT_ID": "env", "VT_SEAT_ICE_BIND_ADDRESSES": "127.0.0.1, 10.0.0.5", "OTHER": "x"}
    settings = load_settings(path, environ=env, overrides={"camera": "fake-pattern", "seat_id": None})
    assert settings.server_url == "http://file:1"
    assert settings.seat_id == "env"
    assert settings.camera == "fake-pattern"
    assert settings.ice_bind_addresses == ["127.0.0.1", "10.0.0.5"]
    assert settings.language == "zh_CN"


def test_missing_file_gives_defaults(tmp_path: Path) -> None:
    settings = load_settings(tmp_path / "none.json", environ={})
    assert settings == SeatSettings()
    assert settings.ice_bind_addresses is None
    assert not settings.auto_answer


def test_bad_values_are_reported_in_chinese(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="server_url"):
        load_settings(tmp_path / "none.json", environ={"VT_SEAT_SERVER_URL": "bank:8000"})
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(SettingsError, match="无法读取"):
        load_settings(broken, environ={})


def test_camera_fps_is_bounded_and_read_from_the_environment(tmp_path: Path) -> None:
    assert load_settings(tmp_path / "none.json", environ={}).camera_fps == 30
    assert load_settings(tmp_path / "none.json", environ={"VT_SEAT_CAMERA_FPS": "15"}).camera_fps == 15
    for bad in ("4", "60"):
        with pytest.raises(SettingsError, match="camera_fps"):
            load_settings(tmp_path / "none.json", environ={"VT_SEAT_CAMERA_FPS": bad})


def test_save_and_reload(tmp_path: Path) -> None:
    path = tmp_path / "dir" / "seat.json"
    original = SeatSettings(server_url="https://bank:8443/", seat_id="1001", ice_bind_addresses=["127.0.0.1"])
    assert original.server_url == "https://bank:8443"
    assert original.ws_url == "wss://bank:8443"
    save_settings(original, path)
    assert load_settings(path, environ={}) == original
