"""``python -m data_access users add|list|disable|enable|reset-password``: accounts from the shell.

This is how the first administrator is made on a real deployment (the app seeds no accounts
outside the demo). Passwords are never arguments (they would stay in the shell history and the
process list): they are asked for at a prompt, twice, or read from standard input's first line
when it is not a terminal (``printf '%s\\n' "$PW" | python -m data_access users add …``).
"""

from __future__ import annotations

import getpass
import sys

from data_access.scoping import ROLES


def read_password(prompt: str = "Password: ", *, stdin=None) -> str:
    """The new password from a prompt (asked twice) or from stdin's first line, kept exactly."""
    stdin = stdin or sys.stdin
    if stdin.isatty():
        first = getpass.getpass(prompt)
        if getpass.getpass("Again: ") != first:
            raise ValueError("The two passwords differ.")
        return first
    line = stdin.readline()
    return line[:-1] if line.endswith("\n") else line  # only the line end; edge spaces are checked


def _actor():
    from data_access.scoping import analyst_scope

    return analyst_scope()


def _fail(problems: list[str]) -> int:
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    return 2


def cmd_users_add(args) -> int:
    from data_access import admin
    from data_access.__main__ import _engine
    from data_access.db import session_scope

    try:
        password = read_password()
    except ValueError as exc:
        return _fail([str(exc)])
    try:
        with session_scope(_engine(args)) as session:
            admin.create_user(session, _actor(), username=args.username, display_name=args.name or args.username,
                              role=args.role, password=password, email=args.email,
                              provider_id=args.provider, region_code=args.region)
    except admin.AdminInputError as exc:
        return _fail(exc.problems)
    print(f"created {args.username.strip().lower()} ({args.role})")
    return 0


def cmd_users_list(args) -> int:
    from data_access import admin
    from data_access.__main__ import _engine
    from data_access.db import session_scope

    with session_scope(_engine(args)) as session:
        users = admin.list_users(session, _actor())
    for row in users.itertuples(index=False):
        flags = [f for f, on in (("disabled", not row.active), ("demo", row.is_demo)) if on]
        where = row.provider or row.region or ""
        print(f"{row.username:<24} {row.role:<14} {where!s:<30} {' '.join(flags)}".rstrip())
    return 0


def _set_active(args, active: bool) -> int:
    from data_access import admin
    from data_access.__main__ import _engine
    from data_access.db import session_scope

    try:
        with session_scope(_engine(args)) as session:
            admin.set_active(session, _actor(), args.username.strip().lower(), active)
    except admin.AdminInputError as exc:
        return _fail(exc.problems)
    print(f"{'enabled' if active else 'disabled'} {args.username.strip().lower()}")
    return 0


def cmd_users_disable(args) -> int:
    return _set_active(args, False)


def cmd_users_enable(args) -> int:
    return _set_active(args, True)


def cmd_users_reset_password(args) -> int:
    from data_access import admin
    from data_access.__main__ import _engine
    from data_access.db import session_scope

    try:
        password = read_password("New password: ")
    except ValueError as exc:
        return _fail([str(exc)])
    try:
        with session_scope(_engine(args)) as session:
            admin.set_password(session, _actor(), args.username.strip().lower(), password)
    except admin.AdminInputError as exc:
        return _fail(exc.problems)
    print(f"password reset for {args.username.strip().lower()}")
    return 0


def add_user_commands(subparsers) -> None:
    parser = subparsers.add_parser("users", help="add, list, disable or enable users; reset a password")
    commands = parser.add_subparsers(dest="users_command", required=True)
    add = commands.add_parser("add", help="create a user (the first administrator too); password from a prompt or stdin")
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--provider", type=int, help="provider id (provider accounts)")
    add.add_argument("--region", help="region code (EPOP SPOC accounts)")
    add.add_argument("--name", help="display name (default: the username)")
    add.add_argument("--email")
    add.set_defaults(func=cmd_users_add)
    commands.add_parser("list", help="every user, without password hashes").set_defaults(func=cmd_users_list)
    for name, func, text in (("disable", cmd_users_disable, "stop a user signing in"),
                             ("enable", cmd_users_enable, "let a disabled user sign in again"),
                             ("reset-password", cmd_users_reset_password, "set a new password (prompt or stdin)")):
        sub = commands.add_parser(name, help=text)
        sub.add_argument("username")
        sub.set_defaults(func=func)
