"""Load the reference tables from ``assets/reference`` into the database.

Idempotent: each table is filled only where its natural key is missing, so running ``init``
again changes nothing. Figures are stored as published (DOMAIN.md: Bury's and Rochdale's
ranges differ from 40%/60% of their totals and are kept as printed).
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import Connection, Engine, inspect, select, update
from sqlalchemy.orm import Session

from data_access.models import (
    Borough,
    Contract,
    ContractBorough,
    DemandUnit,
    EndReason,
    EpopAnnex2Expectation,
    EpopOutcomeCode,
    EpopStandard,
    Forecast,
    KpiDefinition,
    LocalAuthority,
    Need,
    Pdu,
    PduArea,
    PduLocalAuthority,
    Provider,
    RamRegion,
    Region,
)
from data_access.settings import REFERENCE_DIR, Settings
from domain.catalogue import KPI_CATALOGUE, NEEDS
from domain.end_reasons import EndReason as EndReasonRule
from domain.end_reasons import EndReasonClasses, default_end_reasons, read_end_reasons
from geo.pdu_sets import ANNEX_C_SET, GM_EIGHT_PDUS, borough_pdu_crosswalk, pdu_spans

#: GMIRS specification §1.12: "people in the community on 16/01/2023".
FORECAST_BASE_DATE = dt.date(2023, 1, 16)
FORECAST_SOURCE_NOTE = (
    "GMIRS Well-being Support Service specification §1.12: people in the community on "
    "16/01/2023 and 'Predicted numbers for ITT 40-60%', as published. The period is not "
    "stated; treated as annual and pro-rated by days (Decision 1)."
)


def read_reference_csv(name: str, directory: Path = REFERENCE_DIR) -> list[dict[str, str]]:
    with open(directory / name, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _existing(session: Session, column) -> set:
    return set(session.scalars(select(column)))


def _add_missing(session: Session, key_column, rows: Iterable, key) -> int:
    have = _existing(session, key_column)
    added = 0
    for row in rows:
        if key(row) not in have:
            session.add(row)
            have.add(key(row))
            added += 1
    session.flush()
    return added


def _authority_name(raw: str) -> tuple[str, bool]:
    """``"Kent (part)"`` → ``("Kent", True)``."""
    raw = raw.strip()
    match = re.fullmatch(r"(.+?)\s*\(part\)", raw)
    return (match.group(1), True) if match else (raw, False)


def _load_dated_crosswalk(session: Session, change_dates: dict[str, dt.date], borough_id: dict[str, int]) -> int:
    """Add the missing borough ↔ PDU rows, then write every PDU's and row's dates afresh."""
    unit_id = {u.name: u.id for u in session.scalars(select(DemandUnit))}
    crosswalk = borough_pdu_crosswalk(change_dates)
    have = {tuple(r) for r in session.execute(select(PduArea.pdu_number, PduArea.borough_id, PduArea.demand_unit_id))}
    added = 0
    for row in crosswalk.itertuples(index=False):
        unit = unit_id[row.demand_unit] if isinstance(row.demand_unit, str) else None
        key = (int(row.pdu_number), borough_id[row.borough], unit)
        if key not in have:
            session.add(PduArea(pdu_number=key[0], borough_id=key[1], demand_unit_id=key[2]))
            have.add(key)
            added += 1
    session.flush()
    for span in pdu_spans(change_dates).itertuples(index=False):
        dates = {"in_force_from": span.in_force_from, "in_force_to": span.in_force_to}
        session.execute(update(Pdu).where(Pdu.number == int(span.pdu_number)).values(**dates))
        # A crosswalk row is in force while its PDU is (the PDUs replaced and their
        # successors change on the same day), so it carries its PDU's dates.
        session.execute(update(PduArea).where(PduArea.pdu_number == int(span.pdu_number)).values(**dates))
    session.flush()
    return added


#: Prime provider name as R&M's contract files title the GM wellbeing interventions
#: ("Big Life Group - Personal Wellbeing Services in …").
RAM_PROVIDER_NAMES = {"BIG_LIFE_GROUP": "Big Life Group"}


def ram_region_code(session: Session, ram_letter: str) -> str | None:
    """The TOM region code for a Refer and Monitor region letter (``ram_regions``); None when
    R&M's letter is unknown. R&M's letters differ from the TOM's: never compare them directly."""
    return session.scalar(select(RamRegion.region_code).where(RamRegion.ram_code == ram_letter.strip().upper()))


