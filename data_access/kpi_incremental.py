"""Keep the stored per-day KPI summary (``kpi_daily_counts``) in step with an import or undo,
inside that change's own transaction, by recomputing only the referrals it touched.

Every summary row is a sum over referrals (their counts per clock day, measure and filter
dimensions), so the change an import makes to the summary is exactly

    (the touched referrals' counts after the change) − (their counts before it)

both computed by the same grouped queries as the full rebuild
(:func:`data_access.kpi_summary.kpi_daily_count_rows`, restricted to those referrals). A
writer that is about to change referrals calls :meth:`SummaryTracker.before_change` with
the ids it will change (their counts are taken while the rows still hold their old values);
:meth:`SummaryTracker.finish`, after the last write and before the commit, adds the counts
of every touched referral (and of every referral the change inserted) as they now are, and
stamps the summary with the new data version. The import commits its rows and the summary
together, or neither.

One thing besides the touched referrals changes stored counts: the as-of date (the latest
data date). A deadline on or after it is read as "seen by the as-of date", so when the as-of
date moves, the rows of every clock day whose deadline reaches the earlier of the two dates
are rebuilt for all referrals (a few weeks of days; :func:`as_of_window_start`). Every other
comparison with the as-of date reads a column whose value can never exceed it.

The tracker does nothing when the summary was not current before the change (no summary, a
stale one, another as-of date): the caller then rebuilds it in full after the commit, as
before. Any inconsistency found while applying the change (a stored row that would go
negative) leaves the summary marked stale, inside a savepoint, so the import still commits
and the figures are computed live until the full rebuild.
"""

from __future__ import annotations

import datetime as dt
import time

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    Integer,
    MetaData,
    Table,
    and_,
    delete,
    func,
    insert,
    inspect,
    literal,
    select,
    true,
    update,
)
from sqlalchemy.engine import Connection

from data_access.kpi_summary import (
    SUMMARY_COUNTS,
    SUMMARY_DIMENSIONS,
    _clock_day_range,
    data_version,
    kpi_daily_count_rows,
)
from data_access.measure_sql import (
    CONCLUDED_DEADLINE_CODE,
    calendar_covers,
    deadline_specs,
    latest_data_date,
    record_event_working_days,
)
from data_access.models import CalendarDay, KpiDailyCount, KpiSummaryState, Referral
from domain.catalogue import kpi

#: A summary row's identity: the measure, the clock day, the row's keys and the dimensions.
ROW_KEY = ("measure", "day", "deadline", "event_kind", "cancelled", "negative_reason", *SUMMARY_DIMENSIONS)

_TEMP = MetaData()
#: Referrals whose counts have been taken out of the summary (before they changed).
TOUCHED = Table("kpi_touched_referrals", _TEMP, Column("id", Integer, primary_key=True), prefixes=["TEMPORARY"])
#: Referrals about to be taken out (the next ``before_change`` set, less those already out).
PENDING = Table("kpi_pending_referrals", _TEMP, Column("id", Integer, primary_key=True), prefixes=["TEMPORARY"])
#: The keys of the rows a change alters, numbered, to find the stored rows in one join.
_counts = KpiDailyCount.__table__.c
CHANGED_KEYS = Table(
    "kpi_changed_keys", _TEMP, Column("key_no", Integer, primary_key=True),
    *(Column(name, _counts[name].type) for name in ROW_KEY), prefixes=["TEMPORARY"],
)
#: Clock days whose all-referral ("all" grain) rows are summed again.
CHANGED_DAYS = Table("kpi_changed_days", _TEMP, Column("day", Date, primary_key=True), prefixes=["TEMPORARY"])


#: PostgreSQL settings for the one join of changed keys to stored rows (see _apply_delta).
_HASH_JOIN = (("enable_nestloop", "off"), ("enable_mergejoin", "off"), ("work_mem", "'128MB'"), ("jit", "off"))


class SummaryDrift(Exception):
    """The stored summary does not hold what the change says it should (never expected)."""


def _create_temp(conn: Connection, table: Table) -> None:
    postgres = conn.dialect.name == "postgresql"
    conn.exec_driver_sql(f"DROP TABLE IF EXISTS {'pg_temp' if postgres else 'temp'}.{table.name}")
    columns = ", ".join(
        f"{c.name} {c.type.compile(conn.dialect)}{' PRIMARY KEY' if c.primary_key else ''}" for c in table.columns
    )
    conn.exec_driver_sql(f"CREATE TEMPORARY TABLE {table.name} ({columns}){' ON COMMIT DROP' if postgres else ''}")


def _drop_temp(conn: Connection, table: Table) -> None:
    postgres = conn.dialect.name == "postgresql"
    conn.exec_driver_sql(f"DROP TABLE IF EXISTS {'pg_temp' if postgres else 'temp'}.{table.name}")


