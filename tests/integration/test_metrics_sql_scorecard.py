"""The SQL scorecard (metrics.queries) equals the reference rules (metrics.kpis) on demo data.

Two independent implementations: GROUP BY queries over the working-day calendar table, and
numpy over every in-scope row fetched into a frame. They must agree on every field of every
result (numerator, denominator, mitigated, excluded, not yet due, SL002's a/b/c, notes and
drill-down case ids) for several periods, as-of dates and scopes, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import select

from data_access.calendar import CALENDAR_FIRST_DAY, CALENDAR_LAST_DAY, calendar_rows
from data_access.db import session_scope
from data_access.models import Borough, Provider, RecordEvent, Referral
from data_access.scoping import AccessScope, ReferralFilters, analyst_scope, referrals_select
from data_access.setup import initialise
from domain.catalogue import KPI_CATALOGUE
from domain.dates import working_day_deadline
from metrics.kpis import REFERRAL_COLUMNS, scorecard_from_frames
from metrics.queries import calendar_covers, monthly_series, scorecard

D = dt.date


def test_integer_deadline_rule_matches_busday_offset_on_every_day():
    """p(event) < c(D) + N  ⟺  event ≤ busday_offset(D, N, roll="backward"), 2015–2035.

    p is non-decreasing, so checking the deadline itself (p < c(D) + N) and the day after it
    (p ≥ c(D) + N) proves the equivalence for every event date.
    """
    rows = calendar_rows()
    days = np.array([r[0] for r in rows], dtype="datetime64[D]")
    to_date = np.array([r[2] for r in rows])
    before = np.array([r[3] for r in rows])
    index = {day: i for i, day in enumerate(days)}
    for n in (1, 5, 10):
        inside = days <= np.datetime64(CALENDAR_LAST_DAY) - np.timedelta64(30, "D")
        deadline = working_day_deadline(days[inside], n)
        at = np.array([index[d] for d in deadline])
        bound = to_date[inside] + n
        assert (before[at] < bound).all()
        assert (before[at + 1] >= bound).all()
        # And the day the SQL looks up (working, with c = c(D) + N) is that deadline.
        working = np.array([r[1] for r in rows])
        lookup = {c: day for day, c, w in zip(days, to_date, working) if w}
        assert all(lookup[b] == d for b, d in zip(bound, deadline))
    assert days[0] == np.datetime64(CALENDAR_FIRST_DAY)


@pytest.fixture(scope="module")
def demo_engine(migrated_engine):
    from data_access.demo import seed_demo
    from tests.conftest import empty_all_tables

    empty_all_tables(migrated_engine)
    initialise(migrated_engine)
    seed_demo(migrated_engine, referrals=5000)
    yield migrated_engine
    empty_all_tables(migrated_engine)


def _reference(conn, referrals, *, start, end, as_of, include_case_ids):
    """Every in-scope referral and its record events as frames, through metrics.kpis."""
    c = Referral.__table__.c
    rows = conn.execute(referrals.with_only_columns(*(c[name] for name in REFERRAL_COLUMNS))).all()
    cases = pd.DataFrame([tuple(r) for r in rows], columns=list(REFERRAL_COLUMNS))
    e = RecordEvent.__table__.c
    events = conn.execute(
        referrals.with_only_columns(c.referral_ref, e.kind, e.occurred_on, e.recorded_on, e.shared)
        .join(RecordEvent.__table__, e.referral_pk == c.id)
        .where(e.occurred_on.between(start, end))
    ).all()
    events = pd.DataFrame([tuple(r) for r in events],
                          columns=["referral_ref", "kind", "occurred_on", "recorded_on", "shared"])
    return scorecard_from_frames(
        cases, start=start, end=end, as_of=as_of, definitions=KPI_CATALOGUE,
        record_events=events if len(events) else None, include_case_ids=include_case_ids,
    )


def _scopes(conn):
    borough = conn.execute(select(Borough.id).order_by(Borough.name)).scalars().first()
    provider = conn.execute(select(Provider.id).order_by(Provider.id)).scalars().first()
    return {
        "all": referrals_select(analyst_scope()),
        "borough": referrals_select(analyst_scope(), ReferralFilters(borough_id=borough)),
        "provider high complexity": referrals_select(
            AccessScope("p", "provider", provider_id=provider), ReferralFilters(complexity="HIGH")
        ),
    }


PERIODS = [
    (D(2024, 4, 1), D(2024, 6, 30)),  # a quarter
    (D(2024, 12, 1), D(2024, 12, 31)),  # Christmas month
    (D(2023, 9, 1), D(2024, 3, 31)),  # first contract year, service start
]


@pytest.mark.parametrize("start,end", PERIODS)
def test_sql_scorecard_equals_reference(demo_engine, start, end):
    with demo_engine.connect() as conn:
        assert calendar_covers(conn, start, end)
        for name, referrals in _scopes(conn).items():
            for as_of in (end + dt.timedelta(days=3), end + dt.timedelta(days=60), start + dt.timedelta(days=20)):
                for ids in (False, True):
                    got = scorecard(conn, referrals, start=start, end=end, as_of=as_of,
                                    definitions=KPI_CATALOGUE, forecast=False, include_case_ids=ids).kpis
                    want = _reference(conn, referrals, start=start, end=end, as_of=as_of, include_case_ids=ids)
                    assert [r.code for r in got] == [r.code for r in want], (name, as_of)
                    for g, w in zip(got, want):
                        assert g == w, (name, as_of, ids, g.code)


def test_sql_monthly_series_equals_reference_binning(demo_engine):
    start, end, as_of = D(2023, 9, 4), D(2024, 8, 31), D(2024, 9, 15)
    with demo_engine.connect() as conn:
        for referrals in _scopes(conn).values():
            series = monthly_series(conn, referrals, start=start, end=end, as_of=as_of, definitions=KPI_CATALOGUE)
            for month in (D(2023, 12, 1), D(2024, 3, 1), D(2024, 8, 1)):
                last = (pd.Timestamp(month) + pd.offsets.MonthEnd(0)).date()
                want = _reference(conn, referrals, start=month, end=last, as_of=as_of, include_case_ids=False)
                for result in want:
                    row = series[result.code].set_index("month").loc[month]
                    assert (row.numerator, row.denominator) == (result.numerator, result.denominator), result.code


def test_calendar_refresh_propagates_and_is_idempotent(demo_engine):
    from data_access.calendar import refresh_calendar
    from data_access.models import CalendarDay

    with session_scope(demo_engine) as session:
        assert refresh_calendar(session) == 0
        # Damage a row (as if the holiday calendar had changed): the refresh puts it back.
        row = session.get(CalendarDay, D(2024, 12, 25))
        row.is_working, row.working_days_to_date = True, row.working_days_to_date + 1
    with session_scope(demo_engine) as session:
        assert refresh_calendar(session) == 1
        assert session.get(CalendarDay, D(2024, 12, 25)).is_working is False
