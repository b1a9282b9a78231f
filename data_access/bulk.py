"""Fast bulk loading of plain tuples: ``COPY`` on PostgreSQL, ``executemany`` on SQLite.

Rows held as Arrow columns (:class:`ColumnBlock`) go to PostgreSQL in ``COPY``'s binary
format, built column by column with numpy, when every column's type allows (otherwise as CSV
written by Arrow).

Values must already be in the database's storage form: ``None`` for null, ISO strings for
dates (``YYYY-MM-DD``) and timestamps (``YYYY-MM-DD HH:MM:SS.ffffff``, naive UTC), ints or
bools, floats, str. :func:`column_values` turns numpy/pandas columns into that form.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
from sqlalchemy import Connection, Table, text


def column_values(values, kind: str) -> list:
    """Convert one generated column to storage values.

    ``kind`` is ``"date"``, ``"datetime"``, ``"int"``, ``"float"``, ``"bool"`` or ``"str"``.
    Missing values (NaT, NaN, None, pandas NA) become ``None``.
    """
    if kind == "date":
        arr = np.asarray(values, dtype="datetime64[D]")
        text = np.datetime_as_string(arr, unit="D").astype(object)
        text[np.isnat(arr)] = None
        return text.tolist()
    if kind == "datetime":
        arr = np.asarray(values, dtype="datetime64[us]")
        text = np.char.replace(np.datetime_as_string(arr, unit="us"), "T", " ").astype(object)
        text[np.isnat(arr)] = None
        return text.tolist()
    series = pd.Series(values)
    mask = series.isna().to_numpy()
    if kind == "int":
        out = np.asarray(series.fillna(0), dtype=np.int64).astype(object)
    elif kind == "float":
        out = np.asarray(series.fillna(0.0), dtype=np.float64).astype(object)
    elif kind == "bool":
        out = np.asarray(series.fillna(False), dtype=bool).astype(object)
    elif kind == "str":
        out = series.astype(object).to_numpy(copy=True)
    else:  # pragma: no cover - programming error
        raise ValueError(f"unknown column kind {kind!r}")
    out[mask] = None
    return out.tolist()


class ColumnBlock:
    """Rows held as columns: an Arrow table of storage values.

    Timestamps may be Arrow ``timestamp`` columns (naive UTC) and dates ``date32`` columns;
    everything else is already in storage form. Iterates as row tuples in storage form
    (timestamps and dates as the ISO strings above) like any other ``rows`` argument, so it
    can be passed anywhere rows are expected; :func:`bulk_insert` on PostgreSQL instead
    streams it to ``COPY`` as CSV written by Arrow, with no Python object per value.
    """

    def __init__(self, table: pa.Table) -> None:
        self.table = table

    def __len__(self) -> int:
        return self.table.num_rows

    def __iter__(self) -> Iterator[tuple]:
        return zip(*(_storage_column(column).to_pylist() for column in self.table.columns))


def _storage_column(column):
    """An Arrow column with timestamps and dates as storage strings (``YYYY-MM-DD HH:MM:SS.ffffff``
    and ``YYYY-MM-DD``, as SQLAlchemy writes them to SQLite); other columns as they are."""
    if pa.types.is_timestamp(column.type) or pa.types.is_date(column.type):
        return column.cast(pa.string())
    return column


#: Rows per piece of CSV or binary data handed to ``COPY`` (bounds the bytes held at once).
_COPY_PIECE_ROWS = 20_000

# --- PostgreSQL's binary COPY format, written from Arrow columns with numpy -------------------
#
# A file is a signature, then one record per row (a 16-bit field count, then per field a 32-bit
# byte length, -1 for NULL, and that many bytes of the type's binary form, all big-endian),
# then a 16-bit -1. The server then has nothing to parse: a timestamp arrives as the integer
# it stores rather than as text. Each piece of rows is laid out as a byte matrix with one
# block of columns per field, wide enough for the field's longest value in the piece, plus a
# mask of the bytes each row really uses; the mask picks the rows' bytes out in order.

_BINARY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + bytes(8)  # signature, flags, header extension length
_BINARY_TRAILER = b"\xff\xff"
_POSTGRES_EPOCH_US = 946_684_800 * 1_000_000  # 2000-01-01, PostgreSQL's zero for timestamps
_POSTGRES_EPOCH_DAYS = 10_957  # and for dates

#: PostgreSQL type (as ``format_type`` names it) → big-endian numpy type of its binary form.
_BINARY_FIXED = {
    "smallint": ">i2", "integer": ">i4", "bigint": ">i8", "real": ">f4", "double precision": ">f8",
    "boolean": "u1", "timestamp without time zone": ">i8", "date": ">i4",
}


def postgres_column_types(connection: Connection, table_name: str) -> dict[str, str]:
    """``{column: type}`` of a PostgreSQL table (temporary tables included), as ``format_type`` names them."""
    return dict(connection.execute(text(
        "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute "
        "WHERE attrelid = CAST(:t AS regclass) AND attnum > 0 AND NOT attisdropped"
    ), {"t": table_name}).all())


def _is_text_type(kind: str) -> bool:
    return kind in ("text", "character varying") or kind.startswith("character varying(")


def binary_copy_supported(table: pa.Table, types: Sequence[str]) -> bool:
    """True if every column can be written in binary for its PostgreSQL type by :func:`binary_copy_rows`."""
    for column, kind in zip(table.columns, types):
        arrow = column.type
        if _is_text_type(kind):
            ok = pa.types.is_string(arrow) or pa.types.is_null(arrow)
        elif kind == "timestamp without time zone":
            ok = (pa.types.is_timestamp(arrow) and arrow.tz is None) or pa.types.is_null(arrow)
        elif kind == "date":
            ok = pa.types.is_date32(arrow) or pa.types.is_null(arrow)
        elif kind == "boolean":
            ok = pa.types.is_boolean(arrow) or pa.types.is_null(arrow)
        elif kind in ("smallint", "integer", "bigint"):
            ok = pa.types.is_integer(arrow) or pa.types.is_null(arrow)
        elif kind in ("real", "double precision"):
            ok = pa.types.is_floating(arrow) or pa.types.is_integer(arrow) or pa.types.is_null(arrow)
        else:
            ok = False
        if not ok:
            return False
    return True


def _single(column) -> pa.Array:
    if isinstance(column, pa.ChunkedArray):
        return column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()
    return column


def _valid(array: pa.Array) -> np.ndarray:
    if array.null_count == 0:
        return np.ones(len(array), dtype=bool)
    return np.asarray(array.is_valid().to_numpy(zero_copy_only=False), dtype=bool)


def _fixed_values(array: pa.Array, kind: str, valid: np.ndarray) -> np.ndarray:
    """The column's values in ``kind``'s binary form (big-endian), nulls as zero."""
    if pa.types.is_null(array.type):
        return np.zeros(len(array), dtype=_BINARY_FIXED[kind])
    if kind == "timestamp without time zone":
        values = array.cast(pa.timestamp("us")).cast(pa.int64()).fill_null(0).to_numpy() - _POSTGRES_EPOCH_US
    elif kind == "date":
        values = array.cast(pa.int32()).fill_null(0).to_numpy().astype(np.int64) - _POSTGRES_EPOCH_DAYS
    elif kind == "boolean":
        values = np.asarray(array.fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)
    else:
        values = array.fill_null(0).to_numpy(zero_copy_only=False)
    target = np.dtype(_BINARY_FIXED[kind])
    if target.kind == "i":
        limits = np.iinfo(target)
        present = values[valid]
        if present.size and (present.min() < limits.min or present.max() > limits.max):
            raise OverflowError(f"a value does not fit PostgreSQL's {kind}")
    return values.astype(target)


def _text_bytes(array: pa.Array, valid: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(UTF-8 bytes, start of each row's bytes, byte length of each row, 0 for null)."""
    if pa.types.is_null(array.type) or len(array) == 0:
        n = len(array)
        return np.zeros(1, np.uint8), np.zeros(n, np.int64), np.zeros(n, np.int64)
    buffers = array.buffers()
    offsets = np.frombuffer(buffers[1], dtype=np.int32)[array.offset : array.offset + len(array) + 1].astype(np.int64)
    data = np.frombuffer(buffers[2], dtype=np.uint8) if buffers[2] is not None and buffers[2].size else np.zeros(1, np.uint8)
    lengths = np.where(valid, np.diff(offsets), 0)
    return data, offsets[:-1], lengths


