"""Benchmark: import a 1,000,000-row Refer and Monitor performance report.

    python benchmarks/bench_import.py --rows 1000000 [--postgres postgresql://...] [--skip-sqlite]

Generates the CSV by streaming to /tmp (never held in memory; ``--csv PATH`` reuses one, and
``--keep`` keeps the generated one), then imports it into a fresh SQLite file and, if given, a
fresh PostgreSQL database. The PostgreSQL database named in the URL is created for the run
(dropped first if it exists) and dropped afterwards unless ``--keep-db``.

Each import prints its wall time, the CPU time of this process and (for a local PostgreSQL)
of the server backend serving it, the time spent in each phase
(reading and validating run in a second thread while rows are written, so the phases overlap
and can add up to more than the wall time), the peak resident memory of this process during
that import alone, and the machine's load average (figures taken on a busy machine are
inflated). Then the same file is imported again (changes nothing), and a later file with
``--changed`` rows altered and ``--added`` new rows. ``--refresh`` also loads the reference
data first and times the KPI summary rebuild that ``python -m data_access import`` runs after
an import, reported separately from the import.

Goals (issue 4): ≤ 60 s into SQLite, ≤ 30 s into PostgreSQL, memory bounded by the chunk size.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import resource
import sys
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from data_access.importers.ram import RAM_COLUMNS  # noqa: E402

REASONS = ("Service user has been recalled", "Sentence has ended", "Service user has been disengaged")


def _stamp(moment: dt.datetime, rng: np.random.Generator) -> str:
    """Refer and Monitor style: sometimes Z, sometimes +01:00, sometimes milliseconds."""
    style = rng.integers(0, 3)
    if style == 0:
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    if style == 1:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    local = moment + dt.timedelta(hours=1)
    return local.strftime("%Y-%m-%dT%H:%M:%S") + "+01:00"


def write_ram_csv(path: str | Path, rows: int, seed: int = 1) -> Path:
    """Write a valid performance report of ``rows`` rows, streamed in blocks."""
    rng = np.random.default_rng(seed)
    path = Path(path)
    start = dt.datetime(2023, 9, 4, 9, 0)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(RAM_COLUMNS)
        block = 50_000
        for first in range(0, rows, block):
            n = min(block, rows - first)
            offsets = rng.integers(0, 900 * 24 * 60, n)
            out = []
            for i in range(n):
                k = first + i
                received = start + dt.timedelta(minutes=int(offsets[i]))
                assessed = received + dt.timedelta(days=int(rng.integers(1, 15)))
                plan = assessed + dt.timedelta(days=int(rng.integers(0, 6)))
                approved = plan + dt.timedelta(days=1)
                session = approved + dt.timedelta(days=int(rng.integers(1, 12)))
                ended = k % 3 == 0
                concluded = session + dt.timedelta(days=60) if ended else None
                outcomes = int(rng.integers(1, 5))
                # By name, so the file follows RAM_COLUMNS whatever their order (columns not
                # set here, e.g. the end-of-sentence date, are left empty, as R&M leaves them).
                row = dict.fromkeys(RAM_COLUMNS, "")
                row.update(
                    referral_ref=f"GM{k:08d}", referral_id=str(uuid.UUID(int=k + 1)),
                    contract_ref=f"GMIRS-WSS-LOT{k % 3 + 1}", organisation_id=f"ORG-{k % 3}",
                    caseworker_id=f"CW{k % 97}", service_user_crn=f"X{k % 999_999:06d}",
                    date_referral_received=_stamp(received, rng),
                    date_saa_first_arranged=_stamp(received + dt.timedelta(hours=3), rng),
                    date_saa_first_scheduled_for=_stamp(assessed, rng), date_saa_first_attended=_stamp(assessed, rng),
                    saa_attended_on_time="true" if k % 4 else "false",
                    date_first_action_plan_submitted=_stamp(plan, rng),
                    date_of_first_action_plan_approval=_stamp(approved, rng),
                    date_of_first_attended_session=_stamp(session, rng), outcomes_to_be_achieved_count=outcomes,
                    outcomes_achieved=outcomes * 0.5 if ended else "", count_of_sessions_expected=10,
                    count_of_sessions_attended=int(rng.integers(0, 10)),
                    end_requested_by_pp_reason=REASONS[k % 3] if k % 9 == 0 else "",
                    date_eosr_submitted=_stamp(concluded, rng) if ended else "",
                    concluded_at=_stamp(concluded, rng) if ended else "",
                    referral_end_state=("completed", "ended", "cancelled")[k % 3] if ended else "",
                )
                out.append([row[c] for c in RAM_COLUMNS])
            writer.writerows(out)
    return path


def write_later_csv(source: Path, target: Path, *, changed: int, added: int) -> Path:
    """A later report: ``source`` with ``changed`` rows spread through it given one more
    attended session (at most 10), plus ``added`` new referrals copied from its first rows."""
    attended = RAM_COLUMNS.index("count_of_sessions_attended")
    with open(source, newline="", encoding="utf-8") as reading, open(target, "w", newline="", encoding="utf-8") as out:
        rows = csv.reader(reading)
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(next(rows))
        total = sum(1 for _ in reading)
        reading.seek(0)
        next(rows)
        every = max(1, total // changed) if changed else 0
        copies = []
        for number, row in enumerate(rows):
            if every and number % every == 0 and number // every < changed:
                row[attended] = str(int(row[attended] or 0) + 1) if row[attended] != "10" else "9"
            if number < added:
                copies.append([f"NEW{number:07d}", str(uuid.uuid4()), *row[2:]])
            writer.writerow(row)
        writer.writerows(copies)
    return target


def load_average() -> str:
    """The machine's 1-minute load average: figures taken on a busy machine are inflated."""
    return f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores"


