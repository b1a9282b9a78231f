"""Provider case extract: the dashboard's own template for what Refer and Monitor does not hold.

Long format: one file (CSV, or the first sheet of an Excel workbook), one row per *record*,
the kind of record in ``record_type``. Each record names its referral by ``referral_ref``
(the Refer and Monitor referral reference). Columns a record type does not use are left
blank. ``assets/templates/case_extract.md`` describes every column and record type.

Writing is idempotent: a referral's case fields are updated when they differ (previous
values kept for undo); child records (needs, appointments, scores, contacts, outcomes,
onward referrals) are added unless the same record (same natural key) is already held, and a
changed score or outcome achievement is updated. A referral not yet in the database (Refer
and Monitor has not been imported for it) is created with just its reference; a later Refer
and Monitor import completes that row.
"""

from __future__ import annotations

import json
import time

import pandas as pd
from sqlalchemy import Connection, Engine, insert, select, text

from data_access.importers.ownership import NOT_YOUR_REFERRAL, refuse_if_not_allowed
from data_access.importers.problems import ImportResult, ProblemLog
from data_access.importers.ram import BatchWriter, execute_many, fetch_rows, json_before
from data_access.importers.reading import FileLimits, read_whole_sheet, scan
from data_access.kpi_incremental import SummaryTracker
from data_access.models import (
    Appointment,
    Borough,
    DemandUnit,
    Hub,
    Need,
    NeedScore,
    OnwardReferral,
    RecordEvent,
    Referral,
    ReferralNeed,
    ReferralOutcome,
)
from data_access.scoping import AccessScope, upload_owner
from data_access.validation import (
    BOOL_REASON,
    DATE_REASON,
    TIMESTAMP_REASON,
    check_text_fields,
    choice_reason,
    column_limits,
    db_value,
    dates_for_storage,
    parse_bools,
    parse_choice,
    parse_dates,
    parse_numbers,
    parse_timestamps,
    report_bad,
    text_or_none,
    timestamps_for_storage,
)
from domain.catalogue import NEEDS

KIND = "case-extract"

CASE_COLUMNS: tuple[str, ...] = (
    "record_type", "referral_ref", "borough", "demand_unit", "hub", "referral_source", "complexity",
    "risk_level", "crime_type", "age_band", "sex", "gender_identity", "ethnicity", "disability", "religion",
    "sexual_orientation", "consent_to_share", "suitable", "need", "stage", "event_kind", "date",
    "recorded_on", "attended", "method", "shared", "successful", "score", "achievement", "description",
    "service", "exit_reason", "exit_survey_completed",
)
REQUIRED_COLUMNS = ("record_type", "referral_ref")

EQUALITY = ("age_band", "sex", "gender_identity", "ethnicity", "disability", "religion", "sexual_orientation")
REFERRAL_FIELDS = ("borough", "demand_unit", "hub", "referral_source", "complexity", "risk_level", "crime_type",
                   *EQUALITY, "consent_to_share", "suitable")

#: record_type → (columns it requires, columns it may use). Anything else must be blank.
RECORD_TYPES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "referral": (("borough",), REFERRAL_FIELDS),
    "need": (("need",), ("need",)),
    "appointment": (("event_kind", "date"), ("event_kind", "date", "attended", "method", "recorded_on", "shared")),
    "score": (("need", "stage", "date", "score"), ("need", "stage", "date", "score")),
    "contact": (("event_kind", "date"), ("event_kind", "date", "recorded_on", "shared", "method", "successful")),
    "outcome": (("description", "achievement"), ("need", "description", "achievement")),
    "onward_referral": (("service", "date"), ("service", "date")),
    "distance_tool": (("date",), ("date",)),
    "exit": ((), ("exit_reason", "date", "exit_survey_completed")),
}

CHOICES = {
    "complexity": ("LOW", "MEDIUM", "HIGH"),
    "risk_level": ("LOW", "MEDIUM", "HIGH", "VERY HIGH"),
    "attended": ("YES", "LATE", "NO"),
    "stage": ("baseline", "review", "exit"),
    "achievement": ("ACHIEVED", "PARTLY", "NOT"),
    "method": ("in person", "phone", "video", "letter", "email", "text message"),
}
EVENT_KINDS = {
    "appointment": ("assessment", "delivery"),
    "contact": ("contact", "action_plan", "attendance", "evidence_request"),
}
SCORE_MIN, SCORE_MAX = 1, 5  # DOMAIN.md Decision 6 (configurable in settings)

