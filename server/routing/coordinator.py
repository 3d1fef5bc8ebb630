"""The call coordinator with the routing engine's features (排队机): the server's default coordinator.

:class:`RoutedCoordinator` extends :class:`server.calls.CallCoordinator` (which stays the authority for seat states,
ring timeouts and customer grace) with what the plain ``CallQueue`` interface cannot carry:

* every seat state change is timestamped and kept (``seat_state_history``) and fed to the wallboard;
* wrap-up (话后处理) has a length (``settings.wrap_up_s`` or the queue's ``wrap_up_s``) after which the seat is ready
  again (``after_wrap_up = "ready"``) or stays in wrap-up (``"stay"``);
* not-ready reason codes are checked against the routing configuration;
* seats sign in to the engine with their stored skills when they connect, and sign out when they drop;
* the engine's other decisions: rejection ("please call back / book an appointment", ``call_ended``
  ``no_seat_available`` with the engine's Chinese message), overflow to another queue (``notice`` ``overflowed``),
  a seat dropping mid-call (the customer is re-queued at the front, ``notice`` ``requeued``, or the call fails;
  never both);
* the engine's timed rules (time overflow) on one timer at ``next_deadline()``;
* live position and the engine's wait estimate within the customer's queue;
* transfer to a queue or a named seat, and expert consult invitations (routing and signalling only: three-party
  media is not carried yet);
* a restart keeps each waiting customer's star level, queue and front-of-queue mark (from the sessions table), so
  their order survives.

With ``FifoQueue`` the routing-only parts are refused with a Chinese error and the rest works the same.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Callable
from typing import Any, Literal

import wire
from server.calls import CallCoordinator, Clock, LiveSession, OfferKind, Peer, SeatLink, utc_now
from server.db import Database, SessionStatus
from server.queueing import CallQueue, Offer, QueueEntry
from server.routing.adapter import RoutingCallQueue, RoutingNotice
from server.routing.model import RoutingError
from server.settings import Settings

logger = logging.getLogger(__name__)

DEFAULT_WRAP_UP_S = 30.0


class RoutedCoordinator(CallCoordinator):
    """See the module docstring.

    Args:
        db: the database.
        settings: server settings (wrap-up, ring timeout, grace).
        queue: a :class:`RoutingCallQueue` (all features) or any other ``CallQueue`` (FIFO).
        clock: current time.
    """

    def __init__(self, db: Database, settings: Settings, queue: CallQueue, clock: Clock = utc_now) -> None:
        super().__init__(db, settings, queue, clock)
        self.routing: RoutingCallQueue | None = queue if isinstance(queue, RoutingCallQueue) else None
        self.star_levels: dict[str, int] = {}
        """Star levels resolved server-side for sessions about to be created (by session id)."""
        self.state_listeners: list[Callable[[], None]] = []
        """Called after any seat state or queue change (the wallboard feed)."""
        self._wrap_timers: dict[str, asyncio.TimerHandle] = {}
        self._wrap_business: dict[str, str] = {}
        self._deadline_timer: asyncio.TimerHandle | None = None
        self._deadline_at: float | None = None
        self._consults: dict[str, str] = {}  # expert seat id -> session id (ringing or joined)
        self._pending_states: list[tuple[str, Any, str, str | None, str | None]] = []
        self._end_takes_message = "message" in inspect.signature(CallCoordinator._end).parameters
        if self.routing is not None:
            self.routing.set_star_source(self.star_for)
            self.routing.placement_for = self.placement_for

    # --- star levels and restore ------------------------------------------------------------------------------------

    def create_ticket(
        self,
        business_type: wire.BusinessType,
        customer_name: str,
        *,
        session_id: str | None = None,
        star_level: int = 0,
    ) -> wire.CreateTicketResponse:
        """Take a ticket; ``star_level`` (0-7) must come from the bank side, never from the customer's page."""
        if session_id is not None and star_level:
            self.star_levels[session_id] = max(0, min(7, int(star_level)))
        if session_id is None:
            return super().create_ticket(business_type, customer_name)
        return super().create_ticket(business_type, customer_name, session_id=session_id)  # type: ignore[call-arg]

    def star_for(self, entry: QueueEntry) -> int:
        """The star level of a session: resolved at ticket time, or as stored (after a restart)."""
        star = self.star_levels.pop(entry.session_id, None)
        if star is not None:
            self.db.update_session(entry.session_id, star_level=star)
            return star
        row = self.db.get_session(entry.session_id)
        return int(row.get("star_level") or 0) if row else 0

    def placement_for(self, entry: QueueEntry) -> tuple[str | None, bool]:
        """Queue and front-of-queue mark as stored (a restart after an overflow or transfer)."""
        row = self.db.get_session(entry.session_id)
        if row is None:
            return None, False
        return row.get("routing_queue"), bool(row.get("front_of_queue"))

    def ended_message(self, session_id: str) -> wire.CallEnded:
        """The CallEnded message for an ended session, with the stored Chinese message if there is one."""
        message = super().ended_message(session_id)
        row = self.db.get_session(session_id)
        if row and row.get("end_message"):
            return message.model_copy(update={"message": row["end_message"]})
        return message

    def shutdown(self) -> None:
        """Cancel timers; write pending state history."""
        self._flush_states()
        super().shutdown()
        for timer in self._wrap_timers.values():
            timer.cancel()
        if self._deadline_timer:
            self._deadline_timer.cancel()

    # --- seats ------------------------------------------------------------------------------------------------------

    def seat_connected(self, seat_id: str, display_name: str, peer: Peer, token_hash: str) -> None:
        """A seat connected: it signs in to the engine (not ready) with its stored skills."""
        super().seat_connected(seat_id, display_name, peer, token_hash)
        self._db_state(seat_id, wire.SeatState.NOT_READY, "login", None)
        if self.routing is not None:
            try:
                self._apply(self.routing.seat_signed_in(seat_id, display_name))
            except RoutingError as exc:
                logger.error("seat %s: cannot sign in to routing: %s", seat_id, exc.message)
                self._error(peer, exc.code, exc.message)
        self._notify()

    def _seat_gone(self, seat: SeatLink, reason: wire.EndReason) -> None:
        timer = self._wrap_timers.pop(seat.seat_id, None)
        if timer:
            timer.cancel()
        expert_of = self._consults.pop(seat.seat_id, None)
        if expert_of is not None:
            seat.session_id = None
            self._tell_host(expert_of, "ended", seat, "专家坐席连接中断,已退出协助")
        routing = self.routing
        live = self.sessions.get(seat.session_id or "")
        requeue = (
            routing is not None
            and reason == wire.EndReason.SEAT_DISCONNECTED
            and routing.config.seat_drop_in_call == "requeue"
            and live is not None
            and live.status == SessionStatus.CONNECTED
            and live.seat_id == seat.seat_id
        )
        if requeue and routing is not None and live is not None:
            offers = routing.seat_offline(seat.seat_id)
            self._requeue(live, seat, "seat_disconnected")
            seat.session_id = None
            super()._seat_gone(seat, reason)
            self._apply(offers)
        else:
            super()._seat_gone(seat, reason)
            if routing is not None:
                self._apply(routing.seat_offline(seat.seat_id))
        self._db_state(seat.seat_id, wire.SeatState.OFFLINE, reason.value, None)
        self._notify()

    def _change_state(self, seat: SeatLink, state: wire.SeatState, reason: str | None) -> None:
        super()._change_state(seat, state, reason)
        self._db_state(seat.seat_id, state, reason, seat.session_id)
        timer = self._wrap_timers.pop(seat.seat_id, None)
        if timer:
            timer.cancel()
        if state == wire.SeatState.WRAP_UP and self.settings.after_wrap_up == "ready":
            length = self._wrap_up_length(seat.seat_id)
            loop = asyncio.get_running_loop()
            self._wrap_timers[seat.seat_id] = loop.call_later(length, self._wrap_up_over, seat.seat_id, seat.peer)
        self._notify()

    def _wrap_up_length(self, seat_id: str) -> float:
        if self.settings.wrap_up_s is not None:
            return self.settings.wrap_up_s
        business = self._wrap_business.pop(seat_id, None)
        if self.routing is not None:
            return self.routing.wrap_up_s(None, business)
        return DEFAULT_WRAP_UP_S

    def _wrap_up_over(self, seat_id: str, peer: Peer) -> None:
        self._wrap_timers.pop(seat_id, None)
        seat = self.seats.get(seat_id)
        if seat is None or seat.peer is not peer or seat.state != wire.SeatState.WRAP_UP:
            return
        logger.info("seat %s: wrap-up over, ready again", seat_id)
        self._set_state(seat, wire.SeatSetState(state=wire.SeatState.READY, reason="wrap_up_over"))

    def _set_state(self, seat: SeatLink, message: wire.SeatSetState) -> None:
        if (
            self.routing is not None
            and message.state == wire.SeatState.NOT_READY
            and message.reason is not None
            and message.reason not in self.routing.config.not_ready_reasons
        ):
            allowed = "、".join(self.routing.config.not_ready_reasons)
            self._error(seat.peer, "bad_reason", f"示忙原因 {message.reason!r} 无效,可选:{allowed}")
            return
        if seat.seat_id in self._consults and seat.state == wire.SeatState.RESERVED:
            if message.state == wire.SeatState.READY:
                self._error(seat.peer, "ringing", "有来电正在振铃,请先接听或拒接", seat.session_id)
                return
            self._consult_failed(seat, "not_ready")
            self._change_state(seat, wire.SeatState.NOT_READY, message.reason)
            self._apply(self.queue.seat_unavailable(seat.seat_id))
            return
        super()._set_state(seat, message)
        if (
            self.routing is not None
            and message.state == wire.SeatState.NOT_READY
            and message.reason
            and seat.state == wire.SeatState.NOT_READY
        ):
            self._apply(self.routing.seat_unavailable(seat.seat_id, message.reason))

    # --- the engine's decisions -------------------------------------------------------------------------------------

    def _apply(self, offers: list[Offer]) -> None:
        routing = self.routing
        if routing is not None:
            for notice in routing.take_notices():
                self._carry_out(notice)
        for offer in offers:
            if offer.kind == "consult":
                self._ring_expert(offer)
            else:
                self._ring_seat(offer)
        if routing is not None:
            for notice in routing.take_notices():
                self._carry_out(notice)
            self._arm_deadline()

    def _offer_kind(self, offer: Offer) -> OfferKind:
        return "transfer" if offer.kind == "transfer" else "customer"

    def _persist_offer(self, live: LiveSession) -> None:
        """Also keep the queue the customer waits in, so a restart restores them to it in order."""
        queue_id = self.routing.queue_of(live.session_id) if self.routing is not None else None
        if queue_id is not None:
            self.db.update_session(live.session_id, status=SessionStatus.OFFERED, routing_queue=queue_id)
        else:
            self.db.update_session(live.session_id, status=SessionStatus.OFFERED)

    def _carry_out(self, notice: RoutingNotice) -> None:
        live = self.sessions.get(notice.session_id)
        if live is None:
            return
        if notice.kind == "rejected":
            self._event(live.session_id, "rejected", queue_id=notice.queue_id, **notice.detail)
            self.db.update_session(live.session_id, end_message=notice.message)
            self._end(live, wire.EndReason.NO_SEAT_AVAILABLE, notice.message)
        elif notice.kind == "overflowed":
            self._event(live.session_id, "overflowed", to_queue=notice.queue_id, **notice.detail)
            self.db.update_session(live.session_id, routing_queue=notice.queue_id)
            name = self._queue_name(notice.queue_id)
            if live.peer is not None:
                live.peer.send(wire.Notice(code="overflowed", message=f"当前排队人数较多,已为您转入「{name}」继续排队"))
        elif notice.kind == "failed" and live.status == SessionStatus.CONNECTED:
            self.db.update_session(live.session_id, end_message=notice.message)
            self._end(live, wire.EndReason.SEAT_DISCONNECTED, notice.message)
        elif notice.kind == "held":
            # transferred to a named seat that is busy: the customer waits for it (转接等待)
            self._event(live.session_id, "transfer_held", to_seat=notice.seat_id, **notice.detail)
            if live.peer is not None:  # "transferred": the page closes the call and shows the queue
                live.peer.send(wire.Notice(code="transferred", message=notice.message))
        elif notice.kind == "hold_ended":
            reason = str(notice.detail.get("reason", ""))
            self._event(live.session_id, "transfer_hold_ended", seat_id=notice.seat_id, reason=reason)
            if live.peer is not None:
                live.peer.send(wire.Notice(code="transfer_returned", message=notice.message))
            named = self.seats.get(notice.seat_id or "")
            if named is not None and reason == "timeout":
                named.peer.send(
                    wire.Notice(
                        code="transfer_returned",
                        message=f"转接给您的客户({live.customer_name or '客户'})等待超时，已转回原队列由其他坐席接待",
                    )
                )
        elif notice.kind == "consult_ended":
            expert = self.seats.get(notice.seat_id or "")
            if expert is not None and self._consults.get(expert.seat_id) == live.session_id:
                self._consults.pop(expert.seat_id, None)
                was_ringing = expert.state == wire.SeatState.RESERVED
                if expert.ring_timer:
                    expert.ring_timer.cancel()
                    expert.ring_timer = None
                expert.session_id = None
                status: Literal["declined", "ended"] = "declined" if was_ringing else "ended"
                text = "专家邀请已取消" if was_ringing else "专家协助已结束"
                expert.peer.send(
                    wire.ConsultStatus(session_id=live.session_id, status=status, seat_id=expert.seat_id, message=text)
                )
                self._change_state(expert, wire.SeatState.READY, None)
                self._tell_host(live.session_id, status, expert, text)
            self._event(live.session_id, "consult_ended", seat_id=notice.seat_id, **notice.detail)

    def _queue_name(self, queue_id: str | None) -> str:
        if self.routing is None or queue_id is None:
            return queue_id or ""
        q = self.routing.source_config.queues.get(queue_id)
        return q.name if q is not None else queue_id

    def _arm_deadline(self) -> None:
        routing = self.routing
        if routing is None:
            return
        deadline = routing.next_deadline()
        if deadline is None or deadline == self._deadline_at:
            return
        if self._deadline_timer:
            self._deadline_timer.cancel()
        self._deadline_at = deadline
        delay = max(0.0, deadline - self.clock().timestamp())
        self._deadline_timer = asyncio.get_running_loop().call_later(min(delay, 3600.0), self._deadline_due)

    def _deadline_due(self) -> None:
        self._deadline_timer = None
        self._deadline_at = None
        if self.routing is None:
            return
        self.sweep()
        self._apply(self.routing.tick())
        self._push_queue_status()

    def sweep(self) -> int:
        """The sweeper (runs with the engine's timer, every ``sweep_interval_s``): a seat left ringing without a
        ring timer (nothing should ever do that) is released as a ring timeout, with a ``swept`` trail event.
        Returns how many were released."""
        released = 0
        for seat in list(self.seats.values()):
            sid = seat.session_id
            if seat.state != wire.SeatState.RESERVED or seat.ring_timer is not None or sid is None:
                continue
            logger.error("seat %s: reserved for %s without a ring timer; released by the sweeper", seat.seat_id, sid)
            self._event(sid, "swept", seat_id=seat.seat_id)
            released += 1
            if seat.seat_id in self._consults:
                self._consult_timeout(seat.seat_id, sid)
            else:
                self._ring_timeout(seat.seat_id, sid)
        return released

    # --- positions --------------------------------------------------------------------------------------------------

    def _push_queue_status(self) -> None:
        routing = self.routing
        if routing is None:
            super()._push_queue_status()
            self._notify()
            return
        waiting_total = len(self.queue.entries())
        positions = routing.queue_positions()
        for live in self.sessions.values():
            if live.peer is None or live.status == SessionStatus.CONNECTED:
                continue
            pos = positions.get(live.session_id)
            if pos is None:
                continue
            estimate = None if pos.estimated_wait_s is None else float(round(pos.estimated_wait_s))
            status = (pos.position, pos.waiting, estimate)
            if live.last_status != status:
                live.last_status = status
                live.peer.send(
                    wire.QueueStatus(
                        session_id=live.session_id,
                        position=pos.position,
                        waiting=pos.waiting,
                        estimated_wait_s=estimate,
                    )
                )
        for seat in self.seats.values():
            self._push_seat_stats(seat, waiting_total)
        self._notify()

    # --- calls: end, requeue, transfer, consult ---------------------------------------------------------------------

    def _end(self, live: LiveSession, reason: wire.EndReason, message: str | None = None) -> None:
        if live.seat_id:
            self._wrap_business[live.seat_id] = live.business_type
        for expert_id, sid in list(self._consults.items()):
            if sid == live.session_id:
                expert = self.seats.get(expert_id)
                self._consults.pop(expert_id, None)
                if expert is not None:
                    if expert.ring_timer:
                        expert.ring_timer.cancel()
                        expert.ring_timer = None
                    expert.session_id = None
                    expert.peer.send(
                        wire.ConsultStatus(
                            session_id=sid, status="ended", seat_id=expert_id, message="通话已结束,专家协助结束"
                        )
                    )
                    self._change_state(expert, wire.SeatState.READY, None)
        if message is None:
            super()._end(live, reason)
        elif self._end_takes_message:
            super()._end(live, reason, message)  # type: ignore[call-arg]
        else:
            if live.peer is not None:
                live.peer.send(wire.Notice(code=reason.value, message=message))
            super()._end(live, reason)

    def _requeue(self, live: LiveSession, seat: SeatLink, why: str) -> None:
        """A connected customer waits again at the front (their seat dropped, or they were transferred)."""
        now = self.clock()
        if live.answered_at is not None:
            self.handle_times.append(max(0.0, (now - live.answered_at).total_seconds()))
        live.status = SessionStatus.WAITING
        live.seat_id = None
        live.answered_at = None
        live.last_status = None
        queue_id = self.routing.queue_of(live.session_id) if self.routing else None
        self.db.update_session(
            live.session_id, status=SessionStatus.WAITING, seat_id=None, front_of_queue=1, routing_queue=queue_id
        )
        self._event(live.session_id, "requeued", seat_id=seat.seat_id, reason=why, queue_id=queue_id)
        if live.peer is not None and why == "seat_disconnected":
            live.peer.send(wire.Notice(code="requeued", message="坐席连接中断,已为您优先重新排队,请稍候"))

    def handle_seat_message(self, seat_id: str, peer: Peer, raw: str | bytes) -> None:
        """Seat messages, with ``transfer`` and ``consult_invite`` handled here."""
        seat = self.seats.get(seat_id)
        if seat is not None and seat.peer is peer:
            try:
                message = wire.parse_seat_message(raw)
            except wire.ProtocolError:
                message = None
            if isinstance(message, wire.SeatTransfer):
                self._transfer(seat, message)
                self._notify()
                return
            if isinstance(message, wire.SeatConsultInvite):
                self._invite(seat, message)
                self._notify()
                return
        super().handle_seat_message(seat_id, peer, raw)

    def _owned_call(self, seat: SeatLink, session_id: str) -> LiveSession | None:
        live = self.sessions.get(session_id)
        if live is None or live.status != SessionStatus.CONNECTED or live.seat_id != seat.seat_id:
            self._error(seat.peer, "not_owner", "该会话不属于您或未在通话中", session_id)
            return None
        if self.routing is None:
            self._error(seat.peer, "unsupported", "当前排队方式(FIFO)不支持转接和专家协助", session_id)
            return None
        return live

    def _transfer(self, seat: SeatLink, message: wire.SeatTransfer) -> None:
        live = self._owned_call(seat, message.session_id)
        routing = self.routing
        if live is None or routing is None:
            return
        sid = live.session_id
        if message.seat_id is not None and message.seat_id not in self.seats:
            text = f"坐席 {message.seat_id} 未签入(离线)，无法转接；请选择其他坐席或转至队列"
            self._error(seat.peer, "seat_offline", text, sid)
            return
        try:
            if message.queue_id is not None:
                offers = routing.transfer_to_queue(sid, message.queue_id)
            else:
                offers = routing.transfer_to_seat(sid, message.seat_id or "")
        except RoutingError as exc:
            self._error(seat.peer, exc.code, exc.message, sid)
            return
        self._wrap_business[seat.seat_id] = live.business_type
        self._requeue(live, seat, "transfer")
        self._event(sid, "transferred", seat_id=seat.seat_id, to_queue=message.queue_id, to_seat=message.seat_id)
        held = routing.held_seat(sid) if message.seat_id is not None else None
        target_link = self.seats.get(message.seat_id or "")
        target_name = target_link.display_name if target_link is not None else message.seat_id
        target = self._queue_name(message.queue_id) if message.queue_id else f"坐席 {target_name}"
        if held is not None:
            # the named seat is busy: the customer waits for it (the customer is told by the "held" notice)
            hold_s = routing.config.transfer_hold_s
            text = (
                f"坐席 {target_name} 正忙，客户已在该坐席的转接等待队列中，坐席空闲后将优先接入；"
                f"{hold_s:.0f} 秒内未接入将回到原队列队首"
            )
            if target_link is not None:
                target_link.peer.send(
                    wire.Notice(
                        code="transfer_waiting",
                        message=f"坐席 {seat.display_name} 转接了一位客户({live.customer_name or '客户'})给您，"
                        f"正在等待您接听；您空闲(示闲)后将优先接入，最长保留 {hold_s:.0f} 秒",
                    )
                )
        else:
            text = f"已转接至{target}"
        seat.session_id = None
        seat.peer.send(
            wire.CallTransferred(session_id=sid, queue_id=message.queue_id, seat_id=message.seat_id, message=text)
        )
        self._change_state(seat, wire.SeatState.WRAP_UP, "transfer")
        if live.peer is not None and held is None:
            live.peer.send(wire.Notice(code="transferred", message=f"正在为您转接至{target},请稍候"))
        logger.info("session %s: transferred by seat %s to %s", sid, seat.seat_id, message.queue_id or message.seat_id)
        self._apply(offers)
        self._push_queue_status()

    def _invite(self, seat: SeatLink, message: wire.SeatConsultInvite) -> None:
        live = self._owned_call(seat, message.session_id)
        routing = self.routing
        if live is None or routing is None:
            return
        if message.seat_id is not None and message.seat_id not in self.seats:
            self._error(seat.peer, "seat_unavailable", f"坐席 {message.seat_id} 不在线", live.session_id)
            return
        try:
            offers = routing.invite_consult(live.session_id, message.seat_id, message.queue_id)
        except RoutingError as exc:
            self._error(seat.peer, exc.code, exc.message, live.session_id)
            return
        self._event(live.session_id, "consult_invited", seat_id=seat.seat_id, to_seat=message.seat_id)
        self._apply(offers)

    def _ring_expert(self, offer: Offer) -> None:
        expert = self.seats.get(offer.seat_id)
        live = self.sessions.get(offer.session_id)
        if expert is None or live is None or expert.state != wire.SeatState.READY:
            logger.error("session %s: consult offered to unusable seat %s", offer.session_id, offer.seat_id)
            if self.routing is not None:
                self.routing.end_consult(offer.session_id)
            return
        host = self.seats.get(live.seat_id or "")
        self._consults[expert.seat_id] = live.session_id
        expert.session_id = live.session_id
        self._change_state(expert, wire.SeatState.RESERVED, "consult")
        timeout = self.settings.ring_timeout_s
        expert.peer.send(
            wire.CallOffered(
                session_id=live.session_id,
                business_type=live.business_type,
                business_label=wire.business_label(live.business_type),
                customer_name=live.customer_name,
                queued_at=live.queued_at,
                ring_timeout_s=timeout,
                offer_kind="consult",
                invited_by=live.seat_id,
            )
        )
        expert.ring_timer = asyncio.get_running_loop().call_later(
            timeout, self._consult_timeout, expert.seat_id, live.session_id
        )
        self._event(live.session_id, "consult_offered", seat_id=expert.seat_id)
        if host is not None:
            self._tell_host(live.session_id, "ringing", expert, f"正在邀请专家坐席 {expert.display_name}")

    def _tell_host(self, session_id: str, status: str, expert: SeatLink, text: str) -> None:
        live = self.sessions.get(session_id)
        host = self.seats.get(live.seat_id or "") if live else None
        if host is not None and host.session_id == session_id:
            host.peer.send(
                wire.ConsultStatus(
                    session_id=session_id,
                    status=status,  # type: ignore[arg-type]
                    seat_id=expert.seat_id,
                    seat_name=expert.display_name,
                    message=text,
                )
            )

    def _consult_timeout(self, seat_id: str, session_id: str) -> None:
        expert = self.seats.get(seat_id)
        if expert is None or self._consults.get(seat_id) != session_id or expert.state != wire.SeatState.RESERVED:
            return
        expert.ring_timer = None
        self._consult_failed(expert, "no_answer")
        self._change_state(expert, wire.SeatState.NOT_READY, "no_answer")
        self._apply(self.queue.seat_unavailable(seat_id))

    def _consult_failed(self, expert: SeatLink, why: str) -> None:
        """A ringing consult invitation ends without the expert (declined, no answer, not ready)."""
        sid = self._consults.pop(expert.seat_id, None)
        if sid is None:
            return
        if expert.ring_timer:
            expert.ring_timer.cancel()
            expert.ring_timer = None
        expert.session_id = None
        expert.peer.send(wire.CallWithdrawn(session_id=sid, reason=why, message="专家邀请已撤回"))
        self._event(sid, "consult_declined", seat_id=expert.seat_id, reason=why)
        self._tell_host(sid, "declined", expert, f"专家坐席 {expert.display_name} 未接受邀请")
        if self.routing is not None:
            offers = self.routing.offer_failed(sid)
            self.routing.take_notices()  # the consult_ended it causes is handled here
            self._apply(offers)

    def _answer(self, seat: SeatLink, session_id: str) -> None:
        if self._consults.get(seat.seat_id) == session_id and seat.state == wire.SeatState.RESERVED:
            routing = self.routing
            assert routing is not None
            if seat.ring_timer:
                seat.ring_timer.cancel()
                seat.ring_timer = None
            offers = routing.consult_answered(session_id, seat.seat_id)
            self._change_state(seat, wire.SeatState.IN_CALL, "consult")
            self._event(session_id, "consult_joined", seat_id=seat.seat_id)
            seat.peer.send(
                wire.ConsultStatus(
                    session_id=session_id, status="joined", seat_id=seat.seat_id, message="已加入专家协助"
                )
            )
            self._tell_host(session_id, "joined", seat, f"专家坐席 {seat.display_name} 已加入")
            self._apply(offers)
            return
        super()._answer(seat, session_id)
        live = self.sessions.get(session_id)
        if live is not None and live.status == SessionStatus.CONNECTED and live.seat_id == seat.seat_id:
            self.db.update_session(session_id, front_of_queue=0)

    def _decline(self, seat: SeatLink, session_id: str) -> None:
        if self._consults.get(seat.seat_id) == session_id and seat.state == wire.SeatState.RESERVED:
            self._consult_failed(seat, "declined")
            self._change_state(seat, wire.SeatState.NOT_READY, "declined")
            self._apply(self.queue.seat_unavailable(seat.seat_id))
            return
        super()._decline(seat, session_id)

    def _seat_hangup(self, seat: SeatLink, session_id: str) -> None:
        if self._consults.get(seat.seat_id) == session_id and seat.state == wire.SeatState.IN_CALL:
            self._consults.pop(seat.seat_id, None)
            seat.session_id = None
            self._event(session_id, "consult_left", seat_id=seat.seat_id)
            seat.peer.send(
                wire.ConsultStatus(session_id=session_id, status="ended", seat_id=seat.seat_id, message="您已退出协助")
            )
            self._tell_host(session_id, "ended", seat, f"专家坐席 {seat.display_name} 已退出协助")
            self._change_state(seat, wire.SeatState.READY, None)
            offers: list[Offer] = []
            if self.routing is not None:
                offers = self.routing.end_consult(session_id)
                self.routing.take_notices()
            self._apply(offers)
            return
        super()._seat_hangup(seat, session_id)

    # --- persistence and observers ----------------------------------------------------------------------------------

    def _db_state(self, seat_id: str, state: wire.SeatState, reason: str | None, session_id: str | None) -> None:
        """Keep a timestamped state change; written at the end of this loop turn (after the messages it causes are
        queued), all of a turn's changes in one transaction."""
        self._pending_states.append((seat_id, self.clock(), state.value, reason, session_id))
        if len(self._pending_states) == 1:
            try:
                asyncio.get_running_loop().call_soon(self._flush_states)
            except RuntimeError:  # no loop (direct use in a test): write now
                self._flush_states()

    def _flush_states(self) -> None:
        pending, self._pending_states = self._pending_states, []
        try:
            with self.db.transaction():
                for seat_id, at, state, reason, session_id in pending:
                    self.db.append_seat_state(seat_id, at, state, reason, session_id)
        except Exception:  # pragma: no cover - the history must never break a call
            logger.exception("seat state history not written (%d changes)", len(pending))

    def flush(self) -> None:
        """Write pending state history now (shutdown, tests)."""
        self._flush_states()

    def _notify(self) -> None:
        for listener in list(self.state_listeners):
            try:
                listener()
            except Exception:  # pragma: no cover
                logger.exception("state listener failed")

    # --- queries for the admin API and the wallboard ----------------------------------------------------------------

    def seats_by_state(self) -> dict[str, int]:
        """Connected seats counted by state (offline ones are not connected)."""
        counts: dict[str, int] = {}
        for seat in self.seats.values():
            counts[seat.state.value] = counts.get(seat.state.value, 0) + 1
        return counts

    def seat_board(self) -> list[dict[str, Any]]:
        """Each connected seat: id, name, state, reason and session."""
        return [
            {
                "seat_id": s.seat_id,
                "display_name": s.display_name,
                "state": s.state.value,
                "reason": s.reason,
                "session_id": s.session_id,
            }
            for s in sorted(self.seats.values(), key=lambda s: s.seat_id)
        ]
