"""Full rerun of each GMIRS page under AppTest, cold then warm, on a demo database.

Measures what a user waits for: ``app.py`` (sign-in state, filters, navigation) plus the
page, through Streamlit's script runner. "First page cold" is the first run in a fresh
process (imports, engine, empty caches). For each page the first visit fills its caches;
"warm" is the median of further reruns (the caches' normal state: a user changing a tab,
a widget, or a colleague opening the same view).

Usage (from the project root)::

    python benchmarks/bench_pages.py --referrals 10000            # builds /tmp/bench_pages_10000.db once
    python benchmarks/bench_pages.py --database-url sqlite:////tmp/pages_bench_1m.db

Issue 5's targets: warm ≤ 0.5 s (10,000 referrals), ≤ 2 s (1,000,000); first page cold ≤ 5 s.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))



def pages_for_user(url: str, username: str) -> list[str]:
    """The pages this user's role may open, in menu order (the navigation's own list), so a
    provider, an EPOP SPOC or the national lead is measured on what they can see."""
    from data_access.db import make_engine, session_scope
    from data_access.scoping import get_user
    from ui.navigation import pages_for

    engine = make_engine(url)
    with session_scope(engine) as session:
        user = get_user(session, username)
        if user is None:
            raise SystemExit(f"no user {username!r} in {url}")
        role = user.role
    engine.dispose()
    return [spec.path for specs in pages_for(role).values() for spec in specs]


def ensure_database(referrals: int) -> str:
    from data_access.db import make_engine
    from data_access.demo import seed_demo
    from data_access.setup import ensure_ready

    path = Path(f"/tmp/bench_pages_{referrals}.db")
    url = f"sqlite:///{path}"
    if not path.exists():
        engine = make_engine(url)
        ensure_ready(engine, seed_demo_if_empty=False, demo_referrals=referrals)
        seed_demo(engine, referrals=referrals)
        engine.dispose()
    return url


def timed_run(at) -> float:
    started = time.perf_counter()
    at.run()
    elapsed = time.perf_counter() - started
    if at.exception:
        raise RuntimeError(at.exception[0].value)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--referrals", type=int, default=10_000)
    parser.add_argument("--database-url")
    parser.add_argument("--username", default="admin",
                        help="whose pages to time: admin (every page), commissioner, provider, spoc, national")
    parser.add_argument("--warm-runs", type=int, default=5)
    args = parser.parse_args()
    url = args.database_url or ensure_database(args.referrals)
    os.environ["DASHBOARD_DATABASE_URL"] = url
    os.environ["DASHBOARD_SEED_DEMO"] = "0"

    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    from data_access.accounts import current_version
    from data_access.db import make_engine

    at.session_state["authentication_status"] = True
    at.session_state["username"] = args.username
    at.session_state["auth_token_version"] = current_version(make_engine(url), args.username)  # checked every run
    pages = pages_for_user(url, args.username)
    first = timed_run(at)  # the role's landing page, in a fresh process
    rows = []
    for path in pages:
        page = Path(path).stem
        at.switch_page(str(ROOT / path))
        cold = timed_run(at)
        warm = [timed_run(at) for _ in range(args.warm_runs)]
        rows.append((page, cold, statistics.median(warm), max(warm)))

    print(f"database: {url}  user: {args.username}  warm runs: {args.warm_runs}")
    print(f"first page after a cold start (the role's landing page, fresh process): {first:.2f} s")
    print(f"{'page':<15}{'first visit s':>15}{'warm median s':>15}{'warm max s':>12}")
    for page, cold, median, worst in rows:
        print(f"{page:<15}{cold:>15.2f}{median:>15.3f}{worst:>12.3f}")


if __name__ == "__main__":
    main()
