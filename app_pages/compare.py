"""Compare areas, Fingertips style (issue 17): one measure across the view's boroughs, PDUs, hubs
or providers against the whole view, with a funnel plot and its outliers; and every measure ×
area on one screen. The measure and the kind of area are kept in the address (?measure=&by=)."""

import streamlit as st

from domain.catalogue import KPI_CODES, kpi
from metrics import panels
from metrics.compare import LABELS, TREND_MONTHS
from ui import charts, url_state
from ui.context import page_context
from ui.view import heading
from ui.panel_data import panel_data, show

ctx = page_context()
heading(ctx, "Compare areas")
st.caption("Each area against the whole view: Greater Manchester for commissioners, the provider's own "
           "contract for a provider. Every area uses the same as-of date.")

BY = panels.COMPARE_BY
left, right = st.columns([3, 2])
first = panels.COMPARE_FIRST_VIEW
url_state.choice("compare_code", "measure", KPI_CODES, first["code"], label="Measure")
code = left.selectbox("Measure", KPI_CODES, format_func=lambda c: f"{c} {kpi(c).title}", key="compare_code")
url_state.choice("compare_by", "by", list(BY), first["by"], label="Compare by", shown=BY.get)
by = right.radio("Compare by", list(BY), format_func=BY.get, horizontal=True, key="compare_by")

tabs = [f"{code} by {BY[by].lower()}", f"Every measure by {BY[by].lower()}"]
url_state.choice("compare_tab", "tab", tabs, tabs[0], text=lambda t: "every" if t.startswith("Every") else "one")
one, every = st.tabs(tabs, key="compare_tab", on_change="rerun")

with one:
    result = panel_data(ctx, panels.compare_areas_panel, code=code, by=by)
    extra = result.extra
    figure = None
    if len(extra["funnel"]) and extra["comparator"] is not None:
        figure = charts.funnel_plot(extra["funnel"], extra["funnel_limits"], extra["comparator"],
                                    extra["comparator_label"], tuple(extra["outliers"]))
    help_text = {"ci95": "Wilson score interval", "ci998": "Wilson score interval",
                 "comparison": "Similar when the whole view's value lies within the area's 95% interval",
                 "trend": f"Cochran–Armitage test over the last {TREND_MONTHS} months"}
    labels = {**LABELS, "area": BY[by], "comparison": f"Compared with {extra['comparator_label']}"}
    columns = {name: st.column_config.TextColumn(label, help=help_text.get(name)) for name, label in labels.items()}
    show(ctx, result, f"compare_{code}_{by}", figure=figure, table=True, column_config=columns,
         empty_message=f"No {BY[by].lower()} in this view.")
    if len(extra["funnel"]):
        st.markdown("**Outliers (outside the 99.8% funnel limits)**")
        outliers = extra["funnel"][extra["funnel"]["area"].isin(extra["outliers"])]
        if outliers.empty:
            st.markdown("None: every area shown lies within the 99.8% limits.")
        for row in outliers.itertuples():
            side = "above" if row.value > extra["comparator"] else "below"
            st.markdown(f"- {row.area}: {row.value:.1f}% of {row.cases:,} cases, {side} "
                        f"{extra['comparator_label']} ({extra['comparator']:.1f}%)")

with every:
    matrix = panel_data(ctx, panels.compare_matrix_panel, by=by)
    columns = {"area": st.column_config.TextColumn(BY[by])}
    columns |= {c: st.column_config.TextColumn(c, help=kpi(c).title) for c in KPI_CODES}
    show(ctx, matrix, f"compare_matrix_{by}", table=True, column_config=columns,
         empty_message=f"No {BY[by].lower()} in this view.")
