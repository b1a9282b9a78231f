"""PDU sets and the borough ↔ PDU ↔ region crosswalk with dates (geo.pdu_sets)."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from geo import paths
from geo.pdu_sets import (
    ANNEX_C_SET,
    DEFAULT_GM_PDU_CHANGE_DATE,
    GM_EIGHT_PDUS,
    borough_pdu_crosswalk,
    dated_pdu_numbers,
    in_force,
    pdu_set_on,
    pdu_spans,
)

D = dt.date
CHANGE = D(2024, 4, 1)
EVE = D(2024, 3, 31)
GM_BOROUGHS = {"Bolton", "Bury", "Manchester", "Oldham", "Rochdale", "Salford", "Stockport", "Tameside", "Trafford",
               "Wigan"}


def _gm_on(day: dt.date, change: dt.date = CHANGE) -> dict[str, set[str]]:
    """Borough (or Manchester's demand unit) → PDU names in force on ``day``."""
    rows = in_force(borough_pdu_crosswalk({GM_EIGHT_PDUS: change}), day)
    keys = rows["demand_unit"].where(rows["demand_unit"].notna(), rows["borough"])
    return rows.assign(key=keys).groupby("key")["pdu_name"].agg(set).to_dict()


def test_greater_manchester_has_nine_pdus_before_the_change_and_eight_from_it():
    before = pdu_set_on(EVE, {GM_EIGHT_PDUS: CHANGE})
    after = pdu_set_on(CHANGE, {GM_EIGHT_PDUS: CHANGE})
    assert len(before) == 108 and len(after) == 107
    assert (before["region_code"] == "J").sum() == 9
    assert set(after.loc[after["region_code"] == "J", "pdu_name"]) == {
        "Bolton", "Bury and Rochdale", "Manchester North", "Manchester South", "Oldham", "Salford and Trafford",
        "Stockport and Tameside", "Wigan"}


def test_each_borough_or_unit_has_exactly_one_pdu_on_every_date():
    for day in (D(2021, 6, 26), EVE, CHANGE, D(2030, 1, 1)):
        placed = _gm_on(day)
        assert set(placed) == GM_BOROUGHS - {"Manchester"} | {"Manchester N", "Manchester S"}, day
        assert all(len(pdus) == 1 for pdus in placed.values()), day


def test_the_change_moves_four_boroughs_on_its_day():
    before, after = _gm_on(EVE), _gm_on(CHANGE)
    moved = {b: (before[b], after[b]) for b in before if before[b] != after[b]}
    assert moved == {
        "Salford": ({"Salford"}, {"Salford and Trafford"}),
        "Trafford": ({"Stockport and Trafford"}, {"Salford and Trafford"}),
        "Stockport": ({"Stockport and Trafford"}, {"Stockport and Tameside"}),
        "Tameside": ({"Tameside"}, {"Stockport and Tameside"}),
    }


def test_the_change_date_is_a_parameter():
    later = D(2025, 1, 1)
    assert _gm_on(D(2024, 12, 31), later)["Salford"] == {"Salford"}
    assert _gm_on(later, later)["Salford"] == {"Salford and Trafford"}
    spans = pdu_spans({GM_EIGHT_PDUS: later}).set_index("pdu_number")
    assert spans.loc[[32, 38, 39], "in_force_to"].tolist() == [later] * 3
    assert spans.loc[[109, 110], "in_force_from"].tolist() == [later] * 2
    assert pdu_spans().set_index("pdu_number").at[109, "in_force_from"] == DEFAULT_GM_PDU_CHANGE_DATE


def test_a_borough_stays_in_one_region_whatever_the_date():
    """data_access.geography places regions by borough without a date: this must hold."""
    crosswalk = borough_pdu_crosswalk()
    assert crosswalk.groupby("borough")["region_code"].nunique().eq(1).all()
    assert set(crosswalk["region_code"]) == {"J"}


def test_manchester_is_split_by_demand_unit_and_other_boroughs_are_whole():
    crosswalk = borough_pdu_crosswalk()
    split = crosswalk[crosswalk["demand_unit"].notna()]
    assert set(split["borough"]) == {"Manchester"}
    assert dict(zip(split["demand_unit"], split["pdu_name"])) == {"Manchester N": "Manchester North",
                                                                  "Manchester S": "Manchester South"}


def test_later_pdus_are_numbered_after_annex_c_and_named_once():
    spans = pdu_spans()
    annex_c = pd.read_csv(paths.PDU_REFERENCE_FILE)
    later = spans[spans["pdu_set"] != ANNEX_C_SET]
    assert later["pdu_number"].min() > annex_c["pdu_number"].max()
    assert spans["pdu_name"].is_unique and spans["pdu_number"].is_unique
    assert dated_pdu_numbers() == {32, 38, 39, 109, 110}
    # A PDU is never in force before it starts or after it ends: from < to wherever both are set.
    both = spans.dropna(subset=["in_force_from", "in_force_to"])
    assert (both["in_force_from"] < both["in_force_to"]).all()
