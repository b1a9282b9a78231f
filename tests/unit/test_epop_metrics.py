"""EPOP progress measures on hand-built plans (Decision 7) and the real plan's target dates."""

from __future__ import annotations

import csv
import datetime as dt

import pandas as pd
import pytest

from data_access.settings import REFERENCE_DIR
from metrics import epop as m

D = dt.date
COMMENCED = D(2025, 4, 1)
AS_OF = D(2026, 3, 31)


# ---- plan on time ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("region", "central", "as_of", "status", "days"),
    [
        (D(2025, 6, 1), D(2025, 6, 30), AS_OF, "on time", 90),  # day 90: on time
        (D(2025, 6, 1), D(2025, 7, 1), AS_OF, "late", 91),  # day 91: late
        (D(2025, 7, 1), D(2025, 6, 2), AS_OF, "late", 91),  # the later agreement counts
        (D(2025, 6, 1), None, D(2025, 6, 30), "not yet agreed", None),  # still within 90 days
        (D(2025, 6, 1), None, D(2025, 7, 1), "overdue (not agreed)", None),
        (None, None, AS_OF, "overdue (not agreed)", None),
        (D(2025, 6, 1), D(2025, 6, 20), D(2025, 6, 10), "not yet agreed", None),  # after as-of
    ],
)
def test_plan_timeliness(region, central, as_of, status, days):
    result = m.plan_timeliness(COMMENCED, region, central, as_of)
    assert result.status == status
    assert result.days_to_agreement == days
    assert result.deadline == D(2025, 6, 30)
    assert "day 90 is on time, day 91 is late" in result.definition


def test_plan_timeliness_without_commencement():
    assert m.plan_timeliness(None, D(2025, 6, 1), D(2025, 6, 2), AS_OF).status == "no commencement date"


def test_plans_timeliness_frame():
    plans = pd.DataFrame({
        "plan_id": [1, 2],
        "commencement_date": [COMMENCED, COMMENCED],
        "agreed_by_region_on": [D(2025, 6, 30), D(2025, 7, 1)],
        "agreed_centrally_on": [D(2025, 6, 30), D(2025, 7, 1)],
    })
    out = m.plans_timeliness(plans, AS_OF)
    assert out["plan_status"].tolist() == ["on time", "late"]
    assert out["days_to_agreement"].tolist() == [90, 91]


# ---- actions ------------------------------------------------------------------------------

#: A hand-built plan as of 31 March 2026, one action per rule.
ACTIONS = pd.DataFrame(
    [
        # plan, due date, status,            expected RAG
        (1, D(2026, 1, 31), "complete", "complete"),
        (1, D(2026, 2, 28), "in progress", "overdue"),
        (1, D(2026, 3, 31), "in progress", "at risk"),  # due today: due, not yet overdue
        (1, D(2026, 4, 14), "not started", "at risk"),  # within 14 days
        (1, D(2026, 4, 15), "not started", "on track"),  # 15 days away
        (1, D(2026, 9, 30), "blocked", "at risk"),  # blocked is at risk whatever the date
        (1, D(2026, 9, 30), "complete", "complete"),  # complete before it fell due
        (1, None, "in progress", "no due date"),
        (1, None, "blocked", "at risk"),
        (1, D(2026, 1, 1), "dropped", "dropped"),
        (1, D(2026, 2, 1), "blocked", "overdue"),
        (2, None, "not started", "no due date"),
    ],
    columns=["plan_id", "due_date", "status", "expected_rag"],
)


def test_action_progress_rules():
    plan1 = ACTIONS[ACTIONS["plan_id"] == 1]
    p = m.action_progress(plan1, AS_OF)
    # Due (on or before 31 March, not dropped): 31 Jan, 28 Feb, 31 Mar, 1 Feb blocked = 4.
    assert (p.due, p.complete) == (4, 1)
    assert p.value == pytest.approx(25.0)
    assert p.overdue == 2
    assert p.dropped == 1
    assert p.no_due_date == 2
    assert p.not_yet_due == 4
    assert p.complete_not_yet_due == 1


def test_no_value_when_nothing_is_due():
    p = m.action_progress(ACTIONS[ACTIONS["plan_id"] == 2], AS_OF)
    assert p.due == 0 and p.value is None and p.no_due_date == 1


def test_dropped_action_leaves_both_counts():
    base = pd.DataFrame({"due_date": [D(2026, 1, 1), D(2026, 1, 1)], "status": ["complete", "in progress"]})
    with_dropped = pd.concat([base, pd.DataFrame({"due_date": [D(2026, 1, 1)], "status": ["dropped"]})])
    assert m.action_progress(base, AS_OF).value == m.action_progress(with_dropped, AS_OF).value == 50.0


