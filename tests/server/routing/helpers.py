"""Shared helpers for the routing engine tests."""

from __future__ import annotations

from typing import Any

from server.routing import Decision, OfferCall, RoutingConfig, parse_config

PR = "password_reset"  # routed to queue "a" in the two-queue config
CORP = "corporate_willingness_check"  # routed to queue "b"


def make_config(queues: list[dict[str, Any]] | None = None, **top: Any) -> RoutingConfig:
    """Queue "a" takes personal business, "b" corporate business; both FIFO-with-stars by default."""
    if queues is None:
        queues = [
            {"id": "a", "business_types": [PR, "account_activation"], "wrap_up_s": 0},
            {"id": "b", "business_types": [CORP], "wrap_up_s": 0},
        ]
    return parse_config({"queue": queues, **top})


def offers(decisions: list[Decision]) -> list[tuple[str, str]]:
    """(session, seat) of every offer in a decision list."""
    return [(d.session_id, d.seat_id) for d in decisions if isinstance(d, OfferCall)]


def of_type(decisions: list[Decision], kind: type) -> list[Any]:
    """The decisions of one type."""
    return [d for d in decisions if isinstance(d, kind)]


def sid(n: int) -> str:
    """A valid wire session id."""
    return f"session{n:05d}"


def lose_deadlines(engine: Any) -> None:
    """Simulate lost deadlines (a bug the sweeper is there for): the engine forgets its timers and the ring
    deadlines of the seats ringing now."""
    engine._timers.clear()
    for seat in engine.reserved_seats():
        seat.ring_deadline = float("inf")
    engine._ring_due = float("inf")
