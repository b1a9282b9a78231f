"""The SQL of every measure, generated from its catalogue entry (``domain.catalogue``).

One grouped query per cohort: per clock day (or, for a drill-down, per case) the cohort's
count and each rule's flags (met, mitigable, ended on or before the deadline, …), with the
deadline looked up in the working-day calendar (``calendar_days``: the working day whose count
is c(D) + N, which is the same as "p(event) < c(D) + N"). Which columns start a clock, which
event meets it, the deadline, the mitigation and the cohort filter are read from each
measure's :class:`domain.catalogue.Measure`; nothing about a measure is written here.

Two readers run these queries: ``metrics.queries`` (the live scorecard and monthly series,
which combines the flags into numerator, denominator, mitigated, excluded and not yet due)
and :mod:`data_access.kpi_summary` (which stores the same flags per day and filter dimension
in ``kpi_daily_counts``). So the stored summary and the live figures share one definition.
Only reads; nothing here opens a connection.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import pandas as pd
from sqlalchemy import (
    Boolean,
    ColumnElement,
    Date,
    Integer,
    Select,
    and_,
    case,
    false,
    func,
    inspect,
    literal,
    or_,
    select,
    true,
)
from sqlalchemy.engine import Connection
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import FunctionElement

from data_access.models import CalendarDay, RecordEvent, Referral
from domain.catalogue import (
    CANCELLED,
    DEADLINE_CODES,
    KPI_CATALOGUE,
    RECORD_EVENT_CODES,
    KpiDefinition,
    end_reason_class,
    kpi,
)
from domain.end_reasons import EndReasonClasses

Db = Connection | Session

#: Deadline measures whose clock is the referral's end share the "concluded in the period"
#: query with DS5 and SL002 (one pass over the cohort); the others are grouped by clock.
CONCLUDED_CLOCK = "concluded_on"
CONCLUDED_CODES: tuple[str, ...] = tuple(
    code for code in ("DS5", *DEADLINE_CODES, "SL002") if kpi(code).measure.clock == CONCLUDED_CLOCK
)
#: KP5: the one deadline measure counted in the concluded query.
(CONCLUDED_DEADLINE_CODE,) = (code for code in DEADLINE_CODES if kpi(code).measure.clock == CONCLUDED_CLOCK)
#: Columns whose date puts a referral into some measure's cohort (all indexed).
COHORT_DATE_COLUMNS: tuple[str, ...] = tuple(dict.fromkeys(
    k.measure.clock for k in KPI_CATALOGUE if k.measure is not None and k.measure.kind != "record_event"
))

# The entries are read when a query is built (not frozen at import), so the SQL always says
# what the catalogue says.


def deadline_specs() -> tuple[KpiDefinition, ...]:
    """The deadline measures answered by :func:`deadline_query`, in catalogue order."""
    return tuple(kpi(code) for code in DEADLINE_CODES if code != CONCLUDED_DEADLINE_CODE)


def clock_groups() -> list[list[KpiDefinition]]:
    """Deadline measures sharing a clock and a cohort filter: one grouped query each."""
    groups: dict[tuple, list[KpiDefinition]] = {}
    for spec in deadline_specs():
        groups.setdefault((spec.measure.clock, spec.measure.cohort_filter), []).append(spec)
    return list(groups.values())


def record_event_working_days() -> int:
    """KP1–KP4's deadline: they share one, so the events meet the calendar once."""
    days = {kpi(code).measure.working_days for code in RECORD_EVENT_CODES}
    if len(days) != 1:
        raise ValueError(f"KP1–KP4 must share one deadline; the catalogue gives {sorted(days)}")
    return days.pop()


def _cohort_filter(definition: KpiDefinition) -> ColumnElement | None:
    """The measure's cohort filter as SQL: a value not recorded keeps the case in."""
    rule = definition.measure.cohort_filter
    if rule is None:
        return None
    column = Referral.__table__.c[rule.column]
    if isinstance(rule.excluded, bool):
        return or_(column.is_(None), column == (false() if rule.excluded else true()))
    # (SQL TRIM removes spaces only; CohortFilter.excludes strips any whitespace. The one text
    # filter today, KP5's "cancelled", is classified in Python by concluded_classes instead.)
    return or_(column.is_(None), func.lower(func.trim(column)) != rule.excluded)


class days_since_epoch(FunctionElement):
    """``date_column`` as whole days since 1970-01-01 (NULL stays NULL)."""

    type = Integer()
    inherit_cache = True


@compiles(days_since_epoch)
def _days_default(element, compiler, **kw):  # PostgreSQL: date - date is an integer
    return "(%s - DATE '1970-01-01')" % compiler.process(element.clauses, **kw)


