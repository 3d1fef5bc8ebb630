"""Call control and signalling (呼叫控制与信令), independent of any transport.

The WebSocket endpoints feed :class:`CallCoordinator` with connections and raw messages; it keeps the seats' states,
asks the queue for decisions, offers calls, settles answer races, relays SDP/ICE between exactly the customer and the
seat of a session, ends sessions, and writes every step to the session record and trail immediately.

All state changes happen synchronously on the event loop thread (no ``await`` between a check and its update), so an
answer race has exactly one winner. Messages go out through :class:`Peer.send`, which only enqueues.
"""

from __future__ import annotations

import asyncio
import logging
import math
import unicodedata
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum
from typing import Any, Literal, Protocol

from pydantic import BaseModel

import wire
from server.db import NO_CALL_ROLES, Database, SessionStatus, parse_iso
from server.queueing import CallQueue, Offer, QueueEntry
from server.security import hash_token, new_session_id, new_token, token_matches
from server.settings import Settings
from server.versions import VersionDecision, decide

OfferKind = Literal["customer", "transfer", "consult"]
"""What a seat is rung for (``wire.CallOffered.offer_kind``)."""

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


# WebSocket close codes (4000-4999 are for applications).
CLOSE_NORMAL = 1000
CLOSE_BAD_TOKEN = 4401
CLOSE_UNKNOWN_SESSION = 4404
CLOSE_REPLACED = 4409
CLOSE_SESSION_ENDED = 4410

END_MESSAGES: dict[wire.EndReason, str] = {
    wire.EndReason.CUSTOMER_HANGUP: "客户已挂断,通话结束",
    wire.EndReason.SEAT_HANGUP: "坐席已挂断,通话结束",
    wire.EndReason.CUSTOMER_DISCONNECTED: "客户网络连接已断开,通话结束",
    wire.EndReason.SEAT_DISCONNECTED: "坐席网络连接已断开,通话结束,请重新取号",
    wire.EndReason.CUSTOMER_LEFT_QUEUE: "您已离开排队",
    wire.EndReason.NO_SEAT_AVAILABLE: "当前暂无坐席可以受理,请稍后再来",
    wire.EndReason.SERVER_RESTART: "服务器已重启,会话已结束,请重新取号",
    wire.EndReason.FAILED: "会话异常结束,请重新取号",
}

NO_SEAT_ONLINE = wire.Notice(code="no_seat_online", message="当前暂无坐席在线,请您稍候或稍后再来")
SEAT_ONLINE = wire.Notice(code="seat_online", message="坐席已上线,请耐心等待")


def clean_customer_name(name: str) -> str:
    """A customer-supplied name made safe to show anywhere: control/format characters become spaces, runs of
    whitespace collapse, and markup-looking angle brackets are removed (Qt labels may otherwise render rich text)."""
    cleaned = "".join(" " if unicodedata.category(ch) in {"Cc", "Cf", "Zl", "Zp"} else ch for ch in name)
    cleaned = cleaned.replace("<", "").replace(">", "")
    return " ".join(cleaned.split())


HANDLE_TIME_SAMPLES = 20
"""Recent calls whose handle time (answered to ended) feeds the wait estimate."""

SERVING_STATES = frozenset(
    {wire.SeatState.READY, wire.SeatState.RESERVED, wire.SeatState.IN_CALL, wire.SeatState.WRAP_UP}
)


class Peer(Protocol):
    """One connected party as the coordinator sees it: it can be sent messages and be closed."""

    def send(self, message: BaseModel) -> None:
        """Queue a message for delivery, in order; never blocks."""
        ...

    def close(self, code: int, reason: str) -> None:
        """Close the connection after the messages already queued."""
        ...


class CustomerAuth(Enum):
    """Outcome of checking a customer's session id and token."""

    OK = "ok"
    UNKNOWN_SESSION = "unknown_session"
    BAD_TOKEN = "bad_token"
    ENDED = "ended"


@dataclass
class SeatLink:
    """A seat connected over its WebSocket."""

    seat_id: str
    display_name: str
    peer: Peer
    token_hash: str
    state: wire.SeatState = wire.SeatState.NOT_READY
    reason: str | None = None
    session_id: str | None = None  # offered (RESERVED) or current (IN_CALL) session
    ring_timer: asyncio.TimerHandle | None = None
    last_stats: int | None = None
    version: VersionDecision | None = None
    """The client-version verdict for this connection (灰度升级); below the minimum it may not go ready."""


