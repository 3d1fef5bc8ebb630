"""双录 through the whole system: a real call is recorded on the seat, uploaded, sealed, searched and played back.

Real parts: ``python -m server`` in its own process, headless Chromium as the customer (its fake camera and beeping
fake microphone), the seat client in-process (offscreen Qt, qasync) or as a ``python -m seat_client`` subprocess,
aiortc between them, RapidOCR reading the burned-in watermark back.

Call duration, as checked here, is the recorder's own start->stop media time (the end of its last segment:
``start_s + duration_s``); the played-back MP4 must match it within 1 %.
"""

from __future__ import annotations

import asyncio
import io
import itertools
import os
import re
import signal
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import av
import httpx
import numpy as np
import pytest
from PySide6.QtCore import QUrl
from pytestqt.qtbot import QtBot

from seat_client.app import build_seat_app
from seat_client.settings import SeatSettings
from server.evidence.keys import ServerKeys
from server.evidence.verifier import verify_session
from tests.e2e.conftest import ROOT, LiveServer, run_async, wait_until
from tests.e2e.test_call import _browser_customer, _connect
from wire.recording_format import WrongKeyError, decrypt_segment

SEGMENT_S = 3.0
CALL_S = 12.0
TELLER_TONE_HZ = 440.0  # FakeMicrophoneTone
_TIME_RE = re.compile(r"(\d{4}-\d{2}-\d{2})\s*(\d{2}):?(\d{2}):?(\d{2})")


def _headers(server: LiveServer, seat_id: str = "demo", password: str = "demo123") -> dict[str, str]:
    return {"Authorization": f"Bearer {server.seat_token(seat_id, password)}"}


def _view(server: LiveServer, session_id: str) -> dict[str, Any]:
    res = httpx.get(f"{server.url}/api/recordings/sessions/{session_id}", headers=_headers(server), timeout=60)
    assert res.status_code == 200, res.text
    return dict(res.json())


def _sealed(server: LiveServer, session_id: str) -> bool:
    res = httpx.get(f"{server.url}/api/recordings/sessions", headers=_headers(server), timeout=30)
    items = [i for i in res.json()["items"] if i["session_id"] == session_id]
    return bool(items and items[0]["sealed"])


def _tone_energy(samples: np.ndarray, rate: int, lo: float, hi: float) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    freqs = np.fft.rfftfreq(len(samples), 1 / rate)
    band = (freqs >= lo) & (freqs <= hi)
    return float(spectrum[band].sum() / max(1.0, spectrum.sum()))


def _decode(data: bytes) -> tuple[float, list[tuple[float, np.ndarray]], np.ndarray, int]:
    """Duration, one luma frame per half second (time, frame), mono audio, audio rate."""
    frames: list[tuple[float, np.ndarray]] = []
    audio: list[np.ndarray] = []
    rate = 48000
    with av.open(io.BytesIO(data), mode="r") as container:
        duration = float(container.duration or 0) / av.time_base
        next_t = 0.5
        for frame in container.decode(video=0):
            assert frame.pts is not None and frame.time_base is not None
            t = float(frame.pts * frame.time_base)
            if t >= next_t:
                frames.append((t, frame.to_ndarray(format="gray")))
                next_t += 1.0
    with av.open(io.BytesIO(data), mode="r") as container:
        for aframe in container.decode(audio=0):
            rate = aframe.sample_rate
            audio.append(aframe.to_ndarray().astype(np.float32).reshape(-1))
    return duration, frames, np.concatenate(audio) if audio else np.zeros(0, np.float32), rate


