"""An import or undo refreshes the stored KPI summary for the referrals it touched, in its own
transaction, and the result is exactly the full rebuild (issue 20 part 4).

A demo database (full summary), then: a Refer and Monitor download of new referrals that
moves the as-of date on; a later download that changes some of them and adds others; a case
extract that moves demo referrals to another borough and complexity and records contacts;
then each is undone, newest first. After every step the summary must be current without a
full rebuild having run, and equal, row for row, to the one a full rebuild then writes.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from data_access import kpi_summary
from data_access.batches import undo_batch
from data_access.cli_import import run_import
from data_access.kpi_incremental import as_of_window_start
from data_access.kpi_summary import SUMMARY_COUNTS, refresh_kpi_summary, summary_is_current
from data_access.models import KpiDailyCount, KpiSummaryState, Referral
from data_access.scoping import AccessScope
from data_access.setup import initialise
from tests.integration.test_import_case_epop import to_csv as case_csv
from tests.integration.test_import_ram_downloads import as_downloaded, life
from tests.integration.test_import_ram_downloads import to_csv as ram_csv

ADMIN = AccessScope(username="t", role="admin")
#: Referrals received from December 2025, around the demo's last date (31 March 2026).
HISTORIES = [life(n, dt.datetime(2025, 12, 1, 10) + dt.timedelta(days=11 * n)) for n in range(12)]


def _download(numbers, on: dt.datetime) -> bytes:
    return ram_csv([as_downloaded(HISTORIES[n], on) for n in numbers])


def stored(engine) -> list[tuple]:
    c = KpiDailyCount.__table__.c
    names = [name for name in c.keys() if name != "id"]
    with engine.connect() as conn:
        rows = conn.execute(select(*(c[n] for n in names))).all()
    return sorted((tuple("" if v is None else str(int(v)) if isinstance(v, bool) else str(v) for v in row)
                   for row in rows))


@pytest.fixture()
def demo(engine, monkeypatch):
    from data_access.demo import seed_demo

    initialise(engine)
    seed_demo(engine, referrals=400)
    return engine


def _no_full_rebuild(monkeypatch) -> list:
    """Record the full rebuilds an import or undo asks for, without running them."""
    calls: list = []
    monkeypatch.setattr(kpi_summary, "refresh_kpi_summary", calls.append)
    return calls


def _check_equals_full_rebuild(engine, calls: list, label: str) -> list[tuple]:
    assert calls == [], f"{label}: a full rebuild was needed"
    assert summary_is_current(engine), label
    incremental = stored(engine)
    refresh_kpi_summary(engine)  # the real one (imported before the patch)
    assert stored(engine) == incremental, label
    return incremental


def _as_of(engine) -> dt.date:
    with engine.connect() as conn:
        value = conn.execute(select(KpiSummaryState.as_of)).scalar_one()
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def test_imports_and_undo_refresh_the_summary_as_a_full_rebuild_would(demo, monkeypatch):
    engine = demo
    start_as_of = _as_of(engine)
    calls = _no_full_rebuild(monkeypatch)
    first = run_import("ram-performance", engine, _download(range(8), dt.datetime(2026, 4, 20)), user="t",
                       scope=ADMIN, file_name="first.csv")
    assert first.written and (first.rows_inserted, first.rows_updated) == (8, 0)
    after_first = _check_equals_full_rebuild(engine, calls, "new referrals")
    assert _as_of(engine) > start_as_of  # the window of as-of-dependent days was rebuilt

    later = run_import("ram-performance", engine, _download(range(4, 12), dt.datetime(2026, 6, 1)), user="t",
                       scope=ADMIN, file_name="later.csv")
    assert later.written and later.rows_inserted == 4 and later.rows_updated == 3  # one had ended by 20 April
    _check_equals_full_rebuild(engine, calls, "changed and new referrals")

    extract = run_import("case-extract", engine, _case_extract(engine), user="t", scope=ADMIN,
                         file_name="extract.csv")
    assert extract.written, [p.as_text() for p in extract.problems.sorted()]
    assert extract.rows_updated >= 3
    _check_equals_full_rebuild(engine, calls, "case extract")

    for batch in (extract.batch_id, later.batch_id):
        undo_batch(engine, batch, user="t")
        _check_equals_full_rebuild(engine, calls, f"undo {batch}")
    assert stored(engine) == after_first  # undoing back to the first import restores its summary
    undo_batch(engine, first.batch_id, user="t")
    _check_equals_full_rebuild(engine, calls, "undo first")
    assert _as_of(engine) == start_as_of


def _case_extract(engine) -> bytes:
    """Three demo referrals move to Bolton with a high complexity, and each gains a contact."""
    with engine.connect() as conn:
        demo_refs = conn.execute(
            select(Referral.referral_ref, Referral.received_on).where(Referral.referral_id.not_like("dl-%"))
            .where(Referral.received_on.is_not(None)).order_by(Referral.id).limit(3)
        ).all()
    rows = []
    for ref, received in demo_refs:
        received = dt.date.fromisoformat(received) if isinstance(received, str) else received
        rows.append({"record_type": "referral", "referral_ref": ref, "borough": "Bolton", "complexity": "HIGH"})
        contact = (received + dt.timedelta(days=2)).isoformat()
        rows.append({"record_type": "contact", "referral_ref": ref, "event_kind": "contact", "date": contact,
                     "recorded_on": contact, "method": "phone", "successful": "yes"})
    return case_csv(rows)


def test_a_summary_not_current_before_the_import_is_rebuilt_after_it(demo, monkeypatch):
    engine = demo
    with engine.begin() as conn:  # someone tampered: the stamp no longer matches the data
        conn.execute(update(KpiSummaryState).values(data_version="stale"))
    result = run_import("ram-performance", engine, _download(range(3), dt.datetime(2026, 4, 20)), user="t",
                        scope=ADMIN, file_name="first.csv")
    assert result.written and summary_is_current(engine)
    rebuilt = stored(engine)
    refresh_kpi_summary(engine)
    assert stored(engine) == rebuilt


def test_a_drifted_summary_is_marked_stale_and_the_import_still_commits(demo, monkeypatch):
    engine = demo
    with engine.begin() as conn:  # stored counts lower than the data behind them
        conn.execute(update(KpiDailyCount).values(dict.fromkeys(SUMMARY_COUNTS, 0)))
    calls = _no_full_rebuild(monkeypatch)
    result = run_import("case-extract", engine, _case_extract(engine), user="t", scope=ADMIN, file_name="x.csv")
    # Taking the moved referrals out of their old borough's rows would leave negative counts:
    # the import commits, the summary is left stale, and the full rebuild is asked for.
    assert result.written and result.rows_updated >= 3 and calls == [engine]
    assert not summary_is_current(engine)


def test_the_as_of_window_starts_where_a_deadline_first_reaches_the_date(demo):
    """Hand-worked: the longest deadline is 10 working days. 31 March 2026 is a Tuesday; ten
    working days before it (Good Friday 3 and Easter Monday 6 April are after it) is Tuesday
    17 March, whose 10-working-day deadline is 31 March. Monday 16 March's is Monday 30 March,
    before the date, so the window starts on 17 March."""
    with demo.connect() as conn:
        assert as_of_window_start(conn, dt.date(2026, 3, 31)) == dt.date(2026, 3, 17)
