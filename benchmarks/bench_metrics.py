"""Benchmark the metrics layer (figures for the note; timing is not a test).

    DASHBOARD_DATABASE_URL=sqlite:////tmp/metrics_bench_1m.db python benchmarks/bench_metrics.py
    python benchmarks/bench_metrics.py --url sqlite:////tmp/a.db --url postgresql://…/bench

For each database and each path (``summary``: the stored per-day counts in kpi_daily_counts;
``live``: the grouped queries over referrals, ``use_summary=False``): the scorecard for one
quarter, all of GM (cold, then warm: best and median of repeats); the monthly series of every
case KPI over the whole period plus an XmR chart for each; peak resident memory; and the same
DS2/DS3/KP6/DS5/SL002 aggregates written as one hand-written SQL query (a temporary
working-day calendar table joined to each event date) as the floor to compare with. Each
figure is printed with the machine's load average (``os.getloadavg``), since the benchmark
machine is shared. ``--refresh`` rebuilds the summary first and reports how long that took
(creating its tables in a database seeded before they existed). Ends with a one-line-per-
database-and-path summary. Databases seeded before the calendar and covering indexes existed
need ``python -m data_access init`` (calendar) and the indexes in data_access.models created.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from data_access.db import make_engine  # noqa: E402
from data_access.kpi_summary import refresh_kpi_summary  # noqa: E402
from data_access.models import KpiDailyCount, KpiSummaryState  # noqa: E402
from data_access.scoping import analyst_scope, referrals_select  # noqa: E402
from domain.catalogue import kpi  # noqa: E402
from domain.dates import working_day_calendar  # noqa: E402
from domain.end_reasons import default_end_reasons, reason_key  # noqa: E402
from metrics.queries import _as_of_and_summary, latest_data_date, monthly_series, scorecard  # noqa: E402
from metrics.spc import xmr  # noqa: E402


def timed(fn, repeats: int = 5):
    times = []
    result = None
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return result, times


def load() -> str:
    """The 1, 5 and 15 minute load averages (the machine is shared: read figures against it)."""
    return "load {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ---- the hand-written SQL floor --------------------------------------------------------------


def build_calendar(conn, first: dt.date, last: dt.date) -> None:
    """TEMP table wd(day, upto, before): working days ≤ day and < day (E&W calendar)."""
    days = np.arange(np.datetime64(first, "D"), np.datetime64(last, "D") + 1)
    working = np.is_busday(days, busdaycal=working_day_calendar())
    upto = np.cumsum(working)
    before = upto - working
    conn.execute(text("DROP TABLE IF EXISTS wd"))
    conn.execute(text("CREATE TEMP TABLE wd (day DATE PRIMARY KEY, upto INTEGER, before_ INTEGER)"))
    conn.execute(
        text("INSERT INTO wd (day, upto, before_) VALUES (:d, :u, :b)"),
        [{"d": d.astype(dt.date), "u": int(u), "b": int(b)} for d, u, b in zip(days, upto, before)],
    )


def _deadline_block(code: str, clock: str, event: str, n: int, miss: str | None = None, extra: str = "1=1") -> str:
    k = f"(c_{clock}.upto + {n})"
    met = f"(r.{event} IS NOT NULL AND r.{event} <= :as_of AND c_{event}.before_ < {k})"
    due = f"(:as_of_before >= {k})"
    mit = f"(NOT {met} AND {due} AND r.{miss} IS NOT NULL AND r.{miss} <= :as_of AND c_{miss}.before_ < {k})" if miss else "(1=0)"
    meets = f"({met} OR {mit})"
    excl = f"(NOT {meets} AND r.concluded_on IS NOT NULL AND r.concluded_on <= :as_of AND c_concluded_on.before_ < {k})"
    cohort = f"(r.{clock} BETWEEN :start AND :end AND r.{clock} <= :as_of AND {extra})"
    counted = f"({cohort} AND ({due} OR {meets}) AND NOT {excl})"
    return (
        f"SUM(CASE WHEN {counted} AND {meets} THEN 1 ELSE 0 END) AS {code}_num, "
        f"SUM(CASE WHEN {counted} THEN 1 ELSE 0 END) AS {code}_den"
    )


def floor_sql() -> str:
    joined = [
        "received_on", "saa_first_attended_on", "saa_first_not_attended_on",
        "action_plan_submitted_on", "action_plan_approved_on", "first_session_on", "concluded_on",
    ]
    joins = " ".join(f"LEFT JOIN wd c_{c} ON c_{c}.day = r.{c}" for c in joined)
    reason = "lower(replace(coalesce(r.end_requested_by_pp_reason, ''), ' ', ''))"
    # The negative end reasons of the reviewed table (Decision 9), as keys and as codes.
    negatives = default_end_reasons().negative_descriptions()
    negative_reasons = ", ".join(sorted({f"'{reason_key(d)}'" for d in negatives}
                                        | {f"'{r.code.lower()}'" for r in default_end_reasons().reasons
                                           if r.sl002_class == "negative"}))
    in_month = "(r.concluded_on BETWEEN :start AND :end AND r.concluded_on <= :as_of)"
    b = f"({in_month} AND NOT (r.referral_end_state = 'cancelled' AND r.received_on = r.concluded_on))"
    a = f"({b} AND r.first_session_on IS NOT NULL AND r.first_session_on <= r.concluded_on)"
    neg = (f"({b} AND NOT {a} AND r.action_plan_approved_on IS NOT NULL AND r.action_plan_approved_on <= :as_of "
           f"AND {reason} IN ({negative_reasons}))")
    ds5 = "(r.concluded_on BETWEEN :start AND :end AND r.eosr_submitted_on IS NOT NULL AND r.eosr_submitted_on <= :as_of)"
    return f"""
    SELECT {_deadline_block('ds2', 'received_on', 'saa_first_attended_on', 10, 'saa_first_not_attended_on')},
           {_deadline_block('ds3', 'saa_first_attended_on', 'action_plan_submitted_on', 5)},
           {_deadline_block('kp6', 'action_plan_approved_on', 'first_session_on', 10, extra="(r.suitable IS NULL OR r.suitable = :yes)")},
           SUM(CASE WHEN {ds5} AND coalesce(r.outcomes_achieved, 0) > 0 THEN 1 ELSE 0 END) AS ds5_num,
           SUM(CASE WHEN {ds5} THEN 1 ELSE 0 END) AS ds5_den,
           SUM(CASE WHEN {a} THEN 1 ELSE 0 END) AS sl002_num,
           SUM(CASE WHEN {a} OR {neg} THEN 1 ELSE 0 END) AS sl002_den
    FROM referrals r {joins}
    WHERE (r.received_on BETWEEN :start AND :end OR r.saa_first_attended_on BETWEEN :start AND :end
           OR r.action_plan_approved_on BETWEEN :start AND :end OR r.concluded_on BETWEEN :start AND :end)
    """


# ---- main ------------------------------------------------------------------------------------


def latest_full_quarter(as_of: dt.date) -> tuple[dt.date, dt.date]:
    q_start_month = 3 * ((as_of.month - 1) // 3) + 1
    this_q = dt.date(as_of.year, q_start_month, 1)
    end = this_q - dt.timedelta(days=1)
    start = dt.date(end.year, 3 * ((end.month - 1) // 3) + 1, 1)
    return start, end


def refresh(engine) -> float:
    """Rebuild the per-day summary (creating its tables if the database predates them)."""
    for table in (KpiDailyCount.__table__, KpiSummaryState.__table__):
        table.create(engine, checkfirst=True)
    print(f"refreshing the KPI summary ({load()}) ...", flush=True)
    result = refresh_kpi_summary(engine)
    print(f"summary refresh: {result.seconds:.1f} s, {result.rows:,} rows, as of {result.as_of} "
          f"{result.reason} ({load()})")
    return result.seconds


def bench(url: str, repeats: int, *, paths: tuple[str, ...], rebuild: bool) -> list[dict]:
    engine = make_engine(url)
    stmt = referrals_select(analyst_scope())
    print(f"\n== {engine.dialect.name}: {engine.url.render_as_string(hide_password=True)}")
    refresh_seconds = refresh(engine) if rebuild else None
    out = []
    with engine.connect() as conn:
        n = conn.execute(text("SELECT count(*) FROM referrals")).scalar_one()
        first = conn.execute(text("SELECT min(received_on) FROM referrals")).scalar_one()
        first = dt.date.fromisoformat(first) if isinstance(first, str) else first
        as_of = latest_data_date(conn, stmt)
        start, end = latest_full_quarter(as_of)
        print(f"referrals: {n:,}; data {first} to {as_of}; quarter {start} to {end}")
        has_summary = _as_of_and_summary(conn, stmt, as_of)[1] is not None
        print(f"summary current for {as_of}: {'yes' if has_summary else 'no (the summary path would run live)'}")

        cards = {}
        for path in paths:
            use_summary = path == "summary"
            if use_summary and not has_summary:
                print("summary path skipped: no current summary (run with --refresh)")
                continue

            def card_now():
                return scorecard(conn, stmt, start=start, end=end, as_of=as_of, use_summary=use_summary)

            t0 = time.perf_counter()
            card = card_now()
            cold = time.perf_counter() - t0
            _, warm = timed(card_now, repeats)
            cards[path] = card
            print(f"[{path}] scorecard, one quarter, all GM: cold {cold:.3f} s; warm best {min(warm):.3f} s, "
                  f"median {statistics.median(warm):.3f} s ({load()})")
            for r in card.kpis:
                value = "—" if r.value is None else f"{r.value:.1f}%"
                print(f"   {r.code:6} {r.numerator:>9} / {r.denominator:<9} {value:>7}  {r.status}")

            def spc_all():
                series = monthly_series(conn, stmt, start=first, end=as_of, as_of=as_of, use_summary=use_summary)
                charts = {}
                for code, frame in series.items():
                    values = frame.dropna(subset=["value"])["value"].to_numpy()
                    if len(values):
                        charts[code] = xmr(values, improvement=kpi(code).polarity, target=kpi(code).target)
                return series, charts

            (series, charts), spc_times = timed(spc_all, max(2, repeats // 2))
            months = len(next(iter(series.values()))) if series else 0
            print(f"[{path}] monthly series + XmR for {len(charts)} KPIs over {months} months: "
                  f"best {min(spc_times):.3f} s, median {statistics.median(spc_times):.3f} s ({load()})")
            out.append({
                "database": engine.dialect.name, "path": path, "referrals": n, "cold": cold, "warm": min(warm),
                "warm_median": statistics.median(warm), "series": min(spc_times), "refresh": refresh_seconds,
                "load": os.getloadavg()[0],
            })
        if len(cards) == 2:
            same = cards["summary"].kpis == cards["live"].kpis
            print(f"summary and live scorecards identical in every field: {same}")

        build_calendar(conn, dt.date(first.year - 1, 1, 1), dt.date(as_of.year + 1, 12, 31))
        params = {"start": start, "end": end, "as_of": as_of, "yes": True,
                  "as_of_before": int(np.busday_count(np.datetime64(dt.date(first.year - 1, 1, 1)),
                                                      np.datetime64(as_of), busdaycal=working_day_calendar()))}
        sql = text(floor_sql())
        row, floor_times = timed(lambda: conn.execute(sql, params).one()._mapping, repeats)
        print(f"hand-written single SQL query (DS2, DS3, KP6, DS5, SL002): best {min(floor_times):.3f} s, "
              f"median {statistics.median(floor_times):.3f} s ({load()})")
        card = next(iter(cards.values()), None)
        for code in ("ds2", "ds3", "kp6", "ds5", "sl002"):
            layer = card.kpi(code.upper()) if card else None
            same = layer is not None and (layer.numerator, layer.denominator) == (row[f"{code}_num"], row[f"{code}_den"])
            print(f"   {code.upper():6} SQL {row[f'{code}_num']} / {row[f'{code}_den']}  "
                  f"{'= layer' if same else '≠ layer ' + str((layer.numerator, layer.denominator) if layer else None)}")
        conn.rollback()
    engine.dispose()
    print(f"peak resident memory so far: {peak_rss_mb():.0f} MB")
    for r in out:
        r.update(floor=min(floor_times), peak_mb=peak_rss_mb())
    return out


def print_summary(rows: list[dict]) -> None:
    """One line per database: the figures the metrics issue's benchmark goals are stated in."""
    print("\n== summary (goals: scorecard warm ≤ 0.5 s; monthly series + SPC ≤ 2 s; memory ≤ 2 GB)")
    print(f"{'database':10} {'path':8} {'referrals':>10} {'card cold':>10} {'card warm':>10} {'series+SPC':>11} "
          f"{'floor SQL':>10} {'warm/floor':>11} {'peak RSS':>9} {'refresh':>8} {'load 1m':>8}")
    for r in rows:
        refreshed = "—" if r["refresh"] is None else f"{r['refresh']:.1f}s"
        print(f"{r['database']:10} {r['path']:8} {r['referrals']:>10,} {r['cold']:>9.3f}s {r['warm']:>9.3f}s "
              f"{r['series']:>10.3f}s {r['floor']:>9.3f}s {r['warm'] / r['floor']:>10.2f}× {r['peak_mb']:>6.0f} MB "
              f"{refreshed:>8} {r['load']:>8.2f}")
    print("peak RSS is the process's high-water mark, so later rows include earlier databases' use.")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", action="append", help="database URL (repeatable); default DASHBOARD_DATABASE_URL")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--path", action="append", choices=("summary", "live"),
                        help="which path(s) to time (repeatable); default both")
    parser.add_argument("--refresh", action="store_true", help="rebuild the KPI summary first and time it")
    args = parser.parse_args()
    urls = args.url or [os.environ.get("DASHBOARD_DATABASE_URL", "")]
    if not urls[0]:
        parser.error("give --url or set DASHBOARD_DATABASE_URL")
    paths = tuple(args.path or ("summary", "live"))
    print_summary([row for url in urls for row in bench(url, args.repeats, paths=paths, rebuild=args.refresh)])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
