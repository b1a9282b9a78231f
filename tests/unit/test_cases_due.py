"""Hand-worked values for the provider's working day (metrics.cases_due).

Calendar (England and Wales, 2026): Good Friday 3 April, Easter Monday 6 April, early May bank
holiday 4 May. The as-of date throughout is Thursday 9 April 2026.
"""

import datetime as dt

import pandas as pd
import pytest

from data_access.open_cases import OPEN_CASE_COLUMNS
from metrics.cases_due import (COMPLETION_CODE, breach_list, due_to_end, sl002_projection, status_text,
                               working_days_left)

D = dt.date
AS_OF = D(2026, 4, 9)


def referrals(rows):
    frame = pd.DataFrame(rows)
    for column in OPEN_CASE_COLUMNS:
        if column not in frame.columns:
            frame[column] = None
    return frame[list(OPEN_CASE_COLUMNS)]


def events(rows):
    return pd.DataFrame(rows, columns=["referral_ref", "hub_id", "kind", "occurred_on", "recorded_on", "shared"])


CASES = [
    # Received Tue 31 Mar, not assessed: deadline = 10 working days on, skipping Good Friday and
    # Easter Monday = Thu 16 Apr; working days left from Thu 9 Apr: 10, 13, 14, 15, 16 = 5.
    {"referral_ref": "A", "hub_id": 1, "received_on": D(2026, 3, 31)},
    # Received Mon 16 Mar: deadline Mon 30 Mar; past it by 31 Mar, 1, 2, 7, 8, 9 Apr = 6 working days.
    {"referral_ref": "B", "hub_id": 2, "received_on": D(2026, 3, 16)},
    # Missed an assessment on 2 Apr, before its deadline (16 Apr): mitigated, not listed.
    {"referral_ref": "C", "hub_id": 1, "received_on": D(2026, 3, 31), "saa_first_not_attended_on": D(2026, 4, 2)},
    # Assessed Wed 1 Apr (DS2 met): DS3 deadline 5 working days on = Fri 10 Apr (1 left);
    # DS4 deadline 10 on = Fri 17 Apr (6 left).
    {"referral_ref": "D", "hub_id": 1, "received_on": D(2026, 3, 20), "saa_first_attended_on": D(2026, 4, 1)},
    # Action plan approved Thu 26 Mar, no session: KP6 deadline Mon 13 Apr (2 left). R&M's
    # completion date Thu 7 May: 19 working days left (4 May is a bank holiday), within 20: listed.
    {"referral_ref": "E", "hub_id": 1, "received_on": D(2026, 3, 2), "saa_first_attended_on": D(2026, 3, 5),
     "action_plan_submitted_on": D(2026, 3, 6), "distance_tool_completed_on": D(2026, 3, 6),
     "action_plan_approved_on": D(2026, 3, 26), "intervention_to_be_completed_by": D(2026, 5, 7)},
    # Ended Wed 8 Apr with no exit survey: KP5 deadline Thu 9 Apr, due today (0 left).
    {"referral_ref": "F", "hub_id": 1, "received_on": D(2026, 1, 5), "saa_first_attended_on": D(2026, 1, 6),
     "action_plan_submitted_on": D(2026, 1, 7), "distance_tool_completed_on": D(2026, 1, 7),
     "action_plan_approved_on": D(2026, 1, 8), "first_session_on": D(2026, 1, 12), "concluded_on": D(2026, 4, 8),
     "referral_end_state": "completed"},
    # Ended (cancelled) 8 Apr: outside KP5's cohort; received and ended the same day.
    {"referral_ref": "G", "hub_id": 1, "received_on": D(2026, 4, 8), "concluded_on": D(2026, 4, 8),
     "referral_end_state": "cancelled"},
    # Recorded as not suitable: outside KP6; assessed and planned on time.
    {"referral_ref": "H", "hub_id": 1, "received_on": D(2026, 3, 2), "saa_first_attended_on": D(2026, 3, 5),
     "action_plan_submitted_on": D(2026, 3, 6), "distance_tool_completed_on": D(2026, 3, 6),
     "action_plan_approved_on": D(2026, 3, 26), "suitable": False},
    # Assessed after the as-of date: not yet happened, so DS2 is still open (deadline 16 Apr).
    {"referral_ref": "I", "hub_id": None, "received_on": D(2026, 3, 31), "saa_first_attended_on": D(2026, 4, 10)},
]
EVENTS = [
    # Contact Thu 2 Apr, never recorded: deadline the next working day, Tue 7 Apr (Easter in
    # between); past it by 8 and 9 Apr = 2 working days.
    ("A", 1, "contact", D(2026, 4, 2), None, None),
    # Attendance 8 Apr, recorded that day but not shared (KP3 needs both): due today.
    ("D", 1, "attendance", D(2026, 4, 8), D(2026, 4, 8), False),
    # Contact recorded on time (KP1 does not need sharing): met, not listed.
    ("D", 1, "contact", D(2026, 4, 8), D(2026, 4, 8), False),
]
HUBS = {1: "Bolton Wellbeing Hub", 2: "Bury Wellbeing Hub"}


