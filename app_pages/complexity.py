"""Complexity: the mix of Low / Medium / High referrals over time and by borough, against the
23 / 56 / 21 reference (GMIRS spec §2.4), with the chi-square result."""

import streamlit as st

from metrics import panels
from ui import charts
from ui.context import page_context
from ui.view import heading
from ui.panel_data import panel_data, show

REFERENCE = {"Low": 23.0, "Medium": 56.0, "High": 21.0}

ctx = page_context()
heading(ctx, "Complexity")

mix = panel_data(ctx, panels.complexity_mix)
show(ctx, mix, "complexity_mix", figure=charts.bar_chart(
    mix.data, "complexity", "share", value_title="% of referrals"), table=True)

over_time = panel_data(ctx, panels.complexity_over_time)
show(ctx, over_time, "complexity_over_time", figure=charts.lines_by_group(
    over_time.data, "month", "share", "complexity", reference=REFERENCE, y_title="% of referrals"))

by_borough = panel_data(ctx, panels.complexity_by_borough)
show(ctx, by_borough, "complexity_by_borough",
     figure=charts.share_bars(by_borough.data, "borough", list(REFERENCE), reference=REFERENCE))
