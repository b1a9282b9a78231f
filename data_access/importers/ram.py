"""Refer and Monitor performance report: validate, then insert or update referrals.

The report is the CSV a provider downloads from HMPPS Refer and Monitor (DOMAIN.md "Refer
and Monitor"), in any of its layouts, recognised by its header (:data:`LAYOUTS`): 24 columns
(2022 to March 2024), 25, 26 and 27 (August 2024 on). A column the project does not know is
left out with a notice; a missing required column refuses the file. ``caseworker_id`` is
stored as a keyed pseudonym (:mod:`data_access.pseudonyms`). Rows are keyed by ``referral_id``:

* a referral not yet held is inserted (or, if a case extract created it first with only a
  referral reference, that row is completed);
* a referral held with the same content (every value the report gives, compared column by
  column in the database, after parsing) is left alone, so importing the same file again
  changes nothing, even if a spreadsheet rewrote its timestamps or true/false values;
* a referral held with different content is updated, and its previous values are kept in
  ``import_changes`` so the batch can be undone.

Inserted referrals are not listed one by one in ``import_changes``: they carry the batch in
``referrals.import_batch_id``, and one ``bulk`` change row says so (see
:mod:`data_access.batches`). A million-row first import would otherwise write a second
million rows just to be able to undo itself.

Unknown contract references and organisations are registered, flagged (``needs_mapping``,
``needs_review``) for an admin, and listed in the result's notices.

Validation and writing happen in one streamed pass inside one transaction: each chunk is
validated; while no problem has been found it is also written; at the end the transaction is
committed only if the whole file was clean, otherwise rolled back. So a bad file, a database
error or a killed process all leave the database as it was.

Validation has two paths. The reference, :func:`validate_chunk`, uses the pandas validators
of :mod:`data_access.validation` and explains every problem. The fast path,
:func:`plain_chunk`, reads a CSV chunk as Arrow columns and vouches for it only if every
value is written plainly and passes every rule; any chunk it does not vouch for goes to the
reference, so problems are always found and worded by the reference. Writing is described
under :class:`RamWriter`.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow
import pyarrow.compute as pc
from sqlalchemy import Connection, Engine, Integer, cast, func, insert, select, text, update
from sqlalchemy import table as sa_table

from data_access import bulk
from data_access.batches import BULK_INSERT
from data_access.importers import arrow_values as av
from data_access.kpi_incremental import SummaryTracker
from data_access.importers.ownership import RamOwnership, refuse_if_not_allowed
from data_access.importers.problems import ImportResult, ProblemLog
from data_access.importers.reading import IrregularCsv, open_table, read_ahead, scan, select_columns
from data_access.models import (
    AuditLog, Contract, ImportBatch, ImportChange, Provider, Referral, UnrecordedFirstSession,
)
from data_access.pseudonyms import pseudonym_key, pseudonymise
from data_access.reference import end_reason_classes
from data_access.scoping import AccessScope, upload_owner
from data_access.validation import (
    BOOL_REASON,
    DATE_REASON,
    TIMESTAMP_REASON,
    check_headings,
    check_order,
    choice_reason,
    london_day,
    parse_bools,
    parse_choice,
    parse_dates,
    parse_numbers,
    parse_timestamps,
    report_bad,
    required_text,
    run_schema,
    text_or_none,
)
from domain.end_reasons import EndReasonClasses, default_end_reasons

KIND = "ram-performance"

#: The performance report's columns today (27), in the order Refer and Monitor writes them
#: (``PerformanceReportData.headers`` in hmpps-interventions-service).
RAM_COLUMNS: tuple[str, ...] = (
    "referral_ref", "referral_id", "contract_ref", "organisation_id", "caseworker_id",
    "service_user_crn", "date_referral_received", "date_saa_first_arranged",
    "date_saa_first_scheduled_for", "date_saa_first_not_attended", "date_saa_first_attended",
    "date_saa_first_completed", "saa_attended_on_time", "date_first_action_plan_submitted",
    "date_of_first_action_plan_approval", "date_of_first_attended_session",
    "outcomes_to_be_achieved_count", "outcomes_achieved", "count_of_sessions_expected",
    "count_of_sessions_attended", "end_requested_by_pp_at", "end_requested_by_pp_reason",
    "date_eosr_submitted", "concluded_at", "referral_end_state",
    "date_intervention_to_be_completed_by", "end_of_sentence_date",
)

#: Columns added since the 2022 layout, and the layout that added each (R&M source history:
#: commits of 12 March 2024, 13 May 2024 and 7 August 2024 to ``PerformanceReportData.kt``).
#: Blank when a file predates them.
ADDED_COLUMNS: dict[str, str] = {
    "date_saa_first_completed": "25-column layout, March 2024",
    "date_intervention_to_be_completed_by": "26-column layout, May 2024",
    "end_of_sentence_date": "27-column layout, August 2024",
}
#: The 2022 layout's 24 columns: every file must have them.
REQUIRED_COLUMNS: tuple[str, ...] = tuple(c for c in RAM_COLUMNS if c not in ADDED_COLUMNS)

#: Every layout Refer and Monitor has written, by its columns (DOMAIN.md "Refer and Monitor").
LAYOUTS: dict[str, tuple[str, ...]] = {
    "24 columns (March 2022 to March 2024)": REQUIRED_COLUMNS,
    "25 columns (from March 2024)": tuple(c for c in RAM_COLUMNS if c in REQUIRED_COLUMNS or c == "date_saa_first_completed"),
    "26 columns (from May 2024)": RAM_COLUMNS[:-1],
    "27 columns (from August 2024)": RAM_COLUMNS,
}


def layout_of(columns: set[str]) -> str | None:
    """The name of the Refer and Monitor layout whose columns are exactly ``columns``."""
    for name, layout in LAYOUTS.items():
        if set(layout) == columns:
            return name
    return None

#: Report timestamp column → ``referrals`` column (naive UTC).
TIMESTAMPS: dict[str, str] = {
    "date_referral_received": "referral_received_at",
    "date_saa_first_arranged": "saa_first_arranged_at",
    "date_saa_first_scheduled_for": "saa_first_scheduled_for",
    "date_saa_first_not_attended": "saa_first_not_attended_at",
    "date_saa_first_attended": "saa_first_attended_at",
    "date_saa_first_completed": "saa_first_completed_at",
    "date_first_action_plan_submitted": "first_action_plan_submitted_at",
    "date_of_first_action_plan_approval": "first_action_plan_approved_at",
    "date_of_first_attended_session": "first_attended_session_at",
    "end_requested_by_pp_at": "end_requested_by_pp_at",
    "date_eosr_submitted": "eosr_submitted_at",
    "concluded_at": "concluded_at",
}

#: Report timestamp column → Europe/London calendar-date column (DOMAIN.md "Dates").
LONDON_DATES: dict[str, str] = {
    "date_referral_received": "received_on",
    "date_saa_first_not_attended": "saa_first_not_attended_on",
    "date_saa_first_attended": "saa_first_attended_on",
    "date_first_action_plan_submitted": "action_plan_submitted_on",
    "date_of_first_action_plan_approval": "action_plan_approved_on",
    "date_of_first_attended_session": "first_session_on",
    "date_eosr_submitted": "eosr_submitted_on",
    "concluded_at": "concluded_on",
}

#: Report plain-date columns (``LocalDate``, no time or zone) → ``referrals`` column.
PLAIN_DATES: dict[str, str] = {
    "date_intervention_to_be_completed_by": "intervention_to_be_completed_by",
    "end_of_sentence_date": "end_of_sentence_date",
}

WHOLE_NUMBERS = ("outcomes_to_be_achieved_count", "count_of_sessions_expected", "count_of_sessions_attended")
TEXT_COLUMNS = ("referral_ref", "referral_id", "contract_ref", "organisation_id", "caseworker_id",
                "service_user_crn", "end_requested_by_pp_reason")
END_STATES = ("completed", "cancelled", "ended")

#: Events that cannot come before the referral was received, and other fixed orders.
SEQUENCES: tuple[tuple[str, str, str], ...] = (
    ("date_saa_first_arranged", "date_referral_received", "the assessment was arranged before the referral was received"),
    ("date_saa_first_scheduled_for", "date_referral_received", "the assessment is scheduled before the referral was received"),
    ("date_saa_first_not_attended", "date_referral_received", "a missed assessment is dated before the referral was received"),
    ("date_saa_first_attended", "date_referral_received", "the assessment was attended before the referral was received"),
    ("date_saa_first_completed", "date_referral_received", "the assessment was completed before the referral was received"),
    ("date_first_action_plan_submitted", "date_referral_received", "the action plan was submitted before the referral was received"),
    ("date_of_first_action_plan_approval", "date_first_action_plan_submitted", "the action plan was approved before it was submitted"),
    ("date_of_first_attended_session", "date_referral_received", "a session was attended before the referral was received"),
    ("end_requested_by_pp_at", "date_referral_received", "the end was requested before the referral was received"),
    ("date_eosr_submitted", "date_referral_received", "the end-of-service report is dated before the referral was received"),
    ("concluded_at", "date_referral_received", "the referral ended before it was received"),
)

_CRN = r"^[A-Z][0-9]{6}$"
_CRN_WORDS = "not a CRN: a capital letter followed by six digits, e.g. X123456"

#: Text columns: (longest allowed, required, pattern the value must match).
TEXT_RULES: dict[str, tuple[int, bool, str | None]] = {
    "referral_ref": (40, True, None),
    "referral_id": (40, True, None),
    "contract_ref": (60, True, None),
    "organisation_id": (40, True, None),
    "caseworker_id": (60, False, None),
    "service_user_crn": (20, True, _CRN),
    "end_requested_by_pp_reason": (160, False, None),
}

#: pandera schema for a typed chunk: one declaration of each column's value rules.
RAM_SCHEMA = pa.DataFrameSchema(
    {
        **{
            column: required_text(length, nullable=not needed, pattern=pattern, pattern_words=_CRN_WORDS if pattern else "")
            for column, (length, needed, pattern) in TEXT_RULES.items()
        },
        "date_referral_received": pa.Column(nullable=False, required=False),
        **{
            c: pa.Column(nullable=True, required=False, checks=pa.Check.ge(0, error="is negative: a count cannot be below 0"))
            for c in WHOLE_NUMBERS
        },
        "outcomes_achieved": pa.Column(
            nullable=True, required=False, checks=pa.Check.ge(0, error="is negative: the achievement score cannot be below 0")
        ),
    },
    strict=False,
)


class DuplicateKeys:
    """Finds keys repeated anywhere in a file, chunk by chunk, in bounded memory.

    Holds a 64-bit hash and row number per key seen (16 bytes a row), not the keys.
    """

    def __init__(self, column: str) -> None:
        self.column = column
        self.hashes = np.empty(0, dtype=np.uint64)
        self.rows = np.empty(0, dtype=np.int64)

    def check(self, keys, lines, log: ProblemLog) -> None:
        """Report each key of this chunk (values, with their row numbers) seen before."""
        keys = np.asarray(keys, dtype=object)
        lines = np.asarray(lines, dtype=np.int64)
        present = pd.notna(keys)
        if not present.all():
            keys, lines = keys[present], lines[present]
        if keys.size == 0:
            return
        hashes = pd.util.hash_array(keys, categorize=False)
        unique, first, inverse = np.unique(hashes, return_index=True, return_inverse=True)
        inverse = inverse.reshape(-1)
        earliest = lines[first]  # where each distinct key of the chunk first appears in the file
        seen = np.zeros(unique.size, dtype=bool)
        if self.hashes.size:
            at = np.minimum(np.searchsorted(self.hashes, unique), self.hashes.size - 1)
            seen = self.hashes[at] == unique
            earliest = np.where(seen, self.rows[at], earliest)
        repeated = (first[inverse] != np.arange(hashes.size)) | seen[inverse]
        for value, line, earlier in zip(keys[repeated], lines[repeated], earliest[inverse][repeated]):
            log.add(int(line), self.column, value, f"appears more than once in the file (first on row {earlier})")
        # Add the chunk's new keys in order (``unique`` is sorted): each array is copied once.
        new = ~seen
        at = np.searchsorted(self.hashes, unique[new])
        self.hashes = np.insert(self.hashes, at, unique[new])
        self.rows = np.insert(self.rows, at, earliest[new])


def validate_chunk(
    raw: pd.DataFrame,
    lines: pd.Series,
    log: ProblemLog,
    *,
    missing: set[str],
    from_excel: bool,
    duplicates: DuplicateKeys,
    notices: dict[str, int],
    end_reasons: EndReasonClasses | None = None,
) -> pd.DataFrame:
    """Typed values of one chunk; every problem in it added to ``log``."""
    typed = pd.DataFrame(index=raw.index)
    unreadable = pd.DataFrame(False, index=raw.index, columns=list(RAM_COLUMNS))
    for column in missing:
        unreadable[column] = True
    for column in TEXT_COLUMNS:
        typed[column] = text_or_none(raw[column])
    for column in TIMESTAMPS:
        typed[column], bad = parse_timestamps(raw[column], naive_is_london=from_excel)
        report_bad(log, raw[column], bad, lines, column, TIMESTAMP_REASON)
        unreadable[column] |= bad
    for column in PLAIN_DATES:
        typed[column], bad = parse_dates(raw[column])
        report_bad(log, raw[column], bad, lines, column, DATE_REASON)
        unreadable[column] |= bad
    on_time, bad = parse_bools(raw["saa_attended_on_time"], {"true": True, "false": False})
    report_bad(log, raw["saa_attended_on_time"], bad, lines, "saa_attended_on_time", "not true or false")
    typed["saa_attended_on_time"] = on_time.mask(typed["date_saa_first_attended"].isna())
    for column in WHOLE_NUMBERS:
        typed[column], bad = parse_numbers(raw[column], whole=True)
        report_bad(log, raw[column], bad, lines, column, "not a whole number")
        unreadable[column] |= bad
    typed["outcomes_achieved"], bad = parse_numbers(raw["outcomes_achieved"], whole=False)
    report_bad(log, raw["outcomes_achieved"], bad, lines, "outcomes_achieved", "not a number")
    unreadable["outcomes_achieved"] |= bad
    typed["referral_end_state"], bad = parse_choice(raw["referral_end_state"], END_STATES)
    report_bad(log, raw["referral_end_state"], bad, lines, "referral_end_state", choice_reason(END_STATES, "end state"))
    typed = typed[list(RAM_COLUMNS)]

    run_schema(RAM_SCHEMA, typed, raw, lines, log, already_reported=unreadable)
    for later, earlier, reason in SEQUENCES:
        if later not in missing and earlier not in missing:
            check_order(typed, raw, lines, log, later, earlier, reason)
    too_many = (typed["outcomes_achieved"] > typed["outcomes_to_be_achieved_count"]).fillna(False)
    report_bad(log, raw["outcomes_achieved"], too_many, lines, "outcomes_achieved",
               "is more than outcomes_to_be_achieved_count (each outcome scores at most 1)")
    if "referral_id" not in missing:
        duplicates.check(typed["referral_id"], lines, log)

    reasons = typed["end_requested_by_pp_reason"].dropna().value_counts()
    count_end_reasons(zip(reasons.index, reasons.to_numpy()), end_reasons, notices)
    return typed


def count_end_reasons(counts, end_reasons: EndReasonClasses | None, notices: dict[str, int]) -> None:
    """Add (reason as written, rows) pairs to the notice counts, classified by the one
    end-reason table SL002 uses (``domain.end_reasons``): rows whose reason it does not know,
    and rows per reason SL002 counts negative."""
    end_reasons = end_reasons or default_end_reasons()
    for written, rows in counts:
        reason = end_reasons.find(written)
        if reason is None:
            key = "unrecognised_end_reason"
        elif reason.sl002_class == "negative":
            key = f"negative_end_reason:{reason.vocabulary} {reason.code} {reason.description}"
        else:
            continue
        notices[key] = notices.get(key, 0) + int(rows)


def end_reason_notices(notices: dict[str, int], end_reasons: EndReasonClasses | None) -> list[str]:
    """The import's notices about end reasons, worded from the same table SL002 uses."""
    out = []
    if notices.get("unrecognised_end_reason"):
        out.append(
            f"{notices['unrecognised_end_reason']:,} rows have an end_requested_by_pp_reason that is not in the "
            "end-reason table (2021 end reasons or 2024 withdrawal reasons); they are kept as written and SL002 "
            "treats them as neutral (Decision 9). An admin can add the reason and its SL002 class."
        )
    negative = sorted((key.split(":", 1)[1], n) for key, n in notices.items() if key.startswith("negative_end_reason:"))
    if negative:
        listed = "; ".join(f"{name} ({n:,})" for name, n in negative)
        out.append(
            f"SL002 counts these end reasons as negative when there was no intervention appointment and an "
            f"approved action plan: {listed} (classification in the end-reason table, Decision 9)."
        )
    return out


