"""AppTest for the Cases due page on a small database whose every case is known.

The demo's organisations, hubs and users are kept; its referrals are replaced by the crafted
cases below. As-of date: Thursday 9 April 2026 (Good Friday 3 April and Easter Monday 6 April
are bank holidays; so is Monday 4 May). The case list and the SL002 projection are worked by
hand in the comments (the same cases as tests/unit/test_cases_due.py, plus the referrals that
end in March and April for SL002).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from sqlalchemy import delete, select
from streamlit.testing.v1 import AppTest

from data_access.db import make_engine, session_scope
from data_access.demo import seed_demo
from data_access.kpi_summary import refresh_kpi_summary
from data_access.models import (Appointment, Contract, Hub, KpiDailyCount, NeedScore, OnwardReferral, RecordEvent,
                                Referral, ReferralNeed, ReferralOutcome)
from data_access.settings import PROJECT_ROOT
from data_access.setup import initialise
from tests.app.conftest import forget_failed_sign_ins, mark_signed_in

D = dt.date
PAGE = str(PROJECT_ROOT / "app_pages/cases_due.py")
DISENGAGED = "Service user has been disengaged"  # SL002 negative (DIS)
MOVED = "Service user has moved out of service area"  # SL002 neutral (MOV)
ON_TIME = {"received_on": D(2026, 1, 5), "saa_first_attended_on": D(2026, 1, 6),
           "action_plan_submitted_on": D(2026, 1, 7), "distance_tool_completed_on": D(2026, 1, 7)}


def _cases() -> list[dict]:
    """(provider, hub) are filled in by the fixture: "own" = the demo provider's Bolton hub."""
    own = [
        {"referral_ref": "A", "received_on": D(2026, 3, 31)},  # DS2 due Thu 16 Apr: 5 left
        {"referral_ref": "B", "received_on": D(2026, 3, 16), "hub": "Bury"},  # DS2 due 30 Mar: 6 past
        {"referral_ref": "C", "received_on": D(2026, 3, 31), "saa_first_not_attended_on": D(2026, 4, 2)},  # mitigated
        {"referral_ref": "D", "received_on": D(2026, 3, 20), "saa_first_attended_on": D(2026, 4, 1)},  # DS3 1, DS4 6
        {"referral_ref": "E", "received_on": D(2026, 3, 2), "saa_first_attended_on": D(2026, 3, 5),
         "action_plan_submitted_on": D(2026, 3, 6), "distance_tool_completed_on": D(2026, 3, 6),
         "action_plan_approved_on": D(2026, 3, 26),  # KP6 due Mon 13 Apr: 2 left
         "intervention_to_be_completed_by": D(2026, 5, 7)},  # completion: 19 left (4 May a bank holiday)
        {"referral_ref": "F", **ON_TIME, "action_plan_approved_on": D(2026, 1, 8), "first_session_on": D(2026, 1, 12),
         "concluded_on": D(2026, 4, 8), "referral_end_state": "completed"},  # KP5 due today; SL002 positive
        {"referral_ref": "Z", "received_on": D(2026, 4, 9)},  # the as-of date; DS2 due 23 Apr: 10 left
        # DS2 due Mon 16 Feb: past it by 36 working days (17 Feb to 9 Apr less Good Friday and Easter
        # Monday), beyond the default look-back of 20.
        {"referral_ref": "Y", "received_on": D(2026, 2, 2)},
    ]
    # SL002, April so far (Bolton): 11 more positive (12 with F), 5 negative, 2 neutral: a = 12, b − c = 17.
    for i in range(11):
        own.append({"referral_ref": f"AP{i:02}", **ON_TIME, "action_plan_approved_on": D(2026, 1, 8),
                    "first_session_on": D(2026, 1, 12), "concluded_on": D(2026, 4, 7), "exit_survey_offered_on": D(2026, 4, 7),
                    "referral_end_state": "completed"})
    for i in range(5):
        own.append({"referral_ref": f"AN{i:02}", **ON_TIME, "action_plan_approved_on": D(2026, 1, 8),
                    "concluded_on": D(2026, 4, 7), "exit_survey_offered_on": D(2026, 4, 7), "referral_end_state": "ended",
                    "end_requested_by_pp_reason": DISENGAGED})
    for i in range(2):
        own.append({"referral_ref": f"AU{i:02}", **ON_TIME, "concluded_on": D(2026, 4, 7),
                    "exit_survey_offered_on": D(2026, 4, 7), "referral_end_state": "ended",
                    "end_requested_by_pp_reason": MOVED})
    # March (Bury): 15 positive, 5 negative. Recent rate = (15 + 12) / (20 + 17) = 27 / 37.
    for i in range(20):
        positive = i < 15
        own.append({"referral_ref": f"M{i:02}", **ON_TIME, "hub": "Bury", "action_plan_approved_on": D(2026, 1, 8),
                    "first_session_on": D(2026, 1, 12) if positive else None, "concluded_on": D(2026, 3, 10),
                    "exit_survey_offered_on": D(2026, 3, 10), "referral_end_state": "completed" if positive else "ended",
                    "end_requested_by_pp_reason": None if positive else DISENGAGED})
    # Due to end in April (their sentences end 20 Apr): 5 with a session attended, 5 without.
    for i in range(10):
        attended = i < 5
        own.append({"referral_ref": f"DU{i:02}", **ON_TIME, "end_of_sentence_date": D(2026, 4, 20),
                    "action_plan_approved_on": D(2026, 1, 8) if attended else None,
                    "first_session_on": D(2026, 1, 12) if attended else None})
    other = [{"referral_ref": "O", "received_on": D(2026, 3, 31)}]  # another provider's: DS2, 5 left
    return [dict(c, owner="own") for c in own] + [dict(c, owner="other") for c in other]


