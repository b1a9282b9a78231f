"""The scorecard's fixed costs stay small at the national service's scale: the data's as-of
date is read from the stored summary's state while it is current (not by scanning every
referral), and whether a
case extract is loaded is asked one question at a time, the referrals' one from a partial
index. Same answers as before, by hand-worked cases."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import insert, select, text

from data_access.measure_sql import latest_data_date
from data_access.models import ImportBatch, RecordEvent, Referral
from data_access.scoping import ReferralFilters, analyst_scope, referrals_select
from metrics.support import case_extract_loaded

D = dt.date


def _referral(conn, ref, **values):
    return conn.execute(insert(Referral.__table__).values(referral_ref=ref, source="ram", **values)
                        .returning(Referral.id)).scalar_one()


def test_latest_data_date_is_the_latest_of_any_event_in_scope(engine):
    with engine.begin() as conn:
        assert latest_data_date(conn, select(Referral.__table__)) is None  # no data: no date, not an error
        _referral(conn, "A", received_on=D(2025, 1, 2), concluded_on=D(2025, 3, 4), provider_id=None)
        _referral(conn, "B", received_on=D(2025, 2, 1), eosr_submitted_on=D(2025, 5, 6), borough_id=None)
        _referral(conn, "C", received_on=D(2025, 6, 1), first_session_on=None)
    with engine.connect() as conn:
        assert latest_data_date(conn, select(Referral.__table__)) == D(2025, 6, 1)
        only_a_and_b = select(Referral.__table__).where(Referral.referral_ref.in_(("A", "B")))
        assert latest_data_date(conn, only_a_and_b) == D(2025, 5, 6)  # B's end-of-service report
        only_a = select(Referral.__table__).where(Referral.referral_ref == "A")
        assert latest_data_date(conn, only_a) == D(2025, 3, 4)
        nobody = referrals_select(analyst_scope(), ReferralFilters(borough_id=999))
        assert latest_data_date(conn, nobody) is None


def test_data_as_of_from_the_current_summary_else_from_the_referrals(engine):
    from data_access.kpi_summary import refresh_kpi_summary
    from data_access.setup import initialise
    from metrics.queries import data_as_of

    initialise(engine)
    with engine.begin() as conn:
        _referral(conn, "A", received_on=D(2025, 1, 2), concluded_on=D(2025, 3, 4))
    assert refresh_kpi_summary(engine).built
    with engine.begin() as conn:  # a state that says another date shows where the answer came from
        conn.execute(text("UPDATE kpi_summary_state SET as_of = :d"), {"d": D(2025, 3, 5)})
    with engine.connect() as conn:
        assert data_as_of(conn) == D(2025, 3, 5)  # the summary's, not a scan
    with engine.begin() as conn:  # new data: the summary is stale, so the referrals are read
        _referral(conn, "B", received_on=D(2025, 4, 1))
    with engine.connect() as conn:
        assert data_as_of(conn) == D(2025, 4, 1)


def test_case_extract_loaded_by_batch_event_or_row(engine):
    with engine.begin() as conn:
        pk = _referral(conn, "R&M only", received_on=D(2025, 1, 2))
    with engine.connect() as conn:
        assert case_extract_loaded(conn) is False
    with engine.begin() as conn:
        conn.execute(insert(RecordEvent.__table__).values(referral_pk=pk, kind="kp1", occurred_on=D(2025, 1, 3),
                                                          recorded_on=D(2025, 1, 3), shared=False))
    with engine.connect() as conn:
        assert case_extract_loaded(conn) is True
    with engine.begin() as conn:
        conn.execute(RecordEvent.__table__.delete())
        _referral(conn, "extract", received_on=D(2025, 1, 2))
        conn.execute(Referral.__table__.update().where(Referral.referral_ref == "extract").values(source="case_extract"))
    with engine.connect() as conn:
        assert case_extract_loaded(conn) is True
    with engine.begin() as conn:
        conn.execute(Referral.__table__.delete().where(Referral.referral_ref == "extract"))
        conn.execute(insert(ImportBatch.__table__).values(kind="case-extract", file_name="c.csv", sha256="3" * 64,
                                                          imported_by="t", status="undone", rows_read=0))
    with engine.connect() as conn:
        assert case_extract_loaded(conn) is False  # an undone extract no longer counts
    with engine.begin() as conn:
        conn.execute(insert(ImportBatch.__table__).values(kind="demo", file_name="demo", sha256="4" * 64,
                                                          imported_by="t", status="done", rows_read=0))
    with engine.connect() as conn:
        assert case_extract_loaded(conn) is True


def test_the_case_extract_question_reads_the_partial_index_on_sqlite(engine):
    if engine.dialect.name != "sqlite":
        return
    with engine.connect() as conn:
        plan = " ".join(str(row[-1]) for row in conn.execute(text(
            "EXPLAIN QUERY PLAN SELECT EXISTS (SELECT id FROM referrals WHERE source IN ('case_extract', 'demo'))")))
    assert "ix_referrals_case_extract_source" in plan, plan