# --------------------------------------------------------------------------------------------
# The fast path: a chunk of plain values, checked and converted column by column in Arrow
# --------------------------------------------------------------------------------------------

#: How ``saa_attended_on_time`` and ``referral_end_state`` may be spelled on the fast path
#: (lower-cased), and the value each stands for. Anything else goes to the reference path.
_ON_TIME_WORDS = {"true": True, "false": False}
_END_STATE_WORDS = {state: state for state in END_STATES}


def plain_chunk(raw: dict[str, pyarrow.Array]) -> dict[str, pyarrow.Array] | None:
    """Typed values of a chunk in which every value is written plainly and passes every
    per-row rule; None if anything needs the reference validator (:func:`validate_chunk`),
    which then reads the unusual values or reports the problems. Duplicate keys are not
    checked here (see :class:`DuplicateKeys`).

    Keys are the report's column names (timestamps as UTC), plus the Europe/London date of
    each event under its ``referrals`` column name (``received_on``, …).
    """
    typed: dict[str, pyarrow.Array] = {}
    for column, (length, required, pattern) in TEXT_RULES.items():
        typed[column] = av.trimmed_text(raw[column])
        if not av.text_is_plain(typed[column], max_length=length, required=required, pattern=pattern):
            return None
    for column in TIMESTAMPS:
        stamps = av.plain_timestamps(raw[column], required=column == "date_referral_received")
        if stamps is None:
            return None
        typed[column] = stamps
    for column in PLAIN_DATES:
        days = av.plain_dates(raw[column])
        if days is None:
            return None
        typed[column] = days
    for column in WHOLE_NUMBERS:
        numbers = av.plain_numbers(raw[column], whole=True)
        if numbers is None:
            return None
        typed[column] = numbers
    achieved = av.plain_numbers(raw["outcomes_achieved"], whole=False)
    on_time = av.plain_words(raw["saa_attended_on_time"], _ON_TIME_WORDS, pyarrow.bool_(), trim=True)
    end_state = av.plain_words(raw["referral_end_state"], _END_STATE_WORDS, pyarrow.string(), trim=False)
    if achieved is None or on_time is None or end_state is None:
        return None
    # R&M writes "false" also when no assessment was attended: kept only beside one.
    on_time = pc.if_else(pc.is_null(typed["date_saa_first_attended"]), pyarrow.scalar(None, pyarrow.bool_()), on_time)
    typed["outcomes_achieved"], typed["saa_attended_on_time"], typed["referral_end_state"] = achieved, on_time, end_state
    too_many = pc.greater(achieved, pc.cast(typed["outcomes_to_be_achieved_count"], pyarrow.float64()))
    if pc.any(pc.fill_null(too_many, False)).as_py():
        return None
    days = {column: av.london_dates(typed[column]) for column in TIMESTAMPS}
    for later, earlier, _ in SEQUENCES:
        if pc.any(pc.fill_null(pc.less(days[later], days[earlier]), False)).as_py():
            return None
    for source, target in LONDON_DATES.items():
        typed[target] = days[source]
    return typed


