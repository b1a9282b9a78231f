"""Placing referrals in PDUs and regions by date, and the PDU sets in force (DOMAIN.md Decision 8).

A referral belongs to the PDU whose crosswalk row (``pdu_areas``) covers its borough (and, for
a borough split between PDUs, its demand unit) and is in force on its referral date
(``received_on``). A referral with a borough but no demand unit therefore has a PDU whenever its
borough lies in one PDU on that date. One with no referral date has a PDU only where the date
cannot matter (a PDU that never changed). A region follows the borough (PDU changes stay within
a region); only a referral with no borough at all falls back to its contract's region (as
mapped by an admin or shipped as reference data).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import (
    ColumnElement,
    Date,
    Select,
    and_,
    distinct,
    exists,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from data_access.models import (
    Borough,
    Contract,
    DemandUnit,
    Pdu,
    PduArea,
    Referral,
    Region,
)
from geo.pdu_sets import GM_EIGHT_PDUS, SET_LABELS, dated_pdu_numbers

Db = Connection | Session


def in_force_on(model, day) -> ColumnElement[bool]:
    """``model``'s row (``in_force_from`` / exclusive ``in_force_to``, None = open) is in force on ``day``."""
    return and_(
        day.is_not(None),
        or_(model.in_force_from.is_(None), model.in_force_from <= day),
        or_(model.in_force_to.is_(None), day < model.in_force_to),
    )


def area_covers(area, borough_id, demand_unit_id) -> ColumnElement[bool]:
    """A crosswalk row covers a borough (and demand unit): the whole borough, or that unit."""
    return and_(area.borough_id == borough_id,
                or_(area.demand_unit_id.is_(None), area.demand_unit_id == demand_unit_id))


def referral_in_pdu(pdu_number: int) -> ColumnElement[bool]:
    """Condition on ``referrals``: the referral lies in PDU ``pdu_number`` on its referral date.

    For a PDU whose boroughs never change (``geo.pdu_sets.dated_pdu_numbers``) the date cannot
    matter, so the condition reads only the borough and demand unit, which lets the per-day KPI
    summary answer it (metrics.summary); only its undated crosswalk rows are used, so a row
    dated in the database later is never ignored silently: it is then simply not matched here.
    """
    if pdu_number in dated_pdu_numbers():
        return exists().where(
            PduArea.pdu_number == pdu_number,
            area_covers(PduArea, Referral.borough_id, Referral.demand_unit_id),
            in_force_on(PduArea, Referral.received_on),
        )
    undated = and_(PduArea.pdu_number == pdu_number, PduArea.in_force_from.is_(None), PduArea.in_force_to.is_(None))
    return (Referral.borough_id.in_(select(PduArea.borough_id).where(undated, PduArea.demand_unit_id.is_(None)))
            | Referral.demand_unit_id.in_(select(PduArea.demand_unit_id).where(undated,
                                                                               PduArea.demand_unit_id.is_not(None))))


def boroughs_in_region(region_code: str) -> Select:
    """Boroughs whose PDUs lie in ``region_code`` on every date. PDU changes happen within a
    region, so a borough's region does not depend on the date (tests check the crosswalk
    keeps each borough in one region); a borough found in two regions would be in neither."""
    return (select(PduArea.borough_id).join(Pdu, Pdu.number == PduArea.pdu_number)
            .group_by(PduArea.borough_id)
            .having(func.count(distinct(Pdu.region_code)) == 1, func.max(Pdu.region_code) == region_code))


def referral_in_region(region_code: str) -> ColumnElement[bool]:
    """Condition on ``referrals``: the referral's borough lies in region ``region_code``
    (whatever its demand unit: Manchester North and South are both in region J); with no
    borough, its contract's region. Reads only borough and contract, so the per-day KPI
    summary can answer it."""
    by_contract = Referral.borough_id.is_(None) & Referral.contract_id.in_(
        select(Contract.id).where(Contract.region_code == region_code)
    )
    return Referral.borough_id.in_(boroughs_in_region(region_code)) | by_contract


def pdu_placement(referrals: Select) -> Select:
    """``(pdu_number, received_on)`` for every referral of ``referrals`` that lies in a PDU on
    its referral date (at most one row per referral: a borough's rows never overlap in time)."""
    r = referrals.with_only_columns(
        Referral.__table__.c.borough_id, Referral.__table__.c.demand_unit_id, Referral.__table__.c.received_on
    ).subquery()
    return select(PduArea.pdu_number, r.c.received_on).join_from(
        r, PduArea, and_(area_covers(PduArea, r.c.borough_id, r.c.demand_unit_id), in_force_on(PduArea, r.c.received_on))
    )


