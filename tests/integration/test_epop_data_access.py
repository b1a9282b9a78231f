"""EPOP data access against SQLite (and PostgreSQL in CI): scoping, concurrency, audit, loading."""

from __future__ import annotations

import datetime as dt
import json
from types import SimpleNamespace

import numpy as np
import pytest
from sqlalchemy import func, select

from data_access import epop
from metrics import epop_views
from data_access.db import session_scope
from data_access.epop_demo import seed_epop_demo
from data_access.models import AuditLog, EpopAction, EpopActionUpdate, EpopPlan, InspectionRecommendation

AS_OF = dt.date(2026, 3, 31)
GM_SPOC = SimpleNamespace(username="spoc", role="epop_spoc", region_code="J")
LONDON_SPOC = SimpleNamespace(username="spoc-l", role="epop_spoc", region_code="L")
NATIONAL = SimpleNamespace(username="national", role="epop_national", region_code=None)
ADMIN = SimpleNamespace(username="admin", role="admin", region_code=None)
COMMISSIONER = SimpleNamespace(username="commissioner", role="commissioner", region_code=None)
PROVIDER = SimpleNamespace(username="provider", role="provider", region_code=None)


@pytest.fixture()
def demo_engine(reference_engine):
    with session_scope(reference_engine) as session:
        epop.load_inspection_plan(session)
        seed_epop_demo(session, np.random.default_rng(7), as_of=AS_OF)
    return reference_engine


def _open_action(session, region_code: str | None, scope: str = "region") -> EpopAction:
    plan_ids = select(EpopPlan.id).where(EpopPlan.scope == scope)
    if region_code:
        plan_ids = plan_ids.where(EpopPlan.region_code == region_code)
    return session.scalars(select(EpopAction).where(EpopAction.plan_id.in_(plan_ids)).order_by(EpopAction.id)).first()


def _counts(session):
    return (session.scalar(select(func.count()).select_from(EpopActionUpdate)),
            session.scalar(select(func.count()).select_from(AuditLog)))


def test_inspection_plan_loads_once(reference_engine):
    with session_scope(reference_engine) as session:
        assert epop.load_inspection_plan(session) == 48
        assert epop.load_inspection_plan(session) == 0
    with session_scope(reference_engine) as session:
        recs = session.scalars(select(InspectionRecommendation).order_by(InspectionRecommendation.number)).all()
        assert [r.number for r in recs] == [1, 2, 3, 4, 5, 6]
        assert {r.response for r in recs} == {"Agreed"}
        view = epop_views.inspection_view(session, NATIONAL, recs[0].plan_id)
        assert view.snapshots == ("2020-12-10 plan", "2021-12-08 update")
        assert view.actions["wording_recognised"].all()
        assert "Completed (to be reviewed monthly)" in set(view.actions["target_date_raw"])
        assert set(view.slippage.loc[view.slippage["change"] == "slipped", "earlier_key"]) == {"1.5", "1.6", "3.2", "3.3"}


def test_spoc_updates_own_region(demo_engine):
    with session_scope(demo_engine) as session:
        action = _open_action(session, "J")
        action_id = action.id
        before = _counts(session)
        result = epop.record_action_update(session, GM_SPOC, action_id, action.version, "in progress", 40, "Venue booked", "https://example.org/evidence")
    assert result.version == 2
    with session_scope(demo_engine) as session:
        stored = session.get(EpopAction, action_id)
        assert (stored.version, stored.status) == (2, "in progress")
        assert _counts(session) == (before[0] + 1, before[1] + 1)
        audit = session.scalars(select(AuditLog).order_by(AuditLog.id.desc())).first()
        assert (audit.actor, audit.action, audit.entity_id) == ("spoc", "epop_action_update", str(action_id))
        assert json.loads(audit.detail)["version"] == 2
        latest = epop.latest_action_update(session, action_id)
        assert (latest["author"], latest["percent_complete"], latest["narrative"]) == ("spoc", 40, "Venue booked")


@pytest.mark.parametrize(
    ("user", "region", "scope"),
    [
        (GM_SPOC, "L", "region"),  # another region's plan
        (LONDON_SPOC, "J", "region"),
        (GM_SPOC, None, "approved_premises"),  # the AP plan is not a regional SPOC's
        (GM_SPOC, None, "inspection"),
        (SimpleNamespace(username="x", role="epop_spoc", region_code=None), "J", "region"),
        (COMMISSIONER, "J", "region"),
        (PROVIDER, "J", "region"),
        (SimpleNamespace(username="y", role="unknown", region_code="J"), "J", "region"),
        (None, "J", "region"),
    ],
)
def test_update_refused_outside_scope(demo_engine, user, region, scope):
    with session_scope(demo_engine) as session:
        action = _open_action(session, region, scope)
        before = _counts(session)
        with pytest.raises(PermissionError, match="may not update"):
            epop.record_action_update(session, user, action.id, action.version, "complete", 100, "done", None)
        assert _counts(session) == before
        assert session.get(EpopAction, action.id).version == action.version


