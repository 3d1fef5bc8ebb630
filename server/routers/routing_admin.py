"""Routing administration (排队机管理): configuration, overflow preview, statistics, seat skills, and the wallboard.

Every endpoint needs a seat token whose account has role ``supervisor`` or ``admin`` (403 otherwise; 401 without a
valid token). Configuration errors come back as 422 ``{detail, problems}`` in Chinese and English.
"""

from __future__ import annotations

import asyncio
import logging
import tomllib
from typing import Any

from fastapi import APIRouter, HTTPException, Query, WebSocket, status
from pydantic import BaseModel, Field

from server.deps import SeatDep, Services, ServicesDep, get_services
from server.routing.config import MAX_STAR, ConfigError, RoutingConfig, parse_config
from server.routing.coordinator import RoutedCoordinator
from server.routing.model import RoutingError
from server.security import hash_token

logger = logging.getLogger(__name__)
router = APIRouter(tags=["routing"])

SUPERVISOR_ROLES = frozenset({"supervisor", "admin"})
FORBIDDEN = "需要班长或管理员权限 (supervisor or admin role required)"
CLOSE_FORBIDDEN = 4403


class ConfigBody(BaseModel):
    """A routing configuration as TOML text (the format of resources/routing/queues.toml)."""

    toml: str = Field(min_length=1, max_length=256 * 1024)


class SkillBody(BaseModel):
    """One skill (技能组) of a seat."""

    queue_id: str = Field(min_length=1, max_length=64)
    proficiency: int = Field(default=1, ge=1, le=10)
    role: str = Field(default="primary", pattern="^(primary|backup|expert)$")


def _require_supervisor(auth: SeatDep) -> None:
    if auth.seat.role not in SUPERVISOR_ROLES:
        raise HTTPException(status.HTTP_403_FORBIDDEN, FORBIDDEN)


def _coordinator(services: Services) -> RoutedCoordinator:
    coordinator = services.coordinator
    if not isinstance(coordinator, RoutedCoordinator):  # pragma: no cover - create_app always builds one
        raise HTTPException(status.HTTP_409_CONFLICT, "排队机未启用 (routing engine not enabled)")
    return coordinator


def _routing(services: Services) -> Any:
    routing = _coordinator(services).routing
    if routing is None:
        raise HTTPException(
            status.HTTP_409_CONFLICT, "当前使用先进先出队列,排队机配置不可用 (queue_impl is fifo, not routing)"
        )
    return routing


def _parse(text: str) -> RoutingConfig:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        problem = f"不是有效的 TOML (not valid TOML): {exc}"
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_ENTITY,
            {"message": "排队配置无效 (invalid routing configuration)", "problems": [problem]},
        ) from exc
    try:
        return parse_config(data)
    except ConfigError as exc:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_ENTITY,
            {"message": "排队配置无效 (invalid routing configuration)", "problems": exc.problems},
        ) from exc


def _summary(config: RoutingConfig) -> dict[str, Any]:
    return {
        "queues": [
            {
                "queue_id": q.queue_id,
                "name": q.name,
                "business_types": list(q.business_types),
                "base_priority": q.base_priority,
                "w_star": q.w_star,
                "w_age": q.w_age,
                "max_waiting": q.max_waiting,
                "max_wait_s": q.max_wait_s,
                "overflow_to": list(q.overflow_to),
                "on_exhausted": q.on_exhausted,
                "wrap_up_s": q.wrap_up_s,
                "star_bound_s": q.star_bound_s,
            }
            for q in config.queues.values()
        ],
        "not_ready_reasons": list(config.not_ready_reasons),
        "starvation_bound_s": config.starvation_bound_s(),
        "seat_drop_in_call": config.seat_drop_in_call,
        "transfer_hold_s": config.transfer_hold_s,
    }


@router.get("/api/routing/queues")
async def list_queues(_auth: SeatDep, services: ServicesDep) -> list[dict[str, str]]:
    """The business queues a seat may transfer a customer to (转接), for any signed-in seat: ``[{queue_id, name}]``
    in configuration order; empty when the server runs the FIFO queue (the teller then types a queue id)."""
    routing = getattr(services.coordinator, "routing", None)
    if routing is None:
        return []
    return [{"queue_id": q.queue_id, "name": q.name} for q in routing.source_config.queues.values()]


