"""AppTest for the three EPOP pages, for each role that may open them, through app.py."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from tests.app.conftest import mark_signed_in

from data_access import epop
from data_access.db import make_engine, session_scope
from data_access.demo import create_demo_users
from data_access.epop_demo import seed_epop_demo
from data_access.models import DatasetMeta, EpopAction, EpopPlan, User
from data_access.settings import PROJECT_ROOT
from data_access.setup import initialise
from sqlalchemy import select

PAGES = {"national": "app_pages/epop_national.py", "region": "app_pages/epop_region.py", "inspection": "app_pages/epop_inspection.py"}
EPOP_ROLES = {"spoc": "epop_spoc", "national": "epop_national", "admin": "admin"}


@pytest.fixture(scope="module")
def database_url(tmp_path_factory):
    path = tmp_path_factory.mktemp("epop_app") / "app.db"
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    initialise(engine)
    with session_scope(engine) as session:
        seed_epop_demo(session, np.random.default_rng(11), as_of=dt.date(2026, 3, 31))
        create_demo_users(session)
        # Demo accounts sign in only to a database marked as the demo (issue 14).
        session.add(DatasetMeta(key="demo", value="{}"))
    engine.dispose()
    return url


@pytest.fixture()
def app(database_url, monkeypatch):
    monkeypatch.setenv("DASHBOARD_DATABASE_URL", database_url)
    monkeypatch.setenv("DASHBOARD_SEED_DEMO", "0")

    def signed_in(username: str, page: str | None = None) -> AppTest:
        at = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=60)
        mark_signed_in(at, username)
        at.run()
        if page:
            at.switch_page(str(PROJECT_ROOT / PAGES[page]))
            at.run()
        assert not at.exception, at.exception
        return at

    return signed_in


def _text(at: AppTest) -> str:
    parts = [e.value for e in at.markdown] + [e.value for e in at.caption] + [e.value for e in at.subheader]
    parts += [e.value for e in at.title] + [str(e.value) for e in at.error] + [str(e.value) for e in at.info]
    return "\n".join(str(p) for p in parts)


@pytest.mark.parametrize("username", list(EPOP_ROLES))
@pytest.mark.parametrize("page", list(PAGES))
def test_each_page_renders_for_each_epop_role(app, username, page):
    at = app(username, page)
    assert not at.exception
    text = _text(at)
    assert "Data as of" in text  # every panel states its as-of date
    if page == "national":
        assert "plans were agreed within 90 days" in text and "Share of due actions complete" in text
    if page == "inspection":
        assert "6 of 6 recommendations agreed" in text
        assert "slipped for 3 of 6 recommendations" in text


def test_commissioner_reaches_inspection_page_only(app):
    from ui.navigation import pages_for

    registered = {spec.path for specs in pages_for("commissioner").values() for spec in specs}
    assert PAGES["inspection"] in registered
    assert PAGES["national"] not in registered and PAGES["region"] not in registered
    at = app("commissioner", "inspection")
    assert "recommendations agreed" in _text(at)


def test_provider_reaches_no_epop_page():
    from ui.navigation import pages_for

    registered = {spec.path for specs in pages_for("provider").values() for spec in specs}
    assert not registered & set(PAGES.values())


def test_spoc_sees_own_plan_and_form(app):
    at = app("spoc", "region")
    text = _text(at)
    assert "Greater Manchester Regional EPOP Action Plan" in text
    assert "Record an update" in text
    assert not any(s.key == "epop_region_plan" for s in at.selectbox)  # a SPOC cannot pick another plan


def test_national_can_view_other_plans_but_spoc_cannot_update_them(app, database_url):
    # The SPOC's update form only appears on its own plan; data_access refuses the rest.
    at = app("national", "region")
    picker = next(s for s in at.selectbox if s.key == "epop_region_plan")
    picker.set_value("L London").run()
    assert "London Regional EPOP Action Plan" in _text(at)
    assert "Record an update" in _text(at)  # national may update any plan
    engine = make_engine(database_url)
    with session_scope(engine) as session:
        spoc = session.scalar(select(User).where(User.username == "spoc"))
        london = session.scalar(select(EpopAction).join(EpopPlan, EpopPlan.id == EpopAction.plan_id).where(EpopPlan.region_code == "L"))
        with pytest.raises(PermissionError):
            epop.record_action_update(session, spoc, london.id, london.version, "complete", 100, "not mine", None)


def test_update_saves_then_version_clash_is_refused(app, database_url):
    at = app("spoc", "region")
    form_status = next(s for s in at.selectbox if s.label == "Status")
    form_status.set_value("in progress")
    at.text_area[0].input("Booked the venue")
    at.button(key="FormSubmitter:epop_update_form-Save update").click().run()
    assert any("Saved" in str(s.value) for s in at.success), _text(at)

    # Someone else saves the same action meanwhile.
    action_label = next(s for s in at.selectbox if s.key == "epop_edit_action").value
    engine = make_engine(database_url)
    with session_scope(engine) as session:
        national = session.scalar(select(User).where(User.username == "national"))
        gm = epop.region_plan_id(session, "J")
        actions = epop.action_frame(session, [gm])
        action_id = int(action_label.rsplit("[#", 1)[1].rstrip("]"))
        row = actions.set_index("action_id").loc[action_id]
        epop.record_action_update(session, national, action_id, int(row.version), "blocked", 60, "Venue fell through", None)

    at.text_area[0].input("Second attempt on the old version")
    at.button(key="FormSubmitter:epop_update_form-Save update").click().run()
    errors = "\n".join(str(e.value) for e in at.error)
    assert "Not saved" in errors and "is now version" in errors


def test_saving_again_after_a_clash_keeps_the_editors_own_status(app, database_url):
    """Issue 14: the retry after a conflict saved the other person's status as the editor's."""
    at = app("spoc", "region")
    action_label = next(s for s in at.selectbox if s.key == "epop_edit_action").value
    action_id = int(action_label.rsplit("[#", 1)[1].rstrip("]"))
    next(s for s in at.selectbox if s.label == "Status").set_value("in progress")
    engine = make_engine(database_url)
    with session_scope(engine) as session:  # someone else saves "blocked" after the form was drawn
        national = session.scalar(select(User).where(User.username == "national"))
        row = epop.action_frame(session, [epop.region_plan_id(session, "J")]).set_index("action_id").loc[action_id]
        epop.record_action_update(session, national, action_id, int(row.version), "blocked", 60, "Venue fell through", None)
    at.text_area[0].input("Booked the venue")
    at.button(key="FormSubmitter:epop_update_form-Save update").click().run()
    assert "Not saved" in "\n".join(str(e.value) for e in at.error)
    # The form is redrawn from the re-read action, with the editor's own choice kept.
    assert next(s for s in at.selectbox if s.label == "Status").value == "in progress"
    at.button(key="FormSubmitter:epop_update_form-Save update").click().run()
    assert any("Saved: the action is now 'in progress'" in str(s.value) for s in at.success), _text(at)
    with session_scope(engine) as session:
        latest = epop.action_frame(session, [epop.region_plan_id(session, "J")]).set_index("action_id").loc[action_id]
    assert latest.status == "in progress"
