"""``python -m seat_client --self-test``: checks an installation (source or frozen bundle) and prints a report.

:func:`run_self_test` runs every check: the Qt platform plugin, Chinese fonts, the audio/video codecs, cameras and
microphones, the identity models (file digests, a face embedding, face-mesh landmarks and OCR on built-in samples),
the configured server over TLS, and the loopback call: the Qt widgets are built, then one CallSession runs
against a plain aiortc peer in this process (ICE pinned to 127.0.0.1) until 30 frames were decoded each way.
Exit code 0 when no check failed.
"""

from __future__ import annotations

import asyncio
import contextlib
import glob
import hashlib
import importlib.util
import json
import logging
import os
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from pydantic import BaseModel

from seat_client.call.ice import pin_ice_host_addresses
from seat_client.call.session import CallSession
from seat_client.media.fake import FakeCameraPattern, FakeMicrophoneTone
from seat_client.resources import resource_path
from wire import SessionDescription

logger = logging.getLogger(__name__)

FRAMES_NEEDED = 30


async def loopback_call(timeout: float = 20.0) -> dict[str, int]:
    """Run the loopback call; returns the video frames each side decoded. Raises TimeoutError on failure."""
    pin_ice_host_addresses(["127.0.0.1"])
    counts = {"seat_received": 0, "peer_received": 0}
    tasks: list[asyncio.Task[None]] = []

    def counter(key: str):  # type: ignore[no-untyped-def]
        def on_track(track: MediaStreamTrack) -> None:
            if track.kind != "video":
                return

            async def run() -> None:
                with contextlib.suppress(MediaStreamError):
                    while True:
                        await track.recv()
                        counts[key] += 1

            tasks.append(asyncio.ensure_future(run()))

        return on_track

    peer = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    peer.on("track", counter("peer_received"))
    peer_camera = FakeCameraPattern(320, 240)
    seat_camera = FakeCameraPattern()
    session: CallSession

    async def relay_to_peer(message: BaseModel) -> None:
        assert isinstance(message, SessionDescription)
        await peer.setRemoteDescription(RTCSessionDescription(sdp=message.sdp, type="offer"))
        peer.addTrack(peer_camera)
        await peer.setLocalDescription(await peer.createAnswer())
        await session.handle_remote(SessionDescription(sdp_type="answer", sdp=peer.localDescription.sdp))

    session = CallSession(
        "self-test-0001", relay_to_peer, seat_camera, FakeMicrophoneTone(), on_track=counter("seat_received")
    )
    try:
        await session.start()
        async with asyncio.timeout(timeout):
            while min(counts.values()) < FRAMES_NEEDED:
                await asyncio.sleep(0.05)
    finally:
        await session.close()
        await peer.close()
        for task in tasks:
            task.cancel()
        seat_camera.stop()
        peer_camera.stop()
        pin_ice_host_addresses(None)
    return counts


def build_widgets() -> None:
    """Construct every window and dialog once (catches missing Qt plugins or generated UI modules)."""
    from seat_client.views.login_dialog import LoginDialog
    from seat_client.views.main_window import MainWindow

    for widget in (LoginDialog("http://127.0.0.1:8000", "demo"), MainWindow()):
        widget.grab()
        widget.deleteLater()


# ---------------------------------------------------------------------------------------------------------------------
# Installation self-test: every check the installed (frozen) program needs, as a report (安装自检).

PASS, WARN, FAIL, SKIP = "pass", "warn", "fail", "skip"
SELFTEST_TEXT = "坐席工作台"
"""Text that must render and be read back by OCR (it is printed in ``resources/selftest/ocr_sample.png``)."""
SFACE_SAME_PERSON = 0.363
"""OpenCV's documented SFace cosine threshold: the mirrored sample face must score above it."""


@dataclass
class CheckResult:
    """One self-test check.

    Attributes:
        name: stable id (``qt_platform``, ``font``, ...).
        title: Chinese title shown to IT staff.
        status: ``pass``, ``warn`` (works but degraded, e.g. no camera), ``fail`` or ``skip`` (not applicable).
        detail: what was found.
        seconds: how long the check took.
    """

    name: str
    title: str
    status: str
    detail: str
    seconds: float = 0.0


