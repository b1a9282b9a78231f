"""Imports that refuse what they cannot hold (issue 14, part 5), on SQLite and PostgreSQL: field
lengths, control characters, file, row and workbook limits checked before the file is read in
full, blank cells stored as NULL; every refusal a row-level problem, never an exception."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import text

from data_access.cli_import import run_import
from data_access.scoping import analyst_scope
from data_access.importers import case_extract, epop_workbook
from data_access.importers.case_extract import CASE_COLUMNS, import_case_extract
from data_access.importers.epop_workbook import EPOP_COLUMNS, import_epop_plan
from data_access.importers.reading import FileLimits
from tests.integration.test_import_case_epop import EPOP_TEMPLATE, table_counts, template_rows, to_csv


def _problems(result):
    return [(p.line, p.column, p.reason) for p in result.problems.sorted()]


def _epop_rows():
    sheet = load_workbook(EPOP_TEMPLATE).worksheets[0]
    rows = [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    return [dict(zip(rows[0], row)) for row in rows[1:]]


def _epop_csv(rows) -> bytes:
    return to_csv(rows, EPOP_COLUMNS)


@pytest.mark.parametrize(("column", "value", "reason"), [
    ("referral_ref", "GM" + "9" * 10_000_000, "is 10,000,002 characters long; at most 40 fit"),
    ("referral_ref", "GM\x0000001", "contains a control character"),
    ("crime_type", "x" * 61, "is 61 characters long; at most 60 fit"),
])
def test_case_extract_refuses_long_text_and_control_characters_row_by_row(reference_engine, column, value, reason):
    rows = template_rows()
    rows[1][column] = value
    result = import_case_extract(reference_engine, to_csv(rows), file_name="extract.csv")
    assert not result.ok and not result.written
    assert any(line == 3 and col == column and why.startswith(reason) for line, col, why in _problems(result))
    assert table_counts(reference_engine)["import_batches"] == 0


@pytest.mark.parametrize(("column", "value", "reason"), [
    ("action", "a" * 10_000_000, "is 10,000,000 characters long; at most 4,000 fit"),
    ("plan_title", "t" * 201, "is 201 characters long; at most 200 fit"),
    ("owner", "Deputy\x00Director", "contains a control character"),
])
def test_epop_plan_refuses_long_text_and_control_characters_row_by_row(reference_engine, column, value, reason):
    rows = _epop_rows()
    for row in rows:  # the plan title is checked on every row; set it on all so only length is wrong
        if column == "plan_title":
            row[column] = value
    rows[0][column] = value
    result = import_epop_plan(reference_engine, _epop_csv(rows), file_name="plan.csv")
    assert not result.written
    assert any(line == 2 and col == column and why.startswith(reason) for line, col, why in _problems(result))
    assert table_counts(reference_engine)["epop_plans"] == 0


def test_epop_blank_cells_are_stored_as_null_not_the_text_nan(reference_engine):
    result = import_epop_plan(reference_engine, EPOP_TEMPLATE, user="spoc")
    assert result.ok and result.written, _problems(result)
    with reference_engine.connect() as conn:
        values = conn.execute(text("SELECT printed_code, com_b, owner_role, snapshot, target_date_raw FROM epop_actions")).all()
    flat = [v for row in values for v in row]
    assert None in flat  # the template leaves com_b and snapshot blank
    assert not any(isinstance(v, str) and v.lower() == "nan" for v in flat)


def test_a_file_over_the_size_limit_is_refused_before_it_is_parsed(reference_engine, monkeypatch):
    monkeypatch.setattr(case_extract, "LIMITS", FileLimits(max_bytes=2_000, max_rows=100))
    parsed = []
    monkeypatch.setattr("data_access.importers.reading.open_table", lambda *a, **k: parsed.append(1))
    rows = template_rows() * 20
    result = import_case_extract(reference_engine, to_csv(rows), file_name="big.csv")
    assert not result.written and not parsed
    (line, column, reason), = _problems(result)
    assert line is None and "this import takes files up to" in reason


def test_too_many_rows_are_refused_while_streaming(reference_engine, monkeypatch):
    monkeypatch.setattr(case_extract, "LIMITS", FileLimits(max_bytes=10**9, max_rows=5))
    result = import_case_extract(reference_engine, to_csv(template_rows() * 4), file_name="rows.csv")
    assert not result.written
    assert any("more than 5 rows" in reason for _, _, reason in _problems(result))


def _bomb(path: Path, unpacked_mb: int) -> Path:
    """A valid workbook whose sheet XML is padded to ``unpacked_mb`` MB of zeros (compresses ~1000:1)."""
    book = Workbook()
    book.active.title = "actions"
    book.active.append(list(EPOP_COLUMNS))
    buffer = io.BytesIO()
    book.save(buffer)
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for entry in source.infolist():
            data = source.read(entry)
            if entry.filename.endswith("sheet1.xml"):
                data = data.replace(b"</worksheet>", b"<!--" + b"0" * (unpacked_mb << 20) + b"--></worksheet>")
            out.writestr(entry, data, compress_type=zipfile.ZIP_DEFLATED)
    return path


def test_a_compressed_workbook_bomb_is_refused_without_unpacking(reference_engine, tmp_path, monkeypatch):
    bomb = _bomb(tmp_path / "plan.xlsx", 60)
    assert bomb.stat().st_size < 1 << 20  # under 1 MB on disk, 60 MB unpacked
    opened = []
    monkeypatch.setattr("openpyxl.load_workbook", lambda *a, **k: opened.append(1))
    result = import_epop_plan(reference_engine, bomb)
    assert not result.written and not opened
    assert any("unpacks to" in reason or "compressed far more" in reason for _, _, reason in _problems(result))


def test_a_database_refusal_is_a_problem_not_a_stack_trace(reference_engine, monkeypatch):
    from sqlalchemy.exc import DataError

    def refuse(*args, **kwargs):
        raise DataError("INSERT …", {}, Exception("value too long for type character varying(40)"))

    monkeypatch.setattr("data_access.importers.case_extract.import_case_extract", refuse)
    result = run_import("case-extract", reference_engine, to_csv(template_rows()), user="t", scope=analyst_scope(),
                        file_name="x.csv")
    assert not result.ok and not result.written
    (line, column, reason), = _problems(result)
    assert line is None and "the database refused the file" in reason and "varying(40)" in reason


def test_the_templates_still_import_within_the_limits(reference_engine):
    assert import_case_extract(reference_engine, to_csv(template_rows()), file_name="t.csv").ok
    assert import_epop_plan(reference_engine, EPOP_TEMPLATE).ok
    assert set(CASE_COLUMNS) >= set(case_extract.TEXT_LIMITS) and set(EPOP_COLUMNS) >= set(epop_workbook.TEXT_LIMITS)
