"""Refer and Monitor performance report import: real-format and broken files, all or nothing."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from data_access import bulk
from data_access.batches import UndoRefused, import_history, undo_batch
from data_access.importers import ram
from data_access.importers.ram import RAM_COLUMNS, REQUIRED_COLUMNS, import_ram_performance
from data_access.models import Contract, ImportBatch, Provider, Referral
from data_access.scoping import analyst_scope

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "imports" / "ram_valid.csv"


def fixture_rows() -> list[dict[str, str]]:
    with open(FIXTURE, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def to_csv(rows: list[dict], columns=REQUIRED_COLUMNS, *, line_end="\n") -> bytes:
    """The rows as a report; by default in the 2022 (24-column) layout, as ``ram_valid.csv``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=line_end)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([row.get(c, "") for c in columns])
    return buffer.getvalue().encode("utf-8")


def injected(monkeypatch, tables: tuple[str, ...], at_row: int) -> dict:
    """Make bulk loads into ``tables`` fail on their ``at_row``-th row (counted across calls)."""
    real = bulk.bulk_insert
    seen = {"rows": 0}

    def failing(connection, table, columns, values):
        if table.name not in tables:
            return real(connection, table, columns, values)

        def counted():
            for value in values:
                seen["rows"] += 1
                if seen["rows"] == at_row:
                    raise RuntimeError(f"injected failure on row {at_row}")
                yield value

        return real(connection, table, columns, counted())

    monkeypatch.setattr(bulk, "bulk_insert", failing)
    return seen


def counts(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            t: conn.execute(text(f'SELECT COUNT(*) FROM "{t}"')).scalar()
            for t in ("referrals", "providers", "contracts", "import_batches", "import_changes", "audit_log")
        }


def problems(result) -> list[tuple]:
    return [(p.line, p.column, p.value, p.reason) for p in result.problems.sorted()]


# ---------------------------------------------------------------------------------------------


def test_valid_report_is_imported_with_london_dates_and_flags(reference_engine):
    result = import_ram_performance(reference_engine, FIXTURE, user="tester")
    assert result.ok, problems(result)
    assert (result.rows_read, result.rows_inserted, result.rows_updated) == (3, 3, 0)
    with reference_engine.connect() as conn:
        first = conn.execute(select(Referral).where(Referral.referral_ref == "GM0000001")).mappings().one()
        second = conn.execute(select(Referral).where(Referral.referral_ref == "GM0000002")).mappings().one()
        new_contract = conn.execute(select(Contract).where(Contract.reference == "GMIRS-WSS-LOT9")).mappings().one()
        new_provider = conn.execute(select(Provider).where(Provider.organisation_code == "ORG-NEW")).mappings().one()
        batch = conn.execute(select(ImportBatch)).mappings().one()
    # DOMAIN.md "Dates": 2024-06-30T23:30:00Z is 1 July in London. BST began at 01:00 UTC on
    # 31 March 2024, so 2024-03-31T23:30:00Z is 00:30 BST on 1 April (DOMAIN.md's example
    # saying "31 March" contradicts its own rule; the rule is applied).
    assert str(first["received_on"]) == "2024-07-01"
    assert str(first["referral_received_at"]) == "2024-06-30 23:30:00"
    assert str(first["saa_first_attended_at"]) == "2024-07-03 10:05:12.345000"
    assert str(second["received_on"]) == "2024-04-01"
    assert first["saa_attended_on_time"] is True and first["outcomes_achieved"] == 2.5
    assert second["end_requested_by_pp_reason"] == "Service user has been recalled"
    assert second["referral_end_state"] == "ended" and str(second["concluded_on"]) == "2024-04-20"
    assert first["source"] == "ram" and first["import_batch_id"] == batch["id"]
    # Changes are found by comparing content column by column; no row hash is kept any more.
    assert first["row_hash"] is None
    assert new_contract["needs_mapping"] and new_provider["needs_review"]
    assert any("GMIRS-WSS-LOT9" in n for n in result.notices)
    assert (batch["status"], batch["rows_read"], batch["rows_inserted"], batch["imported_by"]) == ("done", 3, 3, "tester")
    assert len(batch["sha256"]) == 64


