"""The scorecard and monthly series aggregated in the database, from a scoped ``Select``.

The caller passes a SQLAlchemy ``Select`` of referral rows already restricted to what the user
may see and to the sidebar filters (``data_access.scoping.referrals_select``) and an open
Connection or Session; nothing here opens a connection.

Each measure is declared once, in ``domain.catalogue``; its SQL (one ``GROUP BY`` over its
cohort date: per clock day, the count of cases and of each rule's flags) is generated from that
entry by ``data_access.measure_sql``. Whether a day's cases are due is a property of the day,
so the flags combine here into numerator, denominator, mitigated, excluded and not-yet-due in a
few lines of numpy (:func:`_deadline_counts`), whether the rows are per-day sums (scorecard,
monthly series) or single cases (drill-down ids). The pandas rules of :mod:`metrics.kpis` read
the same entries and are the executable specification: the integration tests check both give
identical results. A database without the calendar (never initialised) falls back to fetching
the case rows and running :mod:`metrics.kpis` on them.

The same per-day counts of every referral are also stored, per filter dimension, in
``kpi_daily_counts`` after each import (``data_access.kpi_summary.kpi_daily_count_rows``, from
the same generated queries); :func:`scorecard` and :func:`monthly_series` read them instead of
aggregating live when :mod:`metrics.summary` says they give the same answer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sqlalchemy import ColumnElement, Float, Select, and_, case, cast, func, literal, literal_column, or_, select

from data_access.measure_sql import (
    COHORT_DATE_COLUMNS,
    CONCLUDED_CODES,
    CONCLUDED_FLAGS,
    DEADLINE_FLAGS,
    SUMMARY_MEASURE,
    Db,
    calendar_covers,
    clock_groups,
    concluded_classes,
    concluded_query,
    days_since_epoch,
    deadline_query,
    dialect_name,
    execute as _execute,
    latest_data_date,
    record_events_query,
    selects_every_referral,
)
from data_access.geography import demand_units_in_pdu, demand_units_in_region
from data_access.models import (
    Contract,
    ContractBorough,
    DemandUnit,
    Forecast,
    FundingPeriod,
    KpiDefinition as KpiDefinitionRow,
    NeedScore,
    Pdu,
    RecordEvent,
    Referral,
    SpendRecord,
)
from domain.catalogue import RECORD_EVENT_CODES, KpiDefinition, kpi, with_targets
from domain.dates import CALENDAR_FIRST_YEAR
from metrics.kpis import DATE_COLUMNS, CaseTable, ds1_referrals_against_target, scorecard_from_frames
from metrics.support import unmeasurable_codes, with_unmeasurable
from data_access.reference import end_reason_classes
from metrics.results import KpiResult
from metrics.summary import read_summary, summary_condition, summary_is_current, summary_state


def _to_days(values: Sequence) -> np.ndarray:
    """Integers (None = missing) → datetime64[D] with NaT."""
    arr = np.array([np.nan if v is None else v for v in values], dtype=float) if values else np.array([])
    missing = np.isnan(arr)
    out = np.where(missing, 0, arr).astype("int64").astype("datetime64[D]")
    out[missing] = np.datetime64("NaT")
    return out


def fetch_case_table(
    db: Db,
    referrals: Select,
    *,
    start: dt.date,
    end: dt.date,
    cohort_columns: Sequence[str] = COHORT_DATE_COLUMNS,
) -> CaseTable:
    """The referral columns every case measure needs, for referrals in any cohort of the period.

    Parameters
    ----------
    db : Connection or Session
        Open, owned by the caller.
    referrals : Select
        Referral rows already scoped (``data_access.scoping.referrals_select``).
    start, end : datetime.date
        The reporting period; a referral is fetched if any of ``cohort_columns`` falls in it.
    """
    c = Referral.__table__.c
    wanted = [c.referral_ref] + [days_since_epoch(c[name]).label(name) for name in DATE_COLUMNS] + [
        c.outcomes_achieved,
        c.end_requested_by_pp_reason,
        c.referral_end_state,
        c.suitable,
    ]
    in_period = or_(*(c[name].between(start, end) for name in cohort_columns))
    stmt = referrals.with_only_columns(*wanted).where(in_period)
    rows = _execute(db, stmt).all()
    columns = list(zip(*rows)) if rows else [[] for _ in wanted]
    dates = {name: _to_days(list(columns[1 + i])) for i, name in enumerate(DATE_COLUMNS)}
    rest = 1 + len(DATE_COLUMNS)
    return CaseTable(
        referral_ref=np.array(columns[0], dtype=object),
        dates=dates,
        outcomes_achieved=np.array([np.nan if v is None else v for v in columns[rest]], dtype=float),
        end_reason=np.array(columns[rest + 1], dtype=object),
        end_state=np.array(columns[rest + 2], dtype=object),
        suitable=np.array([np.nan if v is None else float(v) for v in columns[rest + 3]], dtype=float),
    )


def fetch_record_events(db: Db, referrals: Select, *, start: dt.date, end: dt.date) -> pd.DataFrame:
    """``record_events`` (KP1–KP4) of in-scope referrals that occurred in the period."""
    c = Referral.__table__.c
    e = RecordEvent.__table__.c
    stmt = (
        referrals.with_only_columns(c.referral_ref, e.kind, e.occurred_on, e.recorded_on, e.shared)
        .join(RecordEvent.__table__, e.referral_pk == c.id)
        .where(e.occurred_on.between(start, end))
    )
    # Plain tuples: building a DataFrame from Row objects probes each for attributes (slow).
    rows = [tuple(row) for row in _execute(db, stmt).all()]
    return pd.DataFrame(rows, columns=["referral_ref", "kind", "occurred_on", "recorded_on", "shared"])


def has_record_events(db: Db) -> bool:
    return _execute(db, select(RecordEvent.id).limit(1)).first() is not None


def count_received(db: Db, referrals: Select, *, start: dt.date, end: dt.date) -> int:
    """Referrals received in the period (DS1's numerator)."""
    c = Referral.__table__.c
    stmt = referrals.with_only_columns(func.count()).where(c.received_on.between(start, end))
    return int(_execute(db, stmt).scalar_one())


# --------------------------------------------------------------------------------------------
# Targets and forecasts
# --------------------------------------------------------------------------------------------


def kpi_definitions(db: Db) -> tuple[KpiDefinition, ...]:
    """The catalogue with the targets an admin has set in ``kpi_definitions``.

    Falls back to the catalogue's defaults for any code not in the table.
    """
    rows = _execute(
        db, select(KpiDefinitionRow.code, KpiDefinitionRow.target, KpiDefinitionRow.trigger)
    ).all()
    return with_targets({code: (target, trigger) for code, target, trigger in rows})


def forecast_bound(db: Db, *, bound: str = "low", demand_unit_ids: Sequence[int] | None = None) -> float:
    """Sum of the published annual forecast bound over demand units (latest base date each).

    ``bound`` is "low", "high" or "mid" (Decision 2's setting). ``None`` units = all of GM.
    """
    f = Forecast.__table__.c
    latest = select(f.demand_unit_id, func.max(f.base_date).label("base_date")).group_by(f.demand_unit_id)
    if demand_unit_ids is not None:
        latest = latest.where(f.demand_unit_id.in_(list(demand_unit_ids)))
    latest = latest.subquery()
    column = {"low": f.predicted_low, "high": f.predicted_high}.get(bound)
    if column is None:
        column = (f.predicted_low + f.predicted_high) / 2.0
    stmt = select(func.coalesce(func.sum(column), 0)).join_from(
        Forecast.__table__,
        latest,
        and_(latest.c.demand_unit_id == f.demand_unit_id, latest.c.base_date == f.base_date),
    )
    return float(_execute(db, stmt).scalar_one())


def pdu_in_force(db: Db, pdu_number: int | None) -> tuple[dt.date | None, dt.date | None] | None:
    """The days PDU ``pdu_number`` is in force: (first day or None, first day no longer in force
    or None); None for no PDU filter. DS1 pro-rates a PDU's forecast to these days only."""
    if pdu_number is None:
        return None
    row = _execute(db, select(Pdu.in_force_from, Pdu.in_force_to).where(Pdu.number == pdu_number)).first()
    return None if row is None or (row[0] is None and row[1] is None) else (row[0], row[1])


def ds1_days(start: dt.date, end: dt.date,
             in_force: tuple[dt.date | None, dt.date | None] | None) -> tuple[dt.date, dt.date] | None:
    """The part of ``start``–``end`` (inclusive) the view's area is in force: DS1's forecast
    covers only those days (the referrals counted are only those too). None: not in force at all."""
    if in_force is None:
        return start, end
    first, after = in_force
    lo = max(start, first) if first is not None else start
    hi = min(end, after - dt.timedelta(days=1)) if after is not None else end
    return (lo, hi) if lo <= hi else None


def demand_units_for(
    db: Db,
    *,
    borough_id: int | None = None,
    pdu_number: int | None = None,
    region_code: str | None = None,
    contract_id: int | None = None,
    provider_id: int | None = None,
) -> list[int] | None:
    """Demand units (forecast rows) a geography or contract filter covers; ``None`` = all."""
    du = DemandUnit.__table__.c
    stmt = select(du.id)
    if borough_id is not None:
        stmt = stmt.where(du.borough_id == borough_id)
    if pdu_number is not None:  # the units the PDU takes at any date (data_access.geography)
        stmt = stmt.where(du.id.in_(demand_units_in_pdu(pdu_number)))
    if region_code is not None:
        stmt = stmt.where(du.id.in_(demand_units_in_region(region_code)))
    if contract_id is not None or provider_id is not None:
        cb = ContractBorough.__table__.c
        contracts = select(Contract.id)
        if contract_id is not None:
            contracts = contracts.where(Contract.id == contract_id)
        if provider_id is not None:
            contracts = contracts.where(Contract.provider_id == provider_id)
        stmt = stmt.where(du.borough_id.in_(select(cb.borough_id).where(cb.contract_id.in_(contracts))))
    if all(v is None for v in (borough_id, pdu_number, region_code, contract_id, provider_id)):
        return None
    return [int(v) for (v,) in _execute(db, stmt).all()]


# --------------------------------------------------------------------------------------------
# The measures as SQL aggregates over the working-day calendar
# --------------------------------------------------------------------------------------------


def _frame(rows, columns: Sequence[str]) -> pd.DataFrame:
    return pd.DataFrame([tuple(row) for row in rows], columns=list(columns))


def _day_column(values: pd.Series) -> np.ndarray:
    if len(values) == 0:
        return np.array([], dtype="datetime64[D]")
    # One conversion of the whole column (ISO text from SQLite, dates from PostgreSQL; missing
    # as NaT): converting value by value was a tenth of a suppression grid's time.
    return np.asarray(values.to_numpy(dtype=object, na_value=None), dtype="datetime64[D]")


def _deadline_counts(frame: pd.DataFrame, as_of: dt.date, *, exclusion: bool = True) -> dict[str, np.ndarray]:
    """Combine per-day (or per-case) flags into the measure's counts; linear, so sums work too.

    A day's cases are due when its deadline is before ``as_of`` (and only days on or before
    ``as_of`` start a clock). Due: mitigation counts as met and the denominator is every case
    not excluded. Not yet due: only cases already met are counted; the rest wait.
    """
    day = _day_column(frame["day"])
    started = day <= np.datetime64(as_of, "D")
    due = _day_column(frame["deadline"]) < np.datetime64(as_of, "D")
    n = frame["n"].to_numpy(dtype=np.int64) * started
    met = frame["met"].to_numpy(dtype=np.int64) * started
    mitigable = frame["mitigable"].to_numpy(dtype=np.int64) * started if "mitigable" in frame else None
    if exclusion:
        excluded = np.where(due, frame["ended_if_due"].to_numpy(dtype=np.int64),
                            frame["ended_if_not_due"].to_numpy(dtype=np.int64)) * started
    else:
        excluded = 0 * n
    mitigated = np.where(due, mitigable, 0) if mitigable is not None else 0 * n
    counts = {
        "day": day,
        "numerator": met + mitigated,
        "denominator": np.where(due, n - excluded, met),
        "excluded": excluded,
        "not_yet_due": np.where(due, 0, n - met - excluded),
    }
    if mitigable is not None:
        counts["mitigated"] = mitigated
    return counts


def _concluded_counts(
    frame: pd.DataFrame, as_of: dt.date, cancelled: np.ndarray, negative_reason: np.ndarray
) -> dict[str, dict[str, np.ndarray]]:
    """DS5, KP5 and SL002 counts per row of ``frame`` (days, or cases), given each row's
    classes (``data_access.measure_sql.concluded_classes``)."""
    day = _day_column(frame["day"])
    started = (day <= np.datetime64(as_of, "D")).astype(np.int64)  # concluded by as_of
    col = {name: frame[name].to_numpy(dtype=np.int64) * started for name in ("n", *CONCLUDED_FLAGS)}
    # CRS SL002 technical note: a referral cancelled on the day it was referred is not counted.
    cancelled_on_day = np.where(cancelled, col["same_day"], 0)
    b = col["n"] - cancelled_on_day
    a = col["positive"] - np.where(cancelled, col["positive_same_day"], 0)
    negative = np.where(
        negative_reason, col["negative_if_reason"] - np.where(cancelled, col["negative_if_reason_same_day"], 0), 0
    )
    neutral = b - a - negative
    # KP5's cohort filter (domain.catalogue.CANCELLED): a cancelled referral is outside it.
    kp5 = _deadline_counts(
        pd.DataFrame({"day": frame["day"], "deadline": frame["deadline"], "n": col["n"] * ~cancelled,
                      "met": col["met"] * ~cancelled}),
        as_of, exclusion=False,
    )
    zero = 0 * b
    return {
        "SL002": {"day": day, "numerator": a, "denominator": a + negative, "excluded": neutral + cancelled_on_day,
                  "not_yet_due": zero, "a": a, "b": b, "c": neutral, "negative": negative,
                  "cancelled_on_referral_day": cancelled_on_day},
        "DS5": {"day": day, "numerator": col["eosr_outcome"], "denominator": col["eosr"], "excluded": zero,
                "not_yet_due": zero},
        "KP5": kp5,
    }


def _record_event_counts(frame: pd.DataFrame, as_of: dt.date) -> dict[str, dict[str, np.ndarray]]:
    out = {}
    for code in RECORD_EVENT_CODES:
        measure = kpi(code).measure
        rows = frame[frame["kind"] == measure.event_kind]
        counts = _deadline_counts(
            pd.DataFrame({"day": rows["day"], "deadline": rows["deadline"], "n": rows["n"],
                          "met": rows["met_shared" if measure.requires_shared else "met"]}),
            as_of, exclusion=False,
        )
        if "referral_ref" in rows:
            counts["referral_ref"] = rows["referral_ref"].astype(str).to_numpy(dtype=object)
        out[code] = counts
    return out


def _spec_counts(spec: KpiDefinition, flags: pd.DataFrame, as_of: dt.date) -> dict[str, np.ndarray]:
    """A deadline measure's counts from its ``day``, ``deadline``, ``n`` and flag columns."""
    counts = _deadline_counts(flags, as_of, exclusion=spec.measure.excludes_ended)
    if spec.measure.mitigation is None:
        counts["mitigated"] = None
    return counts


@dataclass(frozen=True)
class _MeasureCounts:
    """Per-day (or per-case) counts of every case measure, and of KP1–KP4 if there are events."""

    measures: dict[str, dict[str, np.ndarray]]
    has_record_events: bool


def _measure_counts(
    db: Db, referrals: Select, *, first: dt.date, last: dt.date, as_of: dt.date, ids: bool,
    codes: set[str] | None, record_events: bool,
) -> _MeasureCounts:
    """Run the grouped queries for the measures wanted (``ids``: one row per case instead)."""
    if ids:
        # Drill-down: only cases whose clock started in the cohort, by as_of.
        last = min(last, as_of)
    frames = _live_frames(db, referrals, first=first, last=last, as_of=as_of, ids=ids, codes=codes,
                          record_events=record_events)
    end_reasons = end_reason_classes(db) if frames.concluded is not None else None
    return _counts_from_frames(frames, as_of, codes=codes, ids=ids, end_reasons=end_reasons)


@dataclass(frozen=True)
class _Frames:
    """What the grouped queries returned: per clock group its specs and rows, the concluded
    cohort's rows and the record events' rows (None when not wanted)."""

    groups: list[tuple[list[KpiDefinition], pd.DataFrame]]
    concluded: pd.DataFrame | None
    record_events: pd.DataFrame | None

    def where(self, column: str, value) -> "_Frames":
        """The rows whose ``column`` equals ``value`` (one area of a grouped query)."""
        def part(frame: pd.DataFrame | None) -> pd.DataFrame | None:
            return None if frame is None else frame[frame[column].to_numpy() == value]
        return _Frames([(specs, part(frame)) for specs, frame in self.groups], part(self.concluded),
                       part(self.record_events))


def _live_frames(
    db: Db, referrals: Select, *, first: dt.date, last: dt.date, as_of: dt.date, ids: bool,
    codes: set[str] | None, record_events: bool, key: ColumnElement | None = None,
) -> _Frames:
    """The live grouped queries for the measures wanted; ``key`` (a labelled referral column or
    expression) is added to every grouping, as a last column named after it."""
    wanted = (lambda code: codes is None or code in codes)
    keys = [key] if key is not None else []
    extra = [key.name] if key is not None else []
    groups = []
    for specs in clock_groups():
        specs = [spec for spec in specs if wanted(spec.code)]
        if not specs:
            continue
        stmt = deadline_query(referrals, specs, first=first, last=last, as_of=as_of, ids=ids, keys=keys)
        groups.append((specs, _frame(_execute(db, stmt).all(), list(stmt.selected_columns.keys()))))
    concluded = None
    if any(wanted(code) for code in CONCLUDED_CODES):
        stmt = concluded_query(referrals, first=first, last=last, as_of=as_of, ids=ids,
                               postgresql=dialect_name(db) == "postgresql", keys=keys)
        names = (["referral_ref"] if ids else []) + ["day", "deadline", "end_state", "end_reason", "n",
                                                     *CONCLUDED_FLAGS, *extra]
        concluded = _frame(_execute(db, stmt).all(), names)
    events = None
    if record_events and any(wanted(code) for code in RECORD_EVENT_CODES):
        stmt = record_events_query(referrals, first=first, last=last, as_of=as_of, ids=ids, keys=keys)
        names = (["referral_ref"] if ids else []) + ["kind", "day", "deadline", *extra, "n", "met", "met_shared"]
        events = _frame(_execute(db, stmt).all(), names)
    return _Frames(groups, concluded, events)


def _counts_from_frames(frames: _Frames, as_of: dt.date, *, codes: set[str] | None, ids: bool,
                        end_reasons) -> _MeasureCounts:
    """Each wanted measure's counts from the live queries' rows (:func:`_live_frames`)."""
    wanted = (lambda code: codes is None or code in codes)
    measures: dict[str, dict[str, np.ndarray]] = {}
    for specs, frame in frames.groups:
        for spec in specs:
            flags = frame[[f"{spec.code}:{name}" for name in ("deadline", *DEADLINE_FLAGS)]]
            flags = flags.rename(columns=lambda name: name.split(":", 1)[1]).assign(day=frame["day"], n=frame["n"])
            counts = _spec_counts(spec, flags, as_of)
            if ids:
                counts["referral_ref"] = frame["referral_ref"].astype(str).to_numpy(dtype=object)
            measures[spec.code] = counts
    if frames.concluded is not None:
        frame = frames.concluded
        for code, counts in _concluded_counts(frame, as_of, *concluded_classes(frame, end_reasons)).items():
            if wanted(code):
                if ids:
                    counts["referral_ref"] = frame["referral_ref"].astype(str).to_numpy(dtype=object)
                measures[code] = counts
    present = False
    if frames.record_events is not None:
        frame = frames.record_events
        # As the reference: KP1–KP4 are reported when any in-scope event occurred in the period.
        present = len(frame) > 0
        if present:
            for code, counts in _record_event_counts(frame, as_of).items():
                if wanted(code):
                    measures[code] = counts
    return _MeasureCounts(measures, present)


# --------------------------------------------------------------------------------------------
# The per-day summary (kpi_daily_counts): the same grouped queries, stored per dimension
# --------------------------------------------------------------------------------------------

#: Measures counted case by case: the referrals behind their numbers can be listed.
CASE_LEVEL_CODES: tuple[str, ...] = tuple(SUMMARY_MEASURE)


@dataclass(frozen=True)
class _SummaryUse:
    """The stored summary answers this query; ``condition`` selects its dimension rows."""

    condition: ColumnElement | None


def _as_of_and_summary(db: Db, referrals: Select, as_of: dt.date | None) -> tuple[dt.date | None, _SummaryUse | None]:
    """The query's as-of date (default: the latest data date in scope) and whether the stored
    summary may answer it (see :mod:`metrics.summary` for the conditions)."""
    state = summary_state(db)
    usable, condition = summary_condition(referrals)
    current: list[bool] = []  # data_version is checked at most once per call

    def is_current() -> bool:
        if not current:
            current.append(summary_is_current(db, state))
        return current[0]

    if as_of is None:
        if state is not None and selects_every_referral(referrals) and is_current():
            # The summary's as-of date was the latest data date of every referral when it
            # was built, and the data has not changed since: no need to scan for it again.
            as_of = state.as_of
        else:
            as_of = latest_data_date(db, referrals)
    if state is None or not usable or state.as_of != as_of or not is_current():
        return as_of, None
    return as_of, _SummaryUse(condition)


def _summary_measure_counts(
    db: Db, summary: _SummaryUse, *, first: dt.date, last: dt.date, as_of: dt.date, codes: set[str] | None,
) -> _MeasureCounts:
    """:func:`_measure_counts` (totals, never case ids) from the stored per-day counts."""
    frame = read_summary(db, summary.condition, first=first, last=last, measures=_summary_names(codes))
    return _counts_from_summary(frame, as_of, codes=codes)


def _summary_names(codes: set[str] | None) -> tuple[str, ...]:
    return tuple(dict.fromkeys(m for code, m in SUMMARY_MEASURE.items() if codes is None or code in codes))


def _counts_from_summary(frame: pd.DataFrame, as_of: dt.date, *, codes: set[str] | None) -> _MeasureCounts:
    """Each wanted measure's counts from stored per-day rows (:func:`metrics.summary.read_summary`)."""
    wanted = (lambda code: codes is None or code in codes)
    measures: dict[str, dict[str, np.ndarray]] = {}
    for specs in clock_groups():
        for spec in specs:
            if wanted(spec.code):
                measures[spec.code] = _spec_counts(spec, frame[frame["measure"] == spec.code], as_of)
    if any(wanted(code) for code in CONCLUDED_CODES):
        rows = frame[frame["measure"] == "concluded"]
        classes = (rows["cancelled"].to_numpy(dtype=bool), rows["negative_reason"].to_numpy(dtype=bool))
        for code, counts in _concluded_counts(rows, as_of, *classes).items():
            if wanted(code):
                measures[code] = counts
    present = False
    if any(wanted(code) for code in RECORD_EVENT_CODES):
        rows = frame[frame["measure"] == "record_events"].rename(columns={"event_kind": "kind"})
        present = len(rows) > 0  # as the live path: an in-scope event occurred in the period
        if present:
            for code, counts in _record_event_counts(rows, as_of).items():
                if wanted(code):
                    measures[code] = counts
    return _MeasureCounts(measures, present)


def _ids(refs: np.ndarray, mask: np.ndarray) -> tuple[str, ...]:
    return tuple(sorted(str(r) for r in refs[mask]))


def _kpi_result(
    definition: KpiDefinition, code: str, totals: dict[str, int], *, cases: dict[str, np.ndarray] | None
) -> KpiResult:
    """A :class:`KpiResult` from summed counts, worded as :mod:`metrics.kpis` words it."""
    numerator, denominator = totals["numerator"], totals["denominator"]
    extra = {}
    if code == "SL002":
        extra = {k: totals[k] for k in ("a", "b", "c", "negative", "cancelled_on_referral_day")}
    case_ids = numerator_ids = excluded_ids = None
    if cases is not None:
        refs = cases["referral_ref"]
        counted = cases["denominator"] > 0
        case_ids = _ids(refs, counted)
        numerator_ids = _ids(refs, counted & (cases["numerator"] > 0))
        excluded_ids = _ids(refs, cases["excluded"] > 0)
    return KpiResult.for_definition(
        definition,
        numerator=numerator,
        denominator=denominator,
        mitigated=totals.get("mitigated"),
        excluded=totals["excluded"],
        not_yet_due=totals["not_yet_due"],
        case_ids=case_ids,
        numerator_case_ids=numerator_ids,
        excluded_case_ids=excluded_ids,
        note=kpi(code).measure.note,  # worded once, in the catalogue
        extra=extra,
    )


def _totals(counts: dict[str, np.ndarray], mask: np.ndarray | None = None) -> dict[str, int]:
    out = {}
    for name, values in counts.items():
        if name in ("day", "referral_ref"):
            continue
        if values is None:
            out[name] = None
            continue
        values = np.asarray(values)
        out[name] = int(values[mask].sum() if mask is not None else values.sum())
    return out


def _sql_case_results(
    db: Db, referrals: Select, *, start: dt.date, end: dt.date, as_of: dt.date,
    definitions: Sequence[KpiDefinition], include_case_ids: bool, codes: Sequence[str] | None,
    summary: _SummaryUse | None,
) -> dict[str, KpiResult]:
    """Every case and record-keeping measure for ``start``–``end``, aggregated in SQL.

    Totals come from the stored summary when ``summary`` is given, else from the live
    grouped queries; case ids always come from the live queries (the summary holds counts).
    """
    wanted = {c.upper() for c in codes} if codes else None
    if summary is not None:
        totals = _summary_measure_counts(db, summary, first=start, last=end, as_of=as_of, codes=wanted)
    else:
        totals = _measure_counts(db, referrals, first=start, last=end, as_of=as_of, ids=False, codes=wanted,
                                 record_events=has_record_events(db))
    cases = None
    if include_case_ids:
        cases = _measure_counts(db, referrals, first=start, last=end, as_of=as_of, ids=True,
                                codes=set(totals.measures), record_events=has_record_events(db)).measures
    by_code = {d.code: d for d in definitions}
    return {
        code: _kpi_result(by_code[code], code, _totals(counts),
                          cases=cases.get(code) if cases is not None else None)
        for code, counts in totals.measures.items()
        if code in by_code
    }


# --------------------------------------------------------------------------------------------
# The scorecard
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scorecard:
    start: dt.date
    end: dt.date
    as_of: dt.date | None
    kpis: tuple[KpiResult, ...]
    assumptions: tuple[str, ...] = field(default_factory=tuple)

    def kpi(self, code: str) -> KpiResult | None:
        return next((k for k in self.kpis if k.code == code.upper()), None)


def scorecard(
    db: Db,
    referrals: Select,
    *,
    start: dt.date,
    end: dt.date,
    as_of: dt.date | None = None,
    definitions: Sequence[KpiDefinition] | None = None,
    demand_unit_ids: Sequence[int] | None = None,
    forecast: bool = True,
    ds1_bound: str = "low",
    forecast_period_days: int = 365,
    include_case_ids: bool = False,
    codes: Sequence[str] | None = None,
    use_summary: bool = True,
    in_force: tuple[dt.date | None, dt.date | None] | None = None,
) -> Scorecard:
    """DS1–DS5, KP1–KP6 and SL002 for a period, for the referrals ``referrals`` selects.

    Parameters
    ----------
    db : Connection or Session
        Open; owned by the caller.
    referrals : Select
        Scoped referral rows (``data_access.scoping.referrals_select(scope, filters)``).
    start, end : datetime.date
        The reporting period (inclusive).
    as_of : datetime.date, optional
        Defaults to the latest event date in the scoped data.
    definitions : sequence of KpiDefinition, optional
        Defaults to the catalogue with targets from ``kpi_definitions``.
    demand_unit_ids : sequence of int, optional
        The forecast units DS1 compares with (``demand_units_for(...)``); ``None`` = all GM.
    forecast : bool
        False leaves DS1 out (e.g. a scope with no forecast, such as a non-GM region).
    in_force : (date or None, date or None), optional
        The days a PDU view's PDU is in force (:func:`pdu_in_force`): DS1's forecast is pro-rated
        to the part of the period it was in force, as its referrals are (docs/DATA.md).
    include_case_ids : bool
        Attach referral references (only for users allowed to see case lists).
    use_summary : bool
        False always aggregates live (benchmarks and tests compare the two paths).

    Returns
    -------
    Scorecard
        Results in catalogue order; a measure with no source data (KP1–KP4 without
        record-keeping events, DS1 without a forecast) is left out, never shown as 0.

    Notes
    -----
    The totals come from the stored per-day summary (``kpi_daily_counts``, rebuilt after
    each import by ``data_access.kpi_summary.refresh_kpi_summary``) when it exists, was
    built for this as-of date, is not stale (its data version still matches) and the
    referral selection is expressible on its dimensions (scope and sidebar filters are);
    otherwise from the live grouped queries. Both run the same flag definitions, so the
    numbers are identical (tests/integration/test_metrics_kpi_summary.py). Case ids always
    come from the live queries. See :mod:`metrics.summary`.
    """
    definitions = tuple(definitions) if definitions is not None else kpi_definitions(db)
    # Live SQL over a million referrals cannot answer in 0.5 s on SQLite (metrics issue's
    # benchmark); the per-day summary can, and may be used only when it gives the live answer.
    as_of, summary = _as_of_and_summary(db, referrals, as_of)
    summary = summary if use_summary else None
    as_of = as_of or end
    assumptions: list[str] = []
    ds1 = None
    if forecast and (codes is None or "DS1" in {c.upper() for c in codes}):
        annual = forecast_bound(db, bound=ds1_bound, demand_unit_ids=demand_unit_ids)
        days = ds1_days(start, end, in_force)
        if annual > 0 and days is not None:
            received = count_received(db, referrals, start=start, end=end)
            ds1_definition = next(d for d in definitions if d.code == "DS1")
            ds1 = ds1_referrals_against_target(
                received, annual, start=days[0], end=days[1], period_days=forecast_period_days,
                bound=ds1_bound, definition=ds1_definition,
            )
            assumptions.append(ds1.note or "")
            if days != (start, end):
                assumptions.append(f"DS1: this PDU was in force from {days[0]:%d %B %Y} to {days[1]:%d %B %Y} "
                                   "in the period, so its forecast is pro-rated to those days only.")
        else:
            assumptions.append("DS1 is not shown: no published forecast covers this view (the 40–60% "
                               "forecasts are per borough, and Manchester North and South, not per hub; "
                               "a PDU is compared only for the days it is in force).")
    # Issue 17 finding 4: working days are known from CALENDAR_FIRST_YEAR (domain.dates), so the
    # case measures start there; a period wholly before it has none (an empty result, not an error).
    measured_from = max(start, dt.date(CALENDAR_FIRST_YEAR, 1, 1))
    if measured_from > start:
        assumptions.append(f"Measures other than DS1 count only from {measured_from:%d %B %Y}, when the "
                           "working-day calendar (England and Wales bank holidays) starts.")
    if measured_from > end:
        return Scorecard(start, end, as_of, tuple([ds1] if ds1 is not None else []),
                         tuple(dict.fromkeys(a for a in assumptions if a)))
    if calendar_covers(db, measured_from, end):
        computed = _sql_case_results(
            db, referrals, start=measured_from, end=end, as_of=as_of, definitions=definitions,
            include_case_ids=include_case_ids, codes=codes, summary=summary,
        )
        # Catalogue order, as scorecard_from_frames: measures without source data left out.
        wanted = {c.upper() for c in codes} if codes else None
        results = [
            ds1 if definition.code == "DS1" else computed[definition.code]
            for definition in definitions
            if (wanted is None or definition.code in wanted)
            and ((definition.code == "DS1" and ds1 is not None) or definition.code in computed)
        ]
    else:
        # No working-day calendar in this database (never initialised): the reference rules
        # on fetched rows give the same numbers, only slower.
        cases = fetch_case_table(db, referrals, start=measured_from, end=end)
        events = fetch_record_events(db, referrals, start=measured_from, end=end) if has_record_events(db) else None
        results = scorecard_from_frames(
            cases, start=measured_from, end=end, as_of=as_of, definitions=definitions,
            record_events=events if events is not None and len(events) else None,
            ds1=ds1, include_case_ids=include_case_ids, codes=codes, end_reasons=end_reason_classes(db),
        )
    # Issue 17 finding 2: a measure the loaded data cannot support is "no data", not 0%.
    results = with_unmeasurable(results, definitions, unmeasurable_codes(db),
                                {c.upper() for c in codes} if codes else None)
    for definition in definitions:
        if definition.assumption and any(r.code == definition.code for r in results):
            assumptions.append(f"{definition.code}: {definition.assumption}")
    return Scorecard(start, end, as_of, tuple(results), tuple(dict.fromkeys(a for a in assumptions if a)))


# --------------------------------------------------------------------------------------------
# Every area at once (Compare areas, Cases due's by-hub table): one grouped query per measure
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AreaKey:
    """How the referrals of a view fall into areas: ``column`` (a labelled referral column or
    expression) is the area a referral is counted in, None in none; ``summary_column`` is the
    stored summary's dimension holding the same value, None when the summary cannot say."""

    column: ColumnElement
    summary_column: str | None = None


def _grouped_counts(
    db: Db, referrals: Select, summary: _SummaryUse | None, key: AreaKey, values: Sequence, *,
    first: dt.date, last: dt.date, as_of: dt.date, codes: set[str] | None,
) -> dict:
    """Per area value, what :func:`_measure_counts` (or :func:`_summary_measure_counts`) gives
    for the view narrowed to that area, from one query per clock group (not one per area).

    The counts are linear per row (a day's, or a day and class's), so they are worked out once
    for every row of every area and each area takes its own rows: the same rows, the same sums."""
    if summary is not None and key.summary_column is not None:
        frame = read_summary(db, summary.condition, first=first, last=last, measures=_summary_names(codes),
                             by=key.summary_column)
        counts = _counts_from_summary(frame, as_of, codes=codes)
        area, measure = frame[key.summary_column].to_numpy(), frame["measure"].to_numpy()
        rows_area = {code: area[measure == SUMMARY_MEASURE.get(code, code)] for code in counts.measures}
        events_area = area[measure == "record_events"]
        events_kind = frame["event_kind"].to_numpy()[measure == "record_events"]
    else:
        frames = _live_frames(db, referrals, first=first, last=last, as_of=as_of, ids=False, codes=codes,
                              record_events=has_record_events(db), key=key.column)
        end_reasons = end_reason_classes(db) if frames.concluded is not None else None
        counts = _counts_from_frames(frames, as_of, codes=codes, ids=False, end_reasons=end_reasons)
        rows_area = {}
        for specs, frame in frames.groups:
            rows_area |= {spec.code: frame[key.column.name].to_numpy() for spec in specs}
        if frames.concluded is not None:
            rows_area |= dict.fromkeys(CONCLUDED_CODES, frames.concluded[key.column.name].to_numpy())
        events = frames.record_events
        events_area = events[key.column.name].to_numpy() if events is not None else np.array([], dtype=object)
        events_kind = events["kind"].to_numpy() if events is not None else np.array([], dtype=object)
    for code in RECORD_EVENT_CODES:  # _record_event_counts takes each kind's rows
        if code in counts.measures:
            rows_area[code] = events_area[events_kind == kpi(code).measure.event_kind]
    out = {}
    for v in values:
        present = counts.has_record_events and bool((events_area == v).any())
        measures = {}
        for code, arrays in counts.measures.items():
            if code in RECORD_EVENT_CODES and not present:
                continue  # as area by area: KP1–KP4 only where an in-scope event occurred
            mask = rows_area[code] == v
            measures[code] = {name: None if a is None else np.asarray(a)[mask] for name, a in arrays.items()}
        out[v] = _MeasureCounts(measures, present)
    return out


def count_received_by(db: Db, referrals: Select, key: AreaKey, *, start: dt.date, end: dt.date) -> dict:
    """:func:`count_received` per area value, in one query (an area with none is left out)."""
    c = Referral.__table__.c
    stmt = (referrals.with_only_columns(key.column, func.count()).where(c.received_on.between(start, end))
            .group_by(key.column))
    return {v: int(n) for v, n in _execute(db, stmt).all() if v is not None}


def scorecards_by_area(
    db: Db,
    referrals: Select,
    key: AreaKey,
    values: Sequence,
    *,
    start: dt.date,
    end: dt.date,
    as_of: dt.date,
    codes: Sequence[str],
    demand_units: dict | None = None,
    ds1_bound: str = "low",
    forecast_period_days: int = 365,
) -> dict | None:
    """Per area value, ``{code: KpiResult}`` as :func:`scorecard` gives for the view narrowed to
    that area with this ``as_of`` (a code it leaves out is absent), computed with one grouped
    query per measure for every area. ``demand_units``: per area value its forecast units (DS1's
    denominator; None = all of GM). None when the grouped path does not apply (the working-day
    calendar does not cover the period): then ask :func:`scorecard` area by area."""
    definitions = kpi_definitions(db)
    _, summary = _as_of_and_summary(db, referrals, as_of)
    wanted = {c.upper() for c in codes}
    ds1: dict = {}
    if "DS1" in wanted:
        ds1_definition = next(d for d in definitions if d.code == "DS1")
        received = None
        annuals: dict[tuple | None, float] = {}
        for v in values:
            units = (demand_units or {}).get(v)
            units_key = None if units is None else tuple(units)
            if units_key not in annuals:
                annuals[units_key] = forecast_bound(db, bound=ds1_bound, demand_unit_ids=units)
            if annuals[units_key] > 0:
                if received is None:
                    received = count_received_by(db, referrals, key, start=start, end=end)
                ds1[v] = ds1_referrals_against_target(received.get(v, 0), annuals[units_key], start=start, end=end,
                                                      period_days=forecast_period_days, bound=ds1_bound,
                                                      definition=ds1_definition)
    measured_from = max(start, dt.date(CALENDAR_FIRST_YEAR, 1, 1))
    if measured_from > end:
        return {v: ({"DS1": ds1[v]} if v in ds1 else {}) for v in values}
    if not calendar_covers(db, measured_from, end):
        return None
    counts = _grouped_counts(db, referrals, summary, key, values, first=measured_from, last=end, as_of=as_of,
                             codes=wanted)
    unmeasurable = unmeasurable_codes(db)
    by_code = {d.code: d for d in definitions}
    out = {}
    for v in values:
        computed = {code: _kpi_result(by_code[code], code, _totals(c), cases=None)
                    for code, c in counts[v].measures.items() if code in by_code}
        results = [ds1[v] if d.code == "DS1" else computed[d.code] for d in definitions
                   if d.code in wanted and ((d.code == "DS1" and v in ds1) or d.code in computed)]
        out[v] = {r.code: r for r in with_unmeasurable(results, definitions, unmeasurable, wanted)}
    return out


def monthly_series_by_area(
    db: Db, referrals: Select, key: AreaKey, values: Sequence, *, start: dt.date, end: dt.date, as_of: dt.date,
    codes: Sequence[str],
) -> dict | None:
    """Per area value, what :func:`monthly_series` gives for the view narrowed to that area,
    from one grouped query per measure; None when only the area-by-area path applies."""
    months = month_starts(start, end)
    if not months:
        return {v: {} for v in values}
    if not calendar_covers(db, months[0], end):
        return None
    definitions = kpi_definitions(db)
    _, summary = _as_of_and_summary(db, referrals, as_of)
    wanted = {c.upper() for c in codes}
    counts = _grouped_counts(db, referrals, summary, key, values, first=months[0], last=end, as_of=as_of,
                             codes=wanted)
    known = {d.code for d in definitions} - set(unmeasurable_codes(db))
    return {v: {d.code: _by_month(counts[v].measures[d.code], months) for d in definitions
                if d.code in counts[v].measures and d.code in known} for v in values}


def data_as_of(db: Db) -> dt.date | None:
    """The latest event date in the referral data: what every figure is "as of", on the pages
    (``ui.context.data_as_of``), in the packs and on the command line alike.

    Read from the stored KPI summary's state while it is current (it was built for exactly
    this date, and nothing has changed since), else found by reading every referral: two of
    the six event dates have no index."""
    state = summary_state(db)
    if state is not None and summary_is_current(db, state):
        return state.as_of
    return latest_data_date(db, select(Referral))


def month_starts(start: dt.date, end: dt.date) -> list[dt.date]:
    """First days of the months from ``start``'s month to ``end``'s month."""
    months = []
    current = start.replace(day=1)
    while current <= end:
        months.append(current)
        current = (current + dt.timedelta(days=32)).replace(day=1)
    return months


def bin_by_month(result: KpiResult, months: Sequence[dt.date]) -> pd.DataFrame:
    """A measure's numerator and denominator per calendar month of its cohort date."""
    if result.outcome is None:
        raise ValueError(f"{result.code} has no per-case outcome to bin")
    clock = np.asarray(result.outcome.clock)
    month_index = clock.astype("datetime64[M]")
    edges = np.array([np.datetime64(m, "M") for m in months])
    position = np.searchsorted(edges, month_index)
    valid = (~np.isnat(clock)) & (position < len(edges))
    valid &= edges[np.minimum(position, len(edges) - 1)] == month_index
    counted = np.asarray(result.outcome.counted) & valid
    met = np.asarray(result.outcome.met) & valid
    denominator = np.bincount(position[counted], minlength=len(edges))
    numerator = np.bincount(position[met], minlength=len(edges))
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.where(denominator > 0, 100.0 * numerator / denominator, np.nan)
    return pd.DataFrame(
        {"month": list(months), "numerator": numerator, "denominator": denominator, "value": value}
    )


def _by_month(counts: dict[str, np.ndarray], months: Sequence[dt.date]) -> pd.DataFrame:
    """Per-day numerators and denominators summed by calendar month (as :func:`bin_by_month`)."""
    edges = np.array([np.datetime64(m, "M") for m in months])
    position = np.searchsorted(edges, counts["day"].astype("datetime64[M]"))
    numerator = np.zeros(len(edges), dtype=np.int64)
    denominator = np.zeros(len(edges), dtype=np.int64)
    np.add.at(numerator, position, np.asarray(counts["numerator"], dtype=np.int64))
    np.add.at(denominator, position, np.asarray(counts["denominator"], dtype=np.int64))
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.where(denominator > 0, 100.0 * numerator / denominator, np.nan)
    return pd.DataFrame(
        {"month": list(months), "numerator": numerator, "denominator": denominator, "value": value}
    )


def monthly_series(
    db: Db,
    referrals: Select,
    *,
    start: dt.date,
    end: dt.date,
    as_of: dt.date | None = None,
    definitions: Sequence[KpiDefinition] | None = None,
    codes: Sequence[str] | None = None,
    use_summary: bool = True,
) -> dict[str, pd.DataFrame]:
    """Monthly numerator, denominator and value of each case measure over a whole range.

    One fetch and one vectorised pass per measure, then binned by the month of each case's
    cohort date: the same numbers as running the scorecard month by month. Feed a column to
    :func:`metrics.spc.xmr` (dropping months with no data).

    Per-day counts come from the stored summary under the same conditions as
    :func:`scorecard` (``use_summary=False`` forces the live queries), else live.
    """
    definitions = tuple(definitions) if definitions is not None else kpi_definitions(db)
    months = month_starts(start, end)
    if not months:  # issue 17 finding 4: a range that ends before it starts has no months
        return {}
    as_of, summary = _as_of_and_summary(db, referrals, as_of)
    summary = summary if use_summary else None
    as_of = as_of or end
    if calendar_covers(db, months[0], end):
        wanted = {c.upper() for c in codes} if codes else None
        if summary is not None:  # the stored per-day counts, when current for this as-of date
            counts = _summary_measure_counts(db, summary, first=months[0], last=end, as_of=as_of, codes=wanted)
        else:
            counts = _measure_counts(db, referrals, first=months[0], last=end, as_of=as_of, ids=False,
                                     codes=wanted, record_events=has_record_events(db))
        known = {d.code for d in definitions} - set(unmeasurable_codes(db))  # issue 17 finding 2
        return {
            d.code: _by_month(counts.measures[d.code], months)
            for d in definitions
            if d.code in counts.measures and d.code in known
        }
    card = scorecard(
        db, referrals, start=months[0], end=end, as_of=as_of, definitions=definitions,
        forecast=False, codes=codes, use_summary=use_summary,
    )
    return {r.code: bin_by_month(r, months) for r in card.kpis if r.outcome is not None}


# --------------------------------------------------------------------------------------------
# Distance travelled (Decision 6)
# --------------------------------------------------------------------------------------------


def distance_change_sums(
    db: Db, referrals: Select, *, start: dt.date, end: dt.date, key: ColumnElement | None = None,
) -> pd.DataFrame:
    """:data:`metrics.breakdowns.DISTANCE_SUMS` per need (and per ``key``, a referral column
    labelled ``group``), for referrals that ended in ``start``–``end``, worked out in the
    database: the rule of :func:`metrics.breakdowns.distance_pairs` and ``distance_sums``
    (earliest baseline; exit, else latest review; ties to the score stored last; need "all" =
    each person's mean change), without bringing millions of scores into Python.
    """
    c = Referral.__table__.c
    s = NeedScore.__table__.c
    group = [key.label("group")] if key is not None else []
    cohort = referrals.with_only_columns(c.id.label("pk"), *group).where(c.concluded_on.between(start, end)).cte("cohort")
    # The group label rides along from the one join with the cohort: joining the cohort a
    # second time only to fetch it made both planners loop over the whole cohort per pair.
    scored = select(s.id, s.referral_pk, s.need_code, s.stage, s.scored_on, s.score,
                    *([cohort.c.group] if key is not None else [])).join(cohort, cohort.c.pk == s.referral_pk)
    first_baseline = func.row_number().over(partition_by=(s.referral_pk, s.need_code), order_by=(s.scored_on, s.id))
    baseline = scored.add_columns(first_baseline.label("rank")).where(s.stage == "baseline").subquery("baseline")
    exit_first = case((s.stage == "exit", 1), else_=0)
    latest_rank = func.row_number().over(partition_by=(s.referral_pk, s.need_code),
                                         order_by=(exit_first.desc(), s.scored_on.desc(), s.id.desc()))
    later = scored.add_columns(latest_rank.label("rank")).where(s.stage.in_(("review", "exit"))).subquery("later")
    change = (later.c.score - baseline.c.score).label("change")
    group_out = [baseline.c.group] if key is not None else []
    pairs = (
        select(baseline.c.referral_pk, baseline.c.need_code, change, *group_out)
        .join(later, and_(later.c.referral_pk == baseline.c.referral_pk, later.c.need_code == baseline.c.need_code))
        # ``rank = 1`` as a constant in the SQL, not a bound parameter: SQLite builds its automatic
        # index for this join only when it can see the constant; bound, it scanned one side per row
        # of the other (6-7 s at 10,000 referrals instead of 0.3 s).
        .where(baseline.c.rank == literal_column("1"), later.c.rank == literal_column("1"))
        .cte("pairs")
    )
    person_change = (cast(func.sum(pairs.c.change), Float) / func.count()).label("change")
    per_person = (select(pairs.c.referral_pk, person_change, *([pairs.c.group] if key is not None else []))
                  .group_by(pairs.c.referral_pk, *([pairs.c.group] if key is not None else [])).subquery("per_person"))

    def sums(table, need_code) -> Select:
        value = cast(table.c.change, Float)
        grouping = [table.c.group] if key is not None else []
        return select(
            need_code.label("need_code"), *grouping,
            func.count().label("people"), func.sum(value).label("change_sum"),
            func.sum(value * value).label("change_sq_sum"),
            func.sum(case((table.c.change > 0, 1), else_=0)).label("improved"),
            func.sum(case((table.c.change == 0, 1), else_=0)).label("same"),
            func.sum(case((table.c.change < 0, 1), else_=0)).label("worse"),
        ).group_by(*([need_code] if need_code is pairs.c.need_code else []), *grouping)

    stmt = sums(pairs, pairs.c.need_code).union_all(sums(per_person, literal("all")))
    result = _execute(db, stmt)
    frame = pd.DataFrame(result.all(), columns=list(result.keys()))
    frame = frame[frame["people"] > 0].reset_index(drop=True)  # "all" over no pairs is one empty row
    for column in ("people", "improved", "same", "worse"):
        frame[column] = frame[column].astype(int)
    for column in ("change_sum", "change_sq_sum"):
        frame[column] = frame[column].astype(float)
    return frame


# --------------------------------------------------------------------------------------------
# Spend against the funding profile
# --------------------------------------------------------------------------------------------


def spend_frames(db: Db, *, contract_ids: Sequence[int] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Funding periods and monthly spend rows (for :func:`metrics.breakdowns.spend_against_profile`)."""
    fp = FundingPeriod.__table__.c
    sr = SpendRecord.__table__.c
    funding = select(fp.contract_id, fp.label, fp.start_date, fp.end_date, fp.amount, fp.status)
    spend = select(sr.contract_id, sr.month, sr.category, sr.amount)
    if contract_ids is not None:
        funding = funding.where(fp.contract_id.in_(list(contract_ids)))
        spend = spend.where(sr.contract_id.in_(list(contract_ids)))
    funding_df = pd.DataFrame(_execute(db, funding).all(), columns=["contract_id", "label", "start_date", "end_date", "amount", "status"])
    spend_df = pd.DataFrame(_execute(db, spend).all(), columns=["contract_id", "month", "category", "amount"])
    return funding_df, spend_df


__all__ = [
    "CASE_LEVEL_CODES",
    "Scorecard",
    "bin_by_month",
    "calendar_covers",
    "count_received",
    "demand_units_for",
    "distance_change_sums",
    "fetch_case_table",
    "fetch_record_events",
    "forecast_bound",
    "kpi_definitions",
    "latest_data_date",
    "month_starts",
    "monthly_series",
    "scorecard",
    "spend_frames",
]
