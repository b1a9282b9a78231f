"""Browser fixtures: one real server for the whole session, one headless Chromium, one signed-in
browser context per role.

Every test under tests/browser is marked ``browser``. They are skipped, saying how to enable
them, when Debian's Chromium or the ``playwright`` package is missing. Screenshots go to
``test-artifacts/browser/`` (git-ignored), with the server's log.

A browser test that fails is run once more (pytest-rerunfailures; the report says ``RERUN``)
and fails the suite only if it fails twice. These tests drive a real server and a real browser
on a 2-core CI machine, where a keypress can occasionally be lost while Streamlit re-renders;
one lost event must not hide a day's work, and a real fault fails both times. Each failure
also saves a screenshot and the page's text beside the server log, and puts that text in the
report, so a failure in CI can be read from its output.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from data_access.settings import PROJECT_ROOT
from tests.browser import streamlit_page as sp
from tests.browser.server import RunningServer, make_demo_database, start_server

ARTIFACTS = PROJECT_ROOT / "test-artifacts" / "browser"
HERE = Path(__file__).resolve().parent
DEMO_REFERRALS = 3000


BROWSER_RERUNS = 1


def pytest_collection_modifyitems(config, items):
    for item in items:
        if Path(str(item.fspath)).resolve().is_relative_to(HERE):
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.flaky(reruns=BROWSER_RERUNS))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call" and report.failed:
        for n, page in enumerate(sp.open_pages()):
            text = sp.describe_page(page, ARTIFACTS / f"failed-{item.name}-{n}".replace("/", "_"))
            report.sections.append((f"page {n} when {item.name} failed", text))
    return report


def _why_no_browser() -> str | None:
    if not sp.CHROMIUM.exists():
        return (f"no Chromium at {sp.CHROMIUM}: install Debian's (apt-get install chromium chromium-driver) "
                "or set DASHBOARD_TEST_CHROMIUM to a Chromium binary")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is missing: python -m pip install -r requirements.txt"
    return None


@pytest.fixture(scope="session")
def playwright_browser():
    reason = _why_no_browser()
    if reason:
        pytest.skip(f"browser tests skipped: {reason}")
    yield sp.shared_browser()
    sp.close_shared_browser()  # idempotent: tests/security shares the same browser


@pytest.fixture(scope="session")
def live_server(playwright_browser, tmp_path_factory) -> Iterator[RunningServer]:
    """``streamlit run serve.py`` on a free loopback port against a fresh demo database, once warm."""
    url = make_demo_database(tmp_path_factory.mktemp("browser_db") / "demo.db", DEMO_REFERRALS)
    server = start_server(url, ARTIFACTS / "server.log")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def new_context(playwright_browser):
    """Factory for a fresh browser context (own cookies, own Streamlit session); closed at the end."""
    contexts = []

    def make(**options):
        options.setdefault("viewport", {"width": 1400, "height": 1000})
        options.setdefault("accept_downloads", True)
        context = playwright_browser.new_context(**options)
        context.set_default_timeout(60_000)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        try:
            context.close()
        except Exception:  # noqa: BLE001 - already closed with its page, or with the browser
            pass


@pytest.fixture(scope="session")
def role_page(live_server, new_context):
    """``role_page(role)``: a page signed in as that role's demo user, one per role per session.

    Tests that change filters or other state in it put them back, or use their own context.
    """
    pages = {}

    def get(role: str):
        if role not in pages:
            page = new_context().new_page()
            sp.sign_in(page, live_server.base_url, sp.DEMO_USERS[role])
            pages[role] = page
        return pages[role]

    return get


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
