"""``python -m data_access import ram-performance|case-extract|epop-plan FILE`` and ``import undo``.

Exit 0 with a one-line summary when the file was imported; exit 2 with every problem on
stderr (and in ``--report PATH`` as CSV) when it was not, in which case nothing was written.
"""

from __future__ import annotations

import sys

from data_access.db import configured_engine

IMPORT_KINDS = {
    "ram-performance": "a Refer and Monitor performance report (CSV or .xlsx, any layout since 2022: 24 to 27 columns)",
    "case-extract": "a provider case extract (the dashboard's CSV or Excel template)",
    "epop-plan": "an EPOP action plan or inspection-response workbook (Excel or CSV)",
}
#: Imports that write referrals or record events (after which the KPI summary is rebuilt).
REFERRAL_IMPORT_KINDS = ("ram-performance", "case-extract")


def _refused_by_database(kind: str, path, file_name: str | None, exc: Exception):
    import hashlib
    from pathlib import Path

    from data_access.importers.problems import ImportResult

    data = path if isinstance(path, (bytes, bytearray)) else None
    name = file_name or (Path(path).name if data is None else "upload")
    sha = hashlib.sha256(data).hexdigest() if data is not None else ""
    result = ImportResult(kind=kind, file_name=name, sha256=sha)
    reason = str(getattr(exc, "orig", exc)).splitlines()[0][:200]
    result.problems.add(None, None, None, f"the database refused the file, so nothing was written ({reason})")
    return result


def run_import(kind: str, engine, path, *, user: str, scope, progress=None, write: bool = True,
               file_name: str | None = None):
    """Dispatch to the importer for ``kind`` (a path or the file's bytes); returns its ImportResult.

    ``scope`` (an :class:`~data_access.scoping.AccessScope`, required) is the uploader's: a role
    that may not upload ``kind`` has the file refused, and a provider may write only rows for its
    own referrals (``data_access.importers.ownership``). ``write=False`` validates the whole file
    and writes nothing (the upload page's check).
    """
    if scope is None:
        raise ValueError("run_import needs the uploader's scope (deny by default)")
    if kind == "ram-performance":
        from data_access.importers.ram import import_ram_performance as importer
    elif kind == "case-extract":
        from data_access.importers.case_extract import import_case_extract as importer
    elif kind == "epop-plan":
        from data_access.importers.epop_workbook import import_epop_plan as importer
    else:  # pragma: no cover - argparse limits the choices
        raise ValueError(kind)
    from sqlalchemy.exc import DBAPIError

    try:
        result = importer(engine, path, user=user, progress=progress, write=write, file_name=file_name, scope=scope)
    except DBAPIError as exc:
        # The checks should leave the database nothing to refuse; if it still does, the sender
        # gets a sentence and nothing is written (the importer rolled back), never a stack trace.
        result = _refused_by_database(kind, path, file_name, exc)
    if result.written and kind in REFERRAL_IMPORT_KINDS:
        # The stored per-day KPI counts are now stale (queries fall back to live SQL until
        # rebuilt): rebuild them for the new data. EPOP plans do not touch referrals.
        from data_access.kpi_summary import refresh_after_change

        result.notices.extend(refresh_after_change(engine))
    return result


def cmd_import(args) -> int:
    from pathlib import Path

    from data_access.importers.problems import write_problems_csv

    if not Path(args.file).is_file():
        print(f"{args.file}: no such file", file=sys.stderr)
        return 2
    engine = configured_engine(args.database_url)

    def progress(rows: int, phase: str) -> None:
        if sys.stderr.isatty():
            print(f"\r{phase}: {rows:,} rows", end="", file=sys.stderr, flush=True)

    # The command line runs on the database host, as an administrator.
    from data_access.scoping import AccessScope

    scope = AccessScope(username=args.user, role="admin")
    result = run_import(args.kind, engine, args.file, user=args.user, scope=scope, progress=progress)
    if sys.stderr.isatty():
        print(file=sys.stderr)
    if args.report:
        write_problems_csv(result.problems, args.report)
    if result.ok:
        print(result.summary())
        for notice in result.notices:
            print(f"note: {notice}", file=sys.stderr)
        return 0
    for problem in result.problems.sorted():
        print(problem.as_text(), file=sys.stderr)
    if result.problems.truncated:
        print(f"... and {result.problems.total - len(result.problems.listed):,} more problems", file=sys.stderr)
    print(result.summary(), file=sys.stderr)
    return 2


def cmd_undo(args) -> int:
    from data_access.batches import UndoRefused, undo_batch

    from data_access.kpi_summary import refresh_after_change

    engine = configured_engine(args.database_url)
    try:
        counts = undo_batch(engine, args.batch_id, user=args.user)
    except UndoRefused as exc:
        print(f"not undone: {exc}", file=sys.stderr)
        return 2
    print(f"batch {args.batch_id} undone: {undone_summary(counts)}")
    for notice in refresh_after_change(engine):
        print(f"note: {notice}", file=sys.stderr)
    return 0


def undone_summary(counts: dict[str, int]) -> str:
    return ", ".join(f"{v:,} {k}" for k, v in counts.items()) or "nothing to change"


def cmd_history(args) -> int:
    from data_access.batches import import_history

    from data_access.scoping import analyst_scope

    for b in import_history(configured_engine(args.database_url), scope=analyst_scope(), limit=args.limit):
        print(
            f"{b.id:>5}  {b.started_at:%Y-%m-%d %H:%M}  {b.kind:<16} {b.status:<7} {b.imported_by:<12} "
            f"read {b.rows_read:,} ins {b.rows_inserted:,} upd {b.rows_updated:,}  {b.file_name}"
        )
    return 0


def add_import_commands(subparsers) -> None:
    """Add ``import …`` to the ``python -m data_access`` command line."""
    parser = subparsers.add_parser("import", help="import a file, undo an import, or list imports")
    kinds = parser.add_subparsers(dest="kind", required=True)
    for kind, description in IMPORT_KINDS.items():
        sub = kinds.add_parser(kind, help=f"validate and import {description}")
        sub.add_argument("file")
        sub.add_argument("--report", metavar="PATH", help="write the problem list to PATH as CSV")
        sub.add_argument("--user", default="cli", help="who is importing (recorded on the batch)")
        sub.set_defaults(func=cmd_import)
    undo = kinds.add_parser("undo", help="undo an import batch")
    undo.add_argument("batch_id", type=int)
    undo.add_argument("--user", default="cli")
    undo.set_defaults(func=cmd_undo)
    history = kinds.add_parser("history", help="list recent import batches")
    history.add_argument("--limit", type=int, default=30)
    history.set_defaults(func=cmd_history)
