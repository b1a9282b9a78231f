"""Reading a file as it comes: CSV (UTF-8 with or without BOM, or Windows-1252; CRLF or LF)
or an Excel workbook, streamed in chunks of raw text so memory stays bounded.

Every value arrives as text (blank = ``""``); parsing is the validators' job, so a bad value
can be reported exactly as written. Row numbers are spreadsheet rows: the heading is row 1.

A CSV file can be read two ways. pandas (the reference, and what the smaller imports use)
gives each chunk as a DataFrame. Arrow (``open_table(..., columnar=True)``, for the large
Refer and Monitor report) parses in C++ into string columns with no Python object per value,
several times faster; when Arrow meets a line it cannot take as it is (a line with more or
fewer values than headings, or text it cannot parse), it raises :class:`IrregularCsv` and the
caller reads the file again with pandas, so such a file is handled, and its problems are
reported, exactly as before.
"""

from __future__ import annotations

import codecs
import datetime as dt
import hashlib
import io
import queue
import re
import threading
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from data_access.importers.problems import ProblemLog

CHUNK_ROWS = 100_000
_BLOCK = 1 << 20
#: Bytes Arrow parses at a time; its batches are regrouped into chunks of ``chunk_rows``.
_ARROW_BLOCK = 1 << 20


@dataclass(frozen=True)
class FileLimits:
    """What an import will hold, checked as the file streams in (issue 14): the file's size,
    its rows and columns, and for a workbook (a zip archive) what it unpacks to, so a small
    compressed file cannot make the server unpack gigabytes."""

    max_bytes: int
    max_rows: int
    max_columns: int = 200
    #: The workbook's parts as the archive declares them, unpacked (zipfile reads no further).
    max_unzipped_bytes: int = 100 * 1024 * 1024
    #: Unpacked / packed size of any one part: real sheets compress 5–20 times.
    max_zip_ratio: int = 200
    max_zip_entries: int = 500


#: Any workbook, whatever the import, is unpacked only within these.
WORKBOOK_LIMITS = FileLimits(max_bytes=1 << 40, max_rows=2_000_000)


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):,.1f} MB"


def file_limit_problem(source: Source, log: ProblemLog, limits: FileLimits) -> bool:
    """Add a whole-file problem if the file is larger than ``limits`` allow. True if added."""
    if source.size > limits.max_bytes:
        log.add(None, None, None, f"the file is {_megabytes(source.size)}; this import takes files up to "
                                  f"{_megabytes(limits.max_bytes)} (split it, or ask an administrator)")
        return True
    return False


def workbook_limit_problem(source: Source, log: ProblemLog, limits: FileLimits = WORKBOOK_LIMITS) -> bool:
    """Check a workbook's zip directory before anything is unpacked. True if a problem was added."""
    import zipfile

    try:
        with source.open() as handle, zipfile.ZipFile(handle) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        log.add(None, None, None, "the Excel workbook cannot be opened (it is damaged or not a workbook)")
        return True
    unpacked = sum(e.file_size for e in entries)
    if len(entries) > limits.max_zip_entries:
        reason = f"the workbook has {len(entries):,} parts; at most {limits.max_zip_entries:,} are read"
    elif unpacked > limits.max_unzipped_bytes:
        reason = (f"the workbook unpacks to {_megabytes(unpacked)}; at most {_megabytes(limits.max_unzipped_bytes)} "
                  "is read (save it as CSV, or split it)")
    elif any(e.file_size > limits.max_zip_ratio * max(e.compress_size, 1) and e.file_size > 1 << 20 for e in entries):
        reason = "the workbook is compressed far more than a real sheet would be; it was not unpacked"
    else:
        return False
    log.add(None, None, None, reason)
    return True


@dataclass(frozen=True)
class Source:
    """An uploaded or local file, scanned once: its hash, format and text encoding."""

    name: str
    sha256: str
    format: str  # "csv", "xlsx", "empty", "binary", "xls"
    encoding: str | None  # "utf-8-sig", "utf-8", "cp1252" for CSV
    path: Path | None = None
    data: bytes | None = None
    size: int = 0

    def open(self) -> BinaryIO:
        return open(self.path, "rb") if self.path is not None else io.BytesIO(self.data or b"")


