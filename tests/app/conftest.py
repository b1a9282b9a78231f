"""AppTest fixtures: one demo database per test module, shared read-only by its tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from data_access.db import make_engine
from data_access.demo import seed_demo
from data_access.setup import initialise

APP = str(Path(__file__).resolve().parents[2] / "app.py")


@pytest.fixture(scope="module")
def demo_db_url(tmp_path_factory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('appdb') / 'demo.db'}"
    engine = make_engine(url)
    initialise(engine)
    seed_demo(engine, referrals=3000)
    engine.dispose()
    return url


@pytest.fixture()
def app_env(demo_db_url, monkeypatch) -> str:
    monkeypatch.setenv("DASHBOARD_DATABASE_URL", demo_db_url)
    monkeypatch.setenv("DASHBOARD_SEED_DEMO", "0")
    monkeypatch.delenv("DASHBOARD_COOKIE_KEY", raising=False)
    forget_failed_sign_ins(demo_db_url)
    return demo_db_url


def forget_failed_sign_ins(url: str) -> None:
    """Tests share a module's database, and AppTest has no client address (all its attempts
    count against one): start every test with no failed sign-ins counted."""
    from data_access.db import session_scope
    from data_access.models import SignInThrottle

    engine = make_engine(url)
    with session_scope(engine) as session:
        session.query(SignInThrottle).delete()
    engine.dispose()


def mark_signed_in(at: AppTest, username: str) -> AppTest:
    """Give ``at`` the session state a form sign-in leaves, for DASHBOARD_DATABASE_URL's database:
    the session carries the user's current token version, which every run checks."""
    from data_access.accounts import current_version
    from data_access.settings import Settings

    at.session_state["authentication_status"] = True
    at.session_state["username"] = username
    at.session_state["name"] = username
    engine = make_engine(Settings.from_env().database_url)
    at.session_state["auth_token_version"] = current_version(engine, username)
    engine.dispose()
    return at


def signed_in_app(username: str, page: str | None = None) -> AppTest:
    """An AppTest already signed in as ``username`` (the sign-in form is tested separately)."""
    at = mark_signed_in(AppTest.from_file(APP, default_timeout=60), username)
    if page is not None:
        at.switch_page(page)
    return at