def typed_columns(typed: pd.DataFrame) -> dict[str, pyarrow.Array]:
    """The reference validator's typed chunk as the Arrow columns :func:`plain_chunk` gives."""
    columns: dict[str, pyarrow.Array] = {}
    for column in RAM_COLUMNS:
        values = typed[column]
        if column in TIMESTAMPS:
            columns[column] = pyarrow.array(values.dt.tz_convert("UTC"), type=av.UTC_MICROS, from_pandas=True)
        elif column in PLAIN_DATES:
            columns[column] = pyarrow.array(values.to_numpy(dtype="datetime64[D]"), type=pyarrow.date32(), from_pandas=True)
        else:
            columns[column] = pyarrow.array(values, type=_TYPED_KINDS.get(column, pyarrow.string()), from_pandas=True)
    for source, target in LONDON_DATES.items():
        days = london_day(typed[source]).to_numpy(dtype="datetime64[D]")
        columns[target] = pyarrow.array(days, type=pyarrow.date32(), from_pandas=True)
    return columns


_TYPED_KINDS = {
    **{column: pyarrow.int64() for column in WHOLE_NUMBERS},
    "outcomes_achieved": pyarrow.float64(),
    "saa_attended_on_time": pyarrow.bool_(),
}


@dataclass
class Checked:
    """One chunk after validation: its row count and typed columns (None once the file has a
    problem, since nothing more will be written)."""

    rows: int
    columns: dict[str, pyarrow.Array] | None


def check_chunk(
    chunk: pyarrow.Table | pd.DataFrame,
    lines: np.ndarray | pd.Series,
    log: ProblemLog,
    *,
    mapping: dict[int, str],
    missing: set[str],
    from_excel: bool,
    duplicates: DuplicateKeys,
    notices: dict[str, int],
    result: ImportResult,
    end_reasons: EndReasonClasses | None = None,
    ownership: RamOwnership | None = None,
) -> Checked:
    """Validate one chunk of raw text (Arrow columns or a pandas frame, columns by position).

    Arrow chunks go through :func:`plain_chunk`; a chunk it does not vouch for, and every
    pandas chunk, goes through the reference :func:`validate_chunk`. Either way every problem
    is added to ``log`` and the typed values come back as Arrow columns. With ``ownership`` (a
    provider's upload) every row must also be the provider's own.
    """
    typed = None
    if isinstance(chunk, pyarrow.Table):
        if chunk.num_rows and not missing:
            with result.timed("check plain values (Arrow)"):
                raw = {column: chunk.column(position).combine_chunks() for position, column in mapping.items()}
                for column in ADDED_COLUMNS:  # an older layout: blank, as the reference reads it
                    raw.setdefault(column, pyarrow.array([""] * chunk.num_rows, pyarrow.string()))
                typed = plain_chunk(raw)
        if typed is None:
            frame = chunk.to_pandas()
            frame.columns = range(chunk.num_columns)
            chunk, lines = frame, pd.Series(lines)
    if typed is not None:
        with result.timed("check duplicate keys"):
            keys = typed["referral_id"].to_numpy(zero_copy_only=False)
            duplicates.check(keys, lines, log)
            reasons = pc.value_counts(typed["end_requested_by_pp_reason"].drop_null())
            count_end_reasons(
                zip(reasons.field("values").to_pylist(), reasons.field("counts").to_pylist()), end_reasons, notices
            )
        if ownership is not None:
            with result.timed("check rows are the uploader's own"):
                ownership.check(*(typed[c].to_numpy(zero_copy_only=False) for c in _OWNED), lines, log)
        return Checked(len(keys), None if log else typed)
    with result.timed("check values (pandas, reference)"):
        raw_frame = select_columns(chunk, mapping, list(RAM_COLUMNS))
        checked = validate_chunk(
            raw_frame, lines, log, missing=missing, from_excel=from_excel, duplicates=duplicates, notices=notices,
            end_reasons=end_reasons,
        )
        if ownership is not None:
            ownership.check(*(checked[c].to_numpy(dtype=object) for c in _OWNED), lines, log)
        return Checked(len(raw_frame), None if log else typed_columns(checked))


