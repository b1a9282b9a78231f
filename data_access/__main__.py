"""Command line for admins: ``python -m data_access init | seed-demo | info``.

Import commands (``import ram-performance FILE`` …) are added by ``data_access.cli_import``.
"""

from __future__ import annotations

import argparse
import json
import sys

from data_access.db import configured_engine


def _engine(args):
    return configured_engine(args.database_url)


def cmd_init(args) -> int:
    from data_access.setup import initialise

    added = initialise(_engine(args))
    print(json.dumps({"status": "ok", "reference_rows_added": added}))
    return 0


def cmd_seed_demo(args) -> int:
    from data_access.setup import initialise
    from data_access.demo import seed_demo

    engine = _engine(args)
    initialise(engine)

    def progress(done: int, total: int) -> None:
        print(f"\rreferrals {done:,}/{total:,}", end="", file=sys.stderr, flush=True)

    summary = seed_demo(engine, referrals=args.referrals, seed=args.seed, progress=progress)
    print(file=sys.stderr)
    print(
        f"seeded {summary.referrals:,} referrals, {summary.appointments:,} appointments, "
        f"{summary.scores:,} scores, {summary.record_events:,} record events in {summary.seconds:.1f} s"
    )
    return 0


def cmd_info(args) -> int:
    from data_access.info import database_info

    info = database_info(_engine(args))
    if args.format == "json":
        print(json.dumps(info, indent=2, default=str))
    else:
        for key, value in info["counts"].items():
            print(f"{key:>20}  {value:,}")
        print(f"{'date range':>20}  {info['date_range']['from']} – {info['date_range']['to']}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m data_access", description=__doc__)
    parser.add_argument("--database-url", help="SQLAlchemy URL (default: DASHBOARD_DATABASE_URL or data/dashboard.db)")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("init", help="create or upgrade the schema and load reference data").set_defaults(func=cmd_init)
    seed = sub.add_parser("seed-demo", help="fill an empty database with deterministic demo data")
    seed.add_argument("--referrals", type=int, default=None)
    seed.add_argument("--seed", type=int, default=20230904)
    seed.set_defaults(func=cmd_seed_demo)
    info = sub.add_parser("info", help="counts of every main table and the data's date range")
    info.add_argument("--format", choices=["json", "table"], default="table")
    info.set_defaults(func=cmd_info)
    try:
        from data_access.cli_import import add_import_commands
    except ImportError:  # pragma: no cover - importers not installed
        pass
    else:
        add_import_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "referrals", 0) is None:
        from data_access.demo import DEFAULT_REFERRALS

        args.referrals = DEFAULT_REFERRALS
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
