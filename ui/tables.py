"""Every table on every page goes through :func:`table`: headings in words, numbers with
thousands separators, dates as dates (1 Apr 2026), percentages with their unit in the heading,
empty cells as "–", and columns that mix counts with "[c]" or "no data" shown as text.

Downloads: Streamlit's own table toolbar export is switched off (``client.disableDataExport``
in ``.streamlit/config.toml`` and ``serve.py``: it does not neutralise cells a spreadsheet would
run as formulas); :func:`table` offers the app's own CSV instead (``domain.export``), with the
same headings as the table.
"""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd
import streamlit as st
from pandas.io.formats.style import Styler

from domain.export import safe_csv_bytes  # also used by the tests: the CSV under every table
from metrics.labels import INTERNAL, column_label

#: What an empty cell shows (never "None" or "nan").
EMPTY = "–"
#: Text that a reader would otherwise see for an empty value.
_EMPTY_TEXT = frozenset({"None", "nan", "NaN", "NaT", "<NA>", "none", "null"})
#: A figure written as text: a count, rate or percentage, or a symbol standing for one.
_FIGURE = re.compile(r"^(-?[\d,]+(\.\d+)?%?|\[c\]|\[low\]|no data|–)$")
#: Tables of up to this many rows are shown whole (no scrolling inside the table; prints whole).
WHOLE_ROWS = 20
DATE_FORMAT = "D MMM YYYY"
MONTH_FORMAT = "MMM YYYY"
DATETIME_FORMAT = "D MMM YYYY, HH:mm"


def _is_empty(value) -> bool:
    if value is None or value is pd.NaT:
        return True
    if isinstance(value, float) and value != value:
        return True
    return isinstance(value, str) and value.strip() in _EMPTY_TEXT


def cell_text(value) -> str:
    """A cell of a column shown as text: counts with separators, dates as dates, "–" when empty."""
    if _is_empty(value):
        return EMPTY
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.0f}" if value.is_integer() else f"{value:,.1f}"
    if isinstance(value, dt.datetime):
        return f"{value:%-d %b %Y, %H:%M}"
    if isinstance(value, dt.date):
        return f"{value:%-d %b %Y}"
    return str(value)


def _kinds(values: pd.Series) -> set[type]:
    kinds = set()
    for v in values:
        if _is_empty(v):
            continue
        kinds.add(int if isinstance(v, int) and not isinstance(v, bool) else type(v))
    return kinds


def displayable(data: pd.DataFrame) -> pd.DataFrame:
    """``data`` as the table shows it: a column that mixes kinds (counts beside "[c]", numbers
    beside "no data") as text (Arrow refuses mixed columns, and Streamlit's silent fallback logs
    a traceback); yes/no for true/false; empty text cells empty (shown as "–")."""
    out = data.copy()
    for column in data.columns:
        values = data[column]
        if pd.api.types.is_bool_dtype(values):
            out[column] = values.map({True: "yes", False: "no"})
        elif values.dtype == object or pd.api.types.is_string_dtype(values):
            kinds = _kinds(values)
            if len(kinds) > 1 or kinds == {bool}:
                out[column] = [cell_text(v) for v in values]
            elif values.map(lambda v: isinstance(v, str) and v.strip() in _EMPTY_TEXT).any():
                out[column] = values.map(lambda v: None if _is_empty(v) else v).astype(object)
    return out


def _is_date_column(values: pd.Series) -> bool:
    present = [v for v in values if not _is_empty(v)]
    return bool(present) and all(isinstance(v, dt.date) and not isinstance(v, dt.datetime) for v in present)


