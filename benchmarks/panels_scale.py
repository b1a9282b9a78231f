"""Per panel and scope: the project's first computation against a hand-written SQL query.

    python benchmarks/panels_scale.py --url sqlite:////tmp/scale_1000000.db [--url postgresql://…/bench1m]

For each panel (scorecard, KPI series, distance travelled, equalities, complexity,
journey/referrals, compare) and each scope (all of Greater Manchester, one borough, one
provider, region J) it prints: the project's first computation of the panel in a fresh
connection (``metrics.panels``, as the pages, packs and warm-up call it; wall and CPU
seconds), one hand-written SQL query on the same engine computing the panel's core figure
(the floor to compare with: it counts, it does not format or suppress), their ratio, and the
one-minute load average beside each, since the benchmark machine is shared. Wall time on a
loaded 2-core machine is mostly waiting for a core, so CPU seconds are printed too.

The databases are built beforehand (``benchmarks/bench_seed.py --referrals N --database-url
URL``); this script only reads them (its working-day table ``wd`` is a TEMP table).
What each hand-written query computes is in :data:`HAND_SQL`'s comments; the scorecard's is
``benchmarks/bench_metrics.floor_sql`` (DS2, DS3, KP6, DS5 and SL002 in one pass).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path

import numpy as np
from sqlalchemy import text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_metrics import _deadline_block, build_calendar, floor_sql  # noqa: E402

from data_access.db import make_engine  # noqa: E402
from data_access.scoping import ReferralFilters, analyst_scope, referrals_select  # noqa: E402
from data_access.settings import Settings  # noqa: E402
from domain.dates import working_day_calendar  # noqa: E402
from metrics import panels, periods  # noqa: E402


def load() -> float:
    return os.getloadavg()[0]


def month_sql(dialect: str, column: str) -> str:
    return f"strftime('%Y-%m', {column})" if dialect == "sqlite" else f"to_char({column}, 'YYYY-MM')"


#: name -> (the project's panel, the hand-written SQL's body). ``{scope}`` is the scope's
#: condition on ``r``; ``:start``/``:end`` the quarter; ``:as_of`` the data's date.
def hand_sql(dialect: str) -> dict[str, str]:
    joins = " ".join(f"LEFT JOIN wd c_{c} ON c_{c}.day = r.{c}"
                     for c in ("received_on", "saa_first_attended_on", "saa_first_not_attended_on", "concluded_on"))
    return {
        # DS2, DS3, KP6, DS5 and SL002 numerators and denominators, one pass (bench_metrics).
        "scorecard": floor_sql() + " AND ({scope})",
        # DS2 per month of referral over the 24 months to the quarter's end (the KPIs page's series).
        "KPI series": (f"SELECT {month_sql(dialect, 'r.received_on')} AS month, "
                       + _deadline_block("ds2", "received_on", "saa_first_attended_on", 10, "saa_first_not_attended_on",
                                         ).replace(":start", ":series_start")
                       + f" FROM referrals r {joins} WHERE r.received_on BETWEEN :series_start AND :end AND ({{scope}})"
                       " GROUP BY 1"),
        # Per need: people, mean change from the first baseline to the last later score, of
        # referrals that ended in the quarter (ties and the exit-first rule left out).
        "distance travelled": (
            "SELECT need_code, count(*), avg(later - base) FROM ("
            " SELECT s.referral_pk, s.need_code,"
            "  max(CASE WHEN s.stage <> 'baseline' THEN s.score END) AS later,"
            "  min(CASE WHEN s.stage = 'baseline' THEN s.score END) AS base"
            " FROM referrals r JOIN need_scores s ON s.referral_pk = r.id"
            " WHERE r.concluded_on BETWEEN :start AND :end AND ({scope}) GROUP BY s.referral_pk, s.need_code) p"
            " WHERE later IS NOT NULL AND base IS NOT NULL GROUP BY need_code"),
        # Per sex: referrals that ended in the quarter and how many attended a session by then.
        "equalities": ("SELECT coalesce(r.sex, 'Not recorded'), count(*),"
                       " sum(CASE WHEN r.first_session_on <= r.concluded_on THEN 1 ELSE 0 END)"
                       " FROM referrals r WHERE r.concluded_on BETWEEN :start AND :as_of_end AND ({scope}) GROUP BY 1"),
        # Referrals received in the quarter per complexity.
        "complexity": ("SELECT r.complexity, count(*) FROM referrals r"
                       " WHERE r.received_on BETWEEN :start AND :end AND ({scope}) GROUP BY 1"),
        # Referrals received in the quarter reaching each stage of the journey.
        "journey": ("SELECT count(*), count(r.saa_first_attended_on), count(r.action_plan_approved_on),"
                    " count(r.first_session_on), count(r.concluded_on) FROM referrals r"
                    " WHERE r.received_on BETWEEN :start AND :end AND ({scope})"),
        # DS2 per borough for the quarter (Compare areas, by borough).
        "compare": ("SELECT r.borough_id, "
                    + _deadline_block("ds2", "received_on", "saa_first_attended_on", 10, "saa_first_not_attended_on")
                    + f" FROM referrals r {joins} WHERE r.received_on BETWEEN :start AND :end AND ({{scope}})"
                    " GROUP BY r.borough_id"),
    }


PANELS = {
    "scorecard": lambda db, inp: panels.scorecard_panel(db, inp),
    "KPI series": lambda db, inp: panels.spc_charts(db, inp),
    "distance travelled": lambda db, inp: panels.distance_travelled(db, inp),
    "equalities": lambda db, inp: panels.equality_rates(db, inp, strand="sex"),
    "complexity": lambda db, inp: panels.complexity_mix(db, inp),
    "journey": lambda db, inp: panels.journey(db, inp),
    "compare": lambda db, inp: panels.compare_areas_panel(db, inp, code="DS2", by="borough"),
}


def scopes(conn) -> dict[str, tuple[ReferralFilters, str, dict]]:
    borough = conn.execute(text("SELECT id FROM boroughs WHERE name = 'Bolton'")).scalar()
    provider = conn.execute(text("SELECT provider_id FROM referrals WHERE provider_id IS NOT NULL LIMIT 1")).scalar()
    in_j = [b for (b,) in conn.execute(text(
        "SELECT DISTINCT a.borough_id FROM pdu_areas a JOIN pdus p ON p.number = a.pdu_number "
        "WHERE p.region_code = 'J' AND a.borough_id IS NOT NULL"))]
    contracts_j = [c for (c,) in conn.execute(text("SELECT id FROM contracts WHERE region_code = 'J'"))]
    region = (f"r.borough_id IN ({','.join(map(str, in_j)) or 'NULL'}) OR (r.borough_id IS NULL AND "
              f"r.contract_id IN ({','.join(map(str, contracts_j)) or 'NULL'}))")
    return {
        "all GM": (ReferralFilters(), "1=1", {}),
        "borough": (ReferralFilters(borough_id=borough), "r.borough_id = :scope_id", {"scope_id": borough}),
        "provider": (ReferralFilters(provider_id=provider), "r.provider_id = :scope_id", {"scope_id": provider}),
        "region": (ReferralFilters(region_code="J"), region, {}),
    }


def run(url: str, only: set[str] | None) -> list[tuple]:
    engine = make_engine(url)
    settings = Settings.from_env()
    rows = []
    with engine.connect() as conn:
        as_of = panels.data_as_of(conn)
        period = periods.quarter(as_of)
        first = conn.execute(text("SELECT min(received_on) FROM referrals")).scalar()
        first = dt.date.fromisoformat(first) if isinstance(first, str) else first
        referrals = conn.execute(text("SELECT count(*) FROM referrals")).scalar()
        views = scopes(conn)
    calendar_first = dt.date(first.year - 1, 1, 1)
    base = {"start": period.start, "end": period.end, "as_of": as_of, "yes": True,
            "as_of_end": min(period.end, as_of),
            "series_start": (dt.date(period.end.year - 2, period.end.month, 1) + dt.timedelta(days=32)).replace(day=1),
            "as_of_before": int(np.busday_count(np.datetime64(calendar_first), np.datetime64(as_of),
                                                busdaycal=working_day_calendar()))}
    print(f"\n== {engine.dialect.name} {engine.url.render_as_string(hide_password=True)}: {referrals:,} referrals, "
          f"quarter {period.start} to {period.end}, as of {as_of}; {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
          flush=True)
    print(f"{'panel':<20}{'scope':<10}{'project wall/cpu s':>20}{'load':>6}{'SQL s':>9}{'load':>6}{'ratio':>8}", flush=True)
    sqls = hand_sql(engine.dialect.name)
    for name, panel in PANELS.items():
        if only and name not in only:
            continue
        for label, (filters, condition, params) in views.items():
            scope = analyst_scope()
            with engine.connect() as conn:  # a fresh connection: nothing cached from the last panel
                inp = panels.inputs_for(conn, scope, filters, referrals_select(scope, filters), period, as_of, settings)
                before_load = load()
                c0, t0 = time.process_time(), time.perf_counter()
                try:
                    panel(conn, inp)
                    error = ""
                except Exception as exc:  # noqa: BLE001 - reported in the table
                    error = f" ERROR {type(exc).__name__}: {exc}"[:80]
                wall, cpu = time.perf_counter() - t0, time.process_time() - c0
            with engine.connect() as conn:
                build_calendar(conn, calendar_first, dt.date(as_of.year + 1, 12, 31))
                sql_load = load()
                t0 = time.perf_counter()
                conn.execute(text(sqls[name].replace("{scope}", condition)), {**base, **params}).all()
                sql_wall = time.perf_counter() - t0
                conn.rollback()
            ratio = wall / sql_wall if sql_wall > 0 else float("nan")
            rows.append((engine.dialect.name, referrals, name, label, wall, cpu, before_load, sql_wall, sql_load, ratio))
            print(f"{name:<20}{label:<10}{wall:>12.2f} /{cpu:>6.2f}{before_load:>6.1f}{sql_wall:>9.2f}{sql_load:>6.1f}"
                  f"{ratio:>7.1f}×{error}", flush=True)
    engine.dispose()
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", action="append", required=True, help="database URL (repeat for several)")
    parser.add_argument("--panel", action="append", help="only these panels (repeatable)")
    args = parser.parse_args()
    for url in args.url:
        run(url, set(args.panel) if args.panel else None)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
