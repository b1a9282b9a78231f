"""The stored per-day summary (kpi_daily_counts) gives exactly the live SQL and reference answers.

Three computations must agree on every field of every result: the scorecard from the summary,
the scorecard from the live grouped queries (``use_summary=False``) and the reference rules
(``metrics.kpis.scorecard_from_frames`` over every in-scope row), for several periods, scopes
and filters, on SQLite and PostgreSQL. A summary that is stale, built for another as-of date,
or asked about a filter it has no dimension for is not used, and the answer is still right.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from sqlalchemy import delete, func, insert, select, update

from data_access.calendar import refresh_calendar
from data_access.db import session_scope
from data_access.kpi_summary import refresh_kpi_summary
from data_access.models import (
    Borough,
    CalendarDay,
    Contract,
    DemandUnit,
    Hub,
    ImportBatch,
    KpiDailyCount,
    Provider,
    Referral,
)
from data_access.scoping import AccessScope, ReferralFilters, analyst_scope, referrals_select
from data_access.setup import initialise
from metrics import queries
from domain.catalogue import KPI_CATALOGUE
from metrics.queries import _as_of_and_summary, latest_data_date, monthly_series, scorecard
from metrics.summary import summary_condition, summary_state
from geo.pdu_sets import DEFAULT_GM_PDU_CHANGE_DATE, dated_pdu_numbers
from tests.integration.test_metrics_sql_scorecard import _reference

D = dt.date


@pytest.fixture(scope="module")
def summary_engine(migrated_engine):
    from data_access.demo import seed_demo
    from tests.conftest import empty_all_tables

    empty_all_tables(migrated_engine)
    initialise(migrated_engine)
    seed_demo(migrated_engine, referrals=5000)  # ends by refreshing the summary
    yield migrated_engine
    empty_all_tables(migrated_engine)


def _first(conn, column, *where):
    return conn.execute(select(column).where(*where).order_by(column)).scalars().first()


def _selections(conn) -> dict:
    """Scopes and sidebar filters, each of which maps onto the summary's dimensions."""
    borough = _first(conn, Borough.id)
    provider = _first(conn, Provider.id)
    contract = _first(conn, Contract.id)
    hub = _first(conn, Hub.id)
    # A PDU whose boroughs never changed: the summary answers it (one that changed is placed
    # by referral date and answered live: test_a_pdu_that_changed_is_answered_live).
    pdu_number = conn.execute(
        select(DemandUnit.pdu_number).where(DemandUnit.id.in_(select(Referral.demand_unit_id)),
                                            DemandUnit.pdu_number.not_in(sorted(dated_pdu_numbers())))
        .order_by(DemandUnit.pdu_number)
    ).scalars().first()
    return {
        "all": referrals_select(analyst_scope()),
        "region GM": referrals_select(analyst_scope(), ReferralFilters(region_code="J")),
        "region elsewhere": referrals_select(analyst_scope(), ReferralFilters(region_code="B")),
        "pdu": referrals_select(analyst_scope(), ReferralFilters(pdu_number=pdu_number)),
        "borough": referrals_select(analyst_scope(), ReferralFilters(borough_id=borough)),
        "hub": referrals_select(analyst_scope(), ReferralFilters(hub_id=hub)),
        "contract": referrals_select(analyst_scope(), ReferralFilters(contract_id=contract)),
        "provider scope, high complexity": referrals_select(
            AccessScope("p", "provider", provider_id=provider), ReferralFilters(complexity="HIGH")
        ),
        "no access": referrals_select(AccessScope("x", "epop_spoc")),
    }


def _periods(as_of: dt.date):
    return [
        (D(2024, 4, 1), D(2024, 6, 30)),  # a quarter
        (D(2024, 12, 1), D(2024, 12, 31)),  # Christmas month
        (D(2023, 9, 1), D(2024, 3, 31)),  # first contract year, service start
        (D(2026, 1, 1), as_of),  # up to the as-of date: cases not yet due
    ]


def _assert_same(got, want, label):
    assert [r.code for r in got] == [r.code for r in want], label
    for g, w in zip(got, want):
        assert g == w, (label, g.code)


def test_seed_builds_a_current_summary_for_the_latest_data_date(summary_engine):
    with summary_engine.connect() as conn:
        state = summary_state(conn)
        assert state is not None and state.rows > 0
        assert state.as_of == latest_data_date(conn, referrals_select(analyst_scope()))
        assert conn.execute(select(func.count()).select_from(KpiDailyCount)).scalar_one() == state.rows
        assert _as_of_and_summary(conn, referrals_select(analyst_scope()), None)[1] is not None


