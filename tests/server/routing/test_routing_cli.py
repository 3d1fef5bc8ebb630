"""Seat roles and skills from the command line (add-seat) and the settings that choose the queue."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from server.db import Database
from server.routing.wiring import parse_skill
from server.settings import SettingsError, load_settings

ROOT = Path(__file__).resolve().parents[3]


def _add_seat(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server", "--dev", "--data-dir", str(tmp_path), "add-seat", *args],
        input="pw-12345678\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
        timeout=60,
        check=False,
    )


def test_add_seat_stores_role_and_skills(tmp_path: Path) -> None:
    result = _add_seat(
        tmp_path,
        "T100",
        "--name",
        "班长",
        "--role",
        "supervisor",
        "--skill",
        "retail:3",
        "--skill",
        "corporate:1:backup",
    )
    assert result.returncode == 0, result.stderr
    db = Database(tmp_path / "videoteller.db")
    try:
        seat = db.get_seat("T100")
        assert seat is not None and seat.role == "supervisor"
        assert db.seat_skills("T100") == [("corporate", 1, "backup"), ("retail", 3, "primary")]
    finally:
        db.close()


def test_add_seat_refuses_a_bad_skill_in_chinese(tmp_path: Path) -> None:
    result = _add_seat(tmp_path, "T101", "--skill", "retail:high")
    assert result.returncode == 2 and "熟练度" in result.stderr


@pytest.mark.parametrize(
    ("text", "expected"),
    [("retail", ("retail", 1, "primary")), ("vip:7:expert", ("vip", 7, "expert")), ("a::backup", ("a", 1, "backup"))],
)
def test_parse_skill(text: str, expected: tuple[str, int, str]) -> None:
    assert parse_skill(text) == expected


@pytest.mark.parametrize("bad", ["", ":3", "retail:0", "retail:11", "retail:2:boss", "a:1:primary:x"])
def test_parse_skill_refuses(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_skill(bad)


def test_queue_settings_from_the_environment(tmp_path: Path) -> None:
    settings = load_settings(
        environ={"VT_QUEUE_IMPL": "fifo", "VT_WRAP_UP_S": "12", "VT_AFTER_WRAP_UP": "stay"}, dev_mode=True
    )
    assert (settings.queue_impl, settings.wrap_up_s, settings.after_wrap_up) == ("fifo", 12.0, "stay")
    assert load_settings(environ={}, dev_mode=True).queue_impl == "routing"
    with pytest.raises(SettingsError):
        load_settings(environ={"VT_QUEUE_IMPL": "lifo"}, dev_mode=True)
