"""My region's EPOP plan: progress, the actions timeline (overdue first) and the update form
(drawn by ``ui.epop_update``)."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from data_access import epop
from data_access.db import session_scope
from data_access.figure_settings import figure_settings
from metrics import epop as m
from metrics import epop_views
from metrics.panels import plural
from ui import charts, url_state
from ui.context import PageContext, page_context
from ui.panels import panel
from ui.epop_marks import choose_period
from ui.epop_update import RAG_COLOURS, RAG_SYMBOLS, action_update_form
from ui.theme import CATEGORICAL
from ui.text import plain

#: session_state key (UI state only): the plan picked.
PLAN_CHOICE = "epop_region_plan"


def _choose_plan(ctx: PageContext) -> int | None:
    with session_scope(ctx.engine) as session:
        if ctx.user.role == "epop_spoc":
            return epop.region_plan_id(session, ctx.user.region_code) if ctx.user.region_code else None
        plans = epop.plan_frame(session)
    labels = dict(zip(plans["plan_label"], plans["plan_id"], strict=True))
    url_state.choice(PLAN_CHOICE, "plan", list(labels), next(iter(labels)), label="Plan")
    choice = st.selectbox("Plan", list(labels), key=PLAN_CHOICE)
    return labels.get(choice)


def render(ctx: PageContext) -> None:
    as_of = ctx.as_of or dt.date.today()
    st.title("EPOP action plan")
    plan_id = _choose_plan(ctx)
    if plan_id is None:
        st.info("No EPOP plan is recorded for your region yet.")
        return
    with session_scope(ctx.engine) as session:
        view = epop_views.plan_view(session, ctx.user, plan_id, as_of)
        period = choose_period(view.periods)
        if not period.everything:
            view = epop_views.plan_view(session, ctx.user, plan_id, as_of, period)
    st.subheader(plain(view.plan["title"]))  # imported text: shown as written, never as Markdown
    agreed, left, middle, right = st.columns(4)
    agreed.metric("Plan agreed on", f"{view.timeliness.agreed_on:%d %b %Y}" if view.timeliness.agreed_on else "not yet agreed",
                  help=m.agreement_text(view.plan))
    left.metric("Plan status", view.timeliness.status, help=view.timeliness.definition)
    progress = view.progress
    middle.metric("Due actions complete", "no actions due" if progress.value is None else f"{progress.value:.0f}%",
                  help=progress.definition)
    right.metric("Overdue actions", progress.overdue, help=m.OVERDUE_DEFINITION)
    st.caption(f"{m.agreement_text(view.plan)} Actions due in {period.label}: "
               f"{progress.complete} of {progress.due} due actions complete · {progress.not_yet_due} not yet due "
               f"({progress.complete_not_yet_due} already complete) · {progress.no_due_date} with no due date · {progress.dropped} dropped")

    timeline = view.timeline.assign(label=lambda f: f["printed_code"].fillna("") + " " + f["text"].str.slice(0, 50))
    dated = timeline.dropna(subset=["due_date"])
    hover = ["status", "owner_role", "days_overdue"]
    figure = charts.epop_timeline_chart(dated[["due_date", "label", "rag", *hover]], as_of, colours=RAG_COLOURS,
                                        symbols=RAG_SYMBOLS, hover=hover,
                                        labels={"due_date": "Due date", "label": "Action", "rag": "RAG (word shown in legend)"})
    worst = int(timeline["days_overdue"].max()) if len(timeline) else 0
    shown = timeline[["rag", "printed_code", "text", "owner_role", "due_date", "status", "days_overdue", "last_percent", "last_update_at", "last_update_by"]]
    panel(f"{plural(progress.overdue, 'action')} overdue" + (f", the oldest by {plural(worst, 'day')}" if progress.overdue else ""), shown,
          key="epop_region_timeline", as_of=as_of, figure=figure, show_table=True,
          notes=[m.rag_definition(), m.OVERDUE_DEFINITION, "Dashed line: the as-of date. Actions with no due date are listed in the table only."])

    if view.can_update:
        st.subheader("Record an update")
        action_update_form(ctx, view)
    else:
        st.caption("You can view this plan; updates are recorded by its region's SPOC or the national EPOP team.")

    annex = view.annex2
    long = annex.melt(id_vars="dimension", value_vars=["met", "in progress", "not started", "not assessed"], var_name="state", value_name="expectations")
    figure = charts.epop_annex2_chart(long, colours=[CATEGORICAL[1], CATEGORICAL[0], CATEGORICAL[3], "#A6A6A6"])
    panel(f"Annex 2 year {view.annex2_year}: {int(annex['met'].sum())} of {int(annex['expected'].sum())} expectations met",
          annex, key="epop_region_annex2", as_of=as_of, figure=figure, notes=[m.ANNEX2_DEFINITION])
    panel("Standards of Excellence: latest self-assessment (as recorded, not scored)", view.standards,
          key="epop_region_standards", as_of=as_of, show_table=True, notes=[m.STANDARDS_DEFINITION])
    s = view.sessions
    with session_scope(ctx.engine) as session:  # the threshold an admin set, as every page and pack reads it
        threshold = figure_settings(session, ctx.settings).suppression_threshold
    gender = m.suppress_counts({"women": s.attendees_women, "men": s.attendees_men, "other or unknown": s.attendees_other_or_unknown},
                               threshold)
    figure = charts.epop_sessions_chart(view.sessions_by_month[["month", "attendees", "sessions"]], colour=CATEGORICAL[0],
                                        labels={"month": "Month", "attendees": "People attending (bar label: sessions)"})
    panel(f"{plural(s.sessions, 'session')} held, {plural(s.attendees, 'attendance')} by people on probation", view.sessions_by_month,
          key="epop_region_sessions", as_of=as_of, figure=figure,
          notes=[m.SESSIONS_DEFINITION, f"Of which women {gender['women']}, men {gender['men']}, other or unknown "
                 f"{gender['other or unknown']}; {s.gender_not_recorded} on sessions with no breakdown. [c] = fewer than "
                 f"{threshold}, or hidden so it cannot be worked out from the total."])


render(page_context())
