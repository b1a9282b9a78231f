"""EPOP action-plan progress measures (DOMAIN.md Decision 7). Pure: frames in, frames out.

The EPOP service description (seed 000) defines no progress measure and no status vocabulary,
so every measure here states its own definition (``*_DEFINITION`` constants, shown beside
each chart) and is reported on its own. Nothing here blends measures into a single score.

* **Plan on time**: a plan counts as agreed when it has been agreed both by the region and
  centrally (000 G7: "provided and agreed with the regional team and central team by the end
  of this period"); its agreement date is the later of the two. It is on time when that date
  is no more than 90 days after the service commencement date (000 §15.1: "within 90 days of
  the service commencement date"): commencement is day 0, day 90 is on time, day 91 is late.
* **Share of due actions complete**, **overdue actions** and **RAG per action**: see
  :data:`PROGRESS_DEFINITION`, :data:`OVERDUE_DEFINITION`, :data:`RAG_DEFINITION`.
* **Annex 2 coverage**, **standards self-assessment** and **sessions** are separate tables.
* **Target dates** in inspection-response plans are free text; :func:`parse_target_date`
  reads every wording in the real HMPPS plan (seed 004), and :func:`target_date_slippage`
  compares two snapshots.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from metrics import periods

from domain.epop import (  # noqa: F401  (re-exported: the vocabulary is part of this module's interface)
    ACTION_STATUSES,
    AT_RISK_WITHIN_DAYS,
    COM_B_DIMENSIONS,
    PLAN_AGREEMENT_WINDOW_DAYS,
    RAG_LABELS,
    MONTHS,
    TargetDate,
    annex2_year,
    contract_year,
    parse_target_date,
)

PLAN_ON_TIME_DEFINITION = (
    "A plan is agreed when both the region and the central team have agreed it; its agreement "
    "date is the later of the two. On time: agreed no more than {window} days after the service "
    "commencement date (commencement is day 0; day {window} is on time, day {late} is late; "
    "000 §15.1). A plan not yet agreed is 'not yet agreed' until day {window} has passed, then "
    "'overdue (not agreed)'."
)
PROGRESS_DEFINITION = (
    "Share of due actions complete = actions with status 'complete' ÷ actions that are due, "
    "× 100. An action is due when its due date is on or before the as-of date. Dropped actions "
    "are left out of both counts. Actions with no due date are never due: they are counted "
    "separately ('no due date'), as are actions completed before they fell due ('complete, "
    "not yet due'). No value (not 0%) when no action is due. Status is each action's status "
    "as of the as-of date."
)
OVERDUE_DEFINITION = (
    "Overdue: an action whose due date is before the as-of date and whose status is not "
    "'complete' or 'dropped'. An action due on the as-of date itself is not yet overdue."
)
RAG_DEFINITION = (
    "RAG per action, by due date and status at the as-of date: OVERDUE if due before the as-of "
    "date and not complete; AT RISK if not overdue and either blocked, or not complete with a "
    "due date within the next {days} days (as-of date included); ON TRACK otherwise. Actions "
    "that are complete, dropped, or open with no due date (and not blocked) are not rated and "
    "are shown as 'complete', 'dropped' or 'no due date'."
)
ANNEX2_DEFINITION = (
    "Annex 2 coverage: the expectations for every year up to the region's current Annex 2 year "
    "(expectations are cumulative). Current year = contract year (1 in the first 12 months "
    "from commencement, 2 in the next 12, then 3) plus the region's year offset (its maturity "
    "setting), capped at 3. Each expectation takes its latest assessment on or before the "
    "as-of date: met, in progress, not started, or not assessed. Shown per COM-B dimension; "
    "not combined with action progress."
)
STANDARDS_DEFINITION = (
    "Standards of Excellence (Annex 1): the latest self-assessment rating per standard on or "
    "before the as-of date, as the region recorded it. The service description gives no rating "
    "scale, so ratings are shown as words and never averaged or scored."
)
SESSIONS_DEFINITION = (
    "Engagement sessions held on or before the as-of date (from the start date when one is "
    "given) and the number of people on probation attending, as recorded on each session "
    "record (EPOP-15). People attending several sessions are counted at each one."
)
SLIPPAGE_DEFINITION = (
    "Target dates are read from the published wording: a month ('June 2021') means the last "
    "day of that month; 'Completed…' means done with no date; '… and ongoing' / 'monthly' / "
    "'to be reviewed monthly' mark continuing work. Matching rule: each action in the earlier "
    "snapshot is paired with the action of the same recommendation in the later snapshot whose "
    "summary shares the most distinctive words with it (at least {min_shared}; words of three "
    "letters or fewer, numbers, month names and common words ignored, a final 's' dropped), "
    "each shared word weighted by 1 ÷ the number of later actions of that recommendation using "
    "it; ties go to the action nearest in list position, then the earlier-listed. Several "
    "earlier actions may pair with one later action (updates often report on several at once). "
    "Slipped: the later snapshot gives a later date than the earlier one. Completed: the later "
    "snapshot says completed. Reopened: the earlier said completed, the later gives a date. Unmatched actions are listed as such, never guessed."
)


# --------------------------------------------------------------------------------------------
# Plan on time
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanTimeliness:
    """Whether a plan was agreed within the window after commencement."""

    commencement_date: dt.date | None
    deadline: dt.date | None
    agreed_on: dt.date | None
    days_to_agreement: int | None
    status: str  # on time / late / not yet agreed / overdue (not agreed) / no commencement date
    definition: str


def plan_timeliness(
    commencement_date: dt.date | None,
    agreed_by_region_on: dt.date | None,
    agreed_centrally_on: dt.date | None,
    as_of: dt.date,
    window_days: int = PLAN_AGREEMENT_WINDOW_DAYS,
) -> PlanTimeliness:
    """Classify one plan as agreed on time, late, not yet agreed, or overdue.

    Parameters
    ----------
    commencement_date : date or None
        Service commencement date (day 0).
    agreed_by_region_on, agreed_centrally_on : date or None
        The two agreements the service description requires; the plan is agreed on the later.
    as_of : date
        The date the picture is drawn at; agreements after it are ignored.
    window_days : int
        Days allowed after commencement (000 §15.1: 90).

    Returns
    -------
    PlanTimeliness
        ``status`` is one of ``on time``, ``late``, ``not yet agreed``,
        ``overdue (not agreed)`` or ``no commencement date``.
    """
    definition = PLAN_ON_TIME_DEFINITION.format(window=window_days, late=window_days + 1)
    if commencement_date is None:
        return PlanTimeliness(None, None, None, None, "no commencement date", definition)
    deadline = commencement_date + dt.timedelta(days=window_days)
    agreements = [d for d in (agreed_by_region_on, agreed_centrally_on) if d is not None]
    agreed_on = max(agreements) if len(agreements) == 2 and max(agreements) <= as_of else None
    if agreed_on is None:
        status = "not yet agreed" if as_of <= deadline else "overdue (not agreed)"
        return PlanTimeliness(commencement_date, deadline, None, None, status, definition)
    days = (agreed_on - commencement_date).days
    status = "on time" if days <= window_days else "late"
    return PlanTimeliness(commencement_date, deadline, agreed_on, days, status, definition)


def agreement_text(plan) -> str:
    """The two agreements a plan needs (000 G7), as recorded: "Agreed by the region on …; by the
    central team on …" (``plan``: a mapping with ``agreed_by_region_on``, ``agreed_centrally_on``)."""
    def when(value) -> str:
        day = _date_or_none(value)
        return f"on {day:%d %b %Y}" if day else "not yet"
    return (f"Agreed by the region {when(plan.get('agreed_by_region_on'))}; "
            f"by the central team {when(plan.get('agreed_centrally_on'))}.")


