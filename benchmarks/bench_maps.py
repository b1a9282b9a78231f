"""Warm build time of the Maps page's figures: read models + map figures + Deck JSON.

``python benchmarks/bench_maps.py [--referrals N]`` seeds a throw-away SQLite database with
demo data, builds everything the Maps page builds once (cold: files parsed, caches filled),
then times further builds (warm, as a rerun). Streamlit's own rendering is not included.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from data_access.db import make_engine  # noqa: E402
from data_access.map_data import demand_unit_figures, hub_figures  # noqa: E402
from data_access.scoping import ReferralFilters, analyst_scope  # noqa: E402
from data_access.setup import ensure_ready  # noqa: E402
from geo.maps import gm_map, regions_map  # noqa: E402
from metrics.epop_views import region_action_plan_progress  # noqa: E402


class _Admin:
    role = "admin"
    username = "bench"
    region_code = None


def build_page(engine, start: dt.date, end: dt.date, as_of: dt.date) -> int:
    scope, filters = analyst_scope(), ReferralFilters()
    units = demand_unit_figures(engine, scope, filters, start, end)
    hubs = hub_figures(engine, scope, filters, start, end)
    progress = region_action_plan_progress(engine, _Admin(), as_of)
    gm = gm_map(units, hubs, measure="forecast", start=start, end=end, as_of=as_of)
    regions = regions_map(progress, title="% due complete", as_of=as_of)
    return len(gm.deck.to_json()) + len(regions.deck.to_json())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--referrals", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{folder}/bench.db")
        ensure_ready(engine, seed_demo_if_empty=True, demo_referrals=args.referrals)
        start, end, as_of = dt.date(2024, 10, 1), dt.date(2024, 12, 31), dt.date(2024, 12, 31)
        t0 = time.perf_counter()
        size = build_page(engine, start, end, as_of)
        cold = time.perf_counter() - t0
        warm = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            build_page(engine, start, end, as_of)
            warm.append(time.perf_counter() - t0)
        engine.dispose()
    print(f"maps page build: cold {cold:.2f} s, warm median {statistics.median(warm):.2f} s "
          f"(min {min(warm):.2f}, max {max(warm):.2f}, {args.runs} runs), "
          f"Deck JSON {size / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
