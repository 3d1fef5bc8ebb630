"""The auditor role (稽核) through the HTTP API: searches, plays and exports every seat's recordings and reads their
trails, every access in the trail; takes no calls and changes no seat or queue settings; tellers keep their rules."""

from __future__ import annotations

import base64
import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import av
import pytest

from server.db import Database
from server.evidence.chain import verify_chain
from server.evidence.verifier import verify_session
from tests.server.conftest import LiveServer, wait_for
from tests.server.recordings.test_app_recordings import answered_call, record_and_upload

ROOT = Path(__file__).resolve().parents[3]
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


def _access(live: LiveServer, sid: str, actor: str) -> list[dict[str, str]]:
    entries = live.app.state.recordings.ledger.entries(sid)
    return [e.payload for e in entries if e.kind == "access" and e.payload.get("actor") == actor]


async def test_auditor_searches_plays_and_exports_every_seat_with_each_access_in_the_trail(
    live: LiveServer, tmp_path: Path
) -> None:
    live.services.db.set_seat_role("seat-c", "auditor")
    sid = await answered_call(live, "seat-a")
    rec = live.app.state.recordings
    rec.ledger.add_blob(sid, "snapshot", "face_check", PNG, "image/png", {"gate": "face_compare"})
    cfg = await record_and_upload(live, tmp_path, sid)
    await wait_for(lambda: any(e.kind == "seal" for e in rec.ledger.entries(sid)))
    auditor, teller_b = await live.auth_headers("seat-c"), await live.auth_headers("seat-b")

    # Search across seats: the auditor sees seat-a's call; the listing is in that session's trail.
    res = await live.http.get("/api/recordings/sessions", params={"seat_id": "seat-a"}, headers=auditor)
    assert res.status_code == 200, res.text
    assert sid in [i["session_id"] for i in res.json()["items"]]
    searches = [a for a in _access(live, sid, "seat-c") if a["action"] == "search"]
    assert searches and json.loads(searches[-1]["purpose"])["seat_id"] == "seat-a"

    # Open the session: the trail and the playback parts; the access is logged with its purpose.
    res = await live.http.get(f"/api/recordings/sessions/{sid}", params={"purpose": "季度稽核"}, headers=auditor)
    assert res.status_code == 200, res.text
    view = res.json()
    assert view["chain_ok"] and len(view["parts"]) == 1 and view["session"]["seat_id"] == "seat-a"
    assert any(e["kind"] == "event" and e["payload"].get("event") == "answered" for e in view["trail"])
    assert {"actor": "seat-c", "action": "playback", "purpose": "季度稽核", "result": "granted"} in _access(
        live, sid, "seat-c"
    )
    part = await live.http.get(view["parts"][0]["url"], headers={"Range": "bytes=0-99"})
    assert part.status_code == 206 and part.headers["content-type"] == "video/mp4"

    # Export the evidence package: a purpose is required; the ZIP holds what the CLI export writes.
    url = f"/api/recordings/sessions/{sid}/export.zip"
    assert (await live.http.get(url, headers=auditor)).status_code == 422
    res = await live.http.get(url, params={"purpose": "争议 D-7"}, headers=auditor)
    assert res.status_code == 200, res.text
    assert res.headers["content-type"] == "application/zip"
    assert f"evidence_{sid}.zip" in res.headers["content-disposition"]
    package = zipfile.ZipFile(io.BytesIO(res.content))
    names = package.namelist()
    assert names[:2] == ["manifest.json", "evidence.mp4"] and names[-1] == "report.json"
    snapshots = [n for n in names if n.startswith("snapshots/")]
    assert len(snapshots) == 1 and package.read(snapshots[0]) == PNG
    manifest = json.loads(package.read("manifest.json"))
    assert verify_chain(manifest, rec.keys.seal_key.public_key()) == []
    report = json.loads(package.read("report.json"))
    assert report["ok"] and report["recordings"][0]["recording_id"] == cfg.recording_id
    video = package.read("evidence.mp4")
    with av.open(io.BytesIO(video), mode="r") as c:
        assert float(c.duration or 0) / av.time_base == pytest.approx(2.5, abs=0.1)
        assert sum(1 for _ in c.decode(c.streams.video[0])) == 75
    cli = verify_session(live.settings.data_dir, sid, tmp_path / "cli", actor="cli", keys=rec.keys, ledger=rec.ledger)
    assert cli.ok and (tmp_path / "cli" / "evidence.mp4").read_bytes() == video  # the same file either way
    assert {"actor": "seat-c", "action": "export", "purpose": "争议 D-7", "result": "granted: 1 recording(s)"} in (
        _access(live, sid, "seat-c")
    )

    # Retention stays with supervisors and admins.
    assert (await live.http.delete(f"/api/recordings/{cfg.recording_id}", headers=auditor)).status_code == 403
    hold = {"hold": True, "reason": "诉讼"}
    res = await live.http.put(f"/api/recordings/{cfg.recording_id}/legal-hold", json=hold, headers=auditor)
    assert res.status_code == 403

    # Tellers keep their rules: only their own sessions; no export, even of their own calls.
    res = await live.http.get("/api/recordings/sessions", params={"seat_id": "seat-a"}, headers=teller_b)
    assert sid not in [i["session_id"] for i in res.json()["items"]]
    assert (await live.http.get(f"/api/recordings/sessions/{sid}", headers=teller_b)).status_code == 403
    res = await live.http.get(url, params={"purpose": "x"}, headers=teller_b)
    assert res.status_code == 403
    res = await live.http.get(url, params={"purpose": "x"}, headers=await live.auth_headers("seat-a"))
    assert res.status_code == 403
    denied = [(a["action"], a["result"]) for a in _access(live, sid, "seat-b")]
    assert ("playback", "denied") in denied and ("export", "denied") in denied

    # Every access is chained after the seal: the chain still verifies.
    assert verify_session(live.settings.data_dir, sid, keys=rec.keys, ledger=rec.ledger, log=False).ok


