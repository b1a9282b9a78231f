"""Fingertips-style benchmarking: Wilson score intervals, funnel-plot limits, and
"better / similar / worse than comparator" with the measure's polarity.

Public Health England / OHID Fingertips conventions (DOMAIN.md "Statistical conventions"):
proportions carry Wilson score intervals at 95% and 99.8%; an area is *similar* to its
comparator when the comparator's value lies within the area's interval, otherwise *better* or
*worse* according to polarity ("higher is better" or not); with no polarity the words are
*higher* / *lower*.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy.stats import norm

from domain.catalogue import Polarity

Comparison = Literal["better", "similar", "worse", "higher", "lower", "not compared"]

CONFIDENCE_95 = 0.95
CONFIDENCE_998 = 0.998


def z_value(confidence: float) -> float:
    """Two-sided standard normal quantile: 1.95996 for 95%, 3.0902 for 99.8%."""
    if not 0 < confidence < 1:
        raise ValueError("confidence must be between 0 and 1")
    return float(norm.ppf(1 - (1 - confidence) / 2))


def wilson_interval(
    successes: np.ndarray | int, trials: np.ndarray | int, confidence: float = CONFIDENCE_95
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for a proportion, as proportions (0–1).

    Parameters
    ----------
    successes, trials : int or array of int
        Numerator and denominator; NaN limits where ``trials`` is 0.
    confidence : float
        0.95 or 0.998 in Fingertips.

    Returns
    -------
    (lower, upper) : arrays of float
        ``(p + z²/2n ± z √(p(1−p)/n + z²/4n²)) / (1 + z²/n)``.
    """
    x = np.asarray(successes, dtype=float)
    n = np.asarray(trials, dtype=float)
    if np.any(x < 0) or np.any(x > n):
        raise ValueError("successes must be between 0 and trials")
    z = z_value(confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = x / n
        centre = p + z * z / (2 * n)
        spread = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
        denominator = 1 + z * z / n
        lower = (centre - spread) / denominator
        upper = (centre + spread) / denominator
    # At 0/n the lower limit is exactly 0 and at n/n the upper exactly 1 (the formula gives
    # z²/2n ∓ z²/2n); in floating point it can land a hair inside, which made a group at
    # 100% look "lower" than an overall 100% (issue 17 finding 3).
    lower = np.where(x == 0, 0.0, lower)
    upper = np.where(x == n, 1.0, upper)
    lower = np.where(n > 0, np.clip(lower, 0, 1), np.nan)
    upper = np.where(n > 0, np.clip(upper, 0, 1), np.nan)
    return lower, upper


def funnel_limits(
    comparator: float, denominators: np.ndarray | int, confidence: float = CONFIDENCE_95
) -> tuple[np.ndarray, np.ndarray]:
    """Funnel-plot control limits for a proportion around ``comparator`` (0–1).

    The limits are those a unit of size n would have if its true proportion were the
    comparator's: the Wilson score interval of a count n × comparator out of n, so they stay
    within 0–1 and narrow as n grows (Spiegelhalter 2005, with the Wilson form Fingertips uses
    for proportions).
    """
    n = np.asarray(denominators, dtype=float)
    if not 0 <= comparator <= 1:
        raise ValueError("comparator is a proportion between 0 and 1")
    return wilson_interval(comparator * n, n, confidence)


def compare_with_benchmark(
    successes: int,
    trials: int,
    comparator: float,
    *,
    polarity: Polarity = "increase",
    confidence: float = CONFIDENCE_95,
) -> Comparison:
    """Better / similar / worse than a comparator proportion (0–1), Fingertips style.

    Similar when the comparator lies within the unit's Wilson interval (inclusive); otherwise
    better or worse by polarity; "higher" / "lower" for a measure without one; "not
    compared" when there is no denominator.
    """
    if trials <= 0:
        return "not compared"
    lower, upper = wilson_interval(successes, trials, confidence)
    lower, upper = float(lower), float(upper)
    if lower <= comparator <= upper:
        return "similar"
    higher = lower > comparator
    if polarity == "neutral":
        return "higher" if higher else "lower"
    good = higher if polarity == "increase" else not higher
    return "better" if good else "worse"


@dataclass(frozen=True)
class BenchmarkRow:
    """One unit (borough, PDU, hub…) against its comparator, for tables and funnel plots."""

    unit: str
    numerator: int
    denominator: int
    value: float | None  # percentage
    lower_95: float | None
    upper_95: float | None
    lower_998: float | None
    upper_998: float | None
    comparison: Comparison


def benchmark_units(
    units: dict[str, tuple[int, int]],
    *,
    comparator: float | None = None,
    polarity: Polarity = "increase",
) -> list[BenchmarkRow]:
    """Each unit's rate with 95% and 99.8% intervals compared with the comparator.

    ``units`` maps a unit's name to (numerator, denominator). The comparator (a proportion)
    defaults to the pooled rate of all units, as Fingertips compares areas with England.
    """
    total_x = sum(x for x, _ in units.values())
    total_n = sum(n for _, n in units.values())
    if comparator is None:
        comparator = total_x / total_n if total_n else float("nan")
    rows = []
    for name, (x, n) in units.items():
        lo95, hi95 = wilson_interval(x, n, CONFIDENCE_95)
        lo998, hi998 = wilson_interval(x, n, CONFIDENCE_998)

        def pct(v: np.ndarray) -> float | None:
            return None if np.isnan(v) else 100.0 * float(v)

        rows.append(
            BenchmarkRow(
                unit=name,
                numerator=int(x),
                denominator=int(n),
                value=100.0 * x / n if n else None,
                lower_95=pct(lo95),
                upper_95=pct(hi95),
                lower_998=pct(lo998),
                upper_998=pct(hi998),
                comparison=(
                    compare_with_benchmark(x, n, comparator, polarity=polarity)
                    if not np.isnan(comparator)
                    else "not compared"
                ),
            )
        )
    return rows
