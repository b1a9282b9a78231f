"""Cases due: the provider's working day. Every open case of every deadline measure (DS2, DS3,
DS4, KP1–KP6 and Refer and Monitor's completion date) with its deadline and working days left,
past-deadline cases flagged; every measure by hub; and where SL002 is heading this month."""

import streamlit as st

from metrics import panels
from ui import cases_due
from ui.context import page_context
from ui.panel_data import panel_data, show
from ui.view import heading

ctx = page_context()
heading(ctx, "Cases due")
if ctx.as_of is None:
    st.info("No referral data has been loaded yet.")
    st.stop()
st.caption(f"Case list: {cases_due.view_text(ctx)}. The case list and SL002 this month are as of that date; "
           "the period chosen in the sidebar sets the by-hub table only.")

lookback = cases_due.lookback_choice()
due = panel_data(ctx, panels.cases_due, lookback_working_days=lookback)
show(ctx, due, "cases_due", table=True, empty_message="No open case is waiting on a deadline measure.",
     column_config=cases_due.case_list_columns())
cases_due.case_list_download(ctx, due)

show(ctx, panel_data(ctx, panels.sl002_projection), "cases_due_sl002_projection", table=True)
show(ctx, panel_data(ctx, panels.measures_by_hub), "cases_due_by_hub", table=True)
