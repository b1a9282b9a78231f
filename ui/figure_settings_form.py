"""The admin's form for the settings that change figures (DS1 bound, suppression, distance
scale, SPC rule set and run length) and for the SPC rebases at a known process change: what is in force, and a change for every page, pack and the CLI at once
(``data_access.figure_settings``; ``data_access.admin.set_figure_setting`` validates and audits)."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from data_access import admin
from data_access.db import session_scope
from data_access.figure_settings import SPC_RULE_SETS, SPC_RUN_LENGTHS, figure_settings
from domain.catalogue import KPI_CODES
from ui.context import PageContext
from ui.tables import table

BOUNDS = ("low", "mid", "high")
RULE_SET_WORDS = {"mdc-2023": "Making Data Count 2023 (default)", "nhsr-0.2.2": "NHSRplotthedots 0.2.2"}


def figure_settings_form(ctx: PageContext, apply: Callable) -> None:
    """``apply(change, success)`` runs the change in its own transaction (the admin page's)."""
    with session_scope(ctx.engine) as session:
        now = figure_settings(session, ctx.settings)
        chosen = admin.figure_settings_set(session, ctx.scope)
    st.caption("Settings that change figures on every page, pack and the command line. Values not set here "
               "keep the deployment's (DASHBOARD_* environment variables). Set here: "
               + (", ".join(f"{k} = {v}" for k, v in chosen.items()) or "none") + ".")
    with st.form("admin_figure_settings"):
        bound = st.selectbox("DS1 target: which bound of the 40–60% band (Decision 2)", BOUNDS,
                             index=BOUNDS.index(now.ds1_bound))
        threshold = st.number_input("Counts from 1 up to this number minus one are hidden ([c])", 2, 20,
                                    now.suppression_threshold)
        denominator = st.number_input("Rates on fewer than this many cases are not shown ([low])", 1, 100,
                                      now.minimum_rate_denominator)
        low = st.number_input("Distance travelled: highest need score (Decision 6)", 0, 10, now.distance_scale[0])
        high = st.number_input("Distance travelled: no-need score", 1, 20, now.distance_scale[1])
        rule_set = st.selectbox("SPC rule set (Decision 11)", SPC_RULE_SETS, index=SPC_RULE_SETS.index(now.spc_rule_set),
                                format_func=RULE_SET_WORDS.get)
        run_length = st.selectbox("SPC shift and trend length (points in a row)", SPC_RUN_LENGTHS,
                                  index=SPC_RUN_LENGTHS.index(now.spc_run_length))
        if st.form_submit_button("Save the figure settings"):
            values = {"ds1_bound": bound, "suppression_threshold": int(threshold),
                      "minimum_rate_denominator": int(denominator), "distance_scale_min": int(low),
                      "distance_scale_max": int(high), "spc_rule_set": rule_set, "spc_run_length": int(run_length)}
            in_force = {"ds1_bound": now.ds1_bound, "suppression_threshold": now.suppression_threshold,
                        "minimum_rate_denominator": now.minimum_rate_denominator,
                        "distance_scale_min": now.distance_scale[0], "distance_scale_max": now.distance_scale[1],
                        "spc_rule_set": now.spc_rule_set, "spc_run_length": now.spc_run_length}
            # Only what the admin changed is stored: the rest keeps following the deployment.
            values = {k: v for k, v in values.items() if v != in_force[k]}

            def save(session):
                # The scale's bounds are checked together: write the maximum first when it rises.
                first = "distance_scale_max" if high > now.distance_scale[1] else "distance_scale_min"
                order = sorted(values, key=lambda k: k != first)
                for name in order:
                    admin.set_figure_setting(session, ctx.scope, name, values[name])
            apply(save, "Saved the figure settings.")


def spc_rebase_form(ctx: PageContext, apply: Callable) -> None:
    """Record or remove an SPC rebase (a known process change: measure or all, date, reason)."""
    with session_scope(ctx.engine) as session:
        rebases = admin.spc_rebases(session, ctx.scope)
    st.subheader("SPC rebases at a known process change")
    st.caption("From the first month on or after the date, the measure's SPC chart gets a new mean and limits, drawn "
               "on the chart with the reason (Making Data Count: rebase only for a sustained change with a known cause).")
    table(rebases, key="admin_spc_rebases")
    with st.form("admin_spc_rebase_add"):
        code = st.selectbox("Measure", ["all", *KPI_CODES])
        on = st.date_input("Date of the process change", format="YYYY-MM-DD")
        reason = st.text_input("Reason (the process change)", max_chars=300)
        if st.form_submit_button("Record the rebase"):
            apply(lambda s: admin.add_spc_rebase(s, ctx.scope, None if code == "all" else code, on, reason),
                  "Recorded the rebase.")
    if len(rebases):
        with st.form("admin_spc_rebase_remove"):
            labels = {int(r.id): f"{r.measure} from {r.rebase_on}: {r.reason}" for r in rebases.itertuples()}
            chosen = st.selectbox("Rebase to remove", list(labels), format_func=labels.get)
            if st.form_submit_button("Remove the rebase"):
                apply(lambda s: admin.remove_spc_rebase(s, ctx.scope, chosen), "Removed the rebase.")
