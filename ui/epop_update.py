"""The EPOP action-update form and the RAG palette of the actions timeline (My region's EPOP plan)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from data_access import epop
from data_access.db import session_scope
from domain.epop import ACTION_STATUSES
from metrics.epop_views import PlanView
from ui.context import PageContext
from ui.theme import CATEGORICAL

#: session_state keys (UI state only): the action picked and the version each edit started from.
EDIT_ACTION = "epop_edit_action"
EDIT_VERSION_PREFIX = "epop_edit_version_"
RAG_COLOURS = {"overdue": CATEGORICAL[2], "at risk": CATEGORICAL[3], "on track": CATEGORICAL[1],
               "no due date": "#3D3D3D", "complete": CATEGORICAL[0], "dropped": "#A6A6A6"}
RAG_SYMBOLS = {"overdue": "x", "at risk": "triangle-up", "on track": "circle", "no due date": "diamond", "complete": "square", "dropped": "circle-open"}


def action_update_form(ctx: PageContext, view: PlanView) -> None:
    """Pick an action of the plan and record an update to it (``data_access.epop`` decides
    who may, and refuses a save made against an older version of the action)."""
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
    due = f"due {row['due_date']:%d %b %Y}" if pd.notna(row["due_date"]) else "no due date"
    st.caption(f"Editing version {st.session_state[version_key]} · latest saved: version {int(row['version'])}, '{row['status']}' · {due}")
    with st.form("epop_update_form", clear_on_submit=False):
        status = st.selectbox("Status", ACTION_STATUSES, index=ACTION_STATUSES.index(row["status"]))
        last = row["last_percent"]
        percent = st.number_input("Percent complete", 0, 100, 0 if pd.isna(last) else int(last))
        narrative = st.text_area("What has happened", max_chars=epop.NARRATIVE_MAX)
        evidence = st.text_input("Evidence link (optional)")
        submitted = st.form_submit_button("Save update")
    if not submitted:
        return
    try:
        with session_scope(ctx.engine) as session:
            saved = epop.record_action_update(session, ctx.user, action_id, st.session_state[version_key], status, percent, narrative, evidence)
    except epop.ActionVersionConflict as conflict:
        st.error(str(conflict))
        if conflict.latest_update:
            st.write("Latest saved update:", {k: v for k, v in conflict.latest_update.items() if v is not None})
        st.session_state[version_key] = conflict.latest_version  # saving again is now a deliberate choice
    except (PermissionError, ValueError) as refused:
        st.error(f"Not saved: {refused}")
    else:
        st.session_state[version_key] = saved.version
        st.success(f"Saved: the action is now '{saved.status}' (version {saved.version}).")
