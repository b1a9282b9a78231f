"""For the same view, every figure in the board pack equals the page's (issue 15, "one view model").

The board pack is built as the Board packs page builds it (``reports.build.build``) in all
three formats and read back with python-pptx, pypdf and openpyxl; each figure is compared
with the panel the page renders for the same user, filters, period and as-of date
(``metrics.panels`` through ``inputs_for``, as ``ui.panel_data`` runs it), and for all of
Greater Manchester also with what the board summary page itself shows (AppTest). Three
views: all GM (commissioner), one borough, one provider. Then an admin changes the forecast
period (Decision 1) and DS1 must follow on page and pack alike.

The disagreements this guards against (all present before the packs printed the panels):
the SPC verdict (the page's "24 months" held 25), the equalities measure (attended of those
referred vs attended of those ended), spend (cumulative on screen vs year to date in the
pack; all of GM's spend in a borough's pack) and the forecast period an admin sets (the
pack read the environment's).
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re

import openpyxl
import pytest
from pptx import Presentation
from pypdf import PdfReader
from sqlalchemy import select

from data_access import admin
from data_access.db import make_engine, session_scope
from data_access.models import Borough, User
from data_access.scoping import ReferralFilters, referrals_select, scope_for_user
from data_access.settings import Settings
from metrics import panels, periods
from metrics.disclosure import SUPPRESSED, WITHHELD_RATE
from reports.build import build
from reports.formatting import cell_text
from reports.workbook import TABLE_START_ROW
from tests.app.test_pages import open_page

VIEWS = ("gm", "borough", "provider")


@pytest.fixture(scope="module")
def engine(demo_db_url):
    engine = make_engine(demo_db_url)
    yield engine
    engine.dispose()


def _view(engine, name: str):
    """(scope, filters, period, as_of) of a view, as the app builds them."""
    with session_scope(engine) as session:
        username = "provider" if name == "provider" else "commissioner"
        scope = scope_for_user(session.scalar(select(User).where(User.username == username)))
        filters = ReferralFilters()
        if name == "borough":
            filters = ReferralFilters(borough_id=session.scalar(select(Borough.id).where(Borough.name == "Bolton")))
        as_of = panels.data_as_of(session)  # the app's as-of date (ui.context.data_as_of)
    return scope, filters, periods.quarter(as_of), as_of


def page_panels(engine, name: str) -> dict:
    """The panels the pages render for the view (board summary, KPIs, complexity, outcomes,
    equalities and finance pages), computed as ui.panel_data computes them."""
    scope, filters, period, as_of = _view(engine, name)
    with session_scope(engine) as session:
        inputs = panels.inputs_for(session, scope, filters, referrals_select(scope, filters), period, as_of,
                                   Settings.from_env())
        charts = panels.spc_charts(session, inputs)
        return {
            "tiles": panels.tiles_from(panels.period_scorecard(session, inputs), charts, panels.figures(session, inputs)),
            "charts": charts,
            "bands": panels.forecast_bands(session, inputs, by="borough"),
            "mix": panels.complexity_mix(session, inputs),
            "distance": panels.distance_travelled(session, inputs),
            "equalities": {strand: panels.equality_rates(session, inputs, strand=strand)
                           for strand in panels.EQUALITY_STRANDS},
            "spend": panels.spend_against_funding(session, inputs),
        }


def board_pack(engine, name: str) -> dict:
    scope, filters, period, as_of = _view(engine, name)
    return {fmt: build(engine, "board", fmt, period=period, scope=scope, settings=Settings.from_env(),
                       filters=filters)[1] for fmt in ("pptx", "pdf", "xlsx")}


# --------------------------------------------------------------------------------------------
# What the page shows, as rows of the pack's tables (columns named as the pack names them)
# --------------------------------------------------------------------------------------------


def _shown(value):
    """A page value as a pack cell holds it: shown counts are numbers; a withheld rate is [low]."""
    if isinstance(value, str):
        return int(value.replace(",", "")) if value.replace(",", "").isdigit() else value
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return WITHHELD_RATE
    return value


def expected_tables(p: dict) -> dict[str, tuple[str, list[dict]]]:
    """Pack sheet → (slide heading, rows), each row's first column its key."""
    tiles = p["tiles"].data
    kpis = [{"Code": r["code"], "Numerator": _shown(r["numerator"]), "Denominator": _shown(r["denominator"]),
             "Value (%)": None if r["status_word"] == "no data" else _shown(r["value_pct"]),
             "Status": r["status_word"], "Variation": r["variation"] + (" *" if r["provisional"] else ""),
             "Assurance": r["assurance"]} for r in tiles.to_dict("records")]
    bands = p["bands"].shown()
    forecast = [{"Borough": r["borough"], "Referrals": _shown(r["referrals"]),
                 "Expected (low)": r["expected_low"], "Expected (high)": r["expected_high"], "Band": r["band"]}
                for r in bands.to_dict("records")]
    mix = [{"Complexity": r["complexity"], "Referrals": _shown(r["observed"]), "Share (%)": _shown(r["share"])}
           for r in p["mix"].shown().to_dict("records")]
    distance = [{"Need": r["need"], "People": _shown(r["people"]), "Mean change": _shown(r["mean_change"]),
                 "Improved (%)": _shown(r["improved"])} for r in p["distance"].shown().to_dict("records")]
    equalities = []
    for strand, panel in p["equalities"].items():
        label = panels.EQUALITY_STRANDS[strand]
        equalities += [{"Strand": label, "Group": r[label], "Referrals ended": _shown(r["people"]),
                        "Attended": _shown(r["met"]), "Attended (%)": _shown(r["rate"])}
                       for r in panel.data.to_dict("records")]
    spend = [{"Month": f"{r['month']:%b %Y}", "Spend (£)": float(r["spend"]),
              "Cumulative spend (% of profile)": float(r["cumulative_pct_of_profile"])}
             for r in p["spend"].data.to_dict("records")]
    tables = {"KPI summary": ("KPIs against target, with variation and assurance", kpis),
              "Complexity mix": ("Complexity mix of referrals received", mix),
              "Distance travelled": ("Distance travelled by need", distance),
              "Equalities": ("Attendance by protected characteristic", equalities),
              "Spend v profile": ("Spend against the funding profile", spend)}
    if forecast:
        tables["Referrals v forecast"] = ("Referrals received against the forecast band, by borough", forecast)
    return tables


