"""Printing: headless Chromium prints (``page.pdf``, print media) the Board summary on exactly one
A4 portrait page, with no sidebar, menu, widgets or on-screen-only detail; any other page prints
without the sidebar too (ui/printing.py)."""

from __future__ import annotations

import io

import pypdf

from tests.browser import streamlit_page as sp

A4_POINTS = (595, 842)  # 210 x 297 mm
#: Text that is on screen but must not be printed: the sidebar (user, menu, filters) and widgets.
NOT_PRINTED = ("Sign out", "Filters", "Accessibility statement", "Referrals and forecast", "Download CSV",
               "Show every measure", "Detail (not printed)", "Show the data")


def _pdf_pages(page) -> list[pypdf.PageObject]:
    return list(pypdf.PdfReader(io.BytesIO(page.pdf(format="A4"))).pages)


def test_the_board_summary_prints_on_one_a4_page_without_the_sidebar(live_server, new_context, artifacts):
    page = new_context().new_page()
    sp.sign_in(page, live_server.base_url, "commissioner")
    sp.go_to(page, "Board summary")
    pages = _pdf_pages(page)
    (artifacts / "board-summary-print.pdf").write_bytes(page.pdf(format="A4"))
    assert len(pages) == 1
    box = pages[0].mediabox
    # Portrait A4, as Chromium rounds it (596 x 843 points).
    assert abs(float(box.width) - A4_POINTS[0]) < 2 and abs(float(box.height) - A4_POINTS[1]) < 2
    text = pages[0].extract_text()
    for expected in ("Board summary", "Headline findings", "measures below target", "measures:", "exception"):
        assert expected in text, expected
    for hidden in NOT_PRINTED:
        assert hidden not in text, hidden
    # The SPC overview prints as a plain table with the icons (their words as alternative text).
    page.emulate_media(media="print")
    assert page.locator('[data-testid="stSidebar"]').is_hidden()
    assert page.locator("table.print-table img").count() > 0
    assert page.locator('[data-testid="stDataFrame"]').filter(visible=True).count() == 0


def test_other_pages_print_without_the_sidebar_or_widgets(live_server, new_context):
    page = new_context().new_page()
    sp.sign_in(page, live_server.base_url, "provider")
    sp.go_to(page, "Referrals and forecast")
    text = "\n".join(p.extract_text() for p in _pdf_pages(page))
    assert "Referrals" in text
    for hidden in ("Sign out", "Filters", "Download CSV", "Accessibility statement"):
        assert hidden not in text, hidden
