"""The entry point: sign-in, throttling, role-filtered navigation, insecure configuration."""

from pathlib import Path

from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from data_access.db import make_engine, session_scope
from data_access.models import AuditLog, SignInThrottle, User
from tests.app.conftest import APP, signed_in_app
from ui.navigation import PAGES, pages_for

ROOT = Path(APP).parent


def _sign_in(at: AppTest, username: str, password: str) -> AppTest:
    at.text_input(key="sign_in_username").input(username)
    at.text_input(key="sign_in_password").input(password)
    return at.button[0].click().run()


def test_no_pages_folder_next_to_the_entry_point():
    """Streamlit would run files in a pages/ folder directly, without app.py's sign-in."""
    assert not (ROOT / "pages").exists()


def test_unauthenticated_user_sees_only_the_sign_in_form(app_env):
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert [t.value for t in at.title] == ["Greater Manchester probation commissioning dashboard"]
    assert at.text_input(key="sign_in_password") is not None
    assert len(at.sidebar.children) == 0  # no filters, no navigation before sign-in


def test_demo_credentials_sign_in_to_the_overview(app_env):
    at = _sign_in(AppTest.from_file(APP, default_timeout=60).run(), "commissioner", "demo")
    assert not at.exception
    assert "GMIRS" in " ".join(t.value for t in at.title)
    assert any(b.label == "Sign out" for b in at.sidebar.button)


def test_signing_out_before_the_browser_confirms_the_sign_in_cookie(app_env):
    """Right after a form sign-in the run draws the cookie component until the browser reports
    the cookie stored (AppTest's never does). Signing out then must not draw a second one: that
    failed with a duplicate element key when a fast server let someone click Sign out first."""
    at = _sign_in(AppTest.from_file(APP, default_timeout=60).run(), "national", "demo")
    sign_out = next(b for b in at.sidebar.button if b.label == "Sign out")
    at = sign_out.click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.text_input(key="sign_in_password") is not None


def test_wrong_password_is_refused_and_audited(app_env):
    at = _sign_in(AppTest.from_file(APP, default_timeout=60).run(), "commissioner", "wrong")
    assert [e.value for e in at.error] == ["Username or password is not right."]
    with session_scope(make_engine(app_env)) as session:
        actions = session.scalars(select(AuditLog.action).where(AuditLog.actor == "commissioner")).all()
    assert "sign_in_failed" in actions


def test_repeated_wrong_passwords_lock_the_account(app_env):
    at = AppTest.from_file(APP, default_timeout=60).run()
    for _ in range(5):
        at = _sign_in(at, "provider", "guess")
    # Even the right password is refused while the account waits out its delay.
    at = _sign_in(at, "provider", "demo")
    assert any("Too many failed sign-ins" in e.value for e in at.error)
    assert not at.sidebar.button
    engine = make_engine(app_env)
    with session_scope(engine) as session:
        row = session.get(SignInThrottle, "user:provider")
        assert row.failures == 5 and row.blocked_until is not None


def test_each_role_gets_only_its_pages():
    by_role = {role: {s.title for specs in pages_for(role, only_existing=False).values() for s in specs}
               for role in ("commissioner", "provider", "epop_spoc", "epop_national", "admin")}
    assert "Admin" in by_role["admin"] and "Admin" not in by_role["commissioner"]
    assert "Board summary" not in by_role["provider"]
    assert not any(t in by_role["epop_spoc"] for t in ("KPIs and service levels", "Equalities", "Upload data"))
    assert pages_for("someone") == {} and pages_for("") == {}
    for spec in PAGES:
        assert spec.roles, spec.path


def test_a_page_the_role_may_not_use_is_not_registered(app_env):
    at = signed_in_app("spoc").run()
    assert not at.exception
    # The SPOC's navigation has no KPI page, so asking for it cannot run it.
    try:
        at.switch_page("app_pages/kpis.py").run()
    except Exception:
        pass
    assert not any("KPIs and service levels" == t.value for t in at.title)


def test_outside_demo_mode_a_missing_cookie_key_stops_the_app(tmp_path, monkeypatch):
    from data_access.setup import initialise

    url = f"sqlite:///{tmp_path / 'real.db'}"
    initialise(make_engine(url))
    monkeypatch.setenv("DASHBOARD_DATABASE_URL", url)
    monkeypatch.setenv("DASHBOARD_SEED_DEMO", "0")
    monkeypatch.delenv("DASHBOARD_COOKIE_KEY", raising=False)
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert any("DASHBOARD_COOKIE_KEY" in e.value for e in at.error)
    assert not at.text_input  # no sign-in form with an insecure key


def _region_option(at: AppTest) -> str:
    options = at.sidebar.selectbox(key="filter_region").options
    real = [o for o in options if o != "All"]
    assert "Greater Manchester" in real  # the real option, from the reference data
    return "Greater Manchester"


