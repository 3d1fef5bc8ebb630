"""Routing statistics (话务统计): waiting, longest wait, service level, abandon rate, ASA, AHT, seats by state."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from server.routing.model import QueueStatistics, Seat
from server.routing.queue_state import QueueState
from wire.messages import SeatState


def compute_statistics(
    queues: Mapping[str, QueueState], seats: Iterable[Seat], now: float
) -> dict[str, QueueStatistics]:
    """Per-queue statistics plus ``"*"`` for all queues together.

    Service level = answered within ``service_level_s`` / (answered + abandoned); abandon rate = abandoned /
    (answered + abandoned); average speed of answer from the original arrival; average handle time = talk + wrap-up
    over the estimator window.
    """
    seat_states: dict[str, dict[str, int]] = {qid: {s.value: 0 for s in SeatState} for qid in queues}
    overall_states = {s.value: 0 for s in SeatState}
    for seat in seats:
        overall_states[seat.state.value] += 1
        for qid in seat.skills:
            seat_states[qid][seat.state.value] += 1
    result: dict[str, QueueStatistics] = {}
    totals = dict.fromkeys(("waiting", "arrived", "answered", "within", "abandoned", "rejected", "in", "out"), 0)
    wait_sum = handle_sum = 0.0
    handle_n = 0
    longest_all = 0.0
    for qid, q in queues.items():
        longest = max((now - e[5].arrival for e in q.live_entries()), default=0.0)
        longest_all = max(longest_all, longest)
        result[qid] = _stats_row(
            qid,
            q.waiting,
            longest,
            q.arrived,
            q.answered,
            q.within_sl,
            q.abandoned,
            q.rejected,
            q.overflowed_in,
            q.overflowed_out,
            q.wait_sum,
            q.handle_sum,
            len(q.handle_times),
            seat_states[qid],
        )
        for name, value in (
            ("waiting", q.waiting),
            ("arrived", q.arrived),
            ("answered", q.answered),
            ("within", q.within_sl),
            ("abandoned", q.abandoned),
            ("rejected", q.rejected),
            ("in", q.overflowed_in),
            ("out", q.overflowed_out),
        ):
            totals[name] += value
        wait_sum += q.wait_sum
        handle_sum += q.handle_sum
        handle_n += len(q.handle_times)
    result["*"] = _stats_row(
        "*",
        totals["waiting"],
        longest_all,
        totals["arrived"],
        totals["answered"],
        totals["within"],
        totals["abandoned"],
        totals["rejected"],
        totals["in"],
        totals["out"],
        wait_sum,
        handle_sum,
        handle_n,
        overall_states,
    )
    return result


def _stats_row(
    qid: str,
    waiting: int,
    longest: float,
    arrived: int,
    answered: int,
    within: int,
    abandoned: int,
    rejected: int,
    of_in: int,
    of_out: int,
    wait_sum: float,
    handle_sum: float,
    handle_n: int,
    states: dict[str, int],
) -> QueueStatistics:
    settled = answered + abandoned
    return QueueStatistics(
        queue_id=qid,
        waiting=waiting,
        longest_wait_s=longest,
        arrived=arrived,
        answered=answered,
        answered_within_sl=within,
        abandoned=abandoned,
        rejected=rejected,
        overflowed_in=of_in,
        overflowed_out=of_out,
        service_level=within / settled if settled else None,
        abandon_rate=abandoned / settled if settled else None,
        average_speed_of_answer_s=wait_sum / answered if answered else None,
        average_handle_time_s=handle_sum / handle_n if handle_n else None,
        seats_by_state=states,
    )