def test_summary_scorecard_equals_live_and_reference(summary_engine, monkeypatch):
    reads = []
    read_summary = queries.read_summary

    def counted_read(*args, **kwargs):
        reads.append(1)
        return read_summary(*args, **kwargs)

    monkeypatch.setattr(queries, "read_summary", counted_read)
    with summary_engine.connect() as conn:
        as_of = summary_state(conn).as_of
        for name, referrals in _selections(conn).items():
            assert summary_condition(referrals)[0], name
            for start, end in _periods(as_of):
                for ids in (False, True):
                    before = len(reads)
                    kw = dict(start=start, end=end, as_of=as_of, definitions=KPI_CATALOGUE, forecast=False,
                              include_case_ids=ids)
                    from_summary = scorecard(conn, referrals, **kw).kpis
                    assert len(reads) == before + 1, (name, start)  # the summary answered
                    live = scorecard(conn, referrals, use_summary=False, **kw).kpis
                    assert len(reads) == before + 1
                    want = _reference(conn, referrals, start=start, end=end, as_of=as_of, include_case_ids=ids)
                    _assert_same(from_summary, live, (name, start, ids, "summary vs live"))
                    _assert_same(from_summary, want, (name, start, ids, "summary vs reference"))


def test_a_pdu_that_changed_is_answered_live(summary_engine):
    """Salford (until the GM change) and Salford and Trafford (from it) depend on each
    referral's date, which the summary does not hold: answered live, and right."""
    with summary_engine.connect() as conn:
        as_of = summary_state(conn).as_of
        for number in (32, 109):
            referrals = referrals_select(analyst_scope(), ReferralFilters(pdu_number=number))
            assert not summary_condition(referrals)[0]
            # A period either side of the (default) change, so both PDUs have referrals in it.
            kw = dict(start=DEFAULT_GM_PDU_CHANGE_DATE - dt.timedelta(days=120),
                      end=DEFAULT_GM_PDU_CHANGE_DATE + dt.timedelta(days=120), as_of=as_of,
                      definitions=KPI_CATALOGUE, forecast=False)
            got = scorecard(conn, referrals, **kw).kpis
            _assert_same(got, _reference(conn, referrals, start=kw["start"], end=kw["end"], as_of=as_of,
                                         include_case_ids=False), number)
            assert any(r.denominator for r in got), number


def test_summary_monthly_series_equals_live_and_reference(summary_engine):
    with summary_engine.connect() as conn:
        as_of = summary_state(conn).as_of
        selections = _selections(conn)
        for name in ("all", "borough", "provider scope, high complexity"):
            referrals = selections[name]
            kw = dict(start=D(2023, 9, 4), end=as_of, as_of=as_of, definitions=KPI_CATALOGUE)
            from_summary = monthly_series(conn, referrals, **kw)
            live = monthly_series(conn, referrals, use_summary=False, **kw)
            assert from_summary.keys() == live.keys()
            for code in live:
                pd.testing.assert_frame_equal(from_summary[code], live[code], obj=f"{name} {code}")
            for month in (D(2023, 12, 1), D(2024, 12, 1), D(2026, 3, 1)):
                last = (pd.Timestamp(month) + pd.offsets.MonthEnd(0)).date()
                for result in _reference(conn, referrals, start=month, end=last, as_of=as_of, include_case_ids=False):
                    row = from_summary[result.code].set_index("month").loc[month]
                    assert (row.numerator, row.denominator) == (result.numerator, result.denominator), result.code


def test_default_as_of_is_the_latest_data_date_on_either_path(summary_engine):
    with summary_engine.connect() as conn:
        for name, referrals in _selections(conn).items():
            start, end = D(2025, 10, 1), D(2025, 12, 31)
            got = scorecard(conn, referrals, start=start, end=end, definitions=KPI_CATALOGUE, forecast=False)
            live = scorecard(conn, referrals, start=start, end=end, definitions=KPI_CATALOGUE, forecast=False,
                             use_summary=False)
            assert got.as_of == live.as_of == (latest_data_date(conn, referrals) or end), name
            _assert_same(got.kpis, live.kpis, name)


def test_another_as_of_date_or_an_unmapped_filter_falls_back_to_live(summary_engine):
    with summary_engine.connect() as conn:
        state = summary_state(conn)
        everyone = referrals_select(analyst_scope())
        on_other_columns = everyone.where(Referral.sex == "Female")
        over_referrals = everyone.where(Referral.id.in_(select(Referral.id).where(Referral.received_on > D(2024, 1, 1))))
        cases = [
            (everyone, state.as_of - dt.timedelta(days=1)),
            (everyone, D(2024, 7, 15)),
            (on_other_columns, state.as_of),
            (over_referrals, state.as_of),
        ]
        for referrals, as_of in cases:
            assert _as_of_and_summary(conn, referrals, as_of)[1] is None
            start, end = D(2024, 4, 1), D(2024, 6, 30)
            got = scorecard(conn, referrals, start=start, end=end, as_of=as_of, definitions=KPI_CATALOGUE,
                            forecast=False).kpis
            _assert_same(got, _reference(conn, referrals, start=start, end=end, as_of=as_of, include_case_ids=False),
                         as_of)