async def test_auditor_takes_no_calls_and_changes_no_settings(live: LiveServer) -> None:
    live.services.db.set_seat_role("seat-c", "auditor")
    auditor = await live.seat("seat-c", ready=False)
    await auditor.send({"type": "set_state", "state": "ready"})
    error = await auditor.expect("error", code="role_takes_no_calls")
    assert "稽核" in error["message"]
    assert live.services.coordinator.seats["seat-c"].state != "ready"
    headers = await live.auth_headers("seat-c")
    assert (await live.http.get("/api/seats/me", headers=headers)).json()["state"] != "ready"
    # Routing and seat settings are for supervisors and admins.
    assert (await live.http.get("/api/routing/config", headers=headers)).status_code == 403
    res = await live.http.put(
        "/api/routing/seats/seat-a/skills", json=[{"queue_id": "retail", "proficiency": 3}], headers=headers
    )
    assert res.status_code == 403
    # A teller still goes ready as before.
    teller = await live.seat("seat-a")
    assert live.services.coordinator.seats["seat-a"].state == "ready"
    await teller.close()


async def test_tampered_recording_is_not_exported(live: LiveServer, tmp_path: Path) -> None:
    live.services.db.set_seat_role("seat-c", "auditor")
    sid = await answered_call(live, "seat-a")
    await record_and_upload(live, tmp_path, sid)
    rec = live.app.state.recordings
    await wait_for(lambda: any(e.kind == "seal" for e in rec.ledger.entries(sid)))
    segment = rec.store.segments_for_session(sid)[0].path
    data = bytearray(segment.read_bytes())
    data[-100] ^= 0x01
    segment.write_bytes(bytes(data))
    auditor = await live.auth_headers("seat-c")
    res = await live.http.get(f"/api/recordings/sessions/{sid}/export.zip", params={"purpose": "争议"}, headers=auditor)
    assert res.status_code == 409 and res.json()["detail"]["code"] == "evidence_invalid"
    assert any("哈希不符" in p for p in res.json()["detail"]["problems"])
    assert _access(live, sid, "seat-c")[-1]["result"].startswith("refused")


def test_server_cli_creates_an_auditor_account(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "server", "--dev", "--data-dir", str(tmp_path), "add-seat", "aud1", "--role", "auditor"],
        input=b"aud-pass-1\n",
        cwd=ROOT,
        capture_output=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    db = Database(tmp_path / "videoteller.db")
    try:
        seat = db.get_seat("aud1")
        assert seat is not None and seat.role == "auditor"
    finally:
        db.close()
