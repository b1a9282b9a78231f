"""Rendering shared by every page: a chart or table panel that states its finding, its
units and "as of" date, its notes (definitions, assumptions, suppression), offers the data
behind it and a CSV of exactly what is shown, and explains itself when it is empty."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pandas as pd
import streamlit as st

from ui.text import plain
from ui.tables import cell_text, csv_download, displayable, table  # noqa: F401 (displayable: older callers)


def as_of_caption(as_of: dt.date | None, unit: str | None = None) -> str:
    parts = [f"Data as of {as_of:%d %B %Y}" if as_of else "No data loaded yet"]
    if unit:
        parts.append(f"Units: {unit}")
    return " · ".join(parts)


def tile(container, label: str, value, caption: str | None = None) -> None:
    """A headline figure whose label is shown whole, wrapped over lines (Streamlit cuts a long
    metric label short with an ellipsis): the label as text above, the figure under it (the metric
    keeps the label for screen readers), then its context."""
    container.markdown(f"**{plain(label)}**")
    container.metric(label, value, label_visibility="collapsed")
    if caption:
        container.caption(caption)


def _styled(data: pd.DataFrame, row_styles: pd.Series | None):
    """``data`` itself, or (with rows to mark) a Styler carrying each row's CSS."""
    if row_styles is None or not row_styles.astype(bool).any():
        return data
    shown = displayable(data)
    css = row_styles.reindex(shown.index).fillna("").to_numpy()
    return shown.style.apply(lambda column: css, axis=0).format(cell_text)


def data_download(data: pd.DataFrame, *, key: str, file_name: str, label: str = "Download CSV",
                  labels: dict | None = None) -> None:
    """The app's own CSV of a table (formulas neutralised by ``domain.export.safe_csv_bytes``,
    under the table's headings); Streamlit's toolbar export is off. The file's name says which
    view it holds (period, areas, complexity, page choices)."""
    from ui.view import current_statement, file_name as view_file_name

    stem, dot, suffix = file_name.rpartition(".")
    file_name = view_file_name(stem or suffix, current_statement(), f".{suffix}" if dot else "")
    csv_download(data, key=key, file_name=file_name, labels=labels, label=label)


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
    its table (``ui.tables.table``) heads columns in words (``metrics.labels``); ``column_config``
    overrides a column's entry; ``row_styles`` (CSS per row, aligned with ``data``) marks rows,
    e.g. the viewer's own region in bold."""
    st.subheader(title)
    st.caption(as_of_caption(as_of, unit))
    if data is None or data.empty:
        st.info(empty_message)
        return
    if figure is not None:
        st.plotly_chart(figure, key=f"fig_{key}", config={"displaylogo": False})
    if show_table:
        table(_styled(data, row_styles), key=f"tbl_{key}", column_config=column_config)
    for note in notes:
        if note:
            st.caption(note)
    with st.expander("Show the data"):
        if not show_table:
            table(_styled(data, row_styles), column_config=column_config)
        data_download(data, key=key, file_name=f"{key}.csv")
