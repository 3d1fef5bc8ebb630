"""Workstation endpoints: 话术 served from resources, snapshot evidence upload, signature relay with review."""

from __future__ import annotations

import math
from typing import Any

import cv2
import numpy as np

from tests.server.conftest import LiveServer


async def _connected_call(live: LiveServer) -> tuple[str, str, dict[str, str]]:
    """A connected call on seat-a: (session id, customer token, seat auth headers)."""
    ticket = await live.ticket()
    customer = await live.open_ws(ticket["websocket_path"])
    sid = str(ticket["session_id"])
    seat = await live.seat("seat-a")
    await seat.expect("call_offered", session_id=sid)
    await seat.send({"type": "answer_call", "session_id": sid})
    await seat.expect("call_answered", session_id=sid)
    await customer.expect("call_connected")
    return sid, str(ticket["customer_token"]), await live.auth_headers("seat-a")


def _signature(points: int = 60) -> dict[str, Any]:
    pts = [{"x": 40 + i * 8, "y": 120 + 50 * math.sin(i / 3), "t": i * 15, "p": 0.5} for i in range(points)]
    return {"width": 600, "height": 240, "strokes": [{"points": pts, "pointer_type": "mouse"}]}


async def test_script_served_with_default_fallback_and_auth(live: LiveServer) -> None:
    headers = await live.auth_headers()
    res = await live.http.get("/api/scripts/password_reset", headers=headers)
    assert res.status_code == 200
    body = res.json()
    assert body["business_type"] == "password_reset" and body["title"] == "密码重置话术"
    assert any("{customer_name}" in step["text"] for step in body["steps"])
    fallback = await live.http.get("/api/scripts/sms_signing", headers=headers)
    assert fallback.json()["business_type"] == "default"
    assert (await live.http.get("/api/scripts/password_reset")).status_code == 401
    assert (await live.http.get("/api/scripts/..%2Fsecrets", headers=headers)).status_code == 404


async def test_bank_edited_script_in_data_dir_wins(live: LiveServer) -> None:
    folder = live.settings.data_dir / "scripts"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "password_reset.json").write_text(
        '{"title": "本行改版话术", "steps": [{"title": "开场", "text": "您好{customer_name}"}]}', encoding="utf-8"
    )
    res = await live.http.get("/api/scripts/password_reset", headers=await live.auth_headers())
    assert res.json()["title"] == "本行改版话术"


async def test_snapshot_upload_is_filed_and_trailed(live: LiveServer) -> None:
    sid, _token, headers = await _connected_call(live)
    ok, jpeg = cv2.imencode(".jpg", np.random.default_rng(1).integers(0, 255, (720, 1280, 3), dtype=np.uint8))
    assert ok and len(jpeg) > 64 * 1024  # larger than the general body limit: the evidence prefix allows it
    url = f"/api/evidence/sessions/{sid}/snapshots"
    res = await live.http.post(
        url, params={"snapshot_id": "s1"}, content=jpeg.tobytes(), headers={**headers, "Content-Type": "image/jpeg"}
    )
    assert res.status_code == 201, res.text
    assert len(res.json()["sha256"]) == 64
    events = (await live.http.get(f"/api/sessions/{sid}/events", headers=headers)).json()
    assert any(e["kind"] == "snapshot" and e["detail"]["snapshot_id"] == "s1" for e in events)
    bad = await live.http.post(url, params={"snapshot_id": "s2"}, content=b"GIF89a", headers=headers)
    assert bad.status_code == 422 and bad.json()["detail"] == "抓拍图片不是 JPEG 格式"
    other = await live.auth_headers("seat-b")
    assert (
        await live.http.post(url, params={"snapshot_id": "s3"}, content=b"\xff\xd8", headers=other)
    ).status_code == 403


