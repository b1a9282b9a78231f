"""One function per dashboard panel: read what the panel needs, compute it, state the finding.

Every function takes an open Connection or Session and :class:`PanelInputs` (the scoped
referrals ``Select`` from ``data_access.scoping.referrals_select``, the period, the as-of date
and the settings that change a figure) and returns a :class:`Panel`: the title that states
what the data shows, the frame exactly as shown (already suppressed where it is about
people), the unit and the notes to print beneath. No streamlit here; the pages render.

Aggregation happens in SQL wherever the result is small (counts per borough, per day, per
group); only the per-case rules of :mod:`metrics.kpis` and distance travelled fetch rows, and
only for the period's cohort.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sqlalchemy import Select, and_, case, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from data_access.figure_settings import FigureSettings, Rebase, figure_settings, spc_rebases
from data_access.models import (
    Borough,
    Contract,
    ContractBorough,
    DemandUnit,
    Forecast,
    Hub,
    ImportBatch,
    Pdu,
    PduArea,
    Referral,
)
from data_access.reference import end_reason_classes
from data_access.geography import area_covers, gm_pdu_change_date, pdu_placement
from data_access.scoping import AccessScope, ReferralFilters
from metrics import breakdowns, compare, findings, periods, spc
from metrics.partitions import (Partition, column_of, hidden_for_period, hidden_months, partitions_for,
                                rows_for_period)
from metrics.benchmarking import wilson_interval
from domain.catalogue import COMPLEXITY_REFERENCE, KPI_CODES, kpi
from domain.end_reasons import SL002_REASON_DECISION
from domain.dates import working_day_deadline, working_days_between
from metrics.disclosure import (SUPPRESSED, WITHHELD_RATE, displayable_rate, suppress_counts, suppress_linked,
                                suppression_note)
from metrics.kpis import DS2_WORKING_DAYS, DS3_WORKING_DAYS
from metrics.queries import (CASE_LEVEL_CODES, Scorecard, data_as_of, demand_units_for, ds1_days, pdu_in_force, distance_change_sums, latest_data_date,
                             monthly_series, scorecard, spend_frames)
from metrics.results import KpiResult
from geo.pdu_sets import DEFAULT_GM_PDU_CHANGE_DATE

Db = Connection | Session
NO_DATA = "no data"
NOT_APPLICABLE = "not applicable"
SERVICE_START = dt.date(2023, 9, 4)  # GMIRS spec §1.11
STATUS_SYMBOLS = {"met": "✔", "below target": "▼", "below trigger": "▼▼", "no data": "–", "no target": "–"}
BAND_LABELS = {"below": "▼ below band", "within": "● within band", "above": "▲ above band",
               "no forecast": "– no forecast"}
VARIATION_LABELS = {
    "common": "Common cause: no significant change",
    "improvement": "Special cause: improvement",
    "concern": "Special cause: concern",
    "neutral": "Special cause: neither better nor worse",
}
TOO_FEW_MONTHS = "Too few months to chart (fewer than 2)"
SHORT_VARIATION = {"common": "common-cause variation", "improvement": "special cause: improvement",
                   "concern": "special cause: concern", "neutral": "special cause"}
ASSURANCE_LABELS = {
    "pass": "Assured: the target will consistently be met",
    "fail": "Not assured: the target will consistently be missed",
    "inconsistent": "Hit and miss: the target may or may not be met",
    None: "No assurance (no target, or too few points)",
}
RULE_LABELS = {"outside_limits": "beyond a process limit", "shift": "run of 7 on one side of the mean",
               "trend": "7 rising or falling", "two_of_three": "2 of 3 near a limit"}
COMPLEXITY_LABELS = {"LOW": "Low", "MEDIUM": "Medium", "HIGH": "High"}
EQUALITY_STRANDS = {"age_band": "Age", "sex": "Sex", "disability": "Disability", "ethnicity": "Ethnicity",
                    "religion": "Religion or belief", "sexual_orientation": "Sexual orientation"}
KEY_FIELDS = {"complexity": "Complexity", "borough_id": "Borough", "hub_id": "Hub",
              "referral_source": "Referral source", "risk_level": "Risk level", "crime_type": "Crime type",
              "age_band": "Age", "sex": "Sex", "ethnicity": "Ethnicity", "disability": "Disability",
              "religion": "Religion or belief", "sexual_orientation": "Sexual orientation",
              "consent_to_share": "Consent to share"}


@dataclass(frozen=True)
class ChartSpec:
    """A chart in format-free terms, for the pack renderers (native PowerPoint and PDF charts):
    ``data`` holds the category column and numeric series (NaN = not shown)."""

    kind: str  # "column" or "bar"
    data: pd.DataFrame
    category: str
    series: tuple[str, ...]
    number_format: str = "0"
    axis_title: str | None = None


@dataclass(frozen=True)
class Panel:
    """What one panel shows, computed once for a view and rendered by the page (``ui``) and by
    every pack format (``reports``): ``title`` states the finding; ``data`` is exactly what is
    shown (suppressed where it is about people); ``chart`` the pack's chart of it."""

    title: str
    data: pd.DataFrame
    unit: str | None = None
    notes: tuple[str, ...] = ()
    extra: dict = field(default_factory=dict)
    chart: ChartSpec | None = None

    def shown(self) -> pd.DataFrame:
        """``data`` with each number that has a ``<name>_shown`` twin (suppressed text) replaced by
        the twin: the table a reader sees, on screen or in a pack."""
        data = self.data
        twins = [c for c in data.columns if f"{c}_shown" in data.columns]
        if not twins:
            return data
        out = data.drop(columns=twins)
        return out.rename(columns={f"{c}_shown": c for c in twins})[
            [c for c in data.columns if c not in {f"{t}_shown" for t in twins}]]


@dataclass(frozen=True)
class PanelInputs:
    """Everything a panel function needs besides the database."""

    referrals: Select
    period: periods.Period
    as_of: dt.date
    demand_unit_ids: tuple[int, ...] | None = None
    contract_ids: tuple[int, ...] | None = None
    sees_case_ids: bool = False
    suppression_threshold: int = 5
    minimum_rate_denominator: int = 10
    ds1_bound: str = "low"
    forecast_period_days: int = 365
    #: The days a PDU view's PDU is in force (``metrics.queries.pdu_in_force``): DS1's forecast
    #: covers only those days of the period. None: no PDU filter, or a PDU in force throughout.
    ds1_in_force: tuple[dt.date | None, dt.date | None] | None = None
    distance_scale: tuple[int, int] = (1, 5)
    #: SPC rule set and run length (Decision 11) and the admin's rebases (data_access.figure_settings).
    spc_rule_set: str = spc.DEFAULT_RULE_SET
    spc_run_length: int = 7
    spc_rebases: tuple[Rebase, ...] = ()
    #: What the contracts behind ``contract_ids`` are, in words (the spend panel says it).
    contracts_note: str | None = None
    #: The provider the view is limited to (a provider's own account, or the provider filter).
    provider_id: int | None = None
    #: The whole view in words: what areas are compared with (Compare areas).
    view_label: str = "Greater Manchester"
    #: The grids of views this view's figures are suppressed with (metrics.partitions: a borough
    #: with Greater Manchester and the other boroughs, a month with its quarter and year).
    partitions: tuple[Partition, ...] = ()

    @property
    def start(self) -> dt.date:
        return self.period.start

    @property
    def end(self) -> dt.date:
        return self.period.end

    def with_period(self, period: periods.Period) -> "PanelInputs":
        values = dict(self.__dict__)
        values["period"] = period
        return PanelInputs(**values)


def _rows(db: Db, stmt) -> pd.DataFrame:
    result = db.execute(stmt)
    # Plain tuples: from Row objects pandas probes every row's attributes, and each failed
    # probe raises and catches an exception inside SQLAlchemy (most of the journey's time).
    return pd.DataFrame([tuple(row) for row in result.all()], columns=list(result.keys()))


def _boroughs_in_view(db: Db, filters: ReferralFilters, borough_id: int | None) -> set[int] | None:
    """Boroughs that lie wholly inside the view's geography; ``None`` when it has none."""
    if borough_id is None and filters.pdu_number is None and filters.region_code is None:
        return None
    du = DemandUnit.__table__.c
    rows = _rows(db, select(du.borough_id, du.pdu_number, Pdu.region_code).join(Pdu, Pdu.number == du.pdu_number))
    inside = pd.Series(True, index=rows.index)
    if borough_id is not None:
        inside &= rows["borough_id"] == borough_id
    if filters.pdu_number is not None:
        inside &= rows["pdu_number"] == filters.pdu_number
    if filters.region_code is not None:
        inside &= rows["region_code"] == filters.region_code
    whole = rows.assign(inside=inside).groupby("borough_id")["inside"].all()
    return {int(b) for b, ok in whole.items() if ok}


def spend_contracts(db: Db, scope: AccessScope, filters: ReferralFilters,
                    borough_id: int | None = None) -> tuple[tuple[int, ...] | None, str | None]:
    """The contracts whose spend belongs to this view, and a sentence saying how they were chosen.

    Spend is held per contract, not per borough (GMIRS spec §1.11 funds the contracts). A
    view narrowed to a borough, PDU or region counts the contracts whose every borough lies
    inside it; a contract that also serves boroughs outside the view cannot be split, so it is
    left out, and the panel says so. ``None`` = every contract.
    """
    provider_id = scope.provider_id if scope.role == "provider" else filters.provider_id
    inside = _boroughs_in_view(db, filters, borough_id)
    if provider_id is None and filters.contract_id is None and inside is None:
        return None, None
    stmt = select(Contract.id)
    if provider_id is not None:
        stmt = stmt.where(Contract.provider_id == provider_id)
    if filters.contract_id is not None:
        stmt = stmt.where(Contract.id == filters.contract_id)
    ids = [int(v) for v in db.execute(stmt).scalars()]
    if inside is None:
        return tuple(ids), None
    served = _rows(db, select(ContractBorough.contract_id, ContractBorough.borough_id))
    wholly = [i for i in ids if len(served[served["contract_id"] == i])
              and set(served.loc[served["contract_id"] == i, "borough_id"].astype(int)) <= inside]
    note = ("Spend is held per contract, not per borough: only contracts whose whole area lies inside this view "
            "are counted" + ("." if wholly else "; no contract does, so no spend can be shown for this view."))
    return tuple(wholly), note


def inputs_for(db: Db, scope: AccessScope, filters: ReferralFilters, referrals: Select, period: periods.Period,
               as_of: dt.date | None, settings) -> PanelInputs:
    """Build the inputs for a user's view (pages, packs and the CLI alike): forecast units and
    contracts in scope, and the figure settings in force (:func:`data_access.figure_settings`)."""
    provider_id = scope.provider_id if scope.role == "provider" else filters.provider_id
    borough_id = filters.borough_id
    if borough_id is None and filters.hub_id is not None:
        borough_id = db.execute(select(Hub.borough_id).where(Hub.id == filters.hub_id)).scalar()
    units = demand_units_for(db, borough_id=borough_id, pdu_number=filters.pdu_number,
                             region_code=filters.region_code, contract_id=filters.contract_id,
                             provider_id=provider_id)
    if filters.hub_id is not None:
        units = []  # Decision 26: forecasts are published per borough, not per hub: no DS1 for a hub
    contracts, contracts_note = spend_contracts(db, scope, filters, borough_id)
    figures = settings if isinstance(settings, FigureSettings) else figure_settings(db, settings)
    return PanelInputs(
        referrals=referrals, period=period, as_of=as_of or period.end,
        demand_unit_ids=None if units is None else tuple(units), contract_ids=contracts,
        sees_case_ids=scope.sees_case_ids, suppression_threshold=figures.suppression_threshold,
        minimum_rate_denominator=figures.minimum_rate_denominator, ds1_bound=figures.ds1_bound,
        forecast_period_days=figures.forecast_period_days, ds1_in_force=pdu_in_force(db, filters.pdu_number),
        distance_scale=figures.distance_scale,
        spc_rule_set=figures.spc_rule_set, spc_run_length=figures.spc_run_length, spc_rebases=spc_rebases(db),
        contracts_note=contracts_note, provider_id=provider_id, view_label=view_label(scope, filters),
        partitions=partitions_for(db, scope, filters),
    )


def view_label(scope: AccessScope, filters: ReferralFilters) -> str:
    """The whole view in words, the comparator of Compare areas: Greater Manchester for an
    unfiltered commissioner, the provider's own contract for a provider (issue 17)."""
    if scope.role == "provider":
        return "the provider's whole contract"
    return "the whole view (as filtered)" if filters.describe() else "Greater Manchester"


# --------------------------------------------------------------------------------------------
# Shared helpers
# --------------------------------------------------------------------------------------------


def count_text(n, threshold: int) -> str:
    """A count of people as shown: ``[c]`` for 1 to ``threshold − 1``, else with separators."""
    return SUPPRESSED if 1 <= int(n) < threshold else f"{int(n):,}"


def pct(value: float | None, digits: int = 1) -> str:
    """A percentage for a title or table; "no data" (never 0) when it cannot be computed."""
    return NO_DATA if value is None or (isinstance(value, float) and np.isnan(value)) else f"{value:.{digits}f}%"


def plural(n: int, word: str, words: str | None = None) -> str:
    """``n`` and the word in the right number: "1 action", "2 actions", "3 successes"."""
    return f"{n:,} {word if n == 1 else (words or word + 's')}"


def month_range(start: dt.date, end: dt.date) -> str:
    """"September 2023 to March 2024"; a range within one month is that month: "September 2023"."""
    if (start.year, start.month) == (end.year, end.month):
        return f"{start:%B %Y}"
    return f"{start:%B %Y} to {end:%B %Y}"


def symbols_note(data: pd.DataFrame, threshold: int, minimum_denominator: int) -> tuple[str, ...]:
    """The sentence under a table of KPI counts and rates that holds ``[c]`` or ``[low]``: every
    suppressed table says so, with its symbols explained (DOMAIN.md "Suppression"; issue 14)."""
    cells = set(data.astype(str).to_numpy().ravel()) if not data.empty else set()
    if not cells & {SUPPRESSED, WITHHELD_RATE}:
        return ()
    return (f"{SUPPRESSED}: a count of 1 to {threshold - 1} people is not shown, nor a count whose denominator "
            f"less it is 1 to {threshold - 1}; {WITHHELD_RATE}: a rate not shown because its denominator is under "
            f"{minimum_denominator} or it would give such a count back.",)


def suppressed_column(counts: pd.Series, threshold: int, what: str = "people") -> tuple[pd.Series, pd.Series, str | None]:
    """Display strings and plottable numbers (NaN where hidden) for one column of counts.

    The total is published alongside, so secondary suppression protects it (DOMAIN.md).
    """
    if counts.empty:
        return counts.astype(str), counts.astype(float), None
    frame = pd.DataFrame({"n": counts.astype("int64").to_numpy()}, index=range(len(counts)))
    result = suppress_counts(frame, threshold=threshold, add_totals=True, what=what)
    shown = result.table["n"].iloc[:-1]
    hidden = result.suppressed["n"].iloc[:-1].to_numpy()
    numbers = counts.astype(float).where(~hidden)
    shown.index = counts.index
    numbers.index = counts.index
    return shown, numbers, result.note


def _contract_year_window(period: periods.Period) -> tuple[dt.date, dt.date]:
    """The contract year to date ending with the period (or the period itself if longer)."""
    year = periods.contract_year(period.end, SERVICE_START)
    start = min(year.start, period.start)
    return start, period.end


