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
        "numerator": [19, 49, 197, 91, 96], "denominator": [20, 50, 200, 100, 100],
    })


def test_a_run_of_points_breaking_one_rule_is_labelled_once():
    figure = charts.spc_chart.uncached(spc_frame(), 95.0)
    points = {t.name: t for t in figure.data if t.mode == "markers+text"}
    assert list(points["Improvement point"].text) == ["2 of 3 near a limit", ""]
    assert list(points["Concern point"].text) == ["beyond a process limit"]
    assert [row[2] for row in points["Improvement point"].customdata] == ["2 of 3 near a limit"] * 2
    assert "customdata[2]" in points["Improvement point"].hovertemplate
