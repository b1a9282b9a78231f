"""Refer and Monitor import: the fast and reference paths, direct load and merge, all agree.

A CSV chunk is checked by Arrow (``plain_chunk``) when its values are written plainly, and by
the pandas reference validator otherwise; a file Arrow cannot read as it is goes to pandas
whole. Rows go straight into ``referrals`` when no key is held yet, and are staged and merged
otherwise. Whichever way, the same file must give the same rows, counts, undo and problems.
"""

from __future__ import annotations

import datetime as dt
import random

import pytest
from sqlalchemy import func, select, text

from data_access.batches import undo_batch
from data_access.importers import ram
from data_access.importers.ram import RAM_COLUMNS, WRITE_COLUMNS, import_ram_performance
from data_access.models import Referral
from domain.catalogue import END_REASONS
from tests.integration.test_import_ram import counts, injected, problems, to_csv
from tests.integration.test_import_ram_bulk import foreign_keys, index_names


def stamp(moment: dt.datetime, style: int) -> str:
    if style == 0:
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    if style == 1:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    return (moment + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S") + "+01:00"


def report_rows(count: int, *, seed: int = 3, prefix: str = "P") -> list[dict[str, str]]:
    """Valid report rows with every kind of value: blanks, all three timestamp styles, clock
    changes, recognised and unrecognised end reasons, every end state."""
    rng = random.Random(seed)
    reasons = [description for _, description, _ in END_REASONS] + ["Moved to Wales", ""]
    rows = []
    for i in range(count):
        received = dt.datetime(2023, 9, 4, 9) + dt.timedelta(minutes=rng.randrange(900 * 24 * 60))
        if i % 7 == 0:  # around the clock changes
            received = dt.datetime(2024, 3, 30, 23, 30) + dt.timedelta(minutes=rng.randrange(180))
        assessed = received + dt.timedelta(days=rng.randrange(1, 15), microseconds=rng.randrange(10**6))
        plan = assessed + dt.timedelta(days=rng.randrange(0, 6))
        session = plan + dt.timedelta(days=rng.randrange(1, 12))
        ended = i % 3 == 0
        concluded = session + dt.timedelta(days=60)
        outcomes = rng.randrange(1, 5)
        rows.append({
            "referral_ref": f"{prefix}{i:07d}", "referral_id": f"{prefix}-{i:08d}-{rng.randrange(10**6):06d}",
            "contract_ref": f"GMIRS-WSS-LOT{i % 3 + 1}", "organisation_id": f"ORG-{i % 3}",
            "caseworker_id": "" if i % 5 == 0 else f"CW{i % 97}", "service_user_crn": f"X{i % 999_999:06d}",
            "date_referral_received": stamp(received, i % 3),
            "date_saa_first_arranged": stamp(received + dt.timedelta(hours=3), (i + 1) % 3),
            "date_saa_first_scheduled_for": stamp(assessed, (i + 2) % 3),
            "date_saa_first_not_attended": stamp(assessed, i % 3) if i % 11 == 0 else "",
            "date_saa_first_attended": "" if i % 11 == 0 else stamp(assessed, (i + 1) % 3),
            "saa_attended_on_time": ["true", "false", ""][i % 3],
            "date_first_action_plan_submitted": stamp(plan, i % 3),
            "date_of_first_action_plan_approval": stamp(plan + dt.timedelta(days=1), (i + 2) % 3),
            "date_of_first_attended_session": stamp(session, i % 3),
            "outcomes_to_be_achieved_count": str(outcomes),
            "outcomes_achieved": str(outcomes * 0.5) if ended else "",
            "count_of_sessions_expected": "10", "count_of_sessions_attended": str(rng.randrange(0, 10)),
            "end_requested_by_pp_at": stamp(concluded, 0) if ended and i % 2 else "",
            "end_requested_by_pp_reason": reasons[i % len(reasons)] if ended else "",
            "date_eosr_submitted": stamp(concluded, 1) if ended else "",
            "concluded_at": stamp(concluded, 2) if ended else "",
            "referral_end_state": ["completed", "ended", "cancelled"][i % 3] if ended else "",
        })
    return rows


def stored_rows(engine) -> list[tuple]:
    """Every referral's report values (contracts and organisations by their references, as
    their keys differ when they are registered again)."""
    compared = [f"r.{c}" for c in WRITE_COLUMNS if c not in ("import_batch_id", "row_hash", "contract_id", "provider_id")]
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(
            f"SELECT {', '.join(compared)}, c.reference, p.organisation_code FROM referrals r "
            "LEFT JOIN contracts c ON c.id = r.contract_id LEFT JOIN providers p ON p.id = r.provider_id "
            "ORDER BY r.referral_ref"
        ))]


def test_fast_path_is_taken_for_a_plain_file(engine):
    result = import_ram_performance(engine, to_csv(report_rows(50)), file_name="plain.csv", chunk_rows=20)
    assert result.ok and result.rows_inserted == 50, problems(result)
    assert "check plain values (Arrow)" in result.phases and "check values (pandas, reference)" not in result.phases