def _month_starts(start: dt.date, end: dt.date) -> list[dt.date]:
    months, current = [], start.replace(day=1)
    while current <= end:
        months.append(current)
        current = (current + dt.timedelta(days=32)).replace(day=1)
    return months


def _to_date(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values).dt.date


# --------------------------------------------------------------------------------------------
# Forecast band (Decision 1)
# --------------------------------------------------------------------------------------------

UNIT_WORDS = {"borough": ("borough", "boroughs"), "pdu": ("PDU", "PDUs"), "hub": ("hub", "hubs")}


def _unit_names(db: Db) -> pd.DataFrame:
    stmt = (
        select(DemandUnit.id.label("demand_unit_id"), DemandUnit.name.label("demand_unit"),
               Borough.name.label("borough"), Pdu.name.label("pdu"))
        .join(Borough, Borough.id == DemandUnit.borough_id)
        .join(Pdu, Pdu.number == DemandUnit.pdu_number)
    )
    return _rows(db, stmt)


def _forecasts(db: Db, demand_unit_ids: Sequence[int] | None) -> pd.DataFrame:
    """Latest published band per demand unit, restated per 365 days (each row's own period)."""
    latest = select(Forecast.demand_unit_id, func.max(Forecast.base_date).label("d")).group_by(
        Forecast.demand_unit_id).subquery()
    stmt = select(Forecast.demand_unit_id, Forecast.predicted_low, Forecast.predicted_high,
                  Forecast.period_days).join(
        latest, and_(latest.c.demand_unit_id == Forecast.demand_unit_id, latest.c.d == Forecast.base_date))
    frame = _rows(db, stmt)
    if demand_unit_ids is not None:
        frame = frame[frame["demand_unit_id"].isin(list(demand_unit_ids))]
    scale = 365.0 / frame["period_days"].astype(float)
    return frame.assign(predicted_low=frame["predicted_low"] * scale, predicted_high=frame["predicted_high"] * scale)


def forecast_note(period_days: int) -> str:
    return (f"Assumption (Decision 1): the published 40–60% forecast (GMIRS spec §1.12, people in the "
            f"community on 16/01/2023) has no stated period; it is taken as covering {period_days} days and "
            "pro-rated by calendar days to the period shown. An admin can change this.")


def _received_between(inp: PanelInputs, start: dt.date, end: dt.date, *keys) -> Select:
    c = Referral.__table__.c
    return (inp.referrals.with_only_columns(*keys, func.count().label("referrals"))
            .where(c.received_on.between(start, end)).group_by(*keys))


def _pdu_counts(db: Db, inp: PanelInputs) -> pd.DataFrame:
    """Referrals received in the period per PDU in force on each referral's date, placed by
    borough (and demand unit where the borough is split): DOMAIN.md Decision 8."""
    c = Referral.__table__.c
    placed = pdu_placement(inp.referrals.where(c.received_on.between(inp.start, inp.end))).subquery()
    return _rows(db, select(Pdu.name.label("pdu"), func.count().label("referrals"))
                 .join_from(placed, Pdu, Pdu.number == placed.c.pdu_number).group_by(Pdu.name))


def _pdu_forecasts(db: Db, inp: PanelInputs) -> pd.DataFrame:
    """Each PDU in force during the period: the published band of the demand units it takes,
    times the share of the period it is in force (a PDU replaced mid-period expects only its
    part, and its successor the rest), so the later pro-rating to the period stays right."""
    areas = _rows(db, select(Pdu.name.label("pdu"), Pdu.in_force_from, Pdu.in_force_to,
                             DemandUnit.id.label("demand_unit_id"))
                  .select_from(PduArea)
                  .join(Pdu, Pdu.number == PduArea.pdu_number)
                  .join(DemandUnit, area_covers(PduArea, DemandUnit.borough_id, DemandUnit.id)))
    days = (inp.end - inp.start).days + 1
    first = areas["in_force_from"].map(lambda d: inp.start if d is None or pd.isna(d) else max(d, inp.start))
    after = areas["in_force_to"].map(lambda d: inp.end + dt.timedelta(days=1) if d is None or pd.isna(d)
                                     else min(d, inp.end + dt.timedelta(days=1)))
    areas["share"] = [max((b - a).days, 0) / days for a, b in zip(first, after)]
    merged = _forecasts(db, inp.demand_unit_ids).merge(areas[areas["share"] > 0], on="demand_unit_id")
    for column in ("predicted_low", "predicted_high"):
        merged[column] = merged[column] * merged["share"]
    return merged.groupby("pdu", as_index=False)[["predicted_low", "predicted_high"]].sum()


def pdu_sets_note(change: dt.date | None) -> str:
    """Which PDUs a view uses, and the date of Greater Manchester's change (a setting)."""
    if change is None:
        return "PDUs: HMPPS Target Operating Model Annex C (2021)."
    def day(d: dt.date) -> str:
        return f"{d.day} {d:%B %Y}"

    default = (f"the day HMPPS's probation estate service moved its teams to the new PDUs, "
               f"{day(DEFAULT_GM_PDU_CHANGE_DATE)}")
    assumed = (f" (the default: {default})" if change == DEFAULT_GM_PDU_CHANGE_DATE else
               f" (set by an admin; the default is {default})")
    return (f"PDUs are those in force on each referral's date (Decision 8): Annex C's nine Greater Manchester "
            f"PDUs until {day(change - dt.timedelta(days=1))}, the eight in use now from {day(change)} (two "
            f"merged PDUs replace three). No public source states the day that change took effect: "
            f"it is the setting DASHBOARD_GM_PDU_CHANGE_DATE{assumed}.")


def band_table(db: Db, inp: PanelInputs, by: str = "borough") -> pd.DataFrame:
    """Referrals received per borough / PDU / hub against the pro-rated 40–60% band."""
    c = Referral.__table__.c
    if by == "hub":
        counts = _rows(db, _received_between(inp, inp.start, inp.end, c.hub_id)).dropna().astype({"hub_id": "int64"})
        names = _rows(db, select(Hub.id.label("hub_id"), Hub.name.label("hub")))
        counts = names.merge(counts, on="hub_id", how="inner")[["hub", "referrals"]]
        table = counts.assign(expected_low=np.nan, expected_high=np.nan, band="no forecast")
    else:
        names = _unit_names(db)
        if by == "borough":  # a referral's borough is recorded even where its demand unit is not
            counts = _rows(db, _received_between(inp, inp.start, inp.end, c.borough_id)).dropna()
            boroughs = _rows(db, select(Borough.id.label("borough_id"), Borough.name.label("borough")))
            counts = counts.astype({"borough_id": "int64"}).merge(boroughs, on="borough_id")[["borough", "referrals"]]
        else:
            counts = _pdu_counts(db, inp)
        if by == "pdu":
            forecasts = _pdu_forecasts(db, inp)
        else:
            forecasts = _forecasts(db, inp.demand_unit_ids).merge(names, on="demand_unit_id")
            forecasts = forecasts.groupby(by, as_index=False)[["predicted_low", "predicted_high"]].sum()
        table = breakdowns.referrals_against_forecast(counts, forecasts, by=by, start=inp.start, end=inp.end,
                                                      period_days=365)
    table = table.sort_values(by).reset_index(drop=True)
    table["status"] = table["band"].map(BAND_LABELS)
    return table[[by, "referrals", "expected_low", "expected_high", "band", "status"]]


def forecast_bands(db: Db, inp: PanelInputs, by: str = "borough") -> Panel:
    table = band_table(db, inp, by)
    one, many = UNIT_WORDS[by]
    shown, numbers, note = suppressed_column(table["referrals"], inp.suppression_threshold, "referrals")
    data = table.assign(referrals=numbers, referrals_shown=shown).round({"expected_low": 1, "expected_high": 1})
    if by == "hub":
        top = table.sort_values("referrals", ascending=False).head(1)
        title = ("No referrals at any hub in this period" if top.empty or top["referrals"].iloc[0] == 0 else
                 f"{top['hub'].iloc[0]} received the most referrals of {plural(len(table), 'hub')}")
        notes = ("Hubs have no published forecast (GMIRS spec §1.12 gives demand by borough), so no band is shown.",)
    else:
        counted = table[table["band"] != "no forecast"]
        below = counted.loc[counted["band"] == "below", by].tolist()
        above = counted.loc[counted["band"] == "above", by].tolist()
        if counted.empty:
            title = f"No forecast covers the {many} in this view"
        elif not below and not above:
            title = f"All {plural(len(counted), one, many)} are within their forecast band"
        else:
            parts = []
            if below:
                parts.append(f"{len(below)} of {len(counted)} {many} below their forecast band ({', '.join(below)})")
            if above:
                parts.append(f"{len(above)} above ({', '.join(above)})")
            title = "; ".join(parts)
        notes = (forecast_note(inp.forecast_period_days),)
    chart = ChartSpec("column", pd.DataFrame({by: data[by], "Referrals": data["referrals"].astype(float),
                                              "Expected (low)": data["expected_low"].astype(float),
                                              "Expected (high)": data["expected_high"].astype(float)}),
                      by, ("Referrals", "Expected (low)", "Expected (high)"), "#,##0", "referrals")
    notes += (pdu_sets_note(gm_pdu_change_date(db)),)
    return Panel(title, data, "referrals received in the period", notes + ((note,) if note else ()),
                 {"by": by, "table": table}, chart)


def monthly_against_expectation(db: Db, inp: PanelInputs) -> Panel:
    """Monthly and cumulative referrals, contract year to date, against the pro-rated band."""
    c = Referral.__table__.c
    start, end = _contract_year_window(inp.period)
    days = _rows(db, _received_between(inp, start, end, c.received_on))
    months = _month_starts(start, end)
    forecasts = _forecasts(db, inp.demand_unit_ids)
    annual_low, annual_high = float(forecasts["predicted_low"].sum()), float(forecasts["predicted_high"].sum())
    rows = []
    month_keys = pd.to_datetime(days["received_on"]).dt.to_period("M") if len(days) else pd.Series([], dtype=object)
    for month in months:
        month_end = min((month + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1), end)
        first = max(month, start)
        count = int(days.loc[month_keys == pd.Period(month, "M"), "referrals"].sum()) if len(days) else 0
        # The days of the month the view's PDU is in force (all of them for other views); the
        # bands are per 365 days here (``_forecasts`` restates each row from its own period).
        in_force = ds1_days(first, month_end, inp.ds1_in_force)
        share = ((in_force[1] - in_force[0]).days + 1) / 365.0 if in_force else 0.0
        rows.append({"month": month, "referrals": count, "expected_low": annual_low * share,
                     "expected_high": annual_high * share})
    data = pd.DataFrame(rows)
    if data.empty or annual_low == 0:
        return Panel("No forecast covers this view", data.iloc[0:0], "referrals", (forecast_note(inp.forecast_period_days),))
    for column in ("referrals", "expected_low", "expected_high"):
        data[f"cumulative_{column}"] = data[column].cumsum()
    last = data.iloc[-1]
    total, low, high = int(last["cumulative_referrals"]), last["cumulative_expected_low"], last["cumulative_expected_high"]
    band = "below" if total < low else "above" if total > high else "within"
    total_text = SUPPRESSED if 1 <= total < inp.suppression_threshold else f"{total:,}"
    title = (f"{month_range(start, end)}: {total_text} referrals against {low:,.0f}–{high:,.0f} expected "
             f"({BAND_LABELS[band]})")
    data = data.round(1)
    # A month's referrals are people: 1 to threshold − 1 are [c], and a cumulative count less
    # the month before gives the month, so the running totals are suppressed with the months as
    # linked figures (cumulative = previous cumulative + month; DOMAIN.md "Suppression"). The
    # year's total stays as the title gives it.
    months_n = len(data)
    counts = [*data["referrals"].astype(float), *data["cumulative_referrals"].astype(float)]
    equations = [{months_n + i: 1.0, i: -1.0, **({months_n + i - 1: -1.0} if i else {})} for i in range(months_n)]
    # The referrals between any two months' running totals (never shown) are protected too.
    for i in range(months_n):
        for j in range(i + 2, months_n):
            equations.append({months_n + j: 1.0, months_n + i: -1.0, len(counts): -1.0})
            counts.append(counts[months_n + j] - counts[months_n + i])
    fixed = [False] * len(counts)
    fixed[2 * months_n - 1] = True
    unshown = [k >= 2 * months_n for k in range(len(counts))]
    hidden = suppress_linked(counts, equations, threshold=inp.suppression_threshold, fixed=fixed, unshown=unshown)
    notes = (forecast_note(inp.forecast_period_days),
             "The band is summed over the forecast units in this view; a partial last month is pro-rated to the "
             "period's end.")
    for k, column in enumerate(("referrals", "cumulative_referrals")):
        mask = hidden[k * months_n:(k + 1) * months_n]
        data[f"{column}_shown"] = np.where(mask, SUPPRESSED, data[column].astype(int).map("{:,}".format))
        data[column] = data[column].astype(float).where(~mask)
    if hidden.any():
        notes += (f"{SUPPRESSED}: a month's count of 1 to {inp.suppression_threshold - 1} referrals is not shown, "
                  "with running totals hidden where the month before would give it back.",)
    return Panel(title, data, "referrals (monthly and cumulative)", notes, {"band": band})


def referral_sources(db: Db, inp: PanelInputs) -> Panel:
    c = Referral.__table__.c
    counts = _rows(db, _received_between(inp, inp.start, inp.end, c.referral_source))
    counts["referral_source"] = counts["referral_source"].fillna("Not recorded")
    counts = counts.sort_values("referrals", ascending=False).reset_index(drop=True)
    shown, numbers, note = suppressed_column(counts["referrals"], inp.suppression_threshold, "referrals")
    total = int(counts["referrals"].sum())
    data = counts.assign(referrals=numbers, referrals_shown=shown)
    data["share"] = (100.0 * data["referrals"] / total).round(1) if total else np.nan
    # The title rests only on shown figures (DOMAIN.md "Suppression"): the total as the table's
    # total is shown, and the leading source's share only where it gives back no count of 1-4
    # (share x total would give the source's count, and total less it the others').
    top = int(counts["referrals"].iloc[0]) if total else 0
    top_share = displayable_rate(top, total, minimum_denominator=inp.minimum_rate_denominator,
                                 threshold=inp.suppression_threshold, protect_numerator=True) if total else None
    total_text = SUPPRESSED if 1 <= total < inp.suppression_threshold else f"{total:,}"
    data.loc[data["referrals_shown"] == SUPPRESSED, "share"] = np.nan  # no share beside a hidden count
    title = "No referrals in this period" if not total else (
        f"{counts['referral_source'].iloc[0]} made {pct(top_share, 0)} of {total_text} referrals" if top_share is not None
        else f"{total_text} referrals in this period (shares of small numbers not shown)")
    return Panel(title, data, "referrals received in the period", (note,) if note else ())


# --------------------------------------------------------------------------------------------
# Complexity (spec §2.4: 23 / 56 / 21)
# --------------------------------------------------------------------------------------------


def _mix_sentence(mix: breakdowns.ComplexityMix) -> str:
    if mix.p_value is None:
        return "too few referrals to test against 23/56/21"
    verdict = "differs from" if mix.more_than_chance else "is not different from"
    return f"{verdict} 23/56/21 beyond chance (χ² = {mix.chi_square:.1f}, p = {mix.p_value:.3f})"


