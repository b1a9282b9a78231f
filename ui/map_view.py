"""Drawing a :class:`geo.maps.MapFigure` on a page: the map, its legend (colour swatch, symbol
and band together), the compact table beside it, the clicked area's figures, and the notes.

Clicking an area is a pydeck selection event (``st.pydeck_chart(..., on_select=callback)``).
The callback runs before the next rerun draws any widget, so it may set the widgets'
state: the page passes what a click should select (e.g. the sidebar's Borough filter).
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from geo.maps import MapFigure
from ui.tables import table


def clicked(key: str, layer_id: str) -> dict | None:
    """The properties of the object last clicked in layer ``layer_id`` of map ``key``."""
    event = st.session_state.get(key)
    objects = ((event or {}).get("selection") or {}).get("objects") or {}
    picked = objects.get(layer_id) or []
    if not picked:
        return None
    item = picked[0]
    return item.get("properties", item) if isinstance(item, dict) else None


def legend_styler(legend: pd.DataFrame):
    """One layer's legend as a table whose first column is the band's colour (a swatch)."""
    frame = pd.DataFrame({"Colour": [""] * len(legend), "Symbol": legend["symbol"].to_numpy(),
                          "Band": legend["band"].to_numpy()})
    swatches = [f"background-color: {c}" for c in legend["colour"]]
    return frame.style.apply(lambda _column: swatches, subset=["Colour"])


def show_legend(legend: pd.DataFrame, key: str) -> None:
    """Each layer's bands under the layer's name: colour swatch, symbol and band together.

    A static table (HTML), not an interactive grid: a grid is one more canvas for a browser
    without a GPU to draw, and a legend of a few rows needs no sorting or scrolling."""
    for layer, bands in legend.groupby("layer", sort=False):
        st.caption(f"**{layer}**")
        st.table(legend_styler(bands).hide(axis="index"))


def show_map(figure: MapFigure, key: str, *, on_click: Callable[[], None] | None = None,
             selected: str | None = None) -> None:
    """The map (clickable when ``on_click`` is given) with its legend below; beside it the
    ``selected`` area's figures (rows of ``figure.details``) and the compact table."""
    left, right = st.columns([3, 2])
    with left:
        if on_click is None:
            st.pydeck_chart(figure.deck, key=key, height=520, alt=figure.alt or None)
        else:
            st.pydeck_chart(figure.deck, key=key, height=520, alt=figure.alt or None,
                            on_select=on_click, selection_mode="single-object")
        st.caption("Legend: colour, symbol and band (the symbol and band are in every tooltip "
                   "and table, so colour is never the only cue).")
        show_legend(figure.legend, key)
    with right:
        rows = figure.details[figure.details[figure.area_column] == selected] if selected else None
        if rows is not None and not rows.empty:
            st.markdown(f"**{selected}** (selected)")
            shown = rows.set_index(rows.columns[0]).drop(columns=[figure.area_column], errors="ignore").T
            table(shown, key=f"{key}_selected", width="stretch", hide_index=False)
        else:
            st.caption("Click an area on the map to see its figures here.")
        table(figure.table, key=f"{key}_table", width="stretch")
    with st.expander("Every figure on this map"):
        table(figure.details, key=f"{key}_details", width="stretch")
    for note in figure.notes:
        st.caption(note)