#: The columns that say whose a row is (``data_access.importers.ownership``).
_OWNED = ("organisation_id", "contract_ref", "referral_id", "referral_ref")


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------

#: ``referrals`` columns a report row writes (other than ``id``), in storage order.
WRITE_COLUMNS: tuple[str, ...] = (
    "referral_id", "referral_ref", "contract_id", "provider_id", "caseworker_id", "service_user_crn",
    *TIMESTAMPS.values(), "saa_attended_on_time", "outcomes_to_be_achieved_count", "outcomes_achieved",
    "count_of_sessions_expected", "count_of_sessions_attended", "end_requested_by_pp_reason",
    "referral_end_state", *PLAIN_DATES.values(), *LONDON_DATES.values(), "source", "import_batch_id", "row_hash",
)

#: Columns compared to decide whether a held referral changed: everything the report says
#: (and where the row came from), not the batch that last wrote it.
COMPARED_COLUMNS: tuple[str, ...] = tuple(c for c in WRITE_COLUMNS if c not in ("import_batch_id", "row_hash"))

#: Arrow type of each storage column (timestamps naive UTC, London dates as dates).
STORAGE_SCHEMA = pyarrow.schema(
    [("referral_id", pyarrow.string()), ("referral_ref", pyarrow.string()), ("contract_id", pyarrow.int64()),
     ("provider_id", pyarrow.int64()), ("caseworker_id", pyarrow.string()), ("service_user_crn", pyarrow.string())]
    + [(target, pyarrow.timestamp("us")) for target in TIMESTAMPS.values()]
    + [("saa_attended_on_time", pyarrow.bool_()), ("outcomes_to_be_achieved_count", pyarrow.int64()),
       ("outcomes_achieved", pyarrow.float64()), ("count_of_sessions_expected", pyarrow.int64()),
       ("count_of_sessions_attended", pyarrow.int64()), ("end_requested_by_pp_reason", pyarrow.string()),
       ("referral_end_state", pyarrow.string())]
    + [(target, pyarrow.date32()) for target in PLAIN_DATES.values()]
    + [(target, pyarrow.date32()) for target in LONDON_DATES.values()]
    + [("source", pyarrow.string()), ("import_batch_id", pyarrow.int64()), ("row_hash", pyarrow.string())]
)
assert STORAGE_SCHEMA.names == list(WRITE_COLUMNS)



def execute_many(connection: Connection, sql: str, rows: list[tuple]) -> None:
    """``executemany`` on the driver cursor (``?`` placeholders), inside the caller's transaction."""
    if not rows:
        return
    if connection.dialect.name == "postgresql":
        sql = sql.replace("?", "%s")
    cursor = connection.connection.driver_connection.cursor()
    try:
        cursor.executemany(sql, rows)
    finally:
        cursor.close()


def fetch_rows(connection: Connection, table: str, columns: list[str], ids: list[int]) -> dict[int, dict]:
    """Current values of ``columns`` for rows ``ids`` of ``table`` (storage form)."""
    out: dict[int, dict] = {}
    column_list = ", ".join(f'"{c}"' for c in columns)
    for start in range(0, len(ids), 500):
        part = ids[start : start + 500]
        marks = ", ".join(str(int(i)) for i in part)
        for row in connection.execute(text(f'SELECT id, {column_list} FROM "{table}" WHERE id IN ({marks})')):
            out[row[0]] = dict(zip(columns, row[1:]))
    return out


def json_before(values: dict) -> str:
    return json.dumps(values, default=str, ensure_ascii=False)


class BatchWriter:
    """Shared bookkeeping: the batch row, change records and explicit primary keys."""

    def __init__(self, connection: Connection, kind: str, file_name: str, sha256: str, user: str) -> None:
        self.connection = connection
        self.user = user
        self.batch_id = connection.execute(
            insert(ImportBatch.__table__).values(
                kind=kind, file_name=file_name[:255], sha256=sha256, imported_by=user[:60], status="running"
            )
        ).inserted_primary_key[0]
        self.changes: list[tuple] = []

    def next_ids(self, table, count: int) -> list[int]:
        start = (self.connection.execute(select(func.max(table.c.id))).scalar() or 0) + 1
        return list(range(start, start + count))

    def record_bulk_insert(self, table_name: str) -> None:
        """Say once that this batch inserted the ``table_name`` rows carrying its ``import_batch_id``."""
        self.record(table_name, "*", BULK_INSERT)

    def record(self, table_name: str, row_pk, operation: str, before: str | None = None) -> None:
        self.changes.append((self.batch_id, table_name, str(row_pk), operation, before))

    def flush_changes(self) -> None:
        if self.changes:
            bulk.bulk_insert(
                self.connection, ImportChange.__table__,
                ["batch_id", "table_name", "row_pk", "operation", "before"], self.changes,
            )
            self.changes = []

    def finish(self, result: ImportResult, detail: dict) -> None:
        self.flush_changes()
        if self.connection.dialect.name == "postgresql":
            for table in ("referrals", "providers", "contracts", "appointments", "need_scores", "record_events",
                          "referral_outcomes", "onward_referrals", "epop_plans", "epop_actions",
                          "inspection_recommendations", "epop_action_updates"):
                self.connection.execute(text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"GREATEST((SELECT COALESCE(MAX(id), 0) FROM \"{table}\"), 1), "
                    f"(SELECT EXISTS (SELECT 1 FROM \"{table}\")))"
                ))
        self.connection.execute(
            update(ImportBatch.__table__)
            .where(ImportBatch.__table__.c.id == self.batch_id)
            .values(
                status="done", finished_at=_now(), rows_read=result.rows_read,
                rows_inserted=result.rows_inserted, rows_updated=result.rows_updated, rows_rejected=0,
            )
        )
        self.connection.execute(
            insert(AuditLog.__table__).values(
                at=_now(), actor=self.user[:60], action="import", entity="import_batches",
                entity_id=str(self.batch_id), detail=json.dumps(detail, default=str),
            )
        )


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)



#: A load that inserts at least this many referrals, and at least as many as the table held
#: before, drops the table's secondary indexes and rebuilds them before committing: building
#: an index from sorted rows is several times faster than growing a dozen indexes row by row.
#: On PostgreSQL its foreign keys are dropped and added back the same way (one set-based
#: check instead of a trigger per key per row). Both steps are inside the import's
#: transaction, so a rejected or failed import rolls them back with everything else. (On
#: PostgreSQL this holds an exclusive lock on ``referrals`` until the commit, so dashboards
#: wait for a first, very large load.)
REBUILD_INDEXES_FROM_ROWS = 50_000

#: Session-local table each chunk is staged in when ``referrals`` already holds keyed rows,
#: then merged by set-based statements (see :meth:`RamWriter._merge_staged`).
STAGED_ROWS = "import_referral_rows"

#: Rows staged before they are merged. PostgreSQL joins the staged rows to ``referrals``
#: by hashing, reading the whole table once per merge, so it merges few, large batches
#: (the staging table is the server's, not this process's, memory); SQLite looks each
#: staged row up in the unique index, so it merges every chunk and keeps its temporary
#: file small.
MERGE_ROWS = {"postgresql": 1_000_000, "sqlite": 1}

