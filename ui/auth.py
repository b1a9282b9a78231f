"""Sign-in: the form, the sign-in cookie, and the checks every signed-in run makes.

The rules live in data_access/accounts.py (counted-before-checked throttling, constant answer
for unknown users, revocable tokens); this module is the Streamlit side of them.

The sign-in cookie is **HttpOnly** and, over HTTPS, **Secure**, so page scripts cannot read it.
Streamlit offers no way to set a cookie from a script run, and extra-streamlit-components (what
streamlit-authenticator used) writes cookies from JavaScript, where HttpOnly is impossible. So
``serve.py`` adds ``POST /api/session``: after a sign-in the page posts a one-minute ticket there
from a zero-height component, and the server answers with ``Set-Cookie`` (HttpOnly, SameSite=Strict,
Secure when the request came over HTTPS). ``DELETE /api/session`` removes it at sign-out. The
cookie is read server-side (``st.context.cookies``, from the websocket's handshake). Run as
``streamlit run app.py`` (no routes), a sign-in lasts for the browser tab only.
"""

from __future__ import annotations

import datetime as dt
import json
import time

import streamlit as st
from sqlalchemy import Engine

from data_access import accounts
from data_access.db import session_scope
from data_access.demo import is_demo_database
from data_access.settings import DEMO_COOKIE_KEY, Settings
from ui import state

COOKIE_NAME = "gm_probation_dashboard_auth"
SESSION_PATH = "api/session"
MIN_COOKIE_KEY_LENGTH = 32
#: How long the page has to exchange its ticket for the cookie.
TICKET_LIFETIME = dt.timedelta(seconds=60)
#: Write the user's last activity to the database at most this often.
TOUCH_EVERY_SECONDS = 60
REFUSED = "Username or password is not right."


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


def is_demo(engine: Engine) -> bool:
    with session_scope(engine) as session:
        return is_demo_database(session)


def policies(settings: Settings) -> tuple[accounts.ThrottlePolicy, accounts.ThrottlePolicy]:
    """(per username, per address) throttling from the settings."""
    def policy(limit: int) -> accounts.ThrottlePolicy:
        return accounts.ThrottlePolicy(max_failed=limit, base_seconds=settings.sign_in_delay_seconds,
                                       cap_seconds=settings.sign_in_lockout_seconds,
                                       window_seconds=settings.sign_in_window_seconds)
    return policy(settings.max_failed_sign_ins), policy(settings.max_failed_sign_ins_per_address)


def client_address(settings: Settings, headers=None, peer: str | None = None) -> str | None:
    """The client's address: the socket's, or the one the trusted proxies saw (X-Forwarded-For,
    counted from the right so a client cannot choose it by sending the header itself)."""
    if headers is None:
        headers, peer = st.context.headers, st.context.ip_address
    if settings.trusted_proxy_hops > 0:
        hops = [h.strip() for h in (headers.get("X-Forwarded-For") or "").split(",") if h.strip()]
        if len(hops) >= settings.trusted_proxy_hops:
            return hops[-settings.trusted_proxy_hops]
    return peer


def idle_timeout(settings: Settings) -> dt.timedelta:
    return dt.timedelta(minutes=settings.idle_timeout_minutes)


def _start_session(username: str, version: int, display_name: str | None = None) -> None:
    st.session_state[state.AUTH_STATUS] = True
    st.session_state[state.AUTH_USERNAME] = username
    st.session_state[state.AUTH_NAME] = display_name or username
    st.session_state[state.AUTH_TOKEN_VERSION] = version
    st.session_state[state.AUTH_LAST_ACTIVITY] = time.time()


def _end_session() -> None:
    for key in (state.AUTH_STATUS, state.AUTH_USERNAME, state.AUTH_NAME, state.AUTH_TOKEN_VERSION,
                state.AUTH_LAST_ACTIVITY, state.AUTH_LAST_TOUCH, state.COOKIE_TICKET):
        st.session_state.pop(key, None)


