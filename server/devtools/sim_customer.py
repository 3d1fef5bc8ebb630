"""A simulated customer: headless Chromium with a fake camera opens the customer page, queues and talks to a seat.

Used by ``scripts/demo --sim-customer``, the end-to-end tests and ``scripts/bench-call``. It drives the real H5 page
through its DOM like a person would (choose a business, take a ticket) and reads the page's ``window.vt`` state and
WebRTC statistics to report what the customer saw.

Run: ``python -m server.devtools.sim_customer --url http://127.0.0.1:8000/ [--call-seconds 15] [--json-out F]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from server.devtools.browser import launch_customer_browser
from server.devtools.pagewait import wait_for_js

if TYPE_CHECKING:
    from playwright.async_api import Browser, FilePayload, Page

logger = logging.getLogger(__name__)

INBOUND_VIDEO_STATS_JS = """async () => {
  const pc = window.vt && window.vt.pc;
  if (!pc) return null;
  const stats = await pc.getStats();
  let out = null;
  stats.forEach((r) => {
    if (r.type === 'inbound-rtp' && r.kind === 'video') {
      out = {framesDecoded: r.framesDecoded || 0, frameWidth: r.frameWidth || 0, frameHeight: r.frameHeight || 0};
    }
  });
  return out;
}"""


@dataclass
class CustomerReport:
    """What the simulated customer experienced."""

    session_id: str | None = None
    joined: bool = False
    connected: bool = False
    frames_decoded: int = 0
    frame_size: tuple[int, int] = (0, 0)
    final_state: str = ""
    end_reason: str | None = None
    messages: list[str] = field(default_factory=list)


def _file(name: str, data: bytes) -> FilePayload:
    return {"name": name, "mimeType": "image/jpeg", "buffer": data}


class SimulatedCustomer:
    """One customer on the real page in a real browser.

    Args:
        browser: a Chromium started by :func:`server.devtools.browser.launch_customer_browser`.
        url: the customer page URL.
    """

    def __init__(self, browser: Browser, url: str) -> None:
        self._browser = browser
        self._url = url
        self.page: Page | None = None

    async def open(self) -> Page:
        """Open the customer page in a phone-sized window and wait for the business list."""
        context = await self._browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2)
        self.page = await context.new_page()
        self.page.on("console", lambda msg: logger.debug("page console: %s", msg.text))
        await self.page.goto(self._url)
        await self.page.wait_for_selector('input[name="business_type"]', state="attached", timeout=15_000)
        return self.page

    async def precheck(
        self, business_type: str = "password_reset", demo_key: str | None = None, *, expect_pass: bool = True
    ) -> dict[str, Any]:
        """Choose a business, upload a demo customer's ID-card photos through the page's file inputs, type the
        phone and account, press 提交核验 and wait for the result; returns the page's pre-check answer."""
        from server.devtools.idcards import demo_card_images, demo_key_for

        page = self._require_page()
        key = demo_key or demo_key_for(business_type)
        images = demo_card_images(key)
        await page.click(f'label[for="bt-{business_type}"]')  # the radio itself is styled away
        await page.set_input_files("#id-front", files=_file("id_front.jpg", images.front))
        await page.set_input_files("#id-back", files=_file("id_back.jpg", images.back))
        await page.fill("#phone", images.phone)
        account = images.account_for(business_type)
        if account:
            await page.fill("#account-no", account)
        await page.click("#submit-precheck")
        await wait_for_js(page, "window.vt && window.vt.state === 'prechecked'", timeout=90_000)
        result = await page.evaluate("window.vt.precheck")
        if expect_pass and not (isinstance(result, dict) and result.get("passed")):
            text = await page.inner_text("#precheck-result")
            raise RuntimeError(f"pre-check did not pass: {text}")
        return dict(result) if isinstance(result, dict) else {}

    async def join(self, business_type: str = "password_reset", name: str = "", demo_key: str | None = None) -> str:
        """Pass the pre-check with a demo customer's card, take a ticket and return the session id once queued.

        ``name`` is kept for older callers and ignored: the teller sees the masked name read from the card.
        """
        del name
        page = self._require_page()
        await self.precheck(business_type, demo_key)
        await page.click("#take-ticket")
        # "queued" may last only an instant when a seat is free: look for it in the page's state history
        await wait_for_js(
            page, "window.vt && window.vt.sessionId && window.vt.states.includes('queued')", timeout=15_000
        )
        return str(await page.evaluate("window.vt.sessionId"))

    async def state(self) -> str:
        """The page's state: choose, queued, connected or ended."""
        return str(await self._require_page().evaluate("window.vt.state"))

    async def wait_for_state(self, state: str, timeout_s: float = 30.0) -> None:
        """Wait until the page reaches ``state``."""
        await wait_for_js(
            self._require_page(), f"window.vt && window.vt.state === {json.dumps(state)}", timeout=timeout_s * 1000
        )

    async def inbound_video(self) -> dict[str, Any] | None:
        """WebRTC statistics of the teller's video as this browser decodes it."""
        result = await self._require_page().evaluate(INBOUND_VIDEO_STATS_JS)
        return result if isinstance(result, dict) else None

    async def wait_for_frames(self, count: int, timeout_s: float = 30.0) -> int:
        """Wait until the browser has decoded at least ``count`` frames of the teller's video; return the count."""
        deadline = time.monotonic() + timeout_s
        decoded = 0
        while time.monotonic() < deadline:
            stats = await self.inbound_video()
            decoded = int(stats["framesDecoded"]) if stats else 0
            if decoded >= count:
                return decoded
            await asyncio.sleep(0.1)
        raise TimeoutError(f"the browser decoded only {decoded} of {count} frames within {timeout_s} s")

    async def hang_up(self) -> None:
        """Press the hang-up button."""
        await self._require_page().click("#hangup")

    async def screenshot(self, path: Path) -> None:
        """Save what the customer sees."""
        path.parent.mkdir(parents=True, exist_ok=True)
        await self._require_page().screenshot(path=str(path))

    async def report(self) -> CustomerReport:
        """Summarise the page's state and what it received."""
        page = self._require_page()
        vt = await page.evaluate(
            "({state: window.vt.state, sessionId: window.vt.sessionId,"
            " lastEnd: window.vt.messages.filter(m => m.type === 'call_ended').pop() || null,"
            " messages: window.vt.messages.map(m => m.type)})"
        )
        stats = await self.inbound_video() if vt["state"] == "connected" else None
        report = CustomerReport(session_id=vt["sessionId"], joined=vt["sessionId"] is not None, final_state=vt["state"])
        report.messages = list(vt["messages"])
        report.connected = "call_connected" in report.messages
        last_end = vt.get("lastEnd")
        if isinstance(last_end, dict):
            report.end_reason = last_end.get("reason")
        if stats:
            report.frames_decoded = int(stats["framesDecoded"])
            report.frame_size = (int(stats["frameWidth"]), int(stats["frameHeight"]))
        return report

    def _require_page(self) -> Page:
        if self.page is None:
            raise RuntimeError("open() the page first")
        return self.page


