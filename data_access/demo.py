"""Deterministic demo data calibrated to the GMIRS documents.

``seed_demo(engine, referrals=N, seed=S)`` fills an initialised database with providers,
contracts, funding, hubs, spend, referrals (with needs, appointments, record-keeping events,
distance-travelled scores and outcomes), EPOP plans and demo users. The same seed gives the
same rows. Referrals are generated in chunks with numpy so that a million take minutes.

Calibration (DOMAIN.md): volumes follow each demand unit's share of people in the community
so most boroughs sit inside their 40–60% band, with Trafford pushed above and Oldham below;
complexity near 23/56/21 with borough variation; KPIs near target with a visible improving
trend; distance travelled differs by need and complexity; SL002 end reasons in plausible
proportions. Every figure here is invented and labelled demo data.

The Refer and Monitor half of each referral goes in the way a provider's does: the GMIRS case
fields first (as a case extract would create them, keyed by referral reference), then a
27-column performance report (UTC ``OffsetDateTime`` timestamps, plain dates, the 2021 end
reasons before mid-2024 and the withdrawal reasons after) read by the same importer,
``data_access.importers.ram``, which completes those referrals.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
import uuid
from pathlib import Path
from dataclasses import dataclass
from decimal import Decimal

import bcrypt
import holidays
import numpy as np
import pandas as pd
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from data_access.bulk import bulk_insert, frame_rows
from data_access.db import analyze, session_scope
from data_access.kpi_summary import refresh_kpi_summary
from data_access.map_data import open_hub_positions
from data_access.models import (
    Appointment,
    Borough,
    Contract,
    ContractBorough,
    DatasetMeta,
    DemandUnit,
    Forecast,
    FundingPeriod,
    Hub,
    ImportBatch,
    NeedScore,
    Provider,
    RecordEvent,
    Referral,
    ReferralNeed,
    SpendRecord,
    User,
)
from domain.catalogue import NEEDS
from domain.end_reasons import default_end_reasons
from geo.reach import precompute_reach

SERVICE_START = dt.date(2023, 9, 4)  # GMIRS spec §1.11
FULLY_OPERATIONAL = dt.date(2023, 12, 1)
DEMO_END = dt.date(2026, 3, 31)  # end of the anticipated 2025/26 funding period
DEFAULT_REFERRALS = 12_500
CHUNK = 100_000
LONDON = "Europe/London"

#: Demand unit volume multipliers: a few units deliberately outside their band.
UNIT_MULTIPLIER = {"Trafford": 1.32, "Oldham": 0.74, "Wigan": 1.08, "Salford": 0.94}

#: Demo providers and the boroughs their lot covers (invented names).
DEMO_PROVIDERS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("ORG-NWP", "Northern Wellbeing Partnership (demo)", "GMIRS-WSS-LOT1",
     ("Bolton", "Bury", "Rochdale", "Oldham", "Wigan")),
    ("ORG-CMC", "City and Salford Community Support (demo)", "GMIRS-WSS-LOT2",
     ("Manchester", "Salford", "Trafford")),
    ("ORG-SEP", "South East Pathways (demo)", "GMIRS-WSS-LOT3", ("Stockport", "Tameside")),
)

#: Demo hubs at real Greater Manchester postcodes; positions as the ONS Postcode Directory
#: gives them (geo.postcodes.resolve_postcode). The hubs themselves are invented.
DEMO_HUBS: tuple[tuple[str, str, str, str, float, float], ...] = (
    ("Bolton Wellbeing Hub", "Bolton", "Town centre, Bolton", "BL1 1RU", 53.5782, -2.4308),
    ("Bury Wellbeing Hub", "Bury", "Town centre, Bury", "BL9 0SW", 53.5902, -2.3000),
    ("Manchester North Hub (Harpurhey)", "Manchester", "Harpurhey, Manchester", "M9 4DH", 53.5127, -2.2120),
    ("Manchester South Hub (Wythenshawe)", "Manchester", "Wythenshawe, Manchester", "M22 5RX", 53.3799, -2.2650),
    ("Oldham Wellbeing Hub", "Oldham", "Town centre, Oldham", "OL1 1UT", 53.5424, -2.1169),
    ("Rochdale Wellbeing Hub", "Rochdale", "Town centre, Rochdale", "OL16 1AB", 53.6115, -2.1488),
    ("Salford Wellbeing Hub", "Salford", "Pendleton, Salford", "M6 5FX", 53.4883, -2.2847),
    ("Stockport Wellbeing Hub", "Stockport", "Town centre, Stockport", "SK1 3XE", 53.4060, -2.1585),
    ("Tameside Wellbeing Hub", "Tameside", "Ashton-under-Lyne", "OL6 6DL", 53.4901, -2.0942),
    ("Trafford Wellbeing Hub", "Trafford", "Stretford", "M32 0TH", 53.4590, -2.2875),
    ("Wigan Wellbeing Hub", "Wigan", "Town centre, Wigan", "WN1 1YN", 53.5451, -2.6300),
)

#: GMIRS spec §1.11 funding periods (whole service); split across lots by their share of demand.
FUNDING_PERIODS: tuple[tuple[str, dt.date, dt.date, int, str], ...] = (
    ("Sept 2023–Mar 2024", dt.date(2023, 9, 4), dt.date(2024, 3, 31), 1_550_000, "guaranteed"),
    ("Apr 2024–Mar 2025", dt.date(2024, 4, 1), dt.date(2025, 3, 31), 3_400_000, "guaranteed"),
    ("Apr 2025–Mar 2026", dt.date(2025, 4, 1), dt.date(2026, 3, 31), 4_000_000, "anticipated"),
)

DEMO_USERS: tuple[tuple[str, str, str], ...] = (
    ("commissioner", "GMCA commissioner (demo)", "commissioner"),
    ("provider", "Provider contract manager (demo)", "provider"),
    ("spoc", "Greater Manchester EPOP SPOC (demo)", "epop_spoc"),
    ("national", "National EPOP lead (demo)", "epop_national"),
    ("admin", "Dashboard administrator (demo)", "admin"),
)
DEMO_PASSWORD = "demo"

_CATEGORIES = {
    "referral_source": (
        ["Probation practitioner", "Partner agency", "Self-referral", "Approved Premises", "Court"],
        [0.70, 0.10, 0.08, 0.05, 0.07],
    ),
    "risk_level": (["LOW", "MEDIUM", "HIGH", "VERY HIGH"], [0.30, 0.50, 0.18, 0.02]),
    "crime_type": (
        ["Violence against the person", "Theft offences", "Drug offences", "Public order offences",
         "Motoring offences", "Criminal damage and arson", "Sexual offences", "Robbery",
         "Fraud offences", "Other offences"],
        [0.30, 0.15, 0.14, 0.08, 0.07, 0.06, 0.05, 0.04, 0.03, 0.08],
    ),
    "age_band": (["18-24", "25-34", "35-44", "45-54", "55-64", "65+"],
                 [0.18, 0.33, 0.27, 0.14, 0.06, 0.02]),
    "sex": (["Male", "Female"], [0.86, 0.14]),
    "gender_identity": (
        ["Same as sex registered at birth", "Different from sex registered at birth", "Not recorded"],
        [0.92, 0.01, 0.07],
    ),
    "ethnicity": (
        ["White British", "White other", "Mixed", "Asian or Asian British", "Black or Black British",
         "Other ethnic group", "Not stated"],
        [0.75, 0.04, 0.04, 0.09, 0.06, 0.01, 0.01],
    ),
    "disability": (["No", "Yes", "Not stated"], [0.62, 0.28, 0.10]),
    "religion": (["No religion", "Christian", "Muslim", "Other religion", "Not stated"],
                 [0.45, 0.33, 0.11, 0.03, 0.08]),
    "sexual_orientation": (["Heterosexual", "Gay or lesbian", "Bisexual", "Other", "Not stated"],
                           [0.88, 0.02, 0.02, 0.005, 0.075]),
}

#: How often each of the 12 needs is identified, and how much it typically improves (points).
_NEED_PREVALENCE = np.array([0.55, 0.25, 0.40, 0.30, 0.35, 0.38, 0.45, 0.30, 0.28, 0.33, 0.25, 0.20])
_NEED_GAIN = np.array([0.9, 0.6, 1.3, 0.8, 0.7, 0.5, 1.1, 0.9, 1.0, 1.0, 0.8, 0.9])
_COMPLEXITY_GAIN = {"LOW": 1.2, "MEDIUM": 1.0, "HIGH": 0.65}

#: Refer and Monitor's end reasons by vocabulary: (codes, descriptions, demo frequencies).
#: The withdrawal reasons replaced the 2021 end reasons in mid-2024 (migrations V1_166, April
#: 2024, and V1_177, June 2024, in hmpps-interventions-service); the demo switches for
#: referrals ending from 1 July 2024 (a demo assumption, not a documented date).
WITHDRAWAL_REASONS_FROM = dt.date(2024, 7, 1)
_DEMO_REASON_FREQUENCY = {
    "2021": {"MIS": 0.03, "MOV": 0.07, "DIE": 0.01, "ACQ": 0.005, "DIS": 0.42, "REC": 0.12, "END": 0.20,
             "REV": 0.04, "DUP": 0.02, "PPJ": 0.085},
    "2024": {"INE": 0.02, "MIS": 0.03, "NOT": 0.40, "NEE": 0.05, "MOV": 0.07, "WOR": 0.05, "USE": 0.01,
             "ACQ": 0.005, "RET": 0.11, "SER": 0.03, "SEE": 0.15, "EAR": 0.03, "ANO": 0.045},
}


def _reason_table(vocabulary: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    by_code = {r.code: r.description for r in default_end_reasons().reasons if r.vocabulary == vocabulary}
    frequency = _DEMO_REASON_FREQUENCY[vocabulary]
    codes = np.array(list(frequency), dtype=object)
    weights = np.array(list(frequency.values()))
    return codes, np.array([by_code[c] for c in codes], dtype=object), weights / weights.sum()


@dataclass(frozen=True)
class DemoSummary:
    referrals: int
    appointments: int
    scores: int
    record_events: int
    seconds: float


def _bank_holidays() -> np.ndarray:
    years = range(SERVICE_START.year - 1, DEMO_END.year + 3)
    return np.array(sorted(holidays.UK(subdiv="ENG", years=years)), dtype="datetime64[D]")


def _choice(rng: np.random.Generator, name: str, n: int) -> np.ndarray:
    values, probs = _CATEGORIES[name]
    p = np.array(probs) / sum(probs)
    return np.array(values, dtype=object)[rng.choice(len(values), size=n, p=p)]


def _london_to_utc(dates: np.ndarray, minutes: np.ndarray) -> np.ndarray:
    """London local date + minutes after midnight → naive UTC datetime64[us] (NaT kept)."""
    local = pd.DatetimeIndex(dates.astype("datetime64[D]").astype("datetime64[us]")) + pd.to_timedelta(
        minutes, unit="m"
    )
    utc = local.tz_localize(LONDON, nonexistent="shift_forward", ambiguous=True).tz_convert("UTC")
    return utc.tz_localize(None).to_numpy(dtype="datetime64[us]")


def _add_workdays(dates: np.ndarray, n: np.ndarray, holidays_: np.ndarray) -> np.ndarray:
    """The n-th working day after each date (non-working dates roll back first)."""
    out = np.full(dates.shape, np.datetime64("NaT"), dtype="datetime64[D]")
    ok = ~np.isnat(dates)
    out[ok] = np.busday_offset(dates[ok], n[ok], roll="backward", holidays=holidays_)
    return out


def _reference_ids(session: Session) -> dict:
    units = session.execute(
        select(DemandUnit.id, DemandUnit.name, DemandUnit.borough_id, Borough.name, Forecast.base_count)
        .join(Borough, Borough.id == DemandUnit.borough_id)
        .join(Forecast, Forecast.demand_unit_id == DemandUnit.id)
        .order_by(DemandUnit.id)
    ).all()
    if len(units) != 11:
        raise RuntimeError("Reference data is not loaded: run `python -m data_access init` first.")
    return {"units": units}


def _seed_organisations(session: Session) -> dict:
    borough_id = {b.name: b.id for b in session.scalars(select(Borough))}
    total_people = dict(
        session.execute(
            select(Borough.name, func.sum(Forecast.base_count))
            .join(DemandUnit, DemandUnit.borough_id == Borough.id)
            .join(Forecast, Forecast.demand_unit_id == DemandUnit.id)
            .group_by(Borough.name)
        ).all()
    )
    gm_total = sum(total_people.values())
    contract_by_borough: dict[int, int] = {}
    provider_by_borough: dict[int, int] = {}
    for code, name, reference, boroughs in DEMO_PROVIDERS:
        provider = Provider(organisation_code=code, name=name)
        session.add(provider)
        session.flush()
        contract = Contract(
            reference=reference,
            service="GMIRS Well-being Support Service",
            provider_id=provider.id,
            region_code="J",
            start_date=SERVICE_START,
            end_date=DEMO_END,
        )
        session.add(contract)
        session.flush()
        share = sum(total_people[b] for b in boroughs) / gm_total
        for b in boroughs:
            session.add(ContractBorough(contract_id=contract.id, borough_id=borough_id[b]))
            contract_by_borough[borough_id[b]] = contract.id
            provider_by_borough[borough_id[b]] = provider.id
        for label, start, end, amount, status in FUNDING_PERIODS:
            session.add(
                FundingPeriod(
                    contract_id=contract.id,
                    label=label,
                    start_date=start,
                    end_date=end,
                    amount=Decimal(round(amount * share, 2)).quantize(Decimal("0.01")),
                    status=status,
                )
            )
    epop_provider = Provider(organisation_code="ORG-EPOP", name="National EPOP provider (demo)")
    session.add(epop_provider)
    session.flush()
    session.add(
        Contract(
            reference="EPOP-DF14-NATIONAL",
            service="Engaging People on Probation (DF.14 Service User Involvement)",
            provider_id=epop_provider.id,
            start_date=dt.date(2025, 4, 1),
            end_date=dt.date(2028, 3, 31),
        )
    )
    hub_ids: dict[int, list[int]] = {}
    for name, borough, address, postcode, lat, lon in DEMO_HUBS:
        hub = Hub(
            name=name,
            borough_id=borough_id[borough],
            address=address,
            postcode=postcode,
            latitude=lat,
            longitude=lon,
            co_located_services="Probation reporting; housing advice; drug and alcohol service",
            opening_pattern="Mon–Fri 09:00–17:00; Thu until 19:30",
        )
        session.add(hub)
        session.flush()
        hub_ids.setdefault(borough_id[borough], []).append(hub.id)
    session.flush()
    precompute_reach(open_hub_positions(session))  # as saving a hub does (issue 18)
    return {"contract_by_borough": contract_by_borough, "provider_by_borough": provider_by_borough,
            "hub_ids": hub_ids}


def _seed_spend(session: Session, rng: np.random.Generator) -> None:
    for period in session.scalars(select(FundingPeriod).order_by(FundingPeriod.id)):
        months = pd.period_range(period.start_date, period.end_date, freq="M")
        monthly = float(period.amount) / len(months)
        for i, month in enumerate(months):
            ramp = 0.55 + 0.45 * min(1.0, (month.start_time.date() - SERVICE_START).days / 120)
            amount = monthly * ramp * rng.normal(1.0, 0.05)
            session.add(
                SpendRecord(
                    contract_id=period.contract_id,
                    month=month.start_time.date(),
                    category="delivery",
                    amount=Decimal(round(amount, 2)).quantize(Decimal("0.01")),
                )
            )


def _referral_dates(rng: np.random.Generator, n: int) -> np.ndarray:
    """Received dates across the demo span: ramp-up to full operation, mild growth and seasonality."""
    days = np.arange(np.datetime64(SERVICE_START), np.datetime64(DEMO_END) + 1, dtype="datetime64[D]")
    age = (days - np.datetime64(SERVICE_START)).astype(int)
    ramp = np.clip(0.35 + 0.65 * age / (np.datetime64(FULLY_OPERATIONAL) - np.datetime64(SERVICE_START)).astype(int), 0, 1)
    month = pd.DatetimeIndex(days).month.to_numpy()
    season = 1 + 0.08 * np.cos((month - 3) / 12 * 2 * np.pi)
    weekday = pd.DatetimeIndex(days).day_of_week.to_numpy()
    weekday_weight = np.where(weekday < 5, 1.0, 0.06)
    growth = 1 + 0.10 * age / age.max()
    weight = ramp * season * weekday_weight * growth
    return np.sort(rng.choice(days, size=n, p=weight / weight.sum()))


def _generate_chunk(rng: np.random.Generator, n: int, first_pk: int, ctx: dict, holidays_: np.ndarray):
    units = ctx["units"]
    unit_weight = np.array([u.base_count * UNIT_MULTIPLIER.get(u.name, 1.0) for u in units], dtype=float)
    unit_idx = rng.choice(len(units), size=n, p=unit_weight / unit_weight.sum())
    unit_id = np.array([u.id for u in units])[unit_idx]
    borough_id = np.array([u.borough_id for u in units])[unit_idx]
    received = ctx["dates"][first_pk - ctx["first_pk"] : first_pk - ctx["first_pk"] + n]
    progress = (received - np.datetime64(SERVICE_START)).astype(int) / max(
        1, (np.datetime64(DEMO_END) - np.datetime64(SERVICE_START)).astype(int)
    )
    borough_bias = (borough_id % 5 - 2) * 0.012  # small, stable borough differences

    # Complexity near 23/56/21 with borough variation (GMIRS spec §2.4).
    shift = (borough_id % 3 - 1) * 0.03
    u = rng.random(n)
    complexity = np.where(u < 0.23 + shift, "LOW", np.where(u < 0.79 + shift / 2, "MEDIUM", "HIGH")).astype(object)
    is_high = complexity == "HIGH"

    hub_choices = ctx["hub_ids"]
    hub = np.array([hub_choices[b][0] for b in borough_id])
    # Manchester has two hubs: referrals go to the nearer of North/South by demand unit.
    for b, hubs in hub_choices.items():
        if len(hubs) > 1:
            mask = borough_id == b
            names = np.array([u.name for u in units], dtype=object)[unit_idx]
            hub[mask & (names == "Manchester S")] = hubs[1]

    receive_minutes = rng.integers(8 * 60, 18 * 60, size=n)
    # A few late-evening referrals, so dates either side of midnight in BST and GMT occur.
    late = rng.random(n) < 0.01
    receive_minutes[late] = 23 * 60 + 30

    # Assessment (DS2): probability of meeting 10 working days improves over time.
    assessed = rng.random(n) > (0.06 + 0.03 * is_high)
    p_ds2 = np.clip(0.88 + 0.09 * progress + borough_bias - 0.02 * is_high, 0, 0.995)
    ds2_met = rng.random(n) < p_ds2
    assess_wd = np.where(ds2_met, rng.integers(1, 11, n), rng.integers(11, 22, n))
    assessed_on = _add_workdays(received, assess_wd, holidays_)
    assessed_on[~assessed] = np.datetime64("NaT")
    missed_first = assessed & (rng.random(n) < 0.12)
    not_attended_wd = np.maximum(1, assess_wd - rng.integers(2, 6, n))
    not_attended_on = _add_workdays(received, not_attended_wd, holidays_)
    not_attended_on[~missed_first] = np.datetime64("NaT")

    # Action plan (DS3) within 5 working days of assessment; approval 0–3 working days later.
    planned = assessed & (rng.random(n) < 0.97)
    p_ds3 = np.clip(0.86 + 0.08 * progress + borough_bias, 0, 0.99)
    plan_wd = np.where(rng.random(n) < p_ds3, rng.integers(0, 6, n), rng.integers(6, 15, n))
    plan_on = _add_workdays(assessed_on, plan_wd, holidays_)
    plan_on[~planned] = np.datetime64("NaT")
    approved = planned & (rng.random(n) < 0.97)
    approved_on = _add_workdays(plan_on, rng.integers(0, 4, n), holidays_)
    approved_on[~approved] = np.datetime64("NaT")

    # DS4: distance-travelled baseline within 10 working days of assessment.
    tool_wd = np.where(rng.random(n) < 0.95, rng.integers(0, 11, n), rng.integers(11, 20, n))
    tool_on = _add_workdays(assessed_on, tool_wd, holidays_)

    # First session (KP6) within 10 working days of approval.
    started = approved & (rng.random(n) < (0.93 - 0.04 * is_high))
    p_kp6 = np.clip(0.86 + 0.07 * progress + borough_bias, 0, 0.99)
    session_wd = np.where(rng.random(n) < p_kp6, rng.integers(1, 11, n), rng.integers(11, 25, n))
    first_session_on = _add_workdays(approved_on, session_wd, holidays_)
    first_session_on[~started] = np.datetime64("NaT")

    # Ending: completed after 8–24 weeks of support; ended early; cancelled before starting.
    duration = rng.integers(56, 170, n).astype("timedelta64[D]")
    u_end = rng.random(n)
    state = np.where(started, np.where(u_end < 0.78, "completed", "ended"), np.where(u_end < 0.55, "cancelled", "ended")).astype(object)
    anchor = np.where(started, first_session_on, np.where(~np.isnat(approved_on), approved_on, np.where(~np.isnat(assessed_on), assessed_on, received)))
    concluded_on = np.where(
        started, anchor + duration, anchor + rng.integers(3, 40, n).astype("timedelta64[D]")
    ).astype("datetime64[D]")
    cancelled_same_day = (state == "cancelled") & (rng.random(n) < 0.08)
    concluded_on[cancelled_same_day] = received[cancelled_same_day]
    still_open = concluded_on > ctx["as_of"]
    concluded_on[still_open] = np.datetime64("NaT")
    state[still_open] = None
    # The data is a snapshot taken on the as-of date: nothing after it has happened yet, so
    # every later event is blank (as in a real extract) and the flags follow the dates.
    for dates in (assessed_on, not_attended_on, plan_on, approved_on, tool_on, first_session_on):
        _blank_after(dates, ctx["as_of"])
    assessed, missed_first = ~np.isnat(assessed_on), ~np.isnat(not_attended_on)
    planned, approved, started = ~np.isnat(plan_on), ~np.isnat(approved_on), ~np.isnat(first_session_on)

    # The 2021 end reasons, then (mid-2024) the withdrawal reasons, as R&M writes them.
    withdrawal = ~np.isnat(concluded_on) & (concluded_on >= np.datetime64(WITHDRAWAL_REASONS_FROM))
    reasons = np.empty(n, dtype=object)
    reason_desc = np.empty(n, dtype=object)
    for vocabulary, rows in (("2021", ~withdrawal), ("2024", withdrawal)):
        codes, descriptions, weights = _reason_table(vocabulary)
        picked = rng.choice(len(codes), size=n, p=weights)
        picked[cancelled_same_day] = int(np.flatnonzero(codes == "MIS")[0])
        reasons[rows], reason_desc[rows] = codes[picked][rows], descriptions[picked][rows]
    needs_reason = (state == "ended") | (state == "cancelled")
    # A sentence that expired ends on its end-of-sentence date (the data-quality check).
    sentence_end = received + rng.integers(180, 900, n).astype("timedelta64[D]")
    expired = needs_reason & np.isin(reasons, ["END", "SEE"])
    sentence_end[expired] = concluded_on[expired]
    # Refer and Monitor writes descriptions; some arrive with odd capitalisation or blank.
    odd = rng.random(n) < 0.02
    reason_desc[odd] = np.array([d.upper() for d in reason_desc[odd]], dtype=object)
    reason_desc[~needs_reason | (rng.random(n) < 0.01)] = None
    end_requested_on = np.where(needs_reason, concluded_on - rng.integers(0, 5, n).astype("timedelta64[D]"), np.datetime64("NaT")).astype("datetime64[D]")
    end_requested_on = np.maximum(end_requested_on, received)

    closed = ~np.isnat(concluded_on)
    eosr = closed & started & (rng.random(n) < 0.92)
    eosr_on = np.where(eosr, concluded_on + rng.integers(0, 6, n).astype("timedelta64[D]"), np.datetime64("NaT")).astype("datetime64[D]")
    eosr = ~np.isnat(_blank_after(eosr_on, ctx["as_of"]))
    outcomes_count = np.where(approved, rng.integers(1, 5, n), 0)
    p_ds5 = np.clip(0.84 + 0.05 * progress - 0.06 * is_high, 0, 0.99)
    any_outcome = rng.random(n) < p_ds5
    achieved = np.where(any_outcome, np.minimum(outcomes_count, rng.integers(1, 5, n)) * rng.choice([0.5, 1.0], n, p=[0.3, 0.7]), 0.0)
    sessions_expected = np.where(approved, rng.integers(4, 16, n), 0)
    sessions_attended = np.where(started, np.maximum(1, (sessions_expected * rng.uniform(0.4, 1.0, n)).astype(int)), 0)

    survey_offered_on = np.where(
        closed & started,
        _add_workdays(concluded_on, np.where(rng.random(n) < 0.91, rng.integers(0, 2, n), rng.integers(2, 8, n)), holidays_),
        np.datetime64("NaT"),
    ).astype("datetime64[D]")
    _blank_after(survey_offered_on, ctx["as_of"])
    arranged_on = _blank_after(_add_workdays(received, np.ones(n, dtype=int), holidays_), ctx["as_of"])

    pk = np.arange(first_pk, first_pk + n)
    minutes_10am = np.full(n, 10 * 60)
    referrals = pd.DataFrame({
        "id": pk,
        "referral_id": [str(uuid.UUID(bytes=bytes(b), version=4)) for b in rng.integers(0, 256, (n, 16), dtype=np.uint8)],
        "referral_ref": [f"GM{p:07d}" for p in pk],
        "contract_id": np.array([ctx["contract_by_borough"][b] for b in borough_id]),
        "provider_id": np.array([ctx["provider_by_borough"][b] for b in borough_id]),
        # R&M writes the caseworker's user name or e-mail; the importer keeps a keyed pseudonym.
        "caseworker_id": np.char.add(np.char.add("caseworker", (borough_id * 100 + rng.integers(0, 12, n)).astype(str)),
                                     "@provider.example"),
        "service_user_crn": [f"X{v:06d}" for v in rng.integers(0, 999_999, n)],
        "referral_received_at": _london_to_utc(received, receive_minutes),
        "saa_first_arranged_at": _london_to_utc(arranged_on, minutes_10am),
        "saa_first_scheduled_for": _london_to_utc(np.where(missed_first, not_attended_on, assessed_on), minutes_10am),
        "saa_first_not_attended_at": _london_to_utc(not_attended_on, minutes_10am),
        "saa_first_attended_at": _london_to_utc(assessed_on, minutes_10am),
        "saa_first_completed_at": _london_to_utc(assessed_on, np.full(n, 10 * 60 + 50)),
        "saa_attended_on_time": np.where(assessed, rng.random(n) < 0.9, False),  # R&M: "false" when none
        "first_action_plan_submitted_at": _london_to_utc(plan_on, np.full(n, 15 * 60)),
        "first_action_plan_approved_at": _london_to_utc(approved_on, np.full(n, 16 * 60)),
        "first_attended_session_at": _london_to_utc(first_session_on, np.full(n, 11 * 60)),
        "outcomes_to_be_achieved_count": np.where(approved, outcomes_count, None),
        "outcomes_achieved": np.where(eosr, achieved, None),
        "count_of_sessions_expected": np.where(approved, sessions_expected, None),
        "count_of_sessions_attended": np.where(approved, sessions_attended, None),
        "end_requested_by_pp_at": _london_to_utc(np.where(needs_reason, end_requested_on, np.datetime64("NaT")), minutes_10am),
        "end_requested_by_pp_reason": reason_desc,
        "eosr_submitted_at": _london_to_utc(eosr_on, np.full(n, 12 * 60)),
        "concluded_at": _london_to_utc(concluded_on, np.full(n, 17 * 60)),
        "referral_end_state": state,
        "intervention_to_be_completed_by": received + np.timedelta64(182, "D"),
        "end_of_sentence_date": sentence_end,
        "received_on": received,
        "saa_first_not_attended_on": not_attended_on,
        "saa_first_attended_on": assessed_on,
        "action_plan_submitted_on": plan_on,
        "action_plan_approved_on": approved_on,
        "first_session_on": first_session_on,
        "eosr_submitted_on": eosr_on,
        "concluded_on": concluded_on,
        "borough_id": borough_id,
        "demand_unit_id": unit_id,
        "hub_id": hub,
        "referral_source": _choice(rng, "referral_source", n),
        "complexity": complexity,
        "risk_level": _choice(rng, "risk_level", n),
        "crime_type": _choice(rng, "crime_type", n),
        "age_band": _choice(rng, "age_band", n),
        "sex": _choice(rng, "sex", n),
        "gender_identity": _choice(rng, "gender_identity", n),
        "ethnicity": _choice(rng, "ethnicity", n),
        "disability": _choice(rng, "disability", n),
        "religion": _choice(rng, "religion", n),
        "sexual_orientation": _choice(rng, "sexual_orientation", n),
        "consent_to_share": rng.random(n) < 0.95,
        "suitable": np.where(assessed, planned, None),
        "distance_tool_completed_on": np.where(assessed, tool_on, np.datetime64("NaT")).astype("datetime64[D]"),
        "exit_reason": np.where(closed, state, None),
        "exit_survey_offered_on": survey_offered_on,
        "exit_survey_completed": np.where(~np.isnat(survey_offered_on), rng.random(n) < 0.6, None),
        "source": "demo",
        "import_batch_id": ctx["batch_id"],
    })
    children = _children(rng, referrals, complexity, holidays_, ctx["as_of"])
    return referrals, children


def _blank_after(dates: np.ndarray, as_of: np.datetime64) -> np.ndarray:
    """Blank (NaT), in place, every date after ``as_of``; return the array."""
    dates[dates > as_of] = np.datetime64("NaT")
    return dates


def _children(rng: np.random.Generator, ref: pd.DataFrame, complexity: np.ndarray, holidays_: np.ndarray,
              as_of: np.datetime64) -> dict:
    n = len(ref)
    pk = ref["id"].to_numpy()
    # Needs: each referral has 2–6 identified needs.
    identified = rng.random((n, len(NEEDS))) < _NEED_PREVALENCE
    none = ~identified.any(axis=1)
    identified[none, 0] = True
    r_idx, n_idx = np.nonzero(identified)
    need_codes = np.array([c for c, _ in NEEDS], dtype=object)
    needs = pd.DataFrame({"referral_pk": pk[r_idx], "need_code": need_codes[n_idx]})

    # Distance travelled: baseline at DS4 completion; review mid-way; exit at conclusion.
    baseline_on = ref["distance_tool_completed_on"].to_numpy(dtype="datetime64[D]")[r_idx]
    concluded = ref["concluded_on"].to_numpy(dtype="datetime64[D]")[r_idx]
    started = ~np.isnat(ref["first_session_on"].to_numpy(dtype="datetime64[D]"))[r_idx]
    has_base = ~np.isnat(baseline_on)
    base_score = np.clip(np.round(rng.normal(2.2, 0.8, len(r_idx))), 1, 5).astype(int)
    gain = _NEED_GAIN[n_idx] * np.vectorize(_COMPLEXITY_GAIN.get)(complexity[r_idx]) * rng.normal(1.0, 0.8, len(r_idx))
    exit_score = np.clip(np.round(base_score + gain), 1, 5).astype(int)
    has_exit = has_base & started & ~np.isnat(concluded)
    review_on = baseline_on + np.timedelta64(42, "D")
    has_review = (has_base & started & (review_on <= as_of)
                  & ((np.isnat(concluded)) | (concluded > review_on + np.timedelta64(14, "D"))))
    review_score = np.clip(np.round((base_score + exit_score) / 2 + rng.normal(0, 0.3, len(r_idx))), 1, 5).astype(int)
    scores = pd.concat([
        pd.DataFrame({"referral_pk": pk[r_idx][has_base], "need_code": need_codes[n_idx][has_base],
                      "stage": "baseline", "scored_on": baseline_on[has_base], "score": base_score[has_base]}),
        pd.DataFrame({"referral_pk": pk[r_idx][has_review], "need_code": need_codes[n_idx][has_review],
                      "stage": "review", "scored_on": review_on[has_review], "score": review_score[has_review]}),
        pd.DataFrame({"referral_pk": pk[r_idx][has_exit], "need_code": need_codes[n_idx][has_exit],
                      "stage": "exit", "scored_on": concluded[has_exit], "score": exit_score[has_exit]}),
    ], ignore_index=True)

    # Appointments: missed first assessment, attended assessment, first sessions (up to 3 shown).
    assess = ref["saa_first_attended_at"].to_numpy(dtype="datetime64[us]")
    missed = ref["saa_first_not_attended_at"].to_numpy(dtype="datetime64[us]")
    first = ref["first_attended_session_at"].to_numpy(dtype="datetime64[us]")
    frames = []
    for kind, when, attended in (("assessment", missed, "NO"), ("assessment", assess, None), ("delivery", first, None)):
        ok = ~np.isnat(when)
        att = np.full(ok.sum(), attended, dtype=object) if attended else np.where(rng.random(ok.sum()) < 0.88, "YES", "LATE").astype(object)
        frames.append(pd.DataFrame({"referral_pk": pk[ok], "kind": kind, "scheduled_at": when[ok], "attended": att}))
    follow_ok = ~np.isnat(first)
    for k in (1, 2):
        when = first[follow_ok] + np.timedelta64(7 * k, "D").astype("timedelta64[us]")
        att = rng.choice(np.array(["YES", "LATE", "NO"], dtype=object), follow_ok.sum(), p=[0.72, 0.12, 0.16])
        frames.append(pd.DataFrame({"referral_pk": pk[follow_ok], "kind": "delivery", "scheduled_at": when, "attended": att}))
    appts = pd.concat(frames, ignore_index=True)
    appts["scheduled_on"] = pd.DatetimeIndex(appts["scheduled_at"]).tz_localize("UTC").tz_convert(LONDON).tz_localize(None).to_numpy(dtype="datetime64[D]")
    appts = appts[appts["scheduled_on"] <= as_of].reset_index(drop=True)  # none after the snapshot
    appts["method"] = rng.choice(np.array(["in person", "phone", "video"], dtype=object), len(appts), p=[0.7, 0.2, 0.1])
    record_lag = np.where(rng.random(len(appts)) < 0.97, rng.integers(0, 2, len(appts)), rng.integers(2, 5, len(appts)))
    appts["recorded_on"] = _blank_after(
        _add_workdays(appts["scheduled_on"].to_numpy(dtype="datetime64[D]"), record_lag, holidays_), as_of)
    appts["shared"] = rng.random(len(appts)) < 0.98

    # Record-keeping events for KP1–KP4.
    events = []
    contact_on = ref["received_on"].to_numpy(dtype="datetime64[D]")
    for kind, occurred, p_ok in (
        ("contact", _add_workdays(contact_on, np.ones(n, dtype=int), holidays_), 0.97),
        ("action_plan", ref["action_plan_submitted_on"].to_numpy(dtype="datetime64[D]"), 0.96),
    ):
        ok = ~np.isnat(occurred) & (occurred <= as_of)
        m = ok.sum()
        lag = np.where(rng.random(m) < p_ok, rng.integers(0, 2, m), rng.integers(2, 6, m))
        events.append(pd.DataFrame({
            "referral_pk": pk[ok], "kind": kind, "occurred_on": occurred[ok],
            "recorded_on": _blank_after(_add_workdays(occurred[ok], lag, holidays_), as_of),
            "shared": rng.random(m) < 0.97, "method": rng.choice(np.array(["phone", "in person", "letter"], dtype=object), m, p=[0.6, 0.3, 0.1]),
            "successful": rng.random(m) < 0.85,
        }))
    attendance = appts[["referral_pk", "scheduled_on", "recorded_on", "shared", "method"]].rename(columns={"scheduled_on": "occurred_on"})
    attendance = attendance.assign(kind="attendance", successful=True)
    events.append(attendance)
    req = rng.random(n) < 0.10
    req_on = _add_workdays(contact_on[req], rng.integers(5, 40, req.sum()), holidays_)
    lag = np.where(rng.random(req.sum()) < 0.9, rng.integers(0, 2, req.sum()), rng.integers(2, 5, req.sum()))
    requests = pd.DataFrame({"referral_pk": pk[req], "kind": "evidence_request", "occurred_on": req_on,
                             "recorded_on": _blank_after(_add_workdays(req_on, lag, holidays_), as_of), "shared": True,
                             "method": "email", "successful": True})
    events.append(requests[requests["occurred_on"] <= as_of])
    record_events = pd.concat(events, ignore_index=True)
    return {"needs": needs, "scores": scores, "appointments": appts, "record_events": record_events}


_REFERRAL_KINDS = {
    "id": "int", "referral_id": "str", "referral_ref": "str", "contract_id": "int", "provider_id": "int",
    "caseworker_id": "str", "service_user_crn": "str",
    "referral_received_at": "datetime", "saa_first_arranged_at": "datetime", "saa_first_scheduled_for": "datetime",
    "saa_first_not_attended_at": "datetime", "saa_first_attended_at": "datetime", "saa_attended_on_time": "bool",
    "first_action_plan_submitted_at": "datetime", "first_action_plan_approved_at": "datetime",
    "first_attended_session_at": "datetime", "outcomes_to_be_achieved_count": "int", "outcomes_achieved": "float",
    "count_of_sessions_expected": "int", "count_of_sessions_attended": "int", "end_requested_by_pp_at": "datetime",
    "end_requested_by_pp_reason": "str", "eosr_submitted_at": "datetime", "concluded_at": "datetime",
    "referral_end_state": "str", "received_on": "date", "saa_first_not_attended_on": "date",
    "saa_first_attended_on": "date", "action_plan_submitted_on": "date", "action_plan_approved_on": "date",
    "first_session_on": "date", "eosr_submitted_on": "date", "concluded_on": "date", "borough_id": "int",
    "demand_unit_id": "int", "hub_id": "int", "referral_source": "str", "complexity": "str", "risk_level": "str",
    "crime_type": "str", "age_band": "str", "sex": "str", "gender_identity": "str", "ethnicity": "str",
    "disability": "str", "religion": "str", "sexual_orientation": "str", "consent_to_share": "bool",
    "suitable": "bool", "distance_tool_completed_on": "date", "exit_reason": "str",
    "exit_survey_offered_on": "date", "exit_survey_completed": "bool", "source": "str", "import_batch_id": "int",
}
#: The performance report's columns as the demo frame holds them (report column → frame
#: column); the importer turns them back into these ``referrals`` columns and London dates.
def _report_columns() -> dict[str, str]:
    from data_access.importers import ram

    return {
        **{c: c for c in ("referral_ref", "referral_id", "caseworker_id", "service_user_crn", "saa_attended_on_time",
                          "outcomes_to_be_achieved_count", "outcomes_achieved", "count_of_sessions_expected",
                          "count_of_sessions_attended", "end_requested_by_pp_reason", "referral_end_state")},
        "contract_ref": "contract_ref", "organisation_id": "organisation_id",
        **ram.TIMESTAMPS, **ram.PLAIN_DATES,
    }


def _written_as_ram(frame: pd.DataFrame, ctx: dict) -> pd.DataFrame:
    """The chunk's Refer and Monitor values in the 27-column layout, written as R&M writes
    them: UTC ``OffsetDateTime.toString()`` (whole minutes: ``2024-06-30T09:30Z``), plain dates,
    ``true``/``false``."""
    from data_access.importers.ram import PLAIN_DATES, RAM_COLUMNS, TIMESTAMPS

    frame = frame.assign(
        contract_ref=frame["contract_id"].map(ctx["contract_ref"]),
        organisation_id=frame["provider_id"].map(ctx["provider_code"]),
    )
    out = {}
    for column, source in _report_columns().items():
        values = frame[source]
        if column in TIMESTAMPS:
            text = pd.Series(pd.to_datetime(values)).dt.strftime("%Y-%m-%dT%H:%MZ")
        elif column in PLAIN_DATES:
            text = pd.Series(pd.to_datetime(values)).dt.strftime("%Y-%m-%d")
        elif column == "saa_attended_on_time":
            text = pd.Series(values).map({True: "true", False: "false"})
        elif column in ("outcomes_to_be_achieved_count", "count_of_sessions_expected", "count_of_sessions_attended"):
            text = pd.Series(values).map(lambda v: "" if v is None or pd.isna(v) else str(int(v)))
        else:
            text = pd.Series(values, dtype=object)
        out[column] = text.fillna("").astype(str).to_numpy()
    return pd.DataFrame(out)[list(RAM_COLUMNS)]


_CHILD_KINDS = {
    "needs": (ReferralNeed, {"referral_pk": "int", "need_code": "str"}),
    "scores": (NeedScore, {"referral_pk": "int", "need_code": "str", "stage": "str", "scored_on": "date", "score": "int"}),
    "appointments": (Appointment, {"referral_pk": "int", "kind": "str", "scheduled_at": "datetime", "scheduled_on": "date",
                                   "attended": "str", "method": "str", "recorded_on": "date", "shared": "bool"}),
    "record_events": (RecordEvent, {"referral_pk": "int", "kind": "str", "occurred_on": "date", "recorded_on": "date",
                                    "shared": "bool", "method": "str", "successful": "bool"}),
}


def is_demo_database(session: Session) -> bool:
    return session.get(DatasetMeta, "demo") is not None


def create_demo_users(session: Session) -> None:
    provider_id = session.scalar(select(Provider.id).where(Provider.organisation_code == DEMO_PROVIDERS[0][0]))
    for username, display, role in DEMO_USERS:
        if session.scalar(select(User.id).where(User.username == username)) is not None:
            continue
        session.add(
            User(
                username=username,
                display_name=display,
                password_hash=bcrypt.hashpw(DEMO_PASSWORD.encode(), bcrypt.gensalt()).decode(),
                role=role,
                provider_id=provider_id if role == "provider" else None,
                region_code="J" if role == "epop_spoc" else None,
                is_demo=True,
            )
        )


def seed_demo(engine: Engine, *, referrals: int = DEFAULT_REFERRALS, seed: int = 20230904, progress=None) -> DemoSummary:
    """Fill an initialised, empty database with demo data. Raises if it already holds referrals."""
    import time

    started = time.perf_counter()
    rng = np.random.default_rng(seed)
    holidays_ = _bank_holidays()
    with session_scope(engine) as session:
        if session.scalar(select(func.count()).select_from(Referral)):
            raise RuntimeError("The database already holds referrals; demo data goes into an empty one.")
        if session.scalar(select(func.count()).select_from(User)):
            # Demo accounts (password in the README) must never join real accounts.
            raise RuntimeError("The database already holds user accounts; demo data goes into an empty one.")
        ctx = _reference_ids(session)
        ctx.update(_seed_organisations(session))
        _seed_spend(session, rng)
        batch = ImportBatch(kind="demo", file_name=f"seed-demo --referrals {referrals} --seed {seed}",
                            sha256="0" * 64, imported_by="seed-demo", status="running")
        session.add(batch)
        session.flush()
        ctx["batch_id"] = batch.id
        try:
            from data_access.epop_demo import seed_epop_demo  # written alongside the EPOP tracker
        except ImportError:  # pragma: no cover - EPOP tracker not installed yet
            seed_epop_demo = None
        if seed_epop_demo is not None:
            seed_epop_demo(session, np.random.default_rng(seed + 1), as_of=DEMO_END)
        create_demo_users(session)
        session.add(DatasetMeta(key="demo", value=json.dumps({"referrals": referrals, "seed": seed})))
        batch_id = batch.id

    ctx["as_of"] = np.datetime64(DEMO_END)
    ctx["first_pk"] = 1
    ctx["dates"] = _referral_dates(rng, referrals)
    with session_scope(engine) as session:
        ctx["contract_ref"] = dict(session.execute(select(Contract.id, Contract.reference)).all())
        ctx["provider_code"] = dict(session.execute(select(Provider.id, Provider.organisation_code)).all())
    # The case-extract half of each referral: its GMIRS fields, keyed by referral reference;
    # the performance report below completes it (``referral_id`` blank until then).
    report_fields = set(_report_columns().values()) - {"referral_ref"}
    london_dates = {"received_on", "saa_first_not_attended_on", "saa_first_attended_on", "action_plan_submitted_on",
                    "action_plan_approved_on", "first_session_on", "eosr_submitted_on", "concluded_on"}
    case_kinds = {k: v for k, v in _REFERRAL_KINDS.items() if k not in report_fields | london_dates}
    totals = {"referrals": 0, "appointments": 0, "scores": 0, "record_events": 0}
    scratch = tempfile.TemporaryDirectory(prefix="seed-demo-")
    report = Path(scratch.name) / "ram-performance-report.csv"
    with engine.begin() as conn:
        for start in range(0, referrals, CHUNK):
            n = min(CHUNK, referrals - start)
            chunk_rng = np.random.default_rng([seed, start])
            ref, children = _generate_chunk(chunk_rng, n, start + 1, ctx, holidays_)
            _written_as_ram(ref, ctx).to_csv(report, mode="a", header=start == 0, index=False, lineterminator="\n")
            columns, rows = frame_rows(ref, case_kinds)
            totals["referrals"] += bulk_insert(conn, Referral.__table__, columns, rows)
            for name, (model, kinds) in _CHILD_KINDS.items():
                columns, rows = frame_rows(children[name], kinds)
                inserted = bulk_insert(conn, model.__table__, columns, rows)
                if name in totals:
                    totals[name] += inserted
            if progress is not None:
                progress(start + n, referrals)
        if conn.dialect.name == "postgresql":
            for model in (Referral, Appointment, NeedScore, RecordEvent):
                table = model.__tablename__
                conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE((SELECT MAX(id) FROM {table}), 1))"
                )
    from data_access.importers.ram import import_ram_performance

    with scratch:
        imported = import_ram_performance(engine, report, user="seed-demo")
    if not imported.written:
        problems = "; ".join(f"row {p.line} {p.column}: {p.reason}" for p in imported.problems.sorted()[:5])
        raise RuntimeError(f"The demo's Refer and Monitor report was refused by the importer: {problems}")
    with session_scope(engine) as session:
        batch = session.get(ImportBatch, batch_id)
        batch.status = "done"
        batch.rows_read = batch.rows_inserted = totals["referrals"]
        batch.finished_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    refresh_kpi_summary(engine)  # the per-day KPI counts the scorecard reads (metrics.summary)
    analyze(engine)  # planner statistics for the new rows (data_access.db.analyze)
    return DemoSummary(
        referrals=totals["referrals"], appointments=totals["appointments"], scores=totals["scores"],
        record_events=totals["record_events"], seconds=time.perf_counter() - started,
    )
