"""Attacks through the app itself (AppTest, no browser): pages by URL, tampered query
parameters, no sign-in, repeated wrong passwords from fresh sessions, SQL metacharacters in
every filter and every imported text field, spreadsheet formulas in downloads.

Cookie forgery and free text rendered in a real DOM need a browser: test_browser_attacks.py.
"""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest
from sqlalchemy import func, inspect, select
from streamlit.testing.v1 import AppTest

from data_access.db import make_engine, session_scope
from data_access.models import Contract, Referral, User
from domain.export import safe_csv_bytes
from tests.app.conftest import APP, app_env, demo_db_url, signed_in_app  # noqa: F401 - fixtures
from ui import state
from ui.navigation import PAGES, pages_for

SQL_METACHARACTERS = (
    "' OR '1'='1",
    "1; DROP TABLE referrals; --",
    '" OR ""="',
    "%' UNION SELECT password_hash FROM users --",
    "\\'; --",
    "GMIRS-WSS-LOT1' --",
)
FORMULAS = ("=HYPERLINK(\"http://evil\",\"x\")", "+SUM(A1:A9)", "-2+3", "@SUM(1)", "=cmd|' /C calc'!A0")


def _run(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _titles(at: AppTest) -> list[str]:
    return [t.value for t in at.title]


def _figures(at: AppTest) -> list[str]:
    """Everything the page states as a finding or a number (headings, metrics, captions)."""
    return ([m.value for m in at.metric] + [s.value for s in at.subheader]
            + [c.value for c in at.caption])


# ---------------------------------------------------------------------------------------------
# Pages a role may not use, and no sign-in at all
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("role_user", ["provider", "commissioner", "spoc", "national"])
def test_a_page_outside_the_role_cannot_be_opened_by_its_path(app_env, role_user):
    role = {"spoc": "epop_spoc", "national": "epop_national"}.get(role_user, role_user)
    allowed = {s.path for specs in pages_for(role).values() for s in specs}
    forbidden = [spec for spec in PAGES if spec.path not in allowed]
    assert forbidden, role
    for spec in forbidden:
        at = signed_in_app(role_user)
        try:
            at.switch_page(spec.path).run()
        except Exception:  # noqa: BLE001 - AppTest refuses a page st.navigation never registered
            continue
        assert spec.title not in _titles(at), f"{role_user} opened {spec.path}"


def test_without_signing_in_no_page_runs(app_env):
    for spec in PAGES:
        at = AppTest.from_file(APP, default_timeout=60)
        try:
            at.switch_page(spec.path).run()
        except Exception:  # noqa: BLE001 - not registered before sign-in
            continue
        assert _titles(at) == ["Greater Manchester probation commissioning dashboard"], spec.path
        assert len(at.sidebar.children) == 0, spec.path
        assert at.text_input(key="sign_in_password") is not None


def test_a_session_state_username_without_authentication_is_not_trusted(app_env):
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["username"] = "admin"  # set, but authentication_status is not True
    _run(at)
    assert not any(b.label == "Sign out" for b in at.sidebar.button)


# ---------------------------------------------------------------------------------------------
# Query parameters
# ---------------------------------------------------------------------------------------------

def _provider_contract_refs(db_url: str) -> tuple[set[str], set[str]]:
    with session_scope(make_engine(db_url)) as session:
        provider = session.scalar(select(User).where(User.username == "provider"))
        rows = session.execute(select(Contract.reference, Contract.provider_id)).all()
    own = {ref for ref, pid in rows if pid == provider.provider_id}
    return own, {ref for ref, _ in rows} - own


def test_a_provider_cannot_reach_another_providers_contract_through_the_url(app_env):
    own, others = _provider_contract_refs(app_env)
    baseline = _run(signed_in_app("provider", "app_pages/overview.py"))
    for other in sorted(others):
        at = signed_in_app("provider", "app_pages/overview.py")
        at.query_params["contract"] = other
        _run(at)
        assert at.session_state[state.FILTER_CONTRACT] != other
        contract_box = next(s for s in at.sidebar.selectbox if s.label == "Contract")
        assert other not in contract_box.options
        assert _figures(at) == _figures(baseline), f"figures changed with ?contract={other}"


def test_tampered_geography_in_the_url_does_not_widen_a_providers_view(app_env):
    baseline = _run(signed_in_app("provider", "app_pages/overview.py"))
    at = signed_in_app("provider", "app_pages/overview.py")
    for param in ("region", "pdu", "borough", "hub"):
        at.query_params[param] = "London"
    _run(at)
    assert _figures(at) == _figures(baseline)


@pytest.mark.parametrize("payload", SQL_METACHARACTERS)
def test_sql_metacharacters_in_every_filter_parameter_are_ignored(app_env, payload):
    baseline = _run(signed_in_app("commissioner", "app_pages/overview.py"))
    at = signed_in_app("commissioner", "app_pages/overview.py")
    for param in state.QUERY_PARAMS.values():
        at.query_params[param] = payload
    _run(at)
    for key in state.QUERY_PARAMS:
        if key in at.session_state:
            assert at.session_state[key] != payload, key
    assert _figures(at) == _figures(baseline)
    with session_scope(make_engine(app_env)) as session:
        assert session.scalar(select(func.count()).select_from(Referral)) > 0  # still there


# ---------------------------------------------------------------------------------------------
# Throttling
# ---------------------------------------------------------------------------------------------

def _attempt(username: str, password: str) -> AppTest:
    """One sign-in attempt from a brand-new session, as a script opening new connections would."""
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.text_input(key="sign_in_username").input(username)
    at.text_input(key="sign_in_password").input(password)
    return at.button[0].click().run()


def test_wrong_passwords_from_fresh_sessions_are_throttled(app_env):
    """The count lives in the database, so opening a new session for each guess does not help."""
    for guess in range(5):
        at = _attempt("national", f"guess{guess}")
        assert [e.value for e in at.error] == ["Username or password is not right."]
    at = _attempt("national", "demo")
    assert any("Too many failed sign-ins" in e.value for e in at.error)
    assert not any(b.label == "Sign out" for b in at.sidebar.button)


def test_an_unknown_username_gets_the_same_answer_as_a_wrong_password(app_env):
    unknown = _attempt("nobody-here", "demo")
    wrong = _attempt("commissioner", "not-demo")
    assert [e.value for e in unknown.error] == [e.value for e in wrong.error]


def test_an_unknown_username_is_throttled_like_a_real_one(app_env):
    """Otherwise the delay message would tell an attacker which usernames exist."""
    answers = {}
    for name in ("nobody-here", "commissioner"):
        for guess in range(5):
            _attempt(name, f"guess{guess}")
        answers[name] = [e.value.split(" Try again")[0] for e in _attempt(name, "demo").error]
    assert answers["nobody-here"] == answers["commissioner"]
    assert "Too many failed sign-ins" in answers["commissioner"][0]


# ---------------------------------------------------------------------------------------------
# Imported fields
# ---------------------------------------------------------------------------------------------

RAM_FIXTURE = APP.replace("app.py", "tests/fixtures/imports/ram_valid.csv")
RAM_TEXT_COLUMNS = ("referral_ref", "referral_id", "contract_ref", "organisation_id", "caseworker_id",
                    "service_user_crn", "end_requested_by_pp_reason", "referral_end_state")


@pytest.mark.parametrize("payload", SQL_METACHARACTERS)
def test_sql_metacharacters_in_every_imported_text_field_are_data_not_sql(engine, payload):
    from data_access.importers.ram import import_ram_performance
    from data_access.reference import load_reference_data

    with session_scope(engine) as session:
        load_reference_data(session)
    frame = pd.read_csv(RAM_FIXTURE, dtype=str, keep_default_na=False)
    for column in RAM_TEXT_COLUMNS:
        frame.loc[0, column] = payload
    frame.loc[1, "end_requested_by_pp_reason"] = payload
    source = frame.to_csv(index=False).encode()
    tables_before = set(inspect(engine).get_table_names())
    result = import_ram_performance(engine, source, file_name="hostile.csv")
    # Either refused with the row and column named, or written; never executed as SQL.
    assert set(inspect(engine).get_table_names()) == tables_before
    if result.written:
        with session_scope(engine) as session:
            stored = session.scalars(select(Referral.end_requested_by_pp_reason)).all()
        assert payload in stored
    else:
        assert result.problems, "refused without saying why"


# ---------------------------------------------------------------------------------------------
# Downloads
# ---------------------------------------------------------------------------------------------

def test_a_csv_cell_that_a_spreadsheet_would_run_is_neutralised():
    frame = pd.DataFrame({"referral_ref": list(FORMULAS), "count": [-5, 3, 0, 1, 2]})
    out = pd.read_csv(io.BytesIO(safe_csv_bytes(frame)), encoding="utf-8-sig", dtype=str)
    assert all(cell.startswith("'") for cell in out["referral_ref"])
    assert list(out["count"]) == ["-5", "3", "0", "1", "2"]  # numbers stay numbers


def test_panel_downloads_go_through_the_safe_export():
    """Every panel's "Download CSV" is made by ui.tables.csv_download (through ui.panels.data_download)
    from safe_csv_bytes."""
    import inspect as source

    from ui import panels, tables

    assert "csv_download" in source.getsource(panels.data_download)
    assert "safe_csv_bytes" in source.getsource(tables.csv_download)


@pytest.mark.parametrize("formula", FORMULAS[:1] + FORMULAS[-1:])
def test_the_import_problem_list_download_neutralises_formulas(engine, formula):
    from data_access.importers.problems import problems_csv
    from data_access.importers.ram import import_ram_performance
    from data_access.reference import load_reference_data

    with session_scope(engine) as session:
        load_reference_data(session)
    frame = pd.read_csv(RAM_FIXTURE, dtype=str, keep_default_na=False)
    frame.loc[0, "date_referral_received"] = formula  # not a date: the row is refused and echoed
    result = import_ram_performance(engine, frame.to_csv(index=False).encode(), file_name="hostile.csv",
                                    write=False)
    cells = [cell for row in csv.reader(io.StringIO(problems_csv(result.problems))) for cell in row]
    assert any(formula in cell for cell in cells), "the problem list should name the bad value"
    assert not any(cell.startswith(("=", "+", "@")) for cell in cells)
