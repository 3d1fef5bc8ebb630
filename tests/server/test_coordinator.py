"""The call coordinator without any network: random event sequences keep seats, sessions and records consistent."""

from __future__ import annotations

import asyncio
import json
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

import wire
from server.calls import CallCoordinator
from server.db import Database, SessionStatus
from server.queueing import CallQueue, FifoQueue
from server.settings import Settings


class MemoryPeer:
    """An in-memory connection (the coordinator is transport-agnostic; this is the smallest transport)."""

    def __init__(self) -> None:
        self.sent: list[BaseModel] = []
        self.closed: tuple[int, str] | None = None

    def send(self, message: BaseModel) -> None:
        if self.closed is None:
            self.sent.append(message)

    def close(self, code: int, reason: str) -> None:
        self.closed = (code, reason)

    def of_type(self, kind: type[BaseModel]) -> list[Any]:
        return [m for m in self.sent if isinstance(m, kind)]


SEATS = ["s0", "s1", "s2"]

# Weighted so that random runs often get as far as connected calls (and then break them in every way).
_KINDS = (
    ["ticket"] * 3
    + ["customer_connect"] * 4
    + ["seat_connect"] * 2
    + ["ready"] * 4
    + ["answer_own"] * 4
    + [
        "customer_drop",
        "customer_hangup",
        "customer_sdp",
        "grace_over",
        "seat_drop",
        "not_ready",
        "answer_any",
        "decline",
        "seat_hangup",
        "seat_sdp_any",
        "seat_sdp_any",
        "ring_timeout",
    ]
)
_op = st.tuples(st.sampled_from(_KINDS), st.integers(0, 3))


def _check(coord: CallCoordinator, db: Database, tickets: list[str], customer_peers: dict[str, MemoryPeer]) -> None:
    offered_by_seat: dict[str, str] = {}
    for seat in coord.seats.values():
        if seat.state == wire.SeatState.RESERVED:
            live = coord.sessions[seat.session_id or ""]
            assert live.status == SessionStatus.OFFERED
            assert coord.queue.offered_seat(live.session_id) == seat.seat_id
            assert live.peer is not None, "an absent customer is ringing at a seat"
            offered_by_seat[live.session_id] = seat.seat_id
        elif seat.state == wire.SeatState.IN_CALL:
            live = coord.sessions[seat.session_id or ""]
            assert live.status == SessionStatus.CONNECTED and live.seat_id == seat.seat_id
        else:
            assert seat.session_id is None
    for live in coord.sessions.values():
        row = db.get_session(live.session_id)
        assert row is not None and row["status"] == live.status
        if live.status == SessionStatus.OFFERED:
            assert live.session_id in offered_by_seat
        if live.status == SessionStatus.CONNECTED:
            assert sum(1 for s in coord.seats.values() if s.session_id == live.session_id) == 1
            assert row["answered_at"] is not None and row["seat_id"] == live.seat_id
    # No ready seat while a present customer waits without an offer.
    ready = [s for s in coord.seats.values() if s.state == wire.SeatState.READY]
    idle = [v for v in coord.sessions.values() if v.status == SessionStatus.WAITING and v.peer is not None]
    assert not (ready and idle)
    for sid in tickets:
        if sid not in coord.sessions:
            row = db.get_session(sid)
            assert row is not None
            assert row["status"] == SessionStatus.ENDED and row["ended_at"] and row["end_reason"]
            assert db.events(sid)[-1]["kind"] in {"ended", "error", "customer_disconnected", "relay_refused"}
    for peer in customer_peers.values():
        assert len(peer.of_type(wire.CallConnected)) <= 1
        assert len(peer.of_type(wire.CallEnded)) <= 1


