"""Every table of a pack as an Excel workbook (XlsxWriter), one sheet each, plus the
definitions sheet.

Layout: an "About" sheet first (title, period, filters, "as of", suppression note,
assumptions), then one sheet per table (title, context line, the table from row 4, its notes
beneath), then "Definitions". Numbers stay numbers; ``[c]`` and ``[low]`` are text.

Formula injection: every text cell goes through :func:`domain.export.neutralise_cell` /
:func:`domain.export.neutralise_frame` and is written with ``write_string`` (never
``write``, which would turn a string starting with ``=`` into a formula).
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re

import numpy as np
import pandas as pd
import xlsxwriter

from domain.export import neutralise_cell, neutralise_frame
from reports.pack_data import Pack

TABLE_START_ROW = 3  # 0-based: title, context line, blank, then the header
ABOUT_SHEET = "About"
DEFINITIONS_SHEET = "Definitions"


def sheet_name(key: str, taken: set[str]) -> str:
    """A valid, unique Excel sheet name (≤ 31 characters, none of []:*?/\\)."""
    base = re.sub(r"[\[\]:*?/\\]", " ", key).strip()[:31] or "Sheet"
    name, n = base, 2
    while name.lower() in taken:
        suffix = f" ({n})"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(name.lower())
    return name


def _write(sheet, row: int, col: int, value, fmt=None) -> None:
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        sheet.write_blank(row, col, None, fmt)
    elif isinstance(value, (bool, np.bool_)):
        sheet.write_boolean(row, col, bool(value), fmt)
    elif isinstance(value, (int, float, np.integer, np.floating)):
        sheet.write_number(row, col, float(value) if isinstance(value, (float, np.floating)) else int(value), fmt)
    elif isinstance(value, (dt.date, pd.Timestamp)):
        sheet.write_string(row, col, f"{value:%Y-%m-%d}", fmt)
    else:
        sheet.write_string(row, col, str(neutralise_cell(str(value))), fmt)


def _frame_sheet(book, sheet, frame: pd.DataFrame, title: str, context: str, notes, bold, header) -> None:
    _write(sheet, 0, 0, title, bold)
    _write(sheet, 1, 0, context)
    safe = neutralise_frame(frame)
    for c, name in enumerate(safe.columns):
        _write(sheet, TABLE_START_ROW, c, name, header)
        width = max([len(str(name))] + [len(str(v)) for v in frame.iloc[:, c].head(200)]) if len(frame) else len(str(name))
        sheet.set_column(c, c, min(max(width + 2, 8), 60))
    for r, record in enumerate(safe.itertuples(index=False), start=TABLE_START_ROW + 1):
        for c, value in enumerate(record):
            _write(sheet, r, c, value)
    row = TABLE_START_ROW + len(safe) + 2
    for note in notes:
        _write(sheet, row, 0, note)
        row += 1


def pack_to_xlsx(pack: Pack) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    book.set_properties({"title": pack.title, "subject": pack.context_line, "comments": pack.suppression_note})
    bold = book.add_format({"bold": True, "font_size": 13})
    header = book.add_format({"bold": True, "bg_color": "#E6ECF2", "border": 1})
    taken: set[str] = set()

    about = book.add_worksheet(sheet_name(ABOUT_SHEET, taken))
    lines = [
        ("Pack", pack.full_title), ("Period", pack.period.label),
        ("From", pack.period.start.isoformat()), ("To", pack.period.end.isoformat()),
        ("Data as of", pack.as_of.isoformat() if pack.as_of else "no data"),
        ("Filters", pack.filters_text), ("Suppression", pack.suppression_note),
        ("Generated", f"{pack.generated_at:%Y-%m-%d %H:%M}"),
    ] + ([("Part period", pack.coverage_note)] if pack.coverage_note else []) + (
        [("Demo data", "Every figure in this workbook is invented demo data.")] if pack.demo else []) + [
        ("Assumption", a) for a in pack.assumptions] + [
        ("Sheets", "One sheet per table in the pack, then Definitions."),
    ]
    _write(about, 0, 0, pack.title, bold)
    for r, (label, value) in enumerate(lines, start=2):
        _write(about, r, 0, label, header)
        _write(about, r, 1, value)
    about.set_column(0, 0, 14)
    about.set_column(1, 1, 120)

    for table in pack.tables:
        sheet = book.add_worksheet(sheet_name(table.key, taken))
        notes = ([table.headline] if table.headline else []) + list(table.notes)
        _frame_sheet(book, sheet, table.frame, table.title, pack.context_line, notes, bold, header)

    definitions = book.add_worksheet(sheet_name(DEFINITIONS_SHEET, taken))
    _frame_sheet(book, definitions, pack.definitions, "Definitions", pack.context_line,
                 [f"Assumption: {a}" for a in pack.assumptions], bold, header)
    book.close()
    return buffer.getvalue()
