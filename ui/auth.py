"""Sign-in with streamlit-authenticator, users held in the database.

streamlit-authenticator checks the bcrypt hash, keeps the signed-in state and sets the
signed re-authentication cookie (a JWT with the username and an expiry, signed with the
cookie key). The database adds what the library keeps only in memory: failed sign-ins are
counted per user and the account is locked for a while after too many (throttling).
"""

from __future__ import annotations

import datetime as dt

import jwt
import streamlit as st
import streamlit_authenticator as stauth
from sqlalchemy import Engine, select

from data_access.db import session_scope
from data_access.demo import is_demo_database
from data_access.models import AuditLog, User
from data_access.settings import DEMO_COOKIE_KEY, Settings
from ui import state

COOKIE_NAME = "gm_probation_dashboard_auth"
MIN_COOKIE_KEY_LENGTH = 32


class InsecureConfiguration(RuntimeError):
    """Raised when the app would run outside demo mode with a default or short cookie key."""


def _configured_cookie_key(settings: Settings) -> str | None:
    key = settings.cookie_key
    if key is None:
        try:
            key = st.secrets.get("cookie_key")
        except Exception:  # no secrets.toml: that is fine, the environment may have it
            key = None
    return key


def cookie_key_configured(settings: Settings) -> bool:
    """A real cookie key is set (environment or secrets): the mark of a real deployment."""
    key = _configured_cookie_key(settings)
    return bool(key) and key != DEMO_COOKIE_KEY


def cookie_key(settings: Settings, *, demo: bool) -> str:
    """The cookie key from secrets or the environment; the documented demo key only in demo mode."""
    key = _configured_cookie_key(settings)
    if key and len(key) >= MIN_COOKIE_KEY_LENGTH and key != DEMO_COOKIE_KEY:
        return key
    if demo:
        return key if key and len(key) >= MIN_COOKIE_KEY_LENGTH else DEMO_COOKIE_KEY
    raise InsecureConfiguration(
        "Set DASHBOARD_COOKIE_KEY (or cookie_key in .streamlit/secrets.toml) to a random secret of "
        f"at least {MIN_COOKIE_KEY_LENGTH} characters: this database holds real data, so the demo "
        "key is refused."
    )


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _credentials(engine: Engine) -> dict:
    with session_scope(engine) as session:
        users = session.scalars(select(User).where(User.active.is_(True))).all()
        return {
            "usernames": {
                u.username: {
                    "name": u.display_name,
                    "email": u.email or f"{u.username}@invalid",
                    "password": u.password_hash,
                    "roles": [u.role],
                }
                for u in users
            }
        }


def _authenticator(engine: Engine, settings: Settings) -> stauth.Authenticate:
    with session_scope(engine) as session:
        demo = is_demo_database(session)
    return stauth.Authenticate(
        _credentials(engine),
        cookie_name=COOKIE_NAME,
        cookie_key=cookie_key(settings, demo=demo),
        cookie_expiry_days=settings.cookie_expiry_days,
        auto_hash=False,
        login_sleep_time=0,
    )


def _locked_until(engine: Engine, username: str) -> dt.datetime | None:
    with session_scope(engine) as session:
        user = session.scalar(select(User).where(User.username == username))
        if user is None or user.locked_until is None or user.locked_until <= _now():
            return None
        return user.locked_until


def record_sign_in_attempt(engine: Engine, settings: Settings, username: str, succeeded: bool) -> None:
    """Count failures; lock the account after ``max_failed_sign_ins``; audit every attempt."""
    with session_scope(engine) as session:
        user = session.scalar(select(User).where(User.username == username))
        if user is not None:
            if succeeded:
                user.failed_sign_ins = 0
                user.locked_until = None
            else:
                user.failed_sign_ins += 1
                if user.failed_sign_ins >= settings.max_failed_sign_ins:
                    user.locked_until = _now() + dt.timedelta(seconds=settings.sign_in_lockout_seconds)
                    user.failed_sign_ins = 0
        session.add(
            AuditLog(
                actor=username[:60] or "(blank)",
                action="sign_in" if succeeded else "sign_in_failed",
                entity="user",
                entity_id=username[:60],
            )
        )


