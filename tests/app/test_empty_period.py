"""Every page when the period shown has no referrals: an explained empty state, never a crash.

The default period is the latest quarter up to the latest event in the data. When that event is
an exit or a report long after the last referral (as after importing a late report), the quarter
has no referrals, and every panel on the page is empty. The charts used to be built from those
empty frames and failed (KeyError on a missing column), taking the page down; seen under load
on the 1,000,000-referral benchmark database.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, update

from data_access.db import make_engine, session_scope
from data_access.kpi_summary import refresh_after_change
from data_access.models import Referral
from data_access.settings import PROJECT_ROOT
from tests.app.conftest import signed_in_app
from tests.browser.server import make_demo_database
from ui import navigation

PAGES = ("board", "referrals", "complexity", "kpis", "outcomes", "equalities", "finance", "data-quality",
         "overview", "compare")

#: Pages whose panels all count referrals in the period: each says so instead of drawing.
EMPTY_PANELS_EXPLAINED = {"board", "complexity", "outcomes", "equalities", "referrals"}


@pytest.fixture(scope="module")
def quiet_quarter_url(tmp_path_factory) -> str:
    url = make_demo_database(tmp_path_factory.mktemp("quiet") / "quiet.db", referrals=800)
    engine = make_engine(url)
    with session_scope(engine) as session:
        last_received = session.scalar(select(func.max(Referral.received_on)))
        first_id = session.scalar(select(func.min(Referral.id)))
        # One end-of-service report a year after the last referral: the default quarter moves
        # past every referral.
        session.execute(update(Referral).where(Referral.id == first_id).values(
            eosr_submitted_on=last_received.replace(year=last_received.year + 1)))
    # As an import of that report would: the stored summary (and the data's as-of date it holds)
    # is rebuilt; an UPDATE by hand changes no version the app watches.
    refresh_after_change(engine)
    engine.dispose()
    return url


@pytest.mark.parametrize("url_path", PAGES)
def test_a_page_whose_period_has_no_referrals_explains_itself(quiet_quarter_url, monkeypatch, url_path):
    monkeypatch.setenv("DASHBOARD_DATABASE_URL", quiet_quarter_url)
    monkeypatch.setenv("DASHBOARD_SEED_DEMO", "0")
    at = signed_in_app("commissioner").run()
    at.switch_page(str(PROJECT_ROOT / next(s.path for s in navigation.PAGES if s.url_path == url_path)))
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    if url_path in EMPTY_PANELS_EXPLAINED:
        assert any("Nothing matches" in str(i.value) for i in at.info), [i.value for i in at.info]
