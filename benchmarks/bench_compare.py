"""Compare areas and Cases due's by-hub table: time and SQL statements per panel, admin and provider.

    python benchmarks/bench_compare.py --database-url sqlite:////tmp/demo_10k.db [--runs 3]

For each role (an unrestricted analyst as the admin sees it, and the first provider's own
account) and each panel (Compare areas for one measure by borough, PDU, hub and provider;
every measure by hub and by borough; Cases due's every measure by hub) it prints the median
wall time of ``--runs`` computations in fresh connections (nothing cached between them), the
number of SQL statements each ran (counted with SQLAlchemy's ``before_cursor_execute`` event)
and the one-minute load average before the first run, since the machine is shared.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

from sqlalchemy import event, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from data_access.db import make_engine  # noqa: E402
from data_access.scoping import AccessScope, ReferralFilters, analyst_scope, referrals_select  # noqa: E402
from data_access.settings import Settings  # noqa: E402
from metrics import panels, periods  # noqa: E402

PANELS = {
    "compare DS2 by borough": lambda db, inp: panels.compare_areas_panel(db, inp, code="DS2", by="borough"),
    "compare DS2 by pdu": lambda db, inp: panels.compare_areas_panel(db, inp, code="DS2", by="pdu"),
    "compare DS2 by hub": lambda db, inp: panels.compare_areas_panel(db, inp, code="DS2", by="hub"),
    "compare DS2 by provider": lambda db, inp: panels.compare_areas_panel(db, inp, code="DS2", by="provider"),
    "compare DS1 by hub": lambda db, inp: panels.compare_areas_panel(db, inp, code="DS1", by="hub"),
    "matrix by borough": lambda db, inp: panels.compare_matrix_panel(db, inp, by="borough"),
    "matrix by hub": lambda db, inp: panels.compare_matrix_panel(db, inp, by="hub"),
    "cases due by hub": lambda db, inp: panels.measures_by_hub(db, inp),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--panel", action="append", help="only these panels (repeatable)")
    args = parser.parse_args()
    engine = make_engine(args.database_url)
    statements = [0]

    @event.listens_for(engine, "before_cursor_execute")
    def count(*_):  # noqa: ANN002
        statements[0] += 1

    settings = Settings.from_env()
    with engine.connect() as conn:
        as_of = panels.data_as_of(conn)
        provider = conn.execute(text("SELECT min(provider_id) FROM referrals")).scalar()
    period = periods.quarter(as_of)
    roles = {"admin": analyst_scope(), "provider": AccessScope(username="bench", role="provider", provider_id=provider)}
    print(f"{engine.url.render_as_string(hide_password=True)}; quarter {period.start} to {period.end}, "
          f"as of {as_of}; runs {args.runs}")
    print(f"{'panel':<26}{'role':<10}{'median s':>9}{'min s':>8}{'queries':>9}{'load':>7}")
    for name, panel in PANELS.items():
        if args.panel and name not in args.panel:
            continue
        for role, scope in roles.items():
            load = os.getloadavg()[0]
            times, counts = [], []
            for _ in range(args.runs):
                with engine.connect() as conn:
                    filters = ReferralFilters()
                    inp = panels.inputs_for(conn, scope, filters, referrals_select(scope, filters), period, as_of,
                                            settings)
                    statements[0] = 0
                    started = time.perf_counter()
                    panel(conn, inp)
                    times.append(time.perf_counter() - started)
                    counts.append(statements[0])
            print(f"{name:<26}{role:<10}{statistics.median(times):>9.2f}{min(times):>8.2f}{counts[0]:>9}{load:>7.2f}",
                  flush=True)
    engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
