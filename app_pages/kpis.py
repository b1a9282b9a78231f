"""KPIs and service levels: the scorecard with definitions, the SPC verdict of every measure and
the chart of the one chosen (or all of them as small multiples), the cases behind a number (for roles allowed to see them) and,
for providers, the cases at risk."""

import streamlit as st

from metrics import panels
from ui import spc_views, url_state
from ui.context import page_context
from ui.view import heading
from ui.panel_data import panel_data, show
from ui.tables import table

ctx = page_context()
heading(ctx, "KPIs and service levels")

if ctx.scope.sees_case_ids:
    at_risk = panel_data(ctx, panels.cases_at_risk)
    show(ctx, at_risk, "kpis_cases_at_risk", table=True,
         empty_message="No open referral is close to its DS2, DS3 or completion deadline.")
    st.page_link("app_pages/cases_due.py", label="Every deadline measure's open cases (DS2–DS4, KP1–KP6): Cases due")

card = panel_data(ctx, panels.scorecard_panel)
show(ctx, card, "kpis_scorecard", table=True,
     columns=["code", "measure", "value", "target", "status", "numerator", "denominator", "mitigated", "excluded"])
# Issue 13 part 7: the scorecard shows the latest figures; SL002 also as at its official cut.
show(ctx, panel_data(ctx, panels.sl002_official_panel), "kpis_sl002_official", table=True)
with st.expander("Definitions and sources"):
    table(card.data[["code", "measure", "definition", "source"]], key="kpis_definitions")
with st.expander("SL002 end reasons: a decision awaiting the commissioner's sign-off"):
    show(ctx, panel_data(ctx, panels.sl002_end_reason_decision), "kpis_sl002_end_reasons", table=True)

if card.extra["drill_codes"]:
    url_state.choice("kpis_drill_code", "cases", card.extra["drill_codes"], card.extra["drill_codes"][0], label="Cases behind")
    code = st.selectbox("Show the cases behind", card.extra["drill_codes"], key="kpis_drill_code")
    show(ctx, panel_data(ctx, panels.kpi_cases, code=code), f"kpis_cases_{code}", table=True)

st.header("Statistical process control")
spc = panel_data(ctx, panels.spc_charts)
overview = panels.spc_overview(card.extra["scorecard"], spc, panel_data(ctx, panels.figures))
spc_views.spc_overview(ctx, overview, "kpis_spc_overview")
url_state.choice("kpis_spc_all", "small_multiples", (False, True), False, omit=(False,))
if st.toggle("Show every measure's SPC chart (small multiples)", key="kpis_spc_all"):
    spc_views.spc_small_multiples(spc, "kpis_spc_all")
elif spc:
    spc_views.spc_single_chart(ctx, spc, overview, "kpis_spc")
