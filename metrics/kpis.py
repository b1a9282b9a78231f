"""The contract's KPIs (GMIRS spec §2.6 DS1–DS5, KP1–KP6) and CRS SL002, rule by rule, in pandas.

**The executable specification.** Each measure is declared once, in ``domain.catalogue``
(its clock, event, deadline, mitigation, cohort filter, target, polarity, source); the SQL the
scorecard runs and the stored per-day summary are generated from those entries
(``data_access.measure_sql``, combined by :mod:`metrics.queries`). The rules here read the same
entries and spell each measure out case by case on plain columns (a DataFrame or a
:class:`CaseTable` of numpy arrays), so they can be checked by hand on small frames: the unit
tests hold hand-worked values, and the integration tests require the SQL and the summary to
give exactly these results. They run in production only where the SQL cannot: a database with
no working-day calendar (never initialised), where :func:`metrics.queries.scorecard` fetches
the rows and applies these rules. The rules follow DOMAIN.md "Exact rules" to the letter:

* A KPI's cohort is fixed by the event that starts its clock (``start <= clock <= end``).
* A case is counted once it is due (deadline before the as-of date) or has already met the
  measure. Events dated after the as-of date are treated as not (yet) having happened, so a
  scorecard "as of" an earlier date is reproducible from later data.
* A referral that ended (``concluded_on``) on or before its deadline without meeting the
  measure is left out of that measure, as SL002 leaves out neutral cases.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from domain.catalogue import (  # noqa: F401  (end_reason_* re-exported: one classification)
    CANCELLED,
    RECORD_EVENT_CODES,
    KpiDefinition,
    Measure,
    end_reason_class,
    end_reason_code,
    kpi,
)
from domain.dates import as_day_array, working_day_deadline
from metrics.results import KpiResult, MeasureOutcome, percentage, status_against_target

#: Columns of a referral case table, as named in ``referrals`` (models.Referral).
DATE_COLUMNS: tuple[str, ...] = (
    "received_on",
    "saa_first_attended_on",
    "saa_first_not_attended_on",
    "action_plan_submitted_on",
    "action_plan_approved_on",
    "first_session_on",
    "eosr_submitted_on",
    "concluded_on",
    "distance_tool_completed_on",
    "exit_survey_offered_on",
)
OTHER_COLUMNS: tuple[str, ...] = (
    "referral_ref",
    "outcomes_achieved",
    "end_requested_by_pp_reason",
    "referral_end_state",
    "suitable",
)
REFERRAL_COLUMNS: tuple[str, ...] = OTHER_COLUMNS[:1] + DATE_COLUMNS + OTHER_COLUMNS[1:]

#: Working-day limits (GMIRS spec §2.6), as the catalogue declares them.
DS2_WORKING_DAYS = kpi("DS2").measure.working_days
DS3_WORKING_DAYS = kpi("DS3").measure.working_days
DS4_WORKING_DAYS = kpi("DS4").measure.working_days
KP5_WORKING_DAYS = kpi("KP5").measure.working_days
KP6_WORKING_DAYS = kpi("KP6").measure.working_days

#: record_events.kind for each record-keeping KPI, and whether "shared" is part of the rule.
RECORD_EVENT_KPIS: dict[str, tuple[str, bool]] = {
    code: (kpi(code).measure.event_kind, kpi(code).measure.requires_shared) for code in RECORD_EVENT_CODES
}


# --------------------------------------------------------------------------------------------
# The case table
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseTable:
    """Referral columns as numpy arrays: dates as ``datetime64[D]`` (NaT = missing)."""

    referral_ref: np.ndarray
    dates: Mapping[str, np.ndarray]
    outcomes_achieved: np.ndarray
    end_reason: np.ndarray
    end_state: np.ndarray
    suitable: np.ndarray  # float: 1 suitable, 0 not suitable, NaN not recorded

    def __len__(self) -> int:
        return len(self.referral_ref)

    def date(self, column: str) -> np.ndarray:
        return self.dates[column]

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> "CaseTable":
        """Build from a DataFrame; missing optional columns are treated as all-missing.

        ``referral_ref`` is required: a case table without ids cannot be drilled into.
        """
        if "referral_ref" not in frame.columns:
            raise KeyError("a referral case table needs a 'referral_ref' column")
        unknown = set(frame.columns) - set(REFERRAL_COLUMNS)
        n = len(frame)
        dates = {}
        for column in DATE_COLUMNS:
            if column in frame.columns:
                dates[column] = as_day_array(frame[column].reset_index(drop=True))
            else:
                dates[column] = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
        del unknown  # extra columns (borough, hub, …) are allowed and ignored

        def column_or(name: str, fill: object, dtype: object) -> np.ndarray:
            if name in frame.columns:
                return frame[name].to_numpy(dtype=dtype, na_value=fill)
            return np.full(n, fill, dtype=dtype)

        return cls(
            referral_ref=frame["referral_ref"].astype(str).to_numpy(dtype=object),
            dates=dates,
            outcomes_achieved=column_or("outcomes_achieved", np.nan, float),
            end_reason=column_or("end_requested_by_pp_reason", None, object),
            end_state=column_or("referral_end_state", None, object),
            suitable=column_or("suitable", np.nan, float),
        )


def as_case_table(cases: pd.DataFrame | CaseTable) -> CaseTable:
    return cases if isinstance(cases, CaseTable) else CaseTable.from_frame(cases)


def _day(value: dt.date) -> np.datetime64:
    return np.datetime64(value, "D")


def _observed(days: np.ndarray, as_of: dt.date) -> np.ndarray:
    """Dates after the as-of date are events that had not happened yet: treat as missing."""
    return np.where(days <= _day(as_of), days, np.datetime64("NaT"))


def _in_period(days: np.ndarray, start: dt.date, end: dt.date) -> np.ndarray:
    return (days >= _day(start)) & (days <= _day(end))


def _ids(refs: np.ndarray, mask: np.ndarray) -> tuple[str, ...]:
    return tuple(sorted(str(r) for r in refs[mask]))


def _definition(code: str, definition: KpiDefinition | None) -> KpiDefinition:
    return definition if definition is not None else kpi(code)


def _result(
    definition: KpiDefinition,
    *,
    numerator: int,
    denominator: int,
    refs: np.ndarray | None,
    counted: np.ndarray,
    met: np.ndarray,
    excluded: np.ndarray,
    not_yet_due: int = 0,
    mitigated: int | None = None,
    include_case_ids: bool = False,
    note: str | None = None,
    extra: dict | None = None,
    clock: np.ndarray | None = None,
) -> KpiResult:
    with_ids = include_case_ids and refs is not None
    return KpiResult.for_definition(
        definition,
        numerator=numerator,
        denominator=denominator,
        mitigated=mitigated,
        excluded=int(excluded.sum()),
        not_yet_due=not_yet_due,
        case_ids=_ids(refs, counted) if with_ids else None,
        numerator_case_ids=_ids(refs, counted & met) if with_ids else None,
        excluded_case_ids=_ids(refs, excluded) if with_ids else None,
        note=note,
        extra=extra or {},
        outcome=MeasureOutcome(clock=clock, counted=counted, met=counted & met)
        if clock is not None
        else None,
    )


def _measure(code: str) -> Measure:
    """How ``code`` is counted: always the catalogue's entry, as the SQL reads it (a definition
    passed in carries the targets an admin set, not a different rule)."""
    return kpi(code).measure


def _cohort_filter(cases: CaseTable, measure: Measure) -> np.ndarray | None:
    """True for the cases the measure's cohort filter keeps (None: no filter)."""
    rule = measure.cohort_filter
    if rule is None:
        return None
    values = {"suitable": cases.suitable, "referral_end_state": cases.end_state}[rule.column]
    return np.array([not rule.excludes(v) for v in values], dtype=bool)


