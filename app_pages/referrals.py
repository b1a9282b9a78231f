"""Referrals and forecast: actual referrals against the 40–60% band by borough, PDU and hub;
monthly and cumulative against the pro-rated expectation; referral sources."""

import streamlit as st

from metrics import panels
from ui import charts, url_state
from ui.context import page_context
from ui.panel_data import panel_data, show
from ui.view import heading

UNITS = {"borough": "Borough", "pdu": "PDU", "hub": "Hub"}

ctx = page_context()
heading(ctx, "Referrals and forecast")
# The assumption the panels are computed with: the admin's forecast period (data_access.figure_settings).
st.caption(panels.forecast_note(panel_data(ctx, panels.figures).forecast_period_days).split(": ", 1)[1])

url_state.choice("referrals_by", "by", list(UNITS), "borough", label="Compare by", shown=UNITS.get)
by = st.radio("Compare by", list(UNITS), format_func=UNITS.get, horizontal=True, key="referrals_by")
bands = panel_data(ctx, panels.forecast_bands, by=by)
show(ctx, bands, f"referrals_band_{by}", figure=charts.band_chart(bands.data, by),
     columns=[by, "referrals", "expected_low", "expected_high", "status"])

monthly = panel_data(ctx, panels.monthly_against_expectation)
show(ctx, monthly, "referrals_monthly", figure=charts.cumulative_chart(monthly.data))

sources = panel_data(ctx, panels.referral_sources)
show(ctx, sources, "referrals_sources",
     figure=charts.bar_chart(sources.data, "referral_source", "referrals", "referrals_shown", value_title="Referrals"))
