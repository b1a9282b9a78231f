"""The Cases due page's parts: the look-back choice and the case list's CSV, which states the view
it was taken from (who, which filters, as of when) on every row."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from metrics import panels
from ui.context import PageContext
from ui import url_state
from ui.filters import area_labels
from ui.panels import data_download

#: Past-deadline cases listed, by how many working days they are overdue (None: all).
LOOKBACKS = {"20 working days (about a month)": 20, "60 working days (about a quarter)": 60, "all": None}


#: The case list's columns as the page labels them (the data and the CSV keep the short keys).
CASE_LIST_LABELS = {"status": "Status", "measure": "Measure", "referral_ref": "Referral", "hub": "Hub",
                    "deadline": "Deadline", "working_days_left": "Working days left", "clock_started": "Clock started",
                    "deadline_rule": "Deadline rule"}


def case_list_columns() -> dict:
    return {key: st.column_config.Column(label) for key, label in CASE_LIST_LABELS.items()}


def lookback_choice() -> int | None:
    url_state.choice("cases_due_lookback", "overdue", list(LOOKBACKS), next(iter(LOOKBACKS)),
                     text=lambda label: str(LOOKBACKS.get(label) or "all"),  # ?overdue=20 / 60 / all
                     label="Past-deadline cases overdue by at most")
    label = st.selectbox("List past-deadline cases overdue by at most", list(LOOKBACKS), key="cases_due_lookback")
    return LOOKBACKS[label]


def view_text(ctx: PageContext) -> str:
    """The view in words: who sees it, the filters (the period does not change the list) and the as-of date."""
    who = "the provider's own cases" if ctx.scope.role == "provider" else "every provider's cases in the view"
    labels = area_labels(ctx.filters, ctx.period)
    filters = "; ".join(f"{k}: {v}" for k, v in labels.items()) or "no filter"
    return f"{who}; {filters}; as of {ctx.as_of:%d %B %Y}"


def case_list_download(ctx: PageContext, result: panels.Panel) -> None:
    """The case list as CSV (formula-safe), each row carrying the view it came from."""
    if result.data.empty:
        return
    data = pd.concat([pd.DataFrame({"view": [view_text(ctx)] * len(result.data)}), result.data.reset_index(drop=True)],
                     axis=1)
    data_download(data, key="cases_due_list", file_name=f"cases_due_{ctx.as_of:%Y-%m-%d}.csv",
                  label="Download the case list (CSV)")
    st.caption(f"The CSV holds the list as shown, for {view_text(ctx)}.")
