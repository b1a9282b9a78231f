"""Validation shared by every importer: headings, value parsers, schema checks, sequences.

Everything is vectorised over a chunk of raw text values (a DataFrame of ``str``, blanks as
``""``) so a million-row file validates in seconds. Each check adds :class:`Problem` s to a
:class:`ProblemLog`: the importers never stop at the first problem.

Per-column value rules (required, ranges, allowed sets, formats) are declared as pandera
schemas over the *typed* chunk and run with ``lazy=True``, so pandera reports every failing
cell; :func:`run_schema` turns its failure cases into plain-words problems. Parsing (dates,
numbers, true/false) happens before, here, because a value that cannot be read at all needs
its own message ("not a date") rather than a failed range check.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow as pyarrow
import pyarrow.compute as pc

from data_access.importers.problems import ProblemLog

LONDON = "Europe/London"

#: Implausible dates are almost always typing or conversion slips (Excel's 1900 epoch).
EARLIEST_PLAUSIBLE = pd.Timestamp("2000-01-01", tz="UTC")
LATEST_PLAUSIBLE = pd.Timestamp("2100-01-01", tz="UTC")

# --------------------------------------------------------------------------------------------
# Headings
# --------------------------------------------------------------------------------------------

#: Headings that would bring direct personal identifiers in. The dashboard holds pseudonymous
#: data only (a CRN or a provider's case reference), never who a person is or where they live.
_IDENTIFIER_WORDS = {
    "name", "names", "first_name", "firstname", "forename", "forenames", "given_name",
    "given_names", "middle_name", "middle_names", "surname", "last_name", "lastname",
    "family_name", "full_name", "fullname", "maiden_name", "preferred_name", "alias",
    "date_of_birth", "dateofbirth", "dob", "birth_date", "birthdate", "birthday",
    "address", "home_address", "street", "street_address", "town", "postcode", "post_code",
    "postal_code", "zip", "zip_code", "phone", "phone_number", "telephone", "mobile",
    "mobile_number", "email", "email_address", "e_mail", "nhs_number", "ni_number",
    "national_insurance_number", "nino", "pnc", "pnc_number", "passport_number",
    "driving_licence_number",
}
_IDENTIFIER_PATTERNS = (
    re.compile(r"(^|_)(first|last|sur|fore|given|middle|full|family|maiden)_?names?($|_)"),
    re.compile(r"(^|_)(service_user|person|client|pop|offender|participant|customer)_name"),
    re.compile(r"(^|_)(date_of_birth|dob|birth_?date)($|_)"),
    re.compile(r"(^|_)(address|postcode|post_code|email|phone|telephone|mobile)($|_)"),
    re.compile(r"^address_?line"),
)


def normalise_heading(heading: str) -> str:
    """``" First Name "`` → ``"first_name"`` (case, spaces and punctuation ignored)."""
    return re.sub(r"[^0-9a-z]+", "_", str(heading).strip().lower()).strip("_")


def looks_like_personal_identifier(heading: str) -> bool:
    key = normalise_heading(heading)
    return key in _IDENTIFIER_WORDS or any(p.search(key) for p in _IDENTIFIER_PATTERNS)


PERSONAL_IDENTIFIER_REASON = (
    "this column looks like it holds a direct personal identifier (a name, date of birth, "
    "address, postcode or contact detail); the dashboard holds pseudonymous data only "
    "(the CRN or your case reference). Remove the column and send the file again"
)


def check_headings(
    headings: Sequence[str],
    expected: Sequence[str],
    log: ProblemLog,
    *,
    required: Iterable[str] | None = None,
    unknown: list[str] | None = None,
) -> dict[int, str]:
    """Check a heading row against the expected columns; return {position (0-based): column}.

    Headings are matched ignoring case and surrounding spaces. ``required`` defaults to all
    of ``expected``; a missing optional column is allowed (treated as blank). ``unknown``: a
    list to collect headings the format does not know, which are then left out of the import
    instead of refusing the file (a heading that looks like a personal identifier is still
    refused).
    """
    expected_keys = {c.lower(): c for c in expected}
    required = list(expected if required is None else required)
    mapping: dict[int, str] = {}
    seen: dict[str, int] = {}
    for position, heading in enumerate(headings, start=1):
        text = "" if heading is None else str(heading).strip()
        key = text.lower()
        if text == "" or re.fullmatch(r"Unnamed: \d+(\.\d+)?", text):
            log.add(1, None, f"column {position}", "a column has no heading")
            continue
        if key in seen:
            log.add(1, text, text, f"the heading appears more than once (columns {seen[key]} and {position})")
            continue
        seen[key] = position
        if key in expected_keys:
            mapping[position - 1] = expected_keys[key]
        elif looks_like_personal_identifier(text):
            log.add(1, text, text, PERSONAL_IDENTIFIER_REASON)
        elif unknown is not None:
            unknown.append(text)
        else:
            log.add(1, text, text, "unexpected column: it is not part of this file format")
    present = set(mapping.values())
    for column in required:
        if column not in present:
            log.add(1, column, None, "required column is missing")
    return mapping


# --------------------------------------------------------------------------------------------
# Parsers: raw text → typed values, plus a mask of values that could not be read
# --------------------------------------------------------------------------------------------


def blank_mask(raw: pd.Series) -> pd.Series:
    return raw.isna() | (raw.str.strip() == "")


def report_bad(log: ProblemLog, raw: pd.Series, bad: pd.Series, lines: pd.Series, column: str, reason: str) -> None:
    if bad.any():
        for line, value in zip(lines[bad].tolist(), raw[bad].tolist()):
            log.add(line, column, value, reason)


#: A time followed by ``Z`` or an offset. Refer and Monitor writes ``OffsetDateTime.toString()``
#: (``2024-06-30T09:30Z``: seconds dropped when zero) and, in the NDMIS feed,
#: ``2024-06-30 23:30:00.000000+00`` (an hours-only offset); a bare ``-30`` after a date is
#: not an offset, so the time must come first.
_OFFSET_AT_END = r"\d\d:\d\d(?::\d\d(?:\.\d+)?)?\s*(?:[Zz]|[+-]\d\d(?::?\d\d)?)$"
TIMESTAMP_REASON = (
    "not a date and time in ISO-8601 form with a time zone, e.g. 2024-06-30T23:30:00Z, "
    "2024-06-30T23:30Z or 2024-06-30 23:30:00.000000+00"
)


def parse_timestamps(raw: pd.Series, *, naive_is_london: bool = False) -> tuple[pd.Series, pd.Series]:
    """ISO-8601 timestamps with ``Z`` or an offset (milliseconds optional) → UTC.

    ``naive_is_london``: values without an offset (as an Excel workbook holds them) are read
    as Europe/London wall-clock time. Otherwise a missing offset is a problem: the time could
    be read two ways an hour apart. Returns (UTC timestamps, mask of unreadable values).
    """
    text = raw.fillna("").astype("str").str.strip()
    blank = text == ""
    has_offset = text.str.contains(_OFFSET_AT_END, regex=True)
    parsed = pd.to_datetime(text.where(has_offset & ~blank), format="ISO8601", utc=True, errors="coerce")
    naive = ~has_offset & ~blank
    if naive_is_london and naive.any():
        local = pd.to_datetime(text.where(naive), format="ISO8601", errors="coerce")
        for uk_format in ("%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S"):
            local = local.fillna(pd.to_datetime(text.where(naive & local.isna()), format=uk_format, errors="coerce"))
        serial = excel_serial(text.where(naive & local.isna()))
        local = local.fillna(serial)
        local_utc = local.dt.tz_localize(LONDON, ambiguous="NaT", nonexistent="shift_forward").dt.tz_convert("UTC")
        parsed = parsed.fillna(local_utc)
    parsed = parsed.astype("datetime64[us, UTC]")
    implausible = (parsed < EARLIEST_PLAUSIBLE) | (parsed >= LATEST_PLAUSIBLE)
    parsed = parsed.mask(implausible)
    bad = ~blank & parsed.isna()
    return parsed, bad


def excel_serial(text: pd.Series) -> pd.Series:
    """Excel serial day numbers (1900 date system, as Excel for Windows writes) → timestamps."""
    numbers = pd.to_numeric(text, errors="coerce")
    numbers = numbers.where((numbers >= 1) & (numbers < 2958466))
    return pd.Timestamp("1899-12-30") + pd.to_timedelta(numbers, unit="D").dt.round("s")


DATE_REASON = "not a date: write it as 2024-07-01 (or 01/07/2024)"


def parse_dates(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Calendar dates: ``YYYY-MM-DD``, ``DD/MM/YYYY`` (UK order), an Excel date or serial number.

    Returns (dates as datetime64 at midnight, mask of unreadable values).
    """
    text = raw.fillna("").astype("str").str.strip()
    blank = text == ""
    iso = pd.to_datetime(text.where(text.str.match(r"^\d{4}-\d\d-\d\d$")), format="%Y-%m-%d", errors="coerce")
    uk = pd.to_datetime(text.where(text.str.match(r"^\d{1,2}/\d{1,2}/\d{4}$")), format="%d/%m/%Y", errors="coerce")
    # An Excel cell holding a real date arrives as ISO date-time at midnight.
    excel_dt = pd.to_datetime(
        text.where(text.str.match(r"^\d{4}-\d\d-\d\dT00:00:00$")), format="%Y-%m-%dT%H:%M:%S", errors="coerce"
    )
    serial = excel_serial(text.where(text.str.match(r"^\d+(\.0+)?$")))
    parsed = iso.fillna(uk).fillna(excel_dt).fillna(serial).astype("datetime64[s]").dt.floor("D")
    implausible = (parsed < EARLIEST_PLAUSIBLE.tz_localize(None)) | (parsed >= LATEST_PLAUSIBLE.tz_localize(None))
    parsed = parsed.mask(implausible)
    return parsed, ~blank & parsed.isna()


