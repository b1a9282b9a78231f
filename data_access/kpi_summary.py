"""Rebuild the per-day KPI summary (``kpi_daily_counts``) after the data changes.

``refresh_kpi_summary(engine)`` is called at the end of ``data_access.demo.seed_demo`` and
after every import that wrote referrals (``data_access.cli_import.run_import``). It lives
here, not in ``metrics/``, because it owns a connection and a transaction and writes a
table, which ``metrics`` never does (STYLE.md: metrics are pure; data_access owns the
schema, sessions and imports). What it writes is computed by ``metrics.queries`` with the
same grouped queries the live scorecard runs, so there is one definition of every flag.

A summary built for one as-of date (the latest data date) and stamped with the data version
it was built from; ``metrics.queries`` uses it only while both still hold, and otherwise
aggregates live, so a missed or failed refresh costs speed, never correctness.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

from sqlalchemy import Engine, delete, func, insert, inspect, select

from data_access.models import KpiDailyCount, KpiSummaryState, RecordEvent, Referral
from metrics.queries import COHORT_DATE_COLUMNS, calendar_covers, kpi_daily_count_rows, latest_data_date
from metrics.summary import data_version

#: Rows per INSERT batch.
_CHUNK = 20_000


@dataclass(frozen=True)
class SummaryRefresh:
    """What a refresh did: ``built`` is False when there is nothing to summarise (no data,
    or the calendar does not cover it), in which case every query is answered live."""

    built: bool
    as_of: dt.date | None
    rows: int
    seconds: float
    reason: str = ""


def _as_date(value) -> dt.date | None:
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def _clock_day_range(conn) -> tuple[dt.date | None, dt.date | None]:
    """First and last day that starts any measure's clock (each read from an index)."""
    r = Referral.__table__.c
    e = RecordEvent.__table__.c
    bounds = [func.min(r[name]) for name in COHORT_DATE_COLUMNS] + [func.max(r[name]) for name in COHORT_DATE_COLUMNS]
    row = conn.execute(select(*(select(b).scalar_subquery() for b in bounds))).one()
    events = conn.execute(select(func.min(e.occurred_on), func.max(e.occurred_on))).one()
    firsts = [_as_date(v) for v in (*row[: len(COHORT_DATE_COLUMNS)], events[0]) if v is not None]
    lasts = [_as_date(v) for v in (*row[len(COHORT_DATE_COLUMNS):], events[1]) if v is not None]
    return (min(firsts), max(lasts)) if firsts else (None, None)


def refresh_kpi_summary(engine: Engine) -> SummaryRefresh:
    """Replace the summary with one for the current data and its latest data date.

    One transaction (REPEATABLE READ on PostgreSQL, so the version stamped and the counts
    stored describe the same snapshot): readers see the old summary or the new one, never a
    half-written table. Idempotent; safe to call when nothing changed.
    """
    started = time.perf_counter()
    if not inspect(engine).has_table(KpiDailyCount.__tablename__):
        return SummaryRefresh(False, None, 0, 0.0, "the database has no kpi_daily_counts table (run migrations)")
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            version = data_version(conn)
            conn.execute(delete(KpiSummaryState))
            conn.execute(delete(KpiDailyCount))
            as_of = latest_data_date(conn, select(Referral.__table__))
            first, last = _clock_day_range(conn)
            if as_of is None or first is None:
                return SummaryRefresh(False, None, 0, time.perf_counter() - started, "no referrals")
            if not calendar_covers(conn, first, last):
                return SummaryRefresh(False, as_of, 0, time.perf_counter() - started,
                                      "calendar_days does not cover the data (run data_access init)")
            rows = kpi_daily_count_rows(conn, as_of=as_of, first=first, last=last)
            table = KpiDailyCount.__table__
            for at in range(0, len(rows), _CHUNK):
                conn.execute(insert(table), rows[at:at + _CHUNK])
            seconds = time.perf_counter() - started
            conn.execute(insert(KpiSummaryState.__table__).values(
                id=1, as_of=as_of, data_version=version, first_day=first, last_day=last, rows=len(rows),
                refreshed_at=dt.datetime.now(dt.UTC).replace(tzinfo=None), seconds=seconds,
            ))
    return SummaryRefresh(True, as_of, len(rows), seconds)


def refresh_after_change(engine: Engine) -> list[str]:
    """Rebuild the summary after referral data changed (an import or an undo). The change
    itself stands if the rebuild fails: the figures are then computed live, more slowly, and
    the returned notice says so."""
    try:
        refresh_kpi_summary(engine)
    except Exception as exc:  # noqa: BLE001 - reported to the user; correctness does not depend on it
        return [f"KPI summary not rebuilt ({exc.__class__.__name__}); figures are computed live, more slowly, "
                "until the next refresh"]
    return []


__all__ = ["SummaryRefresh", "refresh_after_change", "refresh_kpi_summary"]
