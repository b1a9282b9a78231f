"""Time the incremental KPI summary refresh for a monthly report's worth of changed referrals.

    python benchmarks/bench_summary_refresh.py --url sqlite:////tmp/bench_seed_100000.db --changed 10000 --check

On a seeded database (``benchmarks/bench_seed.py``) whose summary is current, one transaction
changes ``--changed`` referrals spread through the table the way a month's report does (open
referrals end in the month after the as-of date, so the as-of date moves on a month; ended
ones are reclassified to another complexity, so their rows move between dimensions), driven
through :class:`data_access.kpi_incremental.SummaryTracker` exactly as the importers drive it
(counts taken out before the rows change, put back after). Prints the refresh's own time
(what an import adds for the summary), the time of the row changes themselves, and with
``--check`` a full rebuild afterwards and whether the incremental summary equals it row for
row. The database is changed (commit): use a copy.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import bindparam, func, select, update  # noqa: E402

from data_access.db import make_engine  # noqa: E402
from data_access.kpi_incremental import SummaryTracker  # noqa: E402
from data_access.kpi_summary import refresh_kpi_summary, summary_is_current  # noqa: E402
from data_access.models import KpiDailyCount, Referral  # noqa: E402


def load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def stored(engine) -> list[tuple]:
    c = KpiDailyCount.__table__.c
    names = [n for n in c.keys() if n != "id"]
    with engine.connect() as conn:
        rows = conn.execute(select(*(c[n] for n in names))).all()
    return sorted(tuple("" if v is None else str(int(v)) if isinstance(v, bool) else str(v) for v in row)
                  for row in rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--changed", type=int, default=10_000)
    parser.add_argument("--check", action="store_true", help="compare with a full rebuild afterwards")
    parser.add_argument("--open-only", action="store_true",
                        help="change only open referrals (each ends in the month; none moves dimension)")
    args = parser.parse_args()
    engine = make_engine(args.url)
    r = Referral.__table__
    if not summary_is_current(engine):
        started = time.perf_counter()
        refresh_kpi_summary(engine)
        print(f"summary was not current: full rebuild {time.perf_counter() - started:.1f} s ({load()})")
    with engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(r)).scalar()
        from data_access.measure_sql import latest_data_date

        as_of = latest_data_date(conn, select(r))
        pool = r.c.concluded_on.is_(None) if args.open_only else r.c.id.is_not(None)
        step = max(1, conn.execute(select(func.count()).where(pool)).scalar() // args.changed)
        which = select(r.c.id).where(pool, r.c.id % step == 0).order_by(r.c.id).limit(args.changed)
        chosen = conn.execute(
            select(r.c.id, r.c.concluded_on, r.c.complexity).where(r.c.id.in_(which)).order_by(r.c.id)
        ).all()
    ends, moves = [], []
    for pk, concluded, complexity in chosen:
        if concluded is None:
            day = as_of + dt.timedelta(days=1 + pk % 28)
            ends.append({"pk": pk, "day": day, "state": "completed"})
        else:
            moves.append({"pk": pk, "complexity": "MEDIUM" if complexity == "HIGH" else "HIGH"})
    print(f"{engine.url.render_as_string(hide_password=True)}: {total:,} referrals, as-of {as_of}; changing "
          f"{len(chosen):,} ({len(ends):,} end in the next month, {len(moves):,} move complexity); {load()}")
    with engine.connect() as conn:
        transaction = conn.begin()
        started = time.perf_counter()
        tracker = SummaryTracker(conn)
        assert tracker.active, "the summary is not current"
        # One set, as the Refer and Monitor import passes each merge's changed rows.
        tracker.before_change(which)
        before = time.perf_counter() - started
        started = time.perf_counter()
        if ends:
            conn.execute(update(r).where(r.c.id == bindparam("pk")).values(
                concluded_on=bindparam("day"), eosr_submitted_on=bindparam("day"),
                referral_end_state=bindparam("state")), ends)
        if moves:
            conn.execute(update(r).where(r.c.id == bindparam("pk")).values(complexity=bindparam("complexity")), moves)
        writes = time.perf_counter() - started
        started = time.perf_counter()
        ok = tracker.finish()
        after = time.perf_counter() - started
        started = time.perf_counter()
        transaction.commit()
        commit = time.perf_counter() - started
    print(f"incremental refresh: {before + after:.2f} s (counts taken out {before:.2f} s, put back, as-of window "
          f"rebuilt and stored {after:.2f} s, commit {commit:.2f} s); the row changes themselves {writes:.2f} s; "
          f"summary current: {ok and summary_is_current(engine)}; {load()}")
    for phase, spent in tracker.phases.items():
        print(f"    {phase:<48} {spent:7.2f} s")
    if args.check:
        incremental = stored(engine)
        started = time.perf_counter()
        refresh_kpi_summary(engine)
        full = time.perf_counter() - started
        same = stored(engine) == incremental
        print(f"full rebuild for comparison: {full:.1f} s, {len(incremental):,} rows; "
              f"incremental equals full rebuild: {same}; {load()}")
        return 0 if same else 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
