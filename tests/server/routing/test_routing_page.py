"""The customer H5 page (real headless Chromium) shows the routing engine's answers: overflow to another queue while
waiting, and the call-back / appointment answer when no queue can take the customer."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from server.devtools.pagewait import wait_for_js
from tests.server.conftest import ServerFactory

CONFIG = """
[defaults]
w_star = 30.0
w_age = 1.0
[[queue]]
id = "retail"
name = "个人业务"
business_types = ["account_activation", "password_reset", "loss_report_release", "customer_info_maintenance",
                  "sms_signing"]
max_waiting = 1
max_wait_s = 3
overflow_to = ["general"]
[[queue]]
id = "corporate"
name = "对公业务"
business_types = ["corporate_willingness_check", "remote_authorisation"]
[[queue]]
id = "general"
name = "综合坐席"
max_waiting = 1
on_exhausted = "reject"
"""


async def _page_for(browser: Any, base: str, ticket: dict[str, Any]) -> Any:
    """Open the page as the phone that took this ticket (the page resumes a ticket kept in sessionStorage)."""
    page = await browser.new_page()
    await page.goto(base + "/")
    saved = {"sessionId": ticket["session_id"], "token": ticket["customer_token"], "businessLabel": "密码重置"}
    await page.evaluate("s => sessionStorage.setItem('videoteller.session', s)", json.dumps(saved))
    await page.reload()
    return page


async def test_page_shows_overflow_and_the_call_back_answer(server_factory: ServerFactory, tmp_path: Path) -> None:
    pytest.importorskip("playwright")
    from playwright.async_api import async_playwright

    from server.devtools.browser import launch_customer_browser

    config = tmp_path / "queues.toml"
    config.write_text(CONFIG, encoding="utf-8")
    live = await server_factory(routing_config_path=config)
    base = f"http://127.0.0.1:{live.port}"
    async with async_playwright() as playwright:
        browser = await launch_customer_browser(playwright)
        try:
            first = await live.ticket()
            page = await _page_for(browser, base, first)
            # After max_wait_s the customer moves on to the general queue; the page says so.
            await wait_for_js(
                page,
                "() => (window.vt.messages || []).some(m => m.type === 'notice' && m.code === 'overflowed')",
                timeout=15_000,
                polling=100,
            )
            assert "综合坐席" in (await page.inner_text("#banner"))
            assert live.services.db.get_session(first["session_id"])["routing_queue"] == "general"
            second = await live.ticket()
            holder = await live.open_ws(second["websocket_path"])
            await holder.expect("queue_status", position=1)  # retail (limit 1) is full with a present customer
            rejected = await live.ticket()  # retail full, general full: call back / book an appointment
            page2 = await _page_for(browser, base, rejected)
            await wait_for_js(page2, "() => window.vt.state === 'ended'", timeout=15_000, polling=100)
            text = await page2.inner_text("#ended-text")
            assert "预约" in text and "稍后再拨" in text
        finally:
            await browser.close()


async def test_page_shows_it_waits_for_the_named_teller_it_was_transferred_to(server_factory: ServerFactory) -> None:
    pytest.importorskip("playwright")
    from playwright.async_api import async_playwright

    from server.devtools.browser import launch_customer_browser

    live = await server_factory()
    base = f"http://127.0.0.1:{live.port}"
    async with async_playwright() as playwright:
        browser = await launch_customer_browser(playwright)
        try:
            seat_a = await live.seat("seat-a")
            ticket = await live.ticket()
            page = await _page_for(browser, base, ticket)
            sid = ticket["session_id"]
            await seat_a.expect("call_offered", session_id=sid)
            await seat_a.send({"type": "answer_call", "session_id": sid})
            await seat_a.expect("call_answered")
            await wait_for_js(page, "() => window.vt.state === 'connected'", timeout=15_000, polling=100)
            # seat-c is busy with another customer when seat-a transfers this one to it by name
            seat_c = await live.seat("seat-c")
            other, sid_other = await live.customer()
            await seat_c.expect("call_offered", session_id=sid_other)
            await seat_c.send({"type": "answer_call", "session_id": sid_other})
            await seat_c.expect("call_answered")
            await seat_a.send({"type": "transfer", "session_id": sid, "seat_id": "seat-c"})
            await seat_a.expect("call_transferred")
            await wait_for_js(page, "() => window.vt.state === 'queued'", timeout=15_000, polling=100)
            await wait_for_js(
                page,
                "() => (window.vt.messages || []).some(m => m.type === 'queue_status' && m.position === 1)",
                timeout=15_000,
                polling=100,
            )
            banner = await page.inner_text("#banner")
            assert "正在为您转接至坐席" in banner and "暂时忙碌" in banner
            assert "即将为您接通" in await page.inner_text("#queue-text")  # first in that teller's line
            await other.close()
        finally:
            await browser.close()
