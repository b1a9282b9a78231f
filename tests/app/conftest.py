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
    return demo_db_url


def signed_in_app(username: str, page: str | None = None) -> AppTest:
    """An AppTest already signed in as ``username`` (the sign-in form is tested separately)."""
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["authentication_status"] = True
    at.session_state["username"] = username
    at.session_state["name"] = username
    if page is not None:
        at.switch_page(page)
    return at
