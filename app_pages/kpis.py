"""KPIs and service levels: the scorecard with definitions, an SPC chart per measure, the cases
behind a number (for roles allowed to see them) and, for providers, the cases at risk."""

import streamlit as st

from metrics import panels
from ui import charts
from ui.context import page_context
from ui.panel_data import panel_data, show

ctx = page_context()
st.title("KPIs and service levels")

if ctx.scope.sees_case_ids:
    at_risk = panel_data(ctx, panels.cases_at_risk)
    show(ctx, at_risk, "kpis_cases_at_risk", table=True,
         empty_message="No open referral is close to its DS2 or DS3 deadline.")

card = panel_data(ctx, panels.scorecard_panel)
show(ctx, card, "kpis_scorecard", table=True,
     columns=["code", "measure", "value", "target", "status", "numerator", "denominator", "mitigated", "excluded"])
with st.expander("Definitions and sources"):
    st.dataframe(card.data[["code", "measure", "definition", "source"]], hide_index=True)

if card.extra["drill_codes"]:
    code = st.selectbox("Show the cases behind", card.extra["drill_codes"], key="kpis_drill_code")
    show(ctx, panel_data(ctx, panels.kpi_cases, code=code), f"kpis_cases_{code}", table=True)

st.header("Statistical process control")
for code, chart in panel_data(ctx, panels.spc_charts).items():
    show(ctx, chart, f"kpis_spc_{code}", figure=charts.spc_chart(chart.data, chart.extra.get("target")),
         empty_message=f"{code} has no cases in the last 24 months for this view.")