async def _run(ops: list[tuple[str, int]], data_dir: Path, queue_factory: Callable[[], CallQueue] = FifoQueue) -> None:
    settings_ = Settings(dev_mode=True, data_dir=data_dir, ring_timeout_s=600, customer_grace_s=600)
    db = Database(settings_.database_path)
    coord = CallCoordinator(db, settings_, queue_factory())
    tickets: list[str] = []
    customer_peers: dict[str, MemoryPeer] = {}
    seat_peers: dict[str, MemoryPeer] = {}
    answered_by: dict[str, set[str]] = {}
    try:
        for op, n in ops:
            sid = tickets[n] if n < len(tickets) else None
            seat_id = SEATS[n % 3]
            seat_peer = seat_peers.get(seat_id)
            seat_link = coord.seats.get(seat_id)
            if op == "ticket":
                tickets.append(coord.create_ticket(wire.BusinessType.PASSWORD_RESET, "").session_id)
            elif op == "customer_connect" and sid and sid in coord.sessions:
                peer = MemoryPeer()
                customer_peers[f"{sid}-{len(customer_peers)}"] = peer
                coord.customer_connected(sid, peer)
            elif op in {"customer_drop", "customer_hangup", "customer_sdp"} and sid and sid in coord.sessions:
                live = coord.sessions[sid]
                if live.peer is None:
                    continue
                if op == "customer_drop":
                    coord.customer_disconnected(sid, live.peer)
                elif op == "customer_hangup":
                    coord.handle_customer_message(sid, live.peer, '{"type": "hangup"}')
                else:
                    coord.handle_customer_message(sid, live.peer, '{"type": "sdp", "sdp_type": "answer", "sdp": "a"}')
            elif op == "grace_over" and sid:
                coord._grace_over(sid)
            elif op == "seat_connect":
                seat_peers[seat_id] = MemoryPeer()
                coord.seat_connected(seat_id, seat_id, seat_peers[seat_id], "hash")
            elif op == "seat_drop" and seat_peer and seat_link:
                coord.seat_disconnected(seat_id, seat_peer)
            elif op in {"ready", "not_ready"} and seat_peer and seat_link:
                coord.handle_seat_message(seat_id, seat_peer, json.dumps({"type": "set_state", "state": op}))
            elif op == "answer_own" and seat_peer and seat_link and seat_link.session_id:
                target = seat_link.session_id
                before = seat_link.state
                coord.handle_seat_message(seat_id, seat_peer, json.dumps({"type": "answer_call", "session_id": target}))
                if before == wire.SeatState.RESERVED:
                    answered_by.setdefault(target, set()).add(seat_id)
            elif op == "answer_any" and sid and len(coord.seats) > 0:
                seat_id = SEATS[n % 3]
                if seat_id in coord.seats:
                    link = coord.seats[seat_id]
                    was_offered = link.session_id == sid and link.state == wire.SeatState.RESERVED
                    errors_before = len(seat_peers[seat_id].of_type(wire.ErrorMessage))
                    coord.handle_seat_message(
                        seat_id, seat_peers[seat_id], json.dumps({"type": "answer_call", "session_id": sid})
                    )
                    refused = len(seat_peers[seat_id].of_type(wire.ErrorMessage)) > errors_before
                    assert refused != was_offered, "an answer was accepted without an offer, or refused with one"
                    if was_offered:
                        answered_by.setdefault(sid, set()).add(seat_id)
            elif op == "decline" and seat_peer and seat_link and seat_link.session_id:
                coord.handle_seat_message(
                    seat_id, seat_peer, json.dumps({"type": "decline_call", "session_id": seat_link.session_id})
                )
            elif op == "seat_hangup" and seat_peer and seat_link and seat_link.session_id:
                coord.handle_seat_message(
                    seat_id, seat_peer, json.dumps({"type": "hangup", "session_id": seat_link.session_id})
                )
            elif op == "seat_sdp_any" and sid and seat_id in coord.seats:
                link = coord.seats[seat_id]
                session = coord.sessions.get(sid)
                owns = session is not None and session.status == SessionStatus.CONNECTED and session.seat_id == seat_id
                target_peer = session.peer if session else None
                assert target_peer is None or isinstance(target_peer, MemoryPeer)
                delivered = len(target_peer.of_type(wire.SessionDescription)) if target_peer else 0
                coord.handle_seat_message(
                    seat_id,
                    seat_peers[seat_id],
                    json.dumps({"type": "sdp", "session_id": sid, "sdp_type": "offer", "sdp": "o"}),
                )
                if target_peer is not None:
                    now = len(target_peer.of_type(wire.SessionDescription))
                    assert now == delivered + (1 if owns else 0), "SDP reached a customer of another seat"
            elif op == "ring_timeout" and seat_link and seat_link.session_id:
                coord._ring_timeout(seat_id, seat_link.session_id)
            else:
                continue
            _check(coord, db, tickets, customer_peers)
        for sid, seats in answered_by.items():
            assert len(seats) <= 1, f"session {sid} answered by {seats}"
    finally:
        coord.shutdown()
        db.close()


