"""Statistical process control: the XmR chart as NHS England's Making Data Count (MDC) uses it.

Defaults follow the NHS-R community's ``NHSRplotthedots`` package (the reference
implementation DOMAIN.md names), read from its source and tests:

* process limits = mean ± 2.66 × mean moving range; the "two sigma" line is at 2/3 of that;
* moving ranges of 3.267 × the mean moving range or more are screened out before the mean
  moving range is recomputed (``screen_outliers=True``);
* **shift**: 7 points in a row on the same side of the mean (a point on the mean breaks it);
* **trend**: 7 points in a row each strictly above (or below) the one before (6 rises);
* **two of three**: two or three of three consecutive points between the two-sigma line and
  the process limit, all three on the same side of the mean; only the points beyond two
  sigma are flagged (a point beyond the limit is not "close to" it);
* a point outside the process limits;
* precedence (which rule names a point flagged by several): outside limits, trend,
  two of three, shift – ``NHSRplotthedots``'s order. ``precedence="mdc"`` gives the order
  MDC's guidance lists (outside, shift, trend, two of three); the flags are the same.
* direction: a trend point signals the trend's direction; the other rules the side of the
  mean; improvement or concern follows the measure's polarity; "neutral" polarity reports
  neutral signals;
* assurance (on the latest limits): a target beyond the limits means the process will
  consistently pass or fail it; a target within them means it will pass inconsistently.

Rule sets (``rule_set``, DOMAIN.md Decision 11; named under every chart):

* ``"mdc-2023"`` (default): Making Data Count as revised in November 2023. Points beyond
  three sigma count towards "two of three" as well as points between two and three sigma
  (NHSRplotthedots issue #194). A segment with no variation at all (every moving range 0)
  gets **no** limits: zero-width limits would call every later change a special cause, and
  the chart says why instead.
* ``"nhsr-0.2.2"``: NHSRplotthedots 0.2.2 exactly (only points between two and three sigma
  count towards two of three; a flat segment gets zero-width limits).

Run length (``shift_length`` and ``trend_length``) is 7 by default in both; 6 reproduces
the older MDC Excel tool. Limits are marked ``provisional`` when a segment has fewer than 13
points (MDC guidance), a deliberate difference from NHSRplotthedots.

Display: limits of a percentage are computed unchanged but shown within 0–100
(:func:`displayed_limits`), with a note. The Making Data Count icons are named by
:func:`variation_icon` and :func:`assurance_icon`, each with a text equivalent, and
:func:`explain` puts status, variation and assurance side by side in one sentence when they
seem to disagree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

Improvement = Literal["increase", "decrease", "neutral"]
Signal = Literal["common", "improvement", "concern", "neutral"]
Rule = Literal["outside_limits", "shift", "trend", "two_of_three"]
Assurance = Literal["pass", "fail", "inconsistent"]
RuleSet = Literal["mdc-2023", "nhsr-0.2.2"]

#: The rule sets a chart can follow (DOMAIN.md Decision 11), with the name shown under charts.
RULE_SETS: dict[str, str] = {
    "mdc-2023": "Making Data Count (November 2023 rules: points beyond three sigma count towards two of three)",
    "nhsr-0.2.2": "NHSRplotthedots 0.2.2 (only points between two and three sigma count towards two of three)",
}
DEFAULT_RULE_SET: RuleSet = "mdc-2023"

LIMIT_SIGMA = 2.66  # 3 / d2 with d2 = 1.128 for moving ranges of two
CLOSE_SIGMA = 2 * LIMIT_SIGMA / 3  # "two sigma"
OUTLIER_MR = 3.267  # D4 for n = 2: the upper range limit
PROVISIONAL_BELOW = 13  # MDC: fewer points give provisional limits

NHSR_PRECEDENCE: tuple[Rule, ...] = ("outside_limits", "trend", "two_of_three", "shift")
MDC_PRECEDENCE: tuple[Rule, ...] = ("outside_limits", "shift", "trend", "two_of_three")

#: Making Data Count colours (NHSRplotthedots).
SPC_COLOURS: dict[str, str] = {
    "common": "#a6a6a6",
    "improvement": "#00b0f0",
    "concern": "#e46c0a",
    "neutral": "#490092",
    "target": "#de1b1b",
}


# --------------------------------------------------------------------------------------------
# Result types
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SpcPoint:
    index: int
    x: object  # the date (or index) the caller gave
    value: float
    mean: float
    lower: float | None
    upper: float | None
    signal: Signal
    rule: Rule | None
    segment: int


@dataclass(frozen=True)
class SpcSegment:
    """One stretch between rebases, with its own mean and limits."""

    start: int
    stop: int  # exclusive
    mean: float
    mean_moving_range: float | None
    lower: float | None
    upper: float | None
    provisional: bool


@dataclass(frozen=True)
class XmrChart:
    """An XmR chart: ``mean``/``lower``/``upper`` are the latest segment's."""

    mean: float
    lower: float | None
    upper: float | None
    points: tuple[SpcPoint, ...]
    assurance: Assurance | None
    provisional: bool
    improvement: Improvement
    target: float | None
    segments: tuple[SpcSegment, ...]
    rule_set: RuleSet = DEFAULT_RULE_SET
    run_length: int = 7
    #: Why the latest segment has no limits (e.g. no variation), or None.
    limits_note: str | None = None

    @property
    def latest_signal(self) -> Signal:
        return self.points[-1].signal if self.points else "common"

    def as_records(self) -> list[dict]:
        """Points as plain dicts, for a DataFrame or a chart."""
        return [p.__dict__.copy() for p in self.points]


