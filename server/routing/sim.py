"""Discrete-event simulation that drives the real routing engine, and the Erlang C formula it is checked against.

M/M/c: Poisson arrivals (rate ``lam``), exponential handle times (rate ``mu``), one FIFO queue, ``c`` seats that
answer at once and have no wrap-up. The engine decides every offer; the simulator only supplies times.
"""

from __future__ import annotations

import heapq
import math
import random
from dataclasses import dataclass

import numpy as np

from server.routing.config import single_queue_config
from server.routing.engine import RoutingEngine
from server.routing.model import OfferCall, Skill


def erlang_c(c: int, offered_load: float) -> float:
    """Probability that an arrival waits in M/M/c (Erlang C), ``offered_load`` a = lam/mu < c.

    ``C(c, a) = (a^c/c! * c/(c-a)) / (sum_{k<c} a^k/k! + a^c/c! * c/(c-a))``, computed with the stable Erlang B
    recursion ``B(0)=1, B(k) = a*B(k-1) / (k + a*B(k-1))`` and ``C = c*B / (c - a*(1-B))``.
    """
    if not 0 < offered_load < c:
        raise ValueError("need 0 < a < c for a stable queue")
    b = 1.0
    for k in range(1, c + 1):
        b = offered_load * b / (k + offered_load * b)
    return c * b / (c - offered_load * (1 - b))


def erlang_c_mean_wait(c: int, lam: float, mu: float) -> float:
    """Mean wait in queue of M/M/c: ``Wq = C(c, a) / (c*mu - lam)``."""
    return erlang_c(c, lam / mu) / (c * mu - lam)


@dataclass(frozen=True)
class SimResult:
    """Measured figures of one simulation run (after warm-up).

    Attributes:
        customers: customers measured.
        p_wait: fraction who were not offered a seat on arrival.
        mean_wait_s: mean time from arrival to answer.
        p_wait_se: batch-means standard error of ``p_wait``.
        mean_wait_se: batch-means standard error of ``mean_wait_s``.
        p_wait_cv: ``p_wait`` corrected with control variates (interarrival and handle times, whose means are
            known); the same runs, less noise.
        mean_wait_cv: ``mean_wait_s`` corrected the same way.
        p_wait_cv_se: batch-means standard error of ``p_wait_cv``.
        mean_wait_cv_se: batch-means standard error of ``mean_wait_cv``.
        mean_estimate_s: mean of the engine's estimated wait given to customers when they were queued.
        answered_asa_s: the engine's own average speed of answer over all customers (warm-up included).
        waits, gaps, services: every customer's wait, interarrival and handle time (warm-up included).
    """

    customers: int
    p_wait: float
    mean_wait_s: float
    p_wait_se: float
    mean_wait_se: float
    p_wait_cv: float
    mean_wait_cv: float
    p_wait_cv_se: float
    mean_wait_cv_se: float
    mean_estimate_s: float
    answered_asa_s: float
    waits: np.ndarray
    gaps: np.ndarray
    services: np.ndarray


def simulate_mmc(
    lam: float,
    mu: float,
    c: int,
    customers: int,
    *,
    seed: int,
    warmup: int = 2000,
    batches: int = 50,
    antithetic: bool = False,
) -> SimResult:
    """Run M/M/c through the engine and measure the probability of waiting and the mean wait.

    Args:
        lam: arrival rate (per second).
        mu: service rate per seat (per second).
        c: seats.
        customers: customers measured after the warm-up.
        seed: random seed (runs are reproducible).
        warmup: customers discarded at the start (the queue starts empty).
        batches: batches for the batch-means standard errors.
        antithetic: draw every random number as ``1 - u`` (for an antithetic pair of runs).
    """
    rng = random.Random(seed)

    def expo(rate: float) -> float:
        u = rng.random()
        if antithetic:
            u = 1.0 - u
        return -math.log(1.0 - u) / rate  # u in [0, 1): 1-u in (0, 1]

    engine = RoutingEngine(
        single_queue_config("q", w_star=0.0, w_age=1.0, wrap_up_s=0.0, ring_timeout_s=1e12, service_level_s=0.0)
    )
    for i in range(c):
        engine.seat_login(f"seat{i}", [Skill("q")], 0.0, ready=True)
    total = warmup + customers
    arrival: dict[str, float] = {}
    index: dict[str, int] = {}
    waits = [0.0] * total
    waited = [False] * total
    gaps = [0.0] * total  # interarrival time before each customer (control variate, known mean 1/lam)
    services = [0.0] * total  # handle time of each customer (control variate, known mean 1/mu)
    estimates: list[float] = []
    events: list[tuple[float, int, str]] = []  # (time, 0=departure/1=arrival, session)
    gaps[0] = t = expo(lam)
    heapq.heappush(events, (t, 1, "session00000000"))
    n_arrived = 1
    while events:
        now, kind, session = heapq.heappop(events)
        if kind == 1:
            arrival[session] = now
            index[session] = int(session[7:])
            decisions = engine.customer_arrive(session, "password_reset", now)
            if n_arrived < total:
                gap = gaps[n_arrived] = expo(lam)
                heapq.heappush(events, (now + gap, 1, f"session{n_arrived:08d}"))
                n_arrived += 1
            offered = False
            for d in decisions:
                if type(d) is OfferCall:
                    offered = True
            if not offered:
                waited[index[session]] = True
                if index[session] >= warmup and index[session] % 16 == 0:  # a sample: position() is O(queue)
                    pos = engine.position(session)
                    if pos is not None and pos.estimated_wait_s is not None:
                        estimates.append(pos.estimated_wait_s)
        else:
            decisions = engine.end_call(session, now)
        for d in decisions:
            if type(d) is OfferCall:
                s = d.session_id
                engine.seat_answer(d.seat_id, s, now)
                i = index[s]
                waits[i] = now - arrival.pop(s)
                services[i] = service = expo(mu)
                heapq.heappush(events, (now + service, 0, s))
    w = np.array(waits[warmup:])
    p = np.array(waited[warmup:], dtype=float)
    fast = _fast_server_waits(gaps, services, c)
    rho = lam / (c * mu)
    columns = [np.array(gaps[warmup:]) - 1.0 / lam, np.array(services[warmup:]) - 1.0 / mu]
    if c > 1:
        # the same customers through one server c times faster (M/M/1, Wq = rho/(c*mu - lam)): strongly
        # correlated with the c-seat waits at high load, with a known mean. (For c = 1 it *is* the system.)
        columns.append(fast[warmup:] - rho / (c * mu - lam))
    controls = np.column_stack(columns)
    p_cv, p_cv_se = _control_variate(p, controls, batches)
    w_cv, w_cv_se = _control_variate(w, controls, batches)
    return SimResult(
        customers=customers,
        p_wait=float(p.mean()),
        mean_wait_s=float(w.mean()),
        p_wait_se=_batch_se(p, batches),
        mean_wait_se=_batch_se(w, batches),
        p_wait_cv=p_cv,
        mean_wait_cv=w_cv,
        p_wait_cv_se=p_cv_se,
        mean_wait_cv_se=w_cv_se,
        mean_estimate_s=sum(estimates) / len(estimates) if estimates else 0.0,
        answered_asa_s=engine.statistics(now)["q"].average_speed_of_answer_s or 0.0,
        waits=np.array(waits),
        gaps=np.array(gaps),
        services=np.array(services),
    )


