"""双录 in the real server app: chained session trail, upload, seal, search, playback, retention, verifier."""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path

import av
import pytest

from seat_client.recording.clock import FakeClock
from seat_client.recording.recorder import CallRecorder, RecorderConfig
from seat_client.recording.spool import SegmentSpool
from seat_client.recording.uploader import SegmentUploader
from server.evidence.verifier import verify_session
from tests.seat_client.recording.helpers import SyntheticCall
from tests.server.conftest import LiveServer, wait_for
from wire.recording_format import load_public_key


async def answered_call(live: LiveServer, seat_id: str = "seat-a") -> str:
    """A customer queues, ``seat_id`` answers and the customer hangs up; returns the session id."""
    customer, sid = await live.customer()
    seat = await live.seat(seat_id)
    await seat.expect("call_offered", session_id=sid)
    await seat.send({"type": "answer_call", "session_id": sid})
    await seat.expect("call_answered", session_id=sid)
    await customer.send({"type": "hangup"})
    await seat.expect("call_ended", session_id=sid)
    return sid


async def record_and_upload(live: LiveServer, tmp_path: Path, sid: str, seconds: float = 2.5) -> RecorderConfig:
    """Records ``seconds`` of a synthetic call for ``sid`` as seat-a (1 s segments) and uploads it like the seat."""
    headers = await live.auth_headers("seat-a")
    key = await live.http.get("/api/recordings/key", headers=headers)
    assert key.status_code == 200, key.text
    public_key = load_public_key(__import__("base64").b64decode(key.json()["public_key"]))
    spool = SegmentSpool(tmp_path / "spool")
    clock = FakeClock()
    cfg = RecorderConfig(
        session_id=sid, seat_id="seat-a", width=320, height=180, segment_seconds=1.0, business_type="password_reset"
    )
    recorder = CallRecorder(cfg, public_key, spool, clock=clock)
    recorder.start(threaded=False)
    SyntheticCall(recorder, clock, customer_size=(320, 240), teller_size=(160, 120)).run(seconds)
    recorder.stop()
    uploader = SegmentUploader(spool, f"http://127.0.0.1:{live.port}", headers)
    try:
        assert await uploader.drain() == 3
    finally:
        await uploader.aclose()
    return cfg


def recordings(live: LiveServer):  # type: ignore[no-untyped-def]
    return live.app.state.recordings


async def test_every_session_event_is_chained_and_the_verifier_compares_table_and_chain(live: LiveServer) -> None:
    sid = await answered_call(live)
    rows = live.services.db.events(sid)
    chained = [e for e in recordings(live).ledger.entries(sid) if "event_id" in e.payload]
    assert [e.payload["event_id"] for e in chained] == [r["event_id"] for r in rows]
    assert [e.payload["event"] for e in chained] == [r["kind"] for r in rows]
    assert any(
        e.kind == "event" and e.payload.get("event") == "session_ended" for e in recordings(live).ledger.entries(sid)
    )

    data_dir = live.settings.data_dir
    report = verify_session(data_dir, sid, actor="test")
    assert report.trail_events_checked == len(rows) and not [p for p in report.problems if "会话记录" in p]

    # Someone with file access edits the queryable table behind the app's back: the chain says otherwise.
    conn = sqlite3.connect(data_dir / "videoteller.db")
    conn.execute("DROP TRIGGER session_events_no_update")
    conn.execute(
        'UPDATE session_events SET detail = \'{"seat_id": "seat-b"}\' WHERE event_id = ?', (rows[-1]["event_id"],)
    )
    conn.commit()
    conn.close()
    report = verify_session(data_dir, sid, actor="test")
    assert any("与证据链不一致" in p for p in report.problems), report.problems