# --------------------------------------------------------------------------------------------
# The rules, each a small function on arrays (tested separately)
# --------------------------------------------------------------------------------------------


def moving_ranges(values: np.ndarray) -> np.ndarray:
    """|x_i − x_{i−1}| for i ≥ 1 (one shorter than ``values``)."""
    return np.abs(np.diff(np.asarray(values, dtype=float)))


def mean_moving_range(values: np.ndarray, *, screen_outliers: bool = True) -> float | None:
    """Mean moving range, after screening ranges ≥ 3.267 × the first mean (NHSRplotthedots)."""
    ranges = moving_ranges(values)
    if ranges.size == 0:
        return None
    amr = float(ranges.mean())
    if screen_outliers:
        kept = ranges[ranges < OUTLIER_MR * amr]
        # All ranges equal to zero: nothing is below 0 × 3.267, keep the zero mean.
        amr = float(kept.mean()) if kept.size else amr
    return amr


def side_of_mean(values: np.ndarray, mean: float) -> np.ndarray:
    """+1 above, −1 below, 0 on the mean."""
    return np.sign(np.asarray(values, dtype=float) - mean).astype(int)


def outside_limits(values: np.ndarray, lower: float | None, upper: float | None) -> np.ndarray:
    """+1 above the upper limit, −1 below the lower one, else 0 (strictly beyond)."""
    y = np.asarray(values, dtype=float)
    out = np.zeros(y.shape, dtype=int)
    if lower is None or upper is None:
        return out
    out[y > upper] = 1
    out[y < lower] = -1
    return out


def close_to_limits(
    values: np.ndarray, mean: float, mean_mr: float | None, outside: np.ndarray
) -> np.ndarray:
    """True beyond the two-sigma line but not beyond the process limit."""
    y = np.asarray(values, dtype=float)
    if mean_mr is None:
        return np.zeros(y.shape, dtype=bool)
    band = CLOSE_SIGMA * mean_mr
    return (outside == 0) & ((y > mean + band) | (y < mean - band))


def beyond_two_sigma(values: np.ndarray, mean: float, mean_mr: float | None) -> np.ndarray:
    """True beyond the two-sigma line, whether or not also beyond the process limit (the
    points that count towards two of three under the November 2023 Making Data Count rules)."""
    y = np.asarray(values, dtype=float)
    if mean_mr is None:
        return np.zeros(y.shape, dtype=bool)
    band = CLOSE_SIGMA * mean_mr
    return (y > mean + band) | (y < mean - band)


def run_ends(sides: np.ndarray, length: int = 7) -> np.ndarray:
    """Mark (±1) each point that ends ``length`` points in a row on one side of the mean."""
    s = np.asarray(sides, dtype=int)
    out = np.zeros(s.shape, dtype=int)
    for i in range(length - 1, len(s)):
        window = s[i - length + 1 : i + 1]
        if s[i] != 0 and np.all(window == s[i]):
            out[i] = s[i]
    return out


def trend_ends(values: np.ndarray, length: int = 7) -> np.ndarray:
    """Mark (±1) each point that ends ``length`` points each strictly rising (or falling)."""
    y = np.asarray(values, dtype=float)
    out = np.zeros(y.shape, dtype=int)
    if len(y) < length:
        return out
    steps = np.sign(np.diff(y)).astype(int)
    for i in range(length - 1, len(y)):
        window = steps[i - length + 1 : i]
        if np.all(window == 1):
            out[i] = 1
        elif np.all(window == -1):
            out[i] = -1
    return out


