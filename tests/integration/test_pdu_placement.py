"""A referral lies in the PDU (and region) in force on its referral date, placed from its
borough, and from its demand unit only where the borough is split (DOMAIN.md Decision 8), on
SQLite and PostgreSQL; ``info --format json`` reports the PDU sets and their dates."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import func, select

from data_access.__main__ import main as data_access_main
from data_access.db import session_scope
from data_access.geography import pdus_in_force
from data_access.models import Borough, DemandUnit, Pdu, PduArea, Referral
from data_access.reference import load_reference_data
from data_access.scoping import ReferralFilters, analyst_scope, referrals_select
from domain.catalogue import KPI_CATALOGUE
from metrics import panels, periods
from metrics.queries import demand_units_for, pdu_in_force, scorecard

D = dt.date
CHANGE = D(2024, 4, 1)


@pytest.fixture()
def gm(engine):
    """Reference data with the GM change on 1 April 2024 (the default, set explicitly here)."""
    with session_scope(engine) as session:
        load_reference_data(session, gm_pdu_change_date=CHANGE)
    return engine


def _ids(engine) -> tuple[dict[str, int], dict[str, int]]:
    with session_scope(engine) as session:
        boroughs = dict(session.execute(select(Borough.name, Borough.id)).all())
        units = dict(session.execute(select(DemandUnit.name, DemandUnit.id)).all())
    return boroughs, units


def _add(engine, rows: list[dict]) -> None:
    boroughs, units = _ids(engine)
    with session_scope(engine) as session:
        for i, row in enumerate(rows, start=1):
            unit = row.get("unit")
            session.add(Referral(
                referral_id=f"geo-{i}", referral_ref=row["ref"], source="test", received_on=row["on"],
                borough_id=boroughs[row["borough"]] if row.get("borough") else None,
                demand_unit_id=units[unit] if unit else None,
            ))


def _refs(engine, filters: ReferralFilters) -> set[str]:
    stmt = referrals_select(analyst_scope(), filters).with_only_columns(Referral.referral_ref)
    with engine.connect() as conn:
        return set(conn.execute(stmt).scalars())


def _borough(engine, name: str) -> int:
    return _ids(engine)[0][name]


def test_a_referral_with_a_borough_and_no_demand_unit_is_in_its_boroughs_pdu(gm):
    """Issue 17, finding 1: three referrals. The old filters placed a referral in a PDU or
    region only through its demand unit, so PDU 37 and region J held one of the three and
    Bury plus Rochdale (three) did not add up to their PDU."""
    _add(gm, [
        dict(ref="BURY-UNIT", borough="Bury", unit="Bury", on=D(2024, 4, 10)),
        dict(ref="BURY-ONLY", borough="Bury", on=D(2024, 4, 11)),
        dict(ref="ROCHDALE-ONLY", borough="Rochdale", on=D(2024, 4, 12)),
    ])
    bury, rochdale = _refs(gm, ReferralFilters(borough_id=_borough(gm, "Bury"))), \
        _refs(gm, ReferralFilters(borough_id=_borough(gm, "Rochdale")))
    pdu_37 = _refs(gm, ReferralFilters(pdu_number=37))
    assert pdu_37 == bury | rochdale == {"BURY-UNIT", "BURY-ONLY", "ROCHDALE-ONLY"}
    assert _refs(gm, ReferralFilters(region_code="J")) == pdu_37
    assert _refs(gm, ReferralFilters(region_code="L")) == set()  # TOM L is London

    # DS1 for PDU 37 in April 2024: 3 referrals against the low bound of Bury and Rochdale's
    # published band (223 + 330 = 553 a year), pro-rated to 30 days: 553 × 30 / 365 = 45.45;
    # 3 / 45.45 = 6.6%. The old filter counted 1 (2.2%).
    stmt = referrals_select(analyst_scope(), ReferralFilters(pdu_number=37))
    with gm.connect() as conn:
        units = demand_units_for(conn, pdu_number=37)
        ds1 = scorecard(conn, stmt, start=D(2024, 4, 1), end=D(2024, 4, 30), definitions=KPI_CATALOGUE,
                        demand_unit_ids=units, codes=["DS1"]).kpi("DS1")
        band = panels.band_table(conn, panels.PanelInputs(referrals=referrals_select(analyst_scope()),
                                                          period=periods.custom(D(2024, 4, 1), D(2024, 4, 30)),
                                                          as_of=D(2024, 4, 30)), by="pdu")
    assert ds1.numerator == 3
    assert ds1.value == pytest.approx(3 / (553 * 30 / 365) * 100, abs=0.05)
    assert band.set_index("pdu").loc["Bury and Rochdale", "referrals"] == 3


def test_a_referral_is_placed_in_the_pdu_in_force_on_its_date(gm):
    _add(gm, [
        dict(ref="SALFORD-BEFORE", borough="Salford", on=D(2024, 3, 31)),
        dict(ref="SALFORD-FROM", borough="Salford", unit="Salford", on=CHANGE),
        dict(ref="TRAFFORD-BEFORE", borough="Trafford", on=D(2024, 3, 1)),
        dict(ref="TRAFFORD-AFTER", borough="Trafford", on=D(2024, 4, 2)),
        dict(ref="STOCKPORT-BEFORE", borough="Stockport", on=D(2024, 3, 15)),
        dict(ref="TAMESIDE-FROM", borough="Tameside", on=CHANGE),
        dict(ref="MANCHESTER-NORTH", borough="Manchester", unit="Manchester N", on=D(2024, 4, 3)),
        # Manchester is split by ward: with no demand unit it lies in no single PDU (but in GM).
        dict(ref="MANCHESTER-ONLY", borough="Manchester", on=D(2024, 4, 3)),
        dict(ref="NO-DATE", borough="Salford", on=None),
    ])
    placed = {number: _refs(gm, ReferralFilters(pdu_number=number)) for number in (32, 33, 34, 38, 39, 109, 110)}
    assert placed == {
        32: {"SALFORD-BEFORE"},
        33: {"MANCHESTER-NORTH"},
        34: set(),
        38: {"TRAFFORD-BEFORE", "STOCKPORT-BEFORE"},
        39: set(),
        109: {"SALFORD-FROM", "TRAFFORD-AFTER"},
        110: {"TAMESIDE-FROM"},
    }
    assert "MANCHESTER-ONLY" in _refs(gm, ReferralFilters(region_code="J"))

    # By PDU over March and April 2024: each referral in the PDU of its date; each PDU's band is
    # its boroughs' published low bound for the days it was in force (e.g. Salford 377 × 31/365
    # = 32.0; Salford and Trafford (377 + 156) × 30/365 = 43.8).
    inp = panels.PanelInputs(referrals=referrals_select(analyst_scope()),
                             period=periods.custom(D(2024, 3, 1), D(2024, 4, 30)), as_of=D(2024, 4, 30))
    with gm.connect() as conn:
        band = panels.band_table(conn, inp, by="pdu").set_index("pdu")
    assert band.loc["Salford", "referrals"] == 1
    assert band.loc["Salford and Trafford", "referrals"] == 2
    assert band.loc["Stockport and Trafford", "referrals"] == 2
    assert band.loc["Tameside", "referrals"] == 0
    assert band.loc["Salford", "expected_low"] == pytest.approx(377 * 31 / 365, abs=0.01)
    assert band.loc["Salford and Trafford", "expected_low"] == pytest.approx((377 + 156) * 30 / 365, abs=0.01)
    assert band.loc["Stockport and Tameside", "expected_low"] == pytest.approx((297 + 318) * 30 / 365, abs=0.01)
    assert band["referrals"].sum() == 7  # all but MANCHESTER-ONLY and NO-DATE


def test_ds1_for_a_pdu_over_a_period_straddling_the_change_counts_only_its_days_in_force(gm):
    """DS1 for a PDU that changed, over March and April 2024 (the change on 1 April): the
    referrals counted are those of its days in force, and so is the forecast. By hand:
    Salford (PDU 32, in force to 31 March) 1 referral against 377 × 31 / 365 = 32.02 → 3.1%;
    Salford and Trafford (PDU 109, from 1 April) 2 against (377 + 156) × 30 / 365 = 43.81 → 4.6%.
    Before, both were set against the whole 61 days (1.6% and 2.2%)."""
    _add(gm, [
        dict(ref="SALFORD-MARCH", borough="Salford", on=D(2024, 3, 20)),
        dict(ref="SALFORD-APRIL", borough="Salford", on=D(2024, 4, 2)),
        dict(ref="TRAFFORD-APRIL", borough="Trafford", on=D(2024, 4, 3)),
    ])
    start, end = D(2024, 3, 1), D(2024, 4, 30)
    found = {}
    with gm.connect() as conn:
        for number in (32, 109, 37):
            stmt = referrals_select(analyst_scope(), ReferralFilters(pdu_number=number))
            card = scorecard(conn, stmt, start=start, end=end, definitions=KPI_CATALOGUE, codes=["DS1"],
                             demand_unit_ids=demand_units_for(conn, pdu_number=number),
                             in_force=pdu_in_force(conn, number))
            found[number] = card
        # A period wholly after the old PDU's days: no forecast to compare with, so no DS1 (not 0%).
        may = scorecard(conn, referrals_select(analyst_scope(), ReferralFilters(pdu_number=32)),
                        start=D(2024, 5, 1), end=D(2024, 5, 31), definitions=KPI_CATALOGUE, codes=["DS1"],
                        demand_unit_ids=demand_units_for(conn, pdu_number=32), in_force=pdu_in_force(conn, 32))
    salford, merged, bury = (found[n].kpi("DS1") for n in (32, 109, 37))
    assert (salford.numerator, salford.denominator) == (1, pytest.approx(377 * 31 / 365, abs=0.05))
    assert salford.value == pytest.approx(1 / (377 * 31 / 365) * 100, abs=0.01)
    assert (merged.numerator, merged.denominator) == (2, pytest.approx((377 + 156) * 30 / 365, abs=0.05))
    assert merged.value == pytest.approx(2 / ((377 + 156) * 30 / 365) * 100, abs=0.01)
    assert any("in force from 01 April 2024 to 30 April 2024" in a for a in found[109].assumptions)
    # An unchanged PDU keeps the whole period (553 × 61 / 365).
    assert bury.denominator == pytest.approx(553 * 61 / 365, abs=0.05)
    assert not any("in force from" in a for a in found[37].assumptions)
    assert may.kpi("DS1") is None


def test_the_monthly_expected_line_counts_only_the_days_in_force(gm):
    """The Referrals page's monthly line for a PDU in force to 15 April (a made-up window):
    April expects 533 × 14 / 365 = 20.4, May nothing; June for the PDU in force throughout,
    533 × 30 / 365 = 43.8."""
    with gm.connect() as conn:
        units = tuple(demand_units_for(conn, pdu_number=109))
        base = dict(referrals=referrals_select(analyst_scope(), ReferralFilters(pdu_number=109)),
                    period=periods.custom(D(2024, 4, 1), D(2024, 6, 30)), as_of=D(2024, 6, 30),
                    demand_unit_ids=units)
        ended = panels.monthly_against_expectation(conn, panels.PanelInputs(**base, ds1_in_force=(None, D(2024, 4, 15))))
        whole = panels.monthly_against_expectation(conn, panels.PanelInputs(**base))
    ended, whole = ended.data.set_index("month"), whole.data.set_index("month")
    assert ended.loc[D(2024, 4, 1), "expected_low"] == pytest.approx(533 * 14 / 365, abs=0.05)
    assert ended.loc[D(2024, 5, 1), "expected_low"] == 0
    assert whole.loc[D(2024, 6, 1), "expected_low"] == pytest.approx(533 * 30 / 365, abs=0.05)


def test_a_hub_view_has_no_ds1_because_no_forecast_is_published_per_hub(gm):
    """Decision 26: a hub is set against no forecast (it was set against its whole borough's,
    which understated each of Manchester's two hubs); its borough keeps DS1."""
    from data_access.models import Hub
    from data_access.settings import Settings

    manchester = _borough(gm, "Manchester")
    with session_scope(gm) as session:
        hub = Hub(name="Test hub", borough_id=manchester)
        session.add(hub)
        session.flush()
        hub_id = hub.id
    _add(gm, [dict(ref="MCR-1", borough="Manchester", on=D(2024, 4, 2))])
    april = periods.custom(D(2024, 4, 1), D(2024, 4, 30))
    scope = analyst_scope()
    with session_scope(gm) as session:
        cards = {}
        for name, filters in {"hub": ReferralFilters(hub_id=hub_id), "borough": ReferralFilters(borough_id=manchester)}.items():
            inp = panels.inputs_for(session, scope, filters, referrals_select(scope, filters), april, D(2024, 4, 30),
                                    Settings.from_env())
            cards[name] = (inp, panels.period_scorecard(session, inp, codes=["DS1"]))
    assert cards["hub"][0].demand_unit_ids == ()
    assert cards["hub"][1].kpi("DS1") is None
    assert any("not per hub" in a for a in cards["hub"][1].assumptions)
    assert cards["borough"][1].kpi("DS1") is not None and cards["borough"][1].kpi("DS1").numerator == 1


def test_init_with_another_change_date_moves_the_change_everywhere(gm):
    _add(gm, [dict(ref="SALFORD-MAY", borough="Salford", on=D(2024, 5, 15))])
    assert _refs(gm, ReferralFilters(pdu_number=109)) == {"SALFORD-MAY"}
    with session_scope(gm) as session:
        added = load_reference_data(session, gm_pdu_change_date=D(2024, 6, 1))
    assert added["pdu_areas"] == 0 and added["pdus"] == 0
    assert _refs(gm, ReferralFilters(pdu_number=32)) == {"SALFORD-MAY"}
    assert _refs(gm, ReferralFilters(pdu_number=109)) == set()
    with session_scope(gm) as session:
        assert session.get(Pdu, 32).in_force_to == D(2024, 6, 1)
        assert session.get(Pdu, 110).in_force_from == D(2024, 6, 1)
        assert set(session.scalars(select(PduArea.in_force_from).where(PduArea.pdu_number == 109))) == {D(2024, 6, 1)}


def test_pdus_in_force_on_a_date(gm):
    with gm.connect() as conn:
        before, after = pdus_in_force(conn, D(2024, 3, 31)), pdus_in_force(conn, CHANGE)
    gm_before, gm_after = before[before["region_code"] == "J"], after[after["region_code"] == "J"]
    assert len(before) == 108 and len(after) == 107
    assert set(gm_before["pdu_name"]) - set(gm_after["pdu_name"]) == {"Salford", "Stockport and Trafford", "Tameside"}
    assert set(gm_after["pdu_name"]) - set(gm_before["pdu_name"]) == {"Salford and Trafford", "Stockport and Tameside"}
    assert len(gm_after) == 8
    row = gm_after.set_index("pdu_name").loc["Stockport and Tameside"]
    assert (row["boroughs"], row["gss_codes"], row["in_force_from"]) == ("Stockport;Tameside", "E08000007;E08000008",
                                                                         CHANGE)
    assert gm_before.set_index("pdu_name").loc["Manchester North", "boroughs"] == "Manchester"


def test_info_json_reports_the_pdu_sets_and_their_dates(gm, capsys):
    url = gm.url.render_as_string(hide_password=False)
    assert data_access_main(["--database-url", url, "info", "--format", "json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["gm_pdu_change_date"] == "2024-04-01"
    sets = {s["set"]: s for s in info["pdu_sets"]}
    assert sets["annex_c_2021"]["pdus"] == 108 and sets["annex_c_2021"]["in_force_from"] is None
    assert {p["name"]: p["in_force_to"] for p in sets["annex_c_2021"]["dated_pdus"]} == {
        "Salford": "2024-04-01", "Stockport and Trafford": "2024-04-01", "Tameside": "2024-04-01"}
    assert sets["gm_eight_pdus"]["in_force_from"] == "2024-04-01"
    assert {p["name"] for p in sets["gm_eight_pdus"]["dated_pdus"]} == {"Salford and Trafford", "Stockport and Tameside"}
    assert len(info["gm_pdus_in_force"]["2024-03-31"]) == 9
    assert len(info["gm_pdus_in_force"]["2024-04-01"]) == 8


def test_every_gm_borough_has_one_pdu_on_every_date(gm):
    with session_scope(gm) as session:
        for day in (D(2021, 7, 1), D(2024, 3, 31), CHANGE, D(2026, 1, 1)):
            rows = session.execute(
                select(Borough.name, func.count()).join(PduArea, PduArea.borough_id == Borough.id)
                .where(PduArea.demand_unit_id.is_(None),
                       (PduArea.in_force_from.is_(None)) | (PduArea.in_force_from <= day),
                       (PduArea.in_force_to.is_(None)) | (PduArea.in_force_to > day))
                .group_by(Borough.name)
            ).all()
            assert dict(rows) == {b: 1 for b in ("Bolton", "Bury", "Oldham", "Rochdale", "Salford", "Stockport",
                                                 "Tameside", "Trafford", "Wigan")}, day