def binary_copy_rows(table: pa.Table, types: Sequence[str]) -> memoryview:
    """The rows of ``table`` as PostgreSQL binary COPY records (no signature, no trailer)."""
    n, k = table.num_rows, table.num_columns
    fields = []  # (kind, valid, payload info, width)
    width = 2
    for column, kind in zip(table.columns, types):
        array = _single(column)
        valid = _valid(array)
        if _is_text_type(kind):
            data, starts, lengths = _text_bytes(array, valid)
            size = int(lengths.max()) if n else 0
            fields.append(("text", valid, (data, starts, lengths), size))
        else:
            values = _fixed_values(array, kind, valid)
            fields.append(("fixed", valid, values, values.dtype.itemsize))
        width += 4 + fields[-1][3]
    # Every block of ``used`` is assigned below; bytes it leaves out are never read.
    matrix = np.empty((n, width), dtype=np.uint8)
    used = np.empty((n, width), dtype=bool)
    matrix[:, 0:2] = np.frombuffer(np.array([k], dtype=">i2").tobytes(), dtype=np.uint8)
    used[:, 0:2] = True
    at = 2
    for form, valid, payload, size in fields:
        if form == "text":
            data, starts, lengths = payload
            stated = np.where(valid, lengths, -1)
        else:
            stated = np.where(valid, size, -1)
        matrix[:, at:at + 4] = stated.astype(">i4").view(np.uint8).reshape(n, 4)
        used[:, at:at + 4] = True
        at += 4
        if size:
            block = slice(at, at + size)
            if form == "text":
                used[:, block] = np.arange(size)[None, :] < lengths[:, None]
                rows = np.flatnonzero(lengths) if len(lengths) > 2 * np.count_nonzero(lengths) else slice(None)
                positions = starts[rows, None] + np.arange(size)[None, :]
                matrix[rows, block] = data[np.minimum(positions, data.size - 1)]
            else:
                matrix[:, block] = payload.view(np.uint8).reshape(n, size)
                used[:, block] = valid[:, None]
            at += size
    return memoryview(matrix[used])


