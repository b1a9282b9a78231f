"""Several overlapping Refer and Monitor downloads make one history (issue 13 part 6).

R&M gives a provider at most about six months of referrals a download, by the date a referral
was sent. Each referral below has a whole life (received, assessed, plan, session, ended); a
download made on day D shows only the events before D, as R&M would on that day.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

from sqlalchemy import select, text

from data_access.batches import undo_batch
from data_access.calendar import refresh_calendar
from data_access.db import session_scope
from data_access.importers.ram import (
    COMPARED_COLUMNS,
    RAM_COLUMNS,
    import_ram_performance,
)
from data_access.models import ImportBatch, Referral
from data_access.reference import load_reference_data
from tests.conftest import empty_all_tables


def z(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def life(number: int, received: dt.datetime) -> dict[str, dt.datetime | str]:
    """A referral's whole history: assessed 3 days after it was received, plan 2 days later,
    first session 10 days after that, ended 90 days after the session."""
    assessed = received + dt.timedelta(days=3)
    session = assessed + dt.timedelta(days=12)
    return {
        "referral_ref": f"D{number:07d}", "referral_id": f"dl-{number:04d}", "contract_ref": "GMIRS-WSS-LOT1",
        "organisation_id": "ORG-DL", "caseworker_id": f"CW{number}", "service_user_crn": f"X{number:06d}",
        "date_referral_received": received, "date_saa_first_arranged": received + dt.timedelta(hours=2),
        "date_saa_first_scheduled_for": assessed, "date_saa_first_attended": assessed,
        "saa_attended_on_time": "true", "date_first_action_plan_submitted": assessed + dt.timedelta(days=2),
        "date_of_first_action_plan_approval": assessed + dt.timedelta(days=2, hours=3),
        "date_of_first_attended_session": session, "count_of_sessions_expected": "6",
        "date_eosr_submitted": session + dt.timedelta(days=90), "concluded_at": session + dt.timedelta(days=90),
        "referral_end_state": "completed",
    }


def as_downloaded(history: dict, on: dt.datetime) -> dict[str, str]:
    """The row R&M writes for ``history`` when the report is downloaded at ``on``."""
    row = {}
    for column, value in history.items():
        if isinstance(value, dt.datetime):
            row[column] = z(value) if value < on else ""
        else:
            row[column] = value
    if not row["concluded_at"]:
        row["referral_end_state"] = ""
    row["count_of_sessions_attended"] = "1" if row["date_of_first_attended_session"] else ""
    if not row["date_saa_first_attended"]:
        row["saa_attended_on_time"] = "false"
    return row


HISTORIES = [life(n, dt.datetime(2024, 1, 5, 10) + dt.timedelta(days=23 * n)) for n in range(12)]  # Jan–Sep 2024


def download(first: dt.date, last: dt.date, on: dt.datetime) -> list[dict[str, str]]:
    """The report for referrals received ``first``–``last`` (UTC dates), downloaded at ``on``."""
    return [as_downloaded(h, on) for h in HISTORIES if first <= h["date_referral_received"].date() <= last]


def to_csv(rows: list[dict[str, str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(RAM_COLUMNS)
    for row in rows:
        writer.writerow([row.get(c, "") for c in RAM_COLUMNS])
    return buffer.getvalue().encode()


# January–June, downloaded on 1 July; April–September, downloaded on 1 October.
EARLIER = download(dt.date(2024, 1, 1), dt.date(2024, 6, 30), dt.datetime(2024, 7, 1))
LATER = download(dt.date(2024, 4, 1), dt.date(2024, 9, 30), dt.datetime(2024, 10, 1))
#: Their union, each referral as the later download shows it.
UNION = [row for row in EARLIER if row["referral_id"] not in {r["referral_id"] for r in LATER}] + LATER


def held(engine) -> list[tuple]:
    columns = [c for c in COMPARED_COLUMNS if c not in ("contract_id", "provider_id")]
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(
            text(f"SELECT {', '.join(columns)} FROM referrals ORDER BY referral_id"))]


def with_reference_and_calendar(engine):
    """``engine`` with the reference data and the working-day calendar (so the scorecard runs in SQL)."""
    with session_scope(engine) as session:
        load_reference_data(session)
        refresh_calendar(session)
    return engine


def test_the_overlap_is_real():
    overlap = {r["referral_id"] for r in EARLIER} & {r["referral_id"] for r in LATER}
    assert len(overlap) == 4 and len(UNION) == 12
    changed = [r for r in EARLIER if r["referral_id"] in overlap and r not in LATER]
    assert len(changed) == 4  # each overlapping referral moved on between the downloads


def test_two_overlapping_downloads_equal_their_union_in_either_order(engine):
    assert import_ram_performance(engine, to_csv(UNION), file_name="union.csv").ok
    expected = held(engine)
    assert len(expected) == 12
    empty_all_tables(engine)
    import_ram_performance(engine, to_csv(EARLIER), file_name="jan-jun.csv")
    later = import_ram_performance(engine, to_csv(LATER), file_name="apr-sep.csv")
    assert (later.rows_inserted, later.rows_updated, later.rows_unchanged) == (4, 4, 0)
    assert held(engine) == expected
    empty_all_tables(engine)
    import_ram_performance(engine, to_csv(LATER), file_name="apr-sep.csv")
    earlier = import_ram_performance(engine, to_csv(EARLIER), file_name="jan-jun.csv")
    # The earlier download's four overlapping rows are older than those held: left alone.
    assert (earlier.rows_inserted, earlier.rows_updated, earlier.rows_unchanged) == (4, 0, 4)
    assert any(n.startswith("4 referrals are held as a later download shows them") for n in earlier.notices)
    assert held(engine) == expected
    # Idempotent: importing either file again changes nothing.
    for rows in (EARLIER, LATER):
        again = import_ram_performance(engine, to_csv(rows), file_name="again.csv")
        assert (again.rows_inserted, again.rows_updated) == (0, 0)
    assert held(engine) == expected


def test_each_download_records_its_window_and_undo_removes_its_evidence(engine):
    first = import_ram_performance(engine, to_csv(EARLIER), file_name="jan-jun.csv")
    second = import_ram_performance(engine, to_csv(LATER), file_name="apr-sep.csv")
    with engine.connect() as conn:
        windows = {b.id: (b.received_from, b.received_to, b.data_as_at) for b in conn.execute(select(ImportBatch))}
        evidence = conn.execute(text(
            "SELECT import_batch_id, COUNT(*) FROM unrecorded_first_sessions GROUP BY import_batch_id")).all()
    received = [h["date_referral_received"].date() for h in HISTORIES]
    assert windows[first.batch_id][:2] == (received[0], received[7])  # 5 Jan, 15 Jun
    assert windows[second.batch_id][:2] == (received[4], received[11])  # 4 Apr, 5 Sep
    # The latest event each holds: the earlier download's is before 1 July.
    assert dt.datetime(2024, 6, 1) < windows[first.batch_id][2] < dt.datetime(2024, 7, 1)
    # Every referral here ends only after its session, so no download shows one ended without.
    assert evidence == []
    assert undo_batch(engine, second.batch_id, user="t")["referrals restored"] == 4
    with engine.connect() as conn:
        assert conn.execute(select(Referral.id).where(Referral.import_batch_id == second.batch_id)).all() == []


def test_sessions_attended_between_downloads_are_kept_in_either_order(engine):
    """Later sessions add no date to the row (only the first session's is reported), so two
    downloads can differ only in the count: the higher count is the later download's."""
    row = as_downloaded(HISTORIES[0], dt.datetime(2024, 2, 20))
    fewer, more = {**row, "count_of_sessions_attended": "3"}, {**row, "count_of_sessions_attended": "5"}
    for first, second in ((fewer, more), (more, fewer)):
        empty_all_tables(engine)
        import_ram_performance(engine, to_csv([first]), file_name="first.csv")
        import_ram_performance(engine, to_csv([second]), file_name="second.csv")
        with engine.connect() as conn:
            assert conn.execute(select(Referral.count_of_sessions_attended)).scalar() == 5
