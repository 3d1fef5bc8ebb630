"""ID-card photos of the sandbox demo customers, for the demo, the simulated customers and the tests.

A demo customer's card is printed by ``server.identity.idcard_synth`` with the customer's published data and card
portrait (``resources/sandbox``), then "photographed" (perspective, blur, noise) so the server's OCR reads it the way
it would read a phone photo. The images are uploaded through the same pre-check endpoint (or the page's file inputs)
as a real customer's.

Run: ``python -m server.devtools.idcards pass_all --out DIR`` writes ``pass_all_front.jpg`` and ``pass_all_back.jpg``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from server.bank.sandbox import demo_customer

BUSINESS_ACCOUNT_STATUS = {
    "account_activation": "dormant",
    "loss_report_release": "reported_lost",
}
"""Businesses that need an account in a particular status (the rest use a normal account)."""

DEMO_FOR_BUSINESS = {"account_activation": "dormant"}
"""The demo customer the simulated customers use for a business (``pass_all`` when not listed)."""


@dataclass(frozen=True)
class DemoCardImages:
    """A demo customer's ID-card photos and what a customer types in next to them.

    Attributes:
        key: demo customer key.
        front: JPEG of the portrait side (人像面).
        back: JPEG of the emblem side (国徽面).
        phone: the registered mobile number.
        accounts: account number per status (``normal``, ``dormant``...).
    """

    key: str
    front: bytes
    back: bytes
    phone: str
    accounts: dict[str, str]

    def account_for(self, business_type: str) -> str:
        """The account a customer would enter for ``business_type`` ("" for businesses without one)."""
        if business_type == "customer_info_maintenance":
            return ""
        wanted = BUSINESS_ACCOUNT_STATUS.get(business_type, "normal")
        return self.accounts.get(wanted) or next(iter(self.accounts.values()))

    def write(self, directory: Path) -> tuple[Path, Path]:
        """Write both sides as JPEG files (for a browser's file inputs); returns (front, back)."""
        directory.mkdir(parents=True, exist_ok=True)
        front, back = directory / f"{self.key}_front.jpg", directory / f"{self.key}_back.jpg"
        front.write_bytes(self.front)
        back.write_bytes(self.back)
        return front, back


@functools.lru_cache(maxsize=16)
def demo_card_images(key: str = "pass_all", *, seed: int = 3) -> DemoCardImages:
    """Print and photograph the demo customer's ID card (cached per process; takes a second or two)."""
    import cv2

    from server.identity.face import get_face_engine
    from server.identity.idcard_synth import IdPerson, make_card, to_jpeg

    demo = demo_customer(key)
    face = cv2.imread(str(demo.id_card_portrait))
    if face is None:
        raise FileNotFoundError(demo.id_card_portrait)
    boxes = get_face_engine().detect(face)
    face_box = (int(boxes[0].x), int(boxes[0].y), int(boxes[0].w), int(boxes[0].h)) if boxes else None
    person = IdPerson(
        name=demo.name,
        sex=demo.sex,
        ethnicity=str(demo.raw.get("ethnicity", "汉")),
        birth=demo.birth_date,
        address=demo.address,
        id_number=demo.id_number,
        authority="北京市公安局朝阳分局",
        valid_from=dt.date(2020, 5, 1),
        valid_to=dt.date(2040, 5, 1),
    )
    card = make_card(seed, face, face_box=face_box, photographed=True, person=person)
    accounts: dict[str, str] = {}
    for account in demo.raw["accounts"]:
        accounts.setdefault(str(account["status"]), str(account["account_no"]))
    return DemoCardImages(key, to_jpeg(card.front), to_jpeg(card.back), demo.phone, accounts)


def demo_key_for(business_type: str) -> str:
    """The demo customer whose accounts suit ``business_type`` with every gate passing."""
    return DEMO_FOR_BUSINESS.get(business_type, "pass_all")


async def precheck_demo_customer(
    client: Any, business_type: str = "password_reset", key: str | None = None, *, account_no: str | None = None
) -> dict[str, Any]:
    """Upload a demo customer's card photos to ``POST /api/customer/precheck`` like the page does.

    Args:
        client: an ``httpx.AsyncClient`` with the server as base URL.
        business_type: the business to queue for.
        key: demo customer (default: one whose accounts suit the business).
        account_no: account to enter (default: one suiting the business).

    Returns:
        The pre-check response body (``precheck_id``, ``passed``, ``message``...).
    """
    images = demo_card_images(key or demo_key_for(business_type))
    response = await client.post(
        "/api/customer/precheck",
        data={
            "business_type": business_type,
            "phone": images.phone,
            "account_no": images.account_for(business_type) if account_no is None else account_no,
        },
        files={
            "id_front": ("front.jpg", images.front, "image/jpeg"),
            "id_back": ("back.jpg", images.back, "image/jpeg"),
        },
        timeout=60.0,
    )
    response.raise_for_status()
    return dict(response.json())


async def demo_ticket(client: Any, business_type: str = "password_reset", key: str | None = None) -> dict[str, Any]:
    """Pre-check a demo customer and take a ticket with it (what the page does); returns the ticket body.

    Raises:
        RuntimeError: the pre-check did not pass (its Chinese message says why).
    """
    result = await precheck_demo_customer(client, business_type, key)
    if not result["passed"]:
        raise RuntimeError(f"pre-check failed: {result['message']}")
    response = await client.post(
        "/api/customer/tickets", json={"business_type": business_type, "precheck_id": result["precheck_id"]}
    )
    response.raise_for_status()
    return dict(response.json())


def main(argv: list[str] | None = None) -> int:
    """Command-line entry: write a demo customer's card photos."""
    parser = argparse.ArgumentParser(prog="python -m server.devtools.idcards", description=__doc__)
    parser.add_argument("key", nargs="?", default="pass_all", help="demo customer key")
    parser.add_argument("--out", type=Path, default=Path("."), help="directory for the JPEG files")
    args = parser.parse_args(argv)
    images = demo_card_images(args.key)
    front, back = images.write(args.out)
    print(f"{front}\n{back}\nphone {images.phone} accounts {images.accounts}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