def _copy_binary(cursor, table_name: str, columns: Sequence[str], block: ColumnBlock, types: Sequence[str]) -> int:
    column_list = ", ".join(f'"{c}"' for c in columns)
    with cursor.copy(f'COPY "{table_name}" ({column_list}) FROM STDIN WITH (FORMAT binary)') as copy:
        copy.write(_BINARY_SIGNATURE)
        for start in range(0, block.table.num_rows, _COPY_PIECE_ROWS):
            copy.write(binary_copy_rows(block.table.slice(start, _COPY_PIECE_ROWS), types))
        copy.write(_BINARY_TRAILER)
    return block.table.num_rows


def _copy_csv(cursor, table_name: str, columns: Sequence[str], block: ColumnBlock) -> int:
    """``COPY … FROM STDIN (FORMAT csv)``: Arrow quotes every string, so an unquoted empty
    field is NULL and a quoted one is an empty string, exactly as PostgreSQL reads CSV."""
    column_list = ", ".join(f'"{c}"' for c in columns)
    options = pa_csv.WriteOptions(include_header=False)
    with cursor.copy(f'COPY "{table_name}" ({column_list}) FROM STDIN WITH (FORMAT csv)') as copy:
        for start in range(0, block.table.num_rows, _COPY_PIECE_ROWS):
            sink = pa.BufferOutputStream()
            pa_csv.write_csv(block.table.slice(start, _COPY_PIECE_ROWS), sink, options)
            copy.write(sink.getvalue().to_pybytes())
    return block.table.num_rows