def demand_units_in_pdu(pdu_number: int) -> Select:
    """Ids of the demand units (forecast rows) a PDU takes at any date."""
    du = DemandUnit.__table__.c
    return select(du.id).where(exists().where(PduArea.pdu_number == pdu_number, area_covers(PduArea, du.borough_id, du.id)))


def demand_units_in_region(region_code: str) -> Select:
    du = DemandUnit.__table__.c
    return select(du.id).where(du.borough_id.in_(boroughs_in_region(region_code)))


def _frame(db: Db, stmt) -> pd.DataFrame:
    result = db.execute(stmt)
    return pd.DataFrame(result.all(), columns=list(result.keys()))


def pdus_in_force(db: Db, on: dt.date) -> pd.DataFrame:
    """The PDU set in force on ``on``: one row per PDU with its region, set, dates and (for
    Greater Manchester) the boroughs it takes that day, ``;``-separated; ``gss_codes`` likewise
    (ONS codes, so a map can draw a later PDU as the union of its boroughs).

    Columns: pdu_number, pdu_name, region_code, region_name, pdu_set, set_label,
    in_force_from, in_force_to, boroughs, gss_codes.
    """
    pdus = _frame(db, select(
        Pdu.number.label("pdu_number"), Pdu.name.label("pdu_name"), Pdu.region_code, Region.name.label("region_name"),
        Pdu.pdu_set, Pdu.in_force_from, Pdu.in_force_to,
    ).join(Region, Region.code == Pdu.region_code).where(in_force_on(Pdu, _literal_date(on))).order_by(Pdu.number))
    areas = _frame(db, select(PduArea.pdu_number, Borough.name.label("borough"), Borough.gss_code)
                   .join(Borough, Borough.id == PduArea.borough_id)
                   .where(in_force_on(PduArea, _literal_date(on))).distinct().order_by(Borough.name))
    joined = areas.groupby("pdu_number").agg(boroughs=("borough", ";".join), gss_codes=("gss_code", ";".join))
    pdus = pdus.merge(joined, left_on="pdu_number", right_index=True, how="left")
    pdus["set_label"] = pdus["pdu_set"].map(SET_LABELS).fillna(pdus["pdu_set"])
    return pdus[["pdu_number", "pdu_name", "region_code", "region_name", "pdu_set", "set_label", "in_force_from",
                 "in_force_to", "boroughs", "gss_codes"]]


def _literal_date(on: dt.date):
    return literal(on, Date)


def gm_pdu_change_date(db: Db) -> dt.date | None:
    """First day of Greater Manchester's eight PDUs as loaded (the setting at the last ``init``)."""
    return db.execute(select(Pdu.in_force_from).where(Pdu.pdu_set == GM_EIGHT_PDUS).limit(1)).scalar()


def pdu_sets_summary(db: Db) -> list[dict]:
    """Each PDU set with its dates and the PDUs whose dates differ from the set's, for
    ``python -m data_access info`` and the pages."""
    pdus = _frame(db, select(Pdu.number, Pdu.name, Pdu.region_code, Pdu.pdu_set, Pdu.in_force_from,
                             Pdu.in_force_to).order_by(Pdu.number))
    out = []
    for name, rows in pdus.groupby("pdu_set", sort=False):
        dated = rows[rows["in_force_from"].notna() | rows["in_force_to"].notna()]
        out.append({
            "set": name,
            "label": SET_LABELS.get(name, name),
            "pdus": len(rows),
            "in_force_from": _first(rows["in_force_from"]),
            "dated_pdus": [
                {"number": int(r.number), "name": r.name, "region_code": r.region_code,
                 "in_force_from": _date(r.in_force_from), "in_force_to": _date(r.in_force_to)}
                for r in dated.itertuples(index=False)
            ],
        })
    return out


def _date(value) -> dt.date | None:
    return None if value is None or pd.isna(value) else value


def _first(values: pd.Series) -> dt.date | None:
    found = values.dropna()
    return None if found.empty else min(found)


__all__ = [
    "area_covers",
    "boroughs_in_region",
    "demand_units_in_pdu",
    "demand_units_in_region",
    "gm_pdu_change_date",
    "in_force_on",
    "pdu_placement",
    "pdu_sets_summary",
    "pdus_in_force",
    "referral_in_pdu",
    "referral_in_region",
]
