"""The EPOP views the pages and packs show, composed from the scoped reads of ``data_access.epop``.

Who may read a plan is decided in ``data_access.epop`` (deny by default): every view here
starts from one of its read functions, which refuse a user who may not read EPOP plans. The
measures are those of :mod:`metrics.epop` (DOMAIN.md Decision 7).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from data_access import epop as reads
from data_access.db import session_scope
from metrics import epop as m


@dataclass(frozen=True)
class NationalView:
    as_of: dt.date
    summary: pd.DataFrame  # one row per plan: status, completion, overdue, last update
    heat: pd.DataFrame  # actions by plan × COM-B
    trend: pd.DataFrame  # share of due actions complete at each month end, per plan and all
    definitions: dict[str, str] = field(default_factory=dict)
    period: m.DuePeriod = m.ALL_ACTIONS  # the due dates the action figures cover
    periods: tuple[m.DuePeriod, ...] = (m.ALL_ACTIONS,)  # what a viewer may choose from
    own_plan_label: str | None = None  # the viewer's own region's plan, marked on the page


def own_plan_label(plans: pd.DataFrame, user: reads.UserLike) -> str | None:
    """The label of the viewer's own region's plan (a regional SPOC's), if any."""
    region = getattr(user, "region_code", None)
    mine = plans[(plans["scope"] == "region") & (plans["region_code"] == region)] if region else plans.iloc[0:0]
    return None if mine.empty else str(mine["plan_label"].iloc[0])


def national_view(session: Session, user: reads.UserLike, as_of: dt.date, trend_start: dt.date | None = None,
                  period: m.DuePeriod = m.ALL_ACTIONS) -> NationalView:
    """The 12 regional plans and the Approved Premises plan side by side; the action figures
    count the actions due in ``period`` (``metrics.epop.PERIOD_DEFINITION``)."""
    frames = reads.national_frames(session, user)
    plans, every_action = frames.plans, frames.actions
    actions = m.due_in_period(every_action, period)
    timeliness = m.plans_timeliness(plans, as_of)
    progress = m.progress_by_plan(actions, as_of)
    summary = (
        plans[["plan_id", "plan_label", "scope", "region_code", "plan_version", "commencement_date",
               "agreed_by_region_on", "agreed_centrally_on"]]
        .merge(timeliness, on="plan_id", how="left")
        .merge(progress, on="plan_id", how="left")
        .merge(frames.last_update, on="plan_id", how="left")
    )
    count_columns = ["actions", "due", "complete", "overdue", "not_yet_due", "complete_not_yet_due", "no_due_date", "dropped"]
    summary[count_columns] = summary[count_columns].fillna(0).astype("int64")
    own = own_plan_label(plans, user)
    summary["own_region"] = summary["plan_label"].eq(own) if own else False
    labelled = actions.merge(plans[["plan_id", "plan_label"]], on="plan_id")
    heat = m.actions_by_com_b(labelled, row="plan_label").reindex(plans["plan_label"], fill_value=0)
    start = trend_start or _first_month_end(plans["commencement_date"].dropna().min(), as_of)
    trend_all = m.completion_trend(actions, frames.updates, start, as_of).assign(plan_label="All 13 plans")
    trend_by_plan = m.completion_trend(labelled, frames.updates, start, as_of, by="plan_label")
    if len(trend_by_plan) and not labelled.empty:  # a plan with no action in the period has no line
        trend_by_plan = trend_by_plan[trend_by_plan["plan_label"].isin(labelled["plan_label"])]
    trend = pd.concat([trend_all, trend_by_plan], ignore_index=True)
    return NationalView(
        as_of=as_of, summary=summary, heat=heat, trend=trend,
        definitions={
            "plan_status": m.PLAN_ON_TIME_DEFINITION.format(window=m.PLAN_AGREEMENT_WINDOW_DAYS, late=m.PLAN_AGREEMENT_WINDOW_DAYS + 1),
            "progress": m.PROGRESS_DEFINITION,
            "overdue": m.OVERDUE_DEFINITION,
        },
        period=period, periods=tuple(m.due_periods(every_action["due_date"], as_of)), own_plan_label=own,
    )


def _first_month_end(start, as_of: dt.date) -> dt.date:
    if start is None or pd.isna(start):
        return as_of
    return (pd.Timestamp(start) + pd.offsets.MonthEnd(0)).date()


@dataclass(frozen=True)
class PlanView:
    plan: dict[str, Any]
    timeliness: m.PlanTimeliness
    progress: m.ActionProgress
    timeline: pd.DataFrame  # actions with RAG, overdue first
    annex2_year: int | None
    annex2: pd.DataFrame
    standards: pd.DataFrame
    sessions: m.SessionsSummary
    sessions_by_month: pd.DataFrame
    can_update: bool
    period: m.DuePeriod = m.ALL_ACTIONS  # the due dates the progress and timeline cover
    periods: tuple[m.DuePeriod, ...] = (m.ALL_ACTIONS,)


def plan_view(session: Session, user: reads.UserLike, plan_id: int, as_of: dt.date,
              period: m.DuePeriod = m.ALL_ACTIONS) -> PlanView:
    """One plan: timeliness, progress, actions timeline, Annex 2, standards, sessions; progress
    and the timeline count the actions due in ``period``."""
    frames = reads.plan_frames(session, user, plan_id)
    plan, actions = frames.plan, m.due_in_period(frames.actions, period)
    commenced = plan["commencement_date"]
    timeliness = m.plan_timeliness(commenced, plan["agreed_by_region_on"], plan["agreed_centrally_on"], as_of)
    year = m.annex2_year(commenced, as_of, plan["annex2_year_offset"]) if commenced else None
    return PlanView(
        plan=plan,
        timeliness=timeliness,
        progress=m.action_progress(actions, as_of),
        timeline=m.timeline_order(actions, as_of),
        annex2_year=year,
        annex2=m.annex2_coverage(frames.expectations, frames.coverage, year or 1, as_of),
        standards=m.standards_self_assessment(frames.standards, frames.assessments, as_of),
        sessions=m.sessions_summary(frames.sessions, as_of),
        sessions_by_month=m.sessions_by_month(frames.sessions, as_of),
        can_update=frames.can_update,
        period=period,
        periods=tuple(m.due_periods(frames.actions["due_date"], as_of)),
    )


@dataclass(frozen=True)
class InspectionView:
    plan: dict[str, Any]
    recommendations: pd.DataFrame
    actions: pd.DataFrame  # with parsed target dates
    slippage: pd.DataFrame
    recommendation_slippage: pd.DataFrame
    snapshots: tuple[str, ...]


def inspection_view(session: Session, user: reads.UserLike, plan_id: int) -> InspectionView:
    """Recommendations with responses, actions with target dates as written, and slippage."""
    plan, recs, actions = reads.inspection_frames(session, user, plan_id)
    parsed = [m.parse_target_date(raw) for raw in actions["target_date_raw"]]
    actions["target_date"] = [p.date for p in parsed]
    actions["completed"] = [p.is_completed for p in parsed]
    actions["ongoing"] = [p.is_ongoing for p in parsed]
    actions["wording_recognised"] = [p.recognised for p in parsed]
    snapshots = tuple(s for s in dict.fromkeys(actions["snapshot"].dropna()))
    prepared = actions.rename(columns={"number": "recommendation", "printed_code": "action_key", "text": "summary"})
    if len(snapshots) >= 2:
        slip = m.target_date_slippage(prepared, snapshots[0], snapshots[-1])
        rec_slip = m.recommendation_slippage(prepared, snapshots[0], snapshots[-1])
    else:
        slip = rec_slip = pd.DataFrame()
    return InspectionView(plan=plan, recommendations=recs, actions=actions, slippage=slip,
                          recommendation_slippage=rec_slip, snapshots=snapshots)


def region_action_plan_progress(engine: Engine, user, as_of: dt.date) -> pd.DataFrame:
    """Per region (the Maps page): ``region_code``, ``value`` = % of due actions complete
    (Decision 7). Empty for a user who may not read EPOP plans."""
    if not reads.can_read(user):
        return pd.DataFrame(columns=["region_code", "value"])
    with session_scope(engine) as session:
        plans, actions = reads.regional_plan_actions(session, user)
    if actions.empty:
        return pd.DataFrame(columns=["region_code", "value"])
    progress = m.progress_by_plan(actions, as_of).merge(plans[["plan_id", "region_code"]], on="plan_id")
    return progress.rename(columns={"pct_due_complete": "value"})[["region_code", "value"]]