def test_same_file_again_changes_nothing_and_is_recorded(engine):
    import_ram_performance(engine, FIXTURE)
    before = counts(engine)
    again = import_ram_performance(engine, FIXTURE)
    assert again.ok and again.written
    assert (again.rows_inserted, again.rows_updated, again.rows_unchanged) == (0, 0, 3)
    after = counts(engine)
    assert after["referrals"] == before["referrals"] and after["import_changes"] == before["import_changes"]
    assert after["import_batches"] == before["import_batches"] + 1
    history = import_history(engine, scope=analyst_scope())
    assert (history[0].rows_inserted, history[0].rows_updated) == (0, 0)


def test_same_content_written_differently_is_unchanged(engine):
    import_ram_performance(engine, FIXTURE)
    rows = fixture_rows()
    rows[0]["date_referral_received"] = "2024-07-01T00:30:00.000+01:00"  # the same instant
    rows[2]["saa_attended_on_time"] = "FALSE"  # as Excel rewrites it
    again = import_ram_performance(engine, to_csv(rows), file_name="rewritten.csv")
    assert (again.rows_inserted, again.rows_updated, again.rows_unchanged) == (0, 0, 3)


def test_later_report_updates_changed_referrals_only_and_undo_restores(engine):
    first = import_ram_performance(engine, FIXTURE)
    rows = fixture_rows()
    rows[2]["date_of_first_action_plan_approval"] = "2024-01-23T10:00:00Z"
    rows.append({**rows[1], "referral_ref": "GM0000004", "referral_id": "7d3c1f52-6a4e-4b51-9c57-1a2b3c4d5e04"})
    later = import_ram_performance(engine, to_csv(rows), file_name="later.csv")
    assert later.ok
    assert (later.rows_inserted, later.rows_updated, later.rows_unchanged) == (1, 1, 2)
    with engine.connect() as conn:
        approved = conn.execute(
            select(Referral.action_plan_approved_on, Referral.import_batch_id).where(Referral.referral_ref == "GM0000003")
        ).one()
        untouched = conn.execute(select(Referral.import_batch_id).where(Referral.referral_ref == "GM0000001")).scalar()
    assert str(approved[0]) == "2024-01-23" and approved[1] == later.batch_id
    assert untouched == first.batch_id
    with pytest.raises(UndoRefused):
        undo_batch(engine, first.batch_id, user="admin")  # the later batch changed its rows
    undone = undo_batch(engine, later.batch_id, user="admin")
    assert undone == {"referrals restored": 1, "referrals deleted": 1}
    with engine.connect() as conn:
        restored = conn.execute(
            select(Referral.action_plan_approved_on, Referral.first_action_plan_approved_at, Referral.import_batch_id)
            .where(Referral.referral_ref == "GM0000003")
        ).one()
        assert conn.execute(select(func.count()).select_from(Referral)).scalar() == 3
    assert restored == (None, None, first.batch_id)
    undo_batch(engine, first.batch_id, user="admin")
    assert counts(engine)["referrals"] == 0 and counts(engine)["contracts"] == 0
    with pytest.raises(UndoRefused, match="already undone"):
        undo_batch(engine, first.batch_id, user="admin")


# --- broken files: exact problems, nothing written ---------------------------------------------


def assert_rejected(engine, data, expected: list[tuple], **kwargs):
    before = counts(engine)
    result = import_ram_performance(engine, data, file_name="test.csv", **kwargs)
    assert not result.ok and not result.written
    assert problems(result) == expected
    assert counts(engine) == before
    return result


@pytest.mark.parametrize("column", REQUIRED_COLUMNS)
def test_each_column_missing_in_turn(engine, column):
    columns = [c for c in RAM_COLUMNS if c != column]
    assert_rejected(engine, to_csv(fixture_rows(), columns), [(1, column, None, "required column is missing")])


@pytest.mark.parametrize("column", sorted(ram.ADDED_COLUMNS))
def test_a_column_added_since_2024_may_be_missing(engine, column):
    columns = [c for c in RAM_COLUMNS if c != column]
    result = import_ram_performance(engine, to_csv(fixture_rows(), columns), file_name="test.csv")
    assert result.ok and result.rows_inserted == 3, problems(result)


def test_extra_column_is_left_out_with_a_notice(engine):
    rows = fixture_rows()
    for row in rows:
        row["notes"] = "something R&M may add one day"
    result = import_ram_performance(engine, to_csv(rows, [*RAM_COLUMNS, "notes"]), file_name="test.csv")
    assert result.ok and result.rows_inserted == 3, problems(result)
    assert any("left out of the import: notes" in n for n in result.notices)


