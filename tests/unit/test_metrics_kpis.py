"""Hand-worked expected values for every measure (DOMAIN.md "Exact rules").

Calendar used throughout (2024): Good Friday 29 March, Easter Monday 1 April; weekends as
usual. "deadline(D, N)" below means numpy busday_offset(D, N, roll="backward").
"""

import datetime as dt

import pandas as pd
import pytest

from domain.catalogue import END_REASONS, KPI_CATALOGUE, kpi
from domain.end_reasons import default_end_reasons
from metrics.kpis import (
    ds1_referrals_against_target,
    ds2_assessed_within_10_working_days,
    ds3_action_plan_within_5_working_days,
    ds4_distance_tool_within_10_working_days,
    ds5_outcome_achieved,
    end_reason_class,
    end_reason_code,
    kp5_exit_survey_offered,
    kp6_attending_within_10_working_days,
    record_keeping_within_1_working_day,
    scorecard_from_frames,
    sl002_intervention_appointment_attended,
)
from metrics.results import status_against_target

D = dt.date
MARCH = {"start": D(2024, 3, 1), "end": D(2024, 3, 31)}


def frame(rows):
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------
# DS2
# --------------------------------------------------------------------------------------------

DS2_ROWS = [
    # Thu 28 Mar, day before Good Friday: deadline(28 Mar, 10) = Mon 15 Apr. Assessed 15 Apr: met.
    {"referral_ref": "R1", "received_on": D(2024, 3, 28), "saa_first_attended_on": D(2024, 4, 15)},
    # Same deadline, assessed Tue 16 Apr: one day late, not met.
    {"referral_ref": "R2", "received_on": D(2024, 3, 28), "saa_first_attended_on": D(2024, 4, 16)},
    # Saturday 30 Mar rolls back to Thu 28 (Fri 29 is Good Friday): deadline 15 Apr. 12 Apr: met.
    {"referral_ref": "R3", "received_on": D(2024, 3, 30), "saa_first_attended_on": D(2024, 4, 12)},
    # Mon 4 Mar: deadline = Mon 18 Mar. Attended 20 Mar (late) but a missed appointment on
    # Fri 15 Mar (on or before the deadline): mitigated, counted as met.
    {"referral_ref": "R4", "received_on": D(2024, 3, 4), "saa_first_attended_on": D(2024, 3, 20),
     "saa_first_not_attended_on": D(2024, 3, 15)},
    # Tue 5 Mar: deadline Tue 19 Mar. Never assessed; ended 12 Mar (before the deadline):
    # left out of DS2.
    {"referral_ref": "R5", "received_on": D(2024, 3, 5), "concluded_on": D(2024, 3, 12)},
    # Tue 5 Mar: deadline 19 Mar. Never assessed; ended 25 Mar (after the deadline): counted, not met.
    {"referral_ref": "R6", "received_on": D(2024, 3, 5), "concluded_on": D(2024, 3, 25)},
    # Received 29 Feb: outside the March cohort.
    {"referral_ref": "R7", "received_on": D(2024, 2, 29), "saa_first_attended_on": D(2024, 3, 1)},
    # Good Friday 29 Mar rolls back to Thu 28: deadline 15 Apr; a missed appointment on
    # 16 Apr is after the deadline, so no mitigation; assessed 17 Apr: not met.
    {"referral_ref": "R8", "received_on": D(2024, 3, 29), "saa_first_attended_on": D(2024, 4, 17),
     "saa_first_not_attended_on": D(2024, 4, 16)},
]


