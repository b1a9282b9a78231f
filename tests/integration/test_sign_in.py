"""Sign-in that holds (issue 14, part 4), on SQLite and PostgreSQL: attempts counted before they
are checked, a growing delay, a per-address limit, the same answer for unknown users, and tokens
that sign-out, a password change or disabling revoke."""

from __future__ import annotations

import datetime as dt
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import jwt
import pytest
from sqlalchemy import update

from data_access import accounts, admin
from data_access.db import session_scope
from data_access.models import SignInThrottle, User
from data_access.scoping import AccessScope

USER = accounts.ThrottlePolicy(max_failed=5, base_seconds=30, cap_seconds=900, window_seconds=86_400)
ADDRESS = accounts.ThrottlePolicy(max_failed=20, base_seconds=30, cap_seconds=900, window_seconds=86_400)
KEY = "k" * 40
PASSWORD = "amber kettle orbit 42"
ADMIN = AccessScope(username="boss", role="admin")


@pytest.fixture()
def db(reference_engine):
    with session_scope(reference_engine) as session:
        for name in ("casey", "boss"):
            session.add(User(username=name, display_name=name.title(), role="admin" if name == "boss" else "commissioner",
                             password_hash=admin.hash_password(PASSWORD)))
    return reference_engine


@pytest.fixture()
def checks(monkeypatch):
    """Counts the password checks actually made."""
    made = []
    lock = threading.Lock()
    real = accounts._password_matches

    def counting(password, stored):
        with lock:
            made.append(password)
        return real(password, stored)

    monkeypatch.setattr(accounts, "_password_matches", counting)
    return made


def _try(engine, username, password, address="10.0.0.1"):
    return accounts.authenticate(engine, username, password, address=address, user_policy=USER,
                                 address_policy=ADDRESS, demo_database=False)


def test_thirty_simultaneous_wrong_guesses_check_at_most_five(db, checks):
    # Different addresses, so only the per-user count can stop them.
    with ThreadPoolExecutor(max_workers=30) as pool:
        results = list(pool.map(lambda n: _try(db, "casey", f"guess {n}", address=f"10.0.1.{n}"), range(30)))
    assert not any(r.ok for r in results)
    assert len(checks) <= 5
    assert sum(r.retry_after is not None for r in results) >= 25
    # The right password now waits too (issue 14: after 19 wrong ones it got in).
    right = _try(db, "casey", PASSWORD, address="10.0.2.1")
    assert not right.ok and right.retry_after is not None
    assert PASSWORD not in checks


def _expire_delay(engine, key):
    with session_scope(engine) as session:
        session.execute(update(SignInThrottle).where(SignInThrottle.key == key)
                        .values(blocked_until=accounts.now_utc() - dt.timedelta(seconds=1)))


def test_the_delay_grows_but_never_locks_and_the_right_password_clears_it(db):
    for n in range(5):
        _try(db, "casey", f"guess {n}")
    with session_scope(db) as session:
        first = session.get(SignInThrottle, "user:casey")
        first_wait = first.blocked_until - first.last_failure_at
    assert first_wait == dt.timedelta(seconds=30)
    _expire_delay(db, "user:casey")
    assert not _try(db, "casey", "guess 6").ok
    with session_scope(db) as session:
        second = session.get(SignInThrottle, "user:casey")
        assert second.blocked_until - second.last_failure_at == dt.timedelta(seconds=60)
    assert accounts.delay_after(40, USER) == dt.timedelta(seconds=900)  # capped: never a lock
    _expire_delay(db, "user:casey")
    assert _try(db, "casey", PASSWORD).ok
    with session_scope(db) as session:
        assert session.get(SignInThrottle, "user:casey") is None


def test_one_address_is_limited_across_usernames(db, checks):
    for n in range(20):
        _try(db, f"user{n}", "guess", address="192.0.2.7")
    before = len(checks)
    result = _try(db, "casey", PASSWORD, address="192.0.2.7")
    assert not result.ok and result.retry_after is not None and len(checks) == before
    assert _try(db, "casey", PASSWORD, address="192.0.2.8").ok  # another address is not held up


def test_an_unknown_user_gets_the_same_answer_in_a_similar_time(db, checks):
    for name in ("nobody", "casey"):
        for n in range(5):
            assert _try(db, name, f"guess {n}", address=f"10.9.{n}.1").retry_after is None
        refused = _try(db, name, "guess", address="10.9.9.9")
        assert not refused.ok and refused.retry_after is not None  # both throttled alike
    assert len(checks) == 10  # the unknown user's guesses were checked too (dummy hash)

    def timed(name):
        started = time.perf_counter()
        _try(db, name, "wrong", address=f"10.8.{name}")
        return time.perf_counter() - started

    with session_scope(db) as session:
        session.query(SignInThrottle).delete()
    unknown = statistics.median(timed("nobody") for _ in range(3))
    known = statistics.median(timed("casey") for _ in range(3))
    assert 0.5 < unknown / known < 2.0, (unknown, known)


