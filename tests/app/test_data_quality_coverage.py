"""Data quality page: the referral dates the R&M downloads cover, and the SL002 warning when a
window is missing (issue 13 part 6)."""

from __future__ import annotations

import datetime as dt

import pytest

from data_access.db import make_engine, session_scope
from data_access.importers.ram import import_ram_performance
from data_access.models import User
from data_access.settings import PROJECT_ROOT
from data_access.setup import initialise
from tests.app.conftest import signed_in_app
from tests.integration.test_import_ram_downloads import to_csv
from ui import context

PAGE = str(PROJECT_ROOT / "app_pages" / "data_quality.py")


def received(days: list[dt.date]) -> list[dict[str, str]]:
    """One new referral received on each day (nothing else has happened to it yet)."""
    return [{"referral_ref": f"W{day:%Y%m%d}", "referral_id": f"w-{day:%Y%m%d}", "contract_ref": "GMIRS-WSS-LOT1",
             "organisation_id": "ORG-W", "service_user_crn": "X000001",
             "date_referral_received": f"{day:%Y-%m-%d}T10:00:00Z", "saa_attended_on_time": "false"} for day in days]


def every(first: dt.date, last: dt.date, step: int = 9) -> list[dt.date]:
    days = [first + dt.timedelta(days=n) for n in range(0, (last - first).days + 1, step)]
    return days if days[-1] == last else [*days, last]


# From the service's start (4 Sep 2023) to 28 Mar 2024, and 3 Jun to 25 Sep 2024: April and May are missing.
FIRST = received(every(dt.date(2023, 9, 4), dt.date(2024, 3, 28)))
LAST = received(every(dt.date(2024, 6, 3), dt.date(2024, 9, 25)))
MISSING = received(every(dt.date(2024, 3, 20), dt.date(2024, 6, 5)))


@pytest.fixture()
def gap_db(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'coverage.db'}"
    engine = make_engine(url)
    initialise(engine)
    with session_scope(engine) as session:
        session.add(User(username="commissioner", display_name="Commissioner", role="commissioner",
                         password_hash="not used: sign-in is set in session state"))
    for name, rows in (("sep-mar.csv", FIRST), ("jun-sep.csv", LAST)):
        assert import_ram_performance(engine, to_csv(rows), file_name=name, user="commissioner").ok
    monkeypatch.setenv("DASHBOARD_DATABASE_URL", url)
    monkeypatch.setenv("DASHBOARD_SEED_DEMO", "0")
    monkeypatch.delenv("DASHBOARD_COOKIE_KEY", raising=False)
    yield engine
    engine.dispose()


def open_data_quality():
    at = signed_in_app("commissioner")
    at.run()
    at.switch_page(PAGE)
    at.run()
    return at


def page_text(at) -> str:
    parts = [m.value for m in at.markdown] + [s.value for s in at.subheader] + [c.value for c in at.caption]
    return "\n".join(str(p) for p in parts)


def test_a_missing_window_warns_and_importing_it_clears_the_warning(gap_db):
    at = open_data_quality()
    assert not at.exception, at.exception
    warnings = [w.value for w in at.warning]
    assert any("SL002 may be incomplete for 3 months" in w and "Jul 2024, Aug 2024, Sep 2024" in w for w in warnings), warnings
    shown = page_text(at)
    assert "cover referrals received 4 Sep 2023 to 28 Mar 2024, 3 Jun 2024 to 25 Sep 2024" in shown
    tables = [t.value for t in at.dataframe]
    assert any("29 Mar 2024 to 2 Jun 2024" in set(map(str, t.get("uncovered", []))) for t in tables)

    assert import_ram_performance(gap_db, to_csv(MISSING), file_name="mar-jun.csv", user="commissioner").ok
    context.data_version.clear()  # as when its 15 seconds have passed: the page sees the new import
    at = open_data_quality()
    assert not at.exception, at.exception
    assert not any("SL002 may be incomplete" in w.value for w in at.warning), [w.value for w in at.warning]
    assert "Every month's SL002 cohort lies within the imported Refer and Monitor windows" in page_text(at)
