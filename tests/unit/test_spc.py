"""SPC XmR chart: each rule separately (vectors from NHSRplotthedots' own tests), whole charts
worked by hand, and properties."""

import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metrics.spc import (
    assurance,
    classify,
    close_to_limits,
    mean_moving_range,
    outside_limits,
    part_of_run,
    run_ends,
    trend_ends,
    two_of_three,
    xmr,
)


# -- shift: NHSRplotthedots tests/testthat/test-ptd_calculate_point_type.R ---------------------


@pytest.mark.parametrize(
    ("sides", "expected"),
    [
        ([], []),
        ([1] * 6, [0] * 6),
        ([1] * 6 + [-1], [0] * 7),
        ([1] * 8 + [-1], [0, 0, 0, 0, 0, 0, 1, 1, 0]),
        ([-1] * 8 + [1], [0, 0, 0, 0, 0, 0, -1, -1, 0]),
        ([-1] + [1] * 8 + [-1], [0, 0, 0, 0, 0, 0, 0, 1, 1, 0]),
        ([1, 1, 1, 0, 1, 1, 1, 1], [0] * 8),  # a point on the mean breaks the run
    ],
)
def test_run_ends(sides, expected):
    assert list(run_ends(np.array(sides, dtype=int))) == expected


def test_part_of_run_marks_the_seven():
    ends = run_ends(np.array([1] * 8 + [-1]))
    assert list(part_of_run(ends)) == [True] * 8 + [False]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([], []),
        (list(range(1, 7)), [0] * 6),
        ([1, 2, 3, 3, 4, 5, 6], [0] * 7),  # a tie breaks the trend
        (list(range(1, 8)), [0] * 6 + [1]),
        ([2, 1, 2, 3, 4, 5, 6, 7, 3], [0, 0, 0, 0, 0, 0, 0, 1, 0]),
        (list(range(7, 0, -1)), [0] * 6 + [-1]),
        ([2, 7, 6, 5, 4, 3, 2, 1, 3], [0, 0, 0, 0, 0, 0, 0, -1, 0]),
    ],
)
def test_trend_ends(values, expected):
    assert list(trend_ends(np.array(values, dtype=float))) == expected


def test_trend_length_6_option():
    assert list(trend_ends(np.arange(6.0), length=6)) == [0] * 5 + [1]


@pytest.mark.parametrize(
    ("close", "expected"),
    [
        ([], []),
        ([0, 0, 0], [0, 0, 0]),
        ([1, 0, 1], [1, 0, 1]),
        ([0, 1, 1], [0, 1, 1]),
        ([1, 1, 0], [1, 1, 0]),
        ([0, 0, 1, 0, 1, 0, 0], [0, 0, 1, 0, 1, 0, 0]),
        ([0, 0, 1, 1, 0, 0, 0], [0, 0, 1, 1, 0, 0, 0]),
        ([1, 0, 0, 1], [0, 0, 0, 0]),
        ([1, 0, 0, 1, 1], [0, 0, 0, 1, 1]),
    ],
)
def test_two_of_three_same_side(close, expected):
    c = np.array(close, dtype=bool)
    assert list(two_of_three(c, np.ones(len(c), dtype=int)).astype(int)) == expected


def test_two_of_three_opposite_sides_do_not_combine():
    # NHSRplotthedots issue #143: points on opposite sides must not trigger the rule.
    assert not two_of_three(np.array([1, 1, 0], bool), np.array([1, -1, 1])).any()


def test_mean_moving_range_screens_outliers():
    y = np.array([10, 11, 10, 11, 10, 11, 10, 11, 10, 100], dtype=float)
    # ranges: eight 1s and one 90 → mean 98/9 = 10.89; 3.267 × 10.89 = 35.6 < 90 → screened;
    # the remaining eight 1s have mean 1.
    assert mean_moving_range(y) == pytest.approx(1.0)
    assert mean_moving_range(y, screen_outliers=False) == pytest.approx(98 / 9)
    assert mean_moving_range(np.array([5.0])) is None


def test_outside_and_close():
    y = np.array([0.0, 2.0, 2.5, 3.0, -2.0])
    out = outside_limits(y, -2.66, 2.66)
    assert list(out) == [0, 0, 0, 1, 0]
    # two-sigma line at 2/3 × 2.66 = 1.7733 from a mean of 0 with mean MR 1.
    assert list(close_to_limits(y, 0.0, 1.0, out)) == [False, True, True, False, True]