def part_of_run(ends: np.ndarray, length: int = 7) -> np.ndarray:
    """True for every point in a marked run: the end point and the ``length − 1`` before it."""
    marked = np.asarray(ends) != 0
    out = np.zeros(marked.shape, dtype=bool)
    for i in np.flatnonzero(marked):
        out[max(0, i - length + 1) : i + 1] = True
    return out


def two_of_three(close: np.ndarray, sides: np.ndarray) -> np.ndarray:
    """True for points beyond two sigma that are 2 (or 3) of 3 consecutive such points.

    All three points of the window must be on the same side of the mean (NHSRplotthedots
    0.2: points on opposite sides do not combine); only the close points themselves are flagged.
    """
    c = np.asarray(close, dtype=bool)
    s = np.asarray(sides, dtype=int)
    in_window = np.zeros(c.shape, dtype=bool)
    for i in range(len(c) - 2):
        if c[i : i + 3].sum() >= 2 and abs(int(s[i : i + 3].sum())) == 3:
            in_window[i : i + 3] = True
    return in_window & c


def trend_direction(values: np.ndarray, in_trend: np.ndarray) -> np.ndarray:
    """Direction (±1) of the trend each trend point belongs to.

    A point in the middle of a trend takes the step to its right; the last point of a trend
    the step from its left (so a trend crossing the mean keeps one direction: issue #171).
    """
    y = np.asarray(values, dtype=float)
    steps = np.sign(np.diff(y)).astype(int)
    right = np.append(steps, 0)
    left = np.insert(steps, 0, 0)
    next_in = np.append(in_trend[1:], False)
    return np.where(in_trend & next_in, right, left)


def classify(direction: int, improvement: Improvement) -> Signal:
    """A special-cause point's signal given the measure's polarity."""
    if direction == 0:
        return "common"
    if improvement == "neutral":
        return "neutral"
    good = 1 if improvement == "increase" else -1
    return "improvement" if direction == good else "concern"


def assurance(
    target: float | None, lower: float | None, upper: float | None, improvement: Improvement
) -> Assurance | None:
    """Pass / fail / inconsistent against a target, from the latest process limits."""
    if target is None or improvement == "neutral" or lower is None or upper is None:
        return None
    if target > upper:
        return "fail" if improvement == "increase" else "pass"
    if target < lower:
        return "pass" if improvement == "increase" else "fail"
    return "inconsistent"


# --------------------------------------------------------------------------------------------
# The chart
# --------------------------------------------------------------------------------------------


def _segment_starts(
    n: int, rebase_at: Sequence[int | dt.date], x: Sequence[object] | None
) -> list[int]:
    starts = {0}
    for point in rebase_at:
        if isinstance(point, (int, np.integer)) and not isinstance(point, bool):
            index = int(point)
        else:
            if x is None:
                raise ValueError("rebasing at a date needs the dates of the points (x=...)")
            later = [i for i, value in enumerate(x) if value >= point]
            if not later:
                continue
            index = later[0]
        if not 0 <= index < n:
            raise ValueError(f"rebase index {index} is outside the series (0–{n - 1})")
        starts.add(index)
    return sorted(starts)