def parse_numbers(raw: pd.Series, *, whole: bool) -> tuple[pd.Series, pd.Series]:
    """Numbers; ``whole`` demands whole numbers. Returns (Int64 or Float64 series, bad mask)."""
    text = raw.fillna("").astype("str").str.strip()
    blank = text == ""
    numbers = pd.to_numeric(text.where(~blank), errors="coerce").astype("Float64")
    bad = ~blank & (numbers.isna() | ~np.isfinite(numbers.fillna(0)))
    if whole:
        fractional = numbers.notna() & (numbers != numbers.round())
        bad = bad | fractional
        numbers = numbers.mask(bad).round().astype("Int64")
    else:
        numbers = numbers.mask(bad)
    return numbers, bad


BOOL_WORDS = {"true": True, "false": False, "yes": True, "no": False, "y": True, "n": False}
BOOL_REASON = "not true or false (write true, false, yes or no)"


def parse_bools(raw: pd.Series, words: dict[str, bool] = BOOL_WORDS) -> tuple[pd.Series, pd.Series]:
    text = raw.fillna("").astype("str").str.strip().str.lower()
    blank = text == ""
    values = text.map(words).astype("boolean")
    return values, ~blank & values.isna()


def normalise_choice(value: str) -> str:
    return re.sub(r"\s+", " ", str(value).strip()).lower()


