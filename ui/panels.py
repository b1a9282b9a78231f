"""Rendering shared by every page: a chart or table panel that states its finding, its
units and "as of" date, its notes (definitions, assumptions, suppression), offers the data
behind it and a CSV of exactly what is shown, and explains itself when it is empty."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pandas as pd
import streamlit as st

from domain.export import safe_csv_bytes


def as_of_caption(as_of: dt.date | None, unit: str | None = None) -> str:
    parts = [f"Data as of {as_of:%d %B %Y}" if as_of else "No data loaded yet"]
    if unit:
        parts.append(f"Units: {unit}")
    return " · ".join(parts)


def _cell_text(value) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def displayable(data: pd.DataFrame) -> pd.DataFrame:
    """``data`` with every column that mixes kinds (counts beside "[c]", numbers beside "no
    data") as text, so the table shows what the panel says (Arrow refuses mixed columns, and
    Streamlit's silent fallback logs a traceback); whole numbers with thousands separators."""
    out = data
    for column in data.columns:
        values = data[column]
        if values.dtype == object and len({type(v) for v in values if v is not None}) > 1:
            if out is data:
                out = data.copy()
            out[column] = [_cell_text(v) for v in values]
    return out


def _styled(data: pd.DataFrame, row_styles: pd.Series | None):
    if row_styles is None or not row_styles.astype(bool).any():
        return data
    css = row_styles.reindex(data.index).fillna("").to_numpy()
    return data.style.apply(lambda column: css, axis=0).format(_cell_text)


def data_download(data: pd.DataFrame, *, key: str, file_name: str, label: str = "Download CSV") -> None:
    # The file's name says which view it holds (period, areas, complexity, page choices).
    from ui.view import current_statement, file_name as view_file_name

    stem, dot, suffix = file_name.rpartition(".")
    file_name = view_file_name(stem or suffix, current_statement(), f".{suffix}" if dot else "")
    # Panel data is an aggregate (a few hundred rows at most), so the CSV is made with the page
    # and served as a plain file. Streamlit's deferred (callable) downloads were tried and lost
    # clicks when several sessions were running. A click doesn't rerun the page.
    st.download_button(label, safe_csv_bytes(data), file_name=file_name, mime="text/csv",
                       key=f"dl_{key}", on_click="ignore")


def panel(
    title: str,
    data: pd.DataFrame,
    *,
    key: str,
    as_of: dt.date | None,
    figure=None,
    unit: str | None = None,
    notes: Sequence[str] = (),
    empty_message: str = "Nothing matches the filters chosen: widen the period or clear a filter.",
    show_table: bool = False,
    column_config: dict | None = None,
    row_styles: pd.Series | None = None,
) -> None:
    """One panel. ``data`` is exactly what the chart shows (already suppressed if about people);
    ``column_config`` gives its columns human labels (``st.column_config``); ``row_styles``
    (CSS per row, aligned with ``data``) marks rows, e.g. the viewer's own region in bold."""
    st.subheader(title)
    st.caption(as_of_caption(as_of, unit))
    if data is None or data.empty:
        st.info(empty_message)
        return
    if figure is not None:
        st.plotly_chart(figure, key=f"fig_{key}", config={"displaylogo": False})
    if show_table:
        st.dataframe(_styled(displayable(data), row_styles), hide_index=True, key=f"tbl_{key}",
                     column_config=column_config)
    for note in notes:
        if note:
            st.caption(note)
    with st.expander("Show the data"):
        if not show_table:
            st.dataframe(_styled(displayable(data), row_styles), hide_index=True, column_config=column_config)
        data_download(data, key=key, file_name=f"{key}.csv")
