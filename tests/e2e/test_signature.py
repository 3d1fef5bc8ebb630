"""A customer in real headless Chromium signs on the H5 page's canvas (mouse pointer events); the teller replays it,
rejects it with a reason, the page asks again, the customer signs again and the teller accepts; the accepted
signature is in the session trail."""

from __future__ import annotations

import math

from pytestqt.qtbot import QtBot

from seat_client.i18n import translate_text
from server.devtools.pagewait import wait_for_js
from server.devtools.sim_customer import SimulatedCustomer
from tests.e2e.conftest import LiveServer, run_async, wait_until
from tests.e2e.test_call import _browser_customer, _connect, _seat


async def _sign(customer: SimulatedCustomer, strokes: int) -> None:
    """Draw ``strokes`` wavy strokes across the signature canvas with the mouse, then press 确认签名."""
    page = customer.page
    assert page is not None
    await page.wait_for_selector("#signature-sheet", state="visible", timeout=15_000)
    box = await page.locator("#signature-canvas").bounding_box()
    assert box is not None
    width = box["width"] / strokes
    for s in range(strokes):
        x0 = box["x"] + s * width + 8
        await page.mouse.move(x0, box["y"] + box["height"] / 2)
        await page.mouse.down()
        for i in range(1, 25):
            x = x0 + (width - 16) * i / 24
            y = box["y"] + box["height"] * (0.5 + 0.3 * math.sin(i / 3))
            await page.mouse.move(x, y, steps=2)
        await page.mouse.up()
    await page.click("#sig-submit")
    await page.wait_for_selector("#signature-sheet", state="hidden", timeout=15_000)


def test_browser_customer_signs_teller_rejects_then_accepts(qtbot: QtBot, qasync_loop, live_server: LiveServer) -> None:  # type: ignore[no-untyped-def]
    seat = _seat(qtbot, live_server)
    service = seat.workstation
    assert service is not None
    panel = seat.window.signature_panel

    async def scenario() -> str:
        async with _browser_customer(live_server) as customer:
            session_id = await _connect(seat, customer)
            await wait_until(lambda: panel.request_button.isEnabled(), message="signature can be requested")
            panel.request_button.click()
            await _sign(customer, 1)
            await wait_until(lambda: panel.reject_button.isEnabled(), timeout=20, message="signature under review")
            submission = service.state.signature.submission
            assert submission is not None and submission.strokes[0].pointer_type == "mouse"
            assert len(submission.strokes[0].points) >= 20
            assert all(0 < p.p <= 1 for p in submission.strokes[0].points)
            panel.replay_button.click()
            assert panel.canvas.replaying
            panel.reason_combo.setCurrentText("签名不完整,请签署全名")
            panel.reject_button.click()
            page = customer.page
            assert page is not None
            await page.wait_for_selector("#sig-reason", state="visible", timeout=15_000)
            assert "签名不完整,请签署全名" in await page.inner_text("#sig-reason")
            await _sign(customer, 2)
            await wait_until(lambda: service.state.signature.attempt == 2, timeout=20, message="second signature")
            assert service.state.signature.submission is not None
            assert len(service.state.signature.submission.strokes) == 2
            panel.accept_button.click()
            await wait_for_js(page, "window.vtSignature.state === 'accepted'", timeout=15_000)
            await wait_until(lambda: service.state.signature.state == "accepted", message="accepted on the seat")
            await customer.hang_up()
            await wait_until(lambda: seat.window.call_panel.page == "idle", message="seat back to idle")
        await seat.close()
        return session_id

    session_id = run_async(qasync_loop, scenario())
    import httpx

    events = httpx.get(
        f"{live_server.url}/api/sessions/{session_id}/events",
        headers={"Authorization": f"Bearer {live_server.seat_token()}"},
    ).json()
    kinds = [e["kind"] for e in events]
    assert kinds.count("signature.submitted") == 2
    assert "signature.rejected" in kinds
    accepted = next(e for e in events if e["kind"] == "signature.accepted")
    assert len(accepted["detail"]["png_sha256"]) == 64 and len(accepted["detail"]["strokes_sha256"]) == 64


def test_gates_drive_the_verification_panel_and_the_server_refuses_business_before_they_pass(
    qtbot: QtBot, qasync_loop, live_server: LiveServer
) -> None:  # type: ignore[no-untyped-def]
    """联网核查 from the panel's button passes (sandbox bank); the face check uses the page's camera frame (Chromium's
    fake pattern has no face, so the server refuses the capture without using an attempt and the teller is told);
    the business form stays disabled and a submit anyway is refused by the server with its Chinese reason."""
    seat = _seat(qtbot, live_server)
    service = seat.workstation
    assert service is not None
    panel = seat.window.verification_panel

    async def scenario() -> None:
        async with _browser_customer(live_server) as customer:
            await _connect(seat, customer)
            await wait_until(lambda: service.state.gate("precheck") is not None, message="gate snapshot loaded")
            precheck = service.state.gate("precheck")
            assert precheck is not None and precheck.status == "passed"
            await wait_until(lambda: panel.action_buttons["network_check"].isEnabled(), message="联网核查 button")
            panel.action_buttons["network_check"].click()
            await wait_until(
                lambda: (g := service.state.gate("network_check")) is not None and g.status == "passed",
                message="联网核查 passed",
            )
            assert "联网核查:✔ 通过 第1/3次" in panel.network_label.text()
            await wait_until(
                lambda: panel.network_photo.pixmap() is not None and not panel.network_photo.pixmap().isNull(),
                message="registered photo shown",
            )
            messages: list[str] = []
            service.message.connect(messages.append)
            panel.action_buttons["face"].click()
            await wait_until(lambda: any("未检测到人脸" in m for m in messages), timeout=40, message="no face: told")
            assert any("未计入比对次数" in m for m in messages)
            face = service.state.gate("face")
            assert face is not None and face.attempts == 0 and face.status != "passed"
            business = seat.window.business_panel
            assert not business.submit_button.isEnabled()
            assert business.block_label.text() in ("身份核验尚未全部通过", "人脸比对未通过,不能办理业务")
            service.submit_business({"reset_channel": "sms", "reason": "forgotten", "identity_confirmed": "yes"})
            await wait_until(lambda: service.state.business_result is not None, message="server answered")
            ok, message = service.state.business_result  # type: ignore[misc]
            assert not ok and message  # refused by the server (gates not passed), reason in Chinese
            assert any(ord(ch) > 0x4E00 for ch in translate_text(message))
            await customer.hang_up()
            await wait_until(lambda: seat.window.call_panel.page == "idle", message="seat back to idle")
        await seat.close()

    run_async(qasync_loop, scenario(), timeout=180)
