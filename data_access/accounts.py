"""Signing in, without Streamlit: throttled password checks, session tokens, revocation.

Why each piece (issue 14, "sign-in that holds"):

- **Counted before checked, atomically.** Each attempt first claims a slot in ``sign_in_throttle``
  for its username and for its address with a compare-and-set update (same statement on SQLite
  and PostgreSQL). Only then is the password checked. So thirty simultaneous guesses make thirty
  claims, and once ``max_failed`` are counted the rest are refused unchecked.
- **A growing delay, not a lock.** After ``max_failed`` failures the key waits ``base`` seconds,
  doubling with each further failure up to ``cap``: someone else can slow an account down but
  never lock it for good; a per-address limit stops one address doing even that for long.
- **Unknown users look like known ones.** Counters are keyed on the name typed, whether or not
  it exists, a missing user's password is checked against a dummy hash of the same cost, and
  every refusal has one wording.
- **Tokens that can be revoked.** A session token (the sign-in cookie) carries the user's
  ``token_version``; sign-out, a new password or disabling the account raises it, and every run
  checks it, so a copied cookie stops working at once.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import bcrypt
import jwt
from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from data_access.db import session_scope
from data_access.models import AuditLog, SignInThrottle, User

#: Same cost as admin.hash_password (bcrypt's default, 12), so an unknown user takes as long.
#: A fixed hash of a random string nobody kept: hashing one at import cost every new process
#: 0.3-0.7 s of CPU before its first page (tests check that its cost is bcrypt's default).
_DUMMY_HASH = "$2b$12$cYVN7CAuC1E.W9sFePY6J.sY4ArmiFYIC./w9b1eJdXZgm.EYgu.u"
#: Attempts lost to contention in a row before an attempt is refused as throttled.
_MAX_CAS_ROUNDS = 200


@dataclasses.dataclass(frozen=True)
class ThrottlePolicy:
    max_failed: int  # failures allowed before the first delay
    base_seconds: int  # the first delay; doubled with each further failure
    cap_seconds: int  # the longest delay
    window_seconds: int  # failures older than this are forgotten


@dataclasses.dataclass(frozen=True)
class SignInResult:
    ok: bool
    username: str
    display_name: str | None = None
    token_version: int | None = None
    #: Set when the attempt was refused unchecked: try again after this time (UTC).
    retry_after: dt.datetime | None = None


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def normalise_username(username: str | None) -> str:
    return (username or "").strip().lower()[:60]


def delay_after(failures: int, policy: ThrottlePolicy) -> dt.timedelta | None:
    """How long a key waits after ``failures`` counted failures (None: no wait)."""
    if failures < policy.max_failed:
        return None
    seconds = policy.base_seconds * 2 ** min(failures - policy.max_failed, 30)
    return dt.timedelta(seconds=min(seconds, policy.cap_seconds))


def claim_attempt(engine: Engine, key: str, policy: ThrottlePolicy, *, now: dt.datetime | None = None
                  ) -> dt.datetime | None:
    """Count one attempt for ``key`` before it is checked. None: go ahead; a time: refused until then.

    A compare-and-set on ``revision`` makes the read-decide-write atomic: of two attempts that
    read the same row, one update matches and the other re-reads."""
    table = SignInThrottle.__table__
    for _ in range(_MAX_CAS_ROUNDS):
        now_ = now or now_utc()
        with engine.begin() as conn:
            row = conn.execute(select(table).where(table.c.key == key)).first()
            if row is None:
                try:
                    conn.execute(insert(table).values(key=key, failures=1, last_failure_at=now_, revision=0,
                                                      blocked_until=_until(now_, delay_after(1, policy))))
                except IntegrityError:  # another attempt inserted it first: read it again
                    continue
                return None
            if row.blocked_until is not None and row.blocked_until > now_:
                return row.blocked_until
            stale = row.last_failure_at is None or now_ - row.last_failure_at > dt.timedelta(seconds=policy.window_seconds)
            failures = 1 if stale else row.failures + 1
            done = conn.execute(
                update(table).where(table.c.key == key, table.c.revision == row.revision)
                .values(failures=failures, last_failure_at=now_, revision=row.revision + 1,
                        blocked_until=_until(now_, delay_after(failures, policy)))
            ).rowcount
            if done == 1:
                return None
    return (now or now_utc()) + dt.timedelta(seconds=policy.base_seconds)


def _until(now: dt.datetime, delay: dt.timedelta | None) -> dt.datetime | None:
    return None if delay is None else now + delay


def release_attempt(engine: Engine, key: str, *, forget: bool) -> None:
    """After a right password: forget the key's failures (``forget``) or give back its one claim."""
    table = SignInThrottle.__table__
    with engine.begin() as conn:
        if forget:
            conn.execute(table.delete().where(table.c.key == key))
        else:
            conn.execute(update(table).where(table.c.key == key, table.c.failures > 0)
                         .values(failures=table.c.failures - 1, revision=table.c.revision + 1))


def user_key(username: str) -> str:
    return f"user:{normalise_username(username)}"


def address_key(address: str) -> str:
    return f"address:{address[:100]}"


