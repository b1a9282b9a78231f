"""EPOP action plan workbook, and the inspection-response format, into ``epop_plans``.

One sheet named ``actions`` (or the first sheet; CSV also accepted), one row per action. The
plan is named on every row (``plan_title``, ``scope``, ``region_code``); a file may hold one
plan. Inspection responses add ``recommendation_number``, ``recommendation`` and
``response`` (Agreed / Partly Agreed / Not Agreed). ``target_date`` is free text as plans are
written ("January 2021 and ongoing", "Completed and monthly", "December 2022"): the text is
kept as written (``target_date_raw``) and the date read from it by
``domain.epop.parse_target_date`` (a month means its last day) goes in ``due_date``. The
plan's dates (``commencement_date``, ``agreed_by_region_on``, ``agreed_centrally_on``: the two
agreements the service description requires, 000 G7) are optional and, like the title, the
same on every row.

``data_access.epop`` (the tracker) offers read models and action updates but no plan-creation
API, so plans are written here with the models directly, as one batch that can be undone.
"""

from __future__ import annotations

import time

import pandas as pd
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from data_access.importers.ownership import refuse_if_not_allowed
from data_access.importers.problems import ImportResult
from data_access.importers.ram import BatchWriter
from data_access.importers.reading import FileLimits, read_whole_sheet, scan
from data_access.models import EpopAction, EpopPlan, InspectionRecommendation, Region
from data_access.scoping import AccessScope
from data_access.validation import (
    DATE_REASON,
    check_text_fields,
    choice_reason,
    column_limits,
    db_value,
    parse_choice,
    parse_dates,
    report_bad,
    text_or_none,
)
from domain.epop import parse_target_date

KIND = "epop-plan"
EPOP_COLUMNS = ("plan_title", "scope", "region_code", "recommendation_number", "recommendation", "response",
                "action_code", "action", "owner", "target_date", "due_date", "status", "com_b", "snapshot",
                "commencement_date", "agreed_by_region_on", "agreed_centrally_on")
PLAN_DATES = ("commencement_date", "agreed_by_region_on", "agreed_centrally_on")
REQUIRED = ("plan_title", "scope", "action")
SCOPES = ("region", "approved_premises", "national", "inspection")
RESPONSES = ("Agreed", "Partly Agreed", "Not Agreed")
STATUSES = ("not started", "in progress", "complete", "blocked", "dropped")  # DOMAIN.md Decision 7
COM_B = ("capability", "opportunity", "motivation")
#: A plan is tens to hundreds of actions (issue 14: a 6 MB compressed workbook tied the server up).
LIMITS = FileLimits(max_bytes=10 * 1024 * 1024, max_rows=10_000, max_unzipped_bytes=50 * 1024 * 1024)
#: Text columns and the database column each is stored in (Text columns: LONG_TEXT_LIMIT).
TEXT_LIMITS = column_limits({
    "plan_title": EpopPlan.title, "recommendation": InspectionRecommendation.text,
    "action_code": EpopAction.printed_code, "action": EpopAction.text, "owner": EpopAction.owner_role,
    "target_date": EpopAction.target_date_raw, "snapshot": EpopAction.snapshot,
})


