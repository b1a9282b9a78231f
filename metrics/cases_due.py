"""The provider's working day: which cases breach which deadline, every measure by hub, and
what SL002 will be this month.

* :func:`breach_list` lists, for every measure with a per-case deadline (DS2, DS3, DS4, KP6,
  KP5 and the one-working-day record-keeping measures KP1–KP4, from their catalogue entries,
  plus Refer and Monitor's completion date), each case whose measure is still open on the
  as-of date, with its deadline and the working days left (England and Wales working days,
  ``domain.dates``); a case already past its deadline is listed and flagged, not just counted.
* :func:`sl002_projection` works out SL002 for the as-of date's month from the referrals that
  ended so far this month and those due to end before the month is out.

Pure functions on frames, so they can be checked by hand; the panels at the end read the
view's data through ``data_access.open_cases`` (scoped) and the scorecard.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from domain.catalogue import DEADLINE_CODES, RECORD_EVENT_CODES, kpi
from domain.dates import CALENDAR_FIRST_YEAR, working_day_deadline, working_days_between

#: Working days before Refer and Monitor's completion date from which an open referral with no
#: attended session is listed (Decision 18; the same horizon as the KPIs page's cases at risk).
COMPLETION_CODE = "R&M completion"
COMPLETION_LABEL = "Refer and Monitor completion date, no session attended yet"
#: Past-deadline cases listed by default: overdue by at most this many working days (about a
#: month); the page offers more, or all.
DEFAULT_LOOKBACK_WORKING_DAYS = 20

LABELS: dict[str, str] = {
    "DS2": "assessment within 10 working days of referral",
    "DS3": "action plan within 5 working days of the assessment",
    "DS4": "distance-travelled tool within 10 working days of the assessment",
    "KP5": "exit survey offered within 1 working day of the end",
    "KP6": "first session within 10 working days of action-plan approval",
    "KP1": "contact recorded within 1 working day",
    "KP2": "action-plan change recorded and shared within 1 working day",
    "KP3": "attendance recorded and shared within 1 working day",
    "KP4": "evidence sent within 1 working day of the request",
    COMPLETION_CODE: COMPLETION_LABEL,
}
#: Order of measures in the list (ties on urgency), as the catalogue orders them.
ORDER = {code: i for i, code in enumerate((*DEADLINE_CODES, *RECORD_EVENT_CODES, COMPLETION_CODE))}
COLUMNS = ["status", "measure", "referral_ref", "hub", "deadline", "working_days_left", "clock_started",
           "deadline_rule"]


def _days(values) -> np.ndarray:
    return pd.to_datetime(pd.Series(values, dtype=object)).to_numpy(dtype="datetime64[D]")


#: A clock that started before the working-day calendar (Decision 19) has no deadline to list.
CALENDAR_START = np.datetime64(f"{CALENDAR_FIRST_YEAR}-01-01", "D")


def _not_by(days: np.ndarray, as_of: dt.date) -> np.ndarray:
    """True where an event had not happened by ``as_of`` (missing, or dated after it)."""
    return np.isnat(days) | (days > np.datetime64(as_of, "D"))


def working_days_left(as_of: dt.date, deadlines) -> np.ndarray:
    """Working days from ``as_of`` to each deadline: 0 when due on the as-of date, negative
    when past it (−1 = the deadline was the previous working day)."""
    deadline = _days(deadlines)
    ahead = working_days_between(np.full(len(deadline), np.datetime64(as_of, "D")), deadline)
    behind = -working_days_between(deadline, np.full(len(deadline), np.datetime64(as_of, "D")))
    return np.where(deadline >= np.datetime64(as_of, "D"), ahead, behind).astype(int)


def status_text(left: int) -> str:
    if left < 0:
        return f"past deadline ({-left} working day{'s' if left != -1 else ''} ago)"
    if left == 0:
        return "due today"
    return f"due in {left} working day{'s' if left != 1 else ''}"


def _referral_rows(code: str, cases: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """Cases of ``cases`` (referral rows) whose deadline measure ``code`` is open on ``as_of``."""
    measure = kpi(code).measure
    clock = _days(cases[measure.clock])
    open_ = ~np.isnat(clock) & (clock <= np.datetime64(as_of, "D")) & (clock >= CALENDAR_START)
    if measure.cohort_filter is not None:
        rule = measure.cohort_filter
        open_ &= np.array([not rule.excludes(v) for v in cases[rule.column]], dtype=bool)
    open_ &= _not_by(_days(cases[measure.event]), as_of)
    if measure.excludes_ended:  # a referral that has ended is no longer waiting for the event
        open_ &= _not_by(_days(cases["concluded_on"]), as_of)
    part = cases[open_]
    started = clock[open_]
    deadline = working_day_deadline(started, measure.working_days)
    keep = np.ones(len(part), dtype=bool)
    if measure.mitigation is not None:  # DS2: a missed appointment by the deadline counts as met
        missed = _days(part[measure.mitigation])
        keep = _not_by(missed, as_of) | ~(missed <= deadline)
    return pd.DataFrame({"measure": code, "referral_ref": part["referral_ref"].to_numpy()[keep],
                         "hub_id": part["hub_id"].to_numpy()[keep], "clock_started": started[keep],
                         "deadline": deadline[keep]})


def _completion_rows(cases: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """Open referrals with Refer and Monitor's completion date and no session attended yet."""
    due = _days(cases["intervention_to_be_completed_by"])
    open_ = (~np.isnat(due) & _not_by(_days(cases["concluded_on"]), as_of)
             & _not_by(_days(cases["first_session_on"]), as_of))
    part = cases[open_]
    return pd.DataFrame({"measure": COMPLETION_CODE, "referral_ref": part["referral_ref"].to_numpy(),
                         "hub_id": part["hub_id"].to_numpy(), "clock_started": _days(part["received_on"]),
                         "deadline": due[open_]})