def plans_timeliness(
    plans: pd.DataFrame, as_of: dt.date, window_days: int = PLAN_AGREEMENT_WINDOW_DAYS
) -> pd.DataFrame:
    """:func:`plan_timeliness` for every plan in a frame.

    Parameters
    ----------
    plans : DataFrame
        Columns ``plan_id``, ``commencement_date``, ``agreed_by_region_on``,
        ``agreed_centrally_on`` (dates or missing).
    as_of : date
    window_days : int

    Returns
    -------
    DataFrame
        ``plan_id``, ``deadline``, ``agreed_on``, ``days_to_agreement``, ``plan_status``.
    """
    _require(plans, ("plan_id", "commencement_date", "agreed_by_region_on", "agreed_centrally_on"))
    rows = []
    for row in plans.itertuples(index=False):
        t = plan_timeliness(
            _date_or_none(row.commencement_date),
            _date_or_none(row.agreed_by_region_on),
            _date_or_none(row.agreed_centrally_on),
            as_of,
            window_days,
        )
        rows.append((row.plan_id, t.deadline, t.agreed_on, t.days_to_agreement, t.status))
    return pd.DataFrame(
        rows, columns=["plan_id", "deadline", "agreed_on", "days_to_agreement", "plan_status"]
    ).astype({"days_to_agreement": "Int64"})


# --------------------------------------------------------------------------------------------
# Actions: progress, overdue, RAG
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActionProgress:
    """Share of due actions complete, with every count that explains it."""

    complete: int
    due: int
    value: float | None  # percentage, None when nothing is due
    not_yet_due: int
    complete_not_yet_due: int
    no_due_date: int
    dropped: int
    overdue: int
    definition: str = PROGRESS_DEFINITION


