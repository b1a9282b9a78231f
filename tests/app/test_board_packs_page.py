"""AppTest for the Board packs page: what each role may build, and a build to download."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.conftest import mark_signed_in

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
    mark_signed_in(at, username)
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
