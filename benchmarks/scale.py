"""Scale benchmark: the 1,000,000-referral database on SQLite and on PostgreSQL, one command.

For each backend it builds the demo database, then measures and prints one table: seed time,
scorecard time (metrics.queries.scorecard, one quarter, all of Greater Manchester, cold and
warm), the same aggregates as one hand-written SQL query (benchmarks/bench_metrics.floor_sql),
each page's rerun time under AppTest as admin (first visit and a warm rerun), board pack build
time (reports/, each format), import time of a Refer and Monitor report into the big database
(benchmarks/bench_import.write_ram_csv, last so it does not change the other figures), and peak
memory. A part whose code is not in this build prints "not available".

    python benchmarks/scale.py                                  # both backends, 1,000,000 referrals
    python benchmarks/scale.py --referrals 20000 --skip-postgres  # a quick check of the script
    python benchmarks/scale.py --keep                           # keep the databases for later runs

SQLite: /tmp/scale_<N>.db (rebuilt unless --reuse finds it complete). PostgreSQL: a private
database ``dashboard_scale_<N>_<pid>`` next to the one named by --postgres, dropped at the end
unless --keep; no other database is touched. Each backend is measured in a child process so its
peak memory is its own. This takes a long while at 1,000,000 referrals: run it once.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

NOT_AVAILABLE = "not available"


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(fn):
    started = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - started


def build(url: str, referrals: int, reuse: bool) -> dict:
    from sqlalchemy import text

    from data_access.db import make_engine
    from data_access.demo import seed_demo
    from data_access.setup import initialise

    engine = make_engine(url)
    if reuse:
        try:
            with engine.connect() as conn:
                if conn.execute(text("SELECT count(*) FROM referrals")).scalar_one() >= referrals:
                    return {"seed_s": "reused"}
        except Exception:  # noqa: BLE001 - no schema yet: build it
            pass
    _, init_s = timed(lambda: initialise(engine))
    summary, seed_s = timed(lambda: seed_demo(engine, referrals=referrals))
    engine.dispose()
    return {"seed_s": init_s + seed_s, "referrals": summary.referrals}


def measure_scorecard(url: str, out: dict) -> None:
    try:
        from bench_metrics import build_calendar, floor_sql, latest_full_quarter
        from sqlalchemy import text

        from data_access.db import make_engine
        from data_access.scoping import analyst_scope, referrals_select
        from domain.dates import working_day_calendar
        from metrics.queries import latest_data_date, scorecard
    except ImportError as exc:
        out["scorecard"] = f"{NOT_AVAILABLE} ({exc})"
        return
    import numpy as np

    engine = make_engine(url)
    stmt = referrals_select(analyst_scope())
    with engine.connect() as conn:
        as_of = latest_data_date(conn, stmt)
        start, end = latest_full_quarter(as_of)
        card, cold = timed(lambda: scorecard(conn, stmt, start=start, end=end, as_of=as_of))
        warm = [timed(lambda: scorecard(conn, stmt, start=start, end=end, as_of=as_of))[1] for _ in range(3)]
        out["scorecard_cold_s"], out["scorecard_warm_s"] = cold, statistics.median(warm)
        out["quarter"] = f"{start} to {end}"
        first = conn.execute(text("SELECT min(received_on) FROM referrals")).scalar_one()
        first = dt.date.fromisoformat(first) if isinstance(first, str) else first
        try:
            build_calendar(conn, dt.date(first.year - 1, 1, 1), dt.date(as_of.year + 1, 12, 31))
            params = {"start": start, "end": end, "as_of": as_of, "yes": True,
                      "as_of_before": int(np.busday_count(np.datetime64(dt.date(first.year - 1, 1, 1)),
                                                          np.datetime64(as_of), busdaycal=working_day_calendar()))}
            sql = text(floor_sql())
            row, _ = timed(lambda: conn.execute(sql, params).one()._mapping)
            floor = [timed(lambda: conn.execute(sql, params).one())[1] for _ in range(3)]
            out["sql_floor_s"] = statistics.median(floor)
            agree = all(
                card.kpi(code.upper()) is not None
                and (card.kpi(code.upper()).numerator, card.kpi(code.upper()).denominator)
                == (row[f"{code}_num"], row[f"{code}_den"])
                for code in ("ds2", "ds3", "kp6", "ds5", "sl002"))
            out["sql_floor_agrees"] = agree
        except Exception as exc:  # noqa: BLE001
            out["sql_floor_s"] = f"{NOT_AVAILABLE} ({type(exc).__name__}: {exc})"[:120]
        conn.rollback()
    engine.dispose()


def measure_pages(url: str, out: dict) -> None:
    os.environ["DASHBOARD_DATABASE_URL"] = url
    os.environ["DASHBOARD_SEED_DEMO"] = "0"
    from streamlit.testing.v1 import AppTest

    from ui.navigation import pages_for

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=1800)
    at.session_state["authentication_status"] = True
    at.session_state["username"] = "admin"
    _, out["first_page_cold_s"] = timed(at.run)
    pages = {}
    for specs in pages_for("admin").values():
        for spec in specs:
            at.switch_page(str(ROOT / spec.path))
            _, first = timed(at.run)
            _, warm = timed(at.run)
            error = at.exception[0].value.splitlines()[0][:80] if at.exception else ""
            pages[spec.title] = (first, warm, error)
    out["pages"] = pages


def measure_packs(url: str, out: dict) -> None:
    try:
        from reports.build import RENDERERS, gather
        from reports.pack_data import period_for
    except ImportError as exc:
        out["packs"] = f"{NOT_AVAILABLE} ({exc})"
        return
    from data_access.db import make_engine
    from data_access.scoping import analyst_scope
    from data_access.settings import Settings

    os.environ["DASHBOARD_DATABASE_URL"] = url
    settings = Settings.from_env()
    engine = make_engine(url)
    quarter = out.get("quarter", "2025-10-01 to 2025-12-31").split(" to ")
    period = period_for(dt.date.fromisoformat(quarter[0]), dt.date.fromisoformat(quarter[1]))
    pack, gather_s = timed(lambda: gather(engine, "board", period=period, scope=analyst_scope(), settings=settings))
    out["pack_gather_s"] = gather_s
    out["packs"] = {fmt: timed(lambda render=render: render(pack))[1] for fmt, render in RENDERERS.items()}
    engine.dispose()


def measure_import(url: str, rows: int, out: dict) -> None:
    try:
        from bench_import import write_ram_csv

        from data_access.importers.ram import import_ram_performance
    except ImportError as exc:
        out["import"] = f"{NOT_AVAILABLE} ({exc})"
        return
    from data_access.db import make_engine

    engine = make_engine(url)
    with tempfile.TemporaryDirectory(prefix="scale_import_") as tmp:
        path = write_ram_csv(Path(tmp) / "ram.csv", rows)
        result, seconds = timed(lambda: import_ram_performance(engine, path, user="benchmark"))
    out["import_rows"], out["import_s"], out["import_written"] = rows, seconds, bool(result.written)
    engine.dispose()


def child(url: str, referrals: int, import_rows: int, reuse: bool) -> None:
    """Everything for one backend, in this process; prints one JSON line at the end."""
    out: dict = {}
    for step, fn in (("build", lambda: out.update(build(url, referrals, reuse))),
                     ("scorecard", lambda: measure_scorecard(url, out)),
                     ("pages", lambda: measure_pages(url, out)),
                     ("packs", lambda: measure_packs(url, out)),
                     ("import", lambda: measure_import(url, import_rows, out))):
        try:
            fn()
        except Exception as exc:  # noqa: BLE001 - a step that fails is reported, the rest still run
            out[f"{step}_error"] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:160]}"
        print(f"   [{step} done, {peak_mb():,.0f} MiB peak]", file=sys.stderr, flush=True)
    out["peak_mb"] = peak_mb()
    print("RESULT " + json.dumps(out, default=str), flush=True)


def private_postgres(url: str, referrals: int) -> tuple[str, str]:
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from data_access.db import make_engine

    name = f"dashboard_scale_{referrals}_{os.getpid()}"
    admin = make_engine(url).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return name, make_url(url).set(database=name).render_as_string(hide_password=False)


def drop_postgres(url: str, name: str) -> None:
    from sqlalchemy import text

    from data_access.db import make_engine

    admin = make_engine(url).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))  # our own only
    admin.dispose()


def fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:,.2f} s"
    return str(value) if value is not None else NOT_AVAILABLE


def print_table(results: dict[str, dict], referrals: int) -> None:
    names = list(results)
    rows: list[tuple[str, list[str]]] = []

    def row(label, getter):
        rows.append((label, [getter(results[n]) for n in names]))

    row("seed-demo (schema, reference, demo data)", lambda r: fmt(r.get("seed_s", r.get("build_error"))))
    row("scorecard, one quarter, all GM: cold", lambda r: fmt(r.get("scorecard_cold_s", r.get("scorecard"))))
    row("scorecard: warm (median of 3)", lambda r: fmt(r.get("scorecard_warm_s")))
    row("same aggregates, one hand-written SQL", lambda r: fmt(r.get("sql_floor_s")))
    row("  … agrees with the scorecard", lambda r: fmt(r.get("sql_floor_agrees")))
    row("first page, cold process (AppTest)", lambda r: fmt(r.get("first_page_cold_s", r.get("pages_error"))))
    titles = []
    for r in results.values():
        for t in (r.get("pages") or {}):
            if t not in titles:
                titles.append(t)
    for title in titles:
        def page_cell(r, title=title):
            first, warm, error = (r.get("pages") or {}).get(title, (None, None, ""))
            if first is None:
                return NOT_AVAILABLE
            return f"{first:,.2f} s / {warm:,.2f} s" + (f" ERROR {error}" if error else "")
        row(f"page '{title}': first / warm rerun", page_cell)
    row("board pack: gather", lambda r: fmt(r.get("pack_gather_s", r.get("packs_error", r.get("packs")))))
    formats = sorted({f for r in results.values() if isinstance(r.get("packs"), dict) for f in r["packs"]})
    for f in formats:
        row(f"board pack: render {f}", lambda r, f=f: fmt(r["packs"].get(f)) if isinstance(r.get("packs"), dict) else NOT_AVAILABLE)
    row("import R&M report (rows) into the big DB", lambda r: fmt(r.get("import_s", r.get("import_error", r.get("import"))))
        + (f" ({r['import_rows']:,} rows)" if "import_rows" in r else ""))
    row("peak memory (RSS of the measuring process)", lambda r: f"{r['peak_mb']:,.0f} MiB" if "peak_mb" in r else NOT_AVAILABLE)

    width = max(len(label) for label, _ in rows) + 2
    cols = [max(len(n), *(len(v[i]) for _, v in rows)) + 2 for i, n in enumerate(names)]
    print(f"\n{referrals:,} referrals · {os.cpu_count()} CPUs · {dt.datetime.now():%Y-%m-%d %H:%M}")
    print("".ljust(width) + "".join(n.ljust(c) for n, c in zip(names, cols)))
    for label, values in rows:
        print(label.ljust(width) + "".join(v.ljust(c) for v, c in zip(values, cols)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--referrals", type=int, default=1_000_000)
    parser.add_argument("--postgres", default=os.environ.get("DASHBOARD_TEST_POSTGRES_URL",
                                                             "postgresql://postgres@127.0.0.1:5432/test"))
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--import-rows", type=int, default=100_000)
    parser.add_argument("--keep", action="store_true", help="keep the databases")
    parser.add_argument("--reuse", action="store_true", help="reuse a complete SQLite database of this size")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.referrals, args.import_rows, args.reuse)
        return 0

    results: dict[str, dict] = {}
    targets = []
    if not args.skip_sqlite:
        path = Path(f"/tmp/scale_{args.referrals}.db")
        if not args.reuse:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        targets.append(("SQLite", f"sqlite:///{path}", None))
    if not args.skip_postgres:
        try:
            name, url = private_postgres(args.postgres, args.referrals)
            targets.append(("PostgreSQL", url, name))
        except Exception as exc:  # noqa: BLE001
            results["PostgreSQL"] = {"build_error": f"{NOT_AVAILABLE}: {type(exc).__name__}: {exc}"[:100]}
    for label, url, pg_name in targets:
        print(f"== {label}: building and measuring {args.referrals:,} referrals…", file=sys.stderr, flush=True)
        try:
            done = subprocess.run(
                [sys.executable, __file__, "--child", url, "--referrals", str(args.referrals),
                 "--import-rows", str(args.import_rows)] + (["--reuse"] if args.reuse else []),
                cwd=ROOT, stdout=subprocess.PIPE, text=True, check=False)
            line = next((l for l in done.stdout.splitlines() if l.startswith("RESULT ")), None)
            results[label] = json.loads(line[7:]) if line else {"build_error": f"child exited {done.returncode}"}
        finally:
            if pg_name and not args.keep:
                drop_postgres(args.postgres, pg_name)
    if not args.keep and not args.skip_sqlite:
        for suffix in ("", "-wal", "-shm"):
            Path(f"/tmp/scale_{args.referrals}.db{suffix}").unlink(missing_ok=True)
    print_table(results, args.referrals)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
