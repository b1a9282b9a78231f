"""Benchmark: EPOP national view (data + metrics) with 13 plans × 200 actions × 20 updates.

Run: ``python -m benchmarks.bench_epop`` (optionally ``--url postgresql://…``). Goal: ≤ 0.5 s
warm (issue 7). Builds a fresh SQLite file under a temporary folder unless --url is given.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
from sqlalchemy import func, select

from metrics import epop_views
from data_access.db import make_engine, session_scope
from data_access.epop_demo import seed_epop_demo
from data_access.models import EpopAction, EpopActionUpdate
from data_access.setup import initialise

AS_OF = dt.date(2026, 3, 31)
NATIONAL = SimpleNamespace(username="bench", role="epop_national", region_code=None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", help="database URL (default: a new SQLite file)")
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    url = args.url or f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench_epop.db'}"
    engine = make_engine(url)
    initialise(engine)
    with session_scope(engine) as session:
        seed_epop_demo(session, np.random.default_rng(1), as_of=AS_OF, actions_per_plan=200, updates_per_action=20)
    with session_scope(engine) as session:
        actions = session.scalar(select(func.count()).select_from(EpopAction))
        updates = session.scalar(select(func.count()).select_from(EpopActionUpdate))
    timings = []
    for _ in range(args.repeat + 1):  # the first run warms caches and is not counted
        started = time.perf_counter()
        with session_scope(engine) as session:
            view = epop_views.national_view(session, NATIONAL, AS_OF)
        timings.append(time.perf_counter() - started)
    warm = timings[1:]
    print(f"EPOP national view: {len(view.summary)} plans, {actions} actions, {updates} updates ({engine.dialect.name})")
    print(f"cold {timings[0]:.3f} s; warm median {statistics.median(warm):.3f} s, max {max(warm):.3f} s "
          f"over {len(warm)} runs (goal ≤ 0.5 s)")


if __name__ == "__main__":
    main()
