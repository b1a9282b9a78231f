"""Data quality: freshness of each source, completeness of key fields, record-keeping
timeliness (KP1–KP3) and the last imports."""

import streamlit as st

from metrics import panels
from ui import charts
from ui.context import page_context
from ui.panel_data import panel_data, show

ctx = page_context()
st.title("Data quality")
# A provider sees only the imports it made; commissioners and admins see every import.
imported_by = ctx.user.username if ctx.scope.role == "provider" else None

show(ctx, panel_data(ctx, panels.import_freshness, imported_by=imported_by), "dq_freshness", table=True,
     empty_message="No completed imports yet.")

completeness = panel_data(ctx, panels.field_completeness)
show(ctx, completeness, "dq_completeness", figure=charts.bar_chart(
    completeness.data, "field", "complete", value_title="% recorded"))

show(ctx, panel_data(ctx, panels.sl002_ends_at_sentence_expiry), "dq_sentence_expiry", table=True)

show(ctx, panel_data(ctx, panels.record_keeping), "dq_record_keeping", table=True,
     columns=["code", "measure", "value", "target", "status", "on_time", "events"])

show(ctx, panel_data(ctx, panels.last_imports, imported_by=imported_by), "dq_last_imports", table=True,
     empty_message="No imports yet.")
