"""Whole-column value checks and conversions on Arrow arrays: the fast path for big files.

The pandas validators in :mod:`data_access.validation` are the reference: they read every
spelling a provider might send and explain every value they cannot read. Most files are
simpler than that: every timestamp written the same ISO way, every count plain digits. The
functions here accept only such plain values, convert them exactly as the reference would,
and answer ``None`` for a column holding anything else, so the caller runs the reference
validators instead (which then either read the unusual value or report it). They never
report problems themselves and never accept a value the reference would refuse.

Everything is done by Arrow compute kernels over whole columns: no Python object per value.
"""

from __future__ import annotations

import datetime as dt
import functools
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from data_access.validation import CONTROL_CHARACTERS, EARLIEST_PLAUSIBLE, LATEST_PLAUSIBLE, LONDON

#: ISO-8601 as Refer and Monitor writes it: ``OffsetDateTime.toString()`` in UTC
#: (``2024-06-30T09:30Z`` with seconds dropped when zero, up to 6 decimals when not) and the
#: NDMIS form (``2024-06-30 23:30:00.000000+00``: a space, an hours-only offset). Ranges are
#: checked here so that an impossible hour or month never reaches the parser; an impossible
#: day (30 February) makes the parser fail, which sends the column to the reference validator.
PLAIN_TIMESTAMP = (
    r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[T ]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9]"
    r"(\.[0-9]{1,6})?)?(Z|[+-]([01][0-9]|2[0-3])(:[0-5][0-9])?)$"
)
#: A plain calendar date (``LocalDate.toString()``): the report's two date columns.
PLAIN_DATE = r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"
#: Non-negative whole numbers and decimals, digits only (negative values go to the reference,
#: which explains why they are refused).
PLAIN_WHOLE = r"^[0-9]{1,9}$"
PLAIN_DECIMAL = r"^[0-9]{1,9}(\.[0-9]{1,6})?$"

UTC_MICROS = pa.timestamp("us", tz="UTC")
_EARLIEST_US = EARLIEST_PLAUSIBLE.value // 1000
_LATEST_US = LATEST_PLAUSIBLE.value // 1000
_DAY_US = 86_400 * 1_000_000


def _all(mask: pa.Array) -> bool:
    """True if every value of a boolean array is true (nulls count as false)."""
    return len(mask) == 0 or bool(pc.all(pc.fill_null(mask, False)).as_py())


def blank(raw: pa.Array) -> pa.Array:
    return pc.equal(raw, "")


def nulls_for_blanks(raw: pa.Array) -> pa.Array:
    return pc.if_else(blank(raw), pa.scalar(None, pa.string()), raw)


def trimmed_text(raw: pa.Array) -> pa.Array:
    """The reference's ``text_or_none``: surrounding white space removed, blank → null."""
    return nulls_for_blanks(pc.utf8_trim_whitespace(raw))


def text_is_plain(
    values: pa.Array, *, max_length: int, required: bool, pattern: str | None = None
) -> bool:
    """True if every trimmed value passes the reference schema's text rules (present when
    required, at most ``max_length`` characters, no control character, matches ``pattern``)."""
    if required and values.null_count:
        return False
    present = values.drop_null() if values.null_count else values
    if len(present) == 0:
        return True
    if pc.max(pc.utf8_length(present)).as_py() > max_length:
        return False
    if pc.any(pc.match_substring_regex(present, CONTROL_CHARACTERS)).as_py():
        return False
    return pattern is None or _all(pc.match_substring_regex(present, pattern))


def plain_timestamps(raw: pa.Array, *, required: bool = False) -> pa.Array | None:
    """UTC timestamps (µs) of a column of plain ISO-8601 values, blanks as null; or None if
    any value is written differently, cannot be a real instant, or falls outside the
    plausible years, as the reference would read or refuse it."""
    is_blank = blank(raw)
    if required and pc.any(is_blank).as_py():
        return None
    if not _all(pc.or_(is_blank, pc.match_substring_regex(raw, PLAIN_TIMESTAMP))):
        return None
    try:
        stamps = pc.cast(nulls_for_blanks(raw), UTC_MICROS)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    if len(stamps) > stamps.null_count:
        micros = stamps.cast(pa.int64())
        low, high = pc.min_max(micros).values()
        if low.as_py() < _EARLIEST_US or high.as_py() >= _LATEST_US:
            return None
    return stamps


