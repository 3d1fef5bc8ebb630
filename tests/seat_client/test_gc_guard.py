"""The cyclic garbage collector runs on the main thread only."""

from __future__ import annotations

import gc

from pytestqt.qtbot import QtBot

from seat_client.gc_guard import install_main_thread_gc


def test_collects_from_the_main_thread_timer(qtbot: QtBot) -> None:
    collector = install_main_thread_gc()
    assert install_main_thread_gc() is collector  # once per process
    assert not gc.isenabled()
    collected: list[str] = []

    class Cycle:
        def __init__(self) -> None:
            self.me = self

        def __del__(self) -> None:
            import threading

            collected.append(threading.current_thread().name)

    for _ in range(gc.get_threshold()[0] + 10):
        Cycle()
    qtbot.waitUntil(lambda: bool(collected), timeout=5000)
    assert set(collected) == {"MainThread"}