def parse_choice(raw: pd.Series, allowed: Iterable[str]) -> tuple[pd.Series, pd.Series]:
    """A value from an allowed list, matched ignoring case and repeated spaces → the canonical spelling."""
    canonical = {normalise_choice(a): a for a in allowed}
    text = raw.fillna("").astype("str")
    blank = text.str.strip() == ""
    # The same normalisation as normalise_choice, vectorised (a chunk has few distinct values).
    keys = normalised_text(text).to_numpy(dtype=object)
    values = pd.Series([canonical.get(k) for k in keys], index=raw.index, dtype=object)
    return values, ~blank & values.isna()


def normalised_text(text: pd.Series) -> pd.Series:
    """Vectorised :func:`normalise_choice`: runs of white space → one space, trimmed, lower case."""
    return text.str.replace(r"\s+", " ", regex=True).str.strip().str.lower()


def choice_reason(allowed: Iterable[str], what: str = "value") -> str:
    shown = ", ".join(allowed)
    return f"not an allowed {what}; use one of: {shown}"


def text_or_none(raw: pd.Series) -> pd.Series:
    """Free text with surrounding spaces removed; blank → missing."""
    text = raw.fillna("").astype("str").str.strip()
    return text.mask(text == "")


def db_value(value):
    """A cell as the database should get it: missing (None, NA, NaN, NaT) → NULL, numpy → Python.

    A float NaN handed to a text column is stored as the text 'NaN' by PostgreSQL (SQLite makes
    it NULL), so every value an importer writes goes through here."""
    if value is None or value is pd.NA:
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return value.item() if hasattr(value, "item") else value