def test_ds2_hand_worked():
    result = ds2_assessed_within_10_working_days(
        frame(DS2_ROWS), **MARCH, as_of=D(2024, 5, 1), include_case_ids=True
    )
    # cohort R1–R6, R8 (7); R5 excluded (ended before its deadline) → denominator 6.
    # met R1, R3; mitigated R4 → numerator 3. 3 / 6 = 50%.
    assert (result.numerator, result.denominator, result.mitigated, result.excluded) == (3, 6, 1, 1)
    assert result.value == pytest.approx(50.0)
    assert result.status == "below target"  # 50 < 95, no trigger
    assert set(result.case_ids) == {"R1", "R2", "R3", "R4", "R6", "R8"}
    assert set(result.numerator_case_ids) == {"R1", "R3", "R4"}
    assert result.excluded_case_ids == ("R5",)


def test_ds2_not_yet_due_is_not_counted():
    rows = [
        # deadline 15 Apr; as of 10 Apr not due and not assessed: waits.
        {"referral_ref": "A", "received_on": D(2024, 3, 28)},
        # assessed 2 Apr, before the as-of date: met, counted although not yet due.
        {"referral_ref": "B", "received_on": D(2024, 3, 28), "saa_first_attended_on": D(2024, 4, 2)},
        # assessed 12 Apr, after the as-of date: not known yet on 10 Apr, so it waits.
        {"referral_ref": "C", "received_on": D(2024, 3, 28), "saa_first_attended_on": D(2024, 4, 12)},
    ]
    result = ds2_assessed_within_10_working_days(frame(rows), **MARCH, as_of=D(2024, 4, 10))
    assert (result.numerator, result.denominator, result.not_yet_due) == (1, 1, 2)
    assert result.value == pytest.approx(100.0)
    assert result.status == "met"


def test_ds2_mitigation_is_final_only_once_due():
    rows = [{"referral_ref": "A", "received_on": D(2024, 3, 28),
             "saa_first_not_attended_on": D(2024, 4, 3)}]
    early = ds2_assessed_within_10_working_days(frame(rows), **MARCH, as_of=D(2024, 4, 10))
    assert (early.numerator, early.denominator, early.mitigated) == (0, 0, 0)
    assert early.value is None and early.status == "no data"
    # As of 16 Apr the 15 Apr deadline has passed: mitigated, counted as met.
    late = ds2_assessed_within_10_working_days(frame(rows), **MARCH, as_of=D(2024, 4, 16))
    assert (late.numerator, late.denominator, late.mitigated) == (1, 1, 1)


def test_ds2_deadline_day_itself_is_not_yet_due():
    # "due" = deadline before the as-of date. As of 15 Apr (the deadline) the case still waits.
    rows = [{"referral_ref": "A", "received_on": D(2024, 3, 28)}]
    assert ds2_assessed_within_10_working_days(frame(rows), **MARCH, as_of=D(2024, 4, 15)).denominator == 0
    assert ds2_assessed_within_10_working_days(frame(rows), **MARCH, as_of=D(2024, 4, 16)).denominator == 1


def test_empty_cohorts_are_no_data_not_zero():
    empty = frame([{"referral_ref": "X", "received_on": D(2023, 1, 5)}])
    for measure in (
        ds2_assessed_within_10_working_days,
        ds3_action_plan_within_5_working_days,
        ds4_distance_tool_within_10_working_days,
        ds5_outcome_achieved,
        kp5_exit_survey_offered,
        kp6_attending_within_10_working_days,
        sl002_intervention_appointment_attended,
    ):
        result = measure(empty, **MARCH, as_of=D(2024, 6, 1))
        assert result.denominator == 0
        assert result.value is None
        assert result.status == "no data"


def test_zero_row_frame():
    result = ds2_assessed_within_10_working_days(
        pd.DataFrame({"referral_ref": pd.Series([], dtype=str)}), **MARCH, as_of=D(2024, 6, 1)
    )
    assert result.value is None and result.denominator == 0


# --------------------------------------------------------------------------------------------
# DS3, DS4
# --------------------------------------------------------------------------------------------


