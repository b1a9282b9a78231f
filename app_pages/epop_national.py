"""EPOP national view: the 12 regional plans and the Approved Premises plan side by side."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from data_access.db import session_scope
from metrics import epop as m
from metrics import epop_views
from metrics.panels import plural
from ui import charts
from ui.context import PageContext, page_context
from ui.epop_marks import choose_period, mark_own, own_row_styles
from ui.panels import panel
from ui.theme import CATEGORICAL
from ui.text import plain

SUMMARY_COLUMNS = {
    "plan_label": "Plan", "plan_status": "Plan status", "agreed_on": "Agreed on", "days_to_agreement": "Days to agreement",
    "due": "Actions due", "complete": "Due and complete", "pct_due_complete": "% of due complete",
    "overdue": "Overdue", "not_yet_due": "Not yet due", "no_due_date": "No due date", "dropped": "Dropped",
    "last_update_at": "Last update (UTC)",
}


@st.cache_data(ttl=60, show_spinner=False)
def _national(_ctx: PageContext, database_url: str, role: str, region: str | None, as_of: dt.date,
              period: m.DuePeriod = m.ALL_ACTIONS) -> epop_views.NationalView:
    with session_scope(_ctx.engine) as session:
        return epop_views.national_view(session, _ctx.user, as_of, period=period)


def render(ctx: PageContext) -> None:
    as_of = ctx.as_of or dt.date.today()
    st.title("EPOP action plans: national view")
    key = (ctx.settings.database_url, ctx.user.role, ctx.user.region_code, as_of)
    period = choose_period(_national(ctx, *key).periods)
    view = _national(ctx, *key, period)
    own = view.own_plan_label
    if own:
        st.caption(f"★ marks your region's plan ({plain(own)}): starred, in bold and hatched in the charts.")
    summary = mark_own(view.summary.rename(columns=SUMMARY_COLUMNS)[list(SUMMARY_COLUMNS.values())], "Plan", own)
    summary["% of due complete"] = summary["% of due complete"].round(1)
    on_time = int((view.summary["plan_status"] == "on time").sum())
    panel(
        f"{on_time} of {len(summary)} plans were agreed within 90 days; {plural(int(summary['Overdue'].sum()), 'action')} {'is' if int(summary['Overdue'].sum()) == 1 else 'are'} overdue",
        summary, key="epop_national_summary", as_of=as_of, show_table=True, row_styles=own_row_styles(summary, "Plan", own),
        notes=[view.definitions["plan_status"], "Agreed on: the later of the region's and the central team's agreement.",
               view.definitions["progress"], view.definitions["overdue"], f"Actions due in: {period.label}. {m.PERIOD_DEFINITION}"],
    )

    ranked = summary.dropna(subset=["% of due complete"]).sort_values("% of due complete")
    if not ranked.empty:
        low, high = ranked.iloc[0], ranked.iloc[-1]
        # Plan labels can be imported plan titles: escaped so they show as written.
        title = (f"Completion of due actions ranges from {low['% of due complete']:.0f}% ({plain(low['Plan'])}) "
                 f"to {high['% of due complete']:.0f}% ({plain(high['Plan'])})")
    else:
        title = "No plan has an action due yet"
    hover = ["Actions due", "Due and complete", "Overdue"]
    figure = charts.epop_completion_chart(ranked[["Plan", "% of due complete", *hover]], colour=CATEGORICAL[0], hover=hover,
                                          own=own and f"★ {own} (your region)")
    completion = ranked[["Plan", "Actions due", "Due and complete", "% of due complete"]]
    panel(title, completion, key="epop_national_completion", row_styles=own_row_styles(completion, "Plan", own),
          as_of=as_of, figure=figure, unit="% of actions due by the as-of date that are complete", notes=[m.PROGRESS_DEFINITION])

    heat = mark_own(view.heat.reset_index().rename(columns={"plan_label": "Plan"}), "Plan", own)
    totals = view.heat[list(m.COM_B_DIMENSIONS)].sum()
    figure = charts.epop_heatmap(heat.set_index("Plan"), colour_scale=["#FFFFFF", CATEGORICAL[0]],
                                 labels={"x": "COM-B dimension", "y": "Plan", "color": "Actions"})
    panel(f"Across all plans most actions address {totals.idxmax()} ({int(totals.max())} of {int(totals.sum())})",
          heat, key="epop_national_heat", row_styles=own_row_styles(heat, "Plan", own), as_of=as_of, figure=figure, unit="number of actions (dropped actions left out)",
          notes=["Each cell shows its count as text, so the shading is never the only cue."])

    trend = mark_own(view.trend, "plan_label", own)
    overall = trend[trend["plan_label"] == "All 13 plans"].dropna(subset=["pct_due_complete"])
    figure = charts.epop_trend_chart(trend[["as_of", "pct_due_complete", "plan_label"]], shown="All 13 plans", colours=list(CATEGORICAL),
                                     own=own and f"★ {own} (your region)",
                                     labels={"as_of": "Month end", "pct_due_complete": "% of due complete", "plan_label": "Plan"})
    trend_title = "No actions were due yet" if overall.empty else (
        f"Share of due actions complete across all plans: {overall['pct_due_complete'].iloc[-1]:.0f}% at "
        f"{overall['as_of'].iloc[-1]:%d %B %Y}, from {overall['pct_due_complete'].iloc[0]:.0f}% at {overall['as_of'].iloc[0]:%B %Y}")
    panel(trend_title, trend.rename(columns={"as_of": "Month end", "plan_label": "Plan"}), key="epop_national_trend",
          as_of=as_of, figure=figure, unit="% of actions due by each month end that were complete then",
          notes=[m.PROGRESS_DEFINITION, "Status at each month end is rebuilt from the dated update history. "
                 "Click a plan in the legend to show its line."])


render(page_context())
