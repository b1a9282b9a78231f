"""Security fixtures. The browser ones come from tests/browser/conftest.py; the attack server
gets its own demo database with hostile free text written into it before the server starts
(so no cache can hide it)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import select, update

from data_access.db import make_engine, session_scope
from data_access.models import EpopAction, EpopPlan, Hub, Referral
from tests.browser.conftest import ARTIFACTS, new_context, playwright_browser  # noqa: F401 - fixtures
from tests.browser.server import make_demo_database, start_server

HERE = Path(__file__).resolve().parent

#: Free text an importer or a user could put in front of other users. If any of it is
#: interpreted, ``window.__pwned`` is set, an <img src="x"> or a javascript: link appears.
HOSTILE_TEXT = (
    '<img src="x" onerror="window.__pwned=1">',
    "<script>window.__pwned=1</script>",
    "[click me](javascript:window.__pwned=1)",
    "**bold** <b>tag</b> ![i](x)",
)


def pytest_collection_modifyitems(config, items):
    for item in items:
        if Path(str(item.fspath)).resolve().is_relative_to(HERE) and "playwright_browser" in item.fixturenames:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def attack_server(playwright_browser, tmp_path_factory):  # noqa: F811 - fixture from tests.browser
    url = make_demo_database(tmp_path_factory.mktemp("attack_db") / "demo.db", 1500)
    engine = make_engine(url)
    with session_scope(engine) as session:
        ids = session.scalars(select(Referral.id).order_by(Referral.id).limit(len(HOSTILE_TEXT) * 20)).all()
        for n, referral_id in enumerate(ids):
            text = HOSTILE_TEXT[n % len(HOSTILE_TEXT)]
            session.execute(update(Referral).where(Referral.id == referral_id).values(
                end_requested_by_pp_reason=text, referral_ref=text[:40], caseworker_id=text[:60]))
        hub = session.scalars(select(Hub).order_by(Hub.id)).first()
        hub.name = "Bolton <img src=x onerror=window.__pwned=1> **hub**"
        # Imported EPOP text (issue 14: Markdown images and links in plan titles rendered).
        for n, plan in enumerate(session.scalars(select(EpopPlan).order_by(EpopPlan.id))):
            plan.title = f"Plan {n} ![i](x) [click me](javascript:window.__pwned=1) {HOSTILE_TEXT[n % len(HOSTILE_TEXT)]}"
        for n, action in enumerate(session.scalars(select(EpopAction).order_by(EpopAction.id).limit(40))):
            action.snapshot = "![i](x)"[:40]
            action.text = HOSTILE_TEXT[n % len(HOSTILE_TEXT)]
    engine.dispose()
    server = start_server(url, ARTIFACTS / "attack-server.log")
    yield server
    server.stop()


def run_coroutine(coroutine):
    """Run ``coroutine`` to completion in a thread of its own: a test run that has already
    driven a browser (Playwright's sync API) leaves an event loop running in the main thread,
    where ``asyncio.run`` refuses to start another."""
    import threading

    outcome: dict = {}

    def target() -> None:
        try:
            outcome["value"] = asyncio.run(coroutine)
        except BaseException as exc:  # re-raised in the caller's thread
            outcome["error"] = exc

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")
