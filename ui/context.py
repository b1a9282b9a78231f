"""The page context: engine, settings, the signed-in user's scope, the shared filters.

``app.py`` builds it on every rerun (after sign-in) and hands it to the page it runs with
:func:`set_context`; pages read it with :func:`page_context`. It lives in a thread-local for
the length of that script run (Streamlit runs each rerun on one thread), not in
``st.session_state``, which holds UI state only. The engine is cached as a resource; sessions
are opened per use.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass

import streamlit as st
from sqlalchemy import Engine, select

from data_access import info
from data_access.db import make_engine, session_scope
from data_access.models import User
from data_access.scoping import AccessScope, ReferralFilters, scope_for_user
from data_access.settings import Settings
from data_access.setup import ensure_ready
from metrics.periods import Period
from metrics import panels


@dataclass(frozen=True)
class SignedInUser:
    username: str
    display_name: str
    role: str
    provider_id: int | None
    region_code: str | None


@dataclass(frozen=True)
class PageContext:
    engine: Engine
    settings: Settings
    user: SignedInUser
    scope: AccessScope
    filters: ReferralFilters
    period: Period
    #: The latest date in the data: figures are "as of" this date.
    as_of: dt.date
    #: Changes whenever a figure may change (imports, undo, audited edits): part of cache keys.
    data_version: str = ""


_current = threading.local()

#: How stale the data version may be: another replica's import shows within this many seconds.
VERSION_CHECK_SECONDS = 15


@st.cache_resource(show_spinner="Preparing the database (first run loads reference and demo data)…")
def get_engine(database_url: str, seed_demo: bool, demo_referrals: int) -> Engine:
    engine = make_engine(database_url)
    ensure_ready(engine, seed_demo_if_empty=seed_demo, demo_referrals=demo_referrals)
    return engine


def engine_for(settings: Settings) -> Engine:
    from ui.auth import cookie_key_configured

    demo = settings.demo_requested(cookie_key_configured=cookie_key_configured(settings))
    return get_engine(settings.database_url, demo, settings.demo_referrals)


def load_user(engine: Engine, username: str) -> tuple[SignedInUser, AccessScope] | None:
    with session_scope(engine) as session:
        user = session.scalar(select(User).where(User.username == username))
        if user is None or not user.active:
            return None
        return (
            SignedInUser(user.username, user.display_name, user.role, user.provider_id, user.region_code),
            scope_for_user(user),
        )


@st.cache_data(ttl=VERSION_CHECK_SECONDS, show_spinner=False)
def data_version(_engine: Engine, database_url: str) -> str:
    """:func:`data_access.info.data_version`, checked at most every few seconds per database."""
    return info.data_version(_engine)


@st.cache_data(show_spinner=False, max_entries=50)
def data_as_of(_engine: Engine, database_url: str, version: str) -> dt.date | None:
    """Latest event date in the referral data (the database URL and data version key the cache).

    The same definition as the scorecard's default as-of date and the stored KPI summary's
    (metrics.queries.latest_data_date), so the pages' figures can be read from that summary.
    """
    with _engine.connect() as db:
        return panels.data_as_of(db)


def set_context(context: PageContext | None) -> None:
    from ui import url_state

    _current.context = context
    url_state.reset_recorded()  # a new run: the page records its choices again


def current_context() -> PageContext | None:
    """The context of this run, or None (no page is being drawn: a test, the sign-in form)."""
    return getattr(_current, "context", None)


def page_context() -> PageContext:
    context = getattr(_current, "context", None)
    if context is None:  # a page run without app.py (should not happen: pages are routed)
        st.error("Open the dashboard from its home page to sign in.")
        st.stop()
    return context