def scan(source: str | Path | bytes, name: str | None = None) -> Source:
    """Hash the file and work out its format and encoding in one streamed read."""
    if isinstance(source, (bytes, bytearray)):
        data, path = bytes(source), None
        handle: BinaryIO = io.BytesIO(data)
        name = name or "upload"
    else:
        path, data = Path(source), None
        handle = open(path, "rb")
        name = name or path.name
    digest = hashlib.sha256()
    utf8 = codecs.getincrementaldecoder("utf-8")()
    cp1252 = codecs.getincrementaldecoder("cp1252")()
    utf8_ok = cp1252_ok = True
    nul_bytes = 0
    first = b""
    size = 0
    with handle:
        while block := handle.read(_BLOCK):
            if not first:
                first = block[:8]
            size += len(block)
            digest.update(block)
            nul_bytes += block.count(b"\x00")
            if utf8_ok:
                try:
                    utf8.decode(block)
                except UnicodeDecodeError:
                    utf8_ok = False
            if not utf8_ok and cp1252_ok:
                try:
                    cp1252.decode(block)
                except UnicodeDecodeError:
                    cp1252_ok = False
        if utf8_ok:
            try:
                utf8.decode(b"", final=True)
            except UnicodeDecodeError:
                utf8_ok = False
    if size == 0:
        fmt, encoding = "empty", None
    elif first.startswith(b"PK\x03\x04"):
        fmt, encoding = "xlsx", None
    elif first.startswith(b"\xd0\xcf\x11\xe0"):
        fmt, encoding = "xls", None
    # UTF-16 text or binary data is full of NUL bytes; a stray NUL in a cell of a text file is
    # a problem with that value (the validators report it), not with the whole file.
    elif nul_bytes * 100 > size or not (utf8_ok or cp1252_ok):
        fmt, encoding = "binary", None
    elif utf8_ok:
        fmt, encoding = "csv", "utf-8-sig" if first.startswith(codecs.BOM_UTF8) else "utf-8"
    else:
        fmt, encoding = "csv", "cp1252"
    return Source(name=name, sha256=digest.hexdigest(), format=fmt, encoding=encoding, path=path, data=data, size=size)


def format_problem(source: Source, log: ProblemLog) -> bool:
    """Add a whole-file problem for a file that cannot be read as a table. True if added."""
    reasons = {
        "empty": "the file is empty",
        "xls": "this is an old-style Excel file (.xls); save it as .xlsx or as CSV and send it again",
        "binary": "this is not a CSV text file or an Excel workbook (it looks like binary data)",
    }
    if source.format in reasons:
        log.add(None, None, None, reasons[source.format])
        return True
    return False


@dataclass
class Table:
    """A file opened as a table: its headings and an iterator of raw-text chunks.

    ``columns`` is set for a CSV file opened with ``columnar=True``: the same chunks as Arrow
    string columns (in file order, named by position) with their row numbers. Read either
    ``chunks`` or ``columns``, not both.
    """

    headings: list[str]
    chunks: Iterator[tuple[pd.DataFrame, pd.Series]]  # (raw text frame, spreadsheet row numbers)
    from_excel: bool
    columns: Iterator[tuple[pa.Table, np.ndarray]] | None = None


class IrregularCsv(Exception):
    """Arrow could not read the CSV file as a plain table; read it with pandas instead."""


def select_columns(frame: pd.DataFrame, mapping: dict[int, str], columns: list[str]) -> pd.DataFrame:
    """The chunk's columns renamed to the format's names; absent optional columns are blank."""
    picked = frame.iloc[:, list(mapping)]
    picked.columns = list(mapping.values())
    for column in columns:
        if column not in picked.columns:
            picked[column] = ""
    return picked[columns]


