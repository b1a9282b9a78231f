"""Safe exports: spreadsheet formula injection is neutralised in every CSV/Excel cell."""

from __future__ import annotations

import pandas as pd

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value):
    """Prefix a text cell that a spreadsheet would run as a formula with an apostrophe.

    Numbers stay numbers (a negative number is data, not a formula); only text is changed.
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _needs_neutralising(column: pd.Series) -> bool:
    """Whether any text cell of ``column`` starts like a formula (one vectorised pass; non-text
    cells count as no)."""
    starts = column.str.startswith(FORMULA_PREFIXES)
    return bool(starts.fillna(False).astype(bool).any())


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy(deep=False)
    for column in out.columns:
        series = out[column]
        if series.dtype == object or pd.api.types.is_string_dtype(series):
            try:
                if not _needs_neutralising(series):
                    continue  # most columns: nothing to change, so no per-cell pass
            except AttributeError:  # .str refuses a column with no text at all
                continue
            out[column] = series.map(neutralise_cell)
    out.columns = [neutralise_cell(str(c)) for c in out.columns]
    return out


def safe_csv_bytes(frame: pd.DataFrame) -> bytes:
    """UTF-8 CSV with a BOM (so Excel reads £ and accents) and neutralised formulas."""
    return neutralise_frame(frame).to_csv(index=False).encode("utf-8-sig")
