"""The sidebar menu (ui/menu.py), the accessibility statement and the one-page Board summary,
through app.py (AppTest)."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from data_access.settings import PROJECT_ROOT
from tests.app.conftest import mark_signed_in
from ui.navigation import landing_page, pages_for

APP = str(PROJECT_ROOT / "app.py")
ROLES = {"commissioner": "commissioner", "provider": "provider", "spoc": "epop_spoc", "national": "epop_national",
         "admin": "admin"}
#: The GOV.UK accessibility statement's sections.
STATEMENT_HEADINGS = ("How accessible this service is", "Feedback and contact information",
                      "Reporting accessibility problems with this service", "Enforcement procedure",
                      "Technical information about this service's accessibility",
                      "Preparation of this accessibility statement")


def _open(username: str, page: str | None = None) -> AppTest:
    at = mark_signed_in(AppTest.from_file(APP, default_timeout=120), username).run()
    if page:
        at.switch_page(str(PROJECT_ROOT / page)).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _menu(at: AppTest) -> list[str]:
    return [link.proto.label for link in at.sidebar.get("page_link")]


@pytest.mark.parametrize("username", ROLES)
def test_the_menu_lists_every_page_of_the_role_under_its_headings(app_env, username):
    at = _open(username)
    sections = pages_for(ROLES[username])
    assert _menu(at) == [spec.title for specs in sections.values() for spec in specs]
    headings = [h.proto.body for h in at.sidebar.get("html") if "site-menu-heading" in h.proto.body]
    assert [h.split(">", 1)[1].split("<", 1)[0] for h in headings] == list(sections)
    assert "Accessibility statement" in _menu(at)  # every role: the Help section
    # The page shown is the role's landing page, and the menu's script marks it for screen readers.
    marker = next(h.proto.body for h in at.sidebar.get("html") if "aria-current" in h.proto.body)
    assert f'window.gmCurrentPage = "{landing_page(ROLES[username]).title}"' in marker


def test_the_accessibility_statement_follows_the_gov_uk_pattern(app_env, monkeypatch):
    at = _open("spoc", "app_pages/accessibility.py")
    assert [t.value for t in at.title] == ["Accessibility statement"]
    text = "\n".join(m.value for m in at.markdown)
    for heading in STATEMENT_HEADINGS:
        assert f"## {heading}" in text, heading
    assert "partially compliant" in text and "Maps" in text and "{contact}" not in text
    assert "dashboard administrator" in text  # no contact configured
    monkeypatch.setenv("DASHBOARD_ACCESSIBILITY_CONTACT", "dashboard@example.gov.uk")
    at = _open("provider", "app_pages/accessibility.py")
    assert "contact: dashboard@example.gov.uk" in "\n".join(m.value for m in at.markdown)


def test_the_statement_names_the_axe_core_version_the_tests_pin():
    import json

    pinned = json.loads((PROJECT_ROOT / "tests/browser/package.json").read_text())["dependencies"]["axe-core"]
    assert f"axe-core {pinned}" in (PROJECT_ROOT / "assets/accessibility_statement.md").read_text()


def test_the_board_summary_opens_with_its_one_page_summary(app_env):
    at = _open("commissioner", "app_pages/board_summary.py")
    subheaders = [s.value for s in at.subheader]
    assert subheaders[0] == "Headline findings"
    assert "exception" in subheaders[2]  # after the SPC overview
    headline = at.markdown[0].value if at.markdown[0].value.startswith("- ") else next(
        m.value for m in at.markdown if m.value.startswith("- "))
    assert "measures below target" in headline and "Since " in headline
    # The printed overview is a plain table with the icons; the interactive one stays on screen.
    assert any("print-table" in h.proto.body and "<img" in h.proto.body for h in at.get("html"))
    assert any("variation icon" in d.value.columns for d in at.dataframe)
    assert [h.value for h in at.main.get("header")] == ["Detail (not printed)"]
