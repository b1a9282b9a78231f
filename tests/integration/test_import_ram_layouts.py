"""Refer and Monitor reports as providers download them today: every layout (24 to 27
columns), UTC ``OffsetDateTime.toString()`` and NDMIS timestamps, and the 2024 withdrawal
reasons; the KPIs they give, worked by hand, on SQLite and PostgreSQL.

The nine referrals of ``tests/fixtures/imports/ram_2*_columns*.csv`` (July 2024; London is
UTC+1, so ``2024-06-30T23:30Z`` is 1 July):

====  ========  ==================================================================================
ref   received  what happens
====  ========  ==================================================================================
A     Mon 1 Jul assessed Fri 5 (DS2 deadline Mon 15: met); plan Wed 10 (DS3 deadline Fri 12: met);
                approved Thu 11, session Thu 18 (KP6 deadline Thu 25: met); completed 31 Jul, EOSR
                score 1.5 (DS5 met); SL002 positive
B     Tue 2 Jul assessed Thu 4 (met); plan Mon 15 (deadline Thu 11: not met, ended later);
                approved Tue 16, no session, ended Mon 29 "Not engaged" (KP6: ended before its
                deadline Tue 30, left out); SL002 negative (approved plan, NOT)
C     Wed 3 Jul missed assessment Wed 10, attended Fri 19 (DS2 deadline Wed 17: mitigated); plan
                Mon 22 (deadline Fri 26: met); approved Tue 23 (KP6 deadline 6 Aug, ended 31 Jul:
                left out); "Sentence expired" on its end-of-sentence date; EOSR score 0 (DS5 not
                met); SL002 negative (approved plan, SEE)
D     Mon 8 Jul assessed 22 Jul 22:30Z = 23:30 London, still the 22nd (deadline Mon 22: met); plan
                Tue 23 (deadline Mon 29: met); approved Wed 24; ended Tue 30 "Moved out of service
                area" (KP6 left out); SL002 neutral
E     Tue 9 Jul never assessed; cancelled Fri 12 "Moved to Wales" (unrecognised): DS2 left out
                (ended before its deadline); SL002 neutral (no plan, unknown reason)
F     Wed 10    cancelled the day it was received: out of DS2 and of SL002 altogether
G     Thu 11    assessed Mon 15 (met); no plan (DS3 deadline Mon 22, ended Fri 26: not met);
                "not  ENGAGED" but no approved plan: SL002 neutral
H     Mon 15    open, never assessed: DS2 deadline Mon 29 is before the as-of date (31 Jul): not met
I     Mon 1 Jul assessed Wed 3 (met); plan Fri 5 (deadline Wed 10: met); approved Mon 8, session
                Tue 23 (KP6 deadline Mon 22: not met); ended Tue 30 "Intervention has been
                completed", EOSR score 0.5 (DS5 met); SL002 positive
====  ========  ==================================================================================

DS2 = 6 / 7 (A B C D G I of A B C D G H I; C mitigated); DS3 = 4 / 6 (A C D I of A B C D G I);
KP6 = 1 / 2 (A of A I); DS5 = 2 / 3 (A I of A C I);
SL002: b = 7 (A B C D E G I), a = 2 (A I), c = 3 (D E G), negative 2 (B C): 2 / 4 = 50%.
Had "Not engaged" and "Sentence expired" been neutral (the old importer's reading), SL002
would be 2 / 2 = 100%.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import select, update

from data_access.calendar import refresh_calendar
from data_access.db import session_scope
from data_access.importers.ram import import_ram_performance
from data_access.models import EndReason, Referral
from data_access.pseudonyms import is_pseudonym
from data_access.reference import end_reason_classes, load_reference_data
from data_access.scoping import ReferralFilters, analyst_scope, referrals_select
from domain.catalogue import KPI_CATALOGUE
from metrics.kpis import scorecard_from_frames, sl002_intervention_appointment_attended
from metrics.queries import scorecard

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "imports"
LAYOUT_FILES = ["ram_24_columns.csv", "ram_25_columns.csv", "ram_26_columns.csv", "ram_27_columns.csv",
                "ram_27_columns_ndmis_timestamps.csv"]
JULY = dict(start=dt.date(2024, 7, 1), end=dt.date(2024, 7, 31))

#: Hand-worked above: (numerator, denominator) per KPI for July 2024.
EXPECTED = {"DS2": (6, 7), "DS3": (4, 6), "KP6": (1, 2), "DS5": (2, 3), "SL002": (2, 4)}


def _import(engine, name: str):
    result = import_ram_performance(engine, FIXTURES / name, caseworker_key="test-key")
    assert result.ok and result.written, [p.reason for p in result.problems.sorted()]
    return result


def _card(engine):
    with engine.connect() as conn:
        return scorecard(conn, referrals_select(analyst_scope(), ReferralFilters()), **JULY,
                         as_of=dt.date(2024, 7, 31), include_case_ids=True)


def _figures(card) -> dict:
    return {code: (card.kpi(code).numerator, card.kpi(code).denominator) for code in EXPECTED}


def _with_calendar(engine) -> None:
    """The working-day calendar: the scorecard then aggregates in SQL (without it, it runs
    the pandas reference rules on fetched rows); both must give the hand-worked figures."""
    with session_scope(engine) as session:
        refresh_calendar(session)


@pytest.mark.parametrize("path", ["pandas", "sql"])
@pytest.mark.parametrize("name", LAYOUT_FILES)
def test_every_layout_imports_and_gives_the_hand_worked_kpis(engine, name, path):
    if path == "sql":
        _with_calendar(engine)
    result = _import(engine, name)
    assert result.rows_inserted == 9
    layout = name.split("_")[1]
    assert any(f"{layout} columns" in n for n in result.notices), result.notices
    card = _card(engine)
    assert _figures(card) == EXPECTED
    assert card.kpi("DS2").mitigated == 1
    sl002 = card.kpi("SL002")
    assert sl002.value == 50.0
    assert set(sl002.case_ids) >= {"GM000A000001", "GM000I000009"}


def test_the_24_column_layout_gives_the_same_figures_as_the_27(engine):
    _import(engine, "ram_24_columns.csv")
    old = _figures(_card(engine))
    _import(engine, "ram_27_columns.csv")  # the same referrals, merged: nothing changes but the new fields
    assert _figures(_card(engine)) == old == EXPECTED


def test_the_27_column_report_stores_its_new_fields_and_reads_r_and_m_timestamps(engine):
    _import(engine, "ram_27_columns.csv")
    with engine.connect() as conn:
        rows = {r.referral_ref: r for r in conn.execute(select(Referral.__table__))}
    a, c, d, h = rows["GM000A000001"], rows["GM000C000003"], rows["GM000D000004"], rows["GM000H000008"]
    assert a.received_on == dt.date(2024, 7, 1)  # 2024-06-30T23:30Z is 1 July in London
    assert a.referral_received_at == dt.datetime(2024, 6, 30, 23, 30)
    assert a.first_action_plan_submitted_at == dt.datetime(2024, 7, 10, 14, 0, 37, 123456)
    assert a.saa_first_completed_at == dt.datetime(2024, 7, 5, 10, 15, 12, 500000)
    assert a.intervention_to_be_completed_by == dt.date(2024, 12, 31)
    assert c.end_of_sentence_date == dt.date(2024, 7, 31)
    assert d.saa_first_attended_on == dt.date(2024, 7, 22)  # 22:30Z is 23:30 London, still the 22nd
    # "false" with no assessment attended is not a fact: stored as unknown.
    assert h.saa_attended_on_time is None and c.saa_attended_on_time is False


def test_ndmis_timestamps_store_the_same_values_as_utc_ones(engine):
    _import(engine, "ram_27_columns.csv")
    with engine.connect() as conn:
        first = sorted(tuple(r) for r in conn.execute(select(Referral.__table__).order_by(Referral.referral_ref)))
    again = _import(engine, "ram_27_columns_ndmis_timestamps.csv")
    # Every value compared column by column in the database: nothing differs.
    assert again.rows_updated == 0 and again.rows_unchanged == 9
    with engine.connect() as conn:
        second = sorted(tuple(r) for r in conn.execute(select(Referral.__table__).order_by(Referral.referral_ref)))
    assert first == second


def test_caseworker_is_stored_as_a_keyed_pseudonym(engine):
    _import(engine, "ram_27_columns.csv")
    with engine.connect() as conn:
        workers = dict(conn.execute(select(Referral.referral_ref, Referral.caseworker_id)).all())
    assert all(v is None or is_pseudonym(v) for v in workers.values())
    assert not any(v and "@" in v for v in workers.values())
    # The same person (whatever the capitals of the e-mail) has the same pseudonym, so a
    # caseload per worker can still be counted: a.smith 3, b.jones 2, c.patel 2.
    loads = pd.Series([v for v in workers.values() if v]).value_counts().sort_values().tolist()
    assert loads == [2, 2, 3]


def test_the_notice_and_sl002_use_the_same_end_reason_table(engine):
    result = _import(engine, "ram_27_columns.csv")
    unknown = [n for n in result.notices if "not in the end-reason table" in n]
    assert len(unknown) == 1 and unknown[0].startswith("1 rows") and "neutral" in unknown[0]
    negative = [n for n in result.notices if "as negative" in n]
    assert len(negative) == 1
    assert "2024 NOT Not engaged (2)" in negative[0] and "2024 SEE Sentence expired (1)" in negative[0]


@pytest.mark.parametrize("path", ["pandas", "sql"])
def test_an_admin_reclassification_reaches_both_sl002_paths(engine, path):
    with session_scope(engine) as session:
        load_reference_data(session)
    if path == "sql":
        _with_calendar(engine)
    _import(engine, "ram_27_columns.csv")
    assert _card(engine).kpi("SL002").denominator == 4
    with session_scope(engine) as session:
        session.execute(update(EndReason).where(EndReason.vocabulary == "2024", EndReason.code == "NOT")
                        .values(sl002_class="neutral"))
    # B (Not engaged, approved plan) is now neutral: c = 4, 2 / 3.
    sql = _card(engine).kpi("SL002")
    assert (sql.numerator, sql.denominator) == (2, 3)
    with engine.connect() as conn:
        frame = pd.read_sql(select(Referral.__table__), conn)
        classes = end_reason_classes(conn)
    spec = sl002_intervention_appointment_attended(frame, **JULY, as_of=dt.date(2024, 7, 31), end_reasons=classes)
    assert (spec.numerator, spec.denominator) == (2, 3)


def test_the_pandas_spec_path_agrees_with_the_hand_worked_figures(engine):
    _import(engine, "ram_27_columns.csv")
    with engine.connect() as conn:
        frame = pd.read_sql(select(Referral.__table__), conn)
    results = scorecard_from_frames(frame, **JULY, as_of=dt.date(2024, 7, 31), definitions=KPI_CATALOGUE)
    got = {r.code: (r.numerator, r.denominator) for r in results if r.code in EXPECTED}
    assert got == EXPECTED


def test_the_reference_path_reads_the_plain_dates_as_the_fast_path_does(engine):
    _import(engine, "ram_27_columns.csv")
    text = (FIXTURES / "ram_27_columns.csv").read_text()
    assert ",2024-10-31,2024-07-31\n" in text
    # A UK-order date is not plain: the chunk goes to the pandas reference validators.
    again = import_ram_performance(engine, text.replace(",2024-10-31,2024-07-31\n", ",31/10/2024,31/07/2024\n").encode(),
                                   file_name="uk-dates.csv", caseworker_key="test-key")
    assert again.ok and again.rows_updated == 0 and again.rows_unchanged == 9
