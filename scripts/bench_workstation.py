"""``bench-call --workstation-720p``: the seat client's CPU and event-loop stalls during a 720p30 call with the full
workstation on screen and face checks at 5 Hz.

Setup: real server subprocess; the seat client in this process (offscreen Qt, qasync) with the main window at
1366x768 and every workstation panel live; headless Chromium as the customer, its fake camera at 30 fps and the
page's getUserMedia asked for 1280x720 (an init script adds the constraint); a worker thread runs
``server.identity.face``'s engine (detect + embed + compare with an ID portrait) on the latest customer frame every
200 ms, skipping a tick while the previous check still runs (frames are dropped, never queued). A 10 ms asyncio
heartbeat on the Qt main loop measures lateness (the longest stall of the UI thread).

Goals (issue 5): at most 40% of one core for the seat process; no stall longer than 50 ms.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from typing import Any

FORCE_720P = """
(() => {
  const md = navigator.mediaDevices;
  if (!md || !md.getUserMedia) return;
  const original = md.getUserMedia.bind(md);
  md.getUserMedia = (constraints) => {
    if (constraints && constraints.video) {
      const video = typeof constraints.video === "object" ? constraints.video : {};
      constraints = { ...constraints, video: { ...video, width: { ideal: 1280 }, height: { ideal: 720 },
                                               frameRate: { ideal: 30 } } };
    }
    return original(constraints);
  };
})();
"""


class FaceChecker:
    """Face comparison at a fixed rate on a worker thread, always on the newest frame (dropping the others)."""

    def __init__(self, latest: Any, hz: float = 5.0) -> None:
        import cv2

        from seat_client.resources import resource_path
        from server.identity.face import get_face_engine

        self.engine = get_face_engine()
        portrait_path = resource_path("sandbox", "faces", "obama.jpg")
        portrait = cv2.imread(str(portrait_path))
        if portrait is None:
            raise FileNotFoundError(f"cannot read image {portrait_path}")
        self.portrait = portrait
        self.latest = latest  # () -> av.VideoFrame | None
        self.period = 1.0 / hz
        self.checks = 0
        self.skipped_ticks = 0
        self.durations: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="face-check", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        next_tick = time.perf_counter()
        while not self._stop.is_set():
            frame = self.latest()
            if frame is not None:
                t0 = time.perf_counter()
                bgr = frame.to_ndarray(format="bgr24")
                self.engine.compare(self.portrait, bgr, labels=("证件照", "现场"))
                self.durations.append(time.perf_counter() - t0)
                self.checks += 1
            next_tick += self.period
            now = time.perf_counter()
            while next_tick < now:  # a check took longer than a period: skip the ticks it covered
                next_tick += self.period
                self.skipped_ticks += 1
            self._stop.wait(max(0.0, next_tick - now))


class Heartbeat:
    """A 10 ms asyncio sleep loop on the Qt main thread; lateness = how long the loop could not run."""

    def __init__(self, interval: float = 0.010) -> None:
        self.interval = interval
        self.lateness_ms: list[float] = []
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        last = time.perf_counter()
        while True:
            await asyncio.sleep(self.interval)
            now = time.perf_counter()
            self.lateness_ms.append(max(0.0, (now - last - self.interval) * 1000))
            last = now

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


async def bench_workstation_720p(url: str, cpu_seconds: float) -> dict[str, Any]:
    """Run one 720p30 call for ``cpu_seconds`` of measurement; returns the figures."""
    from playwright.async_api import async_playwright

    from seat_client.app import build_seat_app
    from seat_client.settings import SeatSettings
    from server.devtools.browser import launch_customer_browser
    from server.devtools.sim_customer import SimulatedCustomer

    settings = SeatSettings(
        server_url=url, seat_id="demo", camera="fake-pattern", microphone="fake-tone", ice_bind_addresses=["127.0.0.1"]
    )
    seat = build_seat_app(settings)
    window, controller, service = seat.window, seat.controller, seat.workstation
    assert service is not None
    window.resize(1366, 768)
    assert await seat.start("demo123"), "seat login failed"

    async def until(predicate: Any, timeout: float, what: str) -> None:
        deadline = time.perf_counter() + timeout
        while not predicate():
            if time.perf_counter() > deadline:
                raise TimeoutError(what)
            await asyncio.sleep(0.02)

    await until(lambda: controller.seat_state != "offline", 10, "welcome")
    window.state_panel.ready_button.click()
    await until(lambda: controller.seat_state == "ready", 10, "ready")
    result: dict[str, Any] = {}
    async with async_playwright() as playwright:
        browser = await launch_customer_browser(playwright, fake_fps=30)
        try:
            customer = SimulatedCustomer(browser, url + "/")
            original_new_context = browser.new_context

            async def new_context(**kwargs: Any) -> Any:
                context = await original_new_context(**kwargs)
                await context.add_init_script(FORCE_720P)
                return context

            browser.new_context = new_context  # type: ignore[method-assign]
            await customer.open()
            await customer.join("password_reset")
            await until(lambda: window.call_panel.page == "ringing", 60, "ringing")
            window.call_panel.answer_button.click()
            counters = controller.remote_pump.counters
            await until(lambda: counters.drawn > 90, 30, "steady video")
            frame = service._latest_customer_frame
            size = (frame.width, frame.height) if frame is not None else None
            checker = FaceChecker(lambda: service._latest_customer_frame)
            heartbeat = Heartbeat()
            checker.start()
            heartbeat.start()
            d0, r0 = counters.drawn, counters.received
            c0, w0 = time.process_time(), time.perf_counter()
            await asyncio.sleep(cpu_seconds)
            c1, w1 = time.process_time(), time.perf_counter()
            await heartbeat.stop()
            checker.stop()
            wall = w1 - w0
            late = sorted(heartbeat.lateness_ms)
            durations = sorted(checker.durations)
            result = {
                "seconds": round(wall, 2),
                "customer_video": {"width": size[0], "height": size[1]} if size else None,
                "cpu_fraction_of_one_core": round((c1 - c0) / wall, 4),
                "frames_received_per_s": round((counters.received - r0) / wall, 2),
                "frames_drawn_per_s": round((counters.drawn - d0) / wall, 2),
                "face_checks_per_s": round(checker.checks / wall, 2),
                "face_check_ms_p50": round(1000 * durations[len(durations) // 2], 1) if durations else None,
                "face_ticks_skipped": checker.skipped_ticks,
                "event_loop_max_stall_ms": round(late[-1], 1) if late else None,
                "event_loop_p99_stall_ms": round(late[int(len(late) * 0.99)], 1) if late else None,
                "heartbeats": len(late),
            }
            await customer.hang_up()
            await until(lambda: window.call_panel.page != "in_call", 10, "ended")
        finally:
            await browser.close()
    await seat.close()
    result["goals"] = {
        "cpu_at_most_40pct": result.get("cpu_fraction_of_one_core", 1.0) <= 0.40,
        "no_stall_over_50ms": (result.get("event_loop_max_stall_ms") or 1e9) <= 50.0,
    }
    return result