def test_a_password_is_compared_exactly_as_typed(db):
    assert not _try(db, "casey", f" {PASSWORD}").ok
    assert not _try(db, "casey", f"{PASSWORD} ").ok
    assert _try(db, "casey", PASSWORD).ok
    assert _try(db, "  Casey ", PASSWORD).ok  # the username is trimmed and lower-cased


def test_demo_accounts_cannot_sign_in_to_a_database_without_the_demo(db):
    with session_scope(db) as session:
        session.execute(update(User).where(User.username == "casey").values(is_demo=True))
    assert not _try(db, "casey", PASSWORD).ok


def _cookie(engine, username="casey"):
    version = accounts.current_version(engine, username)
    return accounts.issue_token(username, version, KEY, purpose=accounts.SESSION, lifetime=dt.timedelta(days=1))


def test_a_replayed_cookie_is_refused_after_sign_out(db):
    cookie = _cookie(db)
    assert accounts.user_for_token(db, cookie, KEY) == ("casey", 0)
    accounts.sign_out(db, "casey")
    assert accounts.user_for_token(db, cookie, KEY) is None
    assert accounts.user_for_token(db, _cookie(db), KEY) == ("casey", 1)  # a new sign-in works


def test_a_password_change_or_disabling_revokes_cookies(db):
    cookie = _cookie(db)
    with session_scope(db) as session:
        admin.set_password(session, ADMIN, "casey", "violet canal spruce 7")
    assert accounts.user_for_token(db, cookie, KEY) is None
    cookie = _cookie(db)
    with session_scope(db) as session:
        admin.set_active(session, ADMIN, "casey", False)
    assert accounts.user_for_token(db, cookie, KEY) is None


def test_forged_expired_idle_or_misused_tokens_are_refused(db):
    good = _cookie(db)
    assert accounts.user_for_token(db, good, "another key of at least thirty-two chars") is None
    none_alg = jwt.encode({"sub": "casey", "ver": 0, "pur": "session", "exp": 4102444800}, None, algorithm="none")
    assert accounts.user_for_token(db, none_alg, KEY) is None
    expired = accounts.issue_token("casey", 0, KEY, purpose=accounts.SESSION, lifetime=-dt.timedelta(seconds=5))
    assert accounts.user_for_token(db, expired, KEY) is None
    ticket = accounts.issue_token("casey", 0, KEY, purpose=accounts.COOKIE_TICKET, lifetime=dt.timedelta(seconds=60))
    assert accounts.user_for_token(db, ticket, KEY) is None  # a ticket is not a session cookie
    with session_scope(db) as session:
        session.execute(update(User).where(User.username == "casey")
                        .values(last_seen_at=accounts.now_utc() - dt.timedelta(minutes=61)))
    assert accounts.user_for_token(db, good, KEY, idle=dt.timedelta(minutes=60)) is None
    assert accounts.user_for_token(db, good, KEY, idle=dt.timedelta(minutes=90)) == ("casey", 0)


def test_an_admin_unlock_forgets_the_failures(db):
    for n in range(5):
        _try(db, "casey", f"guess {n}")
    with session_scope(db) as session:
        users = admin.list_users(session, ADMIN)
        assert users.set_index("username").loc["casey", "locked_until"] is not None
        admin.update_user(session, ADMIN, "casey", role="commissioner", active=True)
    assert _try(db, "casey", PASSWORD).ok


def test_without_an_address_only_the_username_is_counted(db):
    """A local connection has no address: a shared count would let anyone hold up everyone."""
    for n in range(25):
        _try(db, f"someone{n}", "guess", address=None)
    assert _try(db, "casey", PASSWORD, address=None).ok


def test_the_dummy_hash_costs_what_a_real_one_does():
    """The unknown user's dummy hash is a fixed string (no hashing at import): its bcrypt cost
    must stay the one admin.hash_password uses, or unknown users would answer faster."""
    import bcrypt

    from data_access import accounts
    from data_access.admin import hash_password

    assert accounts._DUMMY_HASH.split("$")[2] == hash_password("x").split("$")[2] == bcrypt.gensalt().decode().split("$")[2]
    assert not accounts._password_matches("", accounts._DUMMY_HASH)
    assert not accounts._password_matches("demo", accounts._DUMMY_HASH)