def _fast_server_waits(gaps: list[float], services: list[float], c: int) -> np.ndarray:
    """Lindley recursion ``W[n+1] = max(0, W[n] + S[n]/c - A[n+1])``: FIFO waits at one c-times-faster server."""
    out = np.zeros(len(gaps))
    w = 0.0
    for n in range(1, len(gaps)):
        w = w + services[n - 1] / c - gaps[n]
        if w < 0.0:
            w = 0.0
        out[n] = w
    return out


def lindley_waits(gaps: list[float], services: list[float]) -> np.ndarray:
    """FIFO waits at a single server from interarrival and service times (the c = 1 reference)."""
    return _fast_server_waits(gaps, services, 1)


def _batch_means(values: np.ndarray, batches: int) -> np.ndarray:
    size = len(values) // batches
    return values[: size * batches].reshape(batches, size, *values.shape[1:]).mean(axis=1)


def _batch_se(values: np.ndarray, batches: int) -> float:
    means = _batch_means(values, batches)
    return float(means.std(ddof=1) / math.sqrt(batches))


def _control_variate(values: np.ndarray, controls: np.ndarray, batches: int) -> tuple[float, float]:
    """Control-variate estimate of the mean of ``values`` and its batch-means standard error.

    ``controls`` are centred on their known means (interarrival ``1/lam``, handle time ``1/mu``); the coefficients
    come from a least-squares fit of the batch means, so the estimate is ``mean(values) - beta . mean(controls)``.
    """
    y = _batch_means(values, batches)
    x = _batch_means(controls, batches)
    design = np.column_stack([np.ones(batches), x])
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    adjusted = y - x @ coef[1:]
    return float(adjusted.mean()), float(adjusted.std(ddof=1 + x.shape[1]) / math.sqrt(batches))


POINTS = ((0.5, 1.0, 1), (2.1, 1.0, 3), (4.0, 1.0, 5), (1.8, 1.0, 2), (9.0, 1.0, 10))
"""(lam, mu, c) checked by tests/server/routing/test_routing_erlang.py: occupancy 0.5, 0.7, 0.8, 0.9, 0.9."""


def main() -> None:
    """Print the simulated-versus-Erlang-C table used in docs/routing.md."""
    import argparse

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    print(
        "| lam | mu | c | occupancy | P(wait) Erlang C | measured (raw) | measured (CV) +- se |"
        " Wq Erlang C (s) | measured (raw) | measured (CV) +- se |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for lam, mu, c in POINTS:
        r = simulate_mmc(lam, mu, c, args.customers, seed=args.seed)
        pw, wq = erlang_c(c, lam / mu), erlang_c_mean_wait(c, lam, mu)
        print(
            f"| {lam} | {mu} | {c} | {lam / mu / c:.2f} | {pw:.4f} | {r.p_wait:.4f} ({(r.p_wait - pw) / pw:+.1%}) "
            f"| {r.p_wait_cv:.4f} ({(r.p_wait_cv - pw) / pw:+.1%}) +- {r.p_wait_cv_se:.4f} | {wq:.4f} "
            f"| {r.mean_wait_s:.4f} ({(r.mean_wait_s - wq) / wq:+.1%}) "
            f"| {r.mean_wait_cv:.4f} ({(r.mean_wait_cv - wq) / wq:+.1%}) +- {r.mean_wait_cv_se:.4f} |"
        )


if __name__ == "__main__":
    main()
