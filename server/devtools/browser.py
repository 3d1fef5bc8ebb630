"""Launching Debian's Chromium through Playwright, kept off the network and with a fake camera and microphone."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.async_api import Browser, Playwright

CHROMIUM_PATHS = ("/usr/bin/chromium", "/usr/bin/chromium-browser")

# Chromium reaches for Google's services at start-up unless told not to; the machines this runs on are offline.
OFFLINE_FLAGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
)
# The fake camera/microphone stand in for a phone's hardware; granting permission without a prompt.
FAKE_MEDIA_FLAGS = (
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    # Host candidates on 127.0.0.1 so WebRTC stays on loopback (the seat pins its side to 127.0.0.1 too).
    "--allow-loopback-in-peer-connection",
)


def chromium_executable() -> str:
    """Path of the system Chromium; Playwright's own browser downloads are never used (they fail offline)."""
    override = os.environ.get("VT_CHROMIUM")
    candidates = (override,) if override else CHROMIUM_PATHS
    for path in candidates:
        if path and Path(path).exists():
            return path
    found = shutil.which("chromium")
    if found:
        return found
    raise FileNotFoundError("Chromium not found: install the Debian package 'chromium' (scripts/test does this)")


async def launch_customer_browser(
    playwright: Playwright, *, fake_video: Path | None = None, fake_fps: int | None = None
) -> Browser:
    """Start headless Chromium as a customer's phone would appear to the server: fake camera and microphone.

    Args:
        playwright: a started async Playwright.
        fake_video: a Y4M (or MJPEG) file to play as the camera instead of Chromium's built-in pattern.
        fake_fps: frame rate of Chromium's built-in fake camera (its default is 20 fps).
    """
    args = [*OFFLINE_FLAGS, *FAKE_MEDIA_FLAGS]
    if fake_fps is not None:
        args.remove("--use-fake-device-for-media-stream")
        args.append(f"--use-fake-device-for-media-stream=fps={int(fake_fps)}")
    if fake_video is not None:
        args.append(f"--use-file-for-fake-video-capture={fake_video}")
    return await playwright.chromium.launch(executable_path=chromium_executable(), headless=True, args=args)
