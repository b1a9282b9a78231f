"""The replica warm-up (ui.warm, run by serve.py): after it, no page's first view computes a panel."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys

import pytest

from data_access.db import make_engine, session_scope
from data_access.models import AuditLog
from data_access.settings import PROJECT_ROOT, Settings
from tests.app.conftest import signed_in_app
from tests.conftest import POSTGRES_URL
from ui import navigation, panel_data, warm

#: Panels listing the signed-in provider's own imports: keyed on the user, so not warmed.
PER_USER_PANELS = {"import_freshness", "last_imports", "ram_download_windows", "sl002_coverage"}
WARMED_PAGES = ("overview", "board", "kpis", "referrals", "complexity", "outcomes", "equalities", "finance",
                "data-quality", "compare", "cases-due")


def _page_path(url_path: str) -> str:
    return str(PROJECT_ROOT / next(spec.path for spec in navigation.PAGES if spec.url_path == url_path))


def _open(username: str, url_path: str):
    """Sign in (the landing page runs), then open ``url_path``."""
    at = signed_in_app(username).run()
    at.switch_page(_page_path(url_path))
    return at.run()


@pytest.fixture()
def warmed(app_env):
    status = warm.warm_up(Settings.from_env(), status=warm.Readiness())
    assert status.state == "ready", status.error
    return status


def test_warm_up_covers_every_scope_of_the_demo_users(warmed):
    # Demo users who see referral data: commissioner, provider (one provider) and admin; the two
    # EPOP accounts see no referral data, so have no panels to warm.
    assert warmed.scopes == 3
    assert warmed.panels > 50
    assert warmed.seconds is not None and warmed.seconds > 0


@pytest.mark.parametrize("username", ["commissioner", "provider", "admin"])  # each demo username is its role
def test_no_page_computes_a_panel_on_its_first_view_after_the_warm_up(warmed, username):
    titles = set()
    for url_path in WARMED_PAGES:
        role_pages = {spec.url_path for specs in navigation.pages_for(username).values() for spec in specs}
        if url_path not in role_pages:
            continue
        before = panel_data.computed.copy()
        at = _open(username, url_path)
        assert not at.exception, (url_path, at.exception)
        titles.add(at.title[0].value)  # each page has its own: the page asked for did run
        missed = set((panel_data.computed - before).elements())
        if username == "provider" and url_path == "data-quality":
            missed -= PER_USER_PANELS  # a provider's own imports: per user, not shared, not warmed
        assert not missed, f"{username} on {url_path}: computed {sorted(missed)} after the warm-up"
    assert len(titles) >= 7


def test_a_view_the_warm_up_did_not_cover_is_computed_on_demand(warmed):
    """The counter the test above relies on does count: another filter computes."""
    before = sum(panel_data.computed.values())
    at = _open("commissioner", "complexity")
    at.sidebar.selectbox(key="filter_complexity").set_value("HIGH").run()
    assert not at.exception
    assert sum(panel_data.computed.values()) > before


def test_page_imports_are_read_from_the_page_files():
    modules = warm.page_imports()
    assert {"metrics.panels", "ui.charts", "geo.maps", "reports.build", "streamlit"} <= set(modules)
    assert "__future__" not in modules


def test_the_warm_up_declares_no_custom_component():
    """A component declared outside a page run is never registered (its files answer 404): the
    sign-in cookie was once never stored because the warm-up imported the library that declared
    its component. In a fresh interpreter, so nothing is imported yet."""
    code = """
import json
import streamlit.components.v1 as components
declared = []
def spy(name, *args, **kwargs):  # records the declaration; nothing here renders a component
    declared.append(name)
