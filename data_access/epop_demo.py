"""Deterministic demo EPOP plans: 12 regions and Approved Premises, in a realistic spread.

Everything here is invented and labelled demo data. The contract commences on 1 April 2025,
so plans are due 90 days later (30 June 2025, 000 §15.1); the demo is drawn as of 31 March
2026. The spread: most plans agreed on time (one exactly on day 90), three late, one
(North West) agreed by its region but not yet centrally; actions from the regional outcome
codes with COM-B dimensions, owners and due dates; a monthly update history in which a
plan's delivery pace varies (late plans deliver more slowly), some actions blocked or
dropped; Annex 2 coverage (two regions start a year ahead); standards self-assessments;
engagement sessions. The same ``rng`` gives the same rows.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from data_access.models import (
    EpopAction,
    EpopActionOutcome,
    EpopActionUpdate,
    EpopAnnex2Coverage,
    EpopAnnex2Expectation,
    EpopOutcomeCode,
    EpopPlan,
    EpopSession,
    EpopStandard,
    EpopStandardAssessment,
    Region,
)
from domain.epop import COM_B_DIMENSIONS, annex2_year

COMMENCEMENT = dt.date(2025, 4, 1)
WINDOW_DAYS = 90
#: Days from commencement to (regional agreement, central agreement); None = not agreed.
#: Late plans and the one not yet agreed are fixed so the demo always shows each state.
AGREEMENT_DAYS: dict[str, tuple[int, int | None]] = {
    "A": (74, 84), "B": (80, 88), "C": (69, 79), "D": (101, 112), "E": (77, 86), "F": (82, 89),
    "G": (71, 83), "H": (96, 104), "I": (79, 87), "J": (75, 85), "K": (88, None), "L": (118, 131),
    "AP": (84, 90),  # agreed centrally on day 90 exactly: on time
}
#: Regions further on at the start ("region's maturity", Annex 2): start at year 2.
ANNEX2_OFFSET = {"J": 1, "L": 1}
#: Delivery pace per plan: share of actions finished by their due date (late plans lower).
PACE = {"A": 0.8, "B": 0.85, "C": 0.75, "D": 0.55, "E": 0.8, "F": 0.7, "G": 0.9, "H": 0.6,
        "I": 0.75, "J": 0.85, "K": 0.45, "L": 0.5, "AP": 0.7}
REGIONAL_CODES = ("AP-2", "AP-3", "AP-4", "POP-1", "POP-2", "POP-3", "POP-4", "POP-5", "POP-6",
                  "PS-1", "PS-2", "PS-3", "PS-4", "PS-5", "PS-6", "EPOP-1", "EPOP-2", "EPOP-3",
                  "EPOP-4", "EPOP-6", "EPOP-7")
AP_CODES = ("AP-2", "AP-3", "AP-4", "PS-2", "PS-5", "EPOP-3", "EPOP-4")
OWNERS = ("Regional EPOP SPOC", "EPOP provider regional lead", "Head of Operations",
          "Senior Probation Officer (EPOP champion)", "Regional learning and development lead",
          "Regional communications lead")
AP_OWNERS = ("Approved Premises EPOP SPOC", "Approved Premises manager", "EPOP provider AP lead")
VERBS = ("Plan and deliver", "Agree and publish", "Set up and run", "Review and report on", "Co-produce")
#: No rating scale is published (Annex 1); the demo uses these words and says so.
DEMO_RATINGS = ("Not yet evidenced", "Emerging", "Developing", "Established")


def seed_epop_demo(
    session: Session,
    rng: np.random.Generator,
    as_of: dt.date,
    *,
    actions_per_plan: int | None = None,
    updates_per_action: int | None = None,
) -> dict[str, int]:
    """Add the 13 demo plans with actions, updates, Annex 2, standards and sessions.

    ``actions_per_plan`` / ``updates_per_action`` fix the volumes (the benchmark uses 200 and
    20); by default each plan has 14–26 actions and updates are monthly.
    """
    regions = dict(session.execute(select(Region.code, Region.name).order_by(Region.code)).all())
    labels = dict(session.execute(select(EpopOutcomeCode.key, EpopOutcomeCode.label)).all())
    counts = {"plans": 0, "actions": 0, "updates": 0, "sessions": 0}
    plans: list[tuple[str, EpopPlan]] = []
    for key in [*sorted(regions), "AP"]:
        region_days, central_days = AGREEMENT_DAYS.get(key, (80, 88))
        is_ap = key == "AP"
        plan = EpopPlan(
            scope="approved_premises" if is_ap else "region",
            region_code=None if is_ap else key,
            title=("Approved Premises EPOP Action Plan (demo)" if is_ap else f"{regions[key]} Regional EPOP Action Plan (demo)"),
            version=1,
            commencement_date=COMMENCEMENT,
            due_date=COMMENCEMENT + dt.timedelta(days=WINDOW_DAYS),
            submitted_on=COMMENCEMENT + dt.timedelta(days=region_days - int(rng.integers(3, 10))),
            agreed_by_region_on=COMMENCEMENT + dt.timedelta(days=region_days),
            agreed_centrally_on=None if central_days is None else COMMENCEMENT + dt.timedelta(days=central_days),
            annex2_year_offset=ANNEX2_OFFSET.get(key, 0),
            source="demo",
        )
        session.add(plan)
        plans.append((key, plan))
    session.flush()
    counts["plans"] = len(plans)

    update_rows: list[dict] = []
    for key, plan in plans:
        actions = _plan_actions(session, rng, key, plan, labels, as_of, actions_per_plan)
        counts["actions"] += len(actions)
        for action, facts in actions:
            history = _history(rng, facts, as_of, updates_per_action)
            for recorded_at, status, percent, narrative in history:
                update_rows.append({
                    "action_id": action.id, "author": _author(key), "recorded_at": recorded_at, "status": status,
                    "percent_complete": percent, "narrative": narrative, "evidence_link": None,
                })
            # The action's current status is its latest update's (seeded history, version 1).
            action.status = history[-1][1] if history else "not started"
        _annex2(session, rng, key, plan, as_of)
        _standards(session, rng, plan, as_of)
        counts["sessions"] += _sessions(session, rng, key, plan, as_of)
    if update_rows:
        session.execute(insert(EpopActionUpdate), update_rows)
    counts["updates"] = len(update_rows)
    session.flush()
    return counts


def _author(key: str) -> str:
    return "spoc" if key == "J" else f"spoc-{key.lower()}-demo"


def _plan_actions(session, rng, key, plan, labels, as_of, actions_per_plan):
    """Create the plan's actions; return (action, delivery facts) pairs for the history."""
    codes = AP_CODES if key == "AP" else REGIONAL_CODES
    owners = AP_OWNERS if key == "AP" else OWNERS
    n = actions_per_plan or int(rng.integers(14, 27))
    start = plan.agreed_centrally_on or plan.agreed_by_region_on or plan.due_date
    pace = PACE.get(key, 0.7)
    out = []
    for i in range(n):
        code = codes[int(rng.integers(len(codes)))]
        no_due = rng.random() < 0.05
        due = None if no_due else start + dt.timedelta(days=int(rng.integers(20, 520)))
        duration = int(rng.integers(45, 200))
        begins = (due - dt.timedelta(days=duration)) if due else start + dt.timedelta(days=int(rng.integers(10, 200)))
        begins = max(begins, start + dt.timedelta(days=int(rng.integers(0, 20))))
        fate = rng.random()
        facts = {
            "begins": begins,
            "due": due,
            # Finished on time with probability `pace`; otherwise late by 15–150 days.
            "finishes": (due or begins + dt.timedelta(days=duration)) + dt.timedelta(
                days=int(rng.integers(-30, 1)) if rng.random() < pace else int(rng.integers(15, 150))
            ),
            "blocked": fate < 0.04,
            "dropped": 0.04 <= fate < 0.07,
        }
        action = EpopAction(
            plan_id=plan.id,
            printed_code=code,
            text=f"{VERBS[i % len(VERBS)]}: {labels.get(code, code).rstrip('.')} ({'Approved Premises' if key == 'AP' else 'regional'} action {i + 1}, demo)",
            com_b=COM_B_DIMENSIONS[int(rng.integers(3))],
            owner_role=owners[int(rng.integers(len(owners)))],
            due_date=due,
            status="not started",
            version=1,
        )
        session.add(action)
        out.append((action, facts))
    session.flush()
    for action, _ in out:
        if action.printed_code in labels:
            session.add(EpopActionOutcome(action_id=action.id, outcome_key=action.printed_code))
    return out