EVENTS = [("A", "contact", D(2026, 4, 2), None, None),  # KP1 due Tue 7 Apr (Easter between): 2 past
          ("D", "attendance", D(2026, 4, 8), D(2026, 4, 8), False)]  # KP3 not shared: due today

#: The provider's list, most urgent first: (measure, reference, deadline, working days left).
EXPECTED = [
    ("DS2", "B", "2026-03-30", -6), ("KP1", "A", "2026-04-07", -2), ("KP5", "F", "2026-04-09", 0),
    ("KP3", "D", "2026-04-09", 0), ("DS3", "D", "2026-04-10", 1), ("KP6", "E", "2026-04-13", 2),
    ("DS2", "A", "2026-04-16", 5), ("DS4", "D", "2026-04-17", 6), ("DS2", "Z", "2026-04-23", 10),
    ("R&M completion", "E", "2026-05-07", 19),
]


def build_crafted_database(url: str) -> None:
    """The demo's organisations, hubs and users with the crafted cases in place of its referrals
    (``python -c "from tests.app.test_cases_due import build_crafted_database as b; b('sqlite:///x.db')"``
    builds one to look at)."""
    engine = make_engine(url)
    initialise(engine)
    seed_demo(engine, referrals=40)
    with session_scope(engine) as session:
        for model in (Appointment, NeedScore, ReferralNeed, RecordEvent, ReferralOutcome, OnwardReferral,
                      KpiDailyCount, Referral):
            session.execute(delete(model))
        hubs = {name.split()[0]: (hub_id, borough) for hub_id, name, borough in
                session.execute(select(Hub.id, Hub.name, Hub.borough_id)).all()}
        contracts = {ref: (cid, pid) for cid, ref, pid in session.execute(select(Contract.id, Contract.reference,
                                                                                 Contract.provider_id)).all()}
        for case in _cases():
            case = dict(case)
            owner, hub = case.pop("owner"), case.pop("hub", "Bolton" if case["referral_ref"] != "O" else "Manchester")
            contract_id, provider_id = contracts["GMIRS-WSS-LOT1" if owner == "own" else "GMIRS-WSS-LOT2"]
            hub_id, borough_id = hubs[hub]
            session.add(Referral(**case, contract_id=contract_id, provider_id=provider_id, hub_id=hub_id,
                                 borough_id=borough_id, source="demo"))
        session.flush()
        pks = dict(session.execute(select(Referral.referral_ref, Referral.id)).all())
        for ref, kind, occurred, recorded, shared in EVENTS:
            session.add(RecordEvent(referral_pk=pks[ref], kind=kind, occurred_on=occurred, recorded_on=recorded,
                                    shared=shared))
    refresh_kpi_summary(engine)
    engine.dispose()


@pytest.fixture(scope="module")
def crafted_db_url(tmp_path_factory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('casesdue') / 'crafted.db'}"
    build_crafted_database(url)
    return url


@pytest.fixture()
def crafted(crafted_db_url, monkeypatch) -> str:
    monkeypatch.setenv("DASHBOARD_DATABASE_URL", crafted_db_url)
    monkeypatch.setenv("DASHBOARD_SEED_DEMO", "0")
    monkeypatch.delenv("DASHBOARD_COOKIE_KEY", raising=False)
    forget_failed_sign_ins(crafted_db_url)
    return crafted_db_url


def open_cases_due(username: str, lookback: str | None = None) -> AppTest:
    at = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=120)
    mark_signed_in(at, username)
    at.run()
    at.switch_page(PAGE)
    at.run()
    if lookback is not None:
        at.selectbox(key="cases_due_lookback").select(lookback).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def frame_with(at: AppTest, column: str) -> pd.DataFrame:
    return next(d.value for d in at.dataframe if column in d.value.columns)


