"""``python -m metrics pack``: build a board, contract or EPOP pack for scheduled runs.

``python -m metrics pack --kind board|contract|epop --from YYYY-MM-DD --to YYYY-MM-DD
[--borough NAME | --pdu NUMBER | --region CODE | --contract REF | --provider ID | --scope REF]
[--as-of YYYY-MM-DD] --out FILE`` (.pptx, .pdf or .xlsx by extension). ``--scope`` is kept for
scripts written before the scorecard's options: a contract reference (board, contract) or a
region letter (epop). A period that starts after the data's as-of date exits with status 2
and a message (nothing is written); a period the data covers in part is built with a banner. Runs with full read access (``analyst_scope``), as the scorecard command does: it
is for administrators on the database host. Small numbers are suppressed, as in every pack.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from data_access.db import make_engine
from data_access.lookups import add_scope_arguments, filters_from_args
from data_access.scoping import ReferralFilters, analyst_scope
from data_access.settings import Settings
from reports.kinds import KINDS

# The pack builders and renderers (reports.build, reports.pack_data) are imported when a pack
# is built, so ``python -m metrics`` starts without them.

#: Exit status for a period the data does not reach (argparse also uses 2 for a bad request).
EXIT_PERIOD_AFTER_DATA = 2


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from exc


def add_pack_command(subparsers) -> None:
    """Register ``pack`` on the ``python -m metrics`` parser."""
    pack = subparsers.add_parser("pack", help="build a board, contract or EPOP pack (.pptx, .pdf or .xlsx)")
    pack.add_argument("--kind", choices=tuple(KINDS), required=True)
    pack.add_argument("--from", dest="start", type=_date, required=True)
    pack.add_argument("--to", dest="end", type=_date, required=True)
    pack.add_argument("--as-of", dest="as_of", type=_date, help="default: latest date in the data")
    scope = pack.add_mutually_exclusive_group()
    add_scope_arguments(scope)
    scope.add_argument("--scope", help="contract reference (board, contract) or region letter (epop)")
    pack.add_argument("--out", required=True, help="output file: .pptx, .pdf or .xlsx")


def run_pack(args, settings: Settings, out) -> int:
    from reports.build import build, format_for
    from reports.pack_data import EpopReader, PeriodAfterData, period_for

    try:
        fmt = format_for(args.out)
    except ValueError as exc:
        raise SystemExit(str(exc)) from exc
    engine = make_engine(settings.database_url)
    try:
        filters, region = ReferralFilters(), None
        if args.kind == "epop":
            region = (args.scope or args.region or "").upper() or None
            if any((args.borough, args.pdu, args.contract, args.provider)):
                raise SystemExit("an EPOP report is for a region: use --region CODE (or none for the national summary)")
        else:
            if args.scope:  # the older spelling of --contract
                args.contract = args.scope
            with engine.connect() as conn:
                filters, _ = filters_from_args(conn, args)
            if args.kind == "contract" and filters.contract_id is None:
                raise SystemExit("a contract pack needs --contract CONTRACT_REF (or --scope CONTRACT_REF)")
        try:
            pack, content = build(
                engine, args.kind, fmt, period=period_for(args.start, args.end), scope=analyst_scope(),
                settings=settings, filters=filters, as_of=args.as_of, region_code=region,
                epop_user=EpopReader("cli", "admin"),
            )
        except PeriodAfterData as exc:
            sys.stderr.write(f"{exc}\n")
            return EXIT_PERIOD_AFTER_DATA
        except (LookupError, ValueError, PermissionError) as exc:
            raise SystemExit(str(exc)) from exc
    finally:
        engine.dispose()
    Path(args.out).write_bytes(content)
    out.write(f"{pack.full_title}: {args.out} ({len(content):,} bytes)\n{pack.context_line}\n{pack.suppression_note}\n")
    if pack.coverage_note:
        out.write(f"{pack.coverage_note}\n")
    return 0