def test_progress_by_plan_matches_single_plan():
    out = m.progress_by_plan(ACTIONS, AS_OF).set_index("plan_id")
    assert out.loc[1, "due"] == 4 and out.loc[1, "complete"] == 1
    assert out.loc[1, "pct_due_complete"] == pytest.approx(25.0)
    assert pd.isna(out.loc[2, "pct_due_complete"])


def test_rag_per_action():
    labels = m.action_rag(ACTIONS, AS_OF)
    assert labels.tolist() == ACTIONS["expected_rag"].tolist()


def test_rag_threshold_is_a_parameter():
    one = pd.DataFrame({"due_date": [D(2026, 4, 15)], "status": ["not started"]})
    assert m.action_rag(one, AS_OF, at_risk_within_days=14).iloc[0] == "on track"
    assert m.action_rag(one, AS_OF, at_risk_within_days=15).iloc[0] == "at risk"
    assert "15 days" in m.rag_definition(15)


def test_overdue_and_timeline_order():
    overdue = m.overdue_actions(ACTIONS, AS_OF)
    assert overdue["due_date"].tolist() == [D(2026, 2, 1), D(2026, 2, 28)]
    assert overdue["days_overdue"].tolist() == [58, 31]
    timeline = m.timeline_order(ACTIONS, AS_OF)
    assert timeline["rag"].iloc[:2].tolist() == ["overdue", "overdue"]
    assert timeline["days_overdue"].iloc[0] == 58


def test_unknown_status_is_refused():
    with pytest.raises(ValueError, match="Unknown action status"):
        m.action_progress(pd.DataFrame({"due_date": [None], "status": ["done"]}), AS_OF)


def test_completion_trend_replays_history():
    actions = pd.DataFrame({
        "action_id": [1, 2, 3],
        "due_date": [D(2025, 8, 15), D(2025, 9, 15), None],
        "plan": ["x", "x", "y"],
    })
    updates = pd.DataFrame({
        "action_id": [1, 1, 2, 2, 3],
        "recorded_at": pd.to_datetime(["2025-07-01 10:00", "2025-08-31 23:59", "2025-09-01 09:00", "2025-10-02 09:00", "2025-07-01 09:00"]),
        "status": ["in progress", "complete", "in progress", "dropped", "complete"],
    })
    out = m.completion_trend(actions, updates, D(2025, 7, 31), D(2025, 10, 15))
    assert out["as_of"].tolist() == [D(2025, 7, 31), D(2025, 8, 31), D(2025, 9, 30), D(2025, 10, 15)]
    assert out["due"].tolist() == [0, 1, 2, 1]  # action 2 dropped on 2 Oct leaves the count
    assert out["complete"].tolist() == [0, 1, 1, 1]  # completed at 23:59 on 31 Aug counts that day
    by_plan = m.completion_trend(actions, updates, D(2025, 7, 31), D(2025, 10, 15), by="plan")
    assert set(by_plan["plan"]) == {"x", "y"}


def test_actions_by_com_b_excludes_dropped():
    actions = pd.DataFrame({"plan_label": ["A", "A", "B"], "com_b": ["capability", None, "Motivation"], "status": ["complete", "in progress", "dropped"]})
    heat = m.actions_by_com_b(actions)
    assert heat.loc["A", "capability"] == 1 and heat.loc["A", "not set"] == 1
    assert "B" not in heat.index


# ---- Annex 2, standards, sessions ----------------------------------------------------------


@pytest.mark.parametrize(
    ("as_of", "offset", "year"),
    [(D(2025, 4, 1), 0, 1), (D(2026, 3, 31), 0, 1), (D(2026, 4, 1), 0, 2), (D(2026, 3, 31), 1, 2),
     (D(2028, 6, 1), 0, 3), (D(2027, 6, 1), 2, 3), (D(2025, 1, 1), 0, 1)],
)
def test_annex2_year(as_of, offset, year):
    assert m.annex2_year(COMMENCED, as_of, offset) == year


def test_annex2_coverage_is_cumulative_and_uses_latest_assessment():
    expectations = pd.DataFrame({"expectation_id": [1, 2, 3, 4], "dimension": ["Capability", "Capability", "Motivation", "Capability"], "year": [1, 1, 1, 2]})
    coverage = pd.DataFrame({
        "expectation_id": [1, 1, 2, 4],
        "status": ["in progress", "met", "not started", "met"],
        "assessed_on": [D(2025, 9, 30), D(2025, 12, 31), D(2025, 9, 30), D(2025, 12, 31)],
    })
    year1 = m.annex2_coverage(expectations, coverage, 1, AS_OF).set_index("dimension")
    assert year1.loc["Capability", ["expected", "met", "not started"]].tolist() == [2, 1, 1]
    assert year1.loc["Motivation", "not assessed"] == 1
    assert year1.loc["Opportunity", "expected"] == 0 and pd.isna(year1.loc["Opportunity", "pct_met"])
    year2 = m.annex2_coverage(expectations, coverage, 2, AS_OF).set_index("dimension")
    assert year2.loc["Capability", ["expected", "met"]].tolist() == [3, 2]
    before = m.annex2_coverage(expectations, coverage, 1, D(2025, 10, 1)).set_index("dimension")
    assert before.loc["Capability", "met"] == 0


