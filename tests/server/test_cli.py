"""``python -m server``: add a seat account from the command line; refuse unusable settings with a clear error."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from server.db import Database
from server.security import SeatPasswords

ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str, stdin: str = "", env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), **(env_extra or {})}
    return subprocess.run(
        [sys.executable, "-m", "server", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=60,
        check=False,
    )


def test_add_seat_reads_the_password_from_stdin(tmp_path: Path) -> None:
    result = _run("add-seat", "t001", "--name", "柜员一", "--dev", "--data-dir", str(tmp_path), stdin="s3cret-pw\n")
    assert result.returncode == 0, result.stderr
    db = Database(tmp_path / "videoteller.db")
    seat = db.get_seat("t001")
    db.close()
    assert seat is not None and seat.display_name == "柜员一"
    assert SeatPasswords().verify(seat.password_hash, "s3cret-pw")
    assert "s3cret-pw" not in result.stdout + result.stderr


def test_short_password_refused_outside_dev_mode(tmp_path: Path) -> None:
    result = _run(
        "--data-dir",
        str(tmp_path),
        "add-seat",
        "t001",
        stdin="short\n",
        env_extra={"VT_SECRET_KEY": "k3vQ9w-Zr8pX2mLq7tYb4nHs6dFg1jUe0cVa5oRi"},
    )
    assert result.returncode == 2
    assert "at least 8 characters" in result.stderr


def test_server_refuses_to_start_with_a_placeholder_secret(tmp_path: Path) -> None:
    result = _run("--data-dir", str(tmp_path), env_extra={"VT_SECRET_KEY": "changeme"})
    assert result.returncode == 2
    assert "secret_key" in result.stderr and "--dev" in result.stderr
