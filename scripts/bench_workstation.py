"""``bench-call --workstation-720p``: the seat client's CPU and event-loop stalls during a 720p30 call with the full
workstation on screen and face checks at 5 Hz.

Setup: real server subprocess; the seat client in this process (offscreen Qt, qasync) with the main window at
1366x768 and every workstation panel live; headless Chromium as the customer, its camera a 1280x720 30 fps Y4M clip
of a face that moves (``--use-file-for-fake-video-capture``; written to a temporary directory at start) and the
page's getUserMedia asked for 1280x720 (an init script adds the constraint). The seat's own camera is the 640x480
test pattern, encoded and sent, and the call is recorded (双录) as in production.

Face checks: the seat's own live face monitor (``seat_client/workstation/face_monitor.py``, setting
``face_monitor_hz``, 5 by default) runs during the call as it does for a teller: on its worker thread, the newest
customer frame every 200 ms (frames in between are dropped, never queued; a tick is skipped while a check still
runs), one swscale pass to a 640x360 BGR image, YuNet detection at 320 px, SFace embedding of the largest face and
the cosine against the embedding of the ID portrait the server holds for the call (computed once per call). The
customer's clip is another photo of the same person, so the checks find a face and embed it every time.

Measured over ``--cpu-seconds`` (15 s by default) once the video is steady:

* ``cpu_fraction_of_one_core``: this process's CPU time / wall time (goal <= 0.40), with a per-thread split;
* ``event_loop_max_stall_ms``: the longest lateness of a 10 ms asyncio heartbeat on the Qt main thread (goal
  <= 50 ms). Each late beat is split with the main thread's scheduler statistics (``/proc/thread-self/schedstat``)
  into time on a CPU, time runnable but waiting for a CPU (other processes on a shared machine) and the rest
  (asleep: waiting for the GIL or a lock); ``event_loop_max_stall_less_cpu_wait_ms`` drops the second part and
  ``main_thread_max_cpu_between_beats_ms`` is the longest stretch of work the UI thread itself did between beats;
* what the seat really received (sizes of the decoded customer frames, counted by a media tap) and what Chromium
  sent (``outbound-rtp``: resolution, frame rate, target bitrate, quality limitation reason).

The machine's load (load average; Linux PSI: the share of time some task waited for a CPU) is recorded at start and
end: on a shared machine the wall-clock figures (stalls) move with it much more than CPU time does.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import math
import os
import sys
import threading
import time
import traceback
from pathlib import Path
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

OUTBOUND_VIDEO_STATS_JS = """async () => {
  const pc = window.vt && window.vt.pc;
  if (!pc) return null;
  const stats = await pc.getStats();
  let out = null;
  stats.forEach((r) => {
    if (r.type === 'outbound-rtp' && r.kind === 'video') {
      out = {frameWidth: r.frameWidth || 0, frameHeight: r.frameHeight || 0, framesPerSecond: r.framesPerSecond || 0,
             framesEncoded: r.framesEncoded || 0, targetBitrate: r.targetBitrate || 0,
             qualityLimitationReason: r.qualityLimitationReason || '',
             qualityLimitationResolutionChanges: r.qualityLimitationResolutionChanges || 0,
             encoderImplementation: r.encoderImplementation || '', codecId: r.codecId || ''};
    }
  });
  if (out) {
    const codec = out.codecId && stats.get(out.codecId);
    out.codec = codec ? codec.mimeType : '';
    delete out.codecId;
    const track = window.vt.localStream && window.vt.localStream.getVideoTracks()[0];
    const settings = track ? track.getSettings() : null;
    out.capture = settings ? {width: settings.width, height: settings.height, frameRate: settings.frameRate} : null;
  }
  return out;
}"""

CLIP_WIDTH, CLIP_HEIGHT, CLIP_FPS, CLIP_FRAMES = 1280, 720, 30, 60


def write_face_clip(path: Path, photo: Path) -> Path:
    """A 2 s 1280x720 30 fps Y4M loop of ``photo`` (cropped to head and shoulders) drifting and a bouncing square.

    Chromium loops the file; the motion is periodic so the loop has no jump.
    """
    import cv2
    import numpy as np

    from server.identity.face import get_face_engine

    image = cv2.imread(str(photo))
    if image is None:
        raise FileNotFoundError(f"cannot read image {photo}")
    faces = get_face_engine().detect(image, thorough=True)
    if faces:  # head and shoulders, as a phone held at arm's length frames a customer
        cx, cy = (int(v) for v in faces[0].centre)
        half = int(1.6 * faces[0].w)
        x0, y0 = max(0, cx - half), max(0, cy - half)
        image = image[y0 : cy + half, x0 : cx + half]
    scale = 0.9 * min(CLIP_WIDTH / image.shape[1], CLIP_HEIGHT / image.shape[0])
    face = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    fh, fw = face.shape[:2]
    side = CLIP_HEIGHT // 8
    with path.open("wb") as handle:
        handle.write(f"YUV4MPEG2 W{CLIP_WIDTH} H{CLIP_HEIGHT} F{CLIP_FPS}:1 Ip A1:1 C420jpeg\n".encode())
        for i in range(CLIP_FRAMES):
            phase = 2 * math.pi * i / CLIP_FRAMES
            canvas = np.full((CLIP_HEIGHT, CLIP_WIDTH, 3), (70, 80, 90), dtype=np.uint8)
            x0 = (CLIP_WIDTH - fw) // 2 + int(24 * math.sin(phase))
            y0 = (CLIP_HEIGHT - fh) // 2 + int(10 * math.sin(2 * phase))
            canvas[y0 : y0 + fh, x0 : x0 + fw] = face
            sx = int((CLIP_WIDTH - side) * (0.5 + 0.45 * math.cos(phase)))
            canvas[20 : 20 + side, sx : sx + side] = (255, 255, 255)
            handle.write(b"FRAME\n" + cv2.cvtColor(canvas, cv2.COLOR_BGR2YUV_I420).tobytes())
    return path


class FrameSizeTap:
    """A media tap that tallies the sizes of the customer's decoded frames (what the seat really received)."""

    def __init__(self) -> None:
        self.sizes: dict[str, int] = {}

    def push_video(self, source: str, frame: Any) -> None:
        """Count one frame by size (customer only)."""
        if source == "customer":
            key = f"{frame.width}x{frame.height}"
            self.sizes[key] = self.sizes.get(key, 0) + 1

    def push_audio(self, source: str, frame: Any) -> None:
        """Audio is not counted."""