#: Memory PostgreSQL may use, for this import's transaction only, to sort while rebuilding
#: indexes and to hash while merging staged rows (the server defaults, 64 MB and 4 MB, make
#: a million-row rebuild sort on disk).
POSTGRES_SETTINGS = {"maintenance_work_mem": "512MB", "work_mem": "64MB"}


def has_merge(connection: Connection) -> bool:
    """True if the PostgreSQL server has ``MERGE`` (version 15 and later)."""
    return (connection.dialect.server_version_info or (0,)) >= (15,)


class RamWriter(BatchWriter):
    """Writes validated chunks of a report, and records what it did for undo.

    Two ways in, chosen once when the import starts:

    * **direct**: ``referrals`` is empty (a first import), so every row is new: each chunk
      is loaded straight into ``referrals`` (binary ``COPY`` on PostgreSQL) with explicit
      primary keys; a large load drops the indexes, foreign keys and (PostgreSQL) unique
      constraints first and adds them back before the commit.
    * **merge**: otherwise chunks are loaded into a session-local staging table and merged
      (every :data:`MERGE_ROWS` rows, and at the end) by set-based statements: complete the
      placeholders a case extract created; keep, for undo, the previous values of held rows
      whose content differs; then update those and insert the rows not held (``MERGE`` on
      PostgreSQL 15 and later, an ``UPDATE`` and an ``INSERT`` on 14, ``INSERT … ON CONFLICT
      DO UPDATE … WHERE`` on SQLite). Content is compared column by column in the database
      (null-safe), so a row rewritten the same way, or the same content spelled differently,
      is left alone.
    """

    def __init__(
        self, connection: Connection, file_name: str, sha256: str, user: str, *, caseworker_key: str | None = None
    ) -> None:
        if connection.dialect.name == "postgresql":
            # One import at a time: explicit primary keys are handed out below.
            connection.execute(text("LOCK TABLE referrals IN SHARE ROW EXCLUSIVE MODE"))
            for name, value in POSTGRES_SETTINGS.items():
                connection.execute(text(f"SET LOCAL {name} = '{value}'"))
        else:
            # A large page cache keeps the referral indexes in memory while rows go in;
            # it lasts for this connection only (returned to the pool reset below).
            connection.exec_driver_sql("PRAGMA cache_size = -262144")
            # Let SQLite sort with a helper thread when it rebuilds indexes after a bulk load.
            connection.exec_driver_sql(f"PRAGMA threads = {min(4, os.cpu_count() or 1)}")
        # Before the batch row is written: the summary must be current as the data stood.
        self.summary = SummaryTracker(connection)
        super().__init__(connection, KIND, file_name, sha256, user)
        self.caseworker_key = pseudonym_key(connection, caseworker_key)
        providers, contracts = Provider.__table__, Contract.__table__
        self.providers = dict(connection.execute(select(providers.c.organisation_code, providers.c.id)).all())
        self.contracts = dict(connection.execute(select(contracts.c.reference, contracts.c.id)).all())
        referrals = Referral.__table__
        any_keyed = connection.execute(
            select(referrals.c.id).where(referrals.c.referral_id.is_not(None)).limit(1)
        ).first() is not None
        #: Referrals a case extract created before Refer and Monitor knew them (ref only).
        self.placeholders = dict(
            connection.execute(
                select(referrals.c.referral_ref, referrals.c.id).where(referrals.c.referral_id.is_(None))
            ).all()
        )
        self.direct = not any_keyed and not self.placeholders
        self.registered: list[str] = []
        self.referrals_held = connection.execute(select(func.count()).select_from(referrals)).scalar() or 0
        #: The next primary key the direct load hands out.
        self.next_id = (connection.execute(select(func.max(referrals.c.id))).scalar() or 0) + 1
        self.inserted = 0
        self.staging_ready = False
        #: Rows in the staging table, and whether any completes a placeholder.
        self.staged = 0
        self.staged_targets = False
        #: Statements recreating indexes (and PostgreSQL foreign keys) dropped for a bulk load,
        #: run in :meth:`finish`.
        self.dropped_indexes: list[str] | None = None
        #: What the download covers (issue 13 part 6), written on the batch in :meth:`finish`.
        self.coverage = DownloadCoverage()

    # --- registering organisations and contracts -------------------------------------------

    def _register(self, typed: dict[str, pyarrow.Array]) -> None:
        providers, contracts = Provider.__table__, Contract.__table__
        codes, references = typed["organisation_id"], typed["contract_ref"]
        for code in pc.unique(codes.drop_null()).to_pylist():
            if code not in self.providers:
                pk = self.connection.execute(
                    insert(providers).values(organisation_code=code, name=code, needs_review=True)
                ).inserted_primary_key[0]
                self.providers[code] = pk
                self.record("providers", pk, "insert")
                self.registered.append(f"registered new organisation {code!r}: an admin should review it")
        for reference in pc.unique(references.drop_null()).to_pylist():
            if reference not in self.contracts:
                code = codes[pc.index(references, reference).as_py()].as_py()  # the first row naming it
                pk = self.connection.execute(
                    insert(contracts).values(
                        reference=reference,
                        service="Registered from a Refer and Monitor report (to be mapped)",
                        provider_id=self.providers[code],
                        needs_mapping=True,
                    )
                ).inserted_primary_key[0]
                self.contracts[reference] = pk
                self.record("contracts", pk, "insert")
                self.registered.append(
                    f"registered new contract reference {reference!r}: an admin should map it to a geography"
                )

    # --- storage form -------------------------------------------------------------------------

    def _storage(self, typed: dict[str, pyarrow.Array]) -> pyarrow.Table:
        """The chunk's ``referrals`` values as Arrow columns, named and typed as :data:`STORAGE_SCHEMA`."""

        def ids(values: pyarrow.Array, known: dict[str, int]) -> pyarrow.Array:
            keys = pyarrow.array(list(known), pyarrow.string())
            return pc.take(pyarrow.array(list(known.values()), pyarrow.int64()), pc.index_in(values, value_set=keys))

        n = len(typed["referral_id"])
        columns = {
            "contract_id": ids(typed["contract_ref"], self.contracts),
            "provider_id": ids(typed["organisation_id"], self.providers),
            # Staff user name or e-mail: personal data, stored only as a keyed pseudonym.
            "caseworker_id": pseudonymise(self.caseworker_key, typed["caseworker_id"]),
            **{target: typed[source] for source, target in PLAIN_DATES.items()},
            **{target: typed[source].cast(pyarrow.timestamp("us")) for source, target in TIMESTAMPS.items()},
            "source": pyarrow.array(np.full(n, "ram", dtype=object), pyarrow.string()),
            "import_batch_id": pyarrow.array(np.full(n, self.batch_id, dtype=np.int64)),
            "row_hash": pyarrow.nulls(n, pyarrow.string()),
        }
        return pyarrow.Table.from_arrays(
            [columns[c] if c in columns else typed[c] for c in WRITE_COLUMNS], schema=STORAGE_SCHEMA
        )

    # --- writing ------------------------------------------------------------------------------

    def write(self, checked: Checked, result: ImportResult) -> None:
        typed = checked.columns
        if typed is None or checked.rows == 0:
            return
        with result.timed("register organisations and contracts"):
            self._register(typed)
        with result.timed("convert to storage form"):
            stored = self._storage(typed)
        with result.timed("note the download's coverage"):
            self.coverage.add(stored)
            self._note_unrecorded_sessions(stored)
        if self.direct:
            self._load_direct(stored, result)
        else:
            self._stage(stored, typed, result)
        with result.timed("record changes"):
            self.flush_changes()

    def _note_unrecorded_sessions(self, stored: pyarrow.Table) -> None:
        """Keep, for SL002's official cut, the ended referrals this download holds without an
        attended session (:class:`data_access.models.UnrecordedFirstSession`)."""
        mask = pc.and_(pc.is_valid(stored["concluded_at"]), pc.is_null(stored["first_attended_session_at"]))
        ids = stored["referral_id"].filter(mask).to_pylist()
        if not ids:
            return
        if not self.coverage.unrecorded_sessions:
            self.record_bulk_insert(UnrecordedFirstSession.__tablename__)
        self.coverage.unrecorded_sessions += len(ids)
        bulk.bulk_insert(self.connection, UnrecordedFirstSession.__table__, ["import_batch_id", "referral_id"],
                         [(self.batch_id, key) for key in ids])

    def _drop_repeated_evidence(self) -> None:
        """Forget this download's unrecorded sessions that a live download made no earlier
        already shows, so importing the same file again changes nothing."""
        if not self.coverage.unrecorded_sessions:
            return
        params = {"batch": self.batch_id, "as_at": self.coverage.data_as_at}
        self.connection.execute(text(
            "DELETE FROM unrecorded_first_sessions WHERE import_batch_id = :batch AND referral_id IN ("
            " SELECT u.referral_id FROM unrecorded_first_sessions AS u JOIN import_batches AS b"
            " ON b.id = u.import_batch_id WHERE b.id <> :batch AND b.status = 'done' AND b.data_as_at >= :as_at)"
        ), params)
        left = self.connection.execute(text(
            "SELECT COUNT(*) FROM unrecorded_first_sessions WHERE import_batch_id = :batch"), params).scalar()
        if not left:
            self.connection.execute(text(
                "DELETE FROM import_changes WHERE batch_id = :batch AND table_name = 'unrecorded_first_sessions'"
            ), params)

    def _drop_indexes_for_bulk_load(self, new_rows: int, result: ImportResult, *, unique: bool = False) -> None:
        """Drop the secondary indexes and foreign keys (and, with ``unique``, the unique
        constraints) of ``referrals`` once a load is big enough (:data:`REBUILD_INDEXES_FROM_ROWS`)."""
        if self.dropped_indexes is not None:
            return
        if self.inserted + new_rows >= max(REBUILD_INDEXES_FROM_ROWS, self.referrals_held):
            with result.timed("drop indexes and foreign keys"):
                table = Referral.__tablename__
                self.dropped_indexes = [
                    *bulk.drop_secondary_indexes(self.connection, table),
                    *(bulk.drop_unique_constraints(self.connection, table) if unique else []),
                    *bulk.drop_foreign_keys(self.connection, table),
                ]

    def _inserted(self, count: int, result: ImportResult) -> None:
        if count and self.inserted == 0:
            self.record_bulk_insert("referrals")
        self.inserted += count
        result.rows_inserted += count

    def _load_direct(self, stored: pyarrow.Table, result: ImportResult) -> None:
        n = stored.num_rows
        # No key is held, so the unique key can be dropped too: validation has already shown
        # the file's keys are distinct, and adding the constraint back checks them again.
        self._drop_indexes_for_bulk_load(n, result, unique=True)
        ids = pyarrow.array(np.arange(self.next_id, self.next_id + n, dtype=np.int64))
        self.next_id += n
        with result.timed("load rows into referrals"):
            bulk.bulk_insert(
                self.connection, Referral.__table__, ["id", *WRITE_COLUMNS],
                bulk.ColumnBlock(stored.add_column(0, "id", ids)),
            )
        self._inserted(n, result)

    def _placeholder_targets(self, typed: dict[str, pyarrow.Array]) -> pyarrow.Array:
        """For each row, the placeholder referral (created by a case extract with only a
        referral reference) it completes, or null. A placeholder is completed by the first
        row, in file order, naming its reference whose key is not already held."""
        n = len(typed["referral_id"])
        if not self.placeholders:
            return pyarrow.nulls(n, pyarrow.int64())
        refs = typed["referral_ref"]
        candidates = np.flatnonzero(
            pc.fill_null(pc.is_in(refs, value_set=pyarrow.array(list(self.placeholders), pyarrow.string())), False)
            .to_numpy(zero_copy_only=False)
        )
        targets = np.full(n, -1, dtype=np.int64)
        if candidates.size:
            keys = typed["referral_id"].take(pyarrow.array(candidates)).to_pylist()
            held = set()
            for start in range(0, len(keys), 500):
                held.update(self.connection.execute(
                    select(Referral.__table__.c.referral_id).where(Referral.__table__.c.referral_id.in_(keys[start:start + 500]))
                ).scalars())
            for row, ref, key in zip(candidates.tolist(), refs.take(pyarrow.array(candidates)).to_pylist(), keys):
                if key not in held and ref in self.placeholders:
                    targets[row] = self.placeholders.pop(ref)
        return pyarrow.array(targets, mask=targets < 0)

    def _prepare_staging(self) -> None:
        if self.staging_ready:
            return
        conn = self.connection
        column_list = ", ".join(f'"{c}"' for c in WRITE_COLUMNS)
        postgres = conn.dialect.name == "postgresql"
        conn.execute(text(f"DROP TABLE IF EXISTS {'pg_temp' if postgres else 'temp'}.{STAGED_ROWS}"))
        if postgres:
            conn.execute(text(
                f"CREATE TEMPORARY TABLE {STAGED_ROWS} ON COMMIT DROP AS "
                f"SELECT id AS target_id, {column_list} FROM referrals WITH NO DATA"
            ))
            # New rows take their keys from the table's sequence (the merge cannot number
            # rows); make sure it is past every key held.
            conn.execute(text(
                "SELECT setval(pg_get_serial_sequence('referrals', 'id'), "
                "GREATEST((SELECT COALESCE(MAX(id), 0) FROM referrals), 1), "
                "(SELECT EXISTS (SELECT 1 FROM referrals)))"
            ))
        else:
            conn.execute(text(
                f"CREATE TEMPORARY TABLE {STAGED_ROWS} AS SELECT id AS target_id, {column_list} FROM referrals WHERE 0"
            ))
        self.staging_ready = True

    def _differs(self, held: str, staged: str) -> str:
        """SQL: true when the ``held`` row's content is not the ``staged`` row's (nulls equal)."""
        if self.connection.dialect.name == "postgresql":
            held_columns = ", ".join(f'{held}."{c}"' for c in COMPARED_COLUMNS)
            staged_columns = ", ".join(f'{staged}."{c}"' for c in COMPARED_COLUMNS)
            return f"(({held_columns}) IS DISTINCT FROM ({staged_columns}))"
        return "(" + " OR ".join(f'{held}."{c}" IS NOT {staged}."{c}"' for c in COMPARED_COLUMNS) + ")"

    def _latest_event(self, row: str) -> str:
        """SQL: the latest event timestamp ``row`` holds (a date before any event when none)."""
        if self.connection.dialect.name == "postgresql":
            stamps = ", ".join(f'{row}."{c}"' for c in TIMESTAMPS.values())
            return f"COALESCE(GREATEST({stamps}), TIMESTAMP '0001-01-01')"
        # SQLite's many-argument max() is null if any argument is: fill the blanks first.
        return "max(" + ", ".join(f"coalesce({row}.\"{c}\", '0001-01-01')" for c in TIMESTAMPS.values()) + ")"

    def _replaces(self, held: str, staged: str) -> str:
        """SQL: true when the ``staged`` row should replace the ``held`` one: its content differs
        and it is not an older download of the referral.

        Issue 13 part 6: R&M gives at most about six months of referrals a download, so
        overlapping downloads are merged. Events only accumulate in R&M, so of two versions of
        a referral the one further on (:meth:`_progress`) was downloaded later; it wins
        whichever file is imported first, and importing the older file again changes nothing.
        Versions equally far on (a caseworker or a reason changed) are taken as before: the
        file imported last wins.
        """
        return f"({self._differs(held, staged)} AND {self._progress(held)} <= {self._progress(staged)})"

    def _progress(self, row: str) -> str:
        """SQL: how far R&M had got with ``row``'s referral when it was downloaded, as a row value
        that only grows: its latest event, then how many events it has (an attendance fed back
        late fills a date before the latest), then the sessions attended."""
        filled = " + ".join(f'(CASE WHEN {row}."{c}" IS NULL THEN 0 ELSE 1 END)' for c in TIMESTAMPS.values())
        return f'({self._latest_event(row)}, {filled}, COALESCE({row}."count_of_sessions_attended", -1))'

    def _keep_before(self, join: str, where: str) -> int:
        """Record the current values of the ``referrals`` rows (``r``) the staged rows (``s``)
        will change, for undo, and take their counts out of the KPI summary
        (:class:`~data_access.kpi_incremental.SummaryTracker`); returns how many."""
        pairs = ", ".join(f"'{c}', r.\"{c}\"" for c in WRITE_COLUMNS)
        postgres = self.connection.dialect.name == "postgresql"
        before = f"CAST(json_build_object({pairs}) AS TEXT)" if postgres else f"json_object({pairs})"
        kept = self.connection.execute(text(
            "INSERT INTO import_changes (batch_id, table_name, row_pk, operation, before) "
            f"SELECT :batch, 'referrals', CAST(r.id AS VARCHAR(60)), 'update', {before} "
            f"FROM {STAGED_ROWS} AS s JOIN referrals AS r ON {join} WHERE {where}"
        ), {"batch": self.batch_id}).rowcount
        if kept:
            changes = ImportChange.__table__.c
            self.summary.before_change(select(cast(changes.row_pk, Integer)).where(
                changes.batch_id == self.batch_id, changes.table_name == "referrals", changes.operation == "update"))
        return kept

    def _stage(self, stored: pyarrow.Table, typed: dict[str, pyarrow.Array], result: ImportResult) -> None:
        """Add the chunk to the staging table (with the placeholder each row completes, if
        any); merge once enough rows are staged (:data:`MERGE_ROWS`)."""
        with result.timed("stage rows"):
            self._prepare_staging()
            targets = self._placeholder_targets(typed)
            staged = stored.add_column(0, "target_id", targets)
            bulk.bulk_insert(self.connection, sa_table(STAGED_ROWS), staged.column_names, bulk.ColumnBlock(staged))
            self.staged += stored.num_rows
            self.staged_targets |= targets.null_count < len(targets)
        if self.staged >= MERGE_ROWS[self.connection.dialect.name]:
            self._merge_staged(result)

    def _merge_staged(self, result: ImportResult) -> None:
        """Merge the staged rows into ``referrals``: complete placeholders; keep the previous
        values of held rows whose content differs; then insert the new rows and update the
        changed ones in one statement (``MERGE`` on PostgreSQL, ``INSERT … ON CONFLICT DO
        UPDATE … WHERE`` on SQLite). Empties the staging table."""
        if not self.staged:
            return
        conn = self.connection
        postgres = conn.dialect.name == "postgresql"
        if postgres:
            with result.timed("analyse staged rows"):
                conn.execute(text(f"ANALYZE {STAGED_ROWS}"))  # so the joins below are planned for its size
        columns = ", ".join(f'"{c}"' for c in WRITE_COLUMNS)
        updated = 0
        if self.staged_targets:
            with result.timed("complete placeholder referrals"):
                self._keep_before("r.id = s.target_id", "TRUE")
                assignments = ", ".join(f'"{c}" = s."{c}"' for c in WRITE_COLUMNS)
                updated += conn.execute(text(
                    f"UPDATE referrals SET {assignments} FROM {STAGED_ROWS} AS s WHERE referrals.id = s.target_id"
                )).rowcount
        with result.timed("count rows older than those held"):
            self.coverage.older_rows += conn.execute(text(
                f"SELECT COUNT(*) FROM {STAGED_ROWS} AS s JOIN referrals AS r ON r.referral_id = s.referral_id "
                f"WHERE s.target_id IS NULL AND {self._differs('r', 's')} AND NOT {self._replaces('r', 's')}"
            )).scalar() or 0
        with result.timed("keep previous values of changed rows"):
            changed = self._keep_before("r.referral_id = s.referral_id", f"s.target_id IS NULL AND {self._replaces('r', 's')}")
        if self.dropped_indexes is None and self.inserted + self.staged >= max(REBUILD_INDEXES_FROM_ROWS, self.referrals_held):
            new = conn.execute(text(
                f"SELECT COUNT(*) FROM {STAGED_ROWS} AS s "
                "WHERE NOT EXISTS (SELECT 1 FROM referrals AS r WHERE r.referral_id = s.referral_id)"
            )).scalar()
            self._drop_indexes_for_bulk_load(new, result)
        with result.timed("insert new rows, update changed rows"):
            if postgres and has_merge(conn):
                assignments = ", ".join(f'"{c}" = s."{c}"' for c in WRITE_COLUMNS)
                values = ", ".join(f's."{c}"' for c in WRITE_COLUMNS)
                written = conn.execute(text(
                    f"MERGE INTO referrals AS r USING {STAGED_ROWS} AS s ON r.referral_id = s.referral_id "
                    f"WHEN MATCHED AND {self._replaces('r', 's')} THEN UPDATE SET {assignments} "
                    f"WHEN NOT MATCHED THEN INSERT ({columns}) VALUES ({values})"
                )).rowcount
            elif postgres:
                # PostgreSQL 14 has no MERGE (and ON CONFLICT would draw a key from the
                # sequence for every staged row): update, then insert what is not held.
                assignments = ", ".join(f'"{c}" = s."{c}"' for c in WRITE_COLUMNS)
                written = conn.execute(text(
                    f"UPDATE referrals AS r SET {assignments} FROM {STAGED_ROWS} AS s "
                    f"WHERE r.referral_id = s.referral_id AND s.target_id IS NULL AND {self._replaces('r', 's')}"
                )).rowcount
                written += conn.execute(text(
                    f"INSERT INTO referrals ({columns}) SELECT {columns} FROM {STAGED_ROWS} AS s "
                    "WHERE NOT EXISTS (SELECT 1 FROM referrals AS r WHERE r.referral_id = s.referral_id)"
                )).rowcount
            else:
                assignments = ", ".join(f'"{c}" = excluded."{c}"' for c in WRITE_COLUMNS)
                written = conn.execute(text(
                    f"INSERT INTO referrals ({columns}) SELECT {columns} FROM {STAGED_ROWS} WHERE TRUE "
                    f"ON CONFLICT (referral_id) DO UPDATE SET {assignments} "
                    f"WHERE {self._replaces('referrals', 'excluded')}"
                )).rowcount
        self._inserted(written - changed, result)
        updated += changed
        result.rows_updated += updated
        result.rows_unchanged += self.staged - updated - (written - changed)
        conn.execute(text(f"TRUNCATE {STAGED_ROWS}" if postgres else f"DELETE FROM {STAGED_ROWS}"))
        self.staged, self.staged_targets = 0, False

    def finish(self, result: ImportResult, detail: dict) -> None:
        self._merge_staged(result)
        with result.timed("record changes"):
            self.flush_changes()
        if self.dropped_indexes:
            with result.timed("rebuild indexes and foreign keys"):
                bulk.recreate(self.connection, self.dropped_indexes)
        with result.timed("finish batch"):
            self._drop_repeated_evidence()
            self.connection.execute(
                update(ImportBatch.__table__).where(ImportBatch.__table__.c.id == self.batch_id)
                .values(received_from=self.coverage.received_from, received_to=self.coverage.received_to,
                        data_as_at=self.coverage.data_as_at)
            )
            super().finish(result, detail)
        with result.timed("refresh KPI summary (touched referrals)"):
            self.summary_refreshed = self.summary.finish()


