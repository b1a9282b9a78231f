"""First-run setup shared by the CLI and the app: migrate, load reference data, seed demo."""

from __future__ import annotations

from sqlalchemy import Engine, func, select

from data_access.calendar import refresh_calendar
from data_access.db import analyze, session_scope
from data_access.models import Referral, User
from data_access.reference import load_reference_data
from data_access.schema import upgrade


def initialise(engine: Engine) -> dict[str, int]:
    """Create or upgrade the schema and add any missing reference rows."""
    upgrade(engine)
    with session_scope(engine) as session:
        added = load_reference_data(session)
        # Working-day calendar for SQL aggregates; refreshed so a holiday-calendar update propagates.
        added["calendar_days"] = refresh_calendar(session)
        try:
            from data_access.epop import load_inspection_plan  # the worked example plan
        except ImportError:  # pragma: no cover - EPOP tracker not installed yet
            pass
        else:
            added["inspection_plan"] = load_inspection_plan(session)
    analyze(engine)  # planner statistics for what is there now (imports refresh them again)
    added["kpi_summary_rebuilt"] = int(_refresh_stale_summary(engine))
    return added


def _refresh_stale_summary(engine: Engine) -> bool:
    """Rebuild the stored daily summary when it does not describe the data (e.g. a database made
    by an earlier version, whose summary carries an older stamp); a current one is left alone."""
    from data_access.kpi_summary import data_version, refresh_kpi_summary
    from data_access.models import KpiSummaryState

    with engine.connect() as conn:
        if conn.execute(select(Referral.id).limit(1)).first() is None:
            return False
        stamped = conn.execute(select(KpiSummaryState.data_version)).scalar()
        if stamped == data_version(conn):
            return False
    return refresh_kpi_summary(engine).built


def is_empty(engine: Engine) -> bool:
    """No referrals and no user accounts: nothing an operator has put in (reference data aside)."""
    with session_scope(engine) as session:
        return not (session.scalar(select(func.count()).select_from(Referral))
                    or session.scalar(select(func.count()).select_from(User)))


def ensure_ready(engine: Engine, *, seed_demo_if_empty: bool, demo_referrals: int) -> bool:
    """Initialise the database; seed the demo if asked for and the database is empty. True if seeded now.

    Both conditions, so the demo accounts never reach a database that holds real users or data.
    """
    initialise(engine)
    if seed_demo_if_empty and is_empty(engine):
        from data_access.demo import seed_demo

        seed_demo(engine, referrals=demo_referrals)
        return True
    return False
