"""Shared fixtures.

``engine`` runs a test once against SQLite and, when ``DASHBOARD_TEST_POSTGRES_URL`` is set
(CI sets it), once more against PostgreSQL. Each backend is migrated once per session; every
test starts from empty tables. ``reference_engine`` adds the reference data.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from hypothesis import settings
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from data_access.db import make_engine, session_scope
from data_access.models import Base
from data_access.schema import upgrade

# Property tests: no per-example deadline (timing is for benchmarks, and CI shares 2 cores);
# in CI the examples are derandomised so a run is repeatable.
settings.register_profile("dashboard", deadline=None, derandomize=bool(os.environ.get("CI")))
settings.load_profile("dashboard")

POSTGRES_URL = os.environ.get("DASHBOARD_TEST_POSTGRES_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])


def _private_postgres(url: str) -> tuple[str, Engine]:
    """A fresh database of our own next to the one named by the URL, so concurrent test runs
    (several developers, or xdist workers) never drop each other's tables."""
    admin = make_engine(url).execution_options(isolation_level="AUTOCOMMIT")
    name = f"dashboard_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    private_url = make_url(make_engine(url).url).set(database=name).render_as_string(hide_password=False)
    return name, make_engine(private_url)


def _drop_postgres(url: str, name: str) -> None:
    admin = make_engine(url).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def migrated_engine(request, tmp_path_factory) -> Iterator[Engine]:
    private_name = None
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("db") / "test.db"
        engine = make_engine(f"sqlite:///{path}")
    else:
        private_name, engine = _private_postgres(POSTGRES_URL)
    upgrade(engine)
    yield engine
    engine.dispose()
    if private_name is not None:
        _drop_postgres(POSTGRES_URL, private_name)


def empty_all_tables(engine: Engine) -> None:
    tables = [t.name for t in Base.metadata.sorted_tables] + ["alembic_version"]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            names = ", ".join(f'"{t}"' for t in tables if t != "alembic_version")
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(Base.metadata.sorted_tables):
                conn.execute(table.delete())


@pytest.fixture()
def engine(migrated_engine: Engine) -> Iterator[Engine]:
    empty_all_tables(migrated_engine)
    yield migrated_engine
    empty_all_tables(migrated_engine)


@pytest.fixture()
def reference_engine(engine: Engine) -> Engine:
    from data_access.reference import load_reference_data

    with session_scope(engine) as session:
        load_reference_data(session)
    return engine


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    """Say loudly which tiers did not run, so a green run on a new machine is not mistaken
    for the whole suite (CI's ``.ci/run`` installs and starts everything these need)."""
    missing = []
    if not POSTGRES_URL:
        missing.append("PostgreSQL: every database test ran on SQLite only; set "
                       "DASHBOARD_TEST_POSTGRES_URL=postgresql://postgres@127.0.0.1:5432/test (or run bash .ci/run)")
    skipped = terminalreporter.stats.get("skipped", [])
    reasons = {}
    for report in skipped:
        longrepr = report.longrepr
        reason = longrepr[2] if isinstance(longrepr, tuple) and len(longrepr) == 3 else str(longrepr)
        for tier in ("axe-core is not installed", "browser tests skipped"):
            if tier in reason:
                reasons.setdefault(reason.removeprefix("Skipped: "), 0)
                reasons[reason.removeprefix("Skipped: ")] += 1
    missing.extend(f"{count} tests: {reason}" for reason, count in reasons.items())
    if missing:
        terminalreporter.write_sep("!", "NOT THE WHOLE SUITE", yellow=True, bold=True)
        for line in missing:
            terminalreporter.write_line(f"not run: {line}", yellow=True, bold=True)
