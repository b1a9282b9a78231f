"""End to end in headless Chromium against the real server: each role signs in through the
form, opens every page it may use (taken from ``ui.navigation.pages_for``, so a page added
later is covered without touching this file), and sees no error box; a filter changes the
figures; a CSV downloads with the data shown; the map's deck.gl canvas is drawn."""

from __future__ import annotations

import csv
import io
from urllib.parse import urlparse

import pytest
from PIL import Image

from tests.browser import streamlit_page as sp
from ui.navigation import landing_page, pages_for


def _role_page_params():
    for role in sp.DEMO_USERS:
        for specs in pages_for(role).values():
            for spec in specs:
                yield pytest.param(role, spec, id=f"{role}-{spec.url_path}")


ROLE_PAGES = list(_role_page_params())
# Pages whose figures follow the sidebar's referral filters, in order of preference.
FILTERED_PAGES = ("Referrals and forecast", "Overview", "KPIs and service levels")


def _figure_fingerprint(page) -> str:
    """What the figures on the page say: plotly's drawn text (axes, values, annotations) and
    every metric's value. Plotly draws SVG, so its text is readable without OCR."""
    return page.evaluate(
        """() => [
            ...Array.from(document.querySelectorAll('[data-testid="stMain"] .js-plotly-plot svg text'))
               .map(t => t.textContent),
            ...Array.from(document.querySelectorAll('[data-testid="stMain"] [data-testid="stMetricValue"]'))
               .map(m => m.textContent),
        ].join('|')"""
    )


@pytest.mark.parametrize(("role", "spec"), ROLE_PAGES)
def test_every_page_of_every_role_opens_without_an_error(role, spec, role_page, artifacts):
    page = role_page(role)
    sp.go_to(page, spec.title)
    assert sp.error_messages(page) == []
    main = page.locator('[data-testid="stMain"]')
    assert main.locator("h1").count() >= 1, f"{spec.title} shows no heading"
    first = landing_page(role)
    path = urlparse(page.url).path
    assert path == ("/" if spec == first else f"/{spec.url_path}"), path  # the landing page is the default
    page.screenshot(path=str(artifacts / f"{role}-{spec.url_path}.png"), full_page=True)


def test_each_role_is_offered_exactly_its_pages(role_page):
    for role in sp.DEMO_USERS:
        page = role_page(role)
        sp.sidebar_link(page, "Maps")  # unfolds the list if Streamlit folded it
        offered = page.locator('[data-testid="stSidebarNav"] [data-testid="stSidebarNavLink"]').all_inner_texts()
        offered_titles = sorted(text.splitlines()[-1].strip() for text in offered)
        expected = sorted(spec.title for specs in pages_for(role).values() for spec in specs)
        assert offered_titles == expected, role


def test_changing_a_filter_changes_the_figures_and_the_url(live_server, new_context):
    page = new_context().new_page()
    sp.sign_in(page, live_server.base_url, "commissioner")
    title = next(t for t in FILTERED_PAGES
                 if any(s.title == t for specs in pages_for("commissioner").values() for s in specs))
    sp.go_to(page, title)
    before = _figure_fingerprint(page)
    assert before, f"{title} draws no chart or metric to compare"
    sp.choose(page, "Complexity", "High")
    assert "complexity=HIGH" in page.url
    assert sp.error_messages(page) == []
    after = _figure_fingerprint(page)
    assert after and after != before, "the figures did not change when complexity was set to High"


def test_a_csv_download_holds_the_data_shown(role_page):
    page = role_page("commissioner")
    sp.go_to(page, "Overview")
    expander = page.locator('[data-testid="stMain"] [data-testid="stExpander"]').filter(
        has=page.get_by_text("Show the data")).first
    expander.locator("summary").click()
    button = expander.get_by_role("button", name="Download CSV")
    button.wait_for(state="visible")
    with page.expect_download() as caught:
        button.click()
    download = caught.value
    assert download.suggested_filename.endswith(".csv")
    raw = open(download.path(), "rb").read()
    assert raw.startswith(b"\xef\xbb\xbf"), "CSV should carry a UTF-8 BOM so Excel reads it"
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    header, body = rows[0], rows[1:]
    assert header and all(name.strip() for name in header)
    assert body and all(len(row) == len(header) for row in body)
    # Whatever the panel is, its table in the expander shows the same number of rows.
    shown_rows = expander.locator('[data-testid="stDataFrame"] [role="row"]').count()
    assert shown_rows == 0 or shown_rows - 1 == len(body)
    expander.locator("summary").click()
    # No cell reaches a spreadsheet as a formula.
    assert not any(cell.startswith(("=", "+", "@")) for row in rows for cell in row)