async def test_signature_request_submit_reject_resubmit_accept(live: LiveServer) -> None:
    sid, token, headers = await _connected_call(live)
    cust = {"Authorization": f"Bearer {token}"}
    page_url = f"/api/customer/sessions/{sid}/signature"
    # nothing asked yet: the page may not post
    assert (await live.http.post(page_url, json=_signature(), headers=cust)).status_code == 409
    assert (await live.http.post(f"/api/sessions/{sid}/signature/request", headers=headers)).json()[
        "state"
    ] == "requested"
    assert (await live.http.get(page_url, headers=cust)).json()["state"] == "requested"
    posted = await live.http.post(page_url, json=_signature(), headers=cust)
    assert posted.status_code == 200 and posted.json()["submission"] is None  # the page never gets strokes back
    seat_view = (await live.http.get(f"/api/sessions/{sid}/signature", headers=headers)).json()
    assert seat_view["state"] == "submitted" and len(seat_view["submission"]["strokes"][0]["points"]) == 60
    review = f"/api/sessions/{sid}/signature/review"
    assert (await live.http.post(review, json={"decision": "reject"}, headers=headers)).status_code == 422
    rejected = await live.http.post(review, json={"decision": "reject", "reason": "签名不完整"}, headers=headers)
    assert rejected.json()["state"] == "rejected"
    page = (await live.http.get(page_url, headers=cust)).json()
    assert page["state"] == "rejected" and page["reason"] == "签名不完整"
    assert (await live.http.post(page_url, json=_signature(80), headers=cust)).json()["attempt"] == 2
    accepted = await live.http.post(review, json={"decision": "accept"}, headers=headers)
    assert accepted.json()["state"] == "accepted"
    kinds = [e["kind"] for e in (await live.http.get(f"/api/sessions/{sid}/events", headers=headers)).json()]
    assert kinds.count("signature.submitted") == 2 and "signature.rejected" in kinds and "signature.accepted" in kinds
    assert (await live.http.get(page_url, headers={"Authorization": "Bearer wrong"})).status_code == 401


async def test_accepted_signature_png_is_rendered_from_strokes(live: LiveServer) -> None:
    from server.routers.signature import render_signature_png
    from wire.signature import SignatureSubmission

    png = render_signature_png(SignatureSubmission.model_validate(_signature()))
    image = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_GRAYSCALE)
    assert image is not None
    assert image.shape == (240, 600)
    assert (image < 128).sum() > 300  # ink along the stroke
    assert image[5, 5] == 255  # paper elsewhere


async def test_live_face_warnings_go_to_the_trail_from_the_call_holder_only(live: LiveServer) -> None:
    sid, _token, headers = await _connected_call(live)
    url = f"/api/sessions/{sid}/live-face"
    warning = {"status": "multiple_faces", "faces": 2, "score": 0.71, "threshold": 0.42}
    res = await live.http.post(url, json=warning, headers=headers)
    assert res.status_code == 201, res.text
    back = {"status": "match", "faces": 1, "score": 0.69, "threshold": 0.42}
    assert (await live.http.post(url, json=back, headers=headers)).status_code == 201
    events = (await live.http.get(f"/api/sessions/{sid}/events", headers=headers)).json()
    trailed = [e["detail"] for e in events if e["kind"] == "live_face"]
    assert trailed == [{**warning, "seat_id": "seat-a"}, {**back, "seat_id": "seat-a"}]
    # another seat may not write into this call's trail; nonsense is refused
    other = await live.auth_headers("seat-b")
    assert (await live.http.post(url, json=warning, headers=other)).status_code == 403
    for bad in ({**warning, "status": "passed"}, {**warning, "faces": -1}, {**warning, "extra": 1}, {"faces": 1}):
        assert (await live.http.post(url, json=bad, headers=headers)).status_code == 422, bad
    assert (await live.http.post(url, json=warning)).status_code == 401


async def test_live_face_trail_entries_are_capped_per_session(live: LiveServer, monkeypatch: Any) -> None:
    from server.routers import sessions

    monkeypatch.setattr(sessions, "MAX_LIVE_FACE_EVENTS", 3)
    sid, _token, headers = await _connected_call(live)
    url = f"/api/sessions/{sid}/live-face"
    body = {"status": "no_face", "faces": 0, "score": None, "threshold": 0.42}
    codes = [(await live.http.post(url, json=body, headers=headers)).status_code for _ in range(4)]
    assert codes == [201, 201, 201, 429]