@dataclass
class DownloadCoverage:
    """What one R&M download covers, gathered chunk by chunk: the London dates of its first and
    last referral received, and its latest event (naive UTC), a lower bound on when it was
    downloaded (``import_batches.received_from``, ``received_to``, ``data_as_at``)."""

    received_from: dt.date | None = None
    received_to: dt.date | None = None
    data_as_at: dt.datetime | None = None
    unrecorded_sessions: int = 0
    #: Rows whose referral is held as a later download shows it: left as held.
    older_rows: int = 0

    def add(self, stored: pyarrow.Table) -> None:
        received = pc.min_max(stored["received_on"])
        low, high = received["min"].as_py(), received["max"].as_py()
        if low is not None:
            self.received_from = low if self.received_from is None else min(self.received_from, low)
            self.received_to = high if self.received_to is None else max(self.received_to, high)
        for column in TIMESTAMPS.values():
            latest = pc.max(stored[column]).as_py()
            if latest is not None and (self.data_as_at is None or latest > self.data_as_at):
                self.data_as_at = latest


ProgressCallback = Callable[[int, str], None]

#: Rows read, checked and written at a time. Three chunks are in flight at once (one being
#: read and checked, one waiting, one being written), so this bounds the memory an import
#: needs whatever the file's size: about 460 MB peak for 1,000,000 rows on PostgreSQL,
#: 480 MB for 2,000,000 (the duplicate-key index grows by 16 bytes a row).
RAM_CHUNK_ROWS = 50_000


