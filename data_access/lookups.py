"""Small read models for pickers: the geography and contracts a user may filter by."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine, select

from data_access.db import session_scope
from data_access.geography import area_covers
from data_access.models import (
    Borough,
    Contract,
    DemandUnit,
    Hub,
    Pdu,
    PduArea,
    Provider,
    Region,
)
from data_access.scoping import AccessScope, ReferralFilters


def geography_options(engine: Engine) -> pd.DataFrame:
    """One row per GM demand unit and PDU that takes it at some date (the dated crosswalk, so
    both Annex C's PDUs and the later ones are offered), with its borough and region."""
    with session_scope(engine) as session:
        rows = session.execute(
            select(
                Region.code.label("region_code"),
                Region.name.label("region_name"),
                Pdu.number.label("pdu_number"),
                Pdu.name.label("pdu_name"),
                Borough.id.label("borough_id"),
                Borough.name.label("borough_name"),
                DemandUnit.id.label("demand_unit_id"),
                DemandUnit.name.label("demand_unit_name"),
                Pdu.in_force_from,
                Pdu.in_force_to,
            )
            .select_from(PduArea)
            .join(Pdu, Pdu.number == PduArea.pdu_number)
            .join(Region, Region.code == Pdu.region_code)
            .join(Borough, Borough.id == PduArea.borough_id)
            .join(DemandUnit, area_covers(PduArea, DemandUnit.borough_id, DemandUnit.id))
            .order_by(Region.code, Pdu.name, Borough.name)
        ).all()
    return pd.DataFrame(rows, columns=["region_code", "region_name", "pdu_number", "pdu_name", "borough_id",
                                       "borough_name", "demand_unit_id", "demand_unit_name", "in_force_from",
                                       "in_force_to"])


def hub_options(engine: Engine) -> pd.DataFrame:
    with session_scope(engine) as session:
        rows = session.execute(
            select(Hub.id, Hub.name, Hub.borough_id).where(Hub.active.is_(True)).order_by(Hub.name)
        ).all()
    return pd.DataFrame(rows, columns=["hub_id", "hub_name", "borough_id"])


def contract_options(engine: Engine, scope: AccessScope) -> pd.DataFrame:
    """Contracts the scope may see: a provider only its own; nobody without referral access."""
    stmt = (
        select(Contract.id, Contract.reference, Contract.service, Provider.id, Provider.name)
        .join(Provider, Provider.id == Contract.provider_id)
        .order_by(Contract.reference)
    )
    if not scope.sees_referrals:
        return pd.DataFrame(columns=["contract_id", "reference", "service", "provider_id", "provider_name"])
    if scope.role == "provider":
        stmt = stmt.where(Contract.provider_id == scope.provider_id)
    with session_scope(engine) as session:
        rows = session.execute(stmt).all()
    return pd.DataFrame(rows, columns=["contract_id", "reference", "service", "provider_id", "provider_name"])


def add_scope_arguments(group) -> None:
    """The command lines' scope options (``python -m metrics scorecard`` and ``pack``): one of
    a borough, PDU, region, contract or provider."""
    group.add_argument("--borough", help="borough name, e.g. Bolton")
    group.add_argument("--pdu", type=int, help="PDU number (HMPPS TOM Annex C 1-108; 109 and up: GM PDUs created "
                       "since, see info); a referral is in the PDU in force on its referral date")
    group.add_argument("--region", help="region letter code, e.g. J")
    group.add_argument("--contract", help="contract reference")
    group.add_argument("--provider", help="provider organisation id (as Refer and Monitor writes it) or number")


def filters_from_args(conn, args) -> tuple[ReferralFilters, dict]:
    """The filters the scope options name (names and references, not ids), and the options in
    words; ``SystemExit`` for a name the database does not hold."""
    described: dict = {}
    if args.borough:
        borough_id = conn.execute(select(Borough.id).where(Borough.name.ilike(args.borough))).scalar()
        if borough_id is None:
            raise SystemExit(f"unknown borough: {args.borough}")
        described["borough"] = args.borough
        return ReferralFilters(borough_id=borough_id), described
    if args.pdu is not None:
        described["pdu"] = args.pdu
        return ReferralFilters(pdu_number=args.pdu), described
    if args.region:
        described["region"] = args.region.upper()
        return ReferralFilters(region_code=args.region.upper()), described
    if args.contract:
        contract_id = conn.execute(select(Contract.id).where(Contract.reference == args.contract)).scalar()
        if contract_id is None:
            raise SystemExit(f"unknown contract: {args.contract}")
        described["contract"] = args.contract
        return ReferralFilters(contract_id=contract_id), described
    if args.provider:
        provider_id = conn.execute(
            select(Provider.id).where(Provider.organisation_code == args.provider)
        ).scalar()
        if provider_id is None and args.provider.isdigit():
            provider_id = conn.execute(select(Provider.id).where(Provider.id == int(args.provider))).scalar()
        if provider_id is None:
            raise SystemExit(f"unknown provider: {args.provider}")
        described["provider"] = args.provider
        return ReferralFilters(provider_id=provider_id), described
    return ReferralFilters(), described
