"""AppTest for the Board packs page: what each role may build, and a build to download."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from data_access.db import make_engine
from data_access.demo import seed_demo
from data_access.settings import PROJECT_ROOT
from data_access.setup import initialise
from reports.build import KINDS

PAGE = str(PROJECT_ROOT / "app_pages/board_packs.py")


@pytest.fixture(scope="module")
def database_url(tmp_path_factory):
    path = tmp_path_factory.mktemp("packs_app") / "app.db"
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    initialise(engine)
    seed_demo(engine, referrals=1500)
    engine.dispose()
    return url


def _open(database_url, monkeypatch, username: str) -> AppTest:
    monkeypatch.setenv("DASHBOARD_DATABASE_URL", database_url)
    monkeypatch.setenv("DASHBOARD_SEED_DEMO", "0")
    at = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=120)
    at.session_state["authentication_status"] = True
    at.session_state["username"] = username
    at.run()
    at.switch_page(PAGE)
    at.run()
    assert not at.exception, at.exception
    return at


@pytest.mark.parametrize(("username", "kinds"), [
    ("commissioner", ["board", "contract", "epop"]),
    ("provider", ["contract"]),
    ("spoc", ["epop"]),
])
def test_each_role_sees_only_its_packs(database_url, monkeypatch, username, kinds):
    at = _open(database_url, monkeypatch, username)
    assert at.selectbox(key="packs_kind").options == [KINDS[k] for k in kinds]


def test_provider_builds_its_contract_pack_and_can_download_it(database_url, monkeypatch):
    at = _open(database_url, monkeypatch, "provider")
    assert at.selectbox(key="packs_contract").options == ["GMIRS-WSS-LOT1"]  # its own contract only
    at.radio(key="packs_format").set_value("xlsx")
    at.button[0].click()
    at.run()
    assert not at.exception, at.exception
    assert any("Monthly contract pack" in s.value and "Data as of" in s.value for s in at.success)


def test_a_board_pack_for_a_period_after_the_data_is_refused_on_the_page(database_url, monkeypatch):
    import datetime as dt

    at = _open(database_url, monkeypatch, "commissioner")
    at.radio(key="packs_format").set_value("xlsx")
    at.date_input(key="packs_from").set_value(dt.date(2030, 4, 1))
    at.date_input(key="packs_to").set_value(dt.date(2030, 6, 30))
    at.button[0].click()
    at.run()
    assert not at.exception, at.exception
    assert any("starts after the data's as-of date" in e.value for e in at.error)
    assert not at.success