def test_stale_summary_falls_back_to_live_until_refreshed(summary_engine):
    everyone = referrals_select(analyst_scope())
    start, end = D(2024, 4, 1), D(2024, 6, 30)
    with summary_engine.connect() as conn:
        as_of = summary_state(conn).as_of
        before = scorecard(conn, everyone, start=start, end=end, as_of=as_of, definitions=KPI_CATALOGUE,
                           forecast=False).kpi("DS2")
    # A referral arrives without a refresh: the summary no longer describes the data.
    with summary_engine.begin() as conn:
        conn.execute(insert(Referral.__table__).values(
            referral_ref="LATE-1", received_on=D(2024, 5, 1), saa_first_attended_on=D(2024, 5, 2), source="test",
        ))
        # Concluded, with no demand unit, borough, hub, contract, provider or complexity.
        conn.execute(insert(Referral.__table__).values(
            referral_ref="LATE-2", received_on=D(2024, 4, 2), concluded_on=D(2024, 5, 20), referral_end_state="ended",
            end_requested_by_pp_reason="Service user has been disengaged", source="test",
        ))
    with summary_engine.connect() as conn:
        assert _as_of_and_summary(conn, everyone, as_of)[1] is None
        got = scorecard(conn, everyone, start=start, end=end, as_of=as_of, definitions=KPI_CATALOGUE, forecast=False)
        # LATE-1 met DS2; LATE-2 (received in the quarter, never attended, ended after its deadline) did not.
        assert (got.kpi("DS2").numerator, got.kpi("DS2").denominator) == (before.numerator + 1, before.denominator + 2)
        _assert_same(got.kpis, _reference(conn, everyone, start=start, end=end, as_of=as_of, include_case_ids=False),
                     "stale")
    # An import that updates rows in place, or an undo, leaves the count alone but adds or
    # changes a batch; an EPOP import does neither to referrals and leaves the summary current.
    refresh_kpi_summary(summary_engine)
    with summary_engine.connect() as conn:
        # Rebuilt with referrals that have no dimensions at all: still the live answer.
        for name, referrals in _selections(conn).items():
            assert _as_of_and_summary(conn, referrals, as_of)[1] is not None, name
            kw = dict(start=start, end=end, as_of=as_of, definitions=KPI_CATALOGUE, forecast=False)
            _assert_same(scorecard(conn, referrals, **kw).kpis,
                         scorecard(conn, referrals, use_summary=False, **kw).kpis, (name, "null dimensions"))
    with summary_engine.begin() as conn:
        assert _as_of_and_summary(conn, everyone, as_of)[1] is not None
        conn.execute(insert(ImportBatch.__table__).values(kind="epop-plan", file_name="plan.xlsx", sha256="1" * 64,
                                                          imported_by="t", status="done", rows_read=0))
    with summary_engine.connect() as conn:
        assert _as_of_and_summary(conn, everyone, as_of)[1] is not None
    with summary_engine.begin() as conn:
        conn.execute(insert(ImportBatch.__table__).values(kind="case-extract", file_name="c.csv", sha256="2" * 64,
                                                          imported_by="t", status="done", rows_read=0))
    with summary_engine.connect() as conn:
        assert _as_of_and_summary(conn, everyone, as_of)[1] is None
    # A changed holiday calendar shifts deadlines: stale too.
    refresh_kpi_summary(summary_engine)
    with summary_engine.begin() as conn:
        conn.execute(update(CalendarDay).where(CalendarDay.day == D(2024, 12, 25)).values(
            working_days_to_date=CalendarDay.working_days_to_date + 1))
    with summary_engine.connect() as conn:
        assert _as_of_and_summary(conn, everyone, as_of)[1] is None
    with session_scope(summary_engine) as session:
        refresh_calendar(session)
    # Put the data back as it was and rebuild, for any test that runs after this one.
    with summary_engine.begin() as conn:
        conn.execute(delete(Referral.__table__).where(Referral.referral_ref.in_(("LATE-1", "LATE-2"))))
        conn.execute(delete(ImportBatch.__table__).where(ImportBatch.imported_by == "t"))
    result = refresh_kpi_summary(summary_engine)
    assert result.built
    with summary_engine.connect() as conn:
        assert _as_of_and_summary(conn, everyone, as_of)[1] is not None