@compiles(days_since_epoch, "sqlite")
def _days_sqlite(element, compiler, **kw):
    return "CAST(julianday(%s) - 2440587.5 AS INTEGER)" % compiler.process(element.clauses, **kw)


def execute(db: Db, stmt):
    return db.execute(stmt)


def latest_data_date(db: Db, referrals: Select) -> dt.date | None:
    """The latest event date in the scoped data: the default as-of date."""
    c = Referral.__table__.c
    names = ("received_on", "saa_first_attended_on", "action_plan_approved_on", "first_session_on",
             "concluded_on", "eosr_submitted_on")
    stmt = referrals.with_only_columns(*(func.max(c[n]) for n in names))
    row = execute(db, stmt).one()
    values = [v for v in row if v is not None]
    if not values:
        return None
    values = [dt.date.fromisoformat(v) if isinstance(v, str) else v for v in values]
    return max(values)


#: Calendar days beyond a period's end that its deadlines may reach (10 working days over
#: Christmas and Easter stay well inside this).
DEADLINE_REACH = dt.timedelta(days=40)


class is_positive(FunctionElement):
    """``x > 0`` as numpy's ``nan_to_num(x) > 0``: NULL and (PostgreSQL) NaN are not positive."""

    type = Boolean()
    inherit_cache = True


@compiles(is_positive)
def _positive_default(element, compiler, **kw):
    return "(%s > 0)" % compiler.process(element.clauses, **kw)


@compiles(is_positive, "postgresql")
def _positive_postgresql(element, compiler, **kw):  # PostgreSQL sorts NaN above every number
    x = compiler.process(element.clauses, **kw)
    return "(%s > 0 AND %s <> 'NaN'::float8)" % (x, x)


def case_flag(*whens) -> ColumnElement:
    """1 for the first matching ``(condition, 1)``, 0 for ``(condition, 0)`` or no match.

    Conditions are plain comparisons, so a NULL (an event that never happened) simply fails
    to match: no ``NOT`` is ever applied to a NULL.
    """
    return case(*whens, else_=0)


def sum_flag(*whens) -> ColumnElement:
    return func.sum(case_flag(*whens))


def deadline_days(working_days: int, first: dt.date, last: dt.date, as_of: dt.date):
    """``(day, deadline, seen_by)`` for each day in ``first``–``last``.

    ``deadline`` is the working day whose count is c(day) + N, i.e.
    ``busday_offset(day, N, roll="backward")`` (DOMAIN.md "Working days"); an event is on or
    before it exactly when p(event) < c(day) + N. ``seen_by`` is the earlier of the deadline
    and ``as_of``: an event counts if it happened on or before it (events after the as-of date
    have not happened yet).
    """
    day = CalendarDay.__table__.alias("clock_day")
    due = CalendarDay.__table__.alias("deadline_day")
    as_of_day = literal(as_of, Date)
    return (
        select(
            day.c.day.label("day"),
            due.c.day.label("deadline"),
            case((due.c.day < as_of_day, due.c.day), else_=as_of_day).label("seen_by"),
        )
        .join_from(day, due, and_(
            due.c.working_days_to_date == day.c.working_days_to_date + working_days,
            due.c.is_working == true(),
        ))
        .where(day.c.day.between(first, last))
        # Materialised: a few hundred rows looked up once, then each day's cases are read from
        # the cohort's covering index with no per-case calendar lookup.
        .cte(f"deadline_{working_days}")
        .prefix_with("MATERIALIZED")
    )


def calendar_covers(db: Db, first: dt.date, last: dt.date) -> bool:
    """True when ``calendar_days`` holds every day the deadlines of ``first``–``last`` need."""
    if not inspect(db.get_bind() if isinstance(db, Session) else db).has_table(CalendarDay.__tablename__):
        return False
    last = last + DEADLINE_REACH
    cd = CalendarDay.__table__.c
    stored = execute(db, select(func.count()).where(cd.day.between(first, last))).scalar_one()
    return stored == (last - first).days + 1


def dialect_name(db: Db) -> str:
    return (db.get_bind() if isinstance(db, Session) else db).dialect.name


DEADLINE_FLAGS = ("met", "mitigable", "ended_if_due", "ended_if_not_due")


