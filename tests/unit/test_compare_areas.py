"""Compare areas: the trend test and the funnel's outlier rule, worked by hand."""

import numpy as np
import pytest

from metrics.compare import binomial_funnel, funnel_outside, trend_label, trend_test


def test_cochran_armitage_by_hand():
    # n = 10, 10, 10; met 2, 5, 8: p̄ = 0.5, scores 0, 1, 2.
    # T = Σ t (x − n p̄) = 0·(−3) + 1·0 + 2·3 = 6; Var = p̄(1 − p̄)(Σ n t² − (Σ n t)² / N)
    #   = 0.25 × (50 − 900 / 30) = 5; z = 6 / √5 = 2.683; two-sided p = 0.0073.
    z, p = trend_test(np.array([2, 5, 8]), np.array([10, 10, 10]))
    assert z == pytest.approx(6 / np.sqrt(5))
    assert p == pytest.approx(0.0073, abs=1e-4)
    assert trend_label(np.array([2, 5, 8]), np.array([10, 10, 10]), "increase") == "increasing (getting better)"
    assert trend_label(np.array([2, 5, 8]), np.array([10, 10, 10]), "decrease") == "increasing (getting worse)"
    assert trend_label(np.array([8, 5, 2]), np.array([10, 10, 10]), "neutral") == "decreasing"


@pytest.mark.parametrize("met, cases, label", [
    ([5, 5, 5], [10, 10, 10], "no significant change"),  # no trend at all
    ([10, 10, 10], [10, 10, 10], "not enough data"),       # every case met: no variation to test
    ([1, 2], [5, 5], "not enough data"),                    # two months only
    ([1, 1, 1], [2, 2, 2], "not enough data"),              # six cases in all
    ([0, 3, 0, 4], [0, 5, 0, 6], "not enough data"),        # two months with cases
])
def test_trend_needs_enough_data(met, cases, label):
    assert trend_label(np.array(met), np.array(cases), "increase") == label


def test_funnel_is_exact_at_100_percent():
    # 12 of 12 against 93.2%: P(X = 12) = 0.932¹² = 0.43, nothing unusual (a Wilson funnel
    # would put it above its 99.8% limit). 0 of 12 is far below.
    assert not funnel_outside(np.array([12]), np.array([12]), 0.932, 0.998)[0]
    assert funnel_outside(np.array([0]), np.array([12]), 0.932, 0.998)[0]
    # 50 of 100 against 75%: P(X ≤ 50) ≈ 1e-7, below the 99.8% funnel.
    assert funnel_outside(np.array([50]), np.array([100]), 0.75, 0.998)[0]
    lower, upper = binomial_funnel(0.75, np.array([4, 100]), 0.95)
    assert (lower[0], upper[0]) == (0.25, 1.0)  # ppf(0.025; 4, 0.75) = 1, ppf(0.975) = 4
    assert 0.65 < lower[1] < 0.75 < upper[1] < 0.85
