"""Board summary: the story for a quarterly QA and Learning Board (GMIRS spec §3.2). The top is
one page (headline findings, the SPC overview, the few exceptions) and prints on one A4 sheet;
the detail under it is on screen only."""

import streamlit as st

from metrics import panels
from metrics.findings import KIND_SINGULAR
from ui import charts, printing, spc_views, url_state
from ui.commentary_form import commentary_section
from ui.context import page_context
from ui.panel_data import distance_panels, panel_data, show
from ui.panels import as_of_caption
from ui.view import heading

ctx = page_context()
heading(ctx, "Board summary")  # states the view, on screen and on paper
st.caption(as_of_caption(ctx.as_of))
with printing.screen_only("board_print_hint"):
    st.caption("The summary down to the exceptions prints on one A4 page (your browser's Print, portrait); "
               "the detail under it is not printed.")

# The scorecard and SPC charts are cached per view and shared with the KPIs page.
card, spc, figures = panel_data(ctx, panels.period_scorecard), panel_data(ctx, panels.spc_charts), panel_data(ctx, panels.figures)
tiles = panels.tiles_from(card, spc, figures)
overview = panels.spc_overview(card, spc, figures)
exceptions = panels.board_exceptions(overview)
changed = panel_data(ctx, panels.what_changed)
bands = panel_data(ctx, panels.forecast_bands, by="borough")

headlines = panels.board_headlines(tiles, changed, bands)
st.subheader(headlines.title)
st.markdown("\n".join(f"- {line}" for line in headlines.data["finding"]))
# Variation and assurance as Making Data Count icons with their words (the overview).
spc_views.spc_overview(ctx, overview, "board_spc_overview", printable=True)
st.subheader(exceptions.title)
if len(exceptions.data):
    st.html(printing.html_table(exceptions.data, ["code", "measure", "value", "target", "why"]))
for note in exceptions.notes:
    st.caption(note)

with printing.screen_only("board_detail"):
    st.divider()
    st.header("Detail (not printed)")
    show(ctx, tiles, "board_tiles")
    for start in range(0, len(tiles.data), 4):
        for column, row in zip(st.columns(4), tiles.data.iloc[start:start + 4].itertuples(index=False)):
            with column.container(border=True):
                st.metric(f"{row.code}", row.value)
                st.caption(f"{row.measure}  \nTarget {row.target} · {row.status}")
    url_state.choice("board_spc_all", "small_multiples", (False, True), False, omit=(False,))
    if st.toggle("Show every measure's SPC chart (small multiples)", key="board_spc_all"):
        spc_views.spc_small_multiples(spc, "board_spc_all")

    readiness = panel_data(ctx, panels.extension_readiness)
    show(ctx, readiness, "board_extension", table=True,
         columns=["code", "contract year", "value", "target", "against target", "months met", "on the year before",
                  "assurance", "variation"])

    show(ctx, changed, "board_what_changed", empty_message="Nothing changed enough to report.")
    for row in changed.data.itertuples(index=False):
        st.markdown(f"- **{KIND_SINGULAR.get(row.kind, row.kind)}:** {row.finding} "
                    f"[Evidence](/{row.evidence})")

    show(ctx, bands, "board_bands", figure=charts.band_chart(bands.data, "borough"),
         columns=["borough", "referrals", "expected_low", "expected_high", "status"])

    mix = panel_data(ctx, panels.complexity_mix)
    show(ctx, mix, "board_complexity", figure=charts.bar_chart(mix.data, "complexity", "share", value_title="% of referrals"))

    distance, _ = distance_panels(ctx)  # shared with the outcomes page's first view
    show(ctx, distance, "board_distance", figure=charts.interval_chart(
        distance.data, "need", "mean_change", "ci_lower", "ci_upper", reference=0.0, reference_label="no change",
        x_title="Mean change in need score (points)"))

    commentary_section(ctx)  # entered here, printed in the packs for the same period and view