def _deadline_measure(
    code: str,
    cases: CaseTable,
    *,
    start: dt.date,
    end: dt.date,
    as_of: dt.date,
    definition: KpiDefinition | None,
    include_case_ids: bool,
) -> KpiResult:
    """The shared shape of DS2, DS3, DS4, KP5 and KP6 (DOMAIN.md "A KPI's cohort is fixed by …"),
    read from the measure's catalogue entry (:class:`domain.catalogue.Measure`).

    cohort   = clock date in [start, end] (and the entry's cohort filter)
    deadline = busday_offset(clock, N, roll="backward")
    met      = event on or before the deadline (and on or before as_of)
    mitigated (DS2 only) = not met, but the mitigation event on or before the deadline,
               counted as met and reported separately; only final once the case is due
    due      = deadline < as_of
    excluded = ended (concluded_on) on or before the deadline without meeting the measure
               (not for KP5, whose clock starts at the end itself)
    counted  = cohort & (due | met) & not excluded
    """
    measure = _measure(code)
    definition = _definition(code, definition)
    mitigation_event = measure.mitigation
    clock_days = cases.date(measure.clock)
    cohort = _in_period(clock_days, start, end) & (clock_days <= _day(as_of))
    cohort_filter = _cohort_filter(cases, measure)
    if cohort_filter is not None:
        cohort &= cohort_filter
    deadline = working_day_deadline(clock_days, measure.working_days)
    event_days = _observed(cases.date(measure.event), as_of)
    met = cohort & (event_days <= deadline)  # NaT compares False: no event, not met
    due = deadline < _day(as_of)
    mitigated = np.zeros(len(cases), dtype=bool)
    if mitigation_event is not None:
        missed = _observed(cases.date(mitigation_event), as_of)
        mitigated = cohort & ~met & due & (missed <= deadline)
    meets = met | mitigated
    concluded = _observed(cases.date("concluded_on"), as_of)
    excluded = cohort & ~meets & (concluded <= deadline)
    if not measure.excludes_ended:
        # KP5's clock starts at the end itself: the exclusion cannot apply.
        excluded = np.zeros(len(cases), dtype=bool)
    counted = cohort & (due | meets) & ~excluded
    not_yet_due = int((cohort & ~due & ~meets & ~excluded).sum())
    return _result(
        definition,
        numerator=int((counted & meets).sum()),
        denominator=int(counted.sum()),
        refs=cases.referral_ref,
        counted=counted,
        met=meets,
        excluded=excluded,
        not_yet_due=not_yet_due,
        mitigated=int(mitigated.sum()) if mitigation_event is not None else None,
        include_case_ids=include_case_ids,
        note=measure.note,
        clock=clock_days,
    )


