"""The SPC chart prints each broken rule once per run of points, and names it on every point's hover."""

from __future__ import annotations

import pandas as pd

from ui import charts


def spc_frame() -> pd.DataFrame:
    return pd.DataFrame({
        "month": pd.date_range("2025-01-01", periods=5, freq="MS"),
        "value": [95.0, 98.0, 98.5, 91.0, 96.0],
        "mean": 95.0, "upper": 99.0, "lower": 91.5,
        "signal": ["common", "improvement", "improvement", "concern", "common"],
        "rule": [None, "2 of 3 near a limit", "2 of 3 near a limit", "beyond a process limit", None],
    })


def test_a_run_of_points_breaking_one_rule_is_labelled_once():
    figure = charts.spc_chart.uncached(spc_frame(), 95.0)
    points = {t.name: t for t in figure.data if t.mode == "markers+text"}
    assert list(points["Improvement point"].text) == ["2 of 3 near a limit", ""]
    assert list(points["Concern point"].text) == ["beyond a process limit"]
    assert [row[0] for row in points["Improvement point"].customdata] == ["2 of 3 near a limit"] * 2
    assert "customdata[0]" in points["Improvement point"].hovertemplate


def test_no_point_carries_counts_and_months_left_out_are_marked_gaps():
    """docs/DISCLOSURE.md, SPC charts: the hover shows the rate and the rule, never "n of N"; a
    month left out for small numbers is a marked gap (the value line breaks there)."""
    frame = spc_frame()
    kept = frame.drop(index=2).reset_index(drop=True)
    figure = charts.spc_chart.uncached(kept, 95.0, suppressed=(pd.Timestamp("2025-03-01").date(),))
    for trace in figure.data:
        assert " of " not in (trace.hovertemplate or "").replace("2 of 3", "")
        for row in (trace.customdata if trace.customdata is not None else []):
            assert all(not isinstance(v, (int, float)) for v in row), row
    gap = next(t for t in figure.data if t.name == "Not shown (small numbers)")
    assert [pd.Timestamp(x) for x in gap.x] == [pd.Timestamp("2025-03-01")] and list(gap.y) == [0.0]
    line = next(t for t in figure.data if t.name == "Monthly value")
    assert [pd.Timestamp(x) for x in line.x][2] == pd.Timestamp("2025-03-01") and pd.isna(list(line.y)[2])
