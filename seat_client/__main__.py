"""``python -m seat_client``: the seat workstation (坐席工作台)."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import sys
import time
from pathlib import Path

from seat_client import __version__
from seat_client.settings import PASSWORD_ENV, SettingsError, default_settings_path, load_settings

logger = logging.getLogger("seat_client")


def parse_args(argv: list[str]) -> argparse.Namespace:
    """Command-line options (they override the settings file and VT_SEAT_* env)."""
    p = argparse.ArgumentParser(prog="python -m seat_client", description="VideoTeller 坐席工作台")
    p.add_argument("--server", help="server URL, e.g. http://127.0.0.1:8000 (VT_SEAT_SERVER_URL)")
    p.add_argument("--seat-id", help="工号 (VT_SEAT_SEAT_ID)")
    p.add_argument("--password-stdin", action="store_true", help="read the password from stdin and sign in at once")
    p.add_argument("--camera", help="fake-pattern | device index | video file | auto (VT_SEAT_CAMERA)")
    p.add_argument("--microphone", help="fake-tone | none | auto (VT_SEAT_MICROPHONE)")
    p.add_argument("--ice-bind", help="comma-separated IPs for WebRTC host candidates (VT_SEAT_ICE_BIND_ADDRESSES)")
    p.add_argument("--settings", type=Path, help="settings file (default: the user config dir)")
    p.add_argument("--screenshot-dir", type=Path, help="save main-window PNGs here on state changes and every 5 s")
    p.add_argument("--screenshot-interval", type=float, default=5.0, help="seconds between periodic screenshots")
    p.add_argument(
        "--auto-answer",
        action="store_true",
        default=None,
        help="answer offered calls automatically (implies --auto-ready)",
    )
    p.add_argument("--auto-ready", action="store_true", default=None, help="go 示闲 after sign-in and after calls")
    p.add_argument("--exit-after-calls", type=int, help="quit after N completed calls (demos, benchmarks)")
    p.add_argument("--stats-file", type=Path, help="write call and frame counters as JSON after each call and on exit")
    p.add_argument(
        "--self-test", action="store_true", help="check the installation (Qt, fonts, codecs, models, server)"
    )
    p.add_argument("--configure", action="store_true", help="write --server/--seat-id/--ca-cert/--camera and exit")
    p.add_argument("--ca-cert", type=Path, help="the bank's CA certificate (PEM) for https; --configure stores it")
    p.add_argument(
        "--startup-probe",
        action="store_true",
        default=os.environ.get("VT_SEAT_STARTUP_PROBE") == "1",
        help="print STARTUP-PROBE <epoch seconds> once the login window is shown, then exit (benchmarks)",
    )
    p.add_argument("--log-level", default="INFO")
    p.add_argument("--version", action="version", version=__version__)
    return p.parse_args(argv)


def write_stats(path: Path, data: dict[str, object]) -> None:
    """Write ``data`` as JSON atomically (a reader never sees half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    tmp.replace(path)


def main(argv: list[str] | None = None) -> int:
    """Run the workstation until its window closes (or ``--exit-after-calls`` is reached)."""
    argv = sys.argv[1:] if argv is None else argv
    if "--configure" in argv:
        from seat_client.configure import configure_main

        return configure_main(argv)
    args = parse_args(argv)
    from seat_client.logging_setup import setup_logging

    log_file = setup_logging(getattr(logging, str(args.log_level).upper(), logging.INFO))
    if args.settings is None:
        from seat_client.configure import seed_user_settings

        seed_user_settings()
    try:
        settings = load_settings(
            args.settings,
            overrides={
                "server_url": args.server,
                "seat_id": args.seat_id,
                "camera": args.camera,
                "microphone": args.microphone,
                "ice_bind_addresses": args.ice_bind,
                "auto_answer": args.auto_answer,
                "auto_ready": args.auto_ready,
                "ca_cert": str(args.ca_cert) if args.ca_cert else None,
            },
        )
    except SettingsError as exc:
        print(exc.message, file=sys.stderr)
        return 2
    password: str | None = None
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif os.environ.get(PASSWORD_ENV):
        password = os.environ[PASSWORD_ENV]

    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    from seat_client.app import build_seat_app
    from seat_client.qt_workarounds import new_event_loop
    from seat_client.resources import resource_path
    from seat_client.views.theme import apply_theme

    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("VideoTeller")
    app.setApplicationVersion(__version__)
    app.setQuitOnLastWindowClosed(False)
    apply_theme(app)
    from seat_client.fonts import ensure_cjk_font

    ensure_cjk_font(app)
    app.setWindowIcon(QIcon(str(resource_path("icons", "videoteller.svg"))))
    loop = new_event_loop(app)
    asyncio.set_event_loop(loop)
    logger.info("seat client %s starting (log file %s)", __version__, log_file)

    if args.self_test:
        from seat_client.selftest import configured_server, run_self_test

        server_url, ca_cert = configured_server(args.settings, args.server)
        with loop:
            report = loop.run_until_complete(run_self_test(server_url=server_url, ca_cert=ca_cert))
        print(report.format())
        return 0 if report.ok else 1

    async def run() -> int:
        done = asyncio.Event()
        seat = build_seat_app(
            settings,
            screenshot_dir=args.screenshot_dir,
            exit_after_calls=args.exit_after_calls,
            screenshot_interval_ms=int(args.screenshot_interval * 1000),
            settings_path=args.settings or default_settings_path(),
        )
        seat.controller.exitRequested.connect(done.set)
        if args.stats_file is not None:
            seat.controller.callEnded.connect(lambda _msg: write_stats(args.stats_file, seat.controller.snapshot()))
        seat.window.closing.connect(done.set)
        seat.login_dialog.rejected.connect(done.set)
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(sig, done.set)
            except (NotImplementedError, RuntimeError):
                signal.signal(sig, lambda *_: done.set())
        await seat.start(password)
        if args.startup_probe:
            while not (seat.login_dialog.isVisible() or seat.window.isVisible()):
                await asyncio.sleep(0.005)
            print(f"STARTUP-PROBE {time.time():.3f}", flush=True)
            done.set()
        await done.wait()
        if seat.screenshots is not None:
            seat.screenshots.capture("exit")
        await seat.close()
        snapshot = seat.controller.snapshot()
        if args.stats_file is not None:
            write_stats(args.stats_file, {**snapshot, "exited": True})
        logger.info("exiting: %s", json.dumps(snapshot, ensure_ascii=False))
        return 0

    with loop:
        return loop.run_until_complete(run())


if __name__ == "__main__":
    sys.exit(main())