def open_table(
    source: Source, log: ProblemLog, *, sheet: str | None = None, chunk_rows: int = CHUNK_ROWS, columnar: bool = False,
    limits: FileLimits = WORKBOOK_LIMITS,
) -> Table | None:
    """Headings + chunks, or None (with a problem logged) if the file is not a readable table.

    ``columnar``: read a CSV file with Arrow (see the module's description); reading may then
    raise :class:`IrregularCsv`, after which the caller opens the file again without it.
    ``limits``: a workbook is unpacked only within them (a CSV's rows are the caller's to count).
    """
    if format_problem(source, log):
        return None
    if source.format == "xlsx":
        return _open_workbook(source, log, sheet, limits)
    table = _open_csv(source, log, chunk_rows)
    if table is not None and columnar:
        if any("\n" in h or "\r" in h for h in table.headings):
            raise IrregularCsv("a heading runs over more than one line")
        columns = _arrow_chunks(source, len(table.headings), chunk_rows)
        table = Table(headings=table.headings, chunks=_as_frames(columns), from_excel=False, columns=columns)
    return table


def _arrow_chunks(source: Source, width: int, chunk_rows: int) -> Iterator[tuple[pa.Table, np.ndarray]]:
    """The CSV body as Arrow string columns, ``chunk_rows`` rows at a time, with row numbers.

    Rows whose values are all blank are left out (as the pandas reader does) but still
    counted, so row numbers stay those of the file.
    """
    irregular: list[int | None] = []

    def invalid_row(row) -> str:
        irregular.append(row.number)
        return "skip"

    # The heading row (already read by pandas) is skipped; the columns are named by position.
    names = [f"c{i}" for i in range(width)]
    read = pa_csv.ReadOptions(
        use_threads=True, block_size=_ARROW_BLOCK, skip_rows=1, column_names=names,
        encoding="utf8" if source.encoding in ("utf-8", "utf-8-sig") else source.encoding,
    )
    parse = pa_csv.ParseOptions(newlines_in_values=True, ignore_empty_lines=False, invalid_row_handler=invalid_row)
    # Every column as text, blanks as "": Arrow infers nothing (as dtype=str in pandas).
    convert = pa_csv.ConvertOptions(
        column_types={name: pa.string() for name in names}, strings_can_be_null=False, quoted_strings_can_be_null=False,
    )
    next_row = 2
    with source.open() as handle:
        try:
            reader = pa_csv.open_csv(handle, read_options=read, parse_options=parse, convert_options=convert)
            waiting: list[pa.RecordBatch] = []
            held = 0
            finished = False
            while not finished:
                try:
                    batch = reader.read_next_batch()
                    waiting.append(batch)
                    held += batch.num_rows
                except StopIteration:
                    finished = True
                if irregular:
                    raise IrregularCsv(f"line {irregular[0]} does not have {width} values")
                while held >= chunk_rows or (finished and held):
                    table = pa.Table.from_batches(waiting, schema=reader.schema)
                    chunk, rest = table.slice(0, chunk_rows), table.slice(chunk_rows)
                    waiting, held = rest.to_batches(), rest.num_rows
                    rows = np.arange(next_row, next_row + chunk.num_rows, dtype=np.int64)
                    next_row += chunk.num_rows
                    chunk = chunk.combine_chunks()
                    blank_rows = _all_blank(chunk)
                    if blank_rows is not None:
                        chunk, rows = chunk.filter(pc.invert(blank_rows)), rows[~blank_rows.to_numpy(zero_copy_only=False)]
                    yield chunk, rows
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, UnicodeDecodeError) as exc:
            raise IrregularCsv(str(exc)) from exc


def _all_blank(chunk: pa.Table) -> pa.Array | None:
    """Mask of rows whose every value is ``""`` (None if there are none)."""
    if chunk.num_columns == 0 or chunk.num_rows == 0:
        return None
    mask = None
    for column in chunk.columns:
        empty = pc.equal(column, "")
        mask = empty if mask is None else pc.and_(mask, empty)
    mask = mask.combine_chunks() if isinstance(mask, pa.ChunkedArray) else mask
    return mask if pc.any(mask).as_py() else None


def _as_frames(columns: Iterator[tuple[pa.Table, np.ndarray]]) -> Iterator[tuple[pd.DataFrame, pd.Series]]:
    """Arrow chunks as the pandas chunks every other reader gives."""
    for chunk, rows in columns:
        frame = chunk.to_pandas()
        frame.columns = range(chunk.num_columns)
        yield frame, pd.Series(rows)


