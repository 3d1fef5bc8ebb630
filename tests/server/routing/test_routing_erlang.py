"""Theory check: M/M/c through the real engine agrees with the Erlang C formula (see docs/routing.md)."""

from __future__ import annotations

import numpy as np
import pytest

from server.routing.sim import POINTS, erlang_c, erlang_c_mean_wait, lindley_waits, simulate_mmc

CUSTOMERS = 100_000
SEED = 7


def test_erlang_c_formula_known_values():
    # M/M/1: C = rho. M/M/2 with a = 1: C = 1/3. Classic table value C(10, 8) = 0.409.
    assert erlang_c(1, 0.7) == pytest.approx(0.7)
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3)
    assert erlang_c(10, 8.0) == pytest.approx(0.4092, abs=1e-4)
    assert erlang_c_mean_wait(1, 0.5, 1.0) == pytest.approx(1.0)  # rho/(mu - lam)
    with pytest.raises(ValueError):
        erlang_c(3, 3.0)


@pytest.mark.parametrize(("lam", "mu", "c"), POINTS)
def test_simulated_engine_agrees_with_erlang_c(lam, mu, c):
    result = simulate_mmc(lam, mu, c, CUSTOMERS, seed=SEED)
    p_theory = erlang_c(c, lam / mu)
    w_theory = erlang_c_mean_wait(c, lam, mu)
    # control-variate estimates (same runs, noise of known-mean inputs removed): within 5 % relative
    assert result.p_wait_cv == pytest.approx(p_theory, rel=0.05)
    assert result.mean_wait_cv == pytest.approx(w_theory, rel=0.05)
    # and the estimates are precise enough for 5 % to mean something (>= 3 standard errors)
    assert 3 * result.p_wait_cv_se < 0.05 * p_theory
    assert 3 * result.mean_wait_cv_se < 0.05 * w_theory
    # the raw means are within 4 of their own standard errors of theory
    assert abs(result.p_wait - p_theory) < 4 * result.p_wait_se
    assert abs(result.mean_wait_s - w_theory) < 4 * result.mean_wait_se
    # the wait estimate given to queued customers (position x recent handle time / working seats) is calibrated: on
    # average it is the mean wait of those who wait, Wq / P(wait) = 1 / (c mu - lam), within 20 % (it runs a little
    # high: long queues come with recently long handle times)
    assert result.mean_estimate_s == pytest.approx(w_theory / p_theory, rel=0.20)
    # the engine's own average speed of answer is the same measurement
    assert result.answered_asa_s == pytest.approx(float(result.waits.mean()), rel=1e-9)
    if c == 1:
        # one seat, FIFO: every customer's wait is exactly the Lindley recursion of the same inputs
        np.testing.assert_allclose(result.waits, lindley_waits(list(result.gaps), list(result.services)), atol=1e-9)
