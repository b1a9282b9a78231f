"""Reference tables: counts as published and crosswalk integrity (DOMAIN.md "Geography")."""

import pytest
from sqlalchemy import func, select

from data_access.db import session_scope
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


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        (Region, 12),
        (Pdu, 110),  # Annex C's 108 and GM's two later PDUs (geo.pdu_sets)
        (Borough, 10),
        (DemandUnit, 11),
        (Forecast, 11),
        (Need, 12),
        (EndReason, 23),  # 10 end reasons (2021) and 13 withdrawal reasons (2024)
        (KpiDefinition, 12),
        (EpopOutcomeCode, 65),
        (EpopAnnex2Expectation, 26),
        (EpopStandard, 7),
    ],
)
def test_reference_counts(reference_engine, model, expected):
    with session_scope(reference_engine) as session:
        assert session.scalar(select(func.count()).select_from(model)) == expected


def test_every_pdu_has_a_region_and_at_least_one_authority(reference_engine):
    with session_scope(reference_engine) as session:
        without_region = session.scalars(select(Pdu.number).where(Pdu.region_code.is_(None))).all()
        linked = set(session.scalars(select(PduLocalAuthority.pdu_number)))
        numbers = set(session.scalars(select(Pdu.number)))
    assert without_region == []
    assert numbers == set(range(1, 111))  # 109 and 110: our keys for GM's later PDUs
    assert numbers == linked


def test_every_authority_is_in_at_least_one_pdu(reference_engine):
    with session_scope(reference_engine) as session:
        orphan = session.scalars(
            select(LocalAuthority.name).where(
                ~LocalAuthority.id.in_(select(PduLocalAuthority.local_authority_id))
            )
        ).all()
    assert orphan == []


def test_greater_manchester_crosswalk_agrees_with_the_domain(reference_engine):
    """Region J: 10 boroughs, 9 PDUs; Bury+Rochdale and Stockport+Trafford share a PDU;
    Manchester is split North/South."""
    with session_scope(reference_engine) as session:
        rows = session.execute(
            select(Borough.name, Pdu.name, Pdu.region_code, DemandUnit.name)
            .join(DemandUnit, DemandUnit.borough_id == Borough.id)
            .join(Pdu, Pdu.number == DemandUnit.pdu_number)
        ).all()
        gm_pdus = session.scalar(
            select(func.count()).select_from(Pdu).where(Pdu.region_code == "J", Pdu.pdu_set == "annex_c_2021")
        )
    assert gm_pdus == 9
    assert {r[2] for r in rows} == {"J"}
    pdus_by_borough: dict[str, set[str]] = {}
    for borough, pdu, _region, _unit in rows:
        pdus_by_borough.setdefault(borough, set()).add(pdu)
    assert pdus_by_borough["Manchester"] == {"Manchester North", "Manchester South"}
    assert pdus_by_borough["Bury"] == pdus_by_borough["Rochdale"] == {"Bury and Rochdale"}
    assert pdus_by_borough["Stockport"] == pdus_by_borough["Trafford"] == {"Stockport and Trafford"}
    assert len(pdus_by_borough) == 10


def test_forecast_is_stored_as_published(reference_engine):
    with session_scope(reference_engine) as session:
        total = session.scalar(select(func.sum(Forecast.base_count)))
        bury = session.execute(
            select(Forecast.predicted_low, Forecast.predicted_high)
            .join(DemandUnit, DemandUnit.id == Forecast.demand_unit_id)
            .where(DemandUnit.name == "Bury")
        ).one()
        rochdale_low = session.scalar(
            select(Forecast.predicted_low)
            .join(DemandUnit, DemandUnit.id == Forecast.demand_unit_id)
            .where(DemandUnit.name == "Rochdale")
        )
    assert total == 9761
    # Published 223, not 40% of 554 (221.6); Rochdale 330, not 330.8.
    assert tuple(bury) == (223, 332)
    assert rochdale_low == 330


def test_duplicated_epop_code_keeps_its_printed_code_under_our_own_key(reference_engine):
    with session_scope(reference_engine) as session:
        printed = session.scalars(
            select(EpopOutcomeCode.key).where(EpopOutcomeCode.printed_code == "EPOP-4")
        ).all()
    assert len(printed) == 2 and len(set(printed)) == 2
