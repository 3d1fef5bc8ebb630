"""The real coordination server (``python -m server --dev``) in its own process, for whole-system tests."""

from __future__ import annotations

import ctypes
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[1]


def _die_with_parent() -> None:
    """In the child, before exec: SIGTERM when the test process dies, even by abort or the hang watchdog's exit
    (Linux ``PR_SET_PDEATHSIG``), so that no server outlives its test run."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def server_process(data_dir: Path, log_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Start the server in dev mode (seat ``demo``/``demo123``) on a free port; yield its URL and process.

    Fails the test with the end of the server's log if it does not answer ``/healthz`` within 30 s.
    """
    port = free_port()
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "server", "--dev", "--port", str(port), "--data-dir", str(data_dir)],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("server did not start: " + log_path.read_text(errors="replace")[-2000:])
                time.sleep(0.1)  # readiness poll of a child process, not a wait in a test
            yield url, proc
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
