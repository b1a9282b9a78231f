"""The query planner's statistics are gathered after init, after the demo seed and after an
import (``data_access.db.analyze``): without them SQLite picks indexes by rule of thumb, and a
PostgreSQL without autovacuum never gathers them at all."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from data_access.cli_import import run_import
from data_access.scoping import analyst_scope
from data_access.db import analyze
from data_access.setup import initialise

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "imports" / "ram_valid.csv"


def _forget_statistics(engine) -> None:
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.execute(text("ANALYZE sqlite_schema"))  # makes sure sqlite_stat1 exists to empty
            conn.execute(text("DELETE FROM sqlite_stat1"))
        else:
            for table in ("referrals", "kpi_daily_counts", "calendar_days"):
                conn.execute(text(f"SELECT pg_stat_reset_single_table_counters('{table}'::regclass)"))


def _analysed(engine, table: str) -> tuple[bool, int | None]:
    """(statistics exist for ``table``, rows they record)."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            stat = conn.execute(text("SELECT stat FROM sqlite_stat1 WHERE tbl = :t ORDER BY idx IS NULL LIMIT 1"),
                                {"t": table}).first()
            return stat is not None, int(stat[0].split()[0]) if stat else None
        conn.execute(text("SELECT pg_stat_clear_snapshot()"))
        row = conn.execute(text(
            "SELECT coalesce(last_analyze, last_autoanalyze) IS NOT NULL, c.reltuples::bigint "
            "FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid WHERE s.relname = :t"), {"t": table}).one()
        return bool(row[0]), int(row[1])


def test_init_gathers_statistics(engine):
    _forget_statistics(engine)
    assert _analysed(engine, "calendar_days")[0] is False
    initialise(engine)
    analysed, rows = _analysed(engine, "calendar_days")
    assert analysed and rows > 3000  # the working-day calendar, 2015 onwards


def test_an_import_gathers_statistics_for_the_new_referrals(engine):
    initialise(engine)
    _forget_statistics(engine)
    assert _analysed(engine, "referrals")[0] is False
    result = run_import("ram-performance", engine, FIXTURE, user="test", scope=analyst_scope())
    assert result.written
    analysed, rows = _analysed(engine, "referrals")
    with engine.connect() as conn:
        referrals = conn.execute(text("SELECT count(*) FROM referrals")).scalar_one()
    assert analysed and referrals > 0
    assert rows == referrals  # the statistics describe the rows just imported
    assert _analysed(engine, "kpi_daily_counts")[0]  # and the summary rebuilt after it


def test_analyze_reports_its_time(engine):
    assert analyze(engine) >= 0


def test_init_rebuilds_a_summary_stamped_by_an_earlier_version_and_leaves_a_current_one(engine):
    """A database made by an earlier version carries a summary stamp in an older format: the
    figures would be computed live (slowly) until the next import, so init rebuilds it."""
    initialise(engine)
    run_import("ram-performance", engine, FIXTURE, user="test", scope=analyst_scope())
    with engine.begin() as conn:
        current = conn.execute(text("SELECT data_version, refreshed_at FROM kpi_summary_state")).one()
        assert initialise(engine)["kpi_summary_rebuilt"] == 0  # current: left alone
        assert conn.execute(text("SELECT refreshed_at FROM kpi_summary_state")).scalar_one() == current[1]
        conn.execute(text("UPDATE kpi_summary_state SET data_version = 'referrals=1;older format'"))
    assert initialise(engine)["kpi_summary_rebuilt"] == 1
    with engine.connect() as conn:
        assert conn.execute(text("SELECT data_version FROM kpi_summary_state")).scalar_one() == current[0]
