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


def test_a_pack_for_part_of_a_month_is_refused_on_the_page_with_the_rule(database_url, monkeypatch):
    """docs/DISCLOSURE.md "Custom periods": packs cover whole calendar months."""
    import datetime as dt

    at = _open(database_url, monkeypatch, "commissioner")
    at.date_input(key="packs_from").set_value(dt.date(2024, 4, 3))
    at.date_input(key="packs_to").set_value(dt.date(2024, 5, 31))
    at.run()
    assert not at.exception, at.exception
    assert any("whole calendar months" in e.value and "The nearest is 01 Apr 2024 – 31 May 2024" in e.value
               for e in at.error), [e.value for e in at.error]
    assert not [b for b in at.button if b.label == "Build the pack"]  # nothing to build


def test_commentary_entered_on_the_board_summary_is_carried_into_the_pack(database_url, monkeypatch):
    import datetime as dt

    from data_access.db import make_engine
    from data_access.scoping import analyst_scope
    from data_access.settings import Settings
    from reports.build import gather
    from reports.pack_data import period_for

    at = _open(database_url, monkeypatch, "commissioner")
    at.switch_page(str(PROJECT_ROOT / "app_pages/board_summary.py"))
    at.run()
    assert not at.exception, at.exception
    assert any("None entered for this period and view yet." in i.value for i in at.info)
    form_kind = next(s for s in at.selectbox if s.label == "Kind")
    form_kind.set_value("early_warning")
    next(t for t in at.text_area if t.label == "What the board should know").input("Oldham referrals falling")
    # An early warning without its owner is refused, with the reason.
    next(t for t in at.text_input if t.label == "Action").input("Meet the Oldham PDU head")
    at.button(key="FormSubmitter:board_commentary-Add").click()
    at.run()
    assert any("needs the action, who owns it" in e.value for e in at.error)
    next(s for s in at.selectbox if s.label == "Kind").set_value("early_warning")
    next(t for t in at.text_area if t.label == "What the board should know").input("Oldham referrals falling")
    next(t for t in at.text_input if t.label == "Action").input("Meet the Oldham PDU head")
    next(t for t in at.text_input if t.label == "Owner").input("GMCA commissioner")
    next(d for d in at.date_input if d.label == "Due").set_value(dt.date(2026, 5, 1))
    at.button(key="FormSubmitter:board_commentary-Add").click()
    at.run()
    assert not at.exception, at.exception
    page = " ".join(m.value for m in at.markdown)
    assert "Oldham referrals falling" in page and "owner: GMCA commissioner" in page

    # The pack for the same period and view prints it, signed and dated.
    engine = make_engine(database_url)
    try:
        from sqlalchemy import select

        from data_access.db import session_scope
        from data_access.models import BoardCommentary
        with session_scope(engine) as session:
            entry = session.scalars(select(BoardCommentary)).one()
            start, end = entry.period_start, entry.period_end
        pack = gather(engine, "board", period=period_for(start, end), scope=analyst_scope(), settings=Settings())
    finally:
        engine.dispose()
    lines = list(pack.table("Summary").frame["Summary"])
    assert any("Oldham referrals falling" in line and "owner: GMCA commissioner" in line and "by 01 May 2026" in line
               for line in lines), lines
    assert not any(line.startswith("Early warnings (action, owner, date): None entered") for line in lines)