@pytest.mark.parametrize("heading", ["first_name", "Surname", "date_of_birth", "DOB", "Address Line 1", "postcode"])
def test_personal_identifier_column_refused(engine, heading):
    result = assert_rejected(engine, to_csv(fixture_rows(), [*RAM_COLUMNS, heading]), [
        (1, heading, heading, ram.check_headings.__globals__["PERSONAL_IDENTIFIER_REASON"]),
    ])
    assert "pseudonymous" in result.problems.listed[0].reason


BAD_VALUES = [
    ("date_referral_received", "31/03/2024", ram.TIMESTAMP_REASON),
    ("date_referral_received", "2024-03-31T10:00:00", ram.TIMESTAMP_REASON),  # no offset
    ("date_referral_received", "2024-02-30T10:00:00Z", ram.TIMESTAMP_REASON),
    ("date_referral_received", "", "is blank but a value is required"),
    ("date_saa_first_attended", "next week", ram.TIMESTAMP_REASON),
    ("saa_attended_on_time", "maybe", "not true or false"),
    ("outcomes_to_be_achieved_count", "2.5", "not a whole number"),
    ("count_of_sessions_attended", "three", "not a whole number"),
    ("count_of_sessions_expected", "-1", "is negative: a count cannot be below 0"),
    ("outcomes_achieved", "lots", "not a number"),
    ("referral_end_state", "finished", "not an allowed end state; use one of: completed, cancelled, ended"),
    ("service_user_crn", "12345", "not a CRN: a capital letter followed by six digits, e.g. X123456"),
    ("referral_id", "", "is blank but a value is required"),
    ("referral_ref", "R" * 41, "is longer than 40 characters"),
    ("contract_ref", " ", "is blank but a value is required"),
]


@pytest.mark.parametrize(("column", "value", "reason"), BAD_VALUES)
def test_each_kind_of_bad_value(engine, column, value, reason):
    rows = fixture_rows()
    rows[0][column] = value
    assert_rejected(engine, to_csv(rows), [(2, column, value, reason)])


def test_impossible_sequences_and_duplicates(engine):
    rows = fixture_rows()
    rows[0]["date_saa_first_attended"] = "2024-06-29T10:00:00Z"  # before referral (1 July London)
    rows[1]["concluded_at"] = "2024-03-01T10:00:00Z"  # ended before received
    rows[2]["date_first_action_plan_submitted"] = "2024-01-22T10:00:00Z"
    rows[2]["date_of_first_action_plan_approval"] = "2024-01-20T10:00:00Z"  # approved before submitted
    rows.append(dict(rows[0], date_saa_first_attended=""))
    assert_rejected(engine, to_csv(rows), [
        (2, "date_saa_first_attended", "2024-06-29T10:00:00Z",
         "the assessment was attended before the referral was received (date_referral_received is 2024-06-30T23:30:00Z)"),
        (3, "concluded_at", "2024-03-01T10:00:00Z",
         "the referral ended before it was received (date_referral_received is 2024-03-31T23:30:00Z)"),
        (4, "date_of_first_action_plan_approval", "2024-01-20T10:00:00Z",
         "the action plan was approved before it was submitted (date_first_action_plan_submitted is 2024-01-22T10:00:00Z)"),
        (5, "referral_id", "7d3c1f52-6a4e-4b51-9c57-1a2b3c4d5e01", "appears more than once in the file (first on row 2)"),
    ])


def test_duplicates_across_chunks_are_found(engine):
    rows = fixture_rows() + [fixture_rows()[0]]
    assert_rejected(engine, to_csv(rows), [
        (5, "referral_id", "7d3c1f52-6a4e-4b51-9c57-1a2b3c4d5e01", "appears more than once in the file (first on row 2)"),
    ], chunk_rows=2)


