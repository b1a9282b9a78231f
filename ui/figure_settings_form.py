"""The admin's form for the settings that change figures (DS1 bound, suppression, distance
scale): what is in force, and a change for every page, pack and the CLI at once
(``data_access.figure_settings``; ``data_access.admin.set_figure_setting`` validates and audits)."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from data_access import admin
from data_access.db import session_scope
from data_access.figure_settings import figure_settings
from ui.context import PageContext

BOUNDS = ("low", "mid", "high")


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
        if st.form_submit_button("Save the figure settings"):
            values = {"ds1_bound": bound, "suppression_threshold": int(threshold),
                      "minimum_rate_denominator": int(denominator), "distance_scale_min": int(low),
                      "distance_scale_max": int(high)}
            in_force = {"ds1_bound": now.ds1_bound, "suppression_threshold": now.suppression_threshold,
                        "minimum_rate_denominator": now.minimum_rate_denominator,
                        "distance_scale_min": now.distance_scale[0], "distance_scale_max": now.distance_scale[1]}
            # Only what the admin changed is stored: the rest keeps following the deployment.
            values = {k: v for k, v in values.items() if v != in_force[k]}

            def save(session):
                # The scale's bounds are checked together: write the maximum first when it rises.
                first = "distance_scale_max" if high > now.distance_scale[1] else "distance_scale_min"
                order = sorted(values, key=lambda k: k != first)
                for name in order:
                    admin.set_figure_setting(session, ctx.scope, name, values[name])
            apply(save, "Saved the figure settings.")