def test_fast_and_reference_paths_store_the_same_rows(engine, monkeypatch):
    data = to_csv(report_rows(120))
    fast = import_ram_performance(engine, data, file_name="fast.csv", chunk_rows=50)
    assert fast.ok, problems(fast)
    by_fast = stored_rows(engine)
    undo_batch(engine, fast.batch_id, user="t")
    monkeypatch.setattr(ram, "plain_chunk", lambda raw: None)
    slow = import_ram_performance(engine, data, file_name="slow.csv", chunk_rows=50)
    assert slow.ok and "check values (pandas, reference)" in slow.phases
    assert stored_rows(engine) == by_fast
    assert (slow.rows_inserted, slow.notices) == (fast.rows_inserted, fast.notices)


def test_a_file_checked_either_way_reports_the_same_problems(engine, monkeypatch):
    rows = report_rows(30)
    rows[4]["date_referral_received"] = "2024-02-30T10:00:00Z"
    rows[25]["count_of_sessions_attended"] = "-2"
    rows[26]["referral_id"] = rows[3]["referral_id"]
    data = to_csv(rows)
    fast = import_ram_performance(engine, data, file_name="bad.csv", chunk_rows=10)
    monkeypatch.setattr(ram, "plain_chunk", lambda raw: None)
    slow = import_ram_performance(engine, data, file_name="bad.csv", chunk_rows=10)
    assert problems(fast) == problems(slow) and len(problems(fast)) == 3
    assert counts(engine)["referrals"] == 0


def test_unusual_spellings_are_read_by_the_reference_and_stored_as_plain_ones(engine):
    rows = report_rows(12)
    plain = import_ram_performance(engine, to_csv(rows), file_name="plain.csv", chunk_rows=4)
    assert plain.ok
    rows[1]["saa_attended_on_time"] = " TRUE "  # rows[1] is "false" → now changed
    rows[5]["date_referral_received"] = rows[5]["date_referral_received"].replace("T", " ")
    rows[6]["count_of_sessions_expected"] = " 10 "
    rows[9]["outcomes_achieved"] = rows[9]["outcomes_achieved"] + "0"
    rows[9]["referral_end_state"] = "  Completed"
    again = import_ram_performance(engine, to_csv(rows), file_name="spelled.csv", chunk_rows=4)
    assert again.ok, problems(again)
    assert "check values (pandas, reference)" in again.phases
    assert (again.rows_inserted, again.rows_updated, again.rows_unchanged) == (0, 1, 11)


def test_rows_leaving_out_trailing_blanks_are_read_by_pandas_as_before(engine):
    rows = report_rows(6)
    data = to_csv(rows).decode()
    lines = data.splitlines()
    lines[2] = lines[2].rstrip(",")  # row 2 ends with blank values; a writer may leave them out
    assert lines[2].count(",") < len(RAM_COLUMNS) - 1
    result = import_ram_performance(engine, ("\n".join(lines) + "\n").encode(), file_name="short.csv")
    assert result.ok and result.rows_inserted == 6, problems(result)
    assert any(phase.startswith("first attempt with Arrow") for phase in result.phases)


def test_a_ragged_line_is_reported_once_and_nothing_is_written(engine):
    data = to_csv(report_rows(5)) + b"P9,extra" + b"," * 30 + b"\n"
    result = import_ram_performance(engine, data, file_name="ragged.csv")
    assert [p.reason for p in result.problems.sorted()] == [
        "this line has 32 values but there are 24 column headings (a stray comma, or a value with a comma that "
        "is not in quotes?); the line was not read"
    ]
    assert counts(engine)["referrals"] == 0


def test_blank_lines_are_skipped_but_counted(engine):
    rows = report_rows(4)
    rows[3]["count_of_sessions_attended"] = "x"
    lines = to_csv(rows).decode().splitlines()
    data = "\n".join(lines[:2] + ["", "," * 23] + lines[2:]) + "\n"
    result = import_ram_performance(engine, data.encode(), file_name="blank.csv")
    assert problems(result) == [(7, "count_of_sessions_attended", "x", "not a whole number")]


def test_direct_load_drops_and_restores_the_unique_key(engine, monkeypatch):
    monkeypatch.setattr(ram, "REBUILD_INDEXES_FROM_ROWS", 1)
    indexes, keys = index_names(engine), foreign_keys(engine)
    result = import_ram_performance(engine, to_csv(report_rows(30)), file_name="first.csv", chunk_rows=7)
    assert result.ok and index_names(engine) == indexes and foreign_keys(engine) == keys
    with engine.connect() as conn:  # the key is enforced again
        held = conn.execute(select(Referral.referral_id).limit(1)).scalar()
    with pytest.raises(Exception), engine.begin() as conn:
        conn.execute(text("INSERT INTO referrals (id, referral_id, referral_ref, source) VALUES (999999, :k, 'dup', 'x')"),
                     {"k": held})


