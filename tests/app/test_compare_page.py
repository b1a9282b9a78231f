"""AppTest for the Compare areas page (issue 17 part 2): it renders for every role that may open
it, shows what ``metrics.panels`` computes for the user's view, keeps a provider to its own
areas, keeps its choices in the address, and the CLI prints the same figures."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest
from sqlalchemy import select

from data_access.db import make_engine, session_scope
from data_access.models import Borough, ContractBorough, Contract, Provider, User
from data_access.settings import PROJECT_ROOT
from metrics import panels
from metrics.__main__ import main as cli
from tests.app.conftest import mark_signed_in
from tests.app.test_pages import expected_panel, text_of
from ui.navigation import PAGES

PAGE = str(PROJECT_ROOT / "app_pages/compare.py")


@pytest.fixture()
def env(app_env):
    return make_engine(app_env)


def open_compare(username: str, query: dict | None = None):
    from streamlit.testing.v1 import AppTest

    at = mark_signed_in(AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=180), username)
    at.run()
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.switch_page(PAGE)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def frames(at) -> list[pd.DataFrame]:
    return [d.value for d in at.dataframe]


def test_the_page_is_registered_for_commissioner_provider_and_admin_only():
    spec = next(s for s in PAGES if s.path == "app_pages/compare.py")
    assert spec.roles == {"commissioner", "provider", "admin"}


@pytest.mark.parametrize("username", ["commissioner", "provider", "admin"])
def test_the_page_renders_the_table_and_matrix_the_panels_compute(env, username):
    at = open_compare(username)
    assert at.title[0].value == "Compare areas"
    code, by = at.selectbox(key="compare_code").value, at.radio(key="compare_by").value
    expected = expected_panel(env, username, panels.compare_areas_panel, code=code, by=by)
    matrix = expected_panel(env, username, panels.compare_matrix_panel, by=by)
    shown = frames(at)
    assert any(f.equals(expected.data) for f in shown), "the comparison table is what compare_areas_panel gives"
    assert any(f.equals(matrix.data) for f in shown), "the matrix is what compare_matrix_panel gives"
    text = text_of(at)
    assert expected.title in text and matrix.title in text
    assert "Data as of" in text
    for f in shown:  # "no data" / "–" / "not shown", never an empty cell
        assert not f.isna().any().any()
    assert len(at.get("plotly_chart")) == 1  # the funnel plot


def test_a_provider_sees_only_its_own_areas_and_never_another_provider(env):
    with session_scope(env) as session:
        provider_id = session.scalar(select(User.provider_id).where(User.username == "provider"))
        own = session.scalar(select(Provider.name).where(Provider.id == provider_id))
        others = set(session.scalars(select(Provider.name).where(Provider.id != provider_id)))
        boroughs = set(session.scalars(select(Borough.name).join(ContractBorough, ContractBorough.borough_id == Borough.id)
                                       .join(Contract, Contract.id == ContractBorough.contract_id)
                                       .where(Contract.provider_id == provider_id)))
        all_boroughs = set(session.scalars(select(Borough.name)))
    assert others and boroughs < all_boroughs  # the check below could fail
    at = open_compare("provider")
    table = frames(at)[0]
    assert set(table["area"]) <= boroughs | {"No borough recorded"}
    at.radio(key="compare_by").set_value("provider").run()
    assert not at.exception
    for frame in frames(at):
        assert set(frame["area"]) == {own}
    text = text_of(at) + " ".join(frame.to_csv() for frame in frames(at))
    assert not any(name in text for name in others)


def test_the_choices_are_read_from_and_kept_in_the_address(env):
    at = open_compare("commissioner", query={"measure": "DS3", "by": "hub"})
    assert at.selectbox(key="compare_code").value == "DS3"
    assert at.radio(key="compare_by").value == "hub"
    at.selectbox(key="compare_code").set_value("KP4").run()
    assert at.query_params["measure"] == ["KP4"] or at.query_params["measure"] == "KP4"
    expected = expected_panel(env, "commissioner", panels.compare_areas_panel, code="KP4", by="hub")
    assert frames(at)[0].equals(expected.data)


@pytest.mark.parametrize(("code", "by"), [("DS2", "borough"), ("KP4", "hub")])
def test_the_cli_prints_the_figures_the_page_shows(env, code, by):
    at = open_compare("commissioner", query={"measure": code, "by": by})
    page = frames(at)[0]
    out = io.StringIO()
    assert cli(["compare", "--code", code, "--by", by, "--format", "json"], out=out) == 0
    printed = json.loads(out.getvalue())
    assert pd.DataFrame(printed["areas"]).equals(page)
    assert printed["title"] in text_of(at)
