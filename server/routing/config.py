"""Routing configuration (排队机配置): queues, weights, thresholds and overflow chains from TOML, validated."""

from __future__ import annotations

import logging
import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wire.business import BusinessType

logger = logging.getLogger(__name__)

MAX_STAR = 7
"""Highest customer star level (星级); stars run 0..7."""

SEAT_CHOICES = ("longest_idle", "fewest_calls", "proficiency")
ON_EXHAUSTED = ("reject", "stay")
SEAT_DROP_POLICIES = ("requeue", "fail")
DEFAULT_NOT_READY_REASONS = ("break", "meeting", "training", "no_answer", "declined", "login", "other")

DEFAULT_CONFIG_PATH = Path(__file__).resolve().parents[2] / "resources" / "routing" / "queues.toml"


class ConfigError(ValueError):
    """The routing configuration is invalid; ``str(error)`` lists every problem found, in Chinese and English."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("排队配置无效 (invalid routing configuration):\n  - " + "\n  - ".join(problems))
        self.problems = problems


@dataclass(frozen=True, slots=True)
class QueueConfig:
    """One business group (业务组/队列).

    Attributes:
        queue_id: stable identifier used in skills, overflow chains and statistics.
        name: Chinese display name.
        business_types: the wire business codes routed into this queue.
        base_priority: score added to every customer of the queue (matters when a seat serves several queues).
        w_star: score per star level (星级插队).
        w_age: score per second waited (aging); must be > 0 so every wait is bounded.
        seat_choice: ``longest_idle``, ``fewest_calls`` or ``proficiency`` (highest then longest idle).
        max_waiting: N; an arrival finding N or more waiting overflows (None: unlimited).
        max_wait_s: T; a customer who has waited T seconds in this queue overflows (None: never).
        overflow_to: queues tried in order when this one cannot take or keep a customer.
        overflow_when_no_seat: overflow arrivals (and, after ``no_seat_grace_s``, waiting customers) when no seat
            with this skill is logged in.
        on_exhausted: when a time or no-seat overflow finds no taker: ``reject`` (call back / book) or ``stay``.
            A full queue always rejects: there is no room to stay in.
        ring_timeout_s: how long an offered seat may ring before it is set not-ready (no answer).
        wrap_up_s: after-call work (话后处理) length before the seat is ready again.
        service_level_s: X of the service level "answered within X seconds".
        default_handle_time_s: handle time assumed by the wait estimator until real calls have been measured.
    """

    queue_id: str
    name: str
    business_types: tuple[str, ...] = ()
    base_priority: float = 0.0
    w_star: float = 60.0
    w_age: float = 1.0
    seat_choice: str = "longest_idle"
    max_waiting: int | None = None
    max_wait_s: float | None = None
    overflow_to: tuple[str, ...] = ()
    overflow_when_no_seat: bool = True
    on_exhausted: str = "stay"
    ring_timeout_s: float = 15.0
    wrap_up_s: float = 30.0
    service_level_s: float = 20.0
    default_handle_time_s: float = 300.0

    @property
    def star_bound_s(self) -> float:
        """Longest a later arrival can be served ahead of an earlier one in this queue: ``7 * w_star / w_age``.

        Comparing two customers of one queue reduces to comparing ``w_star*star - w_age*arrival``, so a customer
        who arrived more than this many seconds after you can never be offered before you.
        """
        return MAX_STAR * self.w_star / self.w_age


@dataclass(frozen=True, slots=True)
class RoutingConfig:
    """The whole routing configuration.

    Attributes:
        queues: queue id -> queue, in file order.
        reconnect_grace_s: a customer whose page drops keeps their place this long.
        no_seat_grace_s: after the last seat of a queue logs out, wait this long before re-routing its customers.
        seat_drop_in_call: when a seat's connection drops mid-call: ``requeue`` the customer at the front of their
            queue, or ``fail`` the call. Never both.
        sweep_interval_s: how often (in engine time) the reserved-seat sweeper runs.
        sweep_slack_s: a seat reserved longer than its ring timeout plus this is released by the sweeper.
        not_ready_reasons: reason codes a seat may give for not-ready (示忙).
        estimator_window: how many recent handle times the wait estimator averages.
        seat_history_limit: how many of its latest state changes each seat keeps in memory (``Seat.history``);
            every change is also returned as a decision for the server to persist.
        transfer_hold_s: a customer transferred to a named seat that is busy waits for that seat at most this long,
            then goes back to the front of their queue.
    """

    queues: Mapping[str, QueueConfig]
    reconnect_grace_s: float = 60.0
    no_seat_grace_s: float = 30.0
    seat_drop_in_call: str = "requeue"
    sweep_interval_s: float = 5.0
    sweep_slack_s: float = 5.0
    not_ready_reasons: tuple[str, ...] = DEFAULT_NOT_READY_REASONS
    estimator_window: int = 50
    seat_history_limit: int = 1000
    transfer_hold_s: float = 120.0
    business_map: Mapping[str, str] = field(default_factory=dict)

    def queue_for(self, business_type: str) -> str | None:
        """The queue a business type is routed to, or None."""
        return self.business_map.get(str(business_type))

    def starvation_bound_s(self) -> float:
        """Bound on how far a later arrival can jump ahead of an earlier one at a seat serving any queues.

        With equal ``w_age`` everywhere (checked by the property tests) a customer X can only be offered before a
        waiting Y that arrived earlier if ``a_X - a_Y <= (max initial score - min initial score) / w_age``, where the
        initial score is ``base + w_star*star``. With unequal ``w_age`` the smallest one is used, which bounds the
        star/base part but not faster aging of another queue; see docs/routing.md.
        """
        hi = max(q.base_priority + MAX_STAR * q.w_star for q in self.queues.values())
        lo = min(q.base_priority for q in self.queues.values())
        return (hi - lo) / min(q.w_age for q in self.queues.values())


_QUEUE_KEYS = {f for f in QueueConfig.__dataclass_fields__ if f != "queue_id"} | {"id"}
_TOP_KEYS = {
    "defaults",
    "queue",
    "reconnect_grace_s",
    "no_seat_grace_s",
    "seat_drop_in_call",
    "sweep_interval_s",
    "sweep_slack_s",
    "not_ready_reasons",
    "estimator_window",
    "seat_history_limit",
    "transfer_hold_s",
}


def _number(value: Any, where: str, problems: list[str], *, positive: bool = False, allow_zero: bool = True) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        problems.append(f"{where}: 必须是数字 (must be a finite number), got {value!r}")
        return 0.0
    if positive and (value < 0 or (value == 0 and not allow_zero)):
        problems.append(
            f"{where}: 必须{'大于' if not allow_zero else '不小于'} 0 (must be {'>' if not allow_zero else '>='} 0)"
        )
    return float(value)


def parse_config(data: Mapping[str, Any]) -> RoutingConfig:
    """Validate a parsed TOML document and build the configuration.

    Raises:
        ConfigError: listing every problem (unknown keys, bad numbers, unknown queues in overflow chains, cycles,
            business types mapped twice or unknown).
    """
    problems: list[str] = []
    for key in data:
        if key not in _TOP_KEYS:
            problems.append(f"未知配置项 (unknown key) {key!r}")
    defaults = dict(data.get("defaults", {}))
    for key in defaults:
        if key not in _QUEUE_KEYS - {"id", "name", "business_types", "overflow_to"}:
            problems.append(f"[defaults]: 未知配置项 (unknown key) {key!r}")
    raw_queues = data.get("queue", [])
    if not isinstance(raw_queues, list) or not raw_queues:
        problems.append("至少需要一个 [[queue]] (at least one [[queue]] table is required)")
        raise ConfigError(problems)

    queues: dict[str, QueueConfig] = {}
    business_map: dict[str, str] = {}
    known_business = {b.value for b in BusinessType}
    for index, raw in enumerate(raw_queues):
        merged = {**defaults, **raw}
        qid = merged.get("id")
        where = f"queue[{index}]" + (f" ({qid})" if qid else "")
        if not isinstance(qid, str) or not qid.strip():
            problems.append(f"{where}: 缺少 id (missing id)")
            continue
        if qid in queues:
            problems.append(f"{where}: 队列 id 重复 (duplicate queue id) {qid!r}")
            continue
        for key in raw:
            if key not in _QUEUE_KEYS:
                problems.append(f"{where}: 未知配置项 (unknown key) {key!r}")
        kwargs: dict[str, Any] = {"queue_id": qid, "name": str(merged.get("name", qid))}
        for key in ("base_priority", "w_star"):
            if key in merged:
                kwargs[key] = _number(merged[key], f"{where}.{key}", problems, positive=key == "w_star")
        if "w_age" in merged:
            kwargs["w_age"] = _number(merged["w_age"], f"{where}.w_age", problems, positive=True, allow_zero=False)
        for key in ("ring_timeout_s", "default_handle_time_s"):
            if key in merged:
                kwargs[key] = _number(merged[key], f"{where}.{key}", problems, positive=True, allow_zero=False)
        for key in ("wrap_up_s", "service_level_s"):
            if key in merged:
                kwargs[key] = _number(merged[key], f"{where}.{key}", problems, positive=True)
        if merged.get("max_waiting") is not None:
            n = merged["max_waiting"]
            if isinstance(n, bool) or not isinstance(n, int) or n < 1:
                problems.append(f"{where}.max_waiting: 必须是正整数 (must be an integer >= 1), got {n!r}")
            else:
                kwargs["max_waiting"] = n
        if merged.get("max_wait_s") is not None:
            kwargs["max_wait_s"] = _number(
                merged["max_wait_s"], f"{where}.max_wait_s", problems, positive=True, allow_zero=False
            )
        choice = merged.get("seat_choice", "longest_idle")
        if choice not in SEAT_CHOICES:
            problems.append(f"{where}.seat_choice: 须为 {'/'.join(SEAT_CHOICES)} 之一, got {choice!r}")
        kwargs["seat_choice"] = choice
        on_exhausted = merged.get("on_exhausted", "stay")
        if on_exhausted not in ON_EXHAUSTED:
            problems.append(f"{where}.on_exhausted: 须为 {'/'.join(ON_EXHAUSTED)} 之一, got {on_exhausted!r}")
        kwargs["on_exhausted"] = on_exhausted
        if "overflow_when_no_seat" in merged:
            if not isinstance(merged["overflow_when_no_seat"], bool):
                problems.append(f"{where}.overflow_when_no_seat: 必须是 true/false")
            kwargs["overflow_when_no_seat"] = bool(merged["overflow_when_no_seat"])
        overflow = merged.get("overflow_to", [])
        if not isinstance(overflow, list) or not all(isinstance(x, str) for x in overflow):
            problems.append(f"{where}.overflow_to: 必须是队列 id 列表 (must be a list of queue ids)")
            overflow = []
        if len(set(overflow)) != len(overflow):
            problems.append(f"{where}.overflow_to: 含重复队列 (lists a queue twice)")
        kwargs["overflow_to"] = tuple(overflow)
        btypes = merged.get("business_types", [])
        if not isinstance(btypes, list) or not all(isinstance(x, str) for x in btypes):
            problems.append(f"{where}.business_types: 必须是业务代码列表 (must be a list of business codes)")
            btypes = []
        for code in btypes:
            if code not in known_business:
                problems.append(f"{where}.business_types: 未知业务类型 (unknown business type) {code!r}")
            elif code in business_map:
                problems.append(
                    f"{where}.business_types: 业务 {code!r} 已映射到队列 {business_map[code]!r}"
                    f" (business type mapped twice)"
                )
            else:
                business_map[code] = qid
        kwargs["business_types"] = tuple(btypes)
        queues[qid] = QueueConfig(**kwargs)

    for q in queues.values():
        for target in q.overflow_to:
            if target not in queues:
                problems.append(
                    f"queue {q.queue_id}: overflow_to 引用了未知队列 (unknown queue in overflow chain) {target!r}"
                )
            elif target == q.queue_id:
                problems.append(f"queue {q.queue_id}: overflow_to 不能指向自身 (overflows to itself)")
    cycle = _find_cycle(queues)
    if cycle:
        problems.append("溢出链存在循环 (overflow cycle): " + " -> ".join(cycle))

    top: dict[str, Any] = {}
    for key in ("reconnect_grace_s", "no_seat_grace_s", "sweep_interval_s", "sweep_slack_s"):
        if key in data:
            top[key] = _number(data[key], key, problems, positive=True, allow_zero=key != "sweep_interval_s")
    if "transfer_hold_s" in data:
        top["transfer_hold_s"] = _number(
            data["transfer_hold_s"], "transfer_hold_s", problems, positive=True, allow_zero=False
        )
    if "seat_drop_in_call" in data:
        if data["seat_drop_in_call"] not in SEAT_DROP_POLICIES:
            problems.append(f"seat_drop_in_call: 须为 {'/'.join(SEAT_DROP_POLICIES)} 之一")
        top["seat_drop_in_call"] = data["seat_drop_in_call"]
    if "not_ready_reasons" in data:
        reasons = data["not_ready_reasons"]
        if not isinstance(reasons, list) or not all(isinstance(x, str) and 0 < len(x) <= 32 for x in reasons):
            problems.append("not_ready_reasons: 必须是字符串列表 (must be a list of short strings)")
        else:
            top["not_ready_reasons"] = tuple(dict.fromkeys([*reasons, "no_answer", "login", "declined"]))
    for key in ("estimator_window", "seat_history_limit"):
        if key in data:
            w = data[key]
            if isinstance(w, bool) or not isinstance(w, int) or w < 1:
                problems.append(f"{key}: 必须是正整数 (must be an integer >= 1)")
            else:
                top[key] = w
    if problems:
        raise ConfigError(problems)
    return RoutingConfig(queues=queues, business_map=business_map, **top)


def _find_cycle(queues: Mapping[str, QueueConfig]) -> list[str] | None:
    """A cycle in the overflow graph as a list of queue ids (first repeated at the end), or None."""
    state: dict[str, int] = {}  # 1 = on the stack, 2 = done
    stack: list[str] = []

    def visit(qid: str) -> list[str] | None:
        state[qid] = 1
        stack.append(qid)
        for target in queues[qid].overflow_to:
            if target not in queues or target == qid:
                continue
            if state.get(target) == 1:
                return [*stack[stack.index(target) :], target]
            if target not in state:
                found = visit(target)
                if found:
                    return found
        stack.pop()
        state[qid] = 2
        return None

    for qid in queues:
        if qid not in state:
            found = visit(qid)
            if found:
                return found
    return None


def load_config(path: str | Path | None = None) -> RoutingConfig:
    """Read and validate a routing TOML file (default: resources/routing/queues.toml).

    Raises:
        ConfigError: the file is missing, is not valid TOML, or fails validation.
    """
    path = Path(path) if path is not None else DEFAULT_CONFIG_PATH
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([f"无法读取配置文件 (cannot read) {path}: {exc.strerror}"]) from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"{path}: TOML 语法错误 (syntax error): {exc}"]) from exc
    config = parse_config(data)
    logger.info("routing config loaded from %s: %d queues", path, len(config.queues))
    return config


def single_queue_config(queue_id: str = "q", **queue_kwargs: Any) -> RoutingConfig:
    """A one-queue configuration taking every business type (tests and the simulator)."""
    q = QueueConfig(
        queue_id=queue_id, name=queue_id, business_types=tuple(b.value for b in BusinessType), **queue_kwargs
    )
    return RoutingConfig(queues={queue_id: q}, business_map={b: queue_id for b in q.business_types})
