"""When the per-day KPI summary (``kpi_daily_counts``) may answer a query, and reading it.

The scorecard's grouped queries (:mod:`metrics.queries`) produce, per clock day, counts that
numpy combines into numerator, denominator, mitigated, excluded and not-yet-due. Those counts
depend on the data, on the working-day calendar, on the rules and on the as-of date, and on
nothing else; ``data_access.kpi_summary.refresh_kpi_summary`` stores them once per clock day
and filter dimension, for the latest data date, after each import. A query may use them
instead of the live aggregates only when all of these hold:

* a summary exists (:class:`SummaryState`) and its ``data_version`` equals
  :func:`data_access.kpi_summary.data_version` now: no referral, record event, import batch, undo, calendar row or
  rule has changed since it was built;
* its ``as_of`` is the query's as-of date (every "met by the deadline" flag is "by
  min(deadline, as_of)");
* the query's referral selection is expressible on the summary's dimensions
  (:func:`summary_condition`): rows of ``referrals`` only, restricted by conditions that read
  no referral column other than :data:`SUMMARY_DIMENSIONS`.

Anything else (an earlier as-of date, a stale summary, a filter on another column, a
drill-down needing case ids) is answered live, so a summary can make a query faster but
never change its answer.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import ColumnElement, Select, TableClause, func, inspect, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session
from sqlalchemy.sql import visitors
from sqlalchemy.sql.elements import ColumnClause

from data_access.kpi_summary import SUMMARY_COUNTS, SUMMARY_DIMENSIONS, SUMMARY_KEYS, data_version
from data_access.models import KpiDailyCount, KpiSummaryState, Referral

Db = Connection | Session

def _bind(db: Db):
    return db.get_bind() if isinstance(db, Session) else db


@dataclass(frozen=True)
class SummaryState:
    as_of: dt.date
    data_version: str
    first_day: dt.date | None
    last_day: dt.date | None
    rows: int


def summary_state(db: Db) -> SummaryState | None:
    """The stored summary's state; ``None`` when there is none (check it with
    :func:`summary_is_current` before use)."""
    if not inspect(_bind(db)).has_table(KpiSummaryState.__tablename__):
        return None  # a database migrated before the summary existed
    s = KpiSummaryState.__table__.c
    row = db.execute(select(s.as_of, s.data_version, s.first_day, s.last_day, s.rows).where(s.id == 1)).first()
    if row is None:
        return None
    return SummaryState(*row)


def summary_is_current(db: Db, state: SummaryState) -> bool:
    """True while the data the summary was built from is unchanged (:func:`data_access.kpi_summary.data_version`)."""
    return state.data_version == data_version(db)


class _Unmappable(Exception):
    pass


def _is_referrals(table) -> bool:
    return isinstance(table, TableClause) and (table is Referral.__table__ or table._deannotate() is Referral.__table__)


def summary_condition(referrals: Select) -> tuple[bool, ColumnElement | None]:
    """``(usable, condition)``: the referral selection rewritten over ``kpi_daily_counts``.

    A summary row holds the referrals sharing one value of every dimension, so a condition
    that reads only those columns is true for the summary row exactly when it is true for
    each referral counted in it: the same predicate (bound values, subqueries over demand
    units, contracts and PDUs included) applied to the summary selects the same cases.
    ``usable`` is False for anything else: other FROMs or joins, GROUP BY, DISTINCT, LIMIT,
    a test of another referral column, or a subquery that reads ``referrals`` itself.
    """
    if (
        referrals.get_final_froms() != [Referral.__table__]
        or referrals._group_by_clauses  # noqa: SLF001 - no public accessor
        or referrals._having_criteria  # noqa: SLF001
        or referrals._distinct  # noqa: SLF001
        or referrals._limit_clause is not None  # noqa: SLF001
        or referrals._offset_clause is not None  # noqa: SLF001
    ):
        return False, None
    where = referrals.whereclause
    if where is None:
        return True, None
    for element in visitors.iterate(where):
        if _is_referrals(element):
            return False, None  # a subquery over referrals: its meaning is not per summary row
        if isinstance(element, ColumnClause) and _is_referrals(getattr(element, "table", None)) \
                and element.name not in SUMMARY_DIMENSIONS:
            return False, None
    summary = KpiDailyCount.__table__

    def to_summary(element):
        if isinstance(element, ColumnClause) and _is_referrals(getattr(element, "table", None)):
            return summary.c[element.name]
        return None

    return True, visitors.replacement_traverse(where, {}, to_summary)


def read_summary(
    db: Db, condition: ColumnElement | None, *, first: dt.date, last: dt.date, measures: tuple[str, ...],
    by: str | None = None,
) -> pd.DataFrame:
    """Stored counts of ``measures`` for clock days ``first``–``last``, summed over the
    dimension rows ``condition`` selects (``None``: every referral, read from the rows
    already summed over all dimensions): one row per measure, day and class; with ``by`` (one
    of :data:`SUMMARY_DIMENSIONS`), per value of that dimension too, in a last column ``by``."""
    t = KpiDailyCount.__table__.c
    if by is not None and by not in SUMMARY_DIMENSIONS:
        raise ValueError(f"the summary is not kept by {by!r}")
    keys = [t[name] for name in (*SUMMARY_KEYS, *([by] if by else []))]
    stmt = (
        select(*keys, *(func.sum(t[name]).label(name) for name in SUMMARY_COUNTS))
        .where(t.day.between(first, last), t.measure.in_(measures))
        .group_by(*keys)
    )
    if condition is None and by is None:
        stmt = stmt.where(t.grain == "all")
    elif condition is None:
        stmt = stmt.where(t.grain == "dimension")
    else:
        stmt = stmt.where(t.grain == "dimension", condition)
    rows = [tuple(row) for row in db.execute(stmt).all()]
    return pd.DataFrame(rows, columns=[*SUMMARY_KEYS, *([by] if by else []), *SUMMARY_COUNTS])


__all__ = [
    "SummaryState",
    "read_summary",
    "summary_condition",
    "summary_is_current",
    "summary_state",
]
