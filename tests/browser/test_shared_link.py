"""A shared link to a filtered view, opened in fresh browsers (issue 19): each signs in at the
link's address and sees the link's view in the sidebar widgets and in the page's own statement
of its view, every time; the next click keeps that view rather than resetting it."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlparse

from data_access.db import make_engine
from metrics import panels, periods
from tests.browser import streamlit_page as sp

TRIES = 5


def _a_month_before_the_latest(database_url: str) -> periods.Period:
    engine = make_engine(database_url)
    try:
        with engine.connect() as db:
            as_of = panels.data_as_of(db)
    finally:
        engine.dispose()
    return periods.month((as_of.replace(day=1) - dt.timedelta(days=1)))


def _statement(page) -> str:
    caption = page.locator('[data-testid="stMain"] [data-testid="stCaptionContainer"]').filter(has_text="Showing: ")
    return caption.first.inner_text().strip()


def _params(page) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(urlparse(page.url).query).items()}


def _assert_view(page, month: periods.Period, where: str) -> None:
    assert sp.error_messages(page) == [], where
    assert sp.selectbox_value(page, "Period") == "Month", where
    assert sp.selectbox_value(page, "Which") == month.label, where
    assert sp.selectbox_value(page, "Borough") == "Salford", where
    assert sp.selectbox_value(page, "Complexity") == "High", where
    assert _statement(page) == f"Showing: {month.label} · Salford · High complexity", where
    params = _params(page)
    assert {"period": "month", "at": month.key(), "borough": "Salford", "complexity": "HIGH"}.items() <= params.items(), (
        where, params)


def test_a_filtered_link_opens_on_its_view_in_five_fresh_browsers(live_server, new_context, artifacts):
    month = _a_month_before_the_latest(live_server.database_url)
    link = f"/kpis?period=month&at={month.key()}&borough=Salford&complexity=HIGH"
    restored = 0
    for attempt in range(1, TRIES + 1):
        context = new_context()
        page = context.new_page()
        try:
            sp.sign_in(page, live_server.base_url, "commissioner", path=link)
            assert urlparse(page.url).path == "/kpis", page.url
            _assert_view(page, month, f"browser {attempt}, after signing in")
            page.screenshot(path=str(artifacts / f"shared-link-{attempt}.png"), full_page=False)
            # The next click (a page choice) keeps the view, and adds its own choice to the address.
            switch = page.locator('[data-testid="stMain"] [data-testid="stCheckbox"]').filter(
                has_text="small multiples")
            switch.first.locator("label").click()
            sp.wait_for_run(page)
            _assert_view(page, month, f"browser {attempt}, after the next click")
            assert _params(page).get("small_multiples") == "on", page.url
            restored += 1
        finally:
            context.close()
    assert restored == TRIES


def test_the_link_box_gives_the_view_with_the_page_choices(live_server, new_context):
    context = new_context()
    page = context.new_page()
    try:
        sp.sign_in(page, live_server.base_url, "commissioner", path="/compare?by=hub&complexity=HIGH")
        assert page.locator('[data-testid="stMain"] [role="radiogroup"]').first.get_by_role(
            "radio", name="Hub").is_checked()
        link = page.locator('[data-testid="stSidebar"] [data-testid="stCode"]').first.inner_text().strip()
        assert link.startswith("/compare?"), link
        shown = parse_qs(urlparse(link).query)
        assert shown["by"] == ["hub"] and shown["complexity"] == ["HIGH"] and shown["period"] == ["quarter"], link
        # Opened in another browser, the link gives the same view.
        other = new_context().new_page()
        sp.sign_in(other, live_server.base_url, "commissioner", path=link)
        assert sp.selectbox_value(other, "Complexity") == "High"
        assert other.locator('[data-testid="stMain"] [role="radiogroup"]').first.get_by_role(
            "radio", name="Hub").is_checked()
        other.context.close()
    finally:
        context.close()