def _classify(actions: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """Boolean flags per action used by every action measure (one place, one rule)."""
    _require(actions, ("due_date", "status"))
    unknown = set(actions["status"].dropna().unique()) - set(ACTION_STATUSES)
    if unknown or actions["status"].isna().any():
        raise ValueError(
            f"Unknown action status {sorted(map(str, unknown)) or ['<missing>']}; "
            f"expected one of {ACTION_STATUSES}"
        )
    due_date = pd.to_datetime(actions["due_date"]).dt.normalize()
    as_of_ts = pd.Timestamp(as_of)
    status = actions["status"]
    dropped = status.eq("dropped")
    complete = status.eq("complete")
    has_due = due_date.notna()
    is_due = has_due & (due_date <= as_of_ts) & ~dropped
    return pd.DataFrame(
        {
            "dropped": dropped,
            "complete": complete & ~dropped,
            "no_due_date": ~has_due & ~dropped,
            "due": is_due,
            "overdue": has_due & (due_date < as_of_ts) & ~complete & ~dropped,
            "not_yet_due": has_due & (due_date > as_of_ts) & ~dropped,
        },
        index=actions.index,
    )


def action_progress(actions: pd.DataFrame, as_of: dt.date) -> ActionProgress:
    """Share of due actions complete for one set of actions (one plan, or any selection).

    Parameters
    ----------
    actions : DataFrame
        Columns ``due_date`` (date or missing) and ``status`` (Decision 7 vocabulary) as of
        ``as_of``.
    as_of : date

    Returns
    -------
    ActionProgress
        Counts and the percentage; see :data:`PROGRESS_DEFINITION`.
    """
    flags = _classify(actions, as_of)
    due = int(flags["due"].sum())
    complete_due = int((flags["due"] & flags["complete"]).sum())
    return ActionProgress(
        complete=complete_due,
        due=due,
        value=None if due == 0 else 100.0 * complete_due / due,
        not_yet_due=int(flags["not_yet_due"].sum()),
        complete_not_yet_due=int((flags["not_yet_due"] & flags["complete"]).sum()),
        no_due_date=int(flags["no_due_date"].sum()),
        dropped=int(flags["dropped"].sum()),
        overdue=int(flags["overdue"].sum()),
    )


def progress_by_plan(actions: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """:func:`action_progress` for each plan, vectorised.

    Parameters
    ----------
    actions : DataFrame
        Columns ``plan_id``, ``due_date``, ``status``.
    as_of : date

    Returns
    -------
    DataFrame
        One row per ``plan_id``: ``actions``, ``due``, ``complete``, ``pct_due_complete``
        (float, NaN when nothing is due), ``overdue``, ``not_yet_due``,
        ``complete_not_yet_due``, ``no_due_date``, ``dropped``.
    """
    _require(actions, ("plan_id",))
    flags = _classify(actions, as_of)
    flags["complete_due"] = flags["due"] & flags["complete"]
    flags["complete_not_yet_due"] = flags["not_yet_due"] & flags["complete"]
    flags["plan_id"] = actions["plan_id"].to_numpy()
    flags["actions"] = True
    out = (
        flags.groupby("plan_id", sort=True)[
            ["actions", "due", "complete_due", "overdue", "not_yet_due", "complete_not_yet_due",
             "no_due_date", "dropped"]
        ]
        .sum()
        .astype("int64")
        .rename(columns={"complete_due": "complete"})
        .reset_index()
    )
    out["pct_due_complete"] = np.where(out["due"] > 0, 100.0 * out["complete"] / out["due"].where(out["due"] > 0), np.nan)
    return out[["plan_id", "actions", "due", "complete", "pct_due_complete", "overdue",
                "not_yet_due", "complete_not_yet_due", "no_due_date", "dropped"]]


PERIOD_DEFINITION = (
    "Period: the actions whose due date falls in the chosen financial year (April to March) or "
    "quarter (Q1 April to June). Every action figure is then worked out on those actions only, "
    "each with its status as of the as-of date: a past quarter shows whether the actions due in "
    "it have been done since. Actions with no due date have no period and are left out once a "
    "period is chosen. Plan agreement, Annex 2, standards and sessions are not filtered."
)


@dataclass(frozen=True)
class DuePeriod:
    """A window on action due dates (both ends included); no ends = every action."""

    label: str
    start: dt.date | None = None
    end: dt.date | None = None

    @property
    def everything(self) -> bool:
        return self.start is None


ALL_ACTIONS = DuePeriod("All actions (any due date)")
_QUARTER_MONTHS = ("Apr–Jun", "Jul–Sep", "Oct–Dec", "Jan–Mar")


def _financial_year(day: dt.date) -> int:
    """The calendar year in which ``day``'s financial year (April to March) starts."""
    return day.year if day.month >= 4 else day.year - 1


def due_periods(due_dates, as_of: dt.date | None = None) -> list[DuePeriod]:
    """Every action, then each financial year holding a due date (newest first), each followed
    by its four quarters. ``as_of``'s year is offered even when no action falls due in it."""
    dates = [d.date() if isinstance(d, pd.Timestamp) else d for d in pd.Series(due_dates).dropna()]
    years = {_financial_year(d) for d in dates} | ({_financial_year(as_of)} if as_of else set())
    periods = [ALL_ACTIONS]
    for year in sorted(years, reverse=True):
        name = f"{year}/{(year + 1) % 100:02d}"
        periods.append(DuePeriod(f"{name} (Apr {year} – Mar {year + 1})", dt.date(year, 4, 1), dt.date(year + 1, 3, 31)))
        for quarter in range(4):
            first = pd.Timestamp(year, 4, 1) + pd.DateOffset(months=3 * quarter)
            last = first + pd.offsets.QuarterEnd(0)
            periods.append(DuePeriod(f"Q{quarter + 1} {name} ({_QUARTER_MONTHS[quarter]} {first.year})",
                                     first.date(), last.date()))
    return periods


def due_in_period(actions: pd.DataFrame, period: DuePeriod) -> pd.DataFrame:
    """The actions whose due date is in ``period`` (all of them for :data:`ALL_ACTIONS`)."""
    if period.everything:
        return actions
    _require(actions, ("due_date",))
    due = pd.to_datetime(actions["due_date"]).dt.normalize()
    keep = due.notna() & (due >= pd.Timestamp(period.start)) & (due <= pd.Timestamp(period.end))
    return actions.loc[keep]


def action_rag(
    actions: pd.DataFrame, as_of: dt.date, at_risk_within_days: int = AT_RISK_WITHIN_DAYS
) -> pd.Series:
    """RAG label per action: overdue, at risk, on track (or why it is not rated).

    Parameters
    ----------
    actions : DataFrame
        Columns ``due_date`` and ``status``.
    as_of : date
    at_risk_within_days : int
        An open action due within this many days (as-of date included) is at risk.

    Returns
    -------
    Series
        Labels from :data:`RAG_LABELS`, aligned with ``actions``; see :data:`RAG_DEFINITION`.
    """
    flags = _classify(actions, as_of)
    due_date = pd.to_datetime(actions["due_date"]).dt.normalize()
    horizon = pd.Timestamp(as_of) + pd.Timedelta(days=at_risk_within_days)
    blocked = actions["status"].eq("blocked")
    due_soon = due_date.notna() & (due_date >= pd.Timestamp(as_of)) & (due_date <= horizon)
    label = np.select(
        [
            flags["dropped"],
            flags["complete"],
            flags["overdue"],
            blocked | due_soon,
            flags["no_due_date"],
        ],
        ["dropped", "complete", "overdue", "at risk", "no due date"],
        default="on track",
    )
    return pd.Series(label, index=actions.index, name="rag", dtype=object)


def rag_definition(at_risk_within_days: int = AT_RISK_WITHIN_DAYS) -> str:
    """The RAG definition text for the thresholds in use."""
    return RAG_DEFINITION.format(days=at_risk_within_days)


def overdue_actions(actions: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """The overdue actions, most overdue first, with ``days_overdue``.

    Parameters
    ----------
    actions : DataFrame
        Any columns plus ``due_date`` and ``status``.
    as_of : date

    Returns
    -------
    DataFrame
        The overdue rows of ``actions`` with an added ``days_overdue`` column.
    """
    flags = _classify(actions, as_of)
    out = actions.loc[flags["overdue"]].copy()
    out["days_overdue"] = (pd.Timestamp(as_of) - pd.to_datetime(out["due_date"])).dt.days.astype("int64")
    return out.sort_values(["days_overdue"], ascending=False, kind="stable")


def timeline_order(actions: pd.DataFrame, as_of: dt.date, at_risk_within_days: int = AT_RISK_WITHIN_DAYS) -> pd.DataFrame:
    """Actions with their RAG, overdue first (most overdue first), then by due date.

    Parameters
    ----------
    actions : DataFrame
        Columns ``due_date``, ``status`` and anything to carry through.
    as_of : date
    at_risk_within_days : int

    Returns
    -------
    DataFrame
        ``actions`` plus ``rag`` and ``days_overdue`` (0 unless overdue), sorted.
    """
    out = actions.copy()
    out["rag"] = action_rag(actions, as_of, at_risk_within_days)
    due = pd.to_datetime(out["due_date"])
    out["days_overdue"] = np.where(out["rag"].eq("overdue"), (pd.Timestamp(as_of) - due).dt.days, 0).astype("int64")
    rank = {label: i for i, label in enumerate(RAG_LABELS)}
    out["_rank"] = out["rag"].map(rank)
    out["_due"] = due
    out = out.sort_values(["_rank", "days_overdue", "_due"], ascending=[True, False, True], na_position="last", kind="stable")
    return out.drop(columns=["_rank", "_due"])


def status_as_of(
    actions: pd.DataFrame, updates: pd.DataFrame, when: pd.Timestamp | dt.date,
    initial_status: str = "not started",
) -> pd.Series:
    """Each action's status at a moment, from its dated update history.

    Parameters
    ----------
    actions : DataFrame
        Column ``action_id``.
    updates : DataFrame
        Columns ``action_id``, ``recorded_at`` (timestamp), ``status``.
    when : Timestamp or date
        A date means the end of that day.
    initial_status : str
        Status of an action with no update by then.

    Returns
    -------
    Series
        Status per row of ``actions``.
    """
    cutoff = _end_of_day(when)
    upto = updates.loc[pd.to_datetime(updates["recorded_at"]) <= cutoff]
    latest = upto.sort_values(["action_id", "recorded_at"], kind="stable").drop_duplicates("action_id", keep="last")
    mapped = actions["action_id"].map(latest.set_index("action_id")["status"])
    return mapped.fillna(initial_status).rename("status")


def completion_trend(
    actions: pd.DataFrame,
    updates: pd.DataFrame,
    start: dt.date,
    end: dt.date,
    freq: str = "ME",
    by: str | None = None,
) -> pd.DataFrame:
    """Share of due actions complete at each period end, rebuilt from the update history.

    Parameters
    ----------
    actions : DataFrame
        Columns ``action_id``, ``due_date`` and (when ``by`` is given) the grouping column.
    updates : DataFrame
        Columns ``action_id``, ``recorded_at``, ``status``; an action with no update by a
        date is "not started" then.
    start, end : date
        The first and last dates of the trend; points are period ends within, plus ``end``.
    freq : str
        pandas offset alias for the points (default month ends).
    by : str or None
        Column of ``actions`` to split the trend by (e.g. ``plan_id``).

    Returns
    -------
    DataFrame
        ``as_of``, [``by``], ``due``, ``complete``, ``pct_due_complete`` (NaN when none due).
    """
    points = list(pd.date_range(start, end, freq=freq).date)
    if not points or points[-1] != end:
        points.append(end)
    _require(actions, ("action_id", "due_date"))
    _require(updates, ("action_id", "recorded_at", "status"))
    # Vectorised replay of the history (the national view reruns this on every visit): sort
    # updates by (action, time) into one int64 key, then for each point find every action's
    # last update at or before the end of that day with a single searchsorted.
    n = len(actions)
    position = pd.Index(actions["action_id"]).get_indexer(updates["action_id"])
    known = position >= 0
    seconds = (pd.to_datetime(updates["recorded_at"]).to_numpy("datetime64[s]").astype(np.int64))[known]
    status_code = pd.Categorical(updates["status"], categories=ACTION_STATUSES).codes[known]
    owner = position[known].astype(np.int64)
    order = np.lexsort((seconds, owner))
    owner, seconds, status_code = owner[order], seconds[order], status_code[order]
    spread = np.int64(10**11)  # > any epoch second we will meet, so keys never overlap
    key = owner * spread + seconds
    due = pd.to_datetime(actions["due_date"]).to_numpy("datetime64[D]")
    has_due = ~np.isnat(due)
    due_day = np.where(has_due, due.astype("datetime64[D]").astype(np.int64), np.iinfo(np.int64).max)
    if by:
        groups, labels = pd.factorize(actions[by], sort=True)
    else:
        groups, labels = np.zeros(n, dtype=np.int64), pd.Index(["_all"])
    complete_code = ACTION_STATUSES.index("complete")
    dropped_code = ACTION_STATUSES.index("dropped")
    not_started_code = ACTION_STATUSES.index("not started")
    targets = np.arange(n, dtype=np.int64) * spread
    frames = []
    for point in points:
        day = np.datetime64(point, "D").astype(np.int64)
        last_second = (day + 1) * 86_400 - 1
        found = np.searchsorted(key, targets + last_second, side="right") - 1
        safe = found.clip(0)
        has_update = (found >= 0) & (owner[safe] == np.arange(n)) if len(owner) else np.zeros(n, bool)
        status = np.where(has_update, status_code[safe] if len(owner) else 0, not_started_code)
        is_due = has_due & (due_day <= day) & (status != dropped_code)
        is_complete = is_due & (status == complete_code)
        frames.append(pd.DataFrame({
            "as_of": point,
            "_group": labels,
            "due": np.bincount(groups, weights=is_due, minlength=len(labels)).astype(np.int64),
            "complete": np.bincount(groups, weights=is_complete, minlength=len(labels)).astype(np.int64),
        }))
    out = pd.concat(frames, ignore_index=True)
    if by:
        out = out.rename(columns={"_group": by})
    else:
        out = out.drop(columns="_group")
    out["pct_due_complete"] = 100.0 * out["complete"] / out["due"].where(out["due"] > 0)
    return out


def actions_by_com_b(actions: pd.DataFrame, row: str = "plan_label") -> pd.DataFrame:
    """Counts of actions (not dropped) by a row key and COM-B dimension, for the heat table.

    Parameters
    ----------
    actions : DataFrame
        Columns ``row`` and ``com_b`` (missing COM-B is shown as "not set"), ``status``.
    row : str

    Returns
    -------
    DataFrame
        Index ``row``; columns capability, opportunity, motivation, not set.
    """
    _require(actions, (row, "com_b", "status"))
    live = actions.loc[actions["status"].ne("dropped")]
    dimension = live["com_b"].fillna("not set").str.lower()
    table = pd.crosstab(live[row], dimension)
    columns = [*COM_B_DIMENSIONS, "not set"]
    return table.reindex(columns=columns, fill_value=0).astype("int64").rename_axis(index=row, columns=None)


# --------------------------------------------------------------------------------------------
# Annex 2, standards, sessions
# --------------------------------------------------------------------------------------------


def annex2_coverage(
    expectations: pd.DataFrame, coverage: pd.DataFrame, current_year: int, as_of: dt.date
) -> pd.DataFrame:
    """Coverage of the cumulative Annex 2 expectations up to ``current_year``, per dimension.

    Parameters
    ----------
    expectations : DataFrame
        Columns ``expectation_id``, ``dimension``, ``year``.
    coverage : DataFrame
        One plan's assessments: ``expectation_id``, ``status`` (met / in progress /
        not started), ``assessed_on``.
    current_year : int
    as_of : date

    Returns
    -------
    DataFrame
        One row per dimension (Capability, Opportunity, Motivation): ``expected``, ``met``,
        ``in progress``, ``not started``, ``not assessed``, ``pct_met`` (NaN when none expected).
    """
    _require(expectations, ("expectation_id", "dimension", "year"))
    _require(coverage, ("expectation_id", "status", "assessed_on"))
    wanted = expectations.loc[expectations["year"] <= current_year, ["expectation_id", "dimension"]]
    dated = coverage.loc[pd.to_datetime(coverage["assessed_on"]) <= pd.Timestamp(as_of)]
    latest = (
        dated.sort_values(["expectation_id", "assessed_on"], kind="stable")
        .drop_duplicates("expectation_id", keep="last")
        .set_index("expectation_id")["status"]
    )
    state = wanted.assign(state=wanted["expectation_id"].map(latest).fillna("not assessed"))
    columns = ["met", "in progress", "not started", "not assessed"]
    table = pd.crosstab(state["dimension"], state["state"]).reindex(columns=columns, fill_value=0)
    order = [d.title() for d in COM_B_DIMENSIONS]
    table = table.reindex(order, fill_value=0).astype("int64")
    table.insert(0, "expected", table.sum(axis=1))
    table["pct_met"] = 100.0 * table["met"] / table["expected"].where(table["expected"] > 0)
    return table.rename_axis(index="dimension", columns=None).reset_index()


def standards_self_assessment(standards: pd.DataFrame, assessments: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """The latest self-assessment rating per Standard of Excellence, as words.

    Parameters
    ----------
    standards : DataFrame
        ``code``, ``title``.
    assessments : DataFrame
        One plan's ``standard_code``, ``assessed_on``, ``rating``, ``narrative``.
    as_of : date

    Returns
    -------
    DataFrame
        Every standard with ``rating`` ("not assessed" when none), ``assessed_on``,
        ``narrative``, ``previous_rating``.
    """
    _require(standards, ("code", "title"))
    _require(assessments, ("standard_code", "assessed_on", "rating", "narrative"))
    dated = assessments.loc[pd.to_datetime(assessments["assessed_on"]) <= pd.Timestamp(as_of)]
    dated = dated.sort_values(["standard_code", "assessed_on"], kind="stable")
    latest = dated.drop_duplicates("standard_code", keep="last").set_index("standard_code")
    previous = (
        dated.groupby("standard_code")["rating"].apply(lambda r: r.iloc[-2] if len(r) > 1 else None)
        if len(dated) else pd.Series(dtype=object)
    )
    out = standards[["code", "title"]].copy()
    out["rating"] = out["code"].map(latest["rating"]).fillna("not assessed")
    out["assessed_on"] = out["code"].map(latest["assessed_on"])
    out["narrative"] = out["code"].map(latest["narrative"])
    out["previous_rating"] = out["code"].map(previous)
    return out.reset_index(drop=True)


@dataclass(frozen=True)
class SessionsSummary:
    sessions: int
    attendees: int
    attendees_women: int
    attendees_men: int
    attendees_other_or_unknown: int
    gender_not_recorded: int  # attendees on sessions with no gender breakdown
    definition: str = SESSIONS_DEFINITION


def sessions_summary(sessions: pd.DataFrame, as_of: dt.date, start: dt.date | None = None) -> SessionsSummary:
    """Sessions held and people on probation attending (true counts; suppress when shown).

    Parameters
    ----------
    sessions : DataFrame
        ``held_on``, ``attendees``, ``attendees_women``, ``attendees_men``,
        ``attendees_other_or_unknown`` (the last three may be missing).
    as_of : date
    start : date or None

    Returns
    -------
    SessionsSummary
    """
    _require(sessions, ("held_on", "attendees", "attendees_women", "attendees_men", "attendees_other_or_unknown"))
    held = pd.to_datetime(sessions["held_on"])
    mask = held <= pd.Timestamp(as_of)
    if start is not None:
        mask &= held >= pd.Timestamp(start)
    s = sessions.loc[mask]
    split = s[["attendees_women", "attendees_men", "attendees_other_or_unknown"]]
    no_split = split.isna().all(axis=1)
    return SessionsSummary(
        sessions=len(s),
        attendees=int(s["attendees"].sum()),
        attendees_women=int(split["attendees_women"].fillna(0).sum()),
        attendees_men=int(split["attendees_men"].fillna(0).sum()),
        attendees_other_or_unknown=int(split["attendees_other_or_unknown"].fillna(0).sum()),
        gender_not_recorded=int(s.loc[no_split, "attendees"].sum()),
    )


def sessions_by_month(sessions: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """Sessions held and attendees per calendar month, up to ``as_of``.

    Parameters
    ----------
    sessions : DataFrame
        ``held_on``, ``attendees``.
    as_of : date

    Returns
    -------
    DataFrame
        ``month`` (first day), ``sessions``, ``attendees``; months with none are left out.
    """
    _require(sessions, ("held_on", "attendees"))
    held = pd.to_datetime(sessions["held_on"])
    s = sessions.loc[held <= pd.Timestamp(as_of)]
    month = pd.to_datetime(s["held_on"]).dt.to_period("M").dt.start_time.dt.date
    out = s.groupby(month)["attendees"].agg(sessions="size", attendees="sum").reset_index()
    out.columns = ["month", "sessions", "attendees"]
    return out.astype({"sessions": "int64", "attendees": "int64"})


#: The people counts of a sessions table: the parts (each session's split, or its whole count
#: when it has none) add up to the attendees.
SESSION_PARTS = ("attendees_women", "attendees_men", "attendees_other_or_unknown", "gender_not_recorded")
SESSION_TOTAL = "attendees"


def sessions_hidden(sessions: pd.DataFrame, start: dt.date, end: dt.date, threshold: int = 5) -> dict[str, bool]:
    """``{count: hidden}`` for the people counts of a sessions table over ``start``–``end``
    (whole months: docs/DISCLOSURE.md "EPOP pack", decision). Decided over a grid, as the
    dashboard's measures are (:mod:`metrics.partitions`): rows the parts of the attendees (women,
    men, other or not known, gender not recorded; what is in none of them) and the attendees;
    columns the months, financial quarters and the financial year, so a pack for a quarter set
    against the packs for its months, or the attendees against their parts, gives no hidden count
    back. A period that is no column (several months) is hidden where any of its months is."""
    from metrics.partitions import columns_of, equations_for, suppress_grid

    held = pd.to_datetime(sessions["held_on"]).dt.date if len(sessions) else pd.Series([], dtype=object)
    split = sessions[["attendees_women", "attendees_men", "attendees_other_or_unknown"]] if len(sessions) else None
    no_split = split.isna().all(axis=1) if split is not None else pd.Series([], dtype=bool)
    rows = [*SESSION_PARTS, "__rest__", SESSION_TOTAL]
    out = dict.fromkeys((*SESSION_PARTS, SESSION_TOTAL), False)
    first = start.replace(day=1)
    for year in periods.periods_between(first, end, "contract_year"):  # financial years (no service start)
        columns = columns_of(year)
        values = np.zeros((len(rows), len(columns)))
        months = [key for kind, key in columns if kind == "month"]
        for m, month_start in enumerate(months):
            in_month = (held >= month_start) & (held <= periods.month(month_start).end) if len(sessions) else held
            if len(sessions) and in_month.any():
                s = sessions.loc[in_month.to_numpy()]
                parts = [s["attendees_women"].fillna(0).sum(), s["attendees_men"].fillna(0).sum(),
                         s["attendees_other_or_unknown"].fillna(0).sum(), s.loc[no_split[in_month].to_numpy(), "attendees"].sum()]
                total = s["attendees"].sum()
                values[:, m] = [*parts, total - sum(parts), total]
        for k, (kind, key) in enumerate(columns):
            if kind != "month":
                take = [m for m, month_start in enumerate(months)
                        if kind == "year" or periods.quarter(month_start).start == key]
                values[:, k] = values[:, take].sum(axis=1)
        total_row = np.zeros(values.shape, dtype=bool)
        total_row[-1] = True
        hidden = suppress_grid(values.ravel(), equations_for(len(rows), columns, with_total=True),
                               threshold=threshold, total=total_row.ravel()).reshape(values.shape)
        # The period's own column, else every month of it in this year.
        wanted = [k for k, (kind, key) in enumerate(columns)
                  if (kind == "month" and (key, periods.month(key).end) == (first, end))
                  or (kind == "quarter" and (key, periods.quarter(key).end) == (first, end))
                  or (kind == "year" and (year.start, year.end) == (first, end))]
        if not wanted:
            wanted = [k for k, (kind, key) in enumerate(columns) if kind == "month" and first <= key <= end]
        for r, name in enumerate(rows):
            if name in out:
                out[name] = out[name] or bool(hidden[r, wanted].any())
    return out


def suppress_counts(counts: dict[str, int], threshold: int = 5) -> dict[str, int | str]:
    """Counts of 1 to ``threshold - 1`` shown as ``[c]``; if exactly one is hidden, the next
    smallest non-zero one is hidden too so the hidden one cannot be recovered from the total
    (DOMAIN.md "Suppression": primary and secondary suppression, for display only).
    """
    shown: dict[str, int | str] = dict(counts)
    hidden = [k for k, v in counts.items() if 0 < v < threshold]
    if len(hidden) == 1:
        others = sorted((v, k) for k, v in counts.items() if v > 0 and k not in hidden)
        if others:
            hidden.append(others[0][1])
    for key in hidden:
        shown[key] = "[c]"
    return shown


# --------------------------------------------------------------------------------------------
# Inspection-response plans: free-text target dates and slippage between snapshots
# --------------------------------------------------------------------------------------------

_STOPWORDS = frozenset(
    "the and for with from into that this have has been were was are will all per each via "
    "their other group groups work".split()
)


def _distinctive_words(text: str) -> frozenset[str]:
    """Lower-cased words longer than three letters, not numbers, month names or common words;
    a final "s" is dropped so "Resources" and "Resource" match."""
    words = re.findall(r"[a-z]+", str(text).lower())
    kept = (w for w in words if len(w) > 3 and w not in _STOPWORDS and w not in MONTHS)
    return frozenset(w[:-1] if w.endswith("s") and not w.endswith("ss") else w for w in kept)


def match_snapshot_actions(
    earlier: pd.DataFrame, later: pd.DataFrame, min_shared: int = 1
) -> pd.DataFrame:
    """Pair each earlier-snapshot action with its later-snapshot action on the same theme.

    Parameters
    ----------
    earlier, later : DataFrame
        Columns ``recommendation``, ``action_key``, ``summary`` (in published order).
    min_shared : int
        Fewest distinctive shared words for a match.

    Returns
    -------
    DataFrame
        ``recommendation``, ``earlier_key``, ``later_key`` (missing when unmatched),
        ``shared_words`` (sorted, comma-separated).
    """
    rows = []
    for rec, group in earlier.groupby("recommendation", sort=True):
        candidates = later.loc[later["recommendation"] == rec]
        cand_words = [(c.action_key, _distinctive_words(c.summary)) for c in candidates.itertuples()]
        # A word found in fewer of the later actions says more about which one is meant.
        frequency: dict[str, int] = {}
        for _, words in cand_words:
            for w in words:
                frequency[w] = frequency.get(w, 0) + 1
        for position, action in enumerate(group.itertuples()):
            words = _distinctive_words(action.summary)
            best = None  # (score, -distance in list position, -candidate position)
            for cand_position, (key, other) in enumerate(cand_words):
                shared = words & other
                if len(shared) < min_shared:
                    continue
                rank = (sum(1 / frequency[w] for w in shared), -abs(cand_position - position), -cand_position)
                if best is None or rank > best[0]:
                    best = (rank, key, shared)
            if best is None:
                rows.append((rec, action.action_key, None, ""))
            else:
                rows.append((rec, action.action_key, best[1], ", ".join(sorted(best[2]))))
    return pd.DataFrame(rows, columns=["recommendation", "earlier_key", "later_key", "shared_words"])


def target_date_slippage(
    actions: pd.DataFrame, earlier_snapshot: str, later_snapshot: str, min_shared: int = 1
) -> pd.DataFrame:
    """Which target dates moved later between two snapshots of a plan.

    Parameters
    ----------
    actions : DataFrame
        Columns ``recommendation``, ``action_key``, ``summary``, ``snapshot``,
        ``target_date_raw``.
    earlier_snapshot, later_snapshot : str
        Values of ``snapshot`` to compare.
    min_shared : int
        See :func:`match_snapshot_actions`.

    Returns
    -------
    DataFrame
        One row per earlier action: keys, both summaries and wordings, both dates, the matched
        words and ``change``: slipped / completed / unchanged / moved earlier / still open,
        no date / unmatched. ``months_slipped`` for slipped rows. See
        :data:`SLIPPAGE_DEFINITION`.
    """
    _require(actions, ("recommendation", "action_key", "summary", "snapshot", "target_date_raw"))
    earlier = actions.loc[actions["snapshot"] == earlier_snapshot]
    later = actions.loc[actions["snapshot"] == later_snapshot]
    pairs = match_snapshot_actions(earlier, later, min_shared)
    e = earlier.set_index("action_key")
    lt = later.set_index("action_key")
    rows = []
    for pair in pairs.itertuples(index=False):
        before = parse_target_date(e.at[pair.earlier_key, "target_date_raw"])
        row = {
            "recommendation": pair.recommendation,
            "earlier_key": pair.earlier_key,
            "earlier_summary": e.at[pair.earlier_key, "summary"],
            "earlier_target": before.original,
            "earlier_date": before.date,
            "later_key": pair.later_key,
            "later_summary": None,
            "later_target": None,
            "later_date": None,
            "shared_words": pair.shared_words,
        }
        if pair.later_key is None or pd.isna(pair.later_key):
            change = "unmatched"
        else:
            after = parse_target_date(lt.at[pair.later_key, "target_date_raw"])
            row.update(later_summary=lt.at[pair.later_key, "summary"], later_target=after.original, later_date=after.date)
            change = _compare_targets(before, after)
        row["change"] = change
        rows.append(row)
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    slipped = out["change"].eq("slipped")
    out["months_slipped"] = pd.Series(pd.NA, index=out.index, dtype="Int64")
    out.loc[slipped, "months_slipped"] = [
        (a.year - b.year) * 12 + (a.month - b.month)
        for a, b in zip(out.loc[slipped, "later_date"], out.loc[slipped, "earlier_date"], strict=True)
    ]
    return out


def _compare_targets(before: TargetDate, after: TargetDate) -> str:
    if after.is_completed:
        return "completed"
    if before.date is not None and after.date is not None:
        if after.date > before.date:
            return "slipped"
        return "unchanged" if after.date == before.date else "moved earlier"
    if before.is_completed and after.date is not None:
        return "reopened"
    return "still open, no date"


def recommendation_slippage(actions: pd.DataFrame, earlier_snapshot: str, later_snapshot: str) -> pd.DataFrame:
    """Per recommendation: the latest dated target in each snapshot, and whether it moved.

    A robust companion to :func:`target_date_slippage` that needs no action matching.

    Parameters
    ----------
    actions : DataFrame
        Columns ``recommendation``, ``snapshot``, ``target_date_raw``.
    earlier_snapshot, later_snapshot : str

    Returns
    -------
    DataFrame
        ``recommendation``, ``earlier_latest``, ``later_latest`` (dates or None),
        ``later_all_completed`` and ``change`` (slipped / moved earlier / unchanged /
        all completed / no dated target).
    """
    _require(actions, ("recommendation", "snapshot", "target_date_raw"))
    parsed = actions.assign(
        _date=[parse_target_date(r).date for r in actions["target_date_raw"]],
        _done=[parse_target_date(r).is_completed for r in actions["target_date_raw"]],
    )
    rows = []
    for rec, group in parsed.groupby("recommendation", sort=True):
        before = group.loc[group["snapshot"] == earlier_snapshot, "_date"].dropna()
        after_rows = group.loc[group["snapshot"] == later_snapshot]
        after = after_rows["_date"].dropna()
        e_latest = max(before) if len(before) else None
        l_latest = max(after) if len(after) else None
        all_done = bool(len(after_rows)) and bool(after_rows["_done"].all())
        if all_done:
            change = "all completed"
        elif e_latest is None or l_latest is None:
            change = "no dated target"
        elif l_latest > e_latest:
            change = "slipped"
        elif l_latest < e_latest:
            change = "moved earlier"
        else:
            change = "unchanged"
        rows.append((rec, e_latest, l_latest, all_done, change))
    return pd.DataFrame(rows, columns=["recommendation", "earlier_latest", "later_latest", "later_all_completed", "change"])


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def _require(frame: pd.DataFrame, columns) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"missing column(s) {missing}; have {list(frame.columns)}")


def _date_or_none(value) -> dt.date | None:
    if value is None or (not isinstance(value, dt.date) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, dt.datetime):
        return value.date()
    return value


def _end_of_day(when) -> pd.Timestamp:
    ts = pd.Timestamp(when)
    if isinstance(when, dt.date) and not isinstance(when, dt.datetime):
        return ts + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1)
    return ts
