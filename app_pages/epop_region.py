"""My region's EPOP plan: progress, the actions timeline (overdue first) and the update form."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from data_access import epop
from data_access.db import session_scope
from metrics import epop as m
from ui import charts
from ui.context import PageContext, page_context
from ui.panels import panel
from ui.theme import CATEGORICAL
from ui.text import plain

#: session_state keys (UI state only): the plan picked and the version each edit started from.
PLAN_CHOICE = "epop_region_plan"
EDIT_ACTION = "epop_edit_action"
EDIT_VERSION_PREFIX = "epop_edit_version_"
EDIT_RETRY_PREFIX = "epop_edit_retry_"  # the status and percent an editor chose when a save conflicted
RAG_COLOURS = {"overdue": CATEGORICAL[2], "at risk": CATEGORICAL[3], "on track": CATEGORICAL[1],
               "no due date": "#3D3D3D", "complete": CATEGORICAL[0], "dropped": "#A6A6A6"}
RAG_SYMBOLS = {"overdue": "x", "at risk": "triangle-up", "on track": "circle", "no due date": "diamond", "complete": "square", "dropped": "circle-open"}


def _choose_plan(ctx: PageContext) -> int | None:
    with session_scope(ctx.engine) as session:
        if ctx.user.role == "epop_spoc":
            return epop.region_plan_id(session, ctx.user.region_code) if ctx.user.region_code else None
        plans = epop.plan_frame(session)
    labels = dict(zip(plans["plan_label"], plans["plan_id"], strict=True))
    choice = st.selectbox("Plan", list(labels), key=PLAN_CHOICE)
    return labels.get(choice)


def _update_form(ctx: PageContext, view: epop.PlanView) -> None:
    actions = view.timeline[view.timeline["status"] != "dropped"]
    if actions.empty:
        return
    # The label must not change when someone else saves, or the choice would jump.
    options = {f"{r.printed_code or ''} · {r.text[:80]} [#{r.action_id}]": r.action_id for r in actions.itertuples()}
    label = st.selectbox("Action to update", list(options), key=EDIT_ACTION)
    action_id = options[label]
    row = actions.set_index("action_id").loc[action_id]
    version_key = f"{EDIT_VERSION_PREFIX}{action_id}"
    st.session_state.setdefault(version_key, int(row["version"]))  # the version this edit starts from
    base = st.session_state[version_key]
    # After a conflict the form starts again from the re-read action (this run's ``row``), but with
    # the status and percent the editor chose: before, the status box silently took the other
    # person's status and a second "Save" recorded it as the editor's (issue 14).
    retry = st.session_state.get(f"{EDIT_RETRY_PREFIX}{action_id}") or {}
    due = f"due {row['due_date']:%d %b %Y}" if pd.notna(row["due_date"]) else "no due date"
    st.caption(f"Editing version {base} · latest saved: version {int(row['version'])}, '{row['status']}' · {due}")
    if retry:
        st.error(retry["message"])
        if retry["latest"]:
            st.write("Latest saved update:", retry["latest"])
    with st.form("epop_update_form", clear_on_submit=False):
        status = st.selectbox("Status", m.ACTION_STATUSES, key=f"epop_status_{action_id}_{base}",
                              index=m.ACTION_STATUSES.index(retry.get("status", row["status"])))
        last = row["last_percent"]
        percent = st.number_input("Percent complete", 0, 100, retry.get("percent", 0 if pd.isna(last) else int(last)),
                                  key=f"epop_percent_{action_id}_{base}")
        narrative = st.text_area("What has happened", max_chars=epop.NARRATIVE_MAX)
        evidence = st.text_input("Evidence link (optional)")
        submitted = st.form_submit_button("Save update")
    if not submitted:
        return
    try:
        with session_scope(ctx.engine) as session:
            saved = epop.record_action_update(session, ctx.user, action_id, st.session_state[version_key], status, percent, narrative, evidence)
    except epop.ActionVersionConflict as conflict:
        latest = {k: v for k, v in (conflict.latest_update or {}).items() if v is not None}
        # Saving again is now a deliberate choice, from the latest version and with this editor's
        # own choices kept (the form is redrawn from the re-read action on the next run).
        st.session_state[version_key] = conflict.latest_version
        st.session_state[f"{EDIT_RETRY_PREFIX}{action_id}"] = {"status": status, "percent": int(percent),
                                                               "message": str(conflict), "latest": latest}
        st.rerun()
    except (PermissionError, ValueError) as refused:
        st.error(f"Not saved: {refused}")
    else:
        st.session_state[version_key] = saved.version
        st.session_state.pop(f"{EDIT_RETRY_PREFIX}{action_id}", None)
        st.success(f"Saved: the action is now '{saved.status}' (version {saved.version}).")


def render(ctx: PageContext) -> None:
    as_of = ctx.as_of or dt.date.today()
    st.title("EPOP action plan")
    plan_id = _choose_plan(ctx)
    if plan_id is None:
        st.info("No EPOP plan is recorded for your region yet.")
        return
    with session_scope(ctx.engine) as session:
        view = epop.plan_view(session, ctx.user, plan_id, as_of)
    st.subheader(plain(view.plan["title"]))  # imported text: shown as written, never as Markdown
    left, middle, right = st.columns(3)
    left.metric("Plan status", view.timeliness.status, help=view.timeliness.definition)
    progress = view.progress
    middle.metric("Due actions complete", "no actions due" if progress.value is None else f"{progress.value:.0f}%",
                  help=progress.definition)
    right.metric("Overdue actions", progress.overdue, help=m.OVERDUE_DEFINITION)
    st.caption(f"{progress.complete} of {progress.due} due actions complete · {progress.not_yet_due} not yet due "
               f"({progress.complete_not_yet_due} already complete) · {progress.no_due_date} with no due date · {progress.dropped} dropped")

    timeline = view.timeline.assign(label=lambda f: f["printed_code"].fillna("") + " " + f["text"].str.slice(0, 50))
    dated = timeline.dropna(subset=["due_date"])
    hover = ["status", "owner_role", "days_overdue"]
    figure = charts.epop_timeline_chart(dated[["due_date", "label", "rag", *hover]], as_of, colours=RAG_COLOURS,
                                        symbols=RAG_SYMBOLS, hover=hover,
                                        labels={"due_date": "Due date", "label": "Action", "rag": "RAG (word shown in legend)"})
    worst = int(timeline["days_overdue"].max()) if len(timeline) else 0
    shown = timeline[["rag", "printed_code", "text", "owner_role", "due_date", "status", "days_overdue", "last_percent", "last_update_at", "last_update_by"]]
    panel(f"{progress.overdue} actions overdue" + (f", the oldest by {worst} days" if progress.overdue else ""), shown,
          key="epop_region_timeline", as_of=as_of, figure=figure, show_table=True,
          notes=[m.rag_definition(), m.OVERDUE_DEFINITION, "Dashed line: the as-of date. Actions with no due date are listed in the table only."])

    if view.can_update:
        st.subheader("Record an update")
        _update_form(ctx, view)
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
    gender = m.suppress_counts({"women": s.attendees_women, "men": s.attendees_men, "other or unknown": s.attendees_other_or_unknown},
                               ctx.settings.suppression_threshold)
    figure = charts.epop_sessions_chart(view.sessions_by_month[["month", "attendees", "sessions"]], colour=CATEGORICAL[0],
                                        labels={"month": "Month", "attendees": "People attending (bar label: sessions)"})
    panel(f"{s.sessions} sessions held, {s.attendees} attendances by people on probation", view.sessions_by_month,
          key="epop_region_sessions", as_of=as_of, figure=figure,
          notes=[m.SESSIONS_DEFINITION, f"Of which women {gender['women']}, men {gender['men']}, other or unknown "
                 f"{gender['other or unknown']}; {s.gender_not_recorded} on sessions with no breakdown. [c] = fewer than "
                 f"{ctx.settings.suppression_threshold}, or hidden so it cannot be worked out from the total."])


render(page_context())
