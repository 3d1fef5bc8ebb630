"""How the server builds its queue and coordinator from settings (``queue_impl``, ``routing_config_path``)."""

from __future__ import annotations

import logging
import tomllib
from collections.abc import Callable

from server.calls import Clock
from server.db import Database
from server.queueing import CallQueue, FifoQueue
from server.routing.adapter import RoutingCallQueue
from server.routing.config import DEFAULT_CONFIG_PATH, ConfigError, RoutingConfig, load_config, parse_config
from server.routing.coordinator import RoutedCoordinator
from server.routing.model import Skill, SkillRole
from server.settings import Settings

logger = logging.getLogger(__name__)


def load_routing_config(settings: Settings, db: Database | None = None) -> tuple[RoutingConfig, str]:
    """The routing configuration in force and its TOML text: the newest one saved through the admin API, else the
    file ``settings.routing_config_path`` (default ``resources/routing/queues.toml``).

    Raises:
        ConfigError: the file is invalid (the server refuses to start with a list of problems).
    """
    if db is not None:
        saved = db.latest_routing_config()
        if saved is not None:
            try:
                return parse_config(tomllib.loads(saved["toml"])), str(saved["toml"])
            except (ConfigError, tomllib.TOMLDecodeError) as exc:
                logger.error("saved routing configuration v%s is invalid, using the file: %s", saved["version"], exc)
    path = settings.routing_config_path or DEFAULT_CONFIG_PATH
    return load_config(path), path.read_text(encoding="utf-8")


def skills_from_db(db: Database, config_of: Callable[[], RoutingConfig]) -> Callable[[str], list[Skill]]:
    """A seat's skills as stored (``seat_skills``); a seat with none stored serves every queue as primary."""

    def skills(seat_id: str) -> list[Skill]:
        config = config_of()
        stored = db.seat_skills(seat_id)
        if not stored:
            return [Skill(qid, 1, SkillRole.PRIMARY) for qid in config.queues]
        result = []
        for queue_id, proficiency, role in stored:
            if queue_id not in config.queues:
                logger.warning("seat %s: skill for unknown queue %r ignored", seat_id, queue_id)
                continue
            result.append(Skill(queue_id, proficiency, SkillRole(role)))
        return result

    return skills


def parse_skill(text: str) -> tuple[str, int, str]:
    """``queue[:proficiency[:primary|backup|expert]]`` -> ``(queue_id, proficiency, role)``.

    Raises:
        ValueError: with a Chinese and English message.
    """
    parts = text.strip().split(":")
    if not parts[0] or len(parts) > 3:
        raise ValueError(f"技能格式应为 队列[:熟练度[:primary|backup|expert]] (bad skill {text!r})")
    try:
        proficiency = int(parts[1]) if len(parts) > 1 and parts[1] else 1
    except ValueError:
        raise ValueError(f"熟练度必须是整数 (proficiency must be an integer): {text!r}") from None
    if not 1 <= proficiency <= 10:
        raise ValueError(f"熟练度应在 1 到 10 之间 (proficiency 1-10): {text!r}")
    role = parts[2] if len(parts) > 2 else "primary"
    if role not in {r.value for r in SkillRole}:
        raise ValueError(f"技能角色应为 primary/backup/expert (bad role): {text!r}")
    return parts[0], proficiency, role


def seed_routing_profiles(db: Database, settings: Settings) -> None:
    """Dev mode: give the seeded seat accounts their configured role and skills (None: every queue)."""
    if not settings.dev_mode:
        return
    for seed in settings.dev_seed_seats:
        if db.get_seat(seed.seat_id) is None:
            continue
        db.set_seat_role(seed.seat_id, seed.role)
        db.set_seat_skills(seed.seat_id, [parse_skill(s) for s in seed.skills or []])


def build_coordinator(
    db: Database, settings: Settings, clock: Clock, queue_factory: Callable[[], CallQueue] | None = None
) -> RoutedCoordinator:
    """The coordinator with the queue the settings choose (``routing`` by default), or ``queue_factory``'s."""
    seed_routing_profiles(db, settings)
    queue: CallQueue
    if queue_factory is not None:
        queue = queue_factory()
    elif settings.queue_impl == "fifo":
        queue = FifoQueue()
    else:
        config, _text = load_routing_config(settings, db)
        holder: list[RoutingCallQueue] = []
        routing = RoutingCallQueue(
            config,
            skills_for=skills_from_db(db, lambda: holder[0].source_config if holder else config),
            clock=lambda: clock().timestamp(),
        )
        holder.append(routing)
        queue = routing
    return RoutedCoordinator(db, settings, queue, clock)
