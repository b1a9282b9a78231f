"""Command line for analysts.

``python -m metrics spc --code CODE …``: one measure's SPC chart as the KPIs page draws it
(``metrics.spc_cli``).

``python -m metrics scorecard --from YYYY-MM-DD --to YYYY-MM-DD [--as-of YYYY-MM-DD]
[--borough NAME | --pdu NUMBER | --region CODE | --contract REF | --provider ID] [--suppress]
[--official-cut] --format json|csv|table``

``--official-cut`` adds SL002 as at its official cut (the 16th working day of the month after
each month, DOMAIN.md Decision 10) beside the latest figure; a ``basis`` column says which is which.

``python -m metrics compare --code CODE --by borough|pdu|hub|provider [--from --to] [--as-of]
[scope options as for scorecard] --format json|csv|table``: the Compare areas page's figures
(``metrics.panels.compare_areas_panel``), suppressed as on the page.

The database is ``DASHBOARD_DATABASE_URL`` (``data_access.settings.Settings.from_env``). Runs
with full read access (``analyst_scope``): it is for administrators on the database host.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import sys
from collections.abc import Sequence

from typing import TYPE_CHECKING

from data_access.db import make_engine
from data_access.figure_settings import FigureSettings, figure_settings
from data_access.lookups import add_scope_arguments, filters_from_args
from data_access.scoping import analyst_scope, referrals_select
from data_access.settings import Settings
from domain.catalogue import KPI_CODES
from metrics.disclosure import SUPPRESSED
from metrics.queries import data_as_of, demand_units_for, pdu_in_force, scorecard
from metrics.spc_cli import add_spc_command, run_spc
from reports.cli import add_pack_command, run_pack

if TYPE_CHECKING:
    from metrics.results import KpiResult

# Start-up time: each command imports what only it needs when it runs (the pack renderers,
# the page panels with scipy's statistics), so ``scorecard`` starts without them.

#: ``--by`` for compare: the keys of ``metrics.compare.AREA_KINDS`` (tests/unit/test_cli_imports.py).
COMPARE_BY = ("borough", "pdu", "hub", "provider")

SERVICE_START = dt.date(2023, 9, 4)  # GMIRS spec §1.11 (as metrics.panels)

FIELDS = ("code", "title", "numerator", "denominator", "value", "target", "trigger", "status", "definition")


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from exc


def add_scope_options(parser: argparse.ArgumentParser) -> None:
    """The view's area or organisation (one at most), shared by scorecard, compare, spc and pack
    (``data_access.lookups``)."""
    add_scope_arguments(parser.add_mutually_exclusive_group())


#: The filters the scope options name (``data_access.lookups.filters_from_args``).
_resolve_filters = filters_from_args


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m metrics", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    card = sub.add_parser("scorecard", help="DS1–DS5, KP1–KP6 and SL002 for a period")
    card.add_argument("--from", dest="start", type=_date, required=True)
    card.add_argument("--to", dest="end", type=_date, required=True)
    card.add_argument("--as-of", dest="as_of", type=_date, help="default: latest date in the data")
    add_scope_options(card)
    card.add_argument("--suppress", action="store_true", help="apply disclosure control to counts and rates")
    card.add_argument("--official-cut", dest="official_cut", action="store_true",
                      help="add SL002 as at its official cut (16th working day of the following month)")
    card.add_argument("--format", choices=("json", "csv", "table"), default="json")
    compare = sub.add_parser("compare", help="one measure across boroughs, PDUs, hubs or providers (Compare areas)")
    compare.add_argument("--code", required=True, choices=KPI_CODES)
    compare.add_argument("--by", required=True, choices=COMPARE_BY)
    compare.add_argument("--from", dest="start", type=_date, help="default: the page's default period")
    compare.add_argument("--to", dest="end", type=_date)
    compare.add_argument("--as-of", dest="as_of", type=_date, help="default: latest date in the data")
    add_scope_options(compare)
    compare.add_argument("--format", choices=("json", "csv", "table"), default="json")
    add_pack_command(sub)  # reports/cli.py: python -m metrics pack …
    add_spc_command(sub, _date, add_scope_options)  # metrics/spc_cli.py: python -m metrics spc …
    return parser


def _row(result: KpiResult, *, suppress: bool, settings: FigureSettings) -> dict:
    row = {name: getattr(result, name) for name in FIELDS}
    if isinstance(row["denominator"], float) and row["denominator"].is_integer():
        row["denominator"] = int(row["denominator"])
    if suppress:
        from metrics import panels

        # As the tiles, packs and KPIs page show it (metrics.panels.shown_kpi): a numerator whose
        # count or complement in its denominator is 1-4 is [c], and so is its rate, since
        # rate x denominator or denominator - numerator would give it back (issue 14).
        shown = panels.shown_kpi(result, settings)
        row["numerator"], row["denominator"] = shown["numerator"], shown["denominator"]
        if not isinstance(shown["value"], float):
            row["value"] = None
    if row["value"] is not None:
        row["value"] = round(float(row["value"]), 2)
    return row


def run_scorecard(args, settings: Settings, out) -> int:
    from metrics.official import BASIS_LATEST, sl002_official

    engine = make_engine(settings.database_url)
    try:
        with engine.connect() as conn:
            filters, described = filters_from_args(conn, args)
            stmt = referrals_select(analyst_scope(), filters)
            units = demand_units_for(
                conn, borough_id=filters.borough_id, pdu_number=filters.pdu_number,
                region_code=filters.region_code, contract_id=filters.contract_id,
                provider_id=filters.provider_id,
            )
            # The figure settings in force, as the pages and packs read them (an admin's
            # forecast period included): data_access.figure_settings.
            figures = figure_settings(conn, settings)
            # One as-of date for every scope: the data's, not the scope's own latest event, so a
            # provider's or a borough's figures add up to Greater Manchester's (audit finding 7).
            card = scorecard(
                conn, stmt, start=args.start, end=args.end, as_of=args.as_of or data_as_of(conn),
                demand_unit_ids=units, ds1_bound=figures.ds1_bound,
                forecast_period_days=figures.forecast_period_days,
                in_force=pdu_in_force(conn, filters.pdu_number),
            )
            if args.suppress:
                # Suppressed across views as on the pages and packs (metrics.partitions): a borough
                # with Greater Manchester and the other boroughs, a month with its quarter and year.
                from metrics import panels, periods
                from metrics.partitions import partitions_for

                card = panels.mark_hidden_across_views(
                    conn, card, partitions_for(conn, analyst_scope(), filters),
                    periods.period_for(args.start, args.end, SERVICE_START),
                    card.as_of, figures.suppression_threshold)
            official = (sl002_official(conn, stmt, start=args.start, end=args.end, as_of=card.as_of)
                        if getattr(args, "official_cut", False) else None)
    finally:
        engine.dispose()
    rows = [_row(r, suppress=args.suppress, settings=figures) for r in card.kpis]
    fields = FIELDS
    if official is not None:
        # The official figure follows SL002's decision across views (docs/DISCLOSURE.md "SL002 on
        # the official cut"), as on the KPIs page.
        latest_sl002 = card.kpi("SL002")
        if latest_sl002 is not None and "hidden_across_views" in latest_sl002.extra:
            official.extra["hidden_across_views"] = latest_sl002.extra["hidden_across_views"]
        # Issue 13 part 7: both SL002 figures, each saying which it is.
        fields = (*FIELDS[:-1], "basis", FIELDS[-1])
        for row in rows:
            row["basis"] = BASIS_LATEST
        at = rows.index(next(r for r in rows if r["code"] == "SL002")) + 1 if any(
            r["code"] == "SL002" for r in rows) else len(rows)
        rows.insert(at, {**_row(official, suppress=args.suppress, settings=figures), "basis": official.extra["basis"]})
    if args.format == "json":
        payload = {
            "from": args.start.isoformat(),
            "to": args.end.isoformat(),
            "as_of": card.as_of.isoformat() if card.as_of else None,
            "filters": described,
            "kpis": rows,
        }
        if official is not None:
            payload["sl002_official_cut"] = {
                "cuts": {month: day.isoformat() for month, day in official.extra["cuts"].items()},
                "pending": official.extra["pending"], "late_recorded": official.extra["late_recorded"],
                "note": official.note,
            }
        json.dump(payload, out, indent=2, ensure_ascii=False)
        out.write("\n")
    elif args.format == "csv":
        writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    else:
        out.write(_table(rows, card, described, suppressed=args.suppress, settings=figures))
        if official is not None:
            out.write(f"SL002 official cut: {official.note}\n")
    return 0


def _table(rows: list[dict], card, described: dict, *, suppressed: bool, settings: FigureSettings) -> str:
    headers = ("code", "numerator", "denominator", "value", "target", "trigger", "status")
    if rows and "basis" in rows[0]:
        headers = (*headers, "basis")
    cells = [[("" if r[h] is None else (f"{r[h]:.1f}" if h == "value" else str(r[h]))) for h in headers] for r in rows]
    widths = [max(len(h), *(len(c[i]) for c in cells)) if cells else len(h) for i, h in enumerate(headers)]
    buffer = io.StringIO()
    buffer.write(f"Scorecard {card.start} to {card.end}, as of {card.as_of}; filters: {described or 'all'}\n")
    buffer.write("  ".join(h.ljust(w) for h, w in zip(headers, widths)) + "\n")
    for c in cells:
        buffer.write("  ".join(v.ljust(w) for v, w in zip(c, widths)) + "\n")
    for assumption in card.assumptions:
        buffer.write(f"Assumption: {assumption}\n")
    if suppressed:
        buffer.write(
            f"{SUPPRESSED}: counts of 1 to {settings.suppression_threshold - 1} are not shown, nor a numerator "
            f"whose denominator less it is 1 to {settings.suppression_threshold - 1} (with its rate); rates on "
            f"fewer than {settings.minimum_rate_denominator} are not shown.\n"
        )
    return buffer.getvalue()


def run_compare(args, settings: Settings, out) -> int:
    """The Compare areas page's table for a view, from the same panel function and inputs
    (``panels.inputs_for``) as the page: its default period and as-of date unless given."""
    from metrics import panels, periods
    from metrics.compare import LABELS

    engine = make_engine(settings.database_url)
    try:
        with engine.connect() as conn:
            filters, described = _resolve_filters(conn, args)
            as_of = args.as_of or panels.data_as_of(conn)
            if args.start is None:
                if as_of is None:
                    raise SystemExit("no data loaded: give --from and --to")
                period = periods.periods_between(panels.SERVICE_START, as_of, "quarter", panels.SERVICE_START)[-1]
            else:
                period = periods.period_for(args.start, args.end, SERVICE_START)
            scope = analyst_scope()
            inputs = panels.inputs_for(conn, scope, filters, referrals_select(scope, filters), period, as_of, settings)
            result = panels.compare_areas_panel(conn, inputs, code=args.code, by=args.by)
    finally:
        engine.dispose()
    rows = result.data.to_dict("records")
    if args.format == "json":
        extra = result.extra
        json.dump({"code": args.code, "by": args.by, "title": result.title, "from": period.start.isoformat(),
                   "to": period.end.isoformat(), "as_of": extra["as_of"].isoformat() if extra["as_of"] else None,
                   "filters": described, "comparator_label": extra["comparator_label"],
                   "comparator": None if extra["comparator"] is None else round(extra["comparator"], 2),
                   "areas": rows, "outliers": list(extra["outliers"]), "notes": list(result.notes)},
                  out, indent=2, ensure_ascii=False)
        out.write("\n")
    elif args.format == "csv":
        writer = csv.DictWriter(out, fieldnames=list(result.data.columns), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    else:
        headers = [LABELS.get(c, c) for c in result.data.columns]
        cells = [[str(r[c]) for c in result.data.columns] for r in rows]
        widths = [max(len(h), *(len(c[i]) for c in cells)) if cells else len(h) for i, h in enumerate(headers)]
        out.write(f"{result.title} ({period.start} to {period.end}, as of {result.extra['as_of']})\n")
        out.write("  ".join(h.ljust(w) for h, w in zip(headers, widths)).rstrip() + "\n")
        for c in cells:
            out.write("  ".join(v.ljust(w) for v, w in zip(c, widths)).rstrip() + "\n")
        for note in result.notes:
            out.write(f"{note}\n")
    return 0


def _require_initialised(settings: Settings) -> None:
    """A database with no tables yet (a new file, a wrong URL) gets a sentence, not a traceback."""
    from sqlalchemy import inspect

    engine = make_engine(settings.database_url)
    try:
        ready = inspect(engine).has_table("referrals")
    finally:
        engine.dispose()
    if not ready:
        raise SystemExit(f"The database at {engine.url.render_as_string(hide_password=True)} has no dashboard "
                         "tables yet: run `python -m data_access init` (or start the dashboard once) first.")


def main(argv: Sequence[str] | None = None, out=None) -> int:
    args = build_parser().parse_args(argv)
    if args.start is not None and args.end is not None and args.start > args.end:
        raise SystemExit("--from must not be after --to")
    if args.start is not None and args.end is not None and (args.command != "scorecard" or args.suppress):
        # What is published (packs, SPC, compare, the suppressed scorecard) covers whole calendar
        # months (docs/DISCLOSURE.md "Custom periods"); the unsuppressed scorecard is the analyst's
        # own true counts, for any dates.
        from metrics import periods

        try:
            periods.period_for(args.start, args.end, SERVICE_START)
        except periods.PartMonthPeriod as exc:
            raise SystemExit(str(exc)) from exc
    settings = Settings.from_env()
    _require_initialised(settings)
    if args.command == "pack":
        return run_pack(args, settings, out or sys.stdout)
    if args.command == "spc":
        return run_spc(args, settings, out or sys.stdout, _resolve_filters)
    if args.command == "compare":
        if (args.start is None) != (args.end is None):
            raise SystemExit("give both --from and --to, or neither")
        return run_compare(args, settings, out or sys.stdout)
    return run_scorecard(args, settings, out or sys.stdout)


if __name__ == "__main__":
    raise SystemExit(main())
