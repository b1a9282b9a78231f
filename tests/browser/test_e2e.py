"""End to end in headless Chromium against the real server: each role signs in through the
form, opens every page it may use (taken from ``ui.navigation.pages_for``, so a page added
later is covered without touching this file), and sees no error box; a filter changes the
figures; a CSV downloads with the data shown; both maps draw their areas and hubs (read from the
canvas's pixels at known places)."""

from __future__ import annotations

import csv
import io
import math
from collections import Counter
from urllib.parse import urlparse

import pytest
import shapely
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
        # Every page is a visible link, in menu order (no "View more" folding a long menu away).
        expected = [spec.title for specs in pages_for(role).values() for spec in specs]
        assert sp.menu_titles(page) == expected, role
        assert all(link.is_visible() for link in page.locator(sp.MENU_LINKS).all()), role
        headings = page.locator(".st-key-site_menu h2").all_inner_texts()
        assert [h.upper() for h in headings] == [section.upper() for section in pages_for(role)], role


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


def test_a_csv_download_holds_the_data_shown(live_server, new_context):
    # A page of its own: in the shared one an earlier test's rerun could still be marking the
    # page's elements stale (inert) when the button is clicked.
    page = new_context().new_page()
    sp.sign_in(page, live_server.base_url, "commissioner")
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


#: Resolves once the browser has painted twice more: deck.gl draws on animation frames.
TWO_FRAMES = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))"


def _canvas_image(page, index: int, shot) -> Image.Image:
    chart = page.locator('[data-testid="stDeckGlJsonChart"]').nth(index)
    chart.scroll_into_view_if_needed()
    canvas = chart.locator("canvas").first
    canvas.wait_for(state="visible")
    size = canvas.evaluate("c => [c.clientWidth, c.clientHeight]")
    assert size[0] > 100 and size[1] > 100, size
    page.evaluate(TWO_FRAMES)
    page.wait_for_timeout(1000)
    canvas.screenshot(path=str(shot))
    return Image.open(shot).convert("RGB")


def _pixel(view, image: Image.Image, lon: float, lat: float) -> tuple[int, int]:
    """Where deck.gl's Web Mercator view (512-pixel world) puts (lon, lat) in the canvas."""
    scale = 512 * 2 ** view.zoom

    def world(lo, la):
        return ((lo + 180) / 360 * scale,
                (1 - math.log(math.tan(math.pi / 4 + math.radians(la) / 2)) / math.pi) / 2 * scale)

    x, y = world(lon, lat)
    cx, cy = world(view.longitude, view.latitude)
    return round(x - cx + image.width / 2), round(y - cy + image.height / 2)


def _far(a, b, distance: int = 40) -> bool:
    return sum((x - y) ** 2 for x, y in zip(a, b)) ** 0.5 > distance


def _assert_areas_drawn(image: Image.Image, view, areas) -> None:
    """A drawn map, not a blank or flat one: the page shows through outside the areas, inside
    each area (a grid of points, so a label or marker cannot decide it) the fill differs from
    that background, and no single drawn colour covers most of the canvas (the old hub circles
    made it one solid rectangle, which anti-aliased corners gave 31 colours)."""
    background = image.getpixel((3, 3))
    assert min(background) > 235, f"outside the areas the page should show through, not {background}"
    for name, shape in areas:
        inner = shape.buffer(-0.2 * math.sqrt(shape.area))
        inner = inner if not inner.is_empty else shape
        west, south, east, north = inner.bounds
        grid = [shapely.Point(west + (east - west) * i / 8, south + (north - south) * j / 8)
                for i in range(9) for j in range(9)]
        points = [_pixel(view, image, p.x, p.y) for p in grid if inner.contains(p)] or [
            _pixel(view, image, *inner.representative_point().coords[0])]
        colours = [image.getpixel(p) for p in points if 0 <= p[0] < image.width and 0 <= p[1] < image.height]
        filled = [c for c in colours if _far(c, background)]
        # A label's white backing may cover part of a small area: most of it shows the fill.
        assert len(filled) >= max(1, len(colours) / 2), f"{name} is not drawn: {Counter(colours).most_common(3)}"
    # The page shows through around an irregular outline (GM fills ~40% of its canvas), so the
    # background is left out of "no colour covers most", and must itself leave room for a map.
    total = image.width * image.height
    counts = sorted(((n, c) for n, c in image.getcolors(maxcolors=1 << 24)), reverse=True)
    drawn = [(n, c) for n, c in counts if _far(c, background, 8)]
    assert sum(n for n, _ in drawn) / total > 0.2, "the map is (almost) blank"
    share = drawn[0][0] / total
    assert share < 0.5, f"one colour {drawn[0][1]} covers {share:.0%} of the map: it is flat"


def test_the_regions_map_draws_every_region(role_page, artifacts):
    from geo.boundaries import load_regions
    from geo.maps import MAP_HEIGHT_PX, MAP_WIDTH_PX, fit_view

    page = role_page("epop_spoc")  # England and Wales regions map only
    sp.go_to(page, "Maps")
    regions = load_regions()
    view = fit_view(tuple(regions.total_bounds), width_px=MAP_WIDTH_PX, height_px=MAP_HEIGHT_PX, padding=0.02)
    image = _canvas_image(page, 0, artifacts / "epop_spoc-map-canvas.png")
    _assert_areas_drawn(image, view, zip(regions["region_name"], regions.geometry))


