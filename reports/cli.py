"""``python -m metrics pack``: build a board, contract or EPOP pack for scheduled runs.

``python -m metrics pack --kind board|contract|epop --from YYYY-MM-DD --to YYYY-MM-DD
[--scope CONTRACT_REF|REGION_CODE] [--as-of YYYY-MM-DD] --out FILE`` (.pptx, .pdf or .xlsx by
extension). Runs with full read access (``analyst_scope``), as the scorecard command does: it
is for administrators on the database host. Small numbers are suppressed, as in every pack.
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from sqlalchemy import select

from data_access.db import make_engine
from data_access.models import Contract
from data_access.scoping import ReferralFilters, analyst_scope
from data_access.settings import Settings
from reports.build import KINDS, build, format_for
from reports.pack_data import EpopReader, period_for


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
    pack.add_argument("--scope", help="contract reference (board, contract) or region letter (epop)")
    pack.add_argument("--out", required=True, help="output file: .pptx, .pdf or .xlsx")


def run_pack(args, settings: Settings, out) -> int:
    try:
        fmt = format_for(args.out)
    except ValueError as exc:
        raise SystemExit(str(exc)) from exc
    engine = make_engine(settings.database_url)
    try:
        filters, region = ReferralFilters(), None
        if args.kind == "epop":
            region = args.scope.upper() if args.scope else None
        elif args.scope:
            with engine.connect() as conn:
                contract_id = conn.execute(select(Contract.id).where(Contract.reference == args.scope)).scalar()
            if contract_id is None:
                raise SystemExit(f"unknown contract: {args.scope}")
            filters = ReferralFilters(contract_id=contract_id)
        elif args.kind == "contract":
            raise SystemExit("a contract pack needs --scope CONTRACT_REF")
        try:
            pack, content = build(
                engine, args.kind, fmt, period=period_for(args.start, args.end), scope=analyst_scope(),
                settings=settings, filters=filters, as_of=args.as_of, region_code=region,
                epop_user=EpopReader("cli", "admin"),
            )
        except (LookupError, ValueError, PermissionError) as exc:
            raise SystemExit(str(exc)) from exc
    finally:
        engine.dispose()
    Path(args.out).write_bytes(content)
    out.write(f"{pack.title}: {args.out} ({len(content):,} bytes)\n{pack.context_line}\n{pack.suppression_note}\n")
    return 0
