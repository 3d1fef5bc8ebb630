"""A restart over the same data dir keeps waiting customers' places and closes calls that cannot survive it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.server.conftest import LiveServer, ServerFactory, WsClient


def _token(client: WsClient) -> str:
    assert client.ws.request is not None
    return client.ws.request.path.split("token=", 1)[1]


async def _connected_call(live: LiveServer, seat_id: str) -> tuple[WsClient, WsClient, str]:
    customer, sid = await live.customer()
    seat = await live.seat(seat_id)
    await seat.expect("call_offered", session_id=sid)
    await seat.send({"type": "answer_call", "session_id": sid})
    await seat.expect("call_answered")
    await customer.expect("call_connected")
    return customer, seat, sid


def _snapshot(live: LiveServer, target: Path) -> None:
    """Copy the live database as it is at this instant: what a crash would leave on disk."""
    target.mkdir()
    source = sqlite3.connect(live.settings.database_path)
    copy = sqlite3.connect(target / "videoteller.db")
    with copy:
        source.backup(copy)
    source.close()
    copy.close()


async def test_crash_recovery(server_factory: ServerFactory, tmp_path: Path) -> None:
    first = await server_factory()
    _caller, _seat, call_sid = await _connected_call(first, "seat-a")
    waiting_1, sid_1 = await first.customer()
    waiting_2, sid_2 = await first.customer()
    ringing_seat = await first.seat("seat-b")
    await ringing_seat.expect("call_offered", session_id=sid_1)  # sid_1 is ringing at the moment of the crash
    assert (await first.record(sid_1))["status"] == "offered"
    crashed = tmp_path / "crashed"
    _snapshot(first, crashed)

    second = await server_factory(data_dir=crashed)
    call = await second.record(call_sid)
    assert (call["status"], call["end_reason"]) == ("ended", "server_restart")
    assert call["ended_at"] is not None
    assert "ended" in [e["kind"] for e in second.services.db.events(call_sid)]
    # Both waiting customers (the ringing one too: nobody had answered) keep their places and order.
    assert (await second.record(sid_1))["status"] == "waiting"
    again_2 = await second.open_ws(f"/ws/customer/{sid_2}?token={_token(waiting_2)}")
    assert (await again_2.expect("queue_status"))["position"] == 2
    again_1 = await second.open_ws(f"/ws/customer/{sid_1}?token={_token(waiting_1)}")
    assert (await again_1.expect("queue_status"))["position"] == 1
    seat = await second.seat("seat-c")
    await seat.expect("call_offered", session_id=sid_1)
    # The page of the call that was cut learns why when it reconnects.
    gone = await second.open_ws(f"/ws/customer/{call_sid}?token={_token(_caller)}")
    ended = await gone.expect("call_ended")
    assert ended["reason"] == "server_restart" and "重启" in ended["message"]


async def test_graceful_restart(server_factory: ServerFactory) -> None:
    first = await server_factory()
    caller, seat, call_sid = await _connected_call(first, "seat-a")
    waiting, sid = await first.customer()
    await waiting.expect("queue_status", position=1)
    first.server.should_exit = True
    await first.task
    record = first.services  # services are cleared at shutdown
    assert record is None

    second = await server_factory()
    call = await second.record(call_sid)
    assert (call["status"], call["end_reason"]) == ("ended", "server_restart")
    back = await second.open_ws(f"/ws/customer/{sid}?token={_token(waiting)}")
    assert (await back.expect("queue_status"))["position"] == 1
    assert (await second.record(sid))["status"] == "waiting"
    del caller, seat