def test_every_problem_is_collected_not_the_first(engine):
    rows = fixture_rows()
    rows[0]["saa_attended_on_time"] = "yes please"
    rows[1]["outcomes_achieved"] = "x"
    rows[2]["service_user_crn"] = ""
    result = import_ram_performance(engine, to_csv(rows), file_name="t.csv")
    assert [(p.line, p.column) for p in result.problems.sorted()] == [
        (2, "saa_attended_on_time"), (3, "outcomes_achieved"), (4, "service_user_crn"),
    ]
    assert result.rows_rejected == 3


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "the file is empty"),
        (bytes(range(256)) * 20, "this is not a CSV text file or an Excel workbook (it looks like binary data)"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100,
         "this is an old-style Excel file (.xls); save it as .xlsx or as CSV and send it again"),
        (to_csv([]), "the file has column headings but no rows"),
    ],
    ids=["zero-bytes", "binary-garbage", "old-xls", "header-only"],
)
def test_unreadable_or_empty_files(engine, data, reason):
    assert_rejected(engine, data, [(None, None, None, reason)])


def test_ragged_line_is_reported(engine):
    data = to_csv(fixture_rows()) + b"GM9,extra,,,\n".replace(b",,,", b"," * 30)
    result = import_ram_performance(engine, data, file_name="t.csv")
    assert not result.ok
    assert "values but there are 24 column headings" in result.problems.listed[0].reason  # the 2022 layout
    assert counts(engine)["referrals"] == 0


def test_one_row_file(engine):
    result = import_ram_performance(engine, to_csv(fixture_rows()[:1]), file_name="one.csv")
    assert result.ok and result.rows_inserted == 1


def test_bom_and_crlf(engine):
    data = b"\xef\xbb\xbf" + to_csv(fixture_rows(), line_end="\r\n")
    result = import_ram_performance(engine, data, file_name="bom.csv")
    assert result.ok, problems(result)
    assert result.rows_inserted == 3


def test_windows_1252_with_pound_sign_and_accented_name(engine):
    rows = fixture_rows()
    rows[0]["end_requested_by_pp_reason"] = "Reviewed by Siân Bénard: £20 travel owed"
    data = to_csv(rows).decode("utf-8").encode("cp1252")
    result = import_ram_performance(engine, data, file_name="excel.csv")
    assert result.ok, problems(result)
    with engine.connect() as conn:
        reason = conn.execute(
            select(Referral.end_requested_by_pp_reason).where(Referral.referral_ref == "GM0000001")
        ).scalar()
    assert reason == "Reviewed by Siân Bénard: £20 travel owed"
    assert any("not in the end-reason table" in n and "neutral" in n for n in result.notices)


def test_excel_workbook_with_real_dates(engine, tmp_path):
    from openpyxl import Workbook
    import datetime as dt

    rows = fixture_rows()
    book = Workbook()
    sheet = book.active
    sheet.append(list(REQUIRED_COLUMNS))
    for row in rows:
        values = [row[c] for c in REQUIRED_COLUMNS]
        sheet.append(values)
    # Excel holds real dates without a zone: read as London wall-clock time (BST here).
    at = REQUIRED_COLUMNS.index
    sheet.cell(row=2, column=at("date_referral_received") + 1, value=dt.datetime(2024, 7, 1, 0, 30))
    sheet.cell(row=2, column=at("outcomes_to_be_achieved_count") + 1, value=3)
    sheet.cell(row=4, column=at("date_referral_received") + 1, value=45306.4166666667)  # serial
    path = tmp_path / "report.xlsx"
    book.save(path)
    result = import_ram_performance(engine, path)
    assert result.ok, problems(result)
    with engine.connect() as conn:
        got = dict(conn.execute(select(Referral.referral_ref, Referral.referral_received_at)).all())
    assert str(got["GM0000001"]) == "2024-06-30 23:30:00"
    assert str(got["GM0000003"]) == "2024-01-15 10:00:00"


def test_validate_only_writes_nothing(engine):
    result = import_ram_performance(engine, FIXTURE, write=False)
    assert result.ok and not result.written and counts(engine)["import_batches"] == 0


# --- interruption ------------------------------------------------------------------------------


def test_failure_part_way_leaves_database_unchanged(engine, monkeypatch):
    import_ram_performance(engine, FIXTURE)  # something already there
    before = counts(engine)
    rows = [
        {**fixture_rows()[0], "referral_ref": f"GM9{i:06d}", "referral_id": f"id-{i:06d}"} for i in range(10)
    ]
    seen = injected(monkeypatch, ("referrals", ram.STAGED_ROWS), 7)  # loaded directly, or staged then merged
    with pytest.raises(RuntimeError, match="row 7"):
        import_ram_performance(engine, to_csv(rows), file_name="big.csv", chunk_rows=3)
    assert seen["rows"] == 7  # two chunks were written before the failure
    assert counts(engine) == before
