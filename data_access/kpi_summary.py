"""Rebuild the per-day KPI summary (``kpi_daily_counts``) after the data changes.

``refresh_kpi_summary(engine)`` is called at the end of ``data_access.demo.seed_demo`` and
after every import that wrote referrals (``data_access.cli_import.run_import``). It lives
here, not in ``metrics/``, because it owns a connection and a transaction and writes a
table, which ``metrics`` never does (STYLE.md: metrics are pure; data_access owns the
schema, sessions and imports). What it writes is counted by the grouped queries of
:mod:`data_access.measure_sql`, generated from the catalogue's measure entries, which the
live scorecard (``metrics.queries``) runs too: there is one definition of every flag.

A summary built for one as-of date (the latest data date) and stamped with the data version
it was built from; ``metrics.queries`` uses it only while both still hold, and otherwise
aggregates live, so a missed or failed refresh costs speed, never correctness.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from dataclasses import dataclass
from functools import lru_cache

import pandas as pd
from sqlalchemy import Engine, delete, func, insert, inspect, select

from data_access.db import analyze
from data_access.measure_sql import (
    COHORT_DATE_COLUMNS,
    CONCLUDED_FLAGS,
    DEADLINE_FLAGS,
    Db,
    calendar_covers,
    clock_groups,
    concluded_classes,
    concluded_query,
    deadline_query,
    dialect_name,
    execute,
    latest_data_date,
    record_events_query,
)
from data_access.models import (
    CalendarDay,
    ImportBatch,
    KpiDailyCount,
    KpiSummaryState,
    RecordEvent,
    Referral,
)
from data_access.reference import end_reason_classes
from domain import catalogue

#: Rows per INSERT batch.
_CHUNK = 20_000


#: The referral columns the summary is keyed by: every column the access scopes and the
#: sidebar filters test (data_access.scoping.apply_scope / apply_filters; PDU and region are
#: reached through demand_unit_id and contract_id).
SUMMARY_DIMENSIONS = ("demand_unit_id", "borough_id", "hub_id", "contract_id", "provider_id", "complexity")

#: The per-row keys besides the dimensions, and the summed counts.
SUMMARY_KEYS = ("measure", "day", "deadline", "event_kind", "cancelled", "negative_reason")
SUMMARY_COUNTS = (
    "n", "met", "mitigable", "ended_if_due", "ended_if_not_due", "same_day", "positive", "positive_same_day",
    "negative_if_reason", "negative_if_reason_same_day", "eosr", "eosr_outcome", "met_shared",
)

#: Bump when the flags data_access.measure_sql counts change meaning: every stored summary is then stale.
SUMMARY_FORMAT = 1

#: Import kinds that never touch referrals or record events (they do not outdate the summary).
_NON_REFERRAL_IMPORT_KINDS = ("epop-plan",)


@lru_cache(maxsize=1)
def rules_fingerprint() -> str:
    """A short hash of the rules baked into stored counts (every catalogue entry's measure:
    clocks, events, working-day windows, cohort filters, record-event kinds; the end-reason
    classes), so a change to a measure in the catalogue outdates the summary."""
    parts = (
        SUMMARY_FORMAT,
        [(k.code, k.measure) for k in catalogue.KPI_CATALOGUE],  # read now, not frozen at import
        sorted(tuple(r) for r in catalogue.END_REASONS),
    )
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]


def data_version(db: Db) -> str:
    """What the stored counts were computed from, in one cheap query (indexes and small tables).

    Referrals: highest id (every insert raises it; the only delete is an undo, counted below;
    not their count, which reads every row and is asked by every scorecard); record
    events: highest id (they are only added with referrals, and removed by an undo);
    import batches that touch referrals: highest id (every import that updates rows in place
    makes one) and the number undone (an undo restores rows); the calendar: its row count and
    the sum of its working-day counts (a new bank holiday shifts every later count).
    """
    r, e, b, cd = (t.__table__.c for t in (Referral, RecordEvent, ImportBatch, CalendarDay))
    referral_batches = b.kind.not_in(_NON_REFERRAL_IMPORT_KINDS)
    parts = select(
        select(func.max(r.id)).scalar_subquery(),
        select(func.max(e.id)).scalar_subquery(),
        select(func.max(b.id)).where(referral_batches).scalar_subquery(),
        select(func.count()).where(referral_batches, b.status == "undone").scalar_subquery(),
        select(func.count()).select_from(CalendarDay.__table__).scalar_subquery(),
        select(func.sum(cd.working_days_to_date)).scalar_subquery(),
    )
    max_referral, max_event, max_batch, undone, days, day_sum = db.execute(parts).one()
    # The stored "negative_reason" flags follow the end-reason table an admin may edit.
    reasons = hashlib.sha256(repr(end_reason_classes(db).fingerprint()).encode()).hexdigest()[:12]
    return (f"referrals={max_referral};record_events={max_event};batches={max_batch}/{undone};"
            f"calendar={days}/{day_sum};rules={rules_fingerprint()};end_reasons={reasons}")


def kpi_daily_count_rows(db: Db, *, as_of: dt.date, first: dt.date, last: dt.date, referrals=None,
                         totals: bool = True) -> list[dict]:
    """Rows for ``kpi_daily_counts``: every referral's counts for clock days ``first``–``last``.

    ``referrals`` (a SELECT of whole referral rows) restricts the counts to those referrals;
    ``totals=False`` leaves out the all-referral ("all" grain) rows and the ``grain`` key
    (what :mod:`data_access.kpi_incremental` adds to or takes from the stored rows).

    The same grouped queries as the live scorecard (so the same flags, by the same SQL),
    grouped in addition by :data:`SUMMARY_DIMENSIONS`. Concluded referrals'
    end state and reason are classified here, once, by the same functions the live path uses
    (:func:`data_access.measure_sql.concluded_classes`), and summed per class. Only reads; the caller writes.
    """
    r = Referral.__table__.c
    every = select(Referral.__table__) if referrals is None else referrals
    dims = [r[name] for name in SUMMARY_DIMENSIONS]
    unused = dict.fromkeys(SUMMARY_COUNTS, 0)
    rows: list[dict] = []

    def dimensions(values: dict) -> dict:
        return {name: values[name] for name in SUMMARY_DIMENSIONS}

    for specs in clock_groups():
        stmt = deadline_query(every, specs, first=first, last=last, as_of=as_of, ids=False, keys=dims)
        names = list(stmt.selected_columns.keys())
        for row in execute(db, stmt):
            values = dict(zip(names, row))
            for spec in specs:
                rows.append({
                    **unused, "measure": spec.code, "day": values["day"],
                    "deadline": values[f"{spec.code}:deadline"], "event_kind": None, "cancelled": None,
                    "negative_reason": None, **dimensions(values), "n": values["n"],
                    **{flag: values[f"{spec.code}:{flag}"] for flag in DEADLINE_FLAGS},
                })

    stmt = concluded_query(every, first=first, last=last, as_of=as_of, ids=False,
                            postgresql=dialect_name(db) == "postgresql", keys=dims)
    names = list(stmt.selected_columns.keys())
    # Plain dicts, not a frame: a frame would turn a NULL dimension id into a float NaN.
    concluded = [dict(zip(names, row)) for row in execute(db, stmt)]
    cancelled, negative_reason = concluded_classes(pd.DataFrame({
        "end_state": [values["end_state"] for values in concluded],
        "end_reason": [values["end_reason"] for values in concluded],
    }), end_reason_classes(db))
    sums: dict[tuple, list[int]] = {}
    counted = ("n", *CONCLUDED_FLAGS)
    for values, is_cancelled, is_negative in zip(concluded, cancelled, negative_reason):
        key = (values["day"], values["deadline"], *(values[name] for name in SUMMARY_DIMENSIONS),
               bool(is_cancelled), bool(is_negative))
        total = sums.setdefault(key, [0] * len(counted))
        for i, name in enumerate(counted):
            total[i] += int(values[name])
    for (day, deadline, *rest), total in sums.items():
        *dimension_values, is_cancelled, is_negative = rest
        rows.append({
            **unused, "measure": "concluded", "day": day, "deadline": deadline, "event_kind": None,
            "cancelled": is_cancelled, "negative_reason": is_negative,
            **dict(zip(SUMMARY_DIMENSIONS, dimension_values)), **dict(zip(counted, total)),
        })

    stmt = record_events_query(every, first=first, last=last, as_of=as_of, ids=False, keys=dims)
    names = list(stmt.selected_columns.keys())
    for row in execute(db, stmt):
        values = dict(zip(names, row))
        rows.append({
            **unused, "measure": "record_events", "day": values["day"], "deadline": values["deadline"],
            "event_kind": values["kind"], "cancelled": None, "negative_reason": None, **dimensions(values),
            "n": values["n"], "met": values["met"], "met_shared": values["met_shared"],
        })
    if not totals:
        return rows
    # The same counts summed over every dimension, for queries that select every referral.
    totals: dict[tuple, dict] = {}
    for row in rows:
        key = (row["measure"], row["day"], row["deadline"], row["event_kind"], row["cancelled"],
               row["negative_reason"])
        total = totals.get(key)
        if total is None:
            totals[key] = {**row, **dict.fromkeys(SUMMARY_DIMENSIONS), "grain": "all"}
        else:
            for name in SUMMARY_COUNTS:
                total[name] += row[name]
    for row in rows:
        row["grain"] = "dimension"
    rows.extend(totals.values())
    # Stored in the order they are read (grain, day), so a date range is a contiguous run.
    rows.sort(key=lambda row: (row["grain"], row["day"], row["measure"]))
    return rows


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


def summary_is_current(engine: Engine) -> bool:
    """True when the stored summary describes the data as it is (its data version and as-of
    date), e.g. because the import that changed the data refreshed it incrementally
    (:mod:`data_access.kpi_incremental`)."""
    if not inspect(engine).has_table(KpiSummaryState.__tablename__):
        return False
    s = KpiSummaryState.__table__.c
    with engine.connect() as conn:
        state = conn.execute(select(s.as_of, s.data_version).where(s.id == 1)).first()
        return (state is not None and state.data_version == data_version(conn)
                and _as_date(state.as_of) == latest_data_date(conn, select(Referral.__table__)))


def refresh_after_change(engine: Engine) -> list[str]:
    """Rebuild the summary after referral data changed (an import or an undo), unless the
    change already refreshed it in its own transaction (:mod:`data_access.kpi_incremental`),
    then refresh the query planner's statistics (``data_access.db.analyze``). The change
    itself stands if either fails: the figures are then computed live, or planned less well,
    more slowly, and the returned notice says so."""
    notices = []
    try:
        if not summary_is_current(engine):
            refresh_kpi_summary(engine)
    except Exception as exc:  # noqa: BLE001 - reported to the user; correctness does not depend on it
        notices.append(f"KPI summary not rebuilt ({exc.__class__.__name__}); figures are computed live, more "
                       "slowly, until the next refresh")
    try:
        analyze(engine)  # planner statistics for the changed tables and the new summary
    except Exception as exc:  # noqa: BLE001 - statistics make queries faster, never different
        notices.append(f"Query planner statistics not refreshed ({exc.__class__.__name__}); queries may be slower")
    return notices


__all__ = [
    "SUMMARY_COUNTS",
    "SUMMARY_DIMENSIONS",
    "SUMMARY_KEYS",
    "SummaryRefresh",
    "data_version",
    "kpi_daily_count_rows",
    "refresh_after_change",
    "refresh_kpi_summary",
    "rules_fingerprint",
    "summary_is_current",
]