_SKIPPING = re.compile(r"Skipping line (\d+): expected (\d+) fields, saw (\d+)")


def _open_csv(source: Source, log: ProblemLog, chunk_rows: int) -> Table | None:
    options = dict(
        dtype="str", keep_default_na=False, na_filter=False, encoding=source.encoding,
        skip_blank_lines=False, engine="c",
    )
    try:
        with source.open() as handle:
            headings = list(pd.read_csv(handle, nrows=0, **options).columns)
    except pd.errors.EmptyDataError:
        log.add(None, None, None, "the file is empty")
        return None
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        log.add(None, None, None, f"the file cannot be read as CSV ({exc})")
        return None
    headings = [str(h) for h in headings]
    if headings and headings[0].startswith("\ufeff"):
        headings[0] = headings[0][1:]

    def chunks() -> Iterator[tuple[pd.DataFrame, pd.Series]]:
        next_row = 2
        with source.open() as handle, warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", pd.errors.ParserWarning)
            reader = pd.read_csv(handle, chunksize=chunk_rows, on_bad_lines="warn", **options)
            try:
                for frame in reader:
                    frame = frame.fillna("")
                    rows = pd.Series(range(next_row, next_row + len(frame)), index=frame.index)
                    next_row += len(frame)
                    _report_ragged_lines(caught, log)
                    keep = ~(frame == "").all(axis=1)
                    if not keep.all():
                        frame, rows = frame[keep], rows[keep]
                    frame = frame.reset_index(drop=True)
                    rows = rows.reset_index(drop=True)
                    yield frame, rows
            except pd.errors.ParserError as exc:
                log.add(None, None, None, f"the file stopped being readable as CSV part-way ({exc})")
            _report_ragged_lines(caught, log)

    return Table(headings=headings, chunks=chunks(), from_excel=False)


def _report_ragged_lines(caught: list, log: ProblemLog) -> None:
    while caught:
        message = str(caught.pop(0).message)
        for line, expected, saw in _SKIPPING.findall(message):
            log.add(
                int(line), None, None,
                f"this line has {saw} values but there are {expected} column headings "
                "(a stray comma, or a value with a comma that is not in quotes?); the line was not read",
            )


