"""Reads behind the provider's working day: the cases whose deadline measures are still open,
and the referrals due to end this month (SL002's month-to-date projection).

Every read starts from the view's scoped ``referrals`` select
(``data_access.scoping.referrals_select``), so a provider only ever reaches its own referrals
and their record-keeping events. Nothing here decides whether a case is late: the rules are in
``metrics.cases_due``, from the catalogue's entries.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import Select, and_, or_, select, true
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from data_access.models import Hub, RecordEvent, Referral

Db = Connection | Session

#: Referral columns the open-case rules read.
OPEN_CASE_COLUMNS: tuple[str, ...] = (
    "referral_ref", "hub_id", "received_on", "saa_first_attended_on", "saa_first_not_attended_on",
    "action_plan_submitted_on", "action_plan_approved_on", "first_session_on", "distance_tool_completed_on",
    "concluded_on", "exit_survey_offered_on", "intervention_to_be_completed_by", "end_of_sentence_date",
    "suitable", "referral_end_state",
)


def _frame(db: Db, stmt, columns) -> pd.DataFrame:
    rows = [tuple(row) for row in db.execute(stmt).all()]
    return pd.DataFrame(rows, columns=list(columns))


def open_referrals(db: Db, referrals: Select, *, as_of: dt.date, ended_since: dt.date) -> pd.DataFrame:
    """Referrals of the view that may have a measure still open on ``as_of``: not ended by then
    (DS2, DS3, DS4, KP6, the completion deadline), or ended from ``ended_since`` to ``as_of``
    with no exit survey offered by then (KP5)."""
    c = Referral.__table__.c
    still_open = or_(c.concluded_on.is_(None), c.concluded_on > as_of)
    ended_without_survey = and_(c.concluded_on.between(ended_since, as_of),
                                or_(c.exit_survey_offered_on.is_(None), c.exit_survey_offered_on > as_of))
    stmt = referrals.with_only_columns(*(c[n] for n in OPEN_CASE_COLUMNS)).where(
        or_(still_open, ended_without_survey))
    return _frame(db, stmt, OPEN_CASE_COLUMNS)


def open_record_events(db: Db, referrals: Select, *, as_of: dt.date, since: dt.date) -> pd.DataFrame:
    """Record-keeping events (KP1–KP4) of the view's referrals that occurred from ``since`` to
    ``as_of`` and were not recorded (or not shared) by ``as_of``."""
    c = Referral.__table__.c
    e = RecordEvent.__table__.c
    columns = ("referral_ref", "hub_id", "kind", "occurred_on", "recorded_on", "shared")
    stmt = (
        referrals.with_only_columns(c.referral_ref, c.hub_id, e.kind, e.occurred_on, e.recorded_on, e.shared)
        .join(RecordEvent.__table__, e.referral_pk == c.id)
        .where(e.occurred_on.between(since, as_of),
               or_(e.recorded_on.is_(None), e.recorded_on > as_of, e.shared.is_(None), e.shared != true()))
    )
    return _frame(db, stmt, columns)


def hub_names(db: Db) -> dict[int, str]:
    return {int(i): name for i, name in db.execute(select(Hub.id, Hub.name)).all()}