def xmr(
    values: Sequence[float] | np.ndarray,
    *,
    improvement: Improvement,
    target: float | None = None,
    screen_outliers: bool = True,
    x: Sequence[object] | None = None,
    rebase_at: Sequence[int | dt.date] = (),
    fix_after_n_points: int | None = None,
    shift_length: int = 7,
    trend_length: int = 7,
    precedence: Literal["nhsr", "mdc"] = "nhsr",
    provisional_below: int = PROVISIONAL_BELOW,
    rule_set: RuleSet = DEFAULT_RULE_SET,
) -> XmrChart:
    """An XmR (individuals and moving range) chart with Making Data Count signals.

    Parameters
    ----------
    values : sequence of float
        The series in time order (e.g. a KPI's monthly percentages). Missing values are not
        allowed: leave those periods out (an SPC chart needs no gaps).
    improvement : {"increase", "decrease", "neutral"}
        The measure's polarity.
    target : float, optional
        For the assurance (pass / fail / inconsistent).
    screen_outliers : bool
        Drop moving ranges ≥ 3.267 × the mean moving range before computing the limits
        (NHSRplotthedots default).
    x : sequence, optional
        Dates (or labels) of the points; needed to rebase at dates.
    rebase_at : sequence of int or date
        Start a new segment (new mean and limits) at these indices or at the first point on or
        after these dates.
    fix_after_n_points : int, optional
        Compute each segment's mean and limits from its first n points only.
    shift_length, trend_length : int
        7 and 7 in NHSRplotthedots; 6 reproduces the older MDC Excel convention.
    precedence : {"nhsr", "mdc"}
        Which rule names a point several rules flag (see the module docstring).
    provisional_below : int
        A segment with fewer points than this has provisional limits (MDC: 13 … 20 points).
    rule_set : {"mdc-2023", "nhsr-0.2.2"}
        Which two-of-three rule and flat-segment handling to follow (module docstring);
        ``"nhsr-0.2.2"`` gives NHSRplotthedots 0.2.2's results exactly.

    Returns
    -------
    XmrChart
        ``mean``, ``lower``, ``upper`` (latest segment), ``points`` (each with ``signal`` and
        ``rule``), ``assurance`` and ``provisional``.

    Examples
    --------
    >>> chart = xmr([1, 2, 3, 4, 5, 6, 7], improvement="increase")
    >>> [p.rule for p in chart.points] == ["trend"] * 7
    True
    """
    if improvement not in ("increase", "decrease", "neutral"):
        raise ValueError("improvement must be 'increase', 'decrease' or 'neutral'")
    y = np.asarray(values, dtype=float)
    if y.ndim != 1:
        raise ValueError("values must be one-dimensional")
    if np.isnan(y).any():
        raise ValueError("values contain missing values; leave those periods out")
    if x is not None and len(x) != len(y):
        raise ValueError("x and values differ in length")
    if rule_set not in RULE_SETS:
        raise ValueError(f"rule_set must be one of {', '.join(RULE_SETS)}")
    order = MDC_PRECEDENCE if precedence == "mdc" else NHSR_PRECEDENCE
    labels = list(x) if x is not None else list(range(len(y)))

    points: list[SpcPoint] = []
    segments: list[SpcSegment] = []
    if len(y) == 0:
        return XmrChart(float("nan"), None, None, (), None, True, improvement, target, (),
                        rule_set, shift_length, "No points to chart.")

    starts = _segment_starts(len(y), rebase_at, x)
    bounds = list(zip(starts, starts[1:] + [len(y)]))
    for number, (start, stop) in enumerate(bounds):
        seg = y[start:stop]
        basis = seg[:fix_after_n_points] if fix_after_n_points else seg
        # A flat segment's mean is its value exactly (float summation could drift an ulp
        # and make a constant series cross its own mean).
        mean = float(basis[0]) if np.ptp(basis) == 0 else float(basis.mean())
        amr = mean_moving_range(basis, screen_outliers=screen_outliers)
        if rule_set == "mdc-2023" and amr == 0:
            amr = None  # no variation: no limits (see the module docstring)
        lower = mean - LIMIT_SIGMA * amr if amr is not None else None
        upper = mean + LIMIT_SIGMA * amr if amr is not None else None
        segments.append(
            SpcSegment(start, stop, mean, amr, lower, upper, len(basis) < provisional_below)
        )

        sides = side_of_mean(seg, mean)
        outside = outside_limits(seg, lower, upper)
        if rule_set == "mdc-2023":
            close = beyond_two_sigma(seg, mean, amr)
        else:
            close = close_to_limits(seg, mean, amr, outside)
        flags: dict[Rule, np.ndarray] = {
            "outside_limits": outside != 0,
            "trend": part_of_run(trend_ends(seg, trend_length), trend_length),
            "two_of_three": two_of_three(close, sides),
            "shift": part_of_run(run_ends(sides, shift_length), shift_length),
        }
        trend_dir = trend_direction(seg, flags["trend"])
        for offset, value in enumerate(seg):
            rule = next((r for r in order if flags[r][offset]), None)
            direction = 0
            if rule == "trend":
                direction = int(trend_dir[offset])
            elif rule is not None:
                direction = int(sides[offset])
            points.append(
                SpcPoint(
                    index=start + offset,
                    x=labels[start + offset],
                    value=float(value),
                    mean=mean,
                    lower=lower,
                    upper=upper,
                    signal=classify(direction, improvement),
                    rule=rule,
                    segment=number,
                )
            )

    latest = segments[-1]
    return XmrChart(
        mean=latest.mean,
        lower=latest.lower,
        upper=latest.upper,
        points=tuple(points),
        assurance=assurance(target, latest.lower, latest.upper, improvement),
        provisional=latest.provisional,
        improvement=improvement,
        target=target,
        segments=tuple(segments),
        rule_set=rule_set,
        run_length=shift_length,
        limits_note=_limits_note(latest, len(y[latest.start:latest.stop])),
    )


def _limits_note(segment: SpcSegment, points: int) -> str | None:
    if segment.lower is not None:
        return None
    if points < 2:
        return "No process limits: one point has no moving range."
    return ("No process limits: the values do not vary from one point to the next (apart from any "
            "outlying jump screened out), so there is no variation to set limits from.")