#: Longest free text the importers take where the database column itself has no limit (Text):
#: an EPOP action or recommendation runs to a paragraph or two, not to megabytes.
LONG_TEXT_LIMIT = 4000


def column_limits(targets: dict[str, object]) -> dict[str, int]:
    """File column → the most characters it may hold: the length of the database column it is
    stored in (``targets``: file column → model attribute), or :data:`LONG_TEXT_LIMIT` for Text."""
    limits = {}
    for name, attribute in targets.items():
        length = getattr(attribute.property.columns[0].type, "length", None)
        limits[name] = length or LONG_TEXT_LIMIT
    return limits


def check_text_fields(log: ProblemLog, raw: pd.DataFrame, lines: pd.Series, limits: dict[str, int]) -> pd.Series:
    """Refuse, row by row, control characters in any column and text longer than its column holds.

    Both would otherwise fail only at the database (PostgreSQL: a stack trace; SQLite: stored as
    they are). Returns the mask of rows with such a problem."""
    flagged = pd.Series(False, index=raw.index)
    for column in raw.columns:
        values = raw[column].fillna("").astype("str")
        control = values.str.contains(CONTROL_CHARACTERS, regex=True)
        report_bad(log, values.str.replace(CONTROL_CHARACTERS, "\ufffd", regex=True), control, lines, column,
                   CONTROL_CHARACTER_REASON)
        flagged |= control
        if column in limits:
            length = values.str.strip().str.len()
            long = (length > limits[column]) & ~control
            if long.any():
                for line, size in zip(lines[long].tolist(), length[long].tolist()):
                    log.add(line, column, None, f"is {size:,} characters long; at most {limits[column]:,} fit")
            flagged |= long
    return flagged


# --------------------------------------------------------------------------------------------
# pandera schemas over typed chunks
# --------------------------------------------------------------------------------------------

#: pandera's own check names → words; checks we declare carry their words in ``error=``.
_PANDERA_WORDS = {
    "not_nullable": "is blank but a value is required",
    "field_uniqueness": "appears more than once in the file",
}


#: Control characters other than tab, line feed and carriage return: never typed in a cell,
#: and PostgreSQL cannot store a NUL in text at all.
CONTROL_CHARACTERS = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
CONTROL_CHARACTER_REASON = "contains a control character (e.g. a NUL byte) that cannot be stored; retype the value"


def required_text(max_length: int, *, nullable: bool = False, pattern: str | None = None, pattern_words: str = "") -> pa.Column:
    checks = [
        pa.Check.str_length(max_value=max_length, error=f"is longer than {max_length} characters"),
        pa.Check(lambda s: ~s.str.contains(CONTROL_CHARACTERS, regex=True), error=CONTROL_CHARACTER_REASON),
    ]
    if pattern:
        checks.append(pa.Check.str_matches(pattern, error=pattern_words))
    return pa.Column("str", checks=checks, nullable=nullable, required=False)


