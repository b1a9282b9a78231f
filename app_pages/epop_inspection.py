"""Inspection responses: recommendations, responses, actions, target dates as written, slippage."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from data_access import epop
from data_access.db import session_scope
from metrics import epop as m
from metrics import epop_views
from metrics.panels import plural
from ui import charts, url_state
from ui.context import PageContext, page_context
from ui.panels import panel
from ui.text import plain
from ui.tables import table

PLAN_CHOICE = "epop_inspection_plan"


def render(ctx: PageContext) -> None:
    st.title("Inspection responses")
    with session_scope(ctx.engine) as session:
        plans = epop.inspection_plans(session, ctx.user)
        if plans.empty:
            st.info("No inspection-response plan is loaded.")
            return
        titles = dict(zip(plans["title"], plans["plan_id"], strict=True))
        url_state.choice(PLAN_CHOICE, "plan", list(titles), next(iter(titles)), label="Plan")
        choice = st.selectbox("Plan", list(titles), key=PLAN_CHOICE)
        view = epop_views.inspection_view(session, ctx.user, titles[choice])
    submitted = view.plan["submitted_on"]
    st.caption(f"Snapshots: {', '.join(plain(s) for s in view.snapshots)}")

    recs = view.recommendations.rename(columns={"number": "Rec", "text": "Recommendation", "response": "Response"})
    counts = recs["Response"].value_counts()
    panel(f"{counts.get('Agreed', 0)} of {len(recs)} recommendations agreed, {counts.get('Partly Agreed', 0)} partly agreed, "
          f"{counts.get('Not Agreed', 0)} not agreed", recs[["Rec", "Recommendation", "Response"]], key="inspection_recs",
          as_of=submitted, show_table=True)

    actions = view.actions.rename(columns={"number": "Rec", "printed_code": "Action", "text": "Summary", "owner_role": "Owner",
                                           "target_date_raw": "Target date as written", "target_date": "Read as", "snapshot": "Snapshot"})
    shown = actions[["Rec", "Action", "Snapshot", "Summary", "Owner", "Target date as written", "Read as", "completed", "ongoing"]]
    for number, group in shown.groupby("Rec", sort=True):
        with st.expander(f"Recommendation {number}: {plural(len(group), 'action')}"):
            table(group, key=f"inspection_recs_{number}")
    panel(f"{plural(len(shown), 'action')} across {plural(len(view.snapshots), 'snapshot')}; {int(actions['completed'].sum())} marked completed",
          shown, key="inspection_actions", as_of=submitted,
          notes=["Status is not published: target wording 'Completed…' is read as complete, anything else as in progress.",
                 m.SLIPPAGE_DEFINITION.format(min_shared=1).split(" Matching rule")[0]])

    if len(view.snapshots) < 2 or view.recommendation_slippage.empty:
        st.info("This plan has one snapshot, so there is nothing to compare.")
        return
    rec = view.recommendation_slippage.assign(label=lambda f: "Rec " + f["recommendation"].astype(str))
    slipped = rec[rec["change"] == "slipped"]
    first, last = plain(view.snapshots[0]), plain(view.snapshots[-1])  # imported names: shown as written
    panel(f"Latest target dates slipped for {len(slipped)} of {len(rec)} recommendations between the {first} and the {last}",
          rec.drop(columns="label"), key="inspection_rec_slippage", as_of=submitted,
          figure=charts.slippage_chart(rec[["label", "earlier_latest", "later_latest"]], view.snapshots[0], view.snapshots[-1]),
          notes=["Per recommendation: the latest dated target among its actions in each snapshot. 'all completed' when "
                 "every action in the later snapshot says completed. Marker shape and legend, not colour alone, tell the snapshots apart."])
    slip = view.slippage
    n_slipped = int((slip["change"] == "slipped").sum())
    panel(f"{n_slipped} of {len(slip)} actions from the {first} have a later target in the {last}",
          slip, key="inspection_action_slippage", as_of=submitted, show_table=True,
          notes=[m.SLIPPAGE_DEFINITION.format(min_shared=1), "The shared words are shown so each pairing can be checked."])


render(page_context())