@settings(max_examples=200, deadline=None)
@given(st.lists(_op, min_size=25, max_size=80))
def test_random_event_sequences_keep_the_books_straight(ops: list[tuple[str, int]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(_run(ops, Path(tmp)))


def _routing_queue() -> CallQueue:
    adapter = pytest.importorskip("server.routing.adapter")
    queue: CallQueue = adapter.RoutingCallQueue()
    return queue


@settings(max_examples=100, deadline=None)
@given(st.lists(_op, min_size=25, max_size=80))
def test_routing_engine_adapter_keeps_the_same_books(ops: list[tuple[str, int]]) -> None:
    """The routing engine replaces FIFO behind CallQueue: the coordinator's invariants must hold with it too."""
    _routing_queue()  # skip early if the routing package is absent
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(_run(ops, Path(tmp), _routing_queue))


def test_a_typical_sequence_runs() -> None:
    ops = [
        ("ticket", 0),
        ("customer_connect", 0),
        ("seat_connect", 0),
        ("ready", 0),
        ("answer_own", 0),
        ("seat_sdp_any", 0),
        ("customer_sdp", 0),
        ("customer_hangup", 0),
    ]
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(_run(ops, Path(tmp)))


class _Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def _serve_one_call(coord: CallCoordinator, clock: _Clock, seat: MemoryPeer, seconds: float) -> None:
    sid = coord.create_ticket(wire.BusinessType.PASSWORD_RESET, "").session_id
    coord.customer_connected(sid, MemoryPeer())
    coord.handle_seat_message("s0", seat, json.dumps({"type": "set_state", "state": "ready"}))
    coord.handle_seat_message("s0", seat, json.dumps({"type": "answer_call", "session_id": sid}))
    clock.now += timedelta(seconds=seconds)
    coord.handle_seat_message("s0", seat, json.dumps({"type": "hangup", "session_id": sid}))


async def test_wait_estimate_from_recent_handle_times(tmp_path: Path) -> None:
    settings_ = Settings(dev_mode=True, data_dir=tmp_path, ring_timeout_s=600, customer_grace_s=600)
    db = Database(settings_.database_path)
    clock = _Clock()
    coord = CallCoordinator(db, settings_, FifoQueue(), clock)
    seat = MemoryPeer()
    coord.seat_connected("s0", "柜员", seat, "hash")
    first = coord.create_ticket(wire.BusinessType.PASSWORD_RESET, "").session_id
    waiting_peer = MemoryPeer()
    coord.customer_connected(first, waiting_peer)
    assert waiting_peer.of_type(wire.QueueStatus)[-1].estimated_wait_s is None  # no call completed yet
    coord.handle_seat_message("s0", seat, json.dumps({"type": "set_state", "state": "ready"}))
    coord.handle_seat_message("s0", seat, json.dumps({"type": "answer_call", "session_id": first}))
    clock.now += timedelta(seconds=120)
    coord.handle_seat_message("s0", seat, json.dumps({"type": "hangup", "session_id": first}))
    _serve_one_call(coord, clock, seat, 240)  # mean handle time now 180 s

    coord.handle_seat_message("s0", seat, json.dumps({"type": "set_state", "state": "ready"}))
    peers = []
    for _ in range(3):
        sid = coord.create_ticket(wire.BusinessType.PASSWORD_RESET, "").session_id
        peer = MemoryPeer()
        coord.customer_connected(sid, peer)
        peers.append(peer)
    # The first is ringing at the only serving seat; the others wait 1.5 and 2.5 rounds of 180 s.
    assert [p.of_type(wire.QueueStatus)[-1].estimated_wait_s for p in peers] == [90.0, 270.0, 450.0]
    coord.handle_seat_message("s0", seat, json.dumps({"type": "set_state", "state": "not_ready"}))
    assert peers[2].of_type(wire.QueueStatus)[-1].estimated_wait_s is None  # nobody serving: no promise
    coord.shutdown()

    restarted = CallCoordinator(db, settings_, FifoQueue(), clock)
    restarted.restore()
    assert sorted(restarted.handle_times) == [120.0, 240.0]
    restarted.shutdown()
    db.close()
