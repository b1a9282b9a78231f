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


def _apply(args, change, done: str, *, password_prompt: str | None = None) -> int:
    """Run ``change(session, actor, password)`` as the command line's administrator; print ``done``
    or every problem (exit 2, nothing written)."""
    from data_access import admin
    from data_access.__main__ import _engine
    from data_access.db import session_scope

    password = None
    if password_prompt is not None:
        try:
            password = read_password(password_prompt)
        except ValueError as exc:
            return _fail([str(exc)])
    try:
        with session_scope(_engine(args)) as session:
            change(session, _actor(), password)
    except admin.AdminInputError as exc:
        return _fail(exc.problems)
    print(done)
    return 0


def _username(args) -> str:
    return args.username.strip().lower()


def cmd_users_add(args) -> int:
    from data_access import admin

    return _apply(args, lambda session, actor, password: admin.create_user(
        session, actor, username=args.username, display_name=args.name or args.username, role=args.role,
        password=password, email=args.email, provider_id=args.provider, region_code=args.region),
        f"created {_username(args)} ({args.role})", password_prompt="Password: ")


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

    return _apply(args, lambda session, actor, _: admin.set_active(session, actor, _username(args), active),
                  f"{'enabled' if active else 'disabled'} {_username(args)}")


def cmd_users_disable(args) -> int:
    return _set_active(args, False)


def cmd_users_enable(args) -> int:
    return _set_active(args, True)


def cmd_users_reset_password(args) -> int:
    from data_access import admin

    return _apply(args, lambda session, actor, password: admin.set_password(session, actor, _username(args), password),
                  f"password reset for {_username(args)}", password_prompt="New password: ")


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