def test_failure_during_a_direct_load_leaves_an_empty_database_empty(engine, monkeypatch):
    monkeypatch.setattr(ram, "REBUILD_INDEXES_FROM_ROWS", 1)
    before, indexes, keys = counts(engine), index_names(engine), foreign_keys(engine)
    seen = injected(monkeypatch, ("referrals",), 12)
    with pytest.raises(RuntimeError, match="row 12"):
        import_ram_performance(engine, to_csv(report_rows(20)), file_name="big.csv", chunk_rows=5)
    assert seen["rows"] == 12
    assert counts(engine) == before and index_names(engine) == indexes and foreign_keys(engine) == keys


def test_failure_after_a_merge_wrote_rows_leaves_the_database_unchanged(engine, monkeypatch):
    monkeypatch.setattr(ram, "MERGE_ROWS", {"postgresql": 1, "sqlite": 1})  # merge every chunk
    first = import_ram_performance(engine, to_csv(report_rows(10)), file_name="first.csv")
    assert first.ok
    before, rows_before = counts(engine), stored_rows(engine)
    real, calls = ram.RamWriter._inserted, {"n": 0}

    def failing(self, count, result):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("injected failure after the first chunk was merged")
        return real(self, count, result)

    monkeypatch.setattr(ram.RamWriter, "_inserted", failing)
    later = report_rows(10) + report_rows(10, prefix="Q")
    later[2]["count_of_sessions_attended"] = "9"
    with pytest.raises(RuntimeError, match="injected"):
        import_ram_performance(engine, to_csv(later), file_name="later.csv", chunk_rows=8)
    assert counts(engine) == before and stored_rows(engine) == rows_before


def test_merge_counts_and_undo_with_placeholders_a_case_extract_created(engine):
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO referrals (id, referral_ref, source) VALUES (500, 'P0000002', 'case_extract')"))
    rows = report_rows(5)
    result = import_ram_performance(engine, to_csv(rows), file_name="first.csv", chunk_rows=2)
    assert (result.rows_inserted, result.rows_updated, result.rows_unchanged) == (4, 1, 0), problems(result)
    with engine.connect() as conn:
        completed = conn.execute(select(Referral.id, Referral.referral_id, Referral.source)
                                 .where(Referral.referral_ref == "P0000002")).one()
    assert completed == (500, rows[2]["referral_id"], "ram")
    again = import_ram_performance(engine, to_csv(rows), file_name="again.csv", chunk_rows=2)
    assert (again.rows_inserted, again.rows_updated, again.rows_unchanged) == (0, 0, 5)
    assert undo_batch(engine, result.batch_id, user="t") == {
        "referrals restored": 1, "referrals deleted": 4, "contracts deleted": 3, "providers deleted": 3}
    with engine.connect() as conn:
        left = conn.execute(select(Referral.id, Referral.referral_id, Referral.source)).all()
    assert left == [(500, None, "case_extract")]


@pytest.mark.parametrize("merge_rows", [1, 25, 10**9], ids=["every-chunk", "every-few-chunks", "once"])
@pytest.mark.parametrize("postgres_merge", [True, False], ids=["merge", "update-insert"])
def test_later_file_in_many_chunks_updates_only_what_changed(engine, monkeypatch, merge_rows, postgres_merge):
    if engine.dialect.name != "postgresql" and not postgres_merge:
        pytest.skip("PostgreSQL 14's way")
    monkeypatch.setattr(ram, "MERGE_ROWS", {"postgresql": merge_rows, "sqlite": merge_rows})
    monkeypatch.setattr(ram, "has_merge", lambda connection: postgres_merge)
    rows = report_rows(40)
    first = import_ram_performance(engine, to_csv(rows), file_name="first.csv", chunk_rows=9)
    later = [dict(r) for r in rows] + report_rows(3, prefix="N")
    # One more session attended, as a later download shows it (a lower count would be an older
    # download's, which the merge leaves alone: issue 13 part 6).
    later[0]["count_of_sessions_attended"] = str(int(later[0]["count_of_sessions_attended"]) + 1)
    later[17]["end_requested_by_pp_reason"] = later[17]["end_requested_by_pp_reason"] + " (see notes)"
    later[33]["caseworker_id"] = "CW-NEW"
    result = import_ram_performance(engine, to_csv(later), file_name="later.csv", chunk_rows=9)
    assert (result.rows_inserted, result.rows_updated, result.rows_unchanged) == (3, 3, 37), problems(result)
    with engine.connect() as conn:
        batches = dict(conn.execute(select(Referral.referral_ref, Referral.import_batch_id)).all())
        restored_count = conn.execute(
            text("SELECT COUNT(*) FROM import_changes WHERE batch_id = :b AND operation = 'update'"),
            {"b": result.batch_id},
        ).scalar()
    assert restored_count == 3
    assert {ref for ref, batch in batches.items() if batch == result.batch_id} == {
        "P0000000", "P0000017", "P0000033", "N0000000", "N0000001", "N0000002"}
    assert batches["P0000001"] == first.batch_id
    assert undo_batch(engine, result.batch_id, user="t") == {"referrals restored": 3, "referrals deleted": 3}
    undone = import_ram_performance(engine, to_csv(rows), file_name="first-again.csv")
    assert (undone.rows_inserted, undone.rows_updated) == (0, 0)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Referral)).scalar() == 40