def _as_date(value) -> dt.date | None:
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def as_of_window_start(conn: Connection, as_of: dt.date) -> dt.date | None:
    """The first clock day any of whose deadlines falls on or after ``as_of`` (the rows whose
    "seen by" date is the as-of date); None when no day's deadline reaches it."""
    day, due = CalendarDay.__table__.alias("clock_day"), CalendarDay.__table__.alias("deadline_day")
    spans = {spec.measure.working_days for spec in deadline_specs()}
    spans |= {kpi(CONCLUDED_DEADLINE_CODE).measure.working_days, record_event_working_days()}
    firsts = []
    for span in sorted(spans):
        first = conn.execute(
            select(func.min(day.c.day)).join_from(day, due, and_(
                due.c.working_days_to_date == day.c.working_days_to_date + span, due.c.is_working == true(),
            )).where(due.c.day >= as_of)
        ).scalar()
        if first is not None:
            firsts.append(_as_date(first))
    return min(firsts) if firsts else None


def _add(delta: dict[tuple, list[int]], rows: list[dict], sign: int) -> None:
    for row in rows:
        key = tuple(row[name] for name in ROW_KEY)
        total = delta.setdefault(key, [0] * len(SUMMARY_COUNTS))
        for i, name in enumerate(SUMMARY_COUNTS):
            total[i] += sign * int(row[name])


