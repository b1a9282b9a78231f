"""Breakdowns: forecast band, complexity mix, distance travelled, journey, equality, spend."""

import datetime as dt

import pandas as pd
import pytest

from metrics.breakdowns import (
    complexity_mix,
    distance_travelled,
    equality_breakdown,
    journey_funnel,
    referrals_against_forecast,
    spend_against_profile,
)

D = dt.date


def test_referrals_against_forecast_band():
    forecasts = pd.DataFrame({"borough": ["Bolton", "Bury", "Wigan"],
                              "predicted_low": [365, 730, 365], "predicted_high": [730, 1095, 730]})
    counts = pd.DataFrame({"borough": ["Bolton", "Bury", "Wigan"], "referrals": [20, 70, 31]})
    out = referrals_against_forecast(counts, forecasts, by="borough", start=D(2024, 3, 1), end=D(2024, 3, 31))
    # March = 31 days of 365: Bolton band 31–62 → 20 below; Bury 62–93 → 70 within;
    # Wigan 31–62 → 31 within (bounds inclusive).
    assert list(out["band"]) == ["below", "within", "within"]
    assert out["expected_low"].tolist() == pytest.approx([31.0, 62.0, 31.0])
    assert "pro-rated" in out["assumption"].iloc[0]


def test_complexity_mix_chi_square():
    # Exactly the reference: 23/56/21 of 100 → chi-square 0, p = 1.
    same = complexity_mix({"LOW": 23, "MEDIUM": 56, "HIGH": 21})
    assert same.chi_square == pytest.approx(0.0) and same.more_than_chance is False
    # 40/40/20 of 100: (40−23)²/23 + (40−56)²/56 + (20−21)²/21 = 12.565 + 4.571 + 0.048 = 17.184
    drift = complexity_mix({"LOW": 40, "MEDIUM": 40, "HIGH": 20, None: 3})
    assert drift.chi_square == pytest.approx(17.184, abs=1e-3)
    assert drift.p_value < 0.001 and drift.more_than_chance
    assert "3 referrals" in drift.note
    assert complexity_mix({"LOW": 2, "MEDIUM": 3}).p_value is None


def test_distance_travelled():
    scores = pd.DataFrame([
        # Person 1, accommodation: baseline 2 → review 3 → exit 4: change +2 (exit wins).
        (1, "accommodation", "baseline", D(2024, 1, 1), 2),
        (1, "accommodation", "review", D(2024, 2, 1), 3),
        (1, "accommodation", "exit", D(2024, 3, 1), 4),
        # Person 2: baseline 3, latest review 3: same.
        (2, "accommodation", "baseline", D(2024, 1, 1), 3),
        (2, "accommodation", "review", D(2024, 2, 1), 3),
        # Person 3: baseline 4, exit 3: worse (−1).
        (3, "accommodation", "baseline", D(2024, 1, 1), 4),
        (3, "accommodation", "exit", D(2024, 2, 1), 3),
        # Baseline only: no change to report.
        (4, "accommodation", "baseline", D(2024, 1, 1), 1),
    ], columns=["referral_pk", "need_code", "stage", "scored_on", "score"])
    out = distance_travelled(scores).set_index("need_code")
    row = out.loc["accommodation"]
    # changes +2, 0, −1: mean 1/3; sd = √(((5/3)² + (1/3)² + (4/3)²)/2) = √(14/9·… ) = 1.5275;
    # t(0.975, 2) = 4.3027; half-width 4.3027 × 1.5275/√3 = 3.7945.
    assert row.people == 3
    assert row.mean_change == pytest.approx(1 / 3)
    assert row.ci_upper - row.mean_change == pytest.approx(3.7945, abs=1e-3)
    assert (row.improved, row.same, row.worse) == pytest.approx((1 / 3, 1 / 3, 1 / 3))
    assert out.loc["all"].need == "All needs"


def test_journey_funnel():
    cases = pd.DataFrame({
        "received_on": [D(2024, 1, 1)] * 4,
        "contacted_on": [D(2024, 1, 2)] * 3 + [None],
        "saa_first_attended_on": [D(2024, 1, 3)] * 2 + [None, None],
        "action_plan_approved_on": [D(2024, 1, 4)] * 2 + [None, None],
        "first_session_on": [D(2024, 1, 5), None, None, None],
        "outcome_achieved": [True, False, False, False],
        "concluded_on": [D(2024, 2, 1), D(2024, 2, 1), None, D(2024, 1, 2)],
        "end_reason": [None, "Service user has been disengaged", None, "Referral was made by mistake"],
    })
    out = journey_funnel(cases).set_index("step")
    assert out["reached"].tolist() == [4, 3, 2, 2, 1, 1, 1]
    assert out.loc["referred", "dropped_before_next"] == 1
    assert out.loc["referred", "commonest_end_reason"] == "Referral was made by mistake"
    assert out.loc["action plan", "dropped_before_next"] == 1


def test_equality_breakdown_keeps_not_recorded():
    cases = pd.DataFrame({"sex": ["Male", "Male", "Female", None], "met": [True, False, True, True]})
    out = equality_breakdown(cases, strand="sex", outcome="met").set_index("sex")
    assert out.loc["Male", "rate"] == 50.0
    assert out.loc["Not recorded", "denominator"] == 1
    assert out.loc["Female", "ci_lower"] < 100.0


def test_spend_against_profile():
    funding = pd.DataFrame({"start_date": [D(2023, 9, 1)], "end_date": [D(2024, 3, 31)], "amount": [1_550_000]})
    spend = pd.DataFrame({"month": [D(2023, 9, 1), D(2023, 10, 1)], "amount": [200_000, 230_000]})
    out = spend_against_profile(funding, spend, [D(2023, 9, 1), D(2023, 10, 1)])
    # Sept–Mar is 213 days: September 1,550,000 × 30/213 = 218,309.86; October × 31/213 = 225,586.85.
    assert out["profile"].tolist() == pytest.approx([218_309.86, 225_586.85], abs=0.01)
    assert out["variance"].iloc[0] == pytest.approx(200_000 - 218_309.86, abs=0.01)
    assert out["cumulative_pct_of_profile"].iloc[1] == pytest.approx(430_000 / 443_896.71 * 100, abs=1e-3)