#: A provider's extract is a few records per referral: thousands of rows, not millions (issue 14:
#: a 200 MB file ran the import out of memory). Larger files are refused before they are parsed.
LIMITS = FileLimits(max_bytes=50 * 1024 * 1024, max_rows=500_000)
#: Text columns and the database column each is stored in (its length is the limit).
TEXT_LIMITS = column_limits({
    "referral_ref": Referral.referral_ref, "referral_source": Referral.referral_source,
    "crime_type": Referral.crime_type, **{c: getattr(Referral, c) for c in EQUALITY},
    "exit_reason": Referral.exit_reason, "description": ReferralOutcome.description,
    "service": OnwardReferral.service,
})


class Lookups:
    """Reference names the file may use, matched ignoring case and spacing."""

    def __init__(self, connection: Connection) -> None:
        def keyed(rows):
            return {" ".join(str(name).lower().split()): value for name, value in rows}

        self.boroughs = keyed(connection.execute(select(Borough.name, Borough.id)).all())
        self.units = keyed(
            (name, (uid, bid)) for name, uid, bid in connection.execute(
                select(DemandUnit.name, DemandUnit.id, DemandUnit.borough_id)).all()
        )
        self.hubs = keyed((name, (hid, bid)) for name, hid, bid in connection.execute(
            select(Hub.name, Hub.id, Hub.borough_id)).all())
        needs = connection.execute(select(Need.code, Need.name)).all() or list(NEEDS)
        self.needs = keyed([(code, code) for code, _ in needs] + [(name, code) for code, name in needs])
        self.referrals: dict[str, int] = {}
        self.received: dict[str, str | None] = {}
        #: The provider each held reference is attributed to (-1: references that disagree).
        self.owners: dict[str, int | None] = {}

    @staticmethod
    def key(value) -> str:
        return " ".join(str(value).lower().split())


