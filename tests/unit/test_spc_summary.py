"""The SPC summary on the KPIs page: one row per measure, built from the charts themselves, and
the chart opened first is the one a board should look at first."""

from __future__ import annotations

import pandas as pd

from metrics import panels
from metrics.panels import ASSURANCE_LABELS, NO_DATA, VARIATION_LABELS, Panel


def chart(values, signals, *, latest_signal, assurance=None) -> Panel:
    data = pd.DataFrame({
        "month": pd.date_range("2025-01-01", periods=len(values), freq="MS"), "value": values,
        "mean": 90.0, "lower": 80.0, "upper": 100.0, "signal": signals,
    })
    return Panel("t", data, "%", (), {"variation": VARIATION_LABELS[latest_signal], "signal": latest_signal,
                                      "assurance": ASSURANCE_LABELS[assurance]})


def empty() -> Panel:
    return Panel("DS4: no data", pd.DataFrame(), "%", (), {"variation": NO_DATA, "assurance": ASSURANCE_LABELS[None]})


def test_one_row_per_measure_with_its_latest_point_and_verdicts():
    charts = {"DS2": chart([91.0, 93.5, 79.0], ["common", "common", "concern"], latest_signal="concern",
                           assurance="inconsistent"),
              "DS3": chart([96.0, 97.25], ["common", "improvement"], latest_signal="improvement", assurance="pass"),
              "DS4": empty()}
    summary = panels.spc_summary(charts)
    rows = summary.data.set_index("code")
    assert list(summary.data["code"]) == ["DS2", "DS3", "DS4"]
    assert rows.loc["DS2", "latest month"] == "Mar 2025" and rows.loc["DS2", "latest %"] == "79.0"
    assert rows.loc["DS2", "process limits %"] == "80.0–100.0"
    assert rows.loc["DS2", "points signalled"] == 1 and rows.loc["DS2", "months charted"] == 3
    assert rows.loc["DS3", "latest %"] == "97.2"  # one decimal, as charted (97.25 rounds half to even)
    assert rows.loc["DS4", "latest %"] == "no data" and rows.loc["DS4", "months charted"] == 0  # never 0 %
    assert summary.title == "Special cause for concern in the latest month: DS2"


def test_title_says_when_nothing_is_a_concern_and_names_what_misses_target():
    charts = {"DS2": chart([91.0, 92.0], ["common", "common"], latest_signal="common", assurance="fail"),
              "DS3": chart([96.0, 97.0], ["common", "common"], latest_signal="common", assurance="pass")}
    title = panels.spc_summary(charts).title
    assert title == ("No measure shows special cause for concern in its latest month (2 charted); "
                     "consistently missing target: DS2")


def test_the_first_chart_shown_is_a_concern_then_a_consistent_miss_then_the_first_with_data():
    concern = chart([1.0, 2.0], ["common", "concern"], latest_signal="concern")
    miss = chart([1.0, 2.0], ["common", "common"], latest_signal="common", assurance="fail")
    plain = chart([1.0, 2.0], ["common", "common"], latest_signal="common")
    assert panels.spc_first_to_show({"DS1": empty(), "DS2": plain, "DS3": miss, "DS5": concern}) == "DS5"
    assert panels.spc_first_to_show({"DS1": empty(), "DS2": plain, "DS3": miss}) == "DS3"
    assert panels.spc_first_to_show({"DS1": empty(), "DS2": plain}) == "DS2"
    assert panels.spc_first_to_show({"DS1": empty()}) == "DS1"
    assert panels.spc_first_to_show({}) is None
    assert panels.spc_summary({}).title == "No measure can be charted for this view"
