"""AppTest for the GMIRS pages (issue 5), through app.py, for every role that may open them.

One demo database (3,000 referrals) is built per module; each test signs in by setting the
authenticator's session keys, so sign-in itself is not exercised here. Figures shown are
checked against what ``metrics.panels`` computes for the same scope and filters.
"""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from tests.app.conftest import mark_signed_in

from data_access.db import make_engine, session_scope
from data_access.models import Borough, Contract, Provider, Referral, User
from data_access.scoping import ReferralFilters, referrals_select, scope_for_user
from data_access.settings import PROJECT_ROOT, Settings
from metrics import panels, periods
from metrics.queries import latest_data_date
from ui.navigation import PAGES, pages_for

MY_PAGES = {
    "overview": "app_pages/overview.py", "board_summary": "app_pages/board_summary.py",
    "referrals": "app_pages/referrals.py", "complexity": "app_pages/complexity.py", "kpis": "app_pages/kpis.py",
    "cases_due": "app_pages/cases_due.py",
    "outcomes": "app_pages/outcomes.py", "equalities": "app_pages/equalities.py", "finance": "app_pages/finance.py",
    "data_quality": "app_pages/data_quality.py", "admin": "app_pages/admin.py",
    "reconciliation": "app_pages/reconciliation.py",
}
USERS = {"commissioner": "commissioner", "provider": "provider", "spoc": "epop_spoc", "national": "epop_national",
         "admin": "admin"}
#: Text each page must show (its key content), whatever the data says.
KEY_CONTENT = {
    "overview": ["referrals", "Where to look next"],
    "board_summary": ["measures below target", "Since ", "forecast band", "Complexity mix", "Average change across needs"],
    "referrals": ["forecast band", "expected", "referrals", "DASHBOARD_GM_PDU_CHANGE_DATE"],
    "complexity": ["Complexity mix", "High complexity ranged", "23/56/21"],
    "kpis": ["measures below target", "DS2 or DS3 deadline", "Making Data Count", "SL002",
             "Not engaged", "awaiting the commissioner's sign-off"],
    "cases_due": ["Cases due", "waiting on a deadline", "SL002 for", "Every measure by hub"],
    "outcomes": ["Average change across needs", "All needs by complexity", "referred"],
    "equalities": ["Age:", "Sex:", "Disability:", "Ethnicity:", "Religion or belief:", "Sexual orientation:"],
    "finance": ["funding profile"],
    "data_quality": ["key field", "record-keeping measures", "import", "end of the sentence"],
    "admin": ["Add a user, or change one", "Decision 9"],
    "reconciliation": ["Referrals by kind of disagreement", "View: ", "Not compared: the case extract has no referral date"],
}


@pytest.fixture()
def env(app_env):
    """The shared module demo database (tests/app/conftest.py: 3,000 referrals), as an engine."""
    return make_engine(app_env)


def open_page(username: str, page: str | None = None, query: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=120)
    mark_signed_in(at, username)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    if page:
        at.switch_page(str(PROJECT_ROOT / MY_PAGES[page]))
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def text_of(at: AppTest) -> str:
    parts = [e.value for e in at.title] + [e.value for e in at.subheader] + [e.value for e in at.caption]
    parts += [e.value for e in at.markdown] + [str(e.value) for e in at.info] + [str(e.value) for e in at.error]
    return "\n".join(str(p) for p in parts)


def allowed(page: str) -> list[str]:
    spec = next(s for s in PAGES if s.path == MY_PAGES[page])
    return [user for user, role in USERS.items() if role in spec.roles]


def expected_panel(engine, username: str, compute, filters: ReferralFilters | None = None, **options) -> panels.Panel:
    """What metrics.panels computes for ``username``'s scope, the default period and ``filters``."""
    filters = filters or ReferralFilters()
    with session_scope(engine) as session:
        scope = scope_for_user(session.scalar(select(User).where(User.username == username)))
        as_of = latest_data_date(session, select(Referral))  # the app's as-of date (ui.context.data_as_of)
        inputs = panels.inputs_for(session, scope, filters, referrals_select(scope, filters), periods.quarter(as_of),
                                   as_of, Settings.from_env())
        return compute(session, inputs, **options)


