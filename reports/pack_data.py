"""Gather every table of a pack from ``metrics``, with disclosure control applied.

A :class:`Pack` is format-free: titled tables (display values, with ``[c]`` where a count is
suppressed), optional chart data (numbers, with suppressed points left empty), notes, the
"what changed" findings, definitions, assumptions, filters and the "as of" date. The
renderers (:mod:`reports.slides`, :mod:`reports.pdf`, :mod:`reports.workbook`) print exactly
what is here, so every format of a pack carries the same numbers.

Rules applied here (DOMAIN.md "Suppression"; compute on true counts, suppress what is shown):

* counts of people from 1 to ``threshold − 1`` are ``[c]``, with secondary suppression where a
  table's totals would give them back (:func:`metrics.disclosure.suppress_counts`);
* a rate on fewer than ``minimum_rate_denominator`` cases is ``[low]`` (not shown);
* money, forecasts and action-plan counts are not about people and are not suppressed.

Every query starts from :func:`data_access.scoping.referrals_select` with the user's scope, so
a provider's pack cannot contain another provider's referrals; spend and forecasts are limited
to the contracts and boroughs that scope and filters cover.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from data_access.models import (
    Borough,
    Contract,
    DemandUnit,
    Forecast,
    Hub,
    Provider,
    Referral,
)
from data_access.reference import end_reason_classes
from data_access.scoping import AccessScope, ReferralFilters, referrals_select
from data_access.settings import Settings
from metrics import periods
from metrics.breakdowns import (
    EQUALITY_STRANDS,
    complexity_mix,
    distance_summary,
    referrals_against_forecast,
    spend_against_profile,
)
from domain.catalogue import KPI_CATALOGUE, NEEDS
from domain.dates import working_day_deadline
from metrics.disclosure import SUPPRESSED, WITHHELD_RATE, displayable_rate, suppress_counts, suppression_note
from metrics.findings import SERVICE_START, Finding, what_changed
from metrics.periods import Period
from metrics.queries import (
    Scorecard,
    demand_units_for,
    distance_change_sums,
    fetch_case_table,
    kpi_definitions,
    monthly_series,
    scorecard,
    spend_frames,
)
from metrics.results import KpiResult
from metrics.spc import xmr

Progress = Callable[[float, str], None]
PackKind = Literal["board", "contract", "epop"]


# --------------------------------------------------------------------------------------------
# The format-free pack
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChartSpec:
    """A native chart: ``data`` has the category column and numeric series (NaN = not shown)."""

    kind: Literal["column", "bar"]
    data: pd.DataFrame
    category: str
    series: tuple[str, ...]
    number_format: str = "0"
    axis_title: str | None = None


@dataclass(frozen=True)
class PackTable:
    """One table of a pack: a sheet in the workbook, a slide (or more) in the deck.

    ``style`` tells the slide and PDF renderers how to lay it out: a plain ``table``, the
    grouped ``findings`` list, or ``text`` (the frame's single column as paragraphs).
    """

    key: str  # sheet name (≤ 31 characters)
    title: str
    frame: pd.DataFrame
    notes: tuple[str, ...] = ()
    chart: ChartSpec | None = None
    headline: str | None = None
    style: Literal["table", "findings", "text"] = "table"


@dataclass(frozen=True)
class Pack:
    kind: PackKind
    title: str
    period: Period
    as_of: dt.date | None
    filters: tuple[tuple[str, str], ...]
    tables: tuple[PackTable, ...]
    definitions: pd.DataFrame
    assumptions: tuple[str, ...]
    suppression_note: str
    findings: tuple[Finding, ...] = ()
    generated_at: dt.datetime = field(default_factory=lambda: dt.datetime.now().replace(microsecond=0))

    @property
    def filters_text(self) -> str:
        return "; ".join(f"{label}: {value}" for label, value in self.filters) or "none"

    @property
    def as_of_text(self) -> str:
        return f"Data as of {self.as_of:%d %B %Y}" if self.as_of else "No data in scope"

    @property
    def context_line(self) -> str:
        """Printed on every slide and page: period, filters, freshness."""
        return f"{self.period.label} · Filters: {self.filters_text} · {self.as_of_text}"

    def table(self, key: str) -> PackTable:
        return next(t for t in self.tables if t.key == key)


def _noop(fraction: float, message: str) -> None:  # default progress callback
    return None


# --------------------------------------------------------------------------------------------
# Periods, filters and disclosure helpers
# --------------------------------------------------------------------------------------------


def period_for(start: dt.date, end: dt.date) -> Period:
    """The named month, financial quarter or contract year ``start``–``end`` is, else custom."""
    for make in (periods.month, periods.quarter, lambda d: periods.contract_year(d, SERVICE_START)):
        period = make(start)
        if (period.start, period.end) == (start, end):
            return period
    return periods.custom(start, end)


def previous_period(period: Period) -> Period:
    """The period before (same kind); for a custom range, the same number of days before it."""
    before = periods.previous(period, SERVICE_START)
    if before is not None:
        return before
    end = period.start - dt.timedelta(days=1)
    return periods.custom(end - dt.timedelta(days=period.days - 1), end)


def describe_filters(db: Session, scope: AccessScope, filters: ReferralFilters) -> tuple[tuple[str, str], ...]:
    """Filters in words, for printing on the pack (names, not database ids)."""
    out: list[tuple[str, str]] = []
    if scope.role == "provider":
        name = db.scalar(select(Provider.name).where(Provider.id == scope.provider_id))
        out.append(("Provider", name or "(none)"))
    if filters.region_code:
        out.append(("Region", filters.region_code))
    if filters.pdu_number is not None:
        out.append(("PDU", str(filters.pdu_number)))
    if filters.borough_id is not None:
        out.append(("Borough", db.scalar(select(Borough.name).where(Borough.id == filters.borough_id)) or "?"))
    if filters.hub_id is not None:
        out.append(("Hub", db.scalar(select(Hub.name).where(Hub.id == filters.hub_id)) or "?"))
    if filters.contract_id is not None:
        row = db.execute(
            select(Contract.reference, Provider.name).join(Provider, Provider.id == Contract.provider_id)
            .where(Contract.id == filters.contract_id)
        ).first()
        out.append(("Contract", f"{row[0]} ({row[1]})" if row else "?"))
    if filters.provider_id is not None and scope.role != "provider":
        out.append(("Provider", db.scalar(select(Provider.name).where(Provider.id == filters.provider_id)) or "?"))
    if filters.complexity:
        out.append(("Complexity", filters.complexity.title()))
    if not out:
        out.append(("Scope", "All Greater Manchester (GMIRS)"))
    return tuple(out)


def _counts_display(result) -> pd.DataFrame:
    """A DisclosureResult's table with shown counts as integers and hidden ones as ``[c]``."""
    hidden = result.suppressed.to_numpy()
    values = result.table.to_numpy()
    out = np.empty(values.shape, dtype=object)
    for index in np.ndindex(values.shape):
        out[index] = SUPPRESSED if hidden[index] else int(values[index])
    return pd.DataFrame(out, index=result.table.index, columns=result.table.columns)


def suppressed_column(counts: pd.Series, threshold: int, *, total_label: str = "Total") -> tuple[pd.Series, str | None]:
    """One column of counts of people with a total row, suppressed (primary and secondary)."""
    frame = counts.astype("int64").to_frame("n")
    if frame.empty:
        return pd.Series(dtype=object), None
    result = suppress_counts(frame, threshold=threshold)
    display = _counts_display(result)["n"]
    display.index = [total_label if i == "Total" else i for i in display.index]
    return display, result.note


def _rate_or_withheld(numerator: float, denominator: float, settings: Settings, *, protect: bool = False):
    value = displayable_rate(
        int(round(numerator)), int(round(denominator)), minimum_denominator=settings.minimum_rate_denominator,
        threshold=settings.suppression_threshold, protect_numerator=protect,
    )
    return WITHHELD_RATE if value is None else round(value, 1)


def _chart_number(value) -> float:
    return float(value) if isinstance(value, (int, float, np.integer, np.floating)) and not pd.isna(value) else np.nan


def pack_suppression_note(settings: Settings) -> str:
    return (
        suppression_note(settings.suppression_threshold, settings.minimum_rate_denominator)
        + f" {WITHHELD_RATE} marks a rate that is not shown."
    )


def definitions_frame(definitions=KPI_CATALOGUE) -> pd.DataFrame:
    """The catalogue as a table: code, title, definition, cohort, numerator, denominator,
    target, trigger, source, assumption."""
    return pd.DataFrame(
        [
            {
                "Code": d.code, "Measure": d.title, "Definition": d.definition, "Counted when": d.cohort_event,
                "Numerator": d.numerator, "Denominator": d.denominator,
                "Target (%)": d.target, "Trigger (%)": d.trigger, "Source": d.source,
                "Assumption": d.assumption or "",
            }
            for d in definitions
        ]
    )


# --------------------------------------------------------------------------------------------
# KPI summary with variation and assurance
# --------------------------------------------------------------------------------------------

VARIATION_WORDS = {
    "common": "common cause",
    "improvement": "special cause: improvement",
    "concern": "special cause: concern",
    "neutral": "special cause",
}
ASSURANCE_WORDS = {
    "pass": "will consistently meet target",
    "fail": "will consistently miss target",
    "inconsistent": "will meet and miss target (inconsistent)",
}
SPC_MONTHS = 24


def variation_and_assurance(series: pd.DataFrame | None, definition) -> tuple[str, str, bool]:
    """Making Data Count variation of the latest month and assurance, from a monthly series.

    Returns (variation words, assurance words, provisional limits?). Months with no cases are
    left out (an SPC chart has no gaps); fewer than 2 months give no chart.
    """
    if series is None:
        return "–", "–", False
    usable = series[series["denominator"] > 0]
    if len(usable) < 2:
        return "too few months", "–", False
    chart = xmr(
        usable["value"].to_numpy(dtype=float), improvement=definition.polarity, target=definition.target,
        x=list(usable["month"]),
    )
    point = chart.points[-1]
    variation = VARIATION_WORDS.get(point.signal, point.signal)
    if point.rule:
        variation += f" ({point.rule.replace('_', ' ')})"
    assurance = ASSURANCE_WORDS.get(chart.assurance, "no target") if chart.assurance else "–"
    return variation, assurance, chart.provisional


def kpi_row(result: KpiResult, settings: Settings) -> dict:
    """A KPI's numerator, denominator and value as they may be shown (the CLI's rules)."""
    threshold = settings.suppression_threshold
    numerator: object = int(round(result.numerator)) if result.code != "DS1" else int(result.numerator)
    denominator: object = result.denominator
    if result.code == "DS1":  # denominator is a pro-rated forecast, not a count of people
        denominator = round(float(result.denominator), 1)
        value = None if result.value is None else round(result.value, 1)
        if 1 <= int(result.numerator) < threshold:
            numerator, value = SUPPRESSED, None
        shown_value = WITHHELD_RATE if value is None and numerator == SUPPRESSED else value
    else:
        denominator = int(round(result.denominator))
        shown_value = (
            None if result.value is None and result.denominator == 0
            else _rate_or_withheld(result.numerator, result.denominator, settings)
        )
        if 1 <= int(round(result.numerator)) < threshold:
            numerator = SUPPRESSED
        if 1 <= int(round(result.denominator)) < threshold:
            denominator = SUPPRESSED
    status = result.status if shown_value != WITHHELD_RATE else "not shown (small numbers)"
    return {"numerator": numerator, "denominator": denominator, "value": shown_value, "status": status}


def kpi_summary_table(
    card: Scorecard, series: dict[str, pd.DataFrame], definitions, settings: Settings, period: Period
) -> PackTable:
    by_code = {d.code: d for d in definitions}
    rows, provisional_any = [], False
    for result in card.kpis:
        shown = kpi_row(result, settings)
        if shown["value"] == WITHHELD_RATE or shown["value"] is None:
            variation, assurance, provisional = "–", "–", False
        else:
            variation, assurance, provisional = variation_and_assurance(series.get(result.code), by_code[result.code])
        provisional_any |= provisional
        rows.append({
            "Code": result.code, "Measure": result.title, "Numerator": shown["numerator"],
            "Denominator": shown["denominator"], "Value (%)": shown["value"], "Target (%)": result.target,
            "Status": shown["status"], "Variation": variation + (" *" if provisional else ""), "Assurance": assurance,
        })
    frame = pd.DataFrame(rows, columns=["Code", "Measure", "Numerator", "Denominator", "Value (%)", "Target (%)",
                                        "Status", "Variation", "Assurance"], dtype=object)
    chart_data = pd.DataFrame({
        "Code": frame["Code"],
        "Value (%)": [_chart_number(v) for v in frame["Value (%)"]],
        "Target (%)": [_chart_number(v) for v in frame["Target (%)"]],
    })
    notes = [
        "Variation and assurance: XmR chart of the monthly values (Making Data Count) over up to "
        f"{SPC_MONTHS} months to the end of the period; variation describes the latest month.",
    ]
    if provisional_any:
        notes.append("* Fewer than 13 months: the process limits are provisional.")
    notes += [a for a in card.assumptions]
    met = sum(1 for r in card.kpis if r.status == "met")
    headline = f"{met} of {len(card.kpis)} measures met their target in {period.label}."
    return PackTable(
        "KPI summary", "KPIs against target, with variation and assurance", frame, tuple(notes),
        ChartSpec("bar", chart_data, "Code", ("Value (%)", "Target (%)"), '0.0', "%"), headline,
    )


# --------------------------------------------------------------------------------------------
# Referrals against forecast by borough
# --------------------------------------------------------------------------------------------


def referral_counts_by_borough(db: Session, referrals, start: dt.date, end: dt.date) -> pd.DataFrame:
    c = Referral.__table__.c
    stmt = (
        referrals.with_only_columns(Borough.name, func.count())
        .join_from(Referral.__table__, Borough, Borough.id == c.borough_id)
        .where(c.received_on.between(start, end))
        .group_by(Borough.name)
    )
    return pd.DataFrame(db.execute(stmt).all(), columns=["borough", "referrals"])


def forecasts_by_borough(db: Session, demand_unit_ids: Sequence[int] | None) -> pd.DataFrame:
    """Published annual 40–60% band per borough (latest base date per demand unit, summed)."""
    f = Forecast.__table__.c
    latest = select(f.demand_unit_id, func.max(f.base_date).label("base_date")).group_by(f.demand_unit_id).subquery()
    stmt = (
        select(Borough.name, func.sum(f.predicted_low), func.sum(f.predicted_high))
        .select_from(Forecast.__table__)
        .join(latest, and_(latest.c.demand_unit_id == f.demand_unit_id, latest.c.base_date == f.base_date))
        .join(DemandUnit, DemandUnit.id == f.demand_unit_id)
        .join(Borough, Borough.id == DemandUnit.borough_id)
        .group_by(Borough.name)
    )
    if demand_unit_ids is not None:
        stmt = stmt.where(f.demand_unit_id.in_(list(demand_unit_ids)))
    return pd.DataFrame(db.execute(stmt).all(), columns=["borough", "predicted_low", "predicted_high"])


def forecast_bands(db: Session, referrals, units, start: dt.date, end: dt.date, settings: Settings) -> pd.DataFrame:
    counts = referral_counts_by_borough(db, referrals, start, end)
    forecasts = forecasts_by_borough(db, units)
    if forecasts.empty:
        return pd.DataFrame(columns=["borough", "referrals", "expected_low", "expected_high", "band", "assumption"])
    return referrals_against_forecast(
        counts, forecasts, by="borough", start=start, end=end, period_days=settings.forecast_period_days
    ).sort_values("borough").reset_index(drop=True)


def forecast_table(bands: pd.DataFrame, settings: Settings) -> PackTable:
    shown, note = suppressed_column(bands.set_index("borough")["referrals"], settings.suppression_threshold)
    frame = pd.DataFrame({
        "Borough": list(shown.index),
        "Referrals": list(shown.values),
        "Expected (low)": list(bands["expected_low"].round(1)) + [round(bands["expected_low"].sum(), 1)],
        "Expected (high)": list(bands["expected_high"].round(1)) + [round(bands["expected_high"].sum(), 1)],
        "Band": list(bands["band"]) + [""],
    }) if len(bands) else pd.DataFrame(columns=["Borough", "Referrals", "Expected (low)", "Expected (high)", "Band"])
    body = frame.iloc[:-1] if len(frame) else frame
    chart = ChartSpec(
        "column",
        pd.DataFrame({
            "Borough": body["Borough"],
            "Referrals": [_chart_number(v) for v in body["Referrals"]],
            "Expected (low)": body["Expected (low)"].astype(float),
            "Expected (high)": body["Expected (high)"].astype(float),
        }),
        "Borough", ("Referrals", "Expected (low)", "Expected (high)"), "#,##0", "referrals",
    )
    outside = [f"{b} ({band})" for b, band in zip(bands["borough"], bands["band"]) if band in ("below", "above")]
    headline = ("Outside the 40–60% band: " + ", ".join(outside) + ".") if outside else "Every borough is within its forecast band."
    notes = [bands["assumption"].iloc[0]] if len(bands) else []
    if note:
        notes.append(note)
    return PackTable("Referrals v forecast", "Referrals received against the forecast band, by borough", frame,
                     tuple(notes), chart, headline)


# --------------------------------------------------------------------------------------------
# Complexity mix
# --------------------------------------------------------------------------------------------


def complexity_tables(db: Session, referrals, start: dt.date, end: dt.date, settings: Settings) -> list[PackTable]:
    c = Referral.__table__.c
    rows = db.execute(
        referrals.with_only_columns(c.complexity, func.count())
        .where(c.received_on.between(start, end)).group_by(c.complexity)
    ).all()
    counts = {(k or "NOT RECORDED"): int(n) for k, n in rows}
    mix = complexity_mix(counts)
    shown, note = suppressed_column(mix.table.set_index("complexity")["observed"], settings.suppression_threshold)
    shares = []
    for level, observed in zip(mix.table["complexity"], mix.table["observed"]):
        shares.append(_rate_or_withheld(observed, mix.n, settings, protect=True) if mix.n else None)
    frame = pd.DataFrame({
        "Complexity": [str(i).title() for i in shown.index],
        "Referrals": list(shown.values),
        "Share (%)": shares + [100.0 if mix.n else None],
        "Reference share (%)": list((100 * mix.table["expected_share"]).round(1)) + [100.0],
    })
    chart = ChartSpec(
        "column",
        pd.DataFrame({"Complexity": frame["Complexity"].iloc[:-1],
                      "Share (%)": [_chart_number(v) for v in frame["Share (%)"].iloc[:-1]],
                      "Reference share (%)": frame["Reference share (%)"].iloc[:-1].astype(float)}),
        "Complexity", ("Share (%)", "Reference share (%)"), "0.0", "%",
    )
    if mix.more_than_chance is None:
        headline = "Too few referrals to test the mix against 23/56/21."
    elif mix.more_than_chance:
        headline = f"The mix differs from 23/56/21 by more than chance (chi-square p = {mix.p_value:.3f})."
    else:
        headline = f"The mix is consistent with 23/56/21 (chi-square p = {mix.p_value:.3f})."
    notes = [mix.note] + ([note] if note else [])
    mix_table = PackTable("Complexity mix", "Complexity mix of referrals received", frame, tuple(notes), chart, headline)

    by_borough = db.execute(
        referrals.with_only_columns(Borough.name, c.complexity, func.count())
        .join_from(Referral.__table__, Borough, Borough.id == c.borough_id)
        .where(c.received_on.between(start, end), c.complexity.is_not(None))
        .group_by(Borough.name, c.complexity)
    ).all()
    cross = pd.DataFrame(by_borough, columns=["Borough", "complexity", "n"])
    if cross.empty:
        cross_frame = pd.DataFrame(columns=["Borough", "Low", "Medium", "High", "Total"])
        cross_note = None
    else:
        wide = cross.pivot_table(index="Borough", columns="complexity", values="n", aggfunc="sum", fill_value=0)
        wide = wide.reindex(columns=["LOW", "MEDIUM", "HIGH"], fill_value=0).sort_index()
        wide.columns = ["Low", "Medium", "High"]
        result = suppress_counts(wide, threshold=settings.suppression_threshold)
        cross_frame = _counts_display(result).reset_index(names="Borough")
        cross_note = result.note
    borough_table = PackTable(
        "Complexity by borough", "Complexity of referrals received, by borough", cross_frame,
        tuple(n for n in (cross_note,) if n),
    )
    return [mix_table, borough_table]


# --------------------------------------------------------------------------------------------
# Distance travelled by need (Decision 6)
# --------------------------------------------------------------------------------------------


def distance_table(db: Session, referrals, start: dt.date, end: dt.date, settings: Settings) -> PackTable:
    sums = distance_change_sums(db, referrals, start=start, end=end)
    order = [code for code, _ in NEEDS] + ["all"]
    columns = ["Need", "People", "Mean change", "95% CI lower", "95% CI upper", "Improved (%)", "Same (%)", "Worse (%)"]
    if sums.empty:
        frame = pd.DataFrame(columns=columns)
    else:
        result = distance_summary(sums)
        result["_order"] = result["need_code"].map({code: i for i, code in enumerate(order)})
        result = result.sort_values("_order")
        records = []
        for row in result.itertuples(index=False):
            people = int(row.people)
            shown = people >= settings.minimum_rate_denominator
            records.append({
                "Need": row.need,
                "People": SUPPRESSED if 1 <= people < settings.suppression_threshold else people,
                "Mean change": round(row.mean_change, 2) if shown else WITHHELD_RATE,
                "95% CI lower": round(row.ci_lower, 2) if shown else WITHHELD_RATE,
                "95% CI upper": round(row.ci_upper, 2) if shown else WITHHELD_RATE,
                "Improved (%)": round(100 * row.improved, 1) if shown else WITHHELD_RATE,
                "Same (%)": round(100 * row.same, 1) if shown else WITHHELD_RATE,
                "Worse (%)": round(100 * row.worse, 1) if shown else WITHHELD_RATE,
            })
        frame = pd.DataFrame(records, columns=columns)
    body = frame[frame["Need"] != "All needs"]
    chart = ChartSpec("bar", pd.DataFrame({"Need": body["Need"], "Mean change": [_chart_number(v) for v in body["Mean change"]]}),
                      "Need", ("Mean change",), "0.00", "mean change in score")
    scale = f"{settings.distance_scale_min} = high need … {settings.distance_scale_max} = no need"
    headline = None
    shown_rows = body[body["Mean change"] != WITHHELD_RATE]
    if len(shown_rows):
        least = shown_rows.sort_values("Mean change").iloc[0]
        headline = f"Least improvement: {least['Need']} (mean change {least['Mean change']:+.2f})."
    notes = (
        f"People who left the service in the period; change = exit (or latest review) minus baseline score per need; "
        f"scale {scale}, so a positive change is an improvement (Decision 6). The scale is configurable.",
        f"Means and shares on fewer than {settings.minimum_rate_denominator} people are not shown.",
    )
    return PackTable("Distance travelled", "Distance travelled by need", frame, notes, chart, headline)


# --------------------------------------------------------------------------------------------
# Equalities (Appendix A strands), suppressed
# --------------------------------------------------------------------------------------------

STRAND_NAMES = {"age_band": "Age", "sex": "Sex", "disability": "Disability", "ethnicity": "Ethnicity",
                "religion": "Religion", "sexual_orientation": "Sexual orientation"}


def equalities_table(db: Session, referrals, start: dt.date, end: dt.date, settings: Settings) -> PackTable:
    """Attended an intervention appointment, by equality strand, for referrals that ended in
    the period (the SL002 question asked of each group)."""
    c = Referral.__table__.c
    rows = db.execute(
        referrals.with_only_columns(*(c[s] for s in EQUALITY_STRANDS), c.first_session_on, c.concluded_on)
        .where(c.concluded_on.between(start, end))
    ).all()
    cases = pd.DataFrame(rows, columns=[*EQUALITY_STRANDS, "first_session_on", "concluded_on"])
    attended = cases["first_session_on"].notna() & (
        pd.to_datetime(cases["first_session_on"]) <= pd.to_datetime(cases["concluded_on"])
    )
    records, notes = [], []
    for strand in EQUALITY_STRANDS:
        groups = cases[strand].fillna("Not recorded")
        counts = pd.crosstab(groups, attended).reindex(columns=[True, False], fill_value=0)
        counts.columns = ["Attended", "Did not attend"]
        if counts.empty:
            continue
        result = suppress_counts(counts.sort_index(), threshold=settings.suppression_threshold)
        shown = _counts_display(result)
        if result.note:
            notes.append(f"{STRAND_NAMES[strand]}: {result.note}")
        for group, row in shown.iterrows():
            true_attended = int(counts["Attended"].get(group, counts["Attended"].sum()))
            true_total = int(counts.loc[group].sum()) if group in counts.index else int(counts.to_numpy().sum())
            hidden = SUPPRESSED in (row["Attended"], row["Did not attend"], row["Total"])
            rate = WITHHELD_RATE if hidden else _rate_or_withheld(true_attended, true_total, settings, protect=True)
            records.append({"Strand": STRAND_NAMES[strand], "Group": group, "Referrals ended": row["Total"],
                            "Attended": row["Attended"], "Did not attend": row["Did not attend"],
                            "Attended (%)": rate})
    frame = pd.DataFrame(records, columns=["Strand", "Group", "Referrals ended", "Attended", "Did not attend", "Attended (%)"])
    notes.insert(0, "Referrals that ended in the period; attended = an intervention appointment attended on or "
                    "before the end date (as SL002). 'Not recorded' is its own group.")
    return PackTable("Equalities", "Attendance by protected characteristic", frame, tuple(notes))


# --------------------------------------------------------------------------------------------
# Spend against profile (money: not suppressed)
# --------------------------------------------------------------------------------------------


def contracts_in_scope(db: Session, scope: AccessScope, filters: ReferralFilters) -> list[int]:
    """GMIRS contracts the scope and filters cover (a provider: only its own)."""
    stmt = select(Contract.id)
    if not scope.sees_referrals:
        return []
    if scope.role == "provider":
        stmt = stmt.where(Contract.provider_id == scope.provider_id)
    if filters.contract_id is not None:
        stmt = stmt.where(Contract.id == filters.contract_id)
    if filters.provider_id is not None:
        stmt = stmt.where(Contract.provider_id == filters.provider_id)
    return [int(v) for (v,) in db.execute(stmt).all()]


def check_filters_in_scope(db: Session, scope: AccessScope, filters: ReferralFilters) -> None:
    """Refuse a filter naming a contract or provider the scope may not see (deny by default).

    The queries would return nothing for it anyway; refusing also keeps the other contract's
    name off the pack's filter line.
    """
    if not scope.sees_referrals:
        raise PermissionError(f"Role {scope.role!r} may not build packs from referral data.")
    if scope.role != "provider":
        return
    if filters.provider_id is not None and filters.provider_id != scope.provider_id:
        raise PermissionError("A provider can build packs for its own contracts only.")
    if filters.contract_id is not None and filters.contract_id not in contracts_in_scope(db, scope, ReferralFilters()):
        raise PermissionError("A provider can build packs for its own contracts only.")


def spend_table(db: Session, contract_ids: list[int], period: Period) -> PackTable:
    funding, spend = spend_frames(db, contract_ids=contract_ids)
    fy_start = max(dt.date(periods.financial_year_start(period.start), 4, 1), SERVICE_START.replace(day=1))
    months = periods.periods_between(fy_start, period.end, "month")
    columns = ["Month", "Profile (£)", "Spend (£)", "Variance (£)", "Cumulative profile (£)", "Cumulative spend (£)",
               "Cumulative spend (% of profile)"]
    if funding.empty:
        frame = pd.DataFrame(columns=columns)
    else:
        funding = funding.assign(amount=funding["amount"].astype(float))
        profile = spend_against_profile(funding, spend, [m.start for m in months])
        frame = pd.DataFrame({
            "Month": [f"{m:%b %Y}" for m in profile["month"]],
            "Profile (£)": profile["profile"].round(0),
            "Spend (£)": profile["spend"].round(0),
            "Variance (£)": profile["variance"].round(0),
            "Cumulative profile (£)": profile["cumulative_profile"].round(0),
            "Cumulative spend (£)": profile["cumulative_spend"].round(0),
            "Cumulative spend (% of profile)": profile["cumulative_pct_of_profile"].round(1),
        })
    chart = ChartSpec("column", frame[["Month", "Profile (£)", "Spend (£)"]].copy(), "Month",
                      ("Profile (£)", "Spend (£)"), "£#,##0", "£")
    headline = None
    if len(frame):
        pct = frame["Cumulative spend (% of profile)"].iloc[-1]
        headline = f"Year-to-date spend is {pct:.1f}% of the pro-rated funding profile."
    notes = ("Financial year to date. Profile: each funding period's amount spread evenly over its days (GMIRS "
             "specification §1.11); 2025/26 funding is anticipated, not guaranteed.",)
    return PackTable("Spend v profile", "Spend against the funding profile", frame, notes, chart, headline)


# --------------------------------------------------------------------------------------------
# Data quality
# --------------------------------------------------------------------------------------------

def data_quality_table(db: Session, referrals, start: dt.date, end: dt.date, card: Scorecard, settings: Settings) -> PackTable:
    """Counts of records with a problem, among referrals received or ended in the period."""
    c = Referral.__table__.c
    in_period = or_(c.received_on.between(start, end), c.concluded_on.between(start, end))
    checks = {
        "Borough not recorded": c.borough_id.is_(None),
        "Complexity not recorded": c.complexity.is_(None),
        "Not linked to a contract": c.contract_id.is_(None),
        "Ethnicity not recorded": c.ethnicity.is_(None),
        "Ended but no end state": and_(c.concluded_on.is_not(None), c.referral_end_state.is_(None)),
        "Assessment dated before referral": c.saa_first_attended_on < c.received_on,
        "Action plan approved before assessment": c.action_plan_approved_on < c.saa_first_attended_on,
        "Ended before referral received": c.concluded_on < c.received_on,
    }
    stmt = referrals.with_only_columns(
        func.count(), *(func.sum(case((cond, 1), else_=0)) for cond in checks.values())
    ).where(in_period)
    total, *counts = db.execute(stmt).one()
    reasons = db.execute(
        referrals.with_only_columns(c.end_requested_by_pp_reason, func.count())
        .where(in_period, c.end_requested_by_pp_reason.is_not(None)).group_by(c.end_requested_by_pp_reason)
    ).all()
    classes = end_reason_classes(db)
    unrecognised = sum(int(n) for reason, n in reasons if classes.find(reason) is None)
    values = {name: int(v or 0) for name, v in zip(checks, counts)}
    values["End reason not recognised (SL002 treats as neutral)"] = unrecognised
    total = int(total or 0)
    rows = []
    for name, n in values.items():
        rows.append({
            "Check": name,
            "Referrals affected": SUPPRESSED if 1 <= n < settings.suppression_threshold else n,
            "Share of referrals (%)": (WITHHELD_RATE if 1 <= n < settings.suppression_threshold
                                       else _rate_or_withheld(n, total, settings)),
        })
    frame = pd.DataFrame(rows)
    reported = {r.code for r in card.kpis}
    missing = [d.code for d in KPI_CATALOGUE if d.code not in reported]
    notes = [f"Referrals received or ended in the period: {total:,}."]
    if missing:
        notes.append("Not reported (no source data for this scope): " + ", ".join(missing) + ".")
    problems = [r["Check"] for r in rows if r["Referrals affected"] not in (0,)]
    headline = ("Data-quality issues to resolve: " + "; ".join(problems) + ".") if problems else "No data-quality issues found."
    return PackTable("Data quality", "Data-quality checks", frame, tuple(notes), None, headline)


# --------------------------------------------------------------------------------------------
# Findings
# --------------------------------------------------------------------------------------------


def findings_table(findings: Sequence[Finding]) -> PackTable:
    frame = pd.DataFrame(
        [{"Kind": f.kind, "Finding": f.text, "Evidence (dashboard page)": f.evidence} for f in findings],
        columns=["Kind", "Finding", "Evidence (dashboard page)"],
    )
    notes = ("Generated by comparing this period with the previous one (metrics.findings). Rates on fewer "
             "than 10 cases are not compared. Open the evidence link in the dashboard to see the chart.",)
    return PackTable("Findings", "What changed: successes, gaps and opportunities", frame, notes, style="findings")


# --------------------------------------------------------------------------------------------
# Board pack
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PackRequest:
    """What to build, for whom. ``scope`` always applies; ``filters`` only narrow it."""

    period: Period
    scope: AccessScope
    filters: ReferralFilters = field(default_factory=ReferralFilters)
    as_of: dt.date | None = None


def _units(db: Session, scope: AccessScope, filters: ReferralFilters):
    provider_id = scope.provider_id if scope.role == "provider" else filters.provider_id
    return demand_units_for(
        db, borough_id=filters.borough_id, pdu_number=filters.pdu_number, region_code=filters.region_code,
        contract_id=filters.contract_id, provider_id=provider_id,
    )


def _scorecards(db, referrals, request: PackRequest, settings: Settings, definitions, units):
    period = request.period
    card = scorecard(db, referrals, start=period.start, end=period.end, as_of=request.as_of, definitions=definitions,
                     demand_unit_ids=units, ds1_bound=settings.ds1_forecast_bound,
                     forecast_period_days=settings.forecast_period_days)
    before = previous_period(period)
    previous = scorecard(db, referrals, start=before.start, end=before.end, as_of=card.as_of, definitions=definitions,
                         demand_unit_ids=units, ds1_bound=settings.ds1_forecast_bound,
                         forecast_period_days=settings.forecast_period_days)
    spc_start = max(SERVICE_START.replace(day=1), (period.end.replace(day=1) - pd.DateOffset(months=SPC_MONTHS - 1)).date())
    series = monthly_series(db, referrals, start=spc_start, end=period.end, as_of=card.as_of, definitions=definitions)
    return card, previous, before, series


def _pack_inputs(db: Session, request: PackRequest):
    """What both GMIRS packs start from, after refusing filters outside the requester's scope:
    the period, the scoped referral selection, the KPI definitions and the forecast units."""
    scope, filters = request.scope, request.filters
    check_filters_in_scope(db, scope, filters)
    return request.period, referrals_select(scope, filters), kpi_definitions(db), _units(db, scope, filters)


def board_pack_data(db: Session, request: PackRequest, settings: Settings, progress: Progress = _noop) -> Pack:
    """The quarterly QA and Learning Board pack (GMIRS specification §3.2)."""
    scope, filters = request.scope, request.filters
    period, referrals, definitions, units = _pack_inputs(db, request)
    progress(0.1, "Scorecards for this period and the last")
    card, previous, before, series = _scorecards(db, referrals, request, settings, definitions, units)
    progress(0.35, "Referrals against forecast")
    bands_now = forecast_bands(db, referrals, units, period.start, period.end, settings)
    bands_before = forecast_bands(db, referrals, units, before.start, before.end, settings)
    findings = what_changed(card, previous, bands_now=bands_now, bands_before=bands_before,
                            minimum_denominator=settings.minimum_rate_denominator)
    progress(0.5, "Complexity, distance travelled and equalities")
    tables = [kpi_summary_table(card, series, definitions, settings, period)]
    if len(bands_now):
        tables.append(forecast_table(bands_now, settings))
    tables += complexity_tables(db, referrals, period.start, period.end, settings)
    tables.append(distance_table(db, referrals, period.start, period.end, settings))
    tables.append(equalities_table(db, referrals, period.start, period.end, settings))
    progress(0.65, "Spend and data quality")
    tables.append(spend_table(db, contracts_in_scope(db, scope, filters), period))
    tables.append(findings_table(findings))
    tables.append(data_quality_table(db, referrals, period.start, period.end, card, settings))
    return Pack(
        kind="board", title="Quality Assurance and Learning Board pack", period=period, as_of=card.as_of,
        filters=describe_filters(db, scope, filters), tables=tuple(tables),
        definitions=definitions_frame(definitions), assumptions=card.assumptions,
        suppression_note=pack_suppression_note(settings), findings=tuple(findings),
    )


# --------------------------------------------------------------------------------------------
# Monthly contract pack
# --------------------------------------------------------------------------------------------

AT_RISK_MEASURES = (
    ("DS2 assessment (10 working days from referral)", "received_on", "saa_first_attended_on", 10),
    ("DS3 action plan (5 working days from assessment)", "saa_first_attended_on", "action_plan_submitted_on", 5),
    ("KP6 first session (10 working days from plan approval)", "action_plan_approved_on", "first_session_on", 10),
)
AT_RISK_HORIZON = 3  # working days


def cases_at_risk_table(db: Session, referrals, as_of: dt.date, settings: Settings) -> PackTable:
    """Open referrals whose clock is running, by how close the deadline is (counts only)."""
    c = Referral.__table__.c
    names = sorted({n for _, start, met, _ in AT_RISK_MEASURES for n in (start, met)})
    rows = db.execute(
        referrals.with_only_columns(*(c[n] for n in names))
        .where(c.received_on <= as_of, or_(c.concluded_on.is_(None), c.concluded_on > as_of))
    ).all()
    cases = pd.DataFrame(rows, columns=names)
    today = np.datetime64(as_of, "D")
    horizon = working_day_deadline([as_of], AT_RISK_HORIZON)[0]
    counts = {}
    for label, start, met, days in AT_RISK_MEASURES:
        started = pd.to_datetime(cases[start]).to_numpy().astype("datetime64[D]")
        done = pd.to_datetime(cases[met]).to_numpy().astype("datetime64[D]")
        running = ~np.isnat(started) & (started <= today) & (np.isnat(done) | (done > today))
        deadline = working_day_deadline(started[running], days) if running.any() else np.array([], dtype="datetime64[D]")
        counts[label] = {
            "Past deadline": int((deadline < today).sum()),
            f"Deadline within {AT_RISK_HORIZON} working days": int(((deadline >= today) & (deadline <= horizon)).sum()),
            "Deadline later": int((deadline > horizon).sum()),
        }
    table = pd.DataFrame.from_dict(counts, orient="index")
    result = suppress_counts(table, threshold=settings.suppression_threshold)
    frame = _counts_display(result).reset_index(names="Measure")
    notes = [f"Open referrals on {as_of:%d %B %Y} whose clock has started and measure is not yet met. Working days "
             "exclude weekends and England and Wales bank holidays. Counts only: case lists are on the dashboard "
             "for authorised users."]
    if result.note:
        notes.append(result.note)
    return PackTable("Cases at risk", "Cases at risk of breaching a time limit", frame, tuple(notes))


def sl002_breakdown_table(db: Session, referrals, card: Scorecard, settings: Settings) -> PackTable:
    """SL002's a, b, c with the neutral and negative referrals by end reason (technical note v1.4)."""
    result = card.kpi("SL002")
    cases = fetch_case_table(db, referrals, start=card.start, end=card.end, cohort_columns=("concluded_on",))
    concluded = cases.date("concluded_on")
    as_of = np.datetime64(card.as_of or card.end, "D")
    observed = lambda d: np.where(d <= as_of, d, np.datetime64("NaT"))  # noqa: E731 - as the measure does
    concluded = observed(concluded)
    in_month = (concluded >= np.datetime64(card.start)) & (concluded <= np.datetime64(card.end))
    cancelled_on_day = in_month & np.array([str(s).strip().lower() == "cancelled" for s in cases.end_state], dtype=bool) & (
        cases.date("received_on") == concluded)
    b = in_month & ~cancelled_on_day
    first = observed(cases.date("first_session_on"))
    positive = b & (first <= concluded)
    approved = ~np.isnat(observed(cases.date("action_plan_approved_on")))
    classes = end_reason_classes(db)  # the table SL002 itself uses (Decision 9)

    def label(reason) -> str:  # the code alone is ambiguous: MIS, MOV and ACQ are in both vocabularies
        return f"{reason.code}: {reason.description}"

    found = [classes.find(r) for r in cases.end_reason]
    labels = np.array([label(f) if f else ("No end reason" if not r else "Unrecognised end reason")
                       for f, r in zip(found, cases.end_reason)], dtype=object)
    negative = b & ~positive & approved & np.array([f is not None and f.sl002_class == "negative" for f in found], dtype=bool)
    neutral = b & ~positive & ~negative
    why = np.where(~approved, "No approved action plan", labels)
    order = ["No approved action plan"] + [label(r) for r in classes.reasons] + ["No end reason", "Unrecognised end reason"]
    table = pd.DataFrame({
        "Negative": pd.Series(why[negative]).value_counts().reindex(order, fill_value=0),
        "Neutral (c)": pd.Series(why[neutral]).value_counts().reindex(order, fill_value=0),
    }).reindex(order, fill_value=0)
    table = table[(table.sum(axis=1) > 0)]
    notes = []
    if result is not None and (int(positive.sum()), int(b.sum()), int(neutral.sum())) != (
        result.extra.get("a"), result.extra.get("b"), result.extra.get("c")
    ):  # the breakdown must add up to the measure; say so loudly if it ever does not
        notes.append("Warning: the breakdown does not reconcile with SL002's a, b and c; report this.")
    summary = pd.DataFrame({"a: attended (positive)": [int(positive.sum())], "Negative": [int(negative.sum())],
                            "c: neutral": [int(neutral.sum())]}, index=["Referrals"])
    shown_summary = suppress_counts(summary, threshold=settings.suppression_threshold)
    summary_display = _counts_display(shown_summary)
    if table.empty:
        frame = pd.DataFrame(columns=["Category", "Negative", "Neutral (c)", "Total"])
    else:
        shown = suppress_counts(table, threshold=settings.suppression_threshold)
        frame = _counts_display(shown).reset_index(names="Category")
        if shown.note:
            notes.append(shown.note)
    top = pd.DataFrame([
        {"Category": "b: referrals ended in the month", "Negative": "", "Neutral (c)": "",
         "Total": summary_display.loc["Referrals", "Total"]},
        {"Category": "a: intervention appointment attended", "Negative": "", "Neutral (c)": "",
         "Total": summary_display.loc["Referrals", "a: attended (positive)"]},
        {"Category": "Cancelled on the day referred (not counted)", "Negative": "", "Neutral (c)": "",
         "Total": SUPPRESSED if 1 <= int(cancelled_on_day.sum()) < settings.suppression_threshold else int(cancelled_on_day.sum())},
    ])
    frame = pd.concat([top, frame], ignore_index=True)
    if shown_summary.note:
        notes.append(shown_summary.note)
    headline = None
    if result is not None:
        shown_row = kpi_row(result, settings)
        value = shown_row["value"]
        value_text = f"{value:.1f}%" if isinstance(value, float) else "not shown"
        headline = (f"SL002 = a / (b − c) = {value_text} (target {result.target:.0f}%, trigger "
                    f"{result.trigger:.0f}%): {shown_row['status']}.")
    notes.insert(0, "CRS SL002 technical note v1.4: neutral = no intervention appointment and (no approved action "
                    "plan, or a neutral, blank or unrecognised end reason); negative = DIS or END with an approved plan.")
    return PackTable("SL002 breakdown", "SL002 with the neutral and negative breakdown", frame, tuple(notes), None, headline)


def commentary_table() -> PackTable:
    frame = pd.DataFrame({"Commentary": [
        "[Provider commentary: performance this month, reasons for any KPI below target, actions agreed.]",
        "[Early warnings and risks (GMIRS specification §3.2).]",
    ]})
    return PackTable("Commentary", "Provider commentary", frame, (), style="text")


def contract_pack_data(db: Session, request: PackRequest, settings: Settings, progress: Progress = _noop) -> Pack:
    """The monthly contract pack for one provider or contract."""
    scope, filters = request.scope, request.filters
    period, referrals, definitions, units = _pack_inputs(db, request)
    progress(0.1, "Scorecard")
    card, previous, _, series = _scorecards(db, referrals, request, settings, definitions, units)
    findings = what_changed(card, previous, minimum_denominator=settings.minimum_rate_denominator)
    progress(0.5, "SL002, cases at risk and data quality")
    tables = [
        kpi_summary_table(card, series, definitions, settings, period),
        sl002_breakdown_table(db, referrals, card, settings),
        cases_at_risk_table(db, referrals, card.as_of or period.end, settings),
        data_quality_table(db, referrals, period.start, period.end, card, settings),
        findings_table(findings),
        commentary_table(),
    ]
    return Pack(
        kind="contract", title="Monthly contract pack", period=period, as_of=card.as_of,
        filters=describe_filters(db, scope, filters), tables=tuple(tables),
        definitions=definitions_frame(definitions), assumptions=card.assumptions,
        suppression_note=pack_suppression_note(settings), findings=tuple(findings),
    )


# --------------------------------------------------------------------------------------------
# Regional EPOP progress report and national summary (000 §7, §15; Decision 7)
# --------------------------------------------------------------------------------------------


def _date_text(value) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return f"{pd.Timestamp(value):%d %b %Y}"


def epop_national_table(view) -> PackTable:
    summary = view.summary
    frame = pd.DataFrame({
        "Plan": summary["plan_label"],
        "Plan agreed": summary["plan_status"],
        "Actions": summary["actions"],
        "Due": summary["due"],
        "Complete (of due)": summary["complete"],
        "Due actions complete (%)": summary["pct_due_complete"].round(1),
        "Overdue": summary["overdue"],
        # An update recorded after the report's as-of date is not part of this picture.
        "Last update": [_date_text(v) if v is not None and not pd.isna(v) and pd.Timestamp(v).date() <= view.as_of
                        else "" for v in summary["last_update_at"]],
    }, dtype=object)
    chart = ChartSpec("bar", pd.DataFrame({"Plan": summary["plan_label"],
                                           "Due actions complete (%)": summary["pct_due_complete"].astype(float)}),
                      "Plan", ("Due actions complete (%)",), "0.0", "%")
    notes = tuple(view.definitions.values())
    done = summary["pct_due_complete"].dropna()
    headline = (f"Across the {len(summary)} plans, {int(summary['complete'].sum())} of {int(summary['due'].sum())} "
                f"due actions are complete; {int(summary['overdue'].sum())} are overdue.") if len(done) else None
    return PackTable("National summary", "National summary: the 12 regional plans and the Approved Premises plan",
                     frame, notes, chart, headline)


def epop_region_tables(plan_view, settings: Settings, start: dt.date, end: dt.date, sessions: pd.DataFrame) -> list[PackTable]:
    from metrics import epop as m

    p, progress = plan_view.progress, plan_view.timeliness
    status = pd.DataFrame([
        ("Plan agreed", progress.status),
        ("Commencement", _date_text(progress.commencement_date)),
        ("Agreement deadline (90 days)", _date_text(progress.deadline)),
        ("Agreed on", _date_text(progress.agreed_on)),
        ("Due actions complete", f"{p.complete} of {p.due}" + (f" ({p.value:.1f}%)" if p.value is not None else "")),
        ("Overdue actions", p.overdue),
        ("Not yet due (of which complete)", f"{p.not_yet_due} ({p.complete_not_yet_due})"),
        ("No due date", p.no_due_date),
        ("Dropped", p.dropped),
        ("Annex 2 year", plan_view.annex2_year if plan_view.annex2_year is not None else ""),
    ], columns=["Measure", "Value"]).astype(object)
    status_table = PackTable("Plan progress", f"{plan_view.plan['title']}: progress", status,
                             (progress.definition, p.definition), None,
                             f"Plan {progress.status}; {p.overdue} overdue actions.")
    timeline = plan_view.timeline
    attention = timeline[timeline["rag"].isin(["overdue", "at risk"])]
    actions = pd.DataFrame({
        "Code": attention["printed_code"], "Action": attention["text"], "Owner": attention["owner_role"],
        "Due": [_date_text(v) for v in attention["due_date"]], "Status": attention["status"],
        "RAG": attention["rag"], "Days overdue": attention["days_overdue"],
    }, dtype=object)
    actions_table = PackTable("Overdue and at risk", "Actions overdue or at risk", actions, (m.rag_definition(),))
    annex2 = plan_view.annex2.rename(columns={"dimension": "Dimension", "expected": "Expected", "met": "Met",
                                              "in progress": "In progress", "not started": "Not started",
                                              "not assessed": "Not assessed", "pct_met": "Met (%)"})
    annex2["Met (%)"] = annex2["Met (%)"].round(1)
    annex2_table = PackTable("Annex 2", "Annex 2 yearly expectations (cumulative)", annex2,
                             (m.ANNEX2_DEFINITION,))
    standards = plan_view.standards.rename(columns={"code": "Standard", "title": "Title", "rating": "Self-assessment",
                                                    "assessed_on": "Assessed on", "narrative": "Narrative",
                                                    "previous_rating": "Previous"})
    standards["Assessed on"] = [_date_text(v) for v in standards["Assessed on"]]
    standards_table = PackTable("Standards", "Standards of Excellence: latest self-assessment", standards,
                                (m.STANDARDS_DEFINITION,))
    summary = m.sessions_summary(sessions, end, start)
    counts = pd.Series({"People on probation attending": summary.attendees, "Women": summary.attendees_women,
                        "Men": summary.attendees_men, "Other or not known": summary.attendees_other_or_unknown,
                        "Gender not recorded": summary.gender_not_recorded})
    threshold = settings.suppression_threshold
    shown = [SUPPRESSED if 1 <= int(v) < threshold else int(v) for v in counts]
    sessions_frame = pd.DataFrame({"Measure": ["Sessions held", *counts.index], "Value": [summary.sessions, *shown]},
                                  dtype=object)
    sessions_table = PackTable("Sessions", f"Involvement sessions, {start:%d %b %Y} – {end:%d %b %Y}", sessions_frame,
                               (summary.definition, f"{SUPPRESSED}: 1 to {threshold - 1} people not shown."))
    return [status_table, actions_table, annex2_table, standards_table, sessions_table]


@dataclass(frozen=True)
class EpopReader:
    """Who the EPOP read models are asked for (``data_access.epop.UserLike``)."""

    username: str
    role: str
    region_code: str | None = None


def epop_report_data(
    db: Session, period: Period, user, settings: Settings, region_code: str | None = None, progress: Progress = _noop
) -> Pack:
    """One region's EPOP progress report with the national summary of all 13 plans; with no
    region, the national summary alone. Access is checked by ``data_access.epop``."""
    from data_access import epop as epop_data
    from data_access.models import EpopSession

    as_of = period.end
    progress(0.2, "National summary of the 13 plans")
    national = epop_data.national_view(db, user, as_of)
    tables = [epop_national_table(national)]
    filters: list[tuple[str, str]] = [("Plans", "12 regional plans and the Approved Premises plan")]
    title = "EPOP national progress summary"
    if region_code:
        plan_id = epop_data.region_plan_id(db, region_code)
        if plan_id is None:
            raise LookupError(f"No EPOP action plan for region {region_code!r}.")
        progress(0.6, f"Region {region_code}")
        view = epop_data.plan_view(db, user, plan_id, as_of)
        sessions = pd.DataFrame(
            db.execute(select(EpopSession.held_on, EpopSession.attendees, EpopSession.attendees_women,
                              EpopSession.attendees_men, EpopSession.attendees_other_or_unknown)
                       .where(EpopSession.plan_id == plan_id)).all(),
            columns=["held_on", "attendees", "attendees_women", "attendees_men", "attendees_other_or_unknown"],
        )
        tables = epop_region_tables(view, settings, period.start, period.end, sessions) + tables
        name = national.summary.loc[national.summary["region_code"] == region_code, "plan_label"]
        label = name.iloc[0] if len(name) else region_code
        filters = [("Region", label)] + filters
        title = f"EPOP regional progress report: {label}"
    definitions = pd.DataFrame({"Term": list(national.definitions), "Definition": list(national.definitions.values())})
    return Pack(
        kind="epop", title=title, period=period, as_of=as_of, filters=tuple(filters), tables=tuple(tables),
        definitions=definitions, assumptions=("Decision 7: progress = share of due actions complete; RAG by due date "
                                              "and status; Annex 2 and standards shown alongside, never blended.",),
        suppression_note=f"{SUPPRESSED}: counts of 1 to {settings.suppression_threshold - 1} people are not shown.",
    )