def complexity_mix(db: Db, inp: PanelInputs) -> Panel:
    c = Referral.__table__.c
    counts = _rows(db, _received_between(inp, inp.start, inp.end, c.complexity))
    mix = breakdowns.complexity_mix(dict(zip(counts["complexity"].fillna("not recorded"), counts["referrals"])))
    table = mix.table.assign(complexity=mix.table["complexity"].map(COMPLEXITY_LABELS))
    table["share"] = (100 * table["share"]).round(1)
    table["expected_share"] = (100 * table["expected_share"]).round(1)
    table["expected"] = table["expected"].round(1)
    shown, numbers, note = suppressed_column(table["observed"], inp.suppression_threshold, "referrals")
    # No share beside a hidden count: share × the total would give it back (DOMAIN.md).
    table = table.assign(observed=numbers, observed_shown=shown, share=table["share"].where(numbers.notna()))
    if mix.n == 0:
        return Panel("No referrals with a recorded complexity in this period", table.iloc[0:0], "% of referrals")
    observed = " / ".join(f"{COMPLEXITY_LABELS[k]} {100 * v:.0f}%" for k, v, hidden in
                          zip(mix.table["complexity"], mix.table["share"], numbers.isna()) if not hidden)
    title = f"Complexity mix {observed}: {_mix_sentence(mix)}"
    chart = ChartSpec("column", pd.DataFrame({"Complexity": table["complexity"], "Share (%)": table["share"].astype(float),
                                              "Reference share (%)": table["expected_share"].astype(float)}),
                      "Complexity", ("Share (%)", "Reference share (%)"), "0.0", "%")
    return Panel(title, table, "% of referrals with complexity recorded",
                 tuple(n for n in (mix.note, note) if n), {"p_value": mix.p_value, "chi_square": mix.chi_square}, chart)


def complexity_over_time(db: Db, inp: PanelInputs) -> Panel:
    c = Referral.__table__.c
    start, end = _contract_year_window(inp.period)
    counts = _rows(db, _received_between(inp, start, end, c.received_on, c.complexity)).dropna(subset=["complexity"])
    if counts.empty:
        return Panel("No referrals with a recorded complexity in this period", counts, "% of referrals")
    counts["month"] = pd.to_datetime(counts["received_on"]).dt.to_period("M").dt.start_time.dt.date
    table = counts.pivot_table(index="month", columns="complexity", values="referrals", aggfunc="sum", fill_value=0)
    table = table.reindex(columns=list(COMPLEXITY_REFERENCE), fill_value=0)
    # Months × complexity with their totals, suppressed as any table of people (primary and
    # secondary); a share is shown only beside its shown count and its month's shown total
    # (share × total gives the count; DOMAIN.md "Suppression", issue 14).
    result = suppress_counts(table, threshold=inp.suppression_threshold, what="referrals")
    hidden = result.suppressed.iloc[:-1]
    hidden_cells = hidden[list(table.columns)].to_numpy() | hidden[["Total"]].to_numpy()
    # A month with any hidden count shows no non-zero share: a shown count ÷ its share gives the
    # month's total, and that less the shown counts gives the hidden ones together.
    row_hidden = hidden_cells.any(axis=1, keepdims=True) & (table.to_numpy() > 0)
    shares = (100 * table.div(table.sum(axis=1), axis=0)).round(1).where(~(hidden_cells | row_hidden))
    shown_counts = result.table.iloc[:-1][list(table.columns)]
    data = shares.rename(columns=COMPLEXITY_LABELS).reset_index().melt(id_vars="month", var_name="complexity",
                                                                       value_name="share")
    data = data.merge(table.where(~hidden_cells).rename(columns=COMPLEXITY_LABELS).reset_index().melt(
        id_vars="month", var_name="complexity", value_name="referrals"), on=["month", "complexity"])
    data = data.merge(shown_counts.rename(columns=COMPLEXITY_LABELS).reset_index().melt(
        id_vars="month", var_name="complexity", value_name="referrals_shown"), on=["month", "complexity"])
    high = shares["HIGH"].dropna()
    title = (f"High complexity ranged from {high.min():.0f}% to {high.max():.0f}% of referrals a month "
             f"({start:%b %Y}–{end:%b %Y}; reference 21%)" if len(high) else
             f"Too few referrals a month to show the complexity mix ({start:%b %Y}–{end:%b %Y})")
    notes = ("Reference mix: Low 23%, Medium 56%, High 21% (GMIRS spec §2.4). Referrals with complexity not recorded "
             "are left out.",)
    if result.note:
        notes += (result.note + " A share of a hidden count, or of a month whose total is hidden, is not shown.",)
    return Panel(title, data, "% of the month's referrals", notes)


def complexity_by_borough(db: Db, inp: PanelInputs) -> Panel:
    """Each borough's mix against 23/56/21. Shares of a count of 1–4 referrals (or one a row's
    total would give back) are not shown: the counts are suppressed as one table first."""
    c = Referral.__table__.c
    counts = _rows(db, _received_between(inp, inp.start, inp.end, c.borough_id, c.complexity))
    counts = counts.dropna(subset=["borough_id"]).astype({"borough_id": "int64"})
    names = _rows(db, select(Borough.id.label("borough_id"), Borough.name.label("borough")))
    counts = counts.merge(names, on="borough_id")
    levels = [COMPLEXITY_LABELS[k] for k in COMPLEXITY_REFERENCE]
    recorded = counts.dropna(subset=["complexity"])
    wide = (recorded.pivot_table(index="borough", columns="complexity", values="referrals", aggfunc="sum", fill_value=0)
            .reindex(columns=list(COMPLEXITY_REFERENCE), fill_value=0).rename(columns=COMPLEXITY_LABELS)
            if len(recorded) else pd.DataFrame(columns=levels))
    hidden = (suppress_counts(wide.astype("int64"), threshold=inp.suppression_threshold, what="referrals")
              if len(wide) else None)
    rows, differ = [], []
    for borough, group in counts.groupby("borough"):
        mix = breakdowns.complexity_mix(dict(zip(group["complexity"].fillna("not recorded"), group["referrals"])))
        shares = dict(zip(mix.table["complexity"], mix.table["share"]))
        suppressed_total = hidden is not None and borough in hidden.suppressed.index and bool(
            hidden.suppressed.loc[borough, "Total"])
        row = {"borough": borough, "referrals": SUPPRESSED if suppressed_total else mix.n}
        for key, share in shares.items():
            label = COMPLEXITY_LABELS[key]
            cell_hidden = hidden is not None and borough in hidden.suppressed.index and bool(
                hidden.suppressed.loc[borough, label])
            row[label] = None if cell_hidden or suppressed_total else round(100 * share, 1)
        rows.append({**row,
                     "chi_square": None if mix.chi_square is None else round(mix.chi_square, 2),
                     "p_value": None if mix.p_value is None else round(mix.p_value, 4),
                     "differs": {True: "differs", False: "no difference", None: "too few to test"}[mix.more_than_chance]})
        if mix.more_than_chance:
            differ.append(borough)
    data = pd.DataFrame(rows)
    if data.empty:
        return Panel("No referrals with a recorded complexity in this period", data, "% of referrals")
    title = (f"{len(differ)} of {len(data)} boroughs {'differs' if len(differ) == 1 else 'differ'} from the 23/56/21 mix beyond chance"
             + (f" ({', '.join(differ)})" if differ else ""))
    notes = ["Pearson chi-square goodness-of-fit against 23/56/21 per borough (2 degrees of freedom, 5% level); "
             "not tested where any expected count is under 5."]
    if hidden is not None and hidden.note:
        notes.append(hidden.note + " A share of a hidden count is not shown.")
    return Panel(title, data, "% of each borough's referrals", tuple(notes))


# --------------------------------------------------------------------------------------------
# KPIs: scorecard, tiles, SPC, cases at risk
# --------------------------------------------------------------------------------------------


def period_scorecard(db: Db, inp: PanelInputs, *, include_case_ids: bool = False,
                     codes: Sequence[str] | None = None) -> Scorecard:
    card = scorecard(db, inp.referrals, start=inp.start, end=inp.end, as_of=inp.as_of,
                     demand_unit_ids=inp.demand_unit_ids, ds1_bound=inp.ds1_bound,
                     forecast_period_days=inp.forecast_period_days, in_force=inp.ds1_in_force,
                     include_case_ids=include_case_ids and inp.sees_case_ids, codes=codes)
    return mark_hidden_across_views(db, card, inp.partitions, inp.period, card.as_of or inp.as_of,
                                    inp.suppression_threshold)


def mark_hidden_across_views(db: Db, card: Scorecard, partitions_: tuple[Partition, ...], period: periods.Period,
                             as_of: dt.date | None, threshold: int) -> Scorecard:
    """Mark each measure whose numerator or denominator the view's grids hide (``metrics.
    partitions``: a borough with Greater Manchester and the other boroughs, a month with its
    quarter and year), for :func:`shown_kpi` (pages, packs and ``python -m metrics scorecard
    --suppress`` alike)."""
    if not partitions_:
        return card
    hidden = hidden_across_views(db, partitions_, period, as_of, threshold)
    for result in card.kpis:
        if result.code in hidden:
            result.extra["hidden_across_views"] = hidden[result.code]
    return card


def hidden_across_views(db: Db, partitions_: tuple[Partition, ...], period: periods.Period, as_of: dt.date | None,
                        threshold: int) -> dict[str, tuple[bool, bool]]:
    """``{code: (numerator hidden, denominator hidden)}`` for a view's period. A month, quarter or
    contract year is a column of its grids (``metrics.partitions.hidden_for_period``). A custom
    period is whole months (``periods.custom`` refuses anything else), so its figure is the sum of
    its months' figures: it is hidden wherever any of its months' is (a numerator, or a
    denominator). With every month shown, the sum adds nothing a reader could not add up from the
    months themselves; with one hidden, the sum is hidden too, so custom periods set against each
    other or against the months can give no hidden month back (docs/DISCLOSURE.md "Custom
    periods")."""
    if period.kind != "custom" or column_of(period) is not None:
        return hidden_for_period(db, partitions_, period, as_of, threshold)
    out: dict[str, tuple[bool, bool]] = {}
    for one in periods.periods_between(period.start, period.end, "month"):
        for code, (num, den) in hidden_for_period(db, partitions_, one, as_of, threshold).items():
            was = out.get(code, (False, False))
            out[code] = (was[0] or num, was[1] or den)
    return out


def _value_text(result: KpiResult) -> str:
    if result.extra.get("needs"):  # issue 17 finding 2: not measurable from the data loaded
        return f"{NO_DATA}: needs {result.extra['needs']}"
    return pct(result.value)


def _status_text(status: str) -> str:
    return f"{STATUS_SYMBOLS.get(status, '')} {status}".strip()


def scorecard_panel(db: Db, inp: PanelInputs) -> Panel:
    """The scorecard with each KPI's definition and source, and (for roles that may see case
    references) the measures whose cases :func:`kpi_cases` can list."""
    card = period_scorecard(db, inp)
    rows = []
    figures_ = figures(db, inp)

    def count(n) -> str:  # a count of people beside others: 1 to threshold − 1 hidden
        return count_text(n, figures_.suppression_threshold)

    def text(v) -> str:  # shown_kpi's numbers as text with separators ("[c]" stays)
        return v if isinstance(v, str) else f"{v:,.1f}" if isinstance(v, float) and not float(v).is_integer() else f"{int(v):,}"

    for r in card.kpis:
        entry = kpi(r.code)
        shown = shown_kpi(r, figures_)  # as the tiles and packs show it
        rows.append({
            "code": r.code, "measure": r.title,
            "value": WITHHELD_RATE if shown["value"] == WITHHELD_RATE else _value_text(r),
            "target": pct(r.target, 0) if r.target is not None else "no target",
            "status": _status_text(r.status) if shown["value"] != WITHHELD_RATE else shown["status"],
            "numerator": text(shown["numerator"]), "denominator": text(shown["denominator"]),
            # Only DS2 has a mitigation rule; for the others the column says so rather than "None".
            "mitigated": NOT_APPLICABLE if r.mitigated is None else count(r.mitigated),
            "excluded": count(r.excluded), "not_yet_due": count(r.not_yet_due),
            "definition": r.definition, "source": entry.source,
        })
    drill = tuple(r.code for r in card.kpis if r.code in CASE_LEVEL_CODES) if inp.sees_case_ids else ()
    data = pd.DataFrame(rows)
    below = [r.code for r in card.kpis if r.status in ("below target", "below trigger")]
    nodata = [r.code for r in card.kpis if r.status == "no data"]
    measured = len(card.kpis) - len(nodata)
    title = (f"{len(below)} of {measured} measures below target: {', '.join(below)}" if below
             else f"All {measured} measures with data meet their target")
    if nodata:
        title += f" ({len(nodata)} with no data)"
    notes = ("Status: ✔ met; ▼ below target; ▼▼ below trigger (SL002 80%); – no data (no cases due).",
             "A number that cannot be computed shows 'no data', never 0.") + tuple(card.assumptions)
    notes += symbols_note(data, figures_.suppression_threshold, figures_.minimum_rate_denominator)
    return Panel(title, data, "% of cases meeting each measure", notes, {"drill_codes": drill, "scorecard": card})


def kpi_cases(db: Db, inp: PanelInputs, *, code: str) -> Panel:
    """The referrals behind one measure's number, and how each was counted (met, not met, or
    left out by a rule). Only for roles that may see referral references; computed on demand,
    as listing cases needs the live per-referral query rather than the stored daily counts."""
    notes = ("Referral references only: no names or other personal details.",
             "The list is the referrals themselves, so its counts are not suppressed: the title counts its rows "
             "(docs/DISCLOSURE.md, case lists).")
    empty = pd.DataFrame(columns=["referral_ref", "counted_as"])
    result = period_scorecard(db, inp, include_case_ids=True, codes=[code]).kpi(code) if inp.sees_case_ids else None
    if result is None or result.case_ids is None:
        return Panel(f"{code}: no cases to list", empty, "referrals", notes)
    met = set(result.numerator_case_ids or ())
    frame = pd.DataFrame({"referral_ref": list(result.case_ids)})
    frame["counted_as"] = np.where(frame["referral_ref"].isin(met), "met", "not met")
    excluded = pd.DataFrame({"referral_ref": list(result.excluded_case_ids or ()), "counted_as": "left out (rule)"})
    cases = pd.concat([frame, excluded], ignore_index=True)
    # Exempt from suppression (decision, docs/DISCLOSURE.md "Case lists"): only roles that may see
    # referral references get here, and they see every row; the title counts those rows.
    # (Counted on the rows: a referral listed more than once, for a measure of events, is counted
    # as often as it is listed, as the cohort is; the set of references met is not.)
    met_rows = int((frame["counted_as"] == "met").sum())
    return Panel(f"{code}: {len(frame):,} referrals in the cohort, {met_rows:,} met", cases, "referrals", notes)


#: Months an SPC chart covers, the period's last month included (one definition for page and pack).
SPC_MONTHS = 24


