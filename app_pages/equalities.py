"""Equalities: each Appendix A strand with rates, Wilson intervals and disclosure control."""

import streamlit as st

from metrics import panels
from ui import charts, url_state
from ui.context import page_context
from ui.view import heading
from ui.panel_data import panel_data, show

ctx = page_context()
heading(ctx, "Equalities")
url_state.choice("equalities_outcome", "rate", list(panels.EQUALITY_OUTCOMES), next(iter(panels.EQUALITY_OUTCOMES)),
                 label="Rate shown", shown=lambda k: panels.EQUALITY_OUTCOMES[k].split(" (")[0].capitalize())
outcome = st.radio("Rate shown", list(panels.EQUALITY_OUTCOMES), horizontal=True, key="equalities_outcome",
                   format_func=lambda k: panels.EQUALITY_OUTCOMES[k].split(" (")[0].capitalize())

for strand, label in panels.EQUALITY_STRANDS.items():
    rates = panel_data(ctx, panels.equality_rates, strand=strand, outcome=outcome)
    show(ctx, rates, f"equalities_{strand}", table=True, figure=charts.interval_chart(
        rates.data, label, "rate", "ci_lower", "ci_upper", reference=rates.extra.get("overall"),
        reference_label="all referrals", x_title="% of people"))
