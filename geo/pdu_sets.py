"""Probation Delivery Units with the dates they are in force, and the dated borough ↔ PDU crosswalk.

PDUs change: HMPPS TOM Annex C (Feb 2021) gave Greater Manchester nine PDUs; HM Inspectorate of
Probation now describes eight, Salford and Trafford and Stockport and Tameside having replaced
Salford, Stockport and Trafford, and Tameside (``assets/reference/pdu_changes.csv``, sources in
``assets/reference/README.md``). A referral belongs to the PDU in force on its referral date
(DOMAIN.md Decision 8), so every PDU and every borough → PDU row carries ``in_force_from`` and
``in_force_to`` (exclusive; ``None`` = open).

No public source found states the day the Greater Manchester change took effect, so it is a
setting (``DASHBOARD_GM_PDU_CHANGE_DATE``, default :data:`DEFAULT_GM_PDU_CHANGE_DATE`: the day
HMPPS's probation estate service was reconfigured), passed in here as
``change_dates``; the pages say which date is in use. These functions read only the reference
CSVs; the database holds the same rows (``data_access.reference``) and
``data_access.geography.pdus_in_force`` reads them there.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from functools import lru_cache

import pandas as pd

from geo.paths import GM_BOROUGH_REFERENCE_FILE, PDU_CHANGES_FILE, PDU_REFERENCE_FILE

#: The set every PDU of Annex C belongs to.
ANNEX_C_SET = "annex_c_2021"
#: The change that gave Greater Manchester eight PDUs (``pdu_changes.csv``, column ``change``).
GM_EIGHT_PDUS = "gm_eight_pdus"
#: Default date of that change. No public source states the day it took effect; HMPPS's
#: probation estate service (``ministryofjustice/hmpps-probation-estate-api``, migration
#: ``V1_115__RECONFIG_GREATER_MANCHESTER.sql``, "reconfig greater manchester pdus") moved its
#: Greater Manchester teams into the two new PDUs on 28 April 2025, which is taken as the
#: default; an admin sets the real date (``DASHBOARD_GM_PDU_CHANGE_DATE``).
DEFAULT_GM_PDU_CHANGE_DATE = dt.date(2025, 4, 28)

SET_LABELS = {
    ANNEX_C_SET: "HMPPS Target Operating Model, Annex C (2021)",
    GM_EIGHT_PDUS: "Greater Manchester's eight PDUs (two merged PDUs replace three of Annex C's)",
}

SPAN_COLUMNS = ["pdu_number", "pdu_name", "region_code", "local_authorities", "pdu_set",
                "in_force_from", "in_force_to"]
CROSSWALK_COLUMNS = ["borough", "demand_unit", "pdu_number", "pdu_name", "region_code",
                     "in_force_from", "in_force_to"]


def default_change_dates() -> dict[str, dt.date]:
    return {GM_EIGHT_PDUS: DEFAULT_GM_PDU_CHANGE_DATE}


def load_pdu_changes() -> pd.DataFrame:
    """The PDUs created since Annex C: number (our key, above Annex C's 108), name, region,
    local authorities, the Annex C PDUs they replace, and the change they belong to."""
    return pd.read_csv(PDU_CHANGES_FILE, dtype={"replaces": str})


@lru_cache(maxsize=1)
def dated_pdu_numbers() -> frozenset[int]:
    """PDUs whose extent depends on the date: those created since Annex C and those they
    replaced. Every other PDU takes the same boroughs on every date, so a filter on it needs no
    referral date (and the per-day KPI summary can answer it)."""
    changes = load_pdu_changes()
    replaced = {int(n) for cell in changes["replaces"] for n in _split(cell)}
    return frozenset({*changes["pdu_number"].astype(int), *replaced})


def _split(cell: str) -> list[str]:
    return [part.strip() for part in str(cell).split(";") if part.strip()]


def pdu_spans(change_dates: Mapping[str, dt.date] | None = None) -> pd.DataFrame:
    """Every PDU, Annex C's and later ones, with the dates it is in force."""
    dates = {**default_change_dates(), **(change_dates or {})}
    annex_c = pd.read_csv(PDU_REFERENCE_FILE)
    spans = annex_c.assign(pdu_set=ANNEX_C_SET, in_force_from=None, in_force_to=None)
    changes = load_pdu_changes()
    for change in changes.itertuples(index=False):
        for replaced in _split(change.replaces):
            spans.loc[spans["pdu_number"] == int(replaced), "in_force_to"] = dates[change.change]
    new = changes.assign(pdu_set=changes["change"], in_force_from=changes["change"].map(dates), in_force_to=None)
    return pd.concat([spans[SPAN_COLUMNS], new[SPAN_COLUMNS]], ignore_index=True)


def in_force(frame: pd.DataFrame, on: dt.date) -> pd.DataFrame:
    """Rows of a frame with ``in_force_from`` / ``in_force_to`` (exclusive) in force on ``on``."""
    starts = frame["in_force_from"].map(lambda d: d is None or pd.isna(d) or d <= on)
    ends = frame["in_force_to"].map(lambda d: d is None or pd.isna(d) or on < d)
    return frame[starts & ends]


def pdu_set_on(on: dt.date, change_dates: Mapping[str, dt.date] | None = None) -> pd.DataFrame:
    """The PDUs in force on ``on`` (108 nationally; in Greater Manchester nine before the
    change, eight from it)."""
    return in_force(pdu_spans(change_dates), on).reset_index(drop=True)


def borough_pdu_crosswalk(change_dates: Mapping[str, dt.date] | None = None) -> pd.DataFrame:
    """Greater Manchester borough (and, where a borough is split, demand unit) → PDU, dated.

    A borough split between PDUs (Manchester: North and South, by ward) carries its demand unit
    so that only a referral recorded at that finer level is placed there; every other row is
    for the whole borough (``demand_unit`` None), so a referral with a borough and no demand
    unit still has a PDU (DOMAIN.md Decision 8).
    """
    spans = pdu_spans(change_dates).set_index("pdu_number")
    number_by_name = {name: number for number, name in spans["pdu_name"].items()}
    later = spans[spans["pdu_set"] != ANNEX_C_SET]
    rows = []
    for borough in pd.read_csv(GM_BOROUGH_REFERENCE_FILE).itertuples(index=False):
        units = _split(borough.gm_demand_rows_2023)
        pdus = _split(borough.probation_pdu_2021)
        for unit, pdu_name in zip(units, pdus, strict=True):
            number = number_by_name[pdu_name]
            unit_key = unit if len(units) > 1 else None
            rows.append((borough.borough, unit_key, number, spans.at[number, "in_force_to"]))
            # A later PDU that takes this borough replaces this one from its own start.
            for successor, span in later.iterrows():
                if borough.borough in _split(span["local_authorities"]):
                    rows.append((borough.borough, unit_key, successor, None))
    frame = pd.DataFrame(rows, columns=["borough", "demand_unit", "pdu_number", "in_force_to"])
    frame["pdu_name"] = frame["pdu_number"].map(spans["pdu_name"])
    frame["region_code"] = frame["pdu_number"].map(spans["region_code"])
    frame["in_force_from"] = frame["pdu_number"].map(spans["in_force_from"])
    return frame[CROSSWALK_COLUMNS]


__all__ = [
    "ANNEX_C_SET",
    "DEFAULT_GM_PDU_CHANGE_DATE",
    "GM_EIGHT_PDUS",
    "SET_LABELS",
    "borough_pdu_crosswalk",
    "dated_pdu_numbers",
    "default_change_dates",
    "in_force",
    "load_pdu_changes",
    "pdu_set_on",
    "pdu_spans",
]