def _load_ram_contracts(session: Session, borough_id: dict[str, int]) -> int:
    """The GM wellbeing contracts R&M holds (``ram_gm_contracts.csv``), mapped to their borough
    and service, so a provider's first R&M import needs no manual mapping. A reference an
    import registered earlier and an admin has not mapped yet is mapped now; a contract an
    admin has mapped is left alone. Unknown references still go to the admin (the importer
    registers them with ``needs_mapping``)."""
    added = 0
    for r in read_reference_csv("ram_gm_contracts.csv"):
        code = r["prime_provider"]
        provider = session.scalar(select(Provider).where(Provider.organisation_code == code))
        if provider is None:
            provider = Provider(organisation_code=code, name=RAM_PROVIDER_NAMES.get(code, code))
            session.add(provider)
            session.flush()
        contract = session.scalar(select(Contract).where(Contract.reference == r["contract_reference"]))
        if contract is not None and not contract.needs_mapping:
            continue
        if contract is None:
            contract = Contract(reference=r["contract_reference"], provider_id=provider.id)
            session.add(contract)
            added += 1
        contract.service = r["service"]
        contract.region_code = ram_region_code(session, r["nps_region_code"])
        contract.subcontractors = r["subcontractors"] or None
        contract.source = (f"{r['basis']} ({r['source']}; contract type {r['contract_type']}, "
                           f"shown in R&M from {r['hide_before']})")
        contract.needs_mapping = False
        session.flush()
        link = (contract.id, borough_id[r["borough"]])
        if session.get(ContractBorough, link) is None:
            session.add(ContractBorough(contract_id=link[0], borough_id=link[1]))
    session.flush()
    return added


