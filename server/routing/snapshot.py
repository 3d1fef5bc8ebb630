"""Snapshot and restore of the routing state (JSON-ready), so waiting customers keep their place over a restart."""

from __future__ import annotations

import heapq
import itertools
from collections import deque
from enum import Enum
from typing import Any

from server.routing.config import RoutingConfig
from server.routing.engine import _GRACE, _HOLD, _NOSEAT, _ROUTABLE, _WORKING, _WRAP, RoutingEngine
from server.routing.model import (
    Audit,
    Connected,
    ConsultEnded,
    Customer,
    CustomerState,
    Decision,
    HeldForSeat,
    HoldEnded,
    OfferCall,
    OfferKind,
    Overflowed,
    PositionsChanged,
    PositionUpdate,
    Queued,
    Rejected,
    RoutingError,
    Seat,
    SeatStateChanged,
    SessionEnded,
    Skill,
    SkillRole,
    WithdrawOffer,
)
from wire.messages import EndReason, SeatState

SNAPSHOT_VERSION = 1
_COUNTERS = ("arrived", "answered", "within_sl", "abandoned", "rejected", "overflowed_in", "overflowed_out", "wait_sum")


def snapshot(engine: RoutingEngine, *, history_tail: int = 200) -> dict[str, Any]:
    """The engine's whole logical state as plain JSON-ready data.

    Args:
        engine: the engine to capture.
        history_tail: how many of each seat's latest state changes to keep (the full history is in the decisions
            the caller persisted).
    """
    seats = []
    for seat in engine._seats.values():
        seats.append(
            {
                "seat_id": seat.seat_id,
                "name": seat.name,
                "skills": [[s.queue_id, s.proficiency, s.role.value] for s in seat.skills.values()],
                "state": seat.state.value,
                "reason": seat.reason,
                "since": seat.since,
                "ready_since": seat.ready_since,
                "calls_today": seat.calls_today,
                "session_id": seat.session_id,
                "offer_kind": seat.offer_kind.value if seat.offer_kind else None,
                "pending_not_ready": seat.pending_not_ready,
                "wrap_queue": seat.wrap_queue,
                "history": [[h.at, h.state.value, h.reason, h.session_id] for h in list(seat.history)[-history_tail:]],
            }
        )
    customers = []
    for c in engine._customers.values():
        customers.append(
            {
                "session_id": c.session_id,
                "business_type": c.business_type,
                "star": c.star,
                "arrival": c.arrival,
                "queue_id": c.queue_id,
                "entered_at": c.entered_at,
                "order": c.order,
                "tier": c.tier,
                "state": c.state.value,
                "seat_id": c.seat_id,
                "offered_at": c.offered_at,
                "answered_at": c.answered_at,
                "disconnected_at": c.disconnected_at,
                "consult_seat_id": c.consult_seat_id,
                "held_for": c.held_for,
                "held_at": c.held_at,
                "customer_name": c.customer_name,
                "path": list(c.path),
            }
        )
    queues = {
        qid: {**{k: getattr(q, k) for k in _COUNTERS}, "handle_times": list(q.handle_times)}
        for qid, q in engine._queues.items()
    }
    return {
        "version": SNAPSHOT_VERSION,
        "now": engine._now if engine._now != float("-inf") else None,
        "seats": seats,
        "customers": customers,
        "queues": queues,
        # decisions the clock made just before a refused event, not yet delivered (see RoutingEngine._refuse)
        "pending": [_dump_decision(d) for d in engine._carry],
    }


_DECISION_TYPES: dict[str, type] = {
    cls.__name__: cls
    for cls in (
        Audit,
        Connected,
        ConsultEnded,
        HeldForSeat,
        HoldEnded,
        OfferCall,
        Overflowed,
        PositionsChanged,
        PositionUpdate,
        Queued,
        Rejected,
        SeatStateChanged,
        SessionEnded,
        WithdrawOffer,
    )
}


def _dump_decision(decision: Decision) -> dict[str, Any]:
    fields = {name: getattr(decision, name) for name in decision.__dataclass_fields__}
    return {"type": type(decision).__name__, **{k: v.value if isinstance(v, Enum) else v for k, v in fields.items()}}


