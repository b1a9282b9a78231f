"""Case extract and EPOP plan imports; a property test of the R&M validator."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from data_access.batches import undo_batch
from data_access.importers.case_extract import CASE_COLUMNS, import_case_extract
from data_access.importers.epop_workbook import import_epop_plan
from data_access.importers.ram import RAM_COLUMNS, import_ram_performance

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "assets" / "templates" / "case_extract.csv"
EPOP_TEMPLATE = ROOT / "assets" / "templates" / "epop_plan.xlsx"
RAM_FIXTURE = ROOT / "tests" / "fixtures" / "imports" / "ram_valid.csv"


def table_counts(engine):
    names = ("referrals", "referral_needs", "appointments", "need_scores", "record_events", "referral_outcomes",
             "onward_referrals", "epop_plans", "epop_actions", "import_batches")
    with engine.connect() as conn:
        return {t: conn.execute(text(f'SELECT COUNT(*) FROM "{t}"')).scalar() for t in names}


def template_rows():
    with open(TEMPLATE, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def to_csv(rows, columns=CASE_COLUMNS) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([row.get(c, "") for c in columns])
    return out.getvalue().encode("utf-8")


def test_case_extract_matches_ram_referral_and_is_idempotent(reference_engine):
    import_ram_performance(reference_engine, RAM_FIXTURE)
    first = import_case_extract(reference_engine, TEMPLATE)
    assert first.ok and first.written, [p.as_text() for p in first.problems.sorted()]
    counts = table_counts(reference_engine)
    assert counts["referrals"] == 3  # matched GM0000001 by referral reference, no new row
    assert (counts["referral_needs"], counts["appointments"], counts["need_scores"]) == (2, 2, 2)
    with reference_engine.connect() as conn:
        row = conn.execute(text("SELECT complexity, distance_tool_completed_on, exit_survey_completed "
                                "FROM referrals WHERE referral_ref = 'GM0000001'")).one()
    assert row[0] == "MEDIUM" and str(row[1]) == "2024-07-05" and bool(row[2]) is True
    again = import_case_extract(reference_engine, TEMPLATE)
    assert (again.rows_inserted, again.rows_updated) == (0, 0)
    assert undo_batch(reference_engine, again.batch_id, user="t") == {}
    undo_batch(reference_engine, first.batch_id, user="t")
    assert table_counts(reference_engine)["appointments"] == 0


def test_case_extract_excel_template_reads_the_same(reference_engine, tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "records"
    sheet.append(list(CASE_COLUMNS))
    for row in template_rows():
        sheet.append([row[c] for c in CASE_COLUMNS])
    sheet.cell(row=10, column=CASE_COLUMNS.index("date") + 1, value=45478)  # serial for 2024-07-05
    path = tmp_path / "extract.xlsx"
    book.save(path)
    result = import_case_extract(reference_engine, path)
    assert result.ok, [p.as_text() for p in result.problems.sorted()]


@pytest.mark.parametrize(
    ("row", "column", "value", "reason_start"),
    [
        (0, "borough", "Atlantis", "not a known borough"),
        (0, "hub", "Nowhere Hub", "not a known hub"),
        (0, "complexity", "EXTREME", "not an allowed value"),
        (5, "score", "7", "is outside the scale"),
        (5, "score", "0", "is outside the scale"),
        (1, "need", "Happiness", "not a known need"),
        (5, "stage", "middle", "not an allowed value"),
        (1, "date", "2024-07-04", "is not used by a need record"),
        (7, "recorded_on", "2024-07-01", "is before the event it records"),
        (0, "record_type", "visit", "not an allowed record type"),
        (3, "date", "yesterday", "not a date and time"),
        (0, "consent_to_share", "perhaps", "not true or false"),
    ],
)
def test_case_extract_bad_values(reference_engine, row, column, value, reason_start):
    rows = template_rows()
    rows[row][column] = value
    before = table_counts(reference_engine)
    result = import_case_extract(reference_engine, to_csv(rows), file_name="bad.csv")
    assert not result.ok
    found = [p for p in result.problems.sorted() if p.column == column]
    assert found and found[0].line == row + 2 and found[0].reason.startswith(reason_start), result.problems.sorted()
    assert table_counts(reference_engine) == before


def test_case_extract_refuses_personal_identifiers_and_checks_sequence_against_ram(reference_engine):
    import_ram_performance(reference_engine, RAM_FIXTURE)
    rows = template_rows()
    rows[3]["date"] = "2024-06-01T10:00:00+01:00"  # assessment before the referral (1 July)
    result = import_case_extract(reference_engine, to_csv(rows, (*CASE_COLUMNS, "Date of Birth")), file_name="x.csv")
    reasons = {(p.column, p.reason.split(" (")[0].split(";")[0]) for p in result.problems.sorted()}
    assert ("Date of Birth", "this column looks like it holds a direct personal identifier") in {
        (c, r.split(" (")[0]) for c, r in reasons}
    assert ("date", "the assessment is dated before the referral was received") in reasons


def test_epop_workbook_keeps_raw_and_parsed_target_dates(reference_engine):
    result = import_epop_plan(reference_engine, EPOP_TEMPLATE, user="spoc")
    assert result.ok and result.rows_inserted == 2
    with reference_engine.connect() as conn:
        rows = conn.execute(text("SELECT target_date_raw, due_date, status FROM epop_actions ORDER BY id")).all()
    assert [(r[0], None if r[1] is None else str(r[1]), r[2]) for r in rows] == [
        ("Completed and monthly", None, "complete"), ("January 2021 and ongoing", "2021-01-31", "in progress")]


def test_epop_workbook_carries_the_plan_dates(reference_engine):
    heading = "plan_title,scope,region_code,action,commencement_date,agreed_by_region_on,agreed_centrally_on\n"
    data = (heading + "North West plan,region,K,First,2025-04-01,15/06/2025,2025-06-25\n"
            "North West plan,region,K,Second,2025-04-01,15/06/2025,2025-06-25\n").encode()
    result = import_epop_plan(reference_engine, data, file_name="plan.csv")
    assert result.ok, result.problems.sorted()
    with reference_engine.connect() as conn:
        row = conn.execute(text("SELECT commencement_date, agreed_by_region_on, agreed_centrally_on FROM epop_plans "
                                "WHERE title = 'North West plan'")).one()
    assert [str(v) for v in row] == ["2025-04-01", "2025-06-15", "2025-06-25"]


def test_epop_workbook_refuses_plan_dates_that_differ_or_precede_commencement(reference_engine):
    heading = "plan_title,scope,region_code,action,commencement_date,agreed_by_region_on,agreed_centrally_on\n"
    data = (heading + "Plan,region,K,First,2025-04-01,2025-03-01,2025-06-25\n"
            "Plan,region,K,Second,2025-04-01,2025-03-01,2025-06-26\n").encode()
    before = table_counts(reference_engine)
    result = import_epop_plan(reference_engine, data, file_name="plan.csv")
    columns = {p.column for p in result.problems.sorted()}
    assert columns == {"agreed_by_region_on", "agreed_centrally_on"}, result.problems.sorted()
    assert table_counts(reference_engine) == before


def test_epop_workbook_bad_response_writes_nothing(reference_engine):
    data = (",".join(("plan_title", "scope", "action", "response", "target_date")) + "\n"
            "Plan,inspection,Do it,Maybe,Soon\n").encode()
    before = table_counts(reference_engine)
    result = import_epop_plan(reference_engine, data, file_name="plan.csv")
    assert [(p.line, p.column) for p in result.problems.sorted()] == [(2, "recommendation"), (2, "response")]
    assert table_counts(reference_engine) == before


# --- property test -----------------------------------------------------------------------------

with open(RAM_FIXTURE, newline="", encoding="utf-8") as _handle:
    _BASE = list(csv.DictReader(_handle))[0]

#: Values that must always be refused in the given column.
INVALID = {
    "date_referral_received": ["", "2024-13-01T00:00:00Z", "yesterday", "2024-06-30 23:30", "1899-12-31T00:00:00Z"],
    "date_intervention_to_be_completed_by": ["2024-02-30", "soon", "1899-12-31"],
    "saa_attended_on_time": ["yes", "1", "t", "truee"],
    "count_of_sessions_expected": ["-3", "1.5", "ten", "1e400"],
    "outcomes_achieved": ["-0.5", "x"],
    "referral_end_state": ["done", "complete"],
    "service_user_crn": ["", "x123456", "X12345", "XX123456"],
    "referral_id": [""],
    "date_of_first_action_plan_approval": ["2024-07-01T00:00:00Z"],  # before submission (5 July)
}
VALID = {
    "date_referral_received": ["2024-06-30T23:30:00Z", "2024-07-01T00:30:00+01:00", "2024-06-30T23:30:00.5Z",
                               "2024-06-30T23:30Z", "2024-06-30 23:30:00.000000+00"],
    "end_of_sentence_date": ["", "2025-01-31", "31/01/2025"],
    "saa_attended_on_time": ["true", "false", "", "TRUE"],
    "count_of_sessions_expected": ["0", "12", ""],
    "outcomes_achieved": ["0", "0.5", "", "3"],
    "referral_end_state": ["completed", "cancelled", "ended", "", "Completed"],
    "service_user_crn": ["A000000", "Z999999"],
    "caseworker_id": ["", "CW 1", "Zoë ✓ £"],
    "end_requested_by_pp_reason": ["", "Sentence has ended", "anything at all, even \"quoted\", with commas"],
}

cell = st.one_of(
    st.sampled_from(sorted(INVALID)).flatmap(lambda c: st.tuples(st.just(c), st.sampled_from(INVALID[c]), st.just(False))),
    st.sampled_from(sorted(VALID)).flatmap(lambda c: st.tuples(st.just(c), st.sampled_from(VALID[c]), st.just(True))),
    # Anything: must not crash. Not a bare carriage return: csv.writer leaves it unquoted, and an
    # unquoted CR ends the line in any CSV reader (and in Excel), so the row really is split in two
    # and its problems are rightly reported on the next row.
    st.tuples(st.sampled_from(RAM_COLUMNS), st.text(alphabet=st.characters(exclude_characters="\r"), max_size=12),
              st.just(None)),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.lists(cell, max_size=4), min_size=1, max_size=5))
def test_property_never_crashes_never_accepts_invalid(rows):
    records, invalid_lines, unknown = [], set(), False
    for number, changes in enumerate(rows):
        record = dict(_BASE, referral_id=f"id-{number}", referral_ref=f"GM{number}")
        final: dict[str, bool | None] = {}
        for column, value, valid in changes:
            record[column] = value
            final[column] = valid  # a later value in the same column replaces an earlier one
        if False in final.values():
            invalid_lines.add(number + 2)
        unknown = unknown or None in final.values()
        records.append(record)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(RAM_COLUMNS)
    for record in records:
        writer.writerow([record.get(c, "") for c in RAM_COLUMNS])
    result = import_ram_performance(None, out.getvalue().encode("utf-8"), file_name="p.csv", write=False)
    rejected_lines = {p.line for p in result.problems.listed}
    if None in rejected_lines and unknown:
        # Arbitrary text (e.g. a NUL byte) can make the whole file unreadable: then it is
        # refused as a whole, before any row is read, and nothing is accepted.
        assert not result.ok and not result.written
        return
    # Every row given an invalid value is refused, with a problem on that row.
    assert invalid_lines <= rejected_lines
    if not unknown:
        # Rows built only from valid values are accepted.
        assert rejected_lines <= invalid_lines | {None}