class SummaryTracker:
    """Carries the summary through one transaction's changes to referrals (module docstring).

    Create it on the writing connection before the first write of the transaction;
    ``active`` is False when the summary was not current, and every method is then a no-op.
    On PostgreSQL it locks ``referrals`` against other writers (as the Refer and Monitor import
    does) and the summary's state row, so two imports never interleave their deltas.
    """

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.active = False
        self.seconds = 0.0
        self.delta: dict[tuple, list[int]] = {}
        #: Seconds spent per step (the benchmarks print them).
        self.phases: dict[str, float] = {}
        started = time.perf_counter()
        if not inspect(conn).has_table(KpiSummaryState.__tablename__):
            return
        state_table = KpiSummaryState.__table__
        query = select(state_table.c.as_of, state_table.c.data_version, state_table.c.first_day,
                       state_table.c.last_day).where(state_table.c.id == 1)
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("LOCK TABLE referrals IN SHARE ROW EXCLUSIVE MODE")
            query = query.with_for_update()
        state = conn.execute(query).first()
        if state is None or state.data_version != data_version(conn):
            return
        as_of = _as_date(state.as_of)
        if as_of != latest_data_date(conn, select(Referral.__table__)):
            return
        self.as_of, self.first, self.last = as_of, _as_date(state.first_day), _as_date(state.last_day)
        #: Referrals above this id are new: their counts are added at the end.
        self.max_id = conn.execute(select(func.max(Referral.__table__.c.id))).scalar() or 0
        _create_temp(conn, TOUCHED)
        _create_temp(conn, PENDING)
        self.active = True
        self.seconds += time.perf_counter() - started

    def _timed(self, phase: str, started: float) -> None:
        self.phases[phase] = self.phases.get(phase, 0.0) + time.perf_counter() - started

    def _counts_of(self, ids, *, as_of: dt.date, first: dt.date, last: dt.date) -> list[dict]:
        referrals = select(Referral.__table__).where(Referral.__table__.c.id.in_(ids))
        return kpi_daily_count_rows(self.conn, as_of=as_of, first=first, last=last, referrals=referrals,
                                    totals=False)

    def before_change(self, ids) -> None:
        """Take out of the summary the referrals ``ids`` (a one-column SELECT of referral ids)
        names, as they are now, unless already taken out; call before changing them."""
        if not self.active:
            return
        started = time.perf_counter()
        conn = self.conn
        column = list(ids.selected_columns)[0]
        fresh = ids.where(column.is_not(None), column.not_in(select(TOUCHED.c.id))).distinct()
        conn.execute(insert(PENDING).from_select(["id"], fresh))
        if conn.execute(select(func.count()).select_from(PENDING)).scalar():
            if conn.dialect.name == "postgresql":
                conn.exec_driver_sql(f"ANALYZE {PENDING.name}")
            counted = time.perf_counter()
            _add(self.delta, self._counts_of(select(PENDING.c.id), as_of=self.as_of, first=self.first,
                                             last=self.last), -1)
            self._timed("count touched referrals before", counted)
            conn.execute(insert(TOUCHED).from_select(["id"], select(PENDING.c.id)))
            conn.execute(delete(PENDING))
        self.seconds += time.perf_counter() - started

    def finish(self) -> bool:
        """Add every touched and every new referral's counts as they now are, store the
        change and stamp the summary current. Returns True when the summary is current."""
        if not self.active:
            return False
        started = time.perf_counter()
        conn = self.conn
        self.active = False
        try:
            with conn.begin_nested():
                self._apply()
            ok = True
        except SummaryDrift:
            conn.execute(delete(KpiSummaryState))  # stale: answered live until rebuilt in full
            ok = False
        for table in (TOUCHED, PENDING, CHANGED_KEYS, CHANGED_DAYS):
            _drop_temp(conn, table)
        self.seconds += time.perf_counter() - started
        return ok

    def _apply(self) -> None:
        conn = self.conn
        r = Referral.__table__.c
        conn.execute(insert(TOUCHED).from_select(
            ["id"], select(r.id).where(r.id > self.max_id, r.id.not_in(select(TOUCHED.c.id))),
        ))
        as_of = latest_data_date(conn, select(Referral.__table__))
        first, last = _clock_day_range(conn)
        if as_of is None or first is None or not calendar_covers(conn, first, last):
            # Nothing left to summarise, or the calendar does not reach the new data: no
            # summary (every query is answered live; the full rebuild after says why).
            raise SummaryDrift("no summary can be built for the data as it now is")
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"ANALYZE {TOUCHED.name}")
        step = time.perf_counter()
        if conn.execute(select(TOUCHED.c.id).limit(1)).first() is not None:
            _add(self.delta, self._counts_of(select(TOUCHED.c.id), as_of=as_of, first=first, last=last), +1)
        self._timed("count touched referrals after", step)
        window = None
        if as_of != self.as_of:
            window = as_of_window_start(conn, min(as_of, self.as_of))
        table = KpiDailyCount.__table__
        c = table.c
        days = {key[1] for key, counts in self.delta.items() if any(counts)}
        step = time.perf_counter()
        if window is not None:
            # Every referral's rows for these days depend on the as-of date: rebuilt whole.
            self.delta = {key: counts for key, counts in self.delta.items() if _as_date(key[1]) < window}
            conn.execute(delete(table).where(c.grain == "dimension", c.day >= window))
            rows = kpi_daily_count_rows(conn, as_of=as_of, first=window, last=max(last, window), totals=False)
            for row in rows:
                row["grain"] = "dimension"
            for at in range(0, len(rows), 20_000):
                conn.execute(insert(table), rows[at:at + 20_000])
            days = {day for day in days if _as_date(day) < window}
        self._timed(f"rebuild days from {window} (as-of date moved)", step)
        step = time.perf_counter()
        self._apply_delta()
        self._timed("store the changed rows", step)
        step = time.perf_counter()
        # The all-referral rows of every changed day: summed again from the dimension rows.
        _create_temp(conn, CHANGED_DAYS)
        if days:
            conn.execute(insert(CHANGED_DAYS), [{"day": day} for day in days])
        changed = c.day.in_(select(CHANGED_DAYS.c.day))
        if window is not None:
            changed = changed | (c.day >= window)
        conn.execute(delete(table).where(c.grain == "all", changed))
        keys = [c[name] for name in ROW_KEY if name not in SUMMARY_DIMENSIONS]
        sums = select(literal("all"), *keys, *(func.sum(c[name]) for name in SUMMARY_COUNTS)).where(
            c.grain == "dimension", changed).group_by(*keys)
        conn.execute(insert(table).from_select(
            ["grain", *(k.name for k in keys), *SUMMARY_COUNTS], sums))
        self._timed("re-sum the all-referral rows of changed days", step)
        rows_now = conn.execute(select(func.count()).select_from(table)).scalar()
        version = data_version(conn)
        conn.execute(update(KpiSummaryState.__table__).where(KpiSummaryState.__table__.c.id == 1).values(
            as_of=as_of, data_version=version, first_day=first, last_day=last, rows=rows_now,
            refreshed_at=dt.datetime.now(dt.UTC).replace(tzinfo=None), seconds=self.seconds,
        ))

    def _apply_delta(self) -> None:
        """Add the per-row changes to the stored dimension rows: update those held, delete
        those left empty, insert new ones. (Tens of thousands of rows go through the driver's
        executemany: SQLAlchemy's per-row parameter handling cost more than the database.)"""
        conn = self.conn
        changes = [(key, counts) for key, counts in self.delta.items() if any(counts)]
        if not changes:
            return
        step = time.perf_counter()
        _create_temp(conn, CHANGED_KEYS)
        plain = _plain_values(conn)
        _executemany(conn, CHANGED_KEYS.name, ["key_no", *ROW_KEY],
                     [(i, *plain(key)) for i, (key, _) in enumerate(changes)])
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"ANALYZE {CHANGED_KEYS.name}")
        table = KpiDailyCount.__table__
        held: dict[int, tuple[int, list[int]]] = {}
        postgres = conn.dialect.name == "postgresql"
        if postgres:
            # Hash the changed keys and read the stored rows once: the planner otherwise loops
            # over the keys with an index scan each (38.8 s for 97,000 keys at 100,000
            # referrals, against 2.3 s hashed). For this statement only.
            for name, value in _HASH_JOIN:
                conn.exec_driver_sql(f"SET LOCAL {name} = {value}")
        for key_no, row_id, *counts in conn.exec_driver_sql(_stored_rows_sql(conn)):
            if key_no in held:
                raise SummaryDrift("two stored rows share one key")
            held[key_no] = (row_id, counts)
        if postgres:
            for name, _ in _HASH_JOIN:
                conn.exec_driver_sql(f"SET LOCAL {name} TO DEFAULT")
        self._timed(f"  find the stored rows of {len(changes):,} changed keys", step)
        step = time.perf_counter()
        updates, deletes, inserts = [], [], []
        zero = [0] * len(SUMMARY_COUNTS)
        for key_no, (key, change) in enumerate(changes):
            row_id, counts = held.get(key_no, (None, zero))
            new = [a + b for a, b in zip(counts, change)]
            if min(new) < 0:
                raise SummaryDrift(f"a stored count would go negative for {key}")
            if new[0] == 0:  # n: no referral left in the row
                if any(new):
                    raise SummaryDrift(f"counts without cases for {key}")
                if row_id is not None:
                    deletes.append((row_id,))
            elif row_id is None:
                inserts.append(("dimension", *plain(key), *new))
            else:
                updates.append((*new, row_id))
        mark = "%s" if conn.dialect.name == "postgresql" else "?"
        cursor = conn.connection.driver_connection.cursor()
        try:
            if updates:
                assignments = ", ".join(f"{name} = {mark}" for name in SUMMARY_COUNTS)
                cursor.executemany(f"UPDATE {table.name} SET {assignments} WHERE id = {mark}", updates)
            if deletes:
                cursor.executemany(f"DELETE FROM {table.name} WHERE id = {mark}", deletes)
        finally:
            cursor.close()
        if inserts:
            _executemany(conn, table.name, ["grain", *ROW_KEY, *SUMMARY_COUNTS], inserts)
        self._timed(f"  write {len(updates):,} updates, {len(deletes):,} deletes, {len(inserts):,} inserts", step)


