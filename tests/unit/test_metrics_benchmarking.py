"""Wilson intervals, funnel limits and comparisons, against hand-worked values."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from metrics.benchmarking import (
    benchmark_units,
    compare_with_benchmark,
    funnel_limits,
    wilson_interval,
    z_value,
)


def test_z_values():
    assert z_value(0.95) == pytest.approx(1.959964, abs=1e-6)
    assert z_value(0.998) == pytest.approx(3.090232, abs=1e-6)


def test_wilson_by_hand():
    # 45 / 50, z = 1.959964: p = 0.9, z² = 3.841459;
    # centre = 0.9 + 3.841459/100 = 0.938415; spread = 1.959964 × √(0.09/50 + 3.841459/10000)
    #        = 1.959964 × √(0.0018 + 0.000384146) = 1.959964 × 0.046735 = 0.091599;
    # divide by 1 + 3.841459/50 = 1.076829 → (0.786447, 0.956553).
    lower, upper = wilson_interval(45, 50)
    assert float(lower) == pytest.approx(0.78645, abs=1e-4)
    assert float(upper) == pytest.approx(0.95655, abs=1e-4)


def test_wilson_edges():
    lower, upper = wilson_interval(0, 10)
    assert float(lower) == pytest.approx(0.0, abs=1e-12) and float(upper) == pytest.approx(0.2775, abs=1e-4)
    lower, upper = wilson_interval(10, 10)
    assert float(upper) == pytest.approx(1.0) and float(lower) == pytest.approx(0.7225, abs=1e-4)
    lower, upper = wilson_interval(0, 0)
    assert math.isnan(float(lower)) and math.isnan(float(upper))
    with pytest.raises(ValueError):
        wilson_interval(11, 10)


def test_998_is_wider():
    lo95, hi95 = wilson_interval(30, 60, 0.95)
    lo998, hi998 = wilson_interval(30, 60, 0.998)
    assert lo998 < lo95 < 0.5 < hi95 < hi998


def test_funnel_narrows():
    lower, upper = funnel_limits(0.9, np.array([10, 100, 1000]))
    assert list(np.diff(upper - lower) < 0) == [True, True]


@pytest.mark.parametrize(
    ("x", "n", "comparator", "polarity", "expected"),
    [
        (45, 50, 0.80, "increase", "similar"),  # 0.80 lies inside (0.786, 0.957)
        (45, 50, 0.70, "increase", "better"),  # 0.70 < 0.786: above the comparator, higher is better
        (45, 50, 0.70, "decrease", "worse"),
        (45, 50, 0.97, "increase", "worse"),   # 0.97 > 0.957
        (45, 50, 0.97, "neutral", "lower"),
        (45, 50, 0.90, "increase", "similar"),
        (0, 0, 0.90, "increase", "not compared"),
    ],
)
def test_compare(x, n, comparator, polarity, expected):
    assert compare_with_benchmark(x, n, comparator, polarity=polarity) == expected


def test_benchmark_units_pooled_comparator():
    rows = benchmark_units({"Bolton": (90, 100), "Bury": (50, 100), "Wigan": (0, 0)})
    # pooled 140 / 200 = 0.70. Bolton 90% (0.826, 0.945) better; Bury 50% (0.404, 0.596) worse.
    assert [r.comparison for r in rows] == ["better", "worse", "not compared"]
    assert rows[2].value is None and rows[2].lower_95 is None


@given(st.integers(min_value=1, max_value=5000).flatmap(
    lambda n: st.tuples(st.integers(min_value=0, max_value=n), st.just(n))))
def test_interval_contains_estimate(pair):
    x, n = pair
    lower, upper = wilson_interval(x, n)
    assert 0 <= lower <= x / n + 1e-12 and x / n - 1e-12 <= upper <= 1


@pytest.mark.parametrize("n", [3, 6, 7, 10, 25, 27, 28, 34, 38, 41, 48, 57, 60, 299])
def test_wilson_limits_are_exact_at_none_and_all(n):
    """Issue 17 finding 3: for these n the formula's limits at 0/n and n/n landed a hair inside
    0 and 1, so a group at 100% was "worse" than a comparator of 100% (and 0% "better" than 0%)."""
    assert float(wilson_interval(n, n)[1]) == 1.0 and float(wilson_interval(0, n)[0]) == 0.0
    assert compare_with_benchmark(n, n, 1.0) == "similar"
    assert compare_with_benchmark(0, n, 0.0) == "similar"
    assert compare_with_benchmark(0, n, 0.0, polarity="decrease") == "similar"
