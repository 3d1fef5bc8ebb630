"""The identity gate state machine (身份核验关卡): pure, deterministic, and the only way a session gets verified.

Per session the gates run in a fixed order::

    PRECHECK -> NETWORK_CHECK (联网核查) -> FACE (人脸比对) -> LIVENESS (活体检测) -> QUESTIONS (私密问题)

The machine takes the raw results of the bank adapters and the face/liveness pipelines (a
:class:`~server.bank.adapters.NetworkCheckResult`, :class:`FaceScores`...) and decides itself; there is no method
that marks a gate passed, no manual override and no way to skip or reorder. Every transition returns trail entries
(plain dicts, no full ID/phone/card numbers) for the session's tamper-evident trail. Time is always passed in
(``now``), so the machine is deterministic and testable.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import math
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any, Concatenate, ParamSpec, TypeVar

from server.bank.adapters import (
    ACCOUNT_STATUS_LABELS,
    Account,
    AccountStatus,
    BankAdapters,
    BankError,
    BlacklistHit,
    BusinessRequest,
    BusinessResult,
    CoreBanking,
    Customer,
    NetworkCheckResult,
    NetworkCheckVerdict,
)
from server.identity.idnumber import (
    IdNumberError,
    mask_card_number,
    mask_id_number,
    mask_name,
    mask_phone,
    parse_id_number,
)
from server.identity.questions import PassRule, QuestionError, QuestionSet

__all__ = [
    "DEFAULT_GATE_CONFIG",
    "GATE_LABELS",
    "GATE_ORDER",
    "LIVENESS_ACTIONS",
    "STATE_VERSION",
    "FaceScores",
    "Gate",
    "GateClosedError",
    "GateConfig",
    "GateError",
    "GateInputError",
    "GateMachine",
    "GateOrderError",
    "GatePolicy",
    "GateStateError",
    "GateStatus",
    "GateUpdate",
    "GatesNotPassedError",
    "IdCardFields",
    "LivenessChallenge",
    "LivenessObservation",
    "NetworkCheckRequest",
    "PrecheckEvidence",
    "collect_precheck_evidence",
    "execute_verified_business",
    "sha256_hex",
]

logger = logging.getLogger(__name__)


class Gate(StrEnum):
    """An identity gate."""

    PRECHECK = "precheck"
    NETWORK_CHECK = "network_check"
    FACE = "face"
    LIVENESS = "liveness"
    QUESTIONS = "questions"


GATE_ORDER: tuple[Gate, ...] = (Gate.PRECHECK, Gate.NETWORK_CHECK, Gate.FACE, Gate.LIVENESS, Gate.QUESTIONS)

GATE_LABELS: dict[Gate, str] = {
    Gate.PRECHECK: "受理前核验",
    Gate.NETWORK_CHECK: "联网核查",
    Gate.FACE: "人脸比对",
    Gate.LIVENESS: "活体检测",
    Gate.QUESTIONS: "私密问题",
}


class GateStatus(StrEnum):
    """State of one gate."""

    PENDING = "pending"
    RUNNING = "running"
    PASSED = "passed"
    FAILED = "failed"
    NOT_REQUIRED = "not_required"  # the business's policy does not ask for this gate


LIVENESS_ACTIONS: dict[str, str] = {
    "blink": "请眨眨眼",
    "turn_left": "请缓慢向左转头",
    "turn_right": "请缓慢向右转头",
}
"""Active liveness actions and the prompt the customer sees (the actions ``server.identity.liveness`` detects)."""


def sha256_hex(data: bytes) -> str:
    """Hex sha256 of some bytes (images are identified in the trail by their hash)."""
    return hashlib.sha256(data).hexdigest()


# --- errors ---


class GateError(Exception):
    """A gate operation was refused.

    Attributes:
        code: machine-readable reason.
        message: Chinese explanation for the teller (and customer where relevant).
        trail: trail entries describing the refusal (and anything decided on the way), for the session trail.
    """

    code = "gate_error"

    def __init__(
        self, message: str, *, code: str | None = None, trail: dict[str, Any] | tuple[dict[str, Any], ...] = ()
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.trail: tuple[dict[str, Any], ...] = (trail,) if isinstance(trail, dict) else tuple(trail)


class GateOrderError(GateError):
    """A gate was asked for before the gates before it passed, or it is not part of this business."""

    code = "gate_order"


class GateClosedError(GateError):
    """Acceptance ended (a gate failed for good) or the gate already has its final result."""

    code = "gate_closed"


class GateInputError(GateError):
    """The raw result does not belong to this session (hash mismatch, unknown challenge, malformed scores)."""

    code = "gate_input"


class GatesNotPassedError(GateError):
    """A business step was attempted before every required gate passed."""

    code = "gates_not_passed"


class GateStateError(ValueError):
    """A stored gate state cannot be restored (unknown version, inconsistent, or a photo it needs is missing)."""


# --- inputs ---


@dataclass(frozen=True)
class IdCardFields:
    """The fields read (OCR) from the customer's ID card.

    Attributes:
        name: 姓名.
        id_number: 公民身份号码.
        sex: 性别 (男/女).
        birth_date: 出生.
        address: 住址.
        valid_until: end of the 有效期限 (None for 长期).
        portrait_sha256: sha256 of the portrait cropped from the card (used by the face gate).
        ethnicity: 民族.
    """

    name: str
    id_number: str
    sex: str
    birth_date: date
    address: str
    valid_until: date | None
    portrait_sha256: str
    ethnicity: str = ""


@dataclass(frozen=True)
class PrecheckEvidence:
    """What the server gathered before queueing: the card, the phone typed in and the bank systems' answers.

    Build it with :func:`collect_precheck_evidence`; the machine cross-checks every part of it.

    Attributes:
        card: OCR'd ID card fields.
        phone: mobile number the customer entered.
        account_no: the account the business concerns (None for businesses without one).
        customer: core banking's three-element lookup result.
        account: core banking's record of ``account_no``.
        person_hits: blacklist hits on the ID number.
        account_hits: blacklist hits on the account.
    """

    card: IdCardFields
    phone: str
    account_no: str | None
    customer: Customer | None
    account: Account | None
    person_hits: Sequence[BlacklistHit] = ()
    account_hits: Sequence[BlacklistHit] = ()


@dataclass(frozen=True)
class NetworkCheckRequest:
    """What the server must send to 联网核查 for this attempt (taken from the passed precheck, not from a caller).

    ``trail`` holds the ``gate_started`` entry of the attempt.
    """

    id_number: str
    name: str
    attempt: int
    trail: tuple[dict[str, Any], ...] = field(default=(), repr=False, compare=False)


@dataclass(frozen=True)
class FaceScores:
    """The three pairwise similarity scores from the face pipeline, with the hashes of the images compared.

    A score is None when no face was found in one of the two images.

    Attributes:
        id_vs_live: ID-card portrait vs live capture.
        network_vs_live: network-check photo vs live capture.
        id_vs_network: ID-card portrait vs network-check photo.
        id_portrait_sha256: hash of the ID portrait used.
        network_photo_sha256: hash of the network-check photo used.
        live_sha256: hash of the live capture used.
    """

    id_vs_live: float | None
    network_vs_live: float | None
    id_vs_network: float | None
    id_portrait_sha256: str
    network_photo_sha256: str
    live_sha256: str

    @classmethod
    def from_three_way(cls, scores: Any, *, id_portrait: bytes, network_photo: bytes, live: bytes) -> FaceScores:
        """Build from ``server.identity.face.ThreeWayFaceScores`` and the three images that were compared.

        A pair with problems (no face, several faces) becomes None, so the gate fails it whatever its score.
        The engine's own pass/fail is ignored: the gate applies its configured threshold.
        """

        def score(match: Any) -> float | None:
            return None if match.problems else float(match.score)

        return cls(
            id_vs_live=score(scores.id_vs_live),
            network_vs_live=score(scores.network_vs_live),
            id_vs_network=score(scores.id_vs_network),
            id_portrait_sha256=sha256_hex(id_portrait),
            network_photo_sha256=sha256_hex(network_photo),
            live_sha256=sha256_hex(live),
        )


@dataclass(frozen=True)
class LivenessChallenge:
    """An active liveness challenge issued by the machine.

    Attributes:
        challenge_id: random id the observation must quote.
        actions: actions (keys of :data:`LIVENESS_ACTIONS`) in the order the customer must do them.
        issued_at: when it was issued.
        expires_at: answers after this are rejected.
        trail: trail entries of issuing it (an expired earlier challenge's failure, then ``gate_started``).
    """

    challenge_id: str
    actions: tuple[str, ...]
    issued_at: datetime
    expires_at: datetime
    trail: tuple[dict[str, Any], ...] = field(default=(), repr=False, compare=False)

    @property
    def prompts(self) -> list[str]:
        """Chinese prompts for the customer page."""
        return [LIVENESS_ACTIONS[a] for a in self.actions]


@dataclass(frozen=True)
class LivenessObservation:
    """What the liveness pipeline saw while the customer answered a challenge.

    Attributes:
        challenge_id: the challenge answered.
        detected_actions: actions detected, in the order they happened.
        same_face: whether one face was tracked throughout (no swap mid-challenge).
        frames_sha256: hash over the analysed frames (for the trail).
    """

    challenge_id: str
    detected_actions: tuple[str, ...]
    same_face: bool
    frames_sha256: str

    @classmethod
    def from_result(cls, challenge_id: str, result: Any, *, frames_sha256: str) -> LivenessObservation:
        """Build from ``server.identity.liveness.LivenessResult`` (completed steps, in order).

        The pipeline's own verdict is not taken: the gate compares the completed actions with what it asked for.
        """
        done = tuple(str(step.action) for step in result.steps if step.completed_at is not None)
        several_faces = any("多张人脸" in p for p in result.problems)
        return cls(challenge_id, done, not several_faces, frames_sha256)


# --- policy ---


@dataclass(frozen=True)
class GatePolicy:
    """Which gates a business requires and the limits that apply.

    Attributes:
        required: gates the business requires (PRECHECK always; FACE needs NETWORK_CHECK).
        max_attempts: attempts per gate before acceptance ends.
        face_threshold: minimum similarity for each of the three face pairs.
        allowed_account_statuses: account statuses the business can be done on.
        requires_account: whether the business concerns an account.
        question_rule: private-question pass rule.
        liveness_action_count: actions per liveness challenge.
        liveness_timeout_s: time allowed to answer a challenge.
        check_card_validity: refuse an expired ID card.
    """

    required: frozenset[Gate] = frozenset(GATE_ORDER)
    max_attempts: Mapping[Gate, int] = field(
        default_factory=lambda: {
            Gate.PRECHECK: 3,
            Gate.NETWORK_CHECK: 3,
            Gate.FACE: 3,
            Gate.LIVENESS: 3,
            Gate.QUESTIONS: 1,
        }
    )
    face_threshold: float = 0.42  # = server.identity.face.DEFAULT_THRESHOLD (a test keeps them equal)
    allowed_account_statuses: frozenset[AccountStatus] = frozenset({AccountStatus.NORMAL})
    requires_account: bool = True
    question_rule: PassRule = field(default_factory=PassRule)
    liveness_action_count: int = 3
    liveness_timeout_s: float = 30.0
    check_card_validity: bool = True

    def __post_init__(self) -> None:
        if Gate.PRECHECK not in self.required:
            raise ValueError("PRECHECK 不能取消")
        if Gate.FACE in self.required and Gate.NETWORK_CHECK not in self.required:
            raise ValueError("人脸比对需要联网核查照片,FACE 要求 NETWORK_CHECK")
        if not 0.0 < self.face_threshold <= 1.0:
            raise ValueError("face_threshold 必须在 (0, 1] 内")
        for gate in GATE_ORDER:
            if self.max_attempts.get(gate, 1) < 1:
                raise ValueError("max_attempts 至少为 1")
        if not 1 <= self.liveness_action_count <= len(LIVENESS_ACTIONS):
            raise ValueError("liveness_action_count 超出范围")

    def attempts_for(self, gate: Gate) -> int:
        """Maximum attempts for a gate."""
        return self.max_attempts.get(gate, 1)


@dataclass(frozen=True)
class GateConfig:
    """Gate policies per business type, with a default."""

    default: GatePolicy = field(default_factory=GatePolicy)
    per_business: Mapping[str, GatePolicy] = field(default_factory=dict)

    def policy_for(self, business_type: str) -> GatePolicy:
        """The policy for a business (the default when it has none of its own)."""
        return self.per_business.get(str(business_type), self.default)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], base: GateConfig | None = None) -> GateConfig:
        """Build from settings (e.g. a TOML table), on top of ``base`` (default :data:`DEFAULT_GATE_CONFIG`).

        Example::

            [gates.default]
            face_threshold = 0.45
            max_attempts = {network_check = 3, face = 2}
            [gates.businesses.sms_signing]
            required = ["precheck", "network_check"]
            question_rule = {asked = 3, required_correct = 2}

        Keys: ``required`` (gate names), ``max_attempts`` (gate -> n), ``face_threshold``,
        ``allowed_account_statuses`` (status names), ``requires_account``, ``question_rule``
        (``asked``, ``required_correct``), ``liveness_action_count``, ``liveness_timeout_s``, ``check_card_validity``.
        A business entry starts from that business's base policy, then the new default's keys, then its own keys.

        Raises:
            ValueError: unknown key, gate, status or an inconsistent policy.
        """
        base = base or DEFAULT_GATE_CONFIG
        unknown = set(data) - {"default", "businesses"}
        if unknown:
            raise ValueError(f"未知的关卡配置项:{', '.join(sorted(unknown))}")
        default_spec = dict(data.get("default") or {})
        default = _policy_from(base.default, default_spec)
        businesses: dict[str, GatePolicy] = {
            name: _policy_from(policy, default_spec) for name, policy in base.per_business.items()
        }
        for name, spec in dict(data.get("businesses") or {}).items():
            start = businesses.get(name, default)
            businesses[name] = _policy_from(start, dict(spec))
        return cls(default=default, per_business=businesses)


def _policy_from(start: GatePolicy, spec: Mapping[str, Any]) -> GatePolicy:
    changes: dict[str, Any] = {}
    for key, value in spec.items():
        if key == "required":
            changes[key] = frozenset(Gate(v) for v in value)
        elif key == "max_attempts":
            changes[key] = {**start.max_attempts, **{Gate(g): int(n) for g, n in dict(value).items()}}
        elif key == "allowed_account_statuses":
            changes[key] = frozenset(AccountStatus(v) for v in value)
        elif key == "question_rule":
            changes[key] = PassRule(int(value["asked"]), int(value["required_correct"]))
        elif key in ("face_threshold", "liveness_timeout_s"):
            changes[key] = float(value)
        elif key == "liveness_action_count":
            changes[key] = int(value)
        elif key in ("requires_account", "check_card_validity"):
            changes[key] = bool(value)
        else:
            raise ValueError(f"未知的关卡策略项:{key}")
    return replace(start, **changes)


def _default_config() -> GateConfig:
    base = GatePolicy()
    return GateConfig(
        default=base,
        per_business={
            "account_activation": replace(base, allowed_account_statuses=frozenset({AccountStatus.DORMANT})),
            "loss_report_release": replace(base, allowed_account_statuses=frozenset({AccountStatus.REPORTED_LOST})),
            "customer_info_maintenance": replace(base, requires_account=False),
        },
    )


DEFAULT_GATE_CONFIG = _default_config()
"""All gates for every business; activation needs a dormant account, loss release a reported-lost one."""


# --- messages ---

_MSG_BLACKLIST = "您(名下账户)的信息在黑名单清单中,请到柜面办理业务!"
_MSG_IDENTITY = "身份信息核验未通过,请核对后重试"
_MSG_FACE_FINAL = "人脸比对未通过,本次业务无法继续办理"
_MSG_STATUS: dict[AccountStatus, str] = {
    AccountStatus.DORMANT: "账户状态异常(久悬),请携带身份证到柜面办理激活",
    AccountStatus.CLOSED: "该账户已销户,无法办理此业务,请核对卡号或到柜面咨询",
    AccountStatus.FROZEN: "账户状态异常(冻结),请携带身份证到柜面咨询办理",
    AccountStatus.REPORTED_LOST: "账户已挂失,请先办理挂失解挂,或携带身份证到柜面办理",
    AccountStatus.NORMAL: "账户状态正常,无需办理此业务",
}


# --- state ---


@dataclass
class _GateState:
    gate: Gate
    status: GateStatus
    max_attempts: int
    attempts: int = 0
    started_at: datetime | None = None
    finished_at: datetime | None = None
    inputs: dict[str, str] = field(default_factory=dict)
    scores: dict[str, float | None] = field(default_factory=dict)
    results: list[dict[str, Any]] = field(default_factory=list)
    failure_code: str | None = None
    customer_message: str | None = None
    teller_message: str | None = None

    def snapshot(self) -> dict[str, Any]:
        return {
            "gate": str(self.gate),
            "label": GATE_LABELS[self.gate],
            "status": str(self.status),
            "attempts": self.attempts,
            "max_attempts": self.max_attempts,
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "inputs": dict(self.inputs),
            "scores": dict(self.scores),
            "results": [dict(r) for r in self.results],
            "failure_code": self.failure_code,
            "customer_message": self.customer_message,
            "teller_message": self.teller_message,
        }


STATE_VERSION = 1
"""Version of :meth:`GateMachine.to_state`'s format."""


def _gate_state_from(data: Mapping[str, Any]) -> _GateState:
    return _GateState(
        gate=Gate(data["gate"]),
        status=GateStatus(data["status"]),
        max_attempts=int(data["max_attempts"]),
        attempts=int(data["attempts"]),
        started_at=_when(data.get("started_at")),
        finished_at=_when(data.get("finished_at")),
        inputs={str(k): str(v) for k, v in dict(data.get("inputs") or {}).items()},
        scores={str(k): (None if v is None else float(v)) for k, v in dict(data.get("scores") or {}).items()},
        results=[dict(r) for r in data.get("results") or []],
        failure_code=data.get("failure_code"),
        customer_message=data.get("customer_message"),
        teller_message=data.get("teller_message"),
    )


def _when(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def _day(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)


def _card_state(card: IdCardFields | None) -> dict[str, Any] | None:
    if card is None:
        return None
    return {
        "name": card.name,
        "id_number": card.id_number,
        "sex": card.sex,
        "birth_date": card.birth_date.isoformat(),
        "address": card.address,
        "valid_until": card.valid_until.isoformat() if card.valid_until else None,
        "portrait_sha256": card.portrait_sha256,
        "ethnicity": card.ethnicity,
    }


def _card_from(data: Mapping[str, Any] | None) -> IdCardFields | None:
    if data is None:
        return None
    birth = _day(data["birth_date"])
    assert birth is not None
    return IdCardFields(
        name=str(data["name"]),
        id_number=str(data["id_number"]),
        sex=str(data["sex"]),
        birth_date=birth,
        address=str(data["address"]),
        valid_until=_day(data.get("valid_until")),
        portrait_sha256=str(data["portrait_sha256"]),
        ethnicity=str(data.get("ethnicity", "")),
    )


def _customer_state(customer: Customer | None) -> dict[str, Any] | None:
    if customer is None:
        return None
    return {
        "customer_id": customer.customer_id,
        "name": customer.name,
        "id_number": customer.id_number,
        "phone": customer.phone,
        "sex": customer.sex,
        "birth_date": customer.birth_date.isoformat(),
        "address": customer.address,
        "ethnicity": customer.ethnicity,
    }


def _customer_from(data: Mapping[str, Any] | None) -> Customer | None:
    if data is None:
        return None
    birth = _day(data["birth_date"])
    assert birth is not None
    return Customer(
        customer_id=str(data["customer_id"]),
        name=str(data["name"]),
        id_number=str(data["id_number"]),
        phone=str(data["phone"]),
        sex=str(data["sex"]),
        birth_date=birth,
        address=str(data["address"]),
        ethnicity=str(data.get("ethnicity", "汉")),
    )


def _account_state(account: Account | None) -> dict[str, Any] | None:
    if account is None:
        return None
    return {
        "account_no": account.account_no,
        "customer_id": account.customer_id,
        "status": str(account.status),
        "card_type": account.card_type,
        "opening_branch": account.opening_branch,
        "opened_on": account.opened_on.isoformat(),
    }


def _account_from(data: Mapping[str, Any] | None) -> Account | None:
    if data is None:
        return None
    opened = _day(data["opened_on"])
    assert opened is not None
    return Account(
        account_no=str(data["account_no"]),
        customer_id=str(data["customer_id"]),
        status=AccountStatus(data["status"]),
        card_type=str(data["card_type"]),
        opening_branch=str(data["opening_branch"]),
        opened_on=opened,
    )


_P = ParamSpec("_P")
_R = TypeVar("_R")


def _transition(method: Callable[Concatenate[GateMachine, _P], _R]) -> Callable[Concatenate[GateMachine, _P], _R]:
    """Mark a method that may change the machine: its ``on_change`` observer runs once it returns or raises."""

    @functools.wraps(method)
    def wrapper(self: GateMachine, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            return method(self, *args, **kwargs)
        finally:
            self._notify_change()

    return wrapper


_INTERRUPTED: dict[Gate, tuple[str, str]] = {
    Gate.PRECHECK: ("受理前核验中断,请重新提交", "服务重启,进行中的受理前核验作废"),
    Gate.NETWORK_CHECK: ("联网核查中断,请稍候由柜员重试", "服务重启,进行中的联网核查结果未知"),
    Gate.FACE: ("人脸比对中断,请稍候由柜员重试", "服务重启,进行中的人脸比对作废"),
    Gate.LIVENESS: ("活体检测中断,请按提示重新完成动作", "服务重启,进行中的活体检测作废"),
}
"""(customer, teller) messages for an attempt a server restart cut off; it counts as a failed attempt."""


@dataclass(frozen=True)
class GateUpdate:
    """The outcome of one call into the machine.

    Attributes:
        gate: the gate concerned.
        status: its status after the call.
        attempt: the attempt number concerned.
        customer_message: what to show the customer (Chinese), when something went wrong or finished.
        teller_message: what to show the teller (Chinese; may name the blacklist, the customer message never does).
        trail: trail entries, one per transition, in order.
        retry_allowed: after a failed attempt, whether the gate can be tried again.
    """

    gate: Gate
    status: GateStatus
    attempt: int
    customer_message: str | None
    teller_message: str | None
    trail: tuple[dict[str, Any], ...]
    retry_allowed: bool = False

    @property
    def passed(self) -> bool:
        """Whether the gate is now passed."""
        return self.status is GateStatus.PASSED


class GateMachine:
    """The gates of one session.

    Args:
        session_id: the session (appears in every trail entry).
        business_type: the business queued for.
        now: creation time.
        config: gate configuration (defaults to :data:`DEFAULT_GATE_CONFIG`).

    Example:
        >>> m = GateMachine("s1", "password_reset", now=t0)
        >>> m.submit_precheck(evidence, now=t1)
        >>> req = m.start_network_check(now=t2)
        >>> m.record_network_check(await adapters.network_check.check(req.id_number, req.name), now=t3)
    """

    def __init__(
        self, session_id: str, business_type: str, *, now: datetime, config: GateConfig = DEFAULT_GATE_CONFIG
    ) -> None:
        self.session_id = session_id
        self.business_type = str(business_type)
        self.policy = config.policy_for(self.business_type)
        self.created_at = now
        self._gates: dict[Gate, _GateState] = {
            g: _GateState(
                g,
                GateStatus.PENDING if g in self.policy.required else GateStatus.NOT_REQUIRED,
                self.policy.attempts_for(g),
            )
            for g in GATE_ORDER
        }
        self._terminated_by: Gate | None = None
        self._card: IdCardFields | None = None
        self._customer: Customer | None = None
        self._account: Account | None = None
        self._network_photo: bytes | None = None
        self._challenge: LivenessChallenge | None = None
        self._questions: QuestionSet | None = None
        self._dirty = False
        self.on_change: Callable[[GateMachine], None] | None = None
        """Called with the machine after every call that changed it (e.g. to persist it); an exception it raises
        reaches the caller of that call, the change itself stays."""

    # --- persistence ---

    def _notify_change(self) -> None:
        if not self._dirty:
            return
        self._dirty = False
        if self.on_change is not None:
            self.on_change(self)

    def to_state(self) -> dict[str, Any]:
        """Everything needed to rebuild the machine after a server restart (:meth:`from_state`).

        JSON-safe, but it holds the full name, ID number, phone and the private questions' answers: store it
        encrypted. Images are not in it, only their hashes (the network-check photo is passed back to
        :meth:`from_state`).
        """
        challenge = self._challenge
        return {
            "version": STATE_VERSION,
            "session_id": self.session_id,
            "business_type": self.business_type,
            "created_at": self.created_at.isoformat(),
            "terminated_by": str(self._terminated_by) if self._terminated_by else None,
            "gates": [self._gates[g].snapshot() for g in GATE_ORDER],
            "card": _card_state(self._card),
            "customer": _customer_state(self._customer),
            "account": _account_state(self._account),
            "challenge": (
                {
                    "challenge_id": challenge.challenge_id,
                    "actions": list(challenge.actions),
                    "issued_at": challenge.issued_at.isoformat(),
                    "expires_at": challenge.expires_at.isoformat(),
                }
                if challenge
                else None
            ),
            "questions": self._questions.to_state() if self._questions else None,
        }

    @classmethod
    def from_state(
        cls, state: Mapping[str, Any], *, config: GateConfig = DEFAULT_GATE_CONFIG, network_photo: bytes | None = None
    ) -> GateMachine:
        """Rebuild a machine from :meth:`to_state`: statuses, attempts used, scores, results, questions and answers,
        the open liveness challenge; a failed session stays failed.

        The business's policy is taken from ``config``, but a restore never relaxes what was stored: each gate keeps
        its stored attempt limit, and a gate the current policy requires is required even if it was not before.

        Args:
            state: what :meth:`to_state` returned.
            config: the gate configuration now.
            network_photo: the registered photo of a passed network check (its hash is checked).

        Raises:
            GateStateError: unknown version, inconsistent state, or the passed network check's photo is missing or
                not the one that was checked.
        """
        if state.get("version") != STATE_VERSION:
            raise GateStateError(f"unknown gate state version {state.get('version')!r}")
        created = _when(state["created_at"])
        assert created is not None
        machine = cls(str(state["session_id"]), str(state["business_type"]), now=created, config=config)
        try:
            stored = [_gate_state_from(d) for d in state["gates"]]
        except (KeyError, ValueError, TypeError) as exc:
            raise GateStateError(f"malformed gate state: {exc}") from exc
        if [s.gate for s in stored] != list(GATE_ORDER):
            raise GateStateError("gate state does not list the gates in order")
        for gate_state in stored:
            if gate_state.status is GateStatus.NOT_REQUIRED and gate_state.gate in machine.policy.required:
                gate_state.status = GateStatus.PENDING
            machine._gates[gate_state.gate] = gate_state
        terminated_by = state.get("terminated_by")
        machine._terminated_by = Gate(terminated_by) if terminated_by else None
        if machine._terminated_by and machine._gates[machine._terminated_by].status is not GateStatus.FAILED:
            raise GateStateError("acceptance ended by a gate that did not fail")
        if not machine._terminated_by and any(s.status is GateStatus.FAILED for s in stored):
            raise GateStateError("a gate failed but acceptance did not end")
        machine._card = _card_from(state.get("card"))
        machine._customer = _customer_from(state.get("customer"))
        machine._account = _account_from(state.get("account"))
        if machine._gates[Gate.PRECHECK].status is GateStatus.PASSED and (
            machine._card is None or machine._customer is None
        ):
            raise GateStateError("passed precheck without its card and customer")
        network = machine._gates[Gate.NETWORK_CHECK]
        if network.status is GateStatus.PASSED:
            expected = network.inputs.get("network_photo_sha256")
            if network_photo is None or sha256_hex(network_photo) != expected:
                raise GateStateError("the passed network check's photo is missing or is not the one checked")
            machine._network_photo = network_photo
        challenge = state.get("challenge")
        if challenge:
            issued, expires = _when(challenge["issued_at"]), _when(challenge["expires_at"])
            assert issued is not None and expires is not None
            machine._challenge = LivenessChallenge(
                str(challenge["challenge_id"]), tuple(str(a) for a in challenge["actions"]), issued, expires
            )
        questions = state.get("questions")
        if questions:
            try:
                machine._questions = QuestionSet.from_state(questions)
            except (KeyError, ValueError, TypeError, QuestionError) as exc:
                raise GateStateError(f"malformed question set: {exc}") from exc
        return machine

    @_transition
    def interrupt_running(self, *, now: datetime) -> list[GateUpdate]:
        """After a restart: an attempt whose work was lost (a 联网核查 call, a liveness challenge's frames) counts as
        a failed attempt; attempts used are never given back. Private questions carry on where they were."""
        updates: list[GateUpdate] = []
        for gate, (customer_message, teller_message) in _INTERRUPTED.items():
            state = self._gates[gate]
            if self.terminated or state.status is not GateStatus.RUNNING:
                continue
            if gate is Gate.LIVENESS:
                self._challenge = None
            state.results.append({"attempt": state.attempts, "error": "interrupted", "at": now.isoformat()})
            updates.append(
                self._fail(
                    state,
                    now,
                    [],
                    code="interrupted",
                    customer_message=customer_message,
                    teller_message=f"{teller_message},计为第 {state.attempts} 次未通过",
                    final_message=f"{GATE_LABELS[gate]}未通过,本次业务无法继续办理",
                )
            )
        return updates

    # --- read-only views ---

    @property
    def terminated(self) -> bool:
        """Whether acceptance ended (受理终止) because a gate failed for good."""
        return self._terminated_by is not None

    @property
    def all_passed(self) -> bool:
        """Whether every required gate passed."""
        return all(s.status in (GateStatus.PASSED, GateStatus.NOT_REQUIRED) for s in self._gates.values())

    @property
    def current_gate(self) -> Gate | None:
        """The next gate to work on, or None when all passed or acceptance ended."""
        if self.terminated:
            return None
        for gate in GATE_ORDER:
            if self._gates[gate].status in (GateStatus.PENDING, GateStatus.RUNNING):
                return gate
        return None

    def status(self, gate: Gate) -> GateStatus:
        """Status of one gate."""
        return self._gates[gate].status

    def attempts(self, gate: Gate) -> int:
        """Attempts used on one gate."""
        return self._gates[gate].attempts

    def snapshot(self) -> dict[str, Any]:
        """JSON-safe state of all gates (for the teller's screen, persistence and the trail); masked, no images."""
        return {
            "session_id": self.session_id,
            "business_type": self.business_type,
            "current_gate": str(self.current_gate) if self.current_gate else None,
            "terminated": self.terminated,
            "all_passed": self.all_passed,
            "gates": [self._gates[g].snapshot() for g in GATE_ORDER],
        }

    @property
    def customer(self) -> Customer | None:
        """The customer identified by the passed precheck."""
        return self._customer if self._gates[Gate.PRECHECK].status is GateStatus.PASSED else None

    @property
    def account(self) -> Account | None:
        """The account checked by the passed precheck."""
        return self._account if self._gates[Gate.PRECHECK].status is GateStatus.PASSED else None

    @property
    def network_photo(self) -> bytes | None:
        """The registered photo from the passed network check (for the face pipeline)."""
        return self._network_photo

    @property
    def question_set(self) -> QuestionSet | None:
        """The question set in use, if the questions gate started."""
        return self._questions

    @property
    def liveness_challenge(self) -> LivenessChallenge | None:
        """The open liveness challenge, if any."""
        return self._challenge

    def require_all_passed(self) -> None:
        """Refuse a business step unless every required gate passed.

        Raises:
            GatesNotPassedError: with a Chinese message naming what is missing.
        """
        if self.terminated:
            assert self._terminated_by is not None
            raise GatesNotPassedError(
                f"身份核验未通过({GATE_LABELS[self._terminated_by]}),本次受理已终止,不能办理业务",
                code="terminated",
            )
        missing = [
            GATE_LABELS[g] for g in GATE_ORDER if self._gates[g].status in (GateStatus.PENDING, GateStatus.RUNNING)
        ]
        if missing:
            raise GatesNotPassedError(f"身份核验尚未全部通过(待完成:{'、'.join(missing)}),不能办理业务")

    def ensure_turn(self, gate: Gate, *, now: datetime) -> None:
        """Raise what working on ``gate`` now would raise (out of order, decided, not required, ended); no change.

        Lets the server refuse a gate before it gathers the gate's inputs (e.g. before asking for a live frame).
        """
        self._check_turn(gate, now)

    # --- internals ---

    def _entry(self, event: str, gate: Gate, now: datetime, **extra: Any) -> dict[str, Any]:
        state = self._gates[gate]
        entry: dict[str, Any] = {
            "event": event,
            "session_id": self.session_id,
            "gate": str(gate),
            "status": str(state.status),
            "attempt": state.attempts,
            "at": now.isoformat(),
        }
        entry.update({k: v for k, v in extra.items() if v is not None})
        return entry

    def _check_turn(self, gate: Gate, now: datetime) -> _GateState:
        state = self._gates[gate]
        if self.terminated:
            assert self._terminated_by is not None
            raise GateClosedError(
                f"本次受理已终止({GATE_LABELS[self._terminated_by]}未通过),不能继续核验",
                code="terminated",
                trail=self._entry("gate_refused", gate, now, code="terminated"),
            )
        if state.status is GateStatus.NOT_REQUIRED:
            raise GateOrderError(f"本业务不需要{GATE_LABELS[gate]}", code="not_required")
        for earlier in GATE_ORDER[: GATE_ORDER.index(gate)]:
            if self._gates[earlier].status in (GateStatus.PENDING, GateStatus.RUNNING):
                raise GateOrderError(
                    f"请先完成{GATE_LABELS[earlier]},再进行{GATE_LABELS[gate]}",
                    trail=self._entry("gate_refused", gate, now, code="gate_order", waiting_for=str(earlier)),
                )
        if state.status in (GateStatus.PASSED, GateStatus.FAILED):
            raise GateClosedError(f"{GATE_LABELS[gate]}结果已记录,不能修改", code="already_decided")
        return state

    def _start(self, state: _GateState, now: datetime, **extra: Any) -> dict[str, Any]:
        self._dirty = True
        state.status = GateStatus.RUNNING
        state.attempts += 1
        if state.started_at is None:
            state.started_at = now
        return self._entry("gate_started", state.gate, now, **extra)

    def _pass(self, state: _GateState, now: datetime, trail: list[dict[str, Any]], **extra: Any) -> GateUpdate:
        self._dirty = True
        state.status = GateStatus.PASSED
        state.finished_at = now
        state.failure_code = state.customer_message = state.teller_message = None
        trail.append(self._entry("gate_passed", state.gate, now, **extra))
        logger.info("session %s: gate %s passed (attempt %s)", self.session_id, state.gate, state.attempts)
        return GateUpdate(state.gate, state.status, state.attempts, None, None, tuple(trail))

    def _fail(
        self,
        state: _GateState,
        now: datetime,
        trail: list[dict[str, Any]],
        *,
        code: str,
        customer_message: str,
        teller_message: str | None = None,
        final: bool = False,
        final_message: str | None = None,
        **extra: Any,
    ) -> GateUpdate:
        """Record a failed attempt; final when asked or when the attempts are used up."""
        self._dirty = True
        exhausted = state.attempts >= state.max_attempts
        teller = teller_message or customer_message
        state.failure_code = code
        if final or exhausted:
            state.status = GateStatus.FAILED
            state.finished_at = now
            if exhausted and not final:
                customer_message = (
                    final_message or f"{GATE_LABELS[state.gate]}{state.max_attempts}次未通过,本次业务无法继续办理"
                )
                teller = f"{teller};已用完 {state.max_attempts} 次尝试,受理终止"
            state.customer_message, state.teller_message = customer_message, teller
            self._terminated_by = state.gate
            trail.append(self._entry("gate_failed", state.gate, now, code=code, message=customer_message, **extra))
            trail.append(self._entry("acceptance_terminated", state.gate, now, code=code))
            logger.info("session %s: gate %s failed (%s), acceptance ended", self.session_id, state.gate, code)
            return GateUpdate(state.gate, state.status, state.attempts, customer_message, teller, tuple(trail))
        state.status = GateStatus.PENDING
        left = state.max_attempts - state.attempts
        customer_message = f"{customer_message}(还可尝试 {left} 次)"
        state.customer_message, state.teller_message = customer_message, teller
        trail.append(self._entry("gate_attempt_failed", state.gate, now, code=code, message=customer_message, **extra))
        logger.info("session %s: gate %s attempt %s failed (%s)", self.session_id, state.gate, state.attempts, code)
        return GateUpdate(
            state.gate, state.status, state.attempts, customer_message, teller, tuple(trail), retry_allowed=True
        )

    # --- PRECHECK ---

    @_transition
    def submit_precheck(self, evidence: PrecheckEvidence, *, now: datetime) -> GateUpdate:
        """Decide the precheck from the OCR'd card, the phone and the bank systems' answers.

        Checks: valid ID number consistent with the card's birth date and sex; card not expired; the three elements
        found one customer whose data equal the card's; the account exists, is the customer's and its status suits
        the business; no AML or telecom-fraud hit on the person or the account.
        """
        state = self._check_turn(Gate.PRECHECK, now)
        card = evidence.card
        inputs = {
            "card_sha256": sha256_hex(
                "|".join([card.name, card.id_number, card.sex, card.birth_date.isoformat(), card.address]).encode()
            ),
            "id_portrait_sha256": card.portrait_sha256,
        }
        state.inputs = inputs
        detail = {
            "name": mask_name(card.name),
            "id_number": mask_id_number(card.id_number),
            "phone": mask_phone(evidence.phone),
            "account_no": mask_card_number(evidence.account_no),
        }
        trail = [self._start(state, now, inputs=inputs, detail=detail)]
        fail = self._precheck_failure(evidence, now)
        if fail is not None:
            code, customer_message, teller_message, final = fail
            state.results.append({"attempt": state.attempts, "code": code})
            return self._fail(
                state,
                now,
                trail,
                code=code,
                customer_message=customer_message,
                teller_message=teller_message,
                final=final,
                final_message="身份信息核验多次未通过,本次受理终止,请携带身份证到柜面办理",
            )
        self._card = card
        self._customer = evidence.customer
        self._account = evidence.account
        state.results.append({"attempt": state.attempts, "code": "ok"})
        assert evidence.customer is not None
        return self._pass(state, now, trail, customer_id=evidence.customer.customer_id)

    def _precheck_failure(self, ev: PrecheckEvidence, now: datetime) -> tuple[str, str, str, bool] | None:
        """(code, customer message, teller message, final) of the first failed check, or None."""
        card = ev.card
        if not card.portrait_sha256 or len(card.portrait_sha256) != 64:
            return ("no_portrait", "未能从身份证上识别出人像,请重新拍摄身份证人像面", "证件人像缺失", False)
        try:
            parsed = parse_id_number(
                card.id_number, today=now.date(), expected_birth=card.birth_date, expected_sex=card.sex
            )
        except IdNumberError as exc:
            return ("id_number_invalid", f"{exc.message},请重新拍摄或核对身份证", f"证件号码校验失败:{exc.code}", False)
        if self.policy.check_card_validity and card.valid_until is not None and card.valid_until < now.date():
            return ("id_card_expired", "身份证已过有效期,请携带有效身份证件到柜面办理", "证件已过期", True)
        customer = ev.customer
        if customer is None:
            return ("three_elements_mismatch", _MSG_IDENTITY, "三要素(姓名、身份证号、预留手机号)核验不一致", False)
        if (
            customer.id_number.upper() != parsed.number
            or customer.name.strip() != card.name.strip()
            or customer.phone.strip() != ev.phone.strip()
        ):
            # The lookup answer does not describe the person on the card: never accept it.
            return ("evidence_inconsistent", _MSG_IDENTITY, "核心系统返回的客户与证件信息不一致", False)
        hits = list(ev.person_hits) + list(ev.account_hits)
        if hits:
            kinds = "、".join(dict.fromkeys(h.kind.label for h in hits))
            subjects = "、".join(dict.fromkeys("本人" if h.subject == "id_number" else "账户" for h in hits))
            return ("blacklist", _MSG_BLACKLIST, f"命中{kinds}({subjects}),受理终止,请勿向客户透露名单类型", True)
        if self.policy.requires_account:
            account = ev.account
            if not ev.account_no or account is None or "".join(ev.account_no.split()) != account.account_no:
                return ("account_not_found", "未找到该账户,请核对卡号后重试", "账户不存在", False)
            if account.customer_id != customer.customer_id:
                return ("account_not_owned", "该账户不在您本人名下,请核对卡号后重试", "账户非本人名下", False)
            if account.status not in self.policy.allowed_account_statuses:
                label = ACCOUNT_STATUS_LABELS[account.status]
                return (
                    f"account_{account.status.value}",
                    _MSG_STATUS[account.status],
                    f"账户状态为{label},本业务不可办理",
                    True,
                )
        return None

    # --- NETWORK_CHECK ---

    @_transition
    def start_network_check(self, *, now: datetime) -> NetworkCheckRequest:
        """Begin a network-check attempt; returns what to check (from the passed precheck).

        Raises:
            GateOrderError / GateClosedError: out of order, decided, or acceptance ended.
            GateError: an attempt is already running.
        """
        state = self._check_turn(Gate.NETWORK_CHECK, now)
        if state.status is GateStatus.RUNNING:
            raise GateError("联网核查正在进行中,请等待结果", code="busy")
        assert self._card is not None
        started = self._start(state, now)
        return NetworkCheckRequest(self._card.id_number.upper(), self._card.name.strip(), state.attempts, (started,))

    def _network_running(self, now: datetime) -> _GateState:
        state = self._check_turn(Gate.NETWORK_CHECK, now)
        if state.status is not GateStatus.RUNNING:
            raise GateOrderError("请先发起联网核查", code="not_started")
        return state

    @_transition
    def record_network_check(self, result: NetworkCheckResult, *, now: datetime) -> GateUpdate:
        """Record the answer of the attempt in progress and decide.

        一致 with a photo passes; 不一致 uses an attempt; 库中无此号 and a missing photo end acceptance.
        """
        state = self._network_running(now)
        trail: list[dict[str, Any]] = []
        photo_hash = sha256_hex(result.photo) if result.photo else None
        record = {
            "attempt": state.attempts,
            "verdict": str(result.verdict),
            "verdict_label": result.verdict.label,
            "reference": result.reference,
            "photo_sha256": photo_hash,
            "at": now.isoformat(),
        }
        state.results.append(record)
        extra: dict[str, Any] = {
            "verdict": result.verdict.label,
            "reference": result.reference or None,
            "photo_sha256": photo_hash,
        }
        if result.verdict is NetworkCheckVerdict.NOT_FOUND:
            return self._fail(
                state,
                now,
                trail,
                code="not_in_registry",
                customer_message="联网核查结果为“库中无此号”,请携带身份证到柜面办理",
                teller_message="联网核查:库中无此号,受理终止",
                final=True,
                **extra,
            )
        if result.verdict is NetworkCheckVerdict.MISMATCH:
            return self._fail(
                state,
                now,
                trail,
                code="mismatch",
                customer_message=_MSG_IDENTITY,
                teller_message="联网核查:姓名与身份证号码不一致",
                final_message="联网核查未通过,本次受理终止,请携带身份证到柜面办理",
                **extra,
            )
        if result.photo_missing:
            return self._fail(
                state,
                now,
                trail,
                code="photo_missing",
                customer_message="联网核查未返回身份证照片,无法进行人脸比对,请携带身份证到柜面办理",
                teller_message="联网核查:一致,但照片缺失,无法完成三方人脸比对",
                final=True,
                **extra,
            )
        assert result.photo is not None and photo_hash is not None
        self._network_photo = result.photo
        state.inputs = {"network_photo_sha256": photo_hash}
        return self._pass(state, now, trail, **extra)

    @_transition
    def record_network_check_error(self, error: BankError, *, now: datetime) -> GateUpdate:
        """Record that the attempt in progress failed to get an answer (timeout, system busy...)."""
        state = self._network_running(now)
        state.results.append({"attempt": state.attempts, "error": error.code, "at": now.isoformat()})
        timeout = error.code == "timeout"
        return self._fail(
            state,
            now,
            [],
            code=f"error_{error.code}",
            customer_message="联网核查系统暂时无法响应,请稍候由柜员重试",
            teller_message=f"联网核查{'超时' if timeout else '调用失败'}:{error.message}",
            final_message="联网核查未通过,本次受理终止,请携带身份证到柜面办理",
        )

    # --- FACE ---

    @_transition
    def submit_face(self, scores: FaceScores, *, now: datetime) -> GateUpdate:
        """Decide the three-way face comparison: every pair must reach the policy's threshold.

        Raises:
            GateInputError: the scores were computed on other images than this session's, or are malformed.
        """
        state = self._check_turn(Gate.FACE, now)
        assert self._card is not None
        expected_network = self._gates[Gate.NETWORK_CHECK].inputs.get("network_photo_sha256")
        if scores.id_portrait_sha256 != self._card.portrait_sha256 or scores.network_photo_sha256 != expected_network:
            raise GateInputError(
                "人脸比对所用的证件照或联网核查照片不是本次会话的照片,结果不予采纳",
                trail=self._entry("gate_input_rejected", Gate.FACE, now, code="image_mismatch"),
            )
        if len(scores.live_sha256) != 64:
            raise GateInputError("缺少现场人像的哈希", trail=self._entry("gate_input_rejected", Gate.FACE, now))
        pairs = {
            "id_vs_live": scores.id_vs_live,
            "network_vs_live": scores.network_vs_live,
            "id_vs_network": scores.id_vs_network,
        }
        for value in pairs.values():
            if value is not None and (not isinstance(value, float | int) or not math.isfinite(value) or abs(value) > 1):
                raise GateInputError("人脸比对分数无效", trail=self._entry("gate_input_rejected", Gate.FACE, now))
        inputs = {
            "id_portrait_sha256": scores.id_portrait_sha256,
            "network_photo_sha256": scores.network_photo_sha256,
            "live_sha256": scores.live_sha256,
        }
        trail = [self._start(state, now, inputs=inputs)]
        state.inputs = inputs
        state.scores = {k: (None if v is None else round(float(v), 4)) for k, v in pairs.items()}
        threshold = self.policy.face_threshold
        low = [k for k, v in pairs.items() if v is None or v < threshold]
        state.results.append({"attempt": state.attempts, "scores": dict(state.scores), "threshold": threshold})
        extra: dict[str, Any] = {"scores": dict(state.scores), "threshold": threshold}
        if low:
            names = {
                "id_vs_live": "证件照与现场人像",
                "network_vs_live": "联网照片与现场人像",
                "id_vs_network": "证件照与联网照片",
            }
            no_face = [k for k in low if pairs[k] is None]
            detail = "、".join(names[k] for k in low)
            return self._fail(
                state,
                now,
                trail,
                code="no_face" if no_face else "below_threshold",
                customer_message="人脸比对未通过,请正对摄像头、摘下帽子和眼镜,在光线充足处重试",
                teller_message=f"人脸比对未达阈值 {threshold}:{detail}" + ("(未检测到人脸)" if no_face else ""),
                final_message=_MSG_FACE_FINAL,
                failed_pairs=low,
                **extra,
            )
        return self._pass(state, now, trail, **extra)

    # --- LIVENESS ---

    @_transition
    def start_liveness(self, *, now: datetime, rng: random.Random) -> LivenessChallenge:
        """Issue an active liveness challenge (random actions in random order)."""
        state = self._check_turn(Gate.LIVENESS, now)
        if state.status is GateStatus.RUNNING and self._challenge is not None and now <= self._challenge.expires_at:
            raise GateError("活体检测正在进行中", code="busy")
        earlier: tuple[dict[str, Any], ...] = ()
        if state.status is GateStatus.RUNNING:
            # an expired, unanswered challenge counts as a failed attempt before the next one
            earlier = self.record_liveness_timeout(now=now).trail
            if self.terminated:
                raise GateClosedError("活体检测未通过,本次业务无法继续办理", code="terminated", trail=earlier)
        actions = tuple(rng.sample(sorted(LIVENESS_ACTIONS), self.policy.liveness_action_count))
        challenge_id = f"{rng.getrandbits(64):016x}"
        started = self._start(state, now, challenge_id=challenge_id, actions=list(actions))
        challenge = LivenessChallenge(
            challenge_id=challenge_id,
            actions=actions,
            issued_at=now,
            expires_at=now + timedelta(seconds=self.policy.liveness_timeout_s),
            trail=(*earlier, started),
        )
        self._challenge = challenge
        return challenge

    @_transition
    def record_liveness_timeout(self, *, now: datetime) -> GateUpdate:
        """The open challenge was not answered in time."""
        state = self._check_turn(Gate.LIVENESS, now)
        if state.status is not GateStatus.RUNNING:
            raise GateOrderError("请先发起活体检测", code="not_started")
        self._challenge = None
        return self._fail(
            state,
            now,
            [],
            code="timeout",
            customer_message="活体检测超时,请按提示完成动作",
            final_message="活体检测未通过,本次业务无法继续办理",
        )

    @_transition
    def submit_liveness(self, observation: LivenessObservation, *, now: datetime) -> GateUpdate:
        """Decide the open challenge from what the liveness pipeline observed."""
        state = self._check_turn(Gate.LIVENESS, now)
        challenge = self._challenge
        if state.status is not GateStatus.RUNNING or challenge is None:
            raise GateOrderError("请先发起活体检测", code="not_started")
        if observation.challenge_id != challenge.challenge_id:
            raise GateInputError(
                "活体检测结果与本次挑战不符,结果不予采纳",
                trail=self._entry("gate_input_rejected", Gate.LIVENESS, now, code="challenge_mismatch"),
            )
        if now > challenge.expires_at:
            return self.record_liveness_timeout(now=now)
        self._challenge = None
        state.inputs = {"frames_sha256": observation.frames_sha256}
        state.results.append(
            {
                "attempt": state.attempts,
                "challenge_id": challenge.challenge_id,
                "expected": list(challenge.actions),
                "detected": list(observation.detected_actions),
                "same_face": observation.same_face,
            }
        )
        extra: dict[str, Any] = {"expected": list(challenge.actions), "detected": list(observation.detected_actions)}
        if not observation.same_face:
            code, teller = "face_changed", "活体检测过程中人脸发生变化"
        elif tuple(observation.detected_actions) != challenge.actions:
            code, teller = "actions_mismatch", "未按顺序完成指定动作"
        else:
            return self._pass(state, now, [], **extra)
        return self._fail(
            state,
            now,
            [],
            code=code,
            customer_message="活体检测未通过,请按提示依次完成动作",
            teller_message=teller,
            final_message="活体检测未通过,本次业务无法继续办理",
            **extra,
        )

    # --- QUESTIONS ---

    @_transition
    def start_questions(self, question_set: QuestionSet, *, now: datetime) -> GateUpdate:
        """Begin the private questions with a set drawn from the question bank (see ``draw_question_set``)."""
        state = self._check_turn(Gate.QUESTIONS, now)
        if state.status is GateStatus.RUNNING:
            raise GateError("私密问题正在进行中", code="busy")
        if question_set.rule != self.policy.question_rule:
            raise GateInputError("私密问题的出题规则与本业务配置不符")
        if question_set.answered:
            raise GateInputError("私密问题集已有答案,不能使用")
        self._questions = question_set
        entry = self._start(state, now, set_id=question_set.set_id, kinds=[q.kind for q in question_set.questions])
        return GateUpdate(state.gate, state.status, state.attempts, None, None, (entry,))

    @_transition
    def answer_question(self, question_id: str, choice_index: int | None, *, now: datetime) -> GateUpdate:
        """Record the option the customer chose (as the teller marks it); decides the gate once certain."""
        state = self._check_turn(Gate.QUESTIONS, now)
        qs = self._questions
        if state.status is not GateStatus.RUNNING or qs is None:
            raise GateOrderError("请先开始私密问题", code="not_started")
        try:
            right = qs.record_answer(question_id, choice_index)
        except QuestionError as exc:
            raise GateInputError(exc.message, code=exc.code) from exc
        self._dirty = True
        trail = [self._entry("question_answered", Gate.QUESTIONS, now, question_id=question_id, correct=right)]
        state.scores = {"correct": qs.correct, "answered": qs.answered}
        if qs.passed is None:
            return GateUpdate(state.gate, state.status, state.attempts, None, None, tuple(trail))
        state.results.append({"attempt": state.attempts, **qs.summary()})
        extra: dict[str, Any] = {"correct": qs.correct, "answered": qs.answered, "rule": qs.rule.label}
        if qs.passed:
            return self._pass(state, now, trail, **extra)
        return self._fail(
            state,
            now,
            trail,
            code="wrong_answers",
            customer_message="私密问题验证未通过,请重新作答",
            teller_message=f"私密问题答对 {qs.correct} 题,未达到 {qs.rule.label}",
            final_message="私密问题验证未通过,本次业务无法继续办理",
            **extra,
        )


async def collect_precheck_evidence(
    adapters: BankAdapters, card: IdCardFields, phone: str, account_no: str | None
) -> PrecheckEvidence:
    """Ask the bank systems what the precheck needs: three-element lookup, the account, both blacklists.

    Raises:
        BankError: a bank system failed (the caller shows the Chinese message and lets the customer retry).
    """
    customer = await adapters.core.find_customer(card.name.strip(), card.id_number.strip().upper(), phone.strip())
    account = await adapters.core.get_account(account_no) if account_no else None
    person_hits = await adapters.blacklist.check_person(card.id_number.strip().upper())
    account_hits = await adapters.blacklist.check_account(account_no) if account_no else []
    return PrecheckEvidence(card, phone, account_no, customer, account, tuple(person_hits), tuple(account_hits))


async def execute_verified_business(
    machine: GateMachine, core: CoreBanking, *, request_id: str, params: Mapping[str, Any] | None = None
) -> BusinessResult:
    """Execute the session's business in core banking, for the verified customer and account only.

    The customer and account come from the passed precheck, never from the caller, so a business cannot be done on
    someone else's account even by a teller.

    Raises:
        GatesNotPassedError: some required gate has not passed (nothing is sent to the bank).
        BankError: core banking failed.
    """
    machine.require_all_passed()
    customer = machine.customer
    assert customer is not None  # PRECHECK is always required and passed
    account = machine.account
    request = BusinessRequest(
        request_id=request_id,
        business_type=machine.business_type,
        customer_id=customer.customer_id,
        account_no=account.account_no if account else None,
        params=dict(params or {}),
    )
    result = await core.execute(request)
    logger.info(
        "session %s: business %s for %s account %s: %s",
        machine.session_id,
        machine.business_type,
        customer.customer_id,
        mask_card_number(request.account_no),
        result.code,
    )
    return result
