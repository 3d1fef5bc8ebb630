"""The queue routing engine (排队机): skills-based, priority-with-aging routing of waiting customers to seats.

The engine is deterministic and does no I/O: every input names its time ``now`` (seconds, any epoch, never
decreasing; an earlier time is treated as the latest one seen) and returns the decisions it caused. Timed rules (ring
timeout, wrap-up end, time overflow, reconnect grace, no-seat re-routing, the reserved-seat sweeper) are due at
:meth:`RoutingEngine.next_deadline`; the caller arms one timer for it and calls :meth:`RoutingEngine.advance`, and
every other event first catches up with whatever fell due. Nothing polls.

Ordering: the live score of a waiting customer is ``base + w_star*star + w_age*(now - arrival)``. Within a queue
the comparison of two customers reduces to ``base + w_star*star - w_age*arrival`` (the static ``key``), so each queue
is a heap keyed once per customer, with lazy deletion; a seat serving several queues compares only the queue heads,
by live score. Ready seats are indexed per queue in heaps keyed by that queue's seat-choice rule.
"""

from __future__ import annotations

import heapq
import itertools
import logging
from collections import deque
from collections.abc import Iterable
from typing import Any, NoReturn

from server.routing.config import MAX_STAR, RoutingConfig
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
    Preview,
    Queued,
    QueueStatistics,
    Rejected,
    RoutingError,
    Seat,
    SeatStateChanged,
    SessionEnded,
    Skill,
    SkillRole,
    WithdrawOffer,
)
from server.routing.queue_state import QueueState as _Queue
from server.routing.statistics import compute_statistics
from server.routing.timers import Timers
from wire.messages import EndReason, SeatState

logger = logging.getLogger(__name__)

# enum members as module constants: ``SeatState.READY`` is an attribute lookup through the enum's metaclass
# (~80 ns), a module global ~10 ns, and the hot paths test states many times per event
_RESERVED = SeatState.RESERVED
_READY = SeatState.READY
_OFFLINE = SeatState.OFFLINE
_NOT_READY = SeatState.NOT_READY
_IN_CALL = SeatState.IN_CALL
_WRAP_UP = SeatState.WRAP_UP
_WAITING = CustomerState.WAITING
_CONNECTED = CustomerState.CONNECTED
_DISCONNECTED = CustomerState.DISCONNECTED
_ENDED = CustomerState.ENDED
_OFFERED = CustomerState.OFFERED
_HELD = CustomerState.HELD
_KIND_CONSULT = OfferKind.CONSULT
_KIND_CUSTOMER = OfferKind.CUSTOMER
_KIND_TRANSFER = OfferKind.TRANSFER
_WORKING = frozenset({_READY, _RESERVED, _IN_CALL, _WRAP_UP})
# (working, staffed) per state; states with equal flags share one tuple, so "did they change" is an identity test
_FLAG_VALUES = {(w, s): (w, s) for w in (0, 1) for s in (0, 1)}
_FLAGS = {state: _FLAG_VALUES[int(state in _WORKING), int(state is not _OFFLINE)] for state in SeatState}
_ROUTABLE = (SkillRole.PRIMARY, SkillRole.BACKUP)
_CONSULT_ROLES = (SkillRole.EXPERT, SkillRole.PRIMARY, SkillRole.BACKUP)

# timer kinds (ring timeouts need none: see RoutingEngine._first_ring)
_WRAP, _OVERFLOW, _GRACE, _NOSEAT, _HOLD = range(5)
_INF = float("inf")
_heappush = heapq.heappush
_heappop = heapq.heappop
_heapreplace = heapq.heapreplace

_REJECT_MESSAGES = {
    "full": "当前「{name}」排队人数已满，请稍后再拨，或通过手机银行预约办理。",
    "no_seat": "当前暂无「{name}」坐席在线，请在服务时间内再拨，或通过手机银行预约办理。",
    "timeout": "当前等待时间较长，请稍后再拨，或通过手机银行预约办理。给您带来不便，敬请谅解。",
}


