"""Suppression across views (docs/DISCLOSURE.md "Across views" and "SPC charts"), hand-worked.

The grids of :mod:`metrics.partitions` (members × months, quarters and the year, with their
total) and the SPC rule of :mod:`metrics.panels` (which months may be points)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from metrics import panels, periods
from metrics.disclosure import recoverable_from
from metrics.partitions import column_of, columns_of, equations_for, grid_hidden

JAN, FEB, MAR = dt.date(2025, 1, 1), dt.date(2025, 2, 1), dt.date(2025, 3, 1)
#: Three months of one quarter, the quarter and the year (the year is that quarter alone here).
COLUMNS = [("month", JAN), ("month", FEB), ("month", MAR), ("quarter", JAN), ("year", JAN)]


def row(jan, feb, mar):
    return [jan, feb, mar, jan + feb + mar, jan + feb + mar]


def test_a_month_of_three_is_hidden_with_the_next_smallest_month_of_its_quarter():
    # 10, 3, 12 met of 20 a month: the quarter's 25 less 10 and 12 gives the 3 back, so the
    # smallest other month (10) goes too; the quarter and the year stay.
    num, den = grid_hidden(np.array([row(10, 3, 12)]), np.array([row(20, 20, 20)]), COLUMNS, threshold=5,
                           with_total=False)
    assert num.tolist() == [[True, True, False, False, False]]
    assert not den.any()


def test_a_borough_hidden_alone_is_hidden_with_another_borough_and_along_its_own_row():
    # Boroughs A, B, C and Greater Manchester, cases in January only (20 each). A met 2: hidden in
    # January, its quarter and its year (all 2). Greater Manchester's 18 less B's 7 and C's 9 gives
    # A back, so B (the smaller) is hidden too, in January and in its quarter and year (which equal
    # its January). C and Greater Manchester stay shown.
    n = np.array([row(2, 0, 0), row(7, 0, 0), row(9, 0, 0), row(18, 0, 0)])
    d = np.array([row(20, 0, 0)] * 3 + [row(60, 0, 0)])
    num, den = grid_hidden(n, d, COLUMNS, threshold=5, with_total=True)
    assert num.astype(int).tolist() == [[1, 0, 0, 1, 1], [1, 0, 0, 1, 1], [0] * 5, [0] * 5]
    assert not den.any()
    # And nothing hidden follows from what is shown.
    assert not recoverable_from(equations_for(4, COLUMNS, with_total=True), num.ravel()).any()


def test_a_complement_of_two_hides_the_count_met_and_a_small_denominator_hides_its_zero_met():
    # A met 18 of 20: 2 not met, so A's 18 is hidden (and B's 7 with it).
    n = np.array([row(18, 0, 0), row(7, 0, 0), row(9, 0, 0), row(34, 0, 0)])
    d = np.array([row(20, 0, 0)] * 3 + [row(60, 0, 0)])
    num, _ = grid_hidden(n, d, COLUMNS, threshold=5, with_total=True)
    assert num.astype(int).tolist() == [[1, 0, 0, 1, 1], [1, 0, 0, 1, 1], [0] * 5, [0] * 5]
    # A has 3 cases, none met: its 3 cases are hidden, and its 0 met too (3 not met), B's with it.
    n = np.array([row(0, 0, 0), row(7, 0, 0), row(9, 0, 0), row(16, 0, 0)])
    d = np.array([row(3, 0, 0), row(20, 0, 0), row(20, 0, 0), row(43, 0, 0)])
    num, den = grid_hidden(n, d, COLUMNS, threshold=5, with_total=True)
    assert den.astype(int).tolist() == [[1, 0, 0, 1, 1], [1, 0, 0, 1, 1], [0] * 5, [0] * 5]
    assert num.astype(int).tolist() == [[1, 0, 0, 1, 1], [1, 0, 0, 1, 1], [0] * 5, [0] * 5]


def test_nothing_small_nothing_hidden():
    n = np.array([row(10, 12, 14), row(20, 0, 30), row(30, 12, 44)])
    d = np.array([row(20, 20, 20), row(40, 0, 40), row(60, 20, 60)])
    num, den = grid_hidden(n, d, COLUMNS, threshold=5, with_total=True)
    assert not num.any() and not den.any()


def test_grid_columns_and_which_column_a_period_is():
    year = periods.contract_year(dt.date(2024, 6, 1), panels.SERVICE_START)
    columns = columns_of(year)
    assert len(columns) == 12 + 4 + 1 and columns[0] == ("month", dt.date(2024, 4, 1))
    assert column_of(periods.month(dt.date(2024, 5, 9))) == ("month", dt.date(2024, 5, 1))
    assert column_of(periods.quarter(dt.date(2024, 5, 9))) == ("quarter", dt.date(2024, 4, 1))
    assert column_of(year) == ("year", dt.date(2024, 4, 1))
    assert column_of(periods.custom(dt.date(2024, 5, 1), dt.date(2024, 5, 31))) == ("month", dt.date(2024, 5, 1))
    # A part month cannot be made at all (periods.custom refuses it); two whole months are no column
    # (protected month by month: metrics.panels.mark_hidden_across_views).
    assert column_of(periods.custom(dt.date(2024, 5, 1), dt.date(2024, 6, 30))) is None
    first = periods.contract_year(dt.date(2023, 10, 1), panels.SERVICE_START)  # from 4 September 2023
    assert columns_of(first)[0] == ("month", dt.date(2023, 9, 1)) and column_of(first) == ("year", first.start)


@pytest.mark.parametrize("numerator, denominator, shown", [
    (50, 100, True), (0, 12, True), (12, 12, True),  # 0 met or 0 not met may be shown
    (4, 100, False), (96, 100, False),  # 4 met; 4 not met (the month's cases are on its scorecard)
    (5, 9, False),  # fewer than 10 cases: no rate
    (5, 10, True),
])
def test_which_months_may_be_spc_points(numerator, denominator, shown):
    assert panels.spc_month_shown(numerator, denominator, 5, 10) is shown


def inputs(**overrides) -> panels.PanelInputs:
    return panels.PanelInputs(referrals=None, period=periods.quarter(dt.date(2025, 6, 1)), as_of=dt.date(2025, 6, 30),
                              **overrides)


def test_spc_chart_leaves_out_a_small_month_and_computes_its_limits_from_the_shown_months_only():
    # 50, 60, [3 of 30], 70, 80, 90 per 100: the 3 met is a gap. Shown: 50, 60, 70, 80, 90 →
    # mean 70.0; moving ranges 10, 10, 10, 10 → limits 70 ± 2.66 × 10 = 43.4 and 96.6. (With the
    # hidden month the mean would be (350 + 10) / 6 = 60.0, and the mean less the shown points
    # would give its 10% back.)
    months = [dt.date(2025, m, 1) for m in range(1, 7)]
    frame = pd.DataFrame({"month": months, "numerator": [50, 60, 3, 70, 80, 90],
                          "denominator": [100, 100, 30, 100, 100, 100]})
    frame["value"] = 100.0 * frame["numerator"] / frame["denominator"]
    chart = panels.spc_charts_from({"DS2": frame}, inputs())["DS2"]
    assert "numerator" not in chart.data and "denominator" not in chart.data
    assert [m for m in chart.data["month"]] == [months[i] for i in (0, 1, 3, 4, 5)]
    assert chart.extra["suppressed_months"] == (dt.date(2025, 3, 1),)
    assert set(chart.data["mean"]) == {70.0}
    assert set(chart.data["lower_computed"]) == {43.4} and set(chart.data["upper_computed"]) == {96.6}
    assert any(n.startswith("Months not charted (small numbers): Mar 2025.") for n in chart.notes)


def test_spc_chart_leaves_out_a_month_hidden_on_its_own_scorecard_and_withholds_a_chart_with_too_few():
    months = [dt.date(2025, m, 1) for m in range(1, 4)]
    frame = pd.DataFrame({"month": months, "numerator": [50, 60, 70], "denominator": [100] * 3})
    frame["value"] = 100.0 * frame["numerator"] / frame["denominator"]
    chart = panels.spc_charts_from({"DS2": frame}, inputs(), hidden={"DS2": {dt.date(2025, 2, 1)}})["DS2"]
    assert list(chart.data["month"]) == [months[0], months[2]] and set(chart.data["mean"]) == {60.0}
    small = frame.assign(numerator=[2, 3, 60])
    small["value"] = 100.0 * small["numerator"] / small["denominator"]
    withheld = panels.spc_charts_from({"DS2": small}, inputs())["DS2"]
    assert withheld.data.empty and "too few to chart" in withheld.title
    assert withheld.extra["suppressed_months"] == (months[0], months[1])


def test_a_custom_period_of_whole_months_is_hidden_where_any_of_its_months_is(monkeypatch):
    """docs/DISCLOSURE.md "Custom periods". One row: January 10 met, February 3, March 12 (of 20
    each). The grid hides January and February (3, and the smallest other month of its quarter).
    A custom period is hidden where any of its months is: January–February (13) and
    February–March (15) both. Shown, 15 less March's 12 would give February's 3 back."""
    n, d = np.array([row(10, 3, 12)]), np.array([row(20, 20, 20)])
    num, den = grid_hidden(n, d, COLUMNS, threshold=5, with_total=False)
    column = {key: k for k, key in enumerate(COLUMNS)}

    def fake_hidden_for_period(db, partitions_, period, as_of, threshold):
        k = column[("month", period.start)] if period.kind == "month" else None
        return {} if k is None else {"DS2": (bool(num[0, k]), bool(den[0, k]))}

    monkeypatch.setattr(panels, "hidden_for_period", fake_hidden_for_period)
    jan_feb = periods.custom(JAN, dt.date(2025, 2, 28))
    feb_mar = periods.custom(FEB, dt.date(2025, 3, 31))
    assert panels.hidden_across_views(None, ("grid",), jan_feb, None, 5) == {"DS2": (True, False)}
    assert panels.hidden_across_views(None, ("grid",), feb_mar, None, 5) == {"DS2": (True, False)}
    # The equations with both custom periods added (values 0..4 the grid's row, 5 Jan–Feb, 6 Feb–Mar):
    equations = equations_for(1, COLUMNS, with_total=False) + [{0: 1.0, 1: 1.0, 5: -1.0}, {1: 1.0, 2: 1.0, 6: -1.0}]
    hidden = np.append(num[0], [True, True])
    assert not recoverable_from(equations, hidden)[:3].any()  # no month comes back
    # Protected on its own (15 is not small), Feb–Mar shown beside March's 12 would give February's 3.
    shown_feb_mar = np.append(num[0], [True, False])
    assert recoverable_from(equations, shown_feb_mar)[1]