def bulk_insert(connection: Connection, table: Table, columns: Sequence[str], rows: Iterable[tuple]) -> int:
    """Insert ``rows`` (tuples in ``columns`` order) into ``table`` inside the caller's transaction.

    ``table`` only needs a ``name`` (``sqlalchemy.table("import_keys")`` will do for a
    temporary table). ``rows`` may be a :class:`ColumnBlock`.
    """
    raw = connection.connection.driver_connection
    count = 0
    if connection.dialect.name == "postgresql":
        if isinstance(rows, ColumnBlock):
            held = postgres_column_types(connection, table.name)
            types = [held.get(c, "") for c in columns]
            with raw.cursor() as cursor:
                if binary_copy_supported(rows.table, types):
                    return _copy_binary(cursor, table.name, columns, rows, types)
                return _copy_csv(cursor, table.name, columns, rows)
        column_list = ", ".join(f'"{c}"' for c in columns)
        with raw.cursor() as cursor:
            with cursor.copy(f'COPY "{table.name}" ({column_list}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
        return count
    placeholders = ", ".join("?" for _ in columns)
    column_list = ", ".join(f'"{c}"' for c in columns)
    statement = f'INSERT INTO "{table.name}" ({column_list}) VALUES ({placeholders})'
    if isinstance(rows, ColumnBlock):
        # A piece at a time: a chunk's rows as Python tuples would take hundreds of MB.
        pieces = (ColumnBlock(rows.table.slice(start, _COPY_PIECE_ROWS))
                  for start in range(0, rows.table.num_rows, _COPY_PIECE_ROWS))
    else:
        pieces = [rows]
    cursor = raw.cursor()
    try:
        for piece in pieces:
            counted = _Counted(piece)
            cursor.executemany(statement, counted)
            count += counted.count
    finally:
        cursor.close()
    return count


class _Counted:
    """An iterable that counts the rows it hands out (``executemany`` takes any iterable)."""

    def __init__(self, rows: Iterable[tuple]) -> None:
        self.rows, self.count = rows, 0

    def __iter__(self) -> Iterator[tuple]:
        for row in self.rows:
            self.count += 1
            yield row


def frame_rows(frame: pd.DataFrame, kinds: dict[str, str]) -> tuple[list[str], Iterable[tuple]]:
    """Columns and row tuples of ``frame`` converted per ``kinds`` (column → kind)."""
    columns = list(kinds)
    converted = [column_values(frame[c].to_numpy(), kinds[c]) for c in columns]
    return columns, zip(*converted)


def drop_secondary_indexes(connection: Connection, table_name: str) -> list[str]:
    """Drop ``table_name``'s plain (non-unique) indexes; return the statements that recreate them.

    For a bulk load inside the caller's transaction: rebuild with :func:`recreate`
    before committing. Unique indexes and the primary key stay, so keys are still enforced
    row by row. The statements are read from the database's catalogue, so whatever indexes
    the schema has at the time are put back exactly.
    """
    if connection.dialect.name == "postgresql":
        found = connection.execute(text(
            "SELECT c.relname, pg_get_indexdef(c.oid) FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid "
            "WHERE x.indrelid = CAST(:t AS regclass) AND NOT x.indisunique AND NOT x.indisprimary"
        ), {"t": table_name}).all()
    else:
        plain = {
            row[1] for row in connection.exec_driver_sql(f'PRAGMA index_list("{table_name}")') if not row[2] and row[3] == "c"
        }
        found = [
            (name, sql) for name, sql in connection.execute(text(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = :t AND sql IS NOT NULL"
            ), {"t": table_name}) if name in plain
        ]
    for name, _ in found:
        connection.execute(text(f'DROP INDEX "{name}"'))
    return [sql for _, sql in found]


def drop_foreign_keys(connection: Connection, table_name: str) -> list[str]:
    """PostgreSQL: drop ``table_name``'s foreign keys; return the statements that add them back.

    Each inserted row otherwise fires one trigger per foreign key to look its parent up;
    adding the constraint back checks every row in one join. Inside the caller's
    transaction, so a row that breaks a key fails the whole load when the key is added back.
    SQLite cannot drop a constraint (and checks keys cheaply), so this does nothing there.
    """
    return _drop_constraints(connection, table_name, "c.contype = 'f'")


def drop_unique_constraints(connection: Connection, table_name: str) -> list[str]:
    """PostgreSQL: drop ``table_name``'s unique constraints (not its primary key, and not one a
    foreign key refers to); return the statements that add them back.

    A unique index is grown row by row as rows arrive, one random position at a time for a
    key like a UUID; adding the constraint back builds the index from sorted keys, several
    times faster, and checks every key then, inside the caller's transaction, so a duplicate
    fails the whole load. SQLite cannot drop a constraint, so this does nothing there.
    """
    return _drop_constraints(connection, table_name, (
        "c.contype = 'u' AND NOT EXISTS (SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' "
        "AND f.conindid = c.conindid)"))


def _drop_constraints(connection: Connection, table_name: str, which: str) -> list[str]:
    """PostgreSQL: drop ``table_name``'s constraints matching ``which`` (SQL on ``pg_constraint c``,
    a fixed string from this module); return the statements that add them back."""
    if connection.dialect.name != "postgresql":
        return []
    found = connection.execute(text(
        "SELECT c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c "
        f"WHERE c.conrelid = CAST(:t AS regclass) AND {which}"
    ), {"t": table_name}).all()
    for name, _ in found:
        connection.execute(text(f'ALTER TABLE "{table_name}" DROP CONSTRAINT "{name}"'))
    return [f'ALTER TABLE "{table_name}" ADD CONSTRAINT "{name}" {definition}' for name, definition in found]


def recreate(connection: Connection, statements: Sequence[str]) -> None:
    """Run the statements :func:`drop_secondary_indexes` or :func:`drop_foreign_keys` returned."""
    for statement in statements:
        connection.execute(text(statement))
