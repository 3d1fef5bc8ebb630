"""Settings: one typed schema from TOML and VT_* variables that refuses placeholder secrets outside dev mode."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.settings import DEV_SECRET_KEY, Settings, SettingsError, load_settings

GOOD_SECRET = "k3vQ9w-Zr8pX2mLq7tYb4nHs6dFg1jUe0cVa5oRi"


@pytest.mark.parametrize("secret", ["", "changeme", "secret", DEV_SECRET_KEY, "CHANGE-ME"])
def test_placeholder_secret_refused_outside_dev_mode(secret: str, tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="secret_key"):
        load_settings(environ={"VT_SECRET_KEY": secret, "VT_DATA_DIR": str(tmp_path)})


def test_short_secret_refused_outside_dev_mode() -> None:
    with pytest.raises(SettingsError, match="too short"):
        load_settings(environ={"VT_SECRET_KEY": "a-real-but-short-secret"})


def test_default_settings_refused_outside_dev_mode() -> None:
    with pytest.raises(SettingsError):
        load_settings(environ={})


def test_dev_mode_gets_the_dev_secret_and_a_demo_seat() -> None:
    settings = load_settings(environ={"VT_DEV_MODE": "1"})
    assert settings.dev_mode
    assert settings.secret_key == DEV_SECRET_KEY
    assert [seat.seat_id for seat in settings.dev_seed_seats] == ["demo"]
    assert settings.ring_timeout_s == 20.0


def test_good_secret_accepted_and_env_overrides_toml(tmp_path: Path) -> None:
    config = tmp_path / "server.toml"
    config.write_text(
        f'secret_key = "{GOOD_SECRET}"\nport = 9000\nring_timeout_s = 15\n'
        '[[dev_seed_seats]]\nseat_id = "t1"\ndisplay_name = "柜员一"\npassword = "pw123456"\n',
        encoding="utf-8",
    )
    settings = load_settings(config, environ={"VT_PORT": "9100", "VT_DATA_DIR": str(tmp_path / "d")})
    assert settings.port == 9100  # environment beats the file
    assert settings.ring_timeout_s == 15
    assert settings.data_dir == tmp_path / "d"
    assert settings.database_path == tmp_path / "d" / "videoteller.db"
    assert settings.dev_seed_seats[0].display_name == "柜员一"
    assert not settings.dev_mode


def test_explicit_overrides_beat_environment() -> None:
    settings = load_settings(environ={"VT_PORT": "9100", "VT_DEV_MODE": "true"}, port=9200)
    assert settings.port == 9200


@pytest.mark.parametrize(
    ("environ", "match"),
    [
        ({"VT_DEV_MODE": "maybe"}, "not a boolean"),
        ({"VT_DEV_MODE": "1", "VT_PORT": "eighty"}, "port"),
        ({"VT_DEV_MODE": "1", "VT_RING_TIMEOUT_S": "-1"}, "ring_timeout_s"),
    ],
)
def test_bad_values_are_explained(environ: dict[str, str], match: str) -> None:
    with pytest.raises(SettingsError, match=match):
        load_settings(environ=environ)


def test_unknown_key_and_bad_toml_refused(tmp_path: Path) -> None:
    config = tmp_path / "server.toml"
    config.write_text("dev_mode = true\nrign_timeout_s = 3\n", encoding="utf-8")
    with pytest.raises(SettingsError, match="rign_timeout_s"):
        load_settings(config, environ={})
    config.write_text("dev_mode = = true", encoding="utf-8")
    with pytest.raises(SettingsError, match="not valid TOML"):
        load_settings(config, environ={})
    with pytest.raises(SettingsError, match="cannot read"):
        load_settings(tmp_path / "missing.toml", environ={})


def test_direct_construction_validates_too() -> None:
    with pytest.raises(ValueError, match="secret_key"):
        Settings(secret_key="changeme")
    assert Settings(secret_key=GOOD_SECRET).secret_key == GOOD_SECRET


def test_fast_password_hashing_only_in_dev_mode() -> None:
    with pytest.raises(SettingsError, match="dev_fast"):
        load_settings(environ={"VT_SECRET_KEY": GOOD_SECRET, "VT_PASSWORD_HASH_PROFILE": "dev_fast"})
    assert load_settings(environ={"VT_DEV_MODE": "1", "VT_PASSWORD_HASH_PROFILE": "dev_fast"}).dev_mode


def test_playback_cache_bound_is_a_typed_setting_from_toml_or_environment(tmp_path: Path) -> None:
    assert Settings(dev_mode=True).recording_playback_cache_mb == 64
    config = tmp_path / "server.toml"
    config.write_text("dev_mode = true\nrecording_playback_cache_mb = 256\n", encoding="utf-8")
    assert load_settings(config, environ={}).recording_playback_cache_mb == 256
    env = {"VT_DEV_MODE": "1", "VT_RECORDING_PLAYBACK_CACHE_MB": "32"}
    assert load_settings(config, environ=env).recording_playback_cache_mb == 32  # environment beats the file
    for bad in ("0", "4", "-1", "lots", "65537"):
        with pytest.raises(SettingsError, match="recording_playback_cache_mb"):
            load_settings(environ={"VT_DEV_MODE": "1", "VT_RECORDING_PLAYBACK_CACHE_MB": bad})


def test_seed_seat_roles_are_the_databases_roles_auditor_included(tmp_path: Path) -> None:
    from server.db import SEAT_ROLES

    config = tmp_path / "server.toml"
    seats = "".join(
        f'[[dev_seed_seats]]\nseat_id = "{role}1"\ndisplay_name = "{role}"\npassword = "pw123456"\nrole = "{role}"\n'
        for role in SEAT_ROLES
    )
    config.write_text("dev_mode = true\n" + seats, encoding="utf-8")
    loaded = load_settings(config, environ={})
    assert [seat.role for seat in loaded.dev_seed_seats] == list(SEAT_ROLES)
    assert "auditor" in SEAT_ROLES
    config.write_text(
        'dev_mode = true\n[[dev_seed_seats]]\nseat_id = "x"\ndisplay_name = "x"\npassword = "pw"\nrole = "boss"\n',
        encoding="utf-8",
    )
    with pytest.raises(SettingsError, match="unknown seat role 'boss'"):
        load_settings(config, environ={})


async def test_server_applies_the_cache_bound_and_seeds_an_auditor(tmp_path: Path) -> None:
    """Through the running app: the playback service gets the configured bound; the seeded auditor gets its role,
    signs in and is refused ready (示闲)."""
    from server.settings import SeedSeat
    from tests.server.conftest import SEEDS, make_settings, start_server, stop_server

    auditor = SeedSeat(seat_id="aud-1", display_name="稽核员", password="pw-aud-1", role="auditor")
    live = await start_server(make_settings(tmp_path, recording_playback_cache_mb=16, dev_seed_seats=[*SEEDS, auditor]))
    try:
        assert live.app.state.recordings.playback.cache.limit_bytes == 16 * 1024 * 1024
        seat = live.services.db.get_seat("aud-1")
        assert seat is not None and seat.role == "auditor"
        token = await live.login("aud-1", "pw-aud-1")
        ws = await live.open_ws(f"/ws/seat?token={token}")
        await ws.expect("welcome")
        await ws.send({"type": "set_state", "state": "ready"})
        assert "稽核" in (await ws.expect("error", code="role_takes_no_calls"))["message"]
    finally:
        await stop_server(live)