def test_choosing_the_region_in_the_sidebar_keeps_every_page_working(app_env):
    at = signed_in_app("commissioner").run()
    region = _region_option(at)
    at = at.sidebar.selectbox(key="filter_region").set_value(region).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.query_params.get("region") in (region, [region])
    for page in ("app_pages/kpis.py", "app_pages/referrals.py"):
        at = at.switch_page(page).run()
        assert not at.exception, (page, [e.value for e in at.exception])


def test_a_shared_link_with_the_region_opens_without_error(app_env):
    at = signed_in_app("commissioner")
    at.query_params["region"] = "Greater Manchester"
    at = at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.sidebar.selectbox(key="filter_region").value == "Greater Manchester"


def test_a_real_cookie_key_without_a_demo_request_gets_no_demo(tmp_path, monkeypatch):
    """Issue 14: the README's production recipe seeded the demo accounts and printed their password."""
    from sqlalchemy import func

    from data_access.models import Referral

    url = f"sqlite:///{tmp_path / 'prod.db'}"
    monkeypatch.setenv("DASHBOARD_DATABASE_URL", url)
    monkeypatch.delenv("DASHBOARD_SEED_DEMO", raising=False)
    monkeypatch.setenv("DASHBOARD_COOKIE_KEY", "a-real-secret-of-more-than-32-characters-0123456789")
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.text_input(key="sign_in_password") is not None
    assert not any("demo" in i.value.lower() for i in at.info)
    with session_scope(make_engine(url)) as session:
        assert session.scalar(select(func.count()).select_from(Referral)) == 0
        assert session.scalar(select(func.count()).select_from(User)) == 0


def test_an_idle_session_is_signed_out(app_env):
    import time

    at = signed_in_app("commissioner").run()
    assert any(b.label == "Sign out" for b in at.sidebar.button)
    at.session_state["auth_last_activity"] = time.time() - 61 * 60  # default timeout: 60 minutes
    at = at.run()
    assert not any(b.label == "Sign out" for b in at.sidebar.button)
    assert any("without activity" in i.value for i in at.info)


def test_a_session_ends_when_the_user_is_signed_out_elsewhere(app_env):
    from data_access.accounts import sign_out

    at = signed_in_app("admin").run()
    assert any(b.label == "Sign out" for b in at.sidebar.button)
    sign_out(make_engine(app_env), "admin")  # e.g. from another browser, or a password reset
    at = at.run()
    assert not any(b.label == "Sign out" for b in at.sidebar.button)
    assert at.text_input(key="sign_in_password") is not None


def test_the_readme_postgres_recipe_gives_no_demo_and_users_add_makes_the_first_admin(monkeypatch):
    """Issue 14's done-when: an empty PostgreSQL database, a real cookie key, no DASHBOARD_SEED_DEMO."""
    import io

    import pytest
    from sqlalchemy import func

    from data_access.__main__ import main
    from data_access.models import Referral
    from tests.conftest import POSTGRES_URL, _drop_postgres, _private_postgres

    if not POSTGRES_URL:
        pytest.skip("needs DASHBOARD_TEST_POSTGRES_URL")
    name, engine = _private_postgres(POSTGRES_URL)
    url = engine.url.render_as_string(hide_password=False)
    engine.dispose()
    try:
        monkeypatch.setenv("DASHBOARD_DATABASE_URL", url)
        monkeypatch.delenv("DASHBOARD_SEED_DEMO", raising=False)
        monkeypatch.setenv("DASHBOARD_COOKIE_KEY", "a-real-secret-of-more-than-32-characters-0123456789")
        assert main(["init"]) == 0
        at = AppTest.from_file(APP, default_timeout=300).run()
        assert not at.exception and not any("demo" in i.value.lower() for i in at.info)

        class Stdin(io.StringIO):
            def isatty(self):
                return False

        monkeypatch.setattr("sys.stdin", Stdin("amber kettle orbit 42\n"))
        assert main(["users", "add", "first.admin", "--role", "admin"]) == 0
        engine = make_engine(url)
        with session_scope(engine) as session:
            assert session.scalar(select(func.count()).select_from(Referral)) == 0
            assert session.scalars(select(User.username)).all() == ["first.admin"]
        engine.dispose()
        at = _sign_in(AppTest.from_file(APP, default_timeout=300).run(), "first.admin", "amber kettle orbit 42")
        assert any(b.label == "Sign out" for b in at.sidebar.button), [e.value for e in at.error]
    finally:
        _drop_postgres(POSTGRES_URL, name)


def test_each_role_lands_on_its_own_first_page(app_env):
    """Issue 18: the EPOP roles landed on Maps (their first page in menu order); they land on
    their plan. The other roles land on their first page."""
    from ui.navigation import landing_page

    # The headings the landing pages draw (not the menu titles).
    expected = {"spoc": "EPOP action plan", "national": "EPOP action plans: national view",
                "commissioner": "GMIRS Well-being Support Service"}
    for username, title in expected.items():
        at = _sign_in(AppTest.from_file(APP, default_timeout=60).run(), username, "demo")
        assert not at.exception
        assert [t.value for t in at.title] == [title], username
    assert landing_page("epop_spoc").path == "app_pages/epop_region.py"
    assert landing_page("provider").title == "Overview"
    assert landing_page("nobody") is None
