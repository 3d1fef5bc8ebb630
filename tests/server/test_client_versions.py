"""Staged seat-client upgrades through the real server: login verdict, ready refused below the minimum, staged groups.

The app's default coordinator (the routing engine's ``RoutedCoordinator``) is used throughout.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from server.settings import load_settings
from server.versions import VersionPolicy
from tests.server.conftest import PASSWORDS, LiveServer, ServerFactory, WsClient, stop_server, wait_for

POLICY: dict[str, Any] = tomllib.loads(
    """
[default]
recommended = "0.2.0"
minimum = "0.1.0"

[groups.pilot]
recommended = "0.3.0"
minimum = "0.1.0"

[seat_groups]
"seat-a" = "pilot"
"""
)


async def login(live: LiveServer, seat_id: str, client_version: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {"seat_id": seat_id, "password": PASSWORDS[seat_id]}
    if client_version is not None:
        body["client_version"] = client_version
    res = await live.http.post("/api/auth/login", json=body)
    assert res.status_code == 200, res.text
    return dict(res.json())


async def connect(live: LiveServer, token: str) -> WsClient:
    client = await live.open_ws(f"/ws/seat?token={token}")
    await client.expect("welcome")
    return client


async def try_ready(client: WsClient) -> dict[str, Any]:
    """Ask for 示闲 and return the server's answer: the new seat_state, or an error."""
    await client.send({"type": "set_state", "state": "ready"})
    while True:
        message = await client.recv()
        if message["type"] == "error" or (message["type"] == "seat_state" and message["state"] == "ready"):
            return message


async def test_login_reports_the_verdict_per_group(server_factory: ServerFactory) -> None:
    live = await server_factory(client_versions=POLICY)
    pilot = (await login(live, "seat-a", "0.2.0"))["client_version_status"]
    assert pilot["status"] == "upgrade_available"
    assert pilot["recommended"] == "0.3.0" and pilot["minimum"] == "0.1.0"
    assert "0.3.0" in pilot["message"] and "新版本" in pilot["message"]

    assert (await login(live, "seat-b", "0.2.0"))["client_version_status"] == {
        "status": "ok",
        "recommended": "0.2.0",
        "minimum": "0.1.0",
        "message": "",
    }
    old = (await login(live, "seat-c", "0.0.9"))["client_version_status"]
    assert old["status"] == "below_minimum"
    assert "低于最低要求 0.1.0" in old["message"] and "不能接听" in old["message"]
    # A client that does not say which version it is counts as older than anything (it still signs in).
    assert (await login(live, "seat-c", None))["client_version_status"]["status"] == "below_minimum"


async def test_no_policy_means_every_client_is_ok(live: LiveServer) -> None:
    status = (await login(live, "seat-a", None))["client_version_status"]
    assert status == {"status": "ok", "recommended": None, "minimum": None, "message": ""}
    client = await connect(live, (await login(live, "seat-a", "0.0.1"))["token"])
    assert (await try_ready(client))["type"] == "seat_state"


async def test_below_minimum_seat_cannot_go_ready_and_is_never_offered_a_call(server_factory: ServerFactory) -> None:
    live = await server_factory(client_versions=POLICY)
    outdated = await connect(live, (await login(live, "seat-c", "0.0.9"))["token"])
    refused = await try_ready(outdated)
    assert refused["type"] == "error" and refused["code"] == "client_outdated"
    assert "低于最低要求" in refused["message"]
    notices = [m for m in outdated.received if m["type"] == "notice" and m["code"] == "client_outdated"]
    assert len(notices) == 1, outdated.received  # told as soon as it connected
    assert live.services.coordinator.seats["seat-c"].state == "not_ready"

    customer, session_id = await live.customer()
    # The outdated seat is the only one online: the customer keeps waiting, nothing is offered to it.
    fine = await connect(live, (await login(live, "seat-b", "0.2.0"))["token"])
    assert (await try_ready(fine))["type"] == "seat_state"
    offered = await fine.expect("call_offered")
    assert offered["session_id"] == session_id
    await outdated.send({"type": "answer_call", "session_id": session_id})
    answer_refused = await outdated.expect("error")
    assert answer_refused["code"] == "not_offered"
    # Still refused on a second try, and no offer ever reached the outdated seat.
    assert (await try_ready(outdated))["code"] == "client_outdated"
    assert not [m for m in outdated.received if m["type"] == "call_offered"]
    offered_to = {e["detail"]["seat_id"] for e in live.services.db.events(session_id) if e["kind"] == "offered"}
    assert offered_to == {"seat-b"}
    await customer.close()


async def test_staged_group_gets_the_new_version_first(server_factory: ServerFactory) -> None:
    """Wave 1: only the pilot group is told about 0.3.0; the rest stay on 0.2.0 until the default moves."""
    live = await server_factory(client_versions=POLICY)
    assert (await login(live, "seat-a", "0.2.0"))["client_version_status"]["status"] == "upgrade_available"
    assert (await login(live, "seat-b", "0.2.0"))["client_version_status"]["status"] == "ok"
    assert (await login(live, "seat-a", "0.3.0"))["client_version_status"]["status"] == "ok"
    # Wave 2: the default moves to 0.3.0 and raises the minimum: seat-b's 0.2.0 is now too old to take calls.
    live.services.settings.client_versions = VersionPolicy.from_mapping(
        {**POLICY, "default": {"recommended": "0.3.0", "minimum": "0.3.0"}}
    )
    assert (await login(live, "seat-b", "0.2.0"))["client_version_status"]["status"] == "below_minimum"
    assert (await login(live, "seat-a", "0.2.0"))["client_version_status"]["status"] == "upgrade_available"


async def test_policy_change_applies_when_the_seat_reconnects(server_factory: ServerFactory) -> None:
    live = await server_factory(client_versions=POLICY)
    token = (await login(live, "seat-b", "0.1.5"))["token"]
    first = await connect(live, token)
    assert (await try_ready(first))["type"] == "seat_state"
    await first.close()
    await wait_for(lambda: "seat-b" not in live.services.coordinator.seats)

    # The minimum rises while the seat is away; its token (and the version stored with it) stays valid.
    live.services.settings.client_versions = VersionPolicy.from_mapping(
        {**POLICY, "default": {"recommended": "0.2.0", "minimum": "0.2.0"}}
    )
    again = await connect(live, token)
    assert (await try_ready(again))["code"] == "client_outdated"
    assert [m for m in again.received if m["type"] == "notice" and m["code"] == "client_outdated"]


async def test_verdict_survives_a_server_restart(server_factory: ServerFactory) -> None:
    strict = {**POLICY, "default": {"recommended": "0.2.0", "minimum": "0.2.0"}}
    first = await server_factory(client_versions=strict)
    token = (await login(first, "seat-b", "0.1.0"))["token"]
    await stop_server(first)
    second = await server_factory(client_versions=strict)
    client = await connect(second, token)
    assert (await try_ready(client))["code"] == "client_outdated"


def test_policy_loads_from_the_toml_config(tmp_path: Path) -> None:
    config = tmp_path / "server.toml"
    config.write_text(
        """
dev_mode = true

[client_versions.default]
recommended = "0.2.0"
minimum = "0.1.0"

[client_versions.groups.pilot]
recommended = "0.3.0"

[client_versions.seat_groups]
"10*" = "pilot"
""",
        encoding="utf-8",
    )
    settings = load_settings(config, environ={})
    assert settings.client_versions.for_seat("1001")[1].recommended == "0.3.0"
    assert settings.client_versions.for_seat("2001")[1].minimum == "0.1.0"
