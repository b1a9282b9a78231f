"""Finance: spend against the funding profile (GMIRS spec §1.11)."""

import streamlit as st

from metrics import panels
from ui import charts
from ui.context import page_context
from ui.view import heading
from ui.panel_data import panel_data, show

ctx = page_context()
heading(ctx, "Finance")
spend = panel_data(ctx, panels.spend_against_funding)
show(ctx, spend, "finance_spend", figure=charts.spend_chart(spend.data))
