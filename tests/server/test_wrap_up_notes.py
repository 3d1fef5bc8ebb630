"""话后小结 through the real server: only the answering seat, only after the call, length limit in Chinese, retries
are idempotent, every revision lands in the hash-chained trail, the session record returns the newest."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from server.evidence.verifier import verify_session
from server.wrap_up import WRAP_UP_EVENT, mask_numbers
from tests.server.conftest import LiveServer
from wire.wrap_up import WRAP_UP_NOTES_MAX_CHARS


async def _connected(live: LiveServer, seat_id: str = "seat-a"):  # type: ignore[no-untyped-def]
    customer, sid = await live.customer()
    seat = await live.seat(seat_id)
    await seat.expect("call_offered", session_id=sid)
    await seat.send({"type": "answer_call", "session_id": sid})
    await seat.expect("call_answered", session_id=sid)
    return customer, seat, sid


async def test_notes_only_after_the_call_by_its_seat_then_in_the_record_and_trail(live: LiveServer) -> None:
    customer, seat, sid = await _connected(live)
    url = f"/api/sessions/{sid}/wrap-up"
    mine, other = await live.auth_headers("seat-a"), await live.auth_headers("seat-b")
    body = {"note_id": "n1", "notes": "  客户忘记密码,已在手机页面重置。无需跟进。  "}

    during = await live.http.put(url, json=body, headers=mine)
    assert during.status_code == 409 and during.json()["detail"] == "通话尚未结束,请在通话结束后填写话后小结"

    await customer.send({"type": "hangup"})
    await seat.expect("call_ended", session_id=sid)

    refused = await live.http.put(url, json=body, headers=other)
    assert refused.status_code == 403 and "不由本坐席受理" in refused.json()["detail"]
    assert (await live.http.put(url, json=body)).status_code == 401
    missing = await live.http.put("/api/sessions/nope/wrap-up", json=body, headers=mine)
    assert missing.status_code == 404

    saved = await live.http.put(url, json=body, headers=mine)
    assert saved.status_code == 200, saved.text
    notes = saved.json()
    assert notes["notes"] == "客户忘记密码,已在手机页面重置。无需跟进。"  # trimmed
    assert (notes["revision"], notes["seat_id"], notes["note_id"], notes["masked"]) == (1, "seat-a", "n1", False)

    record = await live.record(sid)
    assert record["wrap_up"]["notes"] == notes["notes"] and record["wrap_up"]["revision"] == 1
    listed = (await live.http.get("/api/sessions", headers=mine)).json()
    assert next(r for r in listed if r["session_id"] == sid)["wrap_up"]["note_id"] == "n1"

    trail = (await live.http.get(f"/api/sessions/{sid}/events", headers=mine)).json()
    wrap = [e for e in trail if e["kind"] == WRAP_UP_EVENT]
    assert len(wrap) == 1 and wrap[0]["detail"]["notes"] == notes["notes"] and wrap[0]["detail"]["seat_id"] == "seat-a"
    # chained into the session's evidence ledger like every trail event, and the verifier agrees with the table
    ledger = live.app.state.recordings.ledger
    chained = [e for e in ledger.entries(sid) if e.payload.get("event") == WRAP_UP_EVENT]
    assert len(chained) == 1 and chained[0].payload["detail"]["notes"] == notes["notes"]
    report = verify_session(live.settings.data_dir, sid, actor="test")
    assert report.trail_events_checked == len(trail) and not [p for p in report.problems if "会话记录" in p]


async def test_retry_is_idempotent_revisions_append_and_limits_are_chinese(live: LiveServer) -> None:
    customer, seat, sid = await _connected(live)
    await customer.send({"type": "hangup"})
    await seat.expect("call_ended", session_id=sid)
    url = f"/api/sessions/{sid}/wrap-up"
    headers = await live.auth_headers("seat-a")

    first = await live.http.put(url, json={"note_id": "a1", "notes": "初稿"}, headers=headers)
    retry = await live.http.put(url, json={"note_id": "a1", "notes": "初稿"}, headers=headers)
    assert first.status_code == retry.status_code == 200 and first.json() == retry.json()
    clash = await live.http.put(url, json={"note_id": "a1", "notes": "别的内容"}, headers=headers)
    assert clash.status_code == 409 and "编号已用于另一份内容" in clash.json()["detail"]

    second = await live.http.put(url, json={"note_id": "a2", "notes": "修订:客户需跟进挂失"}, headers=headers)
    assert second.status_code == 200 and second.json()["revision"] == 2
    assert (await live.record(sid))["wrap_up"]["notes"] == "修订:客户需跟进挂失"
    trail = live.services.db.events(sid)
    assert [e["detail"]["revision"] for e in trail if e["kind"] == WRAP_UP_EVENT] == [1, 2]  # the retry added none

    too_long = "字" * (WRAP_UP_NOTES_MAX_CHARS + 1)
    res = await live.http.put(url, json={"note_id": "a3", "notes": too_long}, headers=headers)
    assert res.status_code == 422
    assert res.json()["detail"] == (
        f"话后小结不能超过 {WRAP_UP_NOTES_MAX_CHARS} 字(当前 {WRAP_UP_NOTES_MAX_CHARS + 1} 字),请精简后再提交"
    )
    empty = await live.http.put(url, json={"note_id": "a4", "notes": "   \n "}, headers=headers)
    assert empty.status_code == 422 and empty.json()["detail"] == "话后小结不能为空"
    bad_id = await live.http.put(url, json={"note_id": "../x", "notes": "x"}, headers=headers)
    assert bad_id.status_code == 422 and "note_id" in bad_id.json()["message"]

    masked = await live.http.put(
        url, json={"note_id": "a5", "notes": "客户新手机 13800138000,卡号 6222 0202 1234 5678"}, headers=headers
    )
    assert masked.status_code == 200 and masked.json()["masked"] is True
    assert masked.json()["notes"] == "客户新手机 138****8000,卡号 622* **** **** 5678"
    assert "13800138000" not in str(live.services.db.events(sid))


async def test_unanswered_session_takes_no_notes(live: LiveServer) -> None:
    customer, sid = await live.customer()
    await customer.send({"type": "hangup"})
    res = await live.http.put(
        f"/api/sessions/{sid}/wrap-up", json={"note_id": "z", "notes": "x"}, headers=await live.auth_headers()
    )
    assert res.status_code == 403
    assert (await live.record(sid))["wrap_up"] is None


@given(st.one_of(st.text(max_size=60), st.text(alphabet="0123456789 -Xx字", max_size=60)))
def test_masking_never_leaves_eight_digits_in_a_row(text: str) -> None:
    masked, changed = mask_numbers(text)
    assert len(masked) == len(text)
    assert changed == (masked != text)
    digits_in_a_row = 0
    for ch in masked:
        digits_in_a_row = digits_in_a_row + 1 if ch in "0123456789" else 0
        assert digits_in_a_row < 8