def plain_dates(raw: pa.Array) -> pa.Array | None:
    """Calendar dates (date32) of a column of plain ``YYYY-MM-DD`` values, blanks as null; or
    None if any value is written differently or falls outside the plausible years."""
    if not _all(pc.or_(blank(raw), pc.match_substring_regex(raw, PLAIN_DATE))):
        return None
    try:
        days = pc.cast(pc.cast(nulls_for_blanks(raw), pa.timestamp("s")), pa.date32())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    if len(days) > days.null_count:
        low, high = pc.min_max(days).values()
        if low.as_py() < EARLIEST_PLAUSIBLE.date() or high.as_py() >= LATEST_PLAUSIBLE.date():
            return None
    return days


def plain_numbers(raw: pa.Array, *, whole: bool) -> pa.Array | None:
    """int64 (``whole``) or float64 values of a column of plain non-negative numbers, blanks
    as null; or None if any value is written differently."""
    pattern = PLAIN_WHOLE if whole else PLAIN_DECIMAL
    if not _all(pc.or_(blank(raw), pc.match_substring_regex(raw, pattern))):
        return None
    return pc.cast(nulls_for_blanks(raw), pa.int64() if whole else pa.float64())


def plain_words(raw: pa.Array, words: dict[str, object], kind: pa.DataType, *, trim: bool) -> pa.Array | None:
    """Values of a column whose every value, lower-cased (and trimmed if ``trim``), is a key of
    ``words`` or blank; or None. ``words`` maps the lower-case spelling to the value stored."""
    key = pc.utf8_lower(pc.utf8_trim_whitespace(raw) if trim else raw)
    spellings = pa.array(list(words), pa.string())
    at = pc.index_in(key, value_set=spellings)
    if not _all(pc.or_(pc.is_valid(at), blank(key))):
        return None
    return pc.take(pa.array(list(words.values()), kind), at)


# --------------------------------------------------------------------------------------------
# Europe/London calendar dates
# --------------------------------------------------------------------------------------------


@functools.cache
def _london_offsets() -> tuple[np.ndarray, np.ndarray]:
    """(UTC instants in µs at which London's offset changes, offset in µs from each one on)
    for 1999–2101, read from the same time-zone database pandas uses (``zoneinfo``).

    Arrow's own time-zone conversion reads the system's compiled zone files, which stop
    giving summer time after 2037; this table follows the zone's rule to the end of the
    plausible range.
    """
    zone = ZoneInfo(LONDON)

    def offset(moment: dt.datetime) -> int:
        return int(moment.astimezone(zone).utcoffset().total_seconds())

    start = dt.datetime(1999, 1, 1, tzinfo=dt.UTC)
    instants, offsets = [start], [offset(start)]
    day = start
    while day.year < 2102:
        following = day + dt.timedelta(days=1)
        if offset(following) != offsets[-1]:
            low, high = day, following  # the change happens in (low, high]
            while (high - low) > dt.timedelta(seconds=1):
                middle = low + (high - low) / 2
                middle = middle.replace(microsecond=0)
                if offset(middle) == offsets[-1]:
                    low = middle
                else:
                    high = middle
            instants.append(high)
            offsets.append(offset(high))
        day = following
    micros = np.array([int(i.timestamp()) * 1_000_000 for i in instants], dtype=np.int64)
    return micros, np.array(offsets, dtype=np.int64) * 1_000_000


def london_dates(stamps: pa.Array) -> pa.Array:
    """UTC timestamps → the Europe/London calendar date each falls on (DOMAIN.md "Dates")."""
    micros = stamps.cast(pa.int64()).to_numpy(zero_copy_only=False)
    valid = np.asarray(stamps.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
    micros = np.where(valid, micros, 0).astype(np.int64)
    instants, offsets = _london_offsets()
    if valid.any():
        low, high = micros[valid].min(), micros[valid].max()
        if low < instants[0] or high >= instants[-1] + 365 * _DAY_US:
            raise ValueError("a timestamp is outside the years the London calendar table covers")
    at = np.searchsorted(instants, micros, side="right") - 1
    local = micros + offsets[np.maximum(at, 0)]
    days = np.floor_divide(local, _DAY_US).astype(np.int32)
    return pa.array(days, type=pa.date32(), mask=~valid)


def london_dates_are_ordered(later: pa.Array, earlier: pa.Array) -> bool:
    """True unless some row's ``later`` London date falls before its ``earlier`` one."""
    wrong = pc.less(london_dates(later), london_dates(earlier))
    return not pc.any(pc.fill_null(wrong, False)).as_py()