def _event_rows(code: str, events: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """Record-keeping events of ``code``'s kind not recorded (and, for KP2/KP3, shared) by ``as_of``."""
    measure = kpi(code).measure
    rows = events[events["kind"] == measure.event_kind]
    occurred = _days(rows["occurred_on"])
    open_ = ~np.isnat(occurred) & (occurred <= np.datetime64(as_of, "D")) & (occurred >= CALENDAR_START)
    unrecorded = _not_by(_days(rows["recorded_on"]), as_of)
    if measure.requires_shared:
        unrecorded |= ~rows["shared"].fillna(False).astype(bool).to_numpy()
    open_ &= unrecorded
    part = rows[open_]
    return pd.DataFrame({"measure": code, "referral_ref": part["referral_ref"].to_numpy(),
                         "hub_id": part["hub_id"].to_numpy(), "clock_started": occurred[open_],
                         "deadline": working_day_deadline(occurred[open_], measure.working_days)})


@dataclass(frozen=True)
class BreachList:
    """Open cases by urgency (``cases``: :data:`COLUMNS`), with what was left out."""

    cases: pd.DataFrame
    past_deadline: int
    older_not_listed: int
    measures: tuple[str, ...]


def breach_list(
    referrals: pd.DataFrame,
    events: pd.DataFrame | None,
    *,
    as_of: dt.date,
    hubs: dict[int, str] | None = None,
    lookback_working_days: int | None = DEFAULT_LOOKBACK_WORKING_DAYS,
    completion_horizon: int = 20,
    skip: tuple[str, ...] = (),
) -> BreachList:
    """Every open case of every deadline measure, most urgent first.

    Parameters
    ----------
    referrals : referral rows (``data_access.open_cases.OPEN_CASE_COLUMNS``).
    events : record-keeping events not yet recorded or shared (KP1–KP4), or None.
    as_of : the view's as-of date: events after it have not happened yet.
    lookback_working_days : past-deadline cases are listed when overdue by at most this many
        working days (None: all); older ones are counted in ``older_not_listed``.
    completion_horizon : Refer and Monitor's completion date is listed from this many working
        days before it (Decision 18).
    skip : measures the loaded data cannot support (``metrics.support``).

    Returns
    -------
    BreachList
        ``cases`` sorted by working days left (most overdue first), then deadline, measure and
        reference; ``working_days_left`` is negative past the deadline.
    """
    parts = [_referral_rows(code, referrals, as_of) for code in DEADLINE_CODES if code not in skip]
    if events is not None:
        parts += [_event_rows(code, events, as_of) for code in RECORD_EVENT_CODES if code not in skip]
    parts.append(_completion_rows(referrals, as_of))
    frames = [p for p in parts if len(p)]
    measures = tuple(c for c in (*DEADLINE_CODES, *RECORD_EVENT_CODES, COMPLETION_CODE)
                     if c not in skip and (c not in RECORD_EVENT_CODES or events is not None))
    if not frames:
        return BreachList(pd.DataFrame(columns=COLUMNS), 0, 0, measures)
    rows = pd.concat(frames, ignore_index=True)
    rows["working_days_left"] = working_days_left(as_of, rows["deadline"])
    completion = rows["measure"] == COMPLETION_CODE
    rows = rows[~completion | (rows["working_days_left"] <= completion_horizon)]
    past = rows["working_days_left"] < 0
    older = past & (rows["working_days_left"] < -lookback_working_days) if lookback_working_days is not None else \
        pd.Series(False, index=rows.index)
    past_count, older_count = int(past.sum()), int(older.sum())
    rows = rows[~older].copy()
    rows["order"] = rows["measure"].map(ORDER)
    rows = rows.sort_values(["working_days_left", "deadline", "order", "referral_ref"]).reset_index(drop=True)
    names = hubs or {}
    out = pd.DataFrame({
        "status": [status_text(int(v)) for v in rows["working_days_left"]],
        "measure": rows["measure"],
        "deadline_rule": rows["measure"].map(LABELS),
        "referral_ref": rows["referral_ref"].astype(str),
        "hub": [names.get(int(h), "no hub recorded") if pd.notna(h) else "no hub recorded" for h in rows["hub_id"]],
        "clock_started": pd.to_datetime(rows["clock_started"]).dt.date,
        "deadline": pd.to_datetime(rows["deadline"]).dt.date,
        "working_days_left": rows["working_days_left"].astype(int),
    }, columns=COLUMNS)
    return BreachList(out, past_count, older_count, measures)


# --------------------------------------------------------------------------------------------
# SL002 this month
# --------------------------------------------------------------------------------------------


def month_end(day: dt.date) -> dt.date:
    return (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)


def due_to_end(referrals: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """Open referrals expected to end after ``as_of`` and by the end of its month: the earlier
    of Refer and Monitor's completion date and the end of the sentence falls in that window.
    ``attended``: the first intervention session was attended by ``as_of`` (such a referral
    ends positive whenever it ends)."""
    if referrals.empty:
        return referrals.assign(expected_end=[], attended=[])
    still_open = _not_by(_days(referrals["concluded_on"]), as_of)
    completion = _days(referrals["intervention_to_be_completed_by"])
    sentence = _days(referrals["end_of_sentence_date"])
    expected = np.where(np.isnat(completion), sentence,
                        np.where(np.isnat(sentence), completion, np.minimum(completion, sentence)))
    window = ~np.isnat(expected) & (expected > np.datetime64(as_of, "D")) & (
        expected <= np.datetime64(month_end(as_of), "D"))
    part = referrals[still_open & window].copy()
    part["expected_end"] = expected[still_open & window]
    part["attended"] = ~_not_by(_days(part["first_session_on"]), as_of)
    return part


@dataclass(frozen=True)
class Sl002Projection:
    """SL002 for a month, projected from part of it. Rates in %; None = cannot be computed."""

    month_start: dt.date
    as_of: dt.date
    a: int  # ended so far with an intervention commencement appointment
    counted: int  # ended so far, b − c
    due: int  # open, due to end by the month's end
    due_attended: int  # of those, with a session already attended (positive when they end)
    recent_rate: float | None  # a / (b − c) over the recent window
    low: float | None
    central: float | None
    high: float | None
    so_far: float | None


def sl002_projection(*, a: int, counted: int, due: int, due_attended: int, recent_rate: float | None,
                     month_start: dt.date, as_of: dt.date) -> Sl002Projection:
    """SL002 for the month once the due referrals have ended.

    ``a`` and ``counted`` (b − c) are the month's figures so far. Of the ``due`` referrals,
    ``due_attended`` already have an attended session and end positive whatever happens.

    * high: every due referral ends positive: (a + due) / (counted + due);
    * low: none of the others does, and each counts against SL002 (negative, not neutral):
      (a + due_attended) / (counted + due);
    * central: the others end positive at the recent rate:
      (a + due_attended + rate × (due − due_attended)) / (counted + due).

    Each is None when its denominator is 0 (no referral ended or due); the central one also
    when there is no recent rate and some due referral has no session yet.
    """
    total = counted + due
    undecided = due - due_attended
    high = 100 * (a + due) / total if total else None
    low = 100 * (a + due_attended) / total if total else None
    if not total:
        central = None
    elif undecided == 0:
        central = low
    elif recent_rate is None:
        central = None
    else:
        central = 100 * (a + due_attended + recent_rate / 100 * undecided) / total
    so_far = 100 * a / counted if counted else None
    return Sl002Projection(month_start, as_of, a, counted, due, due_attended, recent_rate, low, central, high, so_far)


def projection_withheld(p: Sl002Projection, *, threshold: int, minimum_denominator: int) -> bool:
    """True when the projected rates may not be shown (DOMAIN.md "Suppression"). They rest on four
    counts of people (positive and not so far; due with and without a session): beside the counts
    shown, a rate or the width of the range would give any of them back, so with one of them
    1 to ``threshold − 1``, or fewer than ``minimum_denominator`` cases in all, none is shown."""
    parts = (p.a, p.counted - p.a, p.due_attended, p.due - p.due_attended)
    return p.counted + p.due < minimum_denominator or any(1 <= n < threshold for n in parts)


# --------------------------------------------------------------------------------------------
# Panels (the pages and packs read them through metrics.panels)
# --------------------------------------------------------------------------------------------

#: Months before the as-of date's month whose ended referrals, with the month so far, give the
#: recent rate behind the central projection.
RECENT_MONTHS = 3


def cases_due_panel(db, inp, *, lookback_working_days: int | None = DEFAULT_LOOKBACK_WORKING_DAYS):
    """:func:`breach_list` for the view (its scoped referrals, as of its as-of date)."""
    from data_access import open_cases
    from metrics.panels import Panel, plural
    from metrics.support import unmeasurable_codes

    as_of = inp.as_of
    if lookback_working_days is None:
        since = dt.date(CALENDAR_FIRST_YEAR, 1, 1)
    else:  # a little before the oldest deadline listed: the rules then trim exactly
        since = as_of - dt.timedelta(days=2 * lookback_working_days + 14)
    referrals = open_cases.open_referrals(db, inp.referrals, as_of=as_of, ended_since=since)
    events = open_cases.open_record_events(db, inp.referrals, as_of=as_of, since=since)
    skip = unmeasurable_codes(db)
    result = breach_list(referrals, events, as_of=as_of, hubs=open_cases.hub_names(db),
                         lookback_working_days=lookback_working_days, skip=tuple(skip))
    data = result.cases
    if not inp.sees_case_ids:
        data = data.drop(columns=["referral_ref"])
    past_listed = int((data["working_days_left"] < 0).sum()) if len(data) else 0
    if data.empty:
        title = "No open case is waiting on a deadline measure"
    else:
        first = data.iloc[0]
        title = (f"{plural(len(data), 'open case')} waiting on a deadline: {past_listed:,} past it, "
                 f"{int((data['working_days_left'] == 0).sum()):,} due today; most urgent: {first['measure']}, "
                 f"{first['status']}")
    window = ("every past-deadline case is listed" if lookback_working_days is None else
              f"past-deadline cases are listed when overdue by at most {plural(lookback_working_days, 'working day')}"
              + (f"; {plural(result.older_not_listed, 'older one')} not listed (choose a longer look-back)"
                 if result.older_not_listed else ""))
    notes = [
        "One row per open case and measure: the event that meets the measure had not happened by the as-of date "
        "and the referral had not ended (KP5: ended, exit survey not yet offered; KP1–KP4: one row per contact, "
        "action-plan change, appointment or evidence request not yet recorded, or not shared where the measure "
        "needs it).",
        "Deadline: the N-th working day after the date that starts the clock (DOMAIN.md \"Working days\": "
        "England and Wales bank holidays excluded; a clock starting on a non-working day counts from the working "
        "day before). Working days left: 0 = due on the as-of date; negative = past the deadline, already counted "
        "as missed. A DS2 case with a missed assessment appointment on or before its deadline counts as met "
        "(mitigation) and is not listed.",
        f"Refer and Monitor completion date: listed from 20 working days before it while no session has been "
        f"attended (Decision 18). Sorted most overdue first, then by deadline; {window}.",
        "Referral references only: no names or other personal details (a case list for roles that may see "
        "case references, as the KPIs page's cases at risk).",
    ]
    if skip:
        notes.append(f"Not listed: {', '.join(skip)} (need the case extract; only Refer and Monitor reports loaded).")
    return Panel(title, data, "open cases", tuple(notes),
                 {"past_deadline": result.past_deadline, "older_not_listed": result.older_not_listed,
                  "measures": result.measures})


def measures_by_hub_panel(db, inp):
    """Every measure (DS1 first) by hub for the view and period: each cell the rate with its
    numerator and denominator, exactly as Compare areas would show them (one suppression per
    measure across the hubs and the whole view, so no hidden count follows from the totals)."""
    from domain.catalogue import KPI_CODES
    from metrics import compare
    from metrics.panels import Panel, _compare_settings

    results = compare.kpi_matrix_results(db, inp.referrals, codes=list(KPI_CODES), by="hub", **_compare_settings(inp))
    cells: dict[str, dict[str, str]] = {}
    hubs: list[str] = []
    for r in results:
        column = {}
        for row in r.table.to_dict("records"):
            value = row["value"]
            rate = f"{value}%" if value not in (compare.NOT_SHOWN, "no data") else value
            column[row["area"]] = (f"{rate} ({row['met']} received)" if r.code == "DS1"
                                   else f"{rate} ({row['met']}/{row['cases']})")
            if row["area"] not in hubs:
                hubs.append(row["area"])
        cells[r.code] = column
    data = pd.DataFrame({"hub": hubs, **{code: [cells[code].get(h, "–") for h in hubs] for code in cells}})
    shown = sum(1 for code in cells for h in hubs if cells[code].get(h, "–")[:1].isdigit())
    title = (f"Every measure by hub, {inp.period.label}: {len(hubs)} hubs" if hubs
             else f"No hub has cases in {inp.period.label}")
    notes = [
        "Each cell: the measure's value (cases meeting it ÷ cases counted, as on the scorecard) with n/N; DS1: "
        "referrals received as a % of the hub's borough forecast (pro-rated; Decisions 1 and 2), with the referrals "
        "received. A borough with several hubs shares one forecast, so each of its hubs' DS1 is measured against "
        "the whole borough's forecast.",
        f"{compare.NOT_SHOWN}: fewer than {inp.minimum_rate_denominator} cases, or a count of 1 to "
        f"{inp.suppression_threshold - 1} people (or one that the other hubs and the whole view would give back); "
        "[c]: a count of 1 to 4 people, or one hidden with it. 'No hub recorded': the view's cases with no hub.",
    ]
    for r in results:
        for note in r.notes:
            if note.startswith("[c]"):
                notes.append(f"{r.code}: {note}")
    return Panel(title, data, "% of cases (n/N)", tuple(notes), {"shown_cells": shown})


def sl002_projection_panel(db, inp):
    """SL002 for the as-of date's month: so far, and projected with its range (method in notes)."""
    from data_access import open_cases
    from metrics.disclosure import SUPPRESSED, WITHHELD_RATE, displayable_rate
    from metrics.panels import NO_DATA, Panel, count_text, pct
    from metrics.queries import scorecard

    as_of = inp.as_of
    start = as_of.replace(day=1)
    index = start.year * 12 + start.month - 1 - RECENT_MONTHS
    recent_start = dt.date(index // 12, index % 12 + 1, 1)

    def sl002(first: dt.date):
        card = scorecard(db, inp.referrals, start=first, end=as_of, as_of=as_of, forecast=False, codes=["SL002"])
        return card.kpi("SL002")

    month, recent = sl002(start), sl002(recent_start)
    due = due_to_end(open_cases.open_referrals(db, inp.referrals, as_of=as_of, ended_since=as_of), as_of)
    a, counted = (int(month.numerator), int(month.denominator)) if month else (0, 0)
    recent_rate = recent.value if recent is not None and recent.denominator else None
    projection = sl002_projection(a=a, counted=counted, due=len(due), due_attended=int(due["attended"].sum()),
                                  recent_rate=recent_rate, month_start=start, as_of=as_of)
    threshold, minimum = inp.suppression_threshold, inp.minimum_rate_denominator
    protected = projection_withheld(projection, threshold=threshold, minimum_denominator=minimum)

    def rate(value: float | None) -> str:
        if value is None:
            return NO_DATA
        return WITHHELD_RATE if protected else pct(value)

    so_far_shown = (NO_DATA if projection.so_far is None else WITHHELD_RATE if displayable_rate(
        a, counted, minimum_denominator=minimum, threshold=threshold, protect_numerator=True) is None
        else pct(projection.so_far))
    data = pd.DataFrame([
        {"figure": f"SL002 so far ({start.day} {start:%B} to {as_of.day} {as_of:%B %Y}; cases: b − c)", "value": so_far_shown,
         "cases": count_text(counted, threshold)},
        {"figure": "Open referrals due to end by the month's end", "value": "",
         "cases": count_text(projection.due, threshold)},
        {"figure": "Projected SL002: central estimate", "value": rate(projection.central), "cases": ""},
        {"figure": "Projected SL002: lowest (no due referral without a session starts one)",
         "value": rate(projection.low), "cases": ""},
        {"figure": "Projected SL002: highest (every due referral ends positive)",
         "value": rate(projection.high), "cases": ""},
        {"figure": f"Recent rate ({recent_start:%B %Y} to {as_of.day} {as_of:%B %Y})", "value": pct(recent_rate)
         if recent_rate is not None and displayable_rate(int(recent.numerator), int(recent.denominator),
                                                         minimum_denominator=minimum, threshold=threshold,
                                                         protect_numerator=True) is not None
         else (NO_DATA if recent_rate is None else WITHHELD_RATE), "cases": ""},
    ])
    if projection.central is None and projection.low is None:
        title = f"SL002 for {start:%B %Y}: no data (no referral has ended or is due to end this month)"
    elif protected:
        title = (f"SL002 for {start:%B %Y}: projection not shown (fewer than {minimum} cases, or it would give "
                 f"back a count of 1 to {threshold - 1} people)")
    elif projection.due == 0:
        title = (f"SL002 for {start:%B %Y}: {rate(projection.central)} so far, and no open referral is due to end "
                 f"by {month_end(as_of):%d %B} (target 90%, trigger 80%)")
    else:
        title = (f"SL002 for {start:%B %Y} is heading for {rate(projection.central)} "
                 f"(range {rate(projection.low)} to {rate(projection.high)}; target 90%, trigger 80%)")
    notes = (
        "Method: SL002 = a / (b − c) for the referrals that end in the month (CRS SL002). So far: the referrals "
        "that ended from the 1st to the as-of date. Due: referrals still open whose Refer and Monitor completion "
        "date or end of sentence (the earlier) falls between the as-of date and the month's end; one with a "
        "session already attended ends positive. Highest: every due referral ends positive. Lowest: none of the "
        "others starts a session before it ends and each counts against SL002 (negative, not neutral). Central: "
        f"they end positive at the recent rate, SL002 over the {RECENT_MONTHS} months before this one and this "
        "month so far. Referrals ending early, or due and extended, are not foreseen.",
        "No data: nothing has ended or is due this month (or, for the central estimate, no recent rate). "
        f"{SUPPRESSED}: a count of 1 to {threshold - 1} people; {WITHHELD_RATE}: a rate not shown because it rests "
        f"on fewer than {minimum} cases or on a count of 1 to {threshold - 1} people.",
    )
    return Panel(title, data, "%", notes, {"projection": projection, "protected": protected})