async def run(
    url: str, business_type: str, call_seconds: float, screenshot: Path | None, wait_s: float
) -> CustomerReport:
    """Join, wait to be answered, stay in the call for ``call_seconds``, then hang up."""
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await launch_customer_browser(playwright)
        try:
            customer = SimulatedCustomer(browser, url)
            await customer.open()
            session_id = await customer.join(business_type)
            print(f"simulated customer queued: session {session_id}", flush=True)
            await customer.wait_for_state("connected", timeout_s=wait_s)
            frames = await customer.wait_for_frames(30, timeout_s=30)
            print(f"connected; the browser decoded {frames} frames of the teller's video", flush=True)
            await asyncio.sleep(call_seconds)
            report = await customer.report()
            if screenshot is not None:
                await customer.screenshot(screenshot)
            if await customer.state() == "connected":
                await customer.hang_up()
                await customer.wait_for_state("ended", timeout_s=10)
            final = await customer.report()
            report.final_state, report.end_reason = final.final_state, final.end_reason
            return report
        finally:
            await browser.close()


def main(argv: list[str] | None = None) -> int:
    """Command-line entry."""
    parser = argparse.ArgumentParser(prog="python -m server.devtools.sim_customer", description=__doc__)
    parser.add_argument("--url", required=True, help="customer page URL")
    parser.add_argument("--business", default="password_reset", help="business type code")
    parser.add_argument("--call-seconds", type=float, default=15.0, help="how long to stay in the call")
    parser.add_argument("--wait-seconds", type=float, default=120.0, help="how long to wait to be answered")
    parser.add_argument("--screenshot", type=Path, help="PNG of the customer's screen during the call")
    parser.add_argument("--json-out", type=Path, help="write the report as JSON here")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    report = asyncio.run(run(args.url, args.business, args.call_seconds, args.screenshot, args.wait_seconds))
    text = json.dumps(asdict(report), ensure_ascii=False, indent=2)
    print(text)
    if args.json_out:
        args.json_out.write_text(text, encoding="utf-8")
    return 0 if report.connected and report.frames_decoded >= 30 else 1


if __name__ == "__main__":
    sys.exit(main())