@router.get("/api/routing/config")
async def get_config(auth: SeatDep, services: ServicesDep) -> dict[str, Any]:
    """The configuration in force: TOML text, version (0: the file) and a summary."""
    _require_supervisor(auth)
    routing = _routing(services)
    saved = services.db.latest_routing_config()
    from server.routing.wiring import load_routing_config

    _config, text = load_routing_config(services.settings, services.db)
    return {"version": saved["version"] if saved else 0, "toml": text, **_summary(routing.source_config)}


@router.post("/api/routing/config/validate")
async def validate_config(body: ConfigBody, auth: SeatDep, services: ServicesDep) -> dict[str, Any]:
    """Check a configuration without applying it; 422 lists every problem."""
    _require_supervisor(auth)
    return {"ok": True, **_summary(_parse(body.toml))}


@router.put("/api/routing/config")
async def put_config(body: ConfigBody, auth: SeatDep, services: ServicesDep) -> dict[str, Any]:
    """Validate, store (every version is kept) and apply a configuration at once; seats and waiting customers keep
    their places."""
    _require_supervisor(auth)
    routing = _routing(services)
    config = _parse(body.toml)
    try:
        routing.replace_config(config)
    except (RoutingError, KeyError, ValueError) as exc:
        detail = exc.message if isinstance(exc, RoutingError) else str(exc)
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            {"message": "新配置与当前排队状态冲突 (conflicts with the live queue)", "problems": [detail]},
        ) from exc
    version = services.db.save_routing_config(body.toml, auth.seat.seat_id, services.clock())
    logger.info("routing configuration v%d applied by seat %s", version, auth.seat.seat_id)
    coordinator = _coordinator(services)
    coordinator._apply(routing.tick())
    coordinator._push_queue_status()
    return {"version": version, **_summary(config)}


@router.get("/api/routing/overflow-preview")
async def overflow_preview(
    auth: SeatDep,
    services: ServicesDep,
    queue_id: str | None = None,
    trigger: str = Query(default="timeout", pattern="^(arrival|timeout|no_seat)$"),
    business_type: str | None = None,
    star: int = Query(default=0, ge=0, le=MAX_STAR),
) -> dict[str, Any]:
    """What overflow would do, without changing anything.

    ``queue_id``: ``stay``, ``move`` to ``target``, or ``reject`` with the Chinese call-back text, if ``trigger``
    (``arrival`` into a full queue, ``timeout``, ``no_seat``) fired now. ``business_type``: what an arrival now
    would get (offer / queue with position and estimate / reject).
    """
    _require_supervisor(auth)
    routing = _routing(services)
    if queue_id is None and business_type is None:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, "请指定 queue_id 或 business_type")
    result: dict[str, Any] = {}
    try:
        if queue_id is not None:
            if queue_id not in routing.source_config.queues:
                raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, f"队列不存在 (unknown queue): {queue_id}")
            outcome, target = routing.engine.preview_overflow(queue_id, trigger)
            message = None
            if outcome == "reject":
                from server.routing.engine import _REJECT_MESSAGES

                reason = "full" if trigger == "arrival" else trigger
                message = _REJECT_MESSAGES[reason].format(name=routing.source_config.queues[queue_id].name)
            result["overflow"] = {
                "queue_id": queue_id,
                "trigger": trigger,
                "outcome": outcome,
                "target": target,
                "message": message,
            }
        if business_type is not None:
            p = routing.preview(business_type, star)
            result["arrival"] = {
                "outcome": p.outcome,
                "queue_id": p.queue_id,
                "path": list(p.path),
                "seat_id": p.seat_id,
                "position": p.position,
                "estimated_wait_s": p.estimated_wait_s,
                "message": p.message,
            }
    except RoutingError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, exc.message) from exc
    return result


