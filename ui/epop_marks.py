"""Marks the EPOP pages share: the due-date period a viewer picks, and the viewer's own
region, shown by a star and words ("★ … (your region)"), a bold row and a hatched bar, so
colour is never the only cue (DOMAIN.md, accessibility)."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import streamlit as st

from metrics.epop import ALL_ACTIONS, PERIOD_DEFINITION, DuePeriod
from ui import url_state

#: session_state key of the period picker (the same on both EPOP pages).
PERIOD_KEY = "epop_period"
OWN_ROW_CSS = "font-weight: bold; background-color: #FFF2CC"


def period_code(period: DuePeriod) -> str:
    """The period as the address writes it: ``all``, or its first and last due dates
    (``2025-04-01_2026-03-31``), so a link keeps working when the labels' wording changes."""
    return "all" if period.everything else f"{period.start.isoformat()}_{period.end.isoformat()}"


def choose_period(periods: Sequence[DuePeriod], *, key: str = PERIOD_KEY) -> DuePeriod:
    """A picker of the periods offered; a choice no longer offered falls back to every action."""
    by_label = {p.label: p for p in periods}
    if key in st.session_state and st.session_state[key] not in by_label:
        del st.session_state[key]
    url_state.choice(key, "due", list(by_label), ALL_ACTIONS.label if ALL_ACTIONS.label in by_label
                     else next(iter(by_label)), label="Actions due in", text=lambda label: period_code(by_label[label]))
    label = st.selectbox("Actions due in", list(by_label), key=key, help=PERIOD_DEFINITION)
    return by_label.get(label, ALL_ACTIONS)


def own_label(label: str) -> str:
    return f"★ {label} (your region)"


def mark_own(frame: pd.DataFrame, column: str, own: str | None) -> pd.DataFrame:
    """``frame`` with the viewer's own plan's label in ``column`` starred and worded."""
    if not own or column not in frame:
        return frame
    return frame.assign(**{column: frame[column].map(lambda v: own_label(v) if v == own else v)})


def own_row_styles(frame: pd.DataFrame, column: str, own: str | None) -> pd.Series | None:
    """CSS per row of ``frame``: the row of the viewer's own plan bold on a pale band."""
    if not own or column not in frame:
        return None
    return frame[column].map(lambda v: OWN_ROW_CSS if v == own_label(own) or v == own else "")