def _assert_deck_canvas_drawn(page, shot) -> None:
    chart = page.locator('[data-testid="stDeckGlJsonChart"]').first
    canvas = chart.locator("canvas").first
    canvas.wait_for(state="visible")
    size = canvas.evaluate("c => [c.width, c.height]")
    assert size[0] > 100 and size[1] > 100, size
    # Drawn means more than a blank rectangle: boundaries and hubs put many colours on it.
    page.wait_for_timeout(1500)  # deck.gl draws on the next animation frames after mounting
    canvas.screenshot(path=str(shot))
    colours = Image.open(shot).convert("RGB").getcolors(maxcolors=1 << 20) or []
    assert len(colours) > 20, f"the map canvas looks blank ({len(colours)} colours)"


def test_the_map_draws_its_deck_gl_canvas(role_page, artifacts):
    page = role_page("epop_spoc")  # England and Wales regions map
    sp.go_to(page, "Maps")
    _assert_deck_canvas_drawn(page, artifacts / "epop_spoc-map-canvas.png")


def test_the_gm_map_draws_without_freezing_the_browser(live_server, new_context, artifacts):
    context = new_context()
    page = context.new_page()
    try:
        sp.sign_in(page, live_server.base_url, "commissioner")
        sp.sidebar_link(page, "Maps").first.click()
        sp.wait_for_run(page, timeout_s=30)  # a board member would have given up long before
        assert sp.error_messages(page) == []
        _assert_deck_canvas_drawn(page, artifacts / "commissioner-map-canvas.png")
    finally:
        context.close()  # a frozen renderer would otherwise eat the CPU for the tests after it


def test_signing_out_returns_to_the_sign_in_form(live_server, new_context):
    page = new_context().new_page()
    sp.sign_in(page, live_server.base_url, "national")
    page.get_by_role("button", name="Sign out").click()
    sp.wait_for_run(page)
    page.get_by_role("button", name="Sign in").wait_for()
    assert not sp.is_signed_in(page)


def test_a_reload_after_signing_in_keeps_the_user_signed_in(live_server, new_context):
    context = new_context()
    page = context.new_page()
    sp.sign_in(page, live_server.base_url, "spoc")
    page.wait_for_function(f"() => document.cookie.includes('{sp.COOKIE_NAME}=')", timeout=15_000)
    assert any(c["name"] == sp.COOKIE_NAME for c in context.cookies()), "no sign-in cookie was stored"
    page.reload()
    sp.wait_for_run(page)
    page.get_by_role("button", name="Sign out").wait_for(timeout=15_000)


def test_after_signing_out_a_reload_asks_for_sign_in_again(live_server, new_context):
    context = new_context()
    page = context.new_page()
    sp.sign_in(page, live_server.base_url, "national")
    page.wait_for_function(f"() => document.cookie.includes('{sp.COOKIE_NAME}=')", timeout=15_000)
    page.get_by_role("button", name="Sign out").click()
    sp.wait_for_run(page)
    page.get_by_role("button", name="Sign in").wait_for()
    page.wait_for_function(f"() => !document.cookie.includes('{sp.COOKIE_NAME}=')", timeout=15_000)
    page.reload()
    sp.wait_for_run(page)
    page.get_by_role("button", name="Sign in").wait_for(timeout=15_000)
    assert not sp.is_signed_in(page)


def test_a_page_link_opened_before_signing_in_lands_on_that_page(live_server, new_context):
    page = new_context().new_page()
    sp.open_app(page, live_server.base_url, "/kpis")
    main = page.locator('[data-testid="stMain"]')
    assert "not found" not in main.inner_text().lower()
    assert page.get_by_text("Page not found").count() == 0
    sp.fill_sign_in_form(page, sp.DEMO_USERS["provider"], sp.DEMO_PASSWORD)
    page.get_by_role("button", name="Sign out").wait_for(timeout=60_000)
    sp.wait_for_run(page)
    page.locator('[data-testid="stMain"] h1').filter(has_text="KPIs and service levels").wait_for()
    assert urlparse(page.url).path.rstrip("/") == "/kpis"
    assert sp.error_messages(page) == []