@pytest.mark.parametrize(
    ("target", "improvement", "expected"),
    [
        (120, "increase", "fail"),
        (120, "decrease", "pass"),
        (80, "increase", "pass"),
        (80, "decrease", "fail"),
        (100, "increase", "inconsistent"),
        (110, "increase", "inconsistent"),  # on the limit is not beyond it
        (None, "increase", None),
        (120, "neutral", None),
    ],
)
def test_assurance(target, improvement, expected):
    assert assurance(target, 90.0, 110.0, improvement) == expected


def test_classify():
    assert classify(1, "increase") == "improvement"
    assert classify(-1, "increase") == "concern"
    assert classify(1, "decrease") == "concern"
    assert classify(-1, "neutral") == "neutral"
    assert classify(0, "increase") == "common"


# -- whole charts, worked by hand ----------------------------------------------------------


def test_chart_limits_and_outside():
    y = [10, 11, 10, 11, 10, 11, 10, 11, 10, 100]
    chart = xmr(y, improvement="increase", target=15)
    # mean = (5×10 + 4×11 + 100) / 10 = 19.4; screened mean MR = 1 → limits 19.4 ± 2.66.
    assert chart.mean == pytest.approx(19.4)
    assert (chart.lower, chart.upper) == (pytest.approx(16.74), pytest.approx(22.06))
    # Every point is beyond a limit: the nine low ones concern, 100 improvement.
    assert [p.rule for p in chart.points] == ["outside_limits"] * 10
    assert [p.signal for p in chart.points] == ["concern"] * 9 + ["improvement"]
    # 15 < lower limit 16.74 and higher is better → consistently passes.
    assert chart.assurance == "pass"
    assert chart.provisional  # 10 points < 13


def test_chart_shift_and_trend_precedence():
    # 8 points of 1 below, then 8 points above, alternating so no trend: a shift each side.
    y = [1, 2, 1, 2, 1, 2, 1, 2, 5, 6, 5, 6, 5, 6, 5, 6]
    chart = xmr(y, improvement="decrease")
    # mean 3.5; mean MR: ranges 1 (7×), 3 (1×), 1 (7×) = 17/15 = 1.133; limits 3.5 ± 3.01
    # (0.49, 6.51): nothing outside. two sigma = 3.5 ± 2.01 → 1s (< 1.49) and 6s (> 5.51) close,
    # all on one side in threes → two-of-three outranks shift for those points (NHSR order).
    rules = [p.rule for p in chart.points]
    assert set(rules) <= {"two_of_three", "shift"}
    assert all(r is not None for r in rules)
    assert [p.signal for p in chart.points[:8]] == ["improvement"] * 8  # lower is better
    assert [p.signal for p in chart.points[8:]] == ["concern"] * 8
    mdc = xmr(y, improvement="decrease", precedence="mdc")
    assert [p.rule for p in mdc.points] == ["shift"] * 16
    assert not chart.provisional


def test_trend_crossing_the_mean_keeps_its_direction():
    # NHSRplotthedots issue #171: a rising trend across the mean is one colour.
    y = [5, 5, 5, 5, 1, 2, 3, 4, 5, 6, 7, 5, 5, 5]
    chart = xmr(y, improvement="increase", screen_outliers=False)
    # mean = (8×5 + 1+2+3+4+6+7) / 14 = 63/14 = 4.5; mean MR = (4 + 6×1 + 2) / 13 = 12/13;
    # limits 4.5 ± 2.455 = (2.045, 6.955). Points 1 and 2 are below the lower limit and 7
    # above the upper: "outside limits" outranks "trend" for them. The trend points left,
    # 3 and 4 (below the mean) and 5 and 6 (above), all signal the rise: improvement.
    trend = [p for p in chart.points if p.rule == "trend"]
    assert [p.index for p in trend] == [6, 7, 8, 9]
    assert {p.signal for p in trend} == {"improvement"}
    assert [p.rule for p in chart.points[4:6]] == ["outside_limits"] * 2


