"""Engines and sessions. ``make_engine`` is a factory; only the UI layer caches its result."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from data_access.settings import Settings


def normalise_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs written without a driver."""
    parsed = make_url(url)
    if parsed.drivername in {"postgresql", "postgres"}:
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """Build an engine for any SQLAlchemy URL; create the SQLite file's folder if needed."""
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, echo=echo, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:  # pragma: no cover - trivial
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    return create_engine(url, echo=echo, pool_pre_ping=True)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A unit of work: commit on success, roll back on any error."""
    session = session_factory(engine)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


def configured_engine(database_url: str | None = None) -> Engine:
    """The engine for ``database_url``, else for the configured database
    (``DASHBOARD_DATABASE_URL`` or data/dashboard.db): what the command lines open."""
    return make_engine(database_url or Settings.from_env().database_url)


def analyze(engine: Engine) -> float:
    """Refresh the query planner's statistics (``ANALYZE``); returns the seconds it took.

    Called after ``init``, after the demo is seeded and after every import or undo that wrote
    referrals (``data_access.kpi_summary.refresh_after_change``). Without statistics SQLite
    picks indexes by rule of thumb (e.g. a provider's index over a date index, so a scoped
    date query reads the provider's whole history); PostgreSQL's autovacuum would gather them
    eventually, but not before the first visitors arrive, and not at all where it is off.
    """
    import time

    started = time.perf_counter()
    with engine.connect() as conn:
        # Whole indexes, not a sample (SQLite's analysis_limit): a sample reads an index from
        # its start, sees one provider and takes the provider index for a selective one.
        conn.exec_driver_sql("ANALYZE")
        conn.commit()
    return time.perf_counter() - started