def test_ds3_hand_worked():
    rows = [
        # Assessed Thu 28 Mar: deadline(28 Mar, 5) skips 29 Mar–1 Apr → 2,3,4,5,8 Apr = Mon 8 Apr.
        {"referral_ref": "A", "saa_first_attended_on": D(2024, 3, 28), "action_plan_submitted_on": D(2024, 4, 8)},
        {"referral_ref": "B", "saa_first_attended_on": D(2024, 3, 28), "action_plan_submitted_on": D(2024, 4, 9)},
        # Assessed Mon 4 Mar: deadline Mon 11 Mar; plan the same day: met.
        {"referral_ref": "C", "saa_first_attended_on": D(2024, 3, 4), "action_plan_submitted_on": D(2024, 3, 4)},
        # Assessed 4 Mar, no plan, ended 8 Mar (≤ 11 Mar deadline): left out.
        {"referral_ref": "D", "saa_first_attended_on": D(2024, 3, 4), "concluded_on": D(2024, 3, 8)},
        # Assessed in April: outside the cohort.
        {"referral_ref": "E", "saa_first_attended_on": D(2024, 4, 2), "action_plan_submitted_on": D(2024, 4, 2)},
    ]
    result = ds3_action_plan_within_5_working_days(frame(rows), **MARCH, as_of=D(2024, 5, 1))
    # met A, C of counted A, B, C → 2/3 = 66.67%; target 90 → below target.
    assert (result.numerator, result.denominator, result.excluded) == (2, 3, 1)
    assert result.value == pytest.approx(200 / 3)
    assert result.status == "below target"
    assert result.mitigated is None


def test_ds4_from_distance_tool_completed_on():
    rows = [
        # Assessed Thu 28 Mar: deadline(…, 10) = 15 Apr. Tool 15 Apr: met; 16 Apr: not met.
        {"referral_ref": "A", "saa_first_attended_on": D(2024, 3, 28), "distance_tool_completed_on": D(2024, 4, 15)},
        {"referral_ref": "B", "saa_first_attended_on": D(2024, 3, 28), "distance_tool_completed_on": D(2024, 4, 16)},
        {"referral_ref": "C", "saa_first_attended_on": D(2024, 3, 28)},
    ]
    result = ds4_distance_tool_within_10_working_days(frame(rows), **MARCH, as_of=D(2024, 5, 1))
    assert (result.numerator, result.denominator) == (1, 3)  # 1/3 = 33.3%
    assert result.value == pytest.approx(100 / 3)


# --------------------------------------------------------------------------------------------
# KP6, DS5, KP5
# --------------------------------------------------------------------------------------------


def test_kp6_hand_worked():
    rows = [
        # Approved Fri 1 Mar: deadline(…, 10) = Fri 15 Mar. First session 15 Mar: met.
        {"referral_ref": "A", "action_plan_approved_on": D(2024, 3, 1), "first_session_on": D(2024, 3, 15)},
        # Approved Sat 2 Mar: rolls back to Fri 1 → 15 Mar. Session Mon 18 Mar: not met.
        {"referral_ref": "B", "action_plan_approved_on": D(2024, 3, 2), "first_session_on": D(2024, 3, 18)},
        # Recorded as not suitable: outside KP6's cohort.
        {"referral_ref": "C", "action_plan_approved_on": D(2024, 3, 1), "suitable": False},
        # Suitable, approved 1 Mar, never attended, ended 20 Mar (after deadline): counted, not met.
        {"referral_ref": "D", "action_plan_approved_on": D(2024, 3, 1), "suitable": True, "concluded_on": D(2024, 3, 20)},
    ]
    result = kp6_attending_within_10_working_days(frame(rows), **MARCH, as_of=D(2024, 5, 1))
    assert (result.numerator, result.denominator) == (1, 3)