def signed_in_username(engine: Engine, settings: Settings) -> str | None:
    """Show the sign-in form until someone signs in (or a valid cookie does); return the username."""
    demo = is_demo(engine)
    key = cookie_key(settings, demo=demo)
    _draw_cookie_removal()
    if st.session_state.get(state.AUTH_STATUS):
        return st.session_state.get(state.AUTH_USERNAME)
    # Re-authenticate from the cookie: correctly signed (HS256 only), unexpired, not revoked by a
    # sign-out or password change, the user active and not idle for longer than the timeout.
    if not st.session_state.get(state.COOKIE_TO_DELETE):
        found = accounts.user_for_token(engine, st.context.cookies.get(COOKIE_NAME), key,
                                        idle=idle_timeout(settings), demo_database=demo)
        if found is not None:
            _start_session(*found)
            accounts.touch(engine, found[0])
            return found[0]

    st.title("Greater Manchester probation commissioning dashboard")
    st.write("Sign in to see the GMIRS Well-being Support Service and EPOP figures for your role.")
    if message := st.session_state.pop(state.SIGN_IN_MESSAGE, None):
        st.info(message)
    with st.form("sign_in"):
        username = st.text_input("Username", key="sign_in_username", autocomplete="username")
        password = st.text_input("Password", type="password", key="sign_in_password")
        submitted = st.form_submit_button("Sign in")
    if submitted:
        user_policy, address_policy = policies(settings)
        # The password is used exactly as typed (admin.password_problems refuses edge spaces).
        result = accounts.authenticate(engine, username, password or "", address=client_address(settings),
                                       user_policy=user_policy, address_policy=address_policy, demo_database=demo)
        if result.ok:
            _start_session(result.username, result.token_version, result.display_name)
            st.session_state[state.COOKIE_TICKET] = (
                accounts.issue_token(result.username, result.token_version, key, purpose=accounts.COOKIE_TICKET,
                                     lifetime=TICKET_LIFETIME), time.time())
            st.session_state.pop(state.COOKIE_TO_DELETE, None)
            st.rerun()
        if result.retry_after is not None:
            # The same for a username that does not exist: counters are kept per name typed.
            st.error("Too many failed sign-ins for this username or from this address. Try again after "
                     f"{result.retry_after:%H:%M:%S} UTC, or ask an administrator.")
        else:
            st.error(REFUSED)
    if demo:
        st.info(
            "Demo database: sign in as commissioner, provider, spoc, national or admin, "
            "password 'demo'. These accounts exist only in the demo data."
        )
    return None


def check_session(engine: Engine, settings: Settings) -> bool:
    """Every signed-in run: the session's token version is still the user's (no sign-out elsewhere,
    password change or disabling since) and the session has not been idle too long."""
    username = st.session_state.get(state.AUTH_USERNAME)
    now = time.time()
    last = st.session_state.get(state.AUTH_LAST_ACTIVITY) or now
    if now - last > idle_timeout(settings).total_seconds():
        _end_session()
        st.session_state[state.SIGN_IN_MESSAGE] = (
            f"You were signed out after {settings.idle_timeout_minutes} minutes without activity.")
        return False
    version = accounts.current_version(engine, username, demo_database=is_demo(engine))
    if version is None or version != st.session_state.get(state.AUTH_TOKEN_VERSION):
        _end_session()
        return False
    st.session_state[state.AUTH_LAST_ACTIVITY] = now
    if now - st.session_state.get(state.AUTH_LAST_TOUCH, 0) > TOUCH_EVERY_SECONDS:
        accounts.touch(engine, username)
        st.session_state[state.AUTH_LAST_TOUCH] = now
    return True


def _session_url() -> str:
    base = (st.get_option("server.baseUrlPath") or "").strip("/")
    return f"/{base}/{SESSION_PATH}" if base else f"/{SESSION_PATH}"


def _draw_fetch(method: str, body: dict | None) -> None:
    """A zero-height component whose script calls the session endpoint from the page's origin."""
    import streamlit.components.v1 as components

    payload = "" if body is None else f", headers: {{'Content-Type': 'application/json'}}, body: {json.dumps(json.dumps(body))}"
    components.html(f"<script>fetch({json.dumps(_session_url())}, {{method: {json.dumps(method)}, "
                    f"credentials: 'same-origin'{payload}}});</script>", height=0)


def keep_sign_in_cookie(engine: Engine, settings: Settings) -> None:
    """After a form sign-in, have the browser exchange the ticket for the HttpOnly cookie.

    Drawn on the signed-in runs while the ticket is fresh (an identical component is not reloaded
    by a rerun, so the request is made once)."""
    ticket = st.session_state.get(state.COOKIE_TICKET)
    if not ticket:
        return
    token, issued = ticket
    if time.time() - issued > TICKET_LIFETIME.total_seconds() - 5:
        st.session_state.pop(state.COOKIE_TICKET, None)
        return
    with st.sidebar:
        _draw_fetch("POST", {"ticket": token})


def _draw_cookie_removal() -> None:
    if st.session_state.get(state.COOKIE_TO_DELETE):
        _draw_fetch("DELETE", None)


def sign_out(engine: Engine, settings: Settings, _unused=None) -> None:
    """Sign out: revoke every token issued to the user so far (this cookie, copies of it, other
    sessions), forget the session, and have the browser drop the cookie."""
    username = st.session_state.get(state.AUTH_USERNAME)
    if username:
        accounts.sign_out(engine, username)
    _end_session()
    st.session_state[state.COOKIE_TO_DELETE] = True
