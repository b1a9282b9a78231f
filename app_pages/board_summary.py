"""Board summary: the story for a quarterly QA and Learning Board in one screen (GMIRS spec §3.2)."""

import streamlit as st

from metrics import panels
from metrics.findings import KIND_SINGULAR
from ui import charts, spc_views
from ui.commentary_form import commentary_section
from ui.context import page_context
from ui.panel_data import distance_panels, panel_data, show

ctx = page_context()
st.title("Board summary")
st.caption(f"{ctx.period.label}: what is off target, what changed, and where.")

# The scorecard and SPC charts are cached per view and shared with the KPIs page.
card, spc, figures = panel_data(ctx, panels.period_scorecard), panel_data(ctx, panels.spc_charts), panel_data(ctx, panels.figures)
tiles = panels.tiles_from(card, spc, figures)
show(ctx, tiles, "board_tiles")
for start in range(0, len(tiles.data), 4):
    for column, row in zip(st.columns(4), tiles.data.iloc[start:start + 4].itertuples(index=False)):
        with column.container(border=True):
            st.metric(f"{row.code}", row.value)
            st.caption(f"{row.measure}  \nTarget {row.target} · {row.status}")
# Variation and assurance as Making Data Count icons with their words (the overview), not one word a tile.
spc_views.spc_overview(ctx, panels.spc_overview(card, spc, figures), "board_spc_overview")
if st.toggle("Show every measure's SPC chart (small multiples)", key="board_spc_all"):
    spc_views.spc_small_multiples(spc, "board_spc_all")

readiness = panel_data(ctx, panels.extension_readiness)
show(ctx, readiness, "board_extension", table=True,
     columns=["code", "contract year", "value", "target", "against target", "months met", "on the year before",
              "assurance", "variation"])

changed = panel_data(ctx, panels.what_changed)
show(ctx, changed, "board_what_changed", empty_message="Nothing changed enough to report.")
for row in changed.data.itertuples(index=False):
    st.markdown(f"- **{KIND_SINGULAR.get(row.kind, row.kind)}:** {row.finding} "
                f"[Evidence](/{row.evidence})")

bands = panel_data(ctx, panels.forecast_bands, by="borough")
show(ctx, bands, "board_bands", figure=charts.band_chart(bands.data, "borough"),
     columns=["borough", "referrals", "expected_low", "expected_high", "status"])

mix = panel_data(ctx, panels.complexity_mix)
show(ctx, mix, "board_complexity", figure=charts.bar_chart(mix.data, "complexity", "share", value_title="% of referrals"))

distance, _ = distance_panels(ctx)  # shared with the outcomes page's first view
show(ctx, distance, "board_distance", figure=charts.interval_chart(
    distance.data, "need", "mean_change", "ci_lower", "ci_upper", reference=0.0, reference_label="no change",
    x_title="Mean change in need score (points)"))

commentary_section(ctx)  # entered here, printed in the packs for the same period and view