def spc_window_start(end: dt.date, months: int = SPC_MONTHS) -> dt.date:
    """First day of the SPC window: ``months`` calendar months ending with ``end``'s month, and
    never before the service started. (Stepping back 31 days a month, as the page once did,
    reaches one month too far when the window spans short months: 25 points, not 24.)"""
    index = end.year * 12 + end.month - 1 - (months - 1)
    return max(SERVICE_START.replace(day=1), dt.date(index // 12, index % 12 + 1, 1))


def rule_set_note(rule_set: str, run_length: int) -> str:
    """The rules a chart follows, in words (DOMAIN.md Decision 11: named under every chart)."""
    return (f"Rules: {spc.RULE_SETS[rule_set]}; shifts and trends of {run_length} points in a row. "
            "An administrator sets both (Admin, figure settings).")


def _rule_labels(run_length: int) -> dict[str, str]:
    return {**RULE_LABELS, "shift": f"run of {run_length} on one side of the mean",
            "trend": f"{run_length} rising or falling"}


def _rebases_for(inp: PanelInputs, code: str) -> tuple[Rebase, ...]:
    return tuple(r for r in inp.spc_rebases if r.code in (None, code))


def spc_charts(db: Db, inp: PanelInputs, *, months: int = SPC_MONTHS) -> dict[str, Panel]:
    """An XmR chart per monthly case measure, up to the period's end, with the rule that fired."""
    start = spc_window_start(inp.end, months)
    series = monthly_series(db, inp.referrals, start=start, end=inp.end, as_of=inp.as_of)
    hidden = hidden_months(db, inp.partitions, start, inp.end, inp.as_of, inp.suppression_threshold)
    return spc_charts_from(series, inp, months=months, hidden=hidden)


SPC_SUPPRESSED_NOTE = ("Months not charted (small numbers): {months}. A month is left out when its cases met or not "
                       "met are 1 to {top}, its cases are fewer than {minimum}, or its figure is hidden on that "
                       "month's scorecard to protect another view's; the mean and process limits are computed from "
                       "the months shown only, and no point shows its counts.")


def spc_month_shown(numerator: float, denominator: float, threshold: int, minimum_denominator: int) -> bool:
    """Whether a month's rate may be an SPC point (docs/DISCLOSURE.md, SPC charts): its rate may
    be shown beside its denominator, published on that month's scorecard (no count or complement
    of 1 to threshold − 1, at least ``minimum_denominator`` cases)."""
    return displayable_rate(int(numerator), int(denominator), minimum_denominator=minimum_denominator,
                            threshold=threshold, protect_numerator=True) is not None


def spc_charts_from(series: dict[str, pd.DataFrame], inp: PanelInputs, *, months: int = SPC_MONTHS,
                    hidden: dict[str, set] | None = None) -> dict[str, Panel]:
    """:func:`spc_charts` from monthly series already fetched (``metrics.queries.monthly_series``).

    Each panel's ``data`` has the limits as displayed (``lower``/``upper``: a percentage's limits
    within 0–100) beside the computed ones (``lower_computed``/``upper_computed``; every signal
    uses these); ``extra`` names the Making Data Count icons, the rule set and run length, and
    the rebases drawn on the chart (``rebases``: month, date recorded, reason), for pages and packs.
    """
    rules = rule_set_note(inp.spc_rule_set, inp.spc_run_length)
    base = {"rule_set": inp.spc_rule_set, "run_length": inp.spc_run_length, "rebases": (),
            "variation_icon": "no_data", "assurance_icon": "none", "assurance": ASSURANCE_LABELS[None],
            "provisional": False, "target": None}
    charts: dict[str, Panel] = {}
    for code, frame in series.items():
        entry = kpi(code)
        # A month after the as-of date can have cases but no value yet (nothing is known about
        # it): not a point on the chart (a part-period pack reached this).
        points = frame[(frame["denominator"] > 0) & frame["value"].notna()].reset_index(drop=True)
        # Disclosure (docs/DISCLOSURE.md, SPC charts): a month whose count or complement is 1-4,
        # whose cases are too few for a rate, or whose figure its scorecard hides (metrics.
        # partitions) is a marked gap; no point carries its counts; the limits use shown months only.
        gone = {pd.Timestamp(m).date() for m in (hidden or {}).get(code, set())}
        keep = np.array([spc_month_shown(n, d, inp.suppression_threshold, inp.minimum_rate_denominator)
                         and pd.Timestamp(m).date() not in gone
                         for m, n, d in zip(points["month"], points["numerator"], points["denominator"])], dtype=bool)
        suppressed_months = tuple(pd.Timestamp(m).date() for m in points.loc[~keep, "month"]) if len(points) else ()
        points = points[keep].drop(columns=["numerator", "denominator"]).reset_index(drop=True)
        gap_note = (SPC_SUPPRESSED_NOTE.format(months=", ".join(f"{m:%b %Y}" for m in suppressed_months),
                                               top=inp.suppression_threshold - 1,
                                               minimum=inp.minimum_rate_denominator),) if suppressed_months else ()
        base_here = {**base, "suppressed_months": suppressed_months}
        if points.empty:
            title = (f"{code}: not charted: every month with cases in the last {months} months has too few to show "
                     "(small numbers)" if suppressed_months else f"{code}: no data in the last {months} months")
            charts[code] = Panel(title, points, "%", (rules, *gap_note),
                                 {**base_here, "variation": SMALL_NUMBERS if suppressed_months else NO_DATA,
                                  "target": entry.target})
            continue
        if len(points) < 2:  # a moving range needs two months: no limits, no verdict
            charts[code] = Panel(f"{code}: only one month that may be shown in the last {months} months, too few to chart"
                                 if suppressed_months else
                                 f"{code}: only one month with cases in the last {months} months, too few to chart",
                                 points.iloc[0:0], "%", (rules, *gap_note), {**base_here, "variation": TOO_FEW_MONTHS,
                                                                             "target": entry.target})
            continue
        months_x = list(points["month"])
        rebases = [r for r in _rebases_for(inp, code) if months_x[0] < r.on <= months_x[-1]]
        chart = spc.xmr(points["value"].to_numpy(), improvement=entry.polarity, target=entry.target, x=months_x,
                        rebase_at=[r.on for r in rebases], rule_set=inp.spc_rule_set,
                        shift_length=inp.spc_run_length, trend_length=inp.spc_run_length)
        records = pd.DataFrame(chart.as_records())
        shown = [spc.displayed_limits(lo, up) for lo, up in zip(records["lower"], records["upper"])]
        clip_notes = [note for note in dict.fromkeys(spc.displayed_limits(seg.lower, seg.upper)[2]
                                                     for seg in chart.segments) if note]
        data = points.assign(
            value=points["value"].round(1), mean=records["mean"].round(1),
            lower=pd.Series([lo for lo, _, _ in shown], dtype=float).round(1),
            upper=pd.Series([up for _, up, _ in shown], dtype=float).round(1),
            lower_computed=pd.to_numeric(records["lower"]).round(1), upper_computed=pd.to_numeric(records["upper"]).round(1),
            signal=records["signal"], rule=records["rule"].map(_rule_labels(inp.spc_run_length)).fillna(""),
            segment=records["segment"])
        marked = tuple({"month": months_x[seg.start], "rebase_on": r.on, "reason": r.reason,
                        "measure": r.code or "all"}
                       for seg in chart.segments[1:] for r in rebases if r.on <= months_x[seg.start]
                       and (seg.start == 0 or months_x[seg.start - 1] < r.on))
        latest = data.iloc[-1]
        variation = VARIATION_LABELS[chart.latest_signal]
        assurance = ASSURANCE_LABELS[chart.assurance]
        variation_icon, assurance_icon = spc.variation_icon(chart), spc.assurance_icon(chart)
        title = (f"{code} {entry.title}: {latest['value']:.1f}% in {latest['month']:%B %Y}; "
                 f"{SHORT_VARIATION[chart.latest_signal]}; {assurance.split(':')[0].lower()}")
        notes = [f"Variation: {spc.VARIATION_ICONS[variation_icon]}. {spc.ASSURANCE_ICONS[assurance_icon]}.",
                 "XmR chart (Making Data Count): mean ± 2.66 × mean moving range; signals marked on the points "
                 "with the rule that fired.", rules]
        notes += clip_notes
        if chart.limits_note:
            notes.append(chart.limits_note + " Nor is there an assurance verdict without limits.")
        for rebase in marked:
            notes.append(f"Rebased from {rebase['month']:%B %Y} ({rebase['measure']}, recorded for "
                         f"{rebase['rebase_on']:%d %B %Y}): {rebase['reason']}")
        if chart.provisional:
            notes.append(f"Limits are provisional: fewer than 13 months of data "
                         f"({chart.segments[-1].stop - chart.segments[-1].start}) since the latest (re)base.")
        notes += gap_note
        charts[code] = Panel(title, data, "% of the month's cases", tuple(notes),
                             {**base_here, "variation": variation, "assurance": assurance, "target": entry.target,
                              "signal": chart.latest_signal, "provisional": chart.provisional,
                              "variation_icon": variation_icon, "assurance_icon": assurance_icon,
                              "limits_note": chart.limits_note, "rebases": marked, "xmr": chart})
    return charts


def _limits_text(latest) -> str:
    """The latest limits as displayed; "none (no variation)" for a chart without limits."""
    if latest is None:
        return NO_DATA
    if pd.isna(latest.get("lower")) or pd.isna(latest.get("upper")):
        return "none (no variation)"
    return f"{latest['lower']:.1f}–{latest['upper']:.1f}"


def spc_summary(charts: dict[str, Panel]) -> Panel:
    """One row per charted measure: its latest month and value, the process mean and limits,
    the Making Data Count variation and assurance, and how many points broke a rule. Built from
    ``spc_charts``' result (no query), so the table and the charts always agree."""
    rows = []
    for code, chart in charts.items():
        data = chart.data
        latest = data.iloc[-1] if not data.empty else None
        rows.append({
            "code": code, "measure": kpi(code).title,
            "latest month": f"{latest['month']:%b %Y}" if latest is not None else "no data",
            "latest %": f"{latest['value']:.1f}" if latest is not None else "no data",
            "mean %": f"{latest['mean']:.1f}" if latest is not None else "no data",
            "process limits %": _limits_text(latest),
            "variation": chart.extra["variation"], "assurance": chart.extra["assurance"],
            "points signalled": int((data["signal"] != "common").sum()) if latest is not None else 0,
            "months charted": len(data),
        })
    frame = pd.DataFrame(rows)
    concerns = [r["code"] for r in rows if r["variation"] == VARIATION_LABELS["concern"]]
    not_assured = [r["code"] for r in rows if r["assurance"] == ASSURANCE_LABELS["fail"]]
    if not rows:
        title = "No measure can be charted for this view"
    elif concerns:
        title = f"Special cause for concern in the latest month: {', '.join(concerns)}"
    else:
        title = f"No measure shows special cause for concern in its latest month ({len(rows)} charted)"
    if not_assured:
        title += f"; consistently missing target: {', '.join(not_assured)}"
    notes = (f"Variation and assurance follow NHS England's Making Data Count: XmR charts over the last {SPC_MONTHS} months "
             "with the period's end as the latest month. Pick a measure below to see its chart.",)
    return Panel(title, frame, "% of the month's cases", notes)


def spc_first_to_show(charts: dict[str, Panel]) -> str | None:
    """The measure whose chart to open first: a latest-month concern, else one missing target
    consistently, else the first with data."""
    with_data = [code for code, chart in charts.items() if not chart.data.empty]
    for wanted in (lambda c: charts[c].extra.get("signal") == "concern",
                   lambda c: charts[c].extra.get("assurance") == ASSURANCE_LABELS["fail"]):
        found = [code for code in with_data if wanted(code)]
        if found:
            return found[0]
    return with_data[0] if with_data else next(iter(charts), None)


NOT_CHARTED = "Not charted (not a monthly case measure)"
SMALL_NUMBERS = "not shown (small numbers)"


def spc_overview(card: Scorecard, charts: dict[str, Panel], figures_: FigureSettings | None = None) -> Panel:
    """Every measure in Making Data Count summary-table form: the period's value and status
    against target, the SPC chart's latest month, and its variation and assurance icons (names
    in ``variation_icon``/``assurance_icon``, their text equivalents beside them), with one
    sentence (``explanation``) wherever status, variation and assurance seem to disagree.

    Built from a scorecard and ``spc_charts`` already computed for the same view (no query), so
    it always agrees with the charts and the scorecard; suppression as :func:`shown_kpi`."""
    figures_ = figures_ or FigureSettings()
    rows = []
    for r in card.kpis:
        chart = charts.get(r.code)
        shown = shown_kpi(r, figures_)
        withheld = shown["value"] == WITHHELD_RATE
        data = chart.data if chart is not None else pd.DataFrame()
        latest = data.iloc[-1] if len(data) else None
        xmr = chart.extra.get("xmr") if chart is not None else None
        if withheld:
            v_icon, a_icon, v_text, a_text = "no_data", "none", SMALL_NUMBERS, SMALL_NUMBERS
        elif chart is None:
            v_icon, a_icon, v_text, a_text = "no_data", "none", NOT_CHARTED, "No assurance (not charted)"
        else:
            v_icon, a_icon = chart.extra.get("variation_icon", "no_data"), chart.extra.get("assurance_icon", "none")
            v_text = spc.VARIATION_ICONS[v_icon] if v_icon != "no_data" else chart.extra["variation"]
            a_text = spc.ASSURANCE_ICONS[a_icon]
        rows.append({
            "code": r.code, "measure": r.title,
            "value": WITHHELD_RATE if withheld else _value_text(r),
            "target": pct(r.target, 0) if r.target is not None else "no target",
            "status": _status_text(shown["status"]),
            "latest month": f"{latest['month']:%b %Y}" if latest is not None else NO_DATA,
            "latest %": NO_DATA if latest is None else WITHHELD_RATE if withheld else f"{latest['value']:.1f}",
            "mean %": NO_DATA if latest is None or withheld else f"{latest['mean']:.1f}",
            "process limits %": NO_DATA if withheld else _limits_text(latest),
            "variation_icon": v_icon, "variation": v_text, "assurance_icon": a_icon, "assurance": a_text,
            "explanation": (None if withheld or xmr is None else spc.explain(r.status, xmr)) or "",
        })
    frame = pd.DataFrame(rows)
    concern = [r["code"] for r in rows if r["variation_icon"].startswith("concern")]
    failing = [r["code"] for r in rows if r["assurance_icon"] == "consistently_fail"]
    explained = [r["code"] for r in rows if r["explanation"]]
    if not rows:
        title = "No measures for this view"
    else:
        title = (f"{len(rows)} measures: "
                 + (f"special cause concern in {', '.join(concern)}" if concern else "no special cause concern")
                 + "; " + (f"consistently failing target: {', '.join(failing)}" if failing
                           else "none consistently failing target"))
        if explained:
            title += f"; status and SPC seem to disagree for {', '.join(explained)} (explained)"
    rule_set = next((c.extra.get("rule_set") for c in charts.values()), figures_.spc_rule_set)
    run_length = next((c.extra.get("run_length") for c in charts.values()), figures_.spc_run_length)
    notes = (f"Value and status: the period {card.start:%d %b %Y} to {card.end:%d %b %Y}. Variation and assurance: "
             f"XmR chart of the monthly values over the last {SPC_MONTHS} months to the period's end "
             "(Making Data Count icons; the words beside each icon say the same).",
             rule_set_note(rule_set, run_length))
    return Panel(title, frame, "% of cases", notes, {"scorecard": card})


#: At most this many exceptions on the one-page Board summary; the others are named in a note.
BOARD_EXCEPTIONS = 6
#: What makes a measure an exception, worst first (the order of the one-page summary's table).
EXCEPTION_REASONS = ("below trigger", "special cause concern", "consistently failing target", "below target")


def board_exceptions(overview: Panel, limit: int = BOARD_EXCEPTIONS) -> Panel:
    """The few measures a Board should discuss, from :func:`spc_overview` (no query, so the same
    suppression): below trigger, special cause concern, consistently failing target, below target;
    worst first, at most ``limit`` rows (the rest named in a note)."""
    found = []
    for row in overview.data.to_dict("records"):
        status = str(row["status"])
        why = [reason for reason, hit in (
            ("below trigger", "below trigger" in status),
            ("special cause concern", str(row["variation_icon"]).startswith("concern")),
            ("consistently failing target", row["assurance_icon"] == "consistently_fail"),
            ("below target", "below target" in status)) if hit]
        if why:
            rank = min(EXCEPTION_REASONS.index(w) for w in why)
            found.append((rank, len(found), {"code": row["code"], "measure": row["measure"], "value": row["value"],
                                             "target": row["target"], "why": "; ".join(why)}))
    found.sort(key=lambda item: item[:2])
    rows = [item[2] for item in found]
    data = pd.DataFrame(rows[:limit], columns=["code", "measure", "value", "target", "why"])
    if not rows:
        title = "No exceptions: no measure below target, with special cause concern or consistently failing"
    else:
        title = f"{plural(len(rows), 'exception')}: {', '.join(r['code'] for r in rows)}"
    notes = ("Exceptions: below trigger, special cause concern (SPC), consistently failing target (SPC "
             "assurance) or below target, worst first.",)
    if len(rows) > limit:
        notes += (f"Not listed here: {', '.join(r['code'] for r in rows[limit:])} (every measure is on the KPIs page).",)
    return Panel(title, data, overview.unit, notes)


def board_headlines(tiles: Panel, changed: Panel, bands: Panel) -> Panel:
    """The one-page Board summary's headline findings: a few sentences taken from panels shown
    on the same page (so they quote only what those show): measures below target and special
    cause concern, what changed (with the first success and the first gap) and demand against
    the forecast band. The SPC overview and the exceptions follow under titles of their own."""
    lines = [tiles.title, changed.title]
    for kind in ("Successes", "Gaps"):
        first = changed.data[changed.data["kind"] == kind]
        if len(first):
            lines.append(f"{kind[:-1] if kind == 'Gaps' else 'Success'}: {first.iloc[0]['finding']}")
    lines.append(bands.title)
    return Panel("Headline findings", pd.DataFrame({"finding": lines}), None, ())


def extension_readiness(db: Db, inp: PanelInputs) -> Panel:
    """Each monthly measure by contract year (GMIRS spec §1.11: the 2025/26 year is anticipated,
    subject to successful delivery): the year's value against target, the months met out of the
    months with cases, and the SPC assurance and latest variation (the same XmR charts as the
    KPIs page), for the decision on the extension. One fetch of the monthly series since the
    service began; the SPC charts are cut from it."""
    if inp.end < SERVICE_START:
        return Panel(f"No contract year before the service began ({SERVICE_START:%d %B %Y})",
                     pd.DataFrame(), "% of cases")
    series = monthly_series(db, inp.referrals, start=SERVICE_START, end=inp.end, as_of=inp.as_of)
    window = spc_window_start(inp.end)
    # Months and years hidden on their own scorecards to protect other views (metrics.partitions).
    hidden = hidden_months(db, inp.partitions, SERVICE_START.replace(day=1), inp.end, inp.as_of,
                           inp.suppression_threshold)
    charts = spc_charts_from({code: frame[pd.to_datetime(frame["month"]).dt.date >= window].reset_index(drop=True)
                              for code, frame in series.items()}, inp, hidden=hidden)
    years_hidden = {}
    for year in periods.periods_between(SERVICE_START, inp.end, "contract_year", SERVICE_START):
        for code, (num, den) in hidden_for_period(db, inp.partitions, year, inp.as_of,
                                                  inp.suppression_threshold).items():
            if num or den:
                years_hidden.setdefault(code, set()).add(year.start)
    return readiness_from(series, charts, inp.end, figures(db, inp), hidden=hidden, years_hidden=years_hidden)


def _meets(value: float, entry) -> bool:
    return value <= entry.target if entry.polarity == "decrease" else value >= entry.target


def readiness_from(series: dict[str, pd.DataFrame], charts: dict[str, Panel], end: dt.date,
                   figures_: FigureSettings | None = None, *, hidden: dict[str, set] | None = None,
                   years_hidden: dict[str, set] | None = None) -> Panel:
    """:func:`extension_readiness` from monthly series and SPC charts already computed.

    A year's value is the sum of its months' numerators over the sum of their denominators
    (each case counted in the month of its cohort date, as the scorecard does); a month is met
    when its value reaches the target. Small numbers: a year or month on fewer cases than the
    minimum rate denominator is not shown and not counted as met or missed."""
    figures_ = figures_ or FigureSettings()
    years = periods.periods_between(SERVICE_START, end, "contract_year", SERVICE_START)
    rows = []
    for code, frame in series.items():
        entry = kpi(code)
        chart = charts.get(code)
        frame = frame.assign(day=pd.to_datetime(frame["month"]).dt.date)
        previous: float | None = None
        for year in years:
            months = frame[(frame["day"] >= year.start.replace(day=1)) & (frame["day"] <= min(year.end, end))]
            numerator, denominator = int(months["numerator"].sum()), int(months["denominator"].sum())
            # The year's (and each month's) denominator is published on that period's scorecard,
            # so a rate whose count or complement is 1-4 is withheld here too (issue 14).
            value = displayable_rate(numerator, denominator, minimum_denominator=figures_.minimum_rate_denominator,
                                     threshold=figures_.suppression_threshold, protect_numerator=True) if denominator else None
            if year.start in (years_hidden or {}).get(code, set()):
                value = None  # hidden on the year's scorecard to protect another view
            gone = {pd.Timestamp(m).date() for m in (hidden or {}).get(code, set())}
            rated = [displayable_rate(int(n), int(d), minimum_denominator=figures_.minimum_rate_denominator,
                                      threshold=figures_.suppression_threshold, protect_numerator=True)
                     if day not in gone else None
                     for day, n, d in zip(months["day"], months["numerator"], months["denominator"]) if d > 0]
            counted = [v for v in rated if v is not None]
            met = sum(_meets(v, entry) for v in counted) if entry.target is not None else None
            latest_year = year is years[-1]
            change = None if value is None or previous is None else value - previous
            previous = value
            rows.append({
                "code": code, "measure": entry.title,
                "contract year": year.label.split(" (")[0].replace("Contract year ", "")
                + (" to date" if year.end > end else ""),
                "value": NO_DATA if not denominator else WITHHELD_RATE if value is None else f"{value:.1f}%",
                "target": pct(entry.target, 0) if entry.target is not None else "no target",
                "against target": (NO_DATA if value is None or entry.target is None
                                   else "met" if _meets(value, entry) else "below target"),
                "months met": (NO_DATA if not counted or met is None else f"{met} of {len(counted)} months"),
                "on the year before": "" if change is None else f"{change:+.1f} points",
                "assurance": chart.extra["assurance"] if latest_year and chart is not None else "",
                "variation": chart.extra["variation"] if latest_year and chart is not None else "",
                "assurance_icon": chart.extra.get("assurance_icon", "none") if latest_year and chart else "",
                "variation_icon": chart.extra.get("variation_icon", "no_data") if latest_year and chart else "",
            })
    frame = pd.DataFrame(rows)
    if frame.empty:
        return Panel("No measure has cases since the service began", frame, "% of cases")
    latest = frame.groupby("code").tail(1)
    assured = list(latest.loc[latest["assurance_icon"] == "consistently_pass", "code"])
    failing = list(latest.loc[latest["assurance_icon"] == "consistently_fail", "code"])
    title = (f"Extension readiness ({latest['contract year'].iloc[0]}): "
             + (f"assured to meet target: {', '.join(assured)}" if assured else "no measure assured to meet its target")
             + "; " + (f"consistently failing: {', '.join(failing)}" if failing else "none consistently failing"))
    notes = ("GMIRS spec §1.11: 18 months from September 2023, with a further year (2025/26) subject to "
             "successful delivery and funding. Contract years run April to March (the first from 4 September 2023).",
             "Value: the year's cases meeting the measure over its cases; months met: months whose value reached "
             "the target, of the months with cases that may be shown; on the year before: the change in percentage "
             "points. Assurance and variation: the latest year "
             f"only, from the XmR chart of the last {SPC_MONTHS} months (as on the KPIs page).")
    notes += symbols_note(frame, figures_.suppression_threshold, figures_.minimum_rate_denominator)
    return Panel(title, frame, "% of cases", notes)


def figures(db: Db, inp: PanelInputs) -> FigureSettings:
    """The figure settings a view's panels were computed with (for panels assembled from
    other cached panels, such as the board's tiles)."""
    return FigureSettings(inp.suppression_threshold, inp.minimum_rate_denominator, inp.ds1_bound,
                          inp.forecast_period_days, inp.distance_scale, inp.spc_rule_set, inp.spc_run_length)


def shown_kpi(result: KpiResult, figures_: FigureSettings) -> dict:
    """A KPI's numerator, denominator and value as they may be shown (DOMAIN.md "Suppression"):
    counts of 1 to threshold − 1 are ``[c]``; a rate on fewer than the minimum denominator is
    ``[low]``. DS1's denominator is a pro-rated forecast, not a count of people."""
    threshold = figures_.suppression_threshold
    if result.code == "DS1":
        numerator: object = int(result.numerator)
        denominator: object = round(float(result.denominator), 1)
        value: object = None if result.value is None else round(result.value, 1)
        if 1 <= int(result.numerator) < threshold:
            numerator, value = SUPPRESSED, WITHHELD_RATE
    else:
        numerator, denominator = int(round(result.numerator)), int(round(result.denominator))
        # A rate beside its denominator gives the numerator back, and a numerator beside its
        # denominator gives the complement back: both are protected (DOMAIN.md "Suppression").
        rate = displayable_rate(numerator, denominator, minimum_denominator=figures_.minimum_rate_denominator,
                                threshold=threshold, protect_numerator=True)
        value = None if result.denominator == 0 else WITHHELD_RATE if rate is None else round(rate, 1)
        hidden = 1 <= numerator < threshold or 1 <= denominator - numerator < threshold
        # Hidden to protect another view's figure (metrics.partitions): the count, and the rate
        # that would give it back; a hidden denominator takes its numerator and rate with it.
        across_numerator, across_denominator = result.extra.get("hidden_across_views", (False, False))
        hidden = hidden or across_numerator or (across_denominator and numerator > 0)
        if (across_numerator or across_denominator) and value is not None:
            value = WITHHELD_RATE
        numerator = SUPPRESSED if hidden else numerator
        denominator = SUPPRESSED if 1 <= denominator < threshold or across_denominator else denominator
    status = "not shown (small numbers)" if value == WITHHELD_RATE else result.status
    if result.extra.get("needs"):  # issue 17 finding 2: not measurable from the data loaded
        status = f"no data: needs {result.extra['needs']}"
    return {"numerator": numerator, "denominator": denominator, "value": value, "status": status}


def kpi_tiles(db: Db, inp: PanelInputs) -> Panel:
    """Board tiles: value, target, status word and symbol, MDC variation and assurance as text."""
    return tiles_from(period_scorecard(db, inp), spc_charts(db, inp), figures(db, inp))


def tiles_from(card: Scorecard, charts: dict[str, Panel], figures_: FigureSettings | None = None) -> Panel:
    """``kpi_tiles`` from a scorecard and the SPC charts already computed for the same view
    (the board summary reuses the KPIs page's cached charts instead of computing them again).

    The board pack prints these rows: value, status and the SPC verdict are the page's.
    """
    figures_ = figures_ or FigureSettings()
    rows, provisional_any = [], False
    for r in card.kpis:
        chart = charts.get(r.code)
        shown = shown_kpi(r, figures_)
        withheld = shown["value"] == WITHHELD_RATE
        provisional = bool(chart and chart.extra.get("provisional")) and not withheld
        provisional_any |= provisional
        rows.append({"code": r.code, "measure": r.title,
                     "value": WITHHELD_RATE if withheld else _value_text(r),
                     "target": pct(r.target, 0) if r.target is not None else "no target",
                     "status": _status_text(shown["status"]),
                     "variation": ("not shown (small numbers)" if withheld else chart.extra["variation"]) if chart
                     else "Not charted (not a monthly case measure)",
                     "assurance": ("not shown (small numbers)" if withheld else chart.extra["assurance"]) if chart
                     else ASSURANCE_LABELS[None],
                     "cases": shown["denominator"], "numerator": shown["numerator"],
                     "denominator": shown["denominator"], "value_pct": shown["value"], "target_pct": r.target,
                     "status_word": shown["status"], "provisional": provisional})
    data = pd.DataFrame(rows)
    below = [r.code for r in card.kpis if r.status in ("below target", "below trigger")]
    concern = [code for code, ch in charts.items() if ch.extra.get("signal") == "concern"]
    title = (f"{len(below)} of {len(card.kpis)} measures below target" + (f" ({', '.join(below)})" if below else "")
             + (f"; special-cause concern in {', '.join(concern)}" if concern else "; no special-cause concern"))
    notes = ((f"Variation and assurance: XmR chart of the monthly values (Making Data Count) over the last "
              f"{SPC_MONTHS} months to the end of the period; variation describes the latest month.",)
             + (("Fewer than 13 months: the process limits are provisional.",) if provisional_any else ())
             + tuple(card.assumptions))
    chart = None
    if len(data):
        chart = ChartSpec("bar", pd.DataFrame({
            "Code": data["code"], "Value (%)": pd.to_numeric(data["value_pct"], errors="coerce").astype(float),
            "Target (%)": pd.to_numeric(data["target_pct"], errors="coerce").astype(float)}),
            "Code", ("Value (%)", "Target (%)"), "0.0", "%")
    notes += symbols_note(data, figures_.suppression_threshold, figures_.minimum_rate_denominator)
    return Panel(title, data, "% of cases", notes, {"scorecard": card}, chart)


#: Working days before Refer and Monitor's completion deadline (``date_intervention_to_be_completed_by``)
#: from which an open referral with no attended session is listed as at risk (a dashboard
#: choice: about a month in which to start delivery).
COMPLETION_HORIZON_WORKING_DAYS = 20


def cases_at_risk(db: Db, inp: PanelInputs, *, horizon: int = 3,
                  completion_horizon: int = COMPLETION_HORIZON_WORKING_DAYS) -> Panel:
    """Open referrals whose DS2 (10) or DS3 (5 working day) deadline falls within ``horizon``
    working days of the as-of date, and those within ``completion_horizon`` working days of
    the completion deadline Refer and Monitor holds (performance report from May 2024) with no
    attended session yet; soonest first. Case references only for allowed roles."""
    c = Referral.__table__.c
    as_of = inp.as_of
    window = as_of - dt.timedelta(days=31)
    stmt = inp.referrals.with_only_columns(
        c.referral_ref, c.received_on, c.saa_first_attended_on, c.saa_first_not_attended_on,
        c.action_plan_submitted_on, c.first_session_on, c.intervention_to_be_completed_by, c.borough_id, c.hub_id,
    ).where(c.concluded_on.is_(None) | (c.concluded_on > as_of),
            (c.received_on >= window) | (c.saa_first_attended_on >= window)
            | c.intervention_to_be_completed_by.between(window, as_of + dt.timedelta(days=2 * completion_horizon)))
    rows = _rows(db, stmt)
    names = dict(db.execute(select(Borough.id, Borough.name)).all())
    hubs = dict(db.execute(select(Hub.id, Hub.name)).all())
    frames = []
    for measure, clock, done, limit, near in (
        ("DS2 assessment", "received_on", "saa_first_attended_on", DS2_WORKING_DAYS, horizon),
        ("DS3 action plan", "saa_first_attended_on", "action_plan_submitted_on", DS3_WORKING_DAYS, horizon),
        ("Completion deadline, no session yet", "received_on", "first_session_on", None, completion_horizon),
    ):
        started = pd.to_datetime(rows[clock])
        met = pd.to_datetime(rows[done])
        cutoff = pd.Timestamp(as_of)
        open_ = started.notna() & (started <= cutoff) & (met.isna() | (met > cutoff))
        if limit is None:  # the date Refer and Monitor holds, where it does
            open_ &= rows["intervention_to_be_completed_by"].notna()
        part = rows[open_].copy()
        if part.empty:
            continue
        part["deadline"] = (_to_date(part["intervention_to_be_completed_by"]).tolist() if limit is None
                            else working_day_deadline(_to_date(part[clock]).tolist(), limit))
        part["near"] = near
        if measure.startswith("DS2"):  # DS2 mitigation: a not-attended assessment before the deadline
            missed = pd.to_datetime(part["saa_first_not_attended_on"])
            part = part[~(missed.notna() & (missed <= cutoff))]
        part["working_days_left"] = working_days_between([as_of] * len(part), part["deadline"].tolist())
        part["measure"] = measure
        part["clock_started"] = _to_date(part[clock])
        frames.append(part)
    columns = ["referral_ref", "measure", "clock_started", "deadline", "working_days_left", "borough", "hub"]
    if not frames:
        return Panel("No open referral is near a DS2 or DS3 deadline", pd.DataFrame(columns=columns), "referrals")
    everything = pd.concat(frames, ignore_index=True)
    everything["deadline"] = pd.to_datetime(everything["deadline"]).dt.date
    overdue = int((everything["deadline"] < as_of).sum())
    at_risk = everything[(everything["deadline"] >= as_of) & (everything["working_days_left"] <= everything["near"])].copy()
    at_risk["borough"] = at_risk["borough_id"].map(names)
    at_risk["hub"] = at_risk["hub_id"].map(hubs)
    at_risk = at_risk.sort_values(["deadline", "measure", "referral_ref"])[columns].reset_index(drop=True)
    at_risk["working_days_left"] = at_risk["working_days_left"].astype(int)
    if not inp.sees_case_ids:
        at_risk = at_risk.drop(columns=["referral_ref"])
    title = ("No open referral reaches its DS2 or DS3 deadline within "
             f"{plural(horizon, 'working day')}" if at_risk.empty else
             f"{plural(len(at_risk), 'open referral')} reach their DS2 or DS3 deadline within "
             f"{plural(horizon, 'working day')} or their completion deadline within {completion_horizon} with no "
             f"session; the first on {at_risk['deadline'].iloc[0]:%A %d %B %Y}")
    notes = ("Deadlines: DS2 10 working days from referral, DS3 5 working days from the first attended "
             "assessment (GMIRS spec §2.6); working days exclude weekends and England and Wales bank holidays. "
             "A DS2 case with a not-attended assessment before its deadline counts as mitigated and is not listed.",
             f"Completion deadline: the date by which Refer and Monitor says the intervention is to be completed "
             f"(date_intervention_to_be_completed_by, in reports from May 2024); an open referral within "
             f"{completion_horizon} working days of it with no attended session is listed.",
             f"{plural(overdue, 'further open referral')} {'is' if overdue == 1 else 'are'} already past the deadline.")
    return Panel(title, at_risk, "open referrals", notes)


def sl002_end_reason_decision(db: Db, inp: PanelInputs) -> Panel:
    """The SL002 class of every end reason, as the database holds it: a stated decision
    (Decision 9) that needs the commissioner's sign-off, shown beside SL002."""
    del inp
    reasons = end_reason_classes(db).reasons
    data = pd.DataFrame([{"vocabulary": r.vocabulary, "code": r.code, "description": r.description,
                          "sl002_class": r.sl002_class, "why": r.why, "source": r.source} for r in reasons])
    negative = [f"{r.code} ({r.description})" for r in reasons if r.sl002_class == "negative"]
    title = ("SL002 counts as negative, without an intervention appointment and with an approved plan: "
             + ", ".join(negative) + "; every other reason is neutral (awaiting the commissioner's sign-off)")
    return Panel(title, data, None, (SL002_REASON_DECISION,))


def sl002_ends_at_sentence_expiry(db: Db, inp: PanelInputs) -> Panel:
    """Referrals ended in the period on (or after) the end of sentence Refer and Monitor holds
    (``end_of_sentence_date``, performance report from August 2024), by the SL002 class of
    their end reason. Sentence expiry is not a neutralisation (SL002 technical note); an end
    on the sentence's last day under a reason SL002 counts as neutral deserves a check."""
    c = Referral.__table__.c
    at_expiry = and_(c.end_of_sentence_date.is_not(None), c.concluded_on >= c.end_of_sentence_date)
    stmt = inp.referrals.with_only_columns(
        c.end_requested_by_pp_reason.label("end_reason"), func.count().label("referrals"),
    ).where(c.concluded_on.between(inp.start, inp.end), c.concluded_on <= inp.as_of, at_expiry
            ).group_by(c.end_requested_by_pp_reason)
    rows = _rows(db, stmt)
    classes = end_reason_classes(db)
    rows["sl002_class"] = [classes.sl002_class(r) if classes.find(r) else "not recognised (neutral)"
                           for r in rows["end_reason"]]
    rows["end_reason"] = rows["end_reason"].fillna("No end reason")
    data = rows.groupby(["end_reason", "sl002_class"], as_index=False)["referrals"].sum()
    total = int(data["referrals"].sum()) if len(data) else 0
    shown, _, note = suppressed_column(data["referrals"], inp.suppression_threshold, "referrals")
    data = data.assign(referrals=shown).sort_values("end_reason").reset_index(drop=True)
    neutral = rows.loc[~rows["sl002_class"].eq("negative"), "referrals"].sum() if len(rows) else 0
    how_many = (plural(total, "referral") if total >= inp.suppression_threshold
                else f"Fewer than {inp.suppression_threshold} referrals")  # counts of 1-4 are never shown
    title = ("No referral ended in this period at the end of its sentence" if total == 0 else
             f"{how_many} ended at or after the end of the sentence; "
             f"{'none' if not neutral else 'some'} under a reason SL002 counts as neutral")
    notes = ["End of sentence: end_of_sentence_date in the Refer and Monitor report (from August 2024); blank "
             "in older reports, so older referrals are not checked. The SL002 technical note says sentence expiry "
             "is not a neutralisation: an end on the sentence's last day recorded under a neutral reason may hide "
             "an expiry (Decision 9)."]
    if note:
        notes.append(note)
    return Panel(title, data, "referrals", tuple(notes), {"neutral_at_expiry": int(neutral)})


# --------------------------------------------------------------------------------------------
# Distance travelled and the journey
# --------------------------------------------------------------------------------------------

BREAKDOWNS = {"complexity": "Complexity", "borough": "Borough", "hub": "Hub", **EQUALITY_STRANDS}


def distance_travelled(db: Db, inp: PanelInputs, *, by: str | None = None,
                       scale: tuple[int, int] | None = None) -> Panel:
    """Change per need, baseline to exit (or latest review), for people who left in the period.

    With ``by``, the panel is broken down by that referral column and ``extra["overall"]``
    holds the panel without it, added up from the same sums (the groups split people, so the
    sums add up exactly): one query answers both.
    """
    c = Referral.__table__.c
    key = None
    if by == "borough":
        key = c.borough_id
    elif by == "hub":
        key = c.hub_id
    elif by is not None:
        key = c[by]
    sums = distance_change_sums(db, inp.referrals, start=inp.start, end=inp.end, key=key)
    scale = scale or inp.distance_scale  # the configured scale (Decision 6), unless a caller names one
    notes = (f"Scale (Decision 6): each need scored {scale[0]} (high need) to {scale[1]} (no need) at baseline, "
             "reviews and exit; change = exit (or latest review) minus baseline, so a positive change is "
             "improvement. Cohort: people whose referral ended in the period. 'All needs' is each person's "
             "average change across their needs.",
             "Means with a 95% t interval; improved / same / worse are % of people. Groups of fewer than "
             f"{inp.minimum_rate_denominator} people are not shown ({SUPPRESSED}).")
    if by is None:
        return _distance_panel(sums, None, inp, notes)
    group = BREAKDOWNS[by]
    if sums.empty:
        panel = _distance_panel(sums, group, inp, notes)
        panel.extra["overall"] = _distance_panel(sums, None, inp, notes)
        return panel
    if by == "borough":
        sums[group] = sums["group"].map(dict(db.execute(select(Borough.id, Borough.name)).all()))
    elif by == "hub":
        sums[group] = sums["group"].map(dict(db.execute(select(Hub.id, Hub.name)).all()))
    else:
        sums[group] = sums["group"]
    sums[group] = sums[group].fillna("Not recorded").map(lambda v: COMPLEXITY_LABELS.get(v, v))
    # Unknown ids and blanks both read "Not recorded": add them up as one group.
    sums = sums.drop(columns="group").groupby(["need_code", group], as_index=False).sum()
    overall = sums.drop(columns=group).groupby("need_code", as_index=False).sum()
    panel = _distance_panel(sums, group, inp, notes)
    panel.extra["overall"] = _distance_panel(overall, None, inp, notes)
    return panel


def _distance_panel(sums: pd.DataFrame, group: str | None, inp: PanelInputs, notes: tuple[str, ...]) -> Panel:
    if sums.empty:
        return Panel("No distance-travelled scores for referrals that ended in this period", sums, "points", notes,
                     {"group": group})
    table = breakdowns.distance_summary(sums, by=[group] if group else None)
    small = table["people"] < inp.minimum_rate_denominator
    for column in ("mean_change", "ci_lower", "ci_upper"):
        table[column] = table[column].astype(float).where(~small).round(2)
    # Improved, same and worse are shares of the group's people that add up to 100%: one beside
    # the people shown gives its count back, and two give the third. So all three are withheld
    # where any of their counts is 1 to threshold − 1 (DOMAIN.md "Suppression"; issue 14).
    parts = pd.concat([(table[c].astype(float) * table["people"]).round() for c in ("improved", "same", "worse")], axis=1)
    small |= ((parts >= 1) & (parts < inp.suppression_threshold)).any(axis=1)
    for column in ("improved", "same", "worse"):  # shares of people, as percentages
        table[column] = (100 * table[column].astype(float)).where(~small).round(1)
    table["people_shown"] = np.where(table["people"] < inp.suppression_threshold, SUPPRESSED,
                                     table["people"].astype(int).astype(str))
    table["people"] = table["people"].astype(float).where(table["people"] >= inp.suppression_threshold)
    table = table.drop(columns=["need_code"])
    if group is None:
        needs = table[table["need"] != "All needs"].dropna(subset=["mean_change"]).sort_values("mean_change")
        overall = table.loc[table["need"] == "All needs", "mean_change"]
        if needs.empty:
            title = "Too few people left the service in this period to show distance travelled"
        else:
            title = (f"Average change across needs {overall.iloc[0]:+.2f} points; least improvement in "
                     f"{needs['need'].iloc[0]} ({needs['mean_change'].iloc[0]:+.2f}), most in "
                     f"{needs['need'].iloc[-1]} ({needs['mean_change'].iloc[-1]:+.2f})")
    else:
        overall = table[table["need"] == "All needs"].dropna(subset=["mean_change"]).sort_values("mean_change")
        title = ("Too few people in each group to compare" if overall.empty else
                 f"All needs by {group.lower()}: least improvement for {overall[group].iloc[0]} "
                 f"({overall['mean_change'].iloc[0]:+.2f} points), most for {overall[group].iloc[-1]} "
                 f"({overall['mean_change'].iloc[-1]:+.2f})")
    chart = None
    if group is None:
        body = table[table["need"] != "All needs"]
        chart = ChartSpec("bar", pd.DataFrame({"Need": body["need"], "Mean change": body["mean_change"].astype(float)}),
                          "Need", ("Mean change",), "0.00", "mean change in score")
    return Panel(title, table, "change in need score (points)", notes, {"group": group}, chart)


def journey(db: Db, inp: PanelInputs) -> Panel:
    """Referral to exit, with drop-out at each step, for referrals received in the period."""
    c = Referral.__table__.c
    stmt = inp.referrals.with_only_columns(
        c.received_on, c.saa_first_arranged_at.label("contacted_on"), c.saa_first_attended_on,
        c.action_plan_approved_on, c.first_session_on, (c.outcomes_achieved > 0).label("outcome_achieved"),
        c.concluded_on, c.end_requested_by_pp_reason.label("end_reason"),
    ).where(c.received_on.between(inp.start, inp.end))
    cases = _rows(db, stmt)
    for column in ("contacted_on", "saa_first_attended_on", "action_plan_approved_on", "first_session_on", "concluded_on"):
        dates = pd.to_datetime(cases[column])
        cases[column] = dates.where(dates <= pd.Timestamp(inp.as_of))  # events after the as-of date have not happened
    cases["outcome_achieved"] = cases["outcome_achieved"].astype("boolean").fillna(False).astype(bool)
    # A referral still open has not dropped out of anything: the journey is read from the
    # referrals that have ended by the as-of date (audit finding: the current quarter's open
    # cases were read as drop-outs, "0% have reached exit").
    ended = cases[cases["concluded_on"].notna()]

    def count(n: int) -> str:  # counts in titles and notes follow the suppression rule too
        return count_text(n, inp.suppression_threshold)

    in_progress = count(len(cases) - len(ended))
    funnel = breakdowns.journey_funnel(ended)
    steps_note = ("Each step counts referrals that reached it and every step before; 'contacted' means an assessment "
                  "appointment was arranged; 'outcome' means at least one desired outcome achieved or partly achieved; "
                  "'exit' means the referral ended after every step before it.")

    def progress_note(text: str) -> str:
        return (f"Only referrals received in the period that have ended by {inp.as_of:%d %B %Y} are shown: "
                f"{text} still in progress have not dropped out of anything yet.")

    notes = (steps_note, progress_note(in_progress))
    if cases.empty:
        return Panel("No referrals received in this period", funnel.iloc[0:0], "referrals", notes)
    if ended.empty:
        return Panel(f"None of the {count(len(cases))} referrals received in this period has ended yet: all are "
                     "still in progress", funnel.iloc[0:0], "referrals", notes)
    hidden, derived = _journey_hidden(funnel, len(cases), inp.suppression_threshold)
    steps = len(funnel)
    reached_hidden, dropped_hidden = hidden[:steps], hidden[steps:2 * steps - 1]
    dropped_hidden = np.append(dropped_hidden, False)  # the last step's drop-outs: 0 by definition
    drops = funnel.iloc[:-1]
    worst_at = int(drops["dropped_before_next"].idxmax())
    worst = drops.loc[worst_at]
    nxt = funnel["step"].iloc[worst_at + 1]
    exited = int(funnel["reached"].iloc[-1])
    # The share who reached exit rests on the exit count and those who left before it: shown
    # only where both, and the ended total, are shown (rate x ended would give them back).
    share = (pct(100.0 * exited / len(ended), 0) if len(ended) >= inp.minimum_rate_denominator
             and not (reached_hidden[0] or reached_hidden[-1] or derived[(0, steps - 1)]) else WITHHELD_RATE)
    ended_text = SUPPRESSED if reached_hidden[0] else f"{len(ended):,}"
    worst_text = SUPPRESSED if dropped_hidden[worst_at] else f"{int(worst['dropped_before_next']):,}"
    in_progress = SUPPRESSED if hidden[-1] else f"{len(cases) - len(ended):,}"
    notes = (steps_note, progress_note(in_progress))
    title = (f"Of {ended_text} referred in the period whose referral has ended, {share} went "
             f"through every step to exit; most left between '{worst['step']}' and '{nxt}' "
             f"({worst_text}); {in_progress} still in progress")
    reached = funnel["reached"].astype(float)
    shown = pd.Series(np.where(reached_hidden, SUPPRESSED, funnel["reached"].map("{:,}".format)), index=funnel.index)
    dropped_shown = pd.Series(np.where(dropped_hidden, SUPPRESSED, funnel["dropped_before_next"].map("{:,}".format)),
                              index=funnel.index)
    # A share of the first step beside a hidden step, or of a hidden first step, gives a count back.
    share_of_referred = (100 * funnel["share_of_referred"]).round(1).where(~reached_hidden & ~reached_hidden[0])
    data = funnel.assign(reached=reached.where(~reached_hidden), reached_shown=shown,
                         dropped_before_next=funnel["dropped_before_next"].astype(float).where(~dropped_hidden),
                         dropped_before_next_shown=dropped_shown, share_of_referred=share_of_referred)
    note = note2 = None
    if hidden.any():
        note = (f"{SUPPRESSED}: counts of 1 to {inp.suppression_threshold - 1} referrals are not shown, with further "
                "steps hidden where the others (each step = the next + those who left) would give them back; "
                "shares of a hidden step are not shown.")
    return Panel(title, data, "referrals", notes + tuple(n for n in (note, note2) if n))


def _journey_hidden(funnel: pd.DataFrame, received: int, threshold: int) -> tuple[np.ndarray, dict]:
    """Which of the funnel's figures are hidden: its steps' reached counts, the drop-outs before
    each next step, and the referrals still in progress (the title's), so that no count of 1 to
    ``threshold`` − 1 referrals can be worked out by subtraction (DOMAIN.md "Suppression";
    issue 14: the funnel leaked a [c] as one step less the next). The links: each step reached
    = the next reached + those who left before it; the referrals received (published on the
    overview) = the first step (those ended) + those in progress. Those who left between any two
    steps (never shown) must not come out 1 to 4 by subtraction either.

    Returns the hidden mask over [reached..., dropped (all but the last step)..., in progress]
    and, for each pair of steps (i, j), whether those who left between them is protected."""
    reached = funnel["reached"].to_numpy(dtype=float)
    dropped = funnel["dropped_before_next"].to_numpy(dtype=float)[:-1]
    steps = len(reached)
    in_progress = received - reached[0]
    values = [*reached, *dropped, in_progress, float(received)]
    r = lambda i: i  # noqa: E731
    d = lambda i: steps + i  # noqa: E731
    progress_at, received_at = 2 * steps - 1, 2 * steps
    equations = [{r(i): 1.0, r(i + 1): -1.0, d(i): -1.0} for i in range(steps - 1)]
    equations.append({received_at: 1.0, r(0): -1.0, progress_at: -1.0})
    # Those who left between steps i and j (j > i + 1): never shown, so hidden from the start,
    # and protected only when they are 1 to threshold − 1.
    pairs = {}
    for i in range(steps):
        for j in range(i + 2, steps):
            pairs[(i, j)] = len(values)
            equations.append({r(i): 1.0, r(j): -1.0, len(values): -1.0})
            values.append(reached[i] - reached[j])
    values = np.array(values)
    unshown = np.zeros(len(values), dtype=bool)
    unshown[len(values) - len(pairs):] = True
    hidden = suppress_linked(values, equations, threshold=threshold, unshown=unshown)
    derived = {pair: bool(hidden[k] and 1 <= values[k] < threshold) for pair, k in pairs.items()}
    derived.setdefault((0, steps - 1), bool(1 <= values[r(0)] - values[r(steps - 1)] < threshold))
    return np.append(hidden[:2 * steps - 1], hidden[progress_at]), derived


# --------------------------------------------------------------------------------------------
# Equalities (Appendix A strands)
# --------------------------------------------------------------------------------------------

EQUALITY_OUTCOMES = {
    "attended": "attended an intervention appointment before the referral ended (of those whose referral ended in "
                "the period)",
    "achieved": "achieved at least one outcome (of those whose referral ended in the period with an end-of-service report)",
}


def equality_rates(db: Db, inp: PanelInputs, *, strand: str, outcome: str = "attended") -> Panel:
    """Referrals and a rate per group of one strand, Wilson 95% limits, with suppression.

    "attended" asks SL002's question of each group (CRS SL002 technical note v1.4): of the
    referrals that ended in the period, how many attended an intervention appointment on or
    before the end date. The cohort is fixed by the end, so every case counted has had its
    chance to attend (DOMAIN.md: a case is only counted once it is due); referrals received
    in the period would count recent ones, still waiting for a first session, as not attended.
    """
    c = Referral.__table__.c
    group = func.coalesce(c[strand], "Not recorded").label("group")
    ended = c.concluded_on.between(inp.start, min(inp.end, inp.as_of))
    if outcome == "attended":
        flag = case((c.first_session_on <= c.concluded_on, 1), else_=0)
        cohort = ended
    else:
        flag = case((c.outcomes_achieved > 0, 1), else_=0)
        cohort = ended & c.eosr_submitted_on.is_not(None)
    stmt = (inp.referrals.with_only_columns(group, func.count().label("people"), func.sum(flag).label("met"))
            .where(cohort).group_by(group).order_by(group))
    counts = _rows(db, stmt)
    label = EQUALITY_STRANDS[strand]
    notes = [f"Rate: share who {EQUALITY_OUTCOMES[outcome]}, with Wilson score 95% intervals. 'Not recorded' is "
             "kept as its own group.", suppression_note(inp.suppression_threshold, inp.minimum_rate_denominator)]
    if counts.empty:
        return Panel(f"{label}: no referrals ended in this period", counts, "%", tuple(notes), {"strand": label})
    counts["met"] = counts["met"].fillna(0).astype(int)
    total_n, total_met = int(counts["people"].sum()), int(counts["met"].sum())
    overall = 100.0 * total_met / total_n if total_n else None
    body = counts.set_index("group")[["met"]].assign(not_met=counts.set_index("group")["people"] - counts.set_index("group")["met"])
    result = suppress_counts(body, threshold=inp.suppression_threshold, what="people")
    low, high = wilson_interval(counts["met"].to_numpy(), counts["people"].to_numpy())
    # No rate beside a hidden count (DOMAIN.md): rate × people would give it back.
    hidden_row = result.suppressed.iloc[:-1].any(axis=1).to_numpy()
    rates = [None if hidden else displayable_rate(m, n, minimum_denominator=inp.minimum_rate_denominator,
                                                  threshold=inp.suppression_threshold, protect_numerator=True)
             for m, n, hidden in zip(counts["met"], counts["people"], hidden_row)]
    hidden_people = result.suppressed["Total"].iloc[:-1].to_numpy()
    data = pd.DataFrame({
        label: counts["group"],
        "people": np.where(hidden_people, SUPPRESSED, counts["people"].astype(str)),
        "met": result.table["met"].iloc[:-1].to_numpy(),
        "not_met": result.table["not_met"].iloc[:-1].to_numpy(),
        "rate": [None if r is None else round(r, 1) for r in rates],
        "ci_lower": [None if r is None else round(100 * lo, 1) for r, lo in zip(rates, low)],
        "ci_upper": [None if r is None else round(100 * hi, 1) for r, hi in zip(rates, high)],
    })
    data["compared_with_all"] = [
        "not shown" if r is None else "lower" if hi * 100 < overall else "higher" if lo * 100 > overall else "similar"
        for r, lo, hi in zip(rates, low, high)]
    lower = data.loc[data["compared_with_all"] == "lower", label].tolist()
    higher = data.loc[data["compared_with_all"] == "higher", label].tolist()
    if lower or higher:
        parts = [f"lower for {', '.join(lower)}" if lower else "", f"higher for {', '.join(higher)}" if higher else ""]
        title = f"{label}: rate {' and '.join(p for p in parts if p)} than the overall {pct(overall)}"
    else:
        title = f"{label}: no group differs from the overall {pct(overall)} beyond chance"
    # The overall rate is printed only where it could be shown as a rate of its own: with the
    # groups' people it gives the total met, and less the shown groups' met a hidden group's
    # (issue 14). Comparisons with it are still made on the true counts.
    shown_overall = displayable_rate(total_met, total_n, minimum_denominator=inp.minimum_rate_denominator,
                                     threshold=inp.suppression_threshold, protect_numerator=True)
    if shown_overall is None:
        title = title.replace(f"the overall {pct(overall)}", "the overall rate (not shown: small numbers)")
    if result.note:
        notes.append(result.note)
    notes.append("'Lower'/'higher': the overall rate lies outside the group's 95% interval.")
    return Panel(title, data, "% of people", tuple(notes), {"overall": shown_overall, "strand": label})


# --------------------------------------------------------------------------------------------
# Finance (spec §1.11)
# --------------------------------------------------------------------------------------------


def spend_against_funding(db: Db, inp: PanelInputs) -> Panel:
    """Monthly and cumulative spend against the funding profile, from the service's start to
    the end of the period, for the contracts whose spend belongs to the view
    (:func:`spend_contracts`). One window for page and pack: cumulative since the service
    started, so a quarter's figure is the same on screen and on paper."""
    funding, spend = spend_frames(db, contract_ids=list(inp.contract_ids) if inp.contract_ids is not None else None)
    notes = ("Funding profile: each funding period's amount (GMIRS spec §1.11: Sept 2023–Mar 2024 £1.55m; "
             "2024/25 £3.4m guaranteed; 2025/26 £4.0m anticipated) spread evenly over its days.",
             inp.contracts_note or "Spend is recorded per contract: hub and complexity filters do not apply to it.")
    if inp.contract_ids is not None and not inp.contract_ids and inp.contracts_note:
        return Panel("Spend is held per contract, not per borough: no contract lies wholly inside this view",
                     funding.iloc[0:0], "£", notes)
    if funding.empty:
        title = ("Spend is held per contract, not per borough: no contract wholly inside this view has funding "
                 "recorded" if inp.contracts_note else "No funding periods recorded for the contracts in this view")
        return Panel(title, funding, "£", notes)
    months = _month_starts(SERVICE_START, inp.end)
    table = breakdowns.spend_against_profile(funding, spend, months)
    if spend.empty:
        return Panel("No spend recorded for the contracts in this view", table.iloc[0:0], "£", notes)
    last = table.iloc[-1]
    # The period chosen first (audit finding 5: the page reported only the cumulative figure,
    # whatever period was chosen), then the cumulative position at the period's end.
    months_in = pd.to_datetime(table["month"]).dt.date.between(inp.start.replace(day=1), inp.end)
    period_spend, period_profile = table.loc[months_in, "spend"].sum(), table.loc[months_in, "profile"].sum()
    period_share = pct(100 * period_spend / period_profile, 0) if period_profile else NO_DATA
    title = (f"Spend in {inp.period.label} is £{period_spend:,.0f}, {period_share} of its £{period_profile:,.0f} "
             f"funding profile; to {last['month']:%B %Y} £{last['cumulative_spend']:,.0f}, "
             f"{pct(last['cumulative_pct_of_profile'], 0)} of the £{last['cumulative_profile']:,.0f} cumulative funding profile")
    table = table.round(2)
    chart = ChartSpec("column", pd.DataFrame({"Month": [f"{m:%b %Y}" for m in table["month"]],
                                              "Profile (£)": table["profile"].round(0),
                                              "Spend (£)": table["spend"].round(0)}),
                      "Month", ("Profile (£)", "Spend (£)"), "£#,##0", "£")
    return Panel(title, table, "£ (pounds)", notes, {}, chart)


# --------------------------------------------------------------------------------------------
# Data quality
# --------------------------------------------------------------------------------------------


#: Why the import panels' counts are shown as they are (docs/DISCLOSURE.md, Data quality).
IMPORT_COUNTS_NOTE = ("Counts of file rows and imports are shown in full, small ones included: they count records in "
                      "files, not people or anything about them, and are needed to check each file against its "
                      "source. A provider sees only its own imports. Counts of referrals on this page (fields "
                      "recorded, record-keeping, ends at sentence expiry) follow the suppression rules.")


def import_freshness(db: Db, inp: PanelInputs, *, imported_by: str | None = None, stale_after: int = 35) -> Panel:
    b = ImportBatch.__table__.c
    stmt = (select(b.kind, func.max(b.finished_at).label("last_import"), func.count().label("imports"),
                   func.sum(b.rows_inserted + b.rows_updated).label("rows_loaded"))
            .where(b.status == "done").group_by(b.kind).order_by(b.kind))
    if imported_by is not None:
        stmt = stmt.where(b.imported_by == imported_by)
    data = _rows(db, stmt)
    if data.empty:
        return Panel("No completed imports yet", data, "days since the last import")
    last = pd.to_datetime(data["last_import"])
    data["days_before_as_of"] = [None if pd.isna(d) else (inp.as_of - d.date()).days for d in last]
    data["fresh"] = ["– no date" if d is None else ("▲ stale" if d > stale_after else "✔ fresh")
                     for d in data["days_before_as_of"]]
    stale = data.loc[data["fresh"] != "✔ fresh", "kind"].tolist()
    title = (f"{len(stale)} of {len(data)} sources not refreshed in {stale_after} days ({', '.join(stale)})" if stale
             else (("Both sources were" if len(data) == 2 else f"All {len(data)} sources were") if len(data) > 1
                   else "The one source was")
             + f" refreshed within {stale_after} days of the as-of date")
    return Panel(title, data, "days before the as-of date", (
        f"A source is stale when its latest completed import is more than {stale_after} days before the as-of date.",))


def field_completeness(db: Db, inp: PanelInputs) -> Panel:
    c = Referral.__table__.c
    stmt = inp.referrals.with_only_columns(
        func.count().label("referrals"), *(func.count(c[name]).label(name) for name in KEY_FIELDS)
    ).where(c.received_on.between(inp.start, inp.end))
    row = db.execute(stmt).one()._mapping
    total = int(row["referrals"])
    data = pd.DataFrame({"field": list(KEY_FIELDS.values()), "recorded": [int(row[n]) for n in KEY_FIELDS]})
    data["complete"] = (100.0 * data["recorded"] / total).round(1) if total else np.nan
    if not total:
        return Panel("No referrals received in this period", data.iloc[0:0], "% recorded")
    worst = data.sort_values("complete").iloc[0]
    # Recorded and missing are counts of referrals (people): a count of 1-4, or one whose
    # complement in the total is 1-4, is [c] with its share (DOMAIN.md "Suppression"), and the
    # title names the total only when it is 5 or more.
    small = lambda n: 1 <= n < inp.suppression_threshold  # noqa: E731
    hidden = data["recorded"].map(lambda n: small(n) or small(total - n))
    data["recorded_shown"] = np.where(hidden, SUPPRESSED, data["recorded"].map("{:,}".format))
    data["recorded"] = data["recorded"].where(~hidden)
    data["complete"] = data["complete"].where(~hidden)
    total_text = SUPPRESSED if small(total) else f"{total:,}"
    title = (f"Every key field is recorded for all {total_text} referrals" if worst["recorded"] == total else
             f"{worst['field']} is the least complete key field: {worst['complete']:.1f}% of {total_text} referrals"
             if not hidden[worst.name] else f"Some key fields are not recorded for a few of {total_text} referrals")
    notes = ("Key fields are those the Appendix A indicators and the KPIs break down by.",)
    if hidden.any():
        notes += (f"{SUPPRESSED}: a count of 1 to {inp.suppression_threshold - 1} referrals recorded or missing is "
                  "not shown, nor its share, to protect confidentiality.",)
    return Panel(title, data, "% of referrals received in the period with the field recorded", notes)


def record_keeping(db: Db, inp: PanelInputs) -> Panel:
    """KP1–KP3 as the scorecard shows them (docs/DISCLOSURE.md, Data quality): the same measures
    are on the KPIs page and in the packs, so their counts follow the same suppression here
    (the events are records about people's contacts, plans and appointments; a figure hidden on
    the KPIs page is hidden here too, across views included)."""
    codes = ("KP1", "KP2", "KP3")
    card = period_scorecard(db, inp, codes=codes)
    figures_ = figures(db, inp)
    rows = []
    for r in card.kpis:
        shown = shown_kpi(r, figures_)
        withheld = shown["value"] == WITHHELD_RATE
        rows.append({"code": r.code, "measure": r.title, "value": WITHHELD_RATE if withheld else _value_text(r),
                     "target": pct(r.target, 0), "status": _status_text(shown["status"]),
                     "on_time": shown["numerator"] if isinstance(shown["numerator"], str) else f"{shown['numerator']:,}",
                     "events": shown["denominator"] if isinstance(shown["denominator"], str)
                     else f"{shown['denominator']:,}",
                     "numeric_value": None if withheld else r.value})
    data = pd.DataFrame(rows)
    if data.empty:
        return Panel("No record-keeping events (KP1–KP3) have been loaded", data, "%",
                     ("KP1–KP3 need record-keeping events, which the provider case extract supplies.",))
    below = [r.code for r in card.kpis if r.status in ("below target", "below trigger")
             and shown_kpi(r, figures_)["value"] != WITHHELD_RATE]
    title = (f"{len(below)} of {len(data)} record-keeping measures below target ({', '.join(below)})" if below
             else f"All {len(data)} record-keeping measures meet target")
    notes = tuple(f"{r.code}: {r.definition}" for r in card.kpis)
    notes += symbols_note(data, figures_.suppression_threshold, figures_.minimum_rate_denominator)
    return Panel(title, data, "% recorded within 1 business day", notes)


def last_imports(db: Db, inp: PanelInputs, *, imported_by: str | None = None, limit: int = 10) -> Panel:
    b = ImportBatch.__table__.c
    stmt = select(b.id, b.kind, b.file_name, b.imported_by, b.finished_at, b.status, b.rows_read,
                  b.rows_inserted, b.rows_updated, b.rows_rejected).order_by(b.id.desc()).limit(limit)
    if imported_by is not None:
        stmt = stmt.where(b.imported_by == imported_by)
    data = _rows(db, stmt)
    if data.empty:
        return Panel("No imports yet", data, "rows")
    rejected = int(data["rows_rejected"].sum())
    title = f"Last {plural(len(data), 'import')}: {rejected:,} rows rejected in total"
    return Panel(title, data, "rows", ("Rejected rows are listed with their reasons on the Upload data page.",
                                       IMPORT_COUNTS_NOTE))


# --------------------------------------------------------------------------------------------
# Board summary and overview
# --------------------------------------------------------------------------------------------


def what_changed(db: Db, inp: PanelInputs, *, extra_query: dict | None = None) -> Panel:
    """Successes, gaps and opportunities against the previous period (metrics.findings)."""
    before = periods.previous(inp.period, SERVICE_START)
    now_card = period_scorecard(db, inp)
    now_bands = band_table(db, inp, "borough")
    previous_card, previous_bands = None, None
    if before is not None and before.end >= SERVICE_START:
        earlier = inp.with_period(before)
        previous_card = period_scorecard(db, earlier)
        previous_bands = band_table(db, earlier, "borough")
    items = findings.what_changed(now_card, previous_card, bands_now=now_bands, bands_before=previous_bands,
                                  extra_query=extra_query, minimum_denominator=inp.minimum_rate_denominator,
                                  threshold=inp.suppression_threshold)
    data = pd.DataFrame([{"kind": findings.KIND_HEADINGS[f.kind], "finding": f.text, "evidence": f.evidence}
                         for f in items], columns=["kind", "finding", "evidence"])
    counts = {k: sum(1 for f in items if f.kind == k) for k in findings.KINDS}
    compared = before.label if before is not None else "no previous period"
    title = (f"Since {compared}: {plural(counts['success'], 'success', 'successes')}, "
             f"{plural(counts['gap'], 'gap')}, {plural(counts['opportunity'], 'opportunity', 'opportunities')}")
    return Panel(title, data, None, (
        "Generated from this period's scorecard and forecast bands against the previous period's (metrics.findings); "
        "each item links to its evidence.",), {"findings": tuple(items)})


def headline(db: Db, inp: PanelInputs) -> Panel:
    """The overview's headline figures: referrals against band, key KPIs, open cases."""
    c = Referral.__table__.c
    card = period_scorecard(db, inp)
    received = int(db.execute(inp.referrals.with_only_columns(func.count()).where(
        c.received_on.between(inp.start, inp.end))).scalar_one())
    open_cases = int(db.execute(inp.referrals.with_only_columns(func.count()).where(
        c.received_on <= inp.as_of, c.concluded_on.is_(None) | (c.concluded_on > inp.as_of))).scalar_one())
    forecasts = _forecasts(db, inp.demand_unit_ids)
    share = inp.period.days / 365.0
    low, high = float(forecasts["predicted_low"].sum()) * share, float(forecasts["predicted_high"].sum()) * share
    band = None if low == 0 else "below" if received < low else "above" if received > high else "within"
    figures_ = figures(db, inp)
    # The headline shows what the tiles and the KPIs page show (DOMAIN.md "Suppression"): a
    # count of 1-4 referrals is [c]; a KPI's rate is shown only where shown_kpi shows it, since
    # the KPIs page prints its denominator and rate x denominator would give a small count back.
    received_text = SUPPRESSED if 1 <= received < inp.suppression_threshold else f"{received:,}"
    rows = [{"figure": "Referrals received", "value": received_text,
             "context": f"expected {low:,.0f}–{high:,.0f} ({BAND_LABELS[band]})" if band else "no forecast"}]
    for code in ("DS2", "DS3", "SL002", "DS5"):
        r = card.kpi(code)
        if r is not None:
            shown = shown_kpi(r, figures_)["value"]
            value = _value_text(r) if isinstance(shown, float) or r.extra.get("needs") or r.value is None else (
                shown if shown == WITHHELD_RATE else pct(shown))
            rows.append({"figure": f"{code} {r.title}", "value": value,
                         "context": f"target {pct(r.target, 0)}: {_status_text(r.status)}"})
    open_text = SUPPRESSED if 1 <= open_cases < inp.suppression_threshold else f"{open_cases:,}"
    rows.append({"figure": "Open referrals", "value": open_text, "context": f"on {inp.as_of:%d %B %Y}"})
    data = pd.DataFrame(rows)
    below = [r.code for r in card.kpis if r.status in ("below target", "below trigger")]
    title = (f"{inp.period.label}: {received_text} referrals" + (f" ({BAND_LABELS[band]})" if band else "")
             + (f"; {len(below)} measures below target" if below else "; all measures with data on target"))
    unmeasurable = [r.code for r in card.kpis if r.extra.get("needs")]
    if unmeasurable:  # issue 17 finding 2: say what the loaded data cannot measure
        title += f"; not measurable from the data loaded: {', '.join(unmeasurable)} (need the case extract)"
    return Panel(title, data, None, (forecast_note(inp.forecast_period_days),))



# Issue 13 parts 6 and 7: panels of their own modules, reachable here for ui.panel_data.
from metrics.coverage import ram_download_windows, sl002_coverage  # noqa: E402, F401
from metrics.official import sl002_official_panel  # noqa: E402, F401


# --------------------------------------------------------------------------------------------
# Compare areas, Fingertips style (issue 17 part 2)
# --------------------------------------------------------------------------------------------

COMPARE_BY = compare.AREA_KINDS
#: What the Compare areas page opens on (the warm-up computes it ahead): DS2, the issue's example.
COMPARE_FIRST_VIEW = {"code": "DS2", "by": "borough"}


def _compare_settings(inp: PanelInputs) -> dict:
    return dict(start=inp.start, end=inp.end, as_of=inp.as_of, demand_unit_ids=inp.demand_unit_ids,
                provider_id=inp.provider_id, ds1_bound=inp.ds1_bound, forecast_period_days=inp.forecast_period_days,
                threshold=inp.suppression_threshold, minimum_denominator=inp.minimum_rate_denominator,
                comparator_label=inp.view_label)


def _compare_across_views(db: Db, inp: PanelInputs, code: str, by: str) -> dict | None:
    """What the areas' own views hide (metrics.partitions), when this view is the whole of that
    partition (Greater Manchester by borough or provider, a provider's contract by borough)."""
    for partition in inp.partitions:
        if partition.kind == by and partition.own is None:
            if inp.period.kind != "custom" or column_of(inp.period) is not None:
                return rows_for_period(db, partition, inp.period, inp.as_of, inp.suppression_threshold).get(code)
            # A custom period (whole months): an area's figure is hidden where any of its months'
            # is (as hidden_across_views does for the view's own figures).
            out: dict[str, tuple[bool, bool]] = {}
            for one in periods.periods_between(inp.period.start, inp.period.end, "month"):
                for label, (num, den) in (rows_for_period(db, partition, one, inp.as_of, inp.suppression_threshold)
                                          .get(code) or {}).items():
                    was = out.get(label, (False, False))
                    out[label] = (was[0] or num, was[1] or den)
            return out or None
    return None


def compare_areas_panel(db: Db, inp: PanelInputs, *, code: str, by: str = "borough") -> Panel:
    """One measure across the view's boroughs, PDUs, hubs or providers against the whole view
    (:func:`metrics.compare.compare_areas`), with one as-of date (the view's) for every area.
    ``data`` is the table as shown; ``extra`` holds the funnel (points, limits, comparator)
    and the outliers beyond the 99.8% limits."""
    result = compare.compare_areas(db, inp.referrals, code=code, by=by, **_compare_settings(inp),
                                   across_views=_compare_across_views(db, inp, code, by))
    notes = list(result.notes)
    if result.outliers:
        notes.append("Outside the 99.8% funnel limits: " + ", ".join(result.outliers) + ".")
    elif len(result.funnel):
        notes.append("No area lies outside the 99.8% funnel limits.")
    return Panel(result.title, result.table, "%", tuple(notes), extra={
        "code": code, "by": by, "funnel": result.funnel, "funnel_limits": result.funnel_limits,
        "outliers": result.outliers, "comparator": result.comparator_value,
        "comparator_label": result.comparator_label, "as_of": result.as_of})


def compare_matrix_panel(db: Db, inp: PanelInputs, *, by: str = "borough") -> Panel:
    """Every measure × every area of the view on one screen, each cell the value shown by
    :func:`compare_areas_panel` with ▲ better, ● similar, ▼ worse than the whole view."""
    across = {code: _compare_across_views(db, inp, code, by) for code in KPI_CODES}
    results = compare.kpi_matrix_results(db, inp.referrals, codes=list(KPI_CODES), by=by, **_compare_settings(inp),
                                         across_views={c: a for c, a in across.items() if a is not None})
    frame = compare.matrix_frame(results, by)
    worse = sum(cell.endswith("▼") for column in frame.columns for cell in frame[column])
    better = sum(cell.endswith("▲") for column in frame.columns for cell in frame[column])
    kind = compare._KIND_WORD[by]
    title = (f"Every measure by {kind}: {plural(worse, 'result')} worse and {plural(better, 'result')} better "
             f"than {inp.view_label}" if worse or better
             else f"Every measure by {kind}: no {kind} differs from {inp.view_label}")
    notes = [f"Each cell: the value (%) and ▲ better, ● similar, ▼ worse than {inp.view_label} "
             "(Wilson 95% interval, polarity-aware); no symbol: not compared. DS1 is referrals received "
             "as a % of the forecast, not compared.",
             f"{compare.NOT_SHOWN}: fewer than {inp.minimum_rate_denominator} cases, or a count of 1 to "
             f"{inp.suppression_threshold - 1} people (hidden with the counts that would give it back)."]
    suppressed = [r.code for r in results if any(note.startswith(SUPPRESSED) for note in r.notes)]
    if suppressed:
        notes.append("Counts suppressed behind these measures' values: " + ", ".join(suppressed) + ".")
    data = frame.reset_index().rename(columns={frame.index.name: "area"})
    return Panel(title, data, "%", tuple(notes), extra={"by": by, "as_of": results[0].as_of if results else None})


# --------------------------------------------------------------------------------------------
# The provider's working day (metrics.cases_due): breach list, measures by hub, SL002 this month
# --------------------------------------------------------------------------------------------


def cases_due(db: Db, inp: PanelInputs, *, lookback_working_days: int | None = 20) -> Panel:
    """Every open case of every deadline measure, most urgent first (``metrics.cases_due``)."""
    from metrics import cases_due as provider_day

    return provider_day.cases_due_panel(db, inp, lookback_working_days=lookback_working_days)


def measures_by_hub(db: Db, inp: PanelInputs) -> Panel:
    """DS1 and every other measure by hub, rate with n/N, suppressed as Compare areas."""
    from metrics import cases_due as provider_day

    return provider_day.measures_by_hub_panel(db, inp)


def sl002_projection(db: Db, inp: PanelInputs) -> Panel:
    """SL002 for the as-of date's month: so far, projected, and its range."""
    from metrics import cases_due as provider_day

    return provider_day.sl002_projection_panel(db, inp)


def reconciliation(db: Db, inp: PanelInputs) -> Panel:
    """Where the view's case extract and Refer and Monitor report disagree (the Reconciliation
    page; ``metrics.reconciliation`` says what is compared). ``data`` is the list, one row per
    referral and kind of disagreement; ``extra["counts"]`` the referrals of each kind. A case
    list, for the roles that see case references: its counts are those of the rows listed, so
    they are not suppressed; a role without case references gets suppressed counts only."""
    from metrics import reconciliation as rec

    listing, compared = rec.disagreements(db, inp.referrals)
    counts = rec.counts_by_kind(listing)
    referrals = listing["referral_ref"].nunique()
    if not inp.sees_case_ids:
        counts["referrals"] = [count_text(n, inp.suppression_threshold) for n in counts["referrals"]]
        listing = listing.iloc[0:0]
    title = (f"{plural(referrals, 'referral')} where the case extract and Refer and Monitor disagree"
             if referrals else "The case extract and Refer and Monitor agree for every referral in this view")
    if referrals and not inp.sees_case_ids:
        title = "Referrals where the case extract and Refer and Monitor disagree"
    notes = (
        "Compared: which referrals each source holds; the first attended assessment and first attended session "
        "(Refer and Monitor's dates against the earliest appointment the case extract records as attended, YES or "
        "LATE); the end state (Refer and Monitor's completed / cancelled / ended against the case extract's exit "
        "record); appointments attended after Refer and Monitor's end date or dated before its referral date.",
        "Not compared: the case extract has no referral date, no end date (its exit record's date is when the exit "
        "survey was offered) and no action-plan dates. A date held by one source only counts when the case extract "
        "lists appointments for that referral.",
        f"Exit reasons written in words that are not a Refer and Monitor end state (e.g. 'Completed programme'), "
        f"not compared with the end state: {count_text(compared['exit_reasons_not_compared'], inp.suppression_threshold)}"
        " referrals.",
        "Every referral in the view is compared, whatever its dates: the period does not apply.",
    )
    # Refer and Monitor's referral reference is what both sources and R&M's screens show; its
    # internal id (a UUID) would only widen the table.
    return Panel(title, listing.drop(columns=["kind", "referral_id"]), "referrals", notes,
                 extra={"counts": counts, "compared": compared})