def test_ds5_hand_worked():
    rows = [
        # Concluded in March with an EoSR; score 0.5 (one outcome partly achieved) > 0: met.
        {"referral_ref": "A", "concluded_on": D(2024, 3, 10), "eosr_submitted_on": D(2024, 3, 9), "outcomes_achieved": 0.5},
        # Score 0: not met.
        {"referral_ref": "B", "concluded_on": D(2024, 3, 10), "eosr_submitted_on": D(2024, 3, 9), "outcomes_achieved": 0.0},
        # No EoSR: outside the cohort.
        {"referral_ref": "C", "concluded_on": D(2024, 3, 10), "outcomes_achieved": 2.0},
        # Concluded in April: outside.
        {"referral_ref": "D", "concluded_on": D(2024, 4, 1), "eosr_submitted_on": D(2024, 4, 1), "outcomes_achieved": 1.0},
        # Score missing is not an achievement.
        {"referral_ref": "E", "concluded_on": D(2024, 3, 11), "eosr_submitted_on": D(2024, 3, 11)},
    ]
    result = ds5_outcome_achieved(frame(rows), **MARCH, as_of=D(2024, 5, 1))
    assert (result.numerator, result.denominator) == (1, 3)  # A of A, B, E


def test_kp5_hand_worked():
    rows = [
        # Concluded Thu 28 Mar: deadline(…, 1) = Tue 2 Apr (29 Mar–1 Apr not working days).
        {"referral_ref": "A", "concluded_on": D(2024, 3, 28), "exit_survey_offered_on": D(2024, 4, 2)},
        {"referral_ref": "B", "concluded_on": D(2024, 3, 28), "exit_survey_offered_on": D(2024, 4, 3)},
        # Cancelled referrals are outside KP5.
        {"referral_ref": "C", "concluded_on": D(2024, 3, 28), "referral_end_state": "cancelled"},
    ]
    result = kp5_exit_survey_offered(frame(rows), **MARCH, as_of=D(2024, 5, 1))
    assert (result.numerator, result.denominator) == (1, 2)
    assert result.status == "below target"


# --------------------------------------------------------------------------------------------
# KP1–KP4
# --------------------------------------------------------------------------------------------


def test_record_keeping_kp1_to_kp4():
    events = frame([
        # Contact Fri 8 Mar: deadline Mon 11 Mar. Recorded 11 Mar: met; 12 Mar: not met.
        {"referral_ref": "A", "kind": "contact", "occurred_on": D(2024, 3, 8), "recorded_on": D(2024, 3, 11), "shared": None},
        {"referral_ref": "A", "kind": "contact", "occurred_on": D(2024, 3, 8), "recorded_on": D(2024, 3, 12), "shared": None},
        # Never recorded, due: counted, not met.
        {"referral_ref": "B", "kind": "contact", "occurred_on": D(2024, 3, 8), "recorded_on": None, "shared": None},
        # Action plan updated Thu 28 Mar: deadline Tue 2 Apr. Recorded 2 Apr but not shared: not met.
        {"referral_ref": "C", "kind": "action_plan", "occurred_on": D(2024, 3, 28), "recorded_on": D(2024, 4, 2), "shared": False},
        {"referral_ref": "C", "kind": "action_plan", "occurred_on": D(2024, 3, 28), "recorded_on": D(2024, 4, 2), "shared": True},
        {"referral_ref": "D", "kind": "attendance", "occurred_on": D(2024, 3, 5), "recorded_on": D(2024, 3, 5), "shared": True},
        {"referral_ref": "D", "kind": "evidence_request", "occurred_on": D(2024, 3, 5), "recorded_on": D(2024, 3, 7), "shared": None},
    ])
    kwargs = dict(**MARCH, as_of=D(2024, 5, 1))
    kp1 = record_keeping_within_1_working_day("KP1", events, **kwargs)
    assert (kp1.numerator, kp1.denominator) == (1, 3)
    kp2 = record_keeping_within_1_working_day("KP2", events, **kwargs)
    assert (kp2.numerator, kp2.denominator) == (1, 2)
    kp3 = record_keeping_within_1_working_day("KP3", events, **kwargs)
    assert (kp3.numerator, kp3.denominator, kp3.status) == (1, 1, "met")
    # Evidence requested Tue 5 Mar, sent Thu 7 Mar (deadline Wed 6): not met.
    kp4 = record_keeping_within_1_working_day("KP4", events, **kwargs)
    assert (kp4.numerator, kp4.denominator, kp4.status) == (0, 1, "below target")


