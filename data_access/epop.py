"""EPOP action plans: scoped reads of the plans, the scoped write API, the worked example.

The views the pages and packs show (national, one plan, an inspection response) are composed
from these reads by :mod:`metrics.epop_views`; the access rules live here.

Functions receive a Session and never commit (the caller's unit of work does). Access is
decided here as well as in the app's navigation, deny by default:

* **reading** plans, progress and inspection responses: ``epop_spoc``, ``epop_national``,
  ``admin`` and ``commissioner`` (SPOCs compare their region with the other eleven, DOMAIN.md
  "Users"); any other role is refused.
* **recording an update** to an action: an ``epop_spoc`` only on its own region's plan (scope
  ``region`` and the same ``region_code``; a SPOC with no region can update nothing, and the
  Approved Premises, national and inspection plans are not a regional SPOC's);
  ``epop_national`` and ``admin`` on any plan; everyone else on none.

Updates are appended, never edited or deleted; each one bumps the action's ``version``
(optimistic concurrency: a save made against an older version is refused) and writes an
``AuditLog`` row in the same transaction.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from dataclasses import dataclass
from typing import Any, Protocol

import pandas as pd
from sqlalchemy import String, func, select, type_coerce, update
from sqlalchemy.orm import Session

from data_access.models import (
    AuditLog,
    EpopAction,
    EpopActionUpdate,
    EpopAnnex2Coverage,
    EpopAnnex2Expectation,
    EpopPlan,
    EpopSession,
    EpopStandard,
    EpopStandardAssessment,
    InspectionRecommendation,
    Region,
)
from data_access.settings import REFERENCE_DIR
from domain.epop import ACTION_STATUSES, parse_target_date

READ_ROLES = frozenset({"epop_spoc", "epop_national", "admin", "commissioner"})
UPDATE_ANY_PLAN_ROLES = frozenset({"epop_national", "admin"})
#: Scopes shown side by side on the national view: 12 regional plans and the AP plan.
NATIONAL_VIEW_SCOPES = ("region", "approved_premises")
AP_LABEL = "Approved Premises"

#: The worked example (seed 004): an HMPPS response to an HMI Probation thematic review.
INSPECTION_PLAN_SOURCE = "hmip-covid-2020"
INSPECTION_PLAN_TITLE = (
    "HMPPS action plan: Exceptional delivery model arrangements in probation services in "
    "response to the COVID pandemic (HMI Probation thematic review)"
)
INSPECTION_SNAPSHOTS = ("2020-12-10 plan", "2021-12-08 update")
NARRATIVE_MAX = 4000


class UserLike(Protocol):
    username: str
    role: str
    region_code: str | None


class ActionVersionConflict(RuntimeError):
    """Someone saved an update to this action after the version the editor started from."""

    def __init__(self, action_id: int, expected_version: int, latest_version: int, latest_update: dict | None):
        self.action_id = action_id
        self.expected_version = expected_version
        self.latest_version = latest_version
        self.latest_update = latest_update
        who = ""
        if latest_update:
            who = f" by {latest_update['author']} at {latest_update['recorded_at']:%d %b %Y %H:%M} (UTC)"
        super().__init__(
            f"Not saved: action {action_id} was updated{who} since you opened it (you edited "
            f"version {expected_version}; it is now version {latest_version}). Review the latest "
            f"update and save again if your change still applies."
        )


@dataclass(frozen=True)
class RecordedUpdate:
    update_id: int
    action_id: int
    version: int
    status: str


# --------------------------------------------------------------------------------------------
# Access
# --------------------------------------------------------------------------------------------


def can_read(user: UserLike | None) -> bool:
    return user is not None and getattr(user, "role", None) in READ_ROLES


def require_read(user: UserLike | None) -> None:
    if not can_read(user):
        role = getattr(user, "role", None)
        raise PermissionError(f"Role {role!r} may not view EPOP action plans.")


def can_update_plan(user: UserLike | None, plan: EpopPlan) -> bool:
    """Deny by default: see the module docstring for who may update which plan."""
    if user is None:
        return False
    role = getattr(user, "role", None)
    if role in UPDATE_ANY_PLAN_ROLES:
        return True
    if role == "epop_spoc":
        region = getattr(user, "region_code", None)
        return region is not None and plan.scope == "region" and plan.region_code == region
    return False


# --------------------------------------------------------------------------------------------
# Write API
# --------------------------------------------------------------------------------------------


def record_action_update(
    session: Session,
    user: UserLike,
    action_id: int,
    expected_version: int,
    status: str,
    percent: int | None,
    narrative: str | None,
    evidence_link: str | None,
) -> RecordedUpdate:
    """Append a progress update to an action, if the user may and nobody saved in between.

    Raises ``PermissionError`` when the user may not update this action's plan,
    :class:`ActionVersionConflict` (carrying the latest version and update) when the action's
    version is no longer ``expected_version``, ``LookupError`` for an unknown action and
    ``ValueError`` for an invalid status, percentage or text. Nothing is written on any error.
    """
    action = session.get(EpopAction, action_id)
    if action is None:
        raise LookupError(f"No EPOP action {action_id}.")
    plan = session.get(EpopPlan, action.plan_id)
    if not can_update_plan(user, plan):
        raise PermissionError(
            f"{getattr(user, 'username', '?')} ({getattr(user, 'role', None)}"
            f"{', region ' + user.region_code if getattr(user, 'region_code', None) else ''}) may not "
            f"update actions of the plan '{plan.title}'."
        )
    status, percent, narrative, evidence_link = _validated(status, percent, narrative, evidence_link)
    previous_status = action.status
    # Compare-and-set in one statement, so two sessions racing cannot both succeed.
    result = session.execute(
        update(EpopAction)
        .where(EpopAction.id == action_id, EpopAction.version == expected_version)
        .values(version=EpopAction.version + 1, status=status)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        session.expire(action)
        latest_version = session.scalar(select(EpopAction.version).where(EpopAction.id == action_id))
        raise ActionVersionConflict(action_id, expected_version, latest_version, latest_action_update(session, action_id))
    new_version = expected_version + 1
    row = EpopActionUpdate(
        action_id=action_id,
        author=user.username,
        recorded_at=_utcnow(),
        status=status,
        percent_complete=percent,
        narrative=narrative,
        evidence_link=evidence_link,
    )
    session.add(row)
    session.flush()
    session.add(
        AuditLog(
            actor=user.username,
            action="epop_action_update",
            entity="epop_actions",
            entity_id=str(action_id),
            detail=json.dumps(
                {"update_id": row.id, "plan_id": plan.id, "from_status": previous_status, "to_status": status,
                 "percent_complete": percent, "version": new_version, "expected_version": expected_version}
            ),
        )
    )
    session.flush()
    session.expire(action)
    return RecordedUpdate(update_id=row.id, action_id=action_id, version=new_version, status=status)


def _validated(status, percent, narrative, evidence_link):
    if status not in ACTION_STATUSES:
        raise ValueError(f"Status must be one of {', '.join(ACTION_STATUSES)}; got {status!r}.")
    if percent is not None:
        if isinstance(percent, bool) or not float(percent).is_integer() or not 0 <= int(percent) <= 100:
            raise ValueError(f"Percent complete must be a whole number from 0 to 100; got {percent!r}.")
        percent = int(percent)
    narrative = (narrative or "").strip() or None
    if narrative and len(narrative) > NARRATIVE_MAX:
        raise ValueError(f"The narrative is {len(narrative)} characters; the limit is {NARRATIVE_MAX}.")
    evidence_link = (evidence_link or "").strip() or None
    if evidence_link and len(evidence_link) > 400:
        raise ValueError("The evidence link is longer than 400 characters.")
    return status, percent, narrative, evidence_link


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


# --------------------------------------------------------------------------------------------
# Read models
# --------------------------------------------------------------------------------------------


def _frame(session: Session, statement) -> pd.DataFrame:
    # Column-wise construction: handing pandas Row objects directly is several times slower.
    result = session.connection().execute(statement)
    keys = list(result.keys())
    rows = result.all()
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in keys]
    return pd.DataFrame({key: list(values) for key, values in zip(keys, columns, strict=True)}, columns=keys)


def plan_frame(session: Session, scopes: tuple[str, ...] = NATIONAL_VIEW_SCOPES) -> pd.DataFrame:
    """Plans of the given scopes with a display label (region name, or Approved Premises)."""
    frame = _frame(
        session,
        select(
            EpopPlan.id.label("plan_id"), EpopPlan.scope, EpopPlan.region_code, Region.name.label("region_name"),
            EpopPlan.title, EpopPlan.version.label("plan_version"), EpopPlan.commencement_date, EpopPlan.due_date,
            EpopPlan.submitted_on, EpopPlan.agreed_by_region_on, EpopPlan.agreed_centrally_on,
            EpopPlan.annex2_year_offset,
        )
        .outerjoin(Region, Region.code == EpopPlan.region_code)
        .where(EpopPlan.scope.in_(scopes))
        .order_by(EpopPlan.scope.desc(), EpopPlan.region_code, EpopPlan.id),
    )
    frame["plan_label"] = [
        (f"{code} {name}" if scope == "region" and code else AP_LABEL if scope == "approved_premises" else title)
        for scope, code, name, title in zip(frame["scope"], frame["region_code"], frame["region_name"], frame["title"], strict=True)
    ]
    return frame


def _latest_update_subquery(plan_ids=None):
    ranked = select(
        EpopActionUpdate.action_id,
        EpopActionUpdate.recorded_at,
        EpopActionUpdate.author,
        EpopActionUpdate.percent_complete,
        EpopActionUpdate.narrative,
        func.row_number()
        .over(partition_by=EpopActionUpdate.action_id, order_by=(EpopActionUpdate.recorded_at.desc(), EpopActionUpdate.id.desc()))
        .label("rn"),
    )
    if plan_ids is not None:
        ranked = ranked.join(EpopAction, EpopAction.id == EpopActionUpdate.action_id).where(EpopAction.plan_id.in_(plan_ids))
    return ranked.subquery()


def action_frame(session: Session, plan_ids: list[int] | None = None) -> pd.DataFrame:
    """Actions with their current status, version and latest update (author, time, %)."""
    latest = _latest_update_subquery(plan_ids)
    statement = (
        select(
            EpopAction.id.label("action_id"), EpopAction.plan_id, EpopAction.printed_code, EpopAction.text,
            EpopAction.com_b, EpopAction.owner_role, EpopAction.due_date, EpopAction.status, EpopAction.version,
            EpopAction.recommendation_id, EpopAction.target_date_raw, EpopAction.snapshot,
            latest.c.recorded_at.label("last_update_at"), latest.c.author.label("last_update_by"),
            latest.c.percent_complete.label("last_percent"), latest.c.narrative.label("last_narrative"),
        )
        .outerjoin(latest, (latest.c.action_id == EpopAction.id) & (latest.c.rn == 1))
        .order_by(EpopAction.plan_id, EpopAction.id)
    )
    if plan_ids is not None:
        statement = statement.where(EpopAction.plan_id.in_(plan_ids))
    frame = _frame(session, statement)
    frame["due_date"] = pd.to_datetime(frame["due_date"])
    return frame


def update_frame(session: Session, plan_ids: list[int] | None = None) -> pd.DataFrame:
    """The status history for trends: only the updates that changed an action's status.

    Replaying status over time needs only the changes, so the database drops the repeats
    (a window ``LAG``) and the timestamps come back as stored, parsed once by pandas:
    ~50 000 updates become a few thousand rows (the national view's 0.5 s budget).
    """
    previous = func.lag(EpopActionUpdate.status).over(
        partition_by=EpopActionUpdate.action_id, order_by=(EpopActionUpdate.recorded_at, EpopActionUpdate.id)
    )
    history = select(
        EpopActionUpdate.action_id,
        type_coerce(EpopActionUpdate.recorded_at, String).label("recorded_at"),
        EpopActionUpdate.status,
        previous.label("previous_status"),
    )
    if plan_ids is not None:
        history = history.join(EpopAction, EpopAction.id == EpopActionUpdate.action_id).where(EpopAction.plan_id.in_(plan_ids))
    history = history.subquery()
    statement = select(history.c.action_id, history.c.recorded_at, history.c.status).where(
        (history.c.previous_status.is_(None)) | (history.c.previous_status != history.c.status)
    )
    frame = _frame(session, statement)
    frame["recorded_at"] = pd.to_datetime(frame["recorded_at"], format="ISO8601")
    return frame


def latest_action_update(session: Session, action_id: int) -> dict | None:
    row = session.execute(
        select(EpopActionUpdate)
        .where(EpopActionUpdate.action_id == action_id)
        .order_by(EpopActionUpdate.recorded_at.desc(), EpopActionUpdate.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    if row is None:
        return None
    return {"author": row.author, "recorded_at": row.recorded_at, "status": row.status,
            "percent_complete": row.percent_complete, "narrative": row.narrative, "evidence_link": row.evidence_link}


def action_history(session: Session, user: UserLike, action_id: int) -> pd.DataFrame:
    """Every update to one action, newest first (nothing is ever deleted)."""
    require_read(user)
    return _frame(
        session,
        select(EpopActionUpdate.recorded_at, EpopActionUpdate.author, EpopActionUpdate.status,
               EpopActionUpdate.percent_complete, EpopActionUpdate.narrative, EpopActionUpdate.evidence_link)
        .where(EpopActionUpdate.action_id == action_id)
        .order_by(EpopActionUpdate.recorded_at.desc(), EpopActionUpdate.id.desc()),
    )


@dataclass(frozen=True)
class NationalFrames:
    """What the national view is computed from (``metrics.epop_views.national_view``)."""

    plans: pd.DataFrame  # plan_frame() of the 12 regional plans and the AP plan
    actions: pd.DataFrame  # only what the measures need: action_id, plan_id, due_date, status, com_b
    last_update: pd.Series  # latest update time per plan_id
    updates: pd.DataFrame  # update_frame(): the status changes


def national_frames(session: Session, user: UserLike) -> NationalFrames:
    """The 12 regional plans and the Approved Premises plan, for a user who may read them."""
    require_read(user)
    plans = plan_frame(session)
    plan_ids = [int(p) for p in plans["plan_id"]]
    # Only what the measures need: no per-action latest-update join (that is plan_frames').
    actions = _frame(
        session,
        select(EpopAction.id.label("action_id"), EpopAction.plan_id, EpopAction.due_date, EpopAction.status, EpopAction.com_b)
        .where(EpopAction.plan_id.in_(plan_ids)),
    )
    last_update = _frame(
        session,
        select(EpopAction.plan_id, func.max(EpopActionUpdate.recorded_at).label("last_update_at"))
        .join(EpopAction, EpopAction.id == EpopActionUpdate.action_id)
        .where(EpopAction.plan_id.in_(plan_ids))
        .group_by(EpopAction.plan_id),
    ).set_index("plan_id")["last_update_at"]
    return NationalFrames(plans=plans, actions=actions, last_update=last_update, updates=update_frame(session, plan_ids))


def regional_plan_actions(session: Session, user: UserLike) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The 12 regional plans (``plan_frame``) and their actions, for a user who may read them."""
    require_read(user)
    plans = plan_frame(session, ("region",))
    return plans, action_frame(session, plans["plan_id"].tolist())


def region_plan_id(session: Session, region_code: str) -> int | None:
    return session.scalar(
        select(EpopPlan.id).where(EpopPlan.scope == "region", EpopPlan.region_code == region_code).order_by(EpopPlan.version.desc(), EpopPlan.id.desc())
    )


_PLAN_FIELDS = ("id", "scope", "region_code", "title", "version", "commencement_date", "due_date", "submitted_on",
                "agreed_by_region_on", "agreed_centrally_on", "annex2_year_offset")


@dataclass(frozen=True)
class PlanFrames:
    """What one plan's view is computed from (``metrics.epop_views.plan_view``)."""

    plan: dict[str, Any]
    actions: pd.DataFrame  # action_frame(): with the latest update of each action
    expectations: pd.DataFrame  # every Annex 2 expectation
    coverage: pd.DataFrame  # this plan's Annex 2 coverage assessments
    standards: pd.DataFrame  # the Standards of Excellence
    assessments: pd.DataFrame  # this plan's self-assessments against them
    sessions: pd.DataFrame  # this plan's sessions with people on probation
    can_update: bool  # whether this user may record updates to the plan's actions


def plan_frames(session: Session, user: UserLike, plan_id: int) -> PlanFrames:
    """One plan's rows, for a user who may read EPOP plans; LookupError for an unknown plan."""
    require_read(user)
    plan = session.get(EpopPlan, plan_id)
    if plan is None:
        raise LookupError(f"No EPOP plan {plan_id}.")
    return PlanFrames(
        plan={c: getattr(plan, c) for c in _PLAN_FIELDS},
        actions=action_frame(session, [plan_id]),
        expectations=_frame(session, select(EpopAnnex2Expectation.id.label("expectation_id"), EpopAnnex2Expectation.dimension, EpopAnnex2Expectation.year)),
        coverage=_frame(session, select(EpopAnnex2Coverage.expectation_id, EpopAnnex2Coverage.status, EpopAnnex2Coverage.assessed_on).where(EpopAnnex2Coverage.plan_id == plan_id)),
        standards=_frame(session, select(EpopStandard.code, EpopStandard.title).order_by(EpopStandard.code)),
        assessments=_frame(session, select(EpopStandardAssessment.standard_code, EpopStandardAssessment.assessed_on, EpopStandardAssessment.rating, EpopStandardAssessment.narrative).where(EpopStandardAssessment.plan_id == plan_id)),
        sessions=_frame(session, select(EpopSession.held_on, EpopSession.attendees, EpopSession.attendees_women, EpopSession.attendees_men, EpopSession.attendees_other_or_unknown).where(EpopSession.plan_id == plan_id)),
        can_update=can_update_plan(user, plan),
    )


def inspection_plans(session: Session, user: UserLike) -> pd.DataFrame:
    require_read(user)
    return _frame(session, select(EpopPlan.id.label("plan_id"), EpopPlan.title, EpopPlan.submitted_on, EpopPlan.version).where(EpopPlan.scope == "inspection").order_by(EpopPlan.id))


def inspection_frames(session: Session, user: UserLike, plan_id: int) -> tuple[dict[str, Any], pd.DataFrame, pd.DataFrame]:
    """An inspection-response plan, its recommendations and its actions (with the
    recommendation's ``number``), for a user who may read EPOP plans."""
    require_read(user)
    plan = session.get(EpopPlan, plan_id)
    if plan is None or plan.scope != "inspection":
        raise LookupError(f"No inspection-response plan {plan_id}.")
    recs = _frame(session, select(InspectionRecommendation.id.label("recommendation_id"), InspectionRecommendation.number, InspectionRecommendation.text, InspectionRecommendation.response).where(InspectionRecommendation.plan_id == plan_id).order_by(InspectionRecommendation.number))
    actions = action_frame(session, [plan_id]).merge(recs[["recommendation_id", "number"]], on="recommendation_id", how="left")
    summary = {"id": plan.id, "title": plan.title, "submitted_on": plan.submitted_on, "version": plan.version}
    return summary, recs, actions


# --------------------------------------------------------------------------------------------
# The worked example: the real HMPPS inspection-response plan (seed 004)
# --------------------------------------------------------------------------------------------


def load_inspection_plan(session: Session) -> int:
    """Load the HMIP COVID thematic review action plan once; return how many actions were added.

    Idempotent: a database that already holds the plan (same ``source``) is left unchanged.
    Action status is not published; it is read from the target-date wording ("Completed…"
    → complete, anything else → in progress) and the plan says so.
    """
    if session.scalar(select(EpopPlan.id).where(EpopPlan.source == INSPECTION_PLAN_SOURCE)) is not None:
        return 0
    with open(REFERENCE_DIR / "hmip_covid_review_recommendations.csv", newline="", encoding="utf-8") as handle:
        recommendations = list(csv.DictReader(handle))
    with open(REFERENCE_DIR / "hmip_covid_review_actions.csv", newline="", encoding="utf-8") as handle:
        actions = list(csv.DictReader(handle))
    plan = EpopPlan(
        scope="inspection",
        region_code=None,
        title=INSPECTION_PLAN_TITLE,
        version=2,  # the December 2020 plan and its December 2021 update
        commencement_date=dt.date(2020, 11, 18),  # report published
        submitted_on=dt.date(2020, 12, 10),
        source=INSPECTION_PLAN_SOURCE,
    )
    session.add(plan)
    session.flush()
    rec_ids = {}
    for r in recommendations:
        rec = InspectionRecommendation(plan_id=plan.id, number=int(r["rec_no"]), text=r["recommendation"], response=r["response"])
        session.add(rec)
        session.flush()
        rec_ids[r["rec_no"]] = rec.id
    for a in actions:
        target = parse_target_date(a["target_date_raw"])
        session.add(
            EpopAction(
                plan_id=plan.id,
                printed_code=a["action_seq"],
                text=a["summary"],
                owner_role=a["owners_raw"],
                due_date=target.date,
                status="complete" if target.is_completed else "in progress",
                recommendation_id=rec_ids[a["rec_no"]],
                target_date_raw=a["target_date_raw"],
                snapshot=a["snapshot"],
            )
        )
    session.flush()
    return len(actions)