def test_the_gm_map_draws_boroughs_and_hubs(live_server, new_context, artifacts):
    from data_access.demo import DEMO_HUBS
    from geo.boundaries import load_gm_demand_units
    from geo.maps import MAP_HEIGHT_PX, MAP_WIDTH_PX, fit_view

    context = new_context()
    page = context.new_page()
    try:
        sp.sign_in(page, live_server.base_url, "commissioner")
        sp.sidebar_link(page, "Maps").first.click()
        sp.wait_for_run(page, timeout_s=30)  # a board member would have given up long before
        assert sp.error_messages(page) == []
        units = load_gm_demand_units()
        view = fit_view(tuple(units.total_bounds), width_px=MAP_WIDTH_PX, height_px=MAP_HEIGHT_PX)
        image = _canvas_image(page, 0, artifacts / "commissioner-map-canvas.png")
        _assert_areas_drawn(image, view, zip(units["name"], units.geometry))
        for name, *_rest, lat, lon in DEMO_HUBS:  # a white disc at each hub, its fill
            x, y = _pixel(view, image, lon, lat)
            assert min(image.getpixel((x, y))) > 225, f"no hub marker at {name}: {image.getpixel((x, y))}"
        # The tables beside the maps and the legends are read without scrolling sideways.
        widths = page.evaluate("""() => Array.from(document.querySelectorAll('[data-testid="stDataFrame"] .dvn-scroller'))
            .filter(s => s.clientWidth > 0).map(s => [s.scrollWidth, s.clientWidth])""")
        # (the table beside the GM map; the legends are static tables; the other tab's are hidden)
        assert len(widths) >= 1 and all(w <= c + 1 for w, c in widths), f"a table scrolls sideways: {widths}"
    finally:
        context.close()  # a frozen renderer would otherwise eat the CPU for the tests after it


def test_clicking_a_borough_selects_it_in_the_filters_and_shows_its_figures(live_server, new_context, artifacts):
    from data_access.demo import DEMO_HUBS
    from geo import layers
    from geo.boundaries import load_gm_demand_units
    from geo.maps import MAP_HEIGHT_PX, MAP_WIDTH_PX, fit_view

    units = load_gm_demand_units()
    view = fit_view(tuple(units.total_bounds), width_px=MAP_WIDTH_PX, height_px=MAP_HEIGHT_PX)
    wigan = units.loc[units["name"] == "Wigan", "geometry"].iloc[0]
    label = layers.label_points(units[units["name"] == "Wigan"], units.loc[units["name"] == "Wigan", "name"],
                                avoid=[(lat, lon) for *_rest, lat, lon in DEMO_HUBS])
    # A place in Wigan away from its edges, its name and its hub: what a person would click.
    busy = shapely.union_all([shapely.Point(label["lon"].iloc[0], label["lat"].iloc[0]).buffer(0.03),
                              *(shapely.Point(lon, lat).buffer(0.02) for *_r, lat, lon in DEMO_HUBS)])
    spot = wigan.buffer(-0.01).difference(busy).representative_point()
    page = new_context().new_page()
    sp.sign_in(page, live_server.base_url, "commissioner")
    sp.go_to(page, "Maps")
    canvas = page.locator('[data-testid="stDeckGlJsonChart"]').first.locator("canvas").first
    image = _canvas_image(page, 0, artifacts / "commissioner-map-before-click.png")
    x, y = _pixel(view, image, spot.x, spot.y)
    box = canvas.bounding_box()
    # As a mouse does: move onto the borough (deck.gl picks on hover), then press and release.
    page.mouse.move(box["x"] + x - 6, box["y"] + y - 6)
    page.mouse.move(box["x"] + x, box["y"] + y, steps=3)
    page.get_by_text("Wigan: ", exact=False).first.wait_for()  # its tooltip: deck.gl has picked it
    page.mouse.down()
    page.mouse.up()
    sp.wait_for_run(page)
    assert sp.selectbox_value(page, "Borough") == "Wigan"
    assert "borough=Wigan" in page.url
    assert page.get_by_text("Wigan (selected)").count() == 1, "the borough's figures are shown beside the map"
    assert sp.error_messages(page) == []


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
    cookie = sp.wait_for_sign_in_cookie(context)
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert page.evaluate("() => document.cookie").find(sp.COOKIE_NAME) == -1  # no page script can read it
    page.reload()
    sp.wait_for_run(page)
    page.get_by_role("button", name="Sign out").wait_for(timeout=15_000)


def test_after_signing_out_a_reload_asks_for_sign_in_again(live_server, new_context):
    context = new_context()
    page = context.new_page()
    sp.sign_in(page, live_server.base_url, "national")
    sp.wait_for_sign_in_cookie(context)
    page.get_by_role("button", name="Sign out").click()
    sp.wait_for_run(page)
    page.get_by_role("button", name="Sign in").wait_for()
    sp.wait_for_sign_in_cookie(context, present=False)
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