# --------------------------------------------------------------------------------------------
# SL002
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("code", "description", "sl002_class"), END_REASONS)
def test_every_end_reason_maps(code, description, sl002_class):
    assert end_reason_code(description) == code
    assert end_reason_code(description.upper()) == code
    assert end_reason_code("  " + description.lower().replace(" ", "   ") + " ") == code
    assert end_reason_class(description) == sl002_class


def test_end_reason_unknown_and_blank_are_neutral():
    assert end_reason_code("Moved to Mars") is None
    assert end_reason_class("Moved to Mars") == "neutral"
    assert end_reason_class(None) == "neutral"
    assert end_reason_class("") == "neutral"
    assert end_reason_code("Probation practitioner\u2019s professional judgement") == "PPJ"
    assert end_reason_code("sErViCe UsEr HaS bEeN dIsEnGaGeD") == "DIS"


def _ended(ref, reason, *, session=None, approved=D(2024, 3, 1), state="ended",
           received=D(2024, 2, 1), concluded=D(2024, 3, 20)):
    return {"referral_ref": ref, "received_on": received, "concluded_on": concluded,
            "first_session_on": session, "action_plan_approved_on": approved,
            "end_requested_by_pp_reason": reason, "referral_end_state": state}


def test_sl002_each_end_reason():
    rows = [
        # Without an ICA and with an approved plan, each reason decides neutral vs negative.
        _ended(f"{r.vocabulary} {r.code}", r.description) for r in default_end_reasons().reasons
    ]
    result = sl002_intervention_appointment_attended(frame(rows), **MARCH, include_case_ids=True)
    # b = 23 (10 end reasons of 2021, 13 withdrawal reasons of 2024); a = 0; negative = DIS,
    # END and (Decision 9) NOT, SEE: 4; neutral c = 19 → value 0 / (23 − 19) = 0%.
    assert result.extra == {"a": 0, "b": 23, "c": 19, "negative": 4, "cancelled_on_referral_day": 0}
    assert (result.numerator, result.denominator, result.value) == (0, 4, 0.0)
    assert set(result.case_ids) == {"2021 DIS", "2021 END", "2024 NOT", "2024 SEE"}
    assert result.status == "below trigger"  # 0 < 80


def test_sl002_hand_worked():
    rows = [
        # a: first session 10 Mar, before the 20 Mar end. Reason irrelevant once positive.
        _ended("P1", "Service user has been disengaged", session=D(2024, 3, 10)),
        # a: first session on the end date itself counts (on or before).
        _ended("P2", None, session=D(2024, 3, 20), state="completed"),
        # First session after the end date (21 Mar > 20 Mar): not positive; DIS with an
        # approved plan → negative.
        _ended("N1", "SERVICE USER HAS BEEN DISENGAGED", session=D(2024, 3, 21)),
        # END (sentence expiry) is negative: not a neutralisation.
        _ended("N2", "sentence has ended"),
        # DIS but no approved action plan → neutral.
        _ended("U1", "Service user has been disengaged", approved=None),
        # Unrecognised reason → neutral.
        _ended("U2", "Something else entirely"),
        # Blank reason (completed without an ICA) → neutral.
        _ended("U3", None, state="completed"),
        # Recalled, odd spacing/case → neutral.
        _ended("U4", "service user has  been Recalled"),
        # Cancelled on the day it was received: not counted at all.
        _ended("X1", "Referral was made by mistake", state="cancelled", received=D(2024, 3, 5),
               concluded=D(2024, 3, 5), approved=None),
        # Cancelled, but not on the referral day: in b (and neutral: MIS).
        _ended("U5", "Referral was made by mistake", state="cancelled", received=D(2024, 3, 4),
               concluded=D(2024, 3, 5), approved=None),
        # Ended in April: outside March.
        _ended("Z1", "Service user has been disengaged", concluded=D(2024, 4, 1)),
    ]
    result = sl002_intervention_appointment_attended(frame(rows), **MARCH, include_case_ids=True)
    # b = P1 P2 N1 N2 U1 U2 U3 U4 U5 = 9; a = P1 P2 = 2; c = U1..U5 = 5; b − c = 4.
    # value = 2 / 4 × 100 = 50%; below the 80% trigger.
    assert result.extra["b"] == 9 and result.extra["c"] == 5 and result.extra["negative"] == 2
    assert result.extra["cancelled_on_referral_day"] == 1
    assert (result.numerator, result.denominator) == (2, 4)
    assert result.value == pytest.approx(50.0)
    assert result.status == "below trigger"
    assert set(result.case_ids) == {"P1", "P2", "N1", "N2"}
    assert set(result.excluded_case_ids) == {"U1", "U2", "U3", "U4", "U5", "X1"}