def cell_text(value) -> str:
    """An Excel cell as text: real dates as ISO, whole numbers without ``.0``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.strftime("%Y-%m-%dT00:00:00")
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.strftime("%Y-%m-%dT00:00:00")
    if isinstance(value, dt.time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip() if isinstance(value, str) else str(value)


class TooManyRows(Exception):
    """A sheet has more rows than the import takes (raised while streaming, before the rest is read)."""


def read_sheet_rows(source: Source, sheet: str | None, limits: FileLimits = WORKBOOK_LIMITS) -> tuple[str, list[list[str]]]:
    """(sheet title, rows as text) of a workbook sheet; trailing empty rows dropped.

    Rows stream from the archive and reading stops at ``limits.max_rows`` (:class:`TooManyRows`)."""
    from openpyxl import load_workbook

    with source.open() as handle:
        workbook = load_workbook(handle, read_only=True, data_only=True)
        try:
            names = workbook.sheetnames
            title = sheet if sheet in names else names[0]
            rows = []
            for row in workbook[title].iter_rows(values_only=True, max_col=limits.max_columns + 1):
                if len(rows) > limits.max_rows:  # the heading row is not counted
                    raise TooManyRows(limits.max_rows)
                rows.append([cell_text(v) for v in row])
        finally:
            workbook.close()
    while rows and all(v == "" for v in rows[-1]):
        rows.pop()
    return title, rows


def too_many_rows_problem(log: ProblemLog, limit: int) -> None:
    log.add(None, None, None, f"the file has more than {limit:,} rows, more than this import takes; "
                              "split it into smaller files")


def _open_workbook(source: Source, log: ProblemLog, sheet: str | None,
                   limits: FileLimits = WORKBOOK_LIMITS) -> Table | None:
    if workbook_limit_problem(source, log, limits):
        return None
    try:
        _, rows = read_sheet_rows(source, sheet, limits)
    except TooManyRows:
        too_many_rows_problem(log, limits.max_rows)
        return None
    except Exception as exc:  # openpyxl raises many kinds for a damaged workbook
        log.add(None, None, None, f"the Excel workbook cannot be opened ({type(exc).__name__})")
        return None
    if not rows:
        log.add(None, None, None, "the workbook's sheet is empty")
        return None
    headings = rows[0]
    while headings and headings[-1] == "":
        headings = headings[:-1]
    width = len(headings)
    body = [(r + [""] * width)[:width] for r in rows[1:]]
    for number, row in enumerate(rows[1:], start=2):
        if any(v != "" for v in row[width:]):
            log.add(number, None, None, "this row has values beyond the last column heading")
    frame = pd.DataFrame(body, columns=range(width), dtype="str") if body else pd.DataFrame(columns=range(width), dtype="str")
    row_numbers = pd.Series(range(2, 2 + len(frame)))
    keep = ~(frame == "").all(axis=1) if len(frame) else pd.Series([], dtype=bool)
    frame, row_numbers = frame[keep].reset_index(drop=True), row_numbers[keep].reset_index(drop=True)

    def chunks() -> Iterator[tuple[pd.DataFrame, pd.Series]]:
        for start in range(0, len(frame), CHUNK_ROWS):
            yield frame.iloc[start : start + CHUNK_ROWS].reset_index(drop=True), row_numbers.iloc[
                start : start + CHUNK_ROWS
            ].reset_index(drop=True)

    return Table(headings=headings, chunks=chunks(), from_excel=True)


Item = TypeVar("Item")
_DONE = object()


def read_ahead(items: Iterator[Item], *, depth: int = 1) -> Iterator[Item]:
    """Yield ``items``, producing the next ones in a background thread while the caller works.

    An import reads and validates chunk n + 1 (pandas and Arrow, much of it outside the GIL)
    while chunk n is written (SQLite steps and PostgreSQL's COPY wait outside the GIL too), so
    both cores are used. At most ``depth`` produced items wait, which bounds memory. An
    exception in the producer is raised here; when the caller stops early, the producer
    stops after its current item and ``items`` is closed in its own thread.
    """
    waiting: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def offer(entry) -> bool:
        while not stop.is_set():
            try:
                waiting.put(entry, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not offer((item, None)):
                    return
            offer((_DONE, None))
        except BaseException as exc:  # handed to the consumer, which raises it
            offer((_DONE, exc))
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()

    producer = threading.Thread(target=produce, name="import-read-ahead", daemon=True)
    producer.start()
    try:
        while True:
            item, error = waiting.get()
            if error is not None:
                raise error
            if item is _DONE:
                return
            yield item
    finally:
        stop.set()
        producer.join()


def read_whole_sheet(
    source: Source, log: ProblemLog, *, sheet: str, columns, required, limits: FileLimits
) -> tuple[dict, pd.DataFrame, pd.Series] | None:
    """Open a small file (case extract, EPOP workbook), check its headings, and return its
    heading mapping, every row in the expected columns and each row's spreadsheet line.

    ``None`` when the file could not be read at all, or is larger than ``limits`` (checked on
    the size before parsing, and on the rows as they stream in); the problem is in ``log``.
    """
    from data_access.validation import check_headings  # validation imports this module's siblings

    if file_limit_problem(source, log, limits):
        return None
    table = open_table(source, log, sheet=sheet, limits=limits, chunk_rows=min(CHUNK_ROWS, limits.max_rows + 1))
    if table is None:
        return None
    if len(table.headings) > limits.max_columns:
        log.add(None, None, None, f"the file has {len(table.headings):,} columns; at most {limits.max_columns} are read")
        return None
    mapping = check_headings(table.headings, columns, log, required=required)
    frames, held = [], 0
    for frame, lines in table.chunks:
        held += len(frame)
        if held > limits.max_rows:
            too_many_rows_problem(log, limits.max_rows)
            return None
        frames.append((select_columns(frame, mapping, list(columns)), lines))
    if not frames:
        return mapping, pd.DataFrame(columns=list(columns)), pd.Series([], dtype=int)
    raw = pd.concat([frame for frame, _ in frames], ignore_index=True)
    lines = pd.concat([lines for _, lines in frames], ignore_index=True)
    return mapping, raw, lines