def run_schema(
    schema: pa.DataFrameSchema,
    typed: pd.DataFrame,
    raw: pd.DataFrame,
    lines: pd.Series,
    log: ProblemLog,
    already_reported: pd.DataFrame | None = None,
) -> None:
    """Validate ``typed`` lazily; add every failing cell to ``log`` with the raw value.

    ``already_reported``: boolean frame of cells whose value could not be parsed at all;
    pandera would see them as blank, and they already have a clearer problem.
    """
    try:
        schema.validate(typed, lazy=True)
    except pa.errors.SchemaErrors as errors:
        cases = errors.failure_cases
        cases = cases[cases["index"].notna()]
        for column, check, index in zip(cases["column"], cases["check"], cases["index"]):
            position = int(index)
            if already_reported is not None and column in already_reported and already_reported[column].iat[position]:
                continue
            words = _PANDERA_WORDS.get(check, check)
            value = raw[column].iat[position] if column in raw else None
            log.add(int(lines.iat[position]), column, value, words)


def check_order(
    typed: pd.DataFrame,
    raw: pd.DataFrame,
    lines: pd.Series,
    log: ProblemLog,
    later: str,
    earlier: str,
    reason: str,
    *,
    compare: str = "date",
) -> None:
    """Report rows where ``later`` falls before ``earlier``.

    ``compare="date"`` compares Europe/London calendar dates, so two systems' clocks a few
    minutes apart on the same day never produce a false alarm.
    """
    a, b = typed[later], typed[earlier]
    if compare == "date":
        a, b = london_day(a), london_day(b)
    wrong = (a < b).fillna(False)
    if wrong.any():
        for line, value, other in zip(lines[wrong], raw[later][wrong], raw[earlier][wrong]):
            log.add(int(line), later, value, f"{reason} ({earlier} is {other})")


def london_day(stamps: pd.Series) -> pd.Series:
    """UTC timestamps → Europe/London calendar day (as midnight, naive); naive dates pass through.

    DOMAIN.md "Dates": ``2024-06-30T23:30:00Z`` is 1 July.
    """
    if isinstance(stamps.dtype, pd.DatetimeTZDtype):
        return stamps.dt.tz_convert(LONDON).dt.tz_localize(None).dt.floor("D")
    return stamps


# --------------------------------------------------------------------------------------------
# Storage form (what data_access.bulk expects), fast via Arrow
# --------------------------------------------------------------------------------------------


def timestamps_for_storage(stamps: pd.Series) -> list:
    """UTC timestamps → naive UTC ``YYYY-MM-DD HH:MM:SS.ffffff`` strings (None for missing)."""
    return timestamps_for_storage_arrow(stamps).to_pylist()


def timestamps_for_storage_arrow(stamps: pd.Series) -> pyarrow.Array:
    """:func:`timestamps_for_storage` as an Arrow string array (for bulk loading by columns)."""
    values = stamps.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy(dtype="datetime64[us]")
    array = pyarrow.array(values, type=pyarrow.timestamp("us"), from_pandas=True)
    return pc.cast(array, pyarrow.string())


def dates_for_storage(days: pd.Series) -> list:
    """Calendar days (London dates at midnight, or UTC stamps converted first) → ``YYYY-MM-DD``."""
    return dates_for_storage_arrow(days).to_pylist()


def dates_for_storage_arrow(days: pd.Series) -> pyarrow.Array:
    """:func:`dates_for_storage` as an Arrow string array."""
    days = london_day(days)
    values = days.to_numpy(dtype="datetime64[D]")
    array = pyarrow.array(values, type=pyarrow.date32(), from_pandas=True)
    return pc.cast(array, pyarrow.string())


def nullable_list(series: pd.Series) -> list:
    """Any nullable series (str, Int64, Float64, boolean, object) → Python values, None for missing."""
    return pyarrow.array(series, from_pandas=True).to_pylist()