def test_sl002_no_value_when_all_neutral():
    rows = [_ended("U1", "Service user died"), _ended("U2", None, approved=None)]
    result = sl002_intervention_appointment_attended(frame(rows), **MARCH)
    # b = 2, c = 2: b − c = 0 → no value, not 0.
    assert (result.numerator, result.denominator, result.value, result.status) == (0, 0, None, "no data")


def test_sl002_between_trigger_and_target():
    # 17 positive, 3 negative: 17 / 20 = 85% → between the 80% trigger and the 90% target.
    rows = [_ended(f"P{i}", None, session=D(2024, 3, 1)) for i in range(17)]
    rows += [_ended(f"N{i}", "Sentence has ended") for i in range(3)]
    result = sl002_intervention_appointment_attended(frame(rows), **MARCH)
    assert result.value == pytest.approx(85.0)
    assert result.status == "below target"


# --------------------------------------------------------------------------------------------
# DS1, status, scorecard
# --------------------------------------------------------------------------------------------


def test_ds1_pro_rated_lower_bound():
    # Annual lower bound 3,650 pro-rated to March (31 days): 3650 × 31 / 365 = 310.
    # 300 received → 300 / 310 × 100 = 96.77% ≥ 95: met.
    result = ds1_referrals_against_target(300, 3650, start=D(2024, 3, 1), end=D(2024, 3, 31))
    assert result.denominator == pytest.approx(310.0)
    assert result.value == pytest.approx(300 / 310 * 100)
    assert result.status == "met"
    assert "pro-rated" in result.note and "low bound" in result.note


def test_ds1_no_forecast_is_no_data():
    result = ds1_referrals_against_target(10, 0, start=D(2024, 3, 1), end=D(2024, 3, 31))
    assert result.value is None and result.status == "no data"


@pytest.mark.parametrize(
    ("value", "target", "trigger", "expected"),
    [
        (95.0, 95.0, None, "met"),
        (94.99, 95.0, None, "below target"),
        (85.0, 90.0, 80.0, "below target"),
        (80.0, 90.0, 80.0, "below target"),
        (79.9, 90.0, 80.0, "below trigger"),
        (None, 90.0, 80.0, "no data"),
        (50.0, None, None, "no target"),
    ],
)
def test_status_against_target(value, target, trigger, expected):
    assert status_against_target(value, target, trigger) == expected


def test_scorecard_skips_measures_without_data():
    results = scorecard_from_frames(
        frame(DS2_ROWS), **MARCH, as_of=D(2024, 5, 1), definitions=KPI_CATALOGUE
    )
    codes = [r.code for r in results]
    assert codes == ["DS2", "DS3", "DS4", "DS5", "KP5", "KP6", "SL002"]
    assert results[0].value == pytest.approx(50.0)
    assert kpi("sl002").trigger == 80.0