def test_standards_latest_rating_as_words():
    standards = pd.DataFrame({"code": ["1.1", "1.2"], "title": ["a", "b"]})
    assessments = pd.DataFrame({"standard_code": ["1.1", "1.1"], "assessed_on": [D(2025, 7, 1), D(2026, 1, 1)], "rating": ["Emerging", "Developing"], "narrative": [None, "n"]})
    out = m.standards_self_assessment(standards, assessments, AS_OF)
    assert out["rating"].tolist() == ["Developing", "not assessed"]
    assert out.loc[0, "previous_rating"] == "Emerging"


def test_sessions_summary():
    sessions = pd.DataFrame({
        "held_on": [D(2025, 7, 1), D(2025, 8, 1), D(2026, 4, 1)],
        "attendees": [10, 6, 99],
        "attendees_women": [3, None, 1], "attendees_men": [6, None, 1], "attendees_other_or_unknown": [1, None, 1],
    })
    s = m.sessions_summary(sessions, AS_OF)
    assert (s.sessions, s.attendees, s.attendees_women, s.gender_not_recorded) == (2, 16, 3, 6)
    assert m.sessions_by_month(sessions, AS_OF)["sessions"].tolist() == [1, 1]


def test_suppress_counts_adds_secondary():
    assert m.suppress_counts({"women": 3, "men": 20, "other": 12}) == {"women": "[c]", "men": 20, "other": "[c]"}
    assert m.suppress_counts({"women": 3, "men": 2, "other": 12}) == {"women": "[c]", "men": "[c]", "other": 12}
    assert m.suppress_counts({"women": 0, "men": 20}) == {"women": 0, "men": 20}


# ---- target dates in the real plan (seed 004) ----------------------------------------------


