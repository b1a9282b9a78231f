"""Board commentary on the Board summary page: what is entered for this period and view, and a
form to add to it (``data_access.commentary`` stores, dates and signs each entry; the board
and contract packs for the same period and view print them)."""

from __future__ import annotations

import streamlit as st

from data_access import commentary
from data_access.db import session_scope
from reports.pack_data import describe_filters, scope_label
from ui.context import PageContext


def commentary_section(ctx: PageContext) -> None:
    period = ctx.period
    with session_scope(ctx.engine) as session:
        label = scope_label(describe_filters(session, ctx.scope, ctx.filters))
        entries = commentary.commentary_for(session, period.start, period.end, label)
    st.subheader("Commentary, new learning and early warnings")
    st.caption(f"For {period.label} · {label}. Printed in the board and contract packs for the same period and view.")
    if entries.empty:
        st.info("None entered for this period and view yet.")
    for row in entries.itertuples(index=False):
        st.markdown(f"- **{commentary.KINDS[row.kind]}:** {commentary.entry_line(row)}")
    if ctx.user.role not in commentary.WRITERS:
        return
    with st.form("board_commentary", clear_on_submit=True):
        kind = st.selectbox("Kind", list(commentary.KINDS), format_func=commentary.KINDS.get)
        text = st.text_area("What the board should know")
        st.caption("For an early warning: the action, who owns it and when it is due.")
        action = st.text_input("Action")
        owner = st.text_input("Owner")
        due = st.date_input("Due", value=None, format="DD/MM/YYYY")
        if not st.form_submit_button("Add"):
            return
    try:
        with session_scope(ctx.engine) as session:
            commentary.add_commentary(session, author=ctx.user.username, role=ctx.user.role,
                                      period_start=period.start, period_end=period.end, scope_label=label, kind=kind,
                                      text=text, action=action, owner=owner, due_on=due)
    except (ValueError, PermissionError) as exc:
        st.error(str(exc))
        return
    st.success("Added. It will appear in the packs for this period and view.")
    st.rerun()
