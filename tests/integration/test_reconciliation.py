"""Reconciliation of the case extract against Refer and Monitor, with crafted disagreements.

Refer and Monitor (the R&M fixture, imported first) holds:
  GM0000001 ORG-NWP: received 2024-06-30T23:30Z (London 1 July), assessment attended
            2024-07-03T10:05Z (3 July), first session 2024-07-10, completed 2024-10-01;
  GM0000002 ORG-NWP: received 1 April 2024, no assessment or session, ended 2024-04-20;
  GM0000003 ORG-NEW: received 15 January 2024, assessment 18 January, open.
The case extract (below) holds GM0000001 with its assessment on 4 July (one day later than
R&M), its first session on 10 July (agrees) and exit "Completed" (agrees, case ignored);
GM0000002 with exit "completed" (R&M says ended); GM9999999, which R&M does not hold; and
nothing for GM0000003. So, by hand:
  in the case extract only: GM9999999; in R&M only: GM0000003;
  assessment date: GM0000001 (R&M 2024-07-03, case extract 2024-07-04);
  end state: GM0000002 (R&M ended, case extract exit recorded (completed)).
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from data_access.importers.case_extract import import_case_extract
from data_access.importers.ram import import_ram_performance
from data_access.models import Provider
from data_access.scoping import AccessScope, analyst_scope, referrals_select
from metrics import panels
from metrics.periods import Period
from metrics.reconciliation import KINDS, counts_by_kind, disagreements
from tests.integration.test_import_case_epop import RAM_FIXTURE, to_csv

EXTRACT = [
    {"record_type": "referral", "referral_ref": "GM0000001", "borough": "Manchester"},
    {"record_type": "appointment", "referral_ref": "GM0000001", "event_kind": "assessment",
     "date": "2024-07-04T10:00:00+01:00", "attended": "YES"},
    {"record_type": "appointment", "referral_ref": "GM0000001", "event_kind": "delivery",
     "date": "10/07/2024 11:00", "attended": "LATE"},
    {"record_type": "exit", "referral_ref": "GM0000001", "exit_reason": "Completed", "date": "2024-10-01"},
    {"record_type": "referral", "referral_ref": "GM0000002", "borough": "Bolton"},
    {"record_type": "exit", "referral_ref": "GM0000002", "exit_reason": "completed", "date": "2024-04-22"},
    {"record_type": "referral", "referral_ref": "GM9999999", "borough": "Bury"},
]

EVERYONE = [
    ("case_extract_only", "GM9999999", "not held", "held"),
    ("ram_only", "GM0000003", "held", "not held"),
    ("assessment_date", "GM0000001", "2024-07-03", "2024-07-04"),
    ("end_state", "GM0000002", "ended", "exit recorded (completed)"),
]


@pytest.fixture()
def both(reference_engine):
    assert import_ram_performance(reference_engine, RAM_FIXTURE).written
    result = import_case_extract(reference_engine, to_csv(EXTRACT))
    assert result.written, [p.as_text() for p in result.problems.sorted()]
    with reference_engine.connect() as conn:
        ids = dict(conn.execute(select(Provider.organisation_code, Provider.id)).all())
    return reference_engine, ids


def listed(listing):
    return [(r.kind, r.referral_ref, r.refer_and_monitor, r.case_extract) for r in listing.itertuples()]


def test_every_kind_of_disagreement_is_found_for_the_whole_view(both):
    engine, _ = both
    with engine.connect() as db:
        listing, compared = disagreements(db, referrals_select(analyst_scope()))
    assert listed(listing) == EVERYONE
    assert listing.loc[listing["referral_ref"] == "GM9999999", "referral_id"].isna().all()
    assert counts_by_kind(listing)["referrals"].tolist() == [1, 1, 1, 0, 1, 0, 0]
    assert compared == {"referrals": 4, "in_both": 2, "ram_only": 1, "case_extract_only": 1,
                        "exit_reasons_not_compared": 0}


def test_a_provider_sees_only_its_own_referrals(both):
    engine, ids = both
    scope = AccessScope(username="nwp", role="provider", provider_id=ids["ORG-NWP"])
    with engine.connect() as db:
        listing, _ = disagreements(db, referrals_select(scope))
    assert listed(listing) == [EVERYONE[2], EVERYONE[3]]  # not GM0000003 (ORG-NEW) nor the unattributed GM9999999


def test_session_dates_appointments_after_the_end_and_free_text_exit_reasons(both):
    engine, _ = both
    # GM0000002: a delivery session attended 25 April (R&M: no session, ended 20 April), and its
    # exit reason now in words R&M does not use (so its end state is not compared).
    more = [{"record_type": "appointment", "referral_ref": "GM0000002", "event_kind": "delivery",
             "date": "2024-04-25T10:00:00+01:00", "attended": "YES"},
            {"record_type": "exit", "referral_ref": "GM0000002", "exit_reason": "Moved away", "date": "2024-04-22"}]
    assert import_case_extract(engine, to_csv(more)).written
    with engine.connect() as db:
        listing, compared = disagreements(db, referrals_select(analyst_scope()))
    assert listed(listing) == [
        EVERYONE[0], EVERYONE[1], EVERYONE[2],
        ("session_date", "GM0000002", "not recorded", "2024-04-25"),
        ("after_end", "GM0000002", "ended 2024-04-20", "attended 2024-04-25"),
    ]
    assert compared["exit_reasons_not_compared"] == 1


def test_the_panel_lists_for_case_list_roles_and_only_suppressed_counts_otherwise(both):
    engine, _ = both
    period = Period("month", dt.date(2024, 7, 1), dt.date(2024, 7, 31), "July 2024")
    with engine.connect() as db:
        inputs = panels.PanelInputs(referrals=referrals_select(analyst_scope()), period=period,
                                    as_of=dt.date(2024, 10, 1), sees_case_ids=True)
        shown = panels.reconciliation(db, inputs)
        hidden = panels.reconciliation(db, panels.PanelInputs(**{**inputs.__dict__, "sees_case_ids": False}))
    assert shown.title == "4 referrals where the case extract and Refer and Monitor disagree"
    assert shown.data["disagreement"].tolist() == [KINDS[k] for k, *_ in EVERYONE]
    assert list(shown.data.columns) == ["referral_ref", "disagreement", "refer_and_monitor", "case_extract"]
    assert hidden.data.empty and set(hidden.extra["counts"]["referrals"]) == {"[c]", "0"}