def _password_matches(password: str, password_hash: str) -> bool:
    """The one bcrypt check (tests count calls to it). The password is compared exactly as typed."""
    try:
        return bcrypt.checkpw(password.encode("utf-8"), password_hash.encode("ascii"))
    except ValueError:  # a malformed stored hash never matches
        return False


def authenticate(engine: Engine, username: str, password: str, *, address: str | None,
                 user_policy: ThrottlePolicy, address_policy: ThrottlePolicy, demo_database: bool) -> SignInResult:
    """One sign-in attempt: throttled, checked, audited."""
    name = normalise_username(username)
    # No address (a local connection, or a proxy on this host): no per-address count, or every
    # such client would share one and a stranger's guesses could hold up everyone's sign-in.
    keys = ([(address_key(address), address_policy)] if address else []) + [(user_key(name), user_policy)]
    for key, policy in keys:
        retry_after = claim_attempt(engine, key, policy)
        if retry_after is not None:
            _audit(engine, name, "sign_in_throttled")
            return SignInResult(False, name, retry_after=retry_after)
    with session_scope(engine) as session:
        user = session.scalar(select(User).where(User.username == name))
        usable = user is not None and user.active and (demo_database or not user.is_demo)
        stored = user.password_hash if usable else _DUMMY_HASH
        details = (user.display_name, user.token_version) if usable else (None, None)
    ok = _password_matches(password or "", stored) and usable and bool(password)
    if not ok:
        _audit(engine, name, "sign_in_failed")
        return SignInResult(False, name)
    release_attempt(engine, user_key(name), forget=True)
    if address:
        release_attempt(engine, address_key(address), forget=False)
    with session_scope(engine) as session:
        session.execute(update(User).where(User.username == name).values(last_seen_at=now_utc()))
    _audit(engine, name, "sign_in")
    return SignInResult(True, name, display_name=details[0], token_version=details[1])


def _audit(engine: Engine, username: str, action: str) -> None:
    with session_scope(engine) as session:
        session.add(AuditLog(actor=username[:60] or "(blank)", action=action, entity="user", entity_id=username[:60]))


def clear_throttle(session, username: str) -> None:
    """An admin's unlock: forget the username's failures."""
    session.execute(SignInThrottle.__table__.delete().where(SignInThrottle.key == user_key(username)))


def revoke_tokens(session, username: str) -> None:
    """Every cookie and session issued to ``username`` so far stops working on its next run."""
    session.execute(update(User).where(User.username == normalise_username(username))
                    .values(token_version=User.token_version + 1))


def sign_out(engine: Engine, username: str) -> None:
    with session_scope(engine) as session:
        revoke_tokens(session, username)
        session.add(AuditLog(actor=username[:60], action="sign_out", entity="user", entity_id=username[:60]))


# --------------------------------------------------------------------------------------------
# Tokens: the sign-in cookie and the one-minute ticket that has it set
# --------------------------------------------------------------------------------------------

SESSION = "session"
COOKIE_TICKET = "cookie-ticket"


def issue_token(username: str, token_version: int, key: str, *, purpose: str, lifetime: dt.timedelta) -> str:
    issued = now_utc().replace(tzinfo=dt.UTC)
    return jwt.encode({"sub": username, "ver": token_version, "pur": purpose, "iat": issued,
                       "exp": issued + lifetime}, key, algorithm="HS256")


def read_token(token: str | None, key: str, *, purpose: str) -> tuple[str, int] | None:
    """(username, token_version) from a correctly signed, unexpired token for ``purpose``; else None.

    Only HS256 is accepted (so an ``alg: none`` token is refused)."""
    if not token:
        return None
    try:
        claims = jwt.decode(token, key, algorithms=["HS256"], options={"require": ["sub", "ver", "exp", "pur"]})
    except jwt.InvalidTokenError:
        return None
    if claims.get("pur") != purpose or not isinstance(claims.get("ver"), int):
        return None
    return str(claims["sub"]), claims["ver"]


def current_version(engine: Engine, username: str, *, idle: dt.timedelta | None = None,
                    demo_database: bool = True) -> int | None:
    """The user's token version if the account may be used now (active; not idle too long)."""
    with session_scope(engine) as session:
        user = session.scalar(select(User).where(User.username == username))
        if user is None or not user.active or (user.is_demo and not demo_database):
            return None
        if idle is not None and user.last_seen_at is not None and now_utc() - user.last_seen_at > idle:
            return None
        return user.token_version


def user_for_token(engine: Engine, token: str | None, key: str, *, purpose: str = SESSION,
                   idle: dt.timedelta | None = None, demo_database: bool = True) -> tuple[str, int] | None:
    """Who a token signs in, if it is valid, not revoked and the user is neither disabled nor idle."""
    read = read_token(token, key, purpose=purpose)
    if read is None:
        return None
    username, version = read
    if current_version(engine, username, idle=idle, demo_database=demo_database) != version:
        return None
    return username, version


def touch(engine: Engine, username: str) -> None:
    """Record activity (the idle timeout counts from it)."""
    with session_scope(engine) as session:
        session.execute(update(User).where(User.username == username).values(last_seen_at=now_utc()))