def statistics(services: Services) -> dict[str, Any]:
    """Per-queue and overall statistics plus seats by state (the wallboard's data)."""
    coordinator = _coordinator(services)
    board = coordinator.seat_board()
    by_state = coordinator.seats_by_state()
    if coordinator.routing is None:
        waiting = len(coordinator.queue.entries())
        return {
            "impl": "fifo",
            "queues": {},
            "overall": {"waiting": waiting},
            "seats_by_state": by_state,
            "seats": board,
        }
    stats = coordinator.routing.statistics()
    queues = {qid: s.as_dict() for qid, s in stats.items() if qid != "*"}
    for qid, row in queues.items():
        q = coordinator.routing.source_config.queues.get(qid)
        row["name"] = q.name if q else qid
    overall = stats["*"].as_dict() if "*" in stats else {}
    overall["seats_by_state"] = by_state
    return {"impl": "routing", "queues": queues, "overall": overall, "seats_by_state": by_state, "seats": board}


@router.get("/api/routing/stats")
async def get_stats(auth: SeatDep, services: ServicesDep) -> dict[str, Any]:
    """Statistics per queue and overall: waiting, longest wait, service level, abandon rate, ASA, AHT, seats."""
    _require_supervisor(auth)
    return statistics(services)


@router.get("/api/routing/seats/{seat_id}/history")
async def seat_history(
    seat_id: str, auth: SeatDep, services: ServicesDep, limit: int = Query(200, ge=1, le=5000)
) -> list[dict[str, Any]]:
    """A seat's timestamped state changes (own history for any seat; any seat's for supervisors)."""
    if seat_id != auth.seat.seat_id:
        _require_supervisor(auth)
    return services.db.seat_state_history(seat_id, limit)


@router.put("/api/routing/seats/{seat_id}/skills")
async def put_skills(seat_id: str, body: list[SkillBody], auth: SeatDep, services: ServicesDep) -> dict[str, Any]:
    """Replace a seat's skills; they apply at its next sign-in."""
    _require_supervisor(auth)
    if services.db.get_seat(seat_id) is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "坐席不存在")
    routing = _routing(services)
    unknown = [s.queue_id for s in body if s.queue_id not in routing.source_config.queues]
    if unknown:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, f"技能组不存在 (unknown queue): {', '.join(unknown)}")
    services.db.set_seat_skills(seat_id, [(s.queue_id, s.proficiency, s.role) for s in body])
    return {"seat_id": seat_id, "skills": [s.model_dump() for s in body]}


@router.websocket("/ws/wallboard")
async def wallboard(websocket: WebSocket, token: str = "") -> None:
    """Live statistics for a wallboard (大屏): one ``wallboard`` message now and after every change (coalesced)."""
    services = get_services(websocket)
    await websocket.accept()
    seat_id = services.db.seat_for_token(hash_token(token), services.clock()) if token else None
    seat = services.db.get_seat(seat_id) if seat_id else None
    if seat is None:
        await websocket.close(code=4401, reason="登录已失效,请重新登录")
        return
    if seat.role not in SUPERVISOR_ROLES:
        await websocket.close(code=CLOSE_FORBIDDEN, reason="需要班长或管理员权限")
        return
    coordinator = _coordinator(services)
    changed = asyncio.Event()
    changed.set()

    def listener() -> None:
        changed.set()

    coordinator.state_listeners.append(listener)

    async def drain() -> None:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return

    reader = asyncio.create_task(drain())
    try:
        while not reader.done():
            waiter = asyncio.create_task(changed.wait())
            done, _ = await asyncio.wait({waiter, reader}, return_when=asyncio.FIRST_COMPLETED)
            if reader in done:
                waiter.cancel()
                break
            changed.clear()
            await websocket.send_json({"type": "wallboard", "at": services.clock().isoformat(), **statistics(services)})
            await asyncio.sleep(0.05)  # coalesce bursts: at most ~20 updates a second
    except Exception as exc:
        logger.info("wallboard connection closed: %s", exc)
    finally:
        reader.cancel()
        if listener in coordinator.state_listeners:
            coordinator.state_listeners.remove(listener)