components.declare_component = spy
from ui import warm
warm.import_page_libraries()
during = list(declared)
import extra_streamlit_components  # control: a library that declares one at import is seen
print(json.dumps([during, declared]))
"""
    result = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True,
                            timeout=120, check=True)
    during, after = json.loads(result.stdout.strip().splitlines()[-1])
    assert during == []
    assert after, "the detector sees a component declared at import"


def test_a_failed_warm_up_is_retried_until_it_succeeds(monkeypatch):
    outcomes = iter(["failed", "failed", "ready"])
    waits: list[float] = []

    def fake_warm_up(settings, *, status):
        status.update(state=next(outcomes))
        return status

    monkeypatch.setattr(warm, "warm_up", fake_warm_up)
    status = warm.warm_up_until_ready(None, status=warm.Readiness(), sleep=waits.append)
    assert status.state == "ready"
    assert waits == [warm.RETRY_SECONDS[0], warm.RETRY_SECONDS[1]]


def test_a_database_that_cannot_be_reached_is_reported_not_raised(monkeypatch):
    monkeypatch.setenv("DASHBOARD_DATABASE_URL", "postgresql://nobody@127.0.0.1:1/nothing")  # nothing listens
    monkeypatch.setenv("DASHBOARD_SEED_DEMO", "0")
    status = warm.warm_up(Settings.from_env(), status=warm.Readiness())
    assert status.state == "failed"
    assert status.error


def test_readiness_endpoint_answers_503_until_ready(monkeypatch, app_env):
    status = warm.Readiness()
    monkeypatch.setattr(warm, "readiness", status)
    monkeypatch.setattr(warm, "_probe", warm._Probe())
    response = asyncio.run(warm.ready_endpoint(None))
    assert response.status_code == 503
    assert json.loads(response.body) == {"ready": False, "state": "starting"}
    status.update(state="ready", seconds=1.5, scopes=2, panels=40)
    response = asyncio.run(warm.ready_endpoint(None))
    assert response.status_code == 200
    # Only whether it is ready: no timings, scope counts or database details for the anonymous.
    assert json.loads(response.body) == {"ready": True, "state": "ready"}
    assert response.headers["cache-control"] == "no-store"


def test_readiness_reveals_nothing_about_a_failed_database(monkeypatch):
    monkeypatch.setenv("DASHBOARD_DATABASE_URL", "postgresql://secret_role@127.0.0.1:1/secret_db")
    status = warm.Readiness()
    status.update(state="failed", error="OperationalError: connection to 127.0.0.1 as secret_role failed")
    monkeypatch.setattr(warm, "readiness", status)
    response = asyncio.run(warm.ready_endpoint(None))
    assert response.status_code == 503
    assert b"secret" not in response.body and b"127.0.0.1" not in response.body


@pytest.mark.skipif(not POSTGRES_URL, reason="needs DASHBOARD_TEST_POSTGRES_URL")
def test_readiness_goes_unready_when_the_database_goes_away(monkeypatch):
    from data_access.schema import upgrade
    from tests.conftest import _drop_postgres, _private_postgres

    name, engine = _private_postgres(POSTGRES_URL)
    try:
        upgrade(engine)
        monkeypatch.setenv("DASHBOARD_DATABASE_URL", engine.url.render_as_string(hide_password=False))
        engine.dispose()
        status = warm.Readiness()
        status.update(state="ready")
        monkeypatch.setattr(warm, "readiness", status)
        monkeypatch.setattr(warm, "_probe", warm._Probe())
        assert asyncio.run(warm.ready_endpoint(None)).status_code == 200
    finally:
        _drop_postgres(POSTGRES_URL, name)  # the database goes away (its connections are ended)
    monkeypatch.setattr(warm, "_probe", warm._Probe())  # past the probe's 5 s cache
    response = asyncio.run(warm.ready_endpoint(None))
    assert response.status_code == 503
    assert json.loads(response.body) == {"ready": False, "state": "database unreachable"}


def test_new_data_is_warmed_again_once_its_version_shows(warmed, app_env):
    """An audited edit (like an import) changes the data version every cache key holds: the
    keep-warm loop computes the new version's first views; with no change it computes nothing."""
    from ui.context import data_version

    settings = Settings.from_env()
    rounds = iter([False, False, True])  # two rounds, then stop
    engine = make_engine(app_env)
    with session_scope(engine) as session:
        session.add(AuditLog(actor="admin", action="target_changed", entity="kpi", entity_id="DS1"))
    data_version.clear()  # as if the pages' 15-second version check had come round
    before = sum(panel_data.computed.values())
    warm.keep_warm(settings, status=warmed, sleep=lambda _s: None, stop=lambda: next(rounds))
    assert warmed.rewarms == 1  # the second round found no change
    rewarmed = sum(panel_data.computed.values()) - before
    assert rewarmed > 50  # the first views' distinct panels (some pages share one)
    at = _open("commissioner", "board")  # the pages read the new version's panels from the cache
    assert not at.exception
    assert sum(panel_data.computed.values()) - before == rewarmed