class RoutingEngine:
    """Routes customers to seats; every event method returns the list of decisions it caused.

    Args:
        config: validated routing configuration.
        expand_positions: also return a :class:`PositionUpdate` for every customer of every queue whose order
            changed (otherwise only :class:`PositionsChanged` per queue; fetch with :meth:`queue_positions`).
    """

    def __init__(self, config: RoutingConfig, *, expand_positions: bool = False) -> None:
        self.config = config
        self.expand_positions = expand_positions
        self._queues = {qid: _Queue(cfg, config.estimator_window) for qid, cfg in config.queues.items()}
        self._seats: dict[str, Seat] = {}
        self._routable: dict[str, list[_Queue]] = {}
        self._customers: dict[str, Customer] = {}
        self._timers = Timers()
        # the shortest ring timeout: the sweeper's early stop (a reservation younger than this plus the slack is
        # not overdue whatever its queue)
        self._min_ring = min((cfg.ring_timeout_s for cfg in config.queues.values()), default=0.0)
        self._seq = itertools.count(1)
        self._order = itertools.count(1)
        self._reserved: dict[str, Seat] = {}  # ringing seats, in the order they started ringing
        self._ring_due = _INF  # no ring timeout falls due before this (a lower bound; see _first_ring)
        # Nothing timed is due before _wake (a lower bound of the timers, the ring timeouts and the sweeper; -inf
        # while decisions are carried): the hot events check it inline instead of calling _clock.
        self._wake = -_INF
        self._changed: set[str] = set()
        self._position_notices = {qid: PositionsChanged(qid) for qid in config.queues}  # immutable, shared
        self._now = float("-inf")
        self._next_sweep = float("-inf")
        self.audit: deque[Audit] = deque(maxlen=10_000)
        self._carry: list[Decision] = []

    # ---------------------------------------------------------------------------------------------------------------
    # time
    # ---------------------------------------------------------------------------------------------------------------

    def next_deadline(self) -> float | None:
        """Engine time at which :meth:`advance` has work to do (arm one timer for it), or None."""
        if self._carry:
            return self._now
        best = self._timers.next_valid(self._due_valid)
        if self._reserved:
            ring = self._first_ring()
            if ring is not None and (best is None or ring.ring_deadline < best):
                best = ring.ring_deadline
            # The sweeper is due only when some reservation could be overdue (the ring deadline normally fires
            # first, so this matters only if that deadline was lost). Reservations are kept in the order they were
            # made, so none after one made later than the best found so far minus the shortest timeout can be
            # earlier.
            slack = self.config.sweep_slack_s
            floor = self._min_ring + slack
            for s in self._reserved.values():
                if best is not None and s.since + floor >= best:
                    break
                due = s.since + self._ring_timeout_of(s) + slack
                if best is None or due < best:
                    best = due
        return best

    def advance(self, now: float) -> list[Decision]:
        """Apply every timed rule due at or before ``now`` (including the reserved-seat sweeper)."""
        out: list[Decision] = []
        self._clock(now, out)
        if self._reserved:
            self._sweep(self._now, out)
        return self._finish(out)

    def sweep(self, now: float) -> list[Decision]:
        """Release any seat reserved longer than its ring timeout plus slack, with an audit entry.

        The ring-timeout deadline normally releases a seat first; the sweeper is the safety net that makes sure
        nothing stays reserved forever even if a deadline was lost.
        """
        out: list[Decision] = []
        self._clock(now, out)
        self._sweep(self._now, out)
        return self._finish(out)

    def _refuse(self, out: list[Decision], code: str, message: str) -> NoReturn:
        """Refuse an event after the clock advanced: what the clock decided is delivered with the next call."""
        self._carry.extend(self._finish(out))
        if self._carry:
            self._wake = -_INF
        raise RoutingError(code, message)

    def _clock(self, now: float, out: list[Decision]) -> None:
        """Catch up with ``now``: deliver carried decisions, fire what fell due, run the sweeper when it is time.

        The hot events test ``now >= self._wake or now < self._now`` inline and only call this when it holds.
        """
        if self._carry:
            out.extend(self._carry)
            self._carry.clear()
        if now < self._now:
            logger.debug("routing clock went back from %.3f to %.3f; using %.3f", self._now, now, self._now)
            now = self._now
        self._now = now
        if now >= self._timers.due or now >= self._ring_due:
            self._fire_due(now, out)
        if now >= self._next_sweep:
            if self._reserved:
                self._sweep(now, out)
            self._next_sweep = now + self.config.sweep_interval_s
        self._rewake()

    def _rewake(self) -> None:
        due = self._timers.due
        if self._ring_due < due:
            due = self._ring_due
        if self._next_sweep < due:
            due = self._next_sweep
        self._wake = -_INF if self._carry else due

    def _fire_due(self, now: float, out: list[Decision]) -> None:
        """Fire every timed rule due at or before ``now``, earliest first (timers before ring timeouts on a tie)."""
        timers = self._timers
        while True:
            ring: Seat | None = None
            ring_at = _INF
            if self._ring_due <= now:
                ring = self._first_ring()
                ring_at = self._ring_due
            limit = ring_at if ring_at < now else now
            if timers.due <= limit:
                item = timers.pop_due(limit)
                if item is not None:
                    self._fire(item[2], item[3], item[4], item[0], out)
                    continue
            if ring is None or ring_at > now:
                return
            self._ring_timeout(ring, ring_at, out, "ring_timeout")

    def _first_ring(self) -> Seat | None:
        """The ringing seat whose ring timeout falls due first; makes ``_ring_due`` exact.

        Ring timeouts need no timers: seats are kept in ``_reserved`` in the order they started ringing, each with
        its ``ring_deadline``, so answering or withdrawing an offer leaves nothing behind. A seat that started
        ringing later than the best deadline found so far minus the shortest ring timeout cannot ring out earlier,
        so the scan usually stops at the first seat.
        """
        best: Seat | None = None
        best_at = _INF
        floor = self._min_ring
        for seat in self._reserved.values():
            if seat.since + floor >= best_at:
                break
            if seat.ring_deadline < best_at:
                best, best_at = seat, seat.ring_deadline
        self._ring_due = best_at
        return best

    def _schedule(self, at: float, kind: int, obj: Any, token: int, span: float | None = None) -> None:
        """Arm a timer; ``span`` is its length when it counts from the engine's clock (see :mod:`.timers`)."""
        self._timers.add(at, kind, obj, token, span)
        if at < self._wake:
            self._wake = at

    @staticmethod
    def _due_valid(item: tuple[float, int, int, Any, int]) -> bool:
        """Whether a deadline still means something (cheap pre-check; :meth:`_fire` re-checks)."""
        _, _, kind, obj, token = item
        if kind == _WRAP:
            return bool(obj.version == token)
        if kind == _OVERFLOW:
            return bool(obj.heap_token == token and obj.state is _WAITING)
        if kind == _GRACE:
            return bool(obj.state_token == token and obj.state is _DISCONNECTED)
        if kind == _HOLD:
            return bool(obj.state_token == token and obj.state is _HELD)
        return bool(obj.noseat_token == token)

    def _fire(self, kind: int, obj: Any, token: int, at: float, out: list[Decision]) -> None:
        if kind == _WRAP:
            if obj.version == token and obj.state is _WRAP_UP:
                self._seat_free(obj, at, out)
        elif kind == _OVERFLOW:
            if obj.heap_token == token and obj.state is _WAITING:
                self._reroute(obj, at, out, "timeout")
        elif kind == _GRACE:
            if obj.state_token == token and obj.state is _DISCONNECTED:
                self._end_customer(
                    obj,
                    out,
                    EndReason.CUSTOMER_DISCONNECTED,
                    "您离开页面时间过长，排队已取消，请重新取号。",
                    abandoned=True,
                )
        elif kind == _HOLD:
            if obj.state_token == token and obj.state is _HELD:
                self._end_hold(obj, at, out, "timeout")
        elif kind == _NOSEAT and obj.noseat_token == token and obj.staffed == 0 and obj.waiting:
            for customer in self._ordered(obj):
                self._reroute(customer, at, out, "no_seat")

    def _ring_timeout_of(self, seat: Seat) -> float:
        customer = self._customers.get(seat.session_id or "")
        return self._queues[customer.queue_id].cfg.ring_timeout_s if customer else self._min_ring

    def _sweep(self, now: float, out: list[Decision]) -> None:
        # Reservations are kept in the order they were made (engine time never goes back): stop at the first one
        # too young to be overdue even with the shortest ring timeout.
        slack = self.config.sweep_slack_s
        floor = self._min_ring + slack
        candidates = []
        for seat in self._reserved.values():
            if now - seat.since < floor:
                break
            candidates.append(seat)
        for seat in candidates:
            if seat.state is not _RESERVED:
                continue
            customer = self._customers.get(seat.session_id or "")
            if now - seat.since >= self._ring_timeout_of(seat) + slack:
                note = Audit(
                    now,
                    "sweeper",
                    f"坐席振铃超时未释放，已由清理程序释放(已振铃 {now - seat.since:.1f} 秒)",
                    seat.session_id,
                    seat.seat_id,
                )
                self.audit.append(note)
                out.append(note)
                logger.warning("sweeper released seat %s reserved for session %s", seat.seat_id, seat.session_id)
                if customer is None:
                    seat.session_id = None
                    self._set_seat(seat, _NOT_READY, "no_answer", now, out)
                else:
                    self._ring_timeout(seat, now, out, "swept")

    # ---------------------------------------------------------------------------------------------------------------
    # seats
    # ---------------------------------------------------------------------------------------------------------------

    def seat_login(
        self, seat_id: str, skills: Iterable[Skill], now: float, *, name: str = "", ready: bool = False
    ) -> list[Decision]:
        """A seat signs in (签入) with its skills; it starts not-ready (reason ``login``) unless ``ready``."""
        skills = list(skills)
        for skill in skills:
            if skill.queue_id not in self._queues:
                raise RoutingError("unknown_queue", f"技能组 {skill.queue_id!r} 不存在")
        seat = self._seats.get(seat_id)
        if seat is not None and seat.state is not _OFFLINE:  # timers never sign a seat out
            raise RoutingError("already_logged_in", "该坐席已签入")
        out: list[Decision] = []
        self._clock(now, out)
        if seat is None:
            seat = Seat(
                seat_id=seat_id,
                name=name or seat_id,
                skills={},
                history=deque(maxlen=self.config.seat_history_limit),
            )
            self._seats[seat_id] = seat
        for old in seat.skills:
            self._queues[old].skilled -= 1
        seat.skills = {s.queue_id: s for s in skills}
        if name:
            seat.name = name
        for qid in seat.skills:
            self._queues[qid].skilled += 1
        self._routable[seat_id] = [self._queues[s.queue_id] for s in skills if s.role in _ROUTABLE]
        if ready:
            self._dispatch_seat(seat, self._now, out)
        else:
            self._set_seat(seat, _NOT_READY, "login", self._now, out)
        return self._finish(out)

    def seat_set_ready(self, seat_id: str, now: float) -> list[Decision]:
        """The teller shows ready (示闲); during wrap-up this ends it early. While ringing or talking it cancels a
        pending not-ready."""
        seat = self._seats.get(seat_id) or self._seat(seat_id)
        if seat.state is _OFFLINE:  # timers never sign a seat in or out
            raise RoutingError("not_logged_in", "坐席未签入，请先签入")
        out: list[Decision] = []
        if now >= self._wake or now < self._now:  # something may be due: the full _clock
            self._clock(now, out)
            now = self._now
        else:
            self._now = now
        seat.pending_not_ready = None
        state = seat.state
        if state is _NOT_READY or state is _WRAP_UP:
            self._dispatch_seat(seat, now, out)
        if self._changed:
            self._positions_changed(out)
        return out

    def seat_set_not_ready(self, seat_id: str, reason: str, now: float) -> list[Decision]:
        """The teller shows not ready (示忙) with a reason code; while ringing or talking it applies after the call."""
        if reason not in self.config.not_ready_reasons:
            raise RoutingError(
                "bad_reason", f"示忙原因 {reason!r} 无效，可选:{'、'.join(self.config.not_ready_reasons)}"
            )
        seat = self._seats.get(seat_id) or self._seat(seat_id)
        if seat.state is _OFFLINE:
            raise RoutingError("not_logged_in", "坐席未签入，请先签入")
        out: list[Decision] = []
        if now >= self._wake or now < self._now:  # something may be due: the full _clock
            self._clock(now, out)
            now = self._now
        else:
            self._now = now
        state = seat.state
        if state is _RESERVED or state is _IN_CALL:
            seat.pending_not_ready = reason
        else:
            self._set_seat(seat, _NOT_READY, reason, now, out)
        if self._changed:
            self._positions_changed(out)
        return out

    def seat_logout(self, seat_id: str, now: float) -> list[Decision]:
        """The seat signs out (签出); a ringing offer goes back to the queue. Refused during a call."""
        seat = self._seat(seat_id)
        if seat.state is _IN_CALL:
            raise RoutingError("in_call", "通话中不能签出，请先结束通话")
        out: list[Decision] = []
        self._clock(now, out)
        self._drop_seat(seat, self._now, out, "seat_logout", "logout")
        return self._finish(out)

    def seat_disconnected(self, seat_id: str, now: float) -> list[Decision]:
        """The seat's connection dropped: it goes offline; a ringing customer is re-queued in their place, a talking
        one is re-queued at the front or the call fails (``seat_drop_in_call``), never both."""
        seat = self._seat(seat_id)
        out: list[Decision] = []
        self._clock(now, out)
        self._drop_seat(seat, self._now, out, "seat_disconnected", "disconnected")
        return self._finish(out)

    def seat_answer(self, seat_id: str, session_id: str, now: float) -> list[Decision]:
        """The ringing seat answers (接听)."""
        seat = self._seats.get(seat_id) or self._seat(seat_id)
        out: list[Decision] = []
        if now >= self._wake or now < self._now:  # something may be due: the full _clock
            self._clock(now, out)
            now = self._now
        else:
            self._now = now
        at = now
        if seat.state is not _RESERVED or seat.session_id != session_id:
            self._refuse(out, "not_offered", "该来电已不再振铃(可能已超时、被撤回或已由他人接听)")
        customer = self._customers[session_id]
        kind = seat.offer_kind or _KIND_CUSTOMER
        self._set_seat(seat, _IN_CALL, None, at, out, session_id)
        if kind is _KIND_CONSULT:
            out.append(Connected(session_id, seat_id, kind))
            return self._finish(out)
        seat.calls_today += 1
        customer.state = _CONNECTED
        customer.seat_id = seat_id
        if customer.answered_at is None:
            customer.answered_at = at
            q = self._queues[customer.queue_id]
            q.answered += 1
            wait = at - customer.arrival
            q.wait_sum += wait
            if wait <= q.service_level_s:
                q.within_sl += 1
        out.append(Connected(session_id, seat_id, kind))
        if self._changed:
            self._positions_changed(out)
        return out

    def seat_decline(self, seat_id: str, session_id: str, now: float) -> list[Decision]:
        """The ringing seat declines (拒接): it goes not-ready (``declined``); the customer keeps their place."""
        seat = self._seat(seat_id)
        out: list[Decision] = []
        self._clock(now, out)
        if seat.state is not _RESERVED or seat.session_id != session_id:
            self._refuse(out, "not_offered", "该来电已不再振铃(可能已超时、被撤回或已由他人接听)")
        self._release_reserved(seat, self._now, out, "declined", _NOT_READY, "declined", withdraw=False)
        return self._finish(out)

    def reset_daily_counters(self, now: float) -> list[Decision]:
        """Start a new day: calls-today counters go to zero (and the fewest-calls indexes are rebuilt)."""
        out: list[Decision] = []
        self._clock(now, out)
        for seat in self._seats.values():
            seat.calls_today = 0
        for q in self._queues.values():
            for role in SkillRole:
                q.ready[role].clear()
        for seat in self._seats.values():
            if seat.state is _READY:
                self._index_ready(seat)
        return self._finish(out)

    # ---------------------------------------------------------------------------------------------------------------
    # customers
    # ---------------------------------------------------------------------------------------------------------------

    def customer_arrive(
        self,
        session_id: str,
        business_type: str,
        now: float,
        *,
        star: int = 0,
        customer_name: str = "",
        queue_id: str | None = None,
        arrival: float | None = None,
        present: bool = True,
    ) -> list[Decision]:
        """A customer takes a ticket (取号) for a business; star level 0-7 (星级).

        Args:
            session_id: the customer's session.
            business_type: wire business code; picks the queue.
            now: engine time.
            star: star level 0-7.
            customer_name: shown to the seat.
            queue_id: route into this queue instead of the business's configured one (a dedicated line the server
                chose, e.g. for a private-banking customer).
            arrival: when the ticket was really taken (a customer restored by the server); their place and aging
                count from it. Normally <= ``now``; a later value (another clock's skew) is kept as given.
            present: False when the customer's page is not connected yet: they hold their place but are not offered
                to a seat until :meth:`customer_reconnected` (within ``reconnect_grace_s``).
        """
        if session_id in self._customers:
            raise RoutingError("duplicate_session", "该会话已在排队中")
        if (
            type(star) is not int and (isinstance(star, bool) or not isinstance(star, int))
        ) or not 0 <= star <= MAX_STAR:
            raise RoutingError("bad_star", f"客户星级必须是 0 到 {MAX_STAR} 的整数")
        qid = queue_id if queue_id is not None else self.config.queue_for(str(business_type))
        if qid is None:
            raise RoutingError("unknown_business", "该业务暂不支持视频办理")
        q = self._queues.get(qid)
        if q is None:
            raise RoutingError("unknown_queue", f"队列 {qid!r} 不存在")
        out: list[Decision] = []
        if now >= self._wake or now < self._now:  # something may be due: the full _clock
            self._clock(now, out)
            now = self._now
        else:
            self._now = now
        at = now
        q.arrived += 1
        # positional: a keyword call of the 20-field constructor costs twice as much
        customer = Customer(
            session_id,
            str(business_type),
            star,
            at if arrival is None else arrival,
            qid,
            at,
            0.0,
            next(self._order),
            customer_name,
            (qid,),
        )
        self._customers[session_id] = customer
        cfg = q.cfg
        if (cfg.max_waiting is None or q.waiting < cfg.max_waiting) and not (
            cfg.overflow_when_no_seat and not q.staffed
        ):
            target: _Queue | None = q  # the common case, without _route()
            reason = ""
        else:
            target, reason = self._route(q, "arrival")
        if target is None:
            q.rejected += 1
            self._reject(customer, q, reason, out)
        else:
            if target is not q:
                self._move_stats(customer, q, target, reason, out)
            if present:
                self._dispatch_customer(customer, target, at, out)
            else:
                customer.queue_id = target.qid
                customer.key = target.key_of(star, customer.arrival)
                self._disconnect(customer, at)
        if self._changed:
            self._positions_changed(out)
        return out

    def customer_leave(self, session_id: str, now: float) -> list[Decision]:
        """The customer gives up (离队) or hangs up; unknown or finished sessions are ignored."""
        customer = self._customers.get(session_id)
        out: list[Decision] = []
        if now >= self._wake or now < self._now:  # something may be due: the full _clock
            self._clock(now, out)
            now = self._now
        else:
            self._now = now
        if customer is None:
            return self._finish(out)
        if customer.state is _CONNECTED:
            self._end_call(customer, now, out, EndReason.CUSTOMER_HANGUP, emit=False)
        else:
            self._end_customer(
                customer, out, EndReason.CUSTOMER_LEFT_QUEUE, "您已取消排队。", abandoned=True, emit=False
            )
        if self._changed:
            self._positions_changed(out)
        return out

    def customer_disconnected(self, session_id: str, now: float) -> list[Decision]:
        """The customer's page dropped. Waiting or ringing: they keep their place for ``reconnect_grace_s``. In a
        call: the call ends."""
        customer = self._customers.get(session_id)
        out: list[Decision] = []
        self._clock(now, out)
        if customer is None or customer.state is _DISCONNECTED:
            return self._finish(out)
        at = self._now
        if customer.state is _CONNECTED:
            self._end_call(customer, at, out, EndReason.CUSTOMER_DISCONNECTED, emit=True)
            return self._finish(out)
        if customer.state is _WAITING:
            self._unwait(customer)
        elif customer.state is _OFFERED:
            seat = self._seats[customer.seat_id or ""]
            self._withdraw(seat, customer, at, out, "customer_disconnected", "客户已断开连接")
        elif customer.state is _HELD:  # the named seat's line is not kept; the front of their queue is
            self._unhold(customer)
        self._disconnect(customer, at)
        return self._finish(out)

    def customer_reconnected(self, session_id: str, now: float) -> list[Decision]:
        """The customer's page is back: within the grace period they get their old place back."""
        customer = self._customers.get(session_id)
        if customer is None:
            raise RoutingError("unknown_session", "排队已失效，请重新取号")
        out: list[Decision] = []
        self._clock(now, out)
        if customer.state is _DISCONNECTED:
            customer.disconnected_at = None
            self._dispatch_customer(customer, self._queues[customer.queue_id], self._now, out)
        elif customer.state is _WAITING:
            self._changed.add(customer.queue_id)
        return self._finish(out)

    # ---------------------------------------------------------------------------------------------------------------
    # calls: hang-up, transfer, consult
    # ---------------------------------------------------------------------------------------------------------------

    def end_call(self, session_id: str, now: float, reason: EndReason = EndReason.SEAT_HANGUP) -> list[Decision]:
        """The call is over (挂机): the seat goes to wrap-up, a consulting expert is released."""
        customer = self._customers.get(session_id)
        if customer is None or customer.state is not _CONNECTED:
            raise RoutingError("not_in_call", "该会话不在通话中")
        out: list[Decision] = []
        if now >= self._wake or now < self._now:  # something may be due: the full _clock
            self._clock(now, out)
            now = self._now
        else:
            self._now = now
        self._end_leg(customer, now, out)
        customer.state = _ENDED
        del self._customers[session_id]
        if self._changed:
            self._positions_changed(out)
        return out

    def transfer_to_queue(self, session_id: str, queue_id: str, now: float) -> list[Decision]:
        """The seat transfers the session (转接) to another queue, where the customer waits at the front."""
        customer = self._customers.get(session_id)
        if customer is None or customer.state is not _CONNECTED:
            raise RoutingError("not_in_call", "该会话不在通话中，无法转接")
        target = self._queues.get(queue_id)
        if target is None:
            raise RoutingError("unknown_queue", f"队列 {queue_id!r} 不存在")
        if target.staffed == 0:
            raise RoutingError("no_seat", f"「{target.cfg.name}」当前无坐席签入，无法转接")
        out: list[Decision] = []
        self._clock(now, out)
        at = self._now
        self._end_leg(customer, at, out)
        old = self._queues[customer.queue_id]
        customer.tier = 0
        customer.entered_at = at  # the wait limit (max_wait_s) counts from the transfer
        if target is not old:
            self._move_stats(customer, old, target, "transfer", out)
        self._dispatch_customer(customer, target, at, out, front=True)
        return self._finish(out)

    def transfer_to_seat(self, session_id: str, seat_id: str, now: float) -> list[Decision]:
        """The seat transfers the session (转接) to a named seat.

        A ready seat rings at once; if it does not answer, the customer waits at the front of their queue. A busy
        seat (ringing, talking, in wrap-up or not ready) gets the customer in its own waiting line (转接等待,
        :class:`HeldForSeat`): they are offered to it as soon as it is free, ahead of everyone in its queues; after
        ``transfer_hold_s`` they go back to the front of their queue, keeping their arrival time
        (:class:`HoldEnded`). Refused (``RoutingError``, Chinese message) when the seat is offline, is the
        transferring seat itself, or lacks the skill (any role) for the customer's queue.
        """
        customer = self._customers.get(session_id)
        if customer is None or customer.state is not _CONNECTED:
            raise RoutingError("not_in_call", "该会话不在通话中，无法转接")
        target = self._seats.get(seat_id)
        if target is None or target.state is _OFFLINE:
            name = target.name if target is not None else seat_id
            raise RoutingError("seat_offline", f"坐席 {name} 未签入(离线)，无法转接；请选择其他坐席或转至队列")
        if target.seat_id == customer.seat_id:
            raise RoutingError("same_seat", "不能转接给自己")
        q = self._queues[customer.queue_id]
        if q.qid not in target.skills:
            raise RoutingError(
                "no_skill", f"坐席 {target.name} 不具备「{q.cfg.name}」技能，无法转接；请选择其他坐席或转至队列"
            )
        out: list[Decision] = []
        self._clock(now, out)
        at = self._now
        self._end_leg(customer, at, out)  # (may free the target: it was this call's consulting expert)
        customer.tier = 0
        customer.entered_at = at
        if target.state is _READY:
            self._reserve(target, customer, _KIND_TRANSFER, at, out)
        else:
            self._hold(customer, target, at, out)
        return self._finish(out)

    def held_for(self, seat_id: str) -> list[str]:
        """Sessions waiting for this seat by name (转接等待), first first."""
        seat = self._seats.get(seat_id)
        return [c.session_id for c in self._held_customers(seat)] if seat is not None else []

    def invite_consult(
        self, session_id: str, now: float, *, seat_id: str | None = None, queue_id: str | None = None
    ) -> list[Decision]:
        """Invite an expert seat (专家协助) into a running call: a named ready seat, or the best ready seat of a
        queue (experts first, then primary, then backup seats)."""
        customer = self._customers.get(session_id)
        if customer is None or customer.state is not _CONNECTED:
            raise RoutingError("not_in_call", "该会话不在通话中，无法邀请专家")
        if customer.consult_seat_id is not None:
            raise RoutingError("consult_busy", "已有专家在协助或振铃中")
        if (seat_id is None) == (queue_id is None):
            raise RoutingError("bad_request", "请指定专家坐席或技能组之一")
        named = self._seat(seat_id) if seat_id is not None else None
        out: list[Decision] = []
        self._clock(now, out)
        expert: Seat | None
        if named is not None:
            expert = named
            if expert.state is not _READY:
                self._refuse(out, "seat_unavailable", f"坐席 {expert.name} 当前不可接听")
        else:
            q = self._queues.get(queue_id or "")
            if q is None:
                self._refuse(out, "unknown_queue", f"队列 {queue_id!r} 不存在")
            expert = self._best_seat(q, _CONSULT_ROLES)
            if expert is None:
                self._refuse(out, "no_expert", "暂无可邀请的专家坐席，请稍后再试")
        customer.consult_seat_id = expert.seat_id
        self._reserve(expert, customer, _KIND_CONSULT, self._now, out)
        return self._finish(out)

    def end_consult(self, session_id: str, now: float) -> list[Decision]:
        """The expert leaves (or the invitation is cancelled); the expert is free at once (no wrap-up)."""
        customer = self._customers.get(session_id)
        if customer is None or customer.consult_seat_id is None:
            raise RoutingError("no_consult", "该会话没有专家协助")
        out: list[Decision] = []
        self._clock(now, out)
        self._stop_consult(customer, self._now, out, "ended")
        return self._finish(out)

    # ---------------------------------------------------------------------------------------------------------------
    # queries
    # ---------------------------------------------------------------------------------------------------------------

    def seat(self, seat_id: str) -> Seat:
        """The seat's current record (read-only use)."""
        return self._seat(seat_id)

    def seats(self) -> list[Seat]:
        """All seats ever logged in."""
        return list(self._seats.values())

    def find_seat(self, seat_id: str) -> Seat | None:
        """The seat's record, or None if it never logged in."""
        return self._seats.get(seat_id)

    def reserved_seats(self) -> list[Seat]:
        """Seats ringing now (reserved for a customer, a transfer or a consult)."""
        return list(self._reserved.values())

    def customer(self, session_id: str) -> Customer | None:
        """The customer's current record, or None when the session is no longer routed."""
        return self._customers.get(session_id)

    def customers(self) -> list[Customer]:
        """Every customer still routed (waiting, ringing, disconnected or in a call)."""
        return list(self._customers.values())

    def waiting_count(self, queue_id: str | None = None) -> int:
        """Customers waiting in one queue, or in all."""
        if queue_id is not None:
            return self._queues[queue_id].waiting
        return sum(q.waiting for q in self._queues.values())

    def queue_order(self, queue_id: str) -> list[str]:
        """Session ids waiting in a queue, best first."""
        return [c.session_id for c in self._ordered(self._queues[queue_id])]

    def queue_positions(self, queue_id: str, now: float | None = None) -> list[PositionUpdate]:
        """Live position and estimated wait of every customer waiting in a queue."""
        q = self._queues[queue_id]
        return [
            PositionUpdate(c.session_id, queue_id, i, q.waiting, q.estimate_wait(i))
            for i, c in enumerate(self._ordered(q), start=1)
        ]

    def position(self, session_id: str) -> PositionUpdate | None:
        """One waiting customer's position and estimate (O(queue length)); for a customer waiting for a named seat,
        their place in that seat's line (``waiting``: how many wait for it) and no estimate."""
        customer = self._customers.get(session_id)
        if customer is not None and customer.state is _HELD:  # place in the named seat's line; no estimate
            line = self._held_customers(self._seats[customer.held_for or ""])
            return PositionUpdate(session_id, customer.queue_id, line.index(customer) + 1, len(line), None)
        if customer is None or customer.state is not _WAITING:
            return None
        q = self._queues[customer.queue_id]
        mine = (customer.tier, -customer.key, customer.arrival, customer.order)
        ahead = sum(1 for e in q.live_entries() if e[:4] < mine)
        return PositionUpdate(session_id, q.cfg.queue_id, ahead + 1, q.waiting, q.estimate_wait(ahead + 1))

    def live_score(self, session_id: str, now: float) -> float:
        """The customer's score now in their current queue: ``base + w_star*star + w_age*(now - arrival)``."""
        customer = self._customers[session_id]
        return customer.key + self._queues[customer.queue_id].cfg.w_age * now

    def preview(self, business_type: str, now: float, *, star: int = 0) -> Preview:
        """What would happen to a customer arriving now with this business and star level; changes nothing."""
        qid = self.config.queue_for(str(business_type))
        if qid is None:
            raise RoutingError("unknown_business", "该业务暂不支持视频办理")
        now = max(now, self._now)
        q = self._queues[qid]
        target, reason = self._route(q, "arrival")
        path = (qid,) if target is None or target is q else (qid, target.cfg.queue_id)
        if target is None:
            return Preview("reject", qid, path, message=_REJECT_MESSAGES[reason].format(name=q.cfg.name))
        seat = self._best_seat(target, _ROUTABLE)
        if seat is not None:
            return Preview("offer", target.cfg.queue_id, path, seat_id=seat.seat_id)
        mine = (1, -target.key_of(star, now), now, float("inf"))
        ahead = sum(1 for e in target.live_entries() if e[:4] < mine)
        return Preview(
            "queue", target.cfg.queue_id, path, position=ahead + 1, estimated_wait_s=target.estimate_wait(ahead + 1)
        )

    def preview_overflow(self, queue_id: str, trigger: str = "timeout") -> tuple[str, str | None]:
        """Where a customer of ``queue_id`` would go if ``trigger`` (``arrival``, ``timeout`` or ``no_seat``) fired
        now: ``("stay"|"move"|"reject", queue id or None)``."""
        q = self._queues[queue_id]
        target, _ = self._route(q, trigger)
        if target is None:
            return ("reject", None)
        return ("stay", queue_id) if target is q else ("move", target.cfg.queue_id)

    def statistics(self, now: float) -> dict[str, QueueStatistics]:
        """Per-queue statistics plus ``"*"`` for all queues together (see :mod:`server.routing.statistics`)."""
        return compute_statistics(self._queues, self._seats.values(), max(now, self._now))

    # ---------------------------------------------------------------------------------------------------------------
    # internals: queues
    # ---------------------------------------------------------------------------------------------------------------

    def _head(self, q: _Queue) -> tuple[Any, ...] | None:
        """Drop dead entries from the top of the heap and set ``q.head`` to the first live one (None: empty).

        ``q.head`` is kept equal to the live ``q.heap[0]`` at all times, so choosing among a seat's queues needs no
        validity checks: a push sets it (the top was live, the new entry is live), taking the head or a waiting
        head customer leaving (:meth:`_unwait`) calls this.
        """
        heap = q.heap
        while heap:
            entry = heap[0]
            if entry[5].heap_token == entry[4]:  # (only a waiting customer's token is live: see _enqueue)
                q.head = entry
                return entry
            self._pop_top(q)
        q.head = None
        return None

    @staticmethod
    def _pop_top(q: _Queue) -> tuple[Any, ...]:
        """Remove and return ``q.heap[0]``; a bucket's head is replaced in the heap by the bucket's next entry."""
        heap = q.heap
        entry = heap[0]
        bucket = entry[6]
        if bucket is not None:
            bucket.popleft()
            if bucket:
                _heapreplace(heap, bucket[0])
            else:
                _heappop(heap)
        else:
            _heappop(heap)
        q.stored -= 1
        return entry

    def _ordered(self, q: _Queue) -> list[Customer]:
        return [e[5] for e in sorted(q.live_entries())]

    def _enqueue(self, customer: Customer, q: _Queue, at: float) -> None:
        """Put the customer in ``q``'s waiting line. Their ``heap_token`` names their one live entry; every way out
        of WAITING sets it to 0 (:meth:`_unwait`, or the pop in :meth:`_dispatch_seat`), so a token match alone
        tells a live entry."""
        qid = customer.queue_id = q.qid
        arrival = customer.arrival
        key = customer.key = q.base + q.w_star * customer.star - q.w_age * arrival
        customer.state = _WAITING
        customer.seat_id = None
        token = customer.heap_token = next(self._seq)
        tier = customer.tier
        order = customer.order
        # in serving order behind the last of its tier and star: append to that FIFO bucket (see queue_state)
        bucket = q.buckets[tier * 8 + customer.star]
        heap = q.heap
        if not bucket:
            entry = (tier, -key, arrival, order, token, customer, bucket)
            bucket.append(entry)
            _heappush(heap, entry)
            q.head = heap[0]
        else:
            tail = bucket[-1]
            if arrival > tail[2] or (arrival == tail[2] and order > tail[3]):
                bucket.append((tier, -key, arrival, order, token, customer, bucket))
            else:
                _heappush(heap, (tier, -key, arrival, order, token, customer, None))
                q.head = heap[0]
        stored = q.stored = q.stored + 1
        waiting = q.waiting = q.waiting + 1
        self._changed.add(qid)
        if stored > 2 * waiting + 64:  # too many dead entries
            q.compact()
        limit = q.max_wait_s
        if limit is not None:
            self._schedule(customer.entered_at + limit, _OVERFLOW, customer, token, limit)

    def _unwait(self, customer: Customer) -> None:
        """Take a waiting customer out of their queue (the heap entry dies lazily)."""
        q = self._queues[customer.queue_id]
        q.waiting -= 1
        customer.heap_token = 0
        self._changed.add(q.qid)
        head = q.head
        if head is not None and head[5] is customer:
            self._head(q)

    def _dispatch_customer(
        self, customer: Customer, q: _Queue, at: float, out: list[Decision], front: bool = False
    ) -> None:
        """Place a customer in ``q``: offer to a ready seat if any (then the queue is empty), else wait."""
        qid = q.qid
        if customer.queue_id != qid:
            customer.entered_at = at
        customer.queue_id = qid
        seat = self._best_seat(q, _ROUTABLE) if q.ready_primary or q.ready_backup else None
        if seat is not None:
            customer.key = q.key_of(customer.star, customer.arrival)
            self._reserve(seat, customer, _KIND_CUSTOMER, at, out)
        else:
            self._enqueue(customer, q, at)
            out.append(Queued(customer.session_id, qid, front or customer.tier == 0))

    def _route(self, q: _Queue, trigger: str) -> tuple[_Queue | None, str]:
        """Where a customer of ``q`` goes on ``trigger``: ``(queue, reason)``; ``queue`` None means reject."""
        cfg = q.cfg
        full = cfg.max_waiting is not None and q.waiting >= cfg.max_waiting + (trigger != "arrival")
        no_seat = cfg.overflow_when_no_seat and q.staffed == 0
        if trigger == "arrival":
            if not full and not no_seat:
                return q, ""
            reason = "full" if full else "no_seat"
        else:
            reason = trigger
        found = self._overflow_target(q, set())
        if found is not None:
            return found, reason
        if not full and cfg.on_exhausted == "stay":
            return q, ""
        return None, reason

    def _overflow_target(self, q: _Queue, seen: set[str]) -> _Queue | None:
        seen.add(q.cfg.queue_id)
        for qid in q.cfg.overflow_to:
            if qid in seen:
                continue
            t = self._queues[qid]
            tc = t.cfg
            if (tc.max_waiting is None or t.waiting < tc.max_waiting) and not (
                tc.overflow_when_no_seat and t.staffed == 0
            ):
                return t
            deeper = self._overflow_target(t, seen)
            if deeper is not None:
                return deeper
        return None

    def _move_stats(self, customer: Customer, src: _Queue, dst: _Queue, reason: str, out: list[Decision]) -> None:
        src.overflowed_out += 1
        dst.overflowed_in += 1
        customer.path += (dst.qid,)
        out.append(Overflowed(customer.session_id, src.cfg.queue_id, dst.cfg.queue_id, reason))

    def _reroute(self, customer: Customer, at: float, out: list[Decision], trigger: str) -> None:
        """Time or no-seat overflow of a waiting customer."""
        q = self._queues[customer.queue_id]
        target, reason = self._route(q, trigger)
        if target is q:
            return
        self._unwait(customer)
        if target is None:
            q.rejected += 1
            self._reject(customer, q, reason, out)
            return
        self._move_stats(customer, q, target, reason, out)
        self._dispatch_customer(customer, target, at, out)

    def _reject(self, customer: Customer, q: _Queue, reason: str, out: list[Decision]) -> None:
        customer.state = _ENDED
        del self._customers[customer.session_id]
        out.append(
            Rejected(customer.session_id, q.cfg.queue_id, reason, _REJECT_MESSAGES[reason].format(name=q.cfg.name))
        )

    def _disconnect(self, customer: Customer, at: float) -> None:
        customer.state = _DISCONNECTED
        customer.seat_id = None
        customer.disconnected_at = at
        customer.state_token = next(self._seq)
        grace = self.config.reconnect_grace_s
        self._schedule(at + grace, _GRACE, customer, customer.state_token, grace)

    def _end_customer(
        self,
        customer: Customer,
        out: list[Decision],
        reason: EndReason,
        message: str,
        *,
        abandoned: bool,
        emit: bool = True,
    ) -> None:
        """End a customer who is not in a call (waiting, ringing or disconnected)."""
        at = self._now
        if customer.state is _WAITING:
            self._unwait(customer)
        elif customer.state is _OFFERED:
            seat = self._seats[customer.seat_id or ""]
            self._withdraw(seat, customer, at, out, "customer_left", "客户已离开")
        elif customer.state is _HELD:
            self._unhold(customer)
        if abandoned and customer.answered_at is None:  # a transferred customer was answered already
            self._queues[customer.queue_id].abandoned += 1
        customer.state = _ENDED
        self._customers.pop(customer.session_id, None)
        if emit:
            out.append(SessionEnded(customer.session_id, reason, message))

    # ---------------------------------------------------------------------------------------------------------------
    # internals: seats
    # ---------------------------------------------------------------------------------------------------------------

    def _seat(self, seat_id: str) -> Seat:
        seat = self._seats.get(seat_id)
        if seat is None:
            raise RoutingError("unknown_seat", f"坐席 {seat_id!r} 未签入过")
        return seat

    def _set_seat(
        self,
        seat: Seat,
        state: SeatState,
        reason: str | None,
        at: float,
        out: list[Decision],
        session_id: str | None = None,
    ) -> None:
        old = seat.state
        seat_id = seat.seat_id
        was, new = _FLAGS[old], _FLAGS[state]
        if was is not new:  # the seat joins or leaves the working/staffed counts of its queues
            dw = new[0] - was[0]
            dl = new[1] - was[1]
            for q in self._routable[seat_id]:
                q.working += dw
                if dl:
                    q.staffed += dl
                    if dl < 0 and q.staffed == 0:
                        q.noseat_token += 1
                        if q.cfg.overflow_when_no_seat:
                            grace = self.config.no_seat_grace_s
                            self._schedule(at + grace, _NOSEAT, q, q.noseat_token, grace)
                    elif dl > 0 and q.staffed == 1:
                        q.noseat_token += 1
        if old is _RESERVED:
            del self._reserved[seat_id]
        if state is _RESERVED:
            self._reserved[seat_id] = seat
        seat.state = state
        seat.reason = reason
        seat.since = at
        seat.version += 1
        change = SeatStateChanged(seat_id, state, reason, at, session_id)
        seat.history.append(change)
        out.append(change)

    def _index_ready(self, seat: Seat) -> None:
        token = next(self._seq)
        seat.ready_token = token
        since = seat.ready_since
        for skill in seat.skills.values():
            q = self._queues[skill.queue_id]
            choice = q.cfg.seat_choice
            if choice == "longest_idle":
                entry = (since, 0.0, token, seat)
            elif choice == "fewest_calls":
                entry = (seat.calls_today, since, token, seat)
            else:
                entry = (-skill.proficiency, since, token, seat)
            heap = q.ready[skill.role]
            heapq.heappush(heap, entry)
            if len(heap) > 2 * q.skilled + 16:
                heap[:] = [e for e in heap if e[3].state is _READY and e[3].ready_token == e[2]]
                heapq.heapify(heap)

    def _best_seat(self, q: _Queue, roles: tuple[SkillRole, ...]) -> Seat | None:
        for role in roles:
            heap = q.ready[role]
            while heap:
                entry = heap[0]
                seat = entry[3]
                if seat.state is _READY and seat.ready_token == entry[2]:
                    return seat
                heapq.heappop(heap)
        return None

    def _dispatch_seat(self, seat: Seat, at: float, out: list[Decision]) -> None:
        """The seat is free: offer it the first customer waiting for it by name, else the best head among its queues,
        else make it ready."""
        if seat.held and self._offer_held(seat, at, out):
            return
        best: tuple[Any, ...] | None = None  # the best head's heap entry
        best_q: _Queue | None = None
        best_neg = 0.0
        for q in self._routable[seat.seat_id]:
            entry = q.head  # the live first entry (see _head)
            if entry is None:
                continue
            # rank (tier, -live score, arrival, order), field by field: entry[1] is -key, and
            # -key - w_age*now == -(key + w_age*now) exactly (negation is exact in IEEE arithmetic)
            neg = entry[1] - q.w_age * at
            if best is not None:
                if entry[0] != best[0]:
                    if entry[0] > best[0]:
                        continue
                elif neg > best_neg or (neg == best_neg and (entry[2], entry[3]) >= (best[2], best[3])):
                    continue
            best, best_q, best_neg = entry, q, neg
        if best_q is not None:
            customer = self._pop_top(best_q)[5]
            self._head(best_q)
            best_q.waiting -= 1
            customer.heap_token = 0
            self._changed.add(best_q.qid)
            self._reserve(seat, customer, _KIND_CUSTOMER, at, out)
            return
        if seat.state is not _READY:
            self._set_seat(seat, _READY, None, at, out)
            seat.ready_since = at
            self._index_ready(seat)

    def _reserve(self, seat: Seat, customer: Customer, kind: OfferKind, at: float, out: list[Decision]) -> None:
        """Ring ``seat`` for ``customer`` (for ``CONSULT``: into the customer's running call)."""
        session_id = customer.session_id
        if kind is not _KIND_CONSULT:
            customer.state = _OFFERED
            customer.seat_id = seat.seat_id
            customer.offered_at = at
        seat.session_id = session_id
        seat.offer_kind = kind
        self._set_seat(seat, _RESERVED, None, at, out, session_id)
        queue_id = customer.queue_id
        timeout = self._queues[queue_id].ring_timeout_s
        deadline = seat.ring_deadline = at + timeout
        if deadline < self._ring_due:
            self._ring_due = deadline
            if deadline < self._wake:
                self._wake = deadline
        out.append(OfferCall(session_id, seat.seat_id, queue_id, kind, timeout, customer.arrival))

    def _seat_free(self, seat: Seat, at: float, out: list[Decision]) -> None:
        """The seat finished (wrap-up over, offer withdrawn, consult over): not-ready if asked, else dispatch."""
        seat.session_id = None
        seat.offer_kind = None
        if seat.pending_not_ready:
            reason, seat.pending_not_ready = seat.pending_not_ready, None
            self._set_seat(seat, _NOT_READY, reason, at, out)
        else:
            self._dispatch_seat(seat, at, out)

    def _withdraw(
        self, seat: Seat, customer: Customer, at: float, out: list[Decision], reason: str, message: str
    ) -> None:
        """Void a ringing customer offer because of the customer; the seat is free again."""
        out.append(WithdrawOffer(customer.session_id, seat.seat_id, reason, message))
        customer.seat_id = None
        customer.state = _DISCONNECTED  # transient: not waiting, not offered
        self._seat_free(seat, at, out)

    def _release_reserved(
        self,
        seat: Seat,
        at: float,
        out: list[Decision],
        reason: str,
        state: SeatState,
        state_reason: str | None,
        *,
        withdraw: bool = True,
    ) -> None:
        """A reserved seat stops ringing because of the seat (timeout, decline, logout, drop): the seat takes
        ``state``; a customer goes back to their place, a consult invitation ends."""
        customer = self._customers.get(seat.session_id or "")
        kind = seat.offer_kind
        if withdraw and customer is not None:
            out.append(WithdrawOffer(customer.session_id, seat.seat_id, reason, _WITHDRAW_MESSAGES.get(reason, "")))
        seat.session_id = None
        seat.offer_kind = None
        if state is _NOT_READY and seat.pending_not_ready:
            state_reason, seat.pending_not_ready = seat.pending_not_ready, None
        self._set_seat(seat, state, state_reason, at, out)
        if customer is None:
            return
        if kind is _KIND_CONSULT:
            customer.consult_seat_id = None
            out.append(ConsultEnded(customer.session_id, seat.seat_id, reason))
        else:
            self._dispatch_customer(customer, self._queues[customer.queue_id], at, out)

    def _ring_timeout(self, seat: Seat, at: float, out: list[Decision], reason: str) -> None:
        self._release_reserved(seat, at, out, reason, _NOT_READY, "no_answer")

    def _drop_seat(self, seat: Seat, at: float, out: list[Decision], reason: str, state_reason: str) -> None:
        """The seat signs out or drops: see :meth:`seat_disconnected`; customers waiting for it by name go back to
        the front of their queues."""
        self._drop_seat_state(seat, at, out, reason, state_reason)
        if seat.held:
            for customer in self._held_customers(seat):
                self._end_hold(customer, at, out, "seat_offline")
            seat.held = None

    def _drop_seat_state(self, seat: Seat, at: float, out: list[Decision], reason: str, state_reason: str) -> None:
        seat.pending_not_ready = None
        if seat.state is _RESERVED:
            self._release_reserved(seat, at, out, reason, _OFFLINE, state_reason)
            return
        if seat.state is _IN_CALL:
            customer = self._customers.get(seat.session_id or "")
            kind = seat.offer_kind
            seat.session_id = None
            seat.offer_kind = None
            self._set_seat(seat, _OFFLINE, state_reason, at, out)
            if customer is None:
                return
            if kind is _KIND_CONSULT:
                customer.consult_seat_id = None
                out.append(ConsultEnded(customer.session_id, seat.seat_id, reason))
                return
            self._stop_consult(customer, at, out, "host_left")
            if self.config.seat_drop_in_call == "requeue":
                customer.tier = 0
                customer.entered_at = at
                self._dispatch_customer(customer, self._queues[customer.queue_id], at, out, front=True)
            else:
                customer.state = _ENDED
                self._customers.pop(customer.session_id, None)
                out.append(
                    SessionEnded(
                        customer.session_id,
                        EndReason.SEAT_DISCONNECTED,
                        "坐席连接中断，本次通话已结束，请重新取号。",
                        seat.seat_id,
                    )
                )
            return
        if seat.state is not _OFFLINE:
            self._set_seat(seat, _OFFLINE, state_reason, at, out)

    # --- waiting for a named seat (转接等待) -----

    def _hold(self, customer: Customer, seat: Seat, at: float, out: list[Decision]) -> None:
        """The customer waits for ``seat`` by name, for at most ``transfer_hold_s``."""
        customer.state = _HELD
        customer.seat_id = None
        customer.held_for = seat.seat_id
        customer.held_at = at
        token = customer.state_token = next(self._seq)
        if seat.held is None:
            seat.held = deque()
        seat.held.append((token, customer))
        hold_s = self.config.transfer_hold_s
        self._schedule(at + hold_s, _HOLD, customer, token, hold_s)
        position = len(self._held_customers(seat))
        minutes = max(1, round(hold_s / 60))
        out.append(
            HeldForSeat(
                customer.session_id,
                seat.seat_id,
                seat.name,
                customer.queue_id,
                position,
                hold_s,
                f"正在为您转接至坐席 {seat.name}，该坐席暂时忙碌，请稍候；"
                f"如约 {minutes} 分钟内未能接通，将为您优先安排其他坐席。",
            )
        )

    @staticmethod
    def _unhold(customer: Customer) -> None:
        """The customer no longer waits for their named seat (its line drops the entry when it comes first)."""
        customer.held_for = None
        customer.held_at = None

    @staticmethod
    def _held_customers(seat: Seat) -> list[Customer]:
        """The customers waiting for this seat by name now, first first."""
        if not seat.held:
            return []
        return [c for token, c in seat.held if c.state is _HELD and c.state_token == token]

    def _offer_held(self, seat: Seat, at: float, out: list[Decision]) -> bool:
        """Offer the free seat the first customer waiting for it by name; False when none is."""
        held = seat.held
        while held:
            token, customer = held.popleft()
            if customer.state is _HELD and customer.state_token == token:
                self._unhold(customer)
                self._reserve(seat, customer, _KIND_TRANSFER, at, out)
                return True
        return False

    def _end_hold(self, customer: Customer, at: float, out: list[Decision], reason: str) -> None:
        """Stop waiting for the named seat (hold time over, or the seat went offline): back to the front of the
        customer's queue, keeping their arrival time."""
        seat = self._seats[customer.held_for or ""]
        self._unhold(customer)
        customer.state = _DISCONNECTED  # transient: neither waiting nor held
        if reason == "timeout":
            message = f"坐席 {seat.name} 暂时无法接听，已为您转回原队列并优先安排其他坐席，请稍候。"
        else:
            message = f"坐席 {seat.name} 已离线，已为您转回原队列并优先安排其他坐席，请稍候。"
        out.append(HoldEnded(customer.session_id, seat.seat_id, customer.queue_id, reason, message))
        customer.tier = 0
        customer.entered_at = at
        self._dispatch_customer(customer, self._queues[customer.queue_id], at, out, front=True)

    def _end_leg(self, customer: Customer, at: float, out: list[Decision]) -> None:
        """The serving seat's part of the call is over (hang-up or transfer): record handle time, wrap up."""
        seat = self._seats[customer.seat_id or ""]
        q = self._queues[customer.queue_id]
        if customer.consult_seat_id is not None:
            self._stop_consult(customer, at, out, "call_ended")
        wrap_up = q.wrap_up_s
        handle = at - seat.since + wrap_up  # the wait estimator's handle time (QueueState.record_handle, inlined)
        times = q.handle_times
        if len(times) == q.window:
            q.handle_sum -= times[0]
        times.append(handle)
        q.handle_sum += handle
        seat.session_id = None
        seat.offer_kind = None
        customer.seat_id = None
        if wrap_up > 0:
            seat.wrap_queue = q.qid
            self._set_seat(seat, _WRAP_UP, None, at, out)
            self._schedule(at + wrap_up, _WRAP, seat, seat.version, wrap_up)
        elif seat.pending_not_ready:
            self._seat_free(seat, at, out)
        else:
            self._dispatch_seat(seat, at, out)

    def _end_call(self, customer: Customer, at: float, out: list[Decision], reason: EndReason, *, emit: bool) -> None:
        seat_id = customer.seat_id
        self._end_leg(customer, at, out)
        customer.state = _ENDED
        self._customers.pop(customer.session_id, None)
        if emit:
            out.append(SessionEnded(customer.session_id, reason, _END_MESSAGES.get(reason, "通话已结束。"), seat_id))

    def _stop_consult(self, customer: Customer, at: float, out: list[Decision], reason: str) -> None:
        expert_id = customer.consult_seat_id
        if expert_id is None:
            return
        customer.consult_seat_id = None
        expert = self._seats[expert_id]
        if expert.session_id != customer.session_id:
            return
        if expert.state is _RESERVED:
            out.append(WithdrawOffer(customer.session_id, expert_id, reason, "专家邀请已取消"))
        out.append(ConsultEnded(customer.session_id, expert_id, reason))
        self._seat_free(expert, at, out)

    # ---------------------------------------------------------------------------------------------------------------

    def _finish(self, out: list[Decision]) -> list[Decision]:
        if self._changed:
            self._positions_changed(out)
        return out

    def _positions_changed(self, out: list[Decision]) -> None:
        """One PositionsChanged per queue whose order changed (and PositionUpdates with ``expand_positions``)."""
        changed = self._changed
        if len(changed) == 1 and not self.expand_positions:  # the usual case
            out.append(self._position_notices[changed.pop()])
            return
        for qid in sorted(changed):
            out.append(self._position_notices[qid])
            if self.expand_positions:
                out.extend(self.queue_positions(qid))
        changed.clear()


_WITHDRAW_MESSAGES = {
    "ring_timeout": "振铃超时未接听，已转给其他坐席",
    "swept": "振铃超时未接听，已转给其他坐席",
    "seat_logout": "坐席已签出",
    "seat_disconnected": "坐席连接中断",
}

_END_MESSAGES = {
    EndReason.CUSTOMER_DISCONNECTED: "客户连接中断，通话已结束。",
    EndReason.SERVER_RESTART: "服务重启，本次通话已结束，请重新取号。",
}
