"""Read models for the Maps page: aggregated in SQL, scoped like every referral query.

(The EPOP progress per region is composed in ``metrics.epop_views``.)

(Written by the geo helper for issue 6; owners of data_access may move it.)
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import Date, Engine, and_, func, literal, or_, select

from data_access.db import session_scope
from data_access.geography import in_force_on
from data_access.models import Borough, DemandUnit, Forecast, Hub, Pdu, PduArea, Referral
from data_access.scoping import AccessScope, ReferralFilters, referrals_select
from geo.maps import PduSet


def _received(scope: AccessScope, filters: ReferralFilters, start: dt.date, end: dt.date, key):
    stmt = referrals_select(scope, filters, key.label("key"), func.count().label("referrals"))
    return stmt.where(Referral.received_on.between(start, end)).group_by(key).subquery()


def demand_unit_figures(engine: Engine, scope: AccessScope, filters: ReferralFilters,
                        start: dt.date, end: dt.date) -> pd.DataFrame:
    """Per GM demand unit: ``name``, ``referrals`` received in the period, and the latest
    published forecast (``base_count``, ``predicted_low``, ``predicted_high``, ``period_days``)."""
    counts = _received(scope, filters, start, end, Referral.demand_unit_id)
    latest = select(Forecast.demand_unit_id, func.max(Forecast.base_date).label("d")).group_by(
        Forecast.demand_unit_id).subquery()
    stmt = (
        select(DemandUnit.name, func.coalesce(counts.c.referrals, 0).label("referrals"),
               Forecast.base_count, Forecast.predicted_low, Forecast.predicted_high,
               Forecast.period_days)
        .outerjoin(counts, counts.c.key == DemandUnit.id)
        .outerjoin(latest, latest.c.demand_unit_id == DemandUnit.id)
        .outerjoin(Forecast, (Forecast.demand_unit_id == DemandUnit.id)
                   & (Forecast.base_date == latest.c.d))
        .order_by(DemandUnit.name)
    )
    with session_scope(engine) as session:
        result = session.execute(stmt)
        return pd.DataFrame(result.all(), columns=list(result.keys()))


def hub_figures(engine: Engine, scope: AccessScope, filters: ReferralFilters,
                start: dt.date, end: dt.date) -> pd.DataFrame:
    """Open (active) hubs: ``name``, ``borough``, ``postcode``, ``latitude``, ``longitude``,
    ``opening_pattern``, ``referrals`` received in the period."""
    counts = _received(scope, filters, start, end, Referral.hub_id)
    stmt = (
        select(Hub.name, Borough.name.label("borough"), Hub.postcode, Hub.latitude, Hub.longitude,
               Hub.opening_pattern, func.coalesce(counts.c.referrals, 0).label("referrals"))
        .join(Borough, Borough.id == Hub.borough_id)
        .outerjoin(counts, counts.c.key == Hub.id)
        .where(Hub.active.is_(True))
        .order_by(Borough.name, Hub.name)
    )
    with session_scope(engine) as session:
        result = session.execute(stmt)
        return pd.DataFrame(result.all(), columns=list(result.keys()))


def open_hub_positions(session) -> pd.DataFrame:
    """``latitude``, ``longitude`` of every open hub (for working out reach)."""
    rows = session.execute(select(Hub.latitude, Hub.longitude).where(Hub.active.is_(True))).all()
    return pd.DataFrame(rows, columns=["latitude", "longitude"])


def gm_pdus_in_force(engine: Engine, on: dt.date | None) -> PduSet:
    """The PDU each GM demand unit belongs to on ``on`` (today when None): the dated borough ↔
    PDU crosswalk (``pdu_areas``), so the map shows the eight PDUs from the change date and
    the nine of the 2021 Target Operating Model before it. A split borough (Manchester) is
    matched by demand unit, every other borough as a whole (DOMAIN.md Decision 8)."""
    on = on or dt.date.today()
    day = literal(on, Date)
    stmt = (select(DemandUnit.name.label("demand_unit"), Pdu.number.label("pdu_number"), Pdu.name.label("pdu_name"))
            .join(PduArea, and_(PduArea.borough_id == DemandUnit.borough_id,
                                or_(PduArea.demand_unit_id.is_(None), PduArea.demand_unit_id == DemandUnit.id)))
            .join(Pdu, Pdu.number == PduArea.pdu_number)
            .where(in_force_on(PduArea, day))
            .order_by(DemandUnit.name))
    with session_scope(engine) as session:
        rows = session.execute(stmt).all()
    return PduSet(on, pd.DataFrame(rows, columns=["demand_unit", "pdu_number", "pdu_name"]))