def _validate(raw: pd.DataFrame, lines: pd.Series, log: ProblemLog, look: Lookups, missing: set[str]) -> pd.DataFrame:
    """Typed records; every problem added to ``log``."""
    unstorable = check_text_fields(log, raw, lines, TEXT_LIMITS)
    typed = pd.DataFrame(index=raw.index)
    for column in CASE_COLUMNS:
        typed[column] = text_or_none(raw[column])
    record_type, bad = parse_choice(raw["record_type"], RECORD_TYPES)
    typed["record_type"] = record_type
    report_bad(log, raw["record_type"], bad, lines, "record_type", choice_reason(RECORD_TYPES, "record type"))
    blank_type = record_type.isna() & ~bad
    report_bad(log, raw["record_type"], blank_type, lines, "record_type", "is blank but a value is required")
    report_bad(log, raw["referral_ref"], typed["referral_ref"].isna(), lines, "referral_ref",
               "is blank but a value is required")

    for column, allowed in CHOICES.items():
        typed[column], bad = parse_choice(raw[column], allowed)
        report_bad(log, raw[column], bad, lines, column, choice_reason(allowed))
    kinds = pd.Series(None, index=raw.index, dtype=object)
    for rtype, allowed in EVENT_KINDS.items():
        rows = record_type == rtype
        if rows.any():
            values, bad = parse_choice(raw["event_kind"][rows], allowed)
            kinds[rows] = values
            report_bad(log, raw["event_kind"][rows], bad, lines[rows], "event_kind",
                       choice_reason(allowed, f"event kind for a {rtype}"))
    typed["event_kind"] = kinds
    for column in ("consent_to_share", "suitable", "shared", "successful", "exit_survey_completed"):
        typed[column], bad = parse_bools(raw[column])
        report_bad(log, raw[column], bad, lines, column, BOOL_REASON)
    # An appointment has a time (ISO with offset, or London wall-clock); other dates are days.
    appointment = record_type == "appointment"
    stamps, bad = parse_timestamps(raw["date"].where(appointment, ""), naive_is_london=True)
    date_only, bad_day = parse_dates(raw["date"].where(appointment, ""))
    stamps = stamps.fillna(date_only.dt.tz_localize("Europe/London", nonexistent="shift_forward",
                                                    ambiguous="NaT").dt.tz_convert("UTC"))
    report_bad(log, raw["date"], appointment & bad & bad_day, lines, "date", TIMESTAMP_REASON)
    typed["appointment_at"] = stamps
    days, bad = parse_dates(raw["date"].where(~appointment, ""))
    report_bad(log, raw["date"], ~appointment & bad, lines, "date", DATE_REASON)
    typed["date"] = days.fillna(pd.Series(pd.NaT, index=raw.index)).where(~appointment, london(stamps))
    typed["recorded_on"], bad = parse_dates(raw["recorded_on"])
    report_bad(log, raw["recorded_on"], bad, lines, "recorded_on", DATE_REASON)
    score, bad = parse_numbers(raw["score"], whole=True)
    report_bad(log, raw["score"], bad, lines, "score", "not a whole number")
    out_of_scale = score.notna() & ((score < SCORE_MIN) | (score > SCORE_MAX))
    report_bad(log, raw["score"], out_of_scale.fillna(False), lines, "score",
               f"is outside the scale: scores run from {SCORE_MIN} (high need) to {SCORE_MAX} (no need)")
    typed["score"] = score

    # References: borough, demand unit, hub, need.
    for column, table, what in (("borough", look.boroughs, "borough"), ("demand_unit", look.units, "demand unit (PDU area)"),
                                ("hub", look.hubs, "hub"), ("need", look.needs, "need")):
        present = typed[column].notna()
        known = typed[column][present].map(lambda v, t=table: Lookups.key(v) in t)
        unknown = pd.Series(False, index=raw.index)
        unknown[present] = ~known.astype(bool)
        names = sorted({str(k) for k in table if column != "need"})
        hint = f"; known names: {', '.join(names)}" if names and len(names) <= 40 else ""
        report_bad(log, raw[column], unknown, lines, column, f"not a known {what}{hint}")
    for position in range(len(raw)):
        line = int(lines.iat[position])
        borough = typed["borough"].iat[position]
        borough_id = look.boroughs.get(Lookups.key(borough)) if isinstance(borough, str) else None
        for column, table in (("demand_unit", look.units), ("hub", look.hubs)):
            value = typed[column].iat[position]
            if borough_id is not None and isinstance(value, str) and Lookups.key(value) in table:
                if table[Lookups.key(value)][1] != borough_id:
                    log.add(line, column, value, f"is not in the borough given ({borough})")
        # Required and unused columns per record type.
        rtype = typed["record_type"].iat[position]
        if rtype is None:
            continue
        needed, allowed = RECORD_TYPES[rtype]
        for column in needed:
            if column not in missing and pd.isna(typed[column].iat[position]) and raw[column].iat[position].strip() == "":
                log.add(line, column, None, f"is blank but a {rtype} record needs it")
        for column in CASE_COLUMNS[2:]:
            if column not in allowed and raw[column].iat[position].strip() != "":
                log.add(line, column, raw[column].iat[position],
                        f"is not used by a {rtype} record; leave it blank (is the record_type right?)")
    # Sequences within a row.
    late = (typed["recorded_on"] < typed["date"]).fillna(False)
    report_bad(log, raw["recorded_on"], late, lines, "recorded_on", "is before the event it records (date)")
    # Duplicates of one-per-referral records.
    for rtype in ("referral", "distance_tool", "exit"):
        rows = typed[typed["record_type"] == rtype]
        repeated = rows["referral_ref"].duplicated(keep="first") & rows["referral_ref"].notna()
        for index in rows.index[repeated]:
            first = lines[rows.index[rows["referral_ref"] == rows.at[index, "referral_ref"]][0]]
            log.add(int(lines[index]), "referral_ref", rows.at[index, "referral_ref"],
                    f"has more than one {rtype} record in the file (first on row {first})")
    # Already refused; keep their references out of the look-up query (PostgreSQL refuses a NUL
    # even as a query parameter).
    typed.loc[unstorable, "referral_ref"] = None
    return typed


def london(stamps: pd.Series) -> pd.Series:
    return stamps.dt.tz_convert("Europe/London").dt.tz_localize(None).dt.floor("D")


