"""``python -m geo build [--redraft-crosswalk]``: rebuild ``assets/geo/`` (build packages needed)."""

from __future__ import annotations

import argparse
import time


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m geo")
    commands = parser.add_subparsers(dest="command", required=True)
    build_cmd = commands.add_parser("build", help="rebuild boundaries and the GM postcode lookup")
    build_cmd.add_argument(
        "--redraft-crosswalk",
        action="store_true",
        help="overwrite assets/geo/authority_crosswalk.csv with a fresh draft (review it!)",
    )
    args = parser.parse_args(argv)
    if args.command == "build":
        from geo.build import build

        started = time.perf_counter()
        manifest = build(redraft_crosswalk=args.redraft_crosswalk)
        print(
            f"{manifest['authorities']} authorities, {manifest['pdus']} PDUs, "
            f"{manifest['regions']} regions in {time.perf_counter() - started:.0f} s"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
