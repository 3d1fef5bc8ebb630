"""Who may read a session's trail (``GET /api/sessions/{id}/events``), and that every read by another seat (and
every refusal) lands in the session's evidence chain as an ``access`` entry, as recording views do."""

from __future__ import annotations

from typing import Any

from server.evidence.verifier import verify_session
from server.routers.sessions import TRAIL_ACCESS_ACTION
from tests.server.conftest import LiveServer
from tests.server.recordings.test_app_recordings import answered_call


def _trail_access(live: LiveServer, sid: str) -> list[dict[str, Any]]:
    entries = live.app.state.recordings.ledger.entries(sid)
    return [e.payload for e in entries if e.kind == "access" and e.payload.get("action") == TRAIL_ACCESS_ACTION]


async def test_teller_reads_only_its_own_sessions_trail_and_each_other_read_is_logged(live: LiveServer) -> None:
    sid = await answered_call(live, "seat-a")
    rec = live.app.state.recordings
    rec.ledger.seal(sid)  # as the coordinator does once a recorded call ended: the reads below come after the seal
    url = f"/api/sessions/{sid}/events"
    teller_a, teller_b = await live.auth_headers("seat-a"), await live.auth_headers("seat-b")

    # The teller that handled the call reads its trail; its own reads are not access entries.
    own = await live.http.get(url, headers=teller_a)
    assert own.status_code == 200, own.text
    kinds = [e["kind"] for e in own.json()]
    assert "answered" in kinds and kinds.index("queued") < kinds.index("answered")
    assert _trail_access(live, sid) == []

    # Another teller is refused with a Chinese message, and the refusal is in the session's chain.
    refused = await live.http.get(url, params={"purpose": "好奇"}, headers=teller_b)
    assert refused.status_code == 403
    assert refused.json()["detail"] == "无权查看该会话的轨迹,只能查看本坐席受理的会话"
    assert _trail_access(live, sid) == [
        {"actor": "seat-b", "action": TRAIL_ACCESS_ACTION, "purpose": "好奇", "result": "denied"}
    ]

    # A supervisor reads any trail; the read (with its purpose and what it got) is logged.
    live.services.db.set_seat_role("seat-c", "supervisor")
    supervisor = await live.auth_headers("seat-c")
    read = await live.http.get(url, params={"purpose": "客户投诉复核"}, headers=supervisor)
    assert read.status_code == 200, read.text
    assert read.json() == own.json()  # the same rows (access entries go to the chain, not the table)
    logged = _trail_access(live, sid)[-1]
    assert logged == {
        "actor": "seat-c",
        "action": TRAIL_ACCESS_ACTION,
        "purpose": "客户投诉复核",
        "result": f"granted: {len(own.json())} event(s)",
    }

    # An auditor (稽核) too; roles are read at every request, so seat-b's new role applies at once.
    live.services.db.set_seat_role("seat-b", "auditor")
    read = await live.http.get(url, headers=teller_b)
    assert read.status_code == 200 and read.json() == own.json()
    assert _trail_access(live, sid)[-1]["actor"] == "seat-b" and _trail_access(live, sid)[-1]["result"].startswith(
        "granted"
    )

    # The own teller's later reads still add nothing; the chain (with every access) still verifies.
    assert (await live.http.get(url, headers=teller_a)).status_code == 200
    assert [a["actor"] for a in _trail_access(live, sid)] == ["seat-b", "seat-c", "seat-b"]
    assert verify_session(live.settings.data_dir, sid, keys=rec.keys, ledger=rec.ledger, log=False).ok


async def test_a_waiting_sessions_trail_is_for_supervisors_and_auditors_only(live: LiveServer) -> None:
    """Nobody handled a waiting session yet: its pre-check trail (identity gates) is not any teller's to read."""
    ticket = await live.ticket()
    sid = ticket["session_id"]
    url = f"/api/sessions/{sid}/events"
    res = await live.http.get(url, headers=await live.auth_headers("seat-a"))
    assert res.status_code == 403 and "无权查看" in res.json()["detail"]
    live.services.db.set_seat_role("seat-c", "auditor")
    res = await live.http.get(url, params={"purpose": "季度稽核"}, headers=await live.auth_headers("seat-c"))
    assert res.status_code == 200, res.text
    kinds = [e["kind"] for e in res.json()]
    assert kinds[0] == "gate.ocr_read" and kinds.index("queued") > kinds.index("gate.gate_passed")
    assert [(a["actor"], a["result"].split(":")[0]) for a in _trail_access(live, sid)] == [
        ("seat-a", "denied"),
        ("seat-c", "granted"),
    ]


async def test_unknown_session_and_missing_token(live: LiveServer) -> None:
    headers = await live.auth_headers("seat-a")
    missing = await live.http.get("/api/sessions/sNoSuchSession1/events", headers=headers)
    assert missing.status_code == 404 and missing.json()["detail"] == "会话不存在"
    sid = await answered_call(live, "seat-a")
    assert (await live.http.get(f"/api/sessions/{sid}/events")).status_code == 401
    too_long = await live.http.get(f"/api/sessions/{sid}/events", params={"purpose": "x" * 201}, headers=headers)
    assert too_long.status_code == 422