def _check_against_referrals(typed: pd.DataFrame, raw: pd.DataFrame, lines: pd.Series, log: ProblemLog,
                             connection: Connection, look: Lookups, owner: int | None = None) -> None:
    """Check each record against the referral it names; with ``owner`` (a provider's upload)
    every named referral must be held and attributed to that provider
    (:mod:`data_access.importers.ownership`)."""
    refs = sorted(set(typed["referral_ref"].dropna()))
    for start in range(0, len(refs), 500):
        part = refs[start : start + 500]
        for ref, pk, received_on, provider_id in connection.execute(
            select(Referral.referral_ref, Referral.id, Referral.received_on, Referral.provider_id)
            .where(Referral.referral_ref.in_(part))
        ):
            if ref in look.referrals and look.referrals[ref] != pk:
                look.referrals[ref] = -1  # ambiguous
                if look.owners.get(ref) != provider_id:
                    look.owners[ref] = -1
            else:
                look.referrals[ref] = pk
                look.received[ref] = str(received_on) if received_on else None
                look.owners[ref] = provider_id
    for position in range(len(typed)):
        ref = typed["referral_ref"].iat[position]
        if ref is None or pd.isna(ref):
            continue
        if owner is not None and (ref not in look.referrals or look.owners.get(ref) != owner):
            log.add(int(lines.iat[position]), "referral_ref", ref, NOT_YOUR_REFERRAL)
            continue
        if look.referrals.get(ref) == -1:
            log.add(int(lines.iat[position]), "referral_ref", ref, "matches more than one referral; ask an admin")
            continue
        received = look.received.get(ref)
        day = typed["date"].iat[position]
        rtype = typed["record_type"].iat[position]
        if received and not pd.isna(day) and rtype in ("appointment", "score", "contact", "onward_referral", "distance_tool"):
            if str(day.date()) < received:
                what = "the assessment" if typed["event_kind"].iat[position] == "assessment" else f"this {rtype}"
                log.add(int(lines.iat[position]), "date", raw["date"].iat[position],
                        f"{what} is dated before the referral was received ({received})")


