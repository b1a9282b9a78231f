"""What is loaded: counts of the main tables and the data's date range."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, func, select

from data_access.db import session_scope
from data_access.geography import gm_pdu_change_date, pdu_sets_summary, pdus_in_force
from data_access.models import (
    Appointment,
    AuditLog,
    Borough,
    Contract,
    EpopAction,
    EpopPlan,
    Hub,
    ImportBatch,
    LocalAuthority,
    NeedScore,
    Pdu,
    Provider,
    Referral,
    Region,
)

MAIN_TABLES = {
    "regions": Region,
    "pdus": Pdu,
    "local_authorities": LocalAuthority,
    "boroughs": Borough,
    "hubs": Hub,
    "providers": Provider,
    "contracts": Contract,
    "referrals": Referral,
    "appointments": Appointment,
    "scores": NeedScore,
    "epop_plans": EpopPlan,
    "epop_actions": EpopAction,
}


def database_info(engine: Engine) -> dict:
    with session_scope(engine) as session:
        counts = {name: session.scalar(select(func.count()).select_from(model)) for name, model in MAIN_TABLES.items()}
        first, last = session.execute(
            select(func.min(Referral.received_on), func.max(func.coalesce(Referral.concluded_on, Referral.received_on)))
        ).one()
        last_received = session.scalar(select(func.max(Referral.received_on)))
        last_import = session.scalar(select(func.max(ImportBatch.finished_at)))
        change = gm_pdu_change_date(session)
        pdu_sets = pdu_sets_summary(session)
        gm_in_force = {}
        if change is not None:  # Greater Manchester's PDUs the day before the change and from it
            for day in (change - dt.timedelta(days=1), change):
                frame = pdus_in_force(session, day)
                gm_in_force[day.isoformat()] = frame.loc[frame["region_code"] == "J", "pdu_name"].tolist()
    return {
        "database": engine.url.render_as_string(hide_password=True),
        "counts": counts,
        "date_range": {"from": first, "to": max(filter(None, [last, last_received]), default=None)},
        "last_import_at": last_import,
        # PDU sets and their dates (DOMAIN.md Decision 8); the GM change date is a setting
        # (DASHBOARD_GM_PDU_CHANGE_DATE) written by ``init``.
        "gm_pdu_change_date": change,
        "pdu_sets": pdu_sets,
        "gm_pdus_in_force": gm_in_force,
    }


#: Audit actions that never change a figure (left out of :func:`data_version`).
SIGN_IN_ACTIONS = ("sign_in", "sign_in_failed", "sign_in_throttled", "sign_out")


def data_version(engine: Engine) -> str:
    """A token that changes whenever a figure may change: an import, an undo, or an edit by an
    admin or an EPOP SPOC (each audited). Caches of figures are keyed on it, so every app
    replica sees new data at once, however the data arrived (upload page or command line)."""
    with session_scope(engine) as session:
        batches = session.execute(
            select(func.max(ImportBatch.id), func.count(ImportBatch.id), func.max(ImportBatch.finished_at),
                   func.max(ImportBatch.undone_at))
        ).one()
        edits = session.scalar(select(func.max(AuditLog.id)).where(AuditLog.action.not_in(SIGN_IN_ACTIONS)))
    return repr((tuple(batches), edits))
