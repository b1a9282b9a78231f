"""``data_access.bulk``: Arrow columns loaded by binary COPY, CSV COPY and executemany agree."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest
from sqlalchemy import table as sa_table
from sqlalchemy import text

from data_access import bulk

COLUMNS = "i integer, b boolean, f double precision, ts timestamp, d date, s varchar(200), t text, n bigint"


def sample(rows: int = 50_007) -> pa.Table:
    """Every type the importers write, with nulls, empty and non-ASCII text, and values either
    side of PostgreSQL's 2000-01-01 epoch; more rows than one COPY piece."""
    base = [
        (1, True, 2.5, dt.datetime(2024, 6, 30, 23, 30), dt.date(2024, 7, 1), "Siân £20 – ok", "x", 2**40),
        (None, False, None, None, dt.date(1970, 1, 1), "", None, None),
        (-5, None, -0.1, dt.datetime(1999, 12, 31, 23, 59, 59, 999_999), None, None, "", -1),
        (2**31 - 1, True, 1e300, dt.datetime(2100, 1, 1), dt.date(2000, 1, 1), "y" * 200, "z" * 500, 0),
    ]
    picked = [base[i % len(base)] for i in range(rows)]
    names = ["i", "b", "f", "ts", "d", "s", "t", "n"]
    kinds = [pa.int64(), pa.bool_(), pa.float64(), pa.timestamp("us"), pa.date32(), pa.string(), pa.string(), pa.int64()]
    return pa.table({name: pa.array([row[k] for row in picked], kind) for k, (name, kind) in enumerate(zip(names, kinds))})


def load(conn, name: str, block: bulk.ColumnBlock, how) -> list[tuple]:
    conn.execute(text(f"CREATE TEMPORARY TABLE {name} ({COLUMNS})"))
    how(conn, name, block)
    return [tuple(r) for r in conn.execute(text(f"SELECT i, b, f, ts, d, s, t, n FROM {name}"))]


def test_binary_copy_equals_csv_copy(engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("COPY is PostgreSQL's")
    block = bulk.ColumnBlock(sample())
    with engine.begin() as conn:
        types = ["integer", "boolean", "double precision", "timestamp without time zone", "date",
                 "character varying(200)", "text", "bigint"]
        assert bulk.binary_copy_supported(block.table, types)

        def binary(c, name, b):
            with c.connection.driver_connection.cursor() as cursor:
                bulk._copy_binary(cursor, name, b.table.column_names, b, types)

        def csv(c, name, b):
            with c.connection.driver_connection.cursor() as cursor:
                bulk._copy_csv(cursor, name, b.table.column_names, b)

        by_binary = load(conn, "by_binary", block, binary)
        by_csv = load(conn, "by_csv", block, csv)
        by_rows = load(conn, "by_rows", block, lambda c, name, b: bulk.bulk_insert(
            c, sa_table(name), b.table.column_names, iter(b)))
        assert by_binary == by_csv == by_rows and len(by_binary) == block.table.num_rows


def test_bulk_insert_chooses_binary_only_when_every_type_allows(engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("COPY is PostgreSQL's")
    as_text = pa.table({"i": pa.array(["1", "2"])})
    assert not bulk.binary_copy_supported(as_text, ["integer"])
    with engine.begin() as conn:  # text for an integer column still loads, by CSV
        conn.execute(text("CREATE TEMPORARY TABLE mixed (i integer)"))
        assert bulk.bulk_insert(conn, sa_table("mixed"), ["i"], bulk.ColumnBlock(as_text)) == 2
        assert conn.execute(text("SELECT SUM(i) FROM mixed")).scalar() == 3


def test_a_value_too_big_for_its_column_is_an_error_not_a_wrapped_number(engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("COPY is PostgreSQL's")
    with engine.begin() as conn:
        conn.execute(text("CREATE TEMPORARY TABLE small (i integer)"))
        with pytest.raises(OverflowError):
            bulk.bulk_insert(conn, sa_table("small"), ["i"], bulk.ColumnBlock(pa.table({"i": pa.array([2**31])})))


def test_sqlite_loads_column_blocks_piece_by_piece_in_storage_form(engine):
    if engine.dialect.name != "sqlite":
        pytest.skip("executemany is the SQLite path")
    block = bulk.ColumnBlock(sample(45_001))
    with engine.begin() as conn:
        conn.execute(text(f"CREATE TEMPORARY TABLE pieces ({COLUMNS})"))
        assert bulk.bulk_insert(conn, sa_table("pieces"), block.table.column_names, block) == 45_001
        first = conn.execute(text("SELECT ts, d FROM pieces WHERE rowid = 1")).one()
        assert tuple(first) == ("2024-06-30 23:30:00.000000", "2024-07-01")
        assert conn.execute(text("SELECT COUNT(*) FROM pieces")).scalar() == 45_001