def import_ram_performance(
    engine: Engine,
    source,
    *,
    file_name: str | None = None,
    user: str = "cli",
    write: bool = True,
    progress: ProgressCallback | None = None,
    chunk_rows: int = RAM_CHUNK_ROWS,
    caseworker_key: str | None = None,
    scope: AccessScope | None = None,
) -> ImportResult:
    """Validate a Refer and Monitor performance report and, if it is clean, import it.

    Parameters
    ----------
    engine : sqlalchemy.Engine
    source : path or bytes
        The file as received (CSV in UTF-8, UTF-8 with BOM or Windows-1252; or .xlsx).
    file_name : str, optional
        Name to record (defaults to the path's name).
    user : str
        Who is importing (recorded on the batch and in the audit log).
    write : bool
        False validates only (the upload page's preview): nothing is written.
    progress : callable, optional
        Called as ``progress(rows_done, phase)`` after each chunk.
    caseworker_key : str, optional
        Key of the caseworker pseudonyms; defaults to the setting (:mod:`data_access.pseudonyms`).
    scope : AccessScope, optional
        Who is uploading (:mod:`data_access.importers.ownership`): a role that may not upload
        this kind has the file refused; a provider's rows must all be its own. None is the
        command line on the database host.

    Returns
    -------
    ImportResult
        Counts, every problem (line, column, value, reason) and notices. ``written`` is True
        only if the whole file was imported, as one batch, in one transaction. ``phases``
        says where the time went.
    """
    started = time.perf_counter()
    scanned = scan(source, file_name)
    scanned_in = time.perf_counter() - started
    options = dict(user=user, write=write, progress=progress, chunk_rows=chunk_rows, caseworker_key=caseworker_key,
                   scope=scope)
    try:
        result = _import(engine, scanned, columnar=True, **options)
    except IrregularCsv as irregular:
        # Arrow met a line it cannot take as it is: read the file the reference way, which
        # reads or reports such lines as it always has. Everything written so far was
        # rolled back with the first attempt's transaction.
        spent = time.perf_counter() - started - scanned_in
        result = _import(engine, scanned, columnar=False, **options)
        result.phases[f"first attempt with Arrow, rolled back ({irregular})"[:120]] = spent
    result.phases = {"hash and sniff file": scanned_in, **result.phases}
    result.seconds = time.perf_counter() - started
    return result


