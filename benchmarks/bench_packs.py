"""Board pack for a quarter on the 10,000-referral demo database (goal: ≤ 10 s per format).

    python -m data_access --database-url sqlite:///data/bench10k.db init
    python -m data_access --database-url sqlite:///data/bench10k.db seed-demo --referrals 10000
    DASHBOARD_DATABASE_URL=sqlite:///data/bench10k.db python benchmarks/bench_packs.py [--from 2025-10-01 --to 2025-12-31]

Prints the time to gather the pack's data (queries, metrics, suppression, findings) and to
render each format, cold (first build in the process) and warm (second build).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from data_access.db import make_engine  # noqa: E402
from data_access.scoping import analyst_scope  # noqa: E402
from data_access.settings import Settings  # noqa: E402
from reports.build import RENDERERS, gather  # noqa: E402
from reports.pack_data import period_for  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from", dest="start", type=dt.date.fromisoformat, default=dt.date(2025, 10, 1))
    parser.add_argument("--to", dest="end", type=dt.date.fromisoformat, default=dt.date(2025, 12, 31))
    args = parser.parse_args()
    settings = Settings.from_env()
    engine = make_engine(settings.database_url)
    period = period_for(args.start, args.end)
    print(f"database {settings.database_url}; board pack for {period.label}")
    for run in ("cold", "warm"):
        t0 = time.perf_counter()
        pack = gather(engine, "board", period=period, scope=analyst_scope(), settings=settings)
        gathered = time.perf_counter() - t0
        line = [f"{run}: gather {gathered:.2f} s"]
        for fmt, render in RENDERERS.items():
            t1 = time.perf_counter()
            size = len(render(pack))
            rendered = time.perf_counter() - t1
            line.append(f"{fmt} {rendered:.2f} s ({size / 1024:.0f} KiB; total {gathered + rendered:.2f} s)")
        print("; ".join(line))
    engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
