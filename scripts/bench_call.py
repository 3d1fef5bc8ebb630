"""Call benchmark: a real server, the seat client in this process (offscreen Qt, qasync) and Chromium customers.

Measures, on loopback:
* first frame: time from the teller pressing 接听 (answer) to the first frame of the customer's video drawn in the
  seat window, over ``--calls`` calls (p50/p95/max);
* seat CPU: this process's CPU time / wall time while a call runs for ``--cpu-seconds`` with the browser sending
  640x480 at 30 fps. The seat process also encodes and sends its own 640x480 camera (the test pattern), so the
  whole-process figure covers sending too; per-thread CPU times (Linux /proc) split it: aiortc's video decoder
  thread and the frame pump's worker are receive-and-draw, the executor threads that run aiortc's encoder are
  sending, and the main thread (qasync: RTP in and out, SRTP, Qt painting) is shared, so
  ``receive_and_draw_upper_bound`` = decoder + pump + main thread.

Goals (issue 2): first frame p95 < 1 s; receive and draw < 25% of one core.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def thread_cpu_seconds() -> dict[str, float]:
    """CPU seconds (user + system) of every thread of this process (Linux /proc), by Python thread name or, for
    native threads (Qt, FFmpeg/libvpx codec threads), by their kernel name and id."""
    import threading

    ticks = os.sysconf("SC_CLK_TCK")
    python_names = {t.native_id: t.name for t in threading.enumerate()}
    out: dict[str, float] = {}
    for task in Path("/proc/self/task").iterdir():
        try:
            raw = (task / "stat").read_text()
        except OSError:
            continue
        comm = raw[raw.index("(") + 1 : raw.rindex(")")]
        fields = raw.rsplit(")", 1)[1].split()
        tid = int(task.name)
        name = python_names.get(tid, f"native:{comm}:{tid}")
        out[name] = out.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / ticks
    return out


def classify_threads(before: dict[str, float], after: dict[str, float], wall: float) -> dict[str, Any]:
    """Per-thread CPU fractions over the window, grouped into receive-and-draw, sending and shared."""
    per_thread = {name: round((after[name] - before.get(name, 0.0)) / wall, 4) for name in after}
    per_thread = {k: v for k, v in per_thread.items() if v > 0}

    def total(*needles: str) -> float:
        return round(sum(v for k, v in per_thread.items() if any(n in k for n in needles)), 4)

    receive = total("video-decoder", "audio-decoder", "frame-pump-remote")
    main = per_thread.get("MainThread", 0.0)
    recording = total("recorder-", "uploader")
    face = total("face-monitor")  # the seat's live face monitor (实时人脸)
    bench_own = total("stall-tracer")  # --workstation-720p --trace-stalls
    named = receive + main + recording + total("frame-pump-local", "capture-") + face + bench_own
    return {
        "per_thread": dict(sorted(per_thread.items(), key=lambda kv: -kv[1])),
        "receive_decode_and_convert": receive,
        "main_thread_shared": main,
        "own_camera_and_preview": total("frame-pump-local", "capture-"),
        "recording_双录": recording,
        "live_face_monitor": face,
        "bench_diagnostics": bench_own,
        "other_threads_mostly_encoding": round(sum(per_thread.values()) - named, 4),
        "receive_and_draw_upper_bound": round(receive + main, 4),
    }


def start_server(data_dir: Path) -> tuple[subprocess.Popen[bytes], str]:
    import httpx

    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "server", "--dev", "--port", str(port), "--data-dir", str(data_dir)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return proc, url
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    proc.kill()
    raise SystemExit("server did not start")


async def wait_until(predicate: Any, timeout: float, what: str, poll: float = 0.002) -> None:
    deadline = time.perf_counter() + timeout
    while not predicate():
        if time.perf_counter() > deadline:
            raise TimeoutError(what)
        await asyncio.sleep(poll)


async def bench(url: str, calls: int, cpu_seconds: float, camera: str, spool_dir: Path) -> dict[str, Any]:
    from playwright.async_api import async_playwright

    from seat_client.app import build_seat_app
    from seat_client.settings import SeatSettings
    from server.devtools.browser import launch_customer_browser
    from server.devtools.sim_customer import SimulatedCustomer

    settings = SeatSettings(
        server_url=url,
        seat_id="demo",
        camera=camera,
        microphone="fake-tone",
        ice_bind_addresses=["127.0.0.1"],
        recording_spool_dir=str(spool_dir),  # not the user's: another seat client would upload from it
    )
    seat = build_seat_app(settings)
    window, controller = seat.window, seat.controller
    assert await seat.start("demo123"), "seat login failed"
    await wait_until(lambda: controller.seat_state != "offline", 10, "welcome")
    first_frame_s: list[float] = []
    cpu: dict[str, Any] = {}
    async with async_playwright() as playwright:
        browser = await launch_customer_browser(playwright, fake_fps=30)
        try:
            for i in range(calls + 1):
                last = i == calls
                if controller.seat_state != "ready":
                    window.state_panel.ready_button.click()
                    await wait_until(lambda: controller.seat_state == "ready", 10, "ready")
                customer = SimulatedCustomer(browser, url + "/")
                page = await customer.open()
                await customer.join("password_reset", f"基准客户{i}")
                await wait_until(lambda: window.call_panel.page == "ringing", 20, "ringing", poll=0.01)
                counters = controller.remote_pump.counters
                drawn_before = counters.drawn
                t_answer = time.perf_counter()
                window.call_panel.answer_button.click()
                await wait_until(lambda c=counters, n=drawn_before: c.drawn > n, 10, "first frame")
                if not last:
                    first_frame_s.append(time.perf_counter() - t_answer)
                else:
                    # CPU while receiving: wait until the stream is steady, then measure this process.
                    await wait_until(lambda c=counters, n=drawn_before: c.drawn > n + 60, 20, "steady", poll=0.05)
                    stats = await customer.inbound_video()
                    d0, r0 = counters.drawn, counters.received
                    t0 = thread_cpu_seconds()
                    c0, w0 = time.process_time(), time.perf_counter()
                    await asyncio.sleep(cpu_seconds)
                    c1, w1 = time.process_time(), time.perf_counter()
                    wall = w1 - w0
                    threads = classify_threads(t0, thread_cpu_seconds(), wall)
                    cpu = {
                        "seconds": round(wall, 2),
                        "cpu_fraction_of_one_core": round((c1 - c0) / wall, 4),
                        "frames_received_per_s": round((counters.received - r0) / wall, 2),
                        "frames_drawn_per_s": round((counters.drawn - d0) / wall, 2),
                        "browser_decodes_seat_video": stats,
                        "threads": threads,
                    }
                await customer.hang_up()
                await wait_until(lambda: window.call_panel.page != "in_call", 10, "ended", poll=0.01)
                await page.context.close()
        finally:
            await browser.close()
    await seat.close()
    return {
        "first_frame_s": {
            "n": len(first_frame_s),
            "p50": round(_percentile(first_frame_s, 0.5), 4),
            "p95": round(_percentile(first_frame_s, 0.95), 4),
            "max": round(max(first_frame_s), 4) if first_frame_s else None,
            "mean": round(statistics.fmean(first_frame_s), 4) if first_frame_s else None,
        },
        "seat_cpu_in_call": cpu,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--cpu-seconds", type=float, default=30.0)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument(
        "--workstation-720p",
        action="store_true",
        help="seat CPU and event-loop stalls in a 720p30 call, full workstation, face checks at 5 Hz "
        "(scripts/bench_workstation.py; --cpu-seconds defaults to 15 there)",
    )
    parser.add_argument(
        "--camera-fps",
        type=int,
        default=30,
        help="--workstation-720p: the seat's camera_fps setting (the teller's own video; the goal is measured at 30)",
    )
    parser.add_argument(
        "--trace-stalls",
        action="store_true",
        help="--workstation-720p: sample the UI thread's stack during each stall (diagnostics; perturbs the figures)",
    )
    args = parser.parse_args()
    if args.workstation_720p:
        return workstation_main(args)
    args.out = args.out or ROOT / "results" / "bench-call.json"

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from seat_client.qt_workarounds import new_event_loop

    app = QApplication.instance() or QApplication(sys.argv)
    loop = new_event_loop(app)
    asyncio.set_event_loop(loop)
    results: dict[str, Any] = {
        "benchmark": "bench-call",
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "setup": "server subprocess + seat client in-process (offscreen) + headless Chromium fake camera 640x480@30",
    }
    with tempfile.TemporaryDirectory() as tmp:
        proc, url = start_server(Path(tmp) / "data")
        try:
            with loop:
                results["with_seat_camera"] = loop.run_until_complete(
                    bench(url, args.calls, args.cpu_seconds, "fake-pattern", Path(tmp) / "spool")
                )
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    ff = results["with_seat_camera"]["first_frame_s"]
    results["goals"] = {
        "first_frame_p95_under_1s": ff["p95"] < 1.0,
        "receive_and_draw_under_25pct": (
            results["with_seat_camera"]["seat_cpu_in_call"]["threads"]["receive_and_draw_upper_bound"] < 0.25
        ),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    print(json.dumps(results, ensure_ascii=False, indent=2))
    print(f"written to {args.out}")
    return 0


def workstation_main(args: argparse.Namespace) -> int:
    """The ``--workstation-720p`` mode: writes results/bench-workstation-720p.json and prints it."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from scripts.bench_workstation import bench_workstation_720p
    from seat_client.qt_workarounds import new_event_loop

    app = QApplication.instance() or QApplication(sys.argv)
    loop = new_event_loop(app)
    asyncio.set_event_loop(loop)
    seconds = args.cpu_seconds if "--cpu-seconds" in sys.argv else 15.0
    results: dict[str, Any] = {
        "benchmark": "bench-call --workstation-720p",
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "setup": "server subprocess + seat workstation in-process (offscreen, 1366x768, 双录 on) + headless Chromium "
        "whose camera is a 1280x720@30 clip of a face + face checks at 5 Hz on a worker thread",
    }
    with tempfile.TemporaryDirectory() as tmp:
        proc, url = start_server(Path(tmp) / "data")
        try:
            with loop:
                results["call"] = loop.run_until_complete(
                    bench_workstation_720p(url, seconds, args.trace_stalls, args.camera_fps)
                )
                results["seat_camera_fps"] = args.camera_fps
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    out = args.out or ROOT / "results" / "bench-workstation-720p.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    print(json.dumps(results, ensure_ascii=False, indent=2))
    print(f"written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
