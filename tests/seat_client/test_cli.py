"""``python -m seat_client`` as a process: self-test, and a whole demo run (auto-login from the environment,
auto-answer, exit after one call, stats file and screenshots) against the real server."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

from tests.seat_client.conftest import ROOT
from tests.seat_client.customer_sim import SimulatedCustomer


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VT_SEAT_")}
    env.update(QT_QPA_PLATFORM="offscreen", **extra)
    return env


async def test_self_test_exits_zero(tmp_path: Path) -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "seat_client", "--self-test",
        cwd=ROOT,
        env=_env(
            XDG_STATE_HOME=str(tmp_path / "state"),
            XDG_CONFIG_HOME=str(tmp_path / "config"),  # not the user's settings: no server configured here
            XDG_DATA_HOME=str(tmp_path / "data"),
        ),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, err.decode()[-2000:]
    assert "SELF-TEST OK" in out.decode()


async def test_demo_run_answers_one_call_and_exits(live_server: str, tmp_path: Path) -> None:
    stats_file = tmp_path / "stats.json"
    shots = tmp_path / "shots"
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "seat_client",
        "--server", live_server, "--seat-id", "demo", "--camera", "fake-pattern", "--microphone", "fake-tone",
        "--ice-bind", "127.0.0.1", "--auto-answer", "--exit-after-calls", "1",
        "--stats-file", str(stats_file), "--screenshot-dir", str(shots),
        cwd=ROOT, env=_env(VT_SEAT_PASSWORD="demo123", XDG_STATE_HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path)),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    customer = SimulatedCustomer(live_server, "sms_signing", "赵六")
    try:
        # the customer may queue before the seat is ready: the server offers the call once it is
        await customer.start()
        async with asyncio.timeout(60):
            while customer.frames["video"] < 30:
                await asyncio.sleep(0.05)
        await customer.hangup()
        _, err = await asyncio.wait_for(proc.communicate(), 60)
    finally:
        await customer.close()
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode == 0, err.decode()[-3000:]
    stats = json.loads(stats_file.read_text(encoding="utf-8"))
    assert stats["exited"] is True
    assert stats["calls_completed"] == 1
    assert stats["remote_video"]["drawn"] >= 30
    assert stats["remote_video"]["max_queue_depth"] <= 1
    names = sorted(p.name for p in shots.glob("*.png"))
    assert any("in-call" in n for n in names) and names[-1].endswith("exit.png")