class CaseWriter(BatchWriter):
    next_pk: dict[str, int]

    def write(self, typed: pd.DataFrame, look: Lookups, result: ImportResult) -> None:
        conn = self.connection
        self.next_pk = {}
        # Referrals not yet held: create them with just the reference.
        for ref in sorted(set(typed["referral_ref"].dropna()) - set(look.referrals)):
            pk = conn.execute(insert(Referral.__table__).values(referral_ref=ref, source="case_extract",
                                                                import_batch_id=self.batch_id)).inserted_primary_key[0]
            look.referrals[ref] = pk
            self.record("referrals", pk, "insert")
            result.rows_inserted += 1
        for rtype, rows in typed.groupby("record_type", sort=False):
            getattr(self, f"_write_{rtype}")(rows, look, result)
        self.flush_changes()

    def _update_referral(self, pk: int, values: dict, result: ImportResult) -> None:
        columns = list(values)
        before = fetch_rows(self.connection, "referrals", columns, [pk])[pk]
        if all(_same(before[c], values[c]) for c in columns):
            result.rows_unchanged += 1
            return
        assignments = ", ".join(f'"{c}" = ?' for c in columns)
        execute_many(self.connection, f"UPDATE referrals SET {assignments} WHERE id = ?",
                     [(*values.values(), pk)])
        self.record("referrals", pk, "update", json_before(before))
        result.rows_updated += 1

    def _write_referral(self, rows, look, result):
        for row in rows.itertuples(index=False):
            borough_id = look.boroughs[Lookups.key(row.borough)]
            unit = look.units.get(Lookups.key(row.demand_unit)) if isinstance(row.demand_unit, str) else None
            hub = look.hubs.get(Lookups.key(row.hub)) if isinstance(row.hub, str) else None
            values = {
                "borough_id": borough_id, "demand_unit_id": unit[0] if unit else None,
                "hub_id": hub[0] if hub else None, "referral_source": _v(row.referral_source),
                "complexity": _v(row.complexity), "risk_level": _v(row.risk_level), "crime_type": _v(row.crime_type),
                **{c: _v(getattr(row, c)) for c in EQUALITY},
                "consent_to_share": _v(row.consent_to_share), "suitable": _v(row.suitable),
            }
            self._update_referral(look.referrals[row.referral_ref], values, result)

    def _write_distance_tool(self, rows, look, result):
        for row in rows.itertuples(index=False):
            self._update_referral(look.referrals[row.referral_ref],
                                  {"distance_tool_completed_on": _day(row.date)}, result)

    def _write_exit(self, rows, look, result):
        for row in rows.itertuples(index=False):
            self._update_referral(look.referrals[row.referral_ref], {
                "exit_reason": _v(row.exit_reason), "exit_survey_offered_on": _day(row.date),
                "exit_survey_completed": _v(row.exit_survey_completed)}, result)

    def _insert_new(self, table, key_columns: list[str], rows: list[dict], result: ImportResult,
                    update_columns: tuple[str, ...] = ()) -> None:
        """Insert records whose natural key is not held; update ``update_columns`` where it is."""
        if not rows:
            return
        name = table.name
        key_sql = ", ".join(f'"{c}"' for c in key_columns)
        refs = sorted({r["referral_pk"] for r in rows})
        held: dict[tuple, int] = {}
        for start in range(0, len(refs), 500):
            marks = ", ".join(str(int(p)) for p in refs[start : start + 500])
            pk_col = "referral_pk"
            id_sql = "NULL" if name == "referral_needs" else "id"
            for found in self.connection.execute(text(
                f'SELECT {id_sql}, {key_sql} FROM "{name}" WHERE {pk_col} IN ({marks})'
            )):
                held[tuple(str(v) for v in found[1:])] = found[0]
        for row in rows:
            key = tuple(str(row[c]) for c in key_columns)
            if key in held:
                if update_columns and held[key] is not None:
                    pk = held[key]
                    before = fetch_rows(self.connection, name, list(update_columns), [pk])[pk]
                    if not all(_same(before[c], row[c]) for c in update_columns):
                        assignments = ", ".join(f'"{c}" = ?' for c in update_columns)
                        execute_many(self.connection, f'UPDATE "{name}" SET {assignments} WHERE id = ?',
                                     [(*(row[c] for c in update_columns), pk)])
                        self.record(name, pk, "update", json_before(before))
                        result.rows_updated += 1
                        continue
                result.rows_unchanged += 1
                continue
            held[key] = None
            if name == "referral_needs":
                values = dict(row)
                self.record(name, f"{row['referral_pk']}:{row['need_code']}", "insert")
            else:
                if name not in self.next_pk:
                    self.next_pk[name] = self.next_ids(table, 1)[0]
                values = {"id": self.next_pk[name], **row}
                self.next_pk[name] += 1
                self.record(name, values["id"], "insert")
            columns = ", ".join(f'"{c}"' for c in values)
            marks = ", ".join("?" for _ in values)
            execute_many(self.connection, f'INSERT INTO "{name}" ({columns}) VALUES ({marks})', [tuple(values.values())])
            result.rows_inserted += 1

    def _write_need(self, rows, look, result):
        records = [{"referral_pk": look.referrals[r.referral_ref], "need_code": look.needs[Lookups.key(r.need)]}
                   for r in rows.itertuples(index=False)]
        self._insert_new(ReferralNeed.__table__, ["referral_pk", "need_code"], records, result)

    def _write_appointment(self, rows, look, result):
        stamps = timestamps_for_storage(rows["appointment_at"])
        days = dates_for_storage(rows["appointment_at"])
        recorded = dates_for_storage(rows["recorded_on"])
        records = [{"referral_pk": look.referrals[r.referral_ref], "kind": r.event_kind, "scheduled_at": stamps[i],
                    "scheduled_on": days[i], "attended": _v(r.attended), "method": _v(r.method),
                    "recorded_on": recorded[i], "shared": _v(r.shared)}
                   for i, r in enumerate(rows.itertuples(index=False))]
        self._insert_new(Appointment.__table__, ["referral_pk", "kind", "scheduled_on"], records, result,
                         ("attended", "method", "recorded_on", "shared"))

    def _write_score(self, rows, look, result):
        days = dates_for_storage(rows["date"])
        records = [{"referral_pk": look.referrals[r.referral_ref], "need_code": look.needs[Lookups.key(r.need)],
                    "stage": r.stage, "scored_on": days[i], "score": int(r.score)}
                   for i, r in enumerate(rows.itertuples(index=False))]
        self._insert_new(NeedScore.__table__, ["referral_pk", "need_code", "stage", "scored_on"], records, result,
                         ("score",))

    def _write_contact(self, rows, look, result):
        days, recorded = dates_for_storage(rows["date"]), dates_for_storage(rows["recorded_on"])
        records = [{"referral_pk": look.referrals[r.referral_ref], "kind": r.event_kind, "occurred_on": days[i],
                    "recorded_on": recorded[i], "shared": _v(r.shared), "method": _v(r.method),
                    "successful": _v(r.successful)}
                   for i, r in enumerate(rows.itertuples(index=False))]
        self._insert_new(RecordEvent.__table__, ["referral_pk", "kind", "occurred_on"], records, result,
                         ("recorded_on", "shared", "method", "successful"))

    def _write_outcome(self, rows, look, result):
        records = [{"referral_pk": look.referrals[r.referral_ref],
                    "need_code": look.needs[Lookups.key(r.need)] if isinstance(r.need, str) else None,
                    "description": r.description, "achievement": r.achievement}
                   for r in rows.itertuples(index=False)]
        self._insert_new(ReferralOutcome.__table__, ["referral_pk", "description"], records, result, ("achievement",))

    def _write_onward_referral(self, rows, look, result):
        days = dates_for_storage(rows["date"])
        records = [{"referral_pk": look.referrals[r.referral_ref], "service": r.service, "referred_on": days[i]}
                   for i, r in enumerate(rows.itertuples(index=False))]
        self._insert_new(OnwardReferral.__table__, ["referral_pk", "service", "referred_on"], records, result)