# --------------------------------------------------------------------------------------------
# DS1
# --------------------------------------------------------------------------------------------


def pro_rated_forecast(annual_bound: float, start: dt.date, end: dt.date, period_days: int = 365) -> float:
    """A published forecast bound pro-rated by days to ``start``–``end`` inclusive.

    Decision 1 (DOMAIN.md): the 40–60% figures have no stated period; they are taken as
    covering ``period_days`` (default 365) and pro-rated by calendar days.
    """
    return annual_bound * ((end - start).days + 1) / period_days


def forecast_assumption(bound: str, period_days: int) -> str:
    """The pro-rating assumption, worded for display beside every forecast figure."""
    return (
        f"Forecast: the published 40–60% range (GMIRS spec §1.12, base 16/01/2023) is taken "
        f"as covering {period_days} days and pro-rated by calendar days to the period; DS1's "
        f"target uses the {bound} bound (Decisions 1 and 2)."
    )


def ds1_referrals_against_target(
    referrals_received: int,
    forecast_bound: float,
    *,
    start: dt.date,
    end: dt.date,
    period_days: int = 365,
    bound: str = "low",
    definition: KpiDefinition | None = None,
) -> KpiResult:
    """DS1: referrals received in the period against the contractual target.

    Parameters
    ----------
    referrals_received : int
        Referrals received (``received_on``) in ``start``–``end``.
    forecast_bound : float
        The annual forecast bound for the scope (sum over demand units of the published
        ``predicted_low`` – or ``predicted_high`` / mid-point as the setting says).
    start, end : datetime.date
        The period, inclusive.
    period_days : int
        Days the published forecast covers (Decision 1, default 365).
    bound : str
        Which bound was used, for the stated assumption.

    Returns
    -------
    KpiResult
        numerator = referrals received; denominator = pro-rated target (a float, rounded to
        one decimal place for display); value = numerator ÷ denominator × 100.
    """
    definition = _definition("DS1", definition)
    target_count = pro_rated_forecast(forecast_bound, start, end, period_days)
    value = percentage(referrals_received, target_count) if target_count > 0 else None
    return KpiResult(
        code=definition.code,
        title=definition.title,
        numerator=int(referrals_received),
        denominator=round(target_count, 1),
        value=value,
        target=definition.target,
        trigger=definition.trigger,
        status=status_against_target(value, definition.target, definition.trigger),
        definition=definition.definition,
        note=forecast_assumption(bound, period_days),
        extra={"forecast_bound_annual": forecast_bound, "bound": bound},
    )


# --------------------------------------------------------------------------------------------
# DS2, DS3, DS4, KP6
# --------------------------------------------------------------------------------------------