def import_epop_plan(engine: Engine, source, *, file_name: str | None = None, user: str = "cli",
                     write: bool = True, progress=None, scope: AccessScope | None = None) -> ImportResult:
    """Validate an EPOP plan / inspection-response workbook and, if clean, add it as a new plan.

    ``scope``: who is uploading; a role that may not upload plans has the file refused
    (:mod:`data_access.importers.ownership`); None is the command line on the database host."""
    started = time.perf_counter()
    scanned = scan(source, file_name)
    result = ImportResult(kind=KIND, file_name=scanned.name, sha256=scanned.sha256)
    log = result.problems
    if refuse_if_not_allowed(scope, KIND, log):
        return result
    sheet = read_whole_sheet(scanned, log, sheet="actions", columns=EPOP_COLUMNS, required=REQUIRED, limits=LIMITS)
    if sheet is None:
        return result
    mapping, raw, lines = sheet
    if raw.empty and not len(lines):
        if not log:
            log.add(None, None, None, "the file has column headings but no rows")
        return result
    raw = raw.astype(str)
    result.rows_read = len(raw)
    check_text_fields(log, raw, lines, TEXT_LIMITS)
    typed = pd.DataFrame({c: text_or_none(raw[c]) for c in EPOP_COLUMNS})
    for column in REQUIRED:
        report_bad(log, raw[column], typed[column].isna(), lines, column, "is blank but a value is required")
    for column, allowed in (("scope", SCOPES), ("response", RESPONSES), ("status", STATUSES), ("com_b", COM_B)):
        typed[column], bad = parse_choice(raw[column], allowed)
        report_bad(log, raw[column], bad, lines, column, choice_reason(allowed))
    for column in ("due_date", *PLAN_DATES):
        typed[column], bad = parse_dates(raw[column])
        report_bad(log, raw[column], bad, lines, column, DATE_REASON)
    number = pd.to_numeric(typed["recommendation_number"], errors="coerce")
    report_bad(log, raw["recommendation_number"], typed["recommendation_number"].notna() & number.isna(), lines,
               "recommendation_number", "not a whole number")
    for column in ("plan_title", "scope", "region_code", *PLAN_DATES):
        values = typed[column].dropna().unique()
        if len(values) > 1:
            log.add(None, column, " / ".join(map(str, values[:5])), "a file holds one plan: this must be the same on every row")
    plan_dates = {c: (typed[c].dropna().iat[0].date() if typed[c].notna().any() else None) for c in PLAN_DATES}
    for column in ("agreed_by_region_on", "agreed_centrally_on"):
        if plan_dates[column] and plan_dates["commencement_date"] and plan_dates[column] < plan_dates["commencement_date"]:
            log.add(None, column, str(plan_dates[column]), "is before the plan's commencement_date")
    inspection = (typed["scope"] == "inspection").fillna(False)
    report_bad(log, raw["recommendation"], inspection & typed["recommendation"].isna(), lines, "recommendation",
               "is blank but an inspection response needs the recommendation it answers")
    unread = []
    targets = [parse_target_date(v) for v in raw["target_date"]]
    for line, value, target in zip(lines, raw["target_date"], targets):
        if value.strip() and not target.recognised:
            unread.append(int(line))
    if unread:
        result.notices.append(f"{len(unread)} target dates could not be read as a date and are kept as written "
                              f"(rows {', '.join(map(str, unread[:10]))}{'…' if len(unread) > 10 else ''})")
    with engine.connect() as connection:
        transaction = connection.begin()
        try:
            regions = set(connection.execute(select(Region.code)).scalars())
            region = typed["region_code"].dropna()
            report_bad(log, raw["region_code"], typed["region_code"].notna() & ~typed["region_code"].isin(regions),
                       lines, "region_code", "not a probation region code (A to L)")
            if log or not write:
                transaction.rollback()
                return result
            writer = BatchWriter(connection, KIND, scanned.name, scanned.sha256, user)
            session = Session(bind=connection)
            scope = typed["scope"].iat[0]
            plan = EpopPlan(scope=scope, region_code=region.iat[0] if len(region) else None,
                            title=typed["plan_title"].iat[0], source="import", **plan_dates)
            session.add(plan)
            session.flush()
            writer.record("epop_plans", plan.id, "insert")
            recommendations: dict[int, int] = {}
            added = []
            for i in range(len(typed)):
                row = typed.iloc[i]
                rec_id = None
                if pd.notna(number.iat[i]):
                    key = int(number.iat[i])
                    if key not in recommendations:
                        rec = InspectionRecommendation(plan_id=plan.id, number=key,
                                                       text=db_value(row["recommendation"]) or "",
                                                       response=db_value(row["response"]))
                        session.add(rec)
                        session.flush()
                        writer.record("inspection_recommendations", rec.id, "insert")
                        recommendations[key] = rec.id
                    rec_id = recommendations[key]
                target = targets[i]
                due = row["due_date"].date() if pd.notna(row["due_date"]) else target.date
                status = db_value(row["status"]) or ("complete" if target.is_completed else "not started")
                # db_value: a blank cell is NULL, never the text 'NaN' (PostgreSQL stored it so).
                action = EpopAction(plan_id=plan.id, printed_code=db_value(row["action_code"]),
                                    text=db_value(row["action"]), com_b=db_value(row["com_b"]),
                                    owner_role=db_value(row["owner"]), due_date=due, status=status,
                                    recommendation_id=rec_id, target_date_raw=db_value(row["target_date"]),
                                    snapshot=db_value(row["snapshot"]))
                session.add(action)
                added.append(action)
            session.flush()
            for action in added:
                writer.record("epop_actions", action.id, "insert")
            result.rows_inserted = len(added)
            writer.finish(result, {"kind": KIND, "file_name": scanned.name, "plan_id": plan.id})
            transaction.commit()
            result.batch_id, result.written = writer.batch_id, True
            result.notices.append(f"added plan {plan.id}: {plan.title}")
            return result
        except BaseException:
            if transaction.is_active:
                transaction.rollback()
            raise
        finally:
            result.seconds = time.perf_counter() - started
