"""Distance travelled and outcomes: change per need, by complexity / borough / hub / equality
strand, and the journey from referral to exit with drop-out at each step."""

import streamlit as st

from metrics import panels
from ui import charts, url_state
from ui.context import page_context
from ui.view import heading
from ui.panel_data import distance_panels, panel_data, show

ctx = page_context()
heading(ctx, "Distance travelled and outcomes")

# The breakdown chosen below (read from its widget's state) and the figures per need come
# from one query.
by = url_state.choice("outcomes_by", "breakdown", list(panels.BREAKDOWNS), next(iter(panels.BREAKDOWNS)),
                      label="Broken down by", shown=panels.BREAKDOWNS.get)
per_need, grouped = distance_panels(ctx, by)
show(ctx, per_need, "outcomes_per_need", figure=charts.interval_chart(
    per_need.data, "need", "mean_change", "ci_lower", "ci_upper", reference=0.0, reference_label="no change",
    x_title="Mean change in need score (points)"))

st.selectbox("Break down all needs by", list(panels.BREAKDOWNS), format_func=panels.BREAKDOWNS.get, key="outcomes_by")
group = panels.BREAKDOWNS[by]
all_needs = grouped.data[grouped.data["need"] == "All needs"] if not grouped.data.empty else grouped.data
show(ctx, grouped, f"outcomes_by_{by}", figure=charts.interval_chart(
    all_needs, group, "mean_change", "ci_lower", "ci_upper", reference=0.0, reference_label="no change",
    x_title="Mean change across all needs (points)"))

journey = panel_data(ctx, panels.journey)
show(ctx, journey, "outcomes_journey", figure=charts.funnel_chart(journey.data), table=True)