CASES = [(page, user) for page in MY_PAGES for user in allowed(page)]


@pytest.mark.parametrize(("page", "username"), CASES, ids=[f"{p}-{u}" for p, u in CASES])
def test_page_runs_and_shows_its_key_content(env, page, username):
    at = open_page(username, page)
    text = text_of(at)
    for expected in KEY_CONTENT[page]:
        assert expected in text, (page, username, expected)
    if page != "admin":
        assert "Data as of" in text  # every panel states its as-of date
    assert "no data" not in [m.value for m in at.metric]  # "no data" only where nothing can be computed


#: Headings a reader may see that start in lower case (a statistic's usual name).
LOWER_CASE_HEADINGS = {"p-value"}
EMPTY_TEXT = {"None", "none", "nan", "NaN", "NaT", "<NA>", "null"}


def table_problems(at: AppTest, where: str) -> list[str]:
    """Every table's shown headings in words (no code names) and no empty value written as
    'None' or 'nan' (an empty cell is the placeholder '–')."""
    import json

    problems = []
    for element in at.dataframe:
        config = json.loads(element.proto.columns or "{}")
        if element.proto.placeholder != "–":
            problems.append(f"{where}: a table without the '–' placeholder: {list(element.value.columns)}")
        for name in element.value.columns:
            entry = config.get(name, config.get(f"col:{name}", {}))
            if entry is None or entry.get("hidden"):
                continue  # a working the table leaves out
            label = (entry or {}).get("label") or str(name)
            if "_" in label or (label[:1].islower() and label not in LOWER_CASE_HEADINGS):
                problems.append(f"{where}: heading {label!r} ({name})")
            cells = element.value[name]
            if cells.dtype == object or pd.api.types.is_string_dtype(cells):
                if cells.dropna().astype(str).str.strip().isin(EMPTY_TEXT).any():
                    problems.append(f"{where}: 'None'/'nan' written in {label!r}")
    return problems


@pytest.mark.parametrize("username", ["commissioner", "provider"])
def test_every_table_on_every_page_has_headings_in_words_and_no_none_or_nan(env, username):
    at = open_page(username)
    problems = []
    for specs in pages_for(USERS[username]).values():
        for spec in specs:
            at.switch_page(str(PROJECT_ROOT / spec.path))
            at.run()
            assert not at.exception, (spec.path, [e.value for e in at.exception])
            problems += table_problems(at, spec.path)
    assert not problems, problems


def test_roles_reach_only_their_pages():
    for username, role in USERS.items():
        registered = {spec.path for specs in pages_for(role).values() for spec in specs}
        for page, path in MY_PAGES.items():
            assert (path in registered) == (username in allowed(page)), (username, page)
    assert MY_PAGES["board_summary"] not in {s.path for specs in pages_for("provider").values() for s in specs}
    assert MY_PAGES["admin"] not in {s.path for specs in pages_for("commissioner").values() for s in specs}


def test_provider_sees_only_its_own_referrals(env):
    at = open_page("provider", "referrals")
    expected = expected_panel(env, "provider", panels.forecast_bands, by="borough")
    assert expected.title in text_of(at)
    assert set(expected.data["borough"]) == {"Bolton", "Bury", "Oldham", "Rochdale", "Wigan"}  # lot 1 only
    shown = next(d.value for d in at.dataframe if "borough" in d.value.columns)
    assert list(shown["borough"]) == list(expected.data["borough"])


def test_provider_case_references_are_all_its_own(env):
    at = open_page("provider", "kpis")
    refs = set()
    for frame in (d.value for d in at.dataframe):
        if "referral_ref" in frame.columns:
            refs |= set(frame["referral_ref"])
    assert refs, "the cases-at-risk list or drill-down shows case references"
    with session_scope(env) as session:
        provider_id = session.scalar(select(Provider.id).where(Provider.organisation_code == "ORG-NWP"))
        owners = set(session.scalars(select(Referral.provider_id).where(Referral.referral_ref.in_(list(refs)))))
    assert owners == {provider_id}


