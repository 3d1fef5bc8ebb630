"""Waiting for a condition in the customer page from Playwright, under the page's Content-Security-Policy.

Playwright's ``page.wait_for_function("<js>")`` evaluates its predicate with ``eval`` inside the page, which the
page's ``script-src 'self'`` policy forbids (as it should: no eval for injected code either). ``page.evaluate`` runs
through the DevTools protocol instead and is allowed, so this polls with it.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from playwright.async_api import Page


async def wait_for_js(page: Page, expression: str, *, timeout: float = 30_000, polling: float = 50) -> Any:
    """Poll ``expression`` (a JS expression or function source) until it is truthy; return its value.

    Args:
        page: the page to evaluate in.
        expression: what ``page.evaluate`` accepts: ``"window.vt.state === 'queued'"`` or ``"async () => ..."``.
        timeout: milliseconds before giving up (Playwright's unit and default).
        polling: milliseconds between evaluations.

    Raises:
        TimeoutError: the expression stayed falsy; the message names it and its last value.
    """
    deadline = time.monotonic() + timeout / 1000
    while True:
        value = await page.evaluate(expression)
        if value:
            return value
        if time.monotonic() >= deadline:
            raise TimeoutError(f"page condition not met within {timeout / 1000:.0f} s: {expression} (last: {value!r})")
        await asyncio.sleep(polling / 1000)
