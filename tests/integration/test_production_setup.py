"""Safe production set-up (issue 14, part 3): the demo only where asked for and into an empty
database; users made from the command line, the first administrator included."""

from __future__ import annotations

import io

import bcrypt
import pytest
from sqlalchemy import func, select

from data_access import admin
from data_access.__main__ import main
from data_access.db import session_scope
from data_access.demo import seed_demo
from data_access.models import AuditLog, Referral, User
from data_access.settings import Settings
from data_access.setup import ensure_ready

PG = "postgresql://dash@db.internal/dashboard"
SQLITE = "sqlite:///data/dashboard.db"


@pytest.mark.parametrize(("url", "seed", "key", "expected"), [
    (SQLITE, None, False, True),  # the two-command local run: demo as before
    (SQLITE, None, True, False),  # a real cookie key: a real deployment
    (PG, None, False, False),  # PostgreSQL: a real deployment
    (PG, None, True, False),
    (PG, True, True, True),  # asked for explicitly
    (SQLITE, False, False, False),
])
def test_the_demo_is_seeded_only_when_the_operator_asked_for_it(url, seed, key, expected):
    settings = Settings(database_url=url, seed_demo_on_first_run=seed)
    assert settings.demo_requested(cookie_key_configured=key) is expected


def test_from_env_leaves_an_unset_demo_request_undecided(monkeypatch):
    monkeypatch.delenv("DASHBOARD_SEED_DEMO", raising=False)
    assert Settings.from_env().seed_demo_on_first_run is None
    monkeypatch.setenv("DASHBOARD_SEED_DEMO", "1")
    assert Settings.from_env().seed_demo_on_first_run is True


def _counts(engine):
    with session_scope(engine) as session:
        return (session.scalar(select(func.count()).select_from(Referral)),
                session.scalar(select(func.count()).select_from(User)))


def test_no_demo_without_a_request_and_none_into_a_database_with_accounts(engine):
    assert ensure_ready(engine, seed_demo_if_empty=False, demo_referrals=50) is False
    assert _counts(engine) == (0, 0)
    with session_scope(engine) as session:
        session.add(User(username="real.admin", display_name="Real", role="admin",
                         password_hash=admin.hash_password("a sound passphrase")))
    # Even asked for, the demo (and its accounts with the README's password) stays out.
    assert ensure_ready(engine, seed_demo_if_empty=True, demo_referrals=50) is False
    assert _counts(engine) == (0, 1)
    with pytest.raises(RuntimeError, match="user accounts"):
        seed_demo(engine, referrals=50)


def test_an_empty_database_that_asked_for_the_demo_gets_it(engine):
    assert ensure_ready(engine, seed_demo_if_empty=True, demo_referrals=60) is True
    referrals, users = _counts(engine)
    assert referrals == 60 and users == 5


class _Stdin(io.StringIO):
    def isatty(self) -> bool:
        return False


def _cli(engine, monkeypatch, *argv, stdin: str = "") -> int:
    monkeypatch.setattr("sys.stdin", _Stdin(stdin))
    url = engine.url.render_as_string(hide_password=False)
    return main(["--database-url", url, *argv])


def test_users_add_makes_the_first_admin_from_stdin_and_refuses_weak_passwords(reference_engine, monkeypatch, capsys):
    engine = reference_engine
    assert _cli(engine, monkeypatch, "users", "add", "first.admin", "--role", "admin", stdin="password1234\n") == 2
    assert "most common" in capsys.readouterr().err
    assert _cli(engine, monkeypatch, "users", "add", "first.admin", "--role", "admin", stdin="short\n") == 2
    assert _cli(engine, monkeypatch, "users", "add", "first.admin", "--role", "admin",
                stdin=" edge spaced phrase \n") == 2
    assert _counts(engine)[1] == 0
    assert _cli(engine, monkeypatch, "users", "add", "First.Admin", "--role", "admin",
                stdin="amber kettle orbit 42\n") == 0
    with session_scope(engine) as session:
        user = session.scalar(select(User).where(User.username == "first.admin"))
        assert user.role == "admin" and user.active and not user.is_demo
        assert bcrypt.checkpw(b"amber kettle orbit 42", user.password_hash.encode())
        audited = session.scalars(select(AuditLog.detail).where(AuditLog.action == "user_created")).all()
    assert audited and all("amber" not in (d or "") for d in audited)
    # A provider account needs its provider; an EPOP SPOC its region.
    assert _cli(engine, monkeypatch, "users", "add", "pat", "--role", "provider", stdin="amber kettle orbit 43\n") == 2
    assert _cli(engine, monkeypatch, "users", "add", "sam", "--role", "epop_spoc", "--region", "J",
                stdin="amber kettle orbit 44\n") == 0
    capsys.readouterr()
    assert _cli(engine, monkeypatch, "users", "list") == 0
    listed = capsys.readouterr().out
    assert "first.admin" in listed and "sam" in listed and "$2b$" not in listed


def test_users_disable_and_reset_password(reference_engine, monkeypatch, capsys):
    engine = reference_engine
    assert _cli(engine, monkeypatch, "users", "add", "casey", "--role", "commissioner",
                stdin="amber kettle orbit 42\n") == 0
    assert _cli(engine, monkeypatch, "users", "disable", "casey") == 0
    assert _cli(engine, monkeypatch, "users", "reset-password", "casey", stdin="weak\n") == 2
    assert _cli(engine, monkeypatch, "users", "reset-password", "casey", stdin="violet canal spruce 7\n") == 0
    assert _cli(engine, monkeypatch, "users", "disable", "nobody") == 2
    with session_scope(engine) as session:
        user = session.scalar(select(User).where(User.username == "casey"))
        assert not user.active
        assert bcrypt.checkpw(b"violet canal spruce 7", user.password_hash.encode())
        actions = session.scalars(select(AuditLog.action).where(AuditLog.entity_id == "casey")).all()
    assert {"user_created", "user_disabled", "password_set"} <= set(actions)