def reset_peak_memory() -> bool:
    """Reset this process's peak resident set size (Linux), so the next reading is one import's."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def peak_memory_mb() -> float:
    """Peak resident set size since :func:`reset_peak_memory` (or since the process started)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def process_cpu_seconds(pids) -> float | None:
    """CPU seconds used so far by the processes ``pids`` (Linux), or None if none can be read."""
    total, found = 0, False
    ticks = os.sysconf("SC_CLK_TCK")
    for pid in pids:
        try:
            values = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        total += int(values[11]) + int(values[12])  # utime, stime
        found = True
    return total / ticks if found else None


def watch_backends(engine) -> set[int]:
    """The process ids of the PostgreSQL backends serving ``engine``'s connections (collected
    as connections open), so the server's share of an import can be read from /proc when the
    server runs on this machine. Parallel workers a backend starts (for an index build) are
    separate processes and are not counted."""
    from sqlalchemy import event

    pids: set[int] = set()

    @event.listens_for(engine, "connect")
    def _remember(dbapi_connection, _record) -> None:
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pids.add(cursor.fetchone()[0])

    return pids


#: ``--chunk-rows``: rows the importer reads, checks and writes at a time (None: its default).
CHUNK_ROWS: int | None = None


def timed_import(engine, csv_path: Path, label: str, what: str, backends: set[int] | None = None):
    from data_access.importers.ram import import_ram_performance

    since_reset = reset_peak_memory()
    load = load_average()
    server = process_cpu_seconds(backends) if backends else None
    started, cpu = time.perf_counter(), time.process_time()
    options = {"chunk_rows": CHUNK_ROWS} if CHUNK_ROWS else {}
    result = import_ram_performance(engine, csv_path, user="benchmark", **options)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    peak = peak_memory_mb()
    server_now = process_cpu_seconds(backends) if server is not None else None
    server_text = f", {server_now - server:.1f} s CPU in its PostgreSQL backend" if server_now is not None else ""
    if not result.written:
        print(f"{label}: {what}: NOT imported: {result.summary()}")
        for problem in result.problems.sorted()[:10]:
            print(f"  {problem.as_text()}")
        raise SystemExit(1)
    print(f"{label}: {what}: {result.rows_inserted:,} inserted, {result.rows_updated:,} updated, "
          f"{result.rows_unchanged:,} unchanged; {seconds:.1f} s wall, {cpu:.1f} s CPU in this process{server_text}, "
          f"peak RSS {peak:.0f} MB{'' if since_reset else ' (since the process started)'}; "
          f"{load} before, {load_average()} after")
    for phase, spent in result.phases.items():
        print(f"{label}:     {phase:<36} {spent:7.2f} s")
    return result