_v = db_value  # missing → NULL (never the text 'NaN' on PostgreSQL), numpy → Python


def _day(value) -> str | None:
    return None if value is None or pd.isna(value) else value.strftime("%Y-%m-%d")


def _same(stored, new) -> bool:
    if stored is None or new is None:
        return stored is None and new is None
    if isinstance(new, bool) or isinstance(stored, bool):
        return bool(stored) == bool(new)
    return str(stored)[:10] == str(new)[:10] if len(str(new)) == 10 and str(new)[4] == "-" else str(stored) == str(new)


def import_case_extract(engine: Engine, source, *, file_name: str | None = None, user: str = "cli",
                        write: bool = True, progress=None, scope: AccessScope | None = None) -> ImportResult:
    """Validate a provider case extract and, if it is clean, import it in one transaction.

    Same contract as :func:`data_access.importers.ram.import_ram_performance`, ``scope``
    included: a provider's file may name only referrals held for that provider.
    """
    started = time.perf_counter()
    scanned = scan(source, file_name)
    result = ImportResult(kind=KIND, file_name=scanned.name, sha256=scanned.sha256)
    log = result.problems
    if refuse_if_not_allowed(scope, KIND, log):
        return result
    owner = upload_owner(scope) if scope is not None else None
    sheet = read_whole_sheet(scanned, log, sheet="records", columns=CASE_COLUMNS, required=REQUIRED_COLUMNS,
                             limits=LIMITS)
    if sheet is None:
        return result
    mapping, raw, lines = sheet
    missing = set(CASE_COLUMNS) - set(mapping.values())
    result.rows_read = len(raw)
    with engine.connect() as connection:
        transaction = connection.begin()
        try:
            look = Lookups(connection)
            if not raw.empty and {"record_type", "referral_ref"} <= set(mapping.values()):
                typed = _validate(raw.astype(str), lines, log, look, missing)
                _check_against_referrals(typed, raw, lines, log, connection, look, owner)
            elif result.rows_read == 0 and not log:
                log.add(None, None, None, "the file has column headings but no rows")
            if progress:
                progress(result.rows_read, "checked")
            if log or not write:
                transaction.rollback()
                return result
            # The KPI summary follows the file's referrals in this transaction (kpi_incremental):
            # their counts are taken out before any is written, and put back as written.
            summary = SummaryTracker(connection)
            writer = CaseWriter(connection, KIND, scanned.name, scanned.sha256, user)
            held = sorted({look.referrals[ref] for ref in set(typed["referral_ref"].dropna())
                           if look.referrals.get(ref, -1) != -1})
            for start in range(0, len(held), 5000):
                summary.before_change(select(Referral.__table__.c.id).where(
                    Referral.__table__.c.id.in_(held[start:start + 5000])))
            writer.write(typed, look, result)
            writer.finish(result, {"kind": KIND, "file_name": scanned.name, "inserted": result.rows_inserted,
                                   "updated": result.rows_updated})
            summary.finish()
            transaction.commit()
            result.batch_id, result.written = writer.batch_id, True
            return result
        except BaseException:
            if transaction.is_active:
                transaction.rollback()
            raise
        finally:
            result.seconds = time.perf_counter() - started