def _import(
    engine: Engine, scanned, *, columnar: bool, user: str, write: bool, progress: ProgressCallback | None,
    chunk_rows: int, caseworker_key: str | None, scope: AccessScope | None,
) -> ImportResult:
    result = ImportResult(kind=KIND, file_name=scanned.name, sha256=scanned.sha256)
    log = result.problems
    if refuse_if_not_allowed(scope, KIND, log):
        return result
    owner = upload_owner(scope) if scope is not None else None
    table = open_table(scanned, log, chunk_rows=chunk_rows, columnar=columnar)
    if table is None:
        return result
    unknown: list[str] = []
    mapping = check_headings(table.headings, RAM_COLUMNS, log, required=REQUIRED_COLUMNS, unknown=unknown)
    present = set(mapping.values())
    missing = set(REQUIRED_COLUMNS) - present
    if unknown:
        result.notices.append(
            f"{len(unknown)} column(s) not part of any Refer and Monitor layout the dashboard knows were left "
            f"out of the import: {', '.join(unknown)}"
        )
    if not missing:
        layout = layout_of(present)
        result.notices.append(
            f"Refer and Monitor performance report, {layout}" if layout else
            "Refer and Monitor performance report with some of the columns added since 2024 ("
            + ", ".join(c for c in ADDED_COLUMNS if c in present) + "); the others are read as blank"
        )
    # The table SL002 reads (an admin's copy), or the reviewed file when there is no database.
    end_reasons = end_reason_classes(engine) if engine is not None else default_end_reasons()
    duplicates = DuplicateKeys("referral_id")
    notices: dict[str, int] = {}
    chunks = table.columns if table.columns is not None else table.chunks
    connection = engine.connect() if write else None
    transaction = connection.begin() if connection is not None else None
    try:
        with result.timed("start batch"):
            writer = (RamWriter(connection, scanned.name, scanned.sha256, user, caseworker_key=caseworker_key)
                      if connection is not None else None)
        ownership = None
        if owner is not None:  # read under the writer's lock when writing
            with result.timed("read what the uploader owns"):
                if connection is not None:
                    ownership = RamOwnership(connection, owner)
                else:
                    with engine.connect() as reading:
                        ownership = RamOwnership(reading, owner)

        def checked_chunks():
            source = iter(chunks)
            while True:
                with result.timed("read CSV"):
                    item = next(source, None)
                if item is None:
                    return
                chunk, lines = item
                yield check_chunk(
                    chunk, lines, log, mapping=mapping, missing=missing, from_excel=table.from_excel,
                    duplicates=duplicates, notices=notices, result=result, end_reasons=end_reasons,
                    ownership=ownership,
                )

        # The next chunk is read and checked in a second thread while this one is written.
        # ``log`` is only added to by the reading thread; once it holds a problem nothing more
        # is written, and the transaction is rolled back below.
        ahead = read_ahead(checked_chunks())
        while True:
            with result.timed("wait for reader"):
                checked = next(ahead, None)
            if checked is None:
                break
            result.rows_read += checked.rows
            if writer is not None and not log:
                writer.write(checked, result)
            if progress is not None:
                progress(result.rows_read, "checking and writing" if writer is not None and not log else "checking")
        if result.rows_read == 0 and not log:
            log.add(None, None, None, "the file has column headings but no rows")
        result.notices.extend(end_reason_notices(notices, end_reasons))
        if writer is None or log:
            result.rows_inserted = result.rows_updated = result.rows_unchanged = 0
            if transaction is not None:
                transaction.rollback()
            return result
        result.notices.extend(writer.registered)
        writer.finish(result, {"kind": KIND, "file_name": scanned.name, "sha256": scanned.sha256,
                               "inserted": result.rows_inserted, "updated": result.rows_updated})
        if writer.coverage.older_rows:  # counted as the rows were merged, the last time in finish()
            result.notices.append(
                f"{writer.coverage.older_rows:,} referrals are held as a later download shows them; this file's older "
                "versions were left out (overlapping downloads merge: the version further on is kept)"
            )
        with result.timed("commit"):
            transaction.commit()
        result.batch_id = writer.batch_id
        result.written = True
        return result
    except BaseException:
        if transaction is not None and transaction.is_active:
            transaction.rollback()
        raise
    finally:
        if connection is not None:
            if connection.dialect.name == "sqlite":
                connection.exec_driver_sql("PRAGMA cache_size = -2000")
                connection.exec_driver_sql("PRAGMA threads = 0")
            connection.close()
