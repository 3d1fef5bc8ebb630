"""Run-time state of one queue (队列): waiting heap, ready-seat heaps, staffing counts, counters, wait estimator."""

from __future__ import annotations

from collections import deque
from typing import Any

from server.routing.config import QueueConfig
from server.routing.model import SkillRole


class QueueState:
    """Run-time state of one queue: its waiting heap, ready-seat heaps, staffing counts and statistics."""

    __slots__ = (
        "abandoned",
        "answered",
        "arrived",
        "base",
        "cfg",
        "handle_sum",
        "handle_times",
        "heap",
        "max_wait_s",
        "noseat_token",
        "overflowed_in",
        "overflowed_out",
        "qid",
        "ready",
        "ready_backup",
        "ready_primary",
        "rejected",
        "skilled",
        "staffed",
        "w_age",
        "w_star",
        "wait_sum",
        "waiting",
        "within_sl",
        "working",
    )

    def __init__(self, cfg: QueueConfig, window: int) -> None:
        self.cfg = cfg
        self.qid = cfg.queue_id
        self.base = cfg.base_priority
        self.w_star = cfg.w_star
        self.w_age = cfg.w_age
        self.max_wait_s = cfg.max_wait_s
        self.heap: list[tuple[Any, ...]] = []
        self.waiting = 0
        self.ready: dict[SkillRole, list[tuple[Any, ...]]] = {role: [] for role in SkillRole}
        # the same lists, for the hot paths' "is any seat ready?" (the lists are only ever changed in place)
        self.ready_primary = self.ready[SkillRole.PRIMARY]
        self.ready_backup = self.ready[SkillRole.BACKUP]
        self.skilled = 0  # seats holding the skill, any state
        self.staffed = 0  # routable seats logged in
        self.working = 0  # routable seats ready, ringing, talking or in wrap-up
        self.noseat_token = 0
        self.handle_times: deque[float] = deque(maxlen=window)
        self.handle_sum = 0.0
        self.arrived = self.answered = self.within_sl = self.abandoned = self.rejected = 0
        self.overflowed_in = self.overflowed_out = 0
        self.wait_sum = 0.0

    def key_of(self, star: int, arrival: float) -> float:
        return self.base + self.w_star * star - self.w_age * arrival

    def average_handle_s(self) -> float:
        """Recent mean of talk time plus wrap-up (the time a seat is away per call)."""
        if self.handle_times:
            return self.handle_sum / len(self.handle_times)
        return self.cfg.default_handle_time_s + self.cfg.wrap_up_s

    def record_handle(self, seconds: float) -> None:
        if len(self.handle_times) == self.handle_times.maxlen:
            self.handle_sum -= self.handle_times[0]
        self.handle_times.append(seconds)
        self.handle_sum += seconds

    def estimate_wait(self, position: int) -> float | None:
        """Expected wait of the customer at ``position``: ``position * AHT / working seats`` (M/M/c: (k+1)/(c*mu))."""
        if self.working <= 0:
            return None
        return position * self.average_handle_s() / self.working