# --------------------------------------------------------------------------------------------
# Reading the files back
# --------------------------------------------------------------------------------------------


def xlsx_rows(content: bytes, sheet: str) -> list[dict]:
    ws = openpyxl.load_workbook(io.BytesIO(content))[sheet]
    rows = list(ws.iter_rows(min_row=TABLE_START_ROW + 1, values_only=True))
    header, body = list(rows[0]), []
    for row in rows[1:]:
        if all(v is None for v in row):
            break
        body.append(dict(zip(header, row)))
    return body


def pptx_rows(content: bytes, heading: str) -> list[dict]:
    """Every row of the table ``heading`` (a long table runs over several slides; each slide's
    title states the finding, so the table is found by its name, "Table: heading")."""
    body = []
    for slide in Presentation(io.BytesIO(content)).slides:
        for shape in slide.shapes:
            if shape.has_table and shape.name == f"Table: {heading}":
                cells = [[cell.text for cell in row.cells] for row in shape.table.rows]
                body += [dict(zip(cells[0], row)) for row in cells[1:]]
    return body


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def pdf_text(content: bytes) -> str:
    return _squash("\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages))


def _same(pack_value, page_value) -> bool:
    if isinstance(page_value, float) and isinstance(pack_value, (int, float)):
        return pack_value == pytest.approx(page_value, abs=1e-9)
    return pack_value == page_value


def assert_pack_equals_page(files: dict, p: dict, view: str) -> None:
    pdf = pdf_text(files["pdf"])
    for sheet, (heading, expected) in expected_tables(p).items():
        in_xlsx, on_slides = xlsx_rows(files["xlsx"], sheet), pptx_rows(files["pptx"], heading)
        assert len(in_xlsx) == len(expected) and len(on_slides) == len(expected), (view, sheet)
        for want, xlsx_row, slide_row in zip(expected, in_xlsx, on_slides):
            for column, value in want.items():
                assert _same(xlsx_row[column], value), (view, sheet, column, xlsx_row[column], value)
                assert slide_row[column] == cell_text(value, column), (view, sheet, column, slide_row[column], value)
            # The PDF prints the row's cells in order (wrapped lines read back cell by cell).
            texts = [_squash(cell_text(xlsx_row[c], c)) for c in xlsx_row if c in want or c == next(iter(want))]
            start = pdf.find(texts[0])
            found = False
            while start >= 0 and not found:
                window = pdf[start:start + 600]
                found = bool(re.match(".*?".join(re.escape(t) for t in texts), window, re.S))
                start = pdf.find(texts[0], start + 1)
            assert found, (view, sheet, texts)


# --------------------------------------------------------------------------------------------
# Tests
# --------------------------------------------------------------------------------------------


def test_the_spc_window_is_24_calendar_months_ending_with_the_period(engine):
    # Hand-worked: a period ending 30 Sep 2025 charts Oct 2023 … Sep 2025 (24 months). Stepping
    # back 23 × 31 days from 1 Sep 2025 lands on 19 Sep 2023: September 2023 too, 25 points.
    assert panels.spc_window_start(dt.date(2025, 9, 30)) == dt.date(2023, 10, 1)
    assert panels.spc_window_start(dt.date(2024, 3, 31)) == dt.date(2023, 9, 1)  # not before the service began
    assert panels.spc_window_start(dt.date(2026, 3, 31), 13) == dt.date(2025, 3, 1)
    charts = page_panels(engine, "gm")["charts"]
    # Demo data from Sept 2023 onwards: 24 months, each a point or a month left out for small
    # numbers (docs/DISCLOSURE.md, SPC charts).
    assert {len(chart.data) + len(chart.extra.get("suppressed_months", ())) for chart in charts.values()} == {24}


@pytest.mark.parametrize("view", VIEWS)
def test_every_board_pack_figure_equals_the_page_s(engine, view):
    p = page_panels(engine, view)
    files = board_pack(engine, view)
    assert_pack_equals_page(files, p, view)
    xlsx = {sheet: xlsx_rows(files["xlsx"], sheet) for sheet in ("KPI summary", "Equalities", "Spend v profile")}
    # SPC verdicts: one per charted measure, the page's words
    verdicts = {r["Code"]: r["Variation"] for r in xlsx["KPI summary"]}
    for code, chart in p["charts"].items():
        if chart.extra["variation"] != panels.NO_DATA and verdicts.get(code) != "not shown (small numbers)":
            assert verdicts[code].rstrip(" *") == chart.extra["variation"], (view, code)
    # Equalities: attended of the referrals that ended in the period, as on the page
    assert "referral ended in the period" in panels.EQUALITY_OUTCOMES[next(iter(panels.EQUALITY_OUTCOMES))]
    assert xlsx["Equalities"], view
    # Spend follows the view's scope, or says plainly that it cannot
    notes = "\n".join(p["spend"].notes)
    slides = "\n".join(shape.text_frame.text for slide in Presentation(io.BytesIO(files["pptx"])).slides
                       for shape in slide.shapes if shape.has_text_frame)
    if view == "borough":
        assert not xlsx["Spend v profile"] and "held per contract, not per borough" in slides
        # Since the twenty R&M wellbeing contracts are reference data, a borough has contracts of
        # its own; without funding recorded for them the title says so (and never shows GM's spend).
        assert "held per contract, not per borough" in p["spend"].title and "per contract" in notes
    else:
        assert xlsx["Spend v profile"], view


def _board_page_tiles() -> dict[str, str]:
    """DS1 … SL002 as the board summary page shows them (its st.metric tiles), for the commissioner."""
    return {m.label: m.value for m in open_page("commissioner", "board_summary").metric}


def test_ds1_follows_the_admins_forecast_period_on_page_and_pack(engine, app_env):
    before = page_panels(engine, "gm")["tiles"].data.set_index("code").loc["DS1", "value_pct"]
    with session_scope(engine) as session:
        admin_scope = scope_for_user(session.scalar(select(User).where(User.username == "admin")))
        admin.set_forecast_period(session, admin_scope, 730)  # the published band covers two years
    try:
        for view in VIEWS:
            p = page_panels(engine, view)
            files = board_pack(engine, view)
            ds1 = p["tiles"].data.set_index("code").loc["DS1"]
            pack_ds1 = next(r for r in xlsx_rows(files["xlsx"], "KPI summary") if r["Code"] == "DS1")
            assert pack_ds1["Value (%)"] == pytest.approx(ds1["value_pct"]), view
            if view == "gm":
                # Half the pro-rated target: twice the percentage (to the rounding of each).
                assert ds1["value_pct"] == pytest.approx(2 * before, abs=0.11)
                shown = _board_page_tiles()["DS1"]
                assert shown == f"{ds1['value_pct']:.1f}%" and f"{pack_ds1['Value (%)']:.1f}%" == shown
            assert_pack_equals_page(files, p, view)
    finally:
        with session_scope(engine) as session:
            admin.set_forecast_period(session, admin_scope, 365)


def test_a_suppressed_count_reads_the_same_in_pack_and_page(engine):
    """The provider's view has small groups: what the page hides, the pack hides too."""
    p = page_panels(engine, "provider")
    hidden = [r for panel in p["equalities"].values() for r in panel.data.to_dict("records")
              if SUPPRESSED in (r["people"], r["met"], r["not_met"])]
    assert hidden and all(r["rate"] is None or math.isnan(r["rate"]) for r in hidden)


def test_an_admin_sets_the_ds1_bound_on_the_admin_page_and_page_and_pack_follow(engine, app_env):
    before = page_panels(engine, "gm")["tiles"].data.set_index("code").loc["DS1", "value_pct"]
    at = open_page("admin", "admin")
    next(s for s in at.selectbox if s.label.startswith("DS1 target")).set_value("high")
    next(b for b in at.button if b.label == "Save the figure settings").click().run()
    assert not at.exception and any("Saved the figure settings" in s.value for s in at.success)
    with session_scope(engine) as session:  # only the changed setting is stored
        admin_scope = scope_for_user(session.scalar(select(User).where(User.username == "admin")))
        assert admin.figure_settings_set(session, admin_scope) == {"ds1_bound": "high"}
    try:
        p, files = page_panels(engine, "gm"), board_pack(engine, "gm")
        ds1 = p["tiles"].data.set_index("code").loc["DS1", "value_pct"]
        # The high bound is 60% where the low is 40% (to the published figures' rounding): DS1 × 2/3.
        assert ds1 == pytest.approx(before * 2 / 3, abs=0.2)
        pack_ds1 = next(r for r in xlsx_rows(files["xlsx"], "KPI summary") if r["Code"] == "DS1")["Value (%)"]
        assert pack_ds1 == pytest.approx(ds1) and _board_page_tiles()["DS1"] == f"{ds1:.1f}%"
    finally:
        with session_scope(engine) as session:
            admin_scope = scope_for_user(session.scalar(select(User).where(User.username == "admin")))
            for name in admin.figure_settings_set(session, admin_scope):
                admin.set_figure_setting(session, admin_scope, name, None)