def test_working_days_left_across_easter():
    assert list(working_days_left(AS_OF, [D(2026, 4, 16), D(2026, 3, 30), D(2026, 4, 9), D(2026, 4, 7),
                                         D(2026, 5, 7)])) == [5, -6, 0, -2, 19]
    assert status_text(-1) == "past deadline (1 working day ago)"
    assert status_text(0) == "due today" and status_text(2) == "due in 2 working days"


def test_breach_list_hand_worked():
    result = breach_list(referrals(CASES), events(EVENTS), as_of=AS_OF, hubs=HUBS)
    got = [(r.measure, r.referral_ref, r.deadline, r.working_days_left) for r in result.cases.itertuples()]
    assert got == [
        ("DS2", "B", D(2026, 3, 30), -6),
        ("KP1", "A", D(2026, 4, 7), -2),
        ("KP5", "F", D(2026, 4, 9), 0),
        ("KP3", "D", D(2026, 4, 9), 0),
        ("DS3", "D", D(2026, 4, 10), 1),
        ("KP6", "E", D(2026, 4, 13), 2),
        ("DS2", "A", D(2026, 4, 16), 5),
        ("DS2", "I", D(2026, 4, 16), 5),
        ("DS4", "D", D(2026, 4, 17), 6),
        (COMPLETION_CODE, "E", D(2026, 5, 7), 19),
    ]
    assert result.past_deadline == 2 and result.older_not_listed == 0
    first = result.cases.iloc[0]
    assert first["status"] == "past deadline (6 working days ago)" and first["hub"] == "Bury Wellbeing Hub"
    assert result.cases.iloc[7]["hub"] == "no hub recorded"


def test_look_back_and_completion_horizon():
    # Overdue by 6 and 2 working days: a look-back of 3 lists the 2, counts the 6 as older.
    result = breach_list(referrals(CASES), events(EVENTS), as_of=AS_OF, hubs=HUBS, lookback_working_days=3)
    assert "B" not in set(result.cases.loc[result.cases["measure"] == "DS2", "referral_ref"])
    assert (result.past_deadline, result.older_not_listed) == (2, 1)
    # A completion date 19 working days away is not listed with a horizon of 18.
    result = breach_list(referrals(CASES), None, as_of=AS_OF, completion_horizon=18)
    assert COMPLETION_CODE not in set(result.cases["measure"])
    assert not {"KP1", "KP3"} & set(result.cases["measure"])  # no events given: KP1–KP4 not listed


def test_measures_the_data_cannot_support_are_skipped():
    result = breach_list(referrals(CASES), events(EVENTS), as_of=AS_OF, skip=("DS4", "KP1", "KP2", "KP3", "KP4", "KP5"))
    assert set(result.cases["measure"]) == {"DS2", "DS3", "KP6", COMPLETION_CODE}
    assert "DS4" not in result.measures