def text_of(at: AppTest) -> str:
    parts = [e.value for e in at.title] + [e.value for e in at.subheader] + [e.value for e in at.caption]
    return "\n".join(str(p) for p in parts + [str(e.value) for e in at.info])


def test_provider_sees_every_deadline_measure_with_working_days_left(crafted):
    at = open_cases_due("provider")
    shown = frame_with(at, "working_days_left")
    got = [(r.measure, r.referral_ref, str(r.deadline), int(r.working_days_left)) for r in shown.itertuples()]
    assert got == EXPECTED  # C (mitigated) is not listed; O is another provider's
    assert "O" not in set(shown["referral_ref"])
    assert shown.iloc[0]["status"] == "past deadline (6 working days ago)"
    assert shown.iloc[0]["hub"] == "Bury Wellbeing Hub"
    assert set(shown["measure"]) >= {"DS2", "DS3", "DS4", "KP1", "KP3", "KP5", "KP6", "R&M completion"}
    text = text_of(at)
    assert "10 open cases waiting on a deadline: 2 past it, 2 due today; most urgent: DS2, past deadline (6 working days ago)" in text
    assert "Data as of 09 April 2026" in text
    download = next(b for b in at.get("download_button") if b.proto.label == "Download the case list (CSV)")
    assert download is not None
    assert "the provider's own cases" in text


def test_past_deadline_cases_beyond_the_look_back_are_counted_then_listed_on_request(crafted):
    at = open_cases_due("provider")
    assert "Y" not in set(frame_with(at, "working_days_left")["referral_ref"])
    assert "1 older one not listed (choose a longer look-back)" in text_of(at)
    at = open_cases_due("provider", lookback="all")
    assert at.query_params["overdue"] in ("all", ["all"])  # the address holds a code, not the label
    shown = frame_with(at, "working_days_left")
    assert len(shown) == len(EXPECTED) + 1
    first = shown.iloc[0]
    assert (first["referral_ref"], str(first["deadline"]), int(first["working_days_left"]), first["status"]) == (
        "Y", "2026-02-16", -36, "past deadline (36 working days ago)")


def test_commissioner_sees_every_provider_s_cases(crafted):
    at = open_cases_due("commissioner")
    shown = frame_with(at, "working_days_left")
    assert "O" in set(shown["referral_ref"])
    row = shown[shown["referral_ref"] == "O"].iloc[0]
    assert (row["measure"], str(row["deadline"]), int(row["working_days_left"])) == ("DS2", "2026-04-16", 5)
    assert "every provider's cases" in text_of(at)


def test_sl002_projection_central_value_and_range(crafted):
    at = open_cases_due("provider")
    table = frame_with(at, "figure").set_index("figure")
    values = list(table["value"])
    # So far 12 / 17 = 70.6%; due 10 (5 attended); highest 22 / 27 = 81.5%; lowest 17 / 27 = 63.0%;
    # central (17 + 5 × 27/37) / 27 = 76.5%; recent 27 / 37 = 73.0%.
    assert values == ["70.6%", "", "76.5%", "63.0%", "81.5%", "73.0%"]
    assert list(table["cases"])[:2] == ["17", "10"]
    assert "SL002 for April 2026 is heading for 76.5% (range 63.0% to 81.5%" in text_of(at)


def test_measures_by_hub_for_the_provider(crafted):
    at = open_cases_due("provider")
    table = frame_with(at, "SL002").set_index("hub")
    assert list(table.columns) == ["DS1", "DS2", "DS3", "DS4", "DS5", "KP1", "KP2", "KP3", "KP4", "KP5", "KP6", "SL002"]
    # Only the provider's own hubs (lot 1: Bolton, Bury, Oldham, Rochdale, Wigan), never Manchester's.
    assert set(table.index) == {"Bolton Wellbeing Hub", "Bury Wellbeing Hub", "Oldham Wellbeing Hub",
                                "Rochdale Wellbeing Hub", "Wigan Wellbeing Hub"}
    # The quarter April–June 2026: SL002 in Bolton = 12 of 17 (5 negative); Bury none ended.
    assert table.loc["Bolton Wellbeing Hub", "SL002"] == "70.6% (12/17)"
    assert table.loc["Bury Wellbeing Hub", "SL002"].startswith("no data")
    # KP5 in Bolton: 19 ended in April: 11 positive, 5 negative and 2 neutral offered the survey on the
    # day (18), and F, not offered and not yet due (its deadline is the as-of date), so not counted: 18 / 18.
    assert table.loc["Bolton Wellbeing Hub", "KP5"] == "100.0% (18/18)"
