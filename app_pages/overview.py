"""Overview: the headline figures for the chosen period and geography, and where to look next."""

import streamlit as st

from metrics import panels
from ui import charts
from ui.context import page_context
from ui.navigation import pages_for
from ui.panel_data import panel_data, show
from ui.view import heading
from ui.panels import tile

ctx = page_context()
heading(ctx, "GMIRS Well-being Support Service")

if ctx.as_of is None:
    st.info("No referral data has been loaded yet. An administrator or provider can load a Refer and Monitor "
            "performance report on the Upload data page.")
    st.stop()

headline = panel_data(ctx, panels.headline)
show(ctx, headline, "overview_headline")
for column, row in zip(st.columns(len(headline.data)), headline.data.itertuples(index=False)):
    tile(column, row.figure, row.value, row.context)  # the label whole, not cut short

if ctx.scope.role == "provider":
    at_risk = panel_data(ctx, panels.cases_at_risk)
    show(ctx, at_risk, "overview_cases_at_risk", table=True,
         empty_message="No open referral is close to its DS2 or DS3 deadline.")

monthly = panel_data(ctx, panels.monthly_against_expectation)
show(ctx, monthly, "overview_monthly", figure=charts.cumulative_chart(monthly.data))

st.subheader("Where to look next")
registered = {spec.path for specs in pages_for(ctx.user.role).values() for spec in specs}
for path, label in (("app_pages/kpis.py", "KPIs and service levels: which measure is off target, and is it a signal?"),
                    ("app_pages/referrals.py", "Referrals and forecast: which boroughs are outside the band?"),
                    ("app_pages/outcomes.py", "Distance travelled and outcomes: where do people drop out?")):
    if path in registered:
        st.page_link(path, label=label)