# --------------------------------------------------------------------------------------------
# Display: limits within a scale, Making Data Count icons and their words
# --------------------------------------------------------------------------------------------


def displayed_limits(
    lower: float | None, upper: float | None, *, minimum: float | None = 0.0, maximum: float | None = 100.0
) -> tuple[float | None, float | None, str | None]:
    """Process limits as shown on a bounded scale (a percentage: 0–100), and a note when
    clipped. The computation (and so every signal) uses the unclipped limits."""
    shown_lower, shown_upper, clipped = lower, upper, []
    if lower is not None and minimum is not None and lower < minimum:
        shown_lower, clipped = minimum, clipped + [f"lower limit {lower:.1f}"]
    if upper is not None and maximum is not None and upper > maximum:
        shown_upper, clipped = maximum, clipped + [f"upper limit {upper:.1f}"]
    note = None
    if clipped:
        note = (f"Process limits shown within {minimum:g}–{maximum:g}; the computed "
                + " and ".join(clipped) + (" lie" if len(clipped) > 1 else " lies")
                + " outside the scale a value can take.")
    return shown_lower, shown_upper, note


#: Making Data Count variation icons, with their text equivalents.
VARIATION_ICONS: dict[str, str] = {
    "common_cause": "Common cause variation: no significant change",
    "improvement_high": "Special cause variation: improvement, higher values",
    "improvement_low": "Special cause variation: improvement, lower values",
    "concern_high": "Special cause variation: concern, higher values",
    "concern_low": "Special cause variation: concern, lower values",
    "neutral_high": "Special cause variation: higher values (neither better nor worse)",
    "neutral_low": "Special cause variation: lower values (neither better nor worse)",
    "no_data": "No variation icon: too few points to chart",
}
#: Making Data Count assurance icons, with their text equivalents.
ASSURANCE_ICONS: dict[str, str] = {
    "consistently_pass": "Assurance: the process limits are all on the passing side of the target, so it will consistently be met",
    "consistently_fail": "Assurance: the process limits are all on the failing side of the target, so it will consistently be missed",
    "inconsistent": "Assurance: the target lies between the process limits, so it will be met and missed at random",
    "none": "No assurance icon: no target, no limits or a measure without a direction of improvement",
}


def _latest_direction(chart: XmrChart) -> int:
    """+1 when the latest special-cause point is high (above the mean, or a rising trend)."""
    last = chart.points[-1]
    if last.rule == "trend":
        previous = chart.points[-2].value if len(chart.points) > 1 else last.value
        return 1 if last.value >= previous else -1
    return 1 if last.value > last.mean else -1


def variation_icon(chart: XmrChart) -> str:
    """The Making Data Count variation icon for the latest point (a key of VARIATION_ICONS)."""
    if not chart.points:
        return "no_data"
    signal = chart.latest_signal
    if signal == "common":
        return "common_cause"
    side = "high" if _latest_direction(chart) > 0 else "low"
    return f"{signal}_{side}"


def assurance_icon(chart: XmrChart) -> str:
    """The Making Data Count assurance icon (a key of ASSURANCE_ICONS)."""
    return {"pass": "consistently_pass", "fail": "consistently_fail", "inconsistent": "inconsistent"}.get(
        chart.assurance or "", "none")


def explain(status: str | None, chart: XmrChart) -> str | None:
    """One sentence reconciling this period's status with variation and assurance when they
    seem to disagree (e.g. met this period, yet the limits sit below target), else None.

    ``status`` is the KPI status for the period: "met", "below target", "below trigger" or
    "no data".
    """
    if not chart.points or status in (None, "no data"):
        return None
    met = status == "met"
    variation = variation_icon(chart)
    if met and chart.assurance == "fail":
        return ("Met this period, but the process limits sit on the failing side of the target: "
                "unless the process changes, most periods will miss it (not assured).")
    if not met and chart.assurance == "pass":
        return ("Missed this period, but the process limits sit on the passing side of the target: "
                "an unusual period; check for a special cause.")
    if met and variation.startswith("concern"):
        return ("Met this period, but the recent points show special cause concern: "
                "performance is moving the wrong way.")
    if not met and variation.startswith("improvement"):
        return ("Below target this period, but the recent points show special cause improvement: "
                "performance is moving the right way and may soon meet the target.")
    if met and chart.assurance == "inconsistent":
        return ("Met this period, but the target lies between the process limits: "
                "it will be met in some periods and missed in others (hit and miss).")
    return None