def _load_decision(raw: dict[str, Any]) -> Decision:
    cls = _DECISION_TYPES[raw["type"]]
    fields = {k: v for k, v in raw.items() if k != "type"}
    if cls in (OfferCall, Connected):
        fields["kind"] = OfferKind(fields["kind"])
    elif cls is SeatStateChanged:
        fields["state"] = SeatState(fields["state"])
    elif cls is SessionEnded:
        fields["reason"] = EndReason(fields["reason"])
    decision: Decision = cls(**fields)
    return decision


def restore(config: RoutingConfig, data: dict[str, Any], *, expand_positions: bool = False) -> RoutingEngine:
    """Rebuild an engine from :func:`snapshot` data under ``config`` (weights may have changed: keys are recomputed).

    Raises:
        RoutingError: the snapshot is from another version or names a queue the configuration no longer has.
    """
    if data.get("version") != SNAPSHOT_VERSION:
        raise RoutingError("snapshot_version", f"排队快照版本 {data.get('version')!r} 不受支持")
    engine = RoutingEngine(config, expand_positions=expand_positions)
    now = data.get("now")
    engine._now = float(now) if now is not None else float("-inf")
    for qid, counters in data.get("queues", {}).items():
        q = engine._queues.get(qid)
        if q is None:
            continue  # a queue removed from the configuration: its statistics are dropped
        for key in _COUNTERS:
            setattr(q, key, counters.get(key, 0))
        for h in counters.get("handle_times", []):
            q.record_handle(float(h))
    max_order = 0
    held: list[Customer] = []
    for raw in data.get("customers", []):
        if raw["queue_id"] not in engine._queues:
            raise RoutingError("snapshot_mismatch", f"快照中的队列 {raw['queue_id']!r} 不在当前配置中")
        c = Customer(
            session_id=raw["session_id"],
            business_type=raw["business_type"],
            star=int(raw["star"]),
            arrival=float(raw["arrival"]),
            queue_id=raw["queue_id"],
            entered_at=float(raw["entered_at"]),
            key=0.0,
            order=int(raw["order"]),
            tier=int(raw["tier"]),
            state=CustomerState(raw["state"]),
            seat_id=raw["seat_id"],
            offered_at=raw["offered_at"],
            answered_at=raw["answered_at"],
            disconnected_at=raw["disconnected_at"],
            consult_seat_id=raw["consult_seat_id"],
            held_for=raw.get("held_for"),
            held_at=raw.get("held_at"),
            customer_name=raw.get("customer_name", ""),
            path=tuple(raw.get("path", [raw["queue_id"]])),
        )
        max_order = max(max_order, c.order)
        q = engine._queues[c.queue_id]
        c.key = q.key_of(c.star, c.arrival)
        engine._customers[c.session_id] = c
        if c.state is CustomerState.WAITING:
            engine._enqueue(c, q, engine._now)
        elif c.state is CustomerState.HELD:
            held.append(c)  # back in their named seat's line once the seats are restored
        elif c.state is CustomerState.DISCONNECTED:
            c.state_token = next(engine._seq)
            engine._schedule(
                float(c.disconnected_at or engine._now) + config.reconnect_grace_s, _GRACE, c, c.state_token
            )
    engine._order = itertools.count(max_order + 1)
    reserved: list[Seat] = []
    for raw in data.get("seats", []):
        skills = [Skill(qid, int(p), SkillRole(role)) for qid, p, role in raw["skills"] if qid in engine._queues]
        seat = Seat(
            seat_id=raw["seat_id"],
            name=raw["name"],
            skills={s.queue_id: s for s in skills},
            state=SeatState(raw["state"]),
            reason=raw["reason"],
            since=float(raw["since"]),
            ready_since=float(raw["ready_since"]),
            calls_today=int(raw["calls_today"]),
            session_id=raw["session_id"],
            offer_kind=OfferKind(raw["offer_kind"]) if raw["offer_kind"] else None,
            pending_not_ready=raw["pending_not_ready"],
            wrap_queue=raw.get("wrap_queue"),
            history=deque(
                (
                    SeatStateChanged(raw["seat_id"], SeatState(st), reason, at, sid)
                    for at, st, reason, sid in raw["history"]
                ),
                maxlen=config.seat_history_limit,
            ),
        )
        engine._seats[seat.seat_id] = seat
        engine._routable[seat.seat_id] = [engine._queues[s.queue_id] for s in skills if s.role in _ROUTABLE]
        for s in skills:
            engine._queues[s.queue_id].skilled += 1
        for q in engine._routable[seat.seat_id]:
            q.staffed += seat.state is not SeatState.OFFLINE
            q.working += seat.state in _WORKING
        seat.version = next(engine._seq)
        if seat.state is SeatState.READY:
            engine._index_ready(seat)
        elif seat.state is SeatState.RESERVED:
            reserved.append(seat)
            customer = engine._customers.get(seat.session_id or "")
            timeout = engine._queues[customer.queue_id].cfg.ring_timeout_s if customer else engine._min_ring
            seat.ring_deadline = seat.since + timeout
            engine._ring_due = min(engine._ring_due, seat.ring_deadline)
        elif seat.state is SeatState.WRAP_UP:
            wrap_q = engine._queues.get(seat.wrap_queue or "")
            engine._schedule(seat.since + (wrap_q.cfg.wrap_up_s if wrap_q else 0.0), _WRAP, seat, seat.version)
    # the engine keeps reservations in the order they were made (its sweeper relies on it)
    for seat in sorted(reserved, key=lambda s: s.since):
        engine._reserved[seat.seat_id] = seat
    for c in sorted(held, key=lambda c: (c.held_at or 0.0, c.order)):
        named = engine._seats.get(c.held_for or "")
        if named is not None and named.state is not SeatState.OFFLINE:
            c.state_token = next(engine._seq)
            if named.held is None:
                named.held = deque()
            named.held.append((c.state_token, c))
            hold_s = config.transfer_hold_s
            engine._schedule(float(c.held_at or engine._now) + hold_s, _HOLD, c, c.state_token, hold_s)
        else:  # the named seat is gone: the front of their queue
            engine._unhold(c)
            c.tier = 0
            engine._enqueue(c, engine._queues[c.queue_id], engine._now)
    for q in engine._queues.values():
        for heap in q.ready.values():
            heapq.heapify(heap)
        if q.staffed == 0 and q.cfg.overflow_when_no_seat:
            # the no-seat re-routing timer is not in the snapshot: start its grace period again
            q.noseat_token += 1
            engine._schedule(engine._now + config.no_seat_grace_s, _NOSEAT, q, q.noseat_token)
    engine._changed.clear()
    engine._carry = [_load_decision(raw) for raw in data.get("pending", [])]
    return engine