def ds2_assessed_within_10_working_days(
    cases: pd.DataFrame | CaseTable,
    *,
    start: dt.date,
    end: dt.date,
    as_of: dt.date,
    definition: KpiDefinition | None = None,
    include_case_ids: bool = False,
) -> KpiResult:
    """DS2: referrals assessed within 10 working days of referral, inclusive of mitigation.

    Parameters
    ----------
    cases : DataFrame or CaseTable
        Needs ``referral_ref``, ``received_on``, ``saa_first_attended_on``,
        ``saa_first_not_attended_on``, ``concluded_on``.
    start, end : datetime.date
        Cohort: referrals received in ``start``–``end`` (inclusive).
    as_of : datetime.date
        Cases are counted once due (deadline before ``as_of``) or met.

    Returns
    -------
    KpiResult
        ``mitigated`` = referrals whose first attended assessment was late (or absent) but
        with an assessment appointment on or before the deadline that was not attended
        (``saa_first_not_attended_on`` ≤ deadline); counted as met (GMIRS spec §2.6:
        "inclusive of mitigation") and reported separately.

    Notes
    -----
    Mitigation is final only once the case is due; a referral that ended on or before its
    deadline without an attended or mitigated assessment is left out (DOMAIN.md).
    """
    return _deadline_measure(
        "DS2", as_case_table(cases), start=start, end=end, as_of=as_of, definition=definition,
        include_case_ids=include_case_ids,
    )


def ds3_action_plan_within_5_working_days(
    cases: pd.DataFrame | CaseTable,
    *,
    start: dt.date,
    end: dt.date,
    as_of: dt.date,
    definition: KpiDefinition | None = None,
    include_case_ids: bool = False,
) -> KpiResult:
    """DS3: first action plan submitted within 5 working days of the first attended assessment.

    Cohort: ``saa_first_attended_on`` in the period; met if ``action_plan_submitted_on`` is on
    or before the 5th working day after it (GMIRS spec §2.6 DS3).
    """
    return _deadline_measure(
        "DS3", as_case_table(cases), start=start, end=end, as_of=as_of, definition=definition,
        include_case_ids=include_case_ids,
    )


def ds4_distance_tool_within_10_working_days(
    cases: pd.DataFrame | CaseTable,
    *,
    start: dt.date,
    end: dt.date,
    as_of: dt.date,
    definition: KpiDefinition | None = None,
    include_case_ids: bool = False,
) -> KpiResult:
    """DS4: distance-travelled tool completed within 10 working days of the assessment.

    Decision 3 (DOMAIN.md): the definition ("within 10 working days of completing assessment")
    is implemented, not the title. Cohort: ``saa_first_attended_on`` in the period; met if
    ``distance_tool_completed_on`` is on or before the deadline.
    """
    return _deadline_measure(
        "DS4", as_case_table(cases), start=start, end=end, as_of=as_of, definition=definition,
        include_case_ids=include_case_ids,
    )


def kp6_attending_within_10_working_days(
    cases: pd.DataFrame | CaseTable,
    *,
    start: dt.date,
    end: dt.date,
    as_of: dt.date,
    definition: KpiDefinition | None = None,
    include_case_ids: bool = False,
) -> KpiResult:
    """KP6: suitable referrals attending an intervention appointment within 10 working days.

    Cohort: first action plan approved (``action_plan_approved_on``) in the period; met if the
    first attended session (``first_session_on``) is on or before the 10th working day after
    approval. A referral explicitly recorded as not suitable (``suitable`` false) is outside
    the cohort; an approved action plan with suitability not recorded (as in a Refer and
    Monitor report) is taken as suitable.
    """
    return _deadline_measure(
        "KP6", as_case_table(cases), start=start, end=end, as_of=as_of, definition=definition,
        include_case_ids=include_case_ids,
    )


# --------------------------------------------------------------------------------------------
# DS5, KP5
# --------------------------------------------------------------------------------------------


def ds5_outcome_achieved(
    cases: pd.DataFrame | CaseTable,
    *,
    start: dt.date,
    end: dt.date,
    as_of: dt.date,
    definition: KpiDefinition | None = None,
    include_case_ids: bool = False,
) -> KpiResult:
    """DS5: people on programme achieving an outcome against the actions on the referral.

    Cohort: referrals concluded (``concluded_on``) in the period with an end-of-service report
    (``eosr_submitted_on`` present, on or before ``as_of``). Met if the achievement score
    ``outcomes_achieved`` (Refer and Monitor: achieved 1, partly 0.5, not 0, summed) is above 0.
    There is no deadline, so every case in the cohort is due.
    """
    measure = _measure("DS5")
    definition = _definition("DS5", definition)
    table = as_case_table(cases)
    concluded = _observed(table.date(measure.clock), as_of)
    eosr = _observed(table.date(measure.event), as_of)
    counted = _in_period(concluded, start, end) & ~np.isnat(eosr)
    met = counted & (np.nan_to_num(table.outcomes_achieved, nan=0.0) > 0)
    none = np.zeros(len(table), dtype=bool)
    return _result(
        definition,
        numerator=int(met.sum()),
        denominator=int(counted.sum()),
        refs=table.referral_ref,
        counted=counted,
        met=met,
        excluded=none,
        include_case_ids=include_case_ids,
        clock=concluded,
    )