def _history(rng, facts, as_of, updates_per_action):
    """Dated updates: monthly from the start (or exactly ``updates_per_action`` of them)."""
    begins, finishes = facts["begins"], facts["finishes"]
    if updates_per_action:  # fixed volume (benchmark): every action has its history by as_of
        begins = min(begins, as_of - dt.timedelta(days=120))
    if begins > as_of:
        return []
    end = min(as_of, finishes)
    if updates_per_action:
        span = max(1, (end - begins).days)
        days = sorted(int(d) for d in rng.integers(0, span + 1, updates_per_action))
    else:
        days = list(range(0, max(1, (end - begins).days) + 1, 30))
    rows = []
    total = max(1, (finishes - begins).days)
    for n, d in enumerate(days):
        when = begins + dt.timedelta(days=d)
        percent = min(95, int(100 * d / total))
        status = "in progress"
        narrative = "Work under way (demo)."
        if facts["blocked"] and n >= len(days) // 2:
            status, narrative = "blocked", "Waiting on venue and vetting clearance (demo)."
        if facts["dropped"] and n == len(days) - 1 and n > 0:
            status, narrative = "dropped", "Superseded by a joint action with a neighbouring region (demo)."
        rows.append((_at(rng, when), status, percent, narrative))
    if finishes <= as_of and not facts["blocked"] and not facts["dropped"]:
        rows.append((_at(rng, finishes), "complete", 100, "Completed; evidence filed (demo)."))
    return rows