def server_restarted(engine: RoutingEngine, now: float) -> list[Decision]:
    """Apply what a server restart means to a restored engine.

    Every connection is gone: seats go offline (they sign in again); a ringing customer goes back to their place; a
    call in progress cannot be resumed and ends (``server_restart``); every customer still routed becomes
    "disconnected" and keeps their place if their page reconnects within ``reconnect_grace_s``.
    """
    out: list[Decision] = []
    engine._clock(now, out)
    at = engine._now
    for c in list(engine._customers.values()):
        if c.state is CustomerState.CONNECTED:
            c.state = CustomerState.ENDED
            del engine._customers[c.session_id]
            out.append(
                SessionEnded(
                    c.session_id, EndReason.SERVER_RESTART, "服务重启，本次通话已结束，请重新取号。", c.seat_id
                )
            )
    for seat in engine._seats.values():
        if seat.state is SeatState.OFFLINE:
            continue
        seat.session_id = None
        seat.offer_kind = None
        seat.pending_not_ready = None
        seat.held = None
        engine._set_seat(seat, SeatState.OFFLINE, "server_restart", at, out)
    for c in list(engine._customers.values()):
        c.consult_seat_id = None
        if c.state is CustomerState.WAITING:
            engine._unwait(c)
        elif c.state is CustomerState.HELD:  # their named seat is offline now: the front of their queue
            engine._unhold(c)
            c.tier = 0
        if c.state is not CustomerState.DISCONNECTED:
            engine._disconnect(c, at)
    return engine._finish(out)
