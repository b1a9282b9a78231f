"""Each measure is declared once, in ``domain.catalogue``: a change to its entry changes the
live SQL, the stored per-day summary and the pandas specification alike.

Hand-worked (DS3, "action plan within N working days of the first attended assessment"):
two referrals assessed on Monday 1 July 2024, action plans submitted on Monday 8 July (the
5th working day after) and Tuesday 9 July (the 6th), both ended on 31 July (after either
deadline, so neither is excluded). With the catalogue's 5 working days one of two is met
(50%); declare 6 and both are (100%). No bank holiday falls in that fortnight.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd
import pytest

from data_access import kpi_summary
from data_access.db import session_scope
from data_access.models import Referral
from data_access.scoping import analyst_scope, referrals_select
from data_access.setup import initialise
from domain import catalogue
from metrics import queries
from metrics.kpis import scorecard_from_frames

D = dt.date
ROWS = [
    dict(referral_ref="A", received_on=D(2024, 6, 24), saa_first_attended_on=D(2024, 7, 1),
         action_plan_submitted_on=D(2024, 7, 8), concluded_on=D(2024, 7, 31)),
    dict(referral_ref="B", received_on=D(2024, 6, 24), saa_first_attended_on=D(2024, 7, 1),
         action_plan_submitted_on=D(2024, 7, 9), concluded_on=D(2024, 7, 31)),
]
START, END, AS_OF = D(2024, 7, 1), D(2024, 7, 31), D(2024, 9, 30)


def _declare_ds3(monkeypatch, working_days: int) -> None:
    """Change DS3's catalogue entry, as an edit to domain/catalogue.py would."""
    entries = tuple(
        dataclasses.replace(k, measure=dataclasses.replace(k.measure, working_days=working_days))
        if k.code == "DS3" else k
        for k in catalogue.KPI_CATALOGUE
    )
    monkeypatch.setattr(catalogue, "KPI_CATALOGUE", entries)
    monkeypatch.setattr(catalogue, "_BY_CODE", {k.code: k for k in entries})
    kpi_summary.rules_fingerprint.cache_clear()


def _ds3_three_ways(engine, monkeypatch) -> list[tuple[int, int]]:
    """DS3's (numerator, denominator) from the live SQL, the stored summary and pandas."""
    referrals = referrals_select(analyst_scope())
    kpi_summary.refresh_kpi_summary(engine)
    reads = []
    real_read = queries.read_summary
    monkeypatch.setattr(queries, "read_summary", lambda *a, **k: reads.append(1) or real_read(*a, **k))
    with engine.connect() as conn:
        live = queries.scorecard(conn, referrals, start=START, end=END, as_of=AS_OF, forecast=False,
                                 codes=["DS3"], use_summary=False).kpi("DS3")
        stored = queries.scorecard(conn, referrals, start=START, end=END, forecast=False,
                                   codes=["DS3"]).kpi("DS3")
    assert reads, "the stored summary answered the second query"
    (spec,) = scorecard_from_frames(pd.DataFrame(ROWS), start=START, end=END, as_of=AS_OF,
                                    definitions=catalogue.KPI_CATALOGUE, codes=["DS3"])
    return [(r.numerator, r.denominator) for r in (live, stored, spec)]


@pytest.fixture()
def ds3_engine(engine):
    initialise(engine)
    with session_scope(engine) as session:
        for i, row in enumerate(ROWS):
            session.add(Referral(referral_id=f"ds3-{i}", source="test", **row))
    yield engine
    kpi_summary.rules_fingerprint.cache_clear()


def test_a_measure_changed_in_the_catalogue_changes_sql_summary_and_specification(ds3_engine, monkeypatch):
    # The stored summary is built for the latest data date (31 July), when both are due.
    assert _ds3_three_ways(ds3_engine, monkeypatch) == [(1, 2)] * 3
    before = kpi_summary.rules_fingerprint()
    _declare_ds3(monkeypatch, 6)
    assert kpi_summary.rules_fingerprint() != before, "a changed measure outdates the stored summary"
    assert _ds3_three_ways(ds3_engine, monkeypatch) == [(2, 2)] * 3


def test_every_measure_names_columns_that_exist():
    referral = set(Referral.__table__.c.keys())
    for entry in catalogue.KPI_CATALOGUE:
        m = entry.measure
        assert m is not None, entry.code
        if m.kind == "record_event":
            assert (m.clock, m.event) == ("occurred_on", "recorded_on") and m.event_kind, entry.code
            continue
        named = [m.clock, m.event, m.mitigation, m.cohort_filter.column if m.cohort_filter else None]
        assert {c for c in named if c} <= referral, entry.code
        if m.kind == "deadline":
            assert m.working_days and m.event, entry.code
