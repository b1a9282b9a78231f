"""Unit tables for metrics.findings: which finding each change produces, in what order."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from metrics.findings import (
    Finding,
    band_findings,
    evidence_link,
    grouped,
    order_findings,
    period_query,
    two_proportion_p_value,
    what_changed,
)
from metrics.queries import Scorecard
from metrics.results import KpiResult, status_against_target

Q3 = (dt.date(2025, 10, 1), dt.date(2025, 12, 31))
Q2 = (dt.date(2025, 7, 1), dt.date(2025, 9, 30))


def kpi(code: str, numerator: float, denominator: float, target: float = 90.0, trigger: float | None = None) -> KpiResult:
    value = 100.0 * numerator / denominator if denominator else None
    return KpiResult(
        code=code, title=f"Title of {code}", numerator=numerator, denominator=denominator, value=value,
        target=target, trigger=trigger, status=status_against_target(value, target, trigger), definition="",
    )


def card(period, *results: KpiResult) -> Scorecard:
    return Scorecard(period[0], period[1], period[1], tuple(results))


@pytest.mark.parametrize(
    ("now", "before", "expected"),
    [
        # now meets target, was below: success
        ((95, 100), (80, 100), [("success", "now meets its 90.0% target")]),
        # met both and improved ≥ 2 points: success
        ((194, 200), (184, 200), [("success", "met its 90.0% target again and improved")]),
        # met both, flat: nothing to say
        ((92, 100), (92, 100), []),
        # fell below target: gap
        ((85, 100), (95, 100), [("gap", "fell below its 90.0% target")]),
        # below both, not improving: gap
        ((70, 100), (71, 100), [("gap", "remains below its 90.0% target")]),
        # below but improving: opportunity only
        ((85, 100), (70, 100), [("opportunity", "improving towards its 90.0% target")]),
        # below, flat but within 2 points: gap and opportunity
        ((89, 100), (89, 100), [("gap", "remains below"), ("opportunity", "within 1.0 percentage point of")]),
    ],
)
def test_kpi_change_produces_the_expected_findings(now, before, expected):
    findings = what_changed(card(Q3, kpi("DS3", *now)), card(Q2, kpi("DS3", *before)))
    assert [(f.kind, part) for f, (_, part) in zip(findings, expected)] == [(k, p) for k, p in expected]
    assert len(findings) == len(expected)
    for finding, (_, part) in zip(findings, expected):
        assert part in finding.text
        assert finding.topic == "DS3"
        assert finding.evidence == "kpis?period=quarter&at=2025-10-01"


def test_below_trigger_is_the_weightiest_gap_and_says_so():
    findings = what_changed(
        card(Q3, kpi("SL002", 70, 100, 90, 80), kpi("DS3", 85, 100)),
        card(Q2, kpi("SL002", 72, 100, 90, 80), kpi("DS3", 95, 100)),
    )
    gaps = [f for f in findings if f.kind == "gap"]
    assert [f.topic for f in gaps] == ["SL002", "DS3"]
    assert "below its 80.0% trigger" in gaps[0].text


def test_small_denominators_are_neither_quoted_nor_compared():
    now = card(Q3, kpi("DS2", 3, 4, 95))
    before = card(Q2, kpi("DS2", 40, 40, 95))
    assert what_changed(now, before, minimum_denominator=10) == []
    # and a big cohort now against a tiny one before is reported without a comparison
    findings = what_changed(card(Q3, kpi("DS2", 50, 100, 95)), card(Q2, kpi("DS2", 1, 2, 95)))
    assert len(findings) == 1 and "no comparable previous period" in findings[0].text
    assert findings[0].significant is None


def test_a_rate_whose_count_or_complement_is_one_to_four_is_not_quoted():
    """Issue 14: "87.0% (23 cases)" gives 20 of 23, so 3 who were not; the scorecard hides that
    rate, and so do the findings (now and as the previous period's comparison)."""
    assert what_changed(card(Q3, kpi("DS2", 20, 23, 95)), card(Q2, kpi("DS2", 40, 40, 95))) == []
    assert what_changed(card(Q3, kpi("DS2", 3, 23, 95)), card(Q2, kpi("DS2", 40, 40, 95))) == []
    findings = what_changed(card(Q3, kpi("DS2", 15, 23, 95)), card(Q2, kpi("DS2", 37, 40, 95)))
    assert len(findings) == 1 and "no comparable previous period" in findings[0].text  # 37 of 40: 3 not
    assert "65.2% (23 cases)" in findings[0].text  # 15 and 8: both may be shown


def test_significance_is_tagged_from_a_two_proportion_test():
    big = what_changed(card(Q3, kpi("DS5", 950, 1000, 85)), card(Q2, kpi("DS5", 800, 1000, 85)))
    assert big[0].significant is True and "larger than chance" in big[0].text
    small = what_changed(card(Q3, kpi("DS5", 45, 50, 85)), card(Q2, kpi("DS5", 40, 50, 85)))
    assert small[0].significant is False and "within what chance" in small[0].text


def test_two_proportion_p_value_matches_a_known_value():
    # 60/100 vs 50/100: z = 1.4213, two-sided p = 0.1552
    assert two_proportion_p_value(60, 100, 50, 100) == pytest.approx(0.1552, abs=1e-4)
    assert two_proportion_p_value(1, 0, 1, 1) is None


def test_ds1_is_not_z_tested_and_links_to_the_referrals_page():
    findings = what_changed(card(Q3, kpi("DS1", 980, 1000, 95)), card(Q2, kpi("DS1", 900, 1000, 95)))
    assert findings[0].significant is None
    assert findings[0].evidence.startswith("referrals?")
    assert "cases" not in findings[0].text  # a forecast is not a count of cases


def test_ordering_is_deterministic_successes_gaps_opportunities():
    results_now = [kpi("DS2", 192, 200, 95), kpi("DS3", 70, 100), kpi("KP6", 85, 100), kpi("DS5", 60, 100, 85)]
    results_before = [kpi("DS2", 180, 200, 95), kpi("DS3", 70, 100), kpi("KP6", 70, 100), kpi("DS5", 60, 100, 85)]
    first = what_changed(card(Q3, *results_now), card(Q2, *results_before))
    second = what_changed(card(Q3, *reversed(results_now)), card(Q2, *reversed(results_before)))
    assert first == second
    assert [f.kind for f in first] == ["success", "gap", "gap", "opportunity"]
    # the larger shortfall first among gaps (DS5 is 25 points short, DS3 20)
    assert [f.topic for f in first if f.kind == "gap"] == ["DS5", "DS3"]


def test_order_findings_breaks_ties_by_topic():
    a = Finding("gap", "B", "x", "kpis", 1.0)
    b = Finding("gap", "A", "x", "kpis", 1.0)
    c = Finding("success", "Z", "x", "kpis", 0.0)
    assert order_findings([a, b, c]) == [c, b, a]
    assert list(grouped([a, b, c])) == ["success", "gap", "opportunity"]


@pytest.mark.parametrize(
    ("start", "end", "query"),
    [
        (dt.date(2025, 10, 1), dt.date(2025, 12, 31), {"period": "quarter", "at": "2025-10-01"}),
        (dt.date(2025, 11, 1), dt.date(2025, 11, 30), {"period": "month", "at": "2025-11-01"}),
        (dt.date(2024, 4, 1), dt.date(2025, 3, 31), {"period": "contract_year", "at": "2024-04-01"}),
        (dt.date(2023, 9, 4), dt.date(2024, 3, 31), {"period": "contract_year", "at": "2023-09-04"}),
        (dt.date(2025, 1, 5), dt.date(2025, 2, 7), {"period": "custom", "from": "2025-01-05", "to": "2025-02-07"}),
    ],
)
def test_period_query_reproduces_the_sidebar_period(start, end, query):
    assert period_query(start, end) == query


def test_evidence_link_carries_extra_filters():
    assert evidence_link("kpis", *Q3, {"contract": "GM 01", "borough": None}) == (
        "kpis?period=quarter&at=2025-10-01&contract=GM+01"
    )


def test_band_changes_per_borough():
    def bands(rows):
        return pd.DataFrame(rows, columns=["borough", "referrals", "expected_low", "expected_high", "band"])

    now = bands([("Bolton", 50, 60, 90, "below"), ("Bury", 70, 60, 90, "within"), ("Wigan", 120, 60, 90, "above"),
                 ("Salford", 70, 60, 90, "within")])
    before = bands([("Bolton", 70, 60, 90, "within"), ("Bury", 40, 60, 90, "below"), ("Wigan", 80, 60, 90, "within"),
                    ("Salford", 70, 60, 90, "within")])
    findings = band_findings(now, before, start=Q3[0], end=Q3[1])
    by_topic = {f.topic: f for f in findings}
    assert set(by_topic) == {"borough:Bolton", "borough:Bury", "borough:Wigan"}
    assert by_topic["borough:Bolton"].kind == "gap" and "fell below" in by_topic["borough:Bolton"].text
    assert by_topic["borough:Bury"].kind == "success"
    assert by_topic["borough:Wigan"].kind == "opportunity"
    assert by_topic["borough:Bolton"].evidence == "referrals?period=quarter&at=2025-10-01&borough=Bolton"
    combined = what_changed(card(Q3), card(Q2), bands_now=now, bands_before=before)
    assert [f.kind for f in combined] == ["success", "gap", "opportunity"]
