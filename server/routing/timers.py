"""The routing engine's deadlines: one FIFO lane per timer length, so arming and expiring a timer is O(1).

Almost every timer the engine arms has a fixed length counted from the engine's clock, which never goes back: ring
timeout, wrap-up, wait limit (``max_wait_s``), reconnect grace, no-seat grace. Timers of one length therefore fall
due in the order they were armed, and a deque per length ("lane") keeps them in deadline order with an append and a
popleft, where one heap over every timer cost two O(log n) sifts through ~10^5 entries (about 3.5 µs per pop at the
benchmark's size, in whichever event happened to come next). A timer that would break its lane's order (a wait
limit counted from an earlier entry time, a restored timer) goes to a small heap instead. Timers are never
cancelled: each carries a token that its owner bumps when the timer no longer means anything, and the engine checks
it when the timer fires (lazy deletion, O(1) per stale timer).

Entries fire in (deadline, arming order) across all lanes, exactly as one heap would fire them.
"""

from __future__ import annotations

import heapq
import itertools
from collections import deque
from collections.abc import Callable
from typing import Any

Entry = tuple[float, int, int, Any, int]
"""(deadline, arming order, kind, owner object, token)."""

_INF = float("inf")


class Timers:
    """Deadlines in FIFO lanes per timer length plus a heap for the rest.

    Attributes:
        due: no timer is due before this time (a lower bound: stale timers are only found when they fire);
            ``inf`` when none is armed.
    """

    __slots__ = ("_lanes", "_late", "_seq", "due")

    def __init__(self) -> None:
        self.due = _INF
        self._lanes: dict[float, deque[Entry]] = {}
        self._late: list[Entry] = []
        self._seq = itertools.count(1)

    def add(self, at: float, kind: int, obj: Any, token: int, span: float | None = None) -> None:
        """Arm a timer at ``at``; ``span`` is its length (timers of one length share a lane), None: no lane."""
        entry = (at, next(self._seq), kind, obj, token)
        if span is not None:
            lane = self._lanes.get(span)
            if lane is None:
                lane = self._lanes[span] = deque()
            if not lane or lane[-1][0] <= at:
                lane.append(entry)
            else:
                heapq.heappush(self._late, entry)
        else:
            heapq.heappush(self._late, entry)
        if at < self.due:
            self.due = at

    def pop_due(self, now: float) -> Entry | None:
        """Remove and return the earliest timer due at or before ``now``, or None (then :attr:`due` is exact
        up to stale timers)."""
        best: Entry | None = None
        source: deque[Entry] | None = None
        for lane in self._lanes.values():
            if lane:
                head = lane[0]
                if best is None or head < best:
                    best = head
                    source = lane
        late = self._late
        if late and (best is None or late[0] < best):
            best = late[0]
            source = None
        if best is None:
            self.due = _INF
            return None
        if best[0] > now:
            self.due = best[0]
            return None
        if source is None:
            heapq.heappop(late)
        else:
            source.popleft()
        return best

    def next_valid(self, valid: Callable[[Entry], bool]) -> float | None:
        """Drop stale timers from the front (``valid`` says which still mean something); the earliest deadline
        left, or None."""
        best = _INF
        for lane in self._lanes.values():
            while lane and not valid(lane[0]):
                lane.popleft()
            if lane and lane[0][0] < best:
                best = lane[0][0]
        late = self._late
        while late and not valid(late[0]):
            heapq.heappop(late)
        if late and late[0][0] < best:
            best = late[0][0]
        self.due = best
        return None if best == _INF else best

    def clear(self) -> None:
        """Forget every timer (tests simulate a lost timer with this)."""
        self._lanes.clear()
        self._late.clear()
        self.due = _INF

    def __len__(self) -> int:
        return sum(len(lane) for lane in self._lanes.values()) + len(self._late)