class Heartbeat:
    """A 10 ms asyncio sleep loop on the Qt main thread; lateness = how long the loop could not run.

    Each beat is split with the main thread's scheduler statistics (Linux ``/proc/thread-self/schedstat``): time
    the thread ran on a CPU, time it was runnable but waiting for a CPU (other processes on a shared machine), and
    the rest (asleep: waiting for the GIL or another lock, or blocked in a system call).
    """

    def __init__(self, interval: float = 0.010) -> None:
        self.interval = interval
        self.beats: list[tuple[float, float, float]] = []
        """(lateness, on-CPU, waiting for a CPU) in ms for each beat."""
        self.last_beat = time.perf_counter()
        self._task: asyncio.Task[None] | None = None
        self._schedstat: int | None = None

    def _sched(self) -> tuple[float, float]:
        if self._schedstat is None:
            return 0.0, 0.0
        fields = os.pread(self._schedstat, 128, 0).split()
        return int(fields[0]) / 1e6, int(fields[1]) / 1e6

    def start(self) -> None:
        """Start beating (call on the main thread: the schedstat file is this thread's)."""
        with contextlib.suppress(OSError):
            self._schedstat = os.open("/proc/thread-self/schedstat", os.O_RDONLY)
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        last = time.perf_counter()
        cpu0, wait0 = self._sched()
        while True:
            await asyncio.sleep(self.interval)
            now = time.perf_counter()
            cpu, wait = self._sched()
            self.beats.append((max(0.0, (now - last - self.interval) * 1000), cpu - cpu0, wait - wait0))
            last = self.last_beat = now
            cpu0, wait0 = cpu, wait

    async def stop(self) -> None:
        """Stop beating."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._schedstat is not None:
            os.close(self._schedstat)
            self._schedstat = None

    def summary(self) -> dict[str, Any]:
        """Longest and p99 lateness, the same without the time spent waiting for a CPU, and the worst beats."""
        late = sorted(b[0] for b in self.beats)
        own = sorted(max(0.0, b[0] - b[2]) for b in self.beats)
        if not late:
            return {}
        worst = sorted(self.beats, reverse=True)[:5]
        return {
            "event_loop_max_stall_ms": round(late[-1], 1),
            "event_loop_p99_stall_ms": round(late[int(len(late) * 0.99)], 1),
            "event_loop_stalls_over_50ms": sum(1 for x in late if x > 50),
            "event_loop_max_stall_less_cpu_wait_ms": round(own[-1], 1),
            "main_thread_max_cpu_between_beats_ms": round(max(b[1] for b in self.beats), 1),
            "heartbeats": len(late),
            "worst_beats": [
                {
                    "late_ms": round(lateness, 1),
                    "main_on_cpu_ms": round(cpu, 1),
                    "main_waiting_for_cpu_ms": round(wait, 1),
                    "other_ms": round(max(0.0, lateness + 1000 * self.interval - cpu - wait), 1),
                }
                for lateness, cpu, wait in worst
            ],
        }


class StallTracer:
    """Diagnostics: while the heartbeat is overdue, samples the main thread's Python stack every 5 ms.

    Sampling needs the GIL, so a stall inside C code that holds it shows up as the Python line that called it, and
    a starved machine may give a long stall a single sample.
    """

    def __init__(self, heartbeat: Heartbeat, threshold_s: float = 0.030) -> None:
        self.heartbeat = heartbeat
        self.threshold_s = threshold_s
        self.main_ident = threading.main_thread().ident
        self.stalls: list[tuple[float, list[tuple[str, int]]]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="stall-tracer", daemon=True)

    def start(self) -> None:
        """Start watching."""
        self._thread.start()

    def stop(self) -> None:
        """Stop watching."""
        self._stop.set()
        self._thread.join(timeout=2)

    @staticmethod
    def _where(frame: Any) -> str:
        entries = traceback.extract_stack(frame)[-6:]
        return " < ".join(f"{e.filename.rsplit('/', 2)[-1]}:{e.lineno} {e.name}" for e in reversed(entries))

    def _run(self) -> None:
        current: collections.Counter[str] | None = None
        beat_at_start = 0.0
        while not self._stop.wait(0.005):
            beat = self.heartbeat.last_beat
            if current is not None and beat != beat_at_start:
                self.stalls.append((round(1000 * (beat - beat_at_start), 1), current.most_common(3)))
                current = None
            if time.perf_counter() - beat > self.threshold_s:
                frame = sys._current_frames().get(self.main_ident or 0)
                if frame is None:
                    continue
                if current is None:
                    current, beat_at_start = collections.Counter(), beat
                current[self._where(frame)] += 1

    def worst(self, n: int = 3) -> list[dict[str, Any]]:
        """The longest stalls with where the main thread was sampled."""
        return [
            {"ms_between_beats": ms, "main_thread_at": [f"{count}x {where}" for where, count in stacks]}
            for ms, stacks in sorted(self.stalls, key=lambda s: -s[0])[:n]
        ]


def _machine_load() -> dict[str, Any]:
    """Load average and the share of the last 10 s in which some task waited for a CPU (Linux PSI)."""
    out: dict[str, Any] = {}
    with contextlib.suppress(OSError):
        out["load_average"] = [round(x, 2) for x in os.getloadavg()]
    with contextlib.suppress(OSError, ValueError, IndexError):
        some = Path("/proc/pressure/cpu").read_text().splitlines()[0]
        out["cpu_pressure_some_avg10_pct"] = float(some.split("avg10=")[1].split()[0])
    return out


async def bench_workstation_720p(
    url: str, cpu_seconds: float, trace_stalls: bool = False, camera_fps: int = 30
) -> dict[str, Any]:
    """Run one 720p30 call for ``cpu_seconds`` of measurement; returns the figures.

    ``trace_stalls`` adds a :class:`StallTracer` (it takes the GIL every 5 ms, so it is off for the figures).
    ``camera_fps`` is the seat's ``camera_fps`` setting (the teller's own video; the default 30 is what the goal
    is measured at).
    """
    import tempfile

    from playwright.async_api import async_playwright

    from scripts.bench_call import classify_threads, thread_cpu_seconds
    from seat_client.app import build_seat_app
    from seat_client.resources import resource_path
    from seat_client.settings import SeatSettings
    from server.devtools.browser import launch_customer_browser
    from server.devtools.sim_customer import SimulatedCustomer

    workdir = tempfile.TemporaryDirectory(prefix="vt-bench-")
    settings = SeatSettings(
        server_url=url,
        seat_id="demo",
        camera="fake-pattern",
        camera_fps=camera_fps,
        microphone="fake-tone",
        ice_bind_addresses=["127.0.0.1"],
        # its own 双录 spool: the default one is per user, and another seat client would upload (and delete) from it
        recording_spool_dir=str(Path(workdir.name) / "spool"),
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
    result: dict[str, Any] = {"machine_load_at_start": _machine_load()}
    with workdir as tmp:
        # the same person as the ID card's portrait (obama2.jpg for the sandbox's demo customers), another photo
        clip = write_face_clip(Path(tmp) / "customer.y4m", resource_path("sandbox", "faces", "obama3.jpg"))
        async with async_playwright() as playwright:
            browser = await launch_customer_browser(playwright, fake_video=clip)
            try:
                customer = SimulatedCustomer(browser, url + "/")
                original_new_context = browser.new_context

                async def new_context(**kwargs: Any) -> Any:
                    context = await original_new_context(**kwargs)
                    await context.add_init_script(FORCE_720P)
                    return context

                browser.new_context = new_context  # type: ignore[method-assign]
                page = await customer.open()
                await customer.join("password_reset")
                await until(lambda: window.call_panel.page == "ringing", 60, "ringing")
                window.call_panel.answer_button.click()
                counters = controller.remote_pump.counters
                await until(lambda: counters.drawn > 90, 30, "steady video")
                monitor = service.face_monitor
                if monitor is None:
                    raise RuntimeError("the seat's live face monitor is off (face_monitor_hz = 0)")
                readings: list[Any] = []
                deliver = monitor.on_reading

                def record(reading: Any) -> None:  # on the monitor's thread; list.append is atomic
                    readings.append(reading)
                    deliver(reading)

                monitor.on_reading = record
                await until(lambda: any(r.score is not None for r in readings), 30, "face checks against the portrait")
                readings.clear()
                checks0, cpu0, skipped0 = monitor.checks, monitor.cpu_seconds, monitor.skipped_ticks
                heartbeat = Heartbeat()
                tracer = StallTracer(heartbeat) if trace_stalls else None
                sizes = FrameSizeTap()
                controller.add_media_tap(sizes)
                heartbeat.start()
                if tracer is not None:
                    tracer.start()
                d0, r0 = counters.drawn, counters.received
                t0 = thread_cpu_seconds()
                c0, w0 = time.process_time(), time.perf_counter()
                await asyncio.sleep(cpu_seconds)
                c1, w1 = time.process_time(), time.perf_counter()
                t1 = thread_cpu_seconds()
                if tracer is not None:
                    tracer.stop()
                await heartbeat.stop()
                checks, check_cpu = monitor.checks - checks0, monitor.cpu_seconds - cpu0
                window_readings = list(readings)
                controller.remove_media_tap(sizes)
                sender = await page.evaluate(OUTBOUND_VIDEO_STATS_JS)
                wall = w1 - w0
                scores = sorted(r.score for r in window_readings if r.score is not None)
                live_face = service.state.live_face
                result.update(
                    {
                        "seconds": round(wall, 2),
                        "cpu_fraction_of_one_core": round((c1 - c0) / wall, 4),
                        **heartbeat.summary(),
                        "customer_frame_sizes_received": sizes.sizes,
                        "browser_sender_at_end": sender,
                        "frames_received_per_s": round((counters.received - r0) / wall, 2),
                        "frames_drawn_per_s": round((counters.drawn - d0) / wall, 2),
                        "face_checks": {
                            "per_s": round(checks / wall, 2),
                            "with_a_face": sum(1 for r in window_readings if r.faces),
                            "score_median": round(scores[len(scores) // 2], 3) if scores else None,
                            "cpu_ms_mean": round(1000 * check_cpu / checks, 1) if checks else None,
                            "ticks_skipped": monitor.skipped_ticks - skipped0,
                            "status_at_end": live_face.status.value if live_face is not None else None,
                        },
                        "threads": classify_threads(t0, t1, wall),
                        "machine_load_at_end": _machine_load(),
                    }
                )
                if tracer is not None:
                    result["longest_stalls_main_thread_at"] = tracer.worst()
                await customer.hang_up()
                await until(lambda: window.call_panel.page != "in_call", 10, "ended")
            finally:
                await browser.close()
        await seat.close()  # before the directory goes: the recorder and the uploader still use the spool
    result["goals"] = {
        "cpu_at_most_40pct": result.get("cpu_fraction_of_one_core", 1.0) <= 0.40,
        "no_stall_over_50ms": (result.get("event_loop_max_stall_ms") or 1e9) <= 50.0,
    }
    return result