def deadline_query(
    referrals: Select, specs: Sequence[KpiDefinition], *, first: dt.date, last: dt.date, as_of: dt.date,
    ids: bool, keys: Sequence[ColumnElement] = (),
) -> Select:
    """Per clock day (or, with ``ids``, per case) of measures sharing a clock: the cohort's
    count and each rule's flag, named ``"{code}:{flag}"``.

    met        = event happened (by as_of) on or before the deadline
    mitigable  = not met, but the missed appointment was on or before the deadline (DS2)
    ended_if_due / ended_if_not_due = ended (by as_of) on or before the deadline without
                 meeting the measure, with mitigation counting / not yet counting

    ``keys`` (referral columns) are added to the grouping: the per-day summary's dimensions.
    """
    r = Referral.__table__.c
    clock = r[specs[0].measure.clock]
    deadlines = [deadline_days(spec.measure.working_days, first, last, as_of) for spec in specs]
    columns = [r.referral_ref] if ids else []
    columns += [deadlines[0].c.day] + [d.c.deadline.label(f"{s.code}:deadline") for s, d in zip(specs, deadlines)]
    columns.append(literal(1).label("n") if ids else func.count().label("n"))
    aggregate = case_flag if ids else sum_flag
    for spec, deadline in zip(specs, deadlines):
        seen_by = deadline.c.seen_by
        measure = spec.measure
        met = r[measure.event] <= seen_by
        missed = r[measure.mitigation] <= seen_by if measure.mitigation else false()
        ended = r.concluded_on <= seen_by
        flags = {
            "met": [(met, 1)],
            "mitigable": [(met, 0), (missed, 1)],
            "ended_if_due": [(met, 0), (missed, 0), (ended, 1)],
            "ended_if_not_due": [(met, 0), (ended, 1)],
        }
        columns += [aggregate(*whens).label(f"{spec.code}:{name}") for name, whens in flags.items()]
    columns += list(keys)
    stmt = referrals.with_only_columns(*columns).join_from(deadlines[0], Referral.__table__, deadlines[0].c.day == clock)
    for deadline in deadlines[1:]:
        stmt = stmt.join(deadline, deadline.c.day == deadlines[0].c.day)
    stmt = stmt.where(clock.between(first, last))
    cohort_filter = _cohort_filter(specs[0])  # the same for every measure of a clock group
    if cohort_filter is not None:
        stmt = stmt.where(cohort_filter)
    if not ids:
        stmt = stmt.group_by(deadlines[0].c.day, *(d.c.deadline for d in deadlines), *keys)
    return stmt


CONCLUDED_FLAGS = (
    "same_day", "positive", "positive_same_day", "negative_if_reason", "negative_if_reason_same_day",
    "eosr", "eosr_outcome", "met",
)


def concluded_query(referrals: Select, *, first: dt.date, last: dt.date, as_of: dt.date, ids: bool,
                     postgresql: bool, keys: Sequence[ColumnElement] = ()) -> Select:
    """DS5, KP5 and SL002 share the cohort "concluded in the period": per day, end state and
    end reason (classified in Python by :func:`domain.catalogue.end_reason_class`, the one mapping
    of Refer and Monitor descriptions to codes), the count and each rule's flag."""
    del postgresql
    r = Referral.__table__.c
    kp5 = kpi(CONCLUDED_DEADLINE_CODE).measure
    deadline = deadline_days(kp5.working_days, first, last, as_of)
    attended = r[kpi("SL002").measure.event]  # the intervention commencement appointment
    same_day = r.received_on == r.concluded_on
    positive = and_(attended <= r.concluded_on, attended <= as_of)  # ICA by the end date
    approved = r.action_plan_approved_on <= as_of
    eosr = r[kpi("DS5").measure.event] <= as_of
    flags = {
        "same_day": [(same_day, 1)],
        "positive": [(positive, 1)],
        "positive_same_day": [(and_(positive, same_day), 1)],
        "negative_if_reason": [(positive, 0), (approved, 1)],
        "negative_if_reason_same_day": [(positive, 0), (and_(approved, same_day), 1)],
        "eosr": [(eosr, 1)],
        "eosr_outcome": [(and_(eosr, is_positive(r.outcomes_achieved)), 1)],
        "met": [(r[kp5.event] <= deadline.c.seen_by, 1)],  # KP5
    }
    cohort_keys = [deadline.c.day, deadline.c.deadline, r.referral_end_state.label("end_state"),
                   r.end_requested_by_pp_reason.label("end_reason")]
    if ids:
        columns = [r.referral_ref, *cohort_keys, literal(1).label("n")]
        columns += [case_flag(*whens).label(name) for name, whens in flags.items()]
    else:
        columns = [*cohort_keys, func.count().label("n")]
        columns += [sum_flag(*whens).label(name) for name, whens in flags.items()]
    columns += list(keys)
    stmt = (
        referrals.with_only_columns(*columns)
        .join_from(deadline, Referral.__table__, deadline.c.day == r.concluded_on)
        .where(r.concluded_on.between(first, last))
    )
    if not ids:
        stmt = stmt.group_by(deadline.c.day, deadline.c.deadline, r.referral_end_state, r.end_requested_by_pp_reason,
                             *keys)
    return stmt


