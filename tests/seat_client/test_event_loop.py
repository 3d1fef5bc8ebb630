"""The seat's event loop: call_soon runs in order, once, in passes that let Qt events through, and reports errors."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QTimer

from seat_client.event_loop import SeatEventLoop
from seat_client.qt_workarounds import new_event_loop


@pytest.fixture
def loop(qapp) -> Iterator[SeatEventLoop]:  # type: ignore[no-untyped-def]
    loop = new_event_loop(qapp)
    assert isinstance(loop, SeatEventLoop)
    asyncio.set_event_loop(loop)
    yield loop
    asyncio.set_event_loop(None)
    loop.close()


def test_callbacks_run_once_in_fifo_order(loop: SeatEventLoop) -> None:
    order: list[int] = []

    async def scenario() -> None:
        for i in range(1000):
            loop.call_soon(order.append, i)
        cancelled = loop.call_soon(order.append, -1)
        cancelled.cancel()
        await asyncio.sleep(0.05)

    loop.run_until_complete(scenario())
    assert order == list(range(1000))


def test_callbacks_queued_by_a_callback_wait_for_the_next_pass_and_qt_events_run_between(
    loop: SeatEventLoop,
) -> None:
    """A callback that keeps rescheduling itself must not starve Qt: a Qt timer still fires meanwhile."""
    seen: list[str] = []
    spins = 0

    def spin() -> None:
        nonlocal spins
        spins += 1
        if "qt" not in seen and spins < 100_000:
            loop.call_soon(spin)

    async def scenario() -> None:
        QTimer.singleShot(0, lambda: seen.append("qt"))
        loop.call_soon(spin)
        while "qt" not in seen:
            await asyncio.sleep(0.001)

    loop.run_until_complete(asyncio.wait_for(scenario(), 10))
    assert seen == ["qt"] and spins < 100_000


def test_an_exception_in_a_callback_goes_to_the_handler_and_the_rest_still_run(loop: SeatEventLoop) -> None:
    errors: list[BaseException] = []
    loop.set_exception_handler(lambda _loop, context: errors.append(context["exception"]))
    ran: list[str] = []

    def boom() -> None:
        raise ValueError("boom")

    async def scenario() -> None:
        loop.call_soon(boom)
        loop.call_soon(ran.append, "after")
        await asyncio.sleep(0.05)

    loop.run_until_complete(scenario())
    assert ran == ["after"]
    assert len(errors) == 1 and str(errors[0]) == "boom"


def test_thread_safe_calls_and_timers_still_work(loop: SeatEventLoop) -> None:
    async def scenario() -> list[str]:
        out: list[str] = []
        done = asyncio.Event()
        loop.call_later(0.02, out.append, "later")
        await loop.run_in_executor(None, lambda: loop.call_soon_threadsafe(out.append, "threadsafe"))
        loop.call_later(0.05, done.set)
        await done.wait()
        return out

    assert sorted(loop.run_until_complete(scenario())) == ["later", "threadsafe"]


def test_closing_drops_what_is_queued(qapp) -> None:  # type: ignore[no-untyped-def]
    loop = new_event_loop(qapp)
    ran: list[int] = []
    loop.call_soon(ran.append, 1)
    assert loop.pending_ready == 1
    loop.close()
    assert loop.pending_ready == 0
    with pytest.raises(RuntimeError, match="closed"):
        loop.call_soon(ran.append, 2)
    assert ran == []