def kp5_exit_survey_offered(
    cases: pd.DataFrame | CaseTable,
    *,
    start: dt.date,
    end: dt.date,
    as_of: dt.date,
    definition: KpiDefinition | None = None,
    include_case_ids: bool = False,
) -> KpiResult:
    """KP5: exit survey offered within 1 business day of completion.

    Cohort: referrals concluded in the period, other than cancelled ones (a cancelled
    referral did not complete the service, so no exit survey is due); met if
    ``exit_survey_offered_on`` is on or before the next working day.
    """
    return _deadline_measure(
        "KP5", as_case_table(cases), start=start, end=end, as_of=as_of, definition=definition,
        include_case_ids=include_case_ids,
    )


# --------------------------------------------------------------------------------------------
# KP1–KP4 from record_events
# --------------------------------------------------------------------------------------------


def record_keeping_within_1_working_day(
    code: str,
    events: pd.DataFrame,
    *,
    start: dt.date,
    end: dt.date,
    as_of: dt.date,
    definition: KpiDefinition | None = None,
    include_case_ids: bool = False,
) -> KpiResult:
    """KP1–KP4: a record made (and, for KP2/KP3, shared) within 1 working day of the event.

    Parameters
    ----------
    code : {"KP1", "KP2", "KP3", "KP4"}
        KP1 contact, KP2 action plan, KP3 attendance, KP4 evidence request.
    events : DataFrame
        ``record_events`` rows: ``kind``, ``occurred_on``, ``recorded_on``, ``shared`` and
        ``referral_ref``. Rows of other kinds are ignored.

    Notes
    -----
    Cohort: events of the KPI's kind that occurred in the period. Deadline: the next working
    day (``busday_offset(occurred_on, 1, roll="backward")``). Met: recorded on or before it
    (KP2/KP3: and shared). Counted once due or met. Each event counts once (the unit is the
    record, not the person).
    """
    measure = _measure(code)
    definition = _definition(code, definition)
    kind, needs_sharing = measure.event_kind, measure.requires_shared
    if len(events):
        rows = events[events["kind"] == kind]
    else:
        rows = events
    occurred = as_day_array(rows["occurred_on"]) if len(rows) else np.array([], dtype="datetime64[D]")
    recorded = _observed(as_day_array(rows["recorded_on"]), as_of) if len(rows) else occurred
    cohort = _in_period(occurred, start, end) & (occurred <= _day(as_of))
    deadline = working_day_deadline(occurred, measure.working_days)
    met = cohort & (recorded <= deadline)
    if needs_sharing and len(rows):
        met &= rows["shared"].fillna(False).astype(bool).to_numpy()
    due = deadline < _day(as_of)
    counted = cohort & (due | met)
    refs = rows["referral_ref"].astype(str).to_numpy(dtype=object) if "referral_ref" in rows else None
    return _result(
        definition,
        numerator=int(met.sum()),
        denominator=int(counted.sum()),
        refs=refs,
        counted=counted,
        met=met,
        excluded=np.zeros(len(rows), dtype=bool),
        not_yet_due=int((cohort & ~counted).sum()),
        include_case_ids=include_case_ids,
        clock=occurred,
    )


# --------------------------------------------------------------------------------------------
# CRS SL002
# --------------------------------------------------------------------------------------------