def test_due_to_end_takes_the_earlier_end_date_within_the_month():
    frame = referrals([
        {"referral_ref": "X1", "intervention_to_be_completed_by": D(2026, 4, 30), "first_session_on": D(2026, 2, 1)},
        {"referral_ref": "X2", "intervention_to_be_completed_by": D(2026, 5, 30), "end_of_sentence_date": D(2026, 4, 20)},
        {"referral_ref": "X3", "intervention_to_be_completed_by": D(2026, 5, 1)},  # next month
        {"referral_ref": "X4", "end_of_sentence_date": D(2026, 4, 9)},  # the as-of date: not after it
        {"referral_ref": "X5", "end_of_sentence_date": D(2026, 4, 10), "concluded_on": D(2026, 4, 2)},  # ended
        {"referral_ref": "X6", "end_of_sentence_date": D(2026, 4, 10), "first_session_on": D(2026, 4, 10)},
    ])
    due = due_to_end(frame, AS_OF)
    assert list(due["referral_ref"]) == ["X1", "X2", "X6"]
    assert list(due["attended"]) == [True, False, False]  # X6's session is after the as-of date


def test_sl002_projection_hand_worked():
    # So far: a = 12 of 17 counted; due: 10, 5 with a session; recent rate 27 / 37.
    p = sl002_projection(a=12, counted=17, due=10, due_attended=5, recent_rate=100 * 27 / 37,
                         month_start=D(2026, 4, 1), as_of=AS_OF)
    assert p.so_far == pytest.approx(100 * 12 / 17)  # 70.6%
    assert p.high == pytest.approx(100 * 22 / 27)  # 81.5%
    assert p.low == pytest.approx(100 * 17 / 27)  # 63.0%
    assert p.central == pytest.approx(100 * (17 + 5 * 27 / 37) / 27)  # 76.5%
    assert round(p.central, 1) == 76.5


def test_sl002_projection_no_data():
    p = sl002_projection(a=0, counted=0, due=0, due_attended=0, recent_rate=None, month_start=D(2026, 4, 1), as_of=AS_OF)
    assert (p.low, p.central, p.high, p.so_far) == (None, None, None, None)
    # Due referrals without a session and no recent rate: a range but no central estimate.
    p = sl002_projection(a=0, counted=0, due=3, due_attended=1, recent_rate=None, month_start=D(2026, 4, 1), as_of=AS_OF)
    assert p.central is None and p.low == pytest.approx(100 / 3) and p.high == 100
    # Every due referral already attended: the central estimate is certain.
    p = sl002_projection(a=1, counted=2, due=2, due_attended=2, recent_rate=None, month_start=D(2026, 4, 1), as_of=AS_OF)
    assert p.central == p.low == p.high == 75



def test_projection_is_withheld_when_it_rests_on_a_small_count():
    from metrics.cases_due import projection_withheld

    def withheld(**counts):
        p = sl002_projection(recent_rate=80.0, month_start=D(2026, 4, 1), as_of=AS_OF, **counts)
        return projection_withheld(p, threshold=5, minimum_denominator=10)

    assert not withheld(a=12, counted=17, due=10, due_attended=5)  # 12, 5, 5, 5: none 1–4
    # 3 due without a session: (high − low) × 33 cases = 3 would follow.
    assert withheld(a=20, counted=25, due=8, due_attended=5)
    assert withheld(a=12, counted=15, due=10, due_attended=5)  # 3 not positive so far
    assert not withheld(a=20, counted=25, due=0, due_attended=0)  # nothing due: zeros are shown
    assert withheld(a=5, counted=5, due=0, due_attended=0)  # 5 cases in all: under 10


def test_a_clock_before_the_working_day_calendar_is_not_listed_rather_than_failing():
    result = breach_list(referrals([{"referral_ref": "OLD", "hub_id": 1, "received_on": D(2014, 12, 1)}]), None,
                         as_of=AS_OF, lookback_working_days=None)
    assert result.cases.empty
