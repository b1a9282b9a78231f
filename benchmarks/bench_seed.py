"""Time `seed-demo` and report the database size and peak memory.

    python benchmarks/bench_seed.py --referrals 1000000 [--database-url URL]

Default database: a new SQLite file under /tmp (removed first).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text  # noqa: E402

from data_access.db import make_engine  # noqa: E402
from data_access.demo import seed_demo  # noqa: E402
from data_access.setup import initialise  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--referrals", type=int, default=1_000_000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    url = args.database_url
    path = None
    if url is None:
        path = Path(f"/tmp/bench_seed_{args.referrals}.db")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    engine = make_engine(url)
    started = time.perf_counter()
    initialise(engine)
    init_seconds = time.perf_counter() - started
    summary = seed_demo(engine, referrals=args.referrals)
    total = time.perf_counter() - started
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        size = Path(engine.url.database).stat().st_size
    else:
        with engine.connect() as conn:
            size = conn.execute(text("SELECT pg_database_size(current_database())")).scalar()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"database            {engine.url.render_as_string(hide_password=True)}")
    print(f"referrals           {summary.referrals:,}")
    print(f"appointments        {summary.appointments:,}")
    print(f"scores              {summary.scores:,}")
    print(f"record events       {summary.record_events:,}")
    print(f"init (schema+ref)   {init_seconds:.1f} s")
    print(f"seed-demo           {summary.seconds:.1f} s")
    print(f"total               {total:.1f} s")
    print(f"database size       {size / 1e6:,.0f} MB")
    print(f"peak memory (RSS)   {peak_mb:,.0f} MB")
    print(f"cpus                {os.cpu_count()}")


if __name__ == "__main__":
    main()