def _watermark_times(frames: list[tuple[float, np.ndarray]]) -> list[datetime]:
    import cv2
    from rapidocr import RapidOCR
    from rapidocr.utils.output import RapidOCROutput

    engine = RapidOCR()
    times = []
    for _t, luma in frames:
        height, width = luma.shape
        crop = cv2.cvtColor(luma[: max(48, height // 6), : int(width * 0.8)], cv2.COLOR_GRAY2BGR)
        result = engine(crop)
        assert isinstance(result, RapidOCROutput)
        text = " ".join(result.txts or ())
        match = _TIME_RE.search(text.replace(" ", " "))
        assert match, f"no watermark time in OCR text {text!r}"
        times.append(datetime.fromisoformat(f"{match[1]}T{match[2]}:{match[3]}:{match[4]}"))
    return times


def _seat_settings(server: LiveServer, spool: Path) -> SeatSettings:
    return SeatSettings(
        server_url=server.url,
        seat_id="demo",
        camera="fake-pattern",
        microphone="fake-tone",
        ice_bind_addresses=["127.0.0.1"],
        recording_spool_dir=str(spool),
        recording_segment_seconds=SEGMENT_S,
        recording_width=640,
        recording_height=360,
    )


async def _play_in_the_dialog(seat: Any, session_id: str) -> None:
    """录像查询 as the teller uses it: search, open the call, play, seek; the trail shows beside the picture."""
    from seat_client.recordings_service import recordings_dialog_for

    dialog, service = recordings_dialog_for(seat.controller, seat.window)
    try:
        dialog.open()
        dialog.business_edit.setText("password_reset")
        dialog.search_button.click()
        await wait_until(lambda: dialog.table.rowCount() >= 1, message="search results")
        rows = [dialog.table.item(r, 0).text() for r in range(dialog.table.rowCount())]
        assert session_id in rows
        dialog.table.selectRow(rows.index(session_id))
        dialog.open_button.click()
        await wait_until(lambda: bool(dialog.parts) and dialog.trail.count() > 5, message="session opened")
        assert any("answered" in dialog.trail.item(i).text() for i in range(dialog.trail.count()))
        dialog.toggle_play()
        await wait_until(lambda: dialog.player.position() > 1000, timeout=30, message="QMediaPlayer plays the stream")
        target = dialog.session_duration_s * 0.6
        dialog.seek(target)
        await wait_until(lambda: abs(dialog.session_position_s() - target) < 1.5, timeout=30, message="seek")
    finally:
        # Whatever happened, the player lets go of its stream here, on the loop, not in a widget teardown later
        # (a QMediaPlayer destroyed mid-stream joins its demuxer thread from C++, where no test timeout reaches).
        dialog.player.stop()
        dialog.player.setSource(QUrl())
        dialog.close()
        await service.aclose()


@pytest.mark.timeout(300)
def test_real_call_is_recorded_uploaded_sealed_and_played_back(
    qtbot: QtBot, qasync_loop, live_server: LiveServer, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    seat = build_seat_app(_seat_settings(live_server, tmp_path / "spool"), screenshot_interval_ms=0)
    qtbot.addWidget(seat.window)
    qtbot.addWidget(seat.login_dialog)
    statuses: list[tuple[str, str]] = []
    seat.controller.recordingStatus.connect(lambda state, text: statuses.append((state, text)))

    async def scenario() -> tuple[str, list[Any]]:
        async with _browser_customer(live_server) as customer:
            session_id = await _connect(seat, customer)
            recording = seat.controller.recording
            assert recording is not None and recording.key_id
            await wait_until(lambda: recording.recorder is not None, message="recording starts on media connect")
            recorder = recording.recorder
            assert recorder is not None
            await wait_until(
                lambda: recorder.stats.frames_encoded >= CALL_S * 30, timeout=90, message="about 12 s recorded"
            )
            await customer.hang_up()
            await customer.wait_for_state("ended")
            await wait_until(lambda: recording.recorder is None, message="recording stops at hang-up")
            await recording.wait_stopped()
        segments = list(recording.last_segments)
        await wait_until(lambda: recording.pending_uploads() == 0, timeout=60, message="uploads drained")
        await _play_in_the_dialog(seat, session_id)
        await seat.close()
        return session_id, segments

    session_id, segments = run_async(qasync_loop, scenario(), timeout=240)
    assert ("recording", "● 录像中") in statuses
    assert seat.controller.settings.recording_key_id  # pinned on first use
    media_s = segments[-1].start_s + segments[-1].duration_s
    assert media_s >= CALL_S - 1

    deadline = 60.0
    run_async(qasync_loop, wait_until(lambda: _sealed(live_server, session_id), timeout=deadline, message="sealed"))
    view = _view(live_server, session_id)
    assert view["chain_ok"], view["chain_problems"]
    assert view["session"]["recordings"][0]["segments"] == len(segments)
    trail_kinds = [(e["kind"], e["payload"].get("event")) for e in view["trail"]]
    assert ("event", "answered") in trail_kinds and ("event", "ended") in trail_kinds
    assert trail_kinds[-2][0] in ("seal", "access") and any(k == "seal" for k, _ in trail_kinds)

    # Playback: what a player streams from the server, range by range. One MP4 per run of segments that share
    # codec parameters: more than one when the recorder stepped its quality down under load.
    frames: list[tuple[float, np.ndarray]] = []
    audio_parts: list[np.ndarray] = []
    rate = 48000
    for part in view["parts"]:
        url = live_server.url + part["url"]
        head = httpx.get(url, headers={"Range": "bytes=0-1023"}, timeout=60)
        assert head.status_code == 206
        total = int(head.headers["content-range"].split("/")[1])
        body = head.content
        while len(body) < total:
            chunk = httpx.get(url, headers={"Range": f"bytes={len(body)}-{len(body) + 1_000_000}"}, timeout=60)
            assert chunk.status_code == 206
            body += chunk.content
        part_duration, part_frames, part_audio, rate = _decode(body)
        assert part_duration == pytest.approx(part["duration_s"], abs=0.05)
        frames += [(part["start_s"] + t, f) for t, f in part_frames]
        audio_parts.append(part_audio)
    last = view["parts"][-1]
    duration = last["start_s"] + last["duration_s"]
    audio = np.concatenate(audio_parts)
    assert duration == pytest.approx(media_s, rel=0.01), (duration, media_s)
    assert len(audio) / rate == pytest.approx(media_s, rel=0.01)

    times = _watermark_times(frames)
    assert all(b > a for a, b in itertools.pairwise(times)), times
    assert len(times) >= int(CALL_S) - 1

    # Audio from both sides: the teller's 440 Hz test tone and the browser's fake-microphone beeps.
    teller = _tone_energy(audio, rate, TELLER_TONE_HZ - 20, TELLER_TONE_HZ + 20)
    customer_band = _tone_energy(audio, rate, 600, 4000)
    assert teller > 0.05, teller
    assert customer_band > 0.05, customer_band

    # Verifier on the server's data dir: chain, seal, every file, the trail table vs the chain.
    keys = ServerKeys.load(live_server.data_dir)
    report = verify_session(live_server.data_dir, session_id, actor="e2e", purpose="test", keys=keys)
    assert report.ok, report.problems
    assert report.trail_events_checked > 5
    stored = sorted((live_server.data_dir / "recordings" / "store").rglob("*.vtseg"))
    assert len(stored) == len(segments)
    with pytest.raises(WrongKeyError):
        from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

        decrypt_segment(stored[0].read_bytes(), X25519PrivateKey.generate())
    header, plain = decrypt_segment(stored[0].read_bytes(), keys.recording_key)
    assert header.meta["session_id"] == session_id and plain[4:8] == b"ftyp"

    # Retention: a supervisor (created with the server's CLI) is refused deletion before the period ends.
    subprocess.run(
        [sys.executable, "-m", "server", "--dev", "--data-dir", str(live_server.data_dir), "add-seat", "sup1",
         "--name", "主管", "--role", "supervisor"],
        input=b"sup-pass-1\n", cwd=ROOT, check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    recording_id = view["session"]["recordings"][0]["recording_id"]
    supervisor = _headers(live_server, "sup1", "sup-pass-1")
    res = httpx.delete(f"{live_server.url}/api/recordings/{recording_id}", headers=supervisor, timeout=30)
    assert res.status_code == 409 and res.json()["detail"]["code"] == "retention", res.text
    assert len(sorted((live_server.data_dir / "recordings" / "store").rglob("*.vtseg"))) == len(segments)


# ---- faults with the seat client as a subprocess ----


class TcpProxy:
    """A TCP relay on 127.0.0.1 this test controls (the network between the seat and the server).

    ``cut()`` drops every connection and refuses new ones; ``block_http(True)`` does that only to plain HTTP
    connections (recording uploads) while the seat's WebSocket keeps the call up.
    """

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = 0
        self.server: asyncio.AbstractServer | None = None
        self.conns: list[tuple[bool, asyncio.StreamWriter]] = []
        self.http_blocked = False
        self.bytes_up = 0

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", self.port, reuse_address=True)
        self.port = self.server.sockets[0].getsockname()[1]

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        first = await reader.read(65536)
        websocket = first.startswith(b"GET /ws/")
        if not first or (self.http_blocked and not websocket):
            writer.transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.transport.abort()
            return
        self.conns += [(websocket, writer), (websocket, up_writer)]
        up_writer.write(first)

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter, count: bool) -> None:
            try:
                while data := await src.read(65536):
                    if count:
                        self.bytes_up += len(data)
                    dst.write(data)
                    await dst.drain()
            except (OSError, asyncio.CancelledError):
                pass
            finally:
                dst.close()

        await asyncio.gather(pipe(reader, up_writer, True), pipe(up_reader, writer, False))

    def block_http(self, blocked: bool) -> None:
        self.http_blocked = blocked
        if blocked:
            for websocket, w in self.conns:
                if not websocket:
                    w.transport.abort()
            self.conns = [c for c in self.conns if c[0]]

    async def cut(self) -> None:
        if self.server is not None:
            self.server.close()
            self.server = None
        for _websocket, w in self.conns:
            w.transport.abort()
        self.conns.clear()


def _seat_process(
    server_url: str, spool: Path, tmp: Path, name: str, exit_after: int | None
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "VT_SEAT_RECORDING_SPOOL_DIR": str(spool),
        "VT_SEAT_RECORDING_SEGMENT_SECONDS": "2",
        "VT_SEAT_RECORDING_WIDTH": "640",
        "VT_SEAT_RECORDING_HEIGHT": "360",
        "XDG_CONFIG_HOME": str(tmp / "config"),
        "XDG_DATA_HOME": str(tmp / "data"),
    }
    args = [
        sys.executable, "-m", "seat_client", "--server", server_url, "--seat-id", "demo", "--password-stdin",
        "--camera", "fake-pattern", "--microphone", "fake-tone", "--ice-bind", "127.0.0.1", "--auto-answer",
        "--settings", str(tmp / f"{name}.json"),
    ]  # fmt: skip
    if exit_after is not None:
        args += ["--exit-after-calls", str(exit_after)]
    log = (tmp / f"{name}.log").open("wb")
    proc = subprocess.Popen(args, cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=log, stderr=subprocess.STDOUT)
    assert proc.stdin is not None
    proc.stdin.write(b"demo123\n")
    proc.stdin.close()
    return proc


def _stored_indexes(data_dir: Path) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for path in (data_dir / "recordings" / "store").rglob("*.vtseg"):
        out.setdefault(path.parent.name, []).append(int(path.stem))
    return {k: sorted(v) for k, v in out.items()}


async def _wait_page_state(customer: Any, states: tuple[str, ...], timeout: float = 60.0) -> str:
    async with asyncio.timeout(timeout):
        while (state := await customer.state()) not in states:
            await asyncio.sleep(0.2)
    return state


@pytest.mark.timeout(300)
def test_seat_killed_mid_call_uploads_the_rest_after_restart_through_a_cut_network(
    live_server: LiveServer, tmp_path: Path
) -> None:
    """SIGKILL mid-call with uploads failing, restart, network cut mid-upload: the recording arrives complete up to
    the kill minus at most the segment in progress. The routing engine puts the customer back at the front of the
    queue; the restarted seat answers, records the rest of the call as a second recording, and exits after it."""
    spool = tmp_path / "spool"

    async def scenario() -> None:
        port = int(live_server.url.rsplit(":", 1)[1])
        proxy = TcpProxy(port)
        await proxy.start()
        seat = _seat_process(f"http://127.0.0.1:{proxy.port}", spool, tmp_path, "seat1", exit_after=None)
        seat2: subprocess.Popen[bytes] | None = None
        try:
            async with _browser_customer(live_server) as customer:
                await customer.join("password_reset", "李四")
                await customer.wait_for_state("connected", timeout_s=60)
                await wait_until(lambda: sum(len(v) for v in _stored_indexes(live_server.data_dir).values()) >= 2,
                                 timeout=60, message="two 2 s segments uploaded")  # fmt: skip
                # Uploads fail from now on (the call goes on over the WebSocket), then the seat is killed outright:
                # the segments recorded meanwhile wait in its spool; the one being recorded is lost with the process.
                proxy.block_http(True)
                stored_before = sum(len(v) for v in _stored_indexes(live_server.data_dir).values())
                await wait_until(lambda: len(list(spool.glob("*.vtseg"))) >= 2, timeout=30, message="spooled offline")
                killed_at = datetime.now().timestamp()
                seat.send_signal(signal.SIGKILL)
                seat.wait(10)
                left = sorted(spool.glob("*.vtseg"))
                assert len(left) >= 2, "segments were left in the spool by the killed seat"
                await _wait_page_state(customer, ("queued",))  # requeued at the front

                # Restart; cut the network while it uploads what was left, restore it.
                proxy.block_http(False)
                up_before_restart = proxy.bytes_up
                seat2 = _seat_process(f"http://127.0.0.1:{proxy.port}", spool, tmp_path, "seat2", exit_after=1)
                await wait_until(lambda: proxy.bytes_up - up_before_restart > 100_000, timeout=60,
                                 message="restarted seat uploads")  # fmt: skip
                await proxy.cut()
                await asyncio.sleep(1.0)  # the network is down for a second
                await proxy.start()
                await wait_until(lambda: not (set(left) & set(spool.glob("*.vtseg"))), timeout=90,
                                 message="the killed seat's segments uploaded")  # fmt: skip
                await _wait_page_state(customer, ("connected",))  # the restarted seat took the call again
                await asyncio.sleep(3.0)  # a little of the call on the restarted seat
                await customer.hang_up()
                await customer.wait_for_state("ended")
            assert seat2 is not None
            assert await asyncio.to_thread(seat2.wait, 60) == 0
        finally:
            for proc in (seat, seat2):
                if proc is not None and proc.poll() is None:
                    proc.kill()
            await proxy.cut()

        keys = ServerKeys.load(live_server.data_dir)
        store = live_server.data_dir / "recordings" / "store"
        recordings = {}
        for recording_id, indexes in _stored_indexes(live_server.data_dir).items():
            metas = [decrypt_segment((store / recording_id / f"{i:05d}.vtseg").read_bytes(), keys.recording_key)[0].meta
                     for i in indexes]  # fmt: skip
            recordings[recording_id] = (indexes, metas)
        # The killed seat's recording, then the restarted seat's: one, or two when the network cut also dropped the
        # call it had already taken again (the customer is requeued at the front and answered a second time).
        assert 2 <= len(recordings) <= 3, sorted(recordings)
        (killed_ids, killed), *resumed_recordings = sorted(recordings.values(), key=lambda r: r[1][0]["started_at"])
        assert killed_ids == list(range(len(killed_ids))), killed_ids  # contiguous: nothing lost before the kill
        left_indexes = [int(p.stem.rsplit("_", 1)[1]) for p in left]
        assert len(killed_ids) >= max(stored_before, max(left_indexes) + 1)  # what was left in the spool arrived
        assert not killed[-1].get("final")  # the killed recording never got its final segment
        recorded_until = killed[-1]["started_at"] + killed[-1]["duration_s"]
        # complete up to the kill minus at most one 2 s segment (plus the recorder's 0.2 s A/V latency)
        assert recorded_until >= killed_at - 2.0 - 0.5, (recorded_until - killed[0]["started_at"], killed_at)
        for _, resumed in resumed_recordings:  # each complete: contiguous from 0 and finished at its hang-up
            assert resumed[-1].get("final") and [m["segment_index"] for m in resumed] == list(range(len(resumed)))
        assert not list(spool.glob("*.vtseg")) and not list(spool.glob("*.part"))

    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(asyncio.wait_for(scenario(), 300))
    finally:
        loop.close()
