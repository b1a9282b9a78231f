"""Admin: users and roles, KPI targets, SL002 end-reason classes, forecasts and their assumption,
hubs, contract geography.

Registered for admins only; data_access.admin checks the role again and audits every change.
Each tab's table and form is drawn by ``ui.admin_forms``.
"""

import streamlit as st

from data_access import admin
from data_access.db import session_scope
from ui import admin_forms, url_state
from ui.context import page_context
from ui.tables import table

ctx = page_context()
st.title("Admin")

with session_scope(ctx.engine) as session:
    choices = admin.pickers(session, ctx.scope)
    users, targets = admin.list_users(session, ctx.scope), admin.kpi_targets(session, ctx.scope)
    reasons = admin.end_reasons(session, ctx.scope)
    forecasts, hubs = admin.forecasts(session, ctx.scope), admin.hubs(session, ctx.scope)
    contracts, audit = admin.contract_geography(session, ctx.scope), admin.recent_audit(session, ctx.scope)
providers, regions, boroughs = choices["providers"], choices["regions"], choices["boroughs"]

TABS = {"users": "Users and roles", "targets": "KPI targets", "end-reasons": "SL002 end reasons",
        "forecasts": "Forecasts", "hubs": "Hubs", "contracts": "Contract geography", "imports": "Imports",
        "audit": "Audit log"}
CODE = {label: code for code, label in TABS.items()}
url_state.choice("admin_tab", "tab", list(TABS.values()), TABS["users"], text=CODE.get)
tab_users, tab_targets, tab_reasons, tab_forecasts, tab_hubs, tab_contracts, tab_imports, tab_audit = st.tabs(
    list(TABS.values()), key="admin_tab", on_change="rerun")

with tab_users:
    admin_forms.users_tab(ctx, users, providers, regions)
with tab_targets:
    admin_forms.targets_tab(ctx, targets)
with tab_reasons:
    admin_forms.end_reasons_tab(ctx, reasons)
with tab_forecasts:
    admin_forms.forecasts_tab(ctx, forecasts)
with tab_hubs:
    admin_forms.hubs_tab(ctx, hubs, boroughs)
with tab_contracts:
    admin_forms.contracts_tab(ctx, contracts, boroughs, regions)
with tab_imports:
    admin_forms.imports_tab(ctx)
with tab_audit:
    table(audit, key="admin_audit")
