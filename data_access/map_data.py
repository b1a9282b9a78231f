"""Read models for the Maps page: aggregated in SQL, scoped like every referral query.

(The EPOP progress per region is composed in ``metrics.epop_views``.)

(Written by the geo helper for issue 6; owners of data_access may move it.)
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import Engine, func, select

from data_access.db import session_scope
from data_access.models import Borough, DemandUnit, Forecast, Hub, Referral
from data_access.scoping import AccessScope, ReferralFilters, referrals_select


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
    """Active hubs: ``name``, ``borough``, ``postcode``, ``latitude``, ``longitude``,
    ``referrals`` received in the period."""
    counts = _received(scope, filters, start, end, Referral.hub_id)
    stmt = (
        select(Hub.name, Borough.name.label("borough"), Hub.postcode, Hub.latitude, Hub.longitude,
               func.coalesce(counts.c.referrals, 0).label("referrals"))
        .join(Borough, Borough.id == Hub.borough_id)
        .outerjoin(counts, counts.c.key == Hub.id)
        .where(Hub.active.is_(True))
        .order_by(Borough.name, Hub.name)
    )
    with session_scope(engine) as session:
        result = session.execute(stmt)
        return pd.DataFrame(result.all(), columns=list(result.keys()))
