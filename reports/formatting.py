"""How a pack's values read on a slide or a PDF page (the workbook keeps numbers as numbers)."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd

#: Analysis Function palette (DOMAIN.md "Accessibility"): adjacent colours contrast ≥ 3:1.
PALETTE = ("12436D", "28A197", "801650", "F46A25", "3D3D3D", "A285D1")
#: Findings' text colours: the palette's teal (3.2:1 on white) is too light for text, so successes
#: are written in a darker teal (7.3:1); gaps maroon (9.8:1), opportunities navy (10.3:1).
KIND_COLOURS = {"success": "00625A", "gap": "801650", "opportunity": "12436D"}
#: Text and fills of slides and pages; every pair used is ≥ 4.5:1 (WCAG AA for body text).
TEXT = "0B0C0C"  # near-black (GOV.UK text colour)
MUTED = "3D3D3D"  # 10.9:1 on white
LINK = "1D70B8"  # 5.2:1 on white
HEADER_FILL, HEADER_TEXT = "12436D", "FFFFFF"  # 10.2:1
BAND_FILL = "F3F2F1"  # alternate table rows: 18.6:1 with TEXT
BODY_FILL = "FFFFFF"
BANNER_FILL = "801650"  # maroon: 9.6:1 with white


def cell_text(value, column: str = "") -> str:
    """A display string: money with £ and no pence, rates to 1 d.p., counts with separators."""
    if value is None:
        return ""
    if isinstance(value, float) and math.isnan(value):
        return ""
    if value is pd.NaT:
        return ""
    if isinstance(value, (dt.date, pd.Timestamp)):
        return f"{value:%d %b %Y}"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int) or (hasattr(value, "dtype") and "int" in str(getattr(value, "dtype", ""))):
        return f"{int(value):,}"
    if isinstance(value, float) or hasattr(value, "__float__") and not isinstance(value, str):
        number = float(value)
        if "£" in column:
            return f"£{number:,.0f}"
        if number.is_integer() and "%" not in column and "change" not in column.lower() and "CI" not in column:
            return f"{int(number):,}"
        return f"{number:,.2f}" if ("change" in column.lower() or "CI" in column) else f"{number:,.1f}"
    return str(value)


def frame_text(frame: pd.DataFrame) -> list[list[str]]:
    """Rows of display strings, header first."""
    rows = [[str(c) for c in frame.columns]]
    for record in frame.itertuples(index=False):
        rows.append([cell_text(v, str(c)) for v, c in zip(record, frame.columns)])
    return rows


def chunks(items: list, size: int) -> list[list]:
    """``items`` in pieces of at most ``size`` (at least one piece, possibly empty)."""
    return [items[i:i + size] for i in range(0, len(items), size)] or [[]]