def load_reference_data(session: Session, gm_pdu_change_date: dt.date | None = None) -> dict[str, int]:
    """Insert whatever reference rows are missing; return how many were added per table.

    The dates of the PDU sets are (re)written every time from ``gm_pdu_change_date``
    (default: the ``DASHBOARD_GM_PDU_CHANGE_DATE`` setting), so changing the setting and running
    ``init`` again moves the change everywhere.
    """
    if gm_pdu_change_date is None:
        gm_pdu_change_date = Settings.from_env().gm_pdu_change_date
    added: dict[str, int] = {}

    regions = read_reference_csv("probation_regions.csv")
    added["regions"] = _add_missing(
        session,
        Region.code,
        (Region(code=r["region_code"], name=r["region_name"]) for r in regions),
        lambda r: r.code,
    )

    # Annex C's 108 PDUs, then those created since (pdu_changes.csv), each in its set.
    pdus = read_reference_csv("probation_delivery_units.csv")
    later = read_reference_csv("pdu_changes.csv")
    added["pdus"] = _add_missing(
        session,
        Pdu.number,
        (
            Pdu(
                number=int(r["pdu_number"]),
                name=r["pdu_name"],
                region_code=r["region_code"],
                annex_c_note=r.get("annex_c_note") or None,
                pdu_set=r.get("change") or ANNEX_C_SET,
            )
            for r in [*pdus, *later]
        ),
        lambda p: p.number,
    )
    pdus = [*pdus, *later]

    gm = read_reference_csv("gm_boroughs.csv")
    gss_by_name = {r["borough"]: r["lad_code"] for r in gm}
    authority_names = sorted(
        {_authority_name(a)[0] for r in pdus for a in r["local_authorities"].split(";")}
    )
    added["local_authorities"] = _add_missing(
        session,
        LocalAuthority.name,
        (LocalAuthority(name=n, gss_code=gss_by_name.get(n)) for n in authority_names),
        lambda a: a.name,
    )
    authority_id = {a.name: a.id for a in session.scalars(select(LocalAuthority))}
    have_links = {
        (p, a)
        for p, a in session.execute(
            select(PduLocalAuthority.pdu_number, PduLocalAuthority.local_authority_id)
        )
    }
    links = 0
    for r in pdus:
        for raw in r["local_authorities"].split(";"):
            name, is_part = _authority_name(raw)
            key = (int(r["pdu_number"]), authority_id[name])
            if key not in have_links:
                session.add(
                    PduLocalAuthority(pdu_number=key[0], local_authority_id=key[1], is_part=is_part)
                )
                have_links.add(key)
                links += 1
    session.flush()
    added["pdu_local_authorities"] = links

    added["boroughs"] = _add_missing(
        session,
        Borough.name,
        (
            Borough(name=r["borough"], gss_code=r["lad_code"], local_authority_id=authority_id[r["borough"]])
            for r in gm
        ),
        lambda b: b.name,
    )
    borough_id = {b.name: b.id for b in session.scalars(select(Borough))}
    pdu_number = {p.name: p.number for p in session.scalars(select(Pdu))}
    units = []
    for r in gm:
        for unit, pdu_name in zip(
            r["gm_demand_rows_2023"].split(";"), r["probation_pdu_2021"].split(";"), strict=True
        ):
            units.append(
                DemandUnit(name=unit, borough_id=borough_id[r["borough"]], pdu_number=pdu_number[pdu_name])
            )
    added["demand_units"] = _add_missing(session, DemandUnit.name, units, lambda u: u.name)
    added["pdu_areas"] = _load_dated_crosswalk(session, {GM_EIGHT_PDUS: gm_pdu_change_date}, borough_id)
    added["ram_regions"] = _add_missing(
        session,
        RamRegion.ram_code,
        (
            RamRegion(ram_code=r["ram_code"], ram_name=r["ram_name"], region_code=r["tom_code"])
            for r in read_reference_csv("ram_region_letters.csv")
        ),
        lambda r: r.ram_code,
    )
    added["ram_contracts"] = _load_ram_contracts(session, borough_id)

    unit_id = {u.name: u.id for u in session.scalars(select(DemandUnit))}
    demand = read_reference_csv("gm_anticipated_demand_2023.csv")
    added["forecasts"] = _add_missing(
        session,
        Forecast.demand_unit_id,
        (
            Forecast(
                demand_unit_id=unit_id[r["pdu_row"]],
                base_count=int(r["people_in_community_2023_01_16"]),
                base_date=FORECAST_BASE_DATE,
                pct_of_community=float(r["pct_of_community"].rstrip("%")),
                predicted_low=int(r["predicted_low_40pct"]),
                predicted_high=int(r["predicted_high_60pct"]),
                period_days=365,
                source_note=FORECAST_SOURCE_NOTE,
            )
            for r in demand
        ),
        lambda f: f.demand_unit_id,
    )

    added["needs"] = _add_missing(
        session,
        Need.code,
        (Need(code=c, name=n, ordinal=i) for i, (c, n) in enumerate(NEEDS, start=1)),
        lambda n: n.code,
    )
    held_reasons = {(v, c) for v, c in session.execute(select(EndReason.vocabulary, EndReason.code))}
    added["end_reasons"] = 0
    for r in read_end_reasons():  # the reviewed file; an admin's later changes are kept
        if (r.vocabulary, r.code) not in held_reasons:
            session.add(EndReason(vocabulary=r.vocabulary, code=r.code, description=r.description,
                                  grouping=r.grouping or None, sl002_class=r.sl002_class, why=r.why, source=r.source))
            added["end_reasons"] += 1
    added["kpi_definitions"] = _add_missing(
        session,
        KpiDefinition.code,
        (
            KpiDefinition(code=k.code, title=k.title, target=k.target, trigger=k.trigger)
            for k in KPI_CATALOGUE
        ),
        lambda k: k.code,
    )

    codes = read_reference_csv("epop_outcome_codes.csv")
    added["epop_outcome_codes"] = _add_missing(
        session,
        EpopOutcomeCode.key,
        (
            EpopOutcomeCode(
                key=r["code"],
                # The source prints EPOP-4 twice; our key keeps them apart, the label shows
                # the code as printed.
                printed_code=r["code"].split("(")[0].strip(),
                group=r["group"],
                level=r["level"],
                section=r["section"],
                label=r["short_label"],
            )
            for r in codes
        ),
        lambda c: c.key,
    )
    expectations = read_reference_csv("epop_annex2_yearly_expectations.csv")
    have = {
        tuple(row)
        for row in session.execute(
            select(EpopAnnex2Expectation.dimension, EpopAnnex2Expectation.year, EpopAnnex2Expectation.seq)
        )
    }
    count = 0
    for r in expectations:
        key = (r["dimension"], int(r["year"]), int(r["seq"]))
        if key not in have:
            session.add(
                EpopAnnex2Expectation(
                    dimension=key[0], year=key[1], seq=key[2], expectation=r["expectation"]
                )
            )
            count += 1
    session.flush()
    added["epop_annex2_expectations"] = count
    added["epop_standards"] = _add_missing(
        session,
        EpopStandard.code,
        (EpopStandard(code=r["code"], title=r["standard"]) for r in read_reference_csv("epop_standards.csv")),
        lambda s: s.code,
    )
    return added


def end_reason_classes(db: Engine | Connection | Session) -> EndReasonClasses:
    """The end-reason classification SL002 and the importer use: the ``end_reasons`` table
    (the admin's copy of ``assets/reference/ram_end_reasons.csv``), or the reviewed file
    itself while the table is empty or absent (Decision 9)."""
    if isinstance(db, Engine):
        with db.connect() as connection:
            return end_reason_classes(connection)
    bind = db.get_bind() if isinstance(db, Session) else db
    if not inspect(bind).has_table(EndReason.__tablename__):
        return default_end_reasons()
    t = EndReason.__table__.c
    rows = db.execute(select(t.vocabulary, t.code, t.description, t.sl002_class, t.grouping, t.why, t.source)).all()
    if not rows:
        return default_end_reasons()
    return EndReasonClasses(tuple(
        EndReasonRule(vocabulary=v, code=c, description=d, sl002_class=k, grouping=g or "", why=w or "", source=src or "")
        for v, c, d, k, g, w, src in sorted(rows)
    ))