def concluded_classes(frame: pd.DataFrame, end_reasons: EndReasonClasses | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Per row of ``frame``: whether the end state is "cancelled", and whether the end reason
    is SL002-negative (:func:`domain.catalogue.end_reason_class`) in ``end_reasons``, the
    database's reviewed table (``data_access.reference.end_reason_classes``), which an admin
    may edit; the reviewed file when None."""
    # One rule for "cancelled": KP5's cohort filter and SL002's same-day rule (domain.catalogue).
    cancelled = np.array([CANCELLED.excludes(s) for s in frame["end_state"]], dtype=bool)
    negative_reason = np.array([end_reason_class(r, end_reasons) == "negative" for r in frame["end_reason"]], dtype=bool)
    return cancelled, negative_reason


def record_events_query(referrals: Select, *, first: dt.date, last: dt.date, as_of: dt.date, ids: bool,
                         keys: Sequence[ColumnElement] = ()) -> Select:
    """KP1–KP4: per event kind and day the events, and those recorded (and shared) in time.

    Events are first counted per (day, kind, recorded day, shared) straight from the covering
    index, in its order; only those few thousand groups meet the calendar. ``keys``
    (referral columns, the summary's dimensions) are added to both groupings.
    """
    r = Referral.__table__.c
    e = RecordEvent.__table__.c
    deadline = deadline_days(record_event_working_days(), first, last, as_of)
    if ids:
        events = (
            referrals.with_only_columns(r.referral_ref, e.kind, e.occurred_on, e.recorded_on, e.shared,
                                        literal(1).label("n"))
            .join_from(Referral.__table__, RecordEvent.__table__, e.referral_pk == r.id)
            .where(e.occurred_on.between(first, last))
            .subquery("events")
        )
    elif keys:
        events = (
            referrals.with_only_columns(e.occurred_on, e.kind, e.recorded_on, e.shared, *keys,
                                        func.count().label("n"))
            .join_from(Referral.__table__, RecordEvent.__table__, e.referral_pk == r.id)
            .where(e.occurred_on.between(first, last))
            .group_by(e.occurred_on, e.kind, e.recorded_on, e.shared, *keys)
            .subquery("events")
        )
    else:
        events = select(e.occurred_on, e.kind, e.recorded_on, e.shared, func.count().label("n")).where(
            e.occurred_on.between(first, last)
        )
        if not selects_every_referral(referrals):
            events = events.where(e.referral_pk.in_(referrals.with_only_columns(r.id)))
        # (With no scope or filter restriction, every event is in scope: referral_pk is a NOT
        # NULL foreign key, so the semi-join would change nothing but the cost.)
        events = events.group_by(e.occurred_on, e.kind, e.recorded_on, e.shared).subquery("events")
    recorded = events.c.recorded_on <= deadline.c.seen_by
    flags = {"met": recorded, "met_shared": and_(recorded, events.c.shared == true())}
    keys = [events.c.kind, deadline.c.day, deadline.c.deadline, *(events.c[k.name] for k in keys)]
    if ids:
        columns = [events.c.referral_ref, *keys, events.c.n]
        columns += [case_flag((condition, 1)).label(name) for name, condition in flags.items()]
    else:
        columns = [*keys, func.sum(events.c.n).label("n")]
        columns += [func.sum(case((condition, events.c.n), else_=0)).label(name) for name, condition in flags.items()]
    stmt = select(*columns).join_from(deadline, events, deadline.c.day == events.c.occurred_on)
    if not ids:
        stmt = stmt.group_by(*keys)
    return stmt


def selects_every_referral(referrals: Select) -> bool:
    return (
        referrals.whereclause is None
        and referrals.get_final_froms() == [Referral.__table__]
        and referrals._limit_clause is None  # noqa: SLF001 - no public accessor
        and referrals._offset_clause is None  # noqa: SLF001
    )


#: The summary's ``measure`` holding each code's counts.
SUMMARY_MEASURE = {
    **{code: code for code in DEADLINE_CODES if code != CONCLUDED_DEADLINE_CODE},
    **dict.fromkeys(CONCLUDED_CODES, "concluded"),
    **dict.fromkeys(RECORD_EVENT_CODES, "record_events"),
}