def test_rebase_at_index_and_date():
    y = [10.0] * 5 + [20.0] * 5
    dates = [dt.date(2024, m, 1) for m in range(1, 11)]
    for rebase in ([5], [dt.date(2024, 6, 1)], [dt.date(2024, 5, 15)]):
        chart = xmr(y, improvement="increase", x=dates, rebase_at=rebase)
        assert [s.mean for s in chart.segments] == [10.0, 20.0]
        assert chart.mean == 20.0 and chart.points[0].mean == 10.0
        assert all(p.signal == "common" for p in chart.points)
    with pytest.raises(ValueError):
        xmr(y, improvement="increase", rebase_at=[dt.date(2024, 6, 1)])


def test_fix_after_n_points():
    chart = xmr([1, 2, 1, 2, 9, 9], improvement="increase", fix_after_n_points=4)
    # mean 1.5, mean MR 1 from the first four → limits 1.5 ± 2.66 = (−1.16, 4.16); 9s outside.
    assert chart.mean == 1.5 and chart.upper == pytest.approx(4.16)
    assert [p.rule for p in chart.points][-2:] == ["outside_limits"] * 2


def test_bad_input():
    with pytest.raises(ValueError):
        xmr([1, float("nan")], improvement="increase")
    with pytest.raises(ValueError):
        xmr([1, 2], improvement="up")
    assert xmr([], improvement="increase").points == ()
    single = xmr([4.0], improvement="increase", target=5)
    assert single.lower is None and single.assurance is None and single.provisional


# -- properties ------------------------------------------------------------------------------

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)


@given(value=finite, n=st.integers(min_value=1, max_value=60))
def test_constant_series_has_no_signals(value, n):
    chart = xmr([value] * n, improvement="increase")
    assert all(p.signal == "common" and p.rule is None for p in chart.points)


@settings(max_examples=200)
@given(values=st.lists(finite, min_size=2, max_size=40))
def test_mirror_symmetry(values):
    # Negating the series and flipping the polarity gives the same rules and signals.
    up = xmr(values, improvement="increase")
    down = xmr([-v for v in values], improvement="decrease")
    assert [p.rule for p in up.points] == [p.rule for p in down.points]
    assert [p.signal for p in up.points] == [p.signal for p in down.points]


@given(values=st.lists(finite, min_size=1, max_size=40))
def test_neutral_polarity_never_improvement_or_concern(values):
    chart = xmr(values, improvement="neutral")
    assert {p.signal for p in chart.points} <= {"common", "neutral"}
    assert all((p.rule is None) == (p.signal == "common") for p in chart.points)


@given(values=st.lists(finite, min_size=2, max_size=40))
def test_limits_straddle_mean(values):
    chart = xmr(values, improvement="increase", rule_set="nhsr-0.2.2")
    assert chart.lower <= chart.mean <= chart.upper
    mdc = xmr(values, improvement="increase")
    if mdc.lower is None:  # MDC 2023 rules: only a series without variation has no limits, and says why
        assert mean_moving_range(values) == 0 and mdc.limits_note
    else:
        assert mdc.lower <= mdc.mean <= mdc.upper


# -- rule sets (DOMAIN.md Decision 11) -----------------------------------------------------
# Baseline fixed on 14 alternating points: mean 11, mean moving range 2, so the process limits
# are 11 ± 5.32 (5.68, 16.32) and the two-sigma lines 11 ± 3.547 (7.453, 14.547). 14.9 lies
# between two and three sigma, 17 beyond three sigma, both above the mean with 12 before them.
ALTERNATING = [10, 12] * 7


def test_mdc_2023_counts_a_point_beyond_three_sigma_towards_two_of_three():
    values = ALTERNATING + [14.9, 17, 11]
    chart = xmr(values, improvement="increase", fix_after_n_points=14)
    assert (chart.lower, chart.upper) == pytest.approx((5.68, 16.32))
    assert [(p.index, p.rule, p.signal) for p in chart.points if p.rule] == [
        (14, "two_of_three", "improvement"), (15, "outside_limits", "improvement")]
    assert chart.rule_set == "mdc-2023" and chart.run_length == 7


def test_nhsr_0_2_2_counts_only_points_between_two_and_three_sigma():
    values = ALTERNATING + [14.9, 17, 11]
    chart = xmr(values, improvement="increase", fix_after_n_points=14, rule_set="nhsr-0.2.2")
    assert [(p.index, p.rule) for p in chart.points if p.rule] == [(15, "outside_limits")]