def test_tampered_contract_in_url_is_ignored_for_a_provider(env):
    with session_scope(env) as session:
        other = session.scalar(select(Contract.reference).where(Contract.reference == "GMIRS-WSS-LOT2"))
    assert other is not None
    at = open_page("provider", query={"contract": other})
    assert at.session_state["filter_contract"] == "All"
    assert "GMIRS-WSS-LOT2" not in at.selectbox(key="filter_contract").options
    at.switch_page(str(PROJECT_ROOT / MY_PAGES["referrals"]))
    at.run()
    expected = expected_panel(env, "provider", panels.forecast_bands, by="borough")
    assert expected.title in text_of(at)
    assert "Manchester" not in expected.title and "Salford" not in text_of(at)


def test_changing_a_filter_changes_the_numbers_to_what_metrics_computes(env):
    at = open_page("commissioner", "referrals")
    everyone = expected_panel(env, "commissioner", panels.referral_sources)
    assert everyone.title in text_of(at)
    at.selectbox(key="filter_borough").set_value("Bolton").run()
    assert not at.exception
    with session_scope(env) as session:
        bolton = session.scalar(select(Borough.id).where(Borough.name == "Bolton"))
    only_bolton = expected_panel(env, "commissioner", panels.referral_sources, ReferralFilters(borough_id=bolton))
    assert only_bolton.title != everyone.title
    assert only_bolton.title in text_of(at)
    bands = expected_panel(env, "commissioner", panels.forecast_bands, ReferralFilters(borough_id=bolton), by="borough")
    assert bands.title in text_of(at) and list(bands.data["borough"]) == ["Bolton"]


def test_complexity_filter_changes_the_kpi_scorecard(env):
    at = open_page("commissioner", "kpis")
    at.selectbox(key="filter_complexity").set_value("HIGH").run()
    assert not at.exception
    high = expected_panel(env, "commissioner", panels.scorecard_panel, ReferralFilters(complexity="HIGH"))
    assert high.title in text_of(at)
    shown = next(d.value for d in at.dataframe if "status" in d.value.columns and "code" in d.value.columns)
    assert list(shown["denominator"]) == list(high.data["denominator"])
    # No blank or "None" cell: a measure without a mitigation rule says so.
    assert not shown.isna().any().any()
    assert set(shown.loc[shown["code"] != "DS2", "mitigated"]) == {"not applicable"}
    assert shown.loc[shown["code"] == "DS2", "mitigated"].iloc[0].replace(",", "").isdigit()


def test_kpi_drill_down_lists_cases_for_a_commissioner(env):
    at = open_page("commissioner", "kpis")
    picker = at.selectbox(key="kpis_drill_code")
    picker.set_value("DS2").run()
    expected = expected_panel(env, "commissioner", panels.kpi_cases, code="DS2")
    assert expected.title.startswith("DS2:") and "referrals in the cohort" in expected.title
    assert expected.title in [s.value for s in at.subheader]
    shown = next(d.value for d in at.dataframe if "counted_as" in d.value.columns)
    assert sorted(shown["referral_ref"]) == sorted(expected.data["referral_ref"])
    card = expected_panel(env, "commissioner", panels.period_scorecard, include_case_ids=True).kpi("DS2")
    assert set(shown.loc[shown["counted_as"] != "left out (rule)", "referral_ref"]) == set(card.case_ids)
    assert set(shown.loc[shown["counted_as"] == "met", "referral_ref"]) == set(card.numerator_case_ids)


