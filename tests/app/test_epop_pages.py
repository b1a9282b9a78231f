"""AppTest for the three EPOP pages, for each role that may open them, through app.py."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
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


# --- Period filter, own region, agreement date (issue 19) -----------------------------------

def _as_of(at: AppTest) -> dt.date:
    caption = next(c.value for c in at.caption if str(c.value).startswith("Data as of"))
    return dt.datetime.strptime(caption.split(" · ")[0].removeprefix("Data as of "), "%d %B %Y").date()


def _summary_element(at: AppTest):
    return next(d for d in at.dataframe if "Agreed on" in d.value.columns)


def _summary(at: AppTest):
    return _summary_element(at).value


def _frame(value):
    return value


def _bold_rows(element) -> set[int]:
    """Rows the table's styler (sent beside the data as CSS) sets in bold."""
    import re

    css = element.proto.arrow_data.styler.styles
    return {int(row) for row, body in re.findall(r"_row(\d+)_col\d+[^{]*\{([^}]*)\}", css) if "bold" in body}


def test_national_period_counts_only_actions_due_in_it(app, database_url):
    at = app("national", "national")
    picker = at.selectbox(key="epop_period")
    assert picker.value == "All actions (any due date)"
    quarter = next(o for o in picker.options if o.startswith("Q3 2025/26"))
    assert quarter == "Q3 2025/26 (Oct–Dec 2025)"
    as_of = _as_of(at)
    picker.set_value(quarter).run()
    assert not at.exception
    summary = _frame(_summary(at))
    # By hand from the database: actions (not dropped) due 1 October to 31 December 2025, on or
    # before the as-of date, and of those the complete ones, over the 13 plans.
    engine = make_engine(database_url)
    with session_scope(engine) as session:
        rows = session.execute(select(EpopAction.due_date, EpopAction.status).join(EpopPlan, EpopPlan.id == EpopAction.plan_id)
                               .where(EpopPlan.scope.in_(("region", "approved_premises")))).all()
    due = [s for d, s in rows if d and dt.date(2025, 10, 1) <= d <= dt.date(2025, 12, 31) and d <= as_of and s != "dropped"]
    assert summary["Actions due"].sum() == len(due) > 0
    assert summary["Due and complete"].sum() == sum(s == "complete" for s in due)
    assert summary["No due date"].sum() == 0, "actions with no due date have no period"
    assert any("Actions due in: Q3 2025/26 (Oct–Dec 2025)" in str(c.value) for c in at.caption)
    assert at.query_params["due"] in ("2025-10-01_2025-12-31", ["2025-10-01_2025-12-31"])  # a code, not the label


def test_spoc_sees_own_region_starred_in_bold_and_hatched(app):
    at = app("spoc", "national")
    element = _summary_element(at)
    frame = element.value
    starred = [p for p in frame["Plan"] if p.startswith("★")]
    assert starred == ["★ J Greater Manchester (your region)"]
    assert _bold_rows(element) == {list(frame["Plan"]).index(starred[0])}, "only the own region's row is bold"
    import json

    bars = json.loads(next(c for c in at.get("plotly_chart") if c.proto.id.endswith("fig_epop_national_completion")).proto.spec)
    trace = bars["data"][0]
    hatched = [y for y, shape in zip(trace["y"], trace["marker"]["pattern"]["shape"]) if shape == "/"]
    assert hatched == ["★ J Greater Manchester (your region)"], "the own region's bar is hatched"
    # A national user has no region of their own: nothing is starred.
    element = _summary_element(app("national", "national"))
    assert not any(p.startswith("★") for p in element.value["Plan"]) and not _bold_rows(element)


def test_agreement_date_is_shown_on_both_pages(app):
    # Demo Greater Manchester: commenced 1 April 2025, agreed by the region on day 75
    # (15 June 2025) and centrally on day 85 (25 June 2025): agreed on the later, 25 June.
    at = app("spoc", "region")
    agreed = next(m for m in at.metric if m.label == "Plan agreed on")
    assert agreed.value == "25 Jun 2025"
    assert any("Agreed by the region on 15 Jun 2025; by the central team on 25 Jun 2025." in str(c.value)
               for c in at.caption)
    frame = _frame(_summary(app("national", "national"))).set_index("Plan")
    assert str(frame.loc["J Greater Manchester", "Agreed on"]) == "2025-06-25"
    # K is agreed by the region only (day 88): not yet agreed, so no date.
    assert pd.isna(frame.loc["K North West", "Agreed on"]) or frame.loc[
        "K North West", "Agreed on"] in ("–", None)


def test_region_period_filters_the_timeline(app):
    at = app("spoc", "region")
    picker = at.selectbox(key="epop_period")
    year = next(o for o in picker.options if o.startswith("2025/26"))
    picker.set_value(year).run()
    assert not at.exception
    assert any(f"Actions due in {year}:" in str(c.value) for c in at.caption)
    assert any("0 with no due date" in str(c.value) for c in at.caption)
