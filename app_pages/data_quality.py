"""Data quality: freshness of each source, the referral dates the R&M imports cover (and SL002
months they may leave short), completeness of key fields, record-keeping timeliness (KP1–KP3)
and the last imports."""

import streamlit as st

from metrics import panels
from ui import charts
from ui.context import page_context
from ui.view import heading
from ui.panel_data import panel_data, show

ctx = page_context()
heading(ctx, "Data quality")
st.caption(panels.IMPORT_COUNTS_NOTE)  # which counts here are suppressed and which are not, and why
# A provider sees only the imports it made; commissioners and admins see every import.
imported_by = ctx.user.username if ctx.scope.role == "provider" else None

show(ctx, panel_data(ctx, panels.import_freshness, imported_by=imported_by), "dq_freshness", table=True,
     empty_message="No completed imports yet.")

# Issue 13 part 6: which referral dates the R&M downloads cover, and SL002 months they leave short.
windows = panel_data(ctx, panels.ram_download_windows, imported_by=imported_by)
show(ctx, windows, "dq_ram_windows", table=True,
     columns=["batch", "file_name", "received_from", "received_to", "latest_event", "rows", "imported_at"],
     empty_message="No Refer and Monitor import records its window yet.")
coverage = panel_data(ctx, panels.sl002_coverage, imported_by=imported_by)
if coverage.extra.get("months"):
    st.warning(f"{coverage.title} ({', '.join(coverage.extra['months'])}). Import the missing Refer and Monitor "
               "downloads to complete those months.", icon="⚠️")
show(ctx, coverage, "dq_sl002_coverage", table=True, empty_message="No month of this period is left short.")

completeness = panel_data(ctx, panels.field_completeness)
show(ctx, completeness, "dq_completeness", figure=charts.bar_chart(
    completeness.data, "field", "complete", value_title="% recorded"))

show(ctx, panel_data(ctx, panels.sl002_ends_at_sentence_expiry), "dq_sentence_expiry", table=True)

show(ctx, panel_data(ctx, panels.record_keeping), "dq_record_keeping", table=True,
     columns=["code", "measure", "value", "target", "status", "on_time", "events"])

show(ctx, panel_data(ctx, panels.last_imports, imported_by=imported_by), "dq_last_imports", table=True,
     empty_message="No imports yet.")
