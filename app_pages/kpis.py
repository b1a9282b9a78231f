"""KPIs and service levels: the scorecard with definitions, the SPC verdict of every measure and
the chart of the one chosen, the cases behind a number (for roles allowed to see them) and,
for providers, the cases at risk."""

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
# Issue 13 part 7: the scorecard shows the latest figures; SL002 also as at its official cut.
show(ctx, panel_data(ctx, panels.sl002_official_panel), "kpis_sl002_official", table=True)
with st.expander("Definitions and sources"):
    st.dataframe(card.data[["code", "measure", "definition", "source"]], hide_index=True)

if card.extra["drill_codes"]:
    code = st.selectbox("Show the cases behind", card.extra["drill_codes"], key="kpis_drill_code")
    show(ctx, panel_data(ctx, panels.kpi_cases, code=code), f"kpis_cases_{code}", table=True)

st.header("Statistical process control")
spc = panel_data(ctx, panels.spc_charts)
summary = panels.spc_summary(spc)
show(ctx, summary, "kpis_spc_summary", table=True)
if spc:
    codes = list(spc)
    first = panels.spc_first_to_show(spc)
    labels = {row["code"]: f"{row['code']} {row['measure']} ({row['variation'].split(':')[0].lower()})"
              for row in summary.data.to_dict("records")}
    code = st.selectbox("Show the SPC chart for", codes, index=codes.index(first) if first in codes else 0,
                        format_func=labels.get, key="kpis_spc_code")
    chart = spc[code]
    show(ctx, chart, f"kpis_spc_{code}", figure=charts.spc_chart(chart.data, chart.extra.get("target")),
         empty_message=f"{code} has no cases in the last 24 months for this view.")
