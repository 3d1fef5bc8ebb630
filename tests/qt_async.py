"""Running coroutines on the seat client's kind of event loop (qasync on the test's QApplication) in tests."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Iterator
from typing import Any, TypeVar

import pytest

T = TypeVar("T")


@pytest.fixture
def qasync_loop(qapp: Any) -> Iterator[asyncio.AbstractEventLoop]:
    """A qasync event loop on the test's QApplication; run coroutines with ``run_async(loop, coro)``."""
    from seat_client.qt_workarounds import new_event_loop

    loop = new_event_loop(qapp)
    asyncio.set_event_loop(loop)
    try:
        yield loop
    finally:
        pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
        for task in pending:
            task.cancel()
        if pending:
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        asyncio.set_event_loop(None)
        loop.close()


def run_async(loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, T], timeout: float = 120.0) -> T:
    """Run ``coro`` on the qasync loop; Qt events are processed meanwhile."""
    return loop.run_until_complete(asyncio.wait_for(coro, timeout))


async def wait_until(predicate: Any, timeout: float = 30.0, message: str = "") -> None:
    """Poll ``predicate`` on the loop until it is true; fail the test after ``timeout`` seconds."""
    try:
        async with asyncio.timeout(timeout):
            while not predicate():
                await asyncio.sleep(0.02)
    except TimeoutError:
        pytest.fail(f"condition not met within {timeout}s: {message or predicate}")
