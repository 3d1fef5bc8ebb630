"""导出证据包 in the 录像查询 dialog, against the real server: an auditor downloads a recorded session's evidence
package to the file it chose (streamed to disk piece by piece, progress shown, the access in the trail); a teller gets
the server's Chinese refusal; a 用途 is required; cancelling, a connection cut mid-download or an unwritable folder
leave no partial file and a clear message."""

from __future__ import annotations

import asyncio
import base64
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
from PySide6.QtCore import QUrl
from pytestqt.qtbot import QtBot

from seat_client.recording import query
from seat_client.recording.clock import FakeClock
from seat_client.recording.query import RecordingQueryClient, SearchFilters, error_message
from seat_client.recording.recorder import CallRecorder, RecorderConfig
from seat_client.recording.spool import SegmentSpool
from seat_client.recording.uploader import SegmentUploader
from seat_client.recordings_service import RecordingsQueryService
from seat_client.views.recordings_dialog import RecordingsDialog
from server.devtools.idcards import demo_ticket
from server.runner import ServerThread
from server.settings import SeedSeat, Settings
from tests.seat_client.conftest import run_async, wait_until
from tests.seat_client.recording.helpers import SyntheticCall
from wire.recording_format import load_public_key

SEATS = {
    "t1": ("柜员一", "pw-t1-123", "teller"),
    "aud": ("稽核员", "pw-aud-123", "auditor"),
}
NOISE = {"queue_status", "queue_stats", "notice", "seat_state"}
REFUSAL = "只有稽核、主管或管理员可以导出证据包"


@dataclass
class RecordedServer:
    """The real server with one call handled by teller ``t1``, recorded (2.5 s), uploaded and sealed."""

    server: ServerThread
    url: str
    session_id: str
    tokens: dict[str, str]

    def access(self, actor: str, action: str = "export") -> list[dict[str, Any]]:
        """``access`` entries of ``actor`` in the session's evidence chain."""
        entries = self.server.app.state.recordings.ledger.entries(self.session_id)
        return [
            e.payload
            for e in entries
            if e.kind == "access" and e.payload.get("actor") == actor and e.payload.get("action") == action
        ]


async def _expect(ws: Any, kind: str) -> dict[str, Any]:
    async with asyncio.timeout(10):
        while True:
            message = json.loads(await ws.recv())
            if message["type"] == kind:
                return dict(message)
            assert message["type"] in NOISE, message


async def _record_a_call(url: str, tmp: Path, tokens: dict[str, str]) -> str:
    """A customer queues, t1 answers, the customer hangs up; t1's recording of it is uploaded like the seat does."""
    ws_url = "ws://" + url.removeprefix("http://")
    async with httpx.AsyncClient(base_url=url, timeout=60) as http:
        ticket = await demo_ticket(http, "password_reset")
        sid = str(ticket["session_id"])
        async with (
            websockets.connect(ws_url + ticket["websocket_path"]) as customer,
            websockets.connect(f"{ws_url}/ws/seat?token={tokens['t1']}") as seat,
        ):
            await _expect(seat, "welcome")
            await seat.send(json.dumps({"type": "set_state", "state": "ready"}))
            await _expect(seat, "call_offered")
            await seat.send(json.dumps({"type": "answer_call", "session_id": sid}))
            await _expect(seat, "call_answered")
            await customer.send(json.dumps({"type": "hangup"}))
            await _expect(seat, "call_ended")
        headers = {"Authorization": f"Bearer {tokens['t1']}"}
        key = (await http.get("/api/recordings/key", headers=headers)).json()
    spool = SegmentSpool(tmp / "spool")
    clock = FakeClock()
    config = RecorderConfig(
        session_id=sid, seat_id="t1", width=320, height=180, segment_seconds=1.0, business_type="password_reset"
    )
    recorder = CallRecorder(config, load_public_key(base64.b64decode(key["public_key"])), spool, clock=clock)
    recorder.start(threaded=False)
    SyntheticCall(recorder, clock, customer_size=(320, 240), teller_size=(160, 120)).run(2.5)
    recorder.stop()
    uploader = SegmentUploader(spool, url, headers)
    try:
        assert await uploader.drain() == 3
    finally:
        await uploader.aclose()
    return sid


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RecordedServer]:
    tmp = tmp_path_factory.mktemp("export-server")
    settings = Settings(
        dev_mode=True,
        data_dir=tmp / "data",
        port=0,
        log_level="warning",
        password_hash_profile="dev_fast",
        bank_options={"population": 20, "latency_s": 0},
        dev_seed_seats=[SeedSeat(seat_id=s, display_name=n, password=p, role=r) for s, (n, p, r) in SEATS.items()],
    )
    with ServerThread(settings) as server:
        url = server.base_url
        tokens = {
            seat: httpx.post(f"{url}/api/auth/login", json={"seat_id": seat, "password": pw}).json()["token"]
            for seat, (_name, pw, _role) in SEATS.items()
        }
        sid = asyncio.run(_record_a_call(url, tmp, tokens))
        ledger = server.app.state.recordings.ledger

        async def sealed() -> None:
            async with asyncio.timeout(30):
                while not any(e.kind == "seal" for e in ledger.entries(sid)):
                    await asyncio.sleep(0.05)

        asyncio.run(sealed())
        yield RecordedServer(server, url, sid, tokens)


