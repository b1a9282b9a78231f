"""Migrations build the schema from empty, match the models, and init is idempotent."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select

from data_access.db import session_scope
from data_access.models import Base, Region
from data_access.schema import table_names
from data_access.setup import initialise


def test_migrations_create_every_model_table(engine):
    tables = set(table_names(engine))
    assert {t.name for t in Base.metadata.sorted_tables} <= tables
    assert "alembic_version" in tables


def test_migrated_schema_matches_the_models(engine):
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diffs == []


def test_init_twice_adds_nothing_the_second_time(engine):
    first = initialise(engine)
    second = initialise(engine)
    assert first["regions"] == 12 and first["pdus"] == 110  # Annex C 108 + GM's 2 later PDUs
    assert all(count == 0 for count in second.values()), second
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(Region)) == 12