def _real_plan_rows() -> list[dict[str, str]]:
    with open(REFERENCE_DIR / "hmip_covid_review_actions.csv", newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


DISTINCT_WORDINGS = sorted({r["target_date_raw"] for r in _real_plan_rows()})


@pytest.mark.parametrize("wording", DISTINCT_WORDINGS)
def test_every_wording_in_the_real_plan_is_understood(wording):
    parsed = m.parse_target_date(wording)
    assert parsed.recognised, wording
    assert parsed.original == wording
    assert parsed.is_completed or parsed.date is not None
    if parsed.date is not None:
        assert parsed.date.strftime("%B %Y") in wording
    assert parsed.is_completed == wording.startswith("Completed")
    assert parsed.is_ongoing == any(w in wording.lower() for w in ("ongoing", "monthly"))


@pytest.mark.parametrize(
    ("wording", "date", "completed", "ongoing"),
    [
        ("Completed", None, True, False),
        ("Completed and monthly", None, True, True),
        ("Completed and Monthly", None, True, True),
        ("Completed (to be reviewed monthly)", None, True, True),
        ("Completed and ongoing.", None, True, True),
        ("January 2021 and ongoing", D(2021, 1, 31), False, True),
        ("February 2021", D(2021, 2, 28), False, False),
        ("December 2022", D(2022, 12, 31), False, False),
        ("June 2021", D(2021, 6, 30), False, False),
        ("July 2022 and ongoing", D(2022, 7, 31), False, True),
    ],
)
def test_target_date_values(wording, date, completed, ongoing):
    parsed = m.parse_target_date(wording)
    assert (parsed.date, parsed.is_completed, parsed.is_ongoing, parsed.recognised) == (date, completed, ongoing, True)


@pytest.mark.parametrize("wording", ["", None, "Spring 2021", "ASAP", "By the end of the year", "June"])
def test_unrecognised_wording_is_flagged_not_guessed(wording):
    parsed = m.parse_target_date(wording)
    assert not parsed.recognised
    assert parsed.date is None


# ---- slippage between the December 2020 plan and the December 2021 update ------------------


@pytest.fixture(scope="module")
def real_actions() -> pd.DataFrame:
    rows = _real_plan_rows()
    return pd.DataFrame({
        "recommendation": [int(r["rec_no"]) for r in rows],
        "action_key": [r["action_seq"] for r in rows],
        "summary": [r["summary"] for r in rows],
        "snapshot": [r["snapshot"] for r in rows],
        "target_date_raw": [r["target_date_raw"] for r in rows],
    })


def test_action_slippage_on_the_real_plan(real_actions):
    out = m.target_date_slippage(real_actions, "2020-12-10 plan", "2021-12-08 update").set_index("earlier_key")
    assert len(out) == 23  # every plan action is reported, matched or not
    # Programmes: December 2020 → December 2022.
    assert out.loc["1.5", ["later_key", "change", "months_slipped"]].tolist() == ["1.11", "slipped", 24]
    # Accommodation leads meeting: February 2021 → January 2022.
    assert out.loc["3.3", ["later_key", "change", "months_slipped"]].tolist() == ["3.8", "slipped", 11]
    assert out.loc["3.2", "change"] == "slipped"
    # Maximisation of Resources Group → "Maximisation of Resource Group concluded".
    assert out.loc["1.2", ["later_key", "change"]].tolist() == ["1.8", "completed"]
    assert out.loc["5.6", "later_key"] == "5.11"  # OSAG with OSAG, not the first "assurance"
    assert out.loc["3.4", "change"] == "reopened"  # BASS: completed, then a new BASS date
    assert out.loc["4.1", "change"] == "unmatched"
    assert set(out.loc[out["change"] == "slipped"].index) == {"1.5", "1.6", "3.2", "3.3"}


def test_slippage_rules_on_a_hand_built_pair():
    actions = pd.DataFrame({
        "recommendation": [1, 1, 1, 1, 1, 1],
        "action_key": ["a", "b", "c", "x", "y", "z"],
        "summary": ["Peer mentor scheme", "Forum launch", "Survey design", "Peer mentor scheme expanded", "Forum launch delayed", "Survey design agreed"],
        "snapshot": ["p", "p", "p", "u", "u", "u"],
        "target_date_raw": ["March 2021", "June 2021", "June 2021", "March 2021", "January 2022", "April 2021"],
    })
    out = m.target_date_slippage(actions, "p", "u").set_index("earlier_key")
    assert out["later_key"].tolist() == ["x", "y", "z"]
    assert out["change"].tolist() == ["unchanged", "slipped", "moved earlier"]
    assert out.loc["b", "months_slipped"] == 7


def test_recommendation_level_slippage(real_actions):
    out = m.recommendation_slippage(real_actions, "2020-12-10 plan", "2021-12-08 update").set_index("recommendation")
    assert out["change"].to_dict() == {1: "slipped", 2: "all completed", 3: "slipped", 4: "all completed", 5: "all completed", 6: "slipped"}
    assert out.loc[6, "later_latest"] == D(2023, 12, 31)


def test_due_periods_are_financial_years_and_quarters_newest_first():
    from metrics.epop import ALL_ACTIONS, due_periods

    periods = due_periods([dt.date(2025, 3, 31), dt.date(2025, 4, 1)], dt.date(2025, 5, 1))
    assert periods[0] == ALL_ACTIONS
    labels = [p.label for p in periods]
    # 31 March 2025 is in 2024/25 (Q4), 1 April 2025 starts 2025/26 (Q1).
    assert labels[1] == "2025/26 (Apr 2025 – Mar 2026)" and labels[6] == "2024/25 (Apr 2024 – Mar 2025)"
    q4 = periods[10]
    assert q4.label == "Q4 2024/25 (Jan–Mar 2025)" and (q4.start, q4.end) == (dt.date(2025, 1, 1), dt.date(2025, 3, 31))
    assert (periods[2].start, periods[2].end) == (dt.date(2025, 4, 1), dt.date(2025, 6, 30))
    assert len(periods) == 11


def test_due_in_period_keeps_both_ends_and_drops_undated_actions():
    from metrics.epop import ALL_ACTIONS, DuePeriod, action_progress, due_in_period

    actions = pd.DataFrame({
        "due_date": [dt.date(2025, 3, 31), dt.date(2025, 4, 1), dt.date(2025, 6, 30), dt.date(2025, 7, 1), None],
        "status": ["complete", "complete", "in progress", "complete", "not started"],
    })
    q1 = DuePeriod("Q1", dt.date(2025, 4, 1), dt.date(2025, 6, 30))
    kept = due_in_period(actions, q1)
    assert list(kept.index) == [1, 2]
    assert due_in_period(actions, ALL_ACTIONS) is actions
    # As of 1 July 2025: both Q1 actions are due, one complete: 50%; the other is overdue.
    progress = action_progress(kept, dt.date(2025, 7, 1))
    assert (progress.due, progress.complete, progress.value, progress.overdue, progress.no_due_date) == (2, 1, 50.0, 1, 0)


def test_agreement_text_names_both_agreements():
    from metrics.epop import agreement_text

    assert agreement_text({"agreed_by_region_on": dt.date(2025, 6, 15), "agreed_centrally_on": None}) == (
        "Agreed by the region on 15 Jun 2025; by the central team not yet.")