def sl002_intervention_appointment_attended(
    cases: pd.DataFrame | CaseTable,
    *,
    start: dt.date,
    end: dt.date,
    as_of: dt.date | None = None,
    definition: KpiDefinition | None = None,
    include_case_ids: bool = False,
) -> KpiResult:
    """CRS SL002: intervention appointment attended by service user, ``a / (b − c) × 100``.

    Parameters
    ----------
    cases : DataFrame or CaseTable
        Needs ``referral_ref``, ``received_on``, ``concluded_on``, ``first_session_on``,
        ``action_plan_approved_on``, ``end_requested_by_pp_reason``, ``referral_end_state``.
    start, end : datetime.date
        The month (or any period): referrals whose end date falls in it.

    Returns
    -------
    KpiResult
        numerator = a; denominator = b − c; ``excluded`` = c (neutral) plus referrals
        cancelled on the day they were received; ``extra`` holds a, b, c and the negative
        count. ``value`` is ``None`` (not 0) when b − c = 0.

    Notes
    -----
    CRS SL002 technical note v1.4:

    * b: referrals whose end date (``concluded_on``) falls in the period, not counting a
      referral cancelled on the day it was received.
    * a: those of b with an intervention commencement appointment attended (YES or LATE) on or
      before the end date (``first_session_on`` ≤ ``concluded_on``).
    * c: those of b without one that are neutral: no approved action plan, or an end reason
      that is neutral, blank or unrecognised.
    * negative: not a, an approved action plan, and end reason DIS or END.
    """
    measure = _measure("SL002")
    definition = _definition("SL002", definition)
    table = as_case_table(cases)
    as_of = as_of or end
    concluded = _observed(table.date(measure.clock), as_of)
    received = table.date("received_on")
    in_month = _in_period(concluded, start, end)
    cancelled = np.array([CANCELLED.excludes(s) for s in table.end_state], dtype=bool)
    # SL002 note: "not counting one cancelled on the day it was referred".
    cancelled_on_day = in_month & cancelled & (received == concluded)
    b = in_month & ~cancelled_on_day
    first_session = _observed(table.date(measure.event), as_of)
    positive = b & (first_session <= concluded)
    approved = ~np.isnat(_observed(table.date("action_plan_approved_on"), as_of))
    reason_negative = np.array(
        [end_reason_class(r) == "negative" for r in table.end_reason], dtype=bool
    )
    negative = b & ~positive & approved & reason_negative
    neutral = b & ~positive & ~negative
    counted = positive | negative
    a_count, b_count, c_count = int(positive.sum()), int(b.sum()), int(neutral.sum())
    return _result(
        definition,
        numerator=a_count,
        denominator=b_count - c_count,
        refs=table.referral_ref,
        counted=counted,
        met=positive,
        excluded=neutral | cancelled_on_day,
        include_case_ids=include_case_ids,
        clock=concluded,
        extra={
            "a": a_count,
            "b": b_count,
            "c": c_count,
            "negative": int(negative.sum()),
            "cancelled_on_referral_day": int(cancelled_on_day.sum()),
        },
    )


# --------------------------------------------------------------------------------------------
# The scorecard
# --------------------------------------------------------------------------------------------

CASE_MEASURES = {
    "DS2": ds2_assessed_within_10_working_days,
    "DS3": ds3_action_plan_within_5_working_days,
    "DS4": ds4_distance_tool_within_10_working_days,
    "DS5": ds5_outcome_achieved,
    "KP5": kp5_exit_survey_offered,
    "KP6": kp6_attending_within_10_working_days,
    "SL002": sl002_intervention_appointment_attended,
}


def scorecard_from_frames(
    cases: pd.DataFrame | CaseTable,
    *,
    start: dt.date,
    end: dt.date,
    as_of: dt.date,
    definitions: Sequence[KpiDefinition],
    record_events: pd.DataFrame | None = None,
    ds1: KpiResult | None = None,
    include_case_ids: bool = False,
    codes: Sequence[str] | None = None,
) -> list[KpiResult]:
    """Every measure the data supports, in catalogue order.

    Measures with no source data are left out rather than reported as 0: KP1–KP4 need
    ``record_events``; DS1 needs a forecast (pass its result as ``ds1``).
    """
    table = as_case_table(cases)
    wanted = {c.upper() for c in codes} if codes else None
    results: list[KpiResult] = []
    for definition in definitions:
        code = definition.code
        if wanted is not None and code not in wanted:
            continue
        if code == "DS1":
            if ds1 is not None:
                results.append(ds1)
        elif code in RECORD_EVENT_KPIS:
            if record_events is not None:
                results.append(
                    record_keeping_within_1_working_day(
                        code, record_events, start=start, end=end, as_of=as_of,
                        definition=definition, include_case_ids=include_case_ids,
                    )
                )
        elif code in CASE_MEASURES:
            results.append(
                CASE_MEASURES[code](
                    table, start=start, end=end, as_of=as_of,
                    definition=definition, include_case_ids=include_case_ids,
                )
            )
    return results
