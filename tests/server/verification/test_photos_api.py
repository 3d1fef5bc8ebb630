"""Identity photos through the API: encrypted on disk, decrypted only for the seat in the call with the customer."""

from __future__ import annotations

from typing import Any

from server.bank.sandbox import demo_customer
from server.devtools.idcards import demo_card_images
from server.verification.crypto import DataCipher
from tests.server.conftest import ServerFactory, wait_for
from tests.server.test_identity_gates import connect


def _no_image_in(blob: bytes, image: bytes) -> bool:
    """No signature and no stretch of the image's bytes in the stored file."""
    stretches = [image[i : i + 32] for i in range(0, len(image) - 32, max(1, len(image) // 16))]
    return (
        DataCipher.is_encrypted(blob)
        and not blob.startswith((b"\xff\xd8", b"\x89PNG"))
        and not any(s in blob for s in stretches)
    )


async def test_photos_are_encrypted_on_disk_and_served_only_to_the_holding_seat(
    server_factory: ServerFactory,
) -> None:
    live = await server_factory(gates={"default": {"required": ["precheck", "network_check", "face", "questions"]}})
    call = await connect(live)
    assert (await call.post("/gates/network-check")).json()["status"] == "passed"
    call.answer_captures()
    assert (await call.post("/gates/face")).json()["status"] == "passed"
    await wait_for(lambda: "live" in live.services.identity.photos.kinds(call.sid))
    images = demo_card_images("pass_all")
    registered = demo_customer("pass_all").registered_photo
    assert registered is not None
    expected = {
        "id_front": images.front,
        "id_back": images.back,
        "network_photo": registered.read_bytes(),
        "live": call.live_jpeg,
    }
    stored = live.settings.data_dir / "identity_photos" / call.sid
    other = await live.auth_headers("seat-b")
    customer = {"Authorization": f"Bearer {call.customer_token}"}
    served: dict[str, bytes] = {}
    for kind in ("id_front", "id_back", "id_portrait", "network_photo", "live"):
        url = f"/api/sessions/{call.sid}/gates/photos/{kind}"
        res = await live.http.get(url, headers=call.headers)
        assert res.status_code == 200, (kind, res.text)
        assert res.headers["content-type"] in ("image/jpeg", "image/png") and res.headers["cache-control"] == "no-store"
        served[kind] = res.content
        if kind in expected:
            assert res.content == expected[kind], kind
        assert _no_image_in((stored / kind).read_bytes(), res.content), kind
        refused: list[Any] = [
            await live.http.get(url, headers=other),
            await live.http.get(url, headers=customer),
            await live.http.get(url),
        ]
        assert [r.status_code for r in refused] == [403, 401, 401], kind
        assert all(r.content != res.content for r in refused)
    viewed = [e for e in live.services.db.events(call.sid) if e["kind"] == "gate.photo_viewed"]
    assert sorted(e["detail"]["photo"] for e in viewed) == sorted(served)
    refusals = [e for e in live.services.db.events(call.sid) if e["kind"] == "gate.access_refused"]
    assert {e["detail"]["seat_id"] for e in refusals} == {"seat-b"}
    assert call.answering is not None
    call.answering.cancel()