async def test_recorded_call_is_sealed_searchable_playable_and_retained(live: LiveServer, tmp_path: Path) -> None:
    db = live.services.db
    db.set_seat_role("seat-c", "supervisor")
    sid = await answered_call(live)
    cfg = await record_and_upload(live, tmp_path, sid)
    rec = recordings(live)
    await wait_for(lambda: any(e.kind == "seal" for e in rec.ledger.entries(sid)))
    assert rec.store.recording_complete(cfg.recording_id)

    teller_a, teller_b, supervisor = [await live.auth_headers(s) for s in ("seat-a", "seat-b", "seat-c")]

    # search: the handling teller and a supervisor find it; another teller's search is limited to its own calls
    res = await live.http.get("/api/recordings/sessions", params={"business_type": "password_reset"}, headers=teller_a)
    assert res.status_code == 200, res.text
    hit = next(i for i in res.json()["items"] if i["session_id"] == sid)
    assert hit["sealed"] and hit["recordings"][0]["complete"] and hit["recordings"][0]["segments"] == 3
    assert hit["customer"].startswith("李") and "*" in hit["customer"] and "华" not in hit["customer"]
    res = await live.http.get("/api/recordings/sessions", params={"seat_id": "seat-a"}, headers=teller_b)
    assert sid not in [i["session_id"] for i in res.json()["items"]]
    res = await live.http.get(
        "/api/recordings/sessions", params={"seat_id": "seat-a", "page_size": 1}, headers=supervisor
    )
    assert res.json()["total"] >= 1 and len(res.json()["items"]) == 1

    # playback: another teller is refused (and the refusal is in the trail); the supervisor gets parts + trail
    res = await live.http.get(f"/api/recordings/sessions/{sid}", headers=teller_b)
    assert res.status_code == 403
    res = await live.http.get(f"/api/recordings/sessions/{sid}", params={"purpose": "复核"}, headers=supervisor)
    assert res.status_code == 200, res.text
    view = res.json()
    assert view["chain_ok"] and len(view["parts"]) == 1
    access = [e["payload"] for e in view["trail"] if e["kind"] == "access"]
    assert {"actor": "seat-b", "action": "playback", "purpose": "", "result": "denied"} in access
    assert any(a["actor"] == "seat-c" and a["result"] == "granted" and a["purpose"] == "复核" for a in access)
    url = view["parts"][0]["url"]
    full = await live.http.get(url)
    assert full.status_code == 200 and full.headers["accept-ranges"] == "bytes"
    ranged = await live.http.get(url, headers={"Range": "bytes=100-199"})
    assert ranged.status_code == 206 and ranged.content == full.content[100:200]
    assert ranged.headers["content-range"] == f"bytes 100-199/{len(full.content)}"
    assert (await live.http.get(url.replace("grant=", "grant=x"))).status_code == 403
    with av.open(io.BytesIO(full.content), mode="r") as container:
        duration = float(container.duration or 0) / av.time_base
        assert container.streams.video and container.streams.audio
    assert duration == pytest.approx(2.5, abs=0.1)
    assert view["duration_s"] == pytest.approx(2.5, abs=0.1)

    # retention: a teller may not delete; a supervisor is refused before expiry; legal hold needs a reason
    assert (await live.http.delete(f"/api/recordings/{cfg.recording_id}", headers=teller_a)).status_code == 403
    res = await live.http.delete(f"/api/recordings/{cfg.recording_id}", headers=supervisor)
    assert res.status_code == 409 and res.json()["detail"]["code"] == "retention"
    assert "保存期限" in res.json()["detail"]["message"]
    hold = f"/api/recordings/{cfg.recording_id}/legal-hold"
    assert (await live.http.put(hold, json={"hold": True}, headers=supervisor)).status_code == 422
    res = await live.http.put(hold, json={"hold": True, "reason": "诉讼 2026-001"}, headers=supervisor)
    assert res.status_code == 200 and res.json()["legal_hold"]
    assert rec.store.segments_for_session(sid)  # nothing was deleted

    report = verify_session(live.settings.data_dir, sid, actor="test")
    assert report.ok, report.problems
    assert report.segments_checked == 3


async def test_modified_segment_is_caught_by_verifier_and_playback(live: LiveServer, tmp_path: Path) -> None:
    sid = await answered_call(live)
    await record_and_upload(live, tmp_path, sid)
    rec = recordings(live)
    await wait_for(lambda: any(e.kind == "seal" for e in rec.ledger.entries(sid)))
    segment = rec.store.segments_for_session(sid)[1].path
    data = bytearray(segment.read_bytes())
    data[-40] ^= 0x01
    segment.write_bytes(bytes(data))
    report = verify_session(live.settings.data_dir, sid, actor="test")
    assert not report.ok and any("哈希不符" in p for p in report.problems)
    res = await live.http.get(f"/api/recordings/sessions/{sid}", headers=await live.auth_headers("seat-a"))
    assert res.status_code == 409 and "校验失败" in res.json()["detail"]


async def test_deletion_after_expiry_is_recorded_and_expected_by_the_verifier(live: LiveServer, tmp_path: Path) -> None:
    live.services.db.set_seat_role("seat-c", "admin")
    sid = await answered_call(live)
    cfg = await record_and_upload(live, tmp_path, sid)
    rec = recordings(live)
    await wait_for(lambda: any(e.kind == "seal" for e in rec.ledger.entries(sid)))
    rec.store.clock = lambda: 4e9  # far past any retention period
    _sealed, purged = rec.maintain()
    assert purged == [cfg.recording_id]
    assert not any(p.exists() for p in (rec.data_dir / "recordings" / "store" / cfg.recording_id).glob("*"))
    report = verify_session(live.settings.data_dir, sid, actor="test")
    assert report.ok, report.problems
    assert report.deleted_recordings == [cfg.recording_id]