def signed_in_username(engine: Engine, settings: Settings) -> str | None:
    """Show the sign-in form until someone signs in; return the signed-in username."""
    authenticator = _authenticator(engine, settings)
    _finish_cookie_removal(authenticator)
    # Re-authenticate from a valid, unexpired, correctly signed cookie (a forged or expired
    # one is ignored by the library and the form is shown).
    try:
        authenticator.login(location="unrendered")
    except jwt.InvalidTokenError:
        # A cookie the library's own checks do not catch (e.g. a JWT with alg "none") is
        # refused like any other bad cookie: forget it and show the form.
        authenticator.cookie_controller.delete_cookie()
        for key in (state.AUTH_STATUS, state.AUTH_USERNAME, state.AUTH_NAME):
            st.session_state.pop(key, None)
    if st.session_state.get(state.AUTH_STATUS):
        return st.session_state.get(state.AUTH_USERNAME)

    st.title("Greater Manchester probation commissioning dashboard")
    st.write("Sign in to see the GMIRS Well-being Support Service and EPOP figures for your role.")
    with st.form("sign_in"):
        username = st.text_input("Username", key="sign_in_username", autocomplete="username")
        password = st.text_input("Password", type="password", key="sign_in_password")
        submitted = st.form_submit_button("Sign in")
    if submitted:
        username = (username or "").strip().lower()
        locked = _locked_until(engine, username)
        if locked is not None:
            st.error(
                "Too many failed sign-ins for this account. Try again after "
                f"{locked:%H:%M} UTC, or ask an administrator."
            )
            record_sign_in_attempt(engine, settings, username, succeeded=False)
            return None
        ok = bool(username and password) and authenticator.authentication_controller.login(username, password)
        record_sign_in_attempt(engine, settings, username, succeeded=ok)
        if ok:
            # The cookie is written on the next (signed-in) runs by keep_sign_in_cookie: a rerun
            # now would discard the cookie component before the browser ran it.
            st.session_state[state.COOKIE_TO_STORE] = True
            st.session_state.pop(state.COOKIE_TO_DELETE, None)
            st.rerun()
        st.error("Username or password is not right.")
    with session_scope(engine) as session:
        if is_demo_database(session):
            st.info(
                "Demo database: sign in as commissioner, provider, spoc, national or admin, "
                "password 'demo'. These accounts exist only in the demo data."
            )
    return None


def keep_sign_in_cookie(engine: Engine, settings: Settings) -> stauth.Authenticate | None:
    """After a sign-in through the form, store the re-authentication cookie in the browser.

    The library writes cookies with a browser component (extra-streamlit-components'
    CookieManager), which only works if the run that draws it is not cut short. So it is drawn
    on the signed-in runs after the sign-in, until the component reports the cookie stored.
    Returns the authenticator it drew (None if none): a run may draw only one, so a sign-out in
    the same run must reuse it.
    """
    if not st.session_state.get(state.COOKIE_TO_STORE):
        return None
    if st.session_state.get(state.COOKIE_SET_DONE) is True:
        st.session_state.pop(state.COOKIE_TO_STORE, None)
        return None
    with st.sidebar:
        authenticator = _authenticator(engine, settings)
        authenticator.cookie_controller.set_cookie()
    return authenticator


def _finish_cookie_removal(authenticator: stauth.Authenticate) -> None:
    """After a sign-out, remove the cookie in the browser (same component, same reason)."""
    if not st.session_state.get(state.COOKIE_TO_DELETE):
        return
    if st.session_state.get(state.COOKIE_DELETE_DONE) is True:
        st.session_state.pop(state.COOKIE_TO_DELETE, None)
        return
    authenticator.cookie_controller.delete_cookie()


def sign_out(engine: Engine, settings: Settings, authenticator: stauth.Authenticate | None = None) -> None:
    """Forget the signed-in user now; the cookie is removed on the sign-in page's runs.

    ``authenticator``: the one this run already drew (keep_sign_in_cookie), if any. Drawing a
    second one in a run fails (its cookie component's key is fixed), which happened when someone
    signed out before the browser had confirmed the sign-in cookie."""
    authenticator = authenticator or _authenticator(engine, settings)
    authenticator.authentication_controller.logout()
    for key in (state.AUTH_STATUS, state.AUTH_USERNAME, state.AUTH_NAME):
        st.session_state.pop(key, None)
    st.session_state.pop(state.COOKIE_TO_STORE, None)
    st.session_state[state.COOKIE_TO_DELETE] = True
