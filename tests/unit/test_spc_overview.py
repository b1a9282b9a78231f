"""SPC panels in Making Data Count form, hand-worked: rebasing at a recorded process change,
limits displayed within 0–100, no limits without variation, the rule set and run length named,
the overview rows (icons, words, explanation, small numbers) and extension readiness."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from sqlalchemy import select

from data_access.figure_settings import SPC_RULE_SETS, Rebase
from data_access.models import Referral
from metrics import panels, periods, spc
from metrics.queries import Scorecard
from metrics.results import KpiResult

MONTHS_2025 = [dt.date(2025, m, 1) for m in range(1, 13)]


def series(values, months=MONTHS_2025, denominator=100) -> pd.DataFrame:
    """A monthly series as ``metrics.queries.monthly_series`` gives it (value = 100 × n / d)."""
    numerators = [round(v * denominator / 100) for v in values]
    return pd.DataFrame({"month": list(months), "numerator": numerators, "denominator": [denominator] * len(values),
                         "value": [100.0 * n / denominator for n in numerators]})


def inputs(**options) -> panels.PanelInputs:
    period = periods.quarter(dt.date(2025, 12, 31))
    return panels.PanelInputs(referrals=select(Referral), period=period, as_of=period.end, **options)


def test_the_rule_sets_an_admin_may_choose_are_the_ones_spc_knows():
    assert SPC_RULE_SETS == tuple(spc.RULE_SETS)


def test_rebasing_at_a_recorded_change_gives_each_stretch_its_own_mean_and_limits():
    # Jan–Jun 80, 82, …: mean 81, moving ranges all 2, limits 81 ± 2.66 × 2 = 75.68–86.32.
    # Recorded 15 June: the new stretch starts at the first month on or after it (July):
    # Jul–Dec 90, 92, …: mean 91, limits 85.68–96.32 (target 95 inside: hit and miss).
    values = [80, 82, 80, 82, 80, 82, 90, 92, 90, 92, 90, 92]
    rebases = (Rebase("DS2", dt.date(2025, 6, 15), "Triage moved to the hubs"),
               Rebase("DS3", dt.date(2025, 3, 1), "Another measure's change"))
    chart = panels.spc_charts_from({"DS2": series(values)}, inputs(spc_rebases=rebases))["DS2"]
    data = chart.data
    assert list(data["mean"]) == [81.0] * 6 + [91.0] * 6
    assert list(data["lower"]) == [75.7] * 6 + [85.7] * 6 and list(data["upper"]) == [86.3] * 6 + [96.3] * 6
    assert list(data["segment"]) == [0] * 6 + [1] * 6
    assert chart.extra["rebases"] == ({"month": dt.date(2025, 7, 1), "rebase_on": dt.date(2025, 6, 15),
                                       "reason": "Triage moved to the hubs", "measure": "DS2"},)
    assert "Rebased from July 2025 (DS2, recorded for 15 June 2025): Triage moved to the hubs" in chart.notes
    assert chart.extra["assurance_icon"] == "inconsistent" and chart.extra["variation_icon"] == "common_cause"
    assert chart.extra["provisional"]  # 6 months since the rebase (< 13)

    # Without the rebase one mean (86) over both stretches: the jump reads as a shift instead.
    plain = panels.spc_charts_from({"DS2": series(values)}, inputs())["DS2"]
    assert set(plain.data["mean"]) == {86.0} and plain.extra["rebases"] == ()
    # A rebase for every measure (code None) applies to DS2 too; one outside the window does nothing.
    everyone = panels.spc_charts_from({"DS2": series(values)}, inputs(spc_rebases=(
        Rebase(None, dt.date(2025, 7, 1), "New case system"), Rebase(None, dt.date(2026, 2, 1), "Later")))
    )["DS2"]
    assert list(everyone.data["mean"]) == [81.0] * 6 + [91.0] * 6
    assert [r["measure"] for r in everyone.extra["rebases"]] == ["all"]


def test_percentage_limits_are_displayed_within_0_to_100_and_computed_unchanged():
    # 90, 100, …: mean 95, moving range 10, limits 95 ± 26.6 = 68.4–121.6; shown 68.4–100.
    chart = panels.spc_charts_from({"DS2": series([90, 100] * 6)}, inputs())["DS2"]
    assert set(chart.data["upper"]) == {100.0} and set(chart.data["upper_computed"]) == {121.6}
    assert set(chart.data["lower"]) == {68.4} == set(chart.data["lower_computed"])
    assert ("Process limits shown within 0–100; the computed upper limit 121.6 lies outside the scale a value "
            "can take.") in chart.notes
    assert chart.extra["assurance_icon"] == "inconsistent"  # from the computed limits: 95 lies inside


def test_a_series_without_variation_gets_no_limits_and_says_why():
    flat = {"DS2": series([100.0] * 12)}
    chart = panels.spc_charts_from(flat, inputs())["DS2"]
    assert chart.data["lower"].isna().all() and chart.data["upper"].isna().all()
    assert any(n.startswith("No process limits: the values do not vary") for n in chart.notes)
    assert chart.extra["assurance_icon"] == "none"
    assert panels.spc_summary({"DS2": chart}).data.loc[0, "process limits %"] == "none (no variation)"
    # NHSRplotthedots 0.2.2 keeps its zero-width limits (and so an assurance verdict).
    nhsr = panels.spc_charts_from(flat, inputs(spc_rule_set="nhsr-0.2.2"))["DS2"]
    assert set(nhsr.data["lower"]) == {100.0} == set(nhsr.data["upper"])
    assert nhsr.extra["assurance_icon"] == "consistently_pass"


def test_the_rule_set_and_run_length_are_applied_and_named_under_the_chart():
    # Mean 1011/12 = 84.25; moving ranges 2,2,2,2,2,7,1,1,1,1,1: 7 ≥ 3.267 × 2 is screened out,
    # mean moving range 15/10 = 1.5, limits 84.25 ± 3.99. The last six points rise (80 … 85):
    # a trend with runs of 6 (improvement, higher), nothing with runs of 7.
    values = [85, 87, 85, 87, 85, 87, 80, 81, 82, 83, 84, 85]
    seven = panels.spc_charts_from({"DS2": series(values)}, inputs())["DS2"]
    six = panels.spc_charts_from({"DS2": series(values)}, inputs(spc_run_length=6))["DS2"]
    assert seven.extra["variation_icon"] == "common_cause" and six.extra["variation_icon"] == "improvement_high"
    assert list(six.data["rule"])[-1] == "6 rising or falling"
    assert seven.data.loc[6, "rule"] == six.data.loc[6, "rule"] == "beyond a process limit"  # 80 < 80.26
    assert "shifts and trends of 7 points in a row" in " ".join(seven.notes)
    assert "shifts and trends of 6 points in a row" in " ".join(six.notes)
    assert spc.RULE_SETS["mdc-2023"] in " ".join(seven.notes)
    nhsr = panels.spc_charts_from({"DS2": series(values)}, inputs(spc_rule_set="nhsr-0.2.2"))["DS2"]
    assert spc.RULE_SETS["nhsr-0.2.2"] in " ".join(nhsr.notes) and nhsr.extra["rule_set"] == "nhsr-0.2.2"


def result(code, numerator, denominator, target, status) -> KpiResult:
    value = None if denominator == 0 else 100.0 * numerator / denominator
    return KpiResult(code, f"{code} title", numerator, denominator, value, target, None, status, "definition")


def test_overview_rows_name_the_icons_say_them_in_words_and_explain_disagreements():
    charts = panels.spc_charts_from({
        "DS2": series([90, 100] * 6),  # limits 68.4–121.6 around target 95: hit and miss
        # On 1,000 cases a month: 96 of 100 would leave 4 not met, a month the chart leaves out.
        "DS3": series([96, 98] * 6, denominator=1000),  # mean 97, limits 91.68–102.32: target 90 below them
        "DS4": series([95, 97] * 6, denominator=1000),
    }, inputs())
    card = Scorecard(dt.date(2025, 10, 1), dt.date(2025, 12, 31), dt.date(2025, 12, 31), (
        result("DS1", 30, 100.0, 95.0, "below target"),
        result("DS2", 960, 1000, 95.0, "met"),  # 40 not met: nothing small to protect
        result("DS3", 80, 100, 90.0, "below target"),
        result("DS4", 7, 8, 95.0, "below target"),  # 8 cases: a rate on fewer than 10 is not shown
    ))
    overview = panels.spc_overview(card, charts)
    rows = overview.data.set_index("code")
    assert list(overview.data["code"]) == ["DS1", "DS2", "DS3", "DS4"]

    assert rows.loc["DS1", "variation"] == panels.NOT_CHARTED and rows.loc["DS1", "variation_icon"] == "no_data"
    assert rows.loc["DS1", "latest %"] == "no data" and rows.loc["DS1", "explanation"] == ""

    ds2 = rows.loc["DS2"]
    assert (ds2["value"], ds2["target"], ds2["status"]) == ("96.0%", "95%", "✔ met")
    assert (ds2["latest month"], ds2["latest %"], ds2["mean %"]) == ("Dec 2025", "100.0", "95.0")
    assert ds2["process limits %"] == "68.4–100.0"
    assert (ds2["variation_icon"], ds2["assurance_icon"]) == ("common_cause", "inconsistent")
    assert ds2["variation"] == spc.VARIATION_ICONS["common_cause"]
    assert ds2["assurance"] == spc.ASSURANCE_ICONS["inconsistent"]
    assert ds2["explanation"].startswith("Met this period, but the target lies between the process limits")

    ds3 = rows.loc["DS3"]
    assert ds3["process limits %"] == "91.7–100.0" and ds3["assurance_icon"] == "consistently_pass"
    assert ds3["explanation"].startswith("Missed this period, but the process limits sit on the passing side")

    ds4 = rows.loc["DS4"]
    assert ds4["value"] == panels.WITHHELD_RATE and ds4["latest %"] == panels.WITHHELD_RATE
    assert ds4["variation"] == ds4["assurance"] == panels.SMALL_NUMBERS and ds4["explanation"] == ""
    assert ds4["variation_icon"] == "no_data" and ds4["assurance_icon"] == "none"

    assert overview.title == ("4 measures: no special cause concern; none consistently failing target; "
                              "status and SPC seem to disagree for DS2, DS3 (explained)")
    assert "shifts and trends of 7 points" in overview.notes[1]


def test_extension_readiness_by_contract_year_hand_worked():
    # 2023/24 (from 4 Sep 2023): Sep–Mar, 95 of 100 each month = 95%, target 95: met, 7 of 7 months
    # (19 of 20 would leave 1 not met, a count of 1 that the month's published denominator gives
    # back: withheld, issue 14).
    # 2024/25: six months 20/20 and six 10/20: 180/240 = 75.0%, 6 of 12 months, −20.0 points.
    # 2025/26 to 31 May: April 4 of 5 (fewer than 10 cases: not shown), May none.
    months = [dt.date(2023, m, 1) for m in range(9, 13)] + [dt.date(2024, m, 1) for m in range(1, 13)] \
        + [dt.date(2025, m, 1) for m in range(1, 6)]
    numerators = [95] * 7 + [20, 10] * 6 + [4, 0]
    denominators = [100] * 7 + [20] * 12 + [5, 0]
    frame = pd.DataFrame({"month": months, "numerator": numerators, "denominator": denominators})
    frame["value"] = 100.0 * frame["numerator"] / frame["denominator"].where(frame["denominator"] > 0)
    charts = panels.spc_charts_from({"DS2": frame.iloc[-21:].reset_index(drop=True)}, inputs())
    panel = panels.readiness_from({"DS2": frame}, charts, dt.date(2025, 5, 31))
    rows = panel.data
    assert list(rows["contract year"]) == ["2023/24", "2024/25", "2025/26 to date"]
    # 2024/25 against 2023/24: 180/240 = 75.0% against 665/700 = 95.0%.
    assert list(rows["value"]) == ["95.0%", "75.0%", panels.WITHHELD_RATE]
    assert list(rows["against target"]) == ["met", "below target", "no data"]
    assert list(rows["months met"]) == ["7 of 7 months", "6 of 12 months", "no data"]
    assert list(rows["on the year before"]) == ["", "-20.0 points", ""]
    assert list(rows["assurance"])[:2] == ["", ""] and rows["assurance"].iloc[2] == charts["DS2"].extra["assurance"]
    assert panel.title.startswith("Extension readiness (2025/26 to date)")


@pytest.mark.parametrize("length", [6, 7])
def test_figures_carry_the_spc_settings(length):
    assert panels.figures(None, inputs(spc_run_length=length)).spc_run_length == length


def test_extension_readiness_before_the_service_began_is_an_empty_panel_not_a_traceback():
    early = inputs().with_period(periods.quarter(dt.date(2023, 6, 1)))
    panel = panels.extension_readiness(None, early)  # answers before touching the database
    assert panel.data.empty and panel.title == "No contract year before the service began (04 September 2023)"


def test_extension_readiness_withholds_a_rate_whose_complement_is_one_to_four():
    """Issue 14: 19 of 20 in a month beside that month's published denominator gives the 1 who
    was not met; the year (133 of 140: 7 not met) may be shown."""
    months = [dt.date(2023, m, 1) for m in range(9, 13)] + [dt.date(2024, m, 1) for m in range(1, 4)]
    frame = pd.DataFrame({"month": months, "numerator": [19] * 7, "denominator": [20] * 7})
    frame["value"] = 100.0 * frame["numerator"] / frame["denominator"]
    charts = panels.spc_charts_from({"DS2": frame}, inputs())
    rows = panels.readiness_from({"DS2": frame}, charts, dt.date(2024, 3, 31)).data
    assert list(rows["value"]) == ["95.0%"]
    assert list(rows["months met"]) == ["no data"]  # every month's rate withheld
