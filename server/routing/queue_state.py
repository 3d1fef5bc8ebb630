"""Run-time state of one queue (队列): waiting customers, ready-seat heaps, staffing counts, counters, estimator.

Waiting customers are kept as entries ``(tier, -key, arrival, order, token, customer, bucket)``; the smallest entry
is served first. Within one (tier, star level) the static key ``base + w_star*star - w_age*arrival`` only falls as
arrival grows, so customers of one tier and star who arrive in order are already in serving order: they go to that
star's FIFO ``bucket`` (a deque) and only the bucket's first entry sits in the ``heap``. Everyone else (a customer
re-queued or overflowed with an earlier arrival time, a restored one) goes into the heap alone (``bucket`` None).
So the heap holds at most 16 bucket heads plus the few out-of-order customers, and serving the next customer sifts
through a handful of entries instead of a heap as long as the queue. Entries of customers who left stay where they
are and are skipped when they come to the front (``token`` no longer matches); :meth:`QueueState.compact` drops
them when they outnumber the waiting customers.
"""

from __future__ import annotations

import heapq
from collections import deque
from typing import Any

from server.routing.config import MAX_STAR, QueueConfig
from server.routing.model import CustomerState, SkillRole

_WAITING = CustomerState.WAITING


class QueueState:
    """Run-time state of one queue: its waiting heap, ready-seat heaps, staffing counts and statistics."""

    __slots__ = (
        "abandoned",
        "answered",
        "arrived",
        "base",
        "buckets",
        "cfg",
        "handle_sum",
        "handle_times",
        "head",
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
        "ring_timeout_s",
        "service_level_s",
        "skilled",
        "staffed",
        "stored",
        "w_age",
        "w_star",
        "wait_sum",
        "waiting",
        "window",
        "within_sl",
        "working",
        "wrap_up_s",
    )

    def __init__(self, cfg: QueueConfig, window: int) -> None:
        self.cfg = cfg
        self.qid = cfg.queue_id
        self.base = cfg.base_priority
        self.w_star = cfg.w_star
        self.w_age = cfg.w_age
        self.max_wait_s = cfg.max_wait_s
        self.ring_timeout_s = cfg.ring_timeout_s
        self.wrap_up_s = cfg.wrap_up_s
        self.service_level_s = cfg.service_level_s
        self.window = window
        self.heap: list[tuple[Any, ...]] = []
        self.head: tuple[Any, ...] | None = None  # the live heap[0], kept by the engine (RoutingEngine._head)
        # FIFO per (tier, star): index tier * 8 + star (tier 0 or 1, star 0-7)
        self.buckets: list[deque[tuple[Any, ...]]] = [deque() for _ in range(2 * (MAX_STAR + 1))]
        self.stored = 0  # entries held in the heap alone plus in the buckets, live or dead
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

    def entries(self) -> list[tuple[Any, ...]]:
        """Every stored entry once (bucket heads are in the heap too), live or dead, in no particular order."""
        found = [e for e in self.heap if e[6] is None]
        for bucket in self.buckets:
            if bucket:
                found.extend(bucket)
        return found

    def live_entries(self) -> list[tuple[Any, ...]]:
        """The entries of the customers waiting now, in no particular order."""
        return [e for e in self.entries() if e[5].heap_token == e[4] and e[5].state is CustomerState.WAITING]

    def compact(self) -> None:
        """Drop the entries of customers no longer waiting here; rebuild the heap from the rest."""
        heap = [e for e in self.heap if e[6] is None and e[5].heap_token == e[4] and e[5].state is _WAITING]
        stored = len(heap)
        for bucket in self.buckets:
            if bucket:
                live = [e for e in bucket if e[5].heap_token == e[4] and e[5].state is _WAITING]
                bucket.clear()
                bucket.extend(live)
                if live:
                    heap.append(live[0])
                    stored += len(live)
        heapq.heapify(heap)
        self.heap[:] = heap
        self.head = heap[0] if heap else None
        self.stored = stored

    def key_of(self, star: int, arrival: float) -> float:
        return self.base + self.w_star * star - self.w_age * arrival

    def average_handle_s(self) -> float:
        """Recent mean of talk time plus wrap-up (the time a seat is away per call)."""
        if self.handle_times:
            return self.handle_sum / len(self.handle_times)
        return self.cfg.default_handle_time_s + self.cfg.wrap_up_s

    def record_handle(self, seconds: float) -> None:
        """Add one handle time to the estimator's window (RoutingEngine._end_leg inlines this)."""
        if len(self.handle_times) == self.window:
            self.handle_sum -= self.handle_times[0]
        self.handle_times.append(seconds)
        self.handle_sum += seconds

    def estimate_wait(self, position: int) -> float | None:
        """Expected wait of the customer at ``position``: ``position * AHT / working seats`` (M/M/c: (k+1)/(c*mu))."""
        if self.working <= 0:
            return None
        return position * self.average_handle_s() / self.working