@dataclass
class LiveSession:
    """A session not yet ended: waiting, offered or connected."""

    session_id: str
    business_type: str
    customer_name: str
    queued_at: datetime
    status: str = SessionStatus.WAITING
    seat_id: str | None = None
    peer: Peer | None = None
    grace_timer: asyncio.TimerHandle | None = None
    answered_at: datetime | None = None
    last_status: tuple[int, int, float | None] | None = field(default=None)


class CallCoordinator:
    """Seats, waiting customers and calls.

    Args:
        db: the database; every step is persisted immediately.
        settings: ring timeout and customer grace period are read from here.
        queue: routing decisions (FIFO now, the routing engine later).
        clock: current time (tests may pass a controllable one).
    """

    def __init__(self, db: Database, settings: Settings, queue: CallQueue, clock: Clock = utc_now) -> None:
        self.db = db
        self.settings = settings
        self.queue = queue
        self.clock = clock
        self.seats: dict[str, SeatLink] = {}
        self.sessions: dict[str, LiveSession] = {}
        self.handle_times: deque[float] = deque(maxlen=HANDLE_TIME_SAMPLES)
        self.session_end_hooks: list[Callable[[str], None]] = []
        """Called with the session id after a session ended (the identity gates forget its state)."""

    # --- start and stop --------------------------------------------------------------------------------------------

    def restore(self) -> None:
        """After a (re)start: close calls a crash left open, and put waiting customers back in their places.

        Connected calls cannot survive a restart (the media path and both sockets are gone): they end with
        ``server_restart``. Customers who were waiting, or whose call was only ringing, keep their place and have
        ``customer_grace_s`` to reconnect with their token.
        """
        now = self.clock()
        self.handle_times.extend(reversed(self.db.recent_handle_times(HANDLE_TIME_SAMPLES)))
        for row in self.db.sessions_with_status(SessionStatus.CONNECTED):
            sid = row["session_id"]
            self.db.update_session(
                sid, status=SessionStatus.ENDED, ended_at=now, end_reason=wire.EndReason.SERVER_RESTART.value
            )
            self._event(sid, "ended", reason=wire.EndReason.SERVER_RESTART.value, seat_id=row["seat_id"])
            logger.warning("session %s: call left open by a previous run closed (server_restart)", sid)
        for row in self.db.sessions_with_status(SessionStatus.WAITING, SessionStatus.OFFERED):
            sid = row["session_id"]
            if row["status"] == SessionStatus.OFFERED:
                self.db.update_session(sid, status=SessionStatus.WAITING)
                self._event(sid, "offer_withdrawn", reason=wire.EndReason.SERVER_RESTART.value)
            queued_at = parse_iso(row["queued_at"])
            assert queued_at is not None
            live = LiveSession(sid, row["business_type"], row["customer_name"], queued_at)
            self.sessions[sid] = live
            self._event(sid, "restored", position=None)
            self._start_grace(live)
            self._apply(self.queue.customer_arrived(QueueEntry(sid, live.business_type, queued_at, live.customer_name)))
            logger.info("session %s: waiting customer restored after restart", sid)

    def shutdown(self) -> None:
        """Cancel timers (the server is stopping; sessions stay as persisted)."""
        for seat in self.seats.values():
            if seat.ring_timer:
                seat.ring_timer.cancel()
        for live in self.sessions.values():
            if live.grace_timer:
                live.grace_timer.cancel()

    # --- customers -------------------------------------------------------------------------------------------------

    def create_ticket(
        self, business_type: wire.BusinessType, customer_name: str, *, session_id: str | None = None
    ) -> wire.CreateTicketResponse:
        """A customer takes a ticket (取号): a waiting session, placed in the queue, until their page connects.

        ``session_id`` is the id the passed pre-check reserved (its trail is already under that id); a new one
        otherwise.
        """
        now = self.clock()
        sid = session_id or new_session_id()
        token = new_token()
        name = clean_customer_name(customer_name)
        self.db.create_session(sid, business_type.value, name, hash_token(token), now)
        self._event(sid, "queued", business_type=business_type.value)
        live = LiveSession(sid, business_type.value, name, now)
        self.sessions[sid] = live
        self._start_grace(live)
        self._apply(self.queue.customer_arrived(QueueEntry(sid, live.business_type, now, name)))
        logger.info("session %s: ticket taken for %s", sid, business_type.value)
        return wire.CreateTicketResponse(
            session_id=sid, customer_token=token, websocket_path=f"/ws/customer/{sid}?token={token}"
        )

    def authenticate_customer(self, session_id: str, token: str) -> CustomerAuth:
        """Check a customer's session id and token."""
        row = self.db.get_session(session_id)
        if row is None:
            return CustomerAuth.UNKNOWN_SESSION
        if not token or not token_matches(token, row["customer_token_hash"]):
            return CustomerAuth.BAD_TOKEN
        if row["status"] == SessionStatus.ENDED or session_id not in self.sessions:
            return CustomerAuth.ENDED
        return CustomerAuth.OK

    def ended_message(self, session_id: str) -> wire.CallEnded:
        """The CallEnded message for an already ended session."""
        row = self.db.get_session(session_id)
        try:
            reason = wire.EndReason(row["end_reason"] if row else "failed")
        except ValueError:
            reason = wire.EndReason.FAILED
        return wire.CallEnded(session_id=session_id, reason=reason, message=END_MESSAGES[reason])

    def customer_connected(self, session_id: str, peer: Peer) -> None:
        """The customer's page connected (after :meth:`authenticate_customer` said OK).

        A second connection for the same ticket replaces the first (closed with 4409). If that happens during a
        call, the call ends as ``customer_disconnected``: the new page has no media path to the seat, exactly as if
        the old one had dropped first.
        """
        live = self.sessions[session_id]
        old = live.peer
        if old is not None and old is not peer:
            if live.status == SessionStatus.CONNECTED:
                self._event(session_id, "customer_replaced", status=live.status)
                self._end(live, wire.EndReason.CUSTOMER_DISCONNECTED)
                peer.send(self.ended_message(session_id))
                peer.close(CLOSE_SESSION_ENDED, "会话已结束")
                return
            live.peer = None
            old.close(CLOSE_REPLACED, "已在其他页面打开")
        live.peer = peer
        live.last_status = None
        if live.grace_timer:
            live.grace_timer.cancel()
            live.grace_timer = None
        self._event(session_id, "customer_connected", status=live.status)
        logger.info("session %s: customer page connected (%s)", session_id, live.status)
        if not self.seats:
            peer.send(NO_SEAT_ONLINE)
        self._apply(self.queue.customer_presence(session_id, True))
        self._push_queue_status()

    def customer_disconnected(self, session_id: str, peer: Peer, server_stopping: bool = False) -> None:
        """The customer's page connection closed (for any reason).

        Args:
            session_id: the customer's session.
            peer: the connection that closed (ignored if it was already replaced).
            server_stopping: the server itself is shutting down: a call ends with ``server_restart``, and a waiting
                customer keeps their place for the next start.
        """
        live = self.sessions.get(session_id)
        if live is None or live.peer is not peer:
            return  # already ended, or replaced by a newer connection
        live.peer = None
        self._event(session_id, "customer_disconnected", status=live.status)
        logger.info("session %s: customer page disconnected (%s)", session_id, live.status)
        if live.status == SessionStatus.CONNECTED:
            reason = wire.EndReason.SERVER_RESTART if server_stopping else wire.EndReason.CUSTOMER_DISCONNECTED
            self._end(live, reason)
            return
        # Absent first, so the freed seat is not rung again for this customer.
        offers = self.queue.customer_presence(session_id, False)
        if live.status == SessionStatus.OFFERED:
            seat_id = self.queue.offered_seat(session_id)
            offers += self._back_to_waiting(live, seat_id, "customer_absent")
            offers += self._release_seat(seat_id, session_id, "customer_absent", "客户网络连接中断,来电已撤回", True)
        self._start_grace(live)
        self._apply(offers)
        self._push_queue_status()

    def handle_customer_message(self, session_id: str, peer: Peer, raw: str | bytes) -> None:
        """One message from a customer's page."""
        live = self.sessions.get(session_id)
        if live is None or live.peer is not peer:
            peer.send(wire.ErrorMessage(code="session_ended", message="会话已结束", session_id=session_id))
            return
        try:
            message = wire.parse_customer_message(raw)
        except wire.ProtocolError as exc:
            self._protocol_error(peer, session_id, exc)
            return
        if isinstance(message, wire.CustomerHangup | wire.LeaveQueue):
            if live.status == SessionStatus.CONNECTED:
                self._end(live, wire.EndReason.CUSTOMER_HANGUP)
            else:
                self._end(live, wire.EndReason.CUSTOMER_LEFT_QUEUE)
            return
        # SDP or ICE: only inside a connected call, and only towards that call's seat.
        seat = self.seats.get(live.seat_id or "")
        if live.status != SessionStatus.CONNECTED or seat is None or seat.session_id != session_id:
            self._error(peer, "not_connected", "通话尚未接通,无法发送音视频协商消息", session_id)
            return
        seat.peer.send(message.model_copy(update={"session_id": session_id}))
        if isinstance(message, wire.SessionDescription):
            self._event(session_id, "sdp", sender="customer", sdp_type=message.sdp_type)

    # --- seats -----------------------------------------------------------------------------------------------------

    def seat_connected(self, seat_id: str, display_name: str, peer: Peer, token_hash: str) -> None:
        """A seat's WebSocket is authenticated: it starts not ready (示忙)."""
        old = self.seats.get(seat_id)
        if old is not None:
            logger.info("seat %s: new connection replaces the old one", seat_id)
            self._seat_gone(old, wire.EndReason.SEAT_DISCONNECTED)
            old.peer.close(CLOSE_REPLACED, "该坐席已在其他地方登录")
        first_seat = not self.seats
        seat = SeatLink(seat_id, display_name, peer, token_hash, reason="login")
        seat.version = self.client_version_decision(seat_id, token_hash)
        self.seats[seat_id] = seat
        peer.send(wire.Welcome(seat_id=seat_id, display_name=display_name, state=seat.state, server_time=self.clock()))
        peer.send(wire.SeatStateChanged(state=seat.state, reason=seat.reason))
        if not seat.version.may_take_calls:
            logger.warning(
                "seat %s: client %s below minimum %s: may not go ready",
                seat_id,
                seat.version.client_version or "-",
                seat.version.minimum,
            )
            peer.send(wire.Notice(code="client_outdated", message=seat.version.message))
        self._push_queue_status()
        self._push_seat_stats(seat)
        logger.info("seat %s: connected", seat_id)
        if first_seat:
            for live in self._waiting():
                if live.peer:
                    live.peer.send(SEAT_ONLINE)

    def client_version_decision(self, seat_id: str, token_hash: str) -> VersionDecision:
        """The version verdict for a seat's connection, decided again from the version stored with its token.

        Decided at each (re)connect with the current policy, so a policy change applies at the next reconnect and
        the verdict survives a server restart.
        """
        return decide(self.settings.client_versions, seat_id, self.db.token_client_version(token_hash))

    def seat_disconnected(self, seat_id: str, peer: Peer, server_stopping: bool = False) -> None:
        """A seat's connection closed (``server_stopping``: because the server shuts down)."""
        seat = self.seats.get(seat_id)
        if seat is None or seat.peer is not peer:
            return
        logger.info("seat %s: disconnected (%s)", seat_id, seat.state.value)
        self._seat_gone(seat, wire.EndReason.SERVER_RESTART if server_stopping else wire.EndReason.SEAT_DISCONNECTED)

    def seat_logged_out(self, seat_id: str, token_hash: str) -> None:
        """The seat's token was revoked: close its connection if it used that token."""
        seat = self.seats.get(seat_id)
        if seat is not None and seat.token_hash == token_hash:
            self._seat_gone(seat, wire.EndReason.SEAT_HANGUP)
            seat.peer.close(CLOSE_BAD_TOKEN, "已签出")

    def handle_seat_message(self, seat_id: str, peer: Peer, raw: str | bytes) -> None:
        """One message from a seat client."""
        seat = self.seats.get(seat_id)
        if seat is None or seat.peer is not peer:
            peer.send(wire.ErrorMessage(code="not_connected", message="连接已失效,请重新登录"))
            return
        try:
            message = wire.parse_seat_message(raw)
        except wire.ProtocolError as exc:
            self._protocol_error(peer, None, exc)
            return
        if isinstance(message, wire.SeatSetState):
            self._set_state(seat, message)
        elif isinstance(message, wire.SeatAnswerCall):
            self._answer(seat, message.session_id)
        elif isinstance(message, wire.SeatDeclineCall):
            self._decline(seat, message.session_id)
        elif isinstance(message, wire.SeatHangup):
            self._seat_hangup(seat, message.session_id)
        elif isinstance(message, wire.SessionDescription | wire.IceCandidate):
            self._relay_from_seat(seat, message)
        else:  # pragma: no cover - the wire union is closed
            self._error(peer, "unsupported", "不支持的消息类型")

    # --- seat actions ----------------------------------------------------------------------------------------------

    def _takes_no_calls(self, seat_id: str) -> bool:
        row = self.db.get_seat(seat_id)
        return row is not None and row.role in NO_CALL_ROLES

    def _set_state(self, seat: SeatLink, message: wire.SeatSetState) -> None:
        target = wire.SeatState(message.state)
        if target == wire.SeatState.READY and seat.version is not None and not seat.version.may_take_calls:
            # A seat that never becomes READY is never offered a call (queue offers and consults need READY).
            logger.info("seat %s: ready refused, client %s outdated", seat.seat_id, seat.version.client_version)
            self._error(seat.peer, "client_outdated", seat.version.message)
            return
        if target == wire.SeatState.READY and self._takes_no_calls(seat.seat_id):
            logger.info("seat %s: ready refused, its role takes no calls", seat.seat_id)
            self._error(seat.peer, "role_takes_no_calls", "稽核账号只能查询、回放和导出录像，不能示闲接听客户")
            return
        if seat.state == wire.SeatState.IN_CALL:
            self._error(seat.peer, "in_call", "通话中无法切换示闲/示忙状态", seat.session_id)
            return
        if seat.state == wire.SeatState.RESERVED:
            if target == wire.SeatState.READY:
                self._error(seat.peer, "ringing", "有来电正在振铃,请先接听或拒接", seat.session_id)
                return
            sid = seat.session_id or ""
            offers: list[Offer] = []
            live = self.sessions.get(sid)
            if live is not None:
                self._event(sid, "declined", seat_id=seat.seat_id, reason=message.reason or "not_ready")
                offers += self._back_to_waiting(live, seat.seat_id, "not_ready")
            self._release_seat(seat.seat_id, sid, "not_ready", "您已示忙,来电已转给其他坐席", False)
            self._change_state(seat, wire.SeatState.NOT_READY, message.reason)
            offers += self.queue.seat_unavailable(seat.seat_id)
            self._apply(offers)
            self._push_queue_status()
            return
        self._change_state(seat, target, message.reason)
        if target == wire.SeatState.READY:
            self._apply(self.queue.seat_ready(seat.seat_id))
        else:
            self._apply(self.queue.seat_unavailable(seat.seat_id))
        self._push_queue_status()

    def _answer(self, seat: SeatLink, session_id: str) -> None:
        live = self.sessions.get(session_id)
        if live is None:
            row = self.db.get_session(session_id)
            if row is None:
                self._error(seat.peer, "unknown_session", "会话不存在", session_id)
            else:
                self._error(seat.peer, "session_ended", "该会话已结束,无法接听", session_id)
            return
        if live.status == SessionStatus.CONNECTED:
            if live.seat_id == seat.seat_id:
                self._error(seat.peer, "already_answered", "您已接听该来电,请勿重复操作", session_id)
            else:
                self._error(seat.peer, "call_taken", "该来电已由其他坐席接听", session_id)
            self._event(session_id, "answer_refused", seat_id=seat.seat_id, status=live.status)
            return
        if (
            live.status != SessionStatus.OFFERED
            or seat.state != wire.SeatState.RESERVED
            or seat.session_id != session_id
        ):
            self._error(seat.peer, "not_offered", "该来电未分配给您,无法接听", session_id)
            self._event(session_id, "answer_refused", seat_id=seat.seat_id, status=live.status)
            return
        # The check above and the updates below run without yielding: exactly one seat can get here.
        now = self.clock()
        if seat.ring_timer:
            seat.ring_timer.cancel()
            seat.ring_timer = None
        live.status = SessionStatus.CONNECTED
        live.seat_id = seat.seat_id
        live.answered_at = now
        self.db.update_session(session_id, status=SessionStatus.CONNECTED, seat_id=seat.seat_id, answered_at=now)
        self._event(session_id, "answered", seat_id=seat.seat_id)
        self._change_state(seat, wire.SeatState.IN_CALL, None)
        seat.peer.send(wire.CallAnswered(session_id=session_id))
        if live.peer:
            live.peer.send(wire.CallConnected(session_id=session_id, seat_id=seat.seat_id, seat_name=seat.display_name))
        logger.info("session %s: answered by seat %s", session_id, seat.seat_id)
        self._apply(self.queue.offer_accepted(session_id))
        self._push_queue_status()

    def _decline(self, seat: SeatLink, session_id: str) -> None:
        live = self.sessions.get(session_id)
        if live is None or seat.session_id != session_id or seat.state != wire.SeatState.RESERVED:
            self._error(seat.peer, "not_offered", "该来电未分配给您,无法拒接", session_id)
            return
        self._event(session_id, "declined", seat_id=seat.seat_id)
        logger.info("session %s: declined by seat %s", session_id, seat.seat_id)
        offers = self._back_to_waiting(live, seat.seat_id, "declined")
        self._release_seat(seat.seat_id, session_id, "declined", "您已拒接该来电", False)
        self._change_state(seat, wire.SeatState.NOT_READY, "declined")
        offers += self.queue.seat_unavailable(seat.seat_id)
        self._apply(offers)
        self._push_queue_status()

    def _seat_hangup(self, seat: SeatLink, session_id: str) -> None:
        live = self.sessions.get(session_id)
        if live is None or live.seat_id != seat.seat_id or live.status != SessionStatus.CONNECTED:
            code, text = ("not_owner", "该会话不属于您,无法挂断") if live else ("unknown_session", "会话不存在或已结束")
            self._error(seat.peer, code, text, session_id)
            return
        self._end(live, wire.EndReason.SEAT_HANGUP)

    def _relay_from_seat(self, seat: SeatLink, message: wire.SessionDescription | wire.IceCandidate) -> None:
        sid = message.session_id
        if sid is None:
            self._error(seat.peer, "missing_session_id", "音视频协商消息缺少 session_id")
            return
        live = self.sessions.get(sid)
        if live is None or live.status != SessionStatus.CONNECTED or live.seat_id != seat.seat_id:
            if live is None and self.db.get_session(sid) is None:
                self._error(seat.peer, "unknown_session", "会话不存在", sid)
            else:
                self._error(seat.peer, "not_owner", "该会话不属于您或未在通话中,消息已拒绝", sid)
                self._event(sid, "relay_refused", seat_id=seat.seat_id, message_type=message.type)
            logger.warning("session %s: seat %s sent %s for a session it does not own", sid, seat.seat_id, message.type)
            return
        if live.peer is None:
            self._error(seat.peer, "customer_offline", "客户连接已断开", sid)
            return
        live.peer.send(message)
        if isinstance(message, wire.SessionDescription):
            self._event(sid, "sdp", sender="seat", sdp_type=message.sdp_type)

    # --- internals -------------------------------------------------------------------------------------------------

    def _apply(self, offers: list[Offer]) -> None:
        """Carry out the queue's decisions: ring each chosen seat."""
        for offer in offers:
            self._ring_seat(offer)

    def _ring_seat(self, offer: Offer) -> None:
        """Ring the chosen seat for a waiting customer (振铃) and arm its ring timeout."""
        seat = self.seats.get(offer.seat_id)
        live = self.sessions.get(offer.session_id)
        if seat is None or live is None or seat.state != wire.SeatState.READY:
            logger.error("session %s: queue offered to unusable seat %s", offer.session_id, offer.seat_id)
            if live is not None:
                self.queue.offer_failed(offer.session_id)
            return
        live.status = SessionStatus.OFFERED
        seat.session_id = live.session_id
        self._change_state(seat, wire.SeatState.RESERVED, None)
        timeout = self.settings.ring_timeout_s
        kind = self._offer_kind(offer)
        seat.peer.send(
            wire.CallOffered(
                session_id=live.session_id,
                business_type=live.business_type,
                business_label=wire.business_label(live.business_type),
                customer_name=live.customer_name,
                queued_at=live.queued_at,
                ring_timeout_s=timeout,
                offer_kind=kind,
            )
        )
        # Persisted right after the offer is queued for sending (same loop turn): a crash in between restores the
        # customer as waiting, which is what a restart does with a ringing customer anyway.
        self._persist_offer(live)
        self._event(live.session_id, "offered", seat_id=seat.seat_id, offer_kind=kind)
        loop = asyncio.get_running_loop()
        seat.ring_timer = loop.call_later(timeout, self._ring_timeout, seat.seat_id, live.session_id)
        logger.info("session %s: offered to seat %s (%s)", live.session_id, seat.seat_id, kind)

    def _offer_kind(self, offer: Offer) -> OfferKind:
        """What the seat is rung for, as ``wire.CallOffered.offer_kind`` says it."""
        return "customer"

    def _persist_offer(self, live: LiveSession) -> None:
        """Record in the database that the session is ringing at a seat."""
        self.db.update_session(live.session_id, status=SessionStatus.OFFERED)

    def _ring_timeout(self, seat_id: str, session_id: str) -> None:
        seat = self.seats.get(seat_id)
        live = self.sessions.get(session_id)
        if seat is None or live is None or seat.session_id != session_id or seat.state != wire.SeatState.RESERVED:
            return
        seat.ring_timer = None
        self._event(session_id, "offer_timeout", seat_id=seat_id)
        logger.info("session %s: seat %s did not answer in time", session_id, seat_id)
        offers = self._back_to_waiting(live, seat_id, "no_answer")
        self._release_seat(seat_id, session_id, "no_answer", "来电振铃超时未接听,已自动为您示忙", False)
        self._change_state(seat, wire.SeatState.NOT_READY, "no_answer")
        offers += self.queue.seat_unavailable(seat_id)
        self._apply(offers)
        self._push_queue_status()

    def _back_to_waiting(self, live: LiveSession, seat_id: str | None, reason: str) -> list[Offer]:
        """The session's ringing offer is void: it waits again in its old place."""
        live.status = SessionStatus.WAITING
        self.db.update_session(live.session_id, status=SessionStatus.WAITING)
        self._event(live.session_id, "offer_withdrawn", seat_id=seat_id, reason=reason)
        return self.queue.offer_failed(live.session_id)

    def _release_seat(
        self, seat_id: str | None, session_id: str, reason: str, message: str, make_ready: bool
    ) -> list[Offer]:
        """Stop a seat ringing for a session (CallWithdrawn); optionally put it back to ready (not its fault)."""
        seat = self.seats.get(seat_id or "")
        if seat is None or seat.session_id != session_id:
            return []
        if seat.ring_timer:
            seat.ring_timer.cancel()
            seat.ring_timer = None
        seat.session_id = None
        seat.peer.send(wire.CallWithdrawn(session_id=session_id, reason=reason, message=message))
        if not make_ready:
            return []
        self._change_state(seat, wire.SeatState.READY, None)
        return self.queue.seat_ready(seat.seat_id)

    def seat_holds(self, session_id: str, seat_id: str) -> bool:
        """Whether ``seat_id`` is in a connected call for ``session_id`` right now."""
        live = self.sessions.get(session_id)
        seat = self.seats.get(seat_id)
        return (
            live is not None
            and live.status == SessionStatus.CONNECTED
            and live.seat_id == seat_id
            and seat is not None
            and seat.session_id == session_id
        )

    def send_to_customer(self, session_id: str, message: BaseModel) -> bool:
        """Send a message to the session's customer page, if it is connected."""
        live = self.sessions.get(session_id)
        if live is None or live.peer is None:
            return False
        live.peer.send(message)
        return True

    def send_to_seat(self, session_id: str, message: BaseModel) -> bool:
        """Send a message to the seat in a connected call for the session."""
        live = self.sessions.get(session_id)
        seat = self.seats.get(live.seat_id or "") if live else None
        if live is None or seat is None or seat.session_id != session_id:
            return False
        seat.peer.send(message)
        return True

    def end_session(self, session_id: str, reason: wire.EndReason, message: str | None = None) -> bool:
        """End a live session (e.g. an identity gate failed for good) with a Chinese message for both sides."""
        live = self.sessions.get(session_id)
        if live is None:
            return False
        self._end(live, reason, message)
        return True

    def _end(self, live: LiveSession, reason: wire.EndReason, message: str | None = None) -> None:
        """End a session: persist, tell both sides, free the seat."""
        now = self.clock()
        sid = live.session_id
        was = live.status
        offered_seat = self.queue.offered_seat(sid)
        offers = self.queue.customer_left(sid)
        if was == SessionStatus.OFFERED:
            offers += self._release_seat(offered_seat, sid, reason.value, "客户已离开,来电已撤回", True)
        if live.grace_timer:
            live.grace_timer.cancel()
            live.grace_timer = None
        live.status = SessionStatus.ENDED
        self.sessions.pop(sid, None)
        if live.answered_at is not None:
            self.handle_times.append(max(0.0, (now - live.answered_at).total_seconds()))
        self.db.update_session(sid, status=SessionStatus.ENDED, ended_at=now, end_reason=reason.value)
        self._event(sid, "ended", reason=reason.value, seat_id=live.seat_id)
        logger.info("session %s: ended (%s)", sid, reason.value)
        ended = wire.CallEnded(session_id=sid, reason=reason, message=message or END_MESSAGES[reason])
        if live.peer is not None:
            live.peer.send(ended)
            live.peer.close(CLOSE_NORMAL, "会话已结束")
            live.peer = None
        seat = self.seats.get(live.seat_id or "")
        if was == SessionStatus.CONNECTED and seat is not None and seat.session_id == sid:
            seat.session_id = None
            seat.peer.send(ended)
            self._change_state(seat, wire.SeatState.WRAP_UP, "after_call")
        for hook in self.session_end_hooks:
            try:
                hook(sid)
            except Exception:
                logger.exception("session %s: end hook failed", sid)
        self._apply(offers)
        self._push_queue_status()

    def _seat_gone(self, seat: SeatLink, reason: wire.EndReason) -> None:
        """A seat's connection is over: end its call or hand its ringing offer on, and forget it."""
        if seat.ring_timer:
            seat.ring_timer.cancel()
            seat.ring_timer = None
        sid = seat.session_id
        live = self.sessions.get(sid or "")
        if self.seats.get(seat.seat_id) is seat:
            del self.seats[seat.seat_id]
        offers = self.queue.seat_unavailable(seat.seat_id)
        if live is not None and live.status == SessionStatus.CONNECTED and live.seat_id == seat.seat_id:
            self._end(live, reason)
        elif live is not None and live.status == SessionStatus.OFFERED:
            offers += self._back_to_waiting(live, seat.seat_id, "seat_disconnected")
        seat.session_id = None
        seat.state = wire.SeatState.OFFLINE
        self._apply(offers)
        if not self.seats:
            for waiting in self._waiting():
                if waiting.peer:
                    waiting.peer.send(NO_SEAT_ONLINE)
        self._push_queue_status()

    def _start_grace(self, live: LiveSession) -> None:
        if live.grace_timer:
            live.grace_timer.cancel()
        loop = asyncio.get_running_loop()
        live.grace_timer = loop.call_later(self.settings.customer_grace_s, self._grace_over, live.session_id)

    def _grace_over(self, session_id: str) -> None:
        live = self.sessions.get(session_id)
        if live is None or live.peer is not None or live.status == SessionStatus.CONNECTED:
            return
        live.grace_timer = None
        logger.info("session %s: customer did not come back within the grace period", session_id)
        self._end(live, wire.EndReason.CUSTOMER_LEFT_QUEUE)

    def _change_state(self, seat: SeatLink, state: wire.SeatState, reason: str | None) -> None:
        seat.state = state
        seat.reason = reason
        seat.peer.send(wire.SeatStateChanged(state=state, reason=reason))
        logger.info("seat %s: state %s (%s)", seat.seat_id, state.value, reason or "-")

    def _waiting(self) -> list[LiveSession]:
        return [live for live in self.sessions.values() if live.status != SessionStatus.CONNECTED]

    def _push_queue_status(self) -> None:
        entries = self.queue.entries()
        waiting = len(entries)
        for index, entry in enumerate(entries):
            live = self.sessions.get(entry.session_id)
            if live is None or live.peer is None:
                continue
            estimate = self.estimate_wait_s(index + 1)
            status = (index + 1, waiting, estimate)
            if live.last_status != status:
                live.last_status = status
                live.peer.send(
                    wire.QueueStatus(
                        session_id=live.session_id, position=index + 1, waiting=waiting, estimated_wait_s=estimate
                    )
                )
        for seat in self.seats.values():
            self._push_seat_stats(seat, waiting)

    def estimate_wait_s(self, position: int) -> float | None:
        """A rough wait for the customer at ``position``: rounds of service ahead of them times the mean handle time
        of recent calls, over the seats that are serving (ready, ringing, in a call or in after-call work).

        None when no seat is serving or no call has been completed yet. Rounded up to 30 s so it does not flicker.
        """
        serving = sum(1 for seat in self.seats.values() if seat.state in SERVING_STATES)
        if serving == 0 or not self.handle_times:
            return None
        mean = sum(self.handle_times) / len(self.handle_times)
        rounds = (position - 1) // serving + 0.5
        return float(max(30, math.ceil(rounds * mean / 30) * 30))

    def _push_seat_stats(self, seat: SeatLink, waiting: int | None = None) -> None:
        count = len(self.queue.entries()) if waiting is None else waiting
        if seat.last_stats != count:
            seat.last_stats = count
            seat.peer.send(wire.QueueStats(waiting=count))

    def _event(self, session_id: str, kind: str, **detail: Any) -> None:
        self.db.append_event(session_id, self.clock(), kind, detail)

    def _error(self, peer: Peer, code: str, message: str, session_id: str | None = None) -> None:
        peer.send(wire.ErrorMessage(code=code, message=message, session_id=session_id))
        if session_id is not None and session_id in self.sessions:
            self._event(session_id, "error", code=code)

    def _protocol_error(self, peer: Peer, session_id: str | None, exc: wire.ProtocolError) -> None:
        logger.info("session %s: refused message (%s)", session_id or "-", exc.code)
        self._error(peer, exc.code, exc.message, session_id)
