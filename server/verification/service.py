"""Identity verification on the server (身份核验): drives :class:`~server.identity.gates.GateMachine` per session.

The pre-check runs before queueing (ID-card OCR in an executor, then the bank adapters); after the call connects, the
seat asks for each gate and the server does the work itself: it calls 联网核查, asks the customer's page for live
frames, runs the face and liveness pipelines in executors, draws the private questions and submits the business.
Nothing a client sends is taken as a result: seats only say "do the next gate" and which option the customer chose.
Every gate transition is first stored (:mod:`server.verification.gate_store`, so a restart resumes it) and then lands
in the session trail (``session_events``, kind ``gate.<event>``).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import hashlib
import logging
import random
import secrets
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import cv2
import numpy as np

import wire
from server.bank.adapters import BankAdapters, BankError, BankTimeout, NetworkCheckVerdict
from server.calls import CallCoordinator, Clock
from server.db import Database
from server.identity import ocr
from server.identity.gates import (
    GATE_LABELS,
    FaceScores,
    Gate,
    GateConfig,
    GateError,
    GateMachine,
    GateStateError,
    GateStatus,
    GateUpdate,
    IdCardFields,
    LivenessObservation,
    collect_precheck_evidence,
    execute_verified_business,
    sha256_hex,
)
from server.identity.gates import LivenessChallenge as GateChallenge
from server.identity.idnumber import mask_card_number, mask_name
from server.identity.questions import QuestionError, draw_question_set
from server.security import new_session_id, new_token
from server.settings import Settings
from server.verification.crypto import CipherError
from server.verification.gate_store import GateStore, StoredGates
from server.verification.photos import PhotoStore

logger = logging.getLogger(__name__)

MAX_OCR_BACKLOG = 4
"""Pre-checks waiting for OCR beyond this are refused (busy) rather than queued without bound."""

_MSG_BANK_BUSY = "银行系统暂时繁忙,请稍后重试"
_MSG_NOT_HOLDER = "该会话不属于您或未在通话中,操作已拒绝"
_MSG_UNRESTORABLE = "身份核验记录无法恢复,本次业务无法继续办理"


class IdentityRefused(Exception):
    """An identity request was refused; ``message`` is Chinese, ``status`` the HTTP status to answer with."""

    def __init__(self, status: int, message: str, code: str = "refused") -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code


# --- OCR with a small cache (the same photo always reads the same) ----------------------------------------------------

_OCR_CACHE: collections.OrderedDict[tuple[str, str, str], Any] = collections.OrderedDict()
_OCR_CACHE_LOCK = threading.Lock()
_OCR_CACHE_SIZE = 32


def _cached(key: tuple[str, str, str], compute: Any) -> Any:
    with _OCR_CACHE_LOCK:
        if key in _OCR_CACHE:
            _OCR_CACHE.move_to_end(key)
            return _OCR_CACHE[key]
    value = compute()
    with _OCR_CACHE_LOCK:
        _OCR_CACHE[key] = value
        while len(_OCR_CACHE) > _OCR_CACHE_SIZE:
            _OCR_CACHE.popitem(last=False)
    return value


def read_card_sides(front: bytes, back: bytes, today: date) -> tuple[ocr.IdCardFrontResult, ocr.IdCardBackResult]:
    """OCR both sides (blocking: run it in an executor). Results are cached by image hash (read-only use)."""
    f = _cached(("front", sha256_hex(front), ""), lambda: ocr.read_front(front))
    b = _cached(("back", sha256_hex(back), today.isoformat()), lambda: ocr.read_back(back, today=today))
    return f, b


def _png(image: np.ndarray) -> bytes:
    ok, encoded = cv2.imencode(".png", image)
    if not ok:
        raise ValueError("portrait encode failed")
    return bytes(encoded.tobytes())


def final_message(message: str | None) -> str:
    """What the customer reads when acceptance ends: what happened and what to do next (counter service)."""
    text = (message or "身份核验未通过,本次业务无法继续办理").rstrip("。!")
    return text if "柜面" in text else text + ",请携带本人有效身份证件到我行网点柜面办理"


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


# --- state ------------------------------------------------------------------------------------------------------------


@dataclass
class PendingPrecheck:
    """A pre-check not yet turned into a ticket."""

    precheck_id: str
    session_id: str
    business_type: str
    machine: GateMachine
    created_at: datetime
    portrait: bytes | None = None
    customer_name: str = ""
    passed_at: datetime | None = None


@dataclass
class LivenessRun:
    """An open liveness challenge and its detector."""

    challenge: GateChallenge
    detector: Any  # server.identity.liveness.LivenessChallenge
    started: float
    timer: asyncio.TimerHandle | None = None
    busy: bool = False
    step: int = 0
    frames: Any = field(default_factory=hashlib.sha256)
    frame_count: int = 0


@dataclass
class SessionIdentity:
    """The gates of a queued or connected session."""

    session_id: str
    machine: GateMachine
    portrait: bytes
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    captures: dict[str, asyncio.Future[bytes]] = field(default_factory=dict)
    liveness: LivenessRun | None = None
    landmarker: Any = None
    business_done: list[dict[str, Any]] = field(default_factory=list)


class IdentityService:
    """Pre-checks and the gates of live sessions.

    Args:
        settings: gate configuration, timeouts.
        db: session trail.
        coordinator: sessions, seats and their connections.
        adapters: the bank systems.
        photos: access-controlled, encrypted photo storage (its key also encrypts the stored gate state).
        clock: current time.

    Gate state is written to the database (:class:`GateStore`) on every change; after a restart, a pre-check is
    restored when the customer's page quotes its id again, and a queued session when a seat first acts on it.
    """

    def __init__(
        self,
        settings: Settings,
        db: Database,
        coordinator: CallCoordinator,
        adapters: BankAdapters,
        photos: PhotoStore,
        clock: Clock,
    ) -> None:
        self.settings = settings
        self.config: GateConfig = settings.gate_config
        self.db = db
        self.coordinator = coordinator
        self.adapters = adapters
        self.photos = photos
        self.clock = clock
        self.prechecks: dict[str, PendingPrecheck] = {}
        self.sessions: dict[str, SessionIdentity] = {}
        self.store = GateStore(db, photos.cipher)
        self.store.close_ended_sessions(clock())
        self._purged_at: datetime | None = None
        self._ocr_pool = ThreadPoolExecutor(1, thread_name_prefix="vt-ocr")
        self._face_pool = ThreadPoolExecutor(1, thread_name_prefix="vt-face")
        self._live_pool = ThreadPoolExecutor(1, thread_name_prefix="vt-liveness")
        self._ocr_waiting = 0
        self._rng = random.SystemRandom()
        coordinator.session_end_hooks.append(self.session_ended)

    async def close(self) -> None:
        """Stop: forget sessions (their stored gates stay for the next start), stop the worker threads, close the bank
        adapters."""
        for sid in list(self.sessions):
            self._forget(sid)
        for pool in (self._ocr_pool, self._face_pool, self._live_pool):
            pool.shutdown(wait=False, cancel_futures=True)
        await self.adapters.aclose()

    # --- trail and publishing -----------------------------------------------------------------------------------------

    def _trail(self, session_id: str, entries: tuple[dict[str, Any], ...] | list[dict[str, Any]]) -> None:
        for entry in entries:
            self.db.append_event(session_id, self.clock(), "gate." + str(entry.get("event", "entry")), entry)

    def _event(self, session_id: str, event: str, **detail: Any) -> None:
        self.db.append_event(session_id, self.clock(), "gate." + event, {"session_id": session_id, **detail})

    def _refuse_gate(self, session_id: str, exc: GateError) -> IdentityRefused:
        self._trail(session_id, exc.trail)
        return IdentityRefused(409, exc.message, exc.code)

    # --- persistence (survives a restart) -----------------------------------------------------------------------------

    def _watch_precheck(self, pc: PendingPrecheck) -> None:
        precheck_id = pc.precheck_id
        pc.machine.on_change = lambda machine: self.store.save(machine, self.clock(), precheck_id=precheck_id)

    def _watch_session(self, si: SessionIdentity) -> None:
        si.machine.on_change = lambda machine: self._save_session(si)

    def _save_session(self, si: SessionIdentity) -> None:
        self.store.save(si.machine, self.clock(), extra={"business_done": si.business_done})

    def _restore_precheck(self, precheck_id: str) -> PendingPrecheck | None:
        """A pre-check a previous run of the server decided (None: unknown, expired, or already used for a ticket)."""
        try:
            stored = self.store.find_precheck(precheck_id)
        except (CipherError, ValueError):
            return None
        if stored is None or stored.ticket_bound_at or stored.ended_at:
            return None
        sid = stored.session_id
        ttl = timedelta(seconds=self.settings.precheck_ttl_s)
        if self.clock() - stored.created_at > ttl * 2 or self.db.get_session(sid) is not None:
            return None
        try:
            machine = GateMachine.from_state(stored.state, config=self.config)
        except GateStateError as exc:
            logger.error("session %s: stored pre-check cannot be restored (%s)", sid, exc)
            return None
        pc = PendingPrecheck(precheck_id, sid, stored.business_type, machine, stored.created_at)
        precheck = machine.snapshot()["gates"][0]
        customer = machine.customer
        if customer is not None:
            portrait = self.photos.get(sid, "id_portrait")
            if portrait is None or sha256_hex(portrait) != precheck["inputs"].get("id_portrait_sha256"):
                logger.error("session %s: the pre-check's card portrait is missing or altered", sid)
                return None
            pc.portrait = portrait
            pc.passed_at = datetime.fromisoformat(precheck["finished_at"])
            pc.customer_name = mask_name(customer.name)
        self._watch_precheck(pc)
        self.prechecks[precheck_id] = pc
        self._event(sid, "precheck_restored", status=precheck["status"], attempts=precheck["attempts"])
        logger.info("session %s: pre-check restored from the database", sid)
        return pc

    def _restore_session(self, session_id: str) -> SessionIdentity | None:
        """The gates of a session queued before a restart, as they were stored (None: it never had any).

        An attempt the restart cut off counts as failed (and may end acceptance). A state that cannot be read back
        (altered, a photo missing) ends the session: the gates are never skipped for want of their record.

        Raises:
            IdentityRefused: the session's acceptance ended (now or before the restart) or its record is unusable.
        """
        try:
            stored: StoredGates | None = self.store.load(session_id)
            if stored is None:
                return None
            if stored.ended_at is not None:
                raise IdentityRefused(409, "该会话已结束", "ended")
            network_photo = self.photos.get(session_id, "network_photo")
            machine = GateMachine.from_state(stored.state, config=self.config, network_photo=network_photo)
            precheck = machine.snapshot()["gates"][0]
            portrait = self.photos.get(session_id, "id_portrait")
            if portrait is None or sha256_hex(portrait) != precheck["inputs"].get("id_portrait_sha256"):
                raise GateStateError("the card portrait is missing or altered")
            if machine.customer is None:
                raise GateStateError("the stored session never passed its pre-check")
        except (CipherError, GateStateError, ValueError) as exc:
            logger.error("session %s: stored gates cannot be restored (%s)", session_id, exc)
            self._event(session_id, "gates_restore_failed", error=type(exc).__name__)
            message = final_message(_MSG_UNRESTORABLE)
            self.coordinator.end_session(session_id, wire.EndReason.FAILED, message)
            raise IdentityRefused(409, message, "unrestorable") from exc
        si = SessionIdentity(session_id, machine, portrait)
        si.business_done = list(stored.extra.get("business_done") or [])
        self.sessions[session_id] = si
        self._watch_session(si)
        snapshot = machine.snapshot()
        self._event(
            session_id,
            "gates_restored",
            revision=stored.revision,
            current_gate=snapshot["current_gate"],
            terminated=snapshot["terminated"],
            attempts={g["gate"]: g["attempts"] for g in snapshot["gates"]},
        )
        logger.info("session %s: gates restored (current gate %s)", session_id, snapshot["current_gate"])
        for update in machine.interrupt_running(now=self.clock()):
            self._publish(si, update)
        if machine.terminated:
            state = next(g for g in machine.snapshot()["gates"] if g["status"] == str(GateStatus.FAILED))
            message = final_message(state["customer_message"])
            if self.sessions.get(session_id) is si:  # ended before the restart: end the call now
                self.coordinator.end_session(session_id, wire.EndReason.FAILED, message)
            raise IdentityRefused(409, message, "terminated")
        return si

    def _view(self, si: SessionIdentity, update: GateUpdate) -> dict[str, Any]:
        return {
            "session_id": si.session_id,
            "gate": str(update.gate),
            "label": GATE_LABELS[update.gate],
            "status": str(update.status),
            "attempt": update.attempt,
            "teller_message": update.teller_message,
            "customer_message": update.customer_message,
            "retry_allowed": update.retry_allowed,
            "terminated": si.machine.terminated,
            "snapshot": si.machine.snapshot(),
        }

    def _publish(self, si: SessionIdentity, update: GateUpdate) -> dict[str, Any]:
        """Trail, tell the seat (teller view) and the customer (customer message only); end the call on a final
        failure."""
        sid = si.session_id
        self._trail(sid, update.trail)
        view = self._view(si, update)
        self.coordinator.send_to_seat(
            sid,
            wire.SeatGateUpdate(
                session_id=sid,
                gate=view["gate"],
                status=view["status"],
                attempt=update.attempt,
                teller_message=update.teller_message,
                retry_allowed=update.retry_allowed,
                snapshot=view["snapshot"],
            ),
        )
        message = update.customer_message
        if message is None and update.status is GateStatus.PASSED:
            message = f"{GATE_LABELS[update.gate]}已通过"
        if message is not None or update.status is not GateStatus.RUNNING:
            self.coordinator.send_to_customer(
                sid, wire.CustomerGateUpdate(session_id=sid, gate=view["gate"], status=view["status"], message=message)
            )
        if si.machine.terminated:
            logger.info("session %s: acceptance ended by gate %s", sid, update.gate)
            self.coordinator.end_session(sid, wire.EndReason.FAILED, final_message(update.customer_message))
        return view

    # --- pre-check (before queueing) ----------------------------------------------------------------------------------

    def _expire(self, now: datetime) -> None:
        ttl = timedelta(seconds=self.settings.precheck_ttl_s)
        for pid, pc in list(self.prechecks.items()):
            if now - pc.created_at > ttl * 2:
                del self.prechecks[pid]
        if self._purged_at is None or now - self._purged_at > ttl:
            self._purged_at = now
            purged = self.store.purge_unused_prechecks(now - ttl * 2)
            if purged:
                logger.info("purged %d stored pre-checks that never became a ticket", purged)

    def _precheck_response(
        self, pc: PendingPrecheck, passed: bool, message: str, retry_allowed: bool
    ) -> wire.PrecheckResponse:
        state = pc.machine.snapshot()["gates"][0]
        left = max(0, state["max_attempts"] - state["attempts"]) if not pc.machine.terminated else 0
        return wire.PrecheckResponse(
            precheck_id=pc.precheck_id,
            passed=passed,
            message=message,
            retry_allowed=retry_allowed and not pc.machine.terminated and left > 0,
            attempts_left=left,
            customer_name=pc.customer_name or None,
        )

    async def precheck(
        self,
        *,
        business_type: wire.BusinessType,
        phone: str,
        account_no: str,
        front: bytes,
        back: bytes,
        precheck_id: str | None = None,
    ) -> wire.PrecheckResponse:
        """Run (or retry) a pre-check: OCR both card sides, look the customer up, check account and blacklists.

        Raises:
            IdentityRefused: unknown/expired ``precheck_id``, a different business, malformed phone or account, or
                the OCR backlog is full.
        """
        now = self.clock()
        self._expire(now)
        policy = self.config.policy_for(business_type.value)
        phone_digits = _digits(phone)
        if len(phone_digits) != 11 or not phone_digits.startswith("1"):
            raise IdentityRefused(422, "请输入正确的 11 位手机号码", "bad_phone")
        account = _digits(account_no)
        if policy.requires_account and not 12 <= len(account) <= 19:
            raise IdentityRefused(422, "请输入正确的银行卡号或账号", "bad_account")
        if precheck_id:
            pc = self.prechecks.get(precheck_id) or self._restore_precheck(precheck_id)
            if pc is None:
                raise IdentityRefused(404, "核验记录已失效,请重新提交核验", "unknown_precheck")
            if pc.business_type != business_type.value:
                raise IdentityRefused(409, "业务类型与核验记录不符,请重新提交核验", "business_mismatch")
            status = pc.machine.status(Gate.PRECHECK)
            if status is GateStatus.PASSED:
                return self._precheck_response(pc, True, "身份核验通过,请取号排队", False)
            if pc.machine.terminated:
                state = pc.machine.snapshot()["gates"][0]
                return self._precheck_response(pc, False, state["customer_message"] or "身份核验未通过", False)
        else:
            sid = new_session_id()
            pc = PendingPrecheck(
                new_token(),
                sid,
                business_type.value,
                GateMachine(sid, business_type.value, now=now, config=self.config),
                now,
            )
            self.prechecks[pc.precheck_id] = pc
            self._watch_precheck(pc)
        sid = pc.session_id
        if self._ocr_waiting >= MAX_OCR_BACKLOG:
            raise IdentityRefused(503, "当前办理人数较多,请稍后重试", "busy")
        self._ocr_waiting += 1
        try:
            loop = asyncio.get_running_loop()
            front_res, back_res = await loop.run_in_executor(
                self._ocr_pool, read_card_sides, front, back, self.clock().date()
            )
        except ocr.IdCardImageError as exc:
            self._event(
                sid, "ocr_failed", problems=[str(exc)], front_sha256=sha256_hex(front), back_sha256=sha256_hex(back)
            )
            return self._precheck_response(pc, False, f"{exc},请重新上传身份证照片", True)
        finally:
            self._ocr_waiting -= 1
        problems = [p for p in [*front_res.problems, *back_res.problems] if p != ocr.P_EXPIRED]
        if front_res.portrait is None or front_res.birth_date is None:
            problems = problems or [ocr.P_NO_PORTRAIT]
        self._event(
            sid,
            "ocr_read",
            front_sha256=sha256_hex(front),
            back_sha256=sha256_hex(back),
            problems=problems,
            card_found=[front_res.card_found, back_res.card_found],
        )
        if problems:
            logger.info("session %s: pre-check OCR problems %s", sid, problems)
            return self._precheck_response(pc, False, f"{problems[0]},请重新拍摄身份证后提交", True)
        assert front_res.portrait is not None and front_res.birth_date is not None
        portrait = _png(front_res.portrait)
        card = IdCardFields(
            name=front_res.name.value,
            id_number=front_res.id_number.value,
            sex=front_res.sex.value,
            birth_date=front_res.birth_date,
            address=front_res.address.value,
            valid_until=back_res.valid_to,
            portrait_sha256=sha256_hex(portrait),
            ethnicity=front_res.ethnicity.value,
        )
        pc.customer_name = mask_name(card.name)
        try:
            evidence = await asyncio.wait_for(
                collect_precheck_evidence(self.adapters, card, phone_digits, account or None),
                self.settings.bank_timeout_s,
            )
        except (TimeoutError, BankError) as exc:
            code = exc.code if isinstance(exc, BankError) else "timeout"
            self._event(sid, "bank_unavailable", step="precheck", code=code)
            logger.warning("session %s: pre-check bank call failed (%s)", sid, code)
            return self._precheck_response(pc, False, _MSG_BANK_BUSY, True)
        # The photos are stored before the decision is (a restored pass must find its portrait), and removed again
        # if the pre-check does not pass.
        kept = {"id_front": front, "id_back": back, "id_portrait": portrait}
        for kind, data in kept.items():
            self.photos.put(sid, kind, data)
        try:
            update = pc.machine.submit_precheck(evidence, now=self.clock())
        except GateError as exc:
            self._trail(sid, exc.trail)
            return self._precheck_response(pc, False, exc.message, False)
        finally:
            if pc.machine.status(Gate.PRECHECK) is not GateStatus.PASSED:
                for kind in kept:
                    self.photos.delete(sid, kind)
        self._trail(sid, update.trail)
        if update.passed:
            pc.portrait = portrait
            pc.passed_at = self.clock()
            logger.info("session %s: pre-check passed (account %s)", sid, mask_card_number(account))
            return self._precheck_response(pc, True, "身份核验通过,请取号排队", False)
        return self._precheck_response(pc, False, update.customer_message or "身份核验未通过", update.retry_allowed)

    def take_precheck(self, precheck_id: str, business_type: wire.BusinessType) -> PendingPrecheck:
        """Consume a passed pre-check for a ticket (once).

        Raises:
            IdentityRefused: unknown, used, failed, expired, or for another business.
        """
        now = self.clock()
        pc = self.prechecks.get(precheck_id) or self._restore_precheck(precheck_id)
        if pc is None:
            raise IdentityRefused(403, "请先提交身份核验,核验通过后再取号", "precheck_required")
        if pc.business_type != business_type.value:
            raise IdentityRefused(409, "业务类型与核验记录不符,请重新提交核验", "business_mismatch")
        if pc.passed_at is None or pc.machine.status(Gate.PRECHECK) is not GateStatus.PASSED or pc.portrait is None:
            raise IdentityRefused(403, "身份核验尚未通过,不能取号", "precheck_not_passed")
        if (now - pc.passed_at).total_seconds() > self.settings.precheck_ttl_s:
            del self.prechecks[precheck_id]
            raise IdentityRefused(403, "身份核验已过期,请重新提交核验", "precheck_expired")
        del self.prechecks[precheck_id]
        return pc

    def bind_ticket(self, pc: PendingPrecheck) -> None:
        """The ticket for a consumed pre-check exists: its session now owns the gates."""
        assert pc.portrait is not None
        si = SessionIdentity(pc.session_id, pc.machine, pc.portrait)
        self.sessions[pc.session_id] = si
        self._watch_session(si)
        self.store.mark(pc.session_id, self.clock(), ticket_bound=True)
        self._event(pc.session_id, "ticket_bound", business_type=pc.business_type)

    def session_ended(self, session_id: str) -> None:
        """The session ended: its stored gates are closed, its live state forgotten (the trail and photos stay)."""
        self.store.mark(session_id, self.clock(), ended=True)
        self._forget(session_id)

    def _forget(self, session_id: str) -> None:
        si = self.sessions.pop(session_id, None)
        if si is None:
            return
        for future in si.captures.values():
            if not future.done():
                future.cancel()
        si.captures.clear()
        if si.liveness and si.liveness.timer:
            si.liveness.timer.cancel()
        si.liveness = None
        if si.landmarker is not None:
            landmarker, si.landmarker = si.landmarker, None
            with contextlib.suppress(RuntimeError):  # the pool is already shut down
                self._live_pool.submit(landmarker.close)

    # --- access -------------------------------------------------------------------------------------------------------

    def held(self, session_id: str, seat_id: str, action: str) -> SessionIdentity:
        """The session's gates, for the seat in a connected call with it only.

        Raises:
            IdentityRefused: 403 for anyone else (recorded in the trail when the session exists).
        """
        if not self.coordinator.seat_holds(session_id, seat_id):
            if self.db.get_session(session_id) is not None:
                self._event(session_id, "access_refused", seat_id=seat_id, action=action)
            logger.warning("session %s: seat %s refused for %s", session_id[:64], seat_id, action)
            raise IdentityRefused(403, _MSG_NOT_HOLDER, "not_holder")
        si = self.sessions.get(session_id) or self._restore_session(session_id)
        if si is None:
            raise IdentityRefused(409, "该会话没有身份核验记录", "no_gates")
        return si

    def snapshot(self, session_id: str, seat_id: str) -> dict[str, Any]:
        """The gates' state for the seat holding the session (masked, no images)."""
        si = self.held(session_id, seat_id, "snapshot")
        snap = si.machine.snapshot()
        snap["photos"] = self.photos.kinds(session_id)
        qs = si.machine.question_set
        snap["questions"] = qs.public_view() if qs is not None else None
        challenge = si.liveness.challenge if si.liveness else None
        snap["liveness_challenge"] = (
            {"challenge_id": challenge.challenge_id, "actions": list(challenge.actions), "prompts": challenge.prompts}
            if challenge
            else None
        )
        return snap

    def photo(self, session_id: str, seat_id: str, kind: str) -> bytes:
        """One identity photo for the seat holding the session."""
        self.held(session_id, seat_id, f"photo:{kind}")
        data = self.photos.get(session_id, kind)
        if data is None:
            raise IdentityRefused(404, "暂无该照片", "no_photo")
        self._event(session_id, "photo_viewed", seat_id=seat_id, photo=kind)
        return data

    def _locked(self, si: SessionIdentity) -> None:
        if si.lock.locked():
            raise IdentityRefused(409, "上一项核验尚未完成,请稍候", "busy")

    # --- 联网核查 -----------------------------------------------------------------------------------------------------

    async def network_check(self, session_id: str, seat_id: str) -> dict[str, Any]:
        """One 联网核查 attempt, by the server, with the identity from the passed pre-check."""
        si = self.held(session_id, seat_id, "network_check")
        self._locked(si)
        async with si.lock:
            try:
                request = si.machine.start_network_check(now=self.clock())
            except GateError as exc:
                raise self._refuse_gate(session_id, exc) from exc
            self._trail(session_id, request.trail)
            try:
                result = await asyncio.wait_for(
                    self.adapters.network_check.check(request.id_number, request.name), self.settings.bank_timeout_s
                )
            except TimeoutError:
                update = si.machine.record_network_check_error(BankTimeout("联网核查超时"), now=self.clock())
            except BankError as exc:
                update = si.machine.record_network_check_error(exc, now=self.clock())
            else:
                if result.verdict is NetworkCheckVerdict.MATCH and result.photo:
                    # stored before the pass is, so that a restored pass finds its photo
                    self.photos.put(session_id, "network_photo", result.photo)
                update = si.machine.record_network_check(result, now=self.clock())
            return self._publish(si, update)

    # --- 人脸比对 -----------------------------------------------------------------------------------------------------

    async def _capture(self, si: SessionIdentity) -> bytes:
        request_id = secrets.token_urlsafe(12)
        future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        si.captures[request_id] = future
        sent = self.coordinator.send_to_customer(
            si.session_id, wire.CaptureRequest(session_id=si.session_id, request_id=request_id)
        )
        try:
            if not sent:
                raise TimeoutError
            return await asyncio.wait_for(future, self.settings.capture_timeout_s)
        except (TimeoutError, asyncio.CancelledError) as exc:
            if isinstance(exc, asyncio.CancelledError) and not future.cancelled():
                raise
            self._event(si.session_id, "capture_failed", request_id=request_id)
            raise IdentityRefused(
                409, "未能获取客户现场画面,请提醒客户保持页面打开并允许使用摄像头后重试", "capture_failed"
            ) from None
        finally:
            si.captures.pop(request_id, None)

    def deliver_capture(self, session_id: str, request_id: str, data: bytes) -> None:
        """A frame the page sent for a capture request (one frame per request id)."""
        si = self.sessions.get(session_id)
        future = si.captures.pop(request_id, None) if si else None
        if future is None or future.done():
            raise IdentityRefused(409, "该拍照请求已失效", "stale_capture")
        future.set_result(data)

    async def face(self, session_id: str, seat_id: str) -> dict[str, Any]:
        """Three-way face comparison: card portrait, 联网核查 photo, a live frame from the customer's own page."""
        si = self.held(session_id, seat_id, "face")
        self._locked(si)
        async with si.lock:
            try:
                si.machine.ensure_turn(Gate.FACE, now=self.clock())
            except GateError as exc:
                raise self._refuse_gate(session_id, exc) from exc
            network_photo = si.machine.network_photo
            assert network_photo is not None
            live = await self._capture(si)
            from server.identity.face import FaceImageError, get_face_engine

            def compare() -> Any:
                return get_face_engine().compare_three(si.portrait, network_photo, live)

            try:
                three = await asyncio.get_running_loop().run_in_executor(self._face_pool, compare)
            except (FaceImageError, ValueError) as exc:
                self._event(session_id, "capture_unreadable", live_sha256=sha256_hex(live))
                raise IdentityRefused(409, "现场画面无法识别,请重试", "bad_frame") from exc
            if three.live_face_missing:
                # Nothing was compared: like an unreadable frame, this uses no attempt (a pass still needs real
                # scores over the threshold, so retrying cannot get round the gate).
                self._event(session_id, "capture_no_face", live_sha256=sha256_hex(live))
                raise IdentityRefused(
                    409, "现场画面中未检测到人脸(未计入比对次数),请提醒客户正对摄像头后重试", "no_face_in_capture"
                )
            scores = FaceScores.from_three_way(three, id_portrait=si.portrait, network_photo=network_photo, live=live)
            try:
                update = si.machine.submit_face(scores, now=self.clock())
            except GateError as exc:
                raise self._refuse_gate(session_id, exc) from exc
            self.photos.put(session_id, "live", live)
            return self._publish(si, update)

    # --- 活体检测 -----------------------------------------------------------------------------------------------------

    async def start_liveness(self, session_id: str, seat_id: str) -> dict[str, Any]:
        """Issue an active liveness challenge to the customer's page; the outcome follows as ``gate_update``."""
        si = self.held(session_id, seat_id, "liveness")
        self._locked(si)
        async with si.lock:
            try:
                challenge = si.machine.start_liveness(now=self.clock(), rng=self._rng)
            except GateError as exc:
                if si.machine.terminated:
                    self._trail(session_id, exc.trail)
                    state = si.machine.snapshot()["gates"][3]
                    self.coordinator.end_session(
                        session_id, wire.EndReason.FAILED, final_message(state["customer_message"] or exc.message)
                    )
                    raise IdentityRefused(409, exc.message, exc.code) from exc
                raise self._refuse_gate(session_id, exc) from exc
            self._trail(session_id, challenge.trail)
            from server.identity.liveness import ChallengeAction, FaceMeshLandmarker, LivenessChallenge, LivenessConfig

            loop = asyncio.get_running_loop()
            if si.landmarker is None:
                si.landmarker = await loop.run_in_executor(self._live_pool, FaceMeshLandmarker)
            if self.sessions.get(session_id) is not si:
                raise IdentityRefused(409, "会话已结束", "ended")
            timeout = si.machine.policy.liveness_timeout_s
            detector = LivenessChallenge(
                [ChallengeAction(a) for a in challenge.actions],
                config=LivenessConfig(total_timeout_s=timeout, step_timeout_s=min(8.0, timeout)),
                landmarker=si.landmarker,
            )
            run = LivenessRun(challenge, detector, loop.time())
            run.timer = loop.call_later(timeout + 1.0, self._liveness_expired, session_id, challenge.challenge_id)
            si.liveness = run
            self.coordinator.send_to_customer(
                session_id,
                wire.LivenessChallengeMessage(
                    session_id=session_id,
                    challenge_id=challenge.challenge_id,
                    actions=list(challenge.actions),
                    prompts=challenge.prompts,
                    expires_at=challenge.expires_at,
                ),
            )
            self._prompt(si, run)
            snapshot = si.machine.snapshot()
            self.coordinator.send_to_seat(
                session_id,
                wire.SeatGateUpdate(
                    session_id=session_id,
                    gate=str(Gate.LIVENESS),
                    status=str(GateStatus.RUNNING),
                    attempt=si.machine.attempts(Gate.LIVENESS),
                    teller_message="已向客户发出活体检测动作:" + "、".join(challenge.prompts),
                    snapshot=snapshot,
                ),
            )
            return {
                "session_id": session_id,
                "gate": str(Gate.LIVENESS),
                "label": GATE_LABELS[Gate.LIVENESS],
                "status": str(GateStatus.RUNNING),
                "attempt": si.machine.attempts(Gate.LIVENESS),
                "challenge_id": challenge.challenge_id,
                "actions": list(challenge.actions),
                "prompts": challenge.prompts,
                "expires_at": challenge.expires_at.isoformat(),
                "terminated": False,
                "snapshot": snapshot,
            }

    def _prompt(self, si: SessionIdentity, run: LivenessRun) -> None:
        step = min(run.step, len(run.challenge.actions) - 1)
        self.coordinator.send_to_customer(
            si.session_id,
            wire.LivenessPrompt(
                session_id=si.session_id,
                challenge_id=run.challenge.challenge_id,
                step=step,
                prompt=run.challenge.prompts[step],
            ),
        )

    async def liveness_frame(self, session_id: str, challenge_id: str, data: bytes) -> dict[str, Any]:
        """Judge one frame of the open challenge (dropped while the previous one is still being judged)."""
        si = self.sessions.get(session_id)
        run = si.liveness if si else None
        if si is None or run is None or run.challenge.challenge_id != challenge_id:
            raise IdentityRefused(409, "活体检测未在进行或已结束", "no_challenge")
        if run.busy:
            return {"accepted": False, "reason": "busy"}
        run.busy = True
        t = asyncio.get_running_loop().time() - run.started

        def feed() -> Any:
            frame = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_COLOR)
            if frame is None:
                raise ValueError("undecodable frame")
            return run.detector.feed(frame, t)

        try:
            progress = await asyncio.get_running_loop().run_in_executor(self._live_pool, feed)
        except ValueError as exc:
            raise IdentityRefused(422, "画面无法识别", "bad_frame") from exc
        finally:
            run.busy = False
        run.frames.update(hashlib.sha256(data).digest())
        run.frame_count += 1
        if si.liveness is not run:
            return {"accepted": True, "state": "closed"}
        if run.detector.result is not None:
            self._finish_liveness(si, run)
            return {"accepted": True, "state": "done"}
        if progress.step_index != run.step:
            run.step = progress.step_index
            self._prompt(si, run)
        return {"accepted": True, "state": "running", "step": progress.step_index}

    def _finish_liveness(self, si: SessionIdentity, run: LivenessRun) -> None:
        si.liveness = None
        if run.timer:
            run.timer.cancel()
        observation = LivenessObservation.from_result(
            run.challenge.challenge_id, run.detector.result, frames_sha256=run.frames.hexdigest()
        )
        try:
            update = si.machine.submit_liveness(observation, now=self.clock())
        except GateError as exc:
            self._trail(si.session_id, exc.trail)
            return
        self._event(si.session_id, "liveness_frames", frames=run.frame_count, problems=run.detector.result.problems)
        self._publish(si, update)

    def _liveness_expired(self, session_id: str, challenge_id: str) -> None:
        si = self.sessions.get(session_id)
        run = si.liveness if si else None
        if si is None or run is None or run.challenge.challenge_id != challenge_id:
            return
        if run.busy:
            run.timer = asyncio.get_running_loop().call_later(0.5, self._liveness_expired, session_id, challenge_id)
            return
        si.liveness = None
        try:
            update = si.machine.record_liveness_timeout(now=self.clock())
        except GateError as exc:
            self._trail(session_id, exc.trail)
            return
        self._publish(si, update)

    # --- 私密问题 -----------------------------------------------------------------------------------------------------

    async def start_questions(self, session_id: str, seat_id: str) -> dict[str, Any]:
        """Draw the private questions from the customer's own data (answers stay on the server)."""
        si = self.held(session_id, seat_id, "questions")
        self._locked(si)
        async with si.lock:
            try:
                si.machine.ensure_turn(Gate.QUESTIONS, now=self.clock())
            except GateError as exc:
                raise self._refuse_gate(session_id, exc) from exc
            customer = si.machine.customer
            assert customer is not None
            try:
                question_set = await asyncio.wait_for(
                    draw_question_set(self.adapters.questions, customer.customer_id, si.machine.policy.question_rule),
                    self.settings.bank_timeout_s,
                )
            except QuestionError as exc:
                self._event(session_id, "questions_unavailable", code=exc.code)
                raise IdentityRefused(409, exc.message, exc.code) from exc
            except (TimeoutError, BankError) as exc:
                self._event(session_id, "bank_unavailable", step="questions")
                raise IdentityRefused(503, _MSG_BANK_BUSY, "bank_unavailable") from exc
            try:
                update = si.machine.start_questions(question_set, now=self.clock())
            except GateError as exc:
                raise self._refuse_gate(session_id, exc) from exc
            view = self._publish(si, update)
            view["questions"] = question_set.public_view()
            return view

    async def answer_question(
        self, session_id: str, seat_id: str, question_id: str, choice_index: int | None
    ) -> dict[str, Any]:
        """Record the option the customer chose; the server judges."""
        si = self.held(session_id, seat_id, "answer")
        self._locked(si)
        async with si.lock:
            try:
                update = si.machine.answer_question(question_id[:16], choice_index, now=self.clock())
            except GateError as exc:
                raise self._refuse_gate(session_id, exc) from exc
            return self._publish(si, update)

    # --- business -----------------------------------------------------------------------------------------------------

    async def submit_business(self, session_id: str, seat_id: str, params: dict[str, str]) -> dict[str, Any]:
        """Carry out the session's business in core banking, only once every required gate passed."""
        si = self.held(session_id, seat_id, "business")
        self._locked(si)
        async with si.lock:
            request_id = f"{session_id}-{secrets.token_hex(6)}"
            try:
                result = await asyncio.wait_for(
                    execute_verified_business(si.machine, self.adapters.core, request_id=request_id, params=params),
                    self.settings.bank_timeout_s,
                )
            except GateError as exc:
                self._trail(session_id, exc.trail)
                self._event(session_id, "business_refused", code=exc.code)
                raise IdentityRefused(409, exc.message, exc.code) from exc
            except (TimeoutError, BankError) as exc:
                self._event(session_id, "bank_unavailable", step="business")
                message = exc.message if isinstance(exc, BankError) and exc.code == "rejected" else _MSG_BANK_BUSY
                raise IdentityRefused(503, message, "bank_unavailable") from exc
            record = {
                "request_id": request_id,
                "business_type": si.machine.business_type,
                "ok": result.ok,
                "code": result.code,
                "message": result.message,
                "reference": result.reference,
            }
            si.business_done.append(record)
            self._save_session(si)
            self.db.append_event(session_id, self.clock(), "business.executed", record)
            self.coordinator.send_to_customer(
                session_id,
                wire.CustomerGateUpdate(
                    session_id=session_id,
                    gate="business",
                    status="passed" if result.ok else "failed",
                    message=result.message,
                ),
            )
            return {"session_id": session_id, **record}