def _stored_rows_sql(conn: Connection) -> str:
    """SQL: each changed key's number with the id and counts of the stored dimension row of
    that key, if any. NULLs match NULLs: plain equality of filled-in values (a value no stored
    row holds), so PostgreSQL can hash the changed keys (IS NOT DISTINCT FROM would force a
    nested loop over every stored row); on SQLite the CROSS JOIN makes the changed keys the
    outer loop, each reading its (day, measure) run of the stored rows from their index."""
    table = KpiDailyCount.__table__
    match = ["c.grain = 'dimension'", "c.measure = k.measure", "c.day = k.day", "c.deadline = k.deadline"]
    for name in ROW_KEY[3:]:
        column_type = table.c[name].type
        if isinstance(column_type, Boolean):
            fill = "COALESCE(CAST({}.{} AS INTEGER), -1)"
        elif isinstance(column_type, Integer):
            fill = "COALESCE({}.{}, -1)"
        else:
            fill = "COALESCE({}.{}, '~null~')"
        match.append(f"{fill.format('c', name)} = {fill.format('k', name)}")
    counts = ", ".join(f"c.{name}" for name in SUMMARY_COUNTS)
    if conn.dialect.name == "sqlite":
        return (f"SELECT k.key_no, c.id, {counts} FROM {CHANGED_KEYS.name} AS k CROSS JOIN {table.name} AS c "
                f"WHERE {' AND '.join(match)}")
    return (f"SELECT k.key_no, c.id, {counts} FROM {CHANGED_KEYS.name} AS k JOIN {table.name} AS c "
            f"ON {' AND '.join(match)}")


def _plain_values(conn: Connection):
    """A function turning a row key into values the driver takes as they are (SQLite stores
    dates as ISO text, as SQLAlchemy's Date type writes them)."""
    if conn.dialect.name == "postgresql":
        return tuple

    def plain(key: tuple) -> tuple:
        return tuple(v.isoformat() if isinstance(v, dt.date) else v for v in key)

    return plain


def _executemany(conn: Connection, table_name: str, columns: list[str], rows: list[tuple]) -> None:
    """INSERT ``rows`` through the driver (on the connection's own transaction)."""
    if not rows:
        return
    mark = "%s" if conn.dialect.name == "postgresql" else "?"
    sql = f"INSERT INTO {table_name} ({', '.join(columns)}) VALUES ({', '.join([mark] * len(columns))})"
    cursor = conn.connection.driver_connection.cursor()
    try:
        cursor.executemany(sql, rows)
    finally:
        cursor.close()


__all__ = ["ROW_KEY", "SummaryDrift", "SummaryTracker", "as_of_window_start"]