@dataclass
class SelfTestReport:
    """All checks of one self-test run."""

    version: str
    frozen: bool
    build: dict[str, Any] = field(default_factory=dict)
    checks: list[CheckResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """No check failed (warnings and skips are fine)."""
        return all(c.status != FAIL for c in self.checks)

    def format(self) -> str:
        """The human-readable report, one line per check, ending with ``SELF-TEST OK`` or ``SELF-TEST FAILED``."""
        build = f", build {self.build.get('git_commit', '?')} {self.build.get('built_at', '')}" if self.build else ""
        lines = [f"VideoTeller 坐席工作台自检 {self.version} ({'frozen' if self.frozen else 'source'}{build})"]
        for c in self.checks:
            lines.append(f"[{c.status.upper():4}] {c.name:<12} {c.title}: {c.detail} ({c.seconds:.1f} s)")
        counts = {s: sum(1 for c in self.checks if c.status == s) for s in (PASS, WARN, FAIL, SKIP)}
        summary = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
        if self.ok:
            lines.append(f"SELF-TEST OK ({summary})")
        else:
            failed = ", ".join(c.name for c in self.checks if c.status == FAIL)
            lines.append(f"SELF-TEST FAILED: {failed} ({summary})")
        return "\n".join(lines)


def _timed(name: str, title: str, check: Callable[[], tuple[str, str]]) -> CheckResult:
    start = time.perf_counter()
    try:
        status, detail = check()
    except Exception as exc:
        logger.exception("self-test check %s failed", name)
        status, detail = FAIL, f"{type(exc).__name__}: {exc}"
    return CheckResult(name, title, status, detail, time.perf_counter() - start)


def is_frozen() -> bool:
    """True inside the PyInstaller bundle."""
    return bool(getattr(sys, "frozen", False))


def build_info() -> dict[str, Any]:
    """``build-info.json`` written by the PyInstaller spec (name, version, commit, model digests); {} from source."""
    bundle = getattr(sys, "_MEIPASS", None)
    if not bundle:
        return {}
    path = Path(bundle) / "build-info.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def package_dir(package: str) -> Path:
    """Directory of an importable package, from source or from the bundle (without importing it)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"package {package} not found")
    return Path(next(iter(spec.submodule_search_locations)))


# --- the checks (each returns (status, detail)) ----------------------------------------------------------------------


def check_qt_platform() -> tuple[str, str]:
    """The Qt platform plugin loaded, and the desktop platform plugin for this OS is present."""
    from PySide6.QtCore import QLibraryInfo
    from PySide6.QtGui import QGuiApplication

    name = QGuiApplication.platformName()
    if not name:
        return FAIL, "no Qt platform plugin loaded"
    plugins = Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.PluginsPath)) / "platforms"
    found = sorted(p.name for p in plugins.glob("*")) if plugins.is_dir() else []
    native = "qwindows.dll" if sys.platform == "win32" else "libqxcb.so"
    if sys.platform.startswith(("linux", "win")) and native not in found:
        return FAIL, f"platform {name} loaded, but the desktop plugin {native} is missing from {plugins}"
    return PASS, f"platform '{name}' loaded; plugins: {', '.join(found) or '-'}"


def check_font() -> tuple[str, str]:
    """Chinese renders with the application font (after fallback), and with the bundled font if shipped."""
    from PySide6.QtGui import QFont, QGuiApplication

    from seat_client.fonts import glyph_coverage, register_bundled_font

    cover = glyph_coverage(QGuiApplication.font(), SELFTEST_TEXT)
    if not cover.ok:
        return FAIL, (
            f"'{SELFTEST_TEXT}' with {QGuiApplication.font().family()}: missing {cover.missing}, "
            f"ink {cover.ink_pixels}, {cover.distinct_glyphs} distinct glyphs"
        )
    detail = f"'{SELFTEST_TEXT}' renders with {', '.join(dict.fromkeys(cover.fonts))}"
    families = register_bundled_font()
    if families:
        family = next((f for f in families if f.endswith(" SC")), families[0])
        bundled = glyph_coverage(QFont(family), SELFTEST_TEXT)
        if not bundled.ok or family not in bundled.fonts:
            return FAIL, f"bundled font {family} does not render '{SELFTEST_TEXT}' (used {bundled.fonts})"
        detail += f"; bundled {family} renders it too"
    elif is_frozen():
        return FAIL, detail + "; the bundled CJK font is missing"
    return PASS, detail


def check_ui_resources() -> tuple[str, str]:
    """The ring sound and every UI translation the settings offer are present and load."""
    from PySide6.QtCore import QTranslator

    from seat_client.i18n import DEFAULT_LANGUAGE, LANGUAGES, qm_path
    from seat_client.resources import resource_path

    try:
        ring = resource_path("sounds", "ring.wav")
    except FileNotFoundError as exc:
        return FAIL, str(exc)
    if ring.read_bytes()[:4] != b"RIFF":
        return FAIL, f"{ring} is not a WAV file"
    loaded = []
    for language in LANGUAGES:
        if language == DEFAULT_LANGUAGE:
            continue
        path = qm_path(language)
        if path is None or not QTranslator().load(str(path)):
            return FAIL, f"translation {language} missing or unreadable ({path})"
        loaded.append(f"{language} ({path.name})")
    return PASS, f"ring sound {ring.name}; translations: {', '.join(loaded) or '-'}"


def check_model_files() -> tuple[str, str]:
    """Every identity model is present with the SHA-256 recorded at build time (or by the server, from source)."""
    info = build_info()
    if info.get("models"):
        bundle = Path(getattr(sys, "_MEIPASS", "."))
        bad = []
        for key, entry in info["models"].items():
            path = bundle / entry["path"]
            if not path.is_file():
                bad.append(f"{key} missing")
            elif hashlib.sha256(path.read_bytes()).hexdigest() != entry["sha256"]:
                bad.append(f"{key} sha256 mismatch")
        if bad:
            return FAIL, "; ".join(bad)
        return PASS, f"{len(info['models'])} model files match build-info.json"
    try:
        from server.identity.models import MODELS, verified_model_path
    except ImportError:
        return SKIP, "no build-info.json and no server package: digests unknown"
    for key in MODELS:
        verified_model_path(key)
    return PASS, f"{len(MODELS)} model files match server/identity/models.py"


def _selftest_image(name: str) -> np.ndarray:
    import cv2

    path = resource_path("selftest", name)
    image = cv2.imdecode(np.frombuffer(path.read_bytes(), np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise ValueError(f"cannot decode {path}")
    return image


def check_face() -> tuple[str, str]:
    """The live face monitor's engine (YuNet + SFace through ``server.identity.face``, model digests checked) gives a
    128-d embedding of the sample face that matches its mirror image."""
    import cv2

    from seat_client.workstation.face_monitor import default_engine

    engine = default_engine()
    image = _selftest_image("face.jpg")
    embeddings = []
    for picture in (image, cv2.flip(image, 1)):
        faces = engine.detect(picture, thorough=True)
        if not faces:
            return FAIL, "YuNet found no face in the sample"
        embeddings.append(engine.embed(picture, faces[0]))
    emb, mirrored = embeddings
    if emb.shape != (128,) or not np.all(np.isfinite(emb)):
        return FAIL, f"bad embedding shape {emb.shape}"
    cosine = engine.cosine(emb, mirrored)
    if cosine < SFACE_SAME_PERSON:
        return FAIL, f"sample face vs its mirror image: cosine {cosine:.2f} < {SFACE_SAME_PERSON}"
    return PASS, f"128-d embedding; sample vs mirror cosine {cosine:.2f}"


def check_face_mesh() -> tuple[str, str]:
    """MediaPipe face mesh (liveness landmarks) finds 478 landmarks on the sample face."""
    import cv2
    import mediapipe as mp

    image = _selftest_image("face.jpg")
    with mp.solutions.face_mesh.FaceMesh(static_image_mode=True, max_num_faces=1, refine_landmarks=True) as mesh:
        result = mesh.process(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))
    faces = result.multi_face_landmarks or []
    if not faces:
        return FAIL, "face mesh found no face in the sample"
    count = len(faces[0].landmark)
    return (PASS if count == 478 else FAIL), f"{count} landmarks"


def check_ocr() -> tuple[str, str]:
    """RapidOCR (onnxruntime, models from its package) reads the Chinese sample image."""
    from rapidocr import RapidOCR

    models = package_dir("rapidocr") / "models"
    engine = RapidOCR(
        params={
            "Global.log_level": "warning",
            "Global.use_cls": False,
            "EngineConfig.onnxruntime.intra_op_num_threads": 1,
            "EngineConfig.onnxruntime.inter_op_num_threads": 1,
            "Det.model_path": str(models / "PP-OCRv6_det_small.onnx"),
            "Rec.model_path": str(models / "PP-OCRv6_rec_small.onnx"),
            "Cls.model_path": str(models / "ch_ppocr_mobile_v2.0_cls_mobile.onnx"),
        }
    )
    out = engine(_selftest_image("ocr_sample.png"))
    text = "".join(str(t) for t in (getattr(out, "txts", None) or ())).replace(" ", "")
    if SELFTEST_TEXT not in text:
        return FAIL, f"read {text!r}, expected it to contain {SELFTEST_TEXT!r}"
    return PASS, f"read {text!r}"


def _codec_roundtrip(encoder: str, decoder: str, kind: str) -> int:
    """Encode a few frames with ``encoder`` and decode them with ``decoder``; returns the frames decoded."""
    import av

    enc: Any = av.CodecContext.create(encoder, "w")
    dec: Any = av.CodecContext.create(decoder, "r")
    packets: list[Any] = []
    if kind == "video":
        enc.width, enc.height, enc.pix_fmt = 64, 48, "yuv420p"
        enc.time_base = Fraction(1, 30)
        enc.framerate = Fraction(30, 1)
        for i in range(6):
            img = np.full((48, 64, 3), (i * 40) % 255, np.uint8)
            video = av.VideoFrame.from_ndarray(img, format="bgr24").reformat(format="yuv420p")
            video.pts = i
            packets += enc.encode(video)
    else:
        enc.sample_rate, enc.layout, enc.format = 48000, "mono", "fltp"
        enc.time_base = Fraction(1, 48000)
        enc.open()
        assert enc.extradata is not None  # AAC decoders need the AudioSpecificConfig
        dec.extradata = enc.extradata
        n = enc.frame_size or 1024
        for i in range(6):
            tone = np.sin(np.arange(n) * 2 * np.pi * 440 / 48000).astype(np.float32)[None, :]
            audio = av.AudioFrame.from_ndarray(tone, format="fltp", layout="mono")
            audio.sample_rate, audio.pts = 48000, i * n
            packets += enc.encode(audio)
    packets += enc.encode(None)
    decoded = 0
    for packet in [*packets, None]:
        decoded += len(dec.decode(packet))
    return decoded


def check_codecs() -> tuple[str, str]:
    """VP8 and H.264 encode/decode and AAC encode/decode work in PyAV (aiortc and the recorder need them)."""
    results: list[str] = []
    failed: list[str] = []
    for label, encoder, decoder, kind in (
        ("VP8", "libvpx", "vp8", "video"),
        ("H.264", "libx264", "h264", "video"),
        ("AAC", "aac", "aac", "audio"),
    ):
        try:
            frames = _codec_roundtrip(encoder, decoder, kind)
        except Exception as exc:
            failed.append(f"{label} ({encoder}/{decoder}): {type(exc).__name__}: {exc}")
            continue
        (results if frames > 0 else failed).append(f"{label} {frames} frames")
    if failed:
        return FAIL, "; ".join(failed + results)
    return PASS, "encode+decode " + ", ".join(results)


def check_devices() -> tuple[str, str]:
    """List cameras, microphones and speakers (absence is a warning: the teller may plug them in later)."""
    from PySide6.QtMultimedia import QMediaDevices

    cameras = [d.description() for d in QMediaDevices.videoInputs()]
    if not cameras and sys.platform.startswith("linux"):
        cameras = sorted(glob.glob("/dev/video*"))
    mics = [d.description() for d in QMediaDevices.audioInputs()]
    speakers = [d.description() for d in QMediaDevices.audioOutputs()]
    detail = (
        f"cameras: {', '.join(cameras) or 'none'}; microphones: {', '.join(mics) or 'none'}; "
        f"speakers: {', '.join(speakers) or 'none'}"
    )
    return (PASS if cameras and mics else WARN), detail


def configured_server(settings_file: Path | None, explicit_url: str | None) -> tuple[str | None, str | None]:
    """The server URL and CA certificate the seat was configured with, or (None, ...) when none was configured.

    A URL counts as configured when given on the command line / ``VT_SEAT_SERVER_URL`` (``explicit_url``) or
    written in the settings file; the built-in default (a local development server) does not.
    """
    from seat_client.configure import read_settings_file

    data = read_settings_file(settings_file)
    url = explicit_url or os.environ.get("VT_SEAT_SERVER_URL") or data.get("server_url")
    ca = os.environ.get("VT_SEAT_CA_CERT") or data.get("ca_cert")
    return (str(url).rstrip("/") if url else None), (str(ca) if ca else None)


async def check_server(url: str | None, ca_cert: str | None) -> tuple[str, str]:
    """``GET <server>/healthz`` with the configured CA: reachable, and for https a valid TLS chain."""
    import httpx

    from seat_client.configure import tls_context

    if not url:
        return SKIP, "no server URL configured (videoteller-seat --configure --server URL ...)"
    verify = tls_context(ca_cert) if url.startswith("https://") else True
    try:
        async with httpx.AsyncClient(timeout=5, verify=verify) as client:
            response = await client.get(url + "/healthz")
    except httpx.ConnectError as exc:
        text = str(exc)
        if "CERTIFICATE_VERIFY_FAILED" in text or "certificate" in text.lower():
            return FAIL, f"{url}: TLS certificate not trusted ({text}); CA file: {ca_cert or 'system store'}"
        return FAIL, f"{url} unreachable: {text or type(exc).__name__}"
    except httpx.HTTPError as exc:
        return FAIL, f"{url}: {type(exc).__name__}: {exc}"
    if response.status_code != 200:
        return FAIL, f"{url}/healthz answered HTTP {response.status_code}"
    if url.startswith("http://"):
        return WARN, f"{url} reachable, but not encrypted (http://): production seats must use https"
    return PASS, f"{url} reachable, TLS chain valid ({'CA ' + ca_cert if ca_cert else 'system CA store'})"


async def check_loopback() -> tuple[str, str]:
    """The Qt windows build and a loopback WebRTC call (test pattern, VP8) carries video both ways."""
    build_widgets()
    counts = await loopback_call()
    return PASS, f"windows built; loopback call decoded {counts['seat_received']}/{counts['peer_received']} frames"


SYNC_CHECKS: list[tuple[str, str, Callable[[], tuple[str, str]]]] = [
    ("qt_platform", "Qt 平台插件", check_qt_platform),
    ("font", "中文字体", check_font),
    ("codecs", "音视频编解码", check_codecs),
    ("devices", "摄像头/麦克风", check_devices),
    ("ui_resources", "铃声与界面翻译", check_ui_resources),
]
MODEL_CHECKS: list[tuple[str, str, Callable[[], tuple[str, str]]]] = [
    ("models", "模型文件完整性", check_model_files),
    ("face", "人脸模型 YuNet+SFace", check_face),
    ("face_mesh", "活体关键点 MediaPipe", check_face_mesh),
    ("ocr", "文字识别 RapidOCR", check_ocr),
]


async def _timed_async(name: str, title: str, check: Callable[[], Awaitable[tuple[str, str]]]) -> CheckResult:
    start = time.perf_counter()
    try:
        status, detail = await check()
    except Exception as exc:
        logger.exception("self-test check %s failed", name)
        status, detail = FAIL, f"{type(exc).__name__}: {exc or 'timed out'}"
    return CheckResult(name, title, status, detail, time.perf_counter() - start)


async def run_self_test(
    *, server_url: str | None = None, ca_cert: str | None = None, include_models: bool = True
) -> SelfTestReport:
    """Run every check; the model checks run in a worker thread while the loopback call runs on the event loop.

    Needs a QApplication and a running (qasync) event loop.

    Args:
        server_url: the configured server, or None to skip the server check.
        ca_cert: the bank's CA certificate (PEM) for https, or None for the system store.
        include_models: run the OCR/face/liveness model checks (slow: a few seconds each on a busy machine).
    """
    from seat_client import __version__

    report = SelfTestReport(version=__version__, frozen=is_frozen(), build=build_info())
    report.checks += [_timed(*check) for check in SYNC_CHECKS]
    loop = asyncio.get_running_loop()

    def models() -> list[CheckResult]:
        return [_timed(*check) for check in MODEL_CHECKS] if include_models else []

    model_future = loop.run_in_executor(None, models)
    report.checks.append(await _timed_async("loopback", "本机回环通话", check_loopback))
    report.checks.append(await _timed_async("server", "服务器连接/TLS", lambda: check_server(server_url, ca_cert)))
    report.checks += await model_future
    text = report.format()
    if sys.stdout is None:  # the windowed Windows build has no console: the whole report goes to the log file
        logger.info("self-test report:\n%s", text)
    else:
        logger.info("self-test: %s", text.splitlines()[-1])
    return report