def _dialog(qtbot: QtBot, recorded: RecordedServer, seat: str) -> tuple[RecordingsDialog, RecordingsQueryService]:
    token = recorded.tokens[seat]
    client = RecordingQueryClient(recorded.url, lambda: {"Authorization": f"Bearer {token}"})
    service = RecordingsQueryService(client)
    dialog = RecordingsDialog()
    qtbot.addWidget(dialog)
    service.setParent(dialog)
    service.bind(dialog)
    return dialog, service


async def _find_and_select(dialog: RecordingsDialog, session_id: str) -> None:
    dialog.search_button.click()
    await wait_until(lambda: dialog.table.rowCount() >= 1, message="search results")
    rows = [dialog.table.item(r, 0).text() for r in range(dialog.table.rowCount())]  # type: ignore[union-attr]
    dialog.table.selectRow(rows.index(session_id))


def test_auditor_saves_the_package_streamed_to_the_chosen_file(
    qtbot: QtBot, qasync_loop: Any, recorded: RecordedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(query, "EXPORT_CHUNK_BYTES", 8 * 1024)  # many pieces even for a 2.5 s call (~60 KB)
    dialog, service = _dialog(qtbot, recorded, "aud")
    target = tmp_path / "out" / "争议-D7.zip"
    target.parent.mkdir()
    partial = target.with_name(target.name + query.PART_SUFFIX)
    on_disk: list[tuple[int, int]] = []  # (bytes reported, bytes in the partial file at that moment)
    service.exportProgress.connect(lambda done, _total: on_disk.append((done, partial.stat().st_size)))
    finished: list[dict[str, Any]] = []
    service.exportFinished.connect(finished.append)

    async def scenario() -> None:
        await _find_and_select(dialog, recorded.session_id)
        dialog.open_button.click()  # the opened session's part sizes give the progress an estimate
        await wait_until(lambda: dialog.shown_session_id == recorded.session_id, message="session opened")
        assert all(p["size"] > 0 and p["recording_id"] for p in dialog.parts)
        dialog.purpose_combo.setCurrentIndex(1)  # 纠纷处理
        dialog.export_button.click()
        fd = dialog.export_file_dialog  # the real (non-native) save dialog, answered as the teller would
        assert fd is not None and fd.isVisible()
        fd.selectFile(str(target))
        fd.accept()
        assert not dialog.export_button.isEnabled() and not dialog.export_cancel_button.isHidden()
        await wait_until(lambda: bool(finished), timeout=60, message="package saved")
        dialog.player.stop()  # let go of the stream here, on the loop (see tests/e2e/test_recording.py)
        dialog.player.setSource(QUrl())

    run_async(qasync_loop, scenario())
    package = finished[0]
    assert package["path"] == str(target) and package["size"] == target.stat().st_size
    assert not partial.exists()
    # streamed to the file as it arrived: every piece was on disk when reported, none held back in memory
    assert len(on_disk) > 4
    assert all(written == size for written, size in on_disk)
    assert [w for w, _ in on_disk] == sorted(w for w, _ in on_disk) and on_disk[-1][0] == package["size"]
    with zipfile.ZipFile(target) as zf:
        names = zf.namelist()
        assert names[:2] == ["manifest.json", "evidence.mp4"] and names[-1] == "report.json"
        report = json.loads(zf.read("report.json"))
    assert report["ok"] and report["session_id"] == recorded.session_id
    assert package["entries"] == names
    assert str(target) in dialog.export_label.text() and "证据包已保存" in dialog.export_label.text()
    assert dialog.export_button.isEnabled() and dialog.export_progress.isHidden()
    assert dialog.export_progress.maximum() == 1000  # determinate: the estimate from the parts' sizes
    # the server logged the export with the purpose the teller picked (in Chinese, as the trail keeps it)
    assert {"actor": "aud", "action": "export", "purpose": "纠纷处理", "result": "granted: 1 recording(s)"} in (
        recorded.access("aud")
    )
    run_async(qasync_loop, service.aclose())


def test_teller_is_shown_the_servers_refusal_and_no_file_is_made(
    qtbot: QtBot, qasync_loop: Any, recorded: RecordedServer, tmp_path: Path
) -> None:
    dialog, service = _dialog(qtbot, recorded, "t1")
    target = tmp_path / "mine.zip"
    asked: list[str] = []

    def choose(suggested: str, chosen: Any) -> None:
        asked.append(suggested)
        chosen(str(target))

    dialog.choose_export_file = choose
    failed: list[str] = []
    service.exportFailed.connect(failed.append)

    async def scenario() -> None:
        await _find_and_select(dialog, recorded.session_id)  # its own call: the teller finds it
        dialog.purpose_combo.setEditText("客户要求复制录像")
        dialog.export_button.click()
        await wait_until(lambda: bool(failed), timeout=30, message="refused")

    run_async(qasync_loop, scenario())
    assert failed == [REFUSAL] and dialog.export_label.text() == REFUSAL
    assert asked[0].endswith(f"evidence_{recorded.session_id}.zip")
    assert list(tmp_path.iterdir()) == []  # neither the file nor a partial one
    assert dialog.export_button.isEnabled() and dialog.export_cancel_button.isHidden()
    assert {"actor": "t1", "action": "export", "purpose": "客户要求复制录像", "result": "denied"} in recorded.access(
        "t1"
    )
    run_async(qasync_loop, service.aclose())


def test_a_session_and_a_purpose_are_required_before_anything_is_asked(qtbot: QtBot) -> None:
    dialog = RecordingsDialog()
    qtbot.addWidget(dialog)
    asked: list[str] = []
    emitted: list[tuple[str, str, str]] = []
    dialog.choose_export_file = lambda suggested, _chosen: asked.append(suggested)
    dialog.exportRequested.connect(lambda *args: emitted.append(args))
    dialog.purpose_combo.setCurrentIndex(0)
    dialog.export_button.click()
    assert dialog.export_label.text() == "请先在查询结果中选择要导出的会话"
    dialog.show_results(
        {
            "page": 1,
            "total": 1,
            "items": [
                {
                    "session_id": "s-1",
                    "seat_id": "t1",
                    "business_type": "password_reset",
                    "customer": "李*",
                    "queued_at": "2026-11-21T08:00:00",
                    "recordings": [],
                    "sealed": True,
                }
            ],
        }
    )
    dialog.table.selectRow(0)
    dialog.purpose_combo.setEditText("   ")
    dialog.export_button.click()
    assert dialog.export_label.text() == "请填写导出用途（必填），如客户投诉、纠纷处理"
    assert asked == [] and emitted == []
    dialog.purpose_combo.setEditText("纠纷处理")
    assert dialog.export_purpose() == "纠纷处理"
    dialog.purpose_combo.setEditText("银保监来函 2026-118")
    dialog.export_button.click()
    assert len(asked) == 1 and emitted == []  # nothing goes out until a file is chosen


def test_cancel_midway_leaves_no_partial_file(
    qtbot: QtBot, qasync_loop: Any, recorded: RecordedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(query, "EXPORT_CHUNK_BYTES", 4 * 1024)
    dialog, service = _dialog(qtbot, recorded, "aud")
    target = tmp_path / "cancelled.zip"
    dialog.choose_export_file = lambda _suggested, chosen: chosen(str(target))
    pieces: list[int] = []

    def progress(done: int, _total: object) -> None:
        pieces.append(done)
        if len(pieces) == 2:
            dialog.export_cancel_button.click()

    service.exportProgress.connect(progress)
    failed: list[str] = []
    service.exportFailed.connect(failed.append)

    async def scenario() -> None:
        await _find_and_select(dialog, recorded.session_id)
        dialog.purpose_combo.setEditText("内部稽核")
        dialog.export_button.click()
        await wait_until(lambda: bool(failed), timeout=60, message="cancelled")
        await wait_until(lambda: not service.exporting, message="download task ended")

    run_async(qasync_loop, scenario())
    assert failed == ["已取消导出，未保存证据包"] and "已取消" in dialog.export_label.text()
    assert len(pieces) == 2 and list(tmp_path.iterdir()) == []
    run_async(qasync_loop, service.aclose())


async def _cutting_proxy(upstream_port: int, keep_bytes: int) -> asyncio.Server:
    """A TCP proxy that passes the request on and closes the connection after ``keep_bytes`` of the answer."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", upstream_port)

        async def forward_request() -> None:
            while data := await reader.read(65536):
                up_writer.write(data)
                await up_writer.drain()

        pump = asyncio.ensure_future(forward_request())
        sent = 0
        try:
            while sent < keep_bytes and (data := await up_reader.read(min(65536, keep_bytes - sent))):
                writer.write(data)
                await writer.drain()
                sent += len(data)
        finally:
            pump.cancel()
            up_writer.close()
            writer.close()

    return await asyncio.start_server(handle, "127.0.0.1", 0)


def test_connection_cut_mid_download_and_unwritable_folder(
    qtbot: QtBot, qasync_loop: Any, recorded: RecordedServer, tmp_path: Path
) -> None:
    token = recorded.tokens["aud"]
    failures: list[str] = []

    async def scenario() -> None:
        proxy = await _cutting_proxy(recorded.server.port, keep_bytes=40 * 1024)
        port = proxy.sockets[0].getsockname()[1]
        client = RecordingQueryClient(f"http://127.0.0.1:{port}", lambda: {"Authorization": f"Bearer {token}"})
        try:
            with pytest.raises(query.RecordingQueryError) as cut:
                await client.export_package(recorded.session_id, "纠纷处理", tmp_path / "cut.zip")
            failures.append(cut.value.message)
        finally:
            await client.aclose()
            proxy.close()
            await proxy.wait_closed()
        direct = RecordingQueryClient(recorded.url, lambda: {"Authorization": f"Bearer {token}"})
        try:
            with pytest.raises(query.RecordingQueryError) as unwritable:
                await direct.export_package(recorded.session_id, "纠纷处理", tmp_path / "no-such-dir" / "x.zip")
            failures.append(unwritable.value.message)
            page = await direct.search(SearchFilters(seat_id="t1"))  # the client is still usable after both
            assert recorded.session_id in [i["session_id"] for i in page["items"]]
        finally:
            await direct.aclose()

    run_async(qasync_loop, scenario())
    assert failures[0] == "证据包下载中断（网络连接失败或服务器中止），请重试"
    assert failures[1].startswith("无法保存证据包到所选位置")
    assert list(tmp_path.iterdir()) == []


def test_error_messages_of_the_export_refusals() -> None:
    invalid = httpx.Response(
        409,
        json={"detail": {"code": "evidence_invalid", "message": "证据校验未通过，不能导出", "problems": ["a", "b"]}},
    )
    assert error_message(invalid) == "证据校验未通过，不能导出：a；b"
    many = httpx.Response(409, json={"detail": {"message": "证据校验未通过，不能导出", "problems": list("abcd")}})
    assert error_message(many) == "证据校验未通过，不能导出：a；b；c；…"
    assert error_message(httpx.Response(403, json={"detail": REFUSAL})) == REFUSAL
    assert error_message(httpx.Response(502, text="<html>bad gateway</html>")) == "查询失败（HTTP 502）"
