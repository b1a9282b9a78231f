"""The Admin page's tabs: one function per tab, each a table and the form that changes it.

Every change goes through ``data_access.admin`` (which checks the role again and audits it)
in its own transaction (:func:`apply`); the page (``app_pages/admin.py``) only lays the tabs out.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from data_access import admin
from data_access.batches import UndoRefused
from data_access.cli_import import undone_summary
from data_access.db import session_scope
from data_access.kpi_summary import refresh_after_change
from data_access.scoping import ROLES
from domain.end_reasons import SL002_REASON_DECISION
from ui import panel_data
from ui.context import PageContext
from ui.figure_settings_form import figure_settings_form, spc_rebase_form
from ui.tables import table


def apply(ctx: PageContext, change, success: str) -> None:
    """Run one change in its own transaction; show every problem, or clear cached figures."""
    try:
        with session_scope(ctx.engine) as session:
            change(session)
    except admin.AdminInputError as exc:
        for problem in exc.problems:
            st.error(problem)
    else:
        panel_data.clear()
        st.success(success)


def _optional(names) -> list:
    return [None, *names]


def users_tab(ctx: PageContext, users: pd.DataFrame, providers: dict, regions: dict) -> None:
    table(users, key="admin_users")
    with st.form("admin_user_form"):
        st.subheader("Add a user, or change one")
        username = st.text_input("Username")
        display_name = st.text_input("Display name")
        role = st.selectbox("Role", ROLES)
        provider = st.selectbox("Provider (provider accounts)", _optional(providers), format_func=lambda k: providers.get(k, "–"))
        region = st.selectbox("Region (EPOP SPOC accounts)", _optional(regions), format_func=lambda k: regions.get(k, "–"))
        active = st.checkbox("Active", value=True)
        password = st.text_input("Password (new users, or to reset)", type="password")
        if st.form_submit_button("Save user"):
            def save(session):
                if username.strip().lower() in set(users["username"]):
                    admin.update_user(session, ctx.scope, username.strip().lower(), role=role, active=active,
                                      provider_id=provider, region_code=region, display_name=display_name)
                    if password:
                        admin.set_password(session, ctx.scope, username.strip().lower(), password)
                else:
                    admin.create_user(session, ctx.scope, username=username, display_name=display_name, role=role,
                                      password=password, provider_id=provider, region_code=region)
            apply(ctx, save, f"Saved {username}.")


def targets_tab(ctx: PageContext, targets: pd.DataFrame) -> None:
    table(targets, key="admin_targets")
    code = st.selectbox("KPI", list(targets["code"]), key="admin_target_code")
    with st.form("admin_target_form"):
        row = targets.set_index("code").loc[code]
        target = st.number_input("Target (%)", 0.0, 100.0, float(row["target"]) if pd.notna(row["target"]) else 0.0)
        trigger = st.number_input("Trigger (%), 0 for none", 0.0, 100.0,
                                  float(row["trigger"]) if pd.notna(row["trigger"]) else 0.0)
        if st.form_submit_button("Save target"):
            apply(ctx, lambda s: admin.set_kpi_target(s, ctx.scope, code, target, trigger or None), f"Saved {code}'s target.")


def end_reasons_tab(ctx: PageContext, reasons: pd.DataFrame) -> None:
    """The reviewed SL002 end-reason table (both vocabularies): change a class or add a reason.
    The stored SL002 counts are rebuilt so every page follows the new class at once."""
    st.caption(SL002_REASON_DECISION)
    table(reasons, key="admin_end_reasons")
    with st.form("admin_end_reason_form"):
        vocabulary = st.selectbox("Vocabulary", ["2024", "2021"], help="2021 end reasons, 2024 withdrawal reasons")
        reason_code = st.text_input("Code (e.g. NOT)")
        reason_class = st.selectbox("SL002 class", ["negative", "neutral"])
        description = st.text_input("Description as Refer and Monitor writes it (only to add a reason)")
        why = st.text_input("Why (the commissioner's decision, with its date)")
        if st.form_submit_button("Save end reason"):
            apply(ctx, lambda s: admin.save_end_reason(s, ctx.scope, vocabulary=vocabulary, code=reason_code,
                                                       sl002_class=reason_class, description=description, why=why),
                  f"Saved {vocabulary} {reason_code.upper()}.")
            for notice in refresh_after_change(ctx.engine):  # stored SL002 counts follow the new class
                st.warning(notice)


def forecasts_tab(ctx: PageContext, forecasts: pd.DataFrame) -> None:
    st.caption("The published 40–60% figures (GMIRS spec §1.12) are stored as published; the period they cover "
               "is an assumption (Decision 1) and is printed beside every forecast chart.")
    table(forecasts, key="admin_forecasts")
    with st.form("admin_forecast_period"):
        days = st.number_input("Days the published forecast covers", 1, 3660, int(forecasts["period_days"].iloc[0]) if len(forecasts) else 365)
        if st.form_submit_button("Save the assumption"):
            apply(ctx, lambda s: admin.set_forecast_period(s, ctx.scope, int(days)), "Saved the forecast period.")
    # DS1 bound, suppression, distance scale (data_access.figure_settings)
    # DS1 bound, suppression, distance scale, SPC rules (data_access.figure_settings); SPC rebases
    figure_settings_form(ctx, lambda change, success: apply(ctx, change, success))
    spc_rebase_form(ctx, lambda change, success: apply(ctx, change, success))
    labels = dict(zip(forecasts["id"], forecasts["demand_unit"] + " (" + forecasts["base_date"].astype(str) + ")"))
    forecast_id = st.selectbox("Forecast", list(labels), format_func=labels.get, key="admin_forecast_id")
    with st.form("admin_forecast_form"):
        chosen = forecasts.set_index("id").loc[forecast_id] if forecast_id is not None else None
        low = st.number_input("Predicted low (40%)", 0, 100_000, int(chosen["predicted_low"]) if chosen is not None else 0)
        high = st.number_input("Predicted high (60%)", 0, 100_000, int(chosen["predicted_high"]) if chosen is not None else 0)
        note = st.text_input("Source note", chosen["source_note"] if chosen is not None else "")
        if st.form_submit_button("Save forecast"):
            apply(ctx, lambda s: admin.update_forecast(s, ctx.scope, forecast_id, predicted_low=int(low),
                                                       predicted_high=int(high), source_note=note), "Saved the forecast.")


def hubs_tab(ctx: PageContext, hubs: pd.DataFrame, boroughs: dict) -> None:
    table(hubs, key="admin_hubs")
    hub_labels = dict(zip(hubs["id"], hubs["name"]))
    hub_id = st.selectbox("Hub to edit", _optional(hub_labels), format_func=lambda k: hub_labels.get(k, "Add a new hub"),
                          key="admin_hub_id")
    hub = hubs.set_index("id").loc[hub_id].fillna("") if hub_id is not None else None
    with st.form("admin_hub_form"):
        name = st.text_input("Name", hub["name"] if hub is not None else "")
        names = list(boroughs.values())
        borough = st.selectbox("Borough", list(boroughs), format_func=boroughs.get,
                               index=names.index(hub["borough"]) if hub is not None else 0)
        postcode = st.text_input("Postcode (fills the position)", hub["postcode"] if hub is not None else "")
        address = st.text_input("Address", hub["address"] if hub is not None else "")
        opening = st.text_input("Opening pattern", hub["opening_pattern"] if hub is not None else "")
        services = st.text_input("Co-located services", hub["co_located_services"] if hub is not None else "")
        hub_active = st.checkbox("Open", value=bool(hub["active"]) if hub is not None else True)
        if st.form_submit_button("Save hub"):
            apply(ctx, lambda s: admin.save_hub(s, ctx.scope, hub_id=hub_id, name=name, borough_id=borough, postcode=postcode,
                                                address=address, opening_pattern=opening, co_located_services=services,
                                                active=hub_active), f"Saved {name}.")


def contracts_tab(ctx: PageContext, contracts: pd.DataFrame, boroughs: dict, regions: dict) -> None:
    table(contracts, key="admin_contracts")
    with st.form("admin_contract_form"):
        contract_labels = dict(zip(contracts["id"], contracts["reference"]))
        contract_id = st.selectbox("Contract", list(contract_labels), format_func=contract_labels.get)
        covered = st.multiselect("Boroughs it covers", list(boroughs), format_func=boroughs.get)
        contract_region = st.selectbox("Region", _optional(regions), format_func=lambda k: regions.get(k, "unchanged"))
        if st.form_submit_button("Save geography"):
            apply(ctx, lambda s: admin.set_contract_boroughs(s, ctx.scope, contract_id, covered, contract_region),
                  "Saved the contract's geography.")


def imports_tab(ctx: PageContext) -> None:
    history = admin.imports(ctx.engine, ctx.scope)
    if history.empty:
        st.info("No files have been imported yet.")
        return
    table(history, key="admin_imports")
    done = history[history["status"] == "done"]
    batch_labels = dict(zip(done["id"], done["kind"] + ": " + done["file_name"] + " ("
                            + done["finished_at"].astype(str).str[:16] + ", by " + done["imported_by"] + ")"))
    if not batch_labels:
        return
    with st.form("admin_undo_form"):
        st.subheader("Undo an import")
        st.caption("Deletes the rows the import added and restores the rows it changed, in one "
                   "transaction. Refused if a later import changed the same rows: undo that one first.")
        batch_id = st.selectbox("Import", list(batch_labels), format_func=batch_labels.get)
        sure = st.checkbox("I understand the figures will go back to what they were before this import")
        if st.form_submit_button("Undo import"):
            if not sure:
                st.error("Tick the box to confirm the undo.")
                return
            try:
                with st.spinner("Undoing the import and rebuilding the stored KPI counts…"):
                    counts, notices = admin.undo_import(ctx.engine, ctx.scope, int(batch_id))
            except UndoRefused as exc:
                st.error(f"Not undone: {exc}")
            else:
                st.cache_data.clear()
                st.success(f"Import {batch_id} undone: {undone_summary(counts)}.")
                for notice in notices:
                    st.info(notice)