def run(url: str, csv_path: Path, later_path: Path | None, label: str, *, refresh: bool, again: bool = True) -> None:
    from data_access.db import make_engine
    from data_access.schema import upgrade

    engine = make_engine(url)
    backends = watch_backends(engine) if engine.dialect.name == "postgresql" else None
    if refresh:
        from data_access.setup import initialise

        initialise(engine)
    else:
        upgrade(engine)
    timed_import(engine, csv_path, label, "first import", backends)
    if refresh:
        time_refresh(engine, label)
    if again:
        timed_import(engine, csv_path, label, "re-import of the same file", backends)
    if later_path is not None:
        timed_import(engine, later_path, label, "later file", backends)
        if refresh:
            from data_access.kpi_summary import summary_is_current

            # The import refreshes the summary for the referrals it touched, in its own
            # transaction (phase "refresh KPI summary (touched referrals)" above); the full
            # rebuild is timed for comparison only.
            print(f"{label}: KPI summary current after the later file, without a full rebuild: "
                  f"{'yes' if summary_is_current(engine) else 'NO'}")
            time_refresh(engine, label)
    engine.dispose()


def time_refresh(engine, label: str) -> None:
    """The KPI summary rebuild the import command runs after an import (not part of the import)."""
    from data_access.kpi_summary import refresh_kpi_summary

    reset_peak_memory()
    started = time.perf_counter()
    done = refresh_kpi_summary(engine)
    print(f"{label}: KPI summary refresh after the import (separate from it): {time.perf_counter() - started:.1f} s, "
          f"{done.rows:,} rows{'' if done.built else ' (not built: ' + done.reason + ')'}, "
          f"peak RSS {peak_memory_mb():.0f} MB")


def fresh_postgres_database(url: str, *, drop: bool = False) -> None:
    """Create the database ``url`` names (dropping it first), or with ``drop`` just drop it."""
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from data_access.db import make_engine, normalise_url

    target = make_url(normalise_url(url))
    name = target.database
    if not name or name in {"postgres", "template0", "template1"}:
        raise SystemExit(f"--postgres must name a database the benchmark may create and drop, not {name!r}")
    admin = make_engine(target.set(database="postgres").render_as_string(hide_password=False))
    admin = admin.execution_options(isolation_level="AUTOCOMMIT")
    quoted = name.replace('"', '""')
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{quoted}" WITH (FORCE)'))
        if not drop:
            conn.execute(text(f'CREATE DATABASE "{quoted}"'))
    admin.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--csv", type=Path, help="import this report instead of generating one")
    parser.add_argument("--postgres", help="PostgreSQL URL of a database to create for the run and drop afterwards")
    parser.add_argument("--keep-db", action="store_true", help="leave the PostgreSQL database and SQLite file")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the generated CSV")
    parser.add_argument("--changed", type=int, default=10_000, help="rows changed in the later file (0: no later file)")
    parser.add_argument("--added", type=int, default=1_000, help="new rows in the later file")
    parser.add_argument("--first-only", action="store_true", help="only the first import (no re-import, no later file)")
    parser.add_argument("--chunk-rows", type=int, help="rows the importer handles at a time (default: its own)")
    parser.add_argument("--refresh", action="store_true",
                        help="load reference data and time the KPI summary refresh after the imports")
    args = parser.parse_args()
    global CHUNK_ROWS
    CHUNK_ROWS = args.chunk_rows
    workdir = Path(tempfile.mkdtemp(prefix="bench_import_", dir="/tmp"))
    try:
        if args.csv:
            csv_path = args.csv
        else:
            csv_path = workdir / f"ram_{args.rows}.csv"
            started = time.perf_counter()
            write_ram_csv(csv_path, args.rows)
            print(f"generated {args.rows:,} rows ({csv_path.stat().st_size / 1e6:.0f} MB) in "
                  f"{time.perf_counter() - started:.1f} s")
        later_path = None
        if (args.changed or args.added) and not args.first_only:
            later_path = write_later_csv(csv_path, workdir / "later.csv", changed=args.changed, added=args.added)
        if not args.skip_sqlite:
            run(f"sqlite:///{workdir / 'bench.db'}", csv_path, later_path, "sqlite", refresh=args.refresh,
                again=not args.first_only)
        if args.postgres:
            fresh_postgres_database(args.postgres)
            try:
                run(args.postgres, csv_path, later_path, "postgresql", refresh=args.refresh, again=not args.first_only)
            finally:
                if not args.keep_db:
                    fresh_postgres_database(args.postgres, drop=True)
    finally:
        for path in workdir.iterdir():
            if (path.suffix == ".csv" and args.keep) or (path.suffix.startswith(".db") and args.keep_db):
                continue
            path.unlink()
        if not any(workdir.iterdir()):
            workdir.rmdir()
        else:
            print(f"kept {workdir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