@pytest.mark.parametrize("user", [NATIONAL, ADMIN])
def test_national_and_admin_update_any_plan(demo_engine, user):
    with session_scope(demo_engine) as session:
        action = _open_action(session, None, "approved_premises")
        epop.record_action_update(session, user, action.id, action.version, "blocked", None, "Awaiting vetting", None)


def test_concurrent_edit_second_save_refused(demo_engine):
    with session_scope(demo_engine) as session:
        action_id, version = (lambda a: (a.id, a.version))(_open_action(session, "J"))
    # Two people open the same action at version 1, in separate sessions.
    first = session_scope(demo_engine)
    second = session_scope(demo_engine)
    with first as s1:
        epop.record_action_update(s1, GM_SPOC, action_id, version, "in progress", 50, "first", None)
    with pytest.raises(epop.ActionVersionConflict) as caught, second as s2:
        epop.record_action_update(s2, NATIONAL, action_id, version, "complete", 100, "second", None)
    conflict = caught.value
    assert (conflict.expected_version, conflict.latest_version) == (version, version + 1)
    assert conflict.latest_update["narrative"] == "first"
    assert "Not saved" in str(conflict) and f"now version {version + 1}" in str(conflict)
    with session_scope(demo_engine) as session:
        stored = session.get(EpopAction, action_id)
        assert (stored.version, stored.status) == (version + 1, "in progress")
        history = epop.action_history(session, NATIONAL, action_id)
        assert history["narrative"].iloc[0] == "first"
        assert "second" not in set(history["narrative"].dropna())
        # Saving again against the latest version works: nothing is lost, only superseded.
        epop.record_action_update(session, NATIONAL, action_id, stored.version, "complete", 100, "second", None)
    with session_scope(demo_engine) as session:
        assert epop.action_history(session, NATIONAL, action_id)["narrative"].iloc[:2].tolist() == ["second", "first"]


@pytest.mark.parametrize(
    ("status", "percent", "message"),
    [("done", 10, "Status must be"), ("complete", 101, "whole number"), ("complete", -1, "whole number"), ("complete", 12.5, "whole number")],
)
def test_invalid_update_refused(demo_engine, status, percent, message):
    with session_scope(demo_engine) as session:
        action = _open_action(session, "J")
        with pytest.raises(ValueError, match=message):
            epop.record_action_update(session, GM_SPOC, action.id, action.version, status, percent, None, None)


def test_reads_refused_for_other_roles(demo_engine):
    with session_scope(demo_engine) as session:
        with pytest.raises(PermissionError):
            epop_views.national_view(session, PROVIDER, AS_OF)
        with pytest.raises(PermissionError):
            epop.inspection_plans(session, None)


def test_demo_and_national_view(demo_engine):
    with session_scope(demo_engine) as session:
        view = epop_views.national_view(session, GM_SPOC, AS_OF)
        summary = view.summary.set_index("plan_label")
        assert len(summary) == 13 and "Approved Premises" in summary.index
        statuses = summary["plan_status"].value_counts().to_dict()
        assert statuses["late"] == 3 and statuses["overdue (not agreed)"] == 1
        assert summary.loc["Approved Premises", "days_to_agreement"] == 90
        assert summary.loc["Approved Premises", "plan_status"] == "on time"
        assert summary["overdue"].sum() > 0
        assert list(view.heat.columns) == ["capability", "opportunity", "motivation", "not set"]
        assert view.trend["as_of"].max() == AS_OF
        plan_view = epop_views.plan_view(session, GM_SPOC, epop.region_plan_id(session, "J"), AS_OF)
        assert plan_view.can_update and plan_view.annex2_year == 2  # GM starts a year ahead
        other = epop_views.plan_view(session, GM_SPOC, epop.region_plan_id(session, "L"), AS_OF)
        assert not other.can_update


def test_demo_is_deterministic(reference_engine):
    """The same rng seed gives the same plans, actions and history (seeded twice side by side)."""
    for _ in range(2):
        with session_scope(reference_engine) as session:
            seed_epop_demo(session, np.random.default_rng(3), as_of=AS_OF)
    with session_scope(reference_engine) as session:
        actions = session.execute(
            select(EpopAction.printed_code, EpopAction.text, EpopAction.due_date, EpopAction.status, EpopAction.com_b).order_by(EpopAction.id)
        ).all()
        updates = session.execute(
            select(EpopActionUpdate.recorded_at, EpopActionUpdate.status, EpopActionUpdate.percent_complete).order_by(EpopActionUpdate.id)
        ).all()
    half, half_updates = len(actions) // 2, len(updates) // 2
    assert actions[:half] == actions[half:]
    assert updates[:half_updates] == updates[half_updates:]