def test_rule_sets_agree_when_no_point_is_beyond_three_sigma():
    values = ALTERNATING + [14.9, 15.0, 11, 10, 12]
    mdc = xmr(values, improvement="increase", fix_after_n_points=14)
    nhsr = xmr(values, improvement="increase", fix_after_n_points=14, rule_set="nhsr-0.2.2")
    assert [p.rule for p in mdc.points] == [p.rule for p in nhsr.points]
    assert [p.rule for p in mdc.points][14:16] == ["two_of_three", "two_of_three"]


def test_unknown_rule_set_is_refused():
    with pytest.raises(ValueError, match="rule_set"):
        xmr([1, 2, 3], improvement="increase", rule_set="mdc-2019")


def test_flat_series_has_no_limits_under_mdc_2023_and_zero_width_under_nhsr():
    mdc = xmr([100.0] * 12, improvement="increase", target=90)
    assert mdc.lower is None and mdc.upper is None and mdc.assurance is None
    assert "no variation to set limits from" in mdc.limits_note
    nhsr = xmr([100.0] * 12, improvement="increase", target=90, rule_set="nhsr-0.2.2")
    assert nhsr.lower == nhsr.upper == 100.0 and nhsr.assurance == "pass" and nhsr.limits_note is None


def test_percentage_limits_are_displayed_within_0_to_100_with_a_note():
    from metrics.spc import displayed_limits

    assert displayed_limits(93.3, 100.2) == (93.3, 100.0, pytest.approx(
        "Process limits shown within 0–100; the computed upper limit 100.2 lies outside the scale a value can take."))
    lower, upper, note = displayed_limits(-3.5, 104.1)
    assert (lower, upper) == (0.0, 100.0) and "lower limit -3.5 and upper limit 104.1" in note
    assert displayed_limits(71.8, 99.0) == (71.8, 99.0, None)
    assert displayed_limits(None, None) == (None, None, None)


@pytest.mark.parametrize(
    "values, improvement, target, variation, assurance",
    [
        (ALTERNATING, "increase", 5, "common_cause", "consistently_pass"),
        (ALTERNATING, "increase", 20, "common_cause", "consistently_fail"),
        (ALTERNATING, "increase", 11, "common_cause", "inconsistent"),
        (ALTERNATING + [20], "increase", 11, "improvement_high", "inconsistent"),
        (ALTERNATING + [2], "increase", 11, "concern_low", "inconsistent"),
        (ALTERNATING + [2], "decrease", 11, "improvement_low", "inconsistent"),
        (ALTERNATING + [20], "neutral", None, "neutral_high", "none"),
        ([], "increase", 90, "no_data", "none"),
    ],
)
def test_variation_and_assurance_icons(values, improvement, target, variation, assurance):
    from metrics.spc import ASSURANCE_ICONS, VARIATION_ICONS, assurance_icon, variation_icon

    chart = xmr(values, improvement=improvement, target=target, fix_after_n_points=14)
    assert variation_icon(chart) == variation and variation in VARIATION_ICONS
    assert assurance_icon(chart) == assurance and assurance in ASSURANCE_ICONS


def test_a_rising_trend_is_a_high_icon_even_below_the_mean():
    from metrics.spc import variation_icon

    chart = xmr([60, 55, 50, 30, 31, 32, 33, 34, 35, 36], improvement="increase", rule_set="nhsr-0.2.2")
    assert chart.points[-1].rule == "trend" and chart.points[-1].value < chart.mean
    assert variation_icon(chart) == "improvement_high"


def test_explain_reconciles_status_with_variation_and_assurance():
    from metrics.spc import explain

    failing = xmr(ALTERNATING, improvement="increase", target=20, fix_after_n_points=14)
    assert explain("met", failing).startswith("Met this period, but the process limits sit on the failing side")
    passing = xmr(ALTERNATING, improvement="increase", target=5, fix_after_n_points=14)
    assert explain("below target", passing).startswith("Missed this period")
    assert explain("met", passing) is None
    assert explain("no data", failing) is None
    improving = xmr(ALTERNATING + [20], improvement="increase", target=25, fix_after_n_points=14)
    assert "moving the right way" in explain("below target", improving)
