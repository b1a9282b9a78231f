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

from sqlalchemy import Connection, Engine, inspect, select
from sqlalchemy.orm import Session

from data_access.models import (
    Borough,
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
    PduLocalAuthority,
    Region,
)
from data_access.settings import REFERENCE_DIR
from domain.catalogue import KPI_CATALOGUE, NEEDS
from domain.end_reasons import EndReason as EndReasonRule
from domain.end_reasons import EndReasonClasses, default_end_reasons, read_end_reasons

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


def load_reference_data(session: Session) -> dict[str, int]:
    """Insert whatever reference rows are missing; return how many were added per table."""
    added: dict[str, int] = {}

    regions = read_reference_csv("probation_regions.csv")
    added["regions"] = _add_missing(
        session,
        Region.code,
        (Region(code=r["region_code"], name=r["region_name"]) for r in regions),
        lambda r: r.code,
    )

    pdus = read_reference_csv("probation_delivery_units.csv")
    added["pdus"] = _add_missing(
        session,
        Pdu.number,
        (
            Pdu(
                number=int(r["pdu_number"]),
                name=r["pdu_name"],
                region_code=r["region_code"],
                annex_c_note=r["annex_c_note"] or None,
            )
            for r in pdus
        ),
        lambda p: p.number,
    )

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