def test_kpis_page_shows_every_measure_s_spc_verdict_and_the_chart_chosen(env):
    at = open_page("commissioner", "kpis")
    charts = expected_panel(env, "commissioner", panels.spc_charts)
    card = expected_panel(env, "commissioner", panels.period_scorecard)
    overview = panels.spc_overview(card, charts, expected_panel(env, "commissioner", panels.figures))
    assert overview.title in text_of(at)
    shown = next(d.value for d in at.dataframe if "variation icon" in d.value.columns)
    assert list(shown["code"]) == [r.code for r in card.kpis]
    assert list(shown["variation"]) == list(overview.data["variation"])
    assert list(shown["assurance"]) == list(overview.data["assurance"])
    picker = at.selectbox(key="kpis_spc_code")
    first = panels.spc_first_to_show(charts)
    assert picker.value == first and charts[first].title in text_of(at)
    other = next(code for code in charts if code != first and not charts[code].data.empty)
    picker.set_value(other).run()
    assert not at.exception
    assert charts[other].title in text_of(at) and charts[first].title not in [s.value for s in at.subheader]


def test_a_role_without_case_references_gets_no_drill_down(env):
    card = expected_panel(env, "national", panels.scorecard_panel)
    assert card.extra["drill_codes"] == ()
    assert expected_panel(env, "national", panels.kpi_cases, code="DS2").data.empty


def _saved_through_admin_page(env, fill, button: str, saved: str, action: str, entity_id: str, put_back) -> None:
    """Fill the Admin page's form (``fill(at)``), press ``button``, check the success message and
    the audit entry, then ``put_back(session, admin_scope)`` for the other tests."""
    from data_access.models import AuditLog

    at = open_page("admin", "admin")
    fill(at)
    next(b for b in at.button if b.label == button).click().run()
    assert not at.exception and any(saved in s.value for s in at.success)
    with session_scope(env) as session:
        entry = session.scalars(select(AuditLog).where(AuditLog.action == action)).all()[-1]
        assert entry.actor == "admin" and entry.entity_id == entity_id
        put_back(session, scope_for_user(session.scalar(select(User).where(User.username == "admin"))))


def test_admin_changes_a_target_through_the_page_and_it_is_audited(env):
    from data_access import admin

    def fill(at):
        next(s for s in at.selectbox if s.label == "KPI").set_value("KP6").run()
        next(n for n in at.number_input if n.label == "Target (%)").set_value(85.0)
        next(n for n in at.number_input if n.label.startswith("Trigger")).set_value(0.0)

    _saved_through_admin_page(env, fill, "Save target", "Saved KP6", "kpi_target_set", "KP6",
                              lambda session, scope: admin.set_kpi_target(session, scope, "KP6", 90.0))


def test_admin_reclassifies_an_end_reason_through_the_page_and_it_is_audited(env):
    from data_access import admin
    from data_access.kpi_summary import refresh_after_change

    def fill(at):
        next(s for s in at.selectbox if s.label == "Vocabulary").set_value("2024")
        next(t for t in at.text_input if t.label.startswith("Code")).set_value("EAR")
        next(s for s in at.selectbox if s.label == "SL002 class").set_value("negative")

    _saved_through_admin_page(
        env, fill, "Save end reason", "Saved 2024 EAR", "end_reason_class_set", "2024 EAR",
        lambda session, scope: admin.save_end_reason(session, scope, vocabulary="2024", code="EAR", sl002_class="neutral"))
    assert refresh_after_change(env) == []  # the stored summary as the other tests expect it


@pytest.mark.parametrize("by", ["complexity", "hub", "ethnicity"])
def test_distance_per_need_added_up_from_a_breakdown_equals_the_direct_figures(env, by):
    direct = expected_panel(env, "commissioner", panels.distance_travelled)
    grouped = expected_panel(env, "commissioner", panels.distance_travelled, by=by)
    assert not direct.data.empty
    assert grouped.extra["overall"].title == direct.title
    pd.testing.assert_frame_equal(grouped.extra["overall"].data, direct.data)


def test_outcomes_page_shows_the_figures_per_need_and_by_the_chosen_group(env):
    at = open_page("commissioner", "outcomes")
    at.selectbox(key="outcomes_by").set_value("hub").run()
    assert not at.exception
    text = text_of(at)
    assert expected_panel(env, "commissioner", panels.distance_travelled).title in text
    assert expected_panel(env, "commissioner", panels.distance_travelled, by="hub").title in text