def _at(rng, day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(9)) + dt.timedelta(minutes=int(rng.integers(0, 8 * 60)))


def _annex2(session, rng, key, plan, as_of):
    expectations = session.execute(select(EpopAnnex2Expectation.id, EpopAnnex2Expectation.year)).all()
    year = annex2_year(plan.commencement_date, as_of, plan.annex2_year_offset)
    pace = PACE.get(key, 0.7)
    for quarter_end in (dt.date(2025, 9, 30), dt.date(2025, 12, 31), dt.date(2026, 3, 31)):
        if quarter_end > as_of:
            break
        progress = {dt.date(2025, 9, 30): 0.3, dt.date(2025, 12, 31): 0.6, dt.date(2026, 3, 31): 0.9}[quarter_end] * pace
        for expectation_id, exp_year in expectations:
            if exp_year > year:
                continue
            u = rng.random()
            status = "met" if u < progress * 0.7 else "in progress" if u < progress + 0.25 else "not started"
            if rng.random() < 0.08:
                continue  # not assessed this quarter
            session.add(EpopAnnex2Coverage(plan_id=plan.id, expectation_id=expectation_id, status=status, assessed_on=quarter_end))


def _standards(session, rng, plan, as_of):
    codes = list(session.scalars(select(EpopStandard.code).order_by(EpopStandard.code)))
    first = plan.agreed_by_region_on or plan.due_date
    for when, shift in ((first, 0), (first + dt.timedelta(days=182), 1)):
        if when > as_of:
            continue
        for code in codes:
            level = min(len(DEMO_RATINGS) - 1, int(rng.integers(0, 3)) + shift)
            session.add(EpopStandardAssessment(
                plan_id=plan.id, standard_code=code, assessed_on=when, rating=DEMO_RATINGS[level],
                narrative="Self-assessment on the national template (demo ratings: no scale is published).",
            ))


def _sessions(session, rng, key, plan, as_of) -> int:
    month = dt.date(2025, 7, 1)
    added = 0
    while month <= as_of:
        for _ in range(int(rng.integers(1, 5))):
            held = month + dt.timedelta(days=int(rng.integers(0, 27)))
            if held > as_of:
                continue
            attendees = int(rng.integers(3, 26))
            split = rng.random() < 0.8
            women = int(rng.binomial(attendees, 0.3 if key == "AP" else 0.15)) if split else None
            other = int(rng.binomial(attendees - women, 0.05)) if split else None
            session.add(EpopSession(
                plan_id=plan.id, held_on=held, location="Probation office (demo)", length_minutes=int(rng.choice([60, 90, 120])),
                staff_present=int(rng.integers(1, 5)), attendees=attendees, attendees_women=women,
                attendees_men=(attendees - women - other) if split else None, attendees_other_or_unknown=other,
            ))
            added += 1
        month = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return added