def _column(name, values: pd.Series, label: str):
    """The st.column_config entry for one column, by its data and its heading."""
    day = MONTH_FORMAT if str(name).lower() == "month" else DATE_FORMAT
    if pd.api.types.is_datetime64_any_dtype(values):
        times = values.dropna()
        if len(times) and (times.dt.normalize() == times).all():
            return st.column_config.DateColumn(label, format=day)
        return st.column_config.DatetimeColumn(label, format=DATETIME_FORMAT)
    if values.dtype == object and _is_date_column(values):
        return st.column_config.DateColumn(label, format=day)
    if pd.api.types.is_integer_dtype(values):
        return st.column_config.NumberColumn(label, format="localized")
    if pd.api.types.is_float_dtype(values):
        if "p-value" in label or "Chi-square" in label:
            return st.column_config.NumberColumn(label, format="%.3f")
        if "interval" in label or "points" in label:  # a rate's interval to 0.1, a score change's to 0.01
            small = values.dropna().abs().max() < 10 if values.notna().any() else True
            return st.column_config.NumberColumn(label, format="%.2f" if small else "%.1f")
        if "%" in label:
            return st.column_config.NumberColumn(label, format="%.1f")
        # Counts, money and expected numbers: thousands separators (rounded by _rounded).
        return st.column_config.NumberColumn(label, format="localized")
    if values.dtype == object or pd.api.types.is_string_dtype(values):
        present = [v for v in values if not _is_empty(v)]
        if present and all(isinstance(v, str) and _FIGURE.match(v) for v in present):
            return st.column_config.TextColumn(label, alignment="right")  # figures shown as text ("1,036", "[c]")
    return st.column_config.TextColumn(label)


def column_config_for(data: pd.DataFrame, labels: dict | None = None, column_config: dict | None = None) -> dict:
    """A column_config for every column of ``data``: the caller's entries first, then headings
    from ``labels`` or :func:`metrics.labels.column_label`; workings (``INTERNAL``) hidden."""
    labels = labels or {}
    config = dict(column_config or {})
    for name in data.columns:
        if name in config:
            continue
        if name in INTERNAL:
            config[name] = None
            continue
        config[name] = _column(name, data[name], labels.get(name) or column_label(name))
    return config


def _rounded(data: pd.DataFrame, labels: dict | None = None) -> pd.DataFrame:
    """Numbers shown with thousands separators rounded as the table shows them: money to whole
    pounds, other counts and expected numbers to one decimal place."""
    out = data
    for name in data.columns:
        label = (labels or {}).get(name) or column_label(name)
        if not pd.api.types.is_float_dtype(data[name]) or any(k in label for k in ("%", "p-value", "Chi-square",
                                                                                    "interval", "points")):
            continue
        if out is data:
            out = data.copy()
        out[name] = data[name].round(0 if "£" in label else 1)
    return out


def headed(data: pd.DataFrame, labels: dict | None = None) -> pd.DataFrame:
    """``data`` with the headings the table shows and without its workings: the CSV a reader downloads."""
    labels = labels or {}
    shown = data[[c for c in data.columns if c not in INTERNAL]]
    return shown.rename(columns={c: labels.get(c) or column_label(c) for c in shown.columns})


def table(data: pd.DataFrame, *, key: str | None = None, labels: dict | None = None,
          column_config: dict | None = None, download: str | None = None, hide_index: bool = True,
          **options) -> None:
    """Show ``data`` as a table (see the module's docstring). ``labels`` maps column names to
    headings (default: ``metrics.labels``); ``column_config`` entries win over both;
    ``download``: a file name for a formula-safe CSV of the table under its headings."""
    if isinstance(data, Styler):  # a styled table (the maps' colour swatches): its cells as they are
        config = column_config_for(data.data, labels, column_config)
        st.dataframe(data, hide_index=hide_index, key=key, column_config=config, placeholder=EMPTY, **options)
        return
    shown = _rounded(displayable(data), labels)
    if "height" not in options and 0 < len(shown) <= WHOLE_ROWS:
        options["height"] = 35 * (len(shown) + 1) + 3  # every row, no inner scroll bar
    st.dataframe(shown, hide_index=hide_index, key=key, column_config=column_config_for(shown, labels, column_config),
                 placeholder=EMPTY, **options)
    if download:
        csv_download(data, key=key or download, file_name=download, labels=labels)


def csv_download(data: pd.DataFrame, *, key: str, file_name: str, labels: dict | None = None,
                 label: str = "Download CSV") -> None:
    # Tables are aggregates or short lists, so the CSV is made with the page and served as a
    # plain file. Streamlit's deferred (callable) downloads were tried and lost clicks when
    # several sessions were running. A click doesn't rerun the page.
    st.download_button(label, safe_csv_bytes(headed(data, labels)), file_name=file_name, mime="text/csv",
                       key=f"dl_{key}", on_click="ignore")
